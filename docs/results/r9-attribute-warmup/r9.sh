#!/usr/bin/env bash
# r9 = recipe 6 + the vision warm-up (and its keep) on shape, colour and pattern (branch colour-warmup: image-colour and
# image-pattern pairs in train.jsonl, one softmax per warm-up task), full budget, on world v1.1 + those pairs. Val only.
# The manifest is rewritten in place (media reused, so the decode cache hits); the v1.1 manifest is kept as train-v11.jsonl.
set -uo pipefail
cd /work/main
C=/work/cli-c/MediaSdk.Cli
W=artifacts/synth/default-v1
R=artifacts/train/btok-tiny-r9
O=/work/runs/r9
mkdir -p $O
log(){ echo "$(date -u +%T) $*" >> $O/progress.txt; }
until grep -q "post end$" /work/runs/v11train/progress.txt 2>/dev/null; do sleep 10; done
log start
if [ ! -f $O/synth.done ]; then
  [ -f $W/train-v11.jsonl ] || cp $W/train.jsonl $W/train-v11.jsonl
  $C synth --out $W > $O/synth.txt 2>&1 || { log synth failed; exit 1; }
  grep -v '"task":"image-colour"\|"task":"image-pattern"' $W/train.jsonl | cmp - $W/train-v11.jsonl > $O/manifest-check.txt 2>&1 \
    || { log manifest differs beyond the new pairs; exit 1; }
  touch $O/synth.done; log synth done
fi
RESUME=""; [ -d $R/training/checkpoint ] && RESUME="--resume"
/usr/bin/time -v $C train --data $W/train.jsonl --out $R --steps 1900 --stem-warmup 1200 --cache $W/cache --export-fp16 \
  --arch btok-tiny --stem conv --frame-summary --stem-warmup-tasks image-label,image-colour,image-pattern --batch 32 --lr 1e-3 --tau 0.05 \
  --ntp-vocab targets --seed 1 --threads 2 --save-every 250 --uniformity 1 --stem-keep 1 --frame-summary-where $RESUME >> $O/train-stdout.txt 2>&1
log train done rc=$?
$C eval --model $R --bench $W/val --cache $W/cache --by-answer > $O/eval-val.txt 2>&1; log val done
$C eval --model $R --bench $W/val-bytype --cache $W/cache > $O/eval-val-bytype.txt 2>&1; log bytype done
log end

#!/usr/bin/env bash
# r10 = r9 with shape given its warm-up steps back: --stem-warmup 3600 (each of the three tasks about 1200 steps' worth, as shape had alone), and --steps 1600 so the whole run fits the hour (a warm-up step costs ~0.22 s, a main step ~1.6 s). Val only. Resumable once step 250 is saved.


set -uo pipefail
cd /work/main
C=/work/cli-c/MediaSdk.Cli
W=artifacts/synth/default-v1
R=artifacts/train/btok-tiny-r10
O=/work/runs/r10
mkdir -p $O
log(){ echo "$(date -u +%T) $*" >> $O/progress.txt; }
touch $O/synth.done
log start
if [ ! -f $O/synth.done ]; then
  [ -f $W/train-v11.jsonl ] || cp $W/train.jsonl $W/train-v11.jsonl
  $C synth --out $W > $O/synth.txt 2>&1 || { log synth failed; exit 1; }
  grep -v '"task":"image-colour"\|"task":"image-pattern"' $W/train.jsonl | cmp - $W/train-v11.jsonl > $O/manifest-check.txt 2>&1 \
    || { log manifest differs beyond the new pairs; exit 1; }
  touch $O/synth.done; log synth done
fi
RESUME=""; [ -d $R/training/checkpoint ] && RESUME="--resume"
/usr/bin/time -v $C train --data $W/train.jsonl --out $R --steps 1600 --stem-warmup 3600 --cache $W/cache --export-fp16 \
  --arch btok-tiny --stem conv --frame-summary --stem-warmup-tasks image-label,image-colour,image-pattern --batch 32 --lr 1e-3 --tau 0.05 \
  --ntp-vocab targets --seed 1 --threads 2 --save-every 250 --uniformity 1 --stem-keep 1 --frame-summary-where $RESUME >> $O/train-stdout.txt 2>&1
log train done rc=$?
$C eval --model $R --bench $W/val --cache $W/cache --by-answer > $O/eval-val.txt 2>&1; log val done
$C eval --model $R --bench $W/val-bytype --cache $W/cache > $O/eval-val-bytype.txt 2>&1; log bytype done
log end

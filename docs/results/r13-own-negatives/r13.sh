#!/usr/bin/env bash
# r13 = r11 + --own-negatives (CLI at 43a55c5): colour and pattern pairs stay in the main run, but a pair with hard
# negatives is scored among its own candidates only, so shape, colour and pattern answers no longer compete in one
# softmax. Waits for r12. Val only. Resumable; the clock goes on across a resume.
set -uo pipefail
cd /work/main
C=/work/cli-g/MediaSdk.Cli
W=artifacts/synth/default-v1
R=artifacts/train/btok-tiny-r13
O=/work/runs/r13
mkdir -p $O
log(){ echo "$(date -u +%T) $*" >> $O/progress.txt; }
until grep -q " end$" /work/runs/r12/progress.txt 2>/dev/null; do sleep 10; done
log start
RESUME=""; [ -d $R/training/checkpoint ] && RESUME="--resume"
/usr/bin/time -v $C train --data $W/train.jsonl --out $R --steps 1600 --stem-warmup 1800 --cache $W/cache --export-fp16 \
  --arch btok-tiny --stem conv --frame-summary --batch 32 --lr 1e-3 --tau 0.05 --ntp-vocab targets --seed 1 --threads 2 --save-every 250 \
  --stem-warmup-tasks image-label=4,image-colour,image-pattern --uniformity 1 --stem-keep 1 --frame-summary-where --own-negatives $RESUME >> $O/train-stdout.txt 2>&1
log train done rc=$?
$C eval --model $R --bench $W/val --cache $W/cache --by-answer > $O/eval-val.txt 2>&1; log val done
$C eval --model $R --bench $W/val-bytype --cache $W/cache > $O/eval-val-bytype.txt 2>&1; log bytype done
log end

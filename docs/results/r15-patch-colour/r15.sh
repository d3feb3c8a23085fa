#!/usr/bin/env bash
# r15 = recipe 6 (shape-only warm-up, 1200 steps) + --patch-colour (each patch's mean colour per quadrant added to its
# token beside the stem) + --own-negatives, 1600 steps, on the branch manifest (image-colour and image-pattern pairs in
# the main run). Val only. Resumable; the clock goes on across a resume.
set -uo pipefail
cd /work/main
C=/work/cli-h/MediaSdk.Cli
W=artifacts/synth/default-v1
R=artifacts/train/btok-tiny-r15
O=/work/runs/r15
mkdir -p $O
log(){ echo "$(date -u +%T) $*" >> $O/progress.txt; }
log start
RESUME=""; [ -d $R/training/checkpoint ] && RESUME="--resume"
/usr/bin/time -v $C train --data $W/train.jsonl --out $R --steps 1600 --stem-warmup 1200 --cache $W/cache --export-fp16 \
  --arch btok-tiny --stem conv --frame-summary --stem-warmup-tasks image-label \
  --batch 32 --lr 1e-3 --tau 0.05 --ntp-vocab targets --seed 1 --threads 2 --save-every 250 \
  --uniformity 1 --stem-keep 1 --frame-summary-where --patch-colour --own-negatives $RESUME >> $O/train-stdout.txt 2>&1
log train done rc=$?
$C eval --model $R --bench $W/val --cache $W/cache --by-answer > $O/eval-val.txt 2>&1; log val done
$C eval --model $R --bench $W/val-bytype --cache $W/cache > $O/eval-val-bytype.txt 2>&1; log bytype done
log end

#!/usr/bin/env bash
# r12 = r11 with colour and pattern pairs left out of the main run (--task-weight image-colour=0,image-pattern=0): warm-up and kept loss only. Val only. Resumable; the clock goes on across a resume (cli-f).
set -uo pipefail
cd /work/main
C=/work/cli-f/MediaSdk.Cli
W=artifacts/synth/default-v1
R=artifacts/train/btok-tiny-r12
O=/work/runs/r12
mkdir -p $O
log(){ echo "$(date -u +%T) $*" >> $O/progress.txt; }
log start
RESUME=""; [ -d $R/training/checkpoint ] && RESUME="--resume"
/usr/bin/time -v $C train --data $W/train.jsonl --out $R --steps 1600 --stem-warmup 1800 --cache $W/cache --export-fp16 \
  --arch btok-tiny --stem conv --frame-summary --batch 32 --lr 1e-3 --tau 0.05 --ntp-vocab targets --seed 1 --threads 2 --save-every 250 \
  --stem-warmup-tasks image-label=4,image-colour,image-pattern --uniformity 1 --stem-keep 1 --frame-summary-where --task-weight image-colour=0,image-pattern=0 $RESUME >> $O/train-stdout.txt 2>&1
log train done rc=$?
$C eval --model $R --bench $W/val --cache $W/cache --by-answer > $O/eval-val.txt 2>&1; log val done
$C eval --model $R --bench $W/val-bytype --cache $W/cache > $O/eval-val-bytype.txt 2>&1; log bytype done
log end

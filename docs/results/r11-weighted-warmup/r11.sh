#!/usr/bin/env bash
# r11 = recipe 7 candidate (build.cake at 40ded35): warm-up 1800 on image-label=4,image-colour,image-pattern, 1600 main
# steps, on world v1.1 + colour/pattern pairs (artifacts/synth/default-v1, the branch's manifest). Val, then (if chosen)
# post-r11.sh does test and controls. Resumable.
set -uo pipefail
cd /work/main
C=/work/cli-e/MediaSdk.Cli
W=artifacts/synth/default-v1
R=artifacts/train/btok-tiny-r11
O=/work/runs/r11
mkdir -p $O
log(){ echo "$(date -u +%T) $*" >> $O/progress.txt; }
log start
RESUME=""; [ -d $R/training/checkpoint ] && RESUME="--resume"
/usr/bin/time -v $C train --data $W/train.jsonl --out $R --steps 1600 --stem-warmup 1800 --cache $W/cache --export-fp16 \
  --arch btok-tiny --stem conv --frame-summary --batch 32 --lr 1e-3 --tau 0.05 --ntp-vocab targets --seed 1 --threads 2 --save-every 250 \
  --stem-warmup-tasks image-label=4,image-colour,image-pattern --uniformity 1 --stem-keep 1 --frame-summary-where $RESUME >> $O/train-stdout.txt 2>&1
log train done rc=$?
$C eval --model $R --bench $W/val --cache $W/cache --by-answer > $O/eval-val.txt 2>&1; log val done
$C eval --model $R --bench $W/val-bytype --cache $W/cache > $O/eval-val-bytype.txt 2>&1; log bytype done
log end

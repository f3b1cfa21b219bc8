#!/bin/sh
# Facade segmentation end to end: load the mini facade photos and label maps,
# split off a validation set, train, predict the test_dev set, score it by
# per-class average precision, and draw input / output / ground-truth
# triplets. Outputs go to $OUT (default out/facade).
#
#   examples/facade.sh [DATA]            # the CPU recipe: 128x128, a small U-Net
#   SIZE=256 NET=examples/facade-unet.net EPOCHS=60 BATCH=16 examples/facade.sh   # GPU
#   SIZE=256 NET=examples/facade.net EPOCHS=20 BATCH=16 examples/facade.sh        # the course network
#
# DATA is the starter_set folder (default ../shared/data/mini-facade/starter_set
# beside the checkout). Extra nn-train options can be given in $TRAIN_OPTS.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
data=${1:-$root/../shared/data/mini-facade/starter_set}
out=${OUT:-$root/out/facade}
size=${SIZE:-128}
net=${NET:-$root/examples/facade-unet-small.net}
epochs=${EPOCHS:-20}
batch=${BATCH:-8}
mkdir -p "$out"

ds-load facade "$data" --split train --size "$size" | ds-split --seed 1 --take 0.9 -o "$out/train.npy" -r "$out/val.npy"
ds-load facade "$data" --split test_dev --size "$size" -o "$out/test.npy"

# shellcheck disable=SC2086
nn-train "$net" --epochs "$epochs" --batch "$batch" --opt adam --lr 1e-3 --wd 1e-5 --sched cosine \
	--augment flip,crop=0.7 --seed 1 --log-every 50 --val "$out/val.npy" --log "$out/seg.tsv" \
	-o "$out/facade.safetensors" ${TRAIN_OPTS:-} "$out/train.npy"

nn-predict "$out/facade.safetensors" < "$out/test.npy" > "$out/test-pred.npy"
echo "== test_dev ($out/test-pred.npy)"
ap-score "$out/test-pred.npy" | tee "$out/test-score.txt"

if command -v seg-colour >/dev/null 2>&1; then
	seg-colour --data "$out/test.npy" --pred "$out/test-pred.npy" --triplet --index 0,1,2,3,4,5 \
		-o "$out/triplets"
	echo "triplets (input | output | ground truth) in $out/triplets"
fi

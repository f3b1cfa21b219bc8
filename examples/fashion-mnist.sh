#!/bin/sh
# Fashion-MNIST end to end, the course recipe: load the official files, split
# 54000/6000 for training and validation, train 3 epochs of Adam (lr 1e-3,
# batch 64), then score the validation and test predictions per class.
# Outputs go to $OUT (default out/fashion-mnist). Extra arguments go to nn-train
# (and win over the recipe's); $NET names another network, for example
#   NET=examples/fashion-mnist-plus.net examples/fashion-mnist.sh --epochs 10 --sched cosine --augment flip
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
out=${OUT:-$root/out/fashion-mnist}
net=${NET:-$root/examples/fashion-mnist.net}
mkdir -p "$out"

ds-load fashion-mnist --split train | ds-split --seed 1 --take 54000 -o "$out/train.npy" -r "$out/val.npy"
ds-load fashion-mnist --split test -o "$out/test.npy"

nn-train "$net" --epochs 3 --batch 64 --opt adam --lr 1e-3 \
	--seed 1 --val "$out/val.npy" --log "$out/run.tsv" -o "$out/fmnist.safetensors" "$@" "$out/train.npy"

nn-predict "$out/fmnist.safetensors" < "$out/val.npy" > "$out/val-pred.npy"
nn-predict "$out/fmnist.safetensors" < "$out/test.npy" > "$out/test-pred.npy"

echo "== validation ($out/val-pred.npy)"
ap-score "$out/val-pred.npy" | tee "$out/val-score.txt"
echo "== test ($out/test-pred.npy)"
ap-score --confusion "$out/test-pred.npy" | tee "$out/test-score.txt"

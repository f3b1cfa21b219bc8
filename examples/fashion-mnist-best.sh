#!/bin/sh
# Fashion-MNIST, the best recipe here: examples/fashion-mnist-best.net (four
# 3x3 convolutions with batch-norm, 32-32-64-64 channels, two max-pools, a
# dropout-regularised classifier), AdamW with a warm-up and cosine decay,
# random flips, shifts and erasing, label smoothing; the model of the best
# validation accuracy kept; predictions averaged with their mirror images.
# It runs examples/fashion-mnist.sh (same data, split and scoring, the test
# set touched once at the end) with these settings. Settings are
# environment variables; arguments go to nn-train and win over the recipe's:
#
#   DATA=DIR     the folder of the four IDX files (as fashion-mnist.sh)
#   OUT=DIR      where the outputs go (default out/fashion-mnist-best)
#   SEED=N       nn-train's seed: initialisation, data order, augmentation (default 1)
#
#   examples/fashion-mnist-best.sh
#   SEED=2 OUT=/tmp/fm2 examples/fashion-mnist-best.sh
#   examples/fashion-mnist-best.sh --epochs 5     # a shorter run
#
# bench/fashion-mnist.md has its results and times.
set -eu
case ${1:-} in
-h | --help)
	sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
NET=${NET:-$root/examples/fashion-mnist-best.net}
OUT=${OUT:-$root/out/fashion-mnist-best}
PREDICT_OPTS="--tta flip"
export NET OUT PREDICT_OPTS
exec "$root/examples/fashion-mnist.sh" --epochs 26 --batch 128 --opt adamw --lr 2e-3 --wd 5e-2 \
	--warmup 400 --sched cosine --augment flip,shift=2,erase=0.25 --label-smoothing 0.1 --keep-best \
	--log-every 100 --val-every 400 --seed "${SEED:-1}" "$@"

#!/bin/sh
# Facade segmentation, the best recipe here within 30 minutes of training on
# two CPU cores: the U-Net with transposed convolutions
# (examples/facade-unet-convt.net) at 128x128, trained longer than the
# course recipe with random flips, crops and shifts, the model of the best
# validation mean AP kept, and test_dev predictions averaged with those of
# the mirror images. It runs examples/facade.sh (same data, split, scoring
# and pictures) with these settings. Settings are environment variables:
#
#   DATA=DIR     the starter_set folder of the mini facade data (as facade.sh)
#   OUT=DIR      where the outputs go (default out/facade-best)
#   SEED=N       nn-train's seed: initialisation, data order, augmentation (default 1)
#   EPOCHS=N     (default 60)
#   TRAIN_OPTS   more nn-train options, after the recipe's (they win)
#
#   examples/facade-best.sh
#   SEED=2 OUT=/tmp/fa2 examples/facade-best.sh
#
# bench/facade-cpu.md has its results and times.
set -eu
case ${1:-} in
-h | --help)
	sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
if [ $# -gt 0 ]; then
	echo "facade-best.sh: unexpected argument '$1': settings are environment variables, e.g. SEED=2 examples/facade-best.sh (see --help)" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
NET=${NET:-$root/examples/facade-unet-convt.net}
OUT=${OUT:-$root/out/facade-best}
EPOCHS=${EPOCHS:-60}
TRAIN_OPTS="--augment flip,crop=0.7,shift=8 --val-every 200 --keep-best --seed ${SEED:-1} ${TRAIN_OPTS:-}"
PREDICT_OPTS="--tta flip"
export NET OUT EPOCHS TRAIN_OPTS PREDICT_OPTS
exec "$root/examples/facade.sh"

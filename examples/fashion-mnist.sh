#!/bin/sh
# Fashion-MNIST end to end, the course recipe: load the official files, split
# 54000/6000 for training and validation, train 3 epochs of Adam (lr 1e-3,
# batch 64), then score the validation and test predictions per class.
# Settings are environment variables; arguments go to nn-train (and win over
# the recipe's):
#
#   DATA=DIR     the folder of the four IDX files (.gz or not) (default:
#                shared/data/fashion-mnist in the folder above the checkout, found
#                from this script, else ds-load's /usr/share/datasets/fashion-mnist)
#   OUT=DIR      where the outputs go (default out/fashion-mnist in the checkout)
#   NET=FILE     network description (default examples/fashion-mnist.net)
#   PREDICT_OPTS more nn-predict options, e.g. PREDICT_OPTS="--tta flip"
#
#   examples/fashion-mnist.sh
#   DATA=~/data/fashion-mnist examples/fashion-mnist.sh
#   NET=examples/fashion-mnist-plus.net examples/fashion-mnist.sh --epochs 10 --sched cosine --augment flip
#
# The commands are recorded in $OUT/commands.sh for the report.
set -eu
case ${1:-} in
-h | --help)
	sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
data=${DATA:-$root/../shared/data/fashion-mnist}
if [ -z "${DATA:-}" ] && [ ! -d "$data" ]; then
	data=/usr/share/datasets/fashion-mnist
fi
out=${OUT:-$root/out/fashion-mnist}
net=${NET:-$root/examples/fashion-mnist.net}

if ! ls "$data"/train-images-idx3-ubyte* >/dev/null 2>&1; then
	echo "fashion-mnist.sh: $data: not the Fashion-MNIST files (no train-images-idx3-ubyte there); set DATA to their folder, e.g. DATA=/path/to/fashion-mnist examples/fashion-mnist.sh" >&2
	exit 1
fi
mkdir -p "$out"

# the command that remakes this run, for the report
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), in $(q "$(pwd)")"
	printf 'DATA=%s OUT=%s NET=%s PREDICT_OPTS=%s %s' "$(q "$data")" "$(q "$out")" "$(q "$net")" \
		"$(q "${PREDICT_OPTS:-}")" "$(q "$0")"
	for a in "$@"; do
		printf ' %s' "$(q "$a")"
	done
	echo
} >"$out/commands.sh"

ds-load fashion-mnist "$data" --split train -o "$out/train-all.npy"
ds-split --seed 1 --take 54000 -o "$out/train.npy" -r "$out/val.npy" "$out/train-all.npy"
rm -f "$out/train-all.npy"
ds-load fashion-mnist "$data" --split test -o "$out/test.npy"

nn-train "$net" --epochs 3 --batch 64 --opt adam --lr 1e-3 \
	--seed 1 --val "$out/val.npy" --log "$out/run.tsv" -o "$out/fmnist.safetensors" "$@" "$out/train.npy"

# shellcheck disable=SC2086
nn-predict ${PREDICT_OPTS:-} "$out/fmnist.safetensors" < "$out/val.npy" > "$out/val-pred.npy"
# shellcheck disable=SC2086
nn-predict ${PREDICT_OPTS:-} "$out/fmnist.safetensors" < "$out/test.npy" > "$out/test-pred.npy"

echo "== validation ($out/val-pred.npy)"
ap-score "$out/val-pred.npy" | tee "$out/val-score.txt"
echo "== test ($out/test-pred.npy)"
ap-score --confusion "$out/test-pred.npy" | tee "$out/test-score.txt"

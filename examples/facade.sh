#!/bin/sh
# Facade segmentation end to end: load the mini facade photos and label maps,
# split off a validation set, train, predict the test_dev set, score it by
# per-class average precision, and draw input / output / ground-truth
# triplets. Settings are environment variables:
#
#   DATA=DIR     the starter_set folder of the mini facade data, which holds
#                train/ and test_dev/ (default: shared/data/mini-facade/starter_set
#                in the folder above the checkout, found from this script)
#   OUT=DIR      where the outputs go (default out/facade in the checkout)
#   NET=FILE     network description (default examples/facade-unet-small.net)
#   SIZE=S       photos resized to SxS, as the network's input line says (default 128)
#   EPOCHS=N     (default 20)
#   BATCH=N      (default 8)
#   TRAIN_OPTS   more nn-train options, e.g. TRAIN_OPTS="--keep-best"
#   PREDICT_OPTS more nn-predict options, e.g. PREDICT_OPTS="--tta flip"
#   ESTIMATE=1   first time three training steps of BATCH images and one validation
#                here, with the run's own network and settings, and say how long the
#                whole training will take (the default); 0: skip; only: stop after it
#
#   examples/facade.sh                                    # the CPU recipe: a small U-Net at 128x128
#   DATA=~/data/starter_set examples/facade.sh            # the data elsewhere
#   NET=examples/facade.net SIZE=256 BATCH=16 examples/facade.sh   # the write-up's network (a GPU's work)
#   NET=examples/facade-unet.net SIZE=256 EPOCHS=60 BATCH=16 examples/facade.sh
#
# The commands are recorded in $OUT/commands.sh for the report.
set -eu
case ${1:-} in
-h | --help)
	sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
if [ $# -gt 0 ]; then
	echo "facade.sh: unexpected argument '$1': settings are environment variables, e.g. DATA=DIR examples/facade.sh (see --help)" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
data=${DATA:-$root/../shared/data/mini-facade/starter_set}
out=${OUT:-$root/out/facade}
size=${SIZE:-128}
net=${NET:-$root/examples/facade-unet-small.net}
epochs=${EPOCHS:-20}
batch=${BATCH:-8}
estimate=${ESTIMATE:-1}
log_every=50

if [ ! -d "$data/train" ] || [ ! -d "$data/test_dev" ]; then
	echo "facade.sh: $data: not the mini facade data (no train and test_dev folders there); set DATA to its starter_set folder, e.g. DATA=/path/to/starter_set examples/facade.sh" >&2
	exit 1
fi
mkdir -p "$out"

# the command that remakes this run, for the report
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), in $(q "$(pwd)")"
	echo "DATA=$(q "$data") OUT=$(q "$out") NET=$(q "$net") SIZE=$size EPOCHS=$epochs BATCH=$batch" \
		"TRAIN_OPTS=$(q "${TRAIN_OPTS:-}") PREDICT_OPTS=$(q "${PREDICT_OPTS:-}") ESTIMATE=$estimate $(q "$0")"
} >"$out/commands.sh"

ds-load facade "$data" --split train --size "$size" -o "$out/train-all.npy"
ds-split --seed 1 --take 0.9 -o "$out/train.npy" -r "$out/val.npy" "$out/train-all.npy"
rm -f "$out/train-all.npy"
ds-load facade "$data" --split test_dev --size "$size" -o "$out/test.npy"

# The training's own settings, for the run and for its estimate.
recipe="--opt adam --lr 1e-3 --wd 1e-5 --sched cosine --augment flip,crop=0.7 --seed 1"

# How long the training will take here, measured on what the run will do:
# three steps of the run's own batch size, network and settings, timed by
# nn-train itself (the seconds column of its log; the first step pays for
# setting up, the faster of the other two is taken: a step slowed by other
# work on the machine is not the run's pace), and one validation of
# BATCH images; then scaled to the run's steps and to its validations (at
# each log point and epoch end, over the whole validation set).
if [ "$estimate" != 0 ]; then
	ntrain=$(ds-split --info "$out/train.npy" | awk '$1 == "samples" { print $2 }')
	nval=$(ds-split --info "$out/val.npy" | awk '$1 == "samples" { print $2 }')
	b=$((batch < ntrain ? batch : ntrain))
	nv=$((batch < nval ? batch : nval))
	tmp=$out/estimate
	mkdir -p "$tmp"
	ds-split --take $((3 * b < ntrain ? 3 * b : ntrain)) -o "$tmp/steps.npy" -r /dev/null "$out/train.npy" 2>/dev/null
	ds-split --take "$nv" -o "$tmp/val.npy" -r /dev/null "$out/val.npy" 2>/dev/null
	# shellcheck disable=SC2086
	nn-train "$net" $recipe ${TRAIN_OPTS:-} --epochs 1 --batch "$b" --log-every 1 --val "$tmp/val.npy" \
		--val-every 1000000000 --log "$tmp/steps.tsv" -q -o "$tmp/model.safetensors" "$tmp/steps.npy" \
		2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	device=$(LC_ALL=C sed -n 's/.*\\"device\\":\\"\([a-z]*\)\\".*/\1/p' "$tmp/model.safetensors" | head -n 1)
	awk -F '\t' -v ntrain="$ntrain" -v nval="$nval" -v nv="$nv" -v epochs="$epochs" -v batch="$batch" \
		-v every="$log_every" -v size="$size" -v net="$(basename "$net")" -v device="$device" -v threads="$(nproc)" '
	function hms(s) { s = int(s + 0.5); return sprintf("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) }
	$3 == "train" { t[++k] = $7 }
	$3 == "val" { v = $7 - t[k] }
	END {
		a = t[2] - t[1]; b = t[3] - t[2]
		step = k >= 3 ? (a < b ? a : b) : t[k]
		spe = int((ntrain + batch - 1) / batch)
		vals = 0
		for (s = 1; s <= spe * epochs; s++)
			vals += s % every == 0 || s % spe == 0
		train = step * spe * epochs
		val = v / nv * nval * vals
		printf "facade.sh: estimate for %s at %dx%d, %d epochs of %d images in batches of %d: about %s here " \
			"(%s training, %s for %d validations of %d images), from steps of %d images timed at %.3f s and a " \
			"validation of %d at %.3f s on the %s%s\n",
			net, size, size, epochs, ntrain, batch, hms(train + val), hms(train), hms(val), vals, nval, batch, step,
			nv, v, device == "cpu" ? "CPU" : "GPU", device == "cpu" ? " with " threads " threads" : ""
	}' "$tmp/steps.tsv" >&2
	rm -rf "$tmp"
	if [ "$estimate" = only ]; then
		exit 0
	fi
fi

# shellcheck disable=SC2086
nn-train "$net" --epochs "$epochs" --batch "$batch" $recipe --log-every "$log_every" --val "$out/val.npy" --log "$out/seg.tsv" \
	-o "$out/facade.safetensors" ${TRAIN_OPTS:-} "$out/train.npy"

# shellcheck disable=SC2086
nn-predict ${PREDICT_OPTS:-} "$out/facade.safetensors" < "$out/test.npy" > "$out/test-pred.npy"
echo "== test_dev ($out/test-pred.npy)"
ap-score "$out/test-pred.npy" | tee "$out/test-score.txt"

if command -v seg-colour >/dev/null 2>&1; then
	seg-colour --data "$out/test.npy" --pred "$out/test-pred.npy" --triplet --legend --index 0,1,2,3,4,5 \
		-o "$out/triplets"
	echo "triplets (input | output | ground truth, a legend under each) in $out/triplets"
fi

#!/bin/sh
# Data parallelism on one machine: nn-train as 1 rank with 2 threads against
# 2 ranks (mpirun) with 1 thread each, alternately, on
#  - the course network (examples/fashion-mnist.net), batch 64, Fashion-MNIST;
#  - the small U-Net (examples/facade-unet-small.net), batch 8, facade photos
#    at 128x128.
# Images/s between the log point after the warm-up steps and the end (from
# the metrics log); for 2 ranks also nn-train's own account of a step: its
# milliseconds, those spent summing across ranks (gradients, loss sums) and
# those spent waiting at the sums for the slower rank.
#   bench/scale-out.sh [REPEATS]   (default 3)
# Prints a table with every run's figures and the medians.
set -eu
# OpenBLAS picks its own kernels (nn-train(1), ENVIRONMENT), whatever the
# calling shell forces, as in bench/cpu-train.sh
unset OPENBLAS_CORETYPE
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PATH=$root/bin:$PATH
export OMP_WAIT_POLICY=passive
MP="mpirun -q --allow-run-as-root --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none"

fm=$root/../shared/data/fashion-mnist
[ -f "$fm/train-images-idx3-ubyte.gz" ] || fm=/usr/share/datasets/fashion-mnist
facade=$root/../shared/data/mini-facade/starter_set
# name net batch warm-up timed-steps data
ds-load fashion-mnist "$fm" --split train --limit $((64 * 45)) -o "$tmp/fm.npy" 2>/dev/null
ds-load facade "$facade" --split train --size 128 --limit $((8 * 23)) -o "$tmp/unet.npy" 2>/dev/null
set -- "fashion-mnist.net 64 5 $tmp/fm.npy" "facade-unet-small.net 8 3 $tmp/unet.npy"

# run LAUNCH THREADS NET BATCH WARMUP DATA: prints "img/s step_ms sum_ms wait_ms"
run() {
	$1 nn-train "$root/examples/$3" --epochs 1 --batch "$4" --log-every "$5" --threads "$2" \
		--log "$tmp/log" -o "$tmp/m.safetensors" "$6" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	ips=$(awk -v b="$4" -v w="$5" '$3 == "train" && $1 == w { s0 = $7 } $3 == "train" { s = $1; t = $7 }
		END { printf "%.1f", (s - w) * b / (t - s0) }' "$tmp/log")
	ms=$(sed -n 's/.*a step took \([0-9.]*\) ms, of which \([0-9.]*\) ms summing.* and \([0-9.]*\) ms waiting.*/\1 \2 \3/p' \
		"$tmp/err")
	echo "$ips ${ms:-- - -}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "| network | batch | 1 rank x 2 threads img/s | 2 ranks x 1 thread img/s | 2 ranks: step ms | summing ms | waiting ms |"
echo "|---|---|---|---|---|---|---|"
for spec in "$@"; do
	set -- $spec
	: >"$tmp/one"
	: >"$tmp/two"
	for _ in $(seq "$reps"); do
		run "" 2 "$1" "$2" "$3" "$4" >>"$tmp/one"
		run "$MP -np 2" 1 "$1" "$2" "$3" "$4" >>"$tmp/two"
	done
	col() { awk -v c="$1" '{ printf "%s%s", sep, $c; sep = ", " }' "$2"; }
	med() { awk -v c="$1" '{ print $c }' "$2" | median; }
	echo "| $1 | $2 | $(col 1 "$tmp/one") (median $(med 1 "$tmp/one")) |" \
		"$(col 1 "$tmp/two") (median $(med 1 "$tmp/two")) |" \
		"$(med 2 "$tmp/two") | $(med 3 "$tmp/two") | $(med 4 "$tmp/two") |"
done

#!/bin/sh
# OpenBLAS (what nnpipe opens) against BLIS for nnpipe's training, the same
# binaries with Debian's BLIS opened instead (NN_BLAS: its cblas_sgemm takes
# the place of OpenBLAS's; single-threaded inside nnpipe's own threads, as
# OpenBLAS is), alternating, on three networks: the course net (12,800
# Fashion-MNIST images), the facade course net at 64x64 (48 photos) and the
# small U-Net at 128x128 (240 photos); wall and user CPU seconds of the
# whole process. Needs libblis-dev (not a dependency of nnpipe).
#   bench/blas.sh [REPEATS]   (default 2)
set -eu
# OpenBLAS picks its own kernels (nn-train(1), ENVIRONMENT), whatever the
# calling shell forces, as in bench/cpu-train.sh
unset OPENBLAS_CORETYPE
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-2}
blis=$(ls /usr/lib/x86_64-linux-gnu/libblis.so.4 2>/dev/null) || { echo "bench/blas.sh: no libblis.so.4 (apt-get install libblis-dev)" >&2; exit 1; }
data=$root/../shared/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$root/bin
"$bin/ds-load" fashion-mnist "$data/fashion-mnist" --split train --limit 12800 -o "$tmp/fm.npy" 2>/dev/null
"$bin/ds-load" facade "$data/mini-facade/starter_set" --split train --size 64 --limit 48 -o "$tmp/f64.npy" 2>/dev/null
"$bin/ds-load" facade "$data/mini-facade/starter_set" --split train --size 128 --limit 240 -o "$tmp/f128.npy" 2>/dev/null
sed 's/^input 3 256 256/input 3 64 64/' "$root/examples/facade.net" >"$tmp/facade64.net"
echo "| network | library | wall s | user s | final training loss |"
echo "|---|---|---|---|---|"
for i in $(seq "$reps"); do
	for case in "course $root/examples/fashion-mnist.net 64 $tmp/fm.npy" "facade64 $tmp/facade64.net 8 $tmp/f64.npy" \
		"unet128 $root/examples/facade-unet-small.net 8 $tmp/f128.npy"; do
		set -- $case
		for lib in OpenBLAS BLIS; do
			pre=; [ $lib = BLIS ] && pre=$blis
			/usr/bin/time -f "%e %U" -o "$tmp/t" env NN_BLAS="$pre" BLIS_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
				"$bin/nn-train" -q "$2" --epochs 1 --batch "$3" --threads 2 --log-every 10 --log "$tmp/log" \
				-o "$tmp/m.st" "$4"
			loss=$(awk -F'\t' '$3 == "train" { l = $4 } END { print l }' "$tmp/log")
			echo "| $1 | $lib | $(cut -d' ' -f1 "$tmp/t") | $(cut -d' ' -f2 "$tmp/t") | $loss |"
		done
	done
done

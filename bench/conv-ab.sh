#!/bin/sh
# nn-train and nn-predict on the facade course network with --conv gemm
# against --conv auto (Winograd's route on its 5x5 convolutions of 32
# channels and more), alternating, at each size in $sizes, batch 8: training
# images/s between the log point after the warm-up steps and the end (as
# cpu-facade.sh), and nn-predict's in-loop images/s.
#   bench/conv-ab.sh [REPEATS] [THREADS]   (defaults: 3 repeats, 2 threads)
# Prints the table and appends it, with the machine, its load and the
# commands, to bench/winograd.md. Needs the mini facade data beside the checkout.
set -eu
# OpenBLAS picks its own kernels (nn-train(1), ENVIRONMENT), whatever the
# calling shell forces, as in bench/cpu-train.sh
unset OPENBLAS_CORETYPE
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
threads=${2:-2}
batch=8
sizes="64 128"
data=$root/../shared/data/mini-facade/starter_set
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
steps_for() {
	case $1 in
	64) w=2 n=6 ;;
	128) w=1 n=4 ;;
	esac
}
for s in $sizes; do
	sed "s/^input 3 256 256/input 3 $s $s/" "$root/examples/facade.net" >"$tmp/facade$s.net"
	steps_for "$s"
	"$root/bin/ds-load" facade "$data" --split train --size "$s" --limit $((batch * (w + n))) -o "$tmp/f$s.npy" 2>/dev/null
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
while [ $i -lt "$reps" ]; do
	for s in $sizes; do
		steps_for "$s"
		for conv in gemm auto; do
			"$root/bin/nn-train" "$tmp/facade$s.net" --epochs 1 --batch $batch --opt adam --lr 1e-3 --wd 1e-5 \
				--class-weights 1,1,5,1,1 --conv $conv --threads "$threads" --log-every "$w" \
				--log "$tmp/log.tsv" -q -o "$tmp/model.safetensors" "$tmp/f$s.npy"
			awk -F'\t' -v b=$batch -v w="$w" '$3 == "train" { s[$1] = $7 } END {
				n = 0; for (k in s) if (k + 0 > n) n = k + 0
				printf "%.2f\n", (n - w) * b / (s[n] - s[w]) }' "$tmp/log.tsv" >>"$tmp/$s.$conv.train"
			"$root/bin/nn-predict" --batch $batch --conv $conv --threads "$threads" "$tmp/model.safetensors" \
				"$tmp/f$s.npy" 2>"$tmp/err" >"$tmp/out.npy"
			sed -n 's/^nn-predict: \([0-9]*\) samples in \([0-9.]*\) s.*/\1 \2/p' "$tmp/err" |
				awk '{ printf "%.2f\n", $1 / $2 }' >>"$tmp/$s.$conv.infer"
		done
	done
	i=$((i + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
runs() { tr '\n' ' ' <"$1" | sed 's/ $//; s/ /, /g'; }
rows() {
	for s in $sizes; do
		for m in train infer; do
			g=$(median "$tmp/$s.gemm.$m") a=$(median "$tmp/$s.auto.$m")
			echo "| facade ${s}x$s $m | $g | $a | $(awk -v g="$g" -v a="$a" 'BEGIN { printf "%.2f", a / g }') | $(runs "$tmp/$s.gemm.$m") | $(runs "$tmp/$s.auto.$m") |"
		done
	done
}
report=$(cat <<EOT

## $(date -u +%Y-%m-%d) whole network: \`bench/conv-ab.sh $reps $threads\`, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); load average (1, 5, 15 min) $load0 before, $load1 after. Commands: \`nn-train facade.net --epochs 1 --batch $batch --opt adam --lr 1e-3 --wd 1e-5 --class-weights 1,1,5,1,1 --conv C --threads $threads --log-every W\` (examples/facade.net with its input line set to S; the first (W + N) x $batch photos of \`ds-load facade ../shared/data/mini-facade/starter_set --split train --size S\`; steps W + N: 64x64 2 + 6, 128x128 1 + 4; images/s from step W to the end) and \`nn-predict --batch $batch --conv C --threads $threads\` on the same photos (its "samples in S s" summary), C gemm then auto, $reps rounds.

| benchmark | gemm img/s | auto img/s | auto / gemm | gemm runs | auto runs |
|---|---|---|---|---|---|
$(rows)
EOT
)
echo "$report"
echo "$report" >>"$root/bench/winograd.md"

#!/bin/sh
# Facade segmentation throughput of nnpipe against PyTorch on the CPU, same
# networks, batch and threads, measured alternately in one run, with the peak
# resident memory of each process:
#  - the course network (examples/facade.net, the same network as
#    bench/torch_train.py's FACADE_NET) at each size in $sizes, batch 8:
#    training images/s (nn-train on real facade photos, between the log point
#    after the warm-up steps and the end, from its metrics log) and inference
#    images/s (nn-predict, by its own loop time and as a whole process),
#    against `bench/torch_train.py --facade --size S` (random tensors of the
#    same shape; its train row, then its infer row, from one process);
#  - the small U-Net recipe (examples/facade-unet-small.net, 128x128, batch
#    8): training images/s against PyTorch training the same .net on the same
#    data stream (bench/torch_train.py --net --data, per-pixel labels).
# Both train with Adam lr 1e-3; the course network also with weight decay
# 1e-5 and class weights 1,1,5,1,1, as torch_train.py --facade does. PyTorch
# runs twice per round: as installed, and at its best here (GLIBC_TUNABLES
# below, as in cpu-train.sh).
#   bench/cpu-facade.sh [REPEATS] [THREADS]   (defaults: 3 repeats, 2 threads)
# Prints a table and the median ratios; appends the result, with the machine
# and the commands, to bench/cpu-facade.md. Needs Debian's python3-torch and
# the mini facade data beside the checkout. The step counts below keep a round
# to a few minutes on 2 cores.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
threads=${2:-2}
batch=8
sizes="64 128"
# steps_for S: the course network's untimed warm-up steps w and timed steps n
# at size S (the same counts of batches for inference)
steps_for() {
	case $1 in
	64) w=2 n=6 ;;
	128) w=1 n=4 ;;
	*) echo "cpu-facade.sh: no step counts for size $1" >&2 && exit 1 ;;
	esac
}
# the U-Net
unet_warmup=5 unet_steps=30
data=$root/../shared/data/mini-facade/starter_set
unet=$root/examples/facade-unet-small.net
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

TUNED=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824

# try LOG CMD...: CMD with its standard error to LOG; on failure shows LOG and stops
try() {
	log=$1
	shift
	"$@" 2>"$log" || {
		cat "$log" >&2
		echo "cpu-facade.sh: failed: $*" >&2
		exit 1
	}
}

# peak resident memory of the last run, in MB
peak_mb() { awk '{ printf "%.0f\n", $NF / 1024 }' "$tmp/time"; }

# nn_train NET DATA WARMUP [OPTIONS...]: img/s MB; images/s between the log
# point at step WARMUP and the last one
nn_train() {
	net=$1 stream=$2 warm=$3
	shift 3
	try "$tmp/nn.err" /usr/bin/time -o "$tmp/time" -f %M "$root/bin/nn-train" "$net" --epochs 1 --batch $batch \
		--opt adam --lr 1e-3 "$@" --threads "$threads" --log-every "$warm" --log "$tmp/log.tsv" -q \
		-o "$tmp/model.safetensors" "$stream"
	awk -F'\t' -v b=$batch -v w="$warm" '$3 == "train" { s[$1] = $7 } END {
		n = 0; for (k in s) if (k + 0 > n) n = k + 0
		printf "%.1f\n", (n - w) * b / (s[n] - s[w]) }' "$tmp/log.tsv" | tr '\n' ' '
	peak_mb
}

# nn_predict DATA N LOOPFILE WHOLEFILE: appends "img/s MB" from nn-predict's
# own loop time to LOOPFILE and from its wall time to WHOLEFILE, with the model
# the last nn_train wrote
nn_predict() {
	try "$tmp/nn.err" /usr/bin/time -o "$tmp/time" -f '%e %M' "$root/bin/nn-predict" --batch $batch \
		--threads "$threads" "$tmp/model.safetensors" "$1" >"$tmp/out.npy"
	mb=$(peak_mb)
	sed -n 's/^nn-predict: [0-9]* samples in \([0-9.]*\) s.*/\1/p' "$tmp/nn.err" |
		awk -v n="$2" -v mb="$mb" '{ printf "%.1f %s\n", n / $1, mb }' >>"$3"
	awk -v n="$2" -v mb="$mb" '{ printf "%.1f %s\n", n / $1, mb }' "$tmp/time" >>"$4"
}

# torch TUNABLES ARGS...: PyTorch's TSV rows to $tmp/torch.tsv, with OpenBLAS
# kept at one thread and GLIBC_TUNABLES=TUNABLES unless empty
torch() {
	t=$1
	shift
	try "$tmp/torch.err" env ${t:+GLIBC_TUNABLES=$t} OPENBLAS_NUM_THREADS=1 /usr/bin/time -o "$tmp/time" -f %M \
		/usr/bin/python3 "$root/bench/torch_train.py" "$@" --batch $batch --threads "$threads" >"$tmp/torch.tsv"
}
# torch_rate MODE: that row's images/s and the process's MB
torch_rate() { echo "$(awk -F'\t' -v m="$1" '$2 == m { print $NF }' "$tmp/torch.tsv") $(peak_mb)"; }

for s in $sizes; do
	sed "s/^input 3 256 256/input 3 $s $s/" "$root/examples/facade.net" >"$tmp/facade$s.net"
	steps_for "$s"
	"$root/bin/ds-load" facade "$data" --split train --size "$s" --limit $((batch * (w + n))) -o "$tmp/f$s.npy"
done
"$root/bin/ds-load" facade "$data" --split train --size 128 --limit $((batch * (unet_warmup + unet_steps))) -o "$tmp/funet.npy"
for f in $sizes unet; do
	for r in nn.train nn.loop nn.whole torch.train torch.infer best.train best.infer; do
		: >"$tmp/f$f.npy.$r"
	done
done

i=0
while [ $i -lt "$reps" ]; do
	for s in $sizes; do
		steps_for "$s"
		f=$tmp/f$s.npy
		nn_train "$tmp/facade$s.net" "$f" "$w" --wd 1e-5 --class-weights 1,1,5,1,1 >>"$f.nn.train"
		nn_predict "$f" $((batch * (w + n))) "$f.nn.loop" "$f.nn.whole"
		for who in torch best; do
			if [ $who = best ]; then t=$TUNED; else t=; fi
			torch "$t" --facade --size "$s" --steps "$n" --warmup "$w"
			torch_rate train >>"$f.$who.train"
			torch_rate infer >>"$f.$who.infer"
		done
	done
	f=$tmp/funet.npy
	nn_train "$unet" "$f" $unet_warmup >>"$f.nn.train"
	torch "" --net "$unet" --data "$f" --steps $unet_steps --warmup $unet_warmup
	torch_rate train >>"$f.torch.train"
	torch "$TUNED" --net "$unet" --data "$f" --steps $unet_steps --warmup $unet_warmup
	torch_rate train >>"$f.best.train"
	i=$((i + 1))
done

# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# runs FILE: every run's img/s, in order
runs() { awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }' "$1"; }
# row LABEL NN BEST TORCH: medians and ratios; runs LABEL NN BEST TORCH: every run
row() {
	a=$(median "$2" 1) b=$(median "$3" 1) c=$(median "$4" 1)
	echo "| $1 | $a | $(median "$2" 2) | $b | $(median "$3" 2) | $c | $(median "$4" 2) |" \
		"$(awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN { printf "**%.2f** | %.2f |", a / b, a / c }')"
}
runrow() { echo "| $1 | $(runs "$2") | $(runs "$3") | $(runs "$4") |"; }
# table FUNCTION: one line per benchmark
table() {
	for s in $sizes; do
		f=$tmp/f$s.npy
		$1 "course ${s}x$s train" "$f.nn.train" "$f.best.train" "$f.torch.train"
		$1 "course ${s}x$s infer, in-loop" "$f.nn.loop" "$f.best.infer" "$f.torch.infer"
		$1 "course ${s}x$s infer, nn-predict whole process" "$f.nn.whole" "$f.best.infer" "$f.torch.infer"
	done
	$1 "U-Net 128x128 train" "$tmp/funet.npy.nn.train" "$tmp/funet.npy.best.train" "$tmp/funet.npy.torch.train"
}
blas=$(grep -m1 '^BLAS libraries mapped' "$tmp/torch.err" || echo 'BLAS: unknown')
counts=
for s in $sizes; do
	steps_for "$s"
	counts="$counts${counts:+, }${s}x$s $w + $n"
done

report=$(cat <<EOT

## $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); threads $threads, batch $batch, $reps alternating repeats; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}
Steps (warm-up + timed): course network $counts; U-Net $unet_warmup + $unet_steps. nnpipe trains and predicts on the first (warm-up + timed) x $batch photos of \`ds-load facade ../shared/data/mini-facade/starter_set --split train --size S\`.
Commands: \`nn-train facade.net --epochs 1 --batch $batch --opt adam --lr 1e-3 --wd 1e-5 --class-weights 1,1,5,1,1 --threads $threads --log-every W\` (examples/facade.net with its input line set to S; images/s from step W to the end), \`nn-predict --batch $batch --threads $threads model.safetensors data.npy > out.npy\` (in-loop: its "samples in S s" summary, the first batch included; whole process: images / wall seconds), \`OPENBLAS_NUM_THREADS=1 bench/torch_train.py --facade --size S --steps N --warmup W --batch $batch --threads $threads\` (random tensors; train and infer rows from one process), \`nn-train examples/facade-unet-small.net --epochs 1 --batch $batch --opt adam --lr 1e-3 --threads $threads --log-every $unet_warmup\` and \`OPENBLAS_NUM_THREADS=1 bench/torch_train.py --net examples/facade-unet-small.net --data unet.npy --steps $unet_steps --warmup $unet_warmup --batch $batch --threads $threads\`; PyTorch as installed and at its best (\`GLIBC_TUNABLES=$TUNED\`); peak resident memory from \`/usr/bin/time -f %M\` (PyTorch's facade rows: one process for train and infer)
PyTorch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'); $blas

Medians (images/s and MB); the infer rows compare with PyTorch's in-loop figure:

| benchmark | nnpipe img/s | MB | PyTorch best img/s | MB | PyTorch as installed img/s | MB | nnpipe / best | nnpipe / installed |
|---|---|---|---|---|---|---|---|---|
$(table row)

Every run, in order (images/s):

| benchmark | nnpipe | PyTorch best | PyTorch as installed |
|---|---|---|---|
$(table runrow)
EOT
)
echo "$report"
echo "$report" >>"$root/bench/cpu-facade.md"

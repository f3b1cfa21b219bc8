#!/bin/sh
# Facade segmentation throughput of nnpipe against PyTorch on the CPU, same
# networks, batch and threads, measured alternately in one run, with the peak
# resident memory of each process:
#  - the course network (examples/facade.net) at each size in $sizes, batch 8:
#    training images/s (nn-train on real facade photos, between the log point
#    after the warm-up steps and the end, from its metrics log) and inference
#    images/s (nn-predict, by its own loop time and as a whole process),
#    against the lean reference loop ../shared/bench/torch_facade.py (random
#    tensors of the same shape; its train and infer rates from one process);
#  - the small U-Net recipe (examples/facade-unet-small.net, 128x128, batch
#    8): training images/s against PyTorch training the same .net on the same
#    data stream (bench/torch_train.py --net --data, per-pixel labels).
# Both train with Adam lr 1e-3; the course network with weight decay 1e-5
# (nnpipe also with class weights 1,1,5,1,1, which torch_facade.py lacks).
# PyTorch runs at its best here (../shared/bench/README.txt: OpenBLAS at one
# thread, GLIBC_TUNABLES below) in each of its variants: Debian's
# python3-torch, and where a virtual environment with PyPI's newest torch is
# found ($TORCH_VENV, default bench/.venv, git-ignored: python3 -m venv
# bench/.venv && bench/.venv/bin/pip install torch numpy) that one eager and
# torch.compile'd (its compile steps in an untimed warm-up). The ratio counts
# against the fastest variant's median.
#   bench/cpu-facade.sh [REPEATS] [THREADS]   (defaults: 3 repeats, 2 threads)
# Prints a table and the median ratios; appends the result, with the machine,
# its load and the commands, to bench/cpu-facade.md. Needs Debian's
# python3-torch and the mini facade data beside the checkout.
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
# each program's OpenBLAS picks its kernels (nn-train(1), ENVIRONMENT),
# whatever the calling shell forces
coretype=${OPENBLAS_CORETYPE:-unset}
unset OPENBLAS_CORETYPE

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
	try "$tmp/nn.err" env OPENBLAS_VERBOSE=2 /usr/bin/time -o "$tmp/time" -f %M "$root/bin/nn-train" "$net" --epochs 1 --batch $batch \
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
	try "$tmp/nn.err" env OPENBLAS_VERBOSE=2 /usr/bin/time -o "$tmp/time" -f '%e %M' "$root/bin/nn-predict" --batch $batch \
		--threads "$threads" "$tmp/model.safetensors" "$1" >"$tmp/out.npy"
	mb=$(peak_mb)
	sed -n 's/^nn-predict: [0-9]* samples in \([0-9.]*\) s.*/\1/p' "$tmp/nn.err" |
		awk -v n="$2" -v mb="$mb" '{ printf "%.1f %s\n", n / $1, mb }' >>"$3"
	awk -v n="$2" -v mb="$mb" '{ printf "%.1f %s\n", n / $1, mb }' "$tmp/time" >>"$4"
}

venv=${TORCH_VENV:-$root/bench/.venv}
tfacade_py=$root/../shared/bench/torch_facade.py
variants=debian
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null; then
	variants="debian pypi pypi-compile"
fi
# python_of VARIANT: its interpreter
python_of() { case $1 in debian) echo /usr/bin/python3 ;; *) echo "$venv/bin/python" ;; esac; }

# tfacade VARIANT S W N: "train-img/s infer-img/s MB" of torch_facade.py at
# its best; a compiled model gets 2 more warm-up steps for its compiling
tfacade() {
	py=$(python_of "$1") c= wu=$3
	if [ "$1" = pypi-compile ]; then c=--compile wu=$(($3 + 2)); fi
	try "$tmp/torch.err" env GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 /usr/bin/time -o "$tmp/time" -f %M \
		"$py" "$tfacade_py" --size "$2" --batch $batch --threads "$threads" --blas-threads 1 --steps "$4" \
		--infer-steps "$4" --warmup "$wu" --quiet $c >"$tmp/torch.json"
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["train_images_per_s"], d["infer_images_per_s"], end=" ")' "$tmp/torch.json"
	peak_mb
}

# tunet VARIANT: "train-img/s MB" of torch_train.py on the U-Net at its best
tunet() {
	try "$tmp/torch.err" env GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 /usr/bin/time -o "$tmp/time" -f %M \
		"$(python_of "$1")" "$root/bench/torch_train.py" --net "$unet" --data "$tmp/funet.npy" --steps $unet_steps \
		--warmup $unet_warmup --batch $batch --threads "$threads" >"$tmp/torch.tsv"
	echo "$(awk -F'\t' '$2 == "train" { print $NF }' "$tmp/torch.tsv") $(peak_mb)"
}

for s in $sizes; do
	sed "s/^input 3 256 256/input 3 $s $s/" "$root/examples/facade.net" >"$tmp/facade$s.net"
	steps_for "$s"
	"$root/bin/ds-load" facade "$data" --split train --size "$s" --limit $((batch * (w + n))) -o "$tmp/f$s.npy"
done
"$root/bin/ds-load" facade "$data" --split train --size 128 --limit $((batch * (unet_warmup + unet_steps))) -o "$tmp/funet.npy"
for f in $sizes unet; do
	for r in nn.train nn.loop nn.whole $variants; do
		: >"$tmp/f$f.npy.$r"
	done
done

load0=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
while [ $i -lt "$reps" ]; do
	for s in $sizes; do
		steps_for "$s"
		f=$tmp/f$s.npy
		nn_train "$tmp/facade$s.net" "$f" "$w" --wd 1e-5 --class-weights 1,1,5,1,1 >>"$f.nn.train"
		nn_predict "$f" $((batch * (w + n))) "$f.nn.loop" "$f.nn.whole"
		for v in $variants; do
			tfacade "$v" "$s" "$w" "$n" >>"$f.$v"
		done
	done
	f=$tmp/funet.npy
	nn_train "$unet" "$f" $unet_warmup >>"$f.nn.train"
	for v in $variants; do
		[ "$v" = pypi-compile ] || tunet "$v" >>"$f.$v"
	done
	i=$((i + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# runs FILE COLUMN: every run's img/s, in order
runs() { awk -v c="$2" '{ printf "%s%s", (NR > 1 ? ", " : ""), $c }' "$1"; }
# row LABEL NNFILE TORCHBASE COLUMN MBCOLUMN: nnpipe's median and MB, each
# variant's median img/s (and MB), and nnpipe over the fastest; a variant
# without a file (the compiled model on the U-Net) shows -
row() {
	a=$(median "$2" 1) line="| $1 | $a | $(median "$2" 2) |" best=0
	for v in $variants; do
		if [ -s "$3.$v" ]; then
			m=$(median "$3.$v" "$4")
			line="$line $m ($(median "$3.$v" "$5") MB) |"
			best=$(awk -v m="$m" -v b="$best" 'BEGIN { print (m > b) ? m : b }')
		else
			line="$line - |"
		fi
	done
	echo "$line $(awk -v a="$a" -v b="$best" 'BEGIN { printf "**%.2f**", a / b }') |"
}
runrow() {
	line="| $1 | $(runs "$2" 1) |"
	for v in $variants; do
		if [ -s "$3.$v" ]; then line="$line $(runs "$3.$v" "$4") |"; else line="$line - |"; fi
	done
	echo "$line"
}
# table FUNCTION: one line per benchmark
table() {
	for s in $sizes; do
		f=$tmp/f$s.npy
		$1 "course ${s}x$s train" "$f.nn.train" "$f" 1 3
		$1 "course ${s}x$s infer, in-loop" "$f.nn.loop" "$f" 2 3
		$1 "course ${s}x$s infer, nn-predict whole process" "$f.nn.whole" "$f" 2 3
	done
	$1 "U-Net 128x128 train" "$tmp/funet.npy.nn.train" "$tmp/funet.npy" 1 2
}
heads() { for v in $variants; do printf ' PyTorch %s img/s |' "$v"; done; }
rules() { for v in $variants; do printf '%s' '---|'; done; }
versions() {
	for v in $variants; do
		[ "$v" = pypi-compile ] || printf '%s %s; ' "$v" "$("$(python_of "$v")" -c 'import torch; print(torch.__version__)')"
	done
}
counts=
for s in $sizes; do
	steps_for "$s"
	counts="$counts${counts:+, }${s}x$s $w + $n"
done

report=$(cat <<EOT

## $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); threads $threads, batch $batch, $reps alternating repeats; load average (1, 5, 15 min) $load0 before, $load1 after (the machine is shared); OPENBLAS_CORETYPE=$coretype in the calling shell, unset for the runs; nnpipe's OpenBLAS kernels: $(sed -n 's/^Core: //p' "$tmp/nn.err" | head -1)
Steps (warm-up + timed): course network $counts (a compiled model 2 more warm-up steps); U-Net $unet_warmup + $unet_steps. nnpipe trains and predicts on the first (warm-up + timed) x $batch photos of \`ds-load facade ../shared/data/mini-facade/starter_set --split train --size S\`.
Commands: \`nn-train facade.net --epochs 1 --batch $batch --opt adam --lr 1e-3 --wd 1e-5 --class-weights 1,1,5,1,1 --threads $threads --log-every W\` (examples/facade.net with its input line set to S; --conv auto; images/s from step W to the end), \`nn-predict --batch $batch --threads $threads model.safetensors data.npy > out.npy\` (in-loop: its "samples in S s" summary, the first batch included; whole process: images / wall seconds), \`GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 PYTHON ../shared/bench/torch_facade.py --size S --batch $batch --threads $threads --blas-threads 1 --steps N --infer-steps N --warmup W --quiet [--compile]\` (random tensors; train and infer rates from one process), \`nn-train examples/facade-unet-small.net --epochs 1 --batch $batch --opt adam --lr 1e-3 --threads $threads --log-every $unet_warmup\` and \`GLIBC_TUNABLES=... OPENBLAS_NUM_THREADS=1 PYTHON bench/torch_train.py --net examples/facade-unet-small.net --data unet.npy --steps $unet_steps --warmup $unet_warmup --batch $batch --threads $threads\`; peak resident memory from \`/usr/bin/time -f %M\`
PyTorch: $(versions)PYTHON /usr/bin/python3 (debian) or $venv/bin/python (pypi)

Medians (images/s and MB); the infer rows compare with PyTorch's in-loop figure; the ratio is nnpipe over the fastest PyTorch variant:

| benchmark | nnpipe img/s | MB |$(heads) nnpipe / fastest |
|---|---|---|$(rules)---|
$(table row)

Every run, in order (images/s):

| benchmark | nnpipe |$(heads)
|---|---|$(rules)
$(table runrow)
EOT
)
echo "$report"
echo "$report" >>"$root/bench/cpu-facade.md"

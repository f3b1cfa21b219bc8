#!/bin/sh
# Inference throughput of nn-predict against PyTorch at its best on the CPU:
# the Fashion-MNIST course network over the 10,000 test images, the same
# threads, measured alternately in one run, with the peak resident memory of
# each process. nn-predict (batch 256, its default) is timed as a whole
# process, from the stream in to the stream out (model and data read,
# predictions written), and by its own loop time (the "N samples in S s"
# summary: batches, softmax, writing; after the model and the data are read).
# PyTorch (bench/torch_train.py --infer, batch 256, the softmax included) is
# timed both ways too: its in-loop images/s on the data already in memory and
# normalised, after 10 untimed batches, and its whole process, Python's start
# and torch's import included. PyTorch runs at its best here
# (../shared/bench/README.txt: OpenBLAS at one thread, GLIBC_TUNABLES below)
# in each of its variants: Debian's python3-torch (/usr/bin/python3), and
# where a virtual environment with PyPI's newest torch is found ($TORCH_VENV,
# default bench/.venv, git-ignored: python3 -m venv bench/.venv &&
# bench/.venv/bin/pip install torch numpy) that one eager and
# torch.compile'd (--compile: compiled in the untimed warm-up, the last,
# partial batch's shape too; its whole process includes the compiling).
# One more in-loop figure per eager torch: the evaluation loop of the lean
# reference ../shared/bench/torch_fmnist.py (evaluate(): batch 1000, no
# softmax, the network written out; its test_images_per_s), leaner than
# torch_train.py --infer. It only comes after training, so the run trains
# 30 steps first (--limit-steps) and only its in-loop rate counts;
# its first batch is not warmed up, and a compiled model would be compiled
# again inside it (eval mode, no_grad, a new shape), so there is no compiled
# figure of it. The in-loop ratio counts against the fastest in-loop
# variant, the whole-process ratio against the fastest whole process.
#   bench/cpu-infer.sh [REPEATS] [THREADS]   (defaults: 3 repeats, 2 threads)
# The model is trained once at the start with a short nn-train run (its
# accuracy does not matter). Prints a table and the median ratios; appends the
# result, with the machine, its load and the commands, to bench/cpu-infer.md.
# Needs Debian's python3-torch and the Fashion-MNIST files in
# ../shared/data/fashion-mnist.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
threads=${2:-2}
batch=256          # nn-predict's default; torch_train.py gets the same
warmup=10          # torch_train.py's untimed batches before its timed pass
train_steps=100    # the short training run that makes the model
eval_steps=30      # torch_fmnist.py's training steps before its evaluation
data=$root/../shared/data/fashion-mnist
net=$root/examples/fashion-mnist.net
tfmnist_py=$root/../shared/bench/torch_fmnist.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# each program's OpenBLAS picks its kernels (nn-train(1), ENVIRONMENT),
# whatever the calling shell forces
coretype=${OPENBLAS_CORETYPE:-unset}
unset OPENBLAS_CORETYPE

"$root/bin/ds-load" fashion-mnist "$data" --split test -o "$tmp/test.npy"
"$root/bin/ds-load" fashion-mnist "$data" --split train --limit $((64 * train_steps)) -o "$tmp/train.npy"
"$root/bin/nn-train" "$net" --epochs 1 --batch 64 --threads "$threads" -q -o "$tmp/model.safetensors" "$tmp/train.npy"
n=$("$root/bin/nn-predict" --threads "$threads" "$tmp/model.safetensors" "$tmp/test.npy" 2>&1 >/dev/null |
	sed -n 's/^nn-predict: \([0-9]*\) samples in .*/\1/p')
[ "$n" -gt 0 ]

TUNED=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824

# try LOG CMD...: CMD with its standard error to LOG; on failure shows LOG and stops
try() {
	log=$1
	shift
	"$@" 2>"$log" || {
		cat "$log" >&2
		echo "cpu-infer.sh: failed: $*" >&2
		exit 1
	}
}

# images/s from wall seconds, and the peak resident memory in MB, of the last
# run: /usr/bin/time's "%e %M" in $tmp/time
wall_rate() { awk -v n="$n" '{ printf "%.1f\n", n / $1 }' "$tmp/time"; }
peak_mb() { awk '{ printf "%.0f\n", $2 / 1024 }' "$tmp/time"; }

# nn_run: whole-process img/s, in-loop img/s, MB
nn_run() {
	try "$tmp/nn.err" env OPENBLAS_VERBOSE=2 /usr/bin/time -o "$tmp/time" -f '%e %M' "$root/bin/nn-predict" --batch $batch --threads "$threads" \
		"$tmp/model.safetensors" "$tmp/test.npy" >"$tmp/out.npy"
	loop=$(sed -n 's/^nn-predict: [0-9]* samples in \([0-9.]*\) s.*/\1/p' "$tmp/nn.err")
	echo "$(wall_rate) $(awk -v n="$n" -v s="$loop" 'BEGIN { printf "%.1f\n", n / s }') $(peak_mb)"
}

venv=${TORCH_VENV:-$root/bench/.venv}
variants="debian eval-debian"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null; then
	variants="debian pypi pypi-compile eval-debian eval-pypi"
fi
# python_of VARIANT: its interpreter
python_of() { case $1 in debian | eval-debian) echo /usr/bin/python3 ;; *) echo "$venv/bin/python" ;; esac; }

# torch_run VARIANT: whole-process img/s, in-loop img/s, MB of torch_train.py
# --infer at its best; for an eval-* variant "- in-loop-img/s -" of
# torch_fmnist.py's evaluation
torch_run() {
	py=$(python_of "$1")
	case $1 in
	eval-*)
		try "$tmp/torch.err" env GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 "$py" "$tfmnist_py" --data "$data" \
			--epochs 1 --limit-steps $eval_steps --quiet --threads "$threads" --blas-threads 1 >"$tmp/torch.json"
		/usr/bin/python3 -c 'import json, sys; print("-", json.load(open(sys.argv[1]))["test_images_per_s"], "-")' "$tmp/torch.json"
		return
		;;
	pypi-compile) c=--compile ;;
	*) c='' ;;
	esac
	# shellcheck disable=SC2086 # c: empty or one word
	try "$tmp/torch.err" env GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 /usr/bin/time -o "$tmp/time" -f '%e %M' "$py" \
		"$root/bench/torch_train.py" --infer --net "$net" --data "$tmp/test.npy" --batch $batch \
		--threads "$threads" --warmup $warmup $c >"$tmp/torch.tsv"
	if [ "$1" = debian ]; then cp "$tmp/torch.err" "$tmp/debian.err"; fi
	echo "$(wall_rate) $(awk -F'\t' '{ print $NF }' "$tmp/torch.tsv") $(peak_mb)"
}

: >"$tmp/nn"
for v in $variants; do : >"$tmp/t.$v"; done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
while [ $i -lt "$reps" ]; do
	nn_run >>"$tmp/nn"
	for v in $variants; do
		torch_run "$v" >>"$tmp/t.$v"
	done
	i=$((i + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# median FILE COLUMN ("-" for a column of "-")
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '$1 == "-" { d = 1 } { a[NR] = $1 } END { if (d) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ratio A B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# fastest COLUMN: "median variant" of the variant with the highest median in COLUMN
fastest() {
	for v in $variants; do echo "$(median "$tmp/t.$v" "$1") $v"; done | awk '$1 != "-"' | sort -g | tail -n 1
}
nn_wall=$(median "$tmp/nn" 1) nn_loop=$(median "$tmp/nn" 2)
best_wall=$(fastest 1 | cut -d' ' -f1) best_wall_v=$(fastest 1 | cut -d' ' -f2)
best_loop=$(fastest 2 | cut -d' ' -f1) best_loop_v=$(fastest 2 | cut -d' ' -f2)
heads() { for v in $variants; do printf ' PyTorch %s whole img/s | in-loop img/s | MB |' "$v"; done; }
rules() { for v in $variants; do printf '%s' '---|---|---|'; done; }
runrows() {
	i=1
	while [ $i -le "$reps" ]; do
		line="| $i | $(sed -n "${i}p" "$tmp/nn" | awk '{ print $1 " | " $2 " | " $3 }') |"
		for v in $variants; do
			line="$line $(sed -n "${i}p" "$tmp/t.$v" | awk '{ print $1 " | " $2 " | " $3 }') |"
		done
		echo "$line"
		i=$((i + 1))
	done
	line="| median | $nn_wall | $nn_loop | $(median "$tmp/nn" 3) |"
	for v in $variants; do
		line="$line $(median "$tmp/t.$v" 1) | $(median "$tmp/t.$v" 2) | $(median "$tmp/t.$v" 3) |"
	done
	echo "$line"
}
versions() {
	for v in $variants; do
		case $v in debian | pypi) printf '%s %s; ' "$v" "$("$(python_of "$v")" -c 'import torch; print(torch.__version__)')" ;; esac
	done
}
blas=$(grep -m1 '^BLAS libraries mapped' "$tmp/debian.err" || echo 'BLAS: unknown')

report=$(cat <<EOT

## $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); threads $threads, batch $batch (eval-*: 1000), $n test images, $reps alternating repeats; load average (1, 5, 15 min) $load0 before, $load1 after; OPENBLAS_CORETYPE=$coretype in the calling shell, unset for the runs; nn-predict's OpenBLAS kernels: $(sed -n 's/^Core: //p' "$tmp/nn.err" | head -1)
Model: \`nn-train examples/fashion-mnist.net --epochs 1 --batch 64 --threads $threads\` on the first $((64 * train_steps)) training images, once.
Commands: \`nn-predict --batch $batch --threads $threads model.safetensors test.npy > out.npy\` (whole process: $n / wall seconds; in-loop: its "samples in S s" summary), \`GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 PYTHON bench/torch_train.py --infer --net examples/fashion-mnist.net --data test.npy --batch $batch --threads $threads --warmup $warmup [--compile]\` (whole process: $n / wall seconds, Python's start, the import and any compiling included; in-loop: its row, one pass over the normalised data in memory after $warmup batches, and with --compile the partial batch, untimed) and, eval-*, \`GLIBC_TUNABLES=... OPENBLAS_NUM_THREADS=1 PYTHON ../shared/bench/torch_fmnist.py --data ../shared/data/fashion-mnist --epochs 1 --limit-steps $eval_steps --quiet --threads $threads --blas-threads 1\` (in-loop only: its test_images_per_s, the 10,000 test images in batches of 1000 after $eval_steps training steps, no softmax, the first batch not warmed up; no whole process or memory, as it trains first); wall and peak resident memory from \`/usr/bin/time -f '%e %M'\`
PyTorch: $(versions)PYTHON /usr/bin/python3 (debian) or $venv/bin/python (pypi); debian's $blas

| run | nn-predict whole img/s | in-loop img/s | MB |$(heads)
|---|---|---|---|$(rules)
$(runrows)

Ratios nn-predict / the fastest PyTorch: whole process **$(ratio "$nn_wall" "$best_wall")** (against $best_wall_v), in-loop **$(ratio "$nn_loop" "$best_loop")** (against $best_loop_v), nn-predict's whole process against the fastest PyTorch loop $(ratio "$nn_wall" "$best_loop")
EOT
)
echo "$report"
echo "$report" >>"$root/bench/cpu-infer.md"

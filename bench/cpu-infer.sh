#!/bin/sh
# Inference throughput of nn-predict against PyTorch on the CPU: the
# Fashion-MNIST course network over the 10,000 test images, same batch and
# threads, measured alternately in one run, with the peak resident memory of
# each process. nn-predict is timed as a whole process, from the stream in to
# the stream out (model and data read, predictions written), and by its own
# loop time (the "N samples in S s" summary: batches, softmax, writing; after
# the model and the data are read). PyTorch (bench/torch_train.py --infer) is
# timed both ways too: its in-loop images/s on the data already in memory and
# normalised, and its whole process, Python's start and torch's import
# included. PyTorch runs twice per round: as installed, and at its best here
# (GLIBC_TUNABLES below, as in cpu-train.sh).
#   bench/cpu-infer.sh [REPEATS] [THREADS]   (defaults: 3 repeats, 2 threads)
# The model is trained once at the start with a short nn-train run (its
# accuracy does not matter). Prints a table and the median ratios; appends the
# result, with the machine and the commands, to bench/cpu-infer.md. Needs
# Debian's python3-torch.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
threads=${2:-2}
batch=256          # nn-predict's default; PyTorch gets the same
warmup=10          # PyTorch's untimed batches before its timed pass
train_steps=100    # the short training run that makes the model
data=$root/../shared/data/fashion-mnist
net=$root/examples/fashion-mnist.net
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$root/bin/ds-load" fashion-mnist "$data" --split test -o "$tmp/test.npy"
"$root/bin/ds-load" fashion-mnist "$data" --split train --limit $((64 * train_steps)) -o "$tmp/train.npy"
"$root/bin/nn-train" "$net" --epochs 1 --batch 64 --threads "$threads" -q -o "$tmp/model.safetensors" "$tmp/train.npy"
n=$("$root/bin/nn-predict" --threads "$threads" "$tmp/model.safetensors" "$tmp/test.npy" 2>&1 >/dev/null |
	sed -n 's/^nn-predict: \([0-9]*\) samples in .*/\1/p')
[ "$n" -gt 0 ]

TUNED=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824

# fail LOG: shows a failed run's standard error and stops
fail() {
	cat "$1" >&2
	exit 1
}

# images/s from wall seconds, and the peak resident memory in MB, of the last
# run: /usr/bin/time's "%e %M" in $tmp/time
wall_rate() { awk -v n="$n" '{ printf "%.1f\n", n / $1 }' "$tmp/time"; }
peak_mb() { awk '{ printf "%.0f\n", $2 / 1024 }' "$tmp/time"; }

# nn_run: whole-process img/s, in-loop img/s, MB
nn_run() {
	/usr/bin/time -o "$tmp/time" -f '%e %M' "$root/bin/nn-predict" --batch $batch --threads "$threads" \
		"$tmp/model.safetensors" "$tmp/test.npy" >"$tmp/out.npy" 2>"$tmp/nn.err" || fail "$tmp/nn.err"
	loop=$(sed -n 's/^nn-predict: [0-9]* samples in \([0-9.]*\) s.*/\1/p' "$tmp/nn.err")
	echo "$(wall_rate) $(awk -v n="$n" -v s="$loop" 'BEGIN { printf "%.1f\n", n / s }') $(peak_mb)"
}

# torch_run [TUNABLES]: whole-process img/s, in-loop img/s, MB; PyTorch with
# OpenBLAS kept at one thread, GLIBC_TUNABLES=TUNABLES when given
torch_run() {
	env ${1:+GLIBC_TUNABLES=$1} OPENBLAS_NUM_THREADS=1 /usr/bin/time -o "$tmp/time" -f '%e %M' /usr/bin/python3 \
		"$root/bench/torch_train.py" --infer --net "$net" --data "$tmp/test.npy" --batch $batch \
		--threads "$threads" --warmup $warmup >"$tmp/torch.tsv" 2>"$tmp/torch.err" || fail "$tmp/torch.err"
	echo "$(wall_rate) $(awk -F'\t' '{ print $NF }' "$tmp/torch.tsv") $(peak_mb)"
}

: >"$tmp/nn"
: >"$tmp/torch"
: >"$tmp/best"
i=0
while [ $i -lt "$reps" ]; do
	nn_run >>"$tmp/nn"
	torch_run >>"$tmp/torch"
	torch_run "$TUNED" >>"$tmp/best"
	i=$((i + 1))
done
# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ratio A B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
nn_wall=$(median "$tmp/nn" 1) nn_loop=$(median "$tmp/nn" 2) nn_mb=$(median "$tmp/nn" 3)
best_wall=$(median "$tmp/best" 1) best_loop=$(median "$tmp/best" 2) best_mb=$(median "$tmp/best" 3)
torch_wall=$(median "$tmp/torch" 1) torch_loop=$(median "$tmp/torch" 2) torch_mb=$(median "$tmp/torch" 3)
blas=$(grep -m1 '^BLAS libraries mapped' "$tmp/torch.err" || echo 'BLAS: unknown')

report=$(cat <<EOT

## $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); threads $threads, batch $batch, $n test images, $reps alternating repeats; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}
Model: \`nn-train examples/fashion-mnist.net --epochs 1 --batch 64 --threads $threads\` on the first $((64 * train_steps)) training images, once.
Commands: \`nn-predict --batch $batch --threads $threads model.safetensors test.npy > out.npy\` (whole process: $n / wall seconds; in-loop: its "samples in S s" summary) and \`OPENBLAS_NUM_THREADS=1 bench/torch_train.py --infer --net examples/fashion-mnist.net --data test.npy --batch $batch --threads $threads --warmup $warmup\` (whole process: $n / wall seconds, Python's start included; in-loop: its row, one pass over the normalised data in memory after $warmup batches), as installed and at its best (\`GLIBC_TUNABLES=$TUNED\`); wall and peak resident memory from \`/usr/bin/time -f '%e %M'\`
PyTorch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'); $blas

| run | nn-predict whole img/s | in-loop img/s | MB | PyTorch best whole img/s | in-loop img/s | MB | PyTorch as installed whole img/s | in-loop img/s | MB |
|---|---|---|---|---|---|---|---|---|---|
$(paste "$tmp/nn" "$tmp/best" "$tmp/torch" | awk '{ printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", NR, $1, $2, $3, $4, $5, $6, $7, $8, $9 }')
| median | $nn_wall | $nn_loop | $nn_mb | $best_wall | $best_loop | $best_mb | $torch_wall | $torch_loop | $torch_mb |

Ratios nn-predict / PyTorch at its best: whole process **$(ratio "$nn_wall" "$best_wall")**, in-loop **$(ratio "$nn_loop" "$best_loop")**, nn-predict's whole process against PyTorch's loop $(ratio "$nn_wall" "$best_loop"); / PyTorch as installed: whole process $(ratio "$nn_wall" "$torch_wall"), in-loop $(ratio "$nn_loop" "$torch_loop"), whole against loop $(ratio "$nn_wall" "$torch_loop")
EOT
)
echo "$report"
echo "$report" >>"$root/bench/cpu-infer.md"

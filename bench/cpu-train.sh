#!/bin/sh
# Training throughput of nn-train against PyTorch on the CPU, same network,
# batch, threads and data in memory, measured alternately in one run, with
# the peak resident memory of each process. PyTorch runs twice per round: as
# installed, and at its best here, with glibc's allocator kept from handing
# memory back to the system after every step (GLIBC_TUNABLES below: most of
# the page faults of its per-step tensor allocations go).
#   bench/cpu-train.sh [REPEATS] [THREADS]   (defaults: 3 repeats, 2 threads)
# Prints a table and the median ratios; appends the result, with the machine
# and the commands, to bench/cpu-train.md. Needs Debian's python3-torch.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
threads=${2:-2}
batch=64
steps=500
net=$root/examples/fashion-mnist.net
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$root/bin/ds-load" fashion-mnist --split train --limit $((batch * (steps + 100))) -o "$tmp/train.npy"

TUNED=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824

# peak resident memory of the last run, in MB
peak_mb() { awk '{ printf "%.0f\n", $1 / 1024 }' "$tmp/rss"; }

# nn-train: images/s between the log points at step 100 and the end (warm-up
# excluded), from its own metrics log
nn_run() {
	/usr/bin/time -o "$tmp/rss" -f %M "$root/bin/nn-train" "$net" --epochs 1 --batch $batch --opt adam --lr 1e-3 --threads "$threads" \
		--log-every 100 --log "$tmp/log.tsv" -q -o "$tmp/m.safetensors" "$tmp/train.npy"
	awk -F'\t' -v b=$batch '$3 == "train" { s[$1] = $7 } END {
		n = 0; for (k in s) if (k + 0 > n) n = k + 0
		printf "%.1f\n", (n - 100) * b / (s[n] - s[100]) }' "$tmp/log.tsv"
}

# torch_run [TUNABLES]: PyTorch with oneDNN convolutions and OpenBLAS linear
# layers kept at one thread, so that they do not fight PyTorch's own threads;
# GLIBC_TUNABLES=TUNABLES when given

torch_run() {
	env ${1:+GLIBC_TUNABLES=$1} OPENBLAS_NUM_THREADS=1 /usr/bin/time -o "$tmp/rss" -f %M /usr/bin/python3 "$root/bench/torch_train.py" --net "$net" \
		--data "$tmp/train.npy" --batch $batch --threads "$threads" --steps $steps --warmup 100 \
		2>"$tmp/torch.err" | awk -F'\t' '{ print $NF }'
}

: >"$tmp/nn"
: >"$tmp/torch"
: >"$tmp/best"
i=0
while [ $i -lt "$reps" ]; do
	echo "$(nn_run) $(peak_mb)" >>"$tmp/nn"
	echo "$(torch_run) $(peak_mb)" >>"$tmp/torch"
	echo "$(torch_run "$TUNED") $(peak_mb)" >>"$tmp/best"
	i=$((i + 1))
done
# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
nn_med=$(median "$tmp/nn" 1)
torch_med=$(median "$tmp/torch" 1)
best_med=$(median "$tmp/best" 1)
ratio=$(awk -v a="$nn_med" -v b="$torch_med" 'BEGIN { printf "%.2f", a / b }')
ratio_best=$(awk -v a="$nn_med" -v b="$best_med" 'BEGIN { printf "%.2f", a / b }')
blas=$(grep -m1 '^BLAS libraries mapped' "$tmp/torch.err" || echo 'BLAS: unknown')

report=$(cat <<EOT

## $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); threads $threads, batch $batch, $steps timed steps, $reps alternating repeats; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}
Commands: \`nn-train examples/fashion-mnist.net --epochs 1 --batch $batch --opt adam --lr 1e-3 --threads $threads --log-every 100\` (images/s from step 100 to the end) and \`OPENBLAS_NUM_THREADS=1 bench/torch_train.py --net examples/fashion-mnist.net --batch $batch --threads $threads --steps $steps --warmup 100\`, as installed and at its best (\`GLIBC_TUNABLES=$TUNED\`); peak resident memory from \`/usr/bin/time -f %M\`
PyTorch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'); $blas

| run | nn-train img/s | MB | PyTorch best img/s | MB | PyTorch as installed img/s | MB |
|---|---|---|---|---|---|---|
$(paste "$tmp/nn" "$tmp/best" "$tmp/torch" | awk '{ printf "| %d | %s | %s | %s | %s | %s | %s |\n", NR, $1, $2, $3, $4, $5, $6 }')
| median | $nn_med | $(median "$tmp/nn" 2) | $best_med | $(median "$tmp/best" 2) | $torch_med | $(median "$tmp/torch" 2) |

Ratio nn-train / PyTorch at its best: **$ratio_best**; / PyTorch as installed: $ratio
EOT
)
echo "$report"
echo "$report" >>"$root/bench/cpu-train.md"

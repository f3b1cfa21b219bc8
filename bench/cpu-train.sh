#!/bin/sh
# Training throughput of nn-train against PyTorch at its best on the CPU, the
# Fashion-MNIST course network (examples/fashion-mnist.net), one epoch of the
# 60,000 training images, batch 64, Adam lr 1e-3, the same threads, measured
# alternately in one run, with the peak resident memory of each process.
# The PyTorch side is the lean reference loop ../shared/bench/torch_fmnist.py
# (the same network written out, the IDX files read into tensors once, no
# DataLoader) run as ../shared/bench/README.txt says: OpenBLAS at one thread,
# glibc's allocator kept from handing memory back (GLIBC_TUNABLES below); its
# train_images_per_s leaves out its first 20 steps, and times only the steps
# themselves (not the gathering of each batch). It runs in each variant found:
# Debian's python3-torch (/usr/bin/python3, eager: torch 1.13 has no compile),
# and where a virtual environment with PyPI's newest torch is found
# ($TORCH_VENV, default bench/.venv, git-ignored: python3 -m venv bench/.venv
# && bench/.venv/bin/pip install torch numpy) that one eager and
# torch.compile'd (--compile: its compiling falls in the 20 warm-up steps).
# PyTorch stops after the epoch's 937 full batches (--limit-steps 937): the
# last batch, of 32 images, is a new shape that torch.compile would compile
# again inside its timed steps (the eager runs stop there too, for sameness).
# Where the CPU has AVX-512, debian-avx512 runs Debian's PyTorch with its
# AVX-512 kernels asked for (ATEN_CPU_CAPABILITY=avx512, and SkylakeX for
# its OpenBLAS), as a user who knows would try. OPENBLAS_CORETYPE is unset
# for every run: each program's OpenBLAS picks its kernels (nn-train's
# choice: nn-train(1), ENVIRONMENT), whatever the calling shell forces.
# The ratio counts against the fastest variant's median.
# nn-train does the same work (ds-load fashion-mnist --split train, 1 epoch);
# its images/s comes from its metrics log (--log-every 20): the images after
# the log point at step 20 over the wall seconds from that point to the last
# one, so its first 20 steps are left out as PyTorch's are, while the rest of
# its loop (shuffling, gathering batches, the log points) stays in: the
# ratio is conservative for nnpipe.
#   bench/cpu-train.sh [REPEATS] [THREADS]   (defaults: 3 repeats, 2 threads)
#   LIMIT_STEPS=N bench/cpu-train.sh ...     (a short run, to try the script:
#       both train N steps, nn-train on the first N x 64 images, PyTorch with
#       --limit-steps N; N > 20; default 0, the whole epoch)
# Prints a table and the median ratios; appends the result, with the machine,
# its load and the commands, to bench/cpu-train.md. Needs Debian's
# python3-torch and the Fashion-MNIST files in ../shared/data/fashion-mnist.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
threads=${2:-2}
limit=${LIMIT_STEPS:-0}
batch=64
warm=20            # torch_fmnist.py's --warmup default
data=$root/../shared/data/fashion-mnist
net=$root/examples/fashion-mnist.net
tfmnist_py=$root/../shared/bench/torch_fmnist.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
coretype=${OPENBLAS_CORETYPE:-unset}
unset OPENBLAS_CORETYPE

if [ "$limit" -gt 0 ]; then
	[ "$limit" -gt $warm ] || { echo "cpu-train.sh: LIMIT_STEPS must be above $warm" >&2 && exit 1; }
	images=$((limit * batch)) dsopt="--limit $images" topt="--limit-steps $limit"
else
	# PyTorch trains the epoch's full batches only (937 of 64): its last
	# batch, of 32, would make torch.compile compile again inside the timing
	images=60000 dsopt='' topt="--limit-steps $((60000 / batch))"
fi
# shellcheck disable=SC2086 # dsopt: empty or two words
"$root/bin/ds-load" fashion-mnist "$data" --split train $dsopt -o "$tmp/train.npy"

TUNED=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824

# try LOG CMD...: CMD with its standard error to LOG; on failure shows LOG and stops
try() {
	log=$1
	shift
	"$@" 2>"$log" || {
		cat "$log" >&2
		echo "cpu-train.sh: failed: $*" >&2
		exit 1
	}
}

# peak resident memory of the last run, in MB
peak_mb() { awk '{ printf "%.0f\n", $NF / 1024 }' "$tmp/time"; }

# nn_run: "img/s MB"; images/s from the log point at step $warm to the last
nn_run() {
	try "$tmp/nn.err" env OPENBLAS_VERBOSE=2 /usr/bin/time -o "$tmp/time" -f %M "$root/bin/nn-train" "$net" \
		--epochs 1 --batch $batch \
		--opt adam --lr 1e-3 --threads "$threads" --log-every $warm --log "$tmp/log.tsv" -q \
		-o "$tmp/m.safetensors" "$tmp/train.npy"
	awk -F'\t' -v b=$batch -v w=$warm -v N="$images" '$3 == "train" { s[$1] = $7 } END {
		n = 0; for (k in s) if (k + 0 > n) n = k + 0
		if (n != int((N + b - 1) / b) || !(w in s)) { print "nn-train log: last step " n ", want " int((N + b - 1) / b) > "/dev/stderr"; exit 1 }
		printf "%.1f\n", (N - w * b) / (s[n] - s[w]) }' "$tmp/log.tsv" | tr '\n' ' '
	peak_mb
}

venv=${TORCH_VENV:-$root/bench/.venv}
variants=debian
if grep -qw avx512f /proc/cpuinfo; then variants="debian debian-avx512"; fi
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null; then
	variants="$variants pypi pypi-compile"
fi
# python_of VARIANT: its interpreter
python_of() { case $1 in debian*) echo /usr/bin/python3 ;; *) echo "$venv/bin/python" ;; esac; }
# env_of VARIANT: what the variant adds to the environment
env_of() { case $1 in debian-avx512) echo ATEN_CPU_CAPABILITY=avx512 OPENBLAS_CORETYPE=SkylakeX ;; esac; }

# tfmnist VARIANT: "img/s MB" of torch_fmnist.py at its best; its JSON kept
# in $tmp/VARIANT.json
tfmnist() {
	c=
	if [ "$1" = pypi-compile ]; then c=--compile; fi
	# shellcheck disable=SC2086 # topt, c, env_of: empty or words
	try "$tmp/torch.err" env GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 $(env_of "$1") \
		/usr/bin/time -o "$tmp/time" -f %M \
		"$(python_of "$1")" "$tfmnist_py" --data "$data" --epochs 1 --quiet --threads "$threads" --blas-threads 1 \
		$topt $c >"$tmp/$1.json"
	/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["train_images_per_s"], end=" ")' "$tmp/$1.json"
	peak_mb
}

: >"$tmp/nn"
for v in $variants; do : >"$tmp/t.$v"; done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
while [ $i -lt "$reps" ]; do
	nn_run >>"$tmp/nn"
	for v in $variants; do
		tfmnist "$v" >>"$tmp/t.$v"
	done
	i=$((i + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ratio A B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
nn_med=$(median "$tmp/nn" 1)
best=0 bestv=
for v in $variants; do
	m=$(median "$tmp/t.$v" 1)
	if awk -v m="$m" -v b="$best" 'BEGIN { exit !(m > b) }'; then best=$m bestv=$v; fi
done
heads() { for v in $variants; do printf ' PyTorch %s img/s | MB |' "$v"; done; }
rules() { for v in $variants; do printf '%s' '---|---|'; done; }
runrows() {
	i=1
	while [ $i -le "$reps" ]; do
		line="| $i | $(sed -n "${i}p" "$tmp/nn" | awk '{ print $1 " | " $2 }') |"
		for v in $variants; do
			line="$line $(sed -n "${i}p" "$tmp/t.$v" | awk '{ print $1 " | " $2 }') |"
		done
		echo "$line"
		i=$((i + 1))
	done
	line="| median | $nn_med | $(median "$tmp/nn" 2) |"
	for v in $variants; do
		line="$line $(median "$tmp/t.$v" 1) | $(median "$tmp/t.$v" 2) |"
	done
	echo "$line"
}
ratios() { for v in $variants; do printf '; / %s %s' "$v" "$(ratio "$nn_med" "$(median "$tmp/t.$v" 1)")"; done; }
versions() {
	for v in $variants; do
		[ "$v" = pypi-compile ] || [ "$v" = debian-avx512 ] || printf '%s %s; ' "$v" "$("$(python_of "$v")" -c 'import torch; print(torch.__version__)')"
	done
}
libs() { /usr/bin/python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["libs"]) or "none")' "$tmp/$1.json"; }
if [ "$limit" -gt 0 ]; then
	work="the first $limit steps ($images images) of the epoch (LIMIT_STEPS=$limit: a short run, not a measurement)"
else
	work="1 epoch, $images images ($(((images + batch - 1) / batch)) steps; PyTorch the $((images / batch)) full ones)"
fi

report=$(cat <<EOT

## $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); threads $threads, batch $batch, $work, $reps alternating repeats; load average (1, 5, 15 min) $load0 before, $load1 after; OPENBLAS_CORETYPE=$coretype in the calling shell, unset for the runs; nn-train's OpenBLAS kernels: $(sed -n 's/^Core: //p' "$tmp/nn.err" | head -1)
Commands: \`ds-load fashion-mnist ../shared/data/fashion-mnist --split train${dsopt:+ $dsopt} -o train.npy\`, \`nn-train examples/fashion-mnist.net --epochs 1 --batch $batch --opt adam --lr 1e-3 --threads $threads --log-every $warm --log log.tsv -q -o m.safetensors train.npy\` (images/s: the images after the log point at step $warm over the seconds from it to the last one) and \`GLIBC_TUNABLES=$TUNED OPENBLAS_NUM_THREADS=1 PYTHON ../shared/bench/torch_fmnist.py --data ../shared/data/fashion-mnist --epochs 1 --quiet --threads $threads --blas-threads 1 $topt [--compile]\` (its train_images_per_s: the steps after its first $warm); peak resident memory from \`/usr/bin/time -f %M\` (torch_fmnist.py holds the test set too and evaluates it after training)
PyTorch: $(versions)PYTHON /usr/bin/python3 (debian, and debian-avx512 with $(env_of debian-avx512)) or $venv/bin/python (pypi); libraries mapped by debian: $(libs debian)

| run | nn-train img/s | MB |$(heads)
|---|---|---|$(rules)
$(runrows)

Ratio nn-train / the fastest PyTorch ($bestv): **$(ratio "$nn_med" "$best")**$(ratios)
EOT
)
echo "$report"
echo "$report" >>"$root/bench/cpu-train.md"

#!/usr/bin/env bash
# bench/gpu-dryrun.sh: runs bench/gpu-run.sh --dry-run here as the GPU machine
# would run it, to prove every step of it but the GPU itself, and checks the
# result. Needs root (for a mount namespace of its own) and .gpu/ (made by
# bench/gpu-prepare.sh).
#
# What it sets up, like the device: a copy of what travels there (the tracked
# and untracked-but-not-ignored files, and .gpu; no bin/ or build/), in a mount
# namespace where the system's png.h, jpeglib.h and zlib.h are replaced by
# headers that stop the compiler, OpenBLAS's headers are hidden and make is a
# program that fails: the build can only use what .gpu carries.
#
# Three runs: one with the default budget, which must pass with the CUDA and
# PyTorch rows saying there is no device; one with a budget too small for the
# build, which must stop the build at its share, fail, and still pack its logs;
# and a rehearsal of the benchmarks (bench/gpu.sh with NN_BENCH_REHEARSAL=1,
# both sides on the CPU at small sizes, built as usual with OpenBLAS), which
# must fill every cell of the table from the logs it reads. Prints PASS:/FAIL:
# lines; status 0 when all pass.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
pass=0 fail=0
ok() { echo "PASS: gpu dry run: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: gpu dry run: $*"; fail=$((fail + 1)); }
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

[ "$(id -u)" -eq 0 ] || { echo "gpu-dryrun.sh: needs root (a mount namespace)" >&2; exit 2; }
[ -d .gpu/prefix ] && [ -d .gpu/data ] || { echo "gpu-dryrun.sh: no .gpu: run bench/gpu-prepare.sh first" >&2; exit 2; }

W=$(mktemp -d /tmp/nnpipe-dryrun.XXXXXX)
[ -n "${NN_KEEP:-}" ] || trap 'rm -rf "$W"' EXIT

# copy TREE: what a device call sends, into TREE
copy() {
	mkdir -p "$1"
	git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$1"
	cp -a .gpu "$1/.gpu"
}

# masked TREE OUT ARGS...: gpu-run.sh --dry-run ARGS in TREE, in a mount
# namespace without the system's image headers, OpenBLAS headers and make
masked() {
	local tree=$1 out=$2
	shift 2
	mkdir -p "$W/mask" "$out"
	printf '#error "the system'"'"'s header was used: the carried .gpu/prefix was not"\n' >"$W/mask/error.h"
	printf '#!/bin/sh\necho "make: hidden by bench/gpu-dryrun.sh" >&2\nexit 127\n' >"$W/mask/make"
	chmod +x "$W/mask/make"
	unshare --mount --propagation private bash -c '
		set -e
		m=$1 tree=$2 out=$3
		shift 3
		for h in /usr/include/libpng16/png.h /usr/include/jpeglib.h /usr/include/zlib.h; do
			[ -e "$h" ] && mount --bind "$m/error.h" "$h"
		done
		for d in /usr/include/x86_64-linux-gnu/openblas* /usr/include/openblas; do
			[ -d "$d" ] && mount -t tmpfs none "$d"
		done
		mount --bind "$m/make" "$(command -v make || echo /usr/bin/make)"
		cd "$tree"
		OUT=$out exec bench/gpu-run.sh --dry-run "$@"
	' - "$W/mask" "$tree" "$out" "$@"
}

# ---------------------------------------------------------------- a whole run

echo "== dry run, default budget (log $W/run1.log)"
copy "$W/t1"
t0=$SECONDS
masked "$W/t1" "$W/out1" >"$W/run1.log" 2>&1
rc=$?
took=$((SECONDS - t0))
budget=$(grep -o 'of a [0-9]* s budget' "$W/out1/gpu-table.txt" 2>/dev/null | grep -o '[0-9]*')
check "status 0 (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -30 "$W/run1.log"
check "within its budget (${took} s of ${budget:-?} s)" test -n "$budget" -a "$took" -le "${budget:-0}"
check "two files back: gpu-table.txt and gpu-logs.tar.gz" \
	[ "$(ls "$W/out1" | tr '\n' ' ')" = "gpu-logs.tar.gz gpu-table.txt " ]
mkdir -p "$W/logs1"
tar xzf "$W/out1/gpu-logs.tar.gz" -C "$W/logs1" 2>/dev/null
for f in machine.log build.log test-gpu.log bench.log table.txt fmnist-data.log facade-data.log; do
	check "logs hold $f" [ -s "$W/logs1/$f" ]
done
check "make was the carried one" grep -q "^make .*/.gpu/prefix/usr/bin/make" "$W/logs1/machine.log"
check "image headers and libraries were the carried ones" grep -q '^images  *carried' "$W/logs1/machine.log"
check "built without OpenBLAS's headers, as on a machine that lacks them (it is opened at run time)" \
	grep -q 'OpenBLAS libopenblas.so.0 at run time' "$W/logs1/build.log"
check "built with nvcc" grep -q 'nvcc /.*nvcc' "$W/logs1/build.log"
check "the tools need no libpng, libjpeg or zlib" \
	bash -c "[ -x '$W/t1/bin/ds-load' ] && ! ldd '$W/t1/bin/ds-load' | grep -E 'libpng|libjpeg|libz\\.'"
check "the CUDA tests ran and were skipped for want of a device" \
	grep -q '^SKIP: cuda .*NOT TESTABLE' "$W/logs1/test-gpu.log"
check "the Fashion-MNIST data was found and loaded" \
	bash -c "grep -q 'Fashion-MNIST from .*/.gpu/data/fashion-mnist' '$W/out1/gpu-table.txt' && ! grep -qi 'no data' '$W/out1/gpu-table.txt'"
check "the facade data was found and loaded" grep -q 'first 240 train and 64 test_dev photos' "$W/out1/gpu-table.txt"
check "the CUDA rows say no device" grep -q '^fmnist s/epoch (steady) *no device' "$W/out1/gpu-table.txt"
check "the PyTorch rows say there is no PyTorch with CUDA" grep -q 'no PyTorch with CUDA' "$W/out1/gpu-table.txt"
check "the table was printed last" bash -c "tail -1 '$W/run1.log' | grep -q 'facade infer img/s tf32'"

# ---------------------------------------------------------------- a budget too small

# the build's share is what is left of the budget less the caps of the
# stages after it (tests 60, benchmarks 180, packing 15): 265 s leaves it
# about 10 s, too little to build everything (about 20 s on 2 cores)
echo "== dry run, --budget 265 (log $W/run2.log)"
copy "$W/t2"
t0=$SECONDS
masked "$W/t2" "$W/out2" --budget 265 >"$W/run2.log" 2>&1
rc=$?
took=$((SECONDS - t0))
check "a build stopped at its share fails the run (status $rc)" [ "$rc" -ne 0 ]
check "and says so" grep -q '^build .*FAILED (status 124' "$W/out2/gpu-table.txt"
check "it ended soon after ($took s)" [ "$took" -le 60 ]
check "its logs still came back" bash -c "tar tzf '$W/out2/gpu-logs.tar.gz' | grep -q build.log"

# ---------------------------------------------------------------- a rehearsal

echo "== rehearsal of the benchmarks on the CPU (log $W/run3.log)"
# caps and budget stretched by the load: a CPU that other work shares (a
# run queue of 10 on 2 cores) takes several times as long, and a cap that
# stops a step says nothing about the script
slack=$(awk -v n="$(nproc)" '{ s = int($1 / n + 0.999); print (s > 1 ? s : 1) }' /proc/loadavg)
echo "rehearsal: caps and budget times $slack (load $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores)"
(cd "$W/t1" && make -j"$(nproc)" >"$W/build3.log" 2>&1 &&
	NN_GPU_RUN=1 NN_BENCH_REHEARSAL=1 NN_BENCH_SLACK=$slack NN_BENCH_BUDGET=$((600 * slack)) NN_DATA=.gpu/data \
		PY=${PY:-/usr/bin/python3} OUT="$W/out3" bench/gpu.sh) >"$W/run3.log" 2>&1
rc=$?
check "rehearsal: status 0 (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -20 "$W/run3.log"
tab=$W/out3/table.txt
check "rehearsal: its table says it is a rehearsal" grep -q '^REHEARSAL on the CPU' "$tab"
# every cell of nnpipe and PyTorch figures: a number, or "-" where none is due
cells=$(awk '/^workload/ { on = 1; next } on' "$tab" | sed 's/  \+/\t/g' | cut -f2-4 | tr '\t' '\n' |
	grep -Ev '^(-|[0-9.]+x?)$')
check "rehearsal: every figure was read from the logs${cells:+ (not: $(echo $cells))}" [ -z "$cells" ]
num() { awk -v s="$2" -F'  +' '$1 == s { print $2 }' "$1"; }
a=$(num "$tab" "fmnist test accuracy, 1 epoch")
check "rehearsal: Fashion-MNIST accuracy after one short epoch is plausible ($a)" \
	awk -v a="$a" 'BEGIN { exit !(a > 0.6 && a <= 1) }'
m=$(num "$tab" "facade U-Net, 3 short epochs: test mAP")
check "rehearsal: the U-Net's mAP is a fraction ($m)" awk -v m="$m" 'BEGIN { exit !(m > 0 && m <= 1) }'
check "rehearsal: PyTorch's precision was read back" grep -q '^PyTorch facade precision, as read back: fp32 rows: torch' "$tab"

echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

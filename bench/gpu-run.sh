#!/usr/bin/env bash
# bench/gpu-run.sh: the whole GPU check as one command on a bare GPU machine
# that reaches no package registry. Prepare it here with bench/gpu-prepare.sh,
# which fills .gpu/ and prints the device call; bench/README.md has the design.
#
#   bench/gpu-run.sh [--dry-run] [--budget SECONDS]
#
# Stages, in this order, inside one budget (default 440 s; each stage is
# stopped at its cap and never eats the caps of the stages after it):
#   probes      20 s  what the machine has; stops at once, with one line, when
#                     something the build or the run needs is missing
#   build      150 s  make -j against .gpu/prefix's headers and static libraries
#                     (the system's where .gpu is absent), with nvcc; a build
#                     without CUDA is a failure
#   tests       60 s  make test-gpu (the CUDA ops against the CPU backend)
#   benchmarks 180 s  bench/gpu.sh: nnpipe against PyTorch on the data in NN_DATA
#                     (default .gpu/data)
#   sanitizer  ≤90 s  compute-sanitizer memcheck on the CUDA op tests, with what
#                     is left after 15 s kept to pack up
# Back in $OUT (2 files): gpu-table.txt, the table, also printed last, and
# gpu-logs.tar.gz, every log. Status 0 when every stage passed.
# --dry-run: for a machine without a GPU or PyTorch with CUDA (here): those two
# probes only note what is missing, and the CUDA rows then say "no device".
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
. bench/budget.sh

DRY=0 BUDGET=440
while [ $# -gt 0 ]; do
	case $1 in
	--dry-run) DRY=1 ;;
	--budget) BUDGET=${2:-}; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "gpu-run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $BUDGET =~ ^[0-9]+$ ]] && [ "$BUDGET" -ge 60 ] || { echo "gpu-run.sh: --budget: at least 60 seconds" >&2; exit 2; }
budget_init "$BUDGET"
T0=$SECONDS
# stage caps (seconds): the probes take about 20 and the packing PACK; what
# the caps leave goes to the sanitizer
CAP_BUILD=150 CAP_TEST=60 CAP_BENCH=180 PACK=15

OUT=${OUT:-$ROOT/out/gpu}
mkdir -p "$OUT" || exit 1
L=$(mktemp -d /tmp/nnpipe-gpu-logs.XXXXXX)
CARRY=$ROOT/.gpu
export LC_ALL=C

say() { echo "gpu-run.sh [$((SECONDS - T0)) s]: $*" >&2; }
STAGES=()
# stage_row NAME RESULT: one line of the stage summary
stage_row() {
	STAGES+=("$(printf '%-11s %4s s  %s' "$1" "$((SECONDS - STAGE_T0))" "$2")")
	say "$1: $2"
}
FAILED=0

# pack: the table and the logs into $OUT; runs at every exit
pack() {
	{
		echo "nnpipe GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(cat "$L/commit" 2>/dev/null || echo unknown)"
		echo "machine: $(cat "$L/machine-line" 2>/dev/null)"
		echo "run: $((SECONDS - T0)) s of a $BUDGET s budget$([ "$DRY" = 1 ] && echo ', dry run (no GPU expected)')"
		echo
		echo "stage        time  result"
		printf '%s\n' "${STAGES[@]}"
		echo
		cat "$L/table.txt" 2>/dev/null || echo "(no benchmark table: the run stopped before it)"
	} >"$L/gpu-table.txt"
	cp "$L/gpu-table.txt" "$OUT/gpu-table.txt"
	tar czf "$OUT/gpu-logs.tar.gz" -C "$L" . 2>/dev/null || say "could not write $OUT/gpu-logs.tar.gz"
	echo
	cat "$OUT/gpu-table.txt"
	rm -rf "$L"
}
trap pack EXIT
trap 'say "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- probes

STAGE_T0=$SECONDS
# stop NAME REASON: a probe that the run cannot do without
stop() {
	say "probe $1: $2"
	stage_row probes "FAILED: $1: $2"
	FAILED=1
	exit 1
}
# note NAME TEXT: what was found, to the log and to stderr
note() {
	printf '%-10s %s\n' "$1" "$2" >>"$L/machine.log"
	say "$1: $2"
}
# first line of a command's output, within 10 s; empty when it fails
first() { timeout 10 "$@" 2>/dev/null | head -1; }

# the device gets the working tree without .git: the commit is the one
# bench/gpu-prepare.sh recorded
git describe --always --dirty >"$L/commit" 2>/dev/null ||
	sed 's/$/ (when .gpu was prepared)/' "$CARRY/commit" >"$L/commit" 2>/dev/null || echo unknown >"$L/commit"
os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
note machine "$(uname -srm), ${os:-unknown system}, $(nproc) cpus, $mem memory"
GPU=$(timeout 10 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
timeout 10 nvidia-smi >>"$L/machine.log" 2>&1
echo "$(uname -m), $(nproc) cpus; ${GPU:-no GPU}" >"$L/machine-line"
if [ -n "$GPU" ]; then
	note gpu "$GPU"
elif [ "$DRY" = 1 ]; then
	note gpu "none found by nvidia-smi (dry run: the CUDA rows will say no device)"
else
	stop gpu "nvidia-smi finds no GPU"
fi

# nvcc: $NVCC, else the first on PATH or in /usr/local/cuda whose toolkit has cuBLAS
NVCC_FOUND=
for n in ${NVCC:-} $(command -v nvcc) /usr/local/cuda/bin/nvcc; do
	[ -x "$n" ] || continue
	NVCC_FOUND="$NVCC_FOUND $n"
	n=$(readlink -f "$n")
	if [ -f "${n%/bin/nvcc}/include/cublas_v2.h" ]; then
		NVCC=$n
		break
	fi
done
[ -n "$NVCC_FOUND" ] || stop nvcc "not on PATH nor in /usr/local/cuda/bin (set NVCC=...)"
[ -n "${NVCC:-}" ] && [ -f "${NVCC%/bin/nvcc}/include/cublas_v2.h" ] ||
	stop cublas "no include/cublas_v2.h beside any nvcc found:$NVCC_FOUND"
v=$(timeout 10 "$NVCC" --version 2>/dev/null | grep -o 'release [0-9.]*')
[ -n "$v" ] || stop nvcc "$NVCC does not run"
note nvcc "$NVCC, $v"
CUDA_HOME=${NVCC%/bin/nvcc}
ls "$CUDA_HOME"/lib64/libcublas.so* >/dev/null 2>&1 || stop cublas "no $CUDA_HOME/lib64/libcublas.so"
ls "$CUDA_HOME"/lib64/libcudart.so* >/dev/null 2>&1 || stop cublas "no $CUDA_HOME/lib64/libcudart.so"
note cublas "$CUDA_HOME/include/cublas_v2.h, $(basename "$(ls "$CUDA_HOME"/lib64/libcublas.so.* | head -1)")"
SANITIZER=$(command -v compute-sanitizer || ls "$CUDA_HOME/bin/compute-sanitizer" 2>/dev/null)

CC=${CC:-cc}
v=$(first "$CC" --version)
[ -n "$v" ] || stop cc "no C compiler '$CC' (set CC=...)"
note cc "$v"
v=$(first "${CXX:-c++}" --version)
[ -n "$v" ] || stop c++ "no C++ compiler, which nvcc needs as its host compiler"
note c++ "$v"

MAKE=make
if ! timeout 10 make --version >/dev/null 2>&1; then
	MAKE=$CARRY/prefix/usr/bin/make
	timeout 10 "$MAKE" --version >/dev/null 2>&1 || stop make "no make here and none carried in .gpu (run bench/gpu-prepare.sh)"
fi
note make "$MAKE, $(first "$MAKE" --version)"

# the image libraries: the carried headers and static libraries, else the system's
IMG=()
P=$CARRY/prefix/usr
A=$P/lib/x86_64-linux-gnu
if [ -f "$P/include/png.h" ] && [ -f "$A/libpng16.a" ] && [ -f "$A/libjpeg.a" ] && [ -f "$A/libz.a" ]; then
	IMG=("IMG_CFLAGS=-I$P/include -I$P/include/x86_64-linux-gnu" "IMG_LIBS=$A/libpng16.a $A/libjpeg.a $A/libz.a")
	note images "carried: $P/include, static $A/lib{png16,jpeg,z}.a"
else
	for h in png.h jpeglib.h zlib.h; do
		echo "#include <$h>" | timeout 10 "$CC" -E -x c - >/dev/null 2>&1 ||
			stop images "no $h here and no .gpu/prefix carried (run bench/gpu-prepare.sh and carry .gpu)"
	done
	note images "the system's png.h, jpeglib.h, zlib.h"
fi

export NN_DATA=${NN_DATA:-$CARRY/data}
fm=$(ls "$NN_DATA"/fashion-mnist/*-ubyte* 2>/dev/null | wc -l)
fa=$NN_DATA/mini-facade/starter_set
[ "$fm" -ge 4 ] || stop data "$NN_DATA/fashion-mnist: $fm of the 4 Fashion-MNIST files (carry .gpu or set NN_DATA)"
[ -d "$fa/train" ] && [ -d "$fa/test_dev" ] || stop data "$fa: no train and test_dev folders (carry .gpu or set NN_DATA)"
note data "$NN_DATA: Fashion-MNIST, facade $(ls "$fa/train" | grep -c '\.jpg$') train and $(ls "$fa/test_dev" | grep -c '\.jpg$') test_dev photos"

export PY=${PY:-python3}
v=$(timeout 30 "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
      "cudnn", torch.backends.cudnn.version(), "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)' 2>&1 | tail -1)
if [[ $v == torch* && $v != *"device None" ]]; then
	note pytorch "$v"
elif [ "$DRY" = 1 ]; then
	note pytorch "no PyTorch with CUDA in $PY (dry run: the PyTorch rows will say so): $v"
else
	stop pytorch "$PY has no PyTorch with CUDA: $v"
fi
for t in tar timeout awk; do
	command -v $t >/dev/null || stop tools "no $t"
done
stage_row probes "ok"

# ---------------------------------------------------------------- build

STAGE_T0=$SECONDS
say "build: $MAKE -j$(nproc) (log build.log)"
# EMU_CXX=: not the CPU emulation of the CUDA backend (kernels/emu/), which is
# for machines without a GPU; here the CUDA tests run on the device
budget_run $CAP_BUILD $((CAP_TEST + CAP_BENCH + PACK)) "$L/build.log" "$MAKE" -j"$(nproc)" EMU_CXX= NVCC="$NVCC" CUDA_HOME="$CUDA_HOME" CC="$CC" "${IMG[@]}"
rc=$?
grep '^nnpipe:' "$L/build.log" | head -1 >&2
if [ "$rc" -ne 0 ]; then
	tail -15 "$L/build.log" >&2
	stage_row build "FAILED (status $rc, see build.log)"
	FAILED=1
	exit 1
fi
if ! ldd bin/libnnpipe-cuda.so 2>/dev/null | grep -q libcublas; then
	stage_row build "FAILED: no CUDA backend (bin/libnnpipe-cuda.so) was built (see build.log)"
	FAILED=1
	exit 1
fi
if [ ${#IMG[@]} -gt 0 ] && ldd bin/ds-load | grep -E 'libpng|libjpeg|libz\.' >&2; then
	stage_row build "FAILED: bin/ds-load links the system's image libraries, not the carried ones"
	FAILED=1
	exit 1
fi
stage_row build "ok, with CUDA"

# ---------------------------------------------------------------- CUDA tests

STAGE_T0=$SECONDS
say "tests: NN_CUDA_SYNC=1 make test-gpu (log test-gpu.log)"
# NN_CUDA_SYNC=1: each kernel waited for as it is launched, so that a fault
# names the kernel that made it
NN_CUDA_SYNC=1 budget_run $CAP_TEST $((CAP_BENCH + PACK)) "$L/test-gpu.log" "$MAKE" test-gpu EMU_CXX= NVCC="$NVCC" CUDA_HOME="$CUDA_HOME" CC="$CC" "${IMG[@]}"
rc=$?
grep -E '^(FAIL|SKIP):' "$L/test-gpu.log" | head -20 >&2
tally=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$L/test-gpu.log" | tail -1)
if [ "$rc" -ne 0 ]; then
	stage_row tests "FAILED (status $rc): ${tally:-no tally, see test-gpu.log}"
	FAILED=1
elif [ -n "$GPU" ] && ! [[ $tally =~ ^[1-9][0-9]*\ passed,\ 0\ failed,\ 0\ skipped ]]; then
	stage_row tests "FAILED: the CUDA tests did not run on this GPU: ${tally:-no tally}"
	FAILED=1
else
	stage_row tests "$tally"
fi

# ---------------------------------------------------------------- benchmarks

STAGE_T0=$SECONDS
say "benchmarks: bench/gpu.sh (log bench.log)"
t=$(($(budget_left) - PACK))
[ "$t" -gt $CAP_BENCH ] && t=$CAP_BENCH
# gpu.sh keeps 5 s of its share to write its table
NN_GPU_RUN=1 NN_BENCH_BUDGET=$((t - 5)) OUT=$L budget_run "$t" "$PACK" "$L/bench.log" bench/gpu.sh
rc=$?
if [ "$rc" -ne 0 ]; then
	stage_row benchmarks "FAILED (status $rc, see bench.log)"
	FAILED=1
else
	stage_row benchmarks "ok"
fi

# ---------------------------------------------------------------- sanitizer

STAGE_T0=$SECONDS
if [ -z "$GPU" ]; then
	stage_row sanitizer "not run: no GPU"
elif [ -z "$SANITIZER" ]; then
	stage_row sanitizer "not run: no compute-sanitizer"
elif [ "$(budget_left)" -lt 45 ]; then
	stage_row sanitizer "not run: $(budget_left) s left"
else
	say "sanitizer: memcheck on build/tests/test_cuda_ops (log sanitizer.log)"
	budget_run 90 $PACK "$L/sanitizer.log" "$SANITIZER" --tool memcheck --error-exitcode 99 build/tests/test_cuda_ops
	rc=$?
	summary=$(grep -E 'ERROR SUMMARY' "$L/sanitizer.log" | tail -1 | sed 's/^=* *//')
	case $rc in
	0) stage_row sanitizer "memcheck: ${summary:-clean}" ;;
	124) stage_row sanitizer "memcheck stopped at the budget (partial, see sanitizer.log)" ;;
	*) stage_row sanitizer "FAILED (status $rc): ${summary:-see sanitizer.log}"; FAILED=1 ;;
	esac
fi
say "done in $((SECONDS - T0)) s"
exit "$FAILED"

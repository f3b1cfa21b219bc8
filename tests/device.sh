#!/usr/bin/env bash
# tests/device.sh: the CUDA backend is a library the tools open at run time
# (lib/backend/backend.c). The tools link no CUDA library; where the backend cannot
# be had (no library beside the program, a library that does not open, one
# without the entry point, no CUDA driver or no device) --device auto runs on
# the CPU without a word and gives what --device cpu gives, and --device cuda
# says why in one line and exits 1. A stand-in driver (libcuda.so.1 on
# LD_LIBRARY_PATH, claiming one device) gets past the driver check, so that
# the backend's library itself is opened, here as on a machine with a GPU.
. "$(dirname "$0")/lib.sh"
B=$NN_ROOT/bin
CC=${CC:-cc}
cd "$T" || exit 1

bad=$(for t in "$B"/*; do
	[ "${t##*/}" = libnnpipe-cuda.so ] && continue
	ldd "$t" 2>/dev/null | awk '{ print $1 }' | grep -E '^lib(cublas|cublasLt|cudart|cuda)\.so' | sed "s|^|${t##*/}: |"
done)
check "device: no tool links the CUDA libraries${bad:+ ($(echo $bad))}" [ -z "$bad" ]

# a dataset of 8 4x4 images in NPY, written here so that the test needs no Python
npy() { # descr shape payload-file
	local h="{'descr': '$1', 'fortran_order': False, 'shape': ($2), }"
	while [ $(((10 + ${#h} + 1) % 64)) -ne 0 ]; do h="$h "; done
	printf '\223NUMPY\001\000'
	printf "\\$(printf %03o $(((${#h} + 1) % 256)))\\$(printf %03o $(((${#h} + 1) / 256)))"
	printf '%s\n' "$h"
	cat "$3"
}
for i in $(seq 0 127); do printf "\\$(printf %03o $(((i * 37 + 11) % 256)))"; done >x.bin
for i in 0 1 0 1 1 0 0 1; do printf "\\00$i\\000\\000\\000"; done >y.bin
{ npy '|u1' '8, 1, 4, 4' x.bin; npy '<i4' '8,' y.bin; } >d.npy
printf 'input 1 4 4\nflatten\nlinear 2\n' >d.net
"$B/nn-train" -q --device cpu --epochs 2 --batch 4 -o cpu.st d.net d.npy 2>err || fail "device: nn-train --device cpu: $(cat err)"
"$B/nn-predict" -q --device cpu cpu.st d.npy >cpu.npy 2>err || fail "device: nn-predict --device cpu: $(cat err)"

# copies of the tools, so that what lies beside them is the test's choice
mkdir -p empty bare/bin prefix/bin prefix/lib/nnpipe beside/bin
for d in bare/bin prefix/bin beside/bin; do cp "$B/nn-train" "$B/nn-predict" "$d/"; done

# AUTO NAME DIR [ENV...]: --device auto is silent and gives the CPU's model and predictions
auto() {
	local name=$1 dir=$2; shift 2
	rm -f a.st a.npy
	if ! env "$@" "$dir/nn-train" -q --epochs 2 --batch 4 --device auto -o a.st d.net d.npy 2>err ||
		! env "$@" "$dir/nn-predict" -q a.st d.npy >a.npy 2>>err; then
		fail "device: $name: --device auto failed: $(head -c 300 err)"
	elif [ -s err ]; then
		fail "device: $name: --device auto said: $(head -c 300 err)"
	elif ! same_model a.st cpu.st || ! cmp -s a.npy cpu.npy; then
		fail "device: $name: --device auto did not give the CPU's model and predictions"
	else
		pass "device: $name: --device auto runs on the CPU, silently"
	fi
}
# CUDA NAME DIR PATTERN [ENV...]: --device cuda fails with "TOOL: --device cuda: PATTERN"
cuda() {
	local name=$1 dir=$2 pat=$3; shift 3
	expect_error "device: $name: nn-train --device cuda says why" "^nn-train: --device cuda: $pat" \
		env "$@" "$dir/nn-train" -q --device cuda -o c.st d.net d.npy
	check "device: $name: in one line" [ "$(wc -l <"$T/err")" -eq 1 ]
	expect_error "device: $name: nn-predict --device cuda says why" "^nn-predict: --device cuda: $pat" \
		env "$@" "$dir/nn-predict" -q --device cuda cpu.st d.npy
}

auto "no library" bare/bin LD_LIBRARY_PATH="$T/empty"
cuda "no library" bare/bin "no libnnpipe-cuda.so in $T/bare/bin nor in $T/bare/bin/../lib/nnpipe" \
	LD_LIBRARY_PATH="$T/empty"
# the stand-in driver
mkdir -p drv
cat >drv.c <<'EOF'
int cuInit(unsigned flags) { (void)flags; return 0; }
int cuDeviceGetCount(int *n) { *n = 1; return 0; }
int cuGetErrorString(int err, const char **s) { (void)err; *s = "stand-in driver"; return 0; }
EOF
if ! "$CC" -shared -fPIC -o drv/libcuda.so.1 drv.c 2>err; then
	skip "device: libraries that do not open: NOT TESTABLE: $CC cannot build a shared object: $(head -1 err)"
	exit 0
fi
DRV=LD_LIBRARY_PATH="$T/drv"

auto "NN_CUDA_LIB names no file" "$B" "$DRV" NN_CUDA_LIB="$T/none.so"
cuda "NN_CUDA_LIB names no file" "$B" "$T/none.so: cannot open shared object file" "$DRV" NN_CUDA_LIB="$T/none.so"

# a backend library that needs a library that is not there, as the real one
# does where the CUDA libraries are missing
mkdir -p dep
echo 'int nn_dep(void) { return 1; }' >dep.c
echo 'int nn_dep(void); int nnpipe_backend_cuda(void) { return nn_dep(); }' >needs.c
"$CC" -shared -fPIC -o dep/libnnpipe-test-dep.so dep.c &&
	"$CC" -shared -fPIC -o needs.so needs.c -Ldep -lnnpipe-test-dep && rm -r dep ||
	fail "device: cannot build the test libraries"
auto "the CUDA libraries missing" "$B" "$DRV" NN_CUDA_LIB="$T/needs.so"
cuda "the CUDA libraries missing" "$B" "libnnpipe-test-dep.so: cannot open shared object file" \
	"$DRV" NN_CUDA_LIB="$T/needs.so"
# a library without the entry point
echo 'int nnpipe_backend_other(void) { return 0; }' >noentry.c
"$CC" -shared -fPIC -o noentry.so noentry.c || fail "device: cannot build the test libraries"
auto "no entry point" "$B" "$DRV" NN_CUDA_LIB="$T/noentry.so"
cuda "no entry point" "$B" ".*undefined symbol: nnpipe_backend_cuda" "$DRV" NN_CUDA_LIB="$T/noentry.so"
# no driver: the backend's library is not even opened
auto "no CUDA driver" "$B" LD_LIBRARY_PATH="$T/empty" NN_CUDA_LIB="$T/noentry.so"
cuda "no CUDA driver" "$B" "no NVIDIA driver found \\(libcuda\\.so\\.1: cannot open shared object file.*\\): install the NVIDIA driver.*--device cpu" \
	LD_LIBRARY_PATH="$T/empty" NN_CUDA_LIB="$T/noentry.so"
# a driver that sees no GPU
sed 's/\*n = 1/*n = 0/' drv.c >drv0.c && mkdir -p drv0 && "$CC" -shared -fPIC -o drv0/libcuda.so.1 drv0.c ||
	fail "device: cannot build the test libraries"
auto "a driver without a GPU" "$B" LD_LIBRARY_PATH="$T/drv0" NN_CUDA_LIB="$T/noentry.so"
cuda "a driver without a GPU" "$B" "the NVIDIA driver sees no GPU .*--device cpu" LD_LIBRARY_PATH="$T/drv0" \
	NN_CUDA_LIB="$T/noentry.so"

# where the library is looked for: beside the program, then ../lib/nnpipe,
# found by a library whose device cannot be used (a word, then the CPU)
cat >unusable.c <<'EOF'
#include <stddef.h>
const void *nnpipe_backend_cuda(size_t size, int *devices, const char **why)
{
	(void)size;
	*devices = -1;
	*why = "a device this test's library cannot use";
	return NULL;
}
EOF
"$CC" -shared -fPIC -o beside/bin/libnnpipe-cuda.so unusable.c &&
	cp beside/bin/libnnpipe-cuda.so prefix/lib/nnpipe/ || fail "device: cannot build the test libraries"
for d in beside prefix; do
	rm -f a.st
	env "$DRV" $d/bin/nn-train -q --epochs 2 --batch 4 -o a.st --device auto d.net d.npy 2>err
	msg=$(cat err)
	check "device: found in $d/: --device auto says why the device is not used, and runs on the CPU" \
		[ "$msg" = "nn-train: a device this test's library cannot use; using the CPU" ] && same_model a.st cpu.st
	cuda "found in $d/" $d/bin "a device this test's library cannot use\$" "$DRV"
done

# the real library, opened: the tool's symbols resolve it, its entry point
# answers, and the CUDA runtime's own message says why (the stand-in driver
# is not one it can use)
if [ -f "$B/libnnpipe-cuda.so" ]; then
	auto "the CUDA backend opened, no usable driver" "$B" "$DRV"
	cuda "the CUDA backend opened, no usable driver" "$B" ".+" "$DRV"
	check "device: the CUDA backend opened: the runtime answered, not the loader ($(cat err))" \
		bash -c '! grep -Eq "shared object|symbol|libnnpipe" "$1"' - "$T/err"
	check "device: the CUDA backend's library exports its entry point only" \
		[ "$(nm -D --defined-only "$B/libnnpipe-cuda.so" | awk '$2 == "T" { print $3 }')" = nnpipe_backend_cuda ]
else
	skip "device: the CUDA backend opened: NOT TESTABLE: no bin/libnnpipe-cuda.so (built without nvcc)"
fi

#!/usr/bin/env bash
# tests/blas.sh: the CPU backend's matrix products (lib/backend/gemm.c).
# With NN_BLAS naming no library, nn-predict says so in one note and falls
# back on the plain C product: its scores must be OpenBLAS's within
# rounding (convolutions by im2col and GEMM, so that every layer but the
# relus and pools is a GEMM). OpenBLAS keeps a user's OPENBLAS_CORETYPE, and
# on an AMD CPU with AVX-512 where it is unset, it runs the SkylakeX kernels
# (OPENBLAS_VERBOSE=2 makes OpenBLAS say which it took).
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "blas: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
cd "$T" || exit 1
"$PY" - <<'PYEOF'
import numpy as np
from npstream import write_stream
r = np.random.default_rng(3)
x = r.integers(0, 256, (24, 2, 9, 11), dtype=np.uint8)
y = r.integers(0, 3, 24).astype(np.int32)
write_stream("d.npy", x, y, np.array([b"a", b"b", b"c"]))
PYEOF
cat >b.net <<'NETEOF'
input 2 9 11
conv 6 3 pad=1
relu
conv 5 1
maxpool 2
flatten
linear 7
relu
linear 3
NETEOF
nn-train -q --seed 1 --epochs 2 --batch 8 -o m.st b.net d.npy || fail "blas: nn-train failed"

env -u NN_BLAS nn-predict -q --conv gemm --logits -o a.npy m.st d.npy 2>err-a ||
	fail "blas: nn-predict with OpenBLAS: $(head -c 200 err-a)"
NN_BLAS=$T/no-such-blas.so nn-predict -q --conv gemm --logits -o b.npy m.st d.npy 2>err-b ||
	fail "blas: nn-predict with NN_BLAS unopenable: $(head -c 200 err-b)"
check "blas: an unopenable NN_BLAS is one note naming it and the built-in GEMM" \
	bash -c "[ \$(wc -l <err-b) -eq 1 ] && grep -q '^nn-predict: .*no-such-blas.so.*built-in C GEMM' err-b"
"$PY" - <<'PYEOF'
import numpy as np
from npstream import read_stream
a, b = read_stream("a.npy")[0], read_stream("b.npy")[0]
d = np.abs(a - b).max() / np.abs(a).max()
print(("PASS: " if d < 1e-5 else "FAIL: ") + f"blas: the built-in GEMM's scores are OpenBLAS's within 1e-5 ({d:.2g})")
print(("PASS: " if np.abs(a).max() > 0.1 else "FAIL: ") + "blas: the scores are not all near 0")
PYEOF

# which kernels OpenBLAS took; nothing to say where it is not installed
env -u NN_BLAS OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE=Haswell nn-predict -q -o /dev/null m.st d.npy 2>err-h
if ! grep -q '^Core: ' err-h; then
	skip "blas: NOT TESTABLE: no OpenBLAS says which kernels it took (libopenblas0 missing?)"
	exit 0
fi
check "blas: a user's OPENBLAS_CORETYPE is kept" grep -q '^Core: Haswell' err-h
env -u NN_BLAS -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 nn-predict -q -o /dev/null m.st d.npy 2>err-s
flags=$(grep -m1 '^flags' /proc/cpuinfo)
amd512=yes
for f in avx512f avx512dq avx512cd avx512bw avx512vl; do
	case " $flags " in *" $f "*) ;; *) amd512=no ;; esac
done
grep -q -m1 'AuthenticAMD' /proc/cpuinfo || amd512=no
if [ $amd512 = yes ]; then
	check "blas: an AMD CPU with AVX-512 gets OpenBLAS's SkylakeX kernels" grep -q '^Core: SkylakeX' err-s
else
	check "blas: another CPU gets OpenBLAS's own choice (not forced to SkylakeX)" \
		bash -c "! grep -q '^Core: SkylakeX' err-s || grep -q avx512f /proc/cpuinfo"
fi

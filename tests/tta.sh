#!/usr/bin/env bash
# tests/tta.sh: nn-predict --tta flip against numpy: for a classifier, the
# mean of nn-predict's scores of the data and of its mirror image (mirrored
# in numpy); for a segmentation network, the same with the mirror image's
# score maps mirrored back first. With other batch sizes, threads and
# --logits, and on the emulated CUDA backend. A bad value is a usage error
# that writes nothing.
. "$(dirname "$0")/lib.sh"
EMU=$NN_ROOT/build/emu
if ! have_py numpy; then
	skip "tta: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
cd "$T" || exit 1
# images wider than high, so that a mirror taken along the wrong axis fails
"$PY" - <<'EOF'
import numpy as np
from npstream import write_stream
r = np.random.default_rng(5)
x = r.integers(0, 256, (13, 1, 8, 10), dtype=np.uint8)
y = r.integers(0, 3, 13).astype(np.int32)
names = np.array([b"a", b"b", b"c"])
write_stream("cls.npy", x, y, names)
write_stream("cls-m.npy", np.ascontiguousarray(x[..., ::-1]), y, names)
x = r.integers(0, 256, (11, 3, 6, 10), dtype=np.uint8)
y = r.integers(0, 4, (11, 6, 10)).astype(np.int32)
write_stream("seg.npy", x, y)
write_stream("seg-m.npy", np.ascontiguousarray(x[..., ::-1]), np.ascontiguousarray(y[..., ::-1]))
EOF
cat >cls.net <<'EOF'
input 1 8 10
conv 4 3 pad=1
batchnorm
relu
maxpool 2
flatten
linear 3
EOF
cat >seg.net <<'EOF'
input 3 6 10
conv 6 3 pad=1
batchnorm
relu label=a
maxpool 2
conv 6 3 pad=1
upsample 2
concat a
conv 4 1
EOF
nn-train -q --seed 1 --epochs 2 --batch 4 -o cls.st cls.net cls.npy || fail "tta: nn-train (classifier) failed"
nn-train -q --seed 1 --epochs 2 --batch 4 -o seg.st seg.net seg.npy || fail "tta: nn-train (segmentation) failed"

# NAME MODEL DATA [OPTIONS]: nn-predict's scores of DATA and of its mirror
# image without TTA, and with --tta flip and OPTIONS, against numpy
compare() {
	local name=$1 model=$2 data=$3; shift 3
	local logits=
	case " $* " in *" --logits "*) logits=--logits ;; esac
	if ! nn-predict -q $logits "$model" "$data.npy" >a.npy 2>err ||
		! nn-predict -q $logits "$model" "$data-m.npy" >b.npy 2>>err; then
		fail "tta-$name: nn-predict without --tta: $(head -c 300 err)"
		return
	fi
	if ! "$@" --tta flip -o t.npy "$model" "$data.npy" 2>err; then
		fail "tta-$name: $* --tta flip: $(head -c 300 err)"
		return
	fi
	"$PY" - "$name" <<'EOF'
import sys
import numpy as np
from npstream import read_stream
name = sys.argv[1]
a, b, t = read_stream("a.npy"), read_stream("b.npy"), read_stream("t.npy")
p, q, got = a[0], b[0], t[0]
back = q[..., ::-1] if p.ndim == 4 else q
want = (p + back) / 2
def result(what, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + f"tta-{name}-{what}" + ("" if ok else f": {why}"))
result("shape", got.shape == p.shape and got.dtype == np.float32, (got.shape, got.dtype))
if got.shape == p.shape:
    d = np.abs(got - want).max()
    result("mean-of-image-and-mirror-within-1e-5", d <= 1e-5, d)
    # the test can tell: TTA changes the scores, and for maps the mirror
    # image's scores not mirrored back give another mean
    result("differs-from-no-tta", np.abs(got - p).max() > 1e-3, np.abs(got - p).max())
    if p.ndim == 4:
        result("differs-from-maps-not-mirrored-back", np.abs(got - (p + q) / 2).max() > 1e-3,
               np.abs(got - (p + q) / 2).max())
same = len(t) == len(a) and all(np.array_equal(u, v) for u, v in zip(t[1:], a[1:]))
result("labels-and-names-passed-through", same, f"{len(t)} arrays, {len(a)} without tta")
EOF
}

compare cls cls.st cls nn-predict -q
compare cls-batch-4-threads-1 cls.st cls nn-predict -q --batch 4 --threads 1
compare cls-logits cls.st cls nn-predict -q --logits --batch 5
compare seg seg.st seg nn-predict -q
compare seg-batch-4-threads-1 seg.st seg nn-predict -q --batch 4 --threads 1 --device cpu
compare seg-logits seg.st seg nn-predict -q --logits --batch 3

if [ -e "$EMU/libnnpipe-cuda-emu.so" ]; then
	emu() { env NN_CUDA_LIB="$EMU/libnnpipe-cuda-emu.so" LD_LIBRARY_PATH="$EMU/driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
	compare cls-emulated-cuda cls.st cls emu nn-predict -q --device cuda --batch 4
	compare seg-emulated-cuda seg.st seg emu nn-predict -q --device cuda --batch 4
else
	skip "tta-emulated-cuda: NOT TESTABLE: no $EMU/libnnpipe-cuda-emu.so"
fi

nn-predict --tta none -o none.npy seg.st seg.npy 2>err && nn-predict -q -o plain.npy seg.st seg.npy &&
	check "tta-none-is-no-tta" cmp -s none.npy plain.npy || fail "tta-none: $(head -c 300 err)"
nn-predict --tta flip --device cpu -o /dev/null seg.st seg.npy 2>err
check "tta-summary-says-mirror-images" grep -q '^nn-predict: 11 samples and their mirror images in .* s on cpu$' err

nn-predict --tta x -o bad.npy seg.st seg.npy >out 2>err
rc=$?
if [ "$rc" -ne 2 ]; then
	fail "tta-bad-value: exit status $rc, expected 2 ($(head -c 200 err))"
elif [ "$(head -1 err)" != "nn-predict: --tta: expected none or flip, got 'x'" ]; then
	fail "tta-bad-value: message '$(head -1 err)'"
elif [ -s out ] || [ -e bad.npy ]; then
	fail "tta-bad-value: output written"
else
	pass "tta-bad-value"
fi

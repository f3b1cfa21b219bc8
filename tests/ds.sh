#!/usr/bin/env bash
# tests/ds.sh: ds-load and ds-split against independent readers (numpy reading
# the IDX files with gzip, PIL decoding JPEG/PNG, PyTorch resizing), split
# determinism and completeness, and every bad input the tools must refuse.
. "$(dirname "$0")/lib.sh"

FM=$DATA/fashion-mnist
FAC=$DATA/mini-facade/starter_set
if ! have_py numpy; then
	skip "ds: NOT TESTABLE: $PY has no numpy"
	exit 0
fi

# no_output NAME FILE: after a failure, neither FILE nor its temporary is left
no_output() {
	if ls "$2" "$2".tmp.* >/dev/null 2>&1; then fail "$1: output left behind"; else pass "$1"; fi
}

# expect_usage NAME COMMAND...: exit status 2 and a hint on stderr
expect_usage() {
	local name=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -eq 2 ] && grep -q -- "--help" "$T/err"; then pass "$name"; else fail "$name: exit $rc ($(head -c 200 "$T/err"))"; fi
}

# ---- Fashion-MNIST --------------------------------------------------------
if [ -f "$FM/t10k-images-idx3-ubyte.gz" ]; then
	ds-load fashion-mnist "$FM" --split test -o "$T/test.npy" 2>"$T/err"
	check "fmnist-load-exit" [ $? -eq 0 ]
	check "fmnist-summary" grep -q '^ds-load: 10000 samples \[10000,1,28,28\] from ' "$T/err"
	ds-load fashion-mnist "$FM" --split train --limit 500 >"$T/train500.npy" 2>/dev/null
	"$PY" - "$FM" "$T" <<'EOF'
import gzip, sys, numpy as np
fm, t = sys.argv[1], sys.argv[2]
def idx(path, off):
    return np.frombuffer(gzip.open(path).read()[off:], np.uint8)
def load(path):
    with open(path, "rb") as f:
        out = []
        while f.peek(1):
            out.append(np.load(f))
    return out
names = [b"T-shirt/top", b"Trouser", b"Pullover", b"Dress", b"Coat", b"Sandal", b"Shirt",
         b"Sneaker", b"Bag", b"Ankle boot"]
for split, pre, n in (("test.npy", "t10k", 10000), ("train500.npy", "train", 500)):
    x, y, nm = load(f"{t}/{split}")
    X = idx(f"{fm}/{pre}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:n]
    Y = idx(f"{fm}/{pre}-labels-idx1-ubyte.gz", 8)[:n]
    tag = "fmnist-" + pre
    print("PASS:" if x.dtype == np.uint8 and x.shape == (n, 1, 28, 28) else "FAIL:", tag + "-x-shape-dtype", x.dtype, x.shape)
    print("PASS:" if y.dtype == np.uint8 and y.shape == (n,) else "FAIL:", tag + "-y-shape-dtype", y.dtype, y.shape)
    print("PASS:" if np.array_equal(x, X) else "FAIL:", tag + "-pixels-equal-numpy")
    print("PASS:" if np.array_equal(y, Y) else "FAIL:", tag + "-labels-equal-numpy")
    print("PASS:" if list(nm) == names and nm.dtype.kind == "S" else "FAIL:", tag + "-names", list(nm))
x, y, _ = load(f"{t}/test.npy")
print("PASS:" if list(y[:10]) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7] else "FAIL:", "fmnist-first-test-labels", list(y[:10]))
EOF
	# uncompressed IDX files read the same as the .gz ones
	mkdir -p "$T/plain"
	for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do gzip -dc "$FM/$f.gz" >"$T/plain/$f"; done
	ds-load fashion-mnist "$T/plain" --split test -o "$T/plain.npy" 2>/dev/null
	check "fmnist-uncompressed-same" cmp -s "$T/plain.npy" "$T/test.npy"
	if [ -d /usr/share/datasets/fashion-mnist ]; then
		check "fmnist-default-folder" cmp -s <(ds-load fashion-mnist --split test --limit 100 2>/dev/null) \
			<(ds-load fashion-mnist "$FM" --split test --limit 100 2>/dev/null)
	fi
	# generic idx loader: same data, with and without names
	ds-load idx "$T/plain/t10k-images-idx3-ubyte" "$T/plain/t10k-labels-idx1-ubyte" \
		--names T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,"Ankle boot" \
		-o "$T/idx.npy" 2>/dev/null
	check "idx-with-names-same" cmp -s "$T/idx.npy" "$T/test.npy"
	ds-load idx "$FM/t10k-images-idx3-ubyte.gz" --limit 3 -o "$T/idx-x.npy" 2>/dev/null
	"$PY" -c "
import numpy as np, sys
f = open('$T/idx-x.npy', 'rb'); x = np.load(f)
ok = x.shape == (3, 1, 28, 28) and not f.read()
print('PASS: idx-images-only' if ok else 'FAIL: idx-images-only', x.shape)"

	# ---- ds-split ---------------------------------------------------------
	ds-split --seed 1 --take 9000 -o "$T/a1.npy" -r "$T/b1.npy" "$T/test.npy" 2>/dev/null
	ds-split --seed 1 --take 9000 -o "$T/a2.npy" -r "$T/b2.npy" <"$T/test.npy" 2>/dev/null
	ds-split --seed 2 --take 9000 -o "$T/a3.npy" -r "$T/b3.npy" "$T/test.npy" 2>/dev/null
	ds-split --seed 1 --take 0.9 -o "$T/a4.npy" -r "$T/b4.npy" "$T/test.npy" 2>/dev/null
	ds-split --seed 1 --take 9000 --stratify -o "$T/s1.npy" -r "$T/s2.npy" "$T/test.npy" 2>/dev/null
	check "split-same-seed-same-files" cmp -s "$T/a1.npy" "$T/a2.npy"
	check "split-same-seed-same-rest" cmp -s "$T/b1.npy" "$T/b2.npy"
	if cmp -s "$T/a1.npy" "$T/a3.npy"; then fail "split-other-seed-differs"; else pass "split-other-seed-differs"; fi
	check "split-fraction-equals-count" cmp -s "$T/a1.npy" "$T/a4.npy"
	ds-split --info "$T/test.npy" >"$T/info.txt"
	"$PY" - "$T" <<'EOF'
import sys, numpy as np
t = sys.argv[1]
def load(path):
    with open(path, "rb") as f:
        out = []
        while f.peek(1):
            out.append(np.load(f))
    return out
x, y, nm = load(f"{t}/test.npy")
def rows(x, y):
    # one byte string per sample (pixels and label) so parts compare as multisets
    return sorted(a.tobytes() + bytes([b]) for a, b in zip(x, y))
for a, b, tag in (("a1", "b1", "split"), ("s1", "s2", "split-stratified")):
    xa, ya, na = load(f"{t}/{a}.npy")
    xb, yb, nb = load(f"{t}/{b}.npy")
    print("PASS:" if (len(xa), len(xb)) == (9000, 1000) else "FAIL:", tag + "-counts", len(xa), len(xb))
    print("PASS:" if list(na) == list(nm) and list(nb) == list(nm) else "FAIL:", tag + "-keeps-names")
    union = rows(np.concatenate([xa, xb]), np.concatenate([ya, yb]))
    print("PASS:" if union == rows(x, y) else "FAIL:", tag + "-union-is-input")
    print("PASS:" if not np.array_equal(xa[:100], x[:100]) else "FAIL:", tag + "-shuffled")
ys = load(f"{t}/s1.npy")[1]
cnt = np.bincount(ys, minlength=10)
print("PASS:" if (cnt == 900).all() else "FAIL:", "split-stratified-class-counts", list(cnt))
info = dict(l.split("\t", 1) for l in open(f"{t}/info.txt").read().splitlines() if "\t" in l)
ok = info["samples"] == "10000" and info["x"] == "uint8 [10000,1,28,28]" and info["y"] == "uint8 [10000]"
ok = ok and abs(float(info["x_mean"]) - x.mean()) < 1e-3 and abs(float(info["x_std"]) - x.std()) < 1e-3
lines = open(f"{t}/info.txt").read().splitlines()
table = lines[lines.index("class\tcount\tfraction\tname") + 1:]
counts = [int(l.split("\t")[1]) for l in table]
ok = ok and counts == list(np.bincount(y, minlength=10)) and table[9].endswith("Ankle boot")
print("PASS:" if ok else "FAIL:", "split-info")
EOF
else
	skip "fmnist: NOT TESTABLE: $FM missing"
fi

# ---- facade ---------------------------------------------------------------
if [ -d "$FAC/train" ] && have_py PIL; then
	ds-load facade "$FAC" --split train --limit 4 -o "$T/fac.npy" 2>"$T/err"
	check "facade-summary" grep -q '^ds-load: 4 samples \[4,3,256,256\] from ' "$T/err"
	ds-load facade "$DATA/mini-facade" --split train --limit 4 -o "$T/fac2.npy" 2>/dev/null
	check "facade-starter-set-folder" cmp -s "$T/fac.npy" "$T/fac2.npy"
	ds-load facade "$FAC" --split test_dev --limit 3 --size 100 -o "$T/fac100.npy" 2>/dev/null
	ds-split --seed 3 --take 2 -o "$T/fa.npy" -r "$T/fb.npy" "$T/fac.npy" 2>/dev/null
	"$PY" - "$FAC" "$T" <<'EOF'
import sys, numpy as np
from PIL import Image
fac, t = sys.argv[1], sys.argv[2]
def load(path):
    with open(path, "rb") as f:
        out = []
        while f.peek(1):
            out.append(np.load(f))
    return out
x, y, nm = load(f"{t}/fac.npy")
print("PASS:" if x.shape == (4, 3, 256, 256) and x.dtype == np.uint8 else "FAIL:", "facade-x-shape", x.shape)
print("PASS:" if y.shape == (4, 256, 256) and y.dtype == np.uint8 else "FAIL:", "facade-y-shape", y.shape)
print("PASS:" if [n.decode() for n in nm] == ["others", "facade", "pillar", "window", "balcony"] else "FAIL:", "facade-names")
dmax, lab_ok = 0, True
for i in range(4):
    im = np.asarray(Image.open(f"{fac}/train/eecs442_{i:04d}.jpg").convert("RGB")).transpose(2, 0, 1)
    dmax = max(dmax, int(np.abs(im.astype(int) - x[i]).max()))
    p = Image.open(f"{fac}/train/eecs442_{i:04d}.png")
    lab_ok &= p.mode == "P" and np.array_equal(np.asarray(p), y[i])
print("PASS:" if dmax <= 1 else "FAIL:", "facade-jpeg-vs-pil", "max diff", dmax)
print("PASS:" if lab_ok else "FAIL:", "facade-label-indices-vs-pil")
xa, ya, na = load(f"{t}/fa.npy")
xb, yb, nb = load(f"{t}/fb.npy")
key = lambda xs, ys: sorted(a.tobytes() + b.tobytes() for a, b in zip(xs, ys))
ok = len(xa) == 2 and len(xb) == 2 and key(np.concatenate([xa, xb]), np.concatenate([ya, yb])) == key(x, y)
print("PASS:" if ok and list(na) == list(nm) else "FAIL:", "facade-split-union")
try:
    import torch, torch.nn.functional as F
except ImportError:
    print("SKIP: facade-resize-vs-torch: NOT TESTABLE: no torch")
    sys.exit(0)
x, y, _ = load(f"{t}/fac100.npy")
bad_x = bad_y = 0
for i in range(3):
    im = np.asarray(Image.open(f"{fac}/test_dev/eecs442_{i:04d}.jpg").convert("RGB"))
    tx = torch.from_numpy(im.transpose(2, 0, 1).astype(np.float32)).unsqueeze(0).contiguous()
    r = F.interpolate(tx, size=(100, 100), mode="bilinear", align_corners=False)
    r = torch.round(r).clamp(0, 255).to(torch.uint8)[0].numpy()
    bad_x += int((r != x[i]).sum())
    lab = torch.from_numpy(np.asarray(Image.open(f"{fac}/test_dev/eecs442_{i:04d}.png")).copy())[None, None]
    bad_y += int((F.interpolate(lab, size=(100, 100), mode="nearest")[0, 0].numpy() != y[i]).sum())
print("PASS:" if bad_x == 0 else "FAIL:", "facade-bilinear-vs-torch", bad_x, "pixels differ")
print("PASS:" if bad_y == 0 else "FAIL:", "facade-nearest-vs-torch", bad_y, "pixels differ")
EOF
else
	skip "facade: NOT TESTABLE: $FAC or python3-pil missing"
fi

# ---- small hand-made inputs (no data needed) -------------------------------
if have_py PIL; then
	# photos and palette labels of every bit depth; PIL writes, ds-load reads
	"$PY" - "$T" <<'EOF'
import os, sys, numpy as np
from PIL import Image
t = sys.argv[1]
rng = np.random.default_rng(0)
def photo(path, w, h):
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, quality=90)
def label(path, a, bits=4):
    im = Image.fromarray(a.astype(np.uint8), "P")
    im.putpalette([0, 0, 0, 0, 128, 255, 128, 255, 128, 255, 128, 0, 255, 0, 0] + [9] * 33)
    im.save(path, bits=bits)
def folder(name):
    os.makedirs(f"{t}/{name}/s", exist_ok=True)
    return f"{t}/{name}/s"
d = folder("bits")
for i, bits in enumerate((1, 2, 4, 8)):
    photo(f"{d}/p{i}.jpg", 9, 7)
    label(f"{d}/p{i}.png", rng.integers(0, min(5, 2 ** bits), (7, 9)), bits)
d = folder("nolabel"); photo(f"{d}/a.jpg", 8, 8); label(f"{d}/a.png", np.zeros((8, 8))); photo(f"{d}/b.jpg", 8, 8)
d = folder("nophoto"); photo(f"{d}/a.jpg", 8, 8); label(f"{d}/a.png", np.zeros((8, 8))); label(f"{d}/c.png", np.zeros((8, 8)))
d = folder("rgb"); photo(f"{d}/a.jpg", 8, 8); Image.new("RGB", (8, 8)).save(f"{d}/a.png")
d = folder("range"); photo(f"{d}/a.jpg", 8, 8)
a = np.zeros((8, 8)); a[5, 3] = 7; label(f"{d}/a.png", a)
d = folder("size"); photo(f"{d}/a.jpg", 8, 8); label(f"{d}/a.png", np.zeros((8, 9)))
d = folder("corrupt"); photo(f"{d}/a.jpg", 64, 64); label(f"{d}/a.png", np.zeros((64, 64)))
data = open(f"{d}/a.jpg", "rb").read(); open(f"{d}/a.jpg", "wb").write(data[: len(data) // 2])
d = folder("garbage"); open(f"{d}/a.jpg", "w").write("not a jpeg\n"); label(f"{d}/a.png", np.zeros((8, 8)))
folder("empty")
# dataset streams with bad contents
from npstream import write_stream as stream
names = np.array([b"c%d" % i for i in range(10)])
x = np.zeros((6, 1, 2, 2), np.uint8)
stream(f"{t}/range.npy", x, np.array([0, 1, 2, 3, 4, 12], np.int64), names)
stream(f"{t}/neg.npy", x, np.array([0, 1, 2, -1, 4, 5], np.int32))
stream(f"{t}/f8.npy", x.astype("<f8"), np.zeros(6, np.uint8))
stream(f"{t}/ylen.npy", x, np.zeros(5, np.uint8))
stream(f"{t}/x3d.npy", np.zeros((6, 2, 2), np.uint8), np.zeros(6, np.uint8))
stream(f"{t}/seg.npy", x, np.zeros((6, 2, 3), np.uint8))
stream(f"{t}/big.npy", x, np.array([0, 300, 2, 3, 4, 5], np.int64))
open(f"{t}/empty.npy", "wb").close()
EOF
	ds-load facade "$T/bits" --split s -o "$T/bits.npy" 2>/dev/null
	"$PY" - "$T" <<'EOF'
import sys, numpy as np
from PIL import Image
t = sys.argv[1]
f = open(f"{t}/bits.npy", "rb"); x = np.load(f); y = np.load(f)
ok = y.shape == (4, 7, 9) and all(np.array_equal(np.asarray(Image.open(f"{t}/bits/s/p{i}.png")), y[i]) for i in range(4))
print("PASS:" if ok else "FAIL:", "png-1-2-4-8-bit-indices")
d = max(int(np.abs(np.asarray(Image.open(f"{t}/bits/s/p{i}.jpg")).transpose(2, 0, 1).astype(int) - x[i]).max()) for i in range(4))
print("PASS:" if d <= 1 else "FAIL:", "jpeg-odd-size-vs-pil", d)
EOF
	O=$T/out.npy
	expect_error "err-photo-without-label" "nolabel/s/b\.jpg: no label b\.png" ds-load facade "$T/nolabel" --split s -o "$O"
	no_output "err-photo-without-label-no-output" "$O"
	expect_error "err-label-without-photo" "nophoto/s/c\.png: no photo c\.jpg" ds-load facade "$T/nophoto" --split s -o "$O"
	expect_error "err-rgb-label" "rgb/s/a\.png: label PNG is RGB, not palette" ds-load facade "$T/rgb" --split s -o "$O"
	no_output "err-rgb-label-no-output" "$O"
	expect_error "err-label-index" "range/s/a\.png: label 7 out of range 0\.\.4 at pixel 3,5" ds-load facade "$T/range" --split s -o "$O"
	expect_error "err-size-mismatch" "size/s/a\.png: label is 9x8 but its photo a\.jpg is 8x8" ds-load facade "$T/size" --split s -o "$O"
	expect_error "err-truncated-jpeg" "corrupt/s/a\.jpg: corrupt JPEG: " ds-load facade "$T/corrupt" --split s -o "$O"
	no_output "err-truncated-jpeg-no-output" "$O"
	expect_error "err-not-jpeg" "garbage/s/a\.jpg: corrupt JPEG: Not a JPEG file" ds-load facade "$T/garbage" --split s -o "$O"
	expect_error "err-empty-folder" "empty/s: no \.jpg photos" ds-load facade "$T/empty" --split s -o "$O"
	expect_error "err-missing-folder" "nothere/s: No such file or directory" ds-load facade "$T/nothere" --split s -o "$O"
	no_output "err-missing-folder-no-output" "$O"
	expect_error "err-label-out-of-range" "range\.npy: label 12 out of range 0\.\.9 at sample 5" ds-split --seed 1 --take 3 -o "$O" -r "$T/r.npy" "$T/range.npy"
	no_output "err-label-out-of-range-no-output" "$O"
	expect_error "err-negative-label" "neg\.npy: negative label -1 at sample 3" ds-split --info "$T/neg.npy"
	expect_error "err-dtype-f8" "f8\.npy: unsupported dtype '<f8'" ds-split --take 3 -o "$O" -r "$T/r.npy" "$T/f8.npy"
	no_output "err-dtype-f8-no-output" "$O"
	expect_error "err-y-length" "ylen\.npy: y has 5 samples but x has 6" ds-split --info "$T/ylen.npy"
	expect_error "err-x-3d" "x3d\.npy: x must be \[N,C,H,W\]" ds-split --info "$T/x3d.npy"
	expect_error "err-seg-size" "seg\.npy: label maps are 3x2 but x is 2x2" ds-split --info "$T/seg.npy"
	expect_error "err-empty-stream" "empty\.npy: empty stream" ds-split --info "$T/empty.npy"
	expect_error "err-take-too-many" "only 6 samples" ds-split --take 7 -o "$O" -r "$T/r.npy" "$T/big.npy"
	# labels above 255 are written as int32
	ds-split --take 2 -o "$T/b1.npy" -r "$T/b2.npy" "$T/big.npy" 2>/dev/null
	"$PY" -c "
import numpy as np
f = open('$T/b2.npy', 'rb'); np.load(f); y = np.load(f)
print('PASS: labels-over-255-int32' if y.dtype == np.int32 and 300 in y else 'FAIL: labels-over-255-int32', y.dtype)"
else
	skip "hand-made images: NOT TESTABLE: python3-pil missing"
fi

O=$T/out.npy
"$PY" -c "
import numpy as np
f = open('$T/trunc.npy', 'wb')
np.save(f, np.zeros((10, 1, 28, 28), np.uint8)); np.save(f, np.zeros(10, np.uint8))
f.truncate(5000)"
expect_error "err-truncated-npy" "trunc\.npy: truncated" ds-split --take 1 -o "$O" -r "$T/r.npy" "$T/trunc.npy"
no_output "err-truncated-npy-no-output" "$O"
expect_error "err-missing-file" "nofile\.npy: No such file or directory" ds-split --take 1 -o "$O" -r "$T/r.npy" "$T/nofile.npy"
echo "hello, not an IDX file" >"$T/text"
expect_error "err-not-idx" "text: a text file, not an IDX file" ds-load idx "$T/text" -o "$O"
no_output "err-not-idx-no-output" "$O"
printf '\0\0\10\3\0\0\0\2\0\0\0\2\0\0\0\2abc' >"$T/short.idx"
expect_error "err-truncated-idx" "short\.idx: truncated" ds-load idx "$T/short.idx" -o "$O"
printf '\0\0\10\1\0\0\0\3\1\2\3' >"$T/lab.idx"
printf '\0\0\10\3\0\0\0\3\0\0\0\1\0\0\0\1abc' >"$T/img.idx"
expect_error "err-idx-names-range" "lab\.idx: label 2 out of range 0\.\.1 at sample 1" ds-load idx "$T/img.idx" "$T/lab.idx" --names a,b -o "$O"
expect_error "err-idx-dims" "lab\.idx: IDX file has 1 dimensions, expected 3" ds-load idx "$T/lab.idx" -o "$O"
{ printf '\0\0\10\3\0\0\0\10\0\0\0\20\0\0\0\20'; head -c 2048 /dev/urandom; } | gzip -c | head -c 1000 >"$T/img.idx.gz"
expect_error "err-truncated-gz" "img\.idx\.gz: (truncated|unexpected end)" ds-load idx "$T/img.idx.gz" -o "$O"
expect_error "err-fmnist-missing" "train-images-idx3-ubyte\.gz: No such file" ds-load fashion-mnist "$T" --split train -o "$O"
expect_usage "usage-no-dataset" ds-load
expect_usage "usage-no-split" ds-load fashion-mnist "$T"
expect_usage "usage-bad-option" ds-load facade "$T" --split s --bogus
expect_usage "usage-split-no-take" ds-split -o "$O" -r "$T/r.npy" "$T/x.npy"
expect_usage "usage-split-bad-take" ds-split --take 1.5 -o "$O" -r "$T/r.npy" "$T/x.npy"
check "help-ds-load" ds-load --help >/dev/null
check "help-ds-split" ds-split --help >/dev/null

# man pages format without warnings
if command -v man >/dev/null; then
	for p in ds-load ds-split; do
		w=$(MANWIDTH=80 man -l "$NN_ROOT/man/$p.1" 2>&1 >/dev/null)
		check "man-$p" [ -z "$w" ]
	done
else
	skip "man pages: NOT TESTABLE: man is not installed"
fi

# ---- ds-split on the suite's own data: every sample lands in one part -----
"$PY" - "$T" <<'EOF2'
import sys
import numpy as np
t = sys.argv[1]
n = 1001
x = np.zeros((n, 1, 2, 2), np.uint8)
x[:, 0, 0, 0], x[:, 0, 0, 1] = np.arange(n) % 256, np.arange(n) // 256   # each sample its own
y = (np.arange(n) * 7 % 3).astype(np.int32)
with open(f"{t}/own.npy", "wb") as f:
    np.save(f, x)
    np.save(f, y)
EOF2
for take in 0 1 500 0.3 1000 1001; do
	for strat in "" --stratify; do
		ds-split --take "$take" $strat --seed 4 -o "$T/oa.npy" -r "$T/ob.npy" "$T/own.npy" 2>/dev/null ||
			fail "own-split $take $strat: ds-split failed"
		"$PY" - "$T" "$take" "$strat" <<'EOF2'
import sys
import numpy as np
t, take, strat = sys.argv[1], sys.argv[2], sys.argv[3]
def load(path):
    with open(path, "rb") as f:
        out = []
        while f.peek(1):
            out.append(np.load(f))
    return out
x, y = load(f"{t}/own.npy")
(xa, ya), (xb, yb) = load(f"{t}/oa.npy"), load(f"{t}/ob.npy")
ids = lambda x: list(x[:, 0, 0, 0].astype(int) + 256 * x[:, 0, 0, 1].astype(int))
want = int(take) if "." not in take else int(round(float(take) * len(x)))
ia, ib = ids(xa), ids(xb)
ok = len(ia) == want and sorted(ia + ib) == list(range(len(x)))
ok = ok and all(y[i] == v for i, v in zip(ia + ib, list(ya) + list(yb)))
print(("PASS" if ok else "FAIL") + f": own-split --take {take} {strat}: every sample once, with its label"
      + ("" if ok else f": {len(ia)}+{len(ib)} samples, {len(set(ia + ib))} distinct"))
EOF2
	done
done

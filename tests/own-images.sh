#!/usr/bin/env bash
# tests/own-images.sh: ds-load images and ds-load folder. PNG files written
# here with known pixels (numpy and zlib, no image library) must load pixel
# for pixel, as RGB or as grey (PIL's luma, computed here); resizing must be
# PyTorch's; JPEG files (tests/fixtures/images, made once with PIL) must load
# exactly as the facade loader loads the same file. A folder data set gets
# its classes and its sample order as torchvision's ImageFolder finds them
# (its algorithm written out here with os.walk). Streams without labels go
# through nn-predict (checked against PyTorch) and seg-colour, and every
# tool that needs labels says so.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "own-images: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
FIX=$NN_ROOT/tests/fixtures/images
cd "$T" || exit 1

# ---- PNG files of every colour type, with known pixels ----------------------
"$PY" - <<'EOF'
import os, struct, zlib
import numpy as np

def png(path, a, ctype, depth=8, palette=None):
    """a: [H,W,C] uint8 or uint16; rows filtered with filter 0 (none)."""
    h, w = a.shape[:2]
    if depth == 16:
        raw = a.astype(">u2").tobytes()
        rows = [raw[i * len(raw) // h:(i + 1) * len(raw) // h] for i in range(h)]
    else:
        rows = [a[i].tobytes() for i in range(h)]
    data = b"".join(b"\0" + r for r in rows)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    out += chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b"")
    open(path, "wb").write(out)

r = np.random.default_rng(5)
H, W = 6, 7
rgb = r.integers(0, 256, (H, W, 3), dtype=np.uint8)
grey = r.integers(0, 256, (H, W, 1), dtype=np.uint8)
alpha = r.integers(0, 256, (H, W, 1), dtype=np.uint8)
pal = r.integers(0, 256, (5, 3), dtype=np.uint8)
idx = r.integers(0, 5, (H, W, 1), dtype=np.uint8)
deep = r.integers(0, 65536, (H, W, 3), dtype=np.uint16)
png("rgb.png", rgb, 2)
png("grey.png", grey, 0)
png("rgba.png", np.concatenate([rgb, alpha], 2), 6)
png("greya.png", np.concatenate([grey, alpha], 2), 4)
png("pal.png", idx, 3, palette=pal)
png("rgb16.png", deep, 2, depth=16)
big = r.integers(0, 256, (20, 30, 3), dtype=np.uint8)
png("big.png", big, 2)
np.savez("want.npz", rgb=rgb, grey=grey, pal=pal[idx[..., 0]], deep=(deep >> 8).astype(np.uint8), big=big)
EOF

ds-load images rgb.png grey.png rgba.png greya.png pal.png rgb16.png -o rgb.npy 2>err.txt
check "images-exit" [ $? -eq 0 ]
check "images-summary" grep -qx 'ds-load: 6 samples \[6,3,6,7\] from rgb.png and 5 more' err.txt
ds-load images --grey rgb.png grey.png rgba.png greya.png pal.png rgb16.png -o grey.npy 2>/dev/null
ds-load images big.png rgb.png --size 9 -o small.npy 2>/dev/null
ds-load images big.png grey.png --size 9 --grey -o small-grey.npy 2>/dev/null
"$PY" - "$NN_ROOT/tests" <<'EOF'
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])

from npstream import read_stream as stream

def result(name, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + name + ("" if ok else f": {why}"))

w = np.load("want.npz")
def luma(a):    # PIL's convert("L"): ITU-R 601-2 in 16-bit fixed point
    a = a.astype(np.int64)
    return ((a[..., 0] * 19595 + a[..., 1] * 38470 + a[..., 2] * 7471 + 0x8000) >> 16).astype(np.uint8)
g = w["grey"][..., 0]
rgb_want = [w["rgb"], np.repeat(w["grey"], 3, 2), w["rgb"], np.repeat(w["grey"], 3, 2), w["pal"], w["deep"]]
grey_want = [luma(w["rgb"]), g, luma(w["rgb"]), g, luma(w["pal"]), luma(w["deep"])]
names = ["rgb", "grey", "rgba", "grey-alpha", "palette", "rgb-16-bit"]
arrays = stream("rgb.npy")
result("images-stream-x-only", len(arrays) == 1 and arrays[0].dtype == np.uint8 and arrays[0].shape == (6, 3, 6, 7),
       [(a.dtype, a.shape) for a in arrays])
x = arrays[0]
for i, n in enumerate(names):
    result(f"images-rgb-{n}-pixels", np.array_equal(x[i], rgb_want[i].transpose(2, 0, 1)),
           np.argwhere(x[i] != rgb_want[i].transpose(2, 0, 1))[:3].tolist())
arrays = stream("grey.npy")
x = arrays[0]
result("images-grey-stream", len(arrays) == 1 and x.shape == (6, 1, 6, 7), [a.shape for a in arrays])
for i, n in enumerate(names):
    result(f"images-grey-{n}-pixels", np.array_equal(x[i, 0], grey_want[i]),
           np.argwhere(x[i, 0] != grey_want[i])[:3].tolist())
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: images-resize: NOT TESTABLE: no torch")
    sys.exit(0)
def resize(a):     # [H,W,3] uint8 -> [3,9,9] as PyTorch resizes a float [1,3,H,W] tensor
    t = torch.from_numpy(a.transpose(2, 0, 1).astype(np.float32))[None].contiguous()
    return torch.round(F.interpolate(t, size=(9, 9), mode="bilinear", align_corners=False)).clamp(0, 255)[0].to(torch.uint8).numpy()
x = stream("small.npy")[0]
result("images-size-9-rgb-vs-torch", x.shape == (2, 3, 9, 9) and np.array_equal(x[0], resize(w["big"]))
       and np.array_equal(x[1], resize(w["rgb"])), x.shape)
# grey: converted first, then resized with the arithmetic of the colour images
# (PyTorch's single-channel kernel rounds differently: three equal channels)
x = stream("small-grey.npy")[0]
rep = lambda a: np.repeat(a[..., None], 3, 2)
result("images-size-9-grey-vs-torch", x.shape == (2, 1, 9, 9) and np.array_equal(x[0, 0], resize(rep(luma(w["big"])))[0])
       and np.array_equal(x[1, 0], resize(rep(g))[0]), x.shape)
EOF

# ---- JPEG: as the facade loader reads the same photo ------------------------
"$PY" - <<'EOF'
import os, struct, zlib
import numpy as np
def label(path, w, h):      # an all-zero 8-bit palette PNG
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = b"".join(b"\0" + bytes(w) for _ in range(h))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
                           + chunk(b"PLTE", bytes(15)) + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))
for name, w, h in (("colour", 37, 23), ("grey", 19, 13)):
    os.makedirs(f"fac-{name}/s", exist_ok=True)
    label(f"fac-{name}/s/a.png", w, h)
EOF
cp "$FIX/colour.jpg" fac-colour/s/a.jpg
cp "$FIX/grey.jpg" fac-grey/s/a.jpg
for size in "" 16; do
	for name in colour grey; do
		ds-load facade fac-$name --split s ${size:+--size $size} 2>/dev/null | "$PY" -c "
import io, sys, numpy as np
sys.stdout.buffer.write(np.load(io.BytesIO(sys.stdin.buffer.read())).tobytes())" >want-$name$size.bin
		ds-load images "$FIX/$name.jpg" ${size:+--size $size} 2>/dev/null | "$PY" -c "
import io, sys, numpy as np
sys.stdout.buffer.write(np.load(io.BytesIO(sys.stdin.buffer.read())).tobytes())" >got-$name$size.bin
		check "images-jpeg-$name${size:+-size-$size}-as-facade-loader" cmp -s want-$name$size.bin got-$name$size.bin
	done
done
# a grey JPEG with --grey: its one channel, unchanged by the luma (equal R, G, B)
ds-load images --grey "$FIX/grey.jpg" -o gj.npy 2>/dev/null
"$PY" - <<'EOF'
import numpy as np
x = np.load("gj.npy")
want = np.frombuffer(open("want-grey.bin", "rb").read(), np.uint8).reshape(3, 13, 19)
ok = x.shape == (1, 1, 13, 19) and np.array_equal(x[0, 0], want[0]) and np.array_equal(want[0], want[1])
print("PASS: images-grey-jpeg-grey" if ok else f"FAIL: images-grey-jpeg-grey: {x.shape}")
EOF

# ---- refusals ---------------------------------------------------------------
echo "not an image" >text.png
mkfifo fifo.png
expect_error "images-sizes-differ" '^ds-load: big\.png: image is 30x20 but rgb\.png is 7x6 \(use --size\)$' \
	ds-load images rgb.png big.png -o x.npy
check "images-sizes-differ-no-output" [ ! -e x.npy ]
expect_error "images-not-an-image" '^ds-load: text\.png: a text file, not a PNG or JPEG image$' ds-load images rgb.png text.png -o x.npy
expect_error "images-missing" '^ds-load: nothere\.jpg: No such file or directory$' ds-load images nothere.jpg -o x.npy
expect_error "images-fifo" '^ds-load: fifo\.png: not a regular file$' ds-load images fifo.png -o x.npy
ds-load images - -o x.npy 2>/dev/null </dev/null
check "images-stdin-usage-error" [ $? -eq 2 ]
ds-load images -o x.npy 2>/dev/null
check "images-no-file-usage-error" [ $? -eq 2 ]
ds-load idx rgb.png --grey -o x.npy 2>/dev/null
check "grey-only-for-images-usage-error" [ $? -eq 2 ]

# ---- ds-load folder: classes and order as torchvision's ImageFolder ---------
"$PY" - "$FIX" <<'EOF'
import os, shutil, struct, sys, zlib
import numpy as np
fix = sys.argv[1]
def png(path, v):           # 4x3 RGB, every pixel (v, 255 - v, 7)
    a = np.zeros((3, 4, 3), np.uint8)
    a[..., 0], a[..., 1], a[..., 2] = v, 255 - v, 7
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = b"".join(b"\0" + a[i].tobytes() for i in range(3))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))
# class names whose byte order differs from a natural or case-blind order;
# files in sub-folders (a name with '-' sorts before the folder's own '/');
# upper-case extensions; files that are not images; a file at the top
files = ["b/2.png", "b/10.png", "b/sub/1.png", "b/sub-x/0.png", "b/sub/deeper/z.PNG",
         "a/x.png", "Ankle boot/one.png", "Ankle boot/Two.png", "Z/only.Png", "_u/q.png", "a b/k.png"]
for i, f in enumerate(files):
    os.makedirs(os.path.dirname("root/" + f), exist_ok=True)
    png("root/" + f, 10 * i + 5)
open("root/b/notes.txt", "w").write("not an image\n")
open("root/top.png", "wb").write(open("root/a/x.png", "rb").read())
os.symlink("../a", "root/b/link-to-a")        # followed, as os.walk(followlinks=True)
shutil.copy(f"{fix}/colour.jpg", "root/a/photo.jpeg")
# the reference: torchvision.datasets.folder.find_classes and make_dataset
IMG = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
classes = sorted(e.name for e in os.scandir("root") if e.is_dir())
samples = []
for c, name in enumerate(classes):
    for dirpath, _, fnames in sorted(os.walk(os.path.join("root", name), followlinks=True)):
        for f in sorted(fnames):
            if f.lower().endswith(IMG):
                samples.append((os.path.join(dirpath, f), c))
with open("folder-want.txt", "w") as f:
    f.write("\n".join(classes) + "\n--\n" + "".join(f"{p}\t{c}\n" for p, c in samples))
EOF
ds-load folder root --size 5 -o folder.npy 2>err.txt
check "folder-exit" [ $? -eq 0 ]
check "folder-summary" grep -qx 'ds-load: 14 samples \[14,3,5,5\] from root (6 classes)' err.txt
# each sample loaded alone must be the folder stream's sample at its place
sed '1,/^--$/d' folder-want.txt | cut -f1 | tr '\n' '\0' | xargs -0 ds-load images --size 5 -o each.npy 2>/dev/null
"$PY" - <<'EOF'
import numpy as np
from npstream import read_stream as stream
def result(name, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + name + ("" if ok else f": {why}"))
text = open("folder-want.txt").read().split("--\n")
classes = text[0].split("\n")[:-1]
samples = [l.split("\t") for l in text[1].splitlines()]
x, y, names = stream("folder.npy")
result("folder-class-names-sorted", [n.decode() for n in names] == classes, ([n.decode() for n in names], classes))
result("folder-labels", y.dtype == np.uint8 and y.tolist() == [int(c) for _, c in samples], (y.tolist(), samples))
each = stream("each.npy")[0]
result("folder-sample-order", x.shape == each.shape == (len(samples), 3, 5, 5) and np.array_equal(x, each),
       (x.shape, each.shape))
# the files' own values say the order too (red of file i is 10 i + 5; the
# JPEG photo, twice, is left out): classes "Ankle boot" (T before o), "Z",
# "_u", "a", "a b", "b"; in b its own files, then link-to-a, sub, sub-x
# (as "sub-x" < "sub/deeper"), sub/deeper
order = [int(v) for v, (p, _) in zip(x[:, 0, 2, 2], samples) if not p.endswith(".jpeg")]
result("folder-order-by-pixels", order == [75, 65, 85, 95, 55, 105, 15, 5, 55, 25, 35, 45], order)
EOF
ds-load folder root --grey --limit 3 -o fg.npy 2>/dev/null
"$PY" -c "
import numpy as np
f = open('fg.npy', 'rb'); x, y, n = np.load(f), np.load(f), np.load(f)
ok = x.shape == (3, 1, 3, 4) and y.tolist() == [0, 0, 1] and len(n) == 6
print('PASS: folder-grey-limit' if ok else f'FAIL: folder-grey-limit: {x.shape} {y.tolist()} {len(n)}')"

mkdir -p bad1/a bad2/a bad2/empty bad3/a bad4 bad5/a/sub
cp rgb.png bad1/a/ && cp rgb.png bad1/a/b.bmp
cp rgb.png bad2/a/
cp rgb.png bad3/a/ && cp big.png bad3/a/c.png
cp rgb.png bad4/loose.png
cp rgb.png bad5/a/ && ln -s .. bad5/a/sub/up
expect_error "folder-bmp" '^ds-load: bad1/a/b\.bmp: only PNG and JPEG images are read$' ds-load folder bad1 -o x.npy
expect_error "folder-empty-class" "^ds-load: bad2/empty: no PNG or JPEG images in class folder 'empty'$" ds-load folder bad2 -o x.npy
expect_error "folder-sizes-differ" '^ds-load: bad3/a/rgb\.png: image is 7x6 but bad3/a/c\.png is 30x20 \(use --size\)$' \
	ds-load folder bad3 -o x.npy
expect_error "folder-no-classes" '^ds-load: bad4: no class folders \(the images go in ROOT/CLASS/\)$' ds-load folder bad4 -o x.npy
expect_error "folder-link-loop" '^ds-load: bad5/a/sub/up: a link loops back to a folder above it$' ds-load folder bad5 -o x.npy
expect_error "folder-missing" '^ds-load: nothere: No such file or directory$' ds-load folder nothere -o x.npy
check "folder-no-output-left" [ ! -e x.npy ]

# ---- streams without labels through the tools ---------------------------------
cat >tiny.net <<'EOF'
input 3 5 5
conv 4 3 pad=1
relu
flatten
linear 6
EOF
nn-train -q --epochs 2 --batch 4 --seed 1 -o tiny.st tiny.net folder.npy 2>/dev/null
check "folder-trains" [ $? -eq 0 ]
ds-load images --size 5 root/a/x.png "$FIX/colour.jpg" -o own.npy 2>/dev/null
nn-predict -q tiny.st own.npy >own-p.npy
check "predict-without-labels-exit" [ $? -eq 0 ]
if have_py torch; then
	"$PY" "$NN_ROOT/tests/nnpipe_torch.py" predict tiny.st own.npy >own-torch.npy
	"$PY" - "$NN_ROOT/tests" <<'EOF'
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import nnpipe_torch as nt
def result(name, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + name + ("" if ok else f": {why}"))
got, want = nt.npy_read_stream("own-p.npy"), nt.npy_read_stream("own-torch.npy")
folder = nt.npy_read_stream("folder.npy")
result("predict-without-labels-stream-p-names", len(got) == 2 and got[0].shape == (2, 6) and got[1].dtype.kind == "S"
       and list(got[1]) == list(folder[2]), [(a.dtype, a.shape) for a in got])
# the PyTorch side takes the class names from the model's 'classes'
result("torch-predict-names-from-model", len(want) == 2 and list(want[1]) == list(folder[2]),
       [(a.dtype, a.shape) for a in want])
result("predict-without-labels-vs-torch", np.abs(got[0] - want[0]).max() <= 1e-5, np.abs(got[0] - want[0]).max())
EOF
else
	skip "predict-without-labels-vs-torch: NOT TESTABLE: $PY has no torch"
fi
expect_error "predict-shape-names-both" \
	'^nn-predict: <stdin>: the images are 3x6x7 \(channels x height x width\) but the model tiny\.st takes 3x5x5 \(ds-load images --size 5 makes them so\)$' \
	sh -c 'nn-predict tiny.st <rgb.npy'
expect_error "predict-grey-for-rgb-model" \
	'^nn-predict: small-grey\.npy: the images are 1x9x9 .* but the model tiny\.st takes 3x5x5' \
	nn-predict tiny.st small-grey.npy
expect_error "train-no-labels" '^nn-train: own\.npy: no labels in stream: training needs the class ids y' \
	nn-train -q -o m.st tiny.net own.npy
expect_error "train-val-no-labels" '^nn-train: own\.npy: no labels in stream: validation needs the class ids y \(ds-load images writes none\)$' \
	nn-train -q --val own.npy -o m.st tiny.net folder.npy
check "train-no-model-left" [ ! -e m.st ]
expect_error "split-stratify-no-labels" '^ds-split: own\.npy: no labels in stream: --stratify needs class labels \[N\]$' \
	ds-split --stratify --take 1 -o a.npy -r b.npy own.npy
ds-split --take 1 --seed 2 -o a.npy -r b.npy own.npy 2>/dev/null
"$PY" -c "
import numpy as np
def n(p):
    f = open(p, 'rb'); size = len(f.read()); f.seek(0); k = 0
    while f.tell() < size:
        np.load(f); k += 1
    return k
ok = n('a.npy') == 1 and n('b.npy') == 1 and len(np.load('a.npy')) == 1
print('PASS: split-without-labels' if ok else 'FAIL: split-without-labels')"
expect_error "sample-grid-no-labels" '^sample-grid: own\.npy: no labels in stream \(nor in own-p\.npy\): sample-grid needs the true classes y$' \
	sample-grid --data own.npy --pred own-p.npy -o g.png

# the pipeline of a segmentation model on a photo of one's own
cat >seg.net <<'EOF'
input 3 8 8
conv 5 3 pad=1
EOF
"$PY" -c "
import numpy as np
r = np.random.default_rng(1)
f = open('seg.npy', 'wb')
np.save(f, r.integers(0, 256, (4, 3, 8, 8), dtype=np.uint8)); np.save(f, r.integers(0, 5, (4, 8, 8)).astype(np.uint8))"
nn-train -q --epochs 1 --batch 2 -o seg.st seg.net seg.npy 2>/dev/null
ds-load images "$FIX/colour.jpg" --size 8 2>/dev/null | nn-predict -q seg.st | seg-colour --pred - -o seg-out/ 2>/dev/null
check "pipeline-photo-to-segmentation-picture" [ "$(head -c 8 seg-out/0000-pred.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
ds-load images "$FIX/colour.jpg" --size 8 -o photo.npy 2>/dev/null
nn-predict -q -o photo-p.npy seg.st photo.npy
if seg-colour --data photo.npy --pred photo-p.npy --triplet -o trip/ 2>trip.err && [ "$(ls trip)" = 0000-pair.png ] &&
	grep -qx 'seg-colour: photo\.npy and photo-p\.npy: no label maps (y): drawing input | output pairs' trip.err; then
	pass "seg-colour-triplet-no-labels: a pair, said on stderr"
else
	fail "seg-colour-triplet-no-labels: $(ls trip 2>&1) $(cat trip.err)"
fi

# man pages format without warnings
if command -v man >/dev/null; then
	for p in man/ds-load.1 man/nn-predict.1 man/nnpipe-formats.5; do
		w=$(MANWIDTH=80 man -l "$NN_ROOT/$p" 2>&1 >/dev/null)
		check "man-$(basename "$p")" [ -z "$w" ]
	done
fi

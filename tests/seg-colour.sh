#!/usr/bin/env bash
# tests/seg-colour.sh: seg-colour on a small hand-made segmentation stream:
# exact pixel colours of label maps and predictions (the course palette, then
# the PASCAL VOC colour map, hand-written here), photos back to PNG,
# triplets, the output names (folder, pattern, file, stdout) and errors.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy || ! have_py PIL; then
	skip "seg-colour: NOT TESTABLE: $PY lacks numpy or PIL"
	exit 0
fi

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(11)
x = rng.integers(0, 256, size=(3, 3, 2, 3), dtype=np.uint8)
y = np.array([[[0, 1, 2], [3, 4, 5]], [[6, 0, 0], [1, 1, 1]], [[4, 3, 2], [1, 0, 6]]], np.uint8)
p = rng.random((3, 7, 2, 3)).astype(np.float32)
p[0, :, 0, 0] = 0.5          # a tie of all classes: class 0 wins
p[0, 3:5, 1, 1] = 2.0        # a tie of classes 3 and 4: 3 wins
def stream(path, *arrays):
    with open(path, "wb") as f:
        for a in arrays:
            np.save(f, a, allow_pickle=False)
stream(f"{t}/data.npy", x, y)
stream(f"{t}/grey.npy", x[:, :1], y)
stream(f"{t}/pred.npy", p, y)
stream(f"{t}/pred-nolabels.npy", p)
stream(f"{t}/small.npy", x[:, :, :1], y[:, :1])
stream(f"{t}/negative.npy", x, np.where(y == 6, -1, y).astype(np.int32))
np.save(f"{t}/want-argmax.npy", p.argmax(1))
EOF

O=$T/pics
seg-colour --data "$T/data.npy" --label -o "$O" &&
	seg-colour --pred "$T/pred.npy" -o "$O/" &&
	seg-colour --data "$T/data.npy" --photo -o "$O" &&
	seg-colour --data "$T/grey.npy" --photo --index 1 -o "$O/grey.png" &&
	seg-colour --data "$T/data.npy" --pred "$T/pred.npy" --triplet --scale 2 --gap 3 -o "$O" &&
	seg-colour --pred "$T/pred.npy" --label --index 2,0 -o "$O/from-pred-%03d.png" &&
	seg-colour --pred "$T/pred-nolabels.npy" --index=1 >"$O/stdout.png"
check "seg-runs" [ $? -eq 0 ]

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
from PIL import Image
t = sys.argv[1]
o = t + "/pics"
def stream(path):
    f = open(path, "rb")
    size, out = len(f.read()), []
    f.seek(0)
    while f.tell() < size:
        out.append(np.load(f, allow_pickle=False))
    return out
x, y = stream(f"{t}/data.npy")
am = np.load(f"{t}/want-argmax.npy")
# the course palette, then the PASCAL VOC colour map for 5 and 6
palette = np.array([(0, 0, 0), (0, 128, 255), (128, 255, 128), (255, 128, 0), (255, 0, 0),
                    (128, 0, 128), (0, 128, 128)], np.uint8)
assert am[0, 0, 0] == 0 and am[0, 1, 1] == 3

def png(name, mode):
    im = Image.open(f"{o}/{name}")
    if im.mode != mode:
        raise ValueError(f"{name}: mode {im.mode}, expected {mode}")
    return np.asarray(im)

def verdict(name, what, pairs):
    try:
        for got, want in pairs:
            if got().shape != want.shape:
                raise ValueError(f"shape {got().shape}, expected {want.shape}")
            if not np.array_equal(got(), want):
                raise ValueError(f"pixels differ: {got().reshape(-1, 3)[:4].tolist()} ...")
        print(f"PASS: {name}: {what}")
    except (OSError, ValueError) as e:
        print(f"FAIL: {name}: {e}")

verdict("seg-label", "label maps in the palette, pixel by pixel",
        [(lambda i=i: png(f"{i:04d}-label.png", "RGB"), palette[y[i]]) for i in range(3)])
verdict("seg-pred", "argmax of p in the palette, ties to the first class",
        [(lambda i=i: png(f"{i:04d}-pred.png", "RGB"), palette[am[i]]) for i in range(3)])
verdict("seg-photo", "photos back as they were",
        [(lambda i=i: png(f"{i:04d}-photo.png", "RGB"), x[i].transpose(1, 2, 0)) for i in range(3)])
verdict("seg-photo-grey", "a one-channel photo as a grey PNG",
        [(lambda: png("grey.png", "L"), x[1, 0])])
def triplet(i, s=2, gap=3):
    h, w = y.shape[1] * s, y.shape[2] * s
    out = np.full((h, 3 * w + 2 * gap, 3), 255, np.uint8)
    big = lambda a: np.kron(a, np.ones((s, s, 1), np.uint8))
    out[:, :w] = big(x[i].transpose(1, 2, 0))
    out[:, w + gap:2 * w + gap] = big(palette[am[i]])
    out[:, 2 * w + 2 * gap:] = big(palette[y[i]])
    return out
verdict("seg-triplet", "photo | prediction | truth, enlarged, white gaps",
        [(lambda i=i: png(f"{i:04d}-triplet.png", "RGB"), triplet(i)) for i in range(3)])
verdict("seg-pattern", "--index 2,0 and a %03d pattern; labels carried by the prediction stream",
        [(lambda i=i: png(f"from-pred-{i:03d}.png", "RGB"), palette[y[i]]) for i in (0, 2)])
verdict("seg-stdout", "one image to stdout", [(lambda: png("stdout.png", "RGB"), palette[am[1]])])
EOF
check "seg-pattern-only-chosen: no file for an index not asked for" [ ! -e "$O/from-pred-001.png" ]
check "seg-files: 16 files: 3 of each kind, 1 grey, 2 by pattern, 1 from stdout" [ "$(ls "$O" | wc -l)" -eq 16 ]

expect_error "seg-index-range" 'data.npy: no image 5 \(there are 3\)' \
	seg-colour --data "$T/data.npy" --index 1,5 -o "$T/bad/"
expect_error "seg-size-mismatch" 'pred.npy: 3 images of 3x2, but .*small.npy has 3 of 3x1' \
	seg-colour --data "$T/small.npy" --pred "$T/pred.npy" --triplet -o "$T/bad/"
expect_error "seg-negative-label" 'negative.npy: negative label -1 at sample 1' \
	seg-colour --data "$T/negative.npy" --index 0 -o "$T/neg.png"
expect_error "seg-no-labels" 'pred-nolabels\.npy: no labels in stream: no label maps \(y\) to draw$' \
	seg-colour --pred "$T/pred-nolabels.npy" --label -o "$T/bad/"
check "seg-no-output-left" [ ! -e "$T/neg.png" ]
expect_usage() {
	"${@:2}" >/dev/null 2>&1
	check "$1: usage error" [ $? -eq 2 ]
}
expect_usage "seg-several-one-png" seg-colour --data "$T/data.npy" -o "$T/one.png"
expect_usage "seg-several-stdout" seg-colour --data "$T/data.npy"
expect_usage "seg-two-conversions" seg-colour --data "$T/data.npy" -o "$T/%d-%d.png"
expect_usage "seg-bad-conversion" seg-colour --data "$T/data.npy" -o "$T/%s.png"
expect_usage "seg-triplet-needs-pred" seg-colour --data "$T/data.npy" --triplet -o "$T/bad/"
expect_usage "seg-two-kinds" seg-colour --data "$T/data.npy" --photo --label -o "$T/bad/"
expect_usage "seg-bad-index" seg-colour --data "$T/data.npy" --index 3-1 -o "$T/bad/"

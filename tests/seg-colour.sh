#!/usr/bin/env bash
# tests/seg-colour.sh: seg-colour on a small hand-made segmentation stream:
# exact pixel colours of label maps and predictions (the course palette, then
# the PASCAL VOC colour map, hand-written here), photos back to PNG,
# triplets with and without titles, the default scale, legends below the
# pictures and alone (class names from either stream, or made), the output
# names (folder, pattern, file, stdout) and errors. Text is drawn by
# tests/pictures_ref.py from the font's table and the documented layout.
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
from npstream import write_stream as stream
stream(f"{t}/data.npy", x, y)
stream(f"{t}/grey.npy", x[:, :1], y)
stream(f"{t}/pred.npy", p, y)
stream(f"{t}/pred-nolabels.npy", p)
names = np.array([b"others", b"facade", b"pillar", b"window", b"balcony", b"sky", b"door"])
stream(f"{t}/named.npy", x, y, names)
stream(f"{t}/pred-named.npy", p, y, np.array([b"c%d" % c for c in range(7)]))
stream(f"{t}/photos-only.npy", x)
stream(f"{t}/small.npy", x[:, :, :1], y[:, :1])
stream(f"{t}/negative.npy", x, np.where(y == 6, -1, y).astype(np.int32))
np.save(f"{t}/want-argmax.npy", p.argmax(1))
EOF

O=$T/pics N=$T/new
seg-colour --data "$T/data.npy" --label --scale 1 -o "$O" &&
	seg-colour --pred "$T/pred.npy" --scale 1 -o "$O/" &&
	seg-colour --data "$T/data.npy" --photo --scale=1 -o "$O" &&
	seg-colour --data "$T/grey.npy" --photo --index 1 --scale 1 -o "$O/grey.png" &&
	seg-colour --data "$T/data.npy" --pred "$T/pred.npy" --triplet --scale 2 --gap 3 --no-titles -o "$O" &&
	seg-colour --pred "$T/pred.npy" --label --index 2,0 --scale 1 -o "$O/from-pred-%03d.png" &&
	seg-colour --pred "$T/pred-nolabels.npy" --index=1 --scale 1 >"$O/stdout.png"
check "seg-runs" [ $? -eq 0 ]
mkdir "$N" && cd "$N" &&
	seg-colour --data "$T/data.npy" --label --index 2 -o default.png &&
	seg-colour --data "$T/named.npy" --pred "$T/pred.npy" --triplet --scale 21 --gap 3 --index 0 -o titles.png &&
	seg-colour --data "$T/named.npy" --pred "$T/pred.npy" --triplet --scale 21 --gap 3 --index 1 --legend \
		-o titles-legend.png &&
	seg-colour --data "$T/named.npy" --pred "$T/pred-named.npy" --scale 20 --index 2 --legend -o pred-names.png &&
	seg-colour --data "$T/data.npy" --label --index 0 --legend -o made-names.png &&
	seg-colour --pred "$T/pred-nolabels.npy" --legend-only -o legend-scores.png &&
	seg-colour --data "$T/named.npy" --legend-only >legend-stdout.png &&
	seg-colour --data "$T/named.npy" --pred "$T/pred-named.npy" --legend-only -o "$N/" &&
	seg-colour --data "$T/photos-only.npy" --pred "$T/pred-nolabels.npy" --triplet --scale 21 --gap 3 --index 0 \
		-o pair.png 2>pair.err &&
	seg-colour --data "$T/photos-only.npy" --pred "$T/pred-nolabels.npy" --triplet --legend --index 2 -o pairs/ \
		2>/dev/null &&
	cd - >/dev/null
check "seg-runs-titles-legends" [ $? -eq 0 ]
check "seg-pair-said: stderr names both streams and says what is drawn" \
	grep -qx "seg-colour: $T/photos-only\.npy and $T/pred-nolabels\.npy: no label maps (y): drawing input | output pairs" \
	"$N/pair.err"
check "seg-pair-file: a folder receives NNNN-pair.png" [ "$(ls "$N/pairs")" = 0002-pair.png ]

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
from PIL import Image
t = sys.argv[1]
o = t + "/pics"
from npstream import read_stream as stream
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

"$PY" - "$NN_ROOT" "$T" <<'EOF'
import sys
import numpy as np
from PIL import Image
root, t = sys.argv[1], sys.argv[2]
sys.path.insert(0, root + "/tests")
import pictures_ref as ref
font = ref.load_font(root)
x, y = ref.stream(f"{t}/data.npy")
am = np.load(f"{t}/want-argmax.npy")
pal = ref.palette(7)
big = lambda a, s: np.kron(a, np.ones((s, s, 1), np.uint8))
names = ["others", "facade", "pillar", "window", "balcony", "sky", "door"]
made = [f"class {c}" for c in range(7)]

def picture(parts, scale, gap=4, titles=False, legend=None):
    # parts side by side, gap apart, under a band of 22 pixels of titles
    # (twice the font, 4 pixels down, centred over each part, cut to its
    # width); a legend 8 pixels below them, as wide as they are, 4 under it
    pw, ph = parts[0].shape[1] * scale, parts[0].shape[0] * scale
    gw, top = len(parts) * pw + (len(parts) - 1) * gap, 22 if titles else 0
    w, h = gw, top + ph
    if legend:
        lw, lh = ref.legend_size(legend, gw)
        w, h = max(gw, lw), h + 8 + lh + 4
    out = np.full((h, w, 3), 255, np.uint8)
    for i, part in enumerate(parts):
        x0 = i * (pw + gap)
        out[top:top + ph, x0:x0 + pw] = big(part, scale)
        if titles:
            title = ["input", "output", "ground truth"][i]
            tw = ref.text_width(title, 2)
            ref.draw_text(out, font, x0 + ((pw - tw) // 2 if tw < pw else 0), 4, title, pw, ref.BLACK, 2)
    if legend:
        ref.draw_legend(out, font, 0, top + ph + 8, legend, gw)
    return out

def legend_alone(legend):
    # the legend in rows at most 768 pixels wide, 4 of white around
    lw, lh = ref.legend_size(legend, 760)
    out = np.full((lh + 8, lw + 8, 3), 255, np.uint8)
    ref.draw_legend(out, font, 4, 4, legend, 760)
    return out

triplet = lambda i: [x[i].transpose(1, 2, 0), pal[am[i]], pal[y[i]]]
cases = [
    ("seg-default-scale", "default.png", "2 pixels high: enlarged 64 times, the most",
     picture([pal[y[2]]], 64)),
    ("seg-titles", "titles.png", "input | output | ground truth, titles centred and cut to 63 pixels",
     picture(triplet(0), 21, 3, titles=True)),
    ("seg-titles-legend", "titles-legend.png", "a legend of the data's names under a triplet, in rows",
     picture(triplet(1), 21, 3, titles=True, legend=names)),
    ("seg-legend-pred-names", "pred-names.png", "the prediction stream's names first, one entry a row",
     picture([pal[am[2]]], 20, legend=[f"c{c}" for c in range(7)])),
    ("seg-legend-made-names", "made-names.png", "no names: 'class C' up to the largest label",
     picture([pal[y[0]]], 64, legend=made)),
    ("seg-legend-only-scores", "legend-scores.png", "alone: as many classes as p has scores",
     legend_alone(made)),
    ("seg-legend-only-stdout", "legend-stdout.png", "alone, to stdout, the data's names", legend_alone(names)),
    ("seg-legend-only-folder", "legend.png", "alone, into a folder as legend.png",
     legend_alone([f"c{c}" for c in range(7)])),
    ("seg-pair", "pair.png", "photos without label maps: input | output under their titles",
     picture(triplet(0)[:2], 21, 3, titles=True)),
    ("seg-pair-legend", "pairs/0002-pair.png", "a pair at the default scale (64 times, the most) with a legend",
     picture(triplet(2)[:2], 64, titles=True, legend=made)),
]
# hand-computed: 'balcony' is 7 characters of 6 pixels less 1, twice: 82,
# its entry 14 + 4 + 82 = 100; the six-letter names take 88, 'sky' 52 and
# 'door' 64: one row of 4 * 88 + 100 + 52 + 64 + 6 * 16 = 664 pixels under
# 760, and under the 195 of a triplet of 63-pixel parts four rows of 14
# pixels 20 apart: others and facade (88 + 16 + 88 = 192), pillar and
# window, balcony and sky (100 + 16 + 52 = 168), door
assert ref.legend_size(names, 760) == (664, 14) and ref.legend_size(names, 195) == (192, 74)
# the five facade classes alone: 4 * 88 + 100 + 4 * 16 = 516, seg-colour(1)'s
# 524 by 22 with the margins
assert ref.legend_size(names[:5], 760) == (516, 14)
for name, path, what, want in cases:
    try:
        im = Image.open(f"{t}/new/{path}")
        why = f"mode {im.mode}" if im.mode != "RGB" else ref.compare(np.asarray(im), want)
    except OSError as e:
        why = str(e)
    print(f"FAIL: {name}: {why}" if why else f"PASS: {name}: {what}, {want.shape[1]}x{want.shape[0]}")
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
expect_usage "seg-legend-photo" seg-colour --data "$T/data.npy" --photo --legend -o "$T/bad/"
expect_usage "seg-legend-only-index" seg-colour --data "$T/data.npy" --legend-only --index 1 -o "$T/bad.png"
expect_usage "seg-legend-only-triplet" seg-colour --data "$T/data.npy" --pred "$T/pred.npy" --triplet \
	--legend-only -o "$T/bad.png"
expect_error "seg-legend-no-classes" 'photos-only.npy: no classes for a legend' \
	seg-colour --data "$T/photos-only.npy" --legend-only -o "$T/bad.png"
check "seg-bad-nothing-written" [ ! -e "$T/bad" -a ! -e "$T/bad.png" ]

#!/usr/bin/env bash
# tests/sample-grid.sh: sample-grid on a small hand-made dataset and
# prediction stream: the TSV against numpy (labels, argmax, scores, how many
# of each kind), the PNG size from the layout of sample-grid(1), every tile
# equal to its source pixels, caption colours, the seeded choice, and errors.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy || ! have_py PIL; then
	skip "sample-grid: NOT TESTABLE: $PY lacks numpy or PIL"
	exit 0
fi

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(3)
n, k = 60, 3
x = rng.integers(0, 256, size=(n, 1, 5, 4), dtype=np.uint8)
y = rng.integers(0, k, size=n).astype(np.uint8)
p = rng.random((n, k)).astype(np.float32)
# class 2 has a single wrong sample; sample 0 ties its two best scores
right = np.arange(n)[y == 2]
p[right] = 0.1
p[right, 2] = 0.8
p[right[0], 0] = 0.9
p[0] = 0.2
p[0, y[0]] = 0.4
p[0, (y[0] + 1) % k] = 0.4
names = np.array([b"zero", b"one<&>", b"a-very-long-class-name-indeed"])
from npstream import write_stream as stream
stream(f"{t}/data.npy", x, y, names)
stream(f"{t}/pred.npy", p, y, names)
stream(f"{t}/pred-nolabels.npy", p)
stream(f"{t}/seg.npy", rng.random((n, k, 2, 2)).astype(np.float32))
stream(f"{t}/short.npy", x[:10], y[:10])
stream(f"{t}/two-channel.npy", np.zeros((n, 2, 5, 4), np.uint8), y)
EOF

sample-grid --data "$T/data.npy" --pred "$T/pred.npy" -k 3 --seed 7 --scale 2 --gap 3 \
	--tsv "$T/g.tsv" -o "$T/g.png"
check "grid-runs" [ $? -eq 0 ]

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
from PIL import Image
t = sys.argv[1]
from npstream import read_stream as stream
x, y, names = stream(f"{t}/data.npy")
p = stream(f"{t}/pred.npy")[0]
n, k = p.shape
K, scale, gap = 3, 2, 3
pred = p.argmax(1)
rows = [l.rstrip("\n").split("\t") for l in open(f"{t}/g.tsv")]
bad = []
if rows[0] != ["row", "col", "index", "true", "pred", "score", "x", "y"]:
    bad.append(f"header {rows[0]}")
tiles = [(int(r), int(c), int(i), int(tr), int(pr), float(s), int(xx), int(yy))
         for r, c, i, tr, pr, s, xx, yy in rows[1:]]

# the layout of sample-grid(1)
def text_width(s):
    return 6 * len(s) - 1
left = 12 + min(max(text_width(f"{c} {names[c].decode()}") for c in range(k)), text_width("x" * 20))
h, w = x.shape[2] * scale, x.shape[3] * scale
tile_h = h + 2 + 2 * 9
top = 9 + gap + 2
width = left + 2 * K * w + (2 * K - 1) * gap + 3 * gap + 6
height = top + k * tile_h + (k - 1) * gap

for r, c, i, tr, pr, s, xx, yy in tiles:
    if tr != y[i] or r != tr:
        bad.append(f"index {i}: true {tr} row {r}, numpy says {y[i]}")
    if pr != pred[i]:
        bad.append(f"index {i}: pred {pr}, numpy argmax {pred[i]}")
    if (c < K) != (pr == tr):
        bad.append(f"index {i} in column {c} but pred {pr} true {tr}")
    if abs(s - p[i, pr]) > 1e-6:
        bad.append(f"index {i}: score {s}, expected {p[i, pr]}")
    if xx != left + c * (w + gap) + (3 * gap + 6) * (c >= K) or yy != top + r * (tile_h + gap):
        bad.append(f"tile {r},{c} at ({xx},{yy})")
for c in range(k):
    for kind in (0, 1):
        have = int(((y == c) & ((pred == y) != bool(kind))).sum())
        got = [t_ for t_ in tiles if t_[0] == c and (t_[1] >= K) == bool(kind)]
        idx = [t_[2] for t_ in got]
        cols = sorted(t_[1] - kind * K for t_ in got)
        if len(got) != min(K, have) or len(set(idx)) != len(idx) or cols != list(range(len(got))):
            bad.append(f"class {c} kind {kind}: {len(got)} tiles of {have} candidates, columns {cols}")
print("PASS: grid-tsv: true, predicted (numpy argmax), score and counts"
      if not bad else "FAIL: grid-tsv: " + "; ".join(bad[:3]))
# with K at least N every sample is drawn once; sample 0 ties two scores
import subprocess
r = subprocess.run(["sample-grid", "--data", f"{t}/data.npy", "--pred", f"{t}/pred.npy", "-k", str(n),
                    "--tsv", f"{t}/all.tsv", "-o", f"{t}/all.png"], capture_output=True, text=True)
every = [l.split("\t") for l in open(f"{t}/all.tsv").read().splitlines()[1:]] if not r.returncode else []
got = sorted((int(f[2]), int(f[4])) for f in every)
print("PASS: grid-all: -k N draws every sample once, ties to the first class as numpy"
      if got == [(i, pred[i]) for i in range(n)] else f"FAIL: grid-all: {r.stderr.strip()} {got[:3]}")

im = Image.open(f"{t}/g.png")
a = np.asarray(im)
print("PASS: grid-size: %dx%d as the layout gives" % (width, height)
      if im.mode == "RGB" and a.shape == (height, width, 3)
      else f"FAIL: grid-size: {im.mode} {a.shape[1]}x{a.shape[0]}, expected {width}x{height}")
if a.shape == (height, width, 3):
    wrong = [f"tile {r},{c}" for r, c, i, tr, pr, s, xx, yy in tiles
             if not np.array_equal(a[yy:yy + h, xx:xx + w],
                                   np.repeat(np.kron(x[i, 0], np.ones((scale, scale), np.uint8))[:, :, None], 3, 2))]
    print("PASS: grid-tiles: every tile equals its source image enlarged"
          if not wrong else "FAIL: grid-tiles: " + ", ".join(wrong[:3]))
    # caption: "T:" line in black, "P:" line green when right, red when wrong
    colours = []
    for r, c, i, tr, pr, s, xx, yy in tiles:
        strip = a[yy + h + 2:yy + h + 2 + 18, xx:xx + w].reshape(-1, 3)
        want = (0, 128, 0) if pr == tr else (204, 0, 0)
        other = (204, 0, 0) if pr == tr else (0, 128, 0)
        has = lambda col: bool((strip == col).all(1).any())
        if not has((0, 0, 0)) or not has(want) or has(other):
            colours.append(f"tile {r},{c}")
    print("PASS: grid-captions: true class in black, predicted in green or red"
          if not colours else "FAIL: grid-captions: " + ", ".join(colours[:3]))
    # the missing wrong tiles of class 2 stay background
    r2 = [t_ for t_ in tiles if t_[0] == 2 and t_[1] >= K]
    xx = left + (K + len(r2)) * (w + gap) + 3 * gap + 6
    yy = top + 2 * (tile_h + gap)
    blank = a[yy:yy + tile_h, xx:xx + w]
    print("PASS: grid-missing: a class with too few wrong samples leaves white tiles"
          if (blank == 255).all() and len(r2) == 1 else f"FAIL: grid-missing: {len(r2)} wrong tiles of class 2")
EOF

# the same seed gives the same picture; labels from the data stream give the same
sample-grid --data "$T/data.npy" --pred "$T/pred-nolabels.npy" -k 3 --seed=7 --scale 2 --gap 3 \
	--tsv "$T/g2.tsv" -o "$T/g2.png"
check "grid-seeded: same seed, same grid (labels from --data)" cmp -s "$T/g.png" "$T/g2.png"
check "grid-seeded-tsv" cmp -s "$T/g.tsv" "$T/g2.tsv"
sample-grid --data "$T/data.npy" --pred "$T/pred.npy" -k 3 --seed 8 --scale 2 --gap 3 --tsv "$T/g3.tsv" >"$T/g3.png"
if cmp -s "$T/g.tsv" "$T/g3.tsv"; then fail "grid-other-seed: seed 8 chose as seed 7"; else pass "grid-other-seed"; fi
check "grid-stdout: PNG on stdout" cmp -s <(head -c 4 "$T/g3.png") <(printf '\211PNG')

expect_error "grid-not-classes" 'seg.npy: scores of 4 dimensions' \
	sample-grid --data "$T/data.npy" --pred "$T/seg.npy" -o "$T/x.png"
expect_error "grid-count" 'short.npy: 10 samples, but .*pred.npy has 60' \
	sample-grid --data "$T/short.npy" --pred "$T/pred.npy" -o "$T/x.png"
expect_error "grid-channels" 'two-channel.npy: images of 2 channels' \
	sample-grid --data "$T/two-channel.npy" --pred "$T/pred.npy" -o "$T/x.png"
check "grid-no-output-left" [ ! -e "$T/x.png" ]
sample-grid --data "$T/data.npy" >/dev/null 2>&1
check "grid-usage: --pred missing is a usage error" [ $? -eq 2 ]

# every candidate can be drawn: over 60 seeds with k=2, each sample of each
# class and kind with more than 2 candidates is chosen at least once (a
# sample left out by a faulty shuffle would never be), and never twice in one grid
for s in $(seq 1 60); do
	sample-grid --data "$T/data.npy" --pred "$T/pred.npy" -k 2 --seed "$s" --tsv "$T/s$s.tsv" -o "$T/s.png" ||
		fail "grid-every-candidate: seed $s failed"
done
"$PY" - "$T" <<'EOF'
import sys, glob
import numpy as np
t = sys.argv[1]
from npstream import read_stream as stream
y = stream(f"{t}/data.npy")[1].astype(int)
p = stream(f"{t}/pred.npy")[0]
pred = p.argmax(1)
seen, dup = set(), []
for path in glob.glob(f"{t}/s*.tsv"):
    rows = [l.split("\t") for l in open(path).read().splitlines()[1:]]
    idx = [int(r[2]) for r in rows]
    if len(idx) != len(set(idx)):
        dup.append(path)
    seen.update(idx)
missed = [i for i in range(len(y))
          if ((pred == y) == (pred[i] == y[i]))[y == y[i]].sum() > 2 and i not in seen]
ok = not missed and not dup
print(("PASS" if ok else "FAIL") + ": grid-every-candidate: 60 seeds draw every candidate"
      + ("" if ok else f": never drawn {missed[:10]}, duplicates in {dup[:3]}"))
EOF

#!/usr/bin/env bash
# tests/filters-dump.sh: filters-dump on tiny hand-made models with known
# weights: every pixel of the PNG against a picture numpy builds from the
# weights (own and shared ranges, grey, RGB and per-channel tiles, scale,
# gap, background), and its errors.
. "$(dirname "$0")/lib.sh"
if ! have_py torch || ! have_py PIL; then
	skip "filters-dump: NOT TESTABLE: $PY lacks torch (tests/nnpipe_torch.py) or PIL"
	exit 0
fi

"$PY" - "$NN_ROOT" "$T" <<'EOF'
import math, subprocess, sys
import numpy as np
from PIL import Image
root, t = sys.argv[1], sys.argv[2]
sys.path.insert(0, root + "/tests")
from nnpipe_torch import st_write

def model(name, net, tensors):
    path = f"{t}/{name}.safetensors"
    st_write(path, {k: np.asarray(v, np.float32) for k, v in tensors.items()}, {"net": net})
    return path

# 3 grey 2x2 filters: a ramp, a constant, and one with negative weights
w1 = np.array([[[0, 1], [2, 3]], [[.5, .5], [.5, .5]], [[-1, .25], [.5, 1]]], np.float32)[:, None]
grey = model("grey", "input 1 5 5\nconv 3 2\nrelu\nflatten\nlinear 2\n",
             {"0.weight": w1, "0.bias": np.zeros(3), "3.weight": np.zeros((2, 48)), "3.bias": np.zeros(2)})
# 2 RGB 2x2 filters, then a convolution of 2 input channels
rng = np.random.default_rng(5)
w3 = rng.normal(size=(2, 3, 2, 2)).astype(np.float32)
w5 = rng.normal(size=(4, 2, 3, 3)).astype(np.float32)
rgb = model("rgb", "input 3 6 6\nconv 2 2\nrelu\nconv 4 3\n",
            {"0.weight": w3, "0.bias": np.zeros(2), "2.weight": w5, "2.bias": np.zeros(4)})

def levels(w, lo, hi):
    if not hi > lo:
        return np.full(w.shape, 128, np.uint8)
    return np.rint((w.astype(np.float64) - lo) / (hi - lo) * 255).astype(np.uint8)

def expected(w, scale=8, gap=2, bg=(255, 255, 255), shared=False, cols=None):
    """The grid filters-dump(1) describes, built independently."""
    nf, nc, k, _ = w.shape
    tiles = []   # (row, col, tile [k,k,ch])
    for f in range(nf):
        src = w if shared else w[f]
        lo, hi = float(src.min()), float(src.max())
        q = levels(w[f], lo, hi)          # [nc,k,k]
        if nc in (1, 3):
            c = cols or math.ceil(math.sqrt(nf))
            c = min(c, nf)
            tiles.append((f // c, f % c, q.transpose(1, 2, 0)))
        else:
            c = nc
            for ch in range(nc):
                tiles.append((f, ch, q[ch][:, :, None]))
    rows = max(r for r, _, _ in tiles) + 1
    size = k * scale
    out = np.zeros((rows * size + (rows - 1) * gap, c * size + (c - 1) * gap, 3), np.uint8)
    out[:, :] = bg
    for r, cc, tile in tiles:
        big = np.kron(tile, np.ones((scale, scale, 1), np.uint8))
        y, x = r * (size + gap), cc * (size + gap)
        out[y:y + size, x:x + size] = big if big.shape[2] == 3 else np.repeat(big, 3, 2)
    return out

def run(name, path, args, want, mode):
    out = f"{t}/{name}.png"
    r = subprocess.run(["filters-dump", *args, "-o", out, path], capture_output=True, text=True)
    if r.returncode:
        print(f"FAIL: filters-{name}: exit {r.returncode}: {r.stderr.strip()}")
        return
    im = Image.open(out)
    got = np.asarray(im.convert("RGB"))
    if im.mode != mode:
        print(f"FAIL: filters-{name}: PNG mode {im.mode}, expected {mode}")
    elif got.shape != want.shape:
        print(f"FAIL: filters-{name}: {got.shape[1]}x{got.shape[0]}, expected {want.shape[1]}x{want.shape[0]}")
    elif not np.array_equal(got, want):
        y, x, _ = np.argwhere(got != want)[0]
        print(f"FAIL: filters-{name}: pixel ({x},{y}) is {got[y, x]}, expected {want[y, x]}")
    else:
        print(f"PASS: filters-{name}: {want.shape[1]}x{want.shape[0]} {mode}, every pixel as expected")

# hand-computed corner: the ramp filter's levels are 0, 85, 170, 255
assert (levels(w1[0], 0, 3).ravel() == [0, 85, 170, 255]).all()
run("grey", grey, [], expected(w1), "L")
run("grey-shared", grey, ["--shared-range"], expected(w1, shared=True), "L")
run("grey-small", grey, ["--scale", "1", "--gap", "0", "--cols", "3"], expected(w1, 1, 0, cols=3), "L")
run("grey-background", grey, ["--background", "#102030", "--scale=3"],
    expected(w1, 3, bg=(0x10, 0x20, 0x30)), "RGB")
run("rgb", rgb, ["--gap", "1"], expected(w3, gap=1), "RGB")
run("rgb-shared", rgb, ["--shared-range", "--scale", "2"], expected(w3, 2, shared=True), "RGB")
run("per-channel", rgb, ["--layer", "2", "--scale", "4"], expected(w5, 4), "L")
run("per-channel-shared", rgb, ["--layer=2", "--shared-range"], expected(w5, shared=True), "L")

# models for the error cases
st_write(f"{t}/nonet.safetensors", {"0.weight": w1})
st_write(f"{t}/nan.safetensors", {"0.weight": np.full((3, 1, 2, 2), np.nan, np.float32)},
         {"net": "input 1 5 5\nconv 3 2\n"})
st_write(f"{t}/shape.safetensors", {"0.weight": np.zeros((3, 1, 3, 3), np.float32)},
         {"net": "input 1 5 5\nconv 3 2\n"})
EOF

expect_error "filters-not-conv" 'rgb.safetensors: layer 1 \(line 3\) is not a convolution' \
	filters-dump --layer 1 -o "$T/x.png" "$T/rgb.safetensors"
expect_error "filters-no-layer" 'rgb.safetensors: no layer 7 \(the network has 3\)' \
	filters-dump --layer 7 -o "$T/x.png" "$T/rgb.safetensors"
expect_error "filters-no-net" "nonet.safetensors: not an nnpipe model" filters-dump "$T/nonet.safetensors"
expect_error "filters-nan" "nan.safetensors: 0.weight has a value that is not finite \(filter 0\)" \
	filters-dump "$T/nan.safetensors"
expect_error "filters-shape" "shape.safetensors: no float32 tensor 0.weight of shape \[3,1,2,2\]" \
	filters-dump "$T/shape.safetensors"
expect_error "filters-missing" "nothere.safetensors: " filters-dump "$T/nothere.safetensors"
check "filters-no-output-left: nothing written by the failures" [ ! -e "$T/x.png" ]
filters-dump --scale 0 "$T/rgb.safetensors" >/dev/null 2>&1
check "filters-bad-scale: usage error" [ $? -eq 2 ]
filters-dump --background red "$T/rgb.safetensors" >/dev/null 2>&1
check "filters-bad-colour: usage error" [ $? -eq 2 ]

#!/usr/bin/env bash
# tests/filters-dump.sh: filters-dump on tiny hand-made models with known
# weights: every pixel of the PNG against a picture numpy builds from the
# weights and the layout filters-dump(1) documents (shared and own ranges;
# blue-white-red, RGB and per-channel tiles; numbers, colour bar and its
# values; scale, gap, columns, background), and its errors. Text is drawn by
# tests/pictures_ref.py from the font's table.
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
import pictures_ref as ref
font = ref.load_font(root)

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
# 12 grey 3x3 filters (numbers of two digits), and 2 of zeros
w12 = rng.normal(scale=0.2, size=(12, 1, 3, 3)).astype(np.float32)
twelve = model("twelve", "input 1 8 8\nconv 12 3\n", {"0.weight": w12, "0.bias": np.zeros(12)})
zero = model("zero", "input 1 8 8\nconv 2 3\n", {"0.weight": np.zeros((2, 1, 3, 3)), "0.bias": np.zeros(2)})

NEG, POS = np.array([0x21, 0x66, 0xAC]), np.array([0xB2, 0x18, 0x2B])

def diverging(tt):
    """white at 0, linearly to #2166AC at -1 and #B2182B at 1"""
    tt = np.asarray(tt, np.float64)[..., None]
    end = np.where(tt < 0, NEG, POS)
    return np.rint(255 + np.abs(tt) * (end - 255.0)).astype(np.uint8)

def level(tt):
    """one channel of an RGB tile: 0 at -1, 128 at 0, 255 at 1"""
    return np.rint(127.5 + 127.5 * np.asarray(tt, np.float64)).astype(np.uint8)

def expected(w, scale=None, gap=4, bg=None, own=False, cols=None):
    """The picture filters-dump(1) describes, built independently."""
    nf, nc, k, _ = w.shape
    rgb, per = nc == 3, nc not in (1, 3)
    scale = scale or -(-48 // k)
    bg = bg or ((255,) * 3 if rgb else (128,) * 3)
    tile, th, band, margin = k * scale, 14, 20, 8
    num_w = lambda n: ref.text_width(str(n), 2)
    cw = max(tile, num_w(nc - 1 if per else nf - 1))
    lw = num_w(nf - 1) if per else 0
    left, top = margin + (lw + 3 if per else 0), margin + (band if per else 0)
    if per:
        rows, ncols, ch = nf, nc, max(tile, th)
    else:
        ncols = min(cols or math.ceil(math.sqrt(nf)), nf)
        rows, ch = -(-nf // ncols), band + tile
    gw, gh = left + ncols * cw + (ncols - 1) * gap, top + rows * ch + (rows - 1) * gap
    m_all = float(np.abs(w).max())
    if own:
        lo, hi = "-max|w|", "+max|w|"
    else:
        lo, hi = ("%.3g" % -m_all, "%+.3g" % m_all) if m_all > 0 else ("0", "0")
    bw = max(gw - margin, (ref.text_width(lo) + ref.text_width("0") + ref.text_width(hi)) * 2 + 32)
    bar_y = gh + 10
    out = np.zeros((bar_y + 12 + 3 + th + margin, margin + bw + margin, 3), np.uint8)
    out[:, :] = bg
    def number(x, y, width, n):
        ref.draw_text(out, font, x + (width - num_w(n)) // 2, y, str(n), num_w(n), ref.BLACK, 2)
    for f in range(nf):
        m = float(np.abs(w[f]).max()) if own else m_all
        tt = w[f].astype(np.float64) / m if m > 0 else np.zeros(w[f].shape)
        big = lambda a: np.kron(a, np.ones((scale, scale, 1), np.uint8))
        if per:
            for c in range(nc):
                x, y = left + c * (cw + gap), top + f * (ch + gap)
                if f == 0:
                    number(x, margin + 3, cw, c)
                if c == 0:
                    number(margin, y + (ch - th) // 2, lw, f)
                out[y:y + tile, x + (cw - tile) // 2:][:, :tile] = big(diverging(tt[c]))
        else:
            r, c = divmod(f, ncols)
            x, y = left + c * (cw + gap), top + r * (ch + gap)
            number(x, y + 3, cw, f)
            q = level(tt).transpose(1, 2, 0) if rgb else diverging(tt[0])
            out[y + band:y + band + tile, x + (cw - tile) // 2:][:, :tile] = big(q)
    ramp = -1 + 2.0 * np.arange(bw) / (bw - 1)
    out[bar_y:bar_y + 12, margin:margin + bw] = np.repeat(level(ramp), 3).reshape(-1, 3) if rgb else diverging(ramp)
    ly = bar_y + 15
    ref.draw_text(out, font, margin, ly, lo, bw, ref.BLACK, 2)
    ref.draw_text(out, font, margin + (bw - ref.text_width("0", 2)) // 2, ly, "0", bw, ref.BLACK, 2)
    ref.draw_text(out, font, margin + bw - ref.text_width(hi, 2), ly, hi, bw, ref.BLACK, 2)
    return out

def run(name, path, args, want):
    out = f"{t}/{name}.png"
    r = subprocess.run(["filters-dump", *args, "-o", out, path], capture_output=True, text=True)
    if r.returncode:
        print(f"FAIL: filters-{name}: exit {r.returncode}: {r.stderr.strip()}")
        return
    im = Image.open(out)
    why = f"PNG mode {im.mode}, expected RGB" if im.mode != "RGB" else ref.compare(np.asarray(im), want)
    print(f"FAIL: filters-{name}: {why}" if why else
          f"PASS: filters-{name}: {want.shape[1]}x{want.shape[0]}, every pixel as expected")

# hand-computed: over the layer's largest |weight| 3, the ramp's red levels
# are 255 + t * (178 - 255) for t = 0, 1/3, 2/3, 1; the weight -1 is a third
# of the way to #2166AC; RGB channels at -3, 0 and 3 are 0, 128 and 255
assert diverging(w1[0, 0].ravel() / 3.0)[:, 0].tolist() == [255, 229, 204, 178]
assert diverging(-1 / 3.0).tolist() == [181, 204, 227]
assert level(np.array([-1.0, 0.0, 1.0])).tolist() == [0, 128, 255]
run("grey", grey, [], expected(w1))
run("grey-own", grey, ["--range", "own"], expected(w1, own=True))
run("grey-small", grey, ["--scale", "1", "--gap", "0", "--cols", "3"], expected(w1, 1, 0, cols=3))
run("grey-background", grey, ["--background", "#102030", "--scale=3"], expected(w1, 3, bg=(0x10, 0x20, 0x30)))
run("rgb", rgb, ["--gap", "1"], expected(w3, gap=1))
run("rgb-own", rgb, ["--range=own", "--scale", "2"], expected(w3, 2, own=True))
run("per-channel", rgb, ["--layer", "2", "--scale", "5"], expected(w5, 5))
run("per-channel-small", rgb, ["--layer", "2", "--scale", "1", "--gap", "0"], expected(w5, 1, 0))
run("per-channel-own", rgb, ["--layer=2", "--range", "own"], expected(w5, own=True))
run("twelve", twelve, [], expected(w12))
run("twelve-cols", twelve, ["--cols", "5", "--gap", "7"], expected(w12, gap=7, cols=5))
run("zero", zero, [], expected(np.zeros((2, 1, 3, 3), np.float32)))

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
filters-dump --range both "$T/rgb.safetensors" >/dev/null 2>"$T/err"
if [ $? -eq 2 ] && grep -q "range: expected shared or own, got 'both'" "$T/err"; then
	pass "filters-bad-range: usage error naming the choices"
else
	fail "filters-bad-range: $(head -c 200 "$T/err")"
fi

#!/usr/bin/python3
"""The augmentation transforms of a batch (flip, crop, scale, shift,
erasing), written again in numpy from backend.h's contract, for
tests/test_transforms.c: output pixel (ox, oy) samples the source at
x0 + (ox' + 0.5) * sw / W - 0.5 (the same for y), ox' = W-1-ox when flipped;
photos bilinearly with the coordinate clamped to the border, label maps at
the nearest pixel (floor(s + 0.5), clamped). Photos are then normalised,
(pixel / 255 - mean) * inv_std, and the output pixels ex <= ox < ex + ew,
ey <= oy < ey + eh set to 0; label maps are not erased.

Usage: transforms_ref.py DIR BACKEND... where DIR holds src_x.npy
(uint8 [N,C,H,W]), src_y.npy (int32 [N,H,W]), idx.npy, xf.npy (float32
[n, 9]: flip, x0, y0, sw, sh, ex, ey, ew, eh), norm.npy (float32 [2, C]:
mean, inv_std) and, per backend, BACKEND.x.npy and BACKEND.y.npy as it
gathered them. Prints PASS:/FAIL: lines, and exits 0 when it could compare
(a failure is a FAIL: line).

Besides the reference, the photos' pixel values encode their class
(CLASS_STEP * class + channel): wherever all four pixels a sample blends
are of one class and the pixel is not erased, the class read back from the
gathered photo must be the gathered label, which is what a label map that
follows its photo means.
"""

import os
import sys

import numpy as np

CLASS_STEP = 40


def coords(n_out, flip, start, extent):
    o = np.arange(n_out, dtype=np.float64)
    if flip:
        o = n_out - 1 - o
    return start + (o + 0.5) * extent / n_out - 0.5


def bilinear(plane, sy, sx):
    h, w = plane.shape
    sy = np.clip(sy, 0, h - 1)
    sx = np.clip(sx, 0, w - 1)
    y0 = np.floor(sy).astype(int)
    x0 = np.floor(sx).astype(int)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    ly = (sy - y0)[:, None]
    lx = (sx - x0)[None, :]
    p = plane.astype(np.float64)
    top = p[y0][:, x0] * (1 - lx) + p[y0][:, x1] * lx
    bottom = p[y1][:, x0] * (1 - lx) + p[y1][:, x1] * lx
    one_class = (
        (p[y0][:, x0] // CLASS_STEP == p[y0][:, x1] // CLASS_STEP)
        & (p[y0][:, x0] // CLASS_STEP == p[y1][:, x0] // CLASS_STEP)
        & (p[y0][:, x0] // CLASS_STEP == p[y1][:, x1] // CLASS_STEP))
    return top * (1 - ly) + bottom * ly, one_class


def nearest(plane, sy, sx):
    h, w = plane.shape
    iy = np.clip(np.floor(sy + 0.5).astype(int), 0, h - 1)
    ix = np.clip(np.floor(sx + 0.5).astype(int), 0, w - 1)
    return plane[iy][:, ix]


def reference(src_x, src_y, idx, xf, mean, inv_std):
    n = len(idx)
    _, c, h, w = src_x.shape
    x = np.zeros((n, c, h, w))
    y = np.zeros((n, h, w), np.int64)
    pure = np.zeros((n, h, w), bool)
    for i in range(n):
        flip, x0, y0, sw, sh = xf[i][:5]
        ex, ey, ew, eh = (int(v) for v in xf[i][5:])
        sy = coords(h, False, y0, sh)
        sx = coords(w, bool(flip), x0, sw)
        for ch in range(c):
            x[i, ch], one = bilinear(src_x[idx[i], ch], sy, sx)
            x[i, ch] = (x[i, ch] / 255.0 - mean[ch]) * inv_std[ch]
            x[i, ch, ey:ey + eh, ex:ex + ew] = 0
        pure[i] = one
        pure[i, ey:ey + eh, ex:ex + ew] = False
        y[i] = nearest(src_y[idx[i]], sy, sx)
    return x, y, pure


def main():
    folder, backends = sys.argv[1], sys.argv[2:]
    load = lambda name: np.load(os.path.join(folder, name))  # noqa: E731
    src_x, src_y, idx, xf = load("src_x.npy"), load("src_y.npy"), load("idx.npy"), load("xf.npy")
    mean, inv_std = load("norm.npy").astype(np.float64).reshape(2, -1)
    want_x, want_y, pure = reference(src_x, src_y, idx, xf, mean, inv_std)
    for be in backends:
        got_x, got_y = load(be + ".x.npy"), load(be + ".y.npy")
        for i in range(len(idx)):
            ex, ey, ew, eh = (int(v) for v in xf[i][5:])
            erased = f", erased {ew}x{eh} at {ex},{ey}" if ew else ""
            what = f"transforms {be} sample {i} (flip {int(xf[i][0])}, crop x0 {xf[i][1]:g} y0 {xf[i][2]:g}, " \
                   f"{xf[i][3]:g}x{xf[i][4]:g}{erased})"
            err = np.abs(got_x[i] - want_x[i]).max()
            bad = np.argwhere(got_y[i] != want_y[i])
            # the class of each gathered photo pixel (channel 0), where the
            # sample blends one class only
            photo_class = np.floor((got_x[i, 0] / inv_std[0] + mean[0]) * 255.0 / CLASS_STEP + 1e-3).astype(int)
            astray = np.argwhere(pure[i] & (photo_class != got_y[i]))
            if err > 1e-5:
                print(f"FAIL: {what}: photo off the reference by {err:.3g}")
            elif len(bad):
                r, col = bad[0]
                print(f"FAIL: {what}: label at row {r}, column {col} is {got_y[i][r, col]}, "
                      f"the reference's {want_y[i][r, col]}")
            elif len(astray):
                r, col = astray[0]
                print(f"FAIL: {what}: at row {r}, column {col} the photo shows class {photo_class[r, col]}, "
                      f"the label map says {got_y[i][r, col]}")
            else:
                print(f"PASS: {what}: photo and label map as the reference, "
                      f"labels on the photo's classes at {int(pure[i].sum())} pixels")
                continue



main()

"""pictures_ref: the drawing rules of the picture tools, rebuilt in numpy for
the tests that compare their PNGs pixel by pixel.

The glyphs of the 5x7 font are data, read from the table in lib/formats/draw.c; how
text is laid out and enlarged, the class palette and the legend's layout
follow draw.h and the man pages, written here independently.
"""

import re

import numpy as np

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)

FONT_W, FONT_H, FONT_ADVANCE = 5, 7, 6


def load_font(root):
    """{character: bool array [7,5]} for ' ' to '~', from lib/formats/draw.c."""
    src = open(f"{root}/lib/formats/draw.c").read()
    rows = re.findall(r'\{((?:"[.#]{5}",? ?){7})\},', src)
    if len(rows) != 95:
        raise ValueError(f"lib/formats/draw.c: {len(rows)} glyphs, expected 95")
    font = {}
    for i, row in enumerate(rows):
        lines = re.findall(r'"([.#]{5})"', row)
        font[chr(32 + i)] = np.array([[ch == "#" for ch in line] for line in lines])
    return font


def text_width(s, size=1):
    return (len(s) * FONT_ADVANCE - (FONT_ADVANCE - FONT_W)) * size if s else 0


def draw_text(img, font, x, y, s, max_w, colour, size=1):
    """Each character whose glyph ends within max_w of x, dots of size x size."""
    at = 0
    for ch in s:
        if at + FONT_W * size > max_w:
            break
        g = font[ch if " " <= ch <= "~" else "?"]
        for r, c in zip(*np.nonzero(g)):
            y0, x0 = y + r * size, x + at + c * size
            img[y0:y0 + size, x0:x0 + size] = colour
        at += FONT_ADVANCE * size


def palette(n):
    """The course palette, then the PASCAL VOC colour map (bits of the id
    spread over the high bits of r, g and b)."""
    course = [(0, 0, 0), (0, 128, 255), (128, 255, 128), (255, 128, 0), (255, 0, 0)]
    out = []
    for c in range(n):
        if c < 5:
            out.append(course[c])
            continue
        rgb, cid = [0, 0, 0], c
        for bit in range(7, -1, -1):
            if not cid:
                break
            for k in range(3):
                rgb[k] |= ((cid >> k) & 1) << bit
            cid >>= 3
        out.append(tuple(rgb))
    return np.array(out, np.uint8)


# the legend (draw.h): swatches of 14 pixels, names at twice the font 4
# pixels to their right, entries 16 apart, rows 20 apart
L_TEXT, L_SWATCH, L_PAD, L_SPACE, L_ROW = 2, 14, 4, 16, 20


def legend_places(names, max_w):
    """(x, y, width) of each entry, relative to the legend's corner."""
    out, x, y, w = [], 0, 0, 0
    for name in names:
        if w:
            x += w + L_SPACE
        w = L_SWATCH + L_PAD + text_width(name, L_TEXT)
        if x > 0 and x + w > max_w:
            x, y = 0, y + L_ROW
        out.append((x, y, w))
    return out


def legend_size(names, max_w):
    places = legend_places(names, max_w)
    return max(x + w for x, _, w in places), places[-1][1] + L_SWATCH


def draw_legend(img, font, x, y, names, max_w):
    colours = palette(len(names))
    for i, (ex, ey, w) in enumerate(legend_places(names, max_w)):
        img[y + ey:y + ey + L_SWATCH, x + ex:x + ex + L_SWATCH] = colours[i]
        draw_text(img, font, x + ex + L_SWATCH + L_PAD, y + ey, names[i], w, BLACK, L_TEXT)


from npstream import read_stream as stream


def compare(got, want):
    """None when equal, else what differs first."""
    if got.shape != want.shape:
        return f"{got.shape[1]}x{got.shape[0]}, expected {want.shape[1]}x{want.shape[0]}"
    if not np.array_equal(got, want):
        y, x = np.argwhere((got != want).reshape(got.shape[0], got.shape[1], -1).any(2))[0]
        return f"pixel ({x},{y}) is {got[y, x].tolist()}, expected {want[y, x].tolist()}"
    return None

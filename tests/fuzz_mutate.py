#!/usr/bin/env python3
"""fuzz_mutate.py: the seeded, deterministic mutator of tests/fuzz.sh.

    fuzz_mutate.py KIND SEED COUNT SRC OUTDIR

writes COUNT mutants of the valid input SRC, made with the seeds SEED,
SEED+1, ..., to OUTDIR/<seed><ext>; the mutant of one seed is always the same
(random.Random(f"{KIND}:{seed}")), so a failing case is remade from its seed
alone. KIND says what SRC is and which structured mutations apply besides the
byte-level ones (bit flips, bytes set to 0/0xff/0x7f/0x80, truncation, chunks
duplicated or deleted):

    npy      a tensor stream: arrays swapped, dropped or repeated, shapes and
             dtypes edited in the header (huge, zero, negative), arrays
             reshaped consistently, NaN/inf in float data, labels out of range
    st       a safetensors file: JSON header edits (shapes, dtypes, offsets,
             names, metadata, the network text), NaN/inf in tensors
    net      a network description: random tokens, lines dropped or repeated
    tsv      a metrics log: fields replaced by odd numbers, rows and columns
    idx      an IDX file: header dimensions, magic, data
    idxgz    a folder of gzipped IDX files (ds-load fashion-mnist)
    facade   a folder SPLIT/NAME.jpg + SPLIT/NAME.png (ds-load facade)
Only the standard library is used.
"""
import gzip
import json
import math
import os
import re
import shutil
import struct
import sys
import zlib

import random

HUGE = [2**31 - 1, 2**31, 2**32 + 1, 2**40, 2**62, 2**63 - 1, 10**30]
ODD_INTS = [0, 1, 2, 3, 255, 256, 65535, 65536, -1, -2**31] + HUGE


# ---- byte-level mutations --------------------------------------------------

def pos(r, n, head=256):
    """A position in [0, n): half the time in the first bytes, where headers are."""
    if n <= 0:
        return 0
    if r.random() < 0.5:
        return r.randrange(min(n, head))
    return r.randrange(n)


def mutate_bytes(r, b, head=256):
    b = bytearray(b)
    op = r.randrange(7)
    if not b:
        return bytes([r.randrange(256) for _ in range(r.randrange(1, 16))])
    if op == 0:      # bit flips
        for _ in range(r.randint(1, 4)):
            i = pos(r, len(b), head)
            b[i] ^= 1 << r.randrange(8)
    elif op == 1:    # special bytes
        for _ in range(r.randint(1, 4)):
            b[pos(r, len(b), head)] = r.choice([0, 0xff, 0x7f, 0x80])
    elif op == 2:    # truncation
        del b[pos(r, len(b), head * 4):]
    elif op == 3:    # chunk duplicated
        i = pos(r, len(b), head)
        n = r.randint(1, min(512, len(b) - i))
        b[i:i] = b[i:i + n]
    elif op == 4:    # chunk deleted
        i = pos(r, len(b), head)
        del b[i:i + r.randint(1, 512)]
    elif op == 5:    # random bytes inserted
        i = pos(r, len(b), head)
        b[i:i] = bytes(r.randrange(256) for _ in range(r.randint(1, 16)))
    else:            # a 4- or 8-byte little-endian integer overwritten
        i = pos(r, len(b), head)
        w = r.choice([4, 8])
        v = r.choice(ODD_INTS) & ((1 << (8 * w)) - 1)
        b[i:i + w] = v.to_bytes(w, "little")
    return bytes(b)


# ---- tensor streams (NPY) ---------------------------------------------------

DESCR = {"|u1": ("B", 1), "<u1": ("B", 1), "<i4": ("i", 4), "<i8": ("q", 8),
         "<f4": ("f", 4)}
ODD_DESCR = ["|u1", "<i4", "<i8", "<f4", "<f8", ">f4", "|b1", "<u2", "|S0", "|S5",
             "|S99999", "<c8", "O", "", "|S-1", "<U3"]
ODD_FLOATS = [math.nan, math.inf, -math.inf, 3.4e38, -3.4e38, 1e-45, -0.0, 1e30]


class Array:
    def __init__(self, descr, shape, data, extra=""):
        self.descr, self.shape, self.data = descr, list(shape), bytearray(data)
        self.fortran = False
        self.extra = extra       # raw text spliced into the header dict

    def itemsize(self):
        if self.descr in DESCR:
            return DESCR[self.descr][1]
        m = re.match(r"\|S(\d+)$", self.descr)
        return int(m.group(1)) if m else 1

    def header(self, version=1):
        shape = "(" + ", ".join(str(s) for s in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, %s}" % (
            self.descr, "True" if self.fortran else "False", shape, self.extra)
        d = d.encode("latin-1")
        pre = 10 if version == 1 else 12
        pad = (64 - (pre + len(d) + 1) % 64) % 64
        d += b" " * pad + b"\n"
        if version == 1:
            return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d
        return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(d)) + d

    def tobytes(self, version=1):
        return self.header(version) + bytes(self.data)


def parse_npy(b):
    arrays, i = [], 0
    while i < len(b):
        ver = b[i + 6]
        if ver == 1:
            (hl,) = struct.unpack_from("<H", b, i + 8)
            h0 = i + 10
        else:
            (hl,) = struct.unpack_from("<I", b, i + 8)
            h0 = i + 12
        h = b[h0:h0 + hl].decode("latin-1")
        descr = re.search(r"'descr': '([^']*)'", h).group(1)
        shape = [int(s) for s in re.search(r"'shape': \(([^)]*)\)", h).group(1).replace(",", " ").split()]
        a = Array(descr, shape, b"")
        n = a.itemsize() * math.prod(shape)
        if n < 0:
            raise ValueError("negative size")
        a.data = bytearray(b[h0 + hl:h0 + hl + n])
        arrays.append(a)
        i = h0 + hl + n
    return arrays


def fill(r, a, n, odd=0.0):
    """n elements of random data fit for a's dtype; floats odd (NaN, inf...)
    with probability odd."""
    if a.descr == "<f4":
        return struct.pack("<%df" % n, *(r.choice(ODD_FLOATS) if r.random() < odd else r.uniform(-3, 3)
                                         for _ in range(n)))
    if a.descr in ("<i4", "<i8"):
        fmt = DESCR[a.descr][0]
        return struct.pack("<%d%s" % (n, fmt), *(r.choice([0, 1, 2, 3, 4, 9, 10, -1]) for _ in range(n)))
    return bytes(r.randrange(256) if r.random() < 0.5 else r.randrange(11) for _ in range(n * a.itemsize()))


def rows(a, n):
    """a with n samples: its first ones, repeated when there are too few."""
    w = a.itemsize() * math.prod(a.shape[1:])
    data = bytes(a.data) or bytes(w)
    while len(data) < n * w:
        data += data
    a.shape[0] = n
    a.data = bytearray(data[:n * w])


def consistent(r, arrays):
    """A stream that stays well formed: the sample count, the image size, the
    channels or classes, or the labels or values changed in every array they
    concern, with data to match. What the tools must then do is work."""
    data = [a for a in arrays if not a.descr.startswith("|S") and a.shape]
    names = [a for a in arrays if a.descr.startswith("|S")]
    if not data:
        return
    x, y = data[0], (data[1] if len(data) > 1 else None)
    k = names[0].shape[0] if names and names[0].shape else 5
    what = r.randrange(6)
    if what == 0:                              # samples
        n = r.choice([0, 1, 2, 3, 5, 65])
        for a in data:
            rows(a, n)
    elif what == 5:                            # no samples, so any other size holds no data
        for a in data:
            rows(a, 0)
        a = r.choice(data)
        if len(a.shape) > 1:
            a.shape[r.randrange(1, len(a.shape))] = r.choice([2**16, 2**20, 2**31 - 1, 2**31, 2**32 + 3, 2**40])
    elif what == 1 and len(x.shape) == 4:      # image size
        h, w = r.choice([1, 2, 3, 4, 7, x.shape[2]]), r.choice([1, 2, 5, x.shape[3]])
        x.shape[2:] = [h, w]
        x.data = bytearray(fill(r, x, math.prod(x.shape)))
        if y is not None and len(y.shape) == 3:
            y.shape[1:] = [h, w]
            y.data = bytearray(labels(r, y, k))
    elif what == 2 and len(x.shape) >= 2:      # channels, or the classes of scores
        x.shape[1] = c = r.choice([1, 2, 3, 4])
        x.data = bytearray(fill(r, x, math.prod(x.shape)))
        if x.descr == "<f4" and y is not None:
            y.data = bytearray(labels(r, y, c))
            if names:
                names[0].shape = [c]
                names[0].data = bytearray(b"".join(b"c%d" % i for i in range(c)).ljust(c * names[0].itemsize, b"\0")[:c * names[0].itemsize])
    elif what == 3 and y is not None:          # labels: in range, some classes absent
        y.data = bytearray(labels(r, y, k))
    else:                                      # extreme values that are still numbers
        if x.descr == "<f4":
            v = r.choice([0.0, 1e30, -1e30, 1e-40, 255.0, 3.4e38])
            x.data = bytearray(struct.pack("<f", v) * (len(x.data) // 4))
        else:
            x.data = bytearray(bytes([r.choice([0, 255])]) * len(x.data))


def labels(r, y, k):
    """Fresh labels for y in [0, k): all one class, or a few of them."""
    n = math.prod(y.shape)
    pick = r.choice([[0], [k - 1], list(range(k)), [0, k - 1]])
    fmt, w = DESCR.get(y.descr, ("B", 1))
    return struct.pack("<%d%s" % (n, fmt), *(r.choice(pick) for _ in range(n)))


def mutate_npy(r, b):
    arrays = parse_npy(b)
    op = r.randrange(14)
    a = r.choice(arrays)
    version = 1
    if op == 0 and len(arrays) > 1:            # two arrays swapped
        i, j = r.sample(range(len(arrays)), 2)
        arrays[i], arrays[j] = arrays[j], arrays[i]
    elif op == 1:                              # an array dropped
        arrays.remove(a)
    elif op == 2:                              # an array repeated
        arrays.insert(r.randrange(len(arrays) + 1), a)
    elif op == 3:                              # a shape number edited, data kept
        if a.shape:
            a.shape[r.randrange(len(a.shape))] = r.choice(ODD_INTS)
        else:
            a.shape = [r.choice(ODD_INTS)]
    elif op == 4:                              # dimensions added or removed, data kept
        if a.shape and r.random() < 0.5:
            del a.shape[r.randrange(len(a.shape))]
        else:
            a.shape.insert(r.randrange(len(a.shape) + 1), r.choice([1, 2, 0]))
    elif op == 5:                              # dtype edited, data kept
        a.descr = r.choice(ODD_DESCR)
    elif op == 6:                              # consistent reshape: new dims, fresh data
        if a.shape:
            for _ in range(r.randint(1, 2)):
                k = r.randrange(len(a.shape))
                a.shape[k] = r.choice([0, 1, 2, 3, 5, a.shape[k], a.shape[k] + 1, max(a.shape[k] - 1, 0)])
            if math.prod(a.shape) * a.itemsize() > 1 << 22:
                a.shape = [min(s, 3) for s in a.shape]
            n = math.prod(a.shape)
            a.data = bytearray(fill(r, a, n, 0.1))
    elif op == 7:                              # NaN/inf in float data, or x turned float
        if a.descr != "<f4" and a.descr in DESCR and a is arrays[0]:
            fmt, w = DESCR[a.descr]
            vals = struct.unpack("<%d%s" % (len(a.data) // w, fmt), a.data)
            a.descr = "<f4"
            a.data = bytearray(struct.pack("<%df" % len(vals), *map(float, vals)))
        if a.descr == "<f4" and len(a.data) >= 4:
            every = r.random() < 0.2
            for k in range(len(a.data) // 4 if every else r.randint(1, 8)):
                i = k if every else r.randrange(len(a.data) // 4)
                struct.pack_into("<f", a.data, 4 * i, r.choice(ODD_FLOATS))
    elif op == 8:                              # labels out of range, or re-typed
        ints = [x for x in arrays if x.descr in ("|u1", "<i4", "<i8")] or [a]
        a = ints[-1] if len(ints) > 1 else ints[0]
        if a.descr in DESCR and a.data:
            fmt, w = DESCR[a.descr]
            n = len(a.data) // w
            vals = list(struct.unpack("<%d%s" % (n, fmt), a.data))
            new = r.choice(["|u1", "<i4", "<i8"])
            lim = {"|u1": (0, 255), "<i4": (-2**31, 2**31 - 1), "<i8": (-2**63, 2**63 - 1)}[new]
            for _ in range(r.randint(1, 4)):
                vals[r.randrange(n)] = r.choice([255, 10, 11, 5, -1, 2**31 - 1, -2**31, 2**40, 2**63 - 1])
            vals = [min(max(v, lim[0]), lim[1]) for v in vals]
            a.descr = new
            a.data = bytearray(struct.pack("<%d%s" % (n, DESCR[new][0]), *vals))
    elif op == 9:                              # header text: fortran order, extra keys, junk
        c = r.randrange(4)
        if c == 0:
            a.fortran = True
        elif c == 1:
            a.extra = r.choice(["'x': 1, ", "'shape': (1,), ", "'descr': '<f4', ", "", "\x00"])
        else:
            out = b"".join(x.tobytes() for x in arrays)
            # corrupt a byte inside the dict of one header
            starts = [m.start() for m in re.finditer(rb"\x93NUMPY", out)]
            s = r.choice(starts) + 10 + r.randrange(60)
            out = bytearray(out)
            if s < len(out):
                out[s] = r.choice(b"{}(),:' \n\x00\xff0123456789-")
            return bytes(out)
    elif op == 10:                             # the class names edited
        names = [x for x in arrays if x.descr.startswith("|S")]
        if names:
            a = names[0]
            w = r.choice([1, 2, 64, 4096, 4097])
            k = r.choice([0, 1, 2, 5, 10, 11, 300])
            if w * k <= 1 << 20:
                a.descr, a.shape = "|S%d" % w, [k]
                a.data = bytearray(r.choice([b"a", b"\n", b"\x00", b"%s%n", b"\xff"]) * (w * k))[:w * k]
        else:
            arrays.append(Array("|S3", [2], b"abcdef"))
    elif op == 11:                             # version 2 headers, or odd versions
        version = r.choice([2, 3, 0, 4, 255])
    elif op == 12 and r.random() < 0.5:        # a shared dimension edited in step
        consistent(r, arrays)
    elif op == 12:                             # an array appended
        arrays.append(Array(r.choice(["|u1", "<f4", "<i8"]), [r.choice([0, 1, 64])], b""))
        arrays[-1].data = bytearray(fill(r, arrays[-1], math.prod(arrays[-1].shape)))
    else:
        return mutate_bytes(r, b, 512)
    return b"".join(x.tobytes(version) for x in arrays)


# ---- safetensors ------------------------------------------------------------

ST_DTYPES = {"F32": 4, "I64": 8, "I32": 4, "U8": 1}


def parse_st(b):
    (n,) = struct.unpack_from("<Q", b)
    head = json.loads(b[8:8 + n])
    meta = head.pop("__metadata__", {})
    data = b[8 + n:]
    tensors = {k: [v["dtype"], v["shape"], bytearray(data[v["data_offsets"][0]:v["data_offsets"][1]])]
               for k, v in head.items()}
    return meta, tensors


def build_st(meta, tensors, raw_head=None):
    head, off, data = {}, 0, b""
    if meta is not None:
        head["__metadata__"] = meta
    for k, (dt, shape, d) in tensors.items():
        head[k] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(d)]}
        off += len(d)
        data += bytes(d)
    h = (raw_head if raw_head is not None else json.dumps(head)).encode("utf-8", "surrogatepass")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def mutate_net_text(r, text):
    lines = text.split("\n")
    op = r.randrange(8)
    i = r.randrange(len(lines))
    toks = lines[i].split()
    if op <= 2 and toks:                       # a token replaced
        toks[r.randrange(len(toks))] = random_token(r)
        lines[i] = " ".join(toks)
    elif op == 3:                              # a token inserted
        toks.insert(r.randrange(len(toks) + 1), random_token(r))
        lines[i] = " ".join(toks)
    elif op == 4:                              # a line dropped
        del lines[i]
    elif op == 5:                              # a line repeated
        lines.insert(i, lines[i])
    elif op == 6:                              # a layer line inserted
        lines.insert(i, r.choice(NET_LINES))
    else:                                      # two lines swapped
        j = r.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


NET_WORDS = ["input", "conv", "relu", "maxpool", "flatten", "linear", "batchnorm", "upsample",
             "dropout", "concat", "add", "softmax", "#", "label=a", "label=in", "label=",
             "pad=1", "pad=64", "pad=-1", "stride=2", "stride=0", "stride=64", "bias=0", "bias=2",
             "eps=0", "eps=nan", "momentum=1", "=", "a=b"]
NET_NUMBERS = ["0", "1", "2", "3", "4", "7", "64", "65", "65536", "65537", "-1", "-0", "+2",
               "2147483648", "9223372036854775808", "1e9", "0.5", "nan", "inf", "-inf", "0x10",
               "3.", "", "0.999", "1.0"]
NET_LINES = ["input 1 28 28", "input 3 32 32", "conv 2 3", "conv 2 3 pad=1", "conv 65536 1",
             "relu", "maxpool 2", "maxpool 3 stride=2", "flatten", "linear 2", "linear 1",
             "batchnorm", "upsample 2", "dropout 0.5", "concat a", "add a", "concat in", "add in",
             "conv 1 1", "conv 4 28", "maxpool 64", "upsample 64", "linear 16777216",
             "\x00", "\r", "x" * 300, " ".join(["relu"] * 17)]


def random_token(r):
    c = r.random()
    if c < 0.45:
        return r.choice(NET_NUMBERS)
    if c < 0.9:
        return r.choice(NET_WORDS)
    return "".join(chr(r.choice([0, 9, 13, 0xe9, 0x7f, 0x41, 0x3d])) for _ in range(r.randint(1, 4)))


def mutate_st(r, b):
    meta, tensors = parse_st(b)
    names = list(tensors)
    k = r.choice(names)
    op = r.randrange(15)
    raw = None
    if op == 0:                                # a shape number edited, data kept
        shape = tensors[k][1]
        if shape:
            shape[r.randrange(len(shape))] = r.choice(ODD_INTS)
        else:
            shape.append(r.choice(ODD_INTS))
    elif op == 1:                              # a consistent reshape (fresh data)
        dt, shape, _ = tensors[k]
        shape = [r.choice([0, 1, 2, 3, s, s + 1]) for s in shape] if shape else [r.choice([0, 1, 2])]
        if math.prod(shape) > 1 << 20:
            shape = [min(s, 3) for s in shape]
        tensors[k] = [dt, shape, bytearray(r.randbytes(ST_DTYPES.get(dt, 1) * math.prod(shape)))]
    elif op == 2:                              # dtype edited
        tensors[k][0] = r.choice(["F32", "I64", "I32", "U8", "F16", "BF16", "F64", "BOOL", "", "f32"])
    elif op == 3:                              # a tensor dropped
        del tensors[k]
    elif op == 4:                              # a tensor renamed or added
        new = r.choice(["99.weight", "0.weight\n", "optim.m.0.weight", "__metadata__", "",
                        "0.num_batches_tracked", "1.num_batches_tracked", "x" * 200, k + "x"])
        tensors[new] = tensors.pop(k) if r.random() < 0.5 else ["F32", [1], bytearray(4)]
    elif op == 5:                              # NaN/inf in a tensor
        dt, shape, d = tensors[k]
        if dt == "F32" and d:
            every = r.random() < 0.3
            for j in range(len(d) // 4 if every else r.randint(1, 4)):
                i = j if every else r.randrange(len(d) // 4)
                struct.pack_into("<f", d, 4 * i, r.choice(ODD_FLOATS))
    elif op == 6 and "config" in meta and r.random() < 0.4:   # the training configuration
        try:
            cfg = json.loads(meta["config"])
            key = r.choice(list(cfg))
            if r.random() < 0.2:
                del cfg[key]
            else:
                cfg[key] = r.choice([0, -1, 1, 2, 1e30, -1e30, 1.5, 0.99999999, 2**31, 2**63 - 1, 2**64, "",
                                     "x", None, [], "step:0", "step:1:1e30", "cosine:-1", "crop=0", "flip,flip",
                                     "1,2", "1e30,1,1,1,1,1,1,1,1,1", "sgd", "adamw", "none", "data"])
            meta["config"] = json.dumps(cfg)
        except (ValueError, TypeError, IndexError):
            meta["config"] = "{"
    elif op == 6:                              # metadata values
        key = r.choice(list(meta) + ["input_mean", "input_std", "classes", "step", "optim_t", "optim",
                                     "format", "config", "x"])
        meta[key] = r.choice(["", "nan", "inf", "-1", "0", "0,0", "1e39", "x", "[]", "[\"a\"]", "[1, 2]",
                              "[\"a\n\", \"b\"]", "{}", "not json", "99999999999999999999",
                              "sgd", "adam", "adamw", "rmsprop", "1,2,3", "%s%n", "\n", "9223372036854775807",
                              "4", "5", "1000000", "0.5,0.5", "1e-30", "3.4e38",
                              "[" + ", ".join('"c%d"' % i for i in range(10)) + "]",
                              "[" + ", ".join('"c%d"' % i for i in range(5)) + "]"])
    elif op == 7:                              # metadata key dropped
        if meta:
            del meta[r.choice(list(meta))]
        else:
            meta = None
    elif op == 8 and "net" in meta:            # the network text mutated
        for _ in range(r.randint(1, 3)):
            meta["net"] = mutate_net_text(r, meta["net"])
    elif op == 9:                              # metadata not a map of strings
        meta = r.choice([None, [], "x", {"net": 1}, {"net": None}, {"a": {"b": "c"}}])
    elif op == 10:                             # raw JSON text edits, the length kept right
        h = build_st(meta, tensors)
        (n,) = struct.unpack_from("<Q", h)
        text = h[8:8 + n].decode("utf-8")
        i = r.randrange(len(text))
        c = r.randrange(5)
        if c == 0:
            text = text[:i] + r.choice(["{", "}", "[", "]", ",", ":", "\"", "\\", "-", "1e999", "\\u0000",
                                        "\\ud800", "\xff", "\x00", "[[[[[[[[[[", "00", "1.5"]) + text[i:]
        elif c == 1:
            text = text[:i] + text[i + r.randint(1, 20):]
        elif c == 2:
            text = re.sub(r"\d+", lambda m: str(r.choice(ODD_INTS)) if r.random() < 0.2 else m.group(0), text)
        elif c == 3:
            text = "[" * 200 + "]" * 200 if r.random() < 0.5 else "{\"a\":" * 100 + "1" + "}" * 100
        else:
            text = text.replace("\"data_offsets\":[", "\"data_offsets\":[%d," % r.choice(ODD_INTS), 1)
        raw = text
    elif op == 11:                             # data offsets shifted: a raw header edit
        h = build_st(meta, tensors)
        (n,) = struct.unpack_from("<Q", h)
        text = h[8:8 + n].decode("utf-8")
        nums = list(re.finditer(r"\"data_offsets\":\[(\d+),(\d+)\]", text))
        m = r.choice(nums)
        g = r.randrange(1, 3)
        v = r.choice([0, 1, 4, -4, 2**31, 2**63 - 1, 2**64]) + (int(m.group(g)) if r.random() < 0.5 else 0)
        text = text[:m.start(g)] + str(v) + text[m.end(g):]
        raw = text
    elif op == 12:                             # the 8-byte header length edited
        out = bytearray(b)
        struct.pack_into("<Q", out, 0, r.choice(ODD_INTS + [len(b), len(b) - 8, 1, 7, 9]) & (2**64 - 1))
        return bytes(out)
    elif op == 13:                             # shape not a list of sizes
        tensors[k][1] = r.choice([[-1], [1.5], ["1"], [None], [[1]], list(range(9)), [2**64]])
    else:
        return mutate_bytes(r, b, 1024)
    return build_st(meta, tensors, raw)


# ---- text: .net and metrics logs --------------------------------------------

TSV_FIELDS = ["nan", "inf", "-inf", "", "1e308", "1e309", "-1", "x", "99999999999999999999", "train", "val",
              "0", "-0", "0.5", "1e-320", "\"", "'", "\\", "%s", "@", "\x00", "é"]


def mutate_tsv(r, b):
    rows = [line.split("\t") for line in b.decode("latin-1").split("\n")]
    op = r.randrange(9)
    i = r.randrange(len(rows))
    if op <= 2:                                # a field replaced
        if rows[i]:
            rows[i][r.randrange(len(rows[i]))] = r.choice(TSV_FIELDS)
    elif op == 3:                              # a column dropped in one row or all
        j = r.randrange(8)
        for row in (rows if r.random() < 0.5 else [rows[i]]):
            if j < len(row):
                del row[j]
    elif op == 4:                              # a row dropped, repeated, or all data gone
        c = r.randrange(3)
        if c == 0:
            del rows[i]
        elif c == 1:
            rows.insert(i, list(rows[i]))
        else:
            rows = rows[:r.randint(0, 1)]
    elif op == 5:                              # extra fields
        rows[i] += [r.choice(TSV_FIELDS) for _ in range(r.randint(1, 3))]
    elif op == 6:                              # the same step twice, steps backwards
        if len(rows) > 2 and rows[1]:
            rows[-2][0] = r.choice(["1", "0", "-5", "1e9", "2147483648"])
    elif op == 7:                              # CR line ends, a very long line
        return b.replace(b"\n", r.choice([b"\r\n", b"\r", b"\n\n"])) if r.random() < 0.5 else \
            b + b"1\t" * 50000 + b"\n"
    else:
        return mutate_bytes(r, b, 256)
    return "\n".join("\t".join(row) for row in rows).encode("latin-1")


def mutate_net(r, b):
    if r.random() < 0.15:
        return mutate_bytes(r, b, 256)
    text = b.decode("latin-1")
    for _ in range(r.randint(1, 3)):
        text = mutate_net_text(r, text)
    return text.encode("latin-1")


# ---- IDX --------------------------------------------------------------------

def mutate_idx(r, b):
    b = bytearray(b)
    op = r.randrange(6)
    nd = b[3] if len(b) >= 4 else 0
    if op <= 1 and len(b) >= 4 + 4 * nd and nd:   # a dimension edited
        d = r.randrange(nd)
        struct.pack_into(">I", b, 4 + 4 * d, r.choice([0, 1, 2, 27, 29, 63, 65, 2**16, 2**31, 2**32 - 1]))
    elif op == 2:                              # magic: type and dimension count
        b[r.choice([0, 1, 2, 3])] = r.choice([0, 1, 3, 8, 9, 0x0d, 0xff])
    elif op == 3 and nd == 1 and len(b) > 8:   # labels out of range
        for _ in range(r.randint(1, 3)):
            b[8 + r.randrange(len(b) - 8)] = r.choice([10, 11, 255])
    else:
        return mutate_bytes(r, b, 32)
    return bytes(b)


# ---- images: JPEG and palette PNG -------------------------------------------

def png_chunks(b):
    i, out = 8, []
    while i + 8 <= len(b):
        (n,) = struct.unpack_from(">I", b, i)
        out.append([b[i + 4:i + 8], bytearray(b[i + 8:i + 8 + n])])
        i += 12 + n
    return out


def png_build(chunks):
    out = b"\x89PNG\r\n\x1a\n"
    for t, d in chunks:
        out += struct.pack(">I", len(d)) + t + bytes(d) + struct.pack(">I", zlib.crc32(t + bytes(d)))
    return out


def mutate_png(r, b):
    """Edits with the CRCs made right again, so that libpng reads on."""
    chunks = png_chunks(b)
    op = r.randrange(6)
    if op == 0:                                # IHDR: size, depth, colour type, interlace
        d = chunks[0][1]
        f = r.randrange(5)
        if f < 2:
            struct.pack_into(">I", d, 4 * f, r.choice([0, 1, 2, 255, 257, 16384, 65535, 2**31 - 1, 2**31]))
        elif f == 2:
            d[8] = r.choice([1, 2, 4, 8, 16, 3])
        elif f == 3:
            d[9] = r.choice([0, 2, 3, 4, 6, 5])
        else:
            d[12] = r.choice([0, 1, 2])
    elif op == 1:                              # pixel data recompressed with other indices
        idat = b"".join(bytes(d) for t, d in chunks if t == b"IDAT")
        try:
            raw = bytearray(zlib.decompress(idat))
        except zlib.error:
            return mutate_bytes(r, b, 64)
        for _ in range(r.randint(1, 50)):
            raw[r.randrange(len(raw))] = r.randrange(256)
        if r.random() < 0.3:
            del raw[r.randrange(len(raw)):]
        chunks = [c for c in chunks if c[0] != b"IDAT"]
        chunks.insert(-1, [b"IDAT", bytearray(zlib.compress(bytes(raw)))])
    elif op == 2:                              # damaged compressed data, CRC right
        for t, d in chunks:
            if t == b"IDAT" and d:
                for _ in range(r.randint(1, 4)):
                    d[r.randrange(len(d))] = r.randrange(256)
    elif op == 3:                              # a chunk dropped or repeated
        i = r.randrange(len(chunks))
        if r.random() < 0.5:
            del chunks[i]
        else:
            chunks.insert(i, chunks[i])
    elif op == 4:                              # palette shortened or emptied
        for c in chunks:
            if c[0] == b"PLTE":
                c[1] = c[1][:3 * r.choice([0, 1, 2, 256])]
    else:
        return mutate_bytes(r, b, 64)
    return png_build(chunks)


def mutate_jpeg(r, b):
    b = bytearray(b)
    i = b.find(b"\xff\xc0")
    if i < 0:
        i = b.find(b"\xff\xc2")
    op = r.randrange(4)
    if op == 0 and i >= 0:                     # frame header: size, components, precision
        f = r.randrange(4)
        if f < 2:
            struct.pack_into(">H", b, i + 5 + 2 * f, r.choice([0, 1, 7, 255, 16384, 65500, 65535]))
        elif f == 2:
            b[i + 9] = r.choice([1, 2, 4, 0, 255])
        else:
            b[i + 4] = r.choice([8, 12, 16, 0])
        return bytes(b)
    if op == 1:                                # truncated in the scan
        return bytes(b[:r.randrange(len(b) // 4, len(b))])
    return mutate_bytes(r, b, 1024)


# ---- folders ----------------------------------------------------------------

def mutate_facade(r, src, dst):
    """src/SPLIT/NAME.jpg and .png into dst, one of them mutated or missing."""
    shutil.copytree(src, dst)
    split = os.path.join(dst, sorted(os.listdir(dst))[0])
    jpg = sorted(f for f in os.listdir(split) if f.endswith(".jpg"))[0]
    jpg = os.path.join(split, jpg)
    png = jpg[:-4] + ".png"
    op = r.randrange(10)
    if op < 4:
        write(png, mutate_png(r, read(png)))
    elif op < 8:
        write(jpg, mutate_jpeg(r, read(jpg)))
    elif op == 8:
        os.remove(r.choice([jpg, png]))
    else:                                      # the pair swapped: a JPEG named .png and so on
        a, b = read(jpg), read(png)
        write(jpg, b)
        write(png, a)


def mutate_idxgz(r, src, dst):
    """A Fashion-MNIST folder with one file mutated, compressed or raw."""
    shutil.copytree(src, dst)
    files = sorted(os.listdir(dst))
    p = os.path.join(dst, r.choice(files))
    b = read(p)
    if r.random() < 0.5:
        write(p, gzip.compress(mutate_idx(r, gzip.decompress(b)), mtime=0))
    else:
        write(p, mutate_bytes(r, b, 64))


def read(p):
    with open(p, "rb") as f:
        return f.read()


def write(p, b):
    with open(p, "wb") as f:
        f.write(b)


FILE_KINDS = {"npy": (mutate_npy, ".npy"), "st": (mutate_st, ".safetensors"), "net": (mutate_net, ".net"),
              "tsv": (mutate_tsv, ".tsv"), "idx": (mutate_idx, ".idx")}
DIR_KINDS = {"facade": mutate_facade, "idxgz": mutate_idxgz}


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    kind, seed0, count, src, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    os.makedirs(outdir, exist_ok=True)
    orig = read(src) if kind in FILE_KINDS else None
    for seed in range(seed0, seed0 + count):
        r = random.Random("%s:%d" % (kind, seed))
        if kind in DIR_KINDS:
            DIR_KINDS[kind](r, src, os.path.join(outdir, str(seed)))
            continue
        fn, ext = FILE_KINDS[kind]
        b = orig
        # most mutants get one mutation; some get several on top of each other
        for _ in range(1 if r.random() < 0.7 else r.randint(2, 4)):
            try:
                b = fn(r, b)
            except (ValueError, KeyError, IndexError, AttributeError, struct.error, UnicodeError,
                    json.JSONDecodeError, TypeError, zlib.error, OverflowError):
                # an earlier mutation left nothing the structured edits can parse
                b = mutate_bytes(r, b)
        write(os.path.join(outdir, "%d%s" % (seed, ext)), b)


if __name__ == "__main__":
    main()

"""nnpipe_torch: nnpipe's file formats and network descriptions in PyTorch.

The reference side of the golden tests and benchmarks: it builds a .net
description as a torch.nn.Module whose state_dict names match nnpipe's model
files ("0.weight", "3.running_mean", ...), reads and writes safetensors files
with plain struct/json/numpy, and reads NPY tensor streams.

    net = build_net(open("examples/fashion-mnist.net").read(), "fashion-mnist.net")
    model, meta = load_model("model.safetensors")
    x = preprocess(x_uint8, meta)          # uint8 [N,C,H,W] -> float32 tensor

Run as a script, "predict MODEL [DATA]" writes a prediction stream (softmax
scores p, then y and names when the data had them) to stdout, as nn-predict does.
"""

import io
import json
import math
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn as nn


# ---------------------------------------------------------------- .net files

class NetError(ValueError):
    """A .net description that does not parse or whose shapes do not fit."""


_LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class Concat(nn.Module):
    """torch.cat([x, saved[label]], 1); the saved tensor is set by Net.forward."""

    def __init__(self, label):
        super().__init__()
        self.label = label

    def forward(self, x, other):
        return torch.cat([x, other], 1)

    def extra_repr(self):
        return self.label


class Add(nn.Module):
    """x + saved[label]."""

    def __init__(self, label):
        super().__init__()
        self.label = label

    def forward(self, x, other):
        return x + other

    def extra_repr(self):
        return self.label


class Net(nn.Sequential):
    """nn.Sequential with labelled outputs for concat/add.

    Children are "0", "1", ... over every layer line of the description, so
    the state_dict has exactly nn.Sequential's names. labels maps a child
    index to the name its output is kept under; input_label names the input.
    """

    def __init__(self, layers, labels, input_shape, input_label=None):
        super().__init__(*layers)
        self.labels = dict(labels)
        self.input_shape = tuple(input_shape)
        self.input_label = input_label

    def forward(self, x):
        saved = {}
        if self.input_label is not None:
            saved[self.input_label] = x
        for i, layer in enumerate(self):
            if isinstance(layer, (Concat, Add)):
                x = layer(x, saved[layer.label])
            else:
                x = layer(x)
            if i in self.labels:
                saved[self.labels[i]] = x
        return x


def _parse_opts(words, allowed, where):
    """key=value words -> dict; the rest must be positional and come first."""
    pos, opts = [], {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            if k not in allowed:
                raise NetError(f"{where}: unknown option '{k}'")
            if k in opts:
                raise NetError(f"{where}: option '{k}' given twice")
            opts[k] = v
        elif opts:
            raise NetError(f"{where}: '{w}' after options")
        else:
            pos.append(w)
    return pos, opts


def _int(s, where, what, lo=None):
    try:
        v = int(s, 10)
    except ValueError:
        raise NetError(f"{where}: bad {what} '{s}'") from None
    if lo is not None and v < lo:
        raise NetError(f"{where}: {what} must be at least {lo}, not {v}")
    return v


def _float(s, where, what):
    try:
        v = float(s)
    except ValueError:
        raise NetError(f"{where}: bad {what} '{s}'") from None
    if not math.isfinite(v):
        raise NetError(f"{where}: bad {what} '{s}'")
    return v


def _bool(s, where, what):
    if s not in ("0", "1"):
        raise NetError(f"{where}: {what} must be 0 or 1, not '{s}'")
    return s == "1"


def _npos(pos, n, where, word):
    if len(pos) != n:
        raise NetError(f"{where}: {word} takes {n} argument{'s' if n != 1 else ''}, "
                       f"got {len(pos)}")


def build_net(text, name="<net>"):
    """Parses .net text into a Net. Raises NetError naming name:line."""
    layers, labels, label_shapes = [], {}, {}
    shape = None          # (C,H,W) or (F,) after flatten
    input_label = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        where = f"{name}:{lineno}"
        label = None
        if line[-1].startswith("label="):
            label = line.pop()[len("label="):]
            if not _LABEL_RE.match(label):
                raise NetError(f"{where}: bad label '{label}'")
            if label in label_shapes:
                raise NetError(f"{where}: label '{label}' defined twice")
        word, args = line[0], line[1:]
        if shape is None:
            if word != "input":
                raise NetError(f"{where}: the first line must be 'input C H W'")
            pos, _ = _parse_opts(args, (), where)
            _npos(pos, 3, where, word)
            shape = input_shape = tuple(_int(a, where, "input size", 1) for a in pos)
            if label is not None:
                input_label = label
                label_shapes[label] = shape
            continue
        if word == "input":
            raise NetError(f"{where}: 'input' may only be the first line")
        spatial = len(shape) == 3
        if word == "conv":
            pos, o = _parse_opts(args, ("stride", "pad", "bias"), where)
            _npos(pos, 2, where, word)
            if not spatial:
                raise NetError(f"{where}: conv needs a [C,H,W] input, not {list(shape)}")
            out = _int(pos[0], where, "channel count", 1)
            k = _int(pos[1], where, "kernel size", 1)
            s = _int(o.get("stride", "1"), where, "stride", 1)
            p = _int(o.get("pad", "0"), where, "pad", 0)
            bias = _bool(o.get("bias", "1"), where, "bias")
            c, h, w = shape
            oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            if h + 2 * p < k or w + 2 * p < k:
                raise NetError(f"{where}: kernel {k} larger than the padded input {h}x{w}")
            layers.append(nn.Conv2d(c, out, k, stride=s, padding=p, bias=bias))
            shape = (out, oh, ow)
        elif word == "convt":
            pos, o = _parse_opts(args, ("stride", "pad", "outpad", "bias"), where)
            _npos(pos, 2, where, word)
            if not spatial:
                raise NetError(f"{where}: convt needs a [C,H,W] input, not {list(shape)}")
            out = _int(pos[0], where, "channel count", 1)
            k = _int(pos[1], where, "kernel size", 1)
            s = _int(o.get("stride", "1"), where, "stride", 1)
            p = _int(o.get("pad", "0"), where, "pad", 0)
            op = _int(o.get("outpad", "0"), where, "outpad", 0)
            bias = _bool(o.get("bias", "1"), where, "bias")
            if op >= s:
                raise NetError(f"{where}: outpad must be smaller than stride")
            c, h, w = shape
            oh, ow = (h - 1) * s - 2 * p + k + op, (w - 1) * s - 2 * p + k + op
            if oh < 1 or ow < 1:
                raise NetError(f"{where}: convt leaves no output")
            layers.append(nn.ConvTranspose2d(c, out, k, stride=s, padding=p,
                                             output_padding=op, bias=bias))
            shape = (out, oh, ow)
        elif word == "leakyrelu":
            pos, _ = _parse_opts(args, (), where)
            if len(pos) > 1:
                raise NetError(f"{where}: leakyrelu takes at most one argument")
            slope = _float(pos[0], where, "slope") if pos else 0.01
            layers.append(nn.LeakyReLU(slope))
        elif word == "avgpool":
            pos, o = _parse_opts(args, ("stride",), where)
            _npos(pos, 1, where, word)
            if not spatial:
                raise NetError(f"{where}: avgpool needs a [C,H,W] input")
            c, h, w = shape
            if pos[0] == "global":
                if o:
                    raise NetError(f"{where}: avgpool global takes no options")
                layers.append(nn.AdaptiveAvgPool2d(1))
                shape = (c, 1, 1)
            else:
                k = _int(pos[0], where, "pool size", 1)
                s = _int(o.get("stride", str(k)), where, "stride", 1)
                if h < k or w < k:
                    raise NetError(f"{where}: pool size {k} larger than the input {h}x{w}")
                layers.append(nn.AvgPool2d(k, s))
                shape = (c, (h - k) // s + 1, (w - k) // s + 1)
        elif word == "relu":
            _npos(_parse_opts(args, (), where)[0], 0, where, word)
            layers.append(nn.ReLU())
        elif word == "maxpool":
            pos, o = _parse_opts(args, ("stride",), where)
            _npos(pos, 1, where, word)
            if not spatial:
                raise NetError(f"{where}: maxpool needs a [C,H,W] input")
            k = _int(pos[0], where, "pool size", 1)
            s = _int(o.get("stride", str(k)), where, "stride", 1)
            c, h, w = shape
            if h < k or w < k:
                raise NetError(f"{where}: pool size {k} larger than the input {h}x{w}")
            layers.append(nn.MaxPool2d(k, s))
            shape = (c, (h - k) // s + 1, (w - k) // s + 1)
        elif word == "flatten":
            _npos(_parse_opts(args, (), where)[0], 0, where, word)
            layers.append(nn.Flatten())
            shape = (int(np.prod(shape)),)
        elif word == "linear":
            pos, o = _parse_opts(args, ("bias",), where)
            _npos(pos, 1, where, word)
            if spatial:
                raise NetError(f"{where}: linear needs a flat input (add 'flatten')")
            out = _int(pos[0], where, "output size", 1)
            bias = _bool(o.get("bias", "1"), where, "bias")
            layers.append(nn.Linear(shape[0], out, bias=bias))
            shape = (out,)
        elif word == "batchnorm":
            pos, o = _parse_opts(args, ("eps", "momentum"), where)
            _npos(pos, 0, where, word)
            if not spatial:
                raise NetError(f"{where}: batchnorm needs a [C,H,W] input")
            eps = _float(o.get("eps", "1e-5"), where, "eps")
            mom = _float(o.get("momentum", "0.1"), where, "momentum")
            if eps <= 0 or not 0 <= mom <= 1:
                raise NetError(f"{where}: need eps > 0 and 0 <= momentum <= 1")
            layers.append(nn.BatchNorm2d(shape[0], eps=eps, momentum=mom))
        elif word == "upsample":
            pos, _ = _parse_opts(args, (), where)
            _npos(pos, 1, where, word)
            if not spatial:
                raise NetError(f"{where}: upsample needs a [C,H,W] input")
            sc = _int(pos[0], where, "scale", 1)
            layers.append(nn.Upsample(scale_factor=sc, mode="bilinear",
                                      align_corners=False))
            shape = (shape[0], shape[1] * sc, shape[2] * sc)
        elif word == "dropout":
            pos, _ = _parse_opts(args, (), where)
            _npos(pos, 1, where, word)
            p = _float(pos[0], where, "probability")
            if not 0 <= p < 1:
                raise NetError(f"{where}: dropout probability must be in [0,1)")
            layers.append(nn.Dropout(p))
        elif word in ("concat", "add"):
            pos, _ = _parse_opts(args, (), where)
            _npos(pos, 1, where, word)
            ref = pos[0]
            if ref not in label_shapes:
                raise NetError(f"{where}: no earlier layer is labelled '{ref}'")
            other = label_shapes[ref]
            if word == "concat":
                if not spatial or len(other) != 3 or other[1:] != shape[1:]:
                    raise NetError(f"{where}: cannot concat {list(other)} "
                                   f"to {list(shape)}")
                layers.append(Concat(ref))
                shape = (shape[0] + other[0],) + shape[1:]
            else:
                if other != shape:
                    raise NetError(f"{where}: cannot add {list(other)} to {list(shape)}")
                layers.append(Add(ref))
        else:
            raise NetError(f"{where}: unknown layer '{word}'")
        if label is not None:
            labels[len(layers) - 1] = label
            label_shapes[label] = shape
    if shape is None:
        raise NetError(f"{name}: no 'input' line")
    if not layers:
        raise NetError(f"{name}: no layers")
    return Net(layers, labels, input_shape, input_label)


def load_net(path):
    with open(path) as f:
        return build_net(f.read(), path)


# ---------------------------------------------------------------- safetensors

_ST_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"), "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
_ST_NAMES = {v: k for k, v in _ST_DTYPES.items()}


def st_read(path):
    """Reads a safetensors file: returns ({name: numpy array}, {key: str})."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} past the end of the file")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        dt = _ST_DTYPES.get(info["dtype"])
        if dt is None:
            raise ValueError(f"{path}: {name}: unsupported dtype {info['dtype']}")
        shape = tuple(info["shape"])
        a, b = info["data_offsets"]
        if not 0 <= a <= b <= len(data) or b - a != dt.itemsize * int(np.prod(shape)):
            raise ValueError(f"{path}: {name}: bad data offsets {a}..{b}")
        tensors[name] = np.frombuffer(data[a:b], dtype=dt).reshape(shape).copy()
    return tensors, meta


def st_write(path, tensors, meta=None):
    """Writes {name: array or tensor} and string metadata as safetensors.

    Tensors are laid out largest item size first, then by name, so every one
    is aligned to its item size (the data block starts at a multiple of 8).
    """
    arrays = {}
    for name, t in tensors.items():
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().numpy()
        a = np.asarray(t)   # not ascontiguousarray: it turns [] into [1]
        if not a.flags.c_contiguous:
            a = a.copy(order="C")
        dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        if dt not in _ST_NAMES:
            raise ValueError(f"{name}: unsupported dtype {a.dtype}")
        arrays[name] = a.astype(dt, copy=False)
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    header, off = {}, 0
    if meta:
        header["__metadata__"] = {str(k): str(v) for k, v in meta.items()}
    for name in order:
        a = arrays[name]
        header[name] = {"dtype": _ST_NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for name in order:
            f.write(arrays[name].tobytes())


# ---------------------------------------------------------------- model files

def _floats(s, n, what):
    v = [float(t) for t in s.split(",")]
    if len(v) != n:
        raise ValueError(f"{what}: {len(v)} values for {n} channels")
    return v


def load_model(path):
    """Loads an nnpipe model file: returns (Net in eval mode, metadata dict).

    The tensors must match the description's state_dict exactly (strict);
    entries the network does not own (optimiser state in a checkpoint) are
    left out first when their names are not of the "N.param" form.
    """
    tensors, meta = st_read(path)
    if "net" not in meta:
        raise ValueError(f"{path}: no 'net' in the metadata")
    net = build_net(meta["net"], f"{path}[net]")
    own = set(net.state_dict())
    sd = {k: torch.from_numpy(v) for k, v in tensors.items()
          if k in own or re.match(r"^\d+\.[a-z_]+$", k)}
    net.load_state_dict(sd, strict=True)
    net.eval()
    return net, meta


def save_model(path, net, net_text, mean, std, extra_meta=None):
    """Writes net's state_dict as an nnpipe model file."""
    meta = {"net": net_text,
            "input_mean": ",".join(repr(float(v)) for v in mean),
            "input_std": ",".join(repr(float(v)) for v in std)}
    meta.update(extra_meta or {})
    st_write(path, net.state_dict(), meta)


def preprocess(x, meta_or_mean, std=None):
    """uint8 (or float) [N,C,H,W] -> normalised float32 tensor, as nnpipe does:
    uint8 is divided by 255 first, then (x - mean) / std per channel.
    Takes the model metadata, or mean and std sequences."""
    x = torch.as_tensor(np.asarray(x))
    c = x.shape[1]
    if std is None:
        meta = meta_or_mean
        missing = [k for k in ("input_mean", "input_std") if k not in meta]
        if missing:
            raise ValueError(f"no {' and '.join(missing)} in the metadata (for no normalisation: "
                             f"input_mean {','.join(['0'] * c)} and input_std {','.join(['1'] * c)})")
        mean = _floats(meta["input_mean"], c, "input_mean")
        std = _floats(meta["input_std"], c, "input_std")
    else:
        mean, std = list(meta_or_mean), list(std)
    if x.dtype == torch.uint8:
        x = x.to(torch.float32) / 255.0
    else:
        x = x.to(torch.float32)
    m = torch.tensor(mean, dtype=torch.float32).view(1, c, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, c, 1, 1)
    return (x - m) / s


# ---------------------------------------------------------------- NPY streams

def npy_read_stream(path):
    """Every array of an NPY stream ("-" is stdin), in order: repeated np.load
    on one file (a pipe is read into memory first, as np.load seeks)."""
    if path == "-":
        f = io.BytesIO(sys.stdin.buffer.read())
    else:
        f = open(path, "rb")
    try:
        size = os.fstat(f.fileno()).st_size if path != "-" else len(f.getbuffer())
        out = []
        while f.tell() < size:
            out.append(np.load(f, allow_pickle=False))
        return out
    finally:
        f.close()


def npy_write_stream(f, *arrays):
    for a in arrays:
        np.save(f, np.ascontiguousarray(a), allow_pickle=False)


def read_dataset(path):
    """A dataset stream: returns (x, y or None, class names or None)."""
    arrays = npy_read_stream(path)
    if not arrays:
        raise ValueError(f"{path}: empty stream")
    x, y, names = arrays[0], None, None
    for a in arrays[1:]:
        if a.dtype.kind == "S":
            names = [s.decode("utf-8") for s in a]
        elif y is None:
            y = a
        else:
            raise ValueError(f"{path}: more than one label array")
    return x, y, names


# ---------------------------------------------------------------- script

def _predict(argv):
    if not 1 <= len(argv) <= 2:
        sys.exit("usage: nnpipe_torch.py predict MODEL [DATA]")
    net, meta = load_model(argv[0])
    x, y, names = read_dataset(argv[1] if len(argv) > 1 else "-")
    if names is None and meta.get("classes"):
        names = json.loads(meta["classes"])
    ps = []
    with torch.no_grad():
        for i in range(0, len(x), 64):
            ps.append(torch.softmax(net(preprocess(x[i:i + 64], meta)), 1).numpy())
    out = sys.stdout.buffer
    npy_write_stream(out, np.concatenate(ps).astype("<f4"))
    if y is not None:
        npy_write_stream(out, y)
    if names is not None:
        npy_write_stream(out, np.array([n.encode() for n in names]))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "predict":
        _predict(sys.argv[2:])
    else:
        sys.exit("usage: nnpipe_torch.py predict MODEL [DATA]")

"""onnx_check: tests/onnx.sh's checks of nn-export's files, read by programs
other than nnpipe: onnx's parser and full checker, and ONNX Runtime. Run in
a virtual environment with onnx and onnxruntime from PyPI (and no torch).

    python tests/onnx_check.py NAME [NAME ...]

For each network NAME, from the current folder: NAME.st (the model),
NAME-data.npy (a dataset stream), NAME.onnx and NAME-logits.onnx
(nn-export's, the second with --logits), NAME-p.npy and NAME-z.npy
(nn-predict's, the second with --logits) and, when they are there,
NAME-u8.onnx (nn-export --uint8) and NAME-torch.onnx (torch.onnx.export's
of the PyTorch network). Prints a PASS:/FAIL: line per check and a line
per network with the largest differences found.
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from npstream import read_stream

TOL = 1e-5


def result(name, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + name + ("" if ok else f": {why}"))
    return ok


def st_read(path):
    """A safetensors file: ({name: array}, {key: str}), with plain struct/json."""
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    head = json.loads(blob[8:8 + n])
    meta = head.pop("__metadata__", {})
    data = blob[8 + n:]
    dtypes = {"F32": "<f4", "I64": "<i8"}
    out = {}
    for k, v in head.items():
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype=dtypes[v["dtype"]]).reshape(v["shape"])
    return out, meta


def run(path, x, first=1):
    """ONNX Runtime's output on x, in two runs: the first samples, then the
    rest (batches of two sizes: the batch dimension must be free)."""
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    parts = [x[:first], x[first:]] if len(x) > first else [x]
    return np.concatenate([sess.run(None, {"x": part})[0] for part in parts]), sess


def checker(name, model):
    try:
        onnx.checker.check_model(model, full_check=True)
        result(f"onnx-{name}-checker-full", True)
    except onnx.checker.ValidationError as e:
        result(f"onnx-{name}-checker-full", False, str(e).splitlines()[0])


def graph_checks(name, st, meta, model):
    """The weights bit for bit and the metadata."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    own = {k: v for k, v in st.items() if not k.endswith("num_batches_tracked") and not k.startswith("optim.")}
    missing = [k for k in own if k not in inits]
    differ = [k for k in own if k in inits and (inits[k].shape != own[k].shape or
                                                inits[k].tobytes() != own[k].tobytes())]
    result(f"onnx-{name}-weights-bit-for-bit", not missing and not differ, f"missing {missing[:3]}, differ {differ[:3]}")
    props = {p.key: p.value for p in model.metadata_props}
    keys = [k for k in ("net", "classes", "config", "run") if k in meta]
    bad = [k for k in keys if props.get(k) != meta[k]]
    floats_ok = all(np.allclose([float(v) for v in props[k].split(",")], [float(v) for v in meta[k].split(",")],
                                rtol=1e-7, atol=0) for k in ("input_mean", "input_std"))
    result(f"onnx-{name}-metadata", not bad and floats_ok and "net" in keys, f"differ: {bad}")


def io_checks(name, model, x, nout):
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    xin, out = model.graph.input[0], model.graph.output[0]
    ok = dims(xin) == ["N"] + list(x.shape[1:]) and dims(out)[0] == "N" and len(dims(out)) == nout
    result(f"onnx-{name}-symbolic-batch", ok, f"input {dims(xin)}, output {dims(out)}")


def check(name):
    st, meta = st_read(f"{name}.st")
    arrays = read_stream(f"{name}-data.npy")
    x8 = arrays[0]
    x = x8.astype(np.float32) / 255 if x8.dtype == np.uint8 else x8
    P, Z = read_stream(f"{name}-p.npy")[0], read_stream(f"{name}-z.npy")[0]
    diffs = {}
    for suffix in ("", "-logits"):
        model = onnx.load(f"{name}{suffix}.onnx")
        checker(name + suffix, model)
        graph_checks(name + suffix, st, meta, model)
        io_checks(name + suffix, model, x, P.ndim)
    p, sess = run(f"{name}.onnx", x)
    diffs["probabilities"] = d = float(np.abs(p - P).max())
    result(f"onnx-{name}-onnxruntime-probabilities-within-{TOL:g}", p.shape == P.shape and d <= TOL, d)
    custom = sess.get_modelmeta().custom_metadata_map
    result(f"onnx-{name}-onnxruntime-reads-metadata", custom.get("net") == meta["net"] and
           custom.get("classes") == meta.get("classes"), sorted(custom))
    z = run(f"{name}-logits.onnx", x, 2)[0]
    scale = max(1.0, float(np.abs(Z).max()))
    diffs["logits"] = d = float(np.abs(z - Z).max())
    result(f"onnx-{name}-onnxruntime-logits-within-{TOL:g}-of-largest", z.shape == Z.shape and d <= TOL * scale,
           f"{d} (largest |logit| {scale:g})")
    return diffs, x8, p


def check_more(name, diffs, x8, p):
    """nn-export --uint8 and torch.onnx.export's file, when made"""
    if os.path.exists(f"{name}-u8.onnx"):
        checker(name + "-u8", onnx.load(f"{name}-u8.onnx"))
        P = read_stream(f"{name}-p.npy")[0]
        q = run(f"{name}-u8.onnx", x8)[0]
        diffs["uint8"] = d = float(np.abs(q - P).max())
        result(f"onnx-{name}-uint8-input-within-{TOL:g}", d <= TOL, d)
    if os.path.exists(f"{name}-torch.onnx"):
        t = run(f"{name}-torch.onnx", x8.astype(np.float32) / 255 if x8.dtype == np.uint8 else x8)[0]
        diffs["torch.onnx.export"] = d = float(np.abs(t - p).max())
        result(f"onnx-{name}-torch-export-same-in-onnxruntime-within-{TOL:g}", t.shape == p.shape and d <= TOL, d)


def main(names):
    for name in names:
        diffs, x8, p = check(name)
        check_more(name, diffs, x8, p)
        print(f"{name}: largest differences " + ", ".join(f"{k} {v:.3g}" for k, v in diffs.items()))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: onnx_check.py NAME [NAME ...]")
    main(sys.argv[1:])

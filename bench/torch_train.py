#!/usr/bin/python3
"""PyTorch side of the training benchmark.

Default mode: trains a .net network on a dataset stream held in memory as a
normalised float tensor (Adam, lr 1e-3, shuffled batches drawn by index) and
prints one TSV line with images/s over --steps steps after --warmup steps.

    bench/torch_train.py --net examples/fmnist.net --data train.npy --batch 64 --threads 2

The labels may be class ids y [N] or per-pixel class ids y [N,H,W] (a
segmentation stream from ds-load facade): the loss is then the cross entropy
averaged over every pixel, as nn-train's.

--infer (with --net and --data): inference instead, in eval mode under
torch.no_grad(): --warmup batches untimed, then one timed pass over the whole
data set in batches of --batch (the last one partial), the softmax included,
as nn-predict writes probabilities. The data are read and normalised before
the timing starts; the row's steps column is then the number of batches and
images/s is N over the pass's seconds. The labels are not needed.

    bench/torch_train.py --infer --net examples/fashion-mnist.net --data test.npy --threads 2

--compile (PyTorch 2 and newer; with --net/--data, training or --infer): times
torch.compile(net, dynamic=False) instead of the eager network (a static graph
for each batch shape). Its compiling falls in the untimed warm-up: training
needs --warmup 1 or more (every training batch is full, so one shape); --infer
also runs the last, partial batch once before the timed pass, so that no shape
is first seen (and compiled) inside it.

--facade: times the facade network (the course's, or --net) on random data
[B,3,S,S]: one TSV line for training (Adam lr 1e-3 wd 1e-5, per-pixel cross
entropy with class weights 1,1,5,1,1) and one for inference (eval mode, no grad).
--device cuda runs on the GPU with cudnn.benchmark on, in --precision fp32 (the
default: IEEE single precision) or tf32 (TensorFloat-32 in matmul and cuDNN);
what PyTorch then uses is read back and printed as a "precision: " line.

TSV columns (--header prints them): impl mode net device threads batch steps
seconds images_per_s. What PyTorch was built with and which BLAS it uses go to
stderr.
"""

import argparse
import glob
import os
import sys
import time

FACADE_NET = """\
input 3 {s} {s}
conv 64 5 pad=2
relu
maxpool 2
batchnorm
conv 128 5 pad=2
relu
maxpool 2
batchnorm
conv 256 5 pad=2
relu
batchnorm
conv 512 5 pad=2
relu
upsample 2
batchnorm
conv 512 5 pad=2
relu
upsample 2
batchnorm
conv 5 3 pad=1
"""
FACADE_WEIGHTS = [1.0, 1.0, 5.0, 1.0, 1.0]
COLUMNS = "impl mode net device threads batch steps seconds images_per_s".split()


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", help=".net description (required without --facade)")
    ap.add_argument("--data", help="dataset stream: x uint8 [N,C,H,W], y (required without --facade)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--steps", type=int, default=100, help="timed steps")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--precision", default="fp32", choices=("fp32", "tf32"),
                    help="float32 maths on the GPU: fp32 (IEEE) or tf32 (TensorFloat-32)")
    ap.add_argument("--facade", action="store_true", help="time the facade network on random data")
    ap.add_argument("--infer", action="store_true",
                    help="with --net/--data: time inference over the whole data set instead of training")
    ap.add_argument("--compile", action="store_true",
                    help="with --net/--data: time torch.compile(net), compiled in the untimed warm-up")
    ap.add_argument("--size", type=int, default=256,
                    help="facade image size, a multiple of 4 (default 256; ignored with --net)")
    ap.add_argument("--header", action="store_true", help="print the TSV header line first")
    a = ap.parse_args()
    if not a.facade and (a.net is None or a.data is None):
        ap.error("--net and --data are required without --facade")
    if a.facade and a.infer:
        ap.error("--infer is for --net/--data; --facade prints an infer row of its own")
    if a.compile and (a.facade or a.device != "cpu"):
        ap.error("--compile is for --net/--data on the CPU")
    if a.compile and a.warmup < 1:
        ap.error("--compile needs --warmup 1 or more: the compiling must fall in the warm-up")
    if min(a.batch, a.threads, a.steps) < 1 or a.warmup < 0:
        ap.error("--batch, --threads, --steps must be >= 1 and --warmup >= 0")
    if a.size < 4 or a.size % 4:
        ap.error("--size must be a positive multiple of 4")
    return a


ARGS = parse_args()
# When PyTorch runs several threads, OpenBLAS (nn.Linear's GEMM) must not start
# its own on the same cores; an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import nnpipe_torch as nt  # noqa: E402


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def report_build():
    say(torch.__config__.show().rstrip())
    # Linear layers go to whatever libblas.so.3 is; see which one got loaded.
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    for link in sorted(glob.glob("/etc/alternatives/libblas.so.3*")):
        target = os.path.realpath(link)
        say(f"{link} -> {target} ({'OpenBLAS' if 'openblas' in target else 'not OpenBLAS'})")
    with open("/proc/self/maps") as f:
        libs = sorted({ln.split()[-1] for ln in f if "blas" in ln.lower() and "/" in ln})
    say("BLAS libraries mapped: " + (" ".join(libs) if libs else "none"))
    say(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, warmup, steps, dev):
    for _ in range(warmup):
        fn()
    sync(dev)
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    sync(dev)
    return time.perf_counter() - t0


def print_row(mode, net, dev, seconds, steps=None, images=None):
    """One TSV row; steps and images default to --steps and --steps x --batch."""
    a = ARGS
    steps = a.steps if steps is None else steps
    images = steps * a.batch if images is None else images
    row = ["torch", mode, net, dev.type, a.threads, a.batch, steps,
           f"{seconds:.3f}", f"{images / seconds:.1f}"]
    print("\t".join(str(v) for v in row), flush=True)


def train_step_fn(net, opt, crit, batches):
    """A closure doing one training step on the next batch from batches()."""
    def step():
        x, y = batches()
        opt.zero_grad(set_to_none=True)
        loss = crit(net(x), y)
        loss.backward()
        opt.step()
        step.loss = loss
    step.loss = None
    return step


def bench_data(dev):
    a = ARGS
    x, y, _ = nt.read_dataset(a.data)
    if a.infer:
        if x.ndim != 4:
            sys.exit(f"torch_train.py: {a.data}: need x [N,C,H,W]")
        y = None
    elif x.ndim != 4 or y is None or len(y) != len(x) or y.ndim not in (1, 3):
        sys.exit(f"torch_train.py: {a.data}: need x [N,C,H,W] and y [N] or [N,H,W]")
    if a.batch > len(x) and not a.infer:
        sys.exit(f"torch_train.py: --batch {a.batch} exceeds the {len(x)} samples")
    xf = torch.from_numpy(x).to(torch.float32)
    if x.dtype == np.uint8:
        xf /= 255.0
    mean = xf.mean(dim=(0, 2, 3))
    std = xf.std(dim=(0, 2, 3))
    X = nt.preprocess(xf.numpy(), mean.tolist(), std.tolist()).to(dev)
    del xf
    Y = torch.from_numpy(y.astype(np.int64)).to(dev) if y is not None else None
    say(f"{a.data}: x {list(X.shape)}, y {list(Y.shape) if Y is not None else None}, "
        f"mean {mean.tolist()}, std {std.tolist()}")

    net = nt.load_net(a.net).to(dev)
    if tuple(X.shape[1:]) != tuple(net.input_shape):
        sys.exit(f"torch_train.py: {a.data}: data is {list(X.shape[1:])} per sample "
                 f"but {a.net} takes {list(net.input_shape)}")
    if a.compile:
        if not hasattr(torch, "compile"):
            sys.exit(f"torch_train.py: --compile: torch {torch.__version__} has no torch.compile")
        say(f"torch.compile(net), compiled in the {a.warmup} warm-up steps")
    if a.infer:
        infer_data(net, X, dev)
        return
    if Y.ndim == 3:
        with torch.no_grad():
            out = net.eval()(X[:1])
        if out.ndim != 4 or tuple(out.shape[2:]) != tuple(Y.shape[1:]):
            sys.exit(f"torch_train.py: {a.net} gives {list(out.shape[1:])} per sample; "
                     f"per-pixel labels need [K,{Y.shape[1]},{Y.shape[2]}]")
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(a.seed)
    state = {"perm": torch.randperm(len(X), generator=gen), "pos": 0}

    def batches():
        # shuffled, by index; a new permutation once fewer than B are left
        if state["pos"] + a.batch > len(X):
            state["perm"], state["pos"] = torch.randperm(len(X), generator=gen), 0
        idx = state["perm"][state["pos"]:state["pos"] + a.batch].to(dev)
        state["pos"] += a.batch
        return X.index_select(0, idx), Y.index_select(0, idx)

    model = torch.compile(net, dynamic=False) if a.compile else net
    step = train_step_fn(model, opt, nn.CrossEntropyLoss(), batches)
    seconds = timed(step, a.warmup, a.steps, dev)
    say(f"last loss {step.loss.item():.4f}")
    print_row("train", os.path.basename(a.net), dev, seconds)


def infer_data(net, X, dev):
    """--infer: --warmup batches, then one timed pass over X in batches of --batch."""
    a = ARGS
    net.eval()
    model = torch.compile(net, dynamic=False) if a.compile else net
    n = len(X)
    starts = list(range(0, n, a.batch))

    def forward(s):
        with torch.no_grad():
            return torch.softmax(model(X[s:s + a.batch]), 1)

    for i in range(a.warmup):
        forward(starts[i % len(starts)])
    if a.compile and n % a.batch:
        forward(starts[-1])  # the partial batch's shape, compiled before the timing
    sync(dev)
    t0 = time.perf_counter()
    for s in starts:
        p = forward(s)
    sync(dev)
    seconds = time.perf_counter() - t0
    say(f"infer: {n} samples in {len(starts)} batches, output per sample {list(p.shape[1:])}")
    print_row("infer", os.path.basename(a.net), dev, seconds, steps=len(starts), images=n)


def bench_facade(dev):
    a = ARGS
    if a.net:
        net, name = nt.load_net(a.net), os.path.basename(a.net)
    else:
        net, name = nt.build_net(FACADE_NET.format(s=a.size), "facade"), "facade"
    net = net.to(dev)
    c, h, w = net.input_shape
    x = torch.randn(a.batch, c, h, w, device=dev)
    net.eval()
    with torch.no_grad():
        k, oh, ow = net(x[:1]).shape[1:]
    weights = FACADE_WEIGHTS if k == len(FACADE_WEIGHTS) else None
    y = torch.randint(0, k, (a.batch, oh, ow), device=dev)
    crit = nn.CrossEntropyLoss(
        weight=torch.tensor(weights, device=dev) if weights else None)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
    say(f"facade: {sum(p.numel() for p in net.parameters())} parameters, "
        f"input {[a.batch, c, h, w]}, {k} classes, class weights {weights}")

    net.train()
    step = train_step_fn(net, opt, crit, lambda: (x, y))
    print_row("train", name, dev, timed(step, a.warmup, a.steps, dev))
    say(f"last loss {step.loss.item():.4f}")

    net.eval()

    def infer():
        with torch.no_grad():
            net(x)
    print_row("infer", name, dev, timed(infer, a.warmup, a.steps, dev))


def set_precision(prec):
    """float32 maths in matmul and cuDNN convolution: "fp32" (IEEE) or "tf32".
    PyTorch 2.9 and newer take the fp32_precision settings (the allow_tf32 flags
    are deprecated there); older ones the allow_tf32 flags. Prints what it then
    reads back as one "precision: " line."""
    tf32 = prec == "tf32"
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision") and hasattr(getattr(conv, "conv", None), "fp32_precision"):
        matmul.fp32_precision = "tf32" if tf32 else "ieee"
        conv.conv.fp32_precision = "tf32" if tf32 else "ieee"
        say(f"precision: torch {torch.__version__}: cuda.matmul.fp32_precision={matmul.fp32_precision}, "
            f"cudnn.conv.fp32_precision={conv.conv.fp32_precision}")
    else:
        matmul.allow_tf32 = tf32
        conv.allow_tf32 = tf32
        say(f"precision: torch {torch.__version__}: cuda.matmul.allow_tf32={matmul.allow_tf32}, "
            f"cudnn.allow_tf32={conv.allow_tf32}")


def main():
    a = ARGS
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    if a.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("torch_train.py: --device cuda: no CUDA device available to PyTorch")
        torch.backends.cudnn.benchmark = True
        set_precision(a.precision)
        say(f"cuda: {torch.cuda.get_device_name(0)}, cudnn {torch.backends.cudnn.version()}")
    else:
        say(f"precision: torch {torch.__version__}: cpu, IEEE float32 (--precision {a.precision} applies to cuda)")
    report_build()
    if a.header:
        print("\t".join(COLUMNS), flush=True)
    dev = torch.device(a.device)
    if a.facade:
        bench_facade(dev)
    else:
        bench_data(dev)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the golden fixtures that the C tests compare against: for each case,
CASE.net (the network) and CASE.safetensors holding the input, labels, initial
state, forward output, loss, gradients and three optimiser steps, all computed
by PyTorch (float32, one thread, fixed seeds, so a rerun gives the same bytes).

Run from anywhere with Debian's interpreter: /usr/bin/python3 tests/golden/make_fixtures.py

Step K is: forward in train mode, loss, backward, optimiser step, always on the
same batch. "out", "loss" and "grad.*" are step 1's forward and backward, so
"step1.loss" equals "loss"; "stepK.*" is the whole state_dict after step K
(parameters, batch-norm running statistics and num_batches_tracked).
"""

import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import nnpipe_torch as nt  # noqa: E402

STEPS = 3

FMNIST = """\
# The course's Fashion-MNIST network, on images cut to 28x20: every case
# has batch, channels, height and width all different, so that a height
# swapped for a width, or a sample for a channel, changes a result.
input 1 28 20
conv 32 3 pad=1
relu
maxpool 2
conv 32 3 pad=1
relu
maxpool 2
flatten
linear 120
relu
linear 10
"""

# The course's facade network at 32x32 with every channel count divided by 8
# (64 128 256 512 512 -> 8 16 32 64 64): at full width one copy of the
# parameters is 44 MB and the fixture holds five.
FACADE = """\
# The course's facade network, channels divided by 8, for 32x24 inputs.
input 3 32 24
conv 8 5 pad=2
relu
maxpool 2
batchnorm
conv 16 5 pad=2
relu
maxpool 2
batchnorm
conv 32 5 pad=2
relu
batchnorm
conv 64 5 pad=2
relu
upsample 2
batchnorm
conv 64 5 pad=2
relu
upsample 2
batchnorm
conv 5 3 pad=1
"""

UNET = """\
# A tiny U-Net: skip connections by concat and add, a stride-2 convolution,
# convolutions without bias, batch norm with non-default eps and momentum.
# Every convolution that feeds a batch norm has no bias: batch norm cancels
# its gradient, leaving rounding noise that Adam would scale up to +-lr.
input 3 16 12
conv 8 3 pad=1 bias=0              # 0  [8,16,12]
batchnorm                          # 1
relu label=e1                      # 2
maxpool 2                          # 3  [8,8,6]
conv 16 3 pad=1 bias=0             # 4  [16,8,6]
batchnorm eps=1e-3 momentum=0.2    # 5
relu label=e2                      # 6
conv 16 3 stride=2 pad=1           # 7  [16,4,3]
relu                               # 8
conv 16 3 pad=1                    # 9
relu                               # 10
upsample 2                         # 11 [16,8,6]
add e2                             # 12
conv 8 3 pad=1                     # 13 [8,8,6]
relu                               # 14
upsample 2                         # 15 [8,16,12]
concat e1                          # 16 [16,16,12]
conv 8 3 pad=1 bias=0              # 17 [8,16,12]
batchnorm                          # 18
relu                               # 19
conv 3 1                           # 20 [3,16,12]
"""

SMALL = """\
# A small classifier: unpadded and strided convolutions, an overlapping max
# pool (3, stride 2), dropout with p=0 (the identity, even in train mode) and
# a linear layer without bias.
input 2 12 10
conv 4 3                       # 0  [4,10,8]
relu                           # 1
maxpool 3 stride=2             # 2  [4,4,3]
conv 6 3 stride=2 pad=1        # 3  [6,2,2]
relu                           # 4
flatten                        # 5  [24]
linear 16                      # 6
relu                           # 7
dropout 0                      # 8
linear 5 bias=0                # 9
"""

# Every kind of layer as the target of add or concat, read again after the
# layers that follow it: the input, conv, relu, batchnorm, maxpool, upsample,
# dropout, concat, add, flatten and linear.
SKIPS = """\
# Every kind of layer as the target of a later add or concat.
input 2 8 6 label=in               # 0  [2,8,6]
conv 2 3 pad=1 label=c             # 1  [2,8,6]
add in label=a                     # 2
relu label=r                       # 3
concat c label=k                   # 4  [4,8,6]
batchnorm label=b                  # 5
maxpool 2 label=m                  # 6  [4,4,3]
upsample 2 label=u                 # 7  [4,8,6]
add b                              # 8
dropout 0 label=d                  # 9
concat a                           # 10 [6,8,6]
conv 4 3 pad=1                     # 11 [4,8,6]
add u                              # 12
add k                              # 13
add d                              # 14
concat r                           # 15 [6,8,6]
conv 4 1                           # 16 [4,8,6]
maxpool 2                          # 17 [4,4,3]
add m                              # 18
flatten label=f                    # 19 [48]
linear 48 label=l                  # 20
add f                              # 21
relu                               # 22
add l                              # 23
linear 5                           # 24
"""

# A flatten of the network input as the target of add: it has no gradient
# (this crashed nn-train once).
FLATIN = """\
# A flatten of the network input as the target of add.
input 1 4 3
flatten label=f                    # 0  [12]
linear 12                          # 1
add f                              # 2
relu                               # 3
add f                              # 4
linear 3                           # 5
"""

# Batch statistics over few values per channel (a batch of 4 of 1x2: 8
# each), where the unbiased variance PyTorch keeps differs from the biased
# one by 8/7, and momentum 0.5, so that every step moves the running
# statistics far: a wrong estimate or momentum fails by a wide margin.
BNSTATS = """\
# Batch norm's running statistics over few values per channel.
input 3 1 2
conv 5 1 bias=0                    # 0  [5,1,2]
batchnorm momentum=0.5             # 1
relu                               # 2
flatten                            # 3  [10]
linear 3                           # 4
"""

# The layers of a decoder and a classifier head that the others lack: a
# transposed convolution upsampling (strided, padded, with output padding,
# with and without bias), a leaky relu of the default and a given slope,
# average pooling (overlapping windows) and global average pooling.
NEWLAYERS = """\
# Transposed convolutions, leaky relu and average pooling.
input 3 5 7
conv 4 3 pad=1                     # 0  [4,5,7]
leakyrelu                          # 1
convt 4 3 stride=2 pad=1 outpad=1  # 2  [4,10,14]
leakyrelu 0.2                      # 3
avgpool 2                          # 4  [4,5,7] (reads every column: outpad's too)
convt 6 2 stride=2 bias=0          # 5  [6,10,14]
avgpool 3 stride=2                 # 6  [6,4,6]
convt 5 3                          # 7  [5,6,8]
avgpool global                     # 8  [5,1,1]
flatten                            # 9  [5]
"""

# A U-Net whose decoder upsamples with transposed convolutions, per pixel.
CONVT_UNET = """\
# A small U-Net upsampling with transposed convolutions.
input 3 8 6
conv 4 3 pad=1 bias=0              # 0  [4,8,6]
batchnorm                          # 1
leakyrelu label=e1                 # 2
maxpool 2                          # 3  [4,4,3]
conv 8 3 pad=1                     # 4  [8,4,3]
relu                               # 5
convt 4 2 stride=2                 # 6  [4,8,6]
concat e1                          # 7  [8,8,6]
conv 3 3 pad=1                     # 8  [3,8,6]
"""

# A channel whose mean is large against its spread (mean 1e4, standard
# deviation 1, as raw 0..255 pixels are to their spread) straight into batch
# norm, beside an ordinary one: E[x^2] - mean^2 cancels there, so only a
# variance of the deviations from the mean gives the right statistics. The
# reference is computed in float64 (PyTorch's float32 output is itself off by
# 2e-4 here), and the comparison is 30 times looser than the other cases':
# in float32 a mean of 1e4 is only good to 5e-4 of the spread, an error
# that every output and the loss sum over the 60 values of the channel. A
# variance of E[x^2] - mean^2 in float32 is off by 5% and more.
BNLARGE = """\
# Batch norm of a channel with mean 1e4 and standard deviation 1.
input 2 4 3
batchnorm momentum=0.5             # 0  [2,4,3]
flatten                            # 1  [24]
linear 3                           # 2
"""

# name, net, seed, batch, classes, segmentation, class weights, optimiser,
# and optionally: shift, a per-channel offset added to the input; double, to
# compute in float64; tol, the scale of the C test's tolerances (metadata);
# smooth, the loss's label smoothing (metadata)
CASES = [
    ("fmnist", FMNIST, 1, 3, 10, False, None,
     dict(opt="adam", lr=1e-3, wd=0.0)),
    ("facade", FACADE, 2, 2, 5, True, [1, 1, 5, 1, 1],
     dict(opt="adam", lr=1e-3, wd=1e-5)),
    ("unet", UNET, 3, 2, 3, True, None,
     dict(opt="adamw", lr=1e-2, wd=1e-2)),
    ("sgd", SMALL, 4, 4, 5, False, None,
     dict(opt="sgd", lr=0.1, wd=1e-4, momentum=0.9, nesterov=True)),
    ("sgdm", SMALL, 5, 4, 5, False, None,
     dict(opt="sgd", lr=0.05, wd=5e-4, momentum=0.9, nesterov=False)),
    ("skips", SKIPS, 6, 3, 5, False, None,
     dict(opt="adam", lr=1e-2, wd=0.0)),
    ("flatin", FLATIN, 7, 5, 3, False, None,
     dict(opt="sgd", lr=0.1, wd=0.0, momentum=0.0, nesterov=False)),
    ("bnstats", BNSTATS, 8, 4, 3, False, None,
     dict(opt="sgd", lr=0.1, wd=0.0, momentum=0.0, nesterov=False)),
    ("newlayers", NEWLAYERS, 9, 2, 5, False, None,
     dict(opt="adam", lr=1e-2, wd=0.0)),
    ("convtunet", CONVT_UNET, 10, 2, 3, True, None,
     dict(opt="adam", lr=1e-2, wd=1e-4)),
    ("bnlarge", BNLARGE, 11, 5, 3, False, None,
     dict(opt="sgd", lr=0.1, wd=0.0, momentum=0.0, nesterov=False),
     dict(shift=[1e4, 0.0], double=True, tol=30)),
    ("smooth", SMALL, 12, 4, 5, False, [1, 2, 1, 3, 0.5],
     dict(opt="adamw", lr=1e-2, wd=1e-2), dict(smooth=0.1)),
    ("smoothseg", UNET, 13, 2, 3, True, [1, 4, 2],
     dict(opt="adam", lr=1e-2, wd=0.0), dict(smooth=0.25)),
]

BETAS = (0.9, 0.999)
EPS = 1e-8


def make_optimizer(params, o):
    if o["opt"] == "adam":
        return torch.optim.Adam(params, lr=o["lr"], betas=BETAS, eps=EPS,
                                weight_decay=o["wd"])
    if o["opt"] == "adamw":
        return torch.optim.AdamW(params, lr=o["lr"], betas=BETAS, eps=EPS,
                                 weight_decay=o["wd"])
    return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"],
                           nesterov=o["nesterov"], weight_decay=o["wd"])


def fmt(v):
    return repr(float(v))


def metadata(net_text, o, weights, tol, smooth):
    adam = o["opt"] in ("adam", "adamw")
    meta = {
        "net": net_text,
        "opt": o["opt"],
        "lr": fmt(o["lr"]),
        "wd": fmt(o["wd"]),
        "momentum": "" if adam else fmt(o["momentum"]),
        "nesterov": "" if adam else str(int(o["nesterov"])),
        "betas": ",".join(fmt(b) for b in BETAS) if adam else "",
        "eps": fmt(EPS) if adam else "",
        "class_weights": ",".join(fmt(w) for w in weights) if weights else "",
        "steps": str(STEPS),
    }
    if tol != 1:
        meta["tol"] = fmt(tol)
    if smooth:
        meta["label_smoothing"] = fmt(smooth)
    return meta


def make_case(name, text, seed, batch, classes, seg, weights, o, extra=None):
    extra = extra or {}
    torch.manual_seed(seed)
    net = nt.build_net(text, name + ".net")
    net.train()
    c, h, w = net.input_shape
    x = torch.randn(batch, c, h, w)
    if "shift" in extra:
        x += torch.tensor(extra["shift"], dtype=torch.float32).view(1, c, 1, 1)
    if extra.get("double"):
        # the float32 input and initial state, exactly, computed on in float64
        net.double()
    y = torch.randint(0, classes, (batch, h, w) if seg else (batch,))
    crit = nn.CrossEntropyLoss(
        weight=torch.tensor(weights, dtype=torch.float32) if weights else None,
        label_smoothing=extra.get("smooth", 0.0))
    opt = make_optimizer(net.parameters(), o)

    t = {"x": x, "y": y}
    t.update({k: v.clone() for k, v in net.state_dict().items()})
    for k in range(1, STEPS + 1):
        opt.zero_grad(set_to_none=True)
        out = net(x.double() if extra.get("double") else x)
        loss = crit(out, y)
        loss.backward()
        if k == 1:
            t["out"] = out.detach().clone()
            t["loss"] = loss.detach().clone()
            for pn, p in net.named_parameters():
                t["grad." + pn] = p.grad.clone()
        t[f"step{k}.loss"] = loss.detach().clone()
        opt.step()
        for sn, v in net.state_dict().items():
            t[f"step{k}.{sn}"] = v.clone()
    t = {k: v.float() if v.is_floating_point() else v for k, v in t.items()}
    return t, metadata(text, o, weights, extra.get("tol", 1), extra.get("smooth", 0))


def check_written(path, tensors, meta):
    """Reads the file back: every tensor and key must come back unchanged."""
    back, bmeta = nt.st_read(path)
    assert bmeta == meta and set(back) == set(tensors), path
    for k, v in tensors.items():
        a = v.numpy()
        assert back[k].dtype == a.dtype and back[k].shape == a.shape, k
        assert (back[k] == a).all(), k


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    only = sys.argv[1:]
    for case in CASES:
        name = case[0]
        if only and name not in only:
            continue
        tensors, meta = make_case(*case)
        with open(os.path.join(HERE, name + ".net"), "w") as f:
            f.write(case[1])
        path = os.path.join(HERE, name + ".safetensors")
        nt.st_write(path, tensors, meta)
        check_written(path, tensors, meta)
        print(f"{name}: {len(tensors)} tensors, {os.path.getsize(path)} bytes, "
              f"loss {tensors['loss'].item():.6f} -> "
              f"{tensors[f'step{STEPS}.loss'].item():.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()

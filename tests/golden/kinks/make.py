#!/usr/bin/python3
"""Writes ops.safetensors: the activations and pools at their kinks, as
PyTorch computes them, for tests/test_kinks.c. Inputs hold +0 and -0, the
smallest subnormals of each sign, values exactly at the threshold (0 for
relu and leaky relu), NaN, and max-pool windows with ties: all equal, +0
against -0, the maximum twice in one window, one element the maximum of
two overlapping windows, and a NaN among numbers. Every shape has batch, channels, height and width all
different.

Run with Debian's interpreter: /usr/bin/python3 tests/golden/kinks/make.py
(it rewrites the same bytes; float32, one thread, a fixed seed).
"""

import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
import nnpipe_torch as nt  # noqa: E402

TINY = torch.finfo(torch.float32).tiny * torch.finfo(torch.float32).eps  # 2**-149


def activation_input(g, shape):
    """Random values with every kink value planted among them."""
    x = torch.randn(shape, generator=g)
    flat = x.view(-1)
    special = [0.0, -0.0, TINY, -TINY, 1e-38, -1e-38, 1.0, -1.0, float("nan")]
    for i in range(0, flat.numel(), 3):
        flat[i] = special[(i // 3) % len(special)]
    return x


def pool_input(g, shape, k, stride, nan=False):
    """Integer-valued planes (so that equal means tied) with windows made of
    ties: every value of a window equal, +0 beside -0, the maximum twice;
    with nan, a NaN in some windows (it wins, as PyTorch has it)."""
    x = torch.randint(-3, 4, shape, generator=g).float()
    n, c, h, w = shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    for p in range(n * c):
        plane = x.view(n * c, h, w)[p]
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = oy * stride, ox * stride
                win = plane[y0:y0 + k, x0:x0 + k]
                kind = (p + oy * ow + ox) % 4
                if kind == 0:
                    win.fill_(2.0)
                elif kind == 1:
                    win.fill_(-1.0)
                    win[0, 0] = 0.0
                    win[k - 1, k - 1] = -0.0
                elif kind == 2:
                    win[0, k - 1] = 5.0
                    win[k - 1, 0] = 5.0
                elif nan and (p + oy) % 2 == 0:
                    win[k - 1, 0] = float("nan")
    return x


def grad_of(f, x, dy):
    x = x.clone().requires_grad_(True)
    y = f(x)
    y.backward(dy)
    return y.detach(), x.grad.detach()


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(20261207)
    tensors, names = {}, []

    def add(name, x, f, **params):
        dy_shape = f(x).shape
        dy = torch.randn(dy_shape, generator=g)
        y, dx = grad_of(f, x, dy)
        for key, t in (("x", x), ("dy", dy), ("y", y), ("dx", dx)):
            tensors[f"{name}.{key}"] = t.contiguous()
        names.append(name + "".join(f" {k}={v}" for k, v in params.items()))

    x = activation_input(g, (2, 3, 4, 5))
    add("relu", x, F.relu)
    add("leakyrelu", x, lambda t: F.leaky_relu(t, 0.01), slope=0.01)
    add("leakyrelu0.2", x, lambda t: F.leaky_relu(t, 0.2), slope=0.2)
    # NaN only where windows do not overlap: of two NaNs in one window,
    # PyTorch's scan keeps the last
    for k, stride, shape in ((2, 2, (3, 2, 6, 8)), (3, 2, (2, 4, 7, 9)), (2, 1, (4, 3, 5, 6))):
        x = pool_input(g, shape, k, stride, nan=k == stride)
        add(f"maxpool{k}s{stride}", x, lambda t, k=k, s=stride: F.max_pool2d(t, k, s), k=k, stride=stride)
    nt.st_write(os.path.join(HERE, "ops.safetensors"), tensors, {"cases": "\n".join(names)})
    print(f"{len(names)} cases, {len(tensors)} tensors")


main()

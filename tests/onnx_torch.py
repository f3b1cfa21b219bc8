"""onnx_torch: the PyTorch side of tests/onnx.sh. Each nnpipe model is built
as its equivalent PyTorch network and loaded from the same safetensors file
(tests/nnpipe_torch.py), wrapped with the input normalisation and the softmax
that nn-predict applies, and exported by torch.onnx.export, for ONNX Runtime
to run beside nn-export's file. Run with Debian's python3 (python3-torch).

    python3 tests/onnx_torch.py MODEL.st OUT.onnx [MODEL.st OUT.onnx ...]
"""
import contextlib
import io
import sys

import torch

import nnpipe_torch as nt


class Deployed(torch.nn.Module):
    """float32 pixels in [0,1] -> softmax probabilities over dimension 1."""

    def __init__(self, net, mean, std):
        super().__init__()
        self.net = net
        c = len(mean)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, c, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, c, 1, 1))

    def forward(self, x):
        return torch.softmax(self.net((x - self.mean) / self.std), 1)


def export(model_path, out_path):
    net, meta = nt.load_model(model_path)
    mean = [float(v) for v in meta["input_mean"].split(",")]
    std = [float(v) for v in meta["input_std"].split(",")]
    model = Deployed(net, mean, std).eval()
    x = torch.rand((2,) + net.input_shape)
    log = io.StringIO()
    # the exporter's warnings are shown only when it fails
    try:
        with contextlib.redirect_stderr(log), contextlib.redirect_stdout(log):
            torch.onnx.export(model, x, out_path, input_names=["x"], output_names=["p"],
                              dynamic_axes={"x": {0: "N"}, "p": {0: "N"}}, opset_version=17)
    except Exception:
        sys.stderr.write(log.getvalue())
        raise


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: onnx_torch.py MODEL.st OUT.onnx [MODEL.st OUT.onnx ...]")
    torch.manual_seed(0)
    for i in range(0, len(args), 2):
        export(args[i], args[i + 1])

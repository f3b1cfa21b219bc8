#!/bin/sh
# The virtual environment in which tests/onnx.sh reads nn-export's files:
# onnx (its parser and full checker) and onnxruntime from PyPI, at the
# versions of tests/onnx-requirements.txt, in build/onnx-venv (or the folder
# given). Debian's python3-onnx (1.12) is older, and bookworm has no ONNX
# Runtime. The environment keeps its own numpy instead of seeing Debian's
# packages (--system-site-packages): PyTorch runs in Debian's python3, the
# ONNX side here, and only files pass between them, so that neither side's
# versions can change the other's. Needs python3-venv (.ci/deps.sh).
set -eu
cd "$(dirname "$0")/.."
venv=${1:-build/onnx-venv}
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/onnx-requirements.txt
"$venv/bin/python" -c 'import onnx, onnxruntime
print("onnx-venv: onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__)'

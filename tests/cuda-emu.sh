#!/usr/bin/env bash
# tests/cuda-emu.sh: the tools on the emulated CUDA backend (kernels/emu/,
# build/emu/libnnpipe-cuda-emu.so with its stand-in driver): --device auto
# never takes it; --device cuda trains and predicts on it; a device too small
# for the batch gives the backend's out-of-memory message. test_cuda_ops
# checks the ops themselves against the CPU.
. "$(dirname "$0")/lib.sh"
B=$NN_ROOT/bin
EMU=$NN_ROOT/build/emu
cd "$T" || exit 1
if [ ! -e "$EMU/libnnpipe-cuda-emu.so" ]; then
	skip "cuda-emu: NOT TESTABLE: no $EMU/libnnpipe-cuda-emu.so (no C++ compiler at build time?)"
	exit 0
fi
run() { env NN_CUDA_LIB="$EMU/libnnpipe-cuda-emu.so" LD_LIBRARY_PATH="$EMU/driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

# 16 random 8x8 images of 2 classes, in NPY
"$PY" -c '
import numpy as np, sys
r = np.random.default_rng(1)
np.save(sys.stdout.buffer, r.integers(0, 256, (16, 1, 8, 8), dtype=np.uint8))
np.save(sys.stdout.buffer, r.integers(0, 2, 16).astype(np.int32))' >d.npy 2>err ||
	{ fail "cuda-emu: writing the data: $(cat err)"; exit 0; }
printf 'input 1 8 8\nconv 4 3 pad=1\nbatchnorm\nrelu\nmaxpool 2\nflatten\nlinear 2\n' >d.net

"$B/nn-train" -q --device cpu --seed 3 --epochs 2 --batch 8 -o cpu.st d.net d.npy 2>err ||
	fail "cuda-emu: nn-train --device cpu: $(cat err)"
if ! run "$B/nn-train" -q --device auto --seed 3 --epochs 2 --batch 8 -o auto.st d.net d.npy 2>err; then
	fail "cuda-emu: nn-train --device auto: $(head -c 300 err)"
else
	check "cuda-emu: --device auto does not take the emulation (the CPU's model, bit for bit)" same_model auto.st cpu.st
fi

if ! run "$B/nn-train" -q --device cuda --seed 3 --epochs 2 --batch 8 -o emu.st d.net d.npy 2>err; then
	fail "cuda-emu: nn-train --device cuda on the emulation: $(head -c 300 err)"
elif ! run "$B/nn-predict" -q --device cuda emu.st d.npy >emu.npy 2>err ||
	! "$B/nn-predict" -q --device cpu emu.st d.npy >cpu.npy 2>>err; then
	fail "cuda-emu: nn-predict on the emulation's model: $(head -c 300 err)"
else
	"$PY" -c '
import numpy as np, sys
f, g = open("emu.npy", "rb"), open("cpu.npy", "rb")
p, q = np.load(f), np.load(g)
sys.exit(0 if p.shape == q.shape and np.abs(p - q).max() < 1e-5 else 1)' 2>err
	check "cuda-emu: emulated: nn-train and nn-predict --device cuda; its predictions are the CPU's for its model" [ $? -eq 0 ]
fi

printf 'input 1 8 8\nconv 64 3 pad=1\nrelu\nconv 256 3 pad=1\nflatten\nlinear 2\n' >big.net
expect_error "cuda-emu: emulated: a device of 1 MiB: nn-train says it is out of device memory" \
	"^nn-train: out of device memory: .* needs [0-9.]+ MiB, [0-9.]+ MiB free \(try a smaller --batch\)" \
	run NN_EMU_DEVICE_MB=1 "$B/nn-train" -q --device cuda --epochs 1 --batch 8 -o oom.st \
	big.net d.npy

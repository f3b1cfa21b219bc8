#!/usr/bin/env bash
# tests/predict.sh: nn-predict's dense (segmentation) output against PyTorch:
# the same model loaded into PyTorch gives the same logits, nn-predict's
# probabilities are the softmax over the class axis (dim 1) and sum to 1 at
# every pixel. (Classifiers are compared in tests/train.sh.)
. "$(dirname "$0")/lib.sh"
if ! have_py torch; then
	skip "predict: NOT TESTABLE: $PY has no torch (Debian python3-torch)"
	exit 0
fi
cd "$T" || exit 1
"$PY" - <<'EOF'
import numpy as np
r = np.random.default_rng(9)
with open("seg.npy", "wb") as f:
    np.save(f, r.integers(0, 256, (12, 3, 8, 8), dtype=np.uint8))
    np.save(f, r.integers(0, 5, (12, 8, 8)).astype(np.int32))
    np.save(f, np.array([b"others", b"facade", b"pillar", b"window", b"balcony"]))
EOF
cat >seg.net <<'EOF'
input 3 8 8 label=in
conv 6 3 pad=1
batchnorm
relu label=a
maxpool 2
conv 6 3 pad=1
upsample 2
concat a
conv 5 1
EOF
nn-train -q --epochs 2 --batch 4 -o seg.st seg.net seg.npy || fail "predict: nn-train failed"
nn-predict -q seg.st seg.npy >p.npy || fail "predict: nn-predict failed"
nn-predict -q --logits -o z.npy seg.st seg.npy || fail "predict: nn-predict --logits failed"
"$PY" - "$NN_ROOT/tests" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import torch
import nnpipe_torch as nt
def result(name, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + "predict-dense-" + name + ("" if ok else f": {why}"))
tensors, meta = nt.st_read("seg.st")
net = nt.build_net(meta["net"], "seg.st")
net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
net.eval()
x, y, names = nt.read_dataset("seg.npy")
with torch.no_grad():
    z = net(nt.preprocess(x, meta))
    p = torch.softmax(z, 1).numpy()
z = z.numpy()
P = nt.npy_read_stream("p.npy")[0]
Z = nt.npy_read_stream("z.npy")[0]
result("shape", P.shape == (12, 5, 8, 8) and Z.shape == P.shape, (P.shape, Z.shape))
result("logits-within-1e-4", np.abs(Z - z).max() <= 1e-4, np.abs(Z - z).max())
result("softmax-over-classes-within-1e-5", np.abs(P - p).max() <= 1e-5, np.abs(P - p).max())
result("sums-to-1-per-pixel", np.abs(P.sum(1) - 1).max() <= 1e-5, np.abs(P.sum(1) - 1).max())
EOF

#!/usr/bin/env bash
# tests/predict.sh: nn-predict's dense (segmentation) output against PyTorch:
# the same model loaded into PyTorch gives the same logits, nn-predict's
# probabilities are the softmax over the class axis (dim 1) and sum to 1 at
# every pixel. (Classifiers are compared in tests/train.sh.) A model made in
# PyTorch (tests/nnpipe_torch.py's writer) is run with its input
# normalisation, and refused, by nn-predict and nn-train --resume, when its
# metadata lacks input_mean or input_std.
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

# ---- a model made in PyTorch: its normalisation applied, or the model refused
cat >torch.net <<'EOF'
input 3 6 6
conv 4 3 pad=1
batchnorm
relu
flatten
linear 3
EOF
"$PY" - "$NN_ROOT/tests" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import torch
import nnpipe_torch as nt
torch.manual_seed(3)
text = open("torch.net").read()
net = nt.build_net(text, "torch.net")
with torch.no_grad():
    for p in net.parameters():
        p.uniform_(-1, 1)
net.eval()
mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
classes = '["cat", "dog", "Ankle boot"]'
nt.save_model("torch.st", net, text, mean, std, {"classes": classes})
tensors, meta = nt.st_read("torch.st")
for name, drop in (("nomean", ["input_mean"]), ("nostd", ["input_std"]), ("none", ["input_mean", "input_std"])):
    nt.st_write(f"{name}.st", tensors, {k: v for k, v in meta.items() if k not in drop})
nt.st_write("onemean.st", tensors, dict(meta, input_mean="0"))
r = np.random.default_rng(4)
x = r.integers(0, 256, (5, 3, 6, 6), dtype=np.uint8)
with open("own.npy", "wb") as f:
    np.save(f, x)
with torch.no_grad():
    np.save("torch-p.npy", torch.softmax(net(nt.preprocess(x, mean, std)), 1).numpy())
try:
    nt.preprocess(x, {k: v for k, v in meta.items() if k != "input_std"})
    print("FAIL: torch-preprocess-refuses-missing-std: no error")
except ValueError as e:
    ok = str(e) == "no input_std in the metadata (for no normalisation: input_mean 0,0,0 and input_std 1,1,1)"
    print("PASS: torch-preprocess-refuses-missing-std" if ok else f"FAIL: torch-preprocess-refuses-missing-std: {e}")
EOF
nn-predict -q torch.st own.npy >torch-out.npy || fail "predict-torch-model: nn-predict failed"
"$PY" - <<'EOF'
import numpy as np
f = open("torch-out.npy", "rb")
p, names = np.load(f), np.load(f)
want = np.load("torch-p.npy")
d = np.abs(p - want).max()
print("PASS: predict-torch-made-model-normalised-within-1e-5" if d <= 1e-5 else f"FAIL: predict-torch-made-model-normalised-within-1e-5: {d}")
ok = [n.decode() for n in names] == ["cat", "dog", "Ankle boot"] and not f.read()
print("PASS: predict-torch-made-model-names" if ok else f"FAIL: predict-torch-made-model-names: {names}")
EOF
hint='write the per-channel mean and standard deviation the network was trained with \(input_mean 0,0,0 and input_std 1,1,1 for no normalisation\)$'
expect_error "predict-refuses-no-mean" "^nn-predict: nomean\.st: no input_mean in the metadata: $hint" nn-predict -o refused.npy nomean.st own.npy
expect_error "predict-refuses-no-std" "^nn-predict: nostd\.st: no input_std in the metadata: $hint" nn-predict -o refused.npy nostd.st own.npy
expect_error "predict-refuses-no-normalisation" "^nn-predict: none\.st: no input_mean and input_std in the metadata: $hint" \
	nn-predict -o refused.npy none.st own.npy
expect_error "predict-one-value-for-three-channels" '^nn-predict: onemean\.st: input_mean/input_std have 1/3 values for 3 input channels$' \
	nn-predict -o refused.npy onemean.st own.npy
check "predict-refusals-leave-no-file" [ ! -e refused.npy ]
# a checkpoint without them is refused when resumed, as nn-predict refuses it
nn-train -q --epochs 1 --batch 4 -o ck.st seg.net seg.npy
"$PY" - "$NN_ROOT/tests" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import nnpipe_torch as nt
t, meta = nt.st_read("ck.st.ckpt")
nt.st_write("ck-nomean.ckpt", t, {k: v for k, v in meta.items() if k != "input_mean"})
EOF
expect_error "resume-refuses-no-mean" "^nn-train: ck-nomean\.ckpt: no input_mean in the metadata: $hint" \
	nn-train -q --resume ck-nomean.ckpt --epochs 2 -o resumed.st seg.npy
check "resume-refusal-leaves-no-model" [ ! -e resumed.st ]

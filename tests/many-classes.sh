#!/usr/bin/env bash
# tests/many-classes.sh: the checkpoint of a run with 4096 classes, named
# with quotes, backslashes and non-ASCII letters, and --class-weights of
# 4096 values: its configuration and class names are valid JSON that
# Python reads back as given, and --resume continues it to the same model
# as a run that was never stopped.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "many-classes: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
cd "$T" || exit 1
K=4096
"$PY" - "$K" <<'EOF'
import sys
import numpy as np
k = int(sys.argv[1])
r = np.random.default_rng(11)
names = np.array([('c%04d "q" \\ \u00e9' % i).encode() for i in range(k)])
with open("d.npy", "wb") as f:
    np.save(f, r.integers(0, 256, (16, 1, 4, 4), dtype=np.uint8))
    np.save(f, r.integers(0, k, 16).astype(np.int32))
    np.save(f, names)
# weights with nine significant digits, as a float keeps them
w = ",".join("%.9g" % np.float32(v) for v in r.uniform(0.5, 2, k))
open("weights.txt", "w").write(w)
EOF
printf 'input 1 4 4\nflatten\nlinear %d\n' "$K" >many.net
W=$(cat weights.txt)
train() { nn-train -q --threads 1 --batch 16 --opt sgd --lr 0.1 --class-weights "$W" "$@"; }

# one step, then resumed to two; and two straight
train --epochs 1 -o one.st many.net d.npy 2>err1
check "many-classes-train-one-step" [ $? -eq 0 -a -s one.st.ckpt ]
train --epochs 2 --resume one.st.ckpt -o resumed.st d.npy 2>err2
check "many-classes-resume: --resume continues the checkpoint" [ $? -eq 0 -a -s resumed.st ]
train --epochs 2 -o straight.st many.net d.npy 2>/dev/null
check "many-classes-resume-same-model: resumed and straight runs write the same file" same_model resumed.st straight.st

"$PY" - "$K" one.st.ckpt resumed.st <<'EOF'
import json, struct, sys
k = int(sys.argv[1])
weights = open("weights.txt").read()
names = ['c%04d "q" \\ \u00e9' % i for i in range(k)]
def result(name, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + "many-classes-" + name + ("" if ok else ": " + str(why)[:300]))
for path in sys.argv[2:]:
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    try:
        meta = json.loads(blob[8:8 + n])["__metadata__"]
        cfg = json.loads(meta["config"])
        classes = json.loads(meta["classes"])
    except (ValueError, KeyError) as e:
        result(path + "-json", False, e)
        continue
    result(path + "-config-json", cfg["class_weights"] == weights and cfg["batch"] == 16 and cfg["lr"] == 0.1,
           {key: cfg.get(key) for key in ("batch", "lr")})
    result(path + "-class-names", classes == names, classes[:2])
    want_step = "1" if path.endswith(".ckpt") else None
    result(path + "-step", meta.get("step") == want_step, meta.get("step"))
EOF

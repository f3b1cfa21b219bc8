#!/usr/bin/env bash
# tests/bounds.sh: inputs whose cost must stay bounded and bytes text formats
# must refuse. Large headers and descriptions parse in linear time (the
# timeouts below only guard against a hang: quadratic parsing took minutes
# here); a NUL byte in a text file is an error, not the end of the text.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
if ! have_py numpy; then
	skip "bounds: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
"$PY" - <<'PYEOF'
import json, struct
import numpy as np
h = {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(200000)}
h["__metadata__"] = {f"k{i}": "v" for i in range(100000)}
b = json.dumps(h).encode()
open("many.st", "wb").write(struct.pack("<Q", len(b)) + b)
lines = ["input 1 4 4 label=x"] + [f"relu label=l{i}" for i in range(60000)]
lines += ["add l5", "add x", "add l59999"] * 1000 + ["flatten", "linear 3"]
open("many.net", "w").write("\n".join(lines) + "\n")
r = np.random.default_rng(1)
with open("d.npy", "wb") as f:
    np.save(f, r.integers(0, 256, (20, 1, 4, 4), dtype=np.uint8))
    np.save(f, r.integers(0, 3, 20).astype(np.int32))
PYEOF
expect_error "200,000 tensors and 100,000 metadata keys parse" 'many\.st: not an nnpipe model' \
	timeout 30 filters-dump -o f.png many.st
nn-train -q --epochs 1 --batch 10 -o m.st many.net d.npy 2>err.txt
check "63,000 labelled layers and references parse and train (status $?)" test -s m.st
printf 'input 1 4 4\nflatten\nlinear 3\n\0linear 9\n' >nul.net
expect_error "a NUL byte in a .net file" 'nul\.net: a NUL byte at byte 29: not a text file' \
	nn-train -q -o n.st nul.net d.npy
printf 'step\tepoch\tsplit\tloss\n1\t1\ttrain\t0.5\n2\t1\ttr\0ain\t0.4\n' >nul.tsv
expect_error "a NUL byte in a metrics log" 'nul\.tsv:3: a NUL byte' curve-plot --term dumb nul.tsv

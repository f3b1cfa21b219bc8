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
# random labels that a linear layer on 16 pixels cannot learn: the loss
# stays near log 10 unless the learning rate is absurd
with open("d16.npy", "wb") as f:
    np.save(f, r.integers(0, 256, (2000, 1, 4, 4), dtype=np.uint8))
    np.save(f, r.integers(0, 10, 2000).astype(np.int32))
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

# a description from stdin is named <stdin> in messages; the new layers'
# arguments and options are checked like the others'
expect_error "a description on stdin" '^nn-train: <stdin>:2: unknown word .bogus. \(layers: conv, convt' \
	sh -c 'printf "input 1 4 4\nbogus\n" | nn-train -q -o s.st - d.npy'
netcase() { # NAME PATTERN LAYER-LINE: the line after 'input 1 4 4' is refused with PATTERN
	printf 'input 1 4 4\n%s\nflatten\nlinear 3\n' "$3" >case.net
	expect_error "$1" "case\.net:2: $2" nn-train -q -o s.st case.net d.npy
}
netcase "convt: outpad not below stride" 'convt: outpad=2 must be smaller than stride=2' 'convt 2 3 stride=2 outpad=2'
netcase "convt: pad that leaves no output" 'convt: pad 3 leaves no output' 'convt 2 1 pad=3'
netcase "avgpool global with a stride" 'avgpool global: no stride' 'avgpool global stride=2'
netcase "avgpool larger than its input" 'avgpool 5 does not fit input 4x4' 'avgpool 5'
netcase "leakyrelu slope out of range" 'leakyrelu slope: 2 out of range 0..1' 'leakyrelu 2'
netcase "leakyrelu with two arguments" "leakyrelu: unexpected word '0.2'" 'leakyrelu 0.1 0.2'
check "no model written by the refused descriptions" test ! -e s.st

# training that goes wrong says so
printf 'input 1 4 4\nflatten\nlinear 3\n' >lin.net
printf 'input 1 4 4\nflatten\nlinear 10\n' >lin16.net
nn-train -q --epochs 2 --batch 50 --opt adam --lr 1e3 --log-every 10 -o big-lr.st lin16.net d16.npy 2>err.txt
rc=$?
check "Adam at --lr 1e3: diverged (status 1) or warned (status $rc)" \
	sh -c '{ [ '$rc' -eq 1 ] && grep -q "training diverged: the loss is not finite at step" err.txt; } ||
		{ [ '$rc' -eq 0 ] && grep -q "warning: training ended worse than it began" err.txt; }'
nn-train -q --epochs 2 --batch 50 --opt adam --lr 1e-3 --log-every 10 -o ok-lr.st lin16.net d16.npy 2>err.txt
check "Adam at --lr 1e-3 on the same data: no warning" test $? -eq 0 -a ! -s err.txt
expect_error "all-zero --class-weights" 'class-weights: at least one must be positive' \
	sh -c 'nn-train -q --class-weights 0,0,0 -o z.st lin.net d.npy; [ $? -eq 2 ] && exit 1'

# inputs that would block: a FIFO among the photos, pipes a report reads twice
mkdir -p fac/train
mkfifo fac/train/a.jpg
: >fac/train/a.png
expect_error "a FIFO among the facade photos" 'fac/train/a\.jpg: not a regular file' \
	timeout 10 ds-load facade fac --split train -o f.npy
# read errors are read errors, not damaged data (reading /proc/self/mem at 0
# fails with EIO): a photo, a label picture, an IDX file
mkdir -p eio/train
ln -s /proc/self/mem eio/train/a.jpg
ln -s /proc/self/mem eio/train/a.png
expect_error "a read error in a facade photo" 'eio/train/a\.jpg: read error: Input/output error' \
	ds-load facade eio --split train -o f.npy
expect_error "a read error in IDX images" '/proc/self/mem: .*Input/output error' ds-load idx /proc/self/mem -o f.npy
expect_error "a read error in a stream" '/proc/self/mem: read error: Input/output error' ap-score /proc/self/mem
expect_error "a read error in a model" '/proc/self/mem: read error: Input/output error' filters-dump -o f.png /proc/self/mem
check "no output after the read errors" test ! -e f.npy -a ! -e f.png
nn-train -q --epochs 1 --batch 10 -o ok.st lin.net d.npy
expect_error "nn-report --cls-model from a pipe" 'not a regular file: the report reads its inputs more than once' \
	timeout 10 bash -c 'nn-report -o rep --cls-model <(cat ok.st)'

# model and checkpoint files are checked before they are trusted
nn-train -q --epochs 1 --batch 50 --opt adam -o ck.st lin16.net d16.npy
if have_py torch; then
	"$PY" - "$NN_ROOT/tests" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import nnpipe_torch as nt
t, meta = nt.st_read("ck.st.ckpt")
def variant(name, meta_changes=None, tensor_changes=None):
    m = dict(meta, **(meta_changes or {}))
    tt = {k: v.copy() for k, v in t.items()}
    for k, f in (tensor_changes or {}).items():
        tt[k] = f(tt[k])
    nt.st_write(name, tt, m)
# a description of 446 M parameters in a file of a few kilobytes
variant("huge.ckpt", {"net": "input 3 256 256\nconv 512 5 pad=2\nconv 512 5 pad=2\nflatten\nlinear 4096\nlinear 10\n"})
variant("step-word.ckpt", {"step": "four"})
variant("t-huge.ckpt", {"optim_t": str(2**63 - 1)})
variant("t-negative.ckpt", {"optim_t": "-3"})
def poke(value):
    def f(a):
        a = a.copy()
        a.flat[0] = value
        return a
    return f
variant("v-nan.ckpt", tensor_changes={"optim.v.1.weight": poke(np.nan)})
variant("v-negative.ckpt", tensor_changes={"optim.v.1.weight": poke(-1.0)})
variant("m-inf.ckpt", tensor_changes={"optim.m.1.bias": poke(np.inf)})
variant("long-mean.ckpt", {"input_mean": ",".join(["0.5"] * 100000)})
PYEOF
	expect_error "a small file describing 446 M parameters" "huge\.ckpt: missing tensor '0\.weight'|huge\.ckpt: tensor '[0-9.a-z]+' is float32" \
		timeout 10 nn-train -q --resume huge.ckpt -o x.st d16.npy
	expect_error "checkpoint step 'four'" "step-word\.ckpt: metadata step: 'four' is not a step count" \
		nn-train -q --resume step-word.ckpt -o x.st d16.npy
	expect_error "checkpoint optim_t 2^63-1" 't-huge\.ckpt: metadata optim_t: .* is not a count of 0 to 40 optimiser steps' \
		nn-train -q --resume t-huge.ckpt -o x.st d16.npy
	expect_error "checkpoint optim_t -3" 't-negative\.ckpt: metadata optim_t' nn-train -q --resume t-negative.ckpt -o x.st d16.npy
	expect_error "Adam's second moment NaN" "v-nan\.ckpt: tensor 'optim\.v\.1\.weight': element 0 is nan" \
		nn-train -q --resume v-nan.ckpt -o x.st d16.npy
	expect_error "Adam's second moment negative" "v-negative\.ckpt: tensor 'optim\.v\.1\.weight': element 0 is -1" \
		nn-train -q --resume v-negative.ckpt -o x.st d16.npy
	expect_error "Adam's first moment infinite" "m-inf\.ckpt: tensor 'optim\.m\.1\.bias': element 0 is inf" \
		nn-train -q --resume m-inf.ckpt -o x.st d16.npy
	nn-predict -q long-mean.ckpt d16.npy >/dev/null 2>err.txt
	check "a 400 KB input_mean makes a message of one bounded line ($(wc -c <err.txt) bytes)" \
		sh -c '[ "$(wc -l <err.txt)" -eq 1 ] && [ "$(wc -c <err.txt)" -le 1100 ]'
else
	skip "bounds: checkpoints: NOT TESTABLE: $PY has no torch"
fi

# a resume continues on the data it was trained on
"$PY" - <<'PYEOF'
import numpy as np
r = np.random.default_rng(3)
x = np.load(open("d16.npy", "rb"))
with open("d16-other.npy", "wb") as f:
    np.save(f, x)
    np.save(f, r.integers(0, 10, len(x)).astype(np.int32))   # same images, other labels
with open("d16-short.npy", "wb") as f:
    np.save(f, x[:64])
    np.save(f, r.integers(0, 10, 64).astype(np.int32))
PYEOF
nn-train -q --epochs 1 --batch 50 -o fp.st lin16.net d16.npy
expect_error "resume on a stream of another length" 'fp\.st\.ckpt: trained on 2000 samples, but d16-short\.npy has 64' \
	nn-train -q --epochs 2 --resume fp.st.ckpt d16-short.npy
expect_error "resume on the same images with other labels" \
	'fp\.st\.ckpt: trained on other samples than those of d16-other\.npy .*--other-data' \
	nn-train -q --epochs 2 --resume fp.st.ckpt d16-other.npy
check "resume on other data with --other-data" nn-train -q --epochs 2 --resume fp.st.ckpt --other-data d16-other.npy

# messages that are the tools' own, on one line
expect_error "--threads 10000" "threads: expected 0 \(every core\) to 1024, got '10000'" \
	sh -c 'nn-train -q --threads 10000 -o t.st lin16.net d16.npy; [ $? -eq 2 ] && exit 1'
"$PY" - <<'PYEOF'
import numpy as np
with open("ctl.npy", "wb") as f:
    np.save(f, np.zeros((2, 1, 4, 4), np.uint8))
    np.save(f, np.array([0, 1], np.int32))
    np.save(f, np.array([b"ok", b"bad\x1b[2Jname"]))
PYEOF
expect_error "a class name with a terminal escape" 'ctl\.npy: class name 1 holds the control byte 0x1b' \
	ds-split --info ctl.npy

# a header length that lies is named as such, not as the next array's magic
"$PY" - <<'PYEOF'
import io
import numpy as np
b = io.BytesIO()
np.save(b, np.zeros((2, 1, 4, 4), np.uint8))
np.save(b, np.array([0, 1], np.int32))
d = bytearray(b.getvalue())
n = d[8] | d[9] << 8
for name, delta in (("lie-long.npy", 16), ("lie-short.npy", -16)):
    e = bytearray(d)
    e[8], e[9] = (n + delta) & 255, (n + delta) >> 8
    open(name, "wb").write(bytes(e))
PYEOF
expect_error "an NPY header length too long" 'lie-long\.npy: NPY header of [0-9]+ bytes does not end in a newline' \
	ds-split --info lie-long.npy
expect_error "an NPY header length too short" 'lie-short\.npy: NPY header of [0-9]+ bytes does not end in a newline' \
	ds-split --info lie-short.npy

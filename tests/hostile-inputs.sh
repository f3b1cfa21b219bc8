#!/usr/bin/env bash
# tests/hostile-inputs.sh: streams and model files that make no sense are
# refused by every tool that reads them, naming the file and what is wrong:
# pixels and scores that are not finite, prediction streams of no class,
# labels out of range, an empty validation stream, weights that are not
# finite, metadata fields of the wrong type, class names that disagree
# between a stream and a model or another stream.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "hostile-inputs: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
cd "$T" || exit 1

"$PY" - <<'EOF'
import numpy as np
from npstream import write_stream
r = np.random.default_rng(5)
names = np.array([b"a", b"b", b"c"])
x = r.integers(0, 256, (9, 1, 4, 4), dtype=np.uint8)
y = (np.arange(9) % 3).astype(np.uint8)
write_stream("d.npy", x, y, names)
write_stream("d-nonames.npy", x, y)
write_stream("d-other-names.npy", x, y, np.array([b"a", b"B", b"c"]))
xf = x.astype(np.float32) / 255
xf[2, 0, 1, 1] = np.nan
write_stream("nan-x.npy", xf, y, names)
xf = x.astype(np.float32) / 255
xf[5, 0, 0, 3] = -np.inf
write_stream("inf-x.npy", xf, y, names)
write_stream("empty.npy", np.zeros((0, 1, 4, 4), np.uint8), np.zeros(0, np.uint8), names)
p = r.random((9, 3)).astype(np.float32)
write_stream("p.npy", p, y, names)
write_stream("p-other-names.npy", p, y, np.array([b"a", b"b", b"C"]))
q = p.copy()
q[4, 2] = np.nan
write_stream("p-nan.npy", q, y, names)
write_stream("p-k0.npy", np.zeros((9, 0), np.float32), y)
write_stream("p-label.npy", p, np.array([0, 1, 2, 0, 1, 3, 0, 1, 2], np.uint8))

# segmentation: photos, label maps, per-pixel scores
sx = r.integers(0, 256, (2, 3, 4, 5), dtype=np.uint8)
sy = r.integers(0, 3, (2, 4, 5)).astype(np.uint8)
write_stream("seg.npy", sx, sy, names)
sf = sx.astype(np.float32)
sf[1, 2, 3, 4] = np.nan
write_stream("seg-nan-x.npy", sf, sy, names)
sp = r.random((2, 3, 4, 5)).astype(np.float32)
write_stream("seg-p.npy", sp, sy, names)
write_stream("seg-p-other-names.npy", sp, sy, np.array([b"x", b"y", b"z"]))
sq = sp.copy()
sq[1, 0, 2, 2] = np.nan
write_stream("seg-p-nan.npy", sq, sy)
write_stream("seg-p-k0.npy", np.zeros((2, 0, 4, 5), np.float32), sy)
sz = sy.copy()
sz[1, 3, 4] = 7
write_stream("seg-p-label.npy", sp, sz)
write_stream("seg-label.npy", sx, sz)
EOF

# pixels that are not finite: refused by every reader of a dataset stream
printf 'input 1 4 4\nflatten\nlinear 3\n' >lin.net
nn-train -q --epochs 2 --batch 3 -o m.st lin.net d.npy || fail "hostile-inputs: nn-train on good data failed"
expect_error "NaN pixel: ds-split --info" 'nan-x\.npy: x holds nan at sample 2' ds-split --info nan-x.npy
expect_error "NaN pixel: ds-split" 'nan-x\.npy: x holds nan at sample 2' ds-split --take 3 -o a.npy -r b.npy nan-x.npy
expect_error "-inf pixel: ds-split --info" 'inf-x\.npy: x holds -inf at sample 5' ds-split --info inf-x.npy
expect_error "NaN pixel: sample-grid" 'nan-x\.npy: x holds nan at sample 2' \
	sample-grid --data nan-x.npy --pred p.npy -o g.png
expect_error "NaN pixel: seg-colour --photo" 'seg-nan-x\.npy: x holds nan at sample 1' \
	seg-colour --data seg-nan-x.npy --photo -o s/
expect_error "NaN pixel: nn-predict" 'nan-x\.npy: x holds nan at sample 2' nn-predict -q -o o.npy m.st nan-x.npy
expect_error "NaN pixel: nn-train" 'nan-x\.npy: x holds nan at sample 2' nn-train -q -o n.st lin.net nan-x.npy
expect_error "NaN pixel: nn-train --val" 'nan-x\.npy: x holds nan at sample 2' \
	nn-train -q -o n.st --val nan-x.npy lin.net d.npy
check "no output from the refused data" test ! -e g.png -a ! -e s -a ! -e o.npy -a ! -e n.st -a ! -e a.npy

# scores that are NaN, streams of no class, labels beyond the scores:
# refused by every reader of a prediction stream
expect_error "NaN score: ap-score" 'p-nan\.npy: score is NaN at sample 4, class 2' ap-score p-nan.npy
expect_error "NaN score: sample-grid" 'p-nan\.npy: score is NaN at sample 4, class 2' \
	sample-grid --data d.npy --pred p-nan.npy -o g.png
expect_error "NaN score: seg-colour" 'seg-p-nan\.npy: score is NaN at sample 1, class 0' \
	seg-colour --pred seg-p-nan.npy -o s/
expect_error "0 classes: ap-score" 'p-k0\.npy: p has 0 classes' ap-score p-k0.npy
expect_error "0 classes: sample-grid" 'p-k0\.npy: p has 0 classes' sample-grid --data d.npy --pred p-k0.npy -o g.png
expect_error "0 classes: seg-colour" 'seg-p-k0\.npy: p has 0 classes' seg-colour --pred seg-p-k0.npy --label -o s/
expect_error "0 classes: seg-colour --legend-only" 'seg-p-k0\.npy: p has 0 classes' \
	seg-colour --pred seg-p-k0.npy --legend-only -o s.png
expect_error "label beyond the scores: ap-score --top" 'p-label\.npy: label 3 out of range 0\.\.2 at sample 5' \
	ap-score --top 1 p-label.npy
expect_error "label beyond the scores: seg-colour" \
	'seg-p-label\.npy: label 7 out of range 0\.\.2 at sample 1, pixel \(3,4\)' seg-colour --pred seg-p-label.npy --label -o s/
expect_error "data label beyond the scores: seg-colour" \
	'seg-label\.npy: label 7 out of range 0\.\.2 at sample 1, pixel \(3,4\)' \
	seg-colour --data seg-label.npy --pred seg-p.npy --triplet -o s/
check "no output from the refused predictions" test ! -e g.png -a ! -e s -a ! -e s.png

# an empty validation stream has no score, and no best
expect_error "empty --val" 'empty\.npy: no samples' nn-train -q --keep-best -o n.st --val empty.npy lin.net d.npy
check "no model from an empty --val" test ! -e n.st

# model files: weights that are not finite and metadata of the wrong type
# are blamed on the file, by every tool that reads them
nn-train -q --epochs 2 --batch 3 --opt adam -o ck.st lin.net d.npy || fail "hostile-inputs: nn-train --opt adam failed"
printf 'input 1 4 4\nconv 2 3 pad=1\nbatchnorm\nflatten\nlinear 3\n' >bn.net
nn-train -q --epochs 1 --batch 3 -o bn.st bn.net d.npy || fail "hostile-inputs: nn-train of bn.net failed"
"$PY" - <<'EOF2'
import json, struct
import numpy as np
def load(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), bytearray(blob[8 + n:])
def save(path, head, data):
    text = json.dumps(head).encode()
    text += b" " * (-len(text) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + bytes(data))
def variant(src, dst, poke=None, **meta):
    head, data = load(src)
    for key, (field, value) in meta.items():
        obj = json.loads(head["__metadata__"][key])
        obj[field] = value
        head["__metadata__"][key] = json.dumps(obj)
    if poke:
        name, value = poke
        a = head[name]["data_offsets"][0]
        data[a:a + 4] = np.float32(value).tobytes()
    save(dst, head, data)
variant("m.st", "nan-weight.st", poke=("1.weight", np.nan))
variant("m.st", "inf-bias.st", poke=("1.bias", np.inf))
variant("bn.st", "negative-var.st", poke=("1.running_var", -1.0))
variant("bn.st", "nan-mean.st", poke=("1.running_mean", np.nan))
variant("ck.st.ckpt", "nan-weight.ckpt", poke=("1.weight", np.nan))
variant("ck.st.ckpt", "lr-fast.ckpt", config=("lr", "fast"))
variant("ck.st.ckpt", "epochs-string.ckpt", config=("epochs", "3"))
variant("ck.st.ckpt", "lr-negative.ckpt", config=("lr", -0.5))
variant("ck.st.ckpt", "batch-fraction.ckpt", config=("batch", 2.5))
variant("ck.st.ckpt", "seed-null.ckpt", config=("seed", None))
variant("ck.st.ckpt", "steps-string.ckpt", run=("steps", "many"))
variant("ck.st.ckpt", "commands-numbers.ckpt", run=("commands", [1, 2]))
variant("m.st", "lr-fast.st", config=("lr", "fast"))
head, data = load("ck.st.ckpt")
head["__metadata__"]["optim"] = "fast"
save("optim-fast.ckpt", head, data)
for name, key, text in [("classes-numbers.st", "classes", "[1, 2, 3]"), ("classes-object.st", "classes", '{"a": 1}'),
                        ("mean-word.st", "input_mean", "fast"), ("std-nan.st", "input_std", "nan")]:
    head, data = load("m.st")
    head["__metadata__"][key] = text
    save(name, head, data)
# Python writes NaN, which JSON has not
variant("ck.st.ckpt", "momentum-nan.ckpt", config=("momentum", float("nan")))
variant("m.st", "threads-string.st", run=("threads", "two"))
EOF2
expect_error "NaN weight: nn-predict" "nan-weight\.st: tensor '1\.weight': element 0 is nan" \
	nn-predict -q -o o.npy nan-weight.st d.npy
expect_error "infinite bias: nn-predict" "inf-bias\.st: tensor '1\.bias': element 0 is inf" \
	nn-predict -q -o o.npy inf-bias.st d.npy
expect_error "negative running variance: nn-predict" "negative-var\.st: tensor '1\.running_var': element 0 is -1: not a valid variance" \
	nn-predict -q -o o.npy negative-var.st d.npy
expect_error "NaN running mean: nn-predict" "nan-mean\.st: tensor '1\.running_mean': element 0 is nan" \
	nn-predict -q -o o.npy nan-mean.st d.npy
expect_error "NaN weight: nn-train --resume blames the file" "^nn-train: nan-weight\.ckpt: tensor '1\.weight': element 0 is nan" \
	nn-train -q --resume nan-weight.ckpt -o n.st d.npy
expect_error 'config "lr":"fast": nn-train --resume' "lr-fast\.ckpt: metadata config: field 'lr' is a string: it must be a number" \
	nn-train -q --resume lr-fast.ckpt -o n.st d.npy
expect_error 'config "epochs":"3"' "epochs-string\.ckpt: metadata config: field 'epochs' is a string: it must be an integer" \
	nn-train -q --resume epochs-string.ckpt -o n.st d.npy
expect_error 'config "lr":-0.5' "lr-negative\.ckpt: metadata config: field 'lr' is -0\.5: it must be a number from 0 up" \
	nn-train -q --resume lr-negative.ckpt -o n.st d.npy
expect_error 'config "batch":2.5' "batch-fraction\.ckpt: metadata config: field 'batch' is 2\.5: it must be an integer" \
	nn-train -q --resume batch-fraction.ckpt -o n.st d.npy
expect_error 'config "seed":null' "seed-null\.ckpt: metadata config: field 'seed' is null" \
	nn-train -q --resume seed-null.ckpt -o n.st d.npy
expect_error 'run "steps":"many"' "steps-string\.ckpt: metadata run: field 'steps' is a string" \
	nn-train -q --resume steps-string.ckpt -o n.st d.npy
expect_error 'run "commands":[1,2]' "commands-numbers\.ckpt: metadata run: field 'commands' is an array: it must be an array of strings" \
	nn-train -q --resume commands-numbers.ckpt -o n.st d.npy
expect_error 'config "momentum":NaN' "momentum-nan\.ckpt: metadata config: field 'momentum': not JSON" \
	nn-train -q --resume momentum-nan.ckpt -o n.st d.npy
expect_error 'optim "fast"' "optim-fast\.ckpt: metadata optim: 'fast' is not an optimiser" \
	nn-train -q --resume optim-fast.ckpt -o n.st d.npy
expect_error 'config "lr":"fast": nn-predict' "lr-fast\.st: metadata config: field 'lr' is a string" \
	nn-predict -q -o o.npy lr-fast.st d.npy
expect_error 'config "lr":"fast": nn-report' "lr-fast\.st: metadata config: field 'lr' is a string" \
	nn-report -o rep --cls-model lr-fast.st
expect_error 'run "threads":"two": nn-report' "threads-string\.st: metadata run: field 'threads' is a string" \
	nn-report -o rep --cls-model threads-string.st
expect_error 'classes [1,2,3]' "classes-numbers\.st: metadata classes: not a JSON array of names" \
	nn-predict -q -o o.npy classes-numbers.st d.npy
expect_error 'classes {"a":1}' "classes-object\.st: metadata classes: not a JSON array of names" \
	nn-predict -q -o o.npy classes-object.st d.npy
expect_error 'input_mean "fast"' "mean-word\.st: metadata input_mean: bad list 'fast'" nn-predict -q -o o.npy mean-word.st d.npy
expect_error 'input_std "nan"' "std-nan\.st: metadata input_std: bad list 'nan'" nn-predict -q -o o.npy std-nan.st d.npy
check "no output from the refused models" test ! -e o.npy -a ! -e n.st

# class names that disagree where a stream meets a model or another stream
expect_error "other names: nn-predict" "d-other-names\.npy: class 1 is 'B' but m\.st calls it 'b'" \
	nn-predict -q -o o.npy m.st d-other-names.npy
expect_error "other names: nn-train --val" "d-other-names\.npy: class 1 is 'B' but d\.npy calls it 'b'" \
	nn-train -q --epochs 1 -o n.st --val d-other-names.npy lin.net d.npy
expect_error "other names: nn-train --resume" "d-other-names\.npy: class 1 is 'B' but ck\.st\.ckpt calls it 'b'" \
	nn-train -q --resume ck.st.ckpt -o n.st d-other-names.npy
expect_error "other names: nn-train --resume --val" "d-other-names\.npy: class 1 is 'B' but ck\.st\.ckpt calls it 'b'" \
	nn-train -q --resume ck.st.ckpt --val d-other-names.npy -o n.st d-nonames.npy
# drawn together, the predictions' names label the picture, with a warning
sample-grid --data d.npy --pred p-other-names.npy -o g.png 2>err.txt
check "other names: sample-grid warns once, naming both" sh -c '[ $? -eq 0 ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
	grep -qx "sample-grid: warning: p-other-names\.npy: class 2 is .C. but d\.npy calls it .c.: drawing the names of p-other-names\.npy" err.txt'
seg-colour --data seg.npy --pred seg-p-other-names.npy --triplet -o s/ 2>err.txt
check "other names: seg-colour warns once, naming both" sh -c '[ $? -eq 0 ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
	grep -qx "seg-colour: warning: seg-p-other-names\.npy: class 0 is .x. but seg\.npy calls it .a.: drawing the names of seg-p-other-names\.npy" err.txt'
rm -rf g.png s
expect_error "other names: ap-score --labels" "p-other-names\.npy: class 2 is 'C' but d\.npy calls it 'c'" \
	ap-score --labels d.npy p-other-names.npy
expect_error "other names: nn-report --cls-val --cls-test" "p\.npy: class 2 is 'c' but p-other-names\.npy calls it 'C'" \
	nn-report -o rep2 --cls-val p.npy --cls-test p-other-names.npy
check "no output where names disagree" test ! -e o.npy -a ! -e n.st -a ! -e g.png -a ! -e s
nn-predict -q -o o.npy m.st d-nonames.npy &&
	"$PY" -c 'from npstream import read_stream; import sys; sys.exit(list(read_stream("o.npy")[-1]) != [b"a", b"b", b"c"])'
check "a stream without names takes the model's" test $? -eq 0

# an option given twice in a description: neither can be the one meant
printf 'input 1 4 4\nconv 2 3 pad=1 pad=2\nflatten\nlinear 3\n' >twice.net
expect_error "pad=1 pad=2" 'twice\.net:2: conv: option pad given twice \(pad=1 and pad=2\)' nn-train -q -o n.st twice.net d.npy
printf 'input 1 4 4\nconv 2 3 label=a label=b\nflatten\nlinear 3\n' >twice.net
expect_error "label=a label=b" 'twice\.net:2: conv: option label given twice' nn-train -q -o n.st twice.net d.npy

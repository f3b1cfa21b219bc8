#!/usr/bin/env bash
# tests/onnx.sh: nn-export's ONNX files, read by programs other than nnpipe.
# On real data (Fashion-MNIST test images, mini-facade test_dev photos), for
# the course network, the write-up's facade network at 32x32, both small
# U-Nets (bilinear and transposed-convolution upsampling), a network with
# every layer kind and one that joins a vector with a [C,1,1] image, each
# trained for a few steps: onnx's full checker passes every file, the weights
# and metadata read back as the model holds them, and ONNX Runtime's outputs
# are within 1e-5 of nn-predict's (tests/onnx_check.py, in a virtual
# environment with onnx and onnxruntime from PyPI: .ci/onnx-venv.sh makes
# it). The same networks built in PyTorch from the same safetensors and
# exported by torch.onnx.export (tests/onnx_torch.py, Debian's torch) give
# the same outputs in ONNX Runtime. Models that are not what their metadata
# says, and bad usage, are refused and write nothing.
#
#   NN_ONNX_VENV=DIR  the virtual environment (default build/onnx-venv);
#                     when set, it must have onnx and onnxruntime (CI sets it)
. "$(dirname "$0")/lib.sh"
export OMP_WAIT_POLICY=passive
cd "$T" || exit 1

FM=$DATA/fashion-mnist
[ -f "$FM/t10k-images-idx3-ubyte.gz" ] || FM=/usr/share/datasets/fashion-mnist
if [ ! -f "$FM/t10k-images-idx3-ubyte.gz" ]; then
	skip "onnx: NOT TESTABLE: no Fashion-MNIST IDX files in $DATA/fashion-mnist or $FM"
	exit 0
fi
if ! have_py numpy; then
	skip "onnx: NOT TESTABLE: $PY has no numpy"
	exit 0
fi

# train NAME NET DATA EPOCHS BATCH: a model NAME.st trained briefly, and
# NAME-data.npy, the data it is checked on
train() {
	cp "$3" "$1-data.npy"
	nn-train -q --seed 1 --epochs "$4" --batch "$5" --opt adam --lr 1e-3 -o "$1.st" "$2" "$1-data.npy" ||
		fail "onnx: nn-train $1 failed"
}

ds-load fashion-mnist "$FM" --split test --limit 96 -o fm.npy 2>/dev/null || fail "onnx: ds-load fashion-mnist failed"
train fm "$NN_ROOT/examples/fashion-mnist.net" fm.npy 1 16

# every layer kind of lib/nn/layers.c; the test below checks that it is so
cat >kinds.net <<'NET'
input 1 28 28 label=in
conv 8 3 pad=1
batchnorm
leakyrelu 0.1 label=a
maxpool 2
convt 8 3 stride=2 pad=1 outpad=1
add a
avgpool 2
upsample 2
concat in
relu
dropout 0.3
conv 6 3 stride=2 pad=1 bias=0
avgpool 3 stride=2
avgpool global
flatten
linear 16
relu label=h
dropout 0.2
linear 16 bias=0
add h
linear 10
NET
train kinds kinds.net fm.npy 2 16
words=$(sed -n '/^static const layer_def [a-z_]* = {$/{n;s/^\t"\([a-z]*\)".*/\1/p}' "$NN_ROOT/lib/nn/layers.c")
missing=$(for w in $words; do grep -q "^$w\( \|\$\)" kinds.net || echo "$w"; done)
check "onnx: the network of every kind has each of the $(echo $words | wc -w) kinds${missing:+ (not: $(echo $missing))}" \
	[ -z "$missing" -a "$(echo $words | wc -w)" -ge 13 ]
for w in $words; do
	check "onnx: nn-export(1) gives the ONNX form of $w" grep -q "^\.B $w\$" "$NN_ROOT/man/nn-export.1"
done
if command -v groff >/dev/null; then
	check "onnx: nn-export(1) renders without warnings" \
		sh -c '[ -z "$(groff -man -ww -z "$1" 2>&1)" ]' sh "$NN_ROOT/man/nn-export.1"
fi

# a vector joined with a [C,1,1] image made before the flatten (PyTorch's
# builder refuses it: no torch.onnx.export file for this one)
cat >joins.net <<'NET'
input 1 28 28
conv 4 28 label=v
flatten
concat v
linear 4
add v
relu
linear 10
NET
train joins joins.net fm.npy 1 16

nets="fm kinds joins"
FAC=$DATA/mini-facade
if [ -d "$FAC/starter_set" ]; then
	ds-load facade "$FAC" --split test_dev --limit 3 --size 32 -o f32.npy 2>/dev/null &&
		ds-load facade "$FAC" --split test_dev --limit 3 --size 128 -o f128.npy 2>/dev/null ||
		fail "onnx: ds-load facade failed"
	sed 's/^input 3 256 256/input 3 32 32/' "$NN_ROOT/examples/facade.net" >facade32.net
	train facade32 facade32.net f32.npy 1 3
	train unet "$NN_ROOT/examples/facade-unet-small.net" f128.npy 2 3
	train unet-convt "$NN_ROOT/examples/facade-unet-convt.net" f128.npy 2 3
	nets="$nets facade32 unet unet-convt"
else
	skip "onnx-facade: NOT TESTABLE: no mini-facade data in $FAC"
fi

for n in $nets; do
	nn-predict -q "$n.st" "$n-data.npy" >"$n-p.npy" &&
		nn-predict -q --logits "$n.st" "$n-data.npy" >"$n-z.npy" ||
		fail "onnx: nn-predict $n failed"
	nn-export -q -o "$n.onnx" "$n.st" && nn-export -q --logits -o "$n-logits.onnx" "$n.st" ||
		fail "onnx: nn-export $n failed"
done
nn-export -q --uint8 -o fm-u8.onnx fm.st || fail "onnx: nn-export --uint8 failed"

# ---- what the summary says, and what the file holds before any check
check "onnx: nn-export says what it wrote" \
	sh -c 'nn-export -o o.onnx fm.st 2>&1 | grep -Eq "^nn-export: o\.onnx: 1[0-9] nodes, 1[0-9] initializers, [0-9]+ bytes$"'
check "onnx: a file is written the same twice" sh -c 'nn-export -q -o again.onnx fm.st && cmp -s fm.onnx again.onnx'
check "onnx: to standard output when it is not a terminal" sh -c 'nn-export -q fm.st | cmp -s - fm.onnx'

# ---- hostile models: refused, one line naming the file, nothing written
"$PY" - <<'PYEOF'
import json, struct
def st_read(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]
def st_write(path, head, data):
    hb = json.dumps(head).encode()
    hb += b" " * (-len(hb) % 8)
    open(path, "wb").write(struct.pack("<Q", len(hb)) + hb + data)
head, data = st_read("fm.st")
meta = head["__metadata__"]
def variant(path, drop=(), **changes):
    h = json.loads(json.dumps(head))
    h["__metadata__"].update(changes)
    for k in drop:
        del h["__metadata__"][k]
    st_write(path, h, data)
variant("wider.st", net=meta["net"].replace("conv 32 3 pad=1      # 3", "conv 48 3 pad=1      # 3"))
variant("fewer-layers.st", ("classes",), net=meta["net"].replace("relu                 # 8", "").replace("linear 10 ", ""))
variant("classes.st", classes=json.dumps(json.loads(meta["classes"])[:9]))
variant("std.st", input_std="0.3,0.3")
variant("no-net.st", ("net",))
variant("surrogate.st", net="# \ud800\n" + meta["net"])
PYEOF
# bad NAME PATTERN COMMAND...: exit 1, one line on stderr matching PATTERN,
# the -o file out.onnx as it was before (absent) and no temporary beside it
bad() {
	local name=$1 pat=$2; shift 2
	rm -f out.onnx*
	expect_error "$name" "$pat" "$@"
	check "$name: nothing written" sh -c '! ls out.onnx* >/dev/null 2>&1 && [ "$(wc -l <"$1")" -eq 1 ]' sh "$T/err"
}
bad "onnx: a description wider than the tensors" \
	"^nn-export: wider\.st: tensor '3\.weight' is float32 \[32,32,3,3\], the description needs float32 of 13824 elements\$" \
	nn-export -o out.onnx wider.st
bad "onnx: a description with fewer layers than the tensors" \
	"^nn-export: fewer-layers\.st: tensor '9\.(bias|weight)' is not part of the network described in the file\$" \
	nn-export -o out.onnx fewer-layers.st
bad "onnx: 9 class names for 10 outputs" '^nn-export: classes\.st: 9 class names for a network of 10 outputs$' \
	nn-export -o out.onnx classes.st
bad "onnx: input_std for 2 channels of 1" '^nn-export: std\.st: input_mean/input_std have 1/2 values for 1 input channels$' \
	nn-export -o out.onnx std.st
bad "onnx: no description" "^nn-export: no-net\.st: not an nnpipe model \(no 'net' in the metadata\)\$" \
	nn-export -o out.onnx no-net.st
bad "onnx: a description that is not UTF-8 (ONNX's strings must be)" \
	'^nn-export: surrogate\.st: bad JSON in the header: unpaired surrogate in \\u escape at byte [0-9]+$' \
	nn-export -o out.onnx surrogate.st
bad "onnx: a dataset stream for a model" '^nn-export: fm\.npy: an NPY tensor stream .*, not a model$' \
	nn-export -o out.onnx fm.npy
bad "onnx: a missing model" '^nn-export: nothing\.st: No such file or directory$' nn-export -o out.onnx nothing.st
expect_error "onnx: a full device" '^nn-export: /dev/full: write error: No space left on device$' \
	nn-export -q -o /dev/full fm.st
cp fm.onnx keep.onnx
nn-export -q -o keep.onnx wider.st 2>/dev/null
check "onnx: a failed export leaves the old file as it was" cmp -s keep.onnx fm.onnx

# usage: exit 2 and a pointer to --help, nothing written
usage2() {
	local name=$1; shift
	"$@" >out 2>err
	local rc=$?
	check "$name: exit 2, $(head -1 err)" [ "$rc" -eq 2 -a ! -s out ]
}
usage2 "onnx: no model" nn-export -o out.onnx
usage2 "onnx: two models" nn-export -o out.onnx fm.st kinds.st
cp fm.st fm-before.st
usage2 "onnx: the output is the model" nn-export -o fm.st fm.st
check "onnx: the model is kept when it is named as the output" cmp -s fm.st fm-before.st
check "onnx: --help" sh -c 'nn-export --help | grep -q "^usage: nn-export"'

# ---- read back by onnx and ONNX Runtime, beside PyTorch's own export
VENV=${NN_ONNX_VENV:-$NN_ROOT/build/onnx-venv}
if ! "$VENV/bin/python" -c 'import onnx, onnxruntime' 2>/dev/null; then
	if [ -n "${NN_ONNX_VENV:-}" ]; then
		fail "onnx: NN_ONNX_VENV=$VENV has no python with onnx and onnxruntime"
	else
		skip "onnx-runtime: NOT TESTABLE: no virtual environment with onnx and onnxruntime in $VENV (sh .ci/onnx-venv.sh makes it)"
	fi
	exit 0
fi
if have_py torch; then
	args=$(for n in $nets; do [ "$n" != joins ] && echo "$n.st $n-torch.onnx"; done)
	# shellcheck disable=SC2086
	"$PY" "$NN_ROOT/tests/onnx_torch.py" $args || fail "onnx: torch.onnx.export failed"
else
	skip "onnx-torch: NOT TESTABLE: $PY has no torch (Debian python3-torch)"
fi
# shellcheck disable=SC2086
"$VENV/bin/python" "$NN_ROOT/tests/onnx_check.py" $nets

# README.md's Python example, as it is written there, on the course network
mkdir readme && ln -s ../fm.onnx readme/fmnist.onnx && ln -s ../fm-data.npy readme/test.npy
sed -n '/^    import numpy as np, onnxruntime as ort$/,/^$/s/^    //p' "$NN_ROOT/README.md" >readme/example.py
acc=$("$PY" -c 'from npstream import read_stream as r; import sys
p, y = r("fm-p.npy")[0], r("fm-data.npy")[1]; print("accuracy", (p.argmax(1) == y).mean())')
got=$(cd readme && "$VENV/bin/python" example.py 2>&1)
check "onnx: README.md's five-line Python example prints nn-predict's accuracy ($got)" \
	[ "$(grep -c . readme/example.py)" -eq 5 -a "$got" = "$acc" ]

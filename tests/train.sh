#!/usr/bin/env bash
# tests/train.sh: nn-train and nn-predict end to end on a few thousand
# Fashion-MNIST images: bad inputs and bad usage, resume against an
# uninterrupted run, Ctrl-C, determinism, and models and predictions read back
# by PyTorch and numpy.
. "$(dirname "$0")/lib.sh"

# Threads that wait by sleeping, not spinning: on a shared, busy machine a
# spinning OpenMP barrier makes --threads 2 runs of these small networks many
# times slower. The results do not depend on it.
export OMP_WAIT_POLICY=passive

FM=$DATA/fashion-mnist
[ -f "$FM/train-images-idx3-ubyte.gz" ] || FM=/usr/share/datasets/fashion-mnist
if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then
	skip "train: NOT TESTABLE: no Fashion-MNIST IDX files in $DATA/fashion-mnist or $FM"
	exit 0
fi
if ! have_py numpy; then
	skip "train: NOT TESTABLE: $PY has no numpy"
	exit 0
fi

# bad NAME PATTERN OUT COMMAND...: exit status 1, exactly one line on stderr
# matching PATTERN, nothing on stdout, and nothing named OUT* left behind
# (neither the file, its checkpoint, nor a temporary)
bad() {
	local name=$1 pat=$2 out=$3; shift 3
	rm -f "$out"*
	"$@" >"$T/out" 2>"$T/err"
	local rc=$? lines
	lines=$(wc -l <"$T/err")
	if [ "$rc" -ne 1 ]; then
		fail "$name: exit status $rc, expected 1 ($(head -c 200 "$T/err"))"
	elif [ "$lines" -ne 1 ]; then
		fail "$name: $lines lines on stderr, expected one ($(head -c 200 "$T/err"))"
	elif ! grep -Eq -- "$pat" "$T/err"; then
		fail "$name: message '$(head -c 200 "$T/err")' does not match '$pat'"
	elif [ -s "$T/out" ]; then
		fail "$name: output on stdout"
	elif compgen -G "$out*" >/dev/null; then
		fail "$name: left behind: $(echo "$out"*)"
	else
		pass "$name"
	fi
}

# usage NAME COMMAND...: exit status 2 and a hint to run --help on stderr
usage() {
	local name=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -eq 2 ] && grep -q -- "--help" "$T/err" && [ ! -s "$T/out" ]; then
		pass "$name"
	else
		fail "$name: exit $rc ($(head -c 200 "$T/err"))"
	fi
}

differ() { ! same_tensors "$@" 2>/dev/null; }

# none GLOB: no file matches
none() { ! compgen -G "$1" >/dev/null; }

# same_log A B FROM: the metrics logs have the same rows (all columns but
# seconds), and at least one row after step FROM
same_log() {
	cmp -s <(cut -f1-6 "$1") <(cut -f1-6 "$2") && [ "$(awk -v s="$3" 'NR > 1 && $1 > s' "$1" | wc -l)" -gt 0 ]
}

# ---- data: 1200 training, 300 validation and 200 test images -------------
ds-load fashion-mnist "$FM" --split train --limit 1500 2>/dev/null |
	ds-split --seed 3 --take 1200 -o "$T/train.npy" -r "$T/val.npy" 2>/dev/null
ds-load fashion-mnist "$FM" --split test --limit 200 -o "$T/test.npy" 2>/dev/null
if [ ! -s "$T/train.npy" ] || [ ! -s "$T/val.npy" ] || [ ! -s "$T/test.npy" ]; then
	fail "train: could not make the data with ds-load and ds-split"
	exit 1
fi

# a small network for most tests; one with batch-norm and dropout for resume
cat >"$T/small.net" <<'EOF'
input 1 28 28
conv 8 3 pad=1
relu
maxpool 2
conv 8 3 stride=2
relu
maxpool 2
flatten
linear 10
EOF
cat >"$T/bn.net" <<'EOF'
input 1 28 28
conv 8 3 pad=1 bias=0
batchnorm
relu
maxpool 2       # overlapping windows below
conv 8 3 stride=2
relu
maxpool 3 stride=2
dropout 0.25
flatten
linear 10
EOF

# ---- --help and bad usage ------------------------------------------------
for tool in nn-train nn-predict; do
	"$tool" --help >"$T/out" 2>"$T/err"
	check "$tool-help" [ $? -eq 0 -a -s "$T/out" -a ! -s "$T/err" ]
	check "$tool-help-usage-line" grep -q "^usage: $tool" "$T/out"
done
usage "nn-train-usage-no-args" nn-train
usage "nn-train-usage-unknown-option" nn-train --bogus "$T/small.net" "$T/train.npy"
usage "nn-train-usage-epochs-0" nn-train --epochs 0 "$T/small.net" "$T/train.npy"
usage "nn-train-usage-lr-not-number" nn-train --lr fast "$T/small.net" "$T/train.npy"
usage "nn-train-usage-missing-value" nn-train "$T/small.net" "$T/train.npy" --epochs
usage "nn-train-usage-unknown-opt" nn-train --opt rmsprop "$T/small.net" "$T/train.npy"
usage "nn-train-usage-bad-sched" nn-train -q --sched sometimes -o "$T/u.safetensors" "$T/small.net" "$T/train.npy"
usage "nn-train-usage-class-weights-count" nn-train -q --class-weights 1,2,3 -o "$T/u.safetensors" "$T/small.net" "$T/train.npy"
usage "nn-train-usage-too-many-args" nn-train "$T/small.net" "$T/train.npy" "$T/val.npy"
usage "nn-predict-usage-no-args" nn-predict
usage "nn-predict-usage-batch-0" nn-predict --batch 0 "$T/m.safetensors" "$T/test.npy"
usage "nn-predict-usage-unknown-option" nn-predict --probabilities "$T/m.safetensors"
usage "nn-predict-usage-too-many-args" nn-predict a b c

# ---- bad inputs ------------------------------------------------------------
"$PY" - "$T" <<'EOF'
import sys, numpy as np
t = sys.argv[1]
def stream(name, *arrays):
    with open(f"{t}/{name}", "wb") as f:
        for a in arrays:
            np.save(f, a)
x = np.zeros((6, 1, 28, 28), np.uint8)
names = np.array([b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j"])
stream("f64.npy", x.astype(np.float64), np.zeros(6, np.uint8))
stream("small-img.npy", np.zeros((6, 1, 14, 14), np.uint8), np.zeros(6, np.uint8))
stream("label-12.npy", x, np.array([0, 1, 12, 3, 4, 5], np.int32))
stream("label-neg.npy", x, np.array([0, 1, -1, 3, 4, 5], np.int64))
stream("no-labels.npy", x)
stream("twelve-names.npy", x, np.zeros(6, np.uint8), np.array([b"c%d" % i for i in range(12)]))
with open(f"{t}/garbled.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00\x20\x00{'descr': '|u1', 'fortran_order\n" + bytes(300))
EOF
head -c 100000 "$T/train.npy" >"$T/truncated.npy"
printf 'input 1 28 28\nconv 8 3\n# a comment\nrelu\nsoftmax\n' >"$T/unknown.net"
printf 'input 1 28 28\nconv 8 3x3\n' >"$T/badnum.net"
printf 'input 1 28 28\nconv 8 3\ndropout 1.5\nflatten\nlinear 10\n' >"$T/badprob.net"
M=$T/bad.safetensors
bad "train-truncated-npy" "truncated.npy: .*truncated" "$M" nn-train -q -o "$M" "$T/small.net" "$T/truncated.npy"
bad "train-garbled-npy" "garbled.npy: .*header" "$M" nn-train -q -o "$M" "$T/small.net" "$T/garbled.npy"
bad "train-not-npy" "small.net: .*(NPY|npy|magic)" "$M" nn-train -q -o "$M" "$T/small.net" "$T/small.net"
bad "train-unsupported-dtype" "f64.npy: unsupported dtype '<f8'" "$M" nn-train -q -o "$M" "$T/small.net" "$T/f64.npy"
bad "train-input-shape" "small-img.npy: data is 1x14x14 .* input is 1x28x28" "$M" nn-train -q -o "$M" "$T/small.net" "$T/small-img.npy"
bad "train-val-input-shape" "small-img.npy: data is 1x14x14" "$M" nn-train -q --val "$T/small-img.npy" -o "$M" "$T/small.net" "$T/train.npy"
bad "train-net-unknown-word" "unknown.net:5: unknown word 'softmax'" "$M" nn-train -q -o "$M" "$T/unknown.net" "$T/train.npy"
bad "train-net-bad-number" "badnum.net:2: .*'3x3'" "$M" nn-train -q -o "$M" "$T/badnum.net" "$T/train.npy"
bad "train-net-number-out-of-range" "badprob.net:3: .*1.5" "$M" nn-train -q -o "$M" "$T/badprob.net" "$T/train.npy"
bad "train-missing-net" "nonexistent.net: No such file" "$M" nn-train -q -o "$M" "$T/nonexistent.net" "$T/train.npy"
bad "train-missing-data" "nonexistent.npy: No such file" "$M" nn-train -q -o "$M" "$T/small.net" "$T/nonexistent.npy"
bad "train-label-out-of-range" "label-12.npy: label 12 out of range 0..9" "$M" nn-train -q -o "$M" "$T/small.net" "$T/label-12.npy"
bad "train-label-negative" "label-neg.npy: .*-1" "$M" nn-train -q -o "$M" "$T/small.net" "$T/label-neg.npy"
bad "train-no-labels" "no-labels.npy: .*no labels" "$M" nn-train -q -o "$M" "$T/small.net" "$T/no-labels.npy"
bad "train-classes-mismatch" "twelve-names.npy: .*12 classes.*10" "$M" nn-train -q -o "$M" "$T/small.net" "$T/twelve-names.npy"

# a model to predict with and to resume from wrongly
nn-train -q --epochs 1 --threads 1 -o "$T/m.safetensors" "$T/small.net" "$T/train.npy"
check "train-small-exit" [ $? -eq 0 -a -s "$T/m.safetensors" -a -s "$T/m.safetensors.ckpt" ]
P=$T/p.npy
bad "resume-model-file" "m.safetensors: not a checkpoint" "$M" nn-train -q --resume "$T/m.safetensors" -o "$M" "$T/train.npy"
bad "resume-npy-file" "train.npy: an NPY tensor stream .*, not a model" "$M" nn-train -q --resume "$T/train.npy" -o "$M" "$T/train.npy"
bad "resume-missing" "nonexistent.ckpt: No such file" "$M" nn-train -q --resume "$T/nonexistent.ckpt" -o "$M" "$T/train.npy"
usage "resume-other-optimiser" nn-train -q --resume "$T/m.safetensors.ckpt" --opt sgd -o "$M" "$T/train.npy"
bad "resume-input-shape" "small-img.npy: data is 1x14x14" "$M" nn-train -q --resume "$T/m.safetensors.ckpt" -o "$M" "$T/small-img.npy"
bad "predict-truncated-npy" "truncated.npy: .*truncated" "$P" nn-predict -q -o "$P" "$T/m.safetensors" "$T/truncated.npy"
bad "predict-garbled-npy" "garbled.npy: .*header" "$P" nn-predict -q -o "$P" "$T/m.safetensors" "$T/garbled.npy"
bad "predict-unsupported-dtype" "f64.npy: unsupported dtype '<f8'" "$P" nn-predict -q -o "$P" "$T/m.safetensors" "$T/f64.npy"
bad "predict-input-shape" "small-img\.npy: the images are 1x14x14 \(channels x height x width\) but the model .*/m\.safetensors takes 1x28x28 \(ds-load images --size 28 --grey makes them so\)$" "$P" nn-predict -q -o "$P" "$T/m.safetensors" "$T/small-img.npy"
bad "predict-missing-data" "nonexistent.npy: No such file" "$P" nn-predict -q -o "$P" "$T/m.safetensors" "$T/nonexistent.npy"
bad "predict-missing-model" "nonexistent.safetensors: No such file" "$P" nn-predict -q -o "$P" "$T/nonexistent.safetensors" "$T/test.npy"
bad "predict-label-out-of-range" "label-12.npy: label 12 out of range" "$P" nn-predict -q -o "$P" "$T/m.safetensors" "$T/label-12.npy"
head -c 3000 "$T/m.safetensors" >"$T/cut.safetensors"
bad "predict-truncated-model" "cut.safetensors: .*truncated" "$P" nn-predict -q -o "$P" "$T/cut.safetensors" "$T/test.npy"
cp "$T/m.safetensors" "$T/garbled.safetensors"
printf '{"a":' | dd of="$T/garbled.safetensors" bs=1 seek=8 conv=notrunc 2>/dev/null
bad "predict-garbled-model" "garbled.safetensors: .*JSON" "$P" nn-predict -q -o "$P" "$T/garbled.safetensors" "$T/test.npy"
bad "predict-not-a-model" "small.net: a network description \\(.net text\\), not a model" "$P" nn-predict -q -o "$P" "$T/small.net" "$T/test.npy"
"$PY" - "$T/m.safetensors" "$T/renamed.safetensors" <<'EOF'
import sys
blob = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(blob.replace(b'"7.weight"', b'"9.weight"', 1))
EOF
bad "predict-model-tensor-missing" "renamed.safetensors: missing tensor '7.weight'" "$P" nn-predict -q -o "$P" "$T/renamed.safetensors" "$T/test.npy"

# ---- resume: 1 epoch + --resume to 2 epochs equals 2 epochs straight ------
# resume_case NAME STEPS_PER_EPOCH OPTIONS...
resume_case() {
	local name=$1 spe=$2; shift 2
	rm -f "$T"/ra* "$T"/rb*
	nn-train -q "$@" --epochs 2 --log-every 5 --val "$T/val.npy" --log "$T/ra.tsv" \
		-o "$T/ra.safetensors" "$T/bn.net" "$T/train.npy" &&
	nn-train -q "$@" --epochs 1 --log-every 5 --val "$T/val.npy" --log "$T/rb.tsv" \
		-o "$T/rb1.safetensors" "$T/bn.net" "$T/train.npy" &&
	nn-train -q "$@" --resume "$T/rb1.safetensors.ckpt" --epochs 2 --val "$T/val.npy" --log "$T/rb.tsv" \
		-o "$T/rb.safetensors" "$T/train.npy"
	check "resume-$name-exit" [ $? -eq 0 ]
	check "resume-$name-same-tensors" same_tensors "$T/ra.safetensors" "$T/rb.safetensors"
	check "resume-$name-same-log-rows" same_log "$T/ra.tsv" "$T/rb.tsv" "$spe"
}
resume_case "threads-1-adam-augment" 19 --threads 1 --batch 64 --augment flip,crop=0.8
resume_case "threads-2-adam-augment" 19 --threads 2 --batch 64 --augment flip,crop=0.8
resume_case "threads-1-adam-shift-erase" 19 --threads 1 --batch 64 --augment flip,shift=2,erase=0.5
resume_case "threads-1-sgd-nesterov-step-sched" 24 --threads 1 --batch 50 --opt sgd --lr 0.05 --momentum 0.9 \
	--nesterov --wd 1e-4 --warmup 20 --sched step:1:0.5
resume_case "threads-1-adamw-class-weights" 19 --threads 1 --batch 64 --opt adamw --class-weights 1,2,1,1,1,1,3,1,1,1
resume_case "threads-1-adamw-label-smoothing" 19 --threads 1 --batch 64 --opt adamw --label-smoothing 0.2

# the label smoothing is the checkpoint's: a resume that does not repeat
# the option goes on with it, and it changes what is trained
rm -f "$T"/ls*
nn-train -q --threads 1 --batch 64 --epochs 1 --label-smoothing 0.2 -o "$T/ls1.safetensors" "$T/bn.net" "$T/train.npy" &&
	nn-train -q --threads 1 --resume "$T/ls1.safetensors.ckpt" --epochs 2 -o "$T/ls.safetensors" "$T/train.npy" &&
	nn-train -q --threads 1 --batch 64 --epochs 2 --label-smoothing 0.2 -o "$T/ls2.safetensors" "$T/bn.net" "$T/train.npy" &&
	nn-train -q --threads 1 --batch 64 --epochs 2 -o "$T/ls0.safetensors" "$T/bn.net" "$T/train.npy"
check "label-smoothing-resumed-from-checkpoint" same_tensors "$T/ls.safetensors" "$T/ls2.safetensors"
check "label-smoothing-changes-training" eval '! same_tensors "$T/ls2.safetensors" "$T/ls0.safetensors" 2>/dev/null'
check "label-smoothing-recorded" grep -aq '\\"label_smoothing\\":0.2' "$T/ls2.safetensors"

# ---- Ctrl-C: checkpoint, nothing at -o, resume to the end -----------------
# The run is long (400 epochs); it is interrupted about 2 s into training,
# then resumed with an epoch count just past where it stopped and compared
# with an uninterrupted run of that many epochs. The schedule depends only
# on the epoch, so the interrupted run and the short one agree step by step.
I=$T/int.safetensors
opts=(--threads 1 --batch 50 --opt sgd --lr 0.05 --momentum 0.9 --sched step:2:0.7 --augment flip --log-every 5)
nn-train "${opts[@]}" --epochs 400 --log "$T/int.tsv" -o "$I" "$T/bn.net" "$T/train.npy" 2>"$T/int.err" &
pid=$!
for _ in $(seq 300); do
	[ -s "$I.ckpt" ] && break
	sleep 0.1
done
check "sigint-log-not-yet-in-place" [ ! -e "$T/int.tsv" ]
sleep 2
kill -INT "$pid"
wait "$pid"
rc=$?
step=$(sed -n 's/.*interrupted at step \([0-9]*\) of .*/\1/p' "$T/int.err")
check "sigint-exit-status-130" [ "$rc" -eq 130 -a -n "$step" ]
check "sigint-checkpoint-written" [ -s "$I.ckpt" ]
check "sigint-no-model-file" [ ! -e "$I" ]
check "sigint-no-temporary" none "$I*.tmp*"
# the log up to the interrupt, put in place with the checkpoint
last_step() { awk 'END { print $1 }' "$1"; }
check "sigint-log-written" [ "$(last_step "$T/int.tsv")" -le "${step:-0}" -a "$(last_step "$T/int.tsv")" -gt $((${step:-0} - 5)) ]
nn-predict -q "$I.ckpt" "$T/test.npy" >"$T/int-p.npy"
check "sigint-checkpoint-loads" [ $? -eq 0 -a -s "$T/int-p.npy" ]
check "sigint-checkpoint-step" "$PY" -c '
import json, struct, sys
f = open(sys.argv[1], "rb"); n, = struct.unpack("<Q", f.read(8))
sys.exit(json.loads(f.read(n))["__metadata__"]["step"] != sys.argv[2])' "$I.ckpt" "${step:-none}"
epochs=$(( ${step:-0} / 24 + 2 ))
# without -o, as the interrupt message says: the model goes where -o said
mkdir "$T/cwd"
(cd "$T/cwd" && nn-train "${opts[@]}" -q --resume "$I.ckpt" --epochs "$epochs" "$T/train.npy")
check "sigint-resume-exit" [ $? -eq 0 -a -s "$I" ]
check "sigint-resume-no-stray-model" none "$T/cwd/*"
# and continued the log the checkpoint names, to the last step
check "sigint-resume-continues-the-log" [ "$(last_step "$T/int.tsv")" = $((epochs * 24)) -a \
	"$(grep -c '^step' "$T/int.tsv")" = 1 -a "$(awk 'NR > 2 && $1 < p { print } { p = $1 }' "$T/int.tsv")" = "" ]
nn-train "${opts[@]}" -q --epochs "$epochs" -o "$T/straight.safetensors" "$T/bn.net" "$T/train.npy"
check "sigint-resume-same-as-straight" same_tensors "$I" "$T/straight.safetensors"

# ---- determinism -----------------------------------------------------------
nn-train -q --seed 5 --threads 2 --epochs 1 -o "$T/d1.safetensors" "$T/small.net" "$T/train.npy"
nn-train -q --seed=5 --threads=2 --epochs=1 -o "$T/d2.safetensors" "$T/small.net" "$T/train.npy"
nn-train -q --seed 6 --threads 2 --epochs 1 -o "$T/d3.safetensors" "$T/small.net" "$T/train.npy"
check "determinism-same-seed-same-model: the same bytes but for the run metadata" same_model "$T/d1.safetensors" "$T/d2.safetensors"
check "determinism-other-seed-differs" differ "$T/d1.safetensors" "$T/d3.safetensors"
nn-predict -q --batch 256 "$T/straight.safetensors" "$T/test.npy" >"$T/b256.npy"
nn-predict -q --batch 7 --threads 1 "$T/straight.safetensors" <"$T/test.npy" >"$T/b7.npy"
check "predict-batch-size-same-output" "$PY" -c '
import sys, numpy as np
a, b = (np.load(open(f, "rb")) for f in sys.argv[1:])
sys.exit(not (a.shape == b.shape == (200, 10) and np.abs(a - b).max() <= 1e-6))' "$T/b256.npy" "$T/b7.npy"

# ---- man pages: render without warnings, name every option of --help ------
if command -v groff >/dev/null; then
	for tool in nn-train nn-predict; do
		check "man-$tool-renders" sh -c '[ -z "$(groff -man -ww -z "$1" 2>&1)" ]' sh "$NN_ROOT/man/$tool.1"
		groff -man -Tutf8 "$NN_ROOT/man/$tool.1" 2>/dev/null | sed 's/.\x08//g; s/\xe2\x80\x90/-/g' >"$T/man.txt"
		missing=$("$tool" --help | grep -oE '(^| )(-[a-z]|--[a-z-]+)' | sort -u |
			while read -r o; do grep -qe "$o" "$T/man.txt" || echo "$o"; done)
		check "man-$tool-has-every-option" [ -z "$missing" ]
	done
else
	skip "man pages: NOT TESTABLE: no groff (Debian groff-base)"
fi

# ---- PyTorch reads the model and agrees with nn-predict -------------------
if ! have_py torch; then
	skip "train-pytorch: NOT TESTABLE: $PY has no torch (Debian python3-torch)"
	exit 0
fi
nn-train -q --epochs 1 --threads 1 -o "$T/fm.safetensors" "$NN_ROOT/examples/fashion-mnist.net" "$T/train.npy"
check "train-course-network-exit" [ $? -eq 0 ]
# skip connections from a labelled input: concat and add of the raw input
cat >"$T/skip.net" <<'EOF'
input 1 28 28 label=img
conv 4 3 pad=1
relu
concat img
conv 1 3 pad=1
add img
maxpool 2
flatten
linear 10
EOF
nn-train -q --epochs 1 --threads 1 -o "$T/skip.safetensors" "$T/skip.net" "$T/train.npy"
check "train-input-label-network-exit" [ $? -eq 0 ]
for m in fm straight skip; do
	nn-predict -q "$T/$m.safetensors" <"$T/test.npy" >"$T/$m-p.npy"
	nn-predict -q --logits -o "$T/$m-z.npy" "$T/$m.safetensors" "$T/test.npy"
	"$PY" - "$NN_ROOT/tests" "$T/$m.safetensors" "$T/$m-p.npy" "$T/$m-z.npy" "$T/test.npy" "$m" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np, torch
import nnpipe_torch as nt
model, probs, logits, data, tag = sys.argv[2:]
def result(name, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + f"pytorch-{tag}-{name}" + ("" if ok else f": {why}"))
tensors, meta = nt.st_read(model)
net = nt.build_net(meta["net"], model)
want = set(net.state_dict())
result("same-tensor-names", set(tensors) == want, sorted(set(tensors) ^ want))
try:
    net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    result("load-state-dict-strict", True)
except RuntimeError as e:
    result("load-state-dict-strict", False, str(e).splitlines()[0])
net.eval()
x, y, names = nt.read_dataset(data)
with torch.no_grad():
    z = net(nt.preprocess(x, meta))
    p = torch.softmax(z, 1).numpy()
z = z.numpy()
with open(probs, "rb") as f:        # repeated numpy.load on one file
    P, Y, N = np.load(f), np.load(f), np.load(f)
    rest = f.read()
result("stream-p-y-names", P.dtype == np.float32 and P.shape == (len(x), 10) and not rest
       and np.array_equal(Y, y) and [s.decode() for s in N] == names, (P.dtype, P.shape, len(rest)))
Z = nt.npy_read_stream(logits)[0]
result("logits-within-1e-4", np.abs(Z - z).max() <= 1e-4, np.abs(Z - z).max())
result("probabilities-within-1e-4", np.abs(P - p).max() <= 1e-4, np.abs(P - p).max())
result("better-than-chance", (P.argmax(1) == y).mean() > 0.2, (P.argmax(1) == y).mean())
EOF
done

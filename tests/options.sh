#!/usr/bin/env bash
# tests/options.sh: the command line of every tool, read by one parser:
# -h and --help, an unknown option, a missing value, --name=value against
# --name value (the outputs of real runs compared), "--" before an operand
# named like an option, numbers that are not numbers or do not fit.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "options: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
tools="ap-score curve-plot ds-load ds-split filters-dump nn-export nn-predict nn-report nn-train sample-grid seg-colour"
cd "$T" || exit 1

# ---- small inputs ----------------------------------------------------------
"$PY" - <<'EOF'
import numpy as np
r = np.random.default_rng(5)
from npstream import write_stream as stream
x = r.integers(0, 256, (24, 1, 8, 8), dtype=np.uint8)
y = r.integers(0, 3, 24).astype(np.int32)
stream("cls.npy", x, y, np.array([b"a", b"b", b"c"]))
stream("seg.npy", r.integers(0, 256, (3, 3, 6, 6), dtype=np.uint8), r.integers(0, 5, (3, 6, 6)).astype(np.int32))
stream("segp.npy", r.random((3, 5, 6, 6), dtype=np.float32), r.integers(0, 5, (3, 6, 6)).astype(np.int32))
# IDX: magic, sizes (big-endian), bytes
with open("images.idx", "wb") as f:
    f.write(bytes([0, 0, 8, 3]) + np.array([24, 8, 8], ">u4").tobytes() + x.tobytes())
with open("labels.idx", "wb") as f:
    f.write(bytes([0, 0, 8, 1]) + np.array([24], ">u4").tobytes() + y.astype(np.uint8).tobytes())
EOF
printf 'input 1 8 8\nconv 4 3 pad=1\nrelu\nflatten\nlinear 3\n' >small.net
nn-train -q --threads 1 --epochs 2 --batch 8 --log-every 1 --log log.tsv -o m.st small.net cls.npy &&
	nn-predict -q --threads 1 -o p.npy m.st cls.npy
if [ $? -ne 0 ] || [ ! -s p.npy ] || [ ! -s log.tsv ]; then
	fail "options: could not make the inputs with nn-train and nn-predict"
	exit 1
fi
# the same files under names that look like options
cp cls.npy -- -x.npy
cp p.npy -- -p.npy
cp m.st -- -m.st
cp log.tsv -- -log.tsv
cp images.idx -- -images.idx
cp small.net -- -small.net

# ---- helpers ---------------------------------------------------------------
# usage_fails NAME TOOL PATTERN COMMAND...: exit status 2, nothing on stdout,
# two lines on stderr: "TOOL: " and a message matching PATTERN, then the
# hint to read --help
usage_fails() {
	local name=$1 tool=$2 pat=$3; shift 3
	"$@" >out 2>err
	local rc=$?
	if [ "$rc" -ne 2 ]; then
		fail "$name: exit status $rc, expected 2 ($(head -c 200 err))"
	elif [ -s out ]; then
		fail "$name: output on stdout"
	elif [ "$(wc -l <err)" -ne 2 ]; then
		fail "$name: $(wc -l <err) lines on stderr, expected 2 ($(head -c 300 err))"
	elif ! head -1 err | grep -Eq -- "^$tool: $pat"; then
		fail "$name: message '$(head -1 err)' does not match '$tool: $pat'"
	elif [ "$(sed -n 2p err)" != "Try '$tool --help' for more information." ]; then
		fail "$name: second line '$(sed -n 2p err)'"
	else
		pass "$name"
	fi
}

# same NAME A B: both runs succeeded and wrote the same bytes (models: but
# for how they were made)
same() {
	local name=$1 a=$2 b=$3
	if [ ! -s "$a" ] || [ ! -s "$b" ]; then
		fail "$name: no output ($(ls -d "$a" "$b" 2>&1 | tr '\n' ' '))"
	elif cmp -s "$a" "$b" || { [[ $a == *.st ]] && same_model "$a" "$b"; }; then
		pass "$name"
	else
		fail "$name: $a and $b differ"
	fi
}

# ---- every tool: help, unknown option --------------------------------------
for tool in $tools; do
	for h in -h --help; do
		"$tool" "$h" >out 2>err
		rc=$?
		if [ "$rc" -eq 0 ] && grep -q "^usage: $tool" out && grep -q -- '-h, --help' out && [ ! -s err ]; then
			pass "$tool-help$h"
		else
			fail "$tool-help$h: exit $rc, $(head -c 200 err)"
		fi
	done
	"$tool" -h >h1 2>/dev/null
	"$tool" --help >h2 2>/dev/null
	check "$tool-help-same: -h and --help print the same" cmp -s h1 h2
	usage_fails "$tool-unknown-option" "$tool" "unknown option '--no-such-option'\$" "$tool" --no-such-option
	usage_fails "$tool-unknown-short-option" "$tool" "unknown option '-Z'\$" "$tool" -Z
	usage_fails "$tool-help-with-value" "$tool" "option '--help' takes no value\$" "$tool" --help=1
done

# ---- every tool: a missing value, and numbers ------------------------------
# the option's value is missing when it ends the command line
usage_fails "ap-score-missing-value" ap-score "option '--labels' needs a value" ap-score p.npy --labels
usage_fails "curve-plot-missing-value" curve-plot "option '-o' needs a value" curve-plot log.tsv -o
usage_fails "ds-load-missing-value" ds-load "option '--split' needs a value" ds-load fashion-mnist --split
usage_fails "ds-split-missing-value" ds-split "option '--take' needs a value" ds-split cls.npy --take
usage_fails "filters-dump-missing-value" filters-dump "option '--scale' needs a value" filters-dump m.st --scale
usage_fails "nn-predict-missing-value" nn-predict "option '--batch' needs a value" nn-predict m.st cls.npy --batch
usage_fails "nn-report-missing-value" nn-report "option '--title' needs a value" nn-report -o r --title
usage_fails "nn-train-missing-value" nn-train "option '--lr' needs a value" nn-train small.net cls.npy --lr
usage_fails "sample-grid-missing-value" sample-grid "option '-k' needs a value" sample-grid --data cls.npy -k
usage_fails "seg-colour-missing-value" seg-colour "option '--scale' needs a value" seg-colour --data seg.npy --scale

# a flag takes no value
usage_fails "ap-score-flag-with-value" ap-score "option '--tsv' takes no value" ap-score --tsv=yes p.npy

# numbers: a suffix, out of range of the type, out of range of the option;
# ap-score takes no number
bad_numbers() {
	local tool=$1 opt=$2; shift 2
	local big=99999999999999999999999
	[ "$opt" = --lr ] && big=
	for v in 3x 1e999 -1 $big; do
		usage_fails "$tool-bad-number-$opt-$v" "$tool" "$opt: expected .*, got '$v'\$" "$tool" "$@" "$opt" "$v"
	done
}
bad_numbers curve-plot --size log.tsv --term dumb
bad_numbers ds-load --limit idx images.idx
bad_numbers ds-load --size facade .
bad_numbers ds-split --seed --take 3 -o a.npy -r b.npy cls.npy
bad_numbers filters-dump --scale m.st
bad_numbers nn-predict --batch m.st cls.npy
bad_numbers nn-report -k -o r --cls-test p.npy
bad_numbers nn-train --epochs small.net cls.npy
bad_numbers nn-train --lr small.net cls.npy
bad_numbers sample-grid --seed --data cls.npy --pred p.npy
bad_numbers seg-colour --gap --data seg.npy
usage_fails "nn-train-number-with-space" nn-train "--batch: expected .*, got ' 8'" nn-train --batch ' 8' small.net cls.npy
usage_fails "nn-train-empty-number" nn-train "--batch: expected .*, got ''" nn-train --batch= small.net cls.npy
usage_fails "nn-train-range-message" nn-train "--epochs: expected a whole number from 1 to 2147483647, got '0'\$" \
	nn-train --epochs=0 small.net cls.npy
usage_fails "nn-train-float-range-message" nn-train "--wd: expected a number >= 0, got '-0.5'\$" \
	nn-train --wd=-0.5 small.net cls.npy
bad_numbers nn-train --label-smoothing small.net cls.npy
usage_fails "nn-train-label-smoothing-1" nn-train "--label-smoothing: expected a number from 0 to below 1, got '1'\$" \
	nn-train --label-smoothing 1 small.net cls.npy
# --augment: a word out of range or not a number is refused with the words
# there are; shift= must also be less than the image's side (8 here)
for spec in shift=0 shift=x shift=1.5 erase=0 erase=1.5 flip,erase= crop=0.7,shift=-2; do
	usage_fails "nn-train-augment-$spec" nn-train \
		"--augment: bad spec '$spec' \\(none, flip, crop=S, shift=P, erase=P\\)\$" \
		nn-train -q --epochs 1 --batch 8 --augment "$spec" -o bad.st small.net cls.npy
done
usage_fails "nn-train-augment-shift-side" nn-train \
	"--augment: bad spec 'flip,shift=8' \\(shift=8 is not less than the image side, 8\\)\$" \
	nn-train -q --epochs 1 --batch 8 --augment flip,shift=8 -o bad.st small.net cls.npy
check "nn-train-augment-refused: no model written" [ ! -e bad.st ]
# accepted, and it changes what is trained: the same run with flip alone
# gives other weights
for spec in flip flip,shift=2,erase=0.5; do
	nn-train -q --threads 1 --epochs 1 --batch 8 --seed 3 --augment "$spec" -o "aug-$spec.st" small.net cls.npy \
		2>"aug-$spec.err" || fail "nn-train-augment-$spec: $(head -c 300 "aug-$spec.err")"
done
if [ -s aug-flip.st ] && [ -s aug-flip,shift=2,erase=0.5.st ]; then
	check "nn-train-augment-flip,shift=2,erase=0.5: trains, other weights than flip alone" \
		eval '! same_tensors aug-flip.st aug-flip,shift=2,erase=0.5.st 2>/dev/null'
fi

# ---- every tool: --name=value is --name value; -- before an operand --------
ap-score --classes=x,y,z p.npy >eq1 2>/dev/null
ap-score --classes x,y,z p.npy >eq2 2>/dev/null
same "ap-score-equals-form" eq1 eq2
ap-score --labels=cls.npy --tsv p.npy >eq1 2>/dev/null
ap-score --tsv --labels cls.npy -- -p.npy >eq2 2>/dev/null
same "ap-score-dash-dash: an input named -p.npy" eq1 eq2
check "ap-score-classes-control: the names are used" grep -q '^0 x ' <(ap-score --classes=x,y,z p.npy)

curve-plot --print-script --term=dumb --size=60,20 --title=T --label=L log.tsv >eq1 2>/dev/null
curve-plot --print-script --term dumb --size 60,20 --title T --label L log.tsv >eq2 2>/dev/null
same "curve-plot-equals-form" eq1 eq2
curve-plot --print-script --term dumb --size 60,20 --title T --label L -- -log.tsv >eq3 2>/dev/null
same "curve-plot-dash-dash: a log named -log.tsv" eq1 eq3
curve-plot --print-script --term dumb --label A --label B log.tsv log.tsv >eq1 2>/dev/null
check "curve-plot-repeated-label: both labels used" sh -c "grep -q '\"A train\"' eq1 && grep -q '\"B train\"' eq1"

ds-load idx images.idx labels.idx --names=a,b,c --limit=10 --output=eq1.npy 2>/dev/null
ds-load idx images.idx labels.idx --names a,b,c --limit 10 -o eq2.npy 2>/dev/null
same "ds-load-equals-form" eq1.npy eq2.npy
ds-load --names a,b,c --limit 10 -oeq3.npy -- idx -images.idx labels.idx 2>/dev/null
same "ds-load-dash-dash: images named -images.idx, -oFILE" eq1.npy eq3.npy

ds-split --take=10 --seed=4 --stratify --output=a1.npy --rest=b1.npy cls.npy 2>/dev/null
ds-split --take 10 --seed 4 --stratify -o a2.npy -r b2.npy cls.npy 2>/dev/null
same "ds-split-equals-form" a1.npy a2.npy
same "ds-split-equals-form-rest" b1.npy b2.npy
ds-split --take 10 --seed 4 --stratify -o a3.npy -r b3.npy -- -x.npy 2>/dev/null
same "ds-split-dash-dash: an input named -x.npy" a1.npy a3.npy
ds-split --take 10 --seed 5 --stratify -o a4.npy -r b4.npy cls.npy 2>/dev/null
check "ds-split-control: another seed, another split" sh -c '! cmp -s a1.npy a4.npy'

filters-dump --scale=3 --gap=1 --background=#102030 -o eq1.png m.st 2>/dev/null
filters-dump --scale 3 --gap 1 --background '#102030' -o eq2.png m.st 2>/dev/null
same "filters-dump-equals-form" eq1.png eq2.png
filters-dump --scale 3 --gap 1 --background '#102030' -o eq3.png -- -m.st 2>/dev/null
same "filters-dump-dash-dash: a model named -m.st" eq1.png eq3.png

nn-predict --batch=5 --threads=1 --logits --quiet -o eq1.npy m.st cls.npy 2>/dev/null
nn-predict --batch 5 --threads 1 --logits -qoeq2.npy m.st cls.npy 2>/dev/null
same "nn-predict-equals-form: and -q bundled with -oFILE" eq1.npy eq2.npy
nn-predict --batch 5 --threads 1 --logits -q -o eq3.npy -- -m.st -x.npy 2>/dev/null
same "nn-predict-dash-dash: a model and data named -m.st, -x.npy" eq1.npy eq3.npy

nn-report -o r1 --title=T -k2 --cls-test=p.npy 2>/dev/null
nn-report -o r2 --title T -k 2 --cls-test p.npy 2>/dev/null
same "nn-report-equals-form" r1/index.html r2/index.html
nn-report -o r3 --title T -k 2 --cls-test -p.npy -- 2>/dev/null
same "nn-report-dash-prefixed-input: predictions named -p.npy" r1/index.html r3/index.html

nn-train -q --threads=1 --epochs=1 --batch=8 --lr=0.01 --seed=3 --opt=sgd --momentum=0.5 --betas=0.8,0.9 \
	--class-weights=1,2,1 -o t1.st small.net cls.npy 2>/dev/null
nn-train -q --threads 1 --epochs 1 --batch 8 --lr 0.01 --seed 3 --opt sgd --momentum 0.5 --betas 0.8,0.9 \
	--class-weights 1,2,1 -o t2.st small.net cls.npy 2>/dev/null
same "nn-train-equals-form" t1.st t2.st
nn-train -q --threads 1 --epochs 1 --batch 8 --lr 0.01 --seed 3 --opt sgd --momentum 0.5 --betas 0.8,0.9 \
	--class-weights 1,2,1 -o t3.st -- -small.net -x.npy 2>/dev/null
same "nn-train-dash-dash: a network and data named -small.net, -x.npy" t1.st t3.st
nn-train -q --threads 1 --epochs 1 --batch 8 --lr 0.01 --seed 4 --opt sgd -o t4.st small.net cls.npy 2>/dev/null
check "nn-train-control: another seed, another model" sh -c '! cmp -s t1.st t4.st'
check "nn-train-control-run: another command line, the same model but for its run metadata" \
	sh -c '! cmp -s t1.st t2.st'

sample-grid --data=cls.npy --pred=p.npy -k2 --seed=3 --scale=2 --gap=1 --tsv=g1.tsv -o g1.png 2>/dev/null
sample-grid --data cls.npy --pred p.npy -k 2 --seed 3 --scale 2 --gap 1 --tsv g2.tsv -o g2.png 2>/dev/null
same "sample-grid-equals-form" g1.png g2.png
same "sample-grid-equals-form-tsv" g1.tsv g2.tsv
sample-grid --data -x.npy --pred -p.npy -k 2 --seed 3 --scale 2 --gap 1 -o g3.png -- 2>/dev/null
same "sample-grid-dash-prefixed-input: streams named -x.npy, -p.npy" g1.png g3.png

seg-colour --pred=segp.npy --triplet --data=seg.npy --index=0,2 --scale=2 --gap=1 -o s1/ 2>/dev/null
seg-colour --pred segp.npy --triplet --data seg.npy --index 0 --index 2 --scale 2 --gap 1 -o s2/ 2>/dev/null
same "seg-colour-equals-form: and --index repeated" s1/0000-triplet.png s2/0000-triplet.png
same "seg-colour-equals-form-2" s1/0002-triplet.png s2/0002-triplet.png
check "seg-colour-index: only the images asked for" [ "$(ls s2 | tr '\n' ' ')" = "0000-triplet.png 0002-triplet.png " ]
cp seg.npy -- -seg.npy
seg-colour --pred segp.npy --triplet --data -seg.npy --index 0 --scale 2 --gap 1 -o s3.png -- 2>/dev/null
same "seg-colour-dash-prefixed-input: data named -seg.npy" s1/0000-triplet.png s3.png

# without --, a name like an option is an unknown option
usage_fails "ap-score-without-dash-dash" ap-score "unknown option '-p.npy'\$" ap-score -p.npy
usage_fails "nn-train-without-dash-dash" nn-train "unknown option '-small.net'\$" nn-train -q -small.net cls.npy
# operands after -- that are too many are still too many
usage_fails "filters-dump-dash-dash-two-models" filters-dump "more than one model" filters-dump -- m.st -m.st

#!/usr/bin/env bash
# tests/fuzz.sh: every tool on mutated inputs. From small valid files made
# here (dataset and prediction streams, models, checkpoints, .net files, a
# metrics log, IDX files, a facade folder), tests/fuzz_mutate.py makes
# mutants with seeded, deterministic mutations; each tool runs on each under
# `timeout 20` and must end with status 0 or 1 (never a signal, a hang, a
# sanitizer report, nor 2: only the input varies, never the usage), say why
# in one line starting with its name when it fails, and leave no temporary
# or partial file beside its -o output. Then each tool gets every valid
# input of the wrong kind.
#
#   NN_FUZZ_N=2000    mutants per case (default 40: about 40 s on 2 cores)
#   NN_FUZZ_SEED=S    first seed (default 1); a case is remade from its seed
#   NN_FUZZ_ONLY=RE   only the cases whose name matches RE (grep -E)
#   NN_FUZZ_KEEP=DIR  copy the valid inputs and every failing mutant there
# The tools are those on PATH (tests/run.sh puts bin/ first), so a copy of the
# tree built with sanitizers is fuzzed by running this script from there.
. "$(dirname "$0")/lib.sh"
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# sanitizer builds: stop at the first error with a status of its own;
# leaks at exit through fatal() are by design
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:allocator_may_return_null=1:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=87:print_stacktrace=1}

N=${NN_FUZZ_N:-40}
SEED=${NN_FUZZ_SEED:-1}
ONLY=${NN_FUZZ_ONLY:-}
KEEP=${NN_FUZZ_KEEP:-}
MUT="$PY $(cd "$(dirname "$0")" && pwd)/fuzz_mutate.py"
t0=$SECONDS

FM=$DATA/fashion-mnist
[ -f "$FM/t10k-images-idx3-ubyte.gz" ] || FM=/usr/share/datasets/fashion-mnist
if [ ! -f "$FM/t10k-images-idx3-ubyte.gz" ]; then
	skip "fuzz: NOT TESTABLE: no Fashion-MNIST IDX files in $DATA/fashion-mnist or $FM"
	exit 0
fi
FACADE=$DATA/mini-facade/starter_set

# A memory limit turns "allocate what a hostile header asks for" into a clean
# failure rather than a machine brought to its knees; sanitizer builds reserve
# terabytes of address space and cannot run under one.
MEMLIM=4000000
if ldd "$(command -v nn-train)" 2>/dev/null | grep -q -e libasan -e libubsan; then
	MEMLIM=unlimited
fi

# ---- the valid inputs ------------------------------------------------------
S=$T/seed
mkdir -p "$S/idxgz" "$S/fac/test_dev"
seeds_ok=1
made() { [ -s "$1" ] || { fail "fuzz: could not make the valid input $(basename "$1")"; seeds_ok=0; }; }
ds-load fashion-mnist "$FM" --split test --limit 64 -o "$S/cls.npy" 2>/dev/null
made "$S/cls.npy"
"$PY" - "$FM" "$S" <<'EOF'
import gzip, struct, sys
fm, s = sys.argv[1:]
img = gzip.open(f"{fm}/t10k-images-idx3-ubyte.gz").read(16 + 64 * 784)
lab = gzip.open(f"{fm}/t10k-labels-idx1-ubyte.gz").read(8 + 64)
img = img[:4] + struct.pack(">I", 64) + img[8:]
lab = lab[:4] + struct.pack(">I", 64) + lab[8:]
open(f"{s}/images.idx", "wb").write(img)
open(f"{s}/labels.idx", "wb").write(lab)
open(f"{s}/idxgz/t10k-images-idx3-ubyte.gz", "wb").write(gzip.compress(img, mtime=0))
open(f"{s}/idxgz/t10k-labels-idx1-ubyte.gz", "wb").write(gzip.compress(lab, mtime=0))
EOF
made "$S/images.idx"
cat >"$S/cls.net" <<'EOF'
input 1 28 28
conv 4 3 pad=1
batchnorm
relu
maxpool 2
dropout 0.1
flatten
linear 10
EOF
cat >"$S/seg.net" <<'EOF'
input 3 32 32 label=in
conv 4 3 pad=1 label=a
relu
maxpool 2
upsample 2
add a
concat in
conv 5 1
EOF
train() { nn-train -q --threads 1 --epochs 1 --batch 16 "$@" 2>"$T/train.err" || cat "$T/train.err"; }
train --log "$S/cls.tsv" --log-every 1 --val "$S/cls.npy" -o "$S/cls.safetensors" "$S/cls.net" "$S/cls.npy"
made "$S/cls.safetensors"
nn-predict -q --threads 1 -o "$S/clsp.npy" "$S/cls.safetensors" "$S/cls.npy"
made "$S/clsp.npy"
ap-score --pr "$S/pr.tsv" --confusion-tsv "$S/cm.tsv" "$S/clsp.npy" >/dev/null
made "$S/pr.tsv"
made "$S/cm.tsv"
have_facade=0
if [ -d "$FACADE/test_dev" ]; then
	have_facade=1
	ds-load facade "$FACADE" --split test_dev --size 32 --limit 4 -o "$S/seg.npy" 2>/dev/null
	cp "$FACADE/test_dev/eecs442_0000.jpg" "$FACADE/test_dev/eecs442_0000.png" "$S/fac/test_dev/"
else
	skip "fuzz: the facade stream and folder: NOT TESTABLE: no data in $FACADE"
	# a segmentation stream of the same shape for the other tools
	"$PY" - "$S/seg.npy" <<'EOF'
import random, struct, sys
r = random.Random(5)
def arr(descr, shape, data):
    d = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    d = d.encode() + b" " * ((64 - (11 + len(d)) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d + data
with open(sys.argv[1], "wb") as f:
    f.write(arr("|u1", (4, 3, 32, 32), r.randbytes(4 * 3 * 32 * 32)))
    f.write(arr("|u1", (4, 32, 32), bytes(r.randrange(5) for _ in range(4 * 32 * 32))))
    f.write(arr("|S7", (5,), b"".join(n.ljust(7, b"\0") for n in [b"others", b"facade", b"pillar", b"window", b"balcony"])))
EOF
fi
made "$S/seg.npy"
train --batch 2 --opt sgd --momentum 0.9 -o "$S/seg.safetensors" "$S/seg.net" "$S/seg.npy"
made "$S/seg.safetensors"
nn-predict -q --threads 1 -o "$S/segp.npy" "$S/seg.safetensors" "$S/seg.npy"
made "$S/segp.npy"
[ "$seeds_ok" = 1 ] || exit 1
[ -n "$KEEP" ] && mkdir -p "$KEEP" && cp -r "$S" "$KEEP/seed"

# ---- running the cases ----------------------------------------------------
# Every run has $F its input and $O an empty output folder; CMD is eval'd
# and its tool is its first word.
O=$T/o
declare -A made_for
nfail=0

# attempt CMD: runs it on $F; sets rc, and why to what is wrong (empty if nothing)
attempt() {
	local tool
	tool=$(eval "echo ${1%% *}")
	rm -rf "$O" && mkdir -p "$O"
	(ulimit -v "$MEMLIM" && eval "exec timeout 20 $1") >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	why=$(judge "${tool%% *}" "$rc")
}

# tally NAME COUNT: the PASS line from the caller's counts ok, err and bad,
# or nothing when a run failed (its FAIL line is out)
tally() {
	nfail=$((nfail + bad))
	[ "$bad" -eq 0 ] && pass "fuzz $1 x$2 ($ok accepted, $err refused)"
}

# fuzz NAME KIND SRC CMD: CMD on NN_FUZZ_N mutants of SRC made by
# fuzz_mutate.py KIND
fuzz() {
	local name=$1 kind=$2 src=$3 cmd=$4
	[ -z "$ONLY" ] || grep -Eq -- "$ONLY" <<<"$name" || return 0
	local dir=$T/m/$kind-$(basename "$src")
	if [ -z "${made_for[$dir]:-}" ]; then
		rm -rf "$dir"
		$MUT "$kind" "$SEED" "$N" "$src" "$dir" || { fail "fuzz $name: the mutator failed"; return; }
		made_for[$dir]=1
	fi
	local ok=0 err=0 bad=0 s F rc why
	for ((s = SEED; s < SEED + N; s++)); do
		F=$dir/$s
		[ -d "$F" ] || F=$(echo "$F".*)
		attempt "$cmd"
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			fail "fuzz $name: seed $s: $why; remake: tests/fuzz_mutate.py $kind $s 1 $src DIR; run: $cmd"
			[ -n "$KEEP" ] && cp -r "$F" "$KEEP/$(tr ' /' '__' <<<"$name")-$(basename "$F")"
		elif [ "$rc" -eq 0 ]; then
			ok=$((ok + 1))
		else
			err=$((err + 1))
		fi
	done
	tally "$name" "$N"
}

# cross NAME CMD: CMD on every valid input of every kind, the wrong ones
# included, and on an empty file, a folder and a missing file
cross() {
	local name=$1 cmd=$2
	[ -z "$ONLY" ] || grep -Eq -- "$ONLY" <<<"$name" || return 0
	local ok=0 err=0 bad=0 F rc why
	for F in "${ALL[@]}"; do
		[[ $F == "$S/missing" && $cmd == *'<$F'* ]] && continue   # no stdin to give
		attempt "$cmd"
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			fail "fuzz $name: input ${F#"$S"/}: $why; run: $cmd"
		elif [ "$rc" -eq 0 ]; then
			ok=$((ok + 1))
		else
			err=$((err + 1))
		fi
	done
	tally "$name" $((ok + err))
}

# judge TOOL RC: prints what is wrong with the run just made, nothing if all
# is well: status 0, or 1 with one line on stderr from TOOL. A failed run
# leaves no file in $O, but for the pictures that
# nn-report finished (each written whole) before a later part failed: its
# page, index.html, is the one output that must not appear.
judge() {
	local tool=$1 rc=$2 lines first left child tmp
	if grep -Eq 'Sanitizer|runtime error:' "$T/err"; then
		echo "sanitizer: $(grep -Em1 'ERROR: |runtime error:' "$T/err" | head -c 300)"
		return
	fi
	if [ "$rc" -eq 124 ]; then
		echo "no result in 20 s (hang?)"
		return
	elif [ "$rc" -gt 128 ]; then
		echo "killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))"
		return
	elif [ "$rc" -gt 1 ]; then
		# only the input varies, never the options: no usage error either
		echo "exit status $rc: $(head -c 300 "$T/err" | tr '\n' '|')"
		return
	fi
	tmp=$(find "$O" -name '*.tmp.*' | head -1)
	if [ -n "$tmp" ]; then
		echo "left a temporary file ${tmp#"$O"/} (status $rc)"
		return
	fi
	[ "$rc" -eq 0 ] && return
	# warnings may come first; nn-report passes on the message of a tool it
	# ran and says which one failed
	grep -v "^$tool: warning: " "$T/err" >"$T/msg"
	if [ "$tool" = nn-report ] &&
		child=$(sed -n 's/^nn-report: \([a-z-]*\): exit status 1$/\1/p' "$T/msg" | tail -1) &&
		[ -n "$child" ] && [ "$(wc -l <"$T/msg")" -eq 2 ] && grep -q "^$child: " <(head -1 "$T/msg"); then
		sed -i 1d "$T/msg"
	fi
	lines=$(wc -l <"$T/msg")
	first=$(head -1 "$T/msg")
	if [[ $first != "$tool: "* ]]; then
		echo "status $rc, message not from $tool: $(head -c 300 "$T/msg" | tr '\n' '|')"
	elif [ "$lines" -ne 1 ]; then
		echo "$lines lines on stderr: $(head -c 300 "$T/err" | tr '\n' '|')"
	elif left=$(cd "$O" && find . -type f ! -path './r/*.png' | head -3 | tr '\n' ' ') && [ -n "$left" ]; then
		echo "status $rc but output left behind: $left"
	fi
}

# ---- the cases -------------------------------------------------------------
P="nn-predict -q --threads 1"
TR="nn-train -q --threads 1 --epochs 1 --batch 16"

# dataset streams
fuzz "ds-split info cls" npy "$S/cls.npy" 'ds-split --info $F'
fuzz "ds-split take cls" npy "$S/cls.npy" 'ds-split --take 0.5 --stratify -o $O/a.npy -r $O/b.npy $F'
fuzz "ds-split info stdin seg" npy "$S/seg.npy" 'ds-split --info - <$F'
fuzz "ds-split take seg" npy "$S/seg.npy" 'ds-split --take 2 --seed 3 -o $O/a.npy -r $O/b.npy $F'
fuzz "nn-train data cls" npy "$S/cls.npy" '$TR -o $O/m.safetensors $S/cls.net $F'
fuzz "nn-train val cls" npy "$S/cls.npy" '$TR -o $O/m.safetensors --val $F $S/cls.net $S/cls.npy'
fuzz "nn-train data seg" npy "$S/seg.npy" '$TR --batch 2 -o $O/m.safetensors $S/seg.net $F'
fuzz "nn-predict data cls" npy "$S/cls.npy" '$P -o $O/p.npy $S/cls.safetensors $F'
fuzz "nn-predict data stdin seg" npy "$S/seg.npy" '$P -o $O/p.npy $S/seg.safetensors <$F'
fuzz "sample-grid data" npy "$S/cls.npy" 'sample-grid -k 2 --data $F --pred $S/clsp.npy --tsv $O/g.tsv -o $O/g.png'
fuzz "seg-colour data" npy "$S/seg.npy" 'seg-colour --data $F --index 0-1 -o $O/'
fuzz "seg-colour data triplet" npy "$S/seg.npy" 'seg-colour --triplet --data $F --pred $S/segp.npy --index 1 -o $O/t.png'
fuzz "seg-colour data legend" npy "$S/seg.npy" 'seg-colour --label --legend --data $F --index 0 -o $O/l.png'
fuzz "ap-score labels cls" npy "$S/cls.npy" 'ap-score --labels $F $S/clsp.npy'
fuzz "ap-score labels seg" npy "$S/seg.npy" 'ap-score --labels $F $S/segp.npy'
fuzz "nn-report data cls" npy "$S/cls.npy" 'nn-report -o $O/r -k 1 --cls-data $F --cls-test $S/clsp.npy'
fuzz "nn-report data seg" npy "$S/seg.npy" 'nn-report -o $O/r --seg-data $F --seg-test $S/segp.npy --seg-index 0'

# prediction streams
fuzz "ap-score pred cls" npy "$S/clsp.npy" 'ap-score --confusion $F'
fuzz "ap-score pred files" npy "$S/clsp.npy" 'ap-score --pr $O/pr.tsv --confusion-tsv $O/cm.tsv $F'
fuzz "ap-score pred top" npy "$S/clsp.npy" 'ap-score --top 3 $F'
fuzz "ap-score pred seg" npy "$S/segp.npy" 'ap-score --tsv --confusion - <$F'
fuzz "sample-grid pred" npy "$S/clsp.npy" 'sample-grid -k 2 --data $S/cls.npy --pred $F -o $O/g.png'
fuzz "seg-colour pred" npy "$S/segp.npy" 'seg-colour --pred $F --scale 2 -o $O/%d.png'
fuzz "seg-colour pred triplet" npy "$S/segp.npy" 'seg-colour --triplet --data $S/seg.npy --pred $F -o $O/t/'
fuzz "seg-colour pred legend" npy "$S/segp.npy" 'seg-colour --legend-only --pred $F -o $O/l.png'
fuzz "nn-report pred cls" npy "$S/clsp.npy" 'nn-report -o $O/r -k 1 --cls-test $F --cls-val $F --cls-data $S/cls.npy'
fuzz "nn-report pred seg" npy "$S/segp.npy" 'nn-report -o $O/r --seg-test $F --seg-data $S/seg.npy --seg-index 1'

# models and checkpoints
fuzz "nn-predict model cls" st "$S/cls.safetensors" '$P -o $O/p.npy $F $S/cls.npy'
fuzz "nn-predict model stdin seg" st "$S/seg.safetensors" '$P -o $O/p.npy - $S/seg.npy <$F'
fuzz "filters-dump model cls" st "$S/cls.safetensors" 'filters-dump --range own -o $O/f.png $F'
fuzz "filters-dump model seg" st "$S/seg.safetensors" 'filters-dump --layer 0 -o $O/f.png $F'
fuzz "nn-report model cls" st "$S/cls.safetensors" 'nn-report -o $O/r --cls-model $F'
fuzz "nn-export model seg" st "$S/seg.safetensors" 'nn-export -q -o $O/m.onnx $F'
fuzz "nn-export checkpoint stdin cls" st "$S/cls.safetensors.ckpt" 'nn-export -q --logits -o $O/m.onnx - <$F'
fuzz "nn-train resume cls" st "$S/cls.safetensors.ckpt" '$TR --epochs 2 --resume $F -o $O/m.safetensors $S/cls.npy'
fuzz "nn-train resume seg" st "$S/seg.safetensors.ckpt" '$TR --batch 2 --epochs 2 --resume $F -o $O/m.safetensors $S/seg.npy'

# network descriptions
fuzz "nn-train net cls" net "$S/cls.net" '$TR --val $S/cls.npy -o $O/m.safetensors $F $S/cls.npy'
fuzz "nn-train net seg" net "$S/seg.net" '$TR --batch 2 -o $O/m.safetensors $F $S/seg.npy'

# metrics logs
fuzz "curve-plot log script" tsv "$S/cls.tsv" 'curve-plot --print-script --term png $F $S/cls.tsv'
fuzz "curve-plot pr script" tsv "$S/pr.tsv" 'curve-plot --print-script --term png --pr $F'
fuzz "curve-plot confusion script" tsv "$S/cm.tsv" 'curve-plot --print-script --term png --confusion $F'
if command -v gnuplot >/dev/null; then
	fuzz "curve-plot log dumb" tsv "$S/cls.tsv" 'curve-plot --term dumb -o $O/c.txt $F'
	fuzz "curve-plot pr" tsv "$S/pr.tsv" 'curve-plot --pr -o $O/pr.png $F'
	fuzz "curve-plot confusion" tsv "$S/cm.tsv" 'curve-plot --confusion -o $O/cm.png $F'
	fuzz "nn-report log" tsv "$S/cls.tsv" 'nn-report -o $O/r --cls-log $F'
else
	skip "fuzz curve-plot log dumb: NOT TESTABLE: no gnuplot"
fi

# published formats
fuzz "ds-load idx images" idx "$S/images.idx" 'ds-load idx $F $S/labels.idx -o $O/d.npy'
fuzz "ds-load idx labels" idx "$S/labels.idx" 'ds-load idx $S/images.idx $F --names a,b,c,d,e,f,g,h,i,j -o $O/d.npy'
fuzz "ds-load fashion-mnist gz" idxgz "$S/idxgz" 'ds-load fashion-mnist $F --split test -o $O/d.npy'
if [ "$have_facade" = 1 ]; then
	fuzz "ds-load facade" facade "$S/fac" 'ds-load facade $F --split test_dev --size 32 -o $O/d.npy'
	fuzz "ds-load facade full size" facade "$S/fac" 'ds-load facade $F --split test_dev -o $O/d.npy'
fi

# every tool on every kind of input, the wrong kinds above all
: >"$S/empty"
shopt -s nullglob
ALL=("$S"/*.npy "$S"/*.safetensors* "$S"/*.net "$S"/*.tsv "$S"/*.idx "$S"/fac/test_dev/* "$S/empty" "$S/fac"
	"$S/missing")
cross "ds-split info any" 'ds-split --info $F'
cross "ds-split take any" 'ds-split --take 1 -o $O/a.npy -r $O/b.npy $F'
cross "nn-train data any" '$TR -o $O/m.safetensors $S/cls.net $F'
cross "nn-train net any" '$TR -o $O/m.safetensors $F $S/cls.npy'
cross "nn-train resume any" '$TR --epochs 2 --resume $F -o $O/m.safetensors $S/cls.npy'
cross "nn-predict model any" '$P -o $O/p.npy $F $S/cls.npy'
cross "nn-predict model stdin any" '$P -o $O/p.npy - $S/seg.npy <$F'
cross "nn-predict data any" '$P -o $O/p.npy $S/seg.safetensors $F'
cross "nn-export any" 'nn-export -q -o $O/m.onnx $F'
cross "ap-score any" 'ap-score $F'
cross "ap-score labels any" 'ap-score --labels $F $S/clsp.npy'
cross "sample-grid data any" 'sample-grid --data $F --pred $S/clsp.npy -o $O/g.png'
cross "sample-grid pred any" 'sample-grid --data $S/cls.npy --pred $F -o $O/g.png'
cross "seg-colour data any" 'seg-colour --data $F -o $O/'
cross "seg-colour pred any" 'seg-colour --pred $F -o $O/'
cross "filters-dump any" 'filters-dump -o $O/f.png $F'
cross "filters-dump stdin any" 'filters-dump - <$F'
cross "curve-plot any" 'curve-plot --print-script --term png $F'
cross "nn-report any" 'nn-report -o $O/r --cls-model $F --cls-log $F --cls-test $F'
cross "ds-load idx any" 'ds-load idx $F $S/labels.idx -o $O/d.npy'
cross "ds-load idx labels any" 'ds-load idx $S/images.idx $F -o $O/d.npy'

echo "fuzz: $N mutants per case from seed $SEED, $nfail failing, $((SECONDS - t0)) s"

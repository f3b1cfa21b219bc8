#!/usr/bin/env bash
# tests/outputs.sh: no tool loses work through its outputs. An output that is
# one of the inputs (by name, through a link, or as stdin or stdout) is
# refused before anything is read; devices and FIFOs are written in place and
# never replaced; every write error is reported (stdout, --help, a full file
# system); temporary files go away on signals and stale ones of dead processes
# are removed. All on data the suite makes itself.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "outputs: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
cd "$T" || exit 1

"$PY" - <<'EOF'
import struct
import numpy as np
r = np.random.default_rng(1)
def stream(path, x, y, names=None):
    with open(path, "wb") as f:
        np.save(f, x)
        np.save(f, y)
        if names is not None:
            np.save(f, np.array(names, dtype="S"))
stream("d.npy", r.integers(0, 256, (300, 1, 28, 28), dtype=np.uint8), r.integers(0, 10, 300).astype(np.int32))
stream("v.npy", r.integers(0, 256, (50, 1, 28, 28), dtype=np.uint8), r.integers(0, 10, 50).astype(np.int32))
stream("big.npy", r.integers(0, 256, (20000, 1, 28, 28), dtype=np.uint8), r.integers(0, 10, 20000).astype(np.int32))
stream("seg.npy", r.integers(0, 256, (4, 3, 8, 8), dtype=np.uint8), r.integers(0, 5, (4, 8, 8)).astype(np.int32),
       ["others", "facade", "pillar", "window", "balcony"])
p = r.random((4, 5, 8, 8)).astype(np.float32)
stream("segp.npy", p / p.sum(axis=1, keepdims=True), r.integers(0, 5, (4, 8, 8)).astype(np.int32))
with open("img.idx", "wb") as f:
    f.write(struct.pack(">IIII", 0x803, 20, 28, 28) + r.integers(0, 256, 20 * 784, dtype=np.uint8).tobytes())
with open("lab.idx", "wb") as f:
    f.write(struct.pack(">II", 0x801, 20) + r.integers(0, 10, 20, dtype=np.uint8).tobytes())
EOF
printf 'input 1 28 28\nconv 8 3 pad=1\nrelu\nmaxpool 2\nflatten\nlinear 10\n' >f.net
nn-train -q --epochs 1 --batch 50 --log run.tsv --log-every 2 -o m.st f.net d.npy 2>/dev/null || fail "outputs: setup: nn-train"
nn-predict -q m.st d.npy >p.npy || fail "outputs: setup: nn-predict"
mkdir rep && cp run.tsv rep/index.html
ln -s d.npy dlink
ln d.npy dhard
cp seg.npy seg1.npy

# refused NAME COMMAND...: status 2, one line on stderr naming the clash,
# nothing on stdout, and no file in the folder created, changed or removed
refused() {
	local name=$1; shift
	local before
	before=$(ls -A)
	"$@" >"$T.out" 2>"$T.err" </dev/null
	local rc=$?
	if [ "$rc" -ne 2 ]; then
		fail "$name: status $rc, expected 2 ($(head -c 200 "$T.err"))"
	elif [ "$(wc -l <"$T.err")" -ne 1 ] || ! grep -Eq 'would be destroyed|two outputs' "$T.err"; then
		fail "$name: message '$(head -c 300 "$T.err")'"
	elif [ -s "$T.out" ]; then
		fail "$name: wrote to stdout"
	elif [ "$(ls -A)" != "$before" ]; then
		fail "$name: files made or removed"
	else
		pass "$name"
	fi
}
# the checksums of every file, to compare before and after the refusals
sums() { find . -maxdepth 2 -type f -exec md5sum {} + | sort; }
sums >"$T.sums"

refused "ds-split: -o is the input" ds-split --take 5 -o d.npy -r r.npy d.npy
refused "ds-split: -r is the input" ds-split --take 5 -o o.npy -r d.npy d.npy
refused "ds-split: -o is stdin's file" sh -c 'ds-split --take 5 -o d.npy -r r.npy <d.npy'
refused "ds-split: stdout is the input" sh -c 'ds-split --take 5 -o - -r r.npy d.npy >>d.npy'
refused "ds-split: -o through a symbolic link" ds-split --take 5 -o dlink -r r.npy d.npy
refused "ds-split: -o through a hard link" ds-split --take 5 -o dhard -r r.npy d.npy
refused "ds-split: -o the input by another path" ds-split --take 5 -o ./rep/../d.npy -r r.npy d.npy
refused "ds-split: -o and -r one new file" ds-split --take 5 -o new.npy -r ./new.npy d.npy
refused "ds-split: -o and -r both stdout" ds-split --take 5 -o - -r - d.npy
refused "nn-predict: -o is the data" nn-predict -o d.npy m.st d.npy
refused "nn-predict: -o is the model" nn-predict -o m.st m.st d.npy
refused "nn-predict: -o is stdin's file" sh -c 'nn-predict -o d.npy m.st <d.npy'
refused "nn-train: -o is the training data" nn-train -q -o d.npy f.net d.npy
refused "nn-train: -o is the description" nn-train -q -o f.net f.net d.npy
refused "nn-train: --log is the training data" nn-train -q --log d.npy -o n.st f.net d.npy
refused "nn-train: --log is the validation data" nn-train -q --val v.npy --log v.npy -o n.st f.net d.npy
refused "nn-train: --checkpoint is the training data" nn-train -q --checkpoint dlink -o n.st f.net d.npy
refused "nn-train: --checkpoint is the model" nn-train -q --checkpoint n.st -o n.st f.net d.npy
refused "nn-train: --resume C -o C" nn-train -q --resume m.st.ckpt -o m.st.ckpt d.npy
refused "nn-train: --resume's model as --log" nn-train -q --resume m.st.ckpt --log m.st.ckpt d.npy
refused "ap-score: stdout is the input" sh -c 'ap-score p.npy >>p.npy'
refused "curve-plot: -o is the log" curve-plot -o run.tsv run.tsv
refused "filters-dump: -o is the model" filters-dump -o m.st m.st
refused "sample-grid: --tsv is the data" sample-grid --data d.npy --pred p.npy --tsv d.npy -o g.png
refused "sample-grid: -o is the predictions" sample-grid --data d.npy --pred p.npy -o p.npy
refused "seg-colour: -o is the predictions" seg-colour --pred segp.npy --index 0 -o segp.npy
refused "seg-colour: a pattern's file is the data" seg-colour --data seg1.npy --label -o 'seg%d.npy' --index 0,1
refused "ds-load: -o is the image file" ds-load idx img.idx lab.idx -o img.idx
refused "ds-load: -o is the label file" ds-load idx img.idx lab.idx -o lab.idx
refused "nn-report: index.html is an input" nn-report -o rep --cls-log rep/index.html
sums >"$T.sums2"
check "the refused commands changed no file" cmp -s "$T.sums" "$T.sums2"

# overwriting on purpose: the checkpoint --resume continues into
check "nn-train --resume writes into the checkpoint it resumed" \
	nn-train -q --resume m.st.ckpt --epochs 2 d.npy
check "and the model beside it" test -s m.st -a -s m.st.ckpt

# ---------------------------------------------------------------- special files

if [ "$(id -u)" -eq 0 ] && mkdir dev && mknod dev/null c 1 3 && mknod dev/full c 1 7; then
	chardev() { [ -c "$1" ]; }
	check "ds-split -o NULL-DEVICE" ds-split --take 5 -o dev/null -r r.npy d.npy
	check "the device node is still one" chardev dev/null
	ln -s dev/null lnull
	check "ds-split -r LINK-TO-NULL" ds-split --take 5 -o o.npy -r lnull d.npy
	check "the link and the node are still there" sh -c '[ -L lnull ] && [ -c dev/null ]'
	expect_error "nn-predict -o FULL-DEVICE" '^nn-predict: dev/full: write error: No space left on device$' \
		nn-predict -q -o dev/full m.st d.npy
	check "the full device node is still one" chardev dev/full
	expect_error "sample-grid --tsv FULL-DEVICE" 'dev/full: write error' \
		sample-grid --data d.npy --pred p.npy --tsv dev/full -o g.png
	expect_error "curve-plot -o FULL-DEVICE" 'dev/full: write error' curve-plot --term dumb -o dev/full run.tsv
	expect_error "ds-load -o FULL-DEVICE" 'dev/full: write error' ds-load idx img.idx lab.idx -o dev/full
	expect_error "filters-dump -o FULL-DEVICE" 'dev/full: write error' filters-dump -o dev/full m.st
	check "no temporary file was left in dev/" sh -c '[ "$(ls dev | wc -l)" -eq 2 ]'
else
	skip "outputs: device nodes: NOT TESTABLE: needs root for mknod"
fi
mkfifo fifo
nn-predict -q m.st d.npy >want.npy
cat fifo >got.npy &
check "nn-predict -o FIFO" nn-predict -q -o fifo m.st d.npy
wait
check "the FIFO got the predictions" cmp -s want.npy got.npy
check "the FIFO is still a FIFO" test -p fifo
check "sample-grid --tsv /dev/stdout into a pipe" \
	sh -c 'sample-grid --data d.npy --pred p.npy --tsv /dev/stdout -o g.png | grep -q .'
: >appended
sample-grid --data d.npy --pred p.npy --tsv /dev/stdout -o g.png >>appended
sample-grid --data d.npy --pred p.npy --tsv /dev/stdout -o g.png >>appended
check "--tsv /dev/stdout appended twice to a file keeps both" \
	sh -c '[ "$(grep -c "^row" appended)" -eq 2 ]'

# ---------------------------------------------------------------- write errors

for tool in ds-load ds-split nn-train nn-predict nn-export ap-score curve-plot filters-dump sample-grid seg-colour nn-report; do
	expect_error "$tool --help >/dev/full" "^$tool: <stdout>: write error: No space left on device" \
		sh -c '"$1" --help >/dev/full' - "$tool"
	"$tool" --help >&- 2>"$T.err"
	rc=$?
	check "$tool --help into a closed stdout fails" test "$rc" -eq 1 -a -s "$T.err"
done
expect_error "curve-plot --term dumb >/dev/full" 'curve-plot: <stdout>: write error' \
	sh -c 'curve-plot --term dumb run.tsv >/dev/full'
expect_error "curve-plot --term svg into a closed stdout" 'curve-plot: <stdout>: write error' \
	sh -c 'curve-plot --term svg run.tsv >&-'
expect_error "ap-score >/dev/full" 'ap-score: <stdout>: write error' sh -c 'ap-score p.npy >/dev/full'
expect_error "ds-split -o - >/dev/full" 'ds-split: <stdout>: write error' \
	sh -c 'ds-split --take 5 -r r.npy d.npy >/dev/full'
if [ "$(id -u)" -eq 0 ] && unshare --mount true 2>/dev/null; then
	mkdir small
	# a file system of 64 KiB: the outputs below do not fit
	unshare --mount sh -c '
		mount -t tmpfs -o size=64k none small || exit 9
		curve-plot --size 3000,3000 -o small/c.png run.tsv 2>err1.txt; echo $? >rc1
		nn-predict -q -o small/p.npy m.st big.npy 2>err2.txt; echo $? >rc2
		ls -A small >left
		head -c 65536 /dev/zero >small/fill 2>/dev/null
		md5sum g.png >g.md5
		sample-grid --seed 2 --data d.npy --pred p.npy -o g.png --tsv small/t.tsv 2>err4.txt; echo $? >rc4
		ap-score --pr small/pr.tsv --confusion-tsv cm.tsv p.npy >/dev/null 2>err5.txt; echo $? >rc5
		ls -A small >left2' 2>/dev/null
	check "curve-plot -o on a full file system fails" sh -c '[ "$(cat rc1)" = 1 ] && grep -q "small/c.png: write error: No space" err1.txt'
	check "nn-predict -o on a full file system fails" sh -c '[ "$(cat rc2)" = 1 ] && grep -q "small/p.npy: write error: No space" err2.txt'
	check "and leave nothing there" test ! -s left
	check "sample-grid --tsv on a full file system fails" sh -c '[ "$(cat rc4)" = 1 ] && grep -q "small/t.tsv: write error: No space" err4.txt'
	check "and leaves its -o picture as it was" md5sum -c --quiet g.md5
	check "ap-score --pr on a full file system fails" sh -c '[ "$(cat rc5)" = 1 ] && grep -q "small/pr.tsv: write error: No space" err5.txt'
	check "and writes no --confusion-tsv either" test ! -e cm.tsv
	check "and leave no temporary file" test "$(cat left2)" = fill
else
	skip "outputs: full file system: NOT TESTABLE: needs root and mount namespaces"
fi

# ---------------------------------------------------------------- unusable outputs

# An output that cannot be written is refused before any work: the inputs
# here are junk, which would fail first if they were read; so would a run
# that trained. early NAME STATUS PATTERN COMMAND...: the status, one line
# on stderr matching PATTERN, and no file made or changed.
printf 'not a stream at all' >junk.npy
mkdir afolder
early() {
	local name=$1 want=$2 pat=$3; shift 3
	local before
	before=$(sums)
	"$@" >"$T.out" 2>"$T.err" </dev/null
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: status $rc, expected $want ($(head -c 200 "$T.err"))"
	elif [ "$(wc -l <"$T.err")" -ne 1 ] || ! grep -Eq -- "$pat" "$T.err"; then
		fail "$name: message '$(head -c 300 "$T.err")' does not match '$pat'"
	elif [ "$(sums)" != "$before" ] || [ -n "$(ls -A afolder)" ] || ls | grep -q '^\.\|tmp'; then
		fail "$name: files made or changed"
	else
		pass "$name"
	fi
}
# every output option of every tool, as a command with OUT in it
outputs=(
	"ds-load idx junk.npy junk.npy -o OUT"
	"ds-split --take 5 -o OUT -r r.npy junk.npy"
	"ds-split --take 5 -o o.npy -r OUT junk.npy"
	"nn-train -q -o OUT f.net junk.npy"
	"nn-train -q --log OUT -o n.st f.net junk.npy"
	"nn-train -q --checkpoint OUT -o n.st f.net junk.npy"
	"nn-predict -q -o OUT m.st junk.npy"
	"ap-score --pr OUT junk.npy"
	"ap-score --confusion-tsv OUT junk.npy"
	"curve-plot -o OUT junk.npy"
	"filters-dump -o OUT junk.npy"
	"sample-grid --data junk.npy --pred junk.npy -o OUT"
	"sample-grid --data junk.npy --pred junk.npy --tsv OUT -o g.png"
	"seg-colour --pred junk.npy --index 0 -o OUT"
	"nn-report -o OUT --cls-log junk.npy"
)
for cmd in "${outputs[@]}"; do
	read -ra words <<<"$cmd"
	tool=${words[0]} args=()
	for bad in '' nowhere/x.out afolder; do
		args=()
		for w in "${words[@]}"; do
			[ "$w" = OUT ] && w=$bad
			args+=("$w")
		done
		case $bad in
		'') early "$cmd: OUT empty" 2 "^$tool: .*empty" "${args[@]}" ;;
		nowhere/*) early "$cmd: OUT in a missing folder" 1 "^$tool: nowhere/x.out: cannot write there: nowhere: " \
			"${args[@]}" ;;
		*) case $tool in seg-colour | nn-report) continue ;; esac # a folder is theirs to fill
			early "$cmd: OUT a folder" 1 "^$tool: afolder: is a folder" "${args[@]}" ;;
		esac
	done
done
early "seg-colour: a pattern in a missing folder" 1 "^seg-colour: nowhere/%d.png: cannot write there: nowhere: " \
	seg-colour --pred junk.npy -o 'nowhere/%d.png'
# nn-train refuses before it trains, even on good data
early "nn-train -o '' refused before training" 2 "empty" nn-train -q --epochs 50 --batch 50 -o '' f.net d.npy
rmdir afolder
# seg-colour --legend-only into a new folder makes it, as drawing does
check "seg-colour --legend-only -o newdir/ makes the folder" \
	sh -c 'seg-colour --pred segp.npy --legend-only -o newdir/ && [ -s newdir/legend.png ]'
check "seg-colour -o newdir2/ makes the folder" \
	sh -c 'seg-colour --pred segp.npy -o newdir2/ && [ -s newdir2/0000-pred.png ]'
rm -rf newdir newdir2

# ---------------------------------------------------------------- failed runs

# A run that fails leaves every output as it was: the log of a run that
# diverges, a report folder, a folder of pictures.
cp run.tsv run-before.tsv
head -n 3 run.tsv >short.tsv
cp m.st m-before.st
nn-train -q --epochs 3 --batch 50 --opt sgd --lr 1e30 --log run.tsv --log-every 1 -o m.st f.net d.npy 2>"$T.err"
check "nn-train: a run that diverges fails" grep -q diverged "$T.err"
check "and leaves the old log as it was" cmp -s run.tsv run-before.tsv
check "and the old model" cmp -s m.st m-before.st
# a divergence after the checkpoints of the first epochs (one step each):
# the log is still the old one
nn-train -q --epochs 4 --batch 300 --opt sgd --lr 1e10 --log run.tsv --log-every 1 -o m.st f.net d.npy 2>"$T.err"
if grep -q 'diverged.* at step [3-4]' "$T.err"; then
	check "a run that diverges after a checkpoint leaves the old log as it was" cmp -s run.tsv run-before.tsv
else
	skip "outputs: nn-train --lr 1e10 did not diverge at step 3 or 4: $(head -c 200 "$T.err")"
fi
rm -f m-before.st

# resuming continues the log its checkpoint names: the rows up to the
# checkpoint's step kept, those after it (of steps taken again) replaced
tr=(-q --threads 1 --batch 50 --log-every 2)
nn-train "${tr[@]}" --epochs 2 --log straight.tsv -o s.st f.net d.npy
nn-train "${tr[@]}" --epochs 1 --log rl.tsv -o rl.st f.net d.npy
cp rl.st.ckpt rl1.ckpt
nn-train "${tr[@]}" --resume rl.st.ckpt --epochs 2 d.npy
check "nn-train --resume continues the checkpoint's log" cmp -s <(cut -f1-6 straight.tsv) <(cut -f1-6 rl.tsv)
nn-train "${tr[@]}" --resume rl1.ckpt --epochs 2 -o rl2.st d.npy
check "resuming an earlier checkpoint replaces the rows after its step" \
	cmp -s <(cut -f1-6 straight.tsv) <(cut -f1-6 rl.tsv)
nn-train "${tr[@]}" --resume rl1.ckpt --epochs 2 -o rl2.st --fresh-log d.npy
check "--fresh-log starts the log anew" sh -c '[ "$(sed -n 2p rl.tsv | cut -f1)" = 8 ]'
rm -f straight.tsv s.st* rl.tsv rl.st* rl1.ckpt rl2.st*

nn-report -o good --cls-log run-before.tsv --cls-test p.npy --cls-model m.st 2>/dev/null
echo "my notes" >good/notes.txt
(cd good && find . -type f -exec md5sum {} + | sort) >"$T.good"
check "nn-report made its pictures and tables" test -s good/cls-pr.tsv -a -s good/cls-curves.png
# another log (other curves), then test predictions that fail
nn-report -o good --cls-log short.tsv --cls-test junk.npy --cls-model m.st 2>/dev/null
check "a failed nn-report re-run fails" test $? -eq 1
check "and leaves the report folder as it was" \
	sh -c '(cd good && find . -type f -exec md5sum {} + | sort) | cmp -s - "$1"' - "$T.good"
nn-report -o good --cls-log short.tsv 2>/dev/null
check "a good re-run replaces the report: the old report's other files go" \
	test -s good/index.html -a -s good/cls-curves.png -a ! -e good/cls-pr.tsv -a ! -e good/cls-filters.png
check "and files of the user's stay" grep -q "my notes" good/notes.txt
check "and no temporary folder is left" sh -c '! ls | grep -q tmp'
rm -rf good run-before.tsv short.tsv

mkdir pics
seg-colour --pred segp.npy -o pics/ 2>/dev/null
mkdir pics/0002-label.png
(cd pics && find . -type f -exec md5sum {} + | sort) >"$T.good"
# the third picture cannot be written: nothing is
seg-colour --data seg.npy --label -o pics/ 2>/dev/null
check "seg-colour -o DIR/ that cannot write one picture fails" test $? -eq 1
check "and writes none" sh -c '(cd pics && find . -type f -exec md5sum {} + | sort) | cmp -s - "$1"' - "$T.good"
rmdir pics/0002-label.png
check "then all of them" sh -c 'seg-colour --data seg.npy --label -o pics/ && [ "$(ls pics | wc -l)" -eq 8 ]'
rm -rf pics "$T.good"

# ---------------------------------------------------------------- temporary files

tmps() { ls | grep -c '\.tmp\.[0-9]*\.[A-Za-z0-9]\{6\}$'; }
for sig in INT TERM HUP; do
	rm -f out.npy
	# one thread: the run lasts long enough to be interrupted
	env --default-signal="$sig" nn-predict -q --threads 1 -o out.npy m.st big.npy &
	pid=$!
	for _ in $(seq 100); do
		[ "$(tmps)" -gt 0 ] && break
		sleep 0.05
	done
	seen=$(tmps)
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	if [ "$seen" -eq 0 ]; then
		skip "outputs: SIG$sig during nn-predict -o: the run ended before its temporary file was seen"
	elif [ "$rc" -eq 0 ]; then
		skip "outputs: SIG$sig during nn-predict -o: the run ended before the signal came"
	else
		check "SIG$sig during nn-predict -o ends it (status $rc) leaving no file" \
			sh -c "[ $rc -gt 128 ] && [ ! -e out.npy ] && [ \$(ls | grep -c '\\.tmp\\.') -eq 0 ]"
	fi
done
ds-split --take 20000 -o out.npy -r - big.npy 2>/dev/null | head -c100 >/dev/null
check "SIGPIPE on ds-split's stdout leaves no temporary file" test "$(tmps)" -eq 0
# a folder of pictures: the temporary folder goes on a signal, the folder
# keeps what it had
"$PY" -c '
import numpy as np
from npstream import write_stream
r = np.random.default_rng(2)
p = r.random((300, 5, 32, 32)).astype(np.float32)
write_stream("manyp.npy", p, r.integers(0, 5, (300, 32, 32)).astype(np.int32))'
mkdir pics && echo keep >pics/mine.txt
env --default-signal=TERM seg-colour --pred manyp.npy --scale 16 -o pics/ &
pid=$!
# started: its temporary folder is there (or, were the pictures written
# in place, the first of them)
started() { ls | grep -q '^pics\.tmp\.' || [ "$(ls pics | wc -l)" -gt 1 ]; }
seen=0
for _ in $(seq 100); do
	started && seen=1 && break
	sleep 0.05
done
sleep 0.3
kill -TERM "$pid"
wait "$pid" 2>/dev/null
rc=$?
if [ "$seen" -eq 0 ] || [ "$rc" -eq 0 ]; then
	skip "outputs: SIGTERM during seg-colour -o DIR/: the run ended before it was stopped"
else
	check "SIGTERM during seg-colour -o DIR/ leaves the folder as it was and no temporary folder" \
		sh -c '[ "$(ls pics)" = mine.txt ] && ! ls | grep -q "\.tmp\."'
fi
rm -rf pics manyp.npy
check "SIGPIPE on ds-split's stdout leaves no temporary file" test "$(tmps)" -eq 0
sh -c 'exit 0' &
dead=$!
wait
touch "out.npy.tmp.$dead.aB3xY9" "out.npy.tmp.$$.aB3xY9" "out.npyXtmp.$dead.aB3xY9" "out.npy.tmp.$dead" \
	"out.npy.tmp.$dead.aB3xY9.keep"
mkdir "rep.tmp.$dead.Qw7eR2" "rep.tmp.$$.Qw7eR2" && touch "rep.tmp.$dead.Qw7eR2/index.html"
check "ds-split -o OUT with stale temporary files beside it" ds-split --take 5 -o out.npy -r r.npy d.npy
check "a dead process's temporary file is removed" test ! -e "out.npy.tmp.$dead.aB3xY9"
check "a live process's temporary file is kept" test -e "out.npy.tmp.$$.aB3xY9"
check "other names are left alone" test -e "out.npyXtmp.$dead.aB3xY9" -a -e "out.npy.tmp.$dead" \
	-a -e "out.npy.tmp.$dead.aB3xY9.keep"
check "nn-report -o rep with stale temporary folders beside it" \
	nn-report -o rep --cls-log run.tsv
check "a dead process's temporary folder is removed" test ! -e "rep.tmp.$dead.Qw7eR2"
check "a live process's temporary folder is kept" test -d "rep.tmp.$$.Qw7eR2"
rm -rf "out.npy.tmp.$$.aB3xY9" "out.npyXtmp.$dead.aB3xY9" "out.npy.tmp.$dead" "out.npy.tmp.$dead.aB3xY9.keep" \
	"rep.tmp.$$.Qw7eR2"

# a file at the name the temporary file had before it was made unpredictable
# blocks nothing; where none can be made, the message names the folder
sh -c 'exit 0' &
next=$!
wait
planted=()
for ((i = 1; i <= 300; i++)); do
	planted+=("planted.npy.tmp.$((next + i))")
done
mkdir "${planted[@]}"
check "a folder planted at the old temporary name blocks nothing" \
	sh -c 'for i in 1 2 3 4 5 6 7 8; do ds-split --take 5 -o planted.npy -r r.npy d.npy 2>/dev/null || exit 1; done'
rm -rf planted.npy*
# a name so long that the temporary name beside it cannot be: the message
# names the temporary file, not the output alone
long=$(printf 'a%.0s' $(seq 250)).npy
expect_error "a temporary file that cannot be made is named" \
	"^ds-split: $long\\.tmp\\.[0-9]+\\.XXXXXX: cannot create the temporary file for $long: File name too long" \
	ds-split --take 5 -o "$long" -r r.npy d.npy
if [ "$(id -u)" -eq 0 ] && unshare --mount true 2>/dev/null; then
	mkdir ro && cp d.npy ro/ && ln -s ro/out.npy rolink
	: >ro/out.npy
	unshare --mount sh -c 'mount -o bind,ro ro ro || exit 9
		ds-split --take 5 -o rolink -r r.npy d.npy 2>err3.txt; echo $? >rc3' 2>/dev/null
	check "an output in a read-only folder is refused naming the folder" \
		sh -c '[ "$(cat rc3)" = 1 ] && grep -q "^ds-split: rolink: cannot write there: .*ro: Read-only file system" err3.txt'
	rm -rf ro rolink err3.txt rc3
else
	skip "outputs: read-only folder: NOT TESTABLE: needs root and mount namespaces"
fi
rm -f "$T.sums" "$T.sums2" "$T.out" "$T.err"

# ---- binary data is never written to a terminal --------------------------------
# on_tty EXPECT_RC PATTERN COMMAND...: runs the command with stdout on a new
# pseudo-terminal; the status must be EXPECT_RC. With status 2, stderr must
# be one line matching PATTERN (grep -E) and nothing may reach the terminal;
# with status 0, its output must have reached the terminal.
on_tty() {
	local want=$1 pat=$2; shift 2
	"$PY" - "$@" >"$T.tty" 2>"$T.err" <<'PYEOF'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.run(sys.argv[1:], stdout=slave, stderr=sys.stderr, stdin=subprocess.DEVNULL)
os.close(slave)
os.set_blocking(master, False)
got = b""
try:
    while True:
        b = os.read(master, 65536)
        if not b:
            break
        got += b
except (BlockingIOError, OSError):
    pass
sys.stdout.write(f"{p.returncode} {len(got)}\n")
PYEOF
	local rc bytes
	read -r rc bytes <"$T.tty"
	local name="on a terminal: $*"
	if [ "$rc" != "$want" ]; then
		fail "$name: status $rc, expected $want ($(head -c 200 "$T.err"))"
	elif [ "$want" = 2 ] && ! grep -Eq -- "$pat" "$T.err"; then
		fail "$name: message '$(head -c 200 "$T.err")' does not match '$pat'"
	elif [ "$want" = 2 ] && { [ "$bytes" != 0 ] || [ "$(wc -l <"$T.err")" -ne 1 ]; }; then
		fail "$name: $bytes bytes reached the terminal, $(wc -l <"$T.err") lines on stderr"
	elif [ "$want" = 0 ] && [ "$bytes" = 0 ]; then
		fail "$name: nothing reached the terminal"
	else
		pass "$name"
	fi
}
msg='will not write binary data to a terminal: use -o FILE or a pipe$'
on_tty 2 "^ds-load: <stdout>: $msg" ds-load idx img.idx lab.idx
on_tty 2 "^ds-load: <stdout>: $msg" ds-load images nothere.png
on_tty 2 "^ds-split: <stdout>: $msg" ds-split --take 10 -r r.npy d.npy
on_tty 2 "^ds-split: <stdout>: $msg" ds-split --take 10 -o a.npy -r - d.npy
on_tty 2 "^nn-predict: <stdout>: $msg" nn-predict m.st d.npy
on_tty 2 "^nn-predict: /dev/stdout: $msg" nn-predict -o /dev/stdout m.st d.npy
on_tty 2 "^nn-train: <stdout>: $msg" nn-train -q -o - f.net d.npy
on_tty 2 "^filters-dump: <stdout>: $msg" filters-dump m.st
on_tty 2 "^sample-grid: <stdout>: $msg" sample-grid --data d.npy --pred p.npy
on_tty 2 "^seg-colour: <stdout>: $msg" seg-colour --pred segp.npy --index 0
on_tty 2 "^curve-plot: <stdout>: $msg" curve-plot --term png run.tsv
on_tty 2 "^curve-plot: <stdout>: $msg" curve-plot run.tsv
check "no file left by the refusals on a terminal" [ ! -e a.npy ] && [ ! -e r.npy ]
# text is written to a terminal as ever
on_tty 0 '' ds-split --info d.npy
on_tty 0 '' curve-plot --print-script run.tsv
on_tty 0 '' ap-score p.npy
command -v gnuplot >/dev/null && on_tty 0 '' curve-plot --term dumb run.tsv
rm -f "$T.tty" "$T.err"

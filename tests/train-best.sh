#!/usr/bin/env bash
# tests/train-best.sh: nn-train --keep-best and --early-stop (the model kept
# against the validation scores in the log, recomputed with numpy and
# scikit-learn; the state across a resume against a straight run), the
# elapsed time and ETA of the progress lines written to a file, and the
# "run" metadata (commands, device, dates, times, samples, commit) against
# what the test knows of the run.
. "$(dirname "$0")/lib.sh"
export OMP_WAIT_POLICY=passive
if ! have_py numpy; then
	skip "train-best: NOT TESTABLE: $PY has no numpy"
	exit 0
fi

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(5)
from npstream import write_stream as stream
# classes told apart by the mean brightness of a noisy image: learnable, not
# at once
def cls(n):
    y = rng.integers(0, 3, n)
    x = np.clip(rng.normal(60 + 60 * y[:, None, None, None], 70, (n, 1, 8, 8)), 0, 255).astype(np.uint8)
    return x, y.astype(np.uint8)
stream(f"{t}/cls.npy", *cls(192))
stream(f"{t}/cls-val.npy", *cls(96))
# segmentation: the class of a pixel is its brightness band, with noise
def seg(n):
    y = rng.integers(0, 3, (n, 8, 8))
    x = np.clip(rng.normal(60 + 60 * y[:, None], 60, (n, 3, 8, 8)), 0, 255).astype(np.uint8)
    return x, y.astype(np.uint8)
stream(f"{t}/seg.npy", *seg(64))
stream(f"{t}/seg-val.npy", *seg(24))
EOF
printf 'input 1 8 8\nconv 4 3 pad=1\nrelu\nflatten\nlinear 3\n' >"$T/cls.net"
printf 'input 3 8 8\nconv 6 3 pad=1\nrelu\nconv 3 1\n' >"$T/seg.net"

# best_rows LOG: "step score" of each row of split best, and the steps and
# scores of the val rows, checked against each other in python
check_best() {
	"$PY" - "$@" <<'EOF'
import sys, csv
log, score_of_val = sys.argv[1], sys.argv[2]   # score_of_val: "accuracy" or a file of step<TAB>map
rows = list(csv.DictReader(open(log), delimiter="\t"))
val = [r for r in rows if r["split"] == "val"]
best = [(int(r["step"]), float(r["accuracy"])) for r in rows if r["split"] == "best"]
if score_of_val == "accuracy":
    scores = [(int(r["step"]), float(r["accuracy"])) for r in val]
else:
    scores = [(int(s), float(v)) for s, v in (l.split() for l in open(score_of_val))]
want, top = [], None
for s, v in scores:
    if top is None or v > top:
        top = v
        want.append((s, v))
ok = len(want) == len(best) and all(a[0] == b[0] and abs(a[1] - b[1]) < 1e-5 for a, b in zip(want, best))
if not ok:
    print("best rows", best, "expected", want, file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}

# ---- classification: the rows of split best and the model kept ----------
nn-train "$T/cls.net" --epochs 6 --batch 16 --lr 3e-3 --log-every 3 --threads 1 --val "$T/cls-val.npy" \
	--keep-best --log "$T/c.tsv" -o "$T/c.safetensors" "$T/cls.npy" 2>"$T/c.err"
check "keep-best-runs" [ $? -eq 0 -a -s "$T/c.safetensors" ]
check "keep-best-rows: a best row at each validation better than all before" check_best "$T/c.tsv" accuracy
# the model kept scores, with numpy on nn-predict's output, what its best row says
nn-predict -q "$T/c.safetensors" "$T/cls-val.npy" >"$T/c-pred.npy"
check "keep-best-model: the output model scores the best validation accuracy" "$PY" - "$T" <<'EOF'
import sys, csv
import numpy as np
t = sys.argv[1]
f = open(f"{t}/c-pred.npy", "rb")
p, y = np.load(f), np.load(f)
acc = float((p.argmax(1) == y).mean())
rows = [r for r in csv.DictReader(open(f"{t}/c.tsv"), delimiter="\t") if r["split"] == "best"]
vals = [float(r["accuracy"]) for r in csv.DictReader(open(f"{t}/c.tsv"), delimiter="\t") if r["split"] == "val"]
best = float(rows[-1]["accuracy"])
# the last validation scored lower: the model kept is not the last one
ok = abs(acc - best) < 1e-6 and best == max(vals) and vals[-1] < best
if not ok:
    print("model accuracy", acc, "best row", best, "vals", vals, file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
best_step=$(awk -F '\t' '$3 == "best" { s = $1 } END { print s }' "$T/c.tsv")
check "keep-best-message: says which step was kept" grep -q "kept the model of step $best_step, the best validation accuracy" "$T/c.err"

# ---- the state survives a resume: 3 epochs, then resumed to 6, keep the
# same model and write the same best rows as the straight run ---------------
nn-train "$T/cls.net" --epochs 3 --batch 16 --lr 3e-3 --log-every 3 --threads 1 --val "$T/cls-val.npy" \
	--keep-best --log "$T/r.tsv" -o "$T/r.safetensors" -q "$T/cls.npy" &&
	nn-train --resume "$T/r.safetensors.ckpt" --epochs 6 --threads 1 --val "$T/cls-val.npy" --log "$T/r.tsv" \
		-q "$T/cls.npy"
check "keep-best-resume-runs" [ $? -eq 0 ]
check "keep-best-resume-same-best-rows" cmp -s <(awk -F '\t' '$3 == "best"' "$T/c.tsv" | cut -f1-5) \
	<(awk -F '\t' '$3 == "best"' "$T/r.tsv" | cut -f1-5)
check "keep-best-resume-same-model" same_tensors "$T/c.safetensors" "$T/r.safetensors"
# the best model must be where the run wrote it
cp "$T/r.safetensors.ckpt" "$T/moved.ckpt"
expect_error "keep-best-resume-best-missing" "moved: the best model so far \(step [0-9]+\) is not there" \
	nn-train --resume "$T/moved.ckpt" --epochs 8 --val "$T/cls-val.npy" -q "$T/cls.npy"

# ---- segmentation: the score is the mean AP, as scikit-learn computes it --
if have_py sklearn; then
	nn-train "$T/seg.net" --epochs 4 --batch 8 --lr 1e-2 --log-every 2 --threads 1 --val "$T/seg-val.npy" \
		--keep-best --log "$T/s.tsv" -o "$T/s.safetensors" -q "$T/seg.npy"
	check "keep-best-seg-runs" [ $? -eq 0 ]
	# each validation's mean AP again, from the checkpoint-free way: the
	# kept model's predictions, and the score in its best row
	nn-predict -q "$T/s.safetensors" "$T/seg-val.npy" >"$T/s-pred.npy"
	check "keep-best-seg-map: the kept model's mean AP (scikit-learn) is the best row's" "$PY" - "$T" <<'EOF'
import sys, csv
import numpy as np
from sklearn.metrics import average_precision_score
t = sys.argv[1]
f = open(f"{t}/s-pred.npy", "rb")
p, y = np.load(f), np.load(f)
k = p.shape[1]
aps = [average_precision_score((y == c).ravel(), p[:, c].ravel()) for c in range(k) if (y == c).any()]
m = float(np.mean(aps))
rows = [r for r in csv.DictReader(open(f"{t}/s.tsv"), delimiter="\t") if r["split"] == "best"]
best = float(rows[-1]["accuracy"])
if abs(m - best) > 1e-5:
    print("mean AP", m, "best row", best, file=sys.stderr)
sys.exit(0 if abs(m - best) <= 1e-5 else 1)
EOF
else
	skip "keep-best-seg: NOT TESTABLE: $PY has no sklearn"
fi

# ---- --early-stop: with a learning rate of 0 no validation is better than
# the first, so training stops at the N+1th ---------------------------------
nn-train "$T/cls.net" --epochs 5 --batch 16 --lr 0 --log-every 2 --threads 1 --val "$T/cls-val.npy" \
	--early-stop 3 --log "$T/e.tsv" -o "$T/e.safetensors" "$T/cls.npy" 2>"$T/e.err"
check "early-stop-exit-0" [ $? -eq 0 -a -s "$T/e.safetensors" ]
check "early-stop-at-fourth-validation" [ "$(awk -F '\t' '$3 == "val"' "$T/e.tsv" | wc -l)" -eq 4 -a \
	"$(awk -F '\t' '$3 == "stop" { print $1 }' "$T/e.tsv")" = 8 -a \
	"$(awk -F '\t' '$3 == "best" { print $1 }' "$T/e.tsv")" = 2 ]
check "early-stop-message" grep -q "stopped early at step 8 of 60: no better validation score in 3 validations" "$T/e.err"
expect_error_2() {
	local name=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -eq 2 ] && grep -Eq -- "$pat" "$T/err"; then pass "$name"; else fail "$name: exit $rc ($(head -c 200 "$T/err"))"; fi
}
expect_error_2 "keep-best-needs-val" "--keep-best: .*give --val" nn-train --keep-best -o "$T/x.safetensors" "$T/cls.net" "$T/cls.npy"
expect_error_2 "early-stop-needs-val" "--early-stop: .*give --val" nn-train --early-stop 2 -o "$T/x.safetensors" "$T/cls.net" "$T/cls.npy"
expect_error_2 "early-stop-zero" "--early-stop" nn-train --early-stop 0 --val "$T/cls-val.npy" -o "$T/x.safetensors" "$T/cls.net" "$T/cls.npy"

# ---- progress to a file: each line has the elapsed time and an ETA that
# is the remaining steps at the pace so far ---------------------------------
check "progress-plain-lines-have-elapsed-and-eta" "$PY" - "$T/c.err" 72 <<'EOF'
import re, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("step ")]
total = int(sys.argv[2])
def sec(s):
    p = [int(x) for x in s.split(":")]
    return sum(v * 60 ** i for i, v in enumerate(reversed(p)))
ok = len(lines) == 24
prev = 0
for l in lines:
    m = re.search(r"^step (\d+)/(\d+) .* elapsed (\d+:\d\d(?::\d\d)?)  ETA (\d+:\d\d(?::\d\d)?)$", l.rstrip("\n"))
    if not m or int(m.group(2)) != total:
        ok = False
        print("line", l, file=sys.stderr)
        continue
    step, el, eta = int(m.group(1)), sec(m.group(3)), sec(m.group(4))
    # both are rounded to the second: the ETA of the pace so far within
    # the rounding of the elapsed time
    lo, hi = max(el - 0.5, 0) * (total - step) / step, (el + 0.5) * (total - step) / step
    if el < prev or not (lo - 0.5 <= eta <= hi + 0.5):
        ok = False
        print("line", l, "elapsed", el, "eta", eta, "range", lo, hi, file=sys.stderr)
    prev = el
ok = ok and lines[-1].rstrip().endswith("ETA 0:00")
sys.exit(0 if ok else 1)
EOF

# ---- the run metadata --------------------------------------------------------
t_before=$(date -u +%s)
nn-train "$T/cls.net" --epochs 1 --batch 16 --threads 1 --val "$T/cls-val.npy" -q -o "$T/m.safetensors" "$T/cls.npy" &&
	nn-train --resume "$T/m.safetensors.ckpt" --epochs 2 --threads 1 -q "$T/cls.npy"
check "run-metadata-runs" [ $? -eq 0 ]
t_after=$(date -u +%s)
commit=
if [ -e "$NN_ROOT/.git" ] && command -v git >/dev/null; then
	commit=$(git -C "$NN_ROOT" describe --always --dirty 2>/dev/null)
fi
check "run-metadata: commands, device, dates, times, samples and commit" "$PY" - "$T" "$t_before" "$t_after" "$commit" <<'EOF'
import datetime, json, struct, sys
t, t0, t1, commit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
blob = open(f"{t}/m.safetensors", "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
run = json.loads(json.loads(blob[8:8 + n])["__metadata__"]["run"])
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
def when(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
want_cmds = [f"nn-train {t}/cls.net --epochs 1 --batch 16 --threads 1 --val {t}/cls-val.npy -q -o {t}/m.safetensors {t}/cls.npy",
             f"nn-train --resume {t}/m.safetensors.ckpt --epochs 2 --threads 1 -q {t}/cls.npy"]
checks = {
    "commands": run["commands"] == want_cmds,
    "net_file": run["net_file"] == f"{t}/cls.net",
    "device": run["device"] == "cpu" and run["device_name"] == cpu and run["threads"] == 1,
    "dates": t0 <= when(run["started"]) <= when(run["finished"]) <= t1,
    "times": 0 < run["train_seconds"] <= run["wall_seconds"] <= t1 - t0 + 1,
    "samples": run["train_samples"] == 192 and "val_samples" not in run and run["steps"] == 24,
    "commit": run.get("commit", "") == commit,
}
bad = [k for k, v in checks.items() if not v]
if bad:
    print("wrong:", bad, run, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

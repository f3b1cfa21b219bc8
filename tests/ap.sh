#!/usr/bin/env bash
# tests/ap.sh: ap-score against scikit-learn (fixtures made by
# tests/fixtures/make_ap_fixtures.py), a case scored by hand, bad inputs, and
# a facade-sized run (114 x 5 x 256 x 256 scores) timed for the record.
. "$(dirname "$0")/lib.sh"
F=$NN_ROOT/tests/fixtures

# same_tsv GOT EXPECTED: same rows and fields; numbers within 1e-6, "nan" only
# where "nan" is expected, any other field equal as text.
same_tsv() {
	awk -F'\t' -v tol=1e-6 '
	function num(s) { return s ~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ }
	NR == FNR { want[FNR] = $0; nwant = FNR; next }
	{
		ngot = FNR
		if (!(FNR in want)) { print "extra line " FNR ": " $0; bad = 1; next }
		n = split(want[FNR], w, "\t")
		if (n != NF) { print "line " FNR ": " NF " fields, expected " n; bad = 1; next }
		for (i = 1; i <= NF; i++) {
			if (num($i) && num(w[i])) {
				d = $i - w[i]
				if (d > tol || -d > tol) { print "line " FNR " field " i ": " $i ", expected " w[i]; bad = 1 }
			} else if ($i != w[i]) {
				print "line " FNR " field " i ": \"" $i "\", expected \"" w[i] "\""; bad = 1
			}
		}
	}
	END {
		if (ngot != nwant) { print ngot " lines, expected " nwant; bad = 1 }
		exit bad
	}' "$2" "$1"
}

for c in cls cls-big seg seg-logits hand; do
	if ap-score --tsv "$F/$c.npy" >"$T/$c.tsv" && same_tsv "$T/$c.tsv" "$F/$c.tsv" >"$T/why"; then
		pass "ap-$c: AP, accuracy, per-class accuracy and IoU as scikit-learn"
	else
		fail "ap-$c: $(head -3 "$T/why" | tr '\n' ';')"
	fi
	# the confusion columns (pred0...) of the class rows are sklearn's matrix,
	# and the "all" row holds its column sums
	k=$(wc -l <"$F/$c.confusion.tsv")
	if ap-score --tsv --confusion <"$F/$c.npy" >"$T/$c.cm.tsv" &&
		awk -F'\t' -v k="$k" 'NR > 1 && NR <= k + 1' "$T/$c.cm.tsv" | cut -f7- |
		cmp -s - "$F/$c.confusion.tsv" &&
		awk -F'\t' '{ for (i = 1; i <= NF; i++) s[i] += $i } END {
			for (i = 1; i <= NF; i++) printf "%s%d", (i > 1 ? "\t" : ""), s[i]; print "" }' \
			"$F/$c.confusion.tsv" >"$T/colsum" &&
		awk -F'\t' '$1 == "all"' "$T/$c.cm.tsv" | cut -f7- | cmp -s - "$T/colsum" &&
		cut -f1-6 "$T/$c.cm.tsv" | cmp -s - "$T/$c.tsv"; then
		pass "ap-$c-confusion: --confusion --tsv from stdin"
	else
		fail "ap-$c-confusion: confusion columns differ from sklearn's confusion_matrix"
	fi
done

# --labels: scores alone plus a dataset stream that carries y and the names
if ap-score --tsv --labels "$F/cls-labels.npy" "$F/cls-p.npy" >"$T/l.tsv" &&
	same_tsv "$T/l.tsv" "$F/cls.tsv" >"$T/why"; then
	pass "ap-labels: --labels gives y and class names"
else
	fail "ap-labels: $(head -3 "$T/why" | tr '\n' ';')"
fi

# --classes replaces the names and nothing else
if ap-score --tsv --classes=w,x,y,z "$F/cls.npy" | cut -f2 | paste -sd' ' >"$T/names" &&
	[ "$(cat "$T/names")" = "name w x y z mean all" ] &&
	ap-score --tsv --classes w,x,y,z "$F/cls.npy" | cut -f3- | cmp -s - <(cut -f3- "$T/cls.tsv"); then
	pass "ap-classes: --classes renames the classes"
else
	fail "ap-classes: names are '$(cat "$T/names")'"
fi

# Text output of the hand case. Predictions (argmax, first of equal maxima):
# 0 0 1 2 0 1 against 0 1 1 2 2 0. AP: class a, scores .7+ .5- .5- .3- .2+ .1-:
# 1*(1/2) + (2/5)*(1/2) = 0.7; class b, .8+ .6- .5+: 1/2 + (2/3)(1/2) = 0.8333;
# class c, .4+ .4+ .4- tied: (2/3)*1 = 0.6667; mAP 2.2/3.
cat >"$T/hand.want" <<'EOF'
class  n  accuracy      AP
0 a    2    0.5000  0.7000
1 b    2    0.5000  0.8333
2 c    2    0.5000  0.6667

accuracy             0.5000  (3 of 6)
mean class accuracy  0.5000
mAP                  0.7333

confusion matrix (rows: true class, columns: predicted class)
       a  b  c
0 a    1  1  0
1 b    1  1  0
2 c    1  0  1
EOF
if ap-score --confusion "$F/hand.npy" >"$T/hand.txt" && diff "$T/hand.txt" "$T/hand.want" >"$T/why"; then
	pass "ap-hand-text: text table and confusion matrix of a case scored by hand"
else
	fail "ap-hand-text: $(head -5 "$T/why" | tr '\n' ';')"
fi

# Segmentation text: pixel counts, IoU column, n/a for the class without
# pixels, summary lines from the sklearn values of seg.tsv
if ap-score "$F/seg.npy" >"$T/seg.txt" &&
	grep -Eq '^2 pillar +0 +n/a +n/a +0\.0000$' "$T/seg.txt" &&
	grep -Eq '^class +pixels +accuracy +AP +IoU$' "$T/seg.txt" &&
	grep -q '^pixel accuracy       0\.5638  (433 of 768)$' "$T/seg.txt" &&
	grep -q '^mAP                  0\.6485  (over the 4 of 5 classes that have positives)$' "$T/seg.txt" &&
	grep -q '^mean IoU             0\.3228$' "$T/seg.txt"; then
	pass "ap-seg-text: segmentation text output"
else
	fail "ap-seg-text: unexpected output: $(tr '\n' ';' <"$T/seg.txt")"
fi

# a stream without labels: scoring and the files made from the labels are
# refused, naming what to do; --top needs none
nolab='^ap-score: <stdin>: no labels in stream; give them with --labels FILE, or see each sample.s best classes with --top K$'
expect_error ap-no-labels "$nolab" ap-score <"$F/cls-p.npy"
expect_error ap-no-labels-pr "$nolab" ap-score --pr "$T/nl-pr.tsv" <"$F/cls-p.npy"
expect_error ap-no-labels-confusion "$nolab" ap-score --tsv --confusion-tsv "$T/nl-cm.tsv" <"$F/cls-p.npy"
check "ap-no-labels-no-file: nothing written" [ ! -e "$T/nl-pr.tsv" -a ! -e "$T/nl-cm.tsv" ]
# labels in the stream itself are checked against p as the stream is read;
# labels from another file are checked by ap-score
expect_error ap-shape '^ap-score: [^ ]*err-shape\.npy: ' ap-score "$F/err-shape.npy"
expect_error ap-seg-shape '^ap-score: [^ ]*err-seg-shape\.npy: ' ap-score "$F/err-seg-shape.npy"
expect_error ap-labels-shape 'cls-labels\.npy: labels \[300\] do not fit predictions \[6,3\]$' \
	ap-score --labels "$F/cls-labels.npy" "$F/hand.npy"
expect_error ap-labels-seg-shape 'cls-labels\.npy: labels \[300\] do not fit predictions \[4,5,12,16\]$' \
	ap-score --labels "$F/cls-labels.npy" "$F/seg.npy"
expect_error ap-label-range 'err-label\.npy: label 3 out of range 0\.\.2 at sample 2' \
	ap-score "$F/err-label.npy"
expect_error ap-seg-label-range 'err-seg-label\.npy: label 2 out of range 0\.\.1 at sample 0, pixel \(1,2\)' \
	ap-score "$F/err-seg-label.npy"
expect_error ap-nan 'err-nan\.npy: score is NaN at sample 1, class 2' ap-score "$F/err-nan.npy"
expect_error ap-seg-nan 'err-seg-nan\.npy: score is NaN at sample 1, class 2' ap-score "$F/err-seg-nan.npy"
expect_error ap-class-count '^ap-score: --classes: 3 class names, but the predictions have 4 classes$' \
	ap-score --classes a,b,c "$F/cls.npy"
expect_error ap-missing "^ap-score: $T/none\.npy: No such file or directory$" ap-score "$T/none.npy"
ap-score --bogus "$F/cls.npy" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && grep -q "unknown option '--bogus'" "$T/err"; then
	pass "ap-usage: unknown option is a usage error"
else
	fail "ap-usage: exit status $rc"
fi
if ap-score --help | grep -q '^usage: ap-score'; then pass "ap-help"; else fail "ap-help"; fi

# --top without labels and without numpy: the hand case's best two classes
# (of equal scores the lower class first, as argmax)
cat >"$T/top.want" <<'EOF'
sample	rank	class	name	score
0	1	0	a	0.7
0	2	2	c	0.4
1	1	0	a	0.5
1	2	1	b	0.5
EOF
if ap-score --top 2 --tsv "$F/hand.npy" | head -5 | diff - "$T/top.want" >"$T/why"; then
	pass "ap-top-hand: --top 2 --tsv, ties to the lower class"
else
	fail "ap-top-hand: $(head -4 "$T/why" | tr '\n' ';')"
fi
expect_error ap-top-seg 'seg\.npy: --top needs classification scores \[N,K\], not a map per pixel \[4,5,12,16\]$' \
	ap-score --top 2 "$F/seg.npy"
ap-score --top 2 --labels "$F/cls-labels.npy" "$F/cls-p.npy" >/dev/null 2>"$T/err"
rc=$?
check "ap-top-labels: --top with --labels is a usage error ($rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'does not go with --labels' '$T/err'"
ap-score --pr - "$F/hand.npy" >/dev/null 2>&1
check "ap-pr-stdout: --pr - is refused, stdout is the table's" [ $? -eq 2 ]

if ! have_py numpy; then
	skip "ap-pr-sklearn: NOT TESTABLE: numpy is missing for $PY"
	skip "ap-top-numpy: NOT TESTABLE: numpy is missing for $PY"
else
	# --pr against scikit-learn's precision_recall_curve, written out here
	# with numpy (as sklearn 1.1 and later: every threshold, the point of
	# precision 1 and recall 0 last); the AP summed from the file's points
	# must be ap-score's; --confusion-tsv against sklearn's confusion_matrix
	for c in cls cls-big seg seg-logits hand; do
		ap-score --tsv --pr "$T/$c.pr.tsv" --confusion-tsv "$T/$c.cm-file.tsv" "$F/$c.npy" >"$T/$c.ap.tsv"
		ap-score --pr "$T/$c.thin.tsv" --pr-points 20 "$F/$c.npy" >/dev/null
	done
	if "$PY" - "$F" "$T" >"$T/why" 2>&1 <<'EOF'
import sys
import numpy as np
F, T = sys.argv[1:3]

def load(path):
    arrays = []
    with open(path, "rb") as f:
        while True:
            try:
                arrays.append(np.load(f))
            except (EOFError, ValueError):
                return arrays

def sklearn_prc(y_true, y_score):
    # sklearn.metrics._ranking._binary_clf_curve and precision_recall_curve;
    # infinities made finite for the grouping, as sklearn refuses them
    order = np.argsort(y_score, kind="mergesort")[::-1]
    s = y_score[order]
    key = np.nan_to_num(s.astype(np.float64), posinf=1e300, neginf=-1e300)
    y_true = y_true[order]
    idx = np.r_[np.where(np.diff(key))[0], y_true.size - 1]
    tps = np.cumsum(y_true)[idx]
    fps = 1 + idx - tps
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1], np.r_[recall[::-1], 0], s[idx][::-1]

bad = 0
for case in ["cls", "cls-big", "seg", "seg-logits", "hand"]:
    p, y = load("%s/%s.npy" % (F, case))[:2]
    k = p.shape[1]
    rows = [l.rstrip("\n").split("\t") for l in open("%s/%s.pr.tsv" % (T, case))]
    if rows[0] != ["class", "name", "threshold", "precision", "recall", "ap"]:
        print(case, "header", rows[0]); bad = 1
    rows = rows[1:]
    thin_rows = [l.rstrip("\n").split("\t") for l in open("%s/%s.thin.tsv" % (T, case))][1:]
    ap_rows = [l.rstrip("\n").split("\t") for l in open("%s/%s.ap.tsv" % (T, case))][1:k + 1]
    for c in range(k):
        yt = (y == c).ravel().astype(np.int64)
        got = [r for r in rows if r[0] == str(c)]
        if yt.sum() == 0:
            if got:
                print(case, c, "rows for a class without positives"); bad = 1
            continue
        sc = p[:, c].ravel()
        prec, rec, thr = sklearn_prc(yt, sc)
        # the file runs from the highest threshold down: sklearn's order reversed
        g = np.array([[float(r[2]), float(r[3]), float(r[4])] for r in got])
        want_thr = np.r_[np.inf, thr[::-1]].astype(np.float32)
        if len(g) != len(prec) or not np.array_equal(g[:, 0].astype(np.float32), want_thr) \
           or np.abs(g[:, 1] - prec[::-1]).max() > 1e-9 or np.abs(g[:, 2] - rec[::-1]).max() > 1e-9:
            print(case, c, "points differ:", len(g), "rows,", len(prec), "expected"); bad = 1
            continue
        if any(r[1] != ap_rows[c][1] for r in got):
            print(case, c, "class name"); bad = 1
        ap_points = np.sum(np.diff(g[:, 2]) * g[1:, 1])
        if abs(ap_points - float(ap_rows[c][4])) > 1e-8 or any(r[5] != got[0][5] for r in got) \
           or abs(float(got[0][5]) - float(ap_rows[c][4])) > 1e-8:
            print(case, c, "AP from the points", ap_points, "in the file", got[0][5],
                  "ap-score", ap_rows[c][4]); bad = 1
        # --pr-points 20: a subset of the same points, the first and the last
        # kept, each kept point 1/20 or more from the one before
        thin = [r for r in thin_rows if r[0] == str(c)]
        if not thin or not all(r in got for r in thin) or thin[0] != got[0] or thin[-1] != got[-1]:
            print(case, c, "--pr-points: not a subset with both ends"); bad = 1
        else:
            t = np.array([[float(r[3]), float(r[4])] for r in thin])
            step = np.abs(np.diff(t, axis=0)).max(axis=1)[:-1]
            if (step < 1 / 20 - 1e-12).any():
                print(case, c, "--pr-points: points closer than 1/20"); bad = 1
    cm = np.loadtxt("%s/%s.confusion.tsv" % (F, case), dtype=np.int64, ndmin=2)
    lines = [l.rstrip("\n").split("\t") for l in open("%s/%s.cm-file.tsv" % (T, case))]
    if lines[0] != ["class", "name"] + ["pred%d" % c for c in range(k)] or len(lines) != k + 1 \
       or not np.array_equal(np.array([[int(v) for v in l[2:]] for l in lines[1:]]), cm) \
       or [l[1] for l in lines[1:]] != [r[1] for r in ap_rows]:
        print(case, "--confusion-tsv differs from sklearn's matrix"); bad = 1
sys.exit(bad)
EOF
	then
		pass "ap-pr-sklearn: --pr points as precision_recall_curve, their AP as ap-score's, --pr-points a subset, --confusion-tsv as confusion_matrix"
	else
		fail "ap-pr-sklearn: $(head -4 "$T/why" | tr '\n' ';')"
	fi

	# a prediction stream without labels, with class names (what nn-predict
	# writes for ds-load images): --top against numpy's ranking; and a
	# dataset stream without labels given to --labels
	"$PY" - "$T" <<'EOF'
import sys
import numpy as np
T = sys.argv[1]
rng = np.random.default_rng(3)
z = rng.normal(size=(7, 5)) * 2
p = (np.exp(z) / np.exp(z).sum(1, keepdims=True)).astype(np.float32)
names = ["T-shirt/top", "Trouser", "Ankle boot", "Bag", "Coat"]
with open(T + "/nolab.npy", "wb") as f:
    np.save(f, p)
    np.save(f, np.array(names, dtype="S"))
with open(T + "/nolab-x.npy", "wb") as f:
    np.save(f, np.zeros((7, 1, 2, 2), np.uint8))
with open(T + "/top.numpy", "w") as f:
    f.write("sample\trank\tclass\tname\tscore\n")
    for i in range(7):
        for r, c in enumerate(np.argsort(-p[i], kind="stable")[:3]):
            f.write("%d\t%d\t%d\t%s\t%.6g\n" % (i, r + 1, c, names[c], p[i, c]))
with open(T + "/top.text", "w") as f:
    f.write("sample  %-18s  %-18s  top 3\n" % ("top 1", "top 2"))
    for i in range(7):
        best = np.argsort(-p[i], kind="stable")[:3]
        line = "%-6d" % i + "".join("  %.4f %-11s" % (p[i, c], names[c]) for c in best)
        f.write(line.rstrip() + "\n")
EOF
	if ap-score --top 3 --tsv <"$T/nolab.npy" | cmp -s - "$T/top.numpy" &&
		ap-score --top 3 "$T/nolab.npy" | cmp -s - "$T/top.text"; then
		pass "ap-top-numpy: --top 3 of a stream without labels, names from the stream, as numpy ranks them"
	else
		fail "ap-top-numpy: $(ap-score --top 3 "$T/nolab.npy" 2>&1 | diff - "$T/top.text" | head -3 | tr '\n' ';')"
	fi
	# ap-score(1)'s example: softmax does not keep the order of one class's
	# logits across samples, so the AP of class 0 is 1 from the logits
	# (2, 0) of a class-1 sample and (3, 3) of a class-0 sample, 0.5 from
	# their probabilities
	"$PY" - "$T" <<'EOF'
import sys
import numpy as np
z = np.array([[2, 0], [3, 3]], np.float32)
for name, p in [("logits", z), ("probs", np.exp(z) / np.exp(z).sum(1, keepdims=True))]:
    with open("%s/%s.npy" % (sys.argv[1], name), "wb") as f:
        np.save(f, p.astype(np.float32))
        np.save(f, np.array([1, 0], np.uint8))
EOF
	ap_l=$(ap-score --tsv "$T/logits.npy" | awk -F'\t' '$1 == 0 { print $5 + 0 }')
	ap_p=$(ap-score --tsv "$T/probs.npy" | awk -F'\t' '$1 == 0 { print $5 + 0 }')
	check "ap-logits-not-probs: class 0's AP 1 from logits, 0.5 from probabilities ($ap_l, $ap_p)" \
		[ "$ap_l" = 1 -a "$ap_p" = 0.5 ]
	# the whole pipeline on data without labels: x alone (as ds-load images
	# writes) through nn-predict, whose stream then holds p and the model's
	# class names, to ap-score --top 2; against numpy's ranking of the
	# probabilities nn-predict gives for the same images with labels
	"$PY" - "$T" <<'EOF'
import sys
import numpy as np
T = sys.argv[1]
r = np.random.default_rng(5)
x = r.integers(0, 256, (16, 1, 8, 8), dtype=np.uint8)
with open(T + "/small.npy", "wb") as f:
    np.save(f, x)
    np.save(f, r.integers(0, 3, 16).astype(np.uint8))
    np.save(f, np.array([b"Ankle boot", b"Bag", b"Coat"]))
with open(T + "/small-x.npy", "wb") as f:
    np.save(f, x[:5])
EOF
	printf 'input 1 8 8\nflatten\nlinear 3\n' >"$T/small.net"
	if nn-train -q --epochs 1 --batch 8 -o "$T/small.st" "$T/small.net" "$T/small.npy" &&
		nn-predict -q "$T/small.st" <"$T/small.npy" >"$T/small-p.npy" &&
		nn-predict -q "$T/small.st" <"$T/small-x.npy" | ap-score --top 2 --tsv >"$T/small-top.tsv"; then
		"$PY" - "$T" >"$T/small-top.want" <<'EOF'
import sys
import numpy as np
f = open(sys.argv[1] + "/small-p.npy", "rb")
p = np.load(f)
names = ["Ankle boot", "Bag", "Coat"]
print("sample\trank\tclass\tname\tscore")
for i in range(5):
    for r, c in enumerate(np.argsort(-p[i], kind="stable")[:2]):
        print("%d\t%d\t%d\t%s\t%.6g" % (i, r + 1, c, names[c], p[i, c]))
EOF
		if cmp -s "$T/small-top.tsv" "$T/small-top.want"; then
			pass "ap-top-pipeline: images without labels | nn-predict | ap-score --top 2, names from the model"
		else
			fail "ap-top-pipeline: $(diff "$T/small-top.tsv" "$T/small-top.want" | head -3 | tr '\n' ';')"
		fi
	else
		fail "ap-top-pipeline: nn-train, nn-predict or ap-score failed"
	fi
	expect_error ap-no-labels-named "nolab\.npy: no labels in stream; give them with --labels FILE" \
		ap-score "$T/nolab.npy"
	expect_error ap-labels-none 'nolab-x\.npy: no labels in stream; scoring needs the true classes$' \
		ap-score --labels "$T/nolab-x.npy" "$F/cls-p.npy"
fi

# Facade-sized scores, 4096 levels so that a numpy histogram gives the exact
# tie-grouped AP as a reference at this size. Time and peak memory are
# printed for the record, not judged.
if ! have_py numpy; then
	skip "ap-scale: NOT TESTABLE: numpy is missing for $PY"
	exit 0
fi
"$PY" - "$T/big.npy" <<'EOF'
import sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)
N, K, H, W, L = 114, 5, 256, 256, 4096
y = rng.choice(K, size=(N, H, W), p=[0.15, 0.5, 0.05, 0.2, 0.1]).astype(np.uint8)
lv = rng.integers(0, L - 1024, size=(N, K, H, W), dtype=np.int16)
lv += (np.arange(K, dtype=np.int16)[None, :, None, None] == y[:, None]) * np.int16(1024)
with open(out, "wb") as f:
    np.save(f, lv.astype(np.float32) / np.float32(L))
    np.save(f, y)
with open(out + ".want", "w") as f:
    for c in range(K):
        pos = (y == c).ravel()
        lc = lv[:, c].ravel()
        tp = np.bincount(lc[pos], minlength=L)[::-1].cumsum().astype(np.float64)
        fp = np.bincount(lc[~pos], minlength=L)[::-1].cumsum().astype(np.float64)
        keep = np.diff(np.concatenate([[0], tp + fp])) > 0   # levels that occur
        tp, fp = tp[keep], fp[keep]
        ap = np.sum(np.diff(np.concatenate([[0], tp])) * tp / (tp + fp)) / tp[-1]
        f.write("%d\t%.12g\n" % (c, ap))
    f.write("all\t%.12g\n" % (lv.argmax(axis=1) == y).mean())
EOF
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$T/time")
t0=$(date +%s.%N)
if "${timer[@]}" ap-score --tsv "$T/big.npy" >"$T/big.tsv"; then
	t1=$(date +%s.%N)
	awk -F'\t' 'NR > 1 && $1 != "mean" { print $1 "\t" ($1 == "all" ? $4 : $5) }' "$T/big.tsv" >"$T/big.got"
	if same_tsv "$T/big.got" "$T/big.npy.want" >"$T/why"; then
		pass "ap-scale: 114x5x256x256 scores, AP and pixel accuracy as a numpy histogram"
	else
		fail "ap-scale: $(head -3 "$T/why" | tr '\n' ';')"
	fi
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s wall", b - a }')
	[ -s "$T/time" ] && wall="$wall, $(awk -F': ' '/Maximum resident/ { printf "%.0f MiB peak RSS", $2 / 1024 }' "$T/time")"
	echo "ap-scale: $wall"
else
	fail "ap-scale: ap-score failed"
fi

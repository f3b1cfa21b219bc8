#!/usr/bin/env bash
# tests/nn-report.sh: a small report of both parts, from models trained here
# on tiny hand-made data: its files, its escaping of hostile text, its tables
# against ap-score, no reference to the network, and every image loaded in
# headless Chromium (with a broken image as the control that must fail).
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "nn-report: NOT TESTABLE: $PY lacks numpy"
	exit 0
fi

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(2)
def stream(path, *arrays):
    with open(path, "wb") as f:
        for a in arrays:
            np.save(f, a, allow_pickle=False)
stream(f"{t}/cls.npy", rng.integers(0, 256, (48, 1, 8, 8), dtype=np.uint8),
       rng.integers(0, 3, 48).astype(np.uint8), np.array([b"<b>bold</b>", b"a&b", b"q\"uote"]))
stream(f"{t}/seg.npy", rng.integers(0, 256, (6, 3, 8, 8), dtype=np.uint8),
       rng.integers(0, 5, (6, 8, 8)).astype(np.uint8),
       np.array([b"others", b"facade", b"pillar", b"window", b"balcony"]))
EOF
printf '# <script>alert("net")</script>\ninput 1 8 8\nconv 4 3 pad=1\nrelu\nflatten\nlinear 3\n' >"$T/cls.net"
printf 'input 3 8 8\nconv 4 3 pad=1\nrelu\nconv 5 1\n' >"$T/seg.net"
for p in cls seg; do
	nn-train "$T/$p.net" --epochs 2 --batch 16 --log-every 1 --val "$T/$p.npy" --log "$T/$p.tsv" \
		-o "$T/$p.safetensors" -q "$T/$p.npy" 2>"$T/train.err" && nn-predict -q "$T/$p.safetensors" "$T/$p.npy" >"$T/$p-pred.npy"
	check "report-inputs-$p: nn-train and nn-predict" [ $? -eq 0 ]
done

R=$T/rep
nn-report -o "$R" --title '<script>x</script> & "report"' -k 2 \
	--cls-model "$T/cls.safetensors" --cls-log "$T/cls.tsv" --cls-val "$T/cls-pred.npy" \
	--cls-val-data "$T/cls.npy" --cls-test "$T/cls-pred.npy" --cls-data "$T/cls.npy" \
	--seg-model "$T/seg.safetensors" --seg-log "$T/seg.tsv" --seg-test "$T/seg-pred.npy" \
	--seg-data "$T/seg.npy" --seg-index 5,1 2>"$T/err"
check "report-runs" [ $? -eq 0 ]
want="cls-curves.png cls-filters.png cls-test-examples.png cls-val-examples.png index.html
seg-curves.png seg-filters.png seg-triplet-1.png seg-triplet-5.png"
check "report-files: index.html and its eight pictures" [ "$(ls "$R" | tr '\n' ' ')" = "$(echo $want) " ]

# text from the title, the class names and the .net comment arrives escaped
H=$R/index.html
if ! grep -qi '<script' "$H" && grep -qF '<h1>&lt;script&gt;x&lt;/script&gt; &amp; &quot;report&quot;</h1>' "$H" &&
	grep -qF '<td>&lt;b&gt;bold&lt;/b&gt;</td>' "$H" && grep -qF '<td>q&quot;uote</td>' "$H" &&
	grep -qF '# &lt;script&gt;alert(&quot;net&quot;)&lt;/script&gt;' "$H"; then
	pass "report-escaped: title, class names and network text escaped"
else
	fail "report-escaped: $(grep -i -m1 -e 'script' -e 'bold' "$H")"
fi
if grep -Eqi '(src|href)="?[a-z]*:?//|<link|@import|url\(' "$H"; then
	fail "report-offline: $(grep -Eio -m1 '(src|href)="?[a-z]*:?//[^"]*|<link|@import|url\(' "$H")"
else
	pass "report-offline: nothing referenced outside the folder"
fi

# the tables hold ap-score's values, to 3 decimals
ap-score --tsv "$T/cls-pred.npy" >"$T/cls.ap" && ap-score --tsv "$T/seg-pred.npy" >"$T/seg.ap"
"$PY" - "$H" "$T/cls.ap" "$T/seg.ap" <<'EOF'
import html.parser, sys
class Tables(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.cell = [], None
    def handle_starttag(self, tag, attrs):
        if tag == "table": self.tables.append([])
        elif tag == "tr": self.tables[-1].append([])
        elif tag in ("td", "th"): self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self.cell)
            self.cell = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = Tables()
p.feed(open(sys.argv[1]).read())
tsv = lambda path: [l.split("\t") for l in open(path).read().splitlines()[1:]]
fmt = lambda v: "n/a" if v == "nan" else "%.3f" % float(v)
cls, seg = tsv(sys.argv[2]), tsv(sys.argv[3])
# tables: cls hyperparameters, cls accuracy, seg hyperparameters, seg AP
acc, ap = p.tables[1], p.tables[3]
want_acc = [["class", "name", "validation", "test"]] + \
    [[r[0], r[1], fmt(r[3]), fmt(r[3])] for r in cls[:-2]] + \
    [["", "mean of classes", fmt(cls[-2][3]), fmt(cls[-2][3])], ["", "accuracy", fmt(cls[-1][3]), fmt(cls[-1][3])]]
want_ap = [["class", "name", "pixels", "AP", "IoU", "accuracy"]] + \
    [[r[0], r[1], r[2], fmt(r[4]), fmt(r[5]), fmt(r[3])] for r in seg[:-2]] + \
    [["", "mean", "", fmt(seg[-2][4]), fmt(seg[-2][5]), fmt(seg[-2][3])]]
print("PASS: report-accuracy-table: per-class accuracy as ap-score" if acc == want_acc
      else f"FAIL: report-accuracy-table: {acc} != {want_acc}")
print("PASS: report-ap-table: per-class AP and IoU as ap-score" if ap == want_ap
      else f"FAIL: report-ap-table: {ap} != {want_ap}")
cfg = dict(r for r in p.tables[0] if len(r) == 2)
print("PASS: report-hyperparameters: the training configuration" if cfg.get("epochs") == "2 (6 steps)" and cfg.get("batch") == "16 images"
      else f"FAIL: report-hyperparameters: {cfg}")
EOF

# one part alone
nn-report -o "$T/seg-only" --seg-test "$T/seg-pred.npy" 2>/dev/null
if [ $? -eq 0 ] && grep -q '<h2>Segmentation</h2>' "$T/seg-only/index.html" &&
	! grep -q 'Classification' "$T/seg-only/index.html" && [ "$(ls "$T/seg-only")" = index.html ]; then
	pass "report-one-part: --seg-test alone gives the AP table only"
else
	fail "report-one-part: $(ls "$T/seg-only" 2>&1 | tr '\n' ' ')"
fi
expect_error "report-bad-model" 'nothere.safetensors: ' nn-report -o "$T/bad" --cls-model "$T/nothere.safetensors"
check "report-bad-model-no-page: no index.html after a failure" [ ! -e "$T/bad/index.html" ]
nn-report -o "$T/bad" >/dev/null 2>&1
check "report-nothing: usage error without inputs" [ $? -eq 2 ]

# ap-score's columns are found by the names in its header: a report made
# through an ap-score whose columns come in another order is the same page;
# one that lacks a column is a clear error. nn-report runs the ap-score
# beside itself, so a copy of it sits beside each stand-in.
for v in reversed noap; do
	mkdir -p "$T/$v" && cp "$(command -v nn-report)" "$T/$v/nn-report"
done
cat >"$T/reversed/ap-score" <<EOF
#!/bin/sh
"$NN_ROOT/bin/ap-score" "\$@" | awk -F '\t' '{ for (i = NF; i > 1; i--) printf "%s\t", \$i; print \$1 }'
EOF
cat >"$T/noap/ap-score" <<EOF
#!/bin/sh
"$NN_ROOT/bin/ap-score" "\$@" | cut -f1-4,6-
EOF
chmod +x "$T/reversed/ap-score" "$T/noap/ap-score"
"$T/reversed/ap-score" --tsv "$T/cls-pred.npy" | head -1 >"$T/reversed.head"
check "report-columns-control: the stand-in reverses the columns" \
	[ "$(cut -f1 "$T/reversed.head")" = iou ]
nn-report -o "$T/plain" --cls-test "$T/cls-pred.npy" --seg-test "$T/seg-pred.npy" 2>/dev/null &&
	"$T/reversed/nn-report" -o "$T/rev" --cls-test "$T/cls-pred.npy" --seg-test "$T/seg-pred.npy" 2>/dev/null
check "report-columns-by-name: the same page from columns in reverse order" \
	cmp -s "$T/plain/index.html" "$T/rev/index.html"
expect_error "report-column-missing" "cls-pred\.npy: ap-score --tsv wrote no column 'ap'\$" \
	"$T/noap/nn-report" -o "$T/noap-out" --cls-test "$T/cls-pred.npy"

# every image loads in a browser: a script added to a copy of the page
# records how many images there are and which did not load
if ! command -v chromium >/dev/null; then
	skip "report-browser: NOT TESTABLE: chromium is not installed"
	exit 0
fi
probe='<script>window.addEventListener("load", function () {
	var all = Array.from(document.images), bad = all.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
	var p = document.createElement("p");
	p.id = "probe";
	p.textContent = "IMAGES " + all.length + " BROKEN " + bad.length;
	document.body.appendChild(p);
});</script>'
browse() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
		--virtual-time-budget=10000 --dump-dom "file://$1" 2>/dev/null | grep -o 'IMAGES [0-9]* BROKEN [0-9]*'
}
sed "s|</body>|$(echo "$probe" | tr '\n' ' ' | sed 's/[&|]/\\&/g')</body>|" "$H" >"$R/probe.html"
got=$(browse "$R/probe.html")
check "report-browser: all 8 images load in Chromium ($got)" [ "$got" = "IMAGES 8 BROKEN 0" ]
sed 's|src="cls-filters.png"|src="missing.png"|' "$R/probe.html" >"$R/probe-broken.html"
got=$(browse "$R/probe-broken.html")
check "report-browser-control: a missing image is seen ($got)" [ "$got" = "IMAGES 8 BROKEN 1" ]

#!/usr/bin/env bash
# tests/nn-report.sh: a small report of both parts, from models trained here
# on tiny hand-made data: its files, its pictures against the tools run by
# hand (confusion matrices, PR curves, the legend, triplets, filters), their
# sizes and captions, its escaping of hostile text, its tables against
# ap-score, no reference to the network, and every image loaded in headless
# Chromium (with a broken image as the control that must fail).
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
from npstream import write_stream as stream
stream(f"{t}/cls.npy", rng.integers(0, 256, (48, 1, 8, 8), dtype=np.uint8),
       rng.integers(0, 3, 48).astype(np.uint8), np.array([b"<b>bold</b>", b"a&b", b"'q\"u''ote"]))
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
want="cls-confusion.png cls-confusion.tsv cls-curves.png cls-filters.png cls-pr.png cls-pr.tsv
cls-test-examples.png cls-val-examples.png index.html seg-confusion.png seg-confusion.tsv seg-curves.png
seg-filters.png seg-legend.png seg-pr.png seg-pr.tsv seg-triplet-1.png seg-triplet-5.png"
check "report-files: index.html, its thirteen pictures and ap-score's four files" \
	[ "$(ls "$R" | tr '\n' ' ')" = "$(echo $want) " ]

# the pictures are those the tools draw when run by hand as their pages say
# (byte for byte), and the ones the page shows are valid PNGs of the sizes
# the tools document, under the captions that say what they show
H=$R/index.html
P=$T/by-hand
mkdir -p "$P"
ap-score --tsv --pr "$P/cls-pr.tsv" --pr-points 1000 --confusion-tsv "$P/cls-confusion.tsv" "$T/cls-pred.npy" >/dev/null &&
	ap-score --tsv --pr "$P/seg-pr.tsv" --pr-points 1000 --confusion-tsv "$P/seg-confusion.tsv" "$T/seg-pred.npy" \
		>/dev/null &&
	curve-plot --pr -o "$P/cls-pr.png" --title 'Classification: the test set' "$P/cls-pr.tsv" &&
	curve-plot --confusion -o "$P/cls-confusion.png" --title 'Classification: the test set' "$P/cls-confusion.tsv" &&
	curve-plot --pr -o "$P/seg-pr.png" --title 'Segmentation: the test set, per pixel' "$P/seg-pr.tsv" &&
	curve-plot --confusion -o "$P/seg-confusion.png" --title 'Segmentation: the test set, per pixel' \
		"$P/seg-confusion.tsv" &&
	seg-colour --pred "$T/seg-pred.npy" --legend-only -o "$P/seg-legend.png" &&
	seg-colour --data "$T/seg.npy" --pred "$T/seg-pred.npy" --triplet --index 1,5 -o "$P/seg-triplet-%d.png" &&
	filters-dump -o "$P/cls-filters.png" "$T/cls.safetensors" 2>/dev/null &&
	filters-dump -o "$P/seg-filters.png" "$T/seg.safetensors" 2>/dev/null
check "report-pictures-by-hand: the tools run as documented" [ $? -eq 0 ]
for f in cls-pr.tsv cls-confusion.tsv seg-pr.tsv seg-confusion.tsv cls-pr.png cls-confusion.png seg-pr.png \
	seg-confusion.png seg-legend.png seg-triplet-1.png seg-triplet-5.png cls-filters.png seg-filters.png; do
	check "report-same-as-by-hand-$f" cmp -s "$R/$f" "$P/$f"
done
"$PY" - "$H" "$R" <<'EOF'
import html.parser, struct, sys
page, r = sys.argv[1], sys.argv[2]
class Figures(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.figs, self.cap = [], None
    def handle_starttag(self, tag, attrs):
        if tag == "img": self.figs.append([dict(attrs)["src"], ""])
        elif tag == "figcaption": self.cap = ""
    def handle_endtag(self, tag):
        if tag == "figcaption":
            self.figs[-1][1], self.cap = self.cap, None
    def handle_data(self, d):
        if self.cap is not None: self.cap += d
p = Figures()
p.feed(open(page).read())
figs = dict(p.figs)
def png_size(path):
    head = open(path, "rb").read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG")
    return struct.unpack(">II", head[16:24])
# sizes: curve-plot(1)'s defaults for --pr and --confusion; seg-colour(1)'s
# legend of the five facade classes alone; a triplet of 8-pixel images at
# the default scale, 32: three parts of 256, 4 apart, under 22 of titles
want = {
    "cls-confusion.png": ((640, 560), "confusion matrix of the test images: a row per true class, a column per "
                          "predicted class, the count in each cell, shaded by its share of the row's true class"),
    "cls-pr.png": ((760, 480), "precision against recall for each class over the test images, ranked by the "
                   "class's score; the average precision of each in the legend"),
    "seg-confusion.png": ((640, 560), "confusion matrix of the test pixels: a row per true class, a column per "
                          "predicted class, the count in each cell, shaded by its share of the row's true class"),
    "seg-pr.png": ((760, 480), "precision against recall for each class over the test pixels, ranked by the "
                   "class's score; the average precision of each in the legend"),
    "seg-legend.png": ((524, 22), "the colours of the classes in the outputs and ground truths below"),
    "seg-triplet-5.png": ((3 * 256 + 2 * 4, 22 + 256), "test image 5"),
    "seg-triplet-1.png": ((3 * 256 + 2 * 4, 22 + 256), "test image 1"),
    "cls-filters.png": (None, "filters of the first convolution, numbered from 0, on one scale for the whole layer: "
                        "blue negative, white 0, red positive; the colour bar gives the weights at its ends"),
    "seg-filters.png": (None, "filters of the first convolution, numbered from 0: each an RGB tile (input channels "
                        "red, green, blue), mid-grey at 0, on one scale for the whole layer; the colour bar shows "
                        "one channel's level and the weights at its ends"),
}
for src, (size, caption) in want.items():
    try:
        got = png_size(f"{r}/{src}")
        why = ("not shown" if src not in figs else f"caption '{figs[src]}'" if figs[src] != caption
               else f"{got[0]}x{got[1]}, expected {size[0]}x{size[1]}" if size and got != size else "")
    except (OSError, ValueError) as e:
        why = str(e)
    print(f"FAIL: report-figure-{src}: {why}" if why else f"PASS: report-figure-{src}: shown, its caption, {got[0]}x{got[1]}")
srcs = [s for s, _ in p.figs]
order = ["cls-filters.png", "cls-confusion.png", "cls-pr.png", "cls-val-examples.png", "seg-filters.png",
         "seg-confusion.png", "seg-pr.png", "seg-legend.png", "seg-triplet-5.png"]
ok = all(s in srcs for s in order) and [srcs.index(s) for s in order] == sorted(srcs.index(s) for s in order)
print("PASS: report-figure-order: heat map and curves after the scores, the legend above the triplets" if ok
      else f"FAIL: report-figure-order: {srcs}")
EOF
# the segmentation curves at most about 2 x 1000 points a class
n=$(awk -F '\t' 'NR > 1 { n[$1]++ } END { m = 0; for (c in n) if (n[c] > m) m = n[c]; print m }' "$R/seg-pr.tsv")
check "report-seg-pr-points: at most 2001 points a class ($n)" [ "$n" -gt 0 -a "$n" -le 2001 ]

# text from the title, the class names and the .net comment arrives escaped
# (a class name that begins with a quote reaches gnuplot too, through curve-plot)
if ! grep -qi '<script' "$H" && grep -qF '<h1>&lt;script&gt;x&lt;/script&gt; &amp; &quot;report&quot;</h1>' "$H" &&
	grep -qF '<td>&lt;b&gt;bold&lt;/b&gt;</td>' "$H" && grep -qF '<td>&#39;q&quot;u&#39;&#39;ote</td>' "$H" &&
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
	! grep -q 'Classification' "$T/seg-only/index.html" &&
	[ "$(ls "$T/seg-only" | tr '\n' ' ')" = "index.html seg-confusion.png seg-confusion.tsv seg-pr.png seg-pr.tsv " ]; then
	pass "report-one-part: --seg-test alone gives the AP table, the heat map and the curves only"
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
check "report-browser: all 13 images load in Chromium ($got)" [ "$got" = "IMAGES 13 BROKEN 0" ]
sed 's|src="cls-filters.png"|src="missing.png"|' "$R/probe.html" >"$R/probe-broken.html"
got=$(browse "$R/probe-broken.html")
check "report-browser-control: a missing image is seen ($got)" [ "$got" = "IMAGES 13 BROKEN 1" ]

#!/usr/bin/env bash
# tests/nn-report-facts.sh: what nn-report says of a run: the network trained
# (file, input size, parameters counted by python), the hyperparameters in
# words (no internal keys), the write-up's figures in a table of their own
# with the right word on whether its network is the one trained here, and
# "How this was made" against what the test knows of the run; the page read
# back by headless Chromium.
. "$(dirname "$0")/lib.sh"
export OMP_WAIT_POLICY=passive
if ! have_py numpy; then
	skip "nn-report-facts: NOT TESTABLE: $PY lacks numpy"
	exit 0
fi

"$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(4)
from npstream import write_stream as stream
stream(f"{t}/cls.npy", rng.integers(0, 256, (40, 1, 8, 8), dtype=np.uint8), rng.integers(0, 3, 40).astype(np.uint8),
       np.array([b"a", b"b", b"c"]))
stream(f"{t}/cls-val.npy", rng.integers(0, 256, (12, 1, 8, 8), dtype=np.uint8), rng.integers(0, 3, 12).astype(np.uint8),
       np.array([b"a", b"b", b"c"]))
stream(f"{t}/seg.npy", rng.integers(0, 256, (6, 3, 8, 8), dtype=np.uint8), rng.integers(0, 5, (6, 8, 8)).astype(np.uint8),
       np.array([b"others", b"facade", b"pillar", b"window", b"balcony"]))
EOF
printf '# a classifier\ninput 1 8 8\nconv 4 3 pad=1\nrelu\nflatten\nlinear 3\n' >"$T/cls.net"
# the same layers, spaced and commented otherwise
printf '# the write-up'"'"'s classifier\n#   in two lines\ninput 1 8 8   # 8x8\nconv  4 3  pad=1\n\nrelu\nflatten\nlinear 3 # out\n' >"$T/same.net"
printf '# bigger\ninput 1 16 16\nconv 4 3 pad=1\nrelu\nflatten\nlinear 3\n' >"$T/other-size.net"
printf 'input 3 8 8\nconv 4 3 pad=1\nrelu\nconv 5 1\n' >"$T/seg.net"
printf '# six <layers>\ninput 3 256 256\nconv 64 5 pad=2\nrelu\nconv 5 3 pad=1\n' >"$T/writeup-seg.net"
printf 'DATA=/x examples/facade.sh  # <b>&\n' >"$T/commands.sh"

t_before=$(date -u +%s)
nn-train "$T/cls.net" --epochs 2 --batch 16 --opt sgd --lr 0.05 --momentum 0.9 --nesterov --sched cosine \
	--augment flip,shift=2,erase=0.5 --log-every 2 --val-every 4 --val "$T/cls-val.npy" --keep-best --early-stop 5 --threads 1 \
	--log "$T/cls.tsv" -o "$T/cls.safetensors" -q "$T/cls.npy" &&
	nn-predict -q "$T/cls.safetensors" "$T/cls-val.npy" >"$T/cls-pred.npy" &&
	nn-train "$T/seg.net" --epochs 1 --batch 3 --class-weights 1,2,1,1,1 --wd 1e-4 --threads 1 \
		-o "$T/seg.safetensors" -q "$T/seg.npy" &&
	nn-predict -q "$T/seg.safetensors" "$T/seg.npy" >"$T/seg-pred.npy"
check "facts-inputs: nn-train and nn-predict" [ $? -eq 0 ]
t_after=$(date -u +%s)

R=$T/rep
report() {
	nn-report -o "$R" --cls-model "$T/cls.safetensors" --cls-test "$T/cls-pred.npy" \
		--cls-writeup 0.5,0.25,1 --cls-writeup-net "$1" --cls-commands "$T/commands.sh" \
		--seg-model "$T/seg.safetensors" --seg-test "$T/seg-pred.npy" \
		--seg-writeup 0.696,0.781,0.255,0.862,0.620 --seg-writeup-net "$T/writeup-seg.net" 2>"$T/err"
}
report "$T/same.net"
check "facts-report-runs" [ $? -eq 0 ]
commit=
if [ -e "$NN_ROOT/.git" ] && command -v git >/dev/null; then
	commit=$(git -C "$NN_ROOT" describe --always --dirty 2>/dev/null)
fi
"$PY" - "$R/index.html" "$T" "$t_before" "$t_after" "$commit" <<'EOF'
import datetime, html, html.parser, json, re, struct, sys
page, t, t0, t1, commit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
text = open(page).read()
class Tables(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.cell, self.heads, self.h = [], None, [], None
    def handle_starttag(self, tag, attrs):
        if tag == "table": self.tables.append((self.heads[-1] if self.heads else "", []))
        elif tag == "tr": self.tables[-1][1].append([])
        elif tag in ("td", "th"): self.cell = ""
        elif tag in ("h2", "h3"): self.h = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][1][-1].append(self.cell)
            self.cell = None
        elif tag in ("h2", "h3"):
            self.heads.append(self.h)
            self.h = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
        if self.h is not None: self.h += d
p = Tables()
p.feed(text)
def result(name, ok, why=""):
    print(f"PASS: {name}" if ok else f"FAIL: {name}: {why}")

def meta(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    head = json.loads(blob[8:8 + n])
    params = sum(eval("*".join(map(str, v["shape"])) or "1") for k, v in head.items()
                 if k != "__metadata__" and (k.endswith(".weight") or k.endswith(".bias")))
    return head["__metadata__"], params

# the network trained, named with its input size and its parameters
for part, net, size in (("cls", "cls.net", "1×8×8"), ("seg", "seg.net", "3×8×8")):
    m, params = meta(f"{t}/{part}.safetensors")
    want = f"Trained here: <code>{net}</code>, input {size}, {params} parameters.".replace("×", "&times;")
    result(f"facts-network-named-{part}", want in text, want)

# hyperparameters in words: no internal key, and what was asked for
hyper = [dict(r for r in rows if len(r) == 2) for h, rows in p.tables if h == "Hyperparameters"]
internal = {"nesterov", "class_weights", "checkpoint_every", "val_every", "log_every", "momentum", "beta1",
            "train_fingerprint", "train_samples", "keep_best", "early_stop", "opt", "lr", "wd", "sched"}
cls_h, seg_h = hyper
result("facts-hyperparameters-no-internal-keys", not (internal & (set(cls_h) | set(seg_h))), set(cls_h) | set(seg_h))
best_step = [l.split("\t")[0] for l in open(f"{t}/cls.tsv") if "\tbest\t" in l][-1]
best = [l.split("\t")[4] for l in open(f"{t}/cls.tsv") if "\tbest\t" in l][-1]
want_cls = {
    "optimiser": "SGD with Nesterov momentum 0.9",
    "learning rate": "0.05, cosine decay to 0",
    "weight decay": "none",
    "batch": "16 images",
    "epochs": "2 (6 steps)",
    "augmentation": "random horizontal flips; random shifts of up to 2 pixels in x and in y, the border "
                    "repeated; random erasing with probability 0.5 (a rectangle of 0.02 to 0.33 of the image, "
                    "aspect 0.3 to 3.3, set to the channel mean)",
    "input normalisation": "per channel, by the mean and standard deviation of the training pixels",
    "seed": "1",
    "measured": "every 2 steps and at the end of each epoch; validated every 4 steps and at the end",
    "model kept": f"the one of the best validation accuracy: step {best_step}, {float(best):.4f} (--keep-best)",
    "early stopping": "after 5 validations without a better score (--early-stop 5)",
}
result("facts-hyperparameters-cls-in-words", cls_h == want_cls, f"{cls_h} != {want_cls}")
want_seg = {
    "optimiser": "Adam (betas 0.9, 0.999; epsilon 1e-08)",
    "learning rate": "0.001, constant",
    "weight decay": "0.0001",
    "batch": "3 images",
    "epochs": "1 (2 steps)",
    "augmentation": "none",
    "class weights in the loss": "1,2,1,1,1",
    "input normalisation": "per channel, by the mean and standard deviation of the training pixels",
    "seed": "1",
    "measured": "every 100 steps and at the end of each epoch, validated each time",
    "model kept": "the last step's",
}
result("facts-hyperparameters-seg-in-words", seg_h == want_seg, f"{seg_h} != {want_seg}")

# the write-up's figures: a table of their own, the mean computed here,
# never a column of this run's tables
wu = [rows for h, rows in p.tables if h.startswith("The write-up")]
want_cls_wu = [["class", "name", "the write-up's test accuracy"], ["0", "a", "0.500"], ["1", "b", "0.250"],
               ["2", "c", "1.000"], ["", "mean", "%.3f" % ((0.5 + 0.25 + 1) / 3)]]
aps = [0.696, 0.781, 0.255, 0.862, 0.620]
want_seg_wu = [["class", "name", "the write-up's average precision"]] + \
    [[str(i), n, "%.3f" % a] for i, (n, a) in enumerate(zip(["others", "facade", "pillar", "window", "balcony"], aps))] + \
    [["", "mean", "%.3f" % (sum(aps) / 5)]]
result("facts-writeup-tables", wu == [want_cls_wu, want_seg_wu], wu)
others = [rows for h, rows in p.tables if not h.startswith("The write-up")]
result("facts-writeup-not-beside-this-run", not any("write-up" in c for rows in others for r in rows for c in r))
result("facts-writeup-same-network", "This run trained the same network at the same input size." in text)
result("facts-writeup-seg-other-network",
       "<code>writeup-seg.net</code> at 3&times;256&times;256 (six &lt;layers&gt;)" in text and
       "<strong>a different network</strong>, so these are not scores of the model trained here." in text)

# how this was made
how = {h: dict((r[0], r[1]) for r in rows if len(r) == 2) for h, rows in p.tables if h in ("Classification", "Segmentation")}
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
c, s = how.get("Classification", {}), how.get("Segmentation", {})
m, _ = meta(f"{t}/cls.safetensors")
run = json.loads(m["run"])
def when(x):
    return datetime.datetime.strptime(x, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
dates = c.get("date (UTC)", "").split(" to ")
checks = {
    "commands": c.get("commands") == "DATA=/x examples/facade.sh  # <b>&\n" and
                "<pre>DATA=/x examples/facade.sh  # &lt;b&gt;&amp;\n</pre>" in text,
    "training": c.get("training") == run["commands"][0] + "\n" and run["commands"][0].startswith(f"nn-train {t}/cls.net --epochs 2"),
    "device": c.get("device") == f"CPU: {cpu}, 1 thread" and s.get("device") == f"CPU: {cpu}, 1 thread",
    "dates": len(dates) == 2 and t0 <= when(dates[0]) <= when(dates[1]) <= t1,
    "commit": c.get("source (git describe)") == (commit or "not a git checkout"),
    "time": re.fullmatch(r"[0-9.]+ s training, [0-9.]+ s for nn-train in all \(data loading included\); 6 steps", c.get("time", "")) is not None,
    "data": c.get("data") == "40 training, 12 validation, 12 test images" and s.get("data") == "6 training, 6 test images",
}
bad = [k for k, v in checks.items() if not v]
result("facts-how-made", not bad, f"{bad}: {c} {s}")
EOF

# the sentence follows the network given as the write-up's
report "$T/other-size.net"
check "facts-writeup-same-layers-other-size" grep -qF '<strong>the same layers at another input size</strong>' "$R/index.html"
report "$T/writeup-seg.net"
check "facts-writeup-different-network" grep -q '<code>writeup-seg.net</code>.*This run trained <code>cls.net</code>, input 1&times;8&times;8, [0-9]* parameters: <strong>a different network</strong>' "$R/index.html"

# a model without the run metadata says so
"$PY" - "$T/cls.safetensors" "$T/old.safetensors" <<'EOF'
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
head = json.loads(blob[8:8 + n])
del head["__metadata__"]["run"]
h = json.dumps(head).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(h)) + h + blob[8 + n:])
EOF
nn-report -o "$T/old" --cls-model "$T/old.safetensors" 2>/dev/null
check "facts-old-model: says the run was not recorded" \
	grep -qF '<tr><th>run</th><td>not recorded in this model (made before nn-train kept it)</td></tr>' "$T/old/index.html"

expect_usage() {
	local name=$1; shift
	"$@" >/dev/null 2>"$T/err"
	if [ $? -eq 2 ]; then pass "$name"; else fail "$name: $(head -c 200 "$T/err")"; fi
}
expect_usage "facts-writeup-net-alone" nn-report -o "$T/x" --cls-test "$T/cls-pred.npy" --cls-writeup-net "$T/same.net"
expect_error "facts-writeup-count" "3 numbers for 5 classes" \
	nn-report -o "$T/x" --seg-test "$T/seg-pred.npy" --seg-writeup 0.1,0.2,0.3

# the page as a browser reads it: the section and its tables are in the DOM
if ! command -v chromium >/dev/null; then
	skip "facts-browser: NOT TESTABLE: chromium is not installed"
	exit 0
fi
report "$T/same.net"
dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" --dump-dom \
	"file://$R/index.html" 2>/dev/null)
n=$(printf '%s' "$dom" | grep -c '<h3>Classification</h3>\|<h3>Segmentation</h3>\|<h2>How this was made</h2>')
check "facts-browser: Chromium reads the How this was made section ($n of 3 headings)" [ "$n" -eq 3 ]

#!/usr/bin/env bash
# tests/messages.sh: a file of the wrong kind (operands swapped, a model where
# a stream belongs, a compressed or PyTorch file) is named for what it is,
# and the order of the operands is said where it is the likely mistake;
# nn-train checks its inputs before it prints the layer table.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
if ! have_py numpy; then
	skip "messages: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
"$PY" - <<'PYEOF'
import numpy as np, npstream
rng = np.random.default_rng(1)
npstream.write_stream("d.npy", rng.integers(0, 256, (16, 1, 6, 6), dtype=np.uint8), np.arange(16, dtype=np.int32) % 2)
npstream.write_stream("x.npy", rng.integers(0, 256, (4, 1, 6, 6), dtype=np.uint8))
PYEOF
printf 'input 1 6 6\nflatten\nlinear 2\n' >d.net
nn-train -q --epochs 1 --batch 8 -o m.st d.net d.npy 2>err || fail "messages: nn-train: $(cat err)"
nn-predict -q m.st d.npy >p.npy 2>err || fail "messages: nn-predict: $(cat err)"
gzip -c d.npy >d.npy.gz
printf 'PK\003\004 a zip archive as torch.save writes' >m.pt
printf '\211PNG\r\n\032\n a picture' >a.png
printf 'step\tepoch\tsplit\tloss\n1\t0\ttrain\t0.5\n' >log.tsv

STREAM="an NPY tensor stream \\(a dataset or prediction stream\\)"
MODEL="a safetensors file \\(a model or checkpoint\\)"
# NAME PATTERN COMMAND...: one line on stderr, exit 1, naming what the file is
while IFS='|' read -r name pat cmd; do
	[ -z "$name" ] && continue
	# shellcheck disable=SC2086
	eval "expect_error \"messages: $name\" \"$pat\" $cmd"
	check "messages: $name: one line" [ "$(wc -l <"$T/err")" -eq 1 ]
done <<EOF2
nn-predict DATA MODEL swapped|^nn-predict: d.npy: $STREAM, not a model: MODEL comes first \\(nn-predict \\[options\\] MODEL \\[DATA\\]\\)\$|nn-predict d.npy m.st
nn-predict DATA MODEL swapped, data from stdin|^nn-predict: d.npy: $STREAM, not a model: MODEL comes first|nn-predict d.npy <m.st
nn-predict a prediction stream as the model|^nn-predict: p.npy: $STREAM, not a model: MODEL comes first|nn-predict p.npy d.npy
nn-predict a .net as the model|^nn-predict: d.net: a network description \\(.net text\\), not a model|nn-predict d.net d.npy
nn-predict a PyTorch file as the model|^nn-predict: m.pt: a zip archive \\(a PyTorch .pt file\\? nnpipe models are safetensors\\), not a model|nn-predict m.pt d.npy
nn-predict a model as the data|^nn-predict: m.st: $MODEL, not an NPY tensor stream\$|nn-predict m.st m.st
nn-predict a gzip stream as the data|^nn-predict: <stdin>: gzip-compressed data \\(gunzip it first\\), not an NPY tensor stream|nn-predict m.st <d.npy.gz
nn-train TRAIN NET swapped|^nn-train: d.npy: $STREAM, not a network description: NET.net comes first \\(nn-train \\[options\\] NET.net \\[TRAIN\\]\\)|nn-train -o o.st d.npy d.net
nn-train a model as the description|^nn-train: m.st: $MODEL, not a network description: continue a checkpoint with --resume CHECKPOINT|nn-train -o o.st m.st d.npy
nn-train a model as the training data|^nn-train: m.st: $MODEL, not an NPY tensor stream|nn-train -o o.st d.net m.st
nn-train a stream to resume|^nn-train: d.npy: $STREAM, not a model|nn-train -o o.st --resume d.npy d.npy
nn-train a model as --val|^nn-train: m.st: $MODEL, not an NPY tensor stream|nn-train -o o.st --val m.st d.net d.npy
ap-score a model|^ap-score: m.st: $MODEL, not an NPY tensor stream|ap-score m.st
ap-score a .net|^ap-score: d.net: a network description \\(.net text\\), not an NPY tensor stream|ap-score d.net
ap-score a picture|^ap-score: a.png: a PNG image, not an NPY tensor stream|ap-score a.png
ds-split --info a model|^ds-split: m.st: $MODEL, not an NPY tensor stream|ds-split --info m.st
sample-grid a model as the predictions|^sample-grid: m.st: $MODEL, not an NPY tensor stream|sample-grid --data d.npy --pred m.st -o g.png
seg-colour a log as the predictions|^seg-colour: log.tsv: a metrics log \\(nn-train --log\\), not an NPY tensor stream|seg-colour --pred log.tsv -o sc/
filters-dump a stream|^filters-dump: d.npy: $STREAM, not a model|filters-dump -o f.png d.npy
curve-plot a stream|^curve-plot: d.npy: $STREAM, not a metrics log|curve-plot --term dumb d.npy
curve-plot --pr a model|^curve-plot: m.st: $MODEL, not|curve-plot --pr --term dumb m.st
ds-load images a stream|^ds-load: d.npy: $STREAM, not a PNG or JPEG image|ds-load images d.npy
ds-load idx a stream, gzipped|^ds-load: d.npy.gz: $STREAM, not an IDX file|ds-load idx d.npy.gz
EOF2

# the checks of the inputs come before the layer table: the error is the
# whole of what is said
"$PY" -c 'import numpy as np, npstream; npstream.write_stream("nolabels.npy", np.zeros((4, 1, 6, 6), np.uint8))'
for how in "nolabels.npy" "--val x.npy d.npy" "--val nolabels.npy d.npy"; do
	# shellcheck disable=SC2086
	expect_error "messages: nn-train $how: no labels" "no labels in stream" \
		nn-train --epochs 1 -o o.st d.net $how
	check "messages: nn-train $how: the error alone, no layer table before it" [ "$(wc -l <"$T/err")" -eq 1 ]
done
nn-train --epochs 1 --batch 8 -o o.st d.net d.npy 2>err
check "messages: nn-train: the layer table when the inputs are good" grep -q "parameters" err

# a stream read from a terminal: the input is missing, said at once rather
# than waited for (script(1) gives the tool a terminal)
if command -v script >/dev/null && command -v timeout >/dev/null; then
	while IFS='|' read -r tool cmd; do
		timeout 20 script -qec "$cmd" /dev/null >tty.out 2>&1 </dev/null
		rc=$?
		ok=0
		[ "$rc" -eq 2 ] && grep -q "^$tool: no input given, and standard input is a terminal" tty.out && ok=1
		check "messages: $tool reading a terminal: refused at once, exit 2 ($rc: $(head -n 1 tty.out))" [ $ok = 1 ]
	done <<EOF2
nn-predict|nn-predict -o o.npy m.st
nn-train|nn-train -o o.st d.net
ap-score|ap-score
ds-split|ds-split --info
sample-grid|sample-grid --data d.npy --pred - -o g.png
seg-colour|seg-colour --pred - -o sc/
EOF2
else
	skip "messages: a terminal as standard input: NOT TESTABLE: no script(1) or timeout(1)"
fi

# a mistyped long option: the one most likely meant is named
while IFS='|' read -r cmd want; do
	# shellcheck disable=SC2086
	$cmd >/dev/null 2>err
	rc=$?
	got=$(head -n 1 err)
	check "messages: '$cmd' names the option meant: $got" [ "$rc" -eq 2 -a "$got" = "$want" ]
done <<EOF2
nn-train --epoch 3 d.net d.npy|nn-train: unknown option '--epoch' (did you mean '--epochs'?)
nn-train --eopchs 3 d.net d.npy|nn-train: unknown option '--eopchs' (did you mean '--epochs'?)
nn-train --aug flip d.net d.npy|nn-train: unknown option '--aug' (did you mean '--augment'?)
nn-train --val-evry 3 d.net d.npy|nn-train: unknown option '--val-evry' (did you mean '--val-every'?)
curve-plot --tittle x log.tsv|curve-plot: unknown option '--tittle' (did you mean '--title'?)
ap-score --confussion p.npy|ap-score: unknown option '--confussion' (did you mean '--confusion'?)
nn-predict --logit m.st d.npy|nn-predict: unknown option '--logit' (did you mean '--logits'?)
nn-train --xyz 3 d.net d.npy|nn-train: unknown option '--xyz'
EOF2

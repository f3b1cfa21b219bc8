#!/usr/bin/env bash
# tests/examples.sh: the example scripts' settings: --help, the data folder
# as DATA= found from the script's place (run from another directory), one
# clear line for a folder without the data, facade.sh's estimate of the
# training time against the time the training then takes, its triplets with
# legends and the report made from its outputs, and the README's
# set-up commands, which need no sudo as root.
. "$(dirname "$0")/lib.sh"
export OMP_WAIT_POLICY=passive
E=$NN_ROOT/examples

for s in facade fashion-mnist report facade-best fashion-mnist-best; do
	(cd "$T" && OUT=$T/help-out "$E/$s.sh" --help >"$T/help" 2>&1)
	check "examples-help-$s: exit 0, the settings listed, nothing run" \
		[ $? -eq 0 -a "$(grep -c 'OUT' "$T/help")" -gt 0 -a ! -e "$T/help-out" ]
done
for s in facade fashion-mnist facade-best fashion-mnist-best; do
	check "examples-help-data-$s" grep -q '^  DATA=DIR' <("$E/$s.sh" --help)
done

# a folder without the data: one line on stderr that says how to set it,
# exit 1, nothing made
for s in facade fashion-mnist; do
	(cd "$T" && DATA=$T/nothing OUT=$T/out-$s "$E/$s.sh" >"$T/out" 2>"$T/err")
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^$s.sh: $T/nothing: .*set DATA" "$T/err" &&
		! grep -q 'empty stream' "$T/err" && [ ! -e "$T/out-$s" ]; then
		pass "examples-missing-data-$s: one line that says how to set DATA"
	else
		fail "examples-missing-data-$s: exit $rc: $(head -c 300 "$T/err")"
	fi
done
(cd "$T" && "$E/facade.sh" "$T/nothing" >/dev/null 2>"$T/err")
rc=$?
check "examples-facade-no-positional: exit 2 naming DATA=" [ "$rc" -eq 2 -a "$(grep -c 'DATA=DIR' "$T/err")" -eq 1 ]

# the estimate, run from another directory with the default data folder,
# against the time the same training then takes
starter=$DATA/mini-facade/starter_set
if [ ! -d "$starter/train" ]; then
	skip "examples-facade-estimate: NOT TESTABLE: no mini facade data in $starter"
else
	printf 'input 3 64 64\nconv 32 3 pad=1\nrelu\nconv 32 3 pad=1\nrelu\nconv 5 1\n' >"$T/f64.net"
	(cd "$T" && DATA=$starter OUT=$T/fa NET=$T/f64.net SIZE=64 EPOCHS=1 BATCH=4 ESTIMATE=only \
		"$E/facade.sh" >"$T/out" 2>"$T/err")
	rc=$?
	msg=$(grep '^facade.sh: estimate' "$T/err")
	check "examples-facade-estimate-only: exit 0, no training" [ "$rc" -eq 0 -a -n "$msg" -a ! -e "$T/fa/facade.safetensors" ]
	check "examples-facade-estimate-says-how" \
		grep -Eq '^facade.sh: estimate for f64.net at 64x64, 1 epochs of 815 images in batches of 4: about [0-9]+:[0-9]{2}:[0-9]{2} here \([0-9:]+ training, [0-9:]+ for 5 validations of 91 images\), from steps of 4 images timed at [0-9.]+ s and a validation of 4 at [0-9.]+ s on the CPU with [0-9]+ threads$' "$T/err"
	# the estimate's parts add up from what was timed: 204 steps of the
	# run's batch, and 5 validations of 91 images at the timed pace
	check "examples-facade-estimate-arithmetic" "$PY" - "$msg" <<'EOF'
import re, sys
m = re.search(r"about (\S+) here \((\S+) training, (\S+) for (\d+) validations of (\d+) images\), from steps of (\d+) images timed at ([0-9.]+) s and a validation of (\d+) at ([0-9.]+) s", sys.argv[1])
sec = lambda s: sum(int(v) * 60 ** i for i, v in enumerate(reversed(s.split(":"))))
total, train, val = sec(m[1]), sec(m[2]), sec(m[3])
step, v = float(m[7]), float(m[9]) / int(m[8])
ok = abs(train - step * 204) <= 1 and abs(val - v * int(m[5]) * int(m[4])) <= 1 and abs(total - train - val) <= 1
sys.exit(0 if ok else 1)
EOF
	# the training itself (how near the estimate comes to its time is a
	# benchmark's question, not a test's: bench/facade-cpu.md)
	(cd "$T" && DATA=$starter OUT=$T/fa NET=$T/f64.net SIZE=64 EPOCHS=1 BATCH=4 ESTIMATE=0 \
		"$E/facade.sh" >"$T/out" 2>"$T/err2")
	check "examples-facade-runs-from-elsewhere" [ $? -eq 0 -a -s "$T/fa/facade.safetensors" -a -s "$T/fa/commands.sh" ]
	check "examples-facade-commands-recorded" grep -q "^DATA='$starter' OUT='$T/fa' NET='$T/f64.net' SIZE=64 EPOCHS=1 BATCH=4 TRAIN_OPTS='' PREDICT_OPTS='' ESTIMATE=0 '$E/facade.sh'\$" \
		"$T/fa/commands.sh"
	# the triplets with a legend under each: 64-pixel images enlarged 4
	# times, three parts of 256 4 apart under 22 pixels of titles, and the
	# five classes' legend (516 pixels, one row) 8 below, 14 high, 4 under it
	check "examples-facade-triplets-legend: six triplets of 776x304" "$PY" - "$T/fa/triplets" <<'EOF'
import os, struct, sys
d = sys.argv[1]
names = sorted(os.listdir(d))
sizes = {struct.unpack(">II", open(f"{d}/{n}", "rb").read(24)[16:24]) for n in names}
sys.exit(0 if names == [f"{i:04d}-triplet.png" for i in range(6)] and sizes == {(776, 22 + 256 + 8 + 14 + 4)} else 1)
EOF
	# the report of this run alone: its pictures are there and shown
	(cd "$T" && FM=$T/no-fm FACADE=$T/fa OUT=$T/report "$E/report.sh" >/dev/null 2>"$T/err3")
	ok=$?
	for f in seg-legend.png seg-confusion.png seg-pr.png seg-triplet-0.png seg-filters.png seg-curves.png; do
		[ -s "$T/report/$f" ] && grep -qF "<img src=\"$f\"" "$T/report/index.html" || ok=1
	done
	check "examples-report-facade: legend, heat map, PR curves, triplets, filters and curves shown" [ "$ok" -eq 0 ]
fi

# the best recipe passes its settings to facade.sh, the caller's seed and
# options after its own; shortened here to one epoch of a small network
if [ -d "$starter/train" ]; then
	(cd "$T" && DATA=$starter OUT=$T/fb NET=$T/f64.net SIZE=64 EPOCHS=1 BATCH=4 ESTIMATE=0 SEED=5 \
		TRAIN_OPTS="--lr 2e-3" "$E/facade-best.sh" >"$T/out" 2>"$T/err4")
	check "examples-facade-best-runs: a model, scores, the recorded settings" \
		[ $? -eq 0 -a -s "$T/fb/facade.safetensors" -a -s "$T/fb/test-score.txt" ]
	check "examples-facade-best-commands" grep -q \
		"TRAIN_OPTS='--augment flip,crop=0.7,shift=8 --val-every 200 --keep-best --seed 5 --lr 2e-3' PREDICT_OPTS='--tta flip' ESTIMATE=0 '$E/facade.sh'\$" \
		"$T/fb/commands.sh"
	check "examples-facade-best-tta: test_dev scored with the mirror images" \
		grep -q 'and their mirror images' "$T/err4"
	(cd "$T" && "$E/facade-best.sh" extra >/dev/null 2>"$T/err5")
	check "examples-facade-best-no-arguments" [ $? -eq 2 -a "$(grep -c "unexpected argument 'extra'" "$T/err5")" -eq 1 ]
fi

# the README's first two commands: no sudo; .ci/deps.sh run as root with no
# sudo on PATH calls apt-get itself (a stand-in that records its arguments)
cmds=$(sed -n '/^On a fresh Debian machine/,/^The first/p' "$NN_ROOT/README.md" | grep '^    ')
check "examples-readme-no-sudo: the set-up commands call sh .ci/deps.sh" \
	[ "$(printf '%s\n' "$cmds" | grep -c '^    sh \.ci/deps\.sh && make')" -eq 2 -a "$(printf '%s\n' "$cmds" | grep -c sudo)" -eq 0 ]
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$T/fakebin"
	printf '#!/bin/sh\necho "apt-get $*" >>"%s/apt.log"\n' "$T" >"$T/fakebin/apt-get"
	chmod +x "$T/fakebin/apt-get"
	for t in sh id; do ln -sf "$(command -v $t)" "$T/fakebin/$t"; done
	PATH=$T/fakebin "$T/fakebin/sh" "$NN_ROOT/.ci/deps.sh" >/dev/null 2>"$T/err"
	check "examples-deps-as-root-without-sudo" [ $? -eq 0 -a "$(grep -c '^apt-get ' "$T/apt.log")" -eq 2 ]
else
	skip "examples-deps-as-root-without-sudo: NOT TESTABLE: not root"
fi

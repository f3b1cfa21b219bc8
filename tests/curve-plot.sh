#!/usr/bin/env bash
# tests/curve-plot.sh: curve-plot's gnuplot script (the data blocks against
# the log, hostile file names and labels quoted, never run), a terminal plot
# against a golden file, PNG and SVG sizes, and its errors.
. "$(dirname "$0")/lib.sh"
F=$NN_ROOT/tests/fixtures/pictures
LOG=$F/run.tsv

# the data blocks hold step, loss, accuracy of each split, as awk reads the log
curve-plot --print-script --term png "$LOG" >"$T/script" 2>"$T/err"
for split in train val; do
	awk -F'\t' -v s=$split 'NR > 1 && $3 == s { print $1, $4 + 0, ($5 == "nan" ? "NaN" : $5 + 0) }' \
		"$LOG" >"$T/want.$split"
	sed -n "/^\$log0_$split << EOD\$/,/^EOD\$/p" "$T/script" | sed '1d;$d' >"$T/got.$split"
	if [ -s "$T/want.$split" ] && cmp -s "$T/want.$split" "$T/got.$split"; then
		pass "curve-script-data-$split: the $split rows of the log, test rows left out"
	else
		fail "curve-script-data-$split: $(diff "$T/want.$split" "$T/got.$split" | head -3 | tr '\n' ';')"
	fi
done
check "curve-script-terminal" grep -qx 'set terminal pngcairo size 1000,400 noenhanced' "$T/script"

# a hostile name: quotes, a semicolon, a gnuplot command, a $ and a line break
mkdir -p "$T/work"
hostile='a"b'\''c; system("touch pwned") $x.tsv'
newline=$'two\nlines`touch pwned2`.tsv'
cp "$LOG" "$T/work/$hostile"
cp "$LOG" "$T/work/$newline"
(cd "$T/work" && curve-plot --print-script --term dumb "$hostile" "$newline" >"$T/hscript")
want_title="title 'a\"b''c; system(\"touch pwned\") \$x.tsv train'"
if grep -qF "$want_title" "$T/hscript" && grep -qF "title 'two lines\`touch pwned2\`.tsv val'" "$T/hscript" &&
	[ "$(grep -c "system(" "$T/hscript")" -eq 4 ] && ! grep -q '^lines' "$T/hscript"; then
	pass "curve-hostile-script: names quoted as gnuplot single-quoted strings, line break a space"
else
	fail "curve-hostile-script: $(grep title "$T/hscript" | head -2 | tr '\n' ';')"
fi

# legend: nothing but train/val for one log; file names or labels for several
curve-plot --print-script --term svg "$LOG" "$LOG" --label first >"$T/two"
if grep -qF "title 'first train'" "$T/two" && grep -qF "title '$LOG val'" "$T/two" &&
	grep -qF '$log1_val using 1:3' "$T/two" && grep -qF "title 'train'" "$T/script"; then
	pass "curve-legend: --label names the first log, the file name the second"
else
	fail "curve-legend: $(grep -c title "$T/two") titles"
fi

if ! command -v gnuplot >/dev/null; then
	skip "curve-hostile-run: NOT TESTABLE: gnuplot is not installed"
	skip "curve-dumb-golden: NOT TESTABLE: gnuplot is not installed"
	skip "curve-png-size: NOT TESTABLE: gnuplot is not installed"
	skip "curve-svg-size: NOT TESTABLE: gnuplot is not installed"
else
	hlabel='x'\''); system("touch pwned3"); print('\''y'
	(cd "$T/work" && curve-plot --term dumb --label "$hlabel" "$hostile" "$newline" >"$T/hplot" 2>"$T/err")
	rc=$?
	if [ $rc -eq 0 ] && [ ! -e "$T/work/pwned" ] && [ ! -e "$T/work/pwned2" ] && [ ! -e "$T/work/pwned3" ] &&
		grep -q 'system("touch pwned3")' "$T/hplot" && grep -q "two lines" "$T/hplot"; then
		pass "curve-hostile-run: gnuplot plots the hostile names and labels and runs nothing"
	else
		fail "curve-hostile-run: exit $rc, $(ls "$T/work" | tr '\n' ' ') $(head -c 200 "$T/err")"
	fi

	# the golden file was made with gnuplot 5.4, whose text layout it records
	if gnuplot --version | grep -q '^gnuplot 5\.4 '; then
		if curve-plot --term dumb --size 80,40 "$LOG" >"$T/dumb" && cmp -s "$T/dumb" "$F/run.dumb"; then
			pass "curve-dumb-golden: terminal plot as recorded"
		else
			fail "curve-dumb-golden: $(diff "$F/run.dumb" "$T/dumb" | head -4 | tr '\n' ';')"
		fi
	else
		skip "curve-dumb-golden: NOT TESTABLE: golden file made with gnuplot 5.4, this is $(gnuplot --version)"
	fi
	curve-plot -o "$T/c.png" --size 640,300 "$LOG" "$LOG"
	# width and height are the big-endian words at bytes 16 and 20 of a PNG
	size=$(od -An -tu1 -j16 -N8 "$T/c.png" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }')
	check "curve-png-size: --size 640,300 gives a 640x300 PNG ($size)" [ "$size" = 640x300 ]
	curve-plot -o "$T/c.svg" --size 500,250 "$LOG"
	check "curve-svg-size: an SVG of 500x250" grep -qx ' width="500" height="250"' "$T/c.svg"
	ls "$T"/c.png.tmp.* "$T"/c.svg.tmp.* >/dev/null 2>&1
	check "curve-no-temp: no temporary file left" [ $? -ne 0 ]
fi

# errors
expect_error "curve-no-gnuplot" '^curve-plot: gnuplot not found: install the gnuplot-nox package$' \
	env PATH=/nonexistent "$NN_ROOT/bin/curve-plot" -o "$T/none.png" "$LOG"
check "curve-no-gnuplot-output: nothing written" [ ! -e "$T/none.png" ]
printf 'step\tsplit\tloss\n100\ttrain\t0.5x\n' >"$T/bad.tsv"
expect_error "curve-bad-number" "bad.tsv:2: bad loss '0.5x'" curve-plot --term dumb "$T/bad.tsv"
printf 'step\tepoch\tloss\n' >"$T/nosplit.tsv"
expect_error "curve-not-a-log" 'nosplit.tsv: not a metrics log' curve-plot --term dumb "$T/nosplit.tsv"
printf 'step\tsplit\tloss\n' >"$T/empty.tsv"
expect_error "curve-no-rows" 'empty.tsv: no train or val rows' curve-plot --term dumb "$T/empty.tsv"
expect_error "curve-missing" 'nothere.tsv: ' curve-plot --term dumb "$T/nothere.tsv"
# A loss written with 70 digits would read as another number if cut short.
printf 'step\tsplit\tloss\n1\ttrain\t0.%070d1e5\n' 0 >"$T/long.tsv"
expect_error "curve-long-field" 'long.tsv:2: a field of 64 bytes or more' curve-plot --term dumb "$T/long.tsv"
# A read error (reading /proc/self/mem at 0 fails with EIO) is not an empty file.
expect_error "curve-read-error" '/proc/self/mem: read error: Input/output error' curve-plot --term dumb /proc/self/mem
curve-plot "$LOG" >/dev/null 2>&1
check "curve-no-terminal: usage error without -o or --term" [ $? -eq 2 ]
curve-plot --term jpeg "$LOG" >/dev/null 2>&1
check "curve-bad-terminal: usage error" [ $? -eq 2 ]
# --print-script needs no --term: the script for png, as --term png writes it
curve-plot --print-script "$LOG" >"$T/default-script" 2>"$T/err"
check "curve-print-script-default-term: exit 0" [ $? -eq 0 ]
check "curve-print-script-default-term: the png script" cmp -s "$T/default-script" "$T/script"

#!/usr/bin/env bash
# tests/curve-plot.sh: curve-plot's gnuplot script (the data blocks against
# the log, hostile file names and labels quoted, never run; tick spacing, the
# x axis, a colour per run; precision-recall curves and the confusion heat
# map against ap-score's files), a terminal plot against a golden file, PNG
# and SVG sizes, and its errors.
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
want_title='title "a\0042b\0047c; system(\0042touch pwned\0042) \0044x.tsv train"'
if grep -qF "$want_title" "$T/hscript" && grep -qF 'title "two lines\0140touch pwned2\0140.tsv val"' "$T/hscript" &&
	[ "$(grep -c "system(" "$T/hscript")" -eq 4 ] && ! grep -q '^lines' "$T/hscript"; then
	pass "curve-hostile-script: names as gnuplot double-quoted strings, quotes, \$ and backquotes escaped, line break a space"
else
	fail "curve-hostile-script: $(grep title "$T/hscript" | head -2 | tr '\n' ';')"
fi

# legend: nothing but train/val for one log; file names or labels for several
curve-plot --print-script --term svg "$LOG" "$LOG" --label first >"$T/two"
if grep -qF 'title "first train"' "$T/two" && grep -qF "title \"$LOG val\"" "$T/two" &&
	grep -qF '$log1_val using 1:3' "$T/two" && grep -qF 'title "train"' "$T/script"; then
	pass "curve-legend: --label names the first log, the file name the second"
else
	fail "curve-legend: $(grep -c title "$T/two") titles"
fi

# tick spacing: on the facade run's range (steps 100 to 3600, where
# gnuplot's own choice ran "800100012001400" together) the x step is 1, 2 or
# 5 times a power of ten, its labels fit the panel (digits about 8 pixels,
# three digits' room between labels, 12 digits of margin), and the next
# smaller such step would not fit
awk 'BEGIN { OFS = "\t"; print "step", "epoch", "split", "loss", "accuracy", "lr", "seconds"
	for (s = 100; s <= 3600; s += 100) {
		print s, s / 113.25, "train", 2 - s / 3600, 0.3 + s / 7200, 0.001, s * 0.55
		if (s % 500 == 0) print s, s / 113.25, "val", 2.1 - s / 3600, 0.28 + s / 7200, 0.001, s * 0.55 + 3
	} }' >"$T/long.tsv"
fits() { # STEP LO HI WIDTH: do the labels of STEP fit in WIDTH pixels?
	awk -v d="$1" -v lo="$2" -v hi="$3" -v w="$4" 'BEGIN {
		n = 0; wide = 0
		for (t = int(lo / d + 0.999999) * d; t <= hi + d * 1e-9; t += d) {
			n++; l = length(sprintf("%g", t)); if (l > wide) wide = l }
		exit !(n * (wide + 3) * 8 <= w) }'
}
ticks_ok() { # SCRIPT LO HI WIDTH
	local d smaller
	d=$(sed -n 's/^set xtics \([0-9.e+-]*\)$/\1/p' "$1")
	[ -n "$d" ] || return 1
	echo "$d" | grep -Eq '^(1|2|5)(0*|e\+?[0-9]+)$|^0\.0*(1|2|5)$' || return 1
	smaller=$(awk -v d="$d" 'BEGIN { m = d; while (m >= 10) m /= 10; while (m < 1) m *= 10
		printf "%.9g", (m < 1.5 ? d / 2 : m < 3 ? d / 2 : d * 2 / 5) }')
	fits "$d" "$2" "$3" "$4" && ! fits "$smaller" "$2" "$3" "$4"
}
curve-plot --print-script --term png "$T/long.tsv" >"$T/long.script"
curve-plot --print-script --term png --size 640,300 "$T/long.tsv" >"$T/long640.script"
if ticks_ok "$T/long.script" 100 3600 $((500 - 96)) && ticks_ok "$T/long640.script" 100 3600 $((320 - 96)) &&
	grep -qx 'set autoscale xfix' "$T/long.script"; then
	pass "curve-ticks: x steps of 1, 2 or 5 times a power of ten whose labels fit the panel ($(sed -n 's/^set xtics //p' "$T/long.script" "$T/long640.script" | tr '\n' ' '))"
else
	fail "curve-ticks: $(grep xtics "$T/long.script" "$T/long640.script" | tr '\n' ' ')"
fi

# --x epoch and time: the log's epoch and seconds columns as x; minutes
# from 600 seconds on; a log without the column is refused
curve-plot --print-script --term png --x epoch "$LOG" >"$T/ep.script"
curve-plot --print-script --term png --x time "$LOG" >"$T/time.script"
curve-plot --print-script --term png --x time "$T/long.tsv" >"$T/min.script"
awk -F'\t' 'NR > 1 && $3 == "train" { printf "%.9g\n", $2 }' "$LOG" >"$T/want.ep"
awk -F'\t' 'NR > 1 && $3 == "val" { printf "%.9g\n", $7 }' "$LOG" >"$T/want.sec"
awk -F'\t' 'NR > 1 && $3 == "train" { printf "%.9g\n", $7 / 60 }' "$T/long.tsv" >"$T/want.min"
block() { sed -n "/^\$log0_$2 << EOD\$/,/^EOD\$/p" "$1" | sed '1d;$d' | cut -d' ' -f1; }
if block "$T/ep.script" train | cmp -s - "$T/want.ep" && block "$T/time.script" val | cmp -s - "$T/want.sec" &&
	block "$T/min.script" train | cmp -s - "$T/want.min" &&
	grep -qx 'set xlabel "epoch"' "$T/ep.script" && grep -qx 'set xlabel "time (s)"' "$T/time.script" &&
	grep -qx 'set xlabel "time (min)"' "$T/min.script"; then
	pass "curve-x: --x epoch, --x time in seconds and, from 600 s, minutes"
else
	fail "curve-x: $(block "$T/ep.script" train | head -2 | tr '\n' ' ') / $(block "$T/min.script" train | head -2 | tr '\n' ' ')"
fi
printf 'step\tsplit\tloss\n1\ttrain\t0.5\n' >"$T/noepoch.tsv"
expect_error "curve-x-missing" 'noepoch\.tsv: no epoch column in the log for --x epoch$' \
	curve-plot --term dumb --x epoch "$T/noepoch.tsv"

# overlaid runs: a colour per run shared by its train and val curves, solid
# for train and dashed for val, and each run's colour its own
curve-plot --print-script --term png --label a "$LOG" --label b "$T/long.tsv" >"$T/pair.script"
style() { grep -F "$1 using 1:2 " "$T/pair.script" | sed -n "s/.*lc rgb '\(#[0-9a-f]*\)' dt \([0-9]\).*/\1 \2/p"; }
if [ "$(style '$log0_train' | cut -d' ' -f1)" = "$(style '$log0_val' | cut -d' ' -f1)" ] &&
	[ "$(style '$log1_train' | cut -d' ' -f1)" = "$(style '$log1_val' | cut -d' ' -f1)" ] &&
	[ "$(style '$log0_train' | cut -d' ' -f1)" != "$(style '$log1_train' | cut -d' ' -f1)" ] &&
	[ "$(style '$log0_train' | cut -d' ' -f2)$(style '$log0_val' | cut -d' ' -f2)" = 12 ] &&
	[ "$(style '$log1_train' | cut -d' ' -f2)$(style '$log1_val' | cut -d' ' -f2)" = 12 ]; then
	pass "curve-run-colours: one colour per run, train solid, val dashed"
else
	fail "curve-run-colours: $(grep ' using 1:2 ' "$T/pair.script" | tr '\n' ' ')"
fi

# --pr: a curve per class from ap-score --pr, the AP of each class in its
# legend; the points are the file's (recall, precision)
A=$NN_ROOT/tests/fixtures
ap-score --tsv --pr "$T/pr.tsv" --confusion-tsv "$T/cm.tsv" "$A/seg.npy" >"$T/seg.ap.tsv"
curve-plot --print-script --term png --pr "$T/pr.tsv" >"$T/pr.script"
ok=1
for c in $(awk -F'\t' 'NR > 1 { print $1 }' "$T/pr.tsv" | uniq); do
	i=$(awk -F'\t' 'NR > 1 { print $1 }' "$T/pr.tsv" | uniq | grep -nx "$c" | cut -d: -f1)
	i=$((i - 1))
	awk -F'\t' -v c="$c" 'NR > 1 && $1 == c { printf "%.9g %.9g\n", $5, $4 }' "$T/pr.tsv" >"$T/want.pr"
	sed -n "/^\$pr$i << EOD\$/,/^EOD\$/p" "$T/pr.script" | sed '1d;$d;s/^ //' | cmp -s - "$T/want.pr" || ok=0
	title=$(awk -F'\t' -v c="$c" '$1 == c { printf "%s (AP %.4f)", $2, $5 }' "$T/seg.ap.tsv")
	grep -qF "\$pr$i using 1:2 with fsteps lw 1.5 lc rgb '#" "$T/pr.script" || ok=0
	grep -F "\$pr$i using 1:2" "$T/pr.script" | grep -qF "title \"$title\"" || ok=0
done
if [ $ok = 1 ] && [ "$(grep -c ' with fsteps ' "$T/pr.script")" = 4 ]; then
	pass "curve-pr-script: a curve per class with a positive, the file's points, AP as ap-score --tsv says"
else
	fail "curve-pr-script: $(grep -F ' title ' "$T/pr.script" | tr '\n' ' ')"
fi

# --confusion: the cells are (predicted, true, share of the row, count) of
# the file's matrix; class names are the ticks of both axes
curve-plot --print-script --term png --confusion "$T/cm.tsv" >"$T/cm.script"
awk -F'\t' 'NR > 1 { s = 0; for (i = 3; i <= NF; i++) s += $i
	for (i = 3; i <= NF; i++) printf "%d %d %.6f %d\n", i - 3, NR - 2, s ? $i / s : 0, $i }' "$T/cm.tsv" >"$T/want.cells"
if sed -n '/^\$cells << EOD$/,/^EOD$/p' "$T/cm.script" | sed '1d;$d' | cmp -s - "$T/want.cells" &&
	grep -qxF 'set ytics ("others" 0, "facade" 1, "pillar" 2, "window" 3, "balcony" 4)' "$T/cm.script" &&
	grep -qF "with labels tc rgb variable" "$T/cm.script"; then
	pass "curve-confusion-script: the matrix's cells, shares of each true class, names on the axes"
else
	fail "curve-confusion-script: $(diff <(sed -n '/^\$cells << EOD$/,/^EOD$/p' "$T/cm.script" | sed '1d;$d') "$T/want.cells" | head -3 | tr '\n' ' ')"
fi

# a large matrix is one image of at most 512 x 512 cells, summed in square
# blocks of classes past 512 classes, without a count per cell; each
# block's share of its true classes' samples as awk sums them
bigcm() { # K: a matrix of K classes, t%7+1 samples of class t right, 1 as class (3t+1)%K
	awk -v k="$1" 'BEGIN { printf "class\tname"; for (c = 0; c < k; c++) printf "\tpred%d", c; print ""
		for (t = 0; t < k; t++) { printf "%d\tc%d", t, t; w = (3 * t + 1) % k
			for (c = 0; c < k; c++) printf "\t%d", (c == t) * (t % 7 + 1) + (c == w); print "" } }'
}
bigcm_cells() { # K B: the cells of blocks of B classes, as curve-plot writes them
	awk -v k="$1" -v b="$2" 'BEGIN { n = int((k + b - 1) / b)
		for (t = 0; t < k; t++) { r = int(t / b); s[r, int(t / b)] += t % 7 + 1; s[r, int(((3 * t + 1) % k) / b)] += 1
			tot[r] += t % 7 + 2 }
		for (t = 0; t < n; t++) for (c = 0; c < n; c++)
			printf "%.9g %.9g %.6f\n", c * b + (b - 1) / 2, t * b + (b - 1) / 2, s[t, c] / tot[t] }'
}
for k in 1024 4096; do
	bigcm $k >"$T/cm$k.tsv"
	b=$((k / 512))
	curve-plot --print-script --confusion "$T/cm$k.tsv" >"$T/cm$k.script" 2>"$T/err"
	sed -n '/^\$cells << EOD$/,/^EOD$/p' "$T/cm$k.script" | sed '1d;$d' >"$T/cm$k.got"
	bigcm_cells $k $b >"$T/cm$k.want"
	ticks=$(grep -c '^set [xy]tics (' "$T/cm$k.script")
	names=$(sed -n 's/^set ytics (\(.*\))$/\1/p' "$T/cm$k.script" | tr ',' '\n' | wc -l)
	if [ "$(wc -l <"$T/cm$k.got")" -eq 262144 ] && cmp -s "$T/cm$k.got" "$T/cm$k.want" &&
		! grep -q 'with labels' "$T/cm$k.script" && [ "$ticks" = 2 ] && [ "$names" -le 40 ]; then
		pass "curve-confusion-$k: 512 x 512 cells of $b x $b classes, shares as awk sums them, $names names an axis"
	else
		fail "curve-confusion-$k: $(wc -l <"$T/cm$k.got") cells, $names names; $(diff "$T/cm$k.got" "$T/cm$k.want" | head -3 | tr '\n' ' ') $(head -c 200 "$T/err")"
	fi
done
# a class name of 70,000 characters among 4096 classes: laid out without
# overflow (the sanitizer run sees any)
sed "2s/\tc0\t/\t$(head -c 70000 /dev/zero | tr '\0' x)\t/" "$T/cm4096.tsv" >"$T/long-name.tsv"
curve-plot --print-script --confusion "$T/long-name.tsv" >"$T/long-name.script" 2>"$T/err"
check "curve-confusion-long-name: a name of 70,000 characters" [ $? -eq 0 -a ! -s "$T/err" ]
# counts near 2^63: the row sums in doubles, the shares halves
printf 'class\tname\tpred0\tpred1\n0\ta\t9223372036854775807\t9223372036854775807\n1\tb\t0\t9223372036854775806\n' >"$T/huge.tsv"
curve-plot --print-script --confusion "$T/huge.tsv" >"$T/huge.script" 2>"$T/err"
printf '0 0 0.500000 9223372036854775807\n1 0 0.500000 9223372036854775807\n0 1 0.000000 0\n1 1 1.000000 9223372036854775806\n' >"$T/huge.want"
if sed -n '/^\$cells << EOD$/,/^EOD$/p' "$T/huge.script" | sed '1d;$d' | cmp -s - "$T/huge.want"; then
	pass "curve-confusion-huge-counts: counts near 2^63 summed without overflow"
else
	fail "curve-confusion-huge-counts: $(sed -n '/^\$cells << EOD$/,/^EOD$/p' "$T/huge.script" | sed -n 2p) $(head -c 200 "$T/err")"
fi

# extreme but finite values: losses of +-1e308 (past gnuplot's reach, about
# 9e307) divided by a power of ten named in the axis label; numbers too
# small for a normal double read as numbers; a range too narrow for its
# tick labels to differ left to gnuplot
printf 'step\tepoch\tsplit\tloss\taccuracy\n1\t1e308\ttrain\t1e308\t0.5\n2\t1.7e308\ttrain\t-1.7e308\t4.9e-324\n2\t1.7e308\tval\t1.5e308\t-1e-310\n' >"$T/huge.log"
curve-plot --print-script --x epoch "$T/huge.log" >"$T/huge-log.script" 2>"$T/err"
rc=$?
printf '1 1 0.5\n1.7 -1.7 4.94065646e-324\n' >"$T/want.huge"
if [ $rc -eq 0 ] && sed -n '/^\$log0_train << EOD$/,/^EOD$/p' "$T/huge-log.script" | sed '1d;$d' | cmp -s - "$T/want.huge" &&
	grep -qx 'set ylabel "loss / 1e+308"' "$T/huge-log.script" && grep -qx 'set xlabel "epoch / 1e+308"' "$T/huge-log.script" &&
	grep -qx 'set ylabel "accuracy"' "$T/huge-log.script"; then
	pass "curve-huge-values: +-1e308 divided by 1e308, the axis labels say so; 4.9e-324 read"
else
	fail "curve-huge-values: exit $rc, $(grep label "$T/huge-log.script" | tr '\n' ' ') $(head -c 200 "$T/err")"
fi
printf 'step\tsplit\tloss\n1\ttrain\t1\n2\ttrain\t1.0000000000000002\n3\ttrain\t1\n' >"$T/flat.log"
timeout 20 curve-plot --print-script "$T/flat.log" >"$T/flat.script" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -qx 'set ytics autofreq' "$T/flat.script"; then
	pass "curve-narrow-range: losses 2e-16 apart, the y ticks left to gnuplot"
else
	fail "curve-narrow-range: exit $rc, $(grep ytics "$T/flat.script") $(head -c 200 "$T/err")"
fi
printf 'class\tname\tthreshold\tprecision\trecall\tap\n0\ta\tinf\t1\t0\t1e308\n' >"$T/big-ap.tsv"
expect_error "curve-pr-ap-range" "big-ap\.tsv:2: bad ap '1e308': not from 0 to 1" curve-plot --term png --pr "$T/big-ap.tsv"
printf 'class\tname\tthreshold\tprecision\trecall\tap\n0\ta\tinf\t1\t-0.5\t0.5\n' >"$T/neg-recall.tsv"
expect_error "curve-pr-recall-range" "neg-recall\.tsv:2: bad recall '-0\.5': not from 0 to 1" \
	curve-plot --term png --pr "$T/neg-recall.tsv"

if ! command -v gnuplot >/dev/null; then
	skip "curve-hostile-run: NOT TESTABLE: gnuplot is not installed"
	skip "curve-dumb-golden: NOT TESTABLE: gnuplot is not installed"
	skip "curve-png-size: NOT TESTABLE: gnuplot is not installed"
	skip "curve-svg-size: NOT TESTABLE: gnuplot is not installed"
	skip "curve-pr-png: NOT TESTABLE: gnuplot is not installed"
	skip "curve-confusion-svg: NOT TESTABLE: gnuplot is not installed"
	skip "curve-dumb-ylabel: NOT TESTABLE: gnuplot is not installed"
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
	curve-plot -o "$T/pr.png" --pr "$T/pr.tsv"
	size=$(od -An -tu1 -j16 -N8 "$T/pr.png" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }')
	check "curve-pr-png: a PNG of 760x480 by default ($size)" [ "$size" = 760x480 ]
	curve-plot -o "$T/cm.svg" --confusion --title 'test set' "$T/cm.tsv"
	check "curve-confusion-svg: an SVG of 640x560 by default" grep -qx ' width="640" height="560"' "$T/cm.svg"
	# gnuplot reads a tic's label as a format for its position: class names
	# with a percent sign are written with it doubled, and shown as they are
	printf 'class\tname\tpred0\tpred1\n0\ta%%d\t3\t1\n1\t50%%\t0\t2\n' >"$T/pct.tsv"
	if curve-plot --print-script --term svg --confusion "$T/pct.tsv" | grep -qxF 'set xtics ("a%%d" 0, "50%%" 1)' &&
		curve-plot -o "$T/pct.svg" --confusion "$T/pct.tsv" 2>"$T/err" && grep -q '>a%d<' "$T/pct.svg" &&
		grep -q '>50%<' "$T/pct.svg"; then
		pass "curve-confusion-percent: class names with % on the axes"
	else
		fail "curve-confusion-percent: $(head -c 200 "$T/err")"
	fi
	if curve-plot --term dumb --size 80,40 "$LOG" | grep -q '^ *accuracy  *|'; then
		pass "curve-dumb-ylabel: the accuracy panel's label is written on a terminal"
	else
		fail "curve-dumb-ylabel: no 'accuracy' beside the panel"
	fi
	# without -o or --term, a PNG on standard output (a pipe, a file)
	curve-plot "$LOG" >"$T/stdout.png" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && [ "$(head -c 8 "$T/stdout.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] &&
		[ "$(curve-plot -o - "$LOG" | head -c 4 | tail -c 3)" = PNG ]; then
		pass "curve-stdout-png: a PNG on standard output by default, as the help says"
	else
		fail "curve-stdout-png: exit $rc, $(head -c 200 "$T/err")"
	fi
	# 4096 classes (ap-score's most) drawn in seconds
	SECONDS=0
	timeout 60 curve-plot --confusion -o "$T/cm4096.png" "$T/cm4096.tsv" 2>"$T/err"
	rc=$?
	took=$SECONDS
	if [ $rc -eq 0 ] && [ $took -le 20 ] && [ "$(head -c 4 "$T/cm4096.png" | tail -c 3)" = PNG ]; then
		pass "curve-confusion-4096-png: drawn in $took s"
	else
		fail "curve-confusion-4096-png: exit $rc after $took s, $(head -c 200 "$T/err")"
	fi
	printf 'step\tepoch\tsplit\tloss\n1\t1e308\ttrain\t1e308\n2\t1.7e308\ttrain\t-1.7e308\n2\t1.7e308\tval\t1.5e308\n' >"$T/huge2.log"
	curve-plot -o "$T/huge-log.png" --x epoch "$T/huge2.log" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q 'undefined\|overflow' "$T/err"; then
		pass "curve-huge-values-png: gnuplot draws +-1e308, no point undefined"
	else
		fail "curve-huge-values-png: exit $rc, $(head -c 200 "$T/err")"
	fi
	curve-plot --confusion -o "$T/huge.png" "$T/huge.tsv" 2>"$T/err"
	check "curve-confusion-huge-counts-png: drawn, the counts written" [ $? -eq 0 ]
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
printf 'class\tname\tthreshold\tprecision\trecall\n' >"$T/noap.tsv"
expect_error "curve-pr-not-pr" 'noap\.tsv: not precision-recall points \(ap-score --pr\)' curve-plot --term png --pr "$T/noap.tsv"
printf 'class\tname\tthreshold\tprecision\trecall\tap\n' >"$T/empty-pr.tsv"
expect_error "curve-pr-empty" 'empty-pr\.tsv: no points' curve-plot --term png --pr "$T/empty-pr.tsv"
printf 'class\tname\tthreshold\tprecision\trecall\tap\n0\ta\tinf\t1\t0\t0.5\n0\ta\t0.5\t0.5x\t1\t0.5\n' >"$T/bad-pr.tsv"
expect_error "curve-pr-bad-number" "bad-pr\.tsv:3: bad precision '0\.5x'" curve-plot --term png --pr "$T/bad-pr.tsv"
printf 'class\tname\tthreshold\tprecision\trecall\tap\n0\ta\tinf\t1\t0\t1\n1\ta\tinf\t1\t0\t1\n0\ta\t1\t1\t1\t1\n' >"$T/apart.tsv"
expect_error "curve-pr-apart" 'apart\.tsv:4: the rows of class 0 are not together' curve-plot --term png --pr "$T/apart.tsv"
printf 'class\tname\tpred0\tpred1\n1\tb\t0\t1\n0\ta\t1\t0\n' >"$T/order.tsv"
expect_error "curve-confusion-order" "order\.tsv:2: class '1' where the row of class 0 belongs" \
	curve-plot --term png --confusion "$T/order.tsv"
printf 'class\tname\tpred0\tpred1\n0\ta\t1\t0\n' >"$T/short.tsv"
expect_error "curve-confusion-rows" 'short\.tsv: 1 rows for 2 classes' curve-plot --term png --confusion "$T/short.tsv"
for args in "--confusion --term dumb $T/cm.tsv" "--pr $T/pr.tsv $T/pr.tsv" "--pr --label x $T/pr.tsv" \
	"--pr --confusion $T/pr.tsv" "--pr --x epoch $T/pr.tsv"; do
	curve-plot --term png $args >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || { fail "curve-pr-usage: curve-plot $args: exit $rc, expected 2"; continue; }
	pass "curve-pr-usage: curve-plot $args is a usage error"
done
curve-plot -o "$T/c.out" "$LOG" >/dev/null 2>&1
check "curve-no-terminal: usage error for -o FILE not .png or .svg without --term" [ $? -eq 2 ]
curve-plot --term jpeg "$LOG" >/dev/null 2>&1
check "curve-bad-terminal: usage error" [ $? -eq 2 ]
# --print-script needs no --term: the script for png, as --term png writes it
curve-plot --print-script "$LOG" >"$T/default-script" 2>"$T/err"
check "curve-print-script-default-term: exit 0" [ $? -eq 0 ]
check "curve-print-script-default-term: the png script" cmp -s "$T/default-script" "$T/script"

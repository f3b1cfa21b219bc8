#!/usr/bin/env bash
# tests/curve-text.sh: text that reaches gnuplot through curve-plot (a title,
# a --label, a log's file name, class names in ap-score's precision-recall
# and confusion files) comes back exactly in the SVG gnuplot draws, for a
# table of hostile strings: quotes leading, doubled and escaped, backslashes,
# backquotes, @macros, $, %, UTF-8 and text that reads as gnuplot commands;
# and nothing is run.
. "$(dirname "$0")/lib.sh"
if ! command -v gnuplot >/dev/null; then
	skip "curve-text: NOT TESTABLE: gnuplot is not installed"
	exit 0
fi

hostile=(
	"'best' run"
	"a''b"
	"''"
	"'"
	"''''x''"
	'"'
	'dq "x" \"y\"'
	'back\slash\'
	'\\ \n \t \0101 \047'
	'`touch pwned1`'
	'@x @@ $x ${y} $$'
	'%d %s 100% %%'
	'é ünï ★ 中文'
	'"; set output "pwned2"; print "'
	"x'); system('touch pwned3'); print('y"
	'# not a comment'
	'{x} ^y _z &amp; <b>c</b>'
	' leading and trailing spaces '
)

mkdir -p "$T/w"
cd "$T/w" || exit 1
printf 'step\tsplit\tloss\taccuracy\n1\ttrain\t1.0\t0.5\n2\ttrain\t0.5\t0.7\n2\tval\t0.6\t0.6\n' >log.tsv

# svg_has FILE TEXT...: each TEXT is the whole text of an element of FILE
# (of as many elements as it is given times)
svg_has() {
	"$PY" - "$@" <<'EOF'
import collections, html, re, sys
svg = open(sys.argv[1], encoding="utf-8").read()
texts = collections.Counter(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S))
want = collections.Counter(sys.argv[2:])
missing = [w for w in want if texts[w] < want[w]]
if missing:
    print("not in the SVG %d times: %r" % (want[missing[0]], missing[0]), file=sys.stderr)
sys.exit(1 if missing else 0)
EOF
}

i=0
for s in "${hostile[@]}"; do
	i=$((i + 1))
	what="curve-text-$i $(printf '%q' "$s")"
	# a title and a label
	curve-plot -o t.svg --title "$s" --label "$s" log.tsv log.tsv 2>err
	rc=$?
	if [ $rc -eq 0 ] && svg_has t.svg "$s" "$s train" "log.tsv val" 2>>err; then
		pass "$what: --title and --label"
	else
		fail "$what: --title and --label: exit $rc, $(head -c 300 err)"
	fi
	# a log's file name (a name with a slash cannot be a file's)
	case $s in
	*/*) ;;
	*)
		cp log.tsv "$s"
		curve-plot -o n.svg -- "$s" log.tsv 2>err
		rc=$?
		if [ $rc -eq 0 ] && svg_has n.svg "$s train" "$s val" 2>>err; then
			pass "$what: a log's file name"
		else
			fail "$what: a log's file name: exit $rc, $(head -c 300 err)"
		fi
		rm -f -- "$s"
		;;
	esac
	# class names: the legend of --pr, the ticks of --confusion
	printf 'class\tname\tthreshold\tprecision\trecall\tap\n0\t%s\tinf\t1\t0\t0.5\n0\t%s\t0.5\t0.5\t1\t0.5\n1\tb\tinf\t1\t0\t1\n1\tb\t0.5\t1\t1\t1\n' \
		"$s" "$s" >pr.tsv
	printf 'class\tname\tpred0\tpred1\n0\t%s\t3\t1\n1\tb\t0\t2\n' "$s" >cm.tsv
	curve-plot -o pr.svg --pr pr.tsv 2>err && curve-plot -o cm.svg --confusion --title "$s" cm.tsv 2>>err
	rc=$?
	# in cm.svg: the title, the tick on x and the tick on y
	if [ $rc -eq 0 ] && svg_has pr.svg "$s (AP 0.5000)" 2>>err && svg_has cm.svg "$s" "$s" "$s" 2>>err; then
		pass "$what: class names in --pr and --confusion"
	else
		fail "$what: class names: exit $rc, $(head -c 300 err)"
	fi
done
check "curve-text-ran-nothing: no file made by a command in the text" \
	sh -c '! ls pwned* >/dev/null 2>&1 && ! ls "$1"/pwned* >/dev/null 2>&1' sh "$T"

# a line break would end gnuplot's command: control characters are spaces
curve-plot -o t.svg --title $'two\nlines\tand a tab' log.tsv 2>err
check "curve-text-line-break: a line break and a tab drawn as spaces" svg_has t.svg 'two lines and a tab'

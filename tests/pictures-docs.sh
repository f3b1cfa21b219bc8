#!/usr/bin/env bash
# tests/pictures-docs.sh: --help and the man pages of the picture tools
# (curve-plot, filters-dump, sample-grid, seg-colour, nn-report).
. "$(dirname "$0")/lib.sh"
tools="curve-plot filters-dump sample-grid seg-colour nn-report"

for p in $tools; do
	"$p" --help >"$T/help" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^usage: $p " "$T/help" && [ ! -s "$T/err" ]; then
		pass "help-$p"
	else
		fail "help-$p: exit $rc, $(head -c 100 "$T/err")"
	fi
done
if ! command -v man >/dev/null; then
	skip "man pages: NOT TESTABLE: man is not installed"
	exit 0
fi
for p in $tools; do
	page=$NN_ROOT/man/$p.1
	w=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
	missing=
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -Eq "^\.SH \"?$s\"?\$" "$page" || missing="$missing $s"
	done
	if [ -f "$page" ] && [ -z "$w" ] && [ -z "$missing" ]; then
		pass "man-$p"
	else
		fail "man-$p: ${w:-sections missing:$missing}"
	fi
done

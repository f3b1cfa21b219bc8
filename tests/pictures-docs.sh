#!/usr/bin/env bash
# tests/pictures-docs.sh: --help and the man pages of the picture tools
# (curve-plot, filters-dump, sample-grid, seg-colour, nn-report), and the
# sizes seg-colour(1) gives.
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
for p in $tools; do
	if ! command -v man >/dev/null; then
		skip "man-$p: NOT TESTABLE: man is not installed"
		continue
	fi
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

# what seg-colour(1) says of its sizes: a triplet of 128-pixel images is
# enlarged twice (3 * 256 + 2 * 4 wide, 22 + 256 high), and the legend alone
# of the five facade classes is 524 by 22 pixels
if have_py numpy && have_py PIL; then
	"$PY" - "$T" <<'PYEOF'
import numpy as np
t = __import__("sys").argv[1]
with open(f"{t}/facade.npy", "wb") as f:
    np.save(f, np.zeros((1, 3, 128, 128), np.uint8))
    np.save(f, np.zeros((1, 128, 128), np.uint8))
    np.save(f, np.array([b"others", b"facade", b"pillar", b"window", b"balcony"]))
with open(f"{t}/facade-pred.npy", "wb") as f:
    np.save(f, np.zeros((1, 5, 128, 128), np.float32))
PYEOF
	size() { "$PY" -c 'import sys; from PIL import Image; print("%dx%d" % Image.open(sys.argv[1]).size)' "$1"; }
	seg-colour --data "$T/facade.npy" --pred "$T/facade-pred.npy" --triplet -o "$T/triplet.png" &&
		seg-colour --data "$T/facade.npy" --legend-only -o "$T/legend.png"
	got="$(size "$T/triplet.png" 2>&1) $(size "$T/legend.png" 2>&1)"
	check "seg-colour-sizes: a 128-pixel triplet 776x278 and the facade legend 524x22 (got $got)" \
		[ "$got" = "776x278 524x22" ]
	grep -q "524 by 22" "$NN_ROOT/man/seg-colour.1"
	check "seg-colour-sizes-man: the page says 524 by 22" [ $? -eq 0 ]
else
	skip "seg-colour-sizes: NOT TESTABLE: $PY lacks numpy or PIL"
fi

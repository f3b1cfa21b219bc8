#!/usr/bin/env bash
# tests/conv-routes.sh: --conv reaches the CPU convolution's routes from
# the tools. nn-predict's scores by gemm, direct and winograd agree within
# rounding, while gemm's and direct's are not the same bits (so the option
# changed the route); auto takes direct for 3x3 filters (the same bits);
# nn-train takes every value; a value that is none is a usage error that
# names the choices and writes nothing. The routes' own accuracy is
# test_conv's, against sums in double.
. "$(dirname "$0")/lib.sh"
if ! have_py numpy; then
	skip "conv-routes: NOT TESTABLE: $PY has no numpy"
	exit 0
fi
cd "$T" || exit 1
"$PY" - <<'PYEOF'
import numpy as np
from npstream import write_stream
r = np.random.default_rng(9)
x = r.integers(0, 256, (20, 3, 12, 10), dtype=np.uint8)
y = r.integers(0, 4, 20).astype(np.int32)
write_stream("d.npy", x, y)
PYEOF
cat >c.net <<'NETEOF'
input 3 12 10
conv 16 3 pad=1
relu
conv 8 3 pad=1
maxpool 2
flatten
linear 4
NETEOF
for c in auto gemm direct winograd; do
	if nn-train -q --seed 2 --epochs 1 --batch 5 --conv $c -o m-$c.st c.net d.npy 2>err; then
		pass "conv-routes: nn-train --conv $c"
	else
		fail "conv-routes: nn-train --conv $c: $(head -c 200 err)"
	fi
	nn-predict -q --logits --conv $c -o p-$c.npy m-auto.st d.npy 2>err ||
		fail "conv-routes: nn-predict --conv $c: $(head -c 200 err)"
done
"$PY" - <<'PYEOF'
import numpy as np
from npstream import read_stream
p = {c: read_stream(f"p-{c}.npy")[0] for c in ("auto", "gemm", "direct", "winograd")}
def result(what, ok, why=""):
    print(("PASS: " if ok else "FAIL: ") + "conv-routes: " + what + ("" if ok else f": {why}"))
scale = np.abs(p["gemm"]).max()
for c, tol in (("direct", 1e-5), ("winograd", 1e-4)):
    d = np.abs(p[c] - p["gemm"]).max() / scale
    result(f"{c}'s scores are gemm's within {tol:g}", d <= tol, d)
result("gemm and direct are different routes (not the same bits)", not np.array_equal(p["gemm"], p["direct"]))
result("auto takes direct for 3x3 filters (the same bits)", np.array_equal(p["auto"], p["direct"]))
PYEOF
for tool in nn-train nn-predict; do
	if [ $tool = nn-train ]; then args="-o bad.st c.net d.npy"; else args="-o bad.npy m-auto.st d.npy"; fi
	# shellcheck disable=SC2086
	$tool --conv fast $args >out 2>err
	rc=$?
	check "conv-routes: $tool --conv fast: a usage error naming the choices, nothing written" \
		bash -c "[ $rc -eq 2 ] && grep -q 'auto, gemm, direct or winograd' err && [ ! -e bad.st ] && [ ! -e bad.npy ] && [ ! -s out ]"
done

#!/usr/bin/env bash
# Runs every test program (build/tests/*) and script (tests/*.sh) and tallies
# their result lines: "PASS: name", "FAIL: name: why", "SKIP: name: why".
# A program that exits non-zero without reporting a failure counts as one.
# NN_TEST_ONLY=gpu runs only the CUDA tests; NN_TEST_ONLY=NAME one test.
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
export NN_ROOT="$PWD"
pass=0 fail=0 skip=0
only=${NN_TEST_ONLY:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
	local name=$1; shift
	case "$only" in
	"") ;;
	gpu) [[ $name == *cuda* ]] || return 0 ;;
	*) [[ $name == *"$only"* ]] || return 0 ;;
	esac
	echo "== $name"
	local t0=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	cat "$log"
	local p f s
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: exited with status $rc"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "-- $name: $p passed, $f failed, $s skipped ($((SECONDS - t0)) s)"
}

for t in build/tests/*; do
	[ -x "$t" ] && run_one "$(basename "$t")" "$t"
done
for t in tests/*.sh; do
	[ "$t" = tests/run.sh ] && continue
	[ "$t" = tests/lib.sh ] && continue
	[ "$t" = tests/mutate.sh ] && continue   # the mutation score: run by hand
	run_one "$(basename "$t" .sh)" bash "$t"
done
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

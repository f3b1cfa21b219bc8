# tests/lib.sh: helpers for the shell tests; source it. Prints PASS:/FAIL:/SKIP: lines.
set -u
export LC_ALL=C
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DATA=${NN_DATA:-$NN_ROOT/../shared/data}

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

# check NAME COMMAND...: passes when the command succeeds
check() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_error NAME PATTERN COMMAND...: the command must exit 1, print one line
# on stderr matching PATTERN (grep -E), and nothing on stdout.
expect_error() {
	local name=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -ne 1 ]; then
		fail "$name: exit status $rc, expected 1 ($(head -c 200 "$T/err"))"
	elif ! grep -Eq -- "$pat" "$T/err"; then
		fail "$name: message '$(head -c 200 "$T/err")' does not match '$pat'"
	else
		pass "$name"
	fi
}

# python with numpy/torch/sklearn: Debian's interpreter, where those live
PY=/usr/bin/python3
have_py() { "$PY" -c "import $1" 2>/dev/null; }

# tests/lib.sh: helpers for the shell tests; source it. Prints PASS:/FAIL:/SKIP: lines.
set -u
export LC_ALL=C
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DATA=${NN_DATA:-$NN_ROOT/../shared/data}
# tests/npstream.py (NPY streams) for the Python parts of the tests
export PYTHONPATH="$NN_ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"

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

# same_tensors A B: every tensor of two safetensors files has the same name,
# dtype, shape and bytes (the metadata may differ)
same_tensors() {
	"$PY" - "$1" "$2" <<'EOF'
import json, struct, sys
def tensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    head = json.loads(blob[8:8 + n])
    head.pop("__metadata__", None)
    data = blob[8 + n:]
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in head.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
if diff:
    print("tensors differ:", ", ".join(diff[:5]), file=sys.stderr)
sys.exit(1 if diff else 0)
EOF
}

# same_model A B: two model files hold the same bytes once their "run"
# metadata (how they were made: command lines, dates, times) is set aside
same_model() {
	"$PY" - "$1" "$2" <<'PYEOF'
import json, struct, sys
def body(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    head = json.loads(blob[8:8 + n])
    head.get("__metadata__", {}).pop("run", None)
    return head, blob[8 + n:]
sys.exit(0 if body(sys.argv[1]) == body(sys.argv[2]) else 1)
PYEOF
}

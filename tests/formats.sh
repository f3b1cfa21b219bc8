#!/usr/bin/env bash
# formats.sh: NPY streams and safetensors files against numpy and PyTorch (both
# directions, through test_formats' copy modes), and the readers' one-line
# errors on bad input.
NN_ROOT=${NN_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$NN_ROOT/tests/lib.sh"
TF=$NN_ROOT/build/tests/test_formats
if [ ! -x "$TF" ]; then
	fail "formats: $TF not built"
	exit 1
fi
if ! have_py numpy; then
	skip "formats: NOT TESTABLE: $PY has no numpy"
	exit 0
fi

# An independent safetensors reader and writer, from the format's description.
cat >"$T/st.py" <<'EOF'
import json, struct
import numpy as np

NP = {'F32': '<f4', 'I64': '<i8', 'I32': '<i4', 'U8': '|u1'}
ST = {np.dtype(v).str: k for k, v in NP.items()}

def save(path, tensors, metadata=None, ensure_ascii=True):
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header['__metadata__'] = metadata
    for name, a in tensors.items():
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {'dtype': ST[a.dtype.str], 'shape': list(a.shape),
                        'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, ensure_ascii=ensure_ascii).encode('utf-8')
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

def load(path):
    data = open(path, 'rb').read()
    n, = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    buf = data[8 + n:]
    out, end = {}, 0
    for name, info in header.items():
        b, e = info['data_offsets']
        assert b == end, 'offsets not contiguous in header order'
        end = e
        out[name] = np.frombuffer(buf[b:e], dtype=NP[info['dtype']]).reshape(info['shape'])
    assert end == len(buf), 'data size differs from the offsets'
    return out, meta, n
EOF

# NPY: numpy writes a stream, the C reader and writer copy it, numpy reads it back.
"$PY" - "$T/in.npy" "$T/in2.npy" <<'EOF' || fail "formats: numpy could not write the streams"
import sys
import numpy as np
rng = np.random.default_rng(1)
arrays = [
    np.arange(24, dtype=np.uint8).reshape(2, 1, 3, 4),
    np.array([-2**31, -1, 0, 2**31 - 1], dtype=np.int32),
    np.array([[-2**63, 2**63 - 1]], dtype=np.int64),
    rng.standard_normal((3, 1, 2, 2)).astype(np.float32),
    np.array([np.inf, -np.inf, np.nan, -0.0, 1e-45], dtype=np.float32),
    np.array([b'T-shirt/top', b'Trouser', b''], dtype='S11'),
    np.array(3.5, dtype=np.float32),
    np.array(7, dtype=np.int64),
    np.zeros((0, 1, 28, 28), np.uint8),
    np.zeros((0,), np.float32),
    np.ones((1, 2, 1, 3, 1, 1, 2, 1001), np.uint8),
]
with open(sys.argv[1], 'wb') as f:
    for a in arrays:
        np.save(f, a)
with open(sys.argv[2], 'wb') as f:
    np.lib.format.write_array(f, np.arange(6, dtype=np.int32).reshape(2, 3), version=(2, 0))
    np.lib.format.write_array(f, np.array([b'ab'], dtype='S2'), version=(2, 0))
EOF
check "npy copy of a numpy stream" "$TF" --copy-npy "$T/in.npy" "$T/out.npy"
check "npy copy is byte-identical to numpy's own stream" cmp -s "$T/in.npy" "$T/out.npy"
check "npy copy through pipes" sh -c '"$1" --copy-npy - - <"$2/in.npy" | cmp -s - "$2/in.npy"' sh "$TF" "$T"
check "npy version 2.0 headers" "$TF" --copy-npy "$T/in2.npy" "$T/out2.npy"
check "numpy reads each array of our stream with repeated np.load" "$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
def read_all(path):
    out = []
    with open(path, 'rb') as f:
        size = len(f.read())
        f.seek(0)
        while f.tell() < size:
            out.append(np.load(f))
        assert f.read() == b''
    return out
for src, dst in (('in.npy', 'out.npy'), ('in2.npy', 'out2.npy')):
    a, b = read_all(f'{t}/{src}'), read_all(f'{t}/{dst}')
    assert len(a) == len(b) == (11 if src == 'in.npy' else 2), (len(a), len(b))
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), (x, y)
EOF

# safetensors: written here by an independent writer, copied by the C code
# (from a file and from a pipe), read back by the independent reader.
"$PY" - "$T" <<'EOF' || fail "formats: could not write the safetensors inputs"
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np, st
t = sys.argv[1]
rng = np.random.default_rng(2)
tensors = {
    '0.weight': rng.standard_normal((4, 1, 3, 3)).astype(np.float32),
    '0.bias': rng.standard_normal(4).astype(np.float32),
    '1.num_batches_tracked': np.array(12345678901234, dtype=np.int64),
    'ids': np.array([-5, 0, 7], dtype=np.int32),
    'pixels': np.arange(6, dtype=np.uint8).reshape(2, 3),
    'empty': np.zeros((0, 3), np.float32),
}
meta = {
    'net': 'input 1 4 4\n# a "quoted" comment, a back\\slash\tand a tab\nconv 4 3 pad=1\n',
    'classes': '["T-shirt/top", "Ankle boot", "caf\u00e9 \u2014 \U0001F600"]',
    'control': ''.join(map(chr, range(1, 32))) + '\x7f',
    'empty': '',
}
st.save(f'{t}/ascii.st', tensors, meta, ensure_ascii=True)
st.save(f'{t}/utf8.st', tensors, meta, ensure_ascii=False)
st.save(f'{t}/nometa.st', {'x': np.array(1.5, np.float32)})
st.save(f'{t}/nothing.st', {})
import pickle
pickle.dump((tensors, meta), open(f'{t}/want.pkl', 'wb'))
EOF
for f in ascii utf8 nometa nothing; do
	check "safetensors copy of $f.st" "$TF" --copy-st "$T/$f.st" "$T/$f.out.st"
done
check "safetensors copy through pipes" sh -c '"$1" --copy-st - - <"$2/utf8.st" >"$2/pipe.out.st"' sh "$TF" "$T"
check "safetensors read back by an independent reader" "$PY" - "$T" <<'EOF'
import sys, pickle
sys.path.insert(0, sys.argv[1])
import numpy as np, st
t = sys.argv[1]
want, wmeta = pickle.load(open(f'{t}/want.pkl', 'rb'))
for f in ('ascii.out.st', 'utf8.out.st', 'pipe.out.st'):
    got, meta, n = st.load(f'{t}/{f}')
    assert n % 8 == 0, (f, n)
    assert list(got) == list(want), (f, list(got))
    for k, a in want.items():
        b = got[k]
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), (f, k)
    assert meta == wmeta, (f, meta)
got, meta, n = st.load(f'{t}/nometa.out.st')
assert meta == {} and list(got) == ['x'] and got['x'].shape == () and got['x'] == 1.5
got, meta, n = st.load(f'{t}/nothing.out.st')
assert got == {} and meta == {}
EOF

# PyTorch: a state_dict written by our independent writer, copied by the C
# code, loads into the same network and gives the same outputs.
if have_py torch; then
	check "PyTorch state_dict written as safetensors by the independent writer" "$PY" - "$T" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np, torch, st
t = sys.argv[1]
torch.manual_seed(0)
def net():
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 2 * 2, 3))
a = net()
x = torch.randn(5, 1, 4, 4)
a(x)   # training mode: moves the batch-norm statistics and num_batches_tracked
a.eval()
sd = {k: v.numpy() for k, v in a.state_dict().items()}
assert sd['1.num_batches_tracked'].dtype == np.int64 and sd['1.num_batches_tracked'].shape == ()
st.save(f'{t}/torch.st', sd, {'net': 'input 1 4 4\nconv 4 3 pad=1\n'})
EOF
	check "safetensors copy of a PyTorch state_dict" "$TF" --copy-st "$T/torch.st" "$T/torch.out.st"
	check "PyTorch loads the copy with load_state_dict and computes the same" "$PY" - "$T" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import torch, st
t = sys.argv[1]
torch.manual_seed(0)
def net():
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 2 * 2, 3))
ref, _, _ = st.load(f'{t}/torch.st')
got, meta, _ = st.load(f'{t}/torch.out.st')
a, b = net(), net()
a.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ref.items()})
b.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in got.items()}, strict=True)
a.eval(); b.eval()
x = torch.randn(7, 1, 4, 4)
assert torch.equal(a(x), b(x))
assert b.state_dict()['1.num_batches_tracked'].item() == 1
assert meta['net'] == 'input 1 4 4\nconv 4 3 pad=1\n'
EOF
else
	skip "formats torch: NOT TESTABLE: $PY has no torch (Debian python3-torch)"
fi

# Bad input: one line naming the file, exit status 1.
"$PY" - "$T" <<'EOF' || fail "formats: could not write the bad inputs"
import sys, io, struct, json
sys.path.insert(0, sys.argv[1])
import numpy as np, st
t = sys.argv[1]
def npy(a, **kw):
    b = io.BytesIO()
    np.save(b, a, **kw)
    return b.getvalue()
def w(name, data):
    open(f'{t}/{name}', 'wb').write(data)
def npy_header(d):
    h = d.encode('latin1')
    h += b' ' * (-(len(h) + 11) % 64) + b'\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h
good = npy(np.arange(12, dtype=np.float32).reshape(3, 4))
w('trunc_header.npy', good[:30])
w('trunc_data.npy', good[:-3])
w('trunc_second.npy', good + good[:-1])
w('bad_magic.npy', b'\x93NUMPX' + good[6:])
w('f8.npy', npy(np.zeros(3)))
w('fortran.npy', npy(np.asfortranarray(np.zeros((2, 3), np.float32))))
w('be.npy', npy(np.zeros(3, '>f4')))
w('absurd.npy', npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1048576), }") + b'\0' * 16)
w('huge_dim.npy', npy_header("{'descr': '|u1', 'fortran_order': False, 'shape': (100000000000000000000,), }"))
w('version9.npy', b'\x93NUMPY\x09\x00' + good[8:])
w('nodict.npy', npy_header("[1, 2]"))

def raw(header, data=b''):
    h = header if isinstance(header, bytes) else header.encode('utf-8')
    h += b' ' * (-len(h) % 8)
    return struct.pack('<Q', len(h)) + h + data
one = '"a":{"dtype":"F32","shape":[1],"data_offsets":[%d,%d]}'
st.save(f'{t}/good.st', {'a': np.ones(3, np.float32)})
g = open(f'{t}/good.st', 'rb').read()
w('trunc.st', g[:-2])
w('short.st', g[:5])
w('hlen_big.st', struct.pack('<Q', 10**6) + g[8:])
w('hlen_huge.st', struct.pack('<Q', 2**63) + g[8:])
w('bad_json.st', raw('{"a": }'))
w('not_object.st', raw('[1, 2]'))
w('range.st', raw('{' + one % (4, 8) + '}', b'\0' * 4))
w('shape.st', raw('{"3.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', b'\0' * 4))
w('overlap.st', raw('{' + one % (0, 4) + ',' + one.replace('"a"', '"b"') % (0, 4) + '}', b'\0' * 4))
w('trailing.st', raw('{' + one % (0, 4) + '}', b'\0' * 6))
w('f16.st', raw('{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}', b'\0' * 2))
w('meta.st', raw('{"__metadata__":{"k":1}}'))
w('negshape.st', raw('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'))
w('dup.st', raw('{' + one % (0, 4) + ',' + one % (4, 8) + '}', b'\0' * 8))
w('unknown_field.st', raw('{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1],"x":1}}', b'\0'))
w('bad_utf8.st', raw(b'{"__metadata__":{"k":"\xff"}}'))
w('huge_shape.st', raw('{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'))
EOF

# one_line NAME: the last expect_error's message was a single line
one_line() { [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$1: message is not one line"; }
npy_err() {
	expect_error "npy error: $1" "$2" "$TF" --copy-npy "$T/$1" "$T/result"
	one_line "npy error: $1"
}
npy_err trunc_header.npy 'trunc_header\.npy: truncated NPY header'
npy_err trunc_data.npy 'trunc_data\.npy: truncated array \[3,4\]'
npy_err trunc_second.npy 'trunc_second\.npy: truncated array'
npy_err bad_magic.npy 'bad_magic\.npy: not an NPY file'
npy_err f8.npy "f8\.npy: unsupported dtype '<f8'"
npy_err fortran.npy 'fortran\.npy: Fortran-order arrays are not supported'
npy_err be.npy "be\.npy: unsupported dtype '>f4'"
npy_err absurd.npy 'absurd\.npy: (array too large|dimension out of range)'
npy_err huge_dim.npy 'huge_dim\.npy: dimension out of range'
npy_err version9.npy 'version9\.npy: unsupported NPY format version 9'
npy_err nodict.npy 'nodict\.npy: header is not a dict'
no_result() { ! ls "$T" | grep -q '^result'; }
check "npy errors leave no output file" no_result
expect_error "npy error: missing file" 'nosuch\.npy: No such file' "$TF" --copy-npy "$T/nosuch.npy" "$T/result"
expect_error "npy error: truncated pipe" '<stdin>: truncated array' sh -c 'head -c -1 "$1" | "$2" --copy-npy - "$3"' sh "$T/in.npy" "$TF" "$T/result"

st_err() {
	expect_error "safetensors error: $1" "$2" "$TF" --copy-st "$T/$1" "$T/result"
	one_line "safetensors error: $1"
}
st_err trunc.st 'trunc\.st: truncated file'
st_err short.st 'short\.st: truncated file'
st_err hlen_big.st 'hlen_big\.st: not a safetensors file or truncated: header length 1000000 exceeds the file size'
st_err hlen_huge.st 'hlen_huge\.st: not a safetensors file'
st_err in.npy 'in\.npy: an NPY tensor stream \(a dataset or prediction stream\), not a model \(an nnpipe safetensors file\)$'
st_err bad_json.st 'bad_json\.st: bad JSON in the header: unexpected character at byte 6'
st_err not_object.st 'not_object\.st: not a safetensors file'
st_err range.st "range\.st: tensor 'a': data_offsets \[4, 8\] out of range"
st_err shape.st "shape\.st: tensor '3\.weight': data_offsets do not match shape"
st_err overlap.st "overlap\.st: tensor '(a|b)': data_offsets \[0, 4\] overlap another tensor"
st_err trailing.st 'trailing\.st: 2 bytes after the last tensor'
st_err f16.st "f16\.st: tensor 'h': unsupported dtype 'F16'"
st_err meta.st "meta\.st: __metadata__ 'k' is not a string"
st_err negshape.st "negshape\.st: tensor 'a': shape holds something other than a size"
st_err dup.st 'dup\.st: bad JSON in the header: duplicate key "a"'
st_err unknown_field.st "unknown_field\.st: tensor 'a': unknown field 'x'"
st_err bad_utf8.st 'bad_utf8\.st: bad JSON in the header: invalid UTF-8'
st_err huge_shape.st "huge_shape\.st: tensor 'a': shape too large"
check "safetensors errors leave no output file" no_result
expect_error "safetensors error: directory" "$T: is a directory" "$TF" --copy-st "$T" "$T/result"
expect_error "safetensors error: truncated pipe" "<stdin>: truncated file \\(in tensor 'a'\\)" \
	sh -c 'head -c -1 "$1" | "$2" --copy-st - -' sh "$T/good.st" "$TF"
# Headers that claim gigabytes, followed by a few bytes, from a pipe: the
# readers hold memory only for bytes that arrive, so under a 1 GB limit they
# report the truncation, not an allocation failure. (Sanitizer builds reserve
# terabytes of address space and cannot run under a limit.)
"$PY" - "$T" <<'EOF2' || fail "formats: could not write the claiming headers"
import json, struct, sys
d = sys.argv[1]
h = json.dumps({"a": {"dtype": "F32", "shape": [1 << 30], "data_offsets": [0, 1 << 32]},
                "b": {"dtype": "F32", "shape": [1 << 30], "data_offsets": [1 << 32, 1 << 33]}}).encode()
open(d + "/claims.st", "wb").write(struct.pack("<Q", len(h)) + h + bytes(100))
hd = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647,), }"
hd += b" " * (63 - (10 + len(hd)) % 64) + b"\n"
open(d + "/claims.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hd)) + hd + bytes(100))
EOF2
LIM=1000000
ldd "$TF" 2>/dev/null | grep -q -e libasan -e libubsan && LIM=unlimited
expect_error "safetensors error: a pipe that claims 8 GB holds 100 bytes" "<stdin>: truncated file \\(in tensor 'a'\\)" \
	sh -c 'ulimit -v "$3"; cat "$1" | "$2" --copy-st - -' sh "$T/claims.st" "$TF" "$LIM"
expect_error "npy error: a pipe that claims 8 GB holds 100 bytes" '<stdin>: truncated array \[2147483647\]' \
	sh -c 'ulimit -v "$3"; cat "$1" | "$2" --copy-npy - -' sh "$T/claims.npy" "$TF" "$LIM"
expect_error "npy error: a file that claims 8 GB holds 100 bytes" 'claims\.npy: truncated array \[2147483647\] \(8589934588 bytes expected\); 100 bytes left' \
	sh -c 'ulimit -v "$3"; "$2" --copy-npy "$1" -' sh "$T/claims.npy" "$TF" "$LIM"
expect_error "safetensors error: trailing bytes in a pipe" '<stdin>: bytes after the last tensor' \
	sh -c 'cat "$1" "$1" | "$2" --copy-st - -' sh "$T/good.st" "$TF"

# Every layer kind of the table (lib/nn/layers.c) has its entry in the manual
# and in the PyTorch reference builder.
layer_words=$(sed -n '/^static const layer_def [a-z_]* = {$/{n;s/^\t"\([a-z]*\)".*/\1/p}' "$NN_ROOT/lib/nn/layers.c")
check "the layer table has entries" test "$(echo "$layer_words" | wc -w)" -ge 13
for w in $layer_words; do
	check "layer $w: in nnpipe-formats(5)" grep -Eq "^\.BI? $w( |\$)" "$NN_ROOT/man/nnpipe-formats.5"
	check "layer $w: in tests/nnpipe_torch.py" grep -Eq "word (==|in) .*\"$w\"" "$NN_ROOT/tests/nnpipe_torch.py"
done

# The format's man page renders without groff warnings.
if command -v groff >/dev/null; then
	check "nnpipe-formats(5) renders without warnings" \
		sh -c '[ -z "$(groff -man -ww -z "$1" 2>&1)" ]' sh "$NN_ROOT/man/nnpipe-formats.5"
else
	skip "nnpipe-formats(5): NOT TESTABLE: no groff (Debian groff-base)"
fi

# What the examples and the reference script name exists: the options the
# comments of examples/*.net suggest are nn-train's or examples/*.sh's
# environment, the files tests/nnpipe_torch.py names are there, and the
# class names it reads are the metadata key models store.
for f in "$NN_ROOT"/examples/*.net; do
	for o in $(grep '^#' "$f" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		check "$(basename "$f"): its comment's $o is an nn-train option" \
			sh -c 'nn-train --help 2>&1 | grep -q -- "$1[ =,]"' sh "$o"
	done
done
for p in $(grep -o 'examples/[A-Za-z0-9_.-]*' "$NN_ROOT/tests/nnpipe_torch.py" | sort -u); do
	check "tests/nnpipe_torch.py names $p, which exists" test -e "$NN_ROOT/$p"
done
check "tests/nnpipe_torch.py reads the class names from 'classes', as models store them" \
	sh -c '! grep -q class_names "$1" && grep -q "meta.get(\"classes\")" "$1"' sh "$NN_ROOT/tests/nnpipe_torch.py"
# a table of tab-separated text is aligned at tabs only ("Ankle boot" is one cell)
for p in "$NN_ROOT"/man/*.[15] "$NN_ROOT/README.md"; do
	if grep -E 'column (\\-|-)t' "$p" | grep -vqE 'column (\\-|-)t (\\-|-)s'; then
		fail "$(basename "$p"): column -t without -s (splits \"Ankle boot\")"
	else
		pass "$(basename "$p"): column -t only with -s TAB"
	fi
done

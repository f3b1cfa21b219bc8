#!/usr/bin/env bash
# tests/mpi.sh: nn-train on several processes under mpirun, against the
# single-process run on the same global batch: losses of the first steps,
# bit-identical repeats, a failing and a killed rank, resume across a stop,
# --sync-bn, and the ranks recorded in the model.
. "$(dirname "$0")/lib.sh"
export OMP_WAIT_POLICY=passive

if ! command -v mpirun >/dev/null; then
	skip "mpi: NOT TESTABLE: no mpirun (Debian: openmpi-bin, libopenmpi-dev)"
	exit 0
fi
# as root in a container: shared memory between the ranks without
# cross-process copies, and more ranks than cores
MP=(mpirun -q --allow-run-as-root --oversubscribe --mca btl self,vader
    --mca btl_vader_single_copy_mechanism none)
"${MP[@]}" -np 2 nn-train --help >/dev/null 2>"$T/err"
if grep -q 'built without MPI' "$T/err"; then
	skip "mpi: NOT TESTABLE: nn-train was built without MPI"
	exit 0
fi
FM=$DATA/fashion-mnist
[ -f "$FM/train-images-idx3-ubyte.gz" ] || FM=/usr/share/datasets/fashion-mnist
if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then
	skip "mpi: NOT TESTABLE: no Fashion-MNIST IDX files in $DATA/fashion-mnist or $FM"
	exit 0
fi
if ! have_py numpy; then
	skip "mpi: NOT TESTABLE: $PY has no numpy"
	exit 0
fi

ds-load fashion-mnist "$FM" --split train --limit 1000 2>/dev/null |
	ds-split --seed 3 --take 800 -o "$T/train.npy" -r "$T/val.npy" 2>/dev/null
NET=$NN_ROOT/examples/fashion-mnist.net
# batch norm and no dropout: dropout's masks are drawn per rank
cat >"$T/bn.net" <<'EOF'
input 1 28 28
conv 8 3 pad=1 bias=0
batchnorm
relu
maxpool 2
conv 16 3 pad=1 bias=0
batchnorm
relu
maxpool 2
flatten
linear 10
EOF

# close NAME A.tsv B.tsv STEPS TOL: the losses logged in the first STEPS
# steps, training and validation, agree within TOL relative
close() {
	local name=$1
	if out=$("$PY" - "$2" "$3" "$4" "$5" 2>&1 <<'EOF'
import sys
a, b, steps, tol = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def read(p):
    lines = [l.rstrip("\n").split("\t") for l in open(p)][1:]
    return [(int(s), split, float(loss)) for s, e, split, loss, *rest in lines]
ra, rb = read(a), read(b)
for split in ("train", "val"):
    xa = [r for r in ra if r[1] == split and r[0] <= steps]
    xb = [r for r in rb if r[1] == split and r[0] <= steps]
    if [r[0] for r in xa] != [r[0] for r in xb]:
        sys.exit(f"{split}: steps {[r[0] for r in xa]} and {[r[0] for r in xb]}")
    for (s, _, la), (_, _, lb) in zip(xa, xb):
        if abs(la - lb) > tol * abs(la):
            sys.exit(f"{split} step {s}: loss {la} and {lb}")
if not any(r[1] == "train" for r in ra):
    sys.exit("no training rows")
EOF
	); then pass "$name"; else fail "$name: $out"; fi
}

# --- 1 rank against 2: uneven shares (13 and 12 of 25), class weights that
# give the shares unequal weights, augmentation, validation split too
A=(--epochs 1 --batch 25 --log-every 1 --val-every 5 --threads 1 -q --augment flip,crop=0.8
   --class-weights 1,2,1,1,3,1,1,1,1,0.5 --val "$T/val.npy")
nn-train "$NET" "${A[@]}" --log "$T/one.tsv" -o "$T/one.safetensors" "$T/train.npy" 2>"$T/err" ||
	fail "one process: $(head -c 300 "$T/err")"
if "${MP[@]}" -np 2 nn-train "$NET" "${A[@]}" --log "$T/two.tsv" -o "$T/two.safetensors" \
	"$T/train.npy" 2>"$T/err"; then
	close "mpi: 1 and 2 ranks: losses of 20 steps within 1e-5" "$T/one.tsv" "$T/two.tsv" 20 1e-5
else
	fail "mpi: 2 ranks: $(head -c 300 "$T/err")"
fi
[ ! -s "$T/err" ] && pass "mpi: 2 ranks print nothing with -q" || fail "mpi: 2 ranks printed: $(head -c 300 "$T/err")"
# without -q, rank 0 alone speaks: a warning once, not once per rank
"${MP[@]}" -np 2 nn-train "$NET" --epochs 1 --batch 50 --log-every 100 --threads 1 --val "$T/train.npy" \
	-o "$T/w.safetensors" "$T/train.npy" 2>"$T/err" >/dev/null
n=$(grep -c 'validating on the training data' "$T/err")
if [ "$n" = 1 ] && grep -q '^nn-train: rank 0: warning: validating on the training data' "$T/err" &&
	! grep -q 'rank 1' "$T/err"; then
	pass "mpi: notes and warnings from rank 0 alone"
else
	fail "mpi: notes and warnings: $n warnings; $(head -c 300 "$T/err")"
fi
# 3 ranks: shares of 8, 8 and 9, and gradients that do not split evenly
# into 3 chunks (199,058 of them)
if "${MP[@]}" -np 3 nn-train "$NET" "${A[@]}" --log "$T/three.tsv" -o "$T/three.safetensors" \
	"$T/train.npy" 2>"$T/err"; then
	close "mpi: 1 and 3 ranks: losses of 20 steps within 1e-5" "$T/one.tsv" "$T/three.tsv" 20 1e-5
else
	fail "mpi: 3 ranks: $(head -c 300 "$T/err")"
fi

# --- --keep-best and --early-stop on 2 ranks: the same best and stop rows as
# one process (scores within 1e-5)
B=(--epochs 2 --batch 25 --log-every 4 --threads 1 -q --val "$T/val.npy" --keep-best --early-stop 2 --lr 3e-3)
nn-train "$NET" "${B[@]}" --log "$T/best1.tsv" -o "$T/best1.safetensors" "$T/train.npy" 2>"$T/err" ||
	fail "keep-best, one process: $(head -c 300 "$T/err")"
if "${MP[@]}" -np 2 nn-train "$NET" "${B[@]}" --log "$T/best2.tsv" -o "$T/best2.safetensors" \
	"$T/train.npy" 2>"$T/err"; then
	if out=$("$PY" - "$T/best1.tsv" "$T/best2.tsv" 2>&1 <<'EOF'
import sys
def rows(p):
    return [l.split("\t") for l in open(p) if l.split("\t")[2] in ("best", "stop")]
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if not a or [r[:3] for r in a] != [r[:3] for r in b]:
    sys.exit(f"rows {[r[:3] for r in a]} and {[r[:3] for r in b]}")
for ra, rb in zip(a, b):
    if abs(float(ra[4]) - float(rb[4])) > 1e-5 * abs(float(ra[4])):
        sys.exit(f"step {ra[0]}: score {ra[4]} and {rb[4]}")
EOF
	); then pass "mpi: --keep-best --early-stop: the best and stop rows of one process"
	else fail "mpi: --keep-best --early-stop: $out"; fi
else
	fail "mpi: --keep-best on 2 ranks: $(head -c 300 "$T/err")"
fi

# --- the same run again: the same bits
"${MP[@]}" -np 2 nn-train "$NET" "${A[@]}" --log "$T/again.tsv" -o "$T/again.safetensors" "$T/train.npy" 2>/dev/null
if same_model "$T/two.safetensors" "$T/again.safetensors" &&
	cmp -s <(cut -f1-6 "$T/two.tsv") <(cut -f1-6 "$T/again.tsv"); then
	pass "mpi: 2 ranks twice: the same model and log"
else
	fail "mpi: 2 ranks twice: the models or logs differ"
fi

# --- the number of ranks in the model's and the checkpoint's configuration
ranks() {
	"$PY" - "$1" <<'EOF'
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", blob[:8])[0]
print(json.loads(json.loads(blob[8:8 + n])["__metadata__"]["config"])["ranks"])
EOF
}
r1=$(ranks "$T/one.safetensors") r2=$(ranks "$T/two.safetensors") rc=$(ranks "$T/two.safetensors.ckpt")
[ "$r1 $r2 $rc" = "1 2 2" ] && pass "mpi: ranks recorded" ||
	fail "mpi: ranks recorded: $r1 $r2 $rc, expected 1 2 2"

# --- resume: stopped by Ctrl-C (mpirun passes it on), then continued, gives
# the model of the run that was not stopped
# (20 epochs, 400 steps: mpirun passes the signal on after a second or so,
# and the run must still be going then)
B=(--epochs 20 --batch 40 --log-every 1 --threads 1 -q)
"${MP[@]}" -np 2 nn-train "$NET" "${B[@]}" -o "$T/whole.safetensors" "$T/train.npy" 2>/dev/null
"${MP[@]}" -np 2 nn-train "$NET" "${B[@]}" --log "$T/stop.tsv" -o "$T/stop.safetensors" "$T/train.npy" \
	2>"$T/stop.err" &
pid=$!
for _ in $(seq 600); do
	[ -f "$T/stop.safetensors.ckpt" ] && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
if [ "$rc" -eq 0 ] || ! grep -q 'interrupted at step' "$T/stop.err"; then
	fail "mpi: Ctrl-C: exit $rc, $(head -c 300 "$T/stop.err")"
elif [ -e "$T/stop.safetensors" ]; then
	fail "mpi: Ctrl-C: a model was written"
else
	"${MP[@]}" -np 2 nn-train --resume "$T/stop.safetensors.ckpt" --log "$T/stop.tsv" -q "$T/train.npy" \
		2>"$T/err"
	if same_model "$T/whole.safetensors" "$T/stop.safetensors"; then
		pass "mpi: stopped by Ctrl-C and resumed: the model of the whole run"
	else
		fail "mpi: stopped and resumed: not the whole run's model ($(head -c 300 "$T/err"))"
	fi
fi
expect_error "mpi: resume on another number of ranks" "written by a run on 2 ranks.*mpirun -np 2" \
	nn-train --resume "$T/stop.safetensors.ckpt" -o "$T/r1.safetensors" -q "$T/train.npy"

# --- a rank that fails brings every rank down: one message naming it, no model
printf 'not npy' >"$T/bad.npy"
rm -f "$T/f.safetensors"*
"${MP[@]}" -np 2 sh -c 'f=$1; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && f=$2
	exec nn-train "$3" --epochs 50 --batch 40 --threads 1 -q -o "$4" "$f"' sh \
	"$T/train.npy" "$T/bad.npy" "$NET" "$T/f.safetensors" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 0 ]; then
	fail "mpi: a failing rank: exit status 0"
elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q "^nn-train: rank 1: $T/bad.npy: a text file, not an NPY tensor stream" "$T/err"; then
	fail "mpi: a failing rank: message '$(head -c 300 "$T/err")'"
elif ls "$T"/f.safetensors* >/dev/null 2>&1; then
	fail "mpi: a failing rank: output left: $(ls "$T"/f.safetensors*)"
else
	pass "mpi: a failing rank ends every rank with one message naming it"
fi

# --- a rank killed: every rank ends, non-zero, no model
rm -f "$T"/pid.*
"${MP[@]}" -np 2 sh -c 'echo $$ >"$1.$OMPI_COMM_WORLD_RANK"
	exec nn-train "$2" --epochs 50 --batch 40 --threads 1 -q -o "$3" "$4"' sh \
	"$T/pid" "$NET" "$T/k.safetensors" "$T/train.npy" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ -s "$T/pid.1" ] && break; sleep 0.1; done
sleep 1
kill -KILL "$(cat "$T/pid.1")"
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid
	fail "mpi: a killed rank: the others still run after 30 s"
else
	wait $pid
	rc=$?
	[ "$rc" -ne 0 ] && [ ! -e "$T/k.safetensors" ] && pass "mpi: a killed rank ends every rank" ||
		fail "mpi: a killed rank: exit status $rc, model $(ls "$T"/k.safetensors 2>&1)"
fi

# --- --sync-bn: batch-norm over the global batch, as one process computes
# it; with each rank's own statistics the losses differ
C=(--epochs 1 --batch 40 --log-every 1 --threads 1 -q --augment flip)
nn-train "$T/bn.net" "${C[@]}" --log "$T/bn1.tsv" -o "$T/bn1.safetensors" "$T/train.npy" 2>/dev/null
"${MP[@]}" -np 2 nn-train "$T/bn.net" "${C[@]}" --sync-bn --log "$T/bn2.tsv" -o "$T/bn2.safetensors" \
	"$T/train.npy" 2>/dev/null
"${MP[@]}" -np 2 nn-train "$T/bn.net" "${C[@]}" --log "$T/bnl.tsv" -o "$T/bnl.safetensors" \
	"$T/train.npy" 2>/dev/null
close "mpi: --sync-bn on 2 ranks: losses of 20 steps within 1e-5 of one process" "$T/bn1.tsv" "$T/bn2.tsv" 20 1e-5
if "$PY" - "$T/bn1.safetensors" "$T/bn2.safetensors" <<'EOF'
import json, struct, sys
import numpy as np
def load(p):
    blob = open(p, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    head = json.loads(blob[8:8 + n]); head.pop("__metadata__", None)
    return {k: np.frombuffer(blob[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], "<f4")
            for k, v in head.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])
for k in a:
    if "running" in k and not np.allclose(a[k], b[k], rtol=1e-4, atol=1e-5):
        sys.exit(1)
EOF
then pass "mpi: --sync-bn: running statistics of the global batch"
else fail "mpi: --sync-bn: running statistics differ from one process's"
fi
out=$(close x "$T/bn1.tsv" "$T/bnl.tsv" 20 1e-4)
case $out in
FAIL*) pass "mpi: local batch-norm statistics change the losses" ;;
*) fail "mpi: local batch-norm statistics give one process's losses" ;;
esac

# --- usage that several ranks cannot honour
expect_rank_error() {
	local name=$1 pat=$2; shift 2
	"${MP[@]}" -np 2 "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -eq 0 ] || ! grep -Eq -- "$pat" "$T/err"; then
		fail "$name: exit $rc, '$(head -c 300 "$T/err")'"
	else
		pass "$name"
	fi
}
expect_rank_error "mpi: 2 ranks refuse standard input" "ranks cannot share standard input" \
	sh -c 'exec nn-train "$1" -q -o "$2" <"$3"' sh "$NET" "$T/s.safetensors" "$T/train.npy"
expect_rank_error "mpi: a last batch smaller than the ranks is refused" "last batch of an epoch has 1 sample" \
	nn-train "$NET" --batch 799 -q -o "$T/s.safetensors" "$T/train.npy"

#!/usr/bin/env bash
# tests/sched.sh: the learning rate nn-train logs at every step against
# PyTorch's schedulers: CosineAnnealingLR stepped per step, StepLR stepped per
# epoch, and the warm-up as a LambdaLR of factor min(1, (step+1)/N), as the
# man page defines it. The first step must not run at rate 0.
. "$(dirname "$0")/lib.sh"
if ! have_py torch; then
	skip "sched: NOT TESTABLE: $PY has no torch (Debian python3-torch)"
	exit 0
fi
cd "$T" || exit 1
"$PY" - <<'EOF'
import numpy as np
r = np.random.default_rng(5)
with open("d.npy", "wb") as f:
    np.save(f, r.integers(0, 256, (200, 1, 4, 4), dtype=np.uint8))
    np.save(f, r.integers(0, 3, 200).astype(np.int32))
EOF
printf 'input 1 4 4\nflatten\nlinear 3\n' >lin.net

# case NAME LR SCHED WARMUP: 3 epochs of 10 steps, the lr of every step
case_() {
	local name=$1 lr=$2 sched=$3 warm=$4
	if ! nn-train -q --epochs 3 --batch 20 --opt sgd --lr "$lr" --sched "$sched" --warmup "$warm" \
		--log-every 1 --log "$name.tsv" -o "$name.st" lin.net d.npy; then
		fail "sched $name: nn-train failed"
		return
	fi
	"$PY" - "$name" "$lr" "$sched" "$warm" <<'EOF'
import sys
import torch
name, lr, sched, warm = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
steps, per_epoch = 30, 10
def rates(make, per_step=True):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    s = make(opt)
    out = []
    for k in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if per_step or (k + 1) % per_epoch == 0:
            s.step()
    return out
kind, *arg = sched.split(":")
if kind == "cosine":
    base = rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=steps,
                                                                      eta_min=float(arg[0]) if arg else 0.0))
elif kind == "step":
    base = rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=int(arg[0]),
                                                           gamma=float(arg[1]) if len(arg) > 1 else 0.1),
                 per_step=False)
else:
    base = [lr] * steps
factor = rates(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: min(1.0, (s + 1) / warm) if warm else 1.0))
want = [b * f / lr for b, f in zip(base, factor)]
got = {}
for line in open(name + ".tsv").read().splitlines()[1:]:
    f = line.split("\t")
    if f[2] == "train":
        got[int(f[0])] = float(f[5])
ok = sorted(got) == list(range(1, steps + 1))
worst = max(abs(got[k + 1] - want[k]) / want[k] for k in range(steps)) if ok else float("inf")
print(("PASS" if ok and worst < 1e-5 else "FAIL") + f": sched {name}: logged lr against PyTorch"
      + ("" if ok and worst < 1e-5 else f": relative error {worst:.3g}; step 1 {got.get(1)} vs {want[0]}"))
EOF
}
case_ const-warmup 0.1 const 7
case_ cosine-warmup 0.05 cosine:1e-4 5
case_ step-warmup 0.2 step:1:0.5 12
case_ cosine 0.05 cosine 0

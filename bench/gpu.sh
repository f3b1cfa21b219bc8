#!/usr/bin/env bash
# bench/gpu.sh: the GPU benchmarks, nnpipe against PyTorch, and their table.
#
# On a GPU machine run `OUT=$OUT bench/gpu.sh` (or bench/gpu-run.sh): that
# probes the machine, builds and runs the CUDA tests first, then calls this
# back (NN_GPU_RUN=1) for the benchmarks within its time budget. Prepare the
# machine's files here with bench/gpu-prepare.sh; bench/README.md has the design.
#   1. Fashion-MNIST course recipe (Adam, lr 1e-3, batch 64): seconds per epoch
#      and test accuracy after one epoch, nnpipe against bench/torch_train.py;
#   2. the course facade network at 256x256, batch 16: training and inference
#      images/s in fp32 and tf32, nnpipe against PyTorch with cuDNN;
#   3. a short run of the facade U-Net recipe (examples/facade-unet.net): test mAP.
# Writes table.txt (ratios are nnpipe's speed over PyTorch's) and the logs
# into $OUT. Each benchmark stops at its cap, within NN_BENCH_BUDGET seconds
# (default 180) in all; one that did not finish says so in the table.
# Environment: NN_DATA (the data folder: fashion-mnist/ and
# mini-facade/starter_set/, as bench/gpu-prepare.sh lays out .gpu/data), PY
# (python with torch). Without the data the rows say so: no accuracy or mAP is
# ever reported from random data.
# NN_BENCH_REHEARSAL=1 (bench/gpu-dryrun.sh) runs every step and every reading
# of the logs without a GPU: both sides on the CPU, Fashion-MNIST cut to 6400
# training and 1000 test images, the facade networks at 16x16, caps x4; its
# numbers say nothing of a GPU and its table says so.
set -u
if [ -z "${NN_GPU_RUN:-}" ]; then
	exec "$(dirname "$0")/gpu-run.sh" "$@"
fi
cd "$(dirname "$0")/.."
ROOT=$PWD
. bench/budget.sh
budget_init "${NN_BENCH_BUDGET:-180}"
export PATH="$ROOT/bin:$PATH"
PY=${PY:-python3}
L=${OUT:-$(mktemp -d /tmp/nnpipe-gpu.XXXXXX)}
mkdir -p "$L" || exit 1
W=$(mktemp -d /tmp/nnpipe-gpu-work.XXXXXX)
trap 'rm -rf "$W"' EXIT
T0=$SECONDS
DATA=${NN_DATA:-}

say() { echo "gpu.sh [$((SECONDS - T0)) s]: $*" >&2; }
# tsv VALUE...: one table row
ROWS=()
row() { ROWS+=("$(printf '%s\t' "$@")"); }
# why STATUS LOG: a table cell for a benchmark that did not finish
why() {
	case $1 in
	124) echo "stopped at its time cap (see $2)" ;;
	125) echo "not run: benchmark budget spent" ;;
	*) echo "failed (see $2)" ;;
	esac
}

# the workloads: a GPU's, or the CPU rehearsal's
REHEARSAL=${NN_BENCH_REHEARSAL:-0}
DEV=cuda FM_TAKE= FA_SIZE=256 X=1
# a rehearsal's caps are 4 times a GPU's, times NN_BENCH_SLACK on a CPU that
# other work shares (bench/gpu-dryrun.sh sets it from the load)
[ "$REHEARSAL" = 1 ] && DEV=cpu FM_TAKE=6400 FA_SIZE=16 X=$((4 * ${NN_BENCH_SLACK:-1}))

# nn-train says "--device cuda: ..." when it cannot have the device; with
# one, it gets as far as the (empty) data
printf 'input 1 4 4\nflatten\nlinear 2\n' >"$W/probe.net"
: >"$W/empty.npy"
HAVE_CUDA=1
case "$(nn-train --device $DEV -q "$W/probe.net" "$W/empty.npy" 2>&1)" in
*"--device $DEV"*) HAVE_CUDA=0 ;;
esac
HAVE_TORCH=0
if timeout 30 $PY -c "import torch, sys; sys.exit(0 if '$DEV' == 'cpu' or torch.cuda.is_available() else 1)" 2>/dev/null; then
	HAVE_TORCH=1
fi
NOCUDA="no device (no CUDA device for nnpipe)"
NOTORCH="n/a (no PyTorch with CUDA)"
NODATA="n/a (no data: set NN_DATA)"
say "nnpipe CUDA: $HAVE_CUDA, PyTorch CUDA: $HAVE_TORCH, data: ${DATA:-none}"

# awk over a metrics log: the seconds column of a row (step, split)
secs() { awk -F'\t' -v s="$2" -v k="$3" '$1 == s && $3 == k { print $7 }' "$1"; }
acc() { awk -F'\t' -v s="$2" -v k="$3" '$1 == s && $3 == k { print $5 }' "$1"; }
calc() { awk "BEGIN { printf \"%.4g\", $* }"; }
# ratio A B: A/B when both are numbers, else "-"
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$ ]]; }
ratio() { if isnum "$1" && isnum "$2"; then calc "$1 / $2" | sed 's/$/x/'; else echo "-"; fi; }

# Caps in seconds, in the order run; they add up to 175 of the default 180.
CAP_FM_DATA=$((15 * X)) CAP_FM_NN=$((30 * X)) CAP_FM_PT=$((25 * X))
CAP_FA_DATA=$((10 * X)) CAP_FA=$((15 * X)) CAP_UNET=$((20 * X))

# ---------------------------------------------------------------- Fashion-MNIST

FM_NET=examples/fashion-mnist.net
FM_DIR=$DATA/fashion-mnist
FM_NOTE="$FM_NET, Fashion-MNIST from $FM_DIR"
FM_NN_S=$NOCUDA FM_NN_S1=$NOCUDA FM_NN_ACC=$NOCUDA FM_PT_S=$NOTORCH
if [ -z "$DATA" ] || { ! [ -f "$FM_DIR/train-images-idx3-ubyte.gz" ] && ! [ -f "$FM_DIR/train-images-idx3-ubyte" ]; }; then
	FM_NOTE="$FM_NET, no data (NN_DATA=${DATA:-unset})"
	FM_NN_S=$NODATA FM_NN_S1=$NODATA FM_NN_ACC=$NODATA FM_PT_S=$NODATA
elif ! budget_run $CAP_FM_DATA 0 "$L/fmnist-data.log" bash -c 'ds-load fashion-mnist "$1" --split train ${4:+--limit $4} \
	-o "$2" && ds-load fashion-mnist "$1" --split test ${4:+--limit $((4 * $4 / 25))} -o "$3"' - \
	"$FM_DIR" "$W/fm-train.npy" "$W/fm-test.npy" "$FM_TAKE"; then
	FM_NOTE="$FM_NET, loading $FM_DIR failed (see fmnist-data.log)"
	FM_NN_S="n/a (no data)" FM_NN_S1="n/a (no data)" FM_NN_ACC="n/a (no data)" FM_PT_S="n/a (no data)"
else
	# 60000 samples, E = 938 steps of 64 an epoch; two epochs, logged every
	# half epoch and validated after each: epoch 1 is cold (cuBLAS start-up);
	# the steady state is the last half epoch (no validation or checkpoint in
	# it); the accuracy is the test set's after epoch 1
	N=${FM_TAKE:-60000}
	E=$(((N + 63) / 64)) H=$((((N + 63) / 64 + 1) / 2))
	if [ "$HAVE_CUDA" = 1 ]; then
		say "nnpipe Fashion-MNIST (log: fmnist-nnpipe.log)"
		if budget_run $CAP_FM_NN 0 "$L/fmnist-nnpipe.log" nn-train --device $DEV --epochs 2 --batch 64 \
			--opt adam --lr 1e-3 --seed 1 --log-every $H --val "$W/fm-test.npy" --val-every $E \
			--log "$L/fmnist-nnpipe.tsv" -o "$W/fm.safetensors" "$FM_NET" "$W/fm-train.npy"; then
			t1=$(secs "$L/fmnist-nnpipe.tsv" $E train)
			t15=$(secs "$L/fmnist-nnpipe.tsv" $((E + H)) train)
			t2=$(secs "$L/fmnist-nnpipe.tsv" $((2 * E)) train)
			FM_NN_S1=$(calc "$t1")
			FM_NN_S=$(calc "$E / ($E - $H) * ($t2 - $t15)")
			FM_NN_ACC=$(acc "$L/fmnist-nnpipe.tsv" $E val)
		else
			FM_NN_S=$(why $? fmnist-nnpipe.log) FM_NN_S1=- FM_NN_ACC=-
		fi
	fi
	if [ "$HAVE_TORCH" = 1 ]; then
		say "PyTorch Fashion-MNIST (log: fmnist-torch.log)"
		if budget_run $CAP_FM_PT 0 "$L/fmnist-torch.log" bash -c '"$1" bench/torch_train.py --device "$5" \
			--net "$2" --data "$3" --batch 64 --steps "$6" --warmup 20 --header >"$4"' - \
			"$PY" "$FM_NET" "$W/fm-train.npy" "$L/fmnist-torch.tsv" $DEV $E; then
			ips=$(awk -F'\t' '$1 == "torch" { print $9 }' "$L/fmnist-torch.tsv")
			FM_PT_S=$(calc "$N / $ips")
		else
			FM_PT_S=$(why $? fmnist-torch.log)
		fi
	fi
fi
say "Fashion-MNIST: $FM_NOTE"

# ---------------------------------------------------------------- facade

FA_NET=examples/facade.net UNET_NET=examples/facade-unet.net
if [ "$FA_SIZE" != 256 ]; then
	sed "s/^input 3 256 256/input 3 $FA_SIZE $FA_SIZE/" $FA_NET >"$W/facade.net"
	sed "s/^input 3 256 256/input 3 $FA_SIZE $FA_SIZE/" $UNET_NET >"$W/facade-unet.net"
	FA_NET=$W/facade.net UNET_NET=$W/facade-unet.net
fi
FA_DIR=$DATA/mini-facade/starter_set
# 240 training images: 15 steps of 16, logged every 5; 64 validation images
FA_NOTE="examples/facade.net at ${FA_SIZE}x$FA_SIZE, the first 240 train and 64 test_dev photos of $FA_DIR"
if [ -z "$DATA" ] || ! [ -d "$FA_DIR/train" ]; then
	FA_NOTE="examples/facade.net, no data (NN_DATA=${DATA:-unset})"
elif ! budget_run $CAP_FA_DATA 0 "$L/facade-data.log" bash -c 'ds-load facade "$1" --split train --size "$4" \
	--limit 240 -o "$2" && ds-load facade "$1" --split test_dev --size "$4" --limit 64 -o "$3"' - \
	"$FA_DIR" "$W/fa-train.npy" "$W/fa-val.npy" $FA_SIZE; then
	FA_NOTE="examples/facade.net, loading $FA_DIR failed (see facade-data.log)"
	rm -f "$W/fa-train.npy" "$W/fa-val.npy"
fi
say "facade: $FA_NOTE"

declare -A FA
PT_PREC=()
for prec in fp32 tf32; do
	FA[nn-train-$prec]=$NOCUDA FA[nn-infer-$prec]=$NOCUDA
	FA[pt-train-$prec]=$NOTORCH FA[pt-infer-$prec]=$NOTORCH
	if [ ! -f "$W/fa-train.npy" ]; then
		FA[nn-train-$prec]=$NODATA FA[nn-infer-$prec]=$NODATA
	elif [ "$HAVE_CUDA" = 1 ]; then
		say "nnpipe facade $prec (log: facade-nnpipe-$prec.log)"
		tsv=$L/facade-nnpipe-$prec.tsv
		if budget_run $CAP_FA 0 "$L/facade-nnpipe-$prec.log" nn-train --device $DEV --precision "$prec" \
			--epochs 1 --batch 16 --opt adam --lr 1e-3 --wd 1e-5 --class-weights 1,1,5,1,1 --log-every 5 \
			--val "$W/fa-val.npy" --val-every 5 --log "$tsv" -o "$W/fa.safetensors" "$FA_NET" "$W/fa-train.npy"; then
			# steps 5..15 less the validation at step 10; inference: the
			# validations at steps 10 and 15 (step 5's is still warming up)
			t5=$(secs "$tsv" 5 train) v5=$(secs "$tsv" 5 val)
			t10=$(secs "$tsv" 10 train) v10=$(secs "$tsv" 10 val)
			t15=$(secs "$tsv" 15 train) v15=$(secs "$tsv" 15 val)
			FA[nn-train-$prec]=$(calc "160 / (($t15 - $v5) - ($v10 - $t10))")
			FA[nn-infer-$prec]=$(calc "128 / (($v10 - $t10) + ($v15 - $t15))")
		else
			FA[nn-train-$prec]=$(why $? "facade-nnpipe-$prec.log") FA[nn-infer-$prec]=-
		fi
	fi
	# PyTorch's speed needs no photos: it times the same network on random
	# tensors of the same shape
	if [ "$HAVE_TORCH" = 1 ]; then
		say "PyTorch facade $prec (log: facade-torch-$prec.log)"
		if budget_run $CAP_FA 0 "$L/facade-torch-$prec.log" bash -c '"$1" bench/torch_train.py --device "$5" \
			--precision "$2" --facade --net "$3" --batch 16 --steps 10 --warmup 3 --header >"$4"' - \
			"$PY" "$prec" "$FA_NET" "$L/facade-torch-$prec.tsv" $DEV; then
			FA[pt-train-$prec]=$(awk -F'\t' '$2 == "train" { print $9 }' "$L/facade-torch-$prec.tsv")
			FA[pt-infer-$prec]=$(awk -F'\t' '$2 == "infer" { print $9 }' "$L/facade-torch-$prec.tsv")
		else
			FA[pt-train-$prec]=$(why $? "facade-torch-$prec.log") FA[pt-infer-$prec]=-
		fi
		p=$(grep -m1 '^precision: ' "$L/facade-torch-$prec.log" | sed 's/^precision: //')
		PT_PREC+=("$prec rows: ${p:-not reported}")
	fi
done

# ---------------------------------------------------------------- facade U-Net

# a short run of the U-Net recipe (examples/facade-unet.net) on the same data:
# it must train and score on the GPU; the full recipe is examples/facade.sh
UNET_MAP=$NOCUDA
if [ ! -s "$W/fa-train.npy" ]; then
	UNET_MAP=$NODATA
elif [ "$HAVE_CUDA" = 1 ]; then
	say "nnpipe facade U-Net, 3 epochs (log: facade-unet.log)"
	if budget_run $CAP_UNET 0 "$L/facade-unet.log" bash -c 'nn-train --device "$3" "$4" \
		--epochs 3 --batch 16 --opt adam --lr 1e-3 --wd 1e-5 --augment flip,crop=0.7 --log-every 15 \
		--log "$1/facade-unet.tsv" -o "$2/unet.safetensors" "$2/fa-train.npy" &&
		nn-predict --device "$3" "$2/unet.safetensors" "$2/fa-val.npy" | ap-score --tsv >"$1/facade-unet-score.tsv"' \
		- "$L" "$W" $DEV "$UNET_NET"; then
		UNET_MAP=$(awk -F'\t' '$1 == "mean" { print $5 }' "$L/facade-unet-score.tsv")
	else
		UNET_MAP=$(why $? facade-unet.log)
	fi
fi

# ---------------------------------------------------------------- table

row "workload" "nnpipe" "PyTorch" "speed ratio" "goal"
row "fmnist s/epoch (steady)" "$FM_NN_S" "$FM_PT_S" "$(ratio "$FM_PT_S" "$FM_NN_S")" ">= 3x"
row "fmnist s/epoch (epoch 1, cold)" "$FM_NN_S1" "-" "-" "-"
row "fmnist test accuracy, 1 epoch" "$FM_NN_ACC" "-" "-" "-"
row "facade U-Net, 3 short epochs: test mAP" "$UNET_MAP" "-" "-" "-"
for prec in fp32 tf32; do
	goal=">= 0.8x"
	[ "$prec" = tf32 ] && goal=">= 1.0x"
	row "facade train img/s $prec" "${FA[nn-train-$prec]}" "${FA[pt-train-$prec]}" \
		"$(ratio "${FA[nn-train-$prec]}" "${FA[pt-train-$prec]}")" "$goal"
	row "facade infer img/s $prec" "${FA[nn-infer-$prec]}" "${FA[pt-infer-$prec]}" \
		"$(ratio "${FA[nn-infer-$prec]}" "${FA[pt-infer-$prec]}")" "-"
done
{
	[ "$REHEARSAL" = 1 ] && echo "REHEARSAL on the CPU (Fashion-MNIST cut to $FM_TAKE images, facade at ${FA_SIZE}x$FA_SIZE): no GPU figures"
	echo "Fashion-MNIST: $FM_NOTE; batch 64, Adam lr 1e-3"
	echo "facade: $FA_NOTE; batch 16, Adam lr 1e-3 wd 1e-5, class weights 1,1,5,1,1"
	[ ${#PT_PREC[@]} -gt 0 ] && echo "PyTorch facade precision, as read back: $(printf '%s; ' "${PT_PREC[@]}" | sed 's/; $//')"
	if command -v column >/dev/null; then
		printf '%s\n' "${ROWS[@]}" | column -t -s $'\t'
	else
		printf '%s\n' "${ROWS[@]}"
	fi
} >"$L/table.txt"
cat "$L/table.txt"
say "done in $((SECONDS - T0)) s; logs in $L"

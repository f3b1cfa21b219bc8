#!/usr/bin/env bash
# bench/gpu.sh: the whole GPU check in one run, for a machine with an NVIDIA
# GPU and PyTorch (with CUDA) installed; about 6 minutes at most.
#   1. builds (make -j) and runs the CUDA tests (make test-gpu);
#   2. Fashion-MNIST course recipe (Adam, lr 1e-3, batch 64): seconds per epoch
#      and test accuracy after one epoch, nnpipe against bench/torch_train.py;
#   3. the course facade network at 256x256, batch 16: training and inference
#      images/s in fp32 and tf32, nnpipe against PyTorch with cuDNN;
#   4. a short run of the facade U-Net recipe (examples/facade-unet.net): test mAP.
# Prints a table last (ratios are nnpipe's speed over PyTorch's). Full logs go
# to $OUT when it is set (else a temporary folder, named at the end). Missing
# pieces (no GPU, no PyTorch, no data) are reported in the table, not fatal.
# Environment: NN_DATA (data folder, as for the tests), PY (python with torch).
# Building needs the headers of libpng, libjpeg and zlib (Debian libpng-dev,
# libjpeg-dev, zlib1g-dev); without OpenBLAS the CPU reference uses a plain C
# GEMM (make says so), which is enough for the CUDA-against-CPU tests.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/bin:$PATH"
PY=${PY:-python3}
if [ -n "${OUT:-}" ]; then
	L=$OUT
	mkdir -p "$L"
else
	L=$(mktemp -d /tmp/nnpipe-gpu.XXXXXX)
fi
W=$(mktemp -d /tmp/nnpipe-gpu-work.XXXXXX)
trap 'rm -rf "$W"' EXIT
T0=$SECONDS

say() { echo "gpu.sh [$((SECONDS - T0)) s]: $*" >&2; }
# tsv VALUE...: one table row
ROWS=()
row() { ROWS+=("$(printf '%s\t' "$@")"); }

# ---------------------------------------------------------------- machine

GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
GPU=${GPU:-no GPU found by nvidia-smi}
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "gpu: $GPU"
	nvidia-smi 2>&1
	nvcc --version 2>&1 || /usr/local/cuda/bin/nvcc --version 2>&1
	echo "cpus: $(nproc)"
	$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "available", torch.cuda.is_available())' 2>&1
} >"$L/machine.log"
say "GPU: $GPU"

# ---------------------------------------------------------------- build and tests

say "building (log: $L/build.log)"
if ! timeout 240 make -j"$(nproc)" >"$L/build.log" 2>&1; then
	tail -20 "$L/build.log" >&2
	say "build failed; see $L/build.log"
	exit 1
fi
grep '^nnpipe:' "$L/build.log" >&2

say "CUDA tests (log: $L/test-gpu.log)"
timeout 180 make test-gpu >"$L/test-gpu.log" 2>&1
grep -E '^(FAIL|SKIP):' "$L/test-gpu.log" | head -20 >&2
TESTS=$(tail -1 "$L/test-gpu.log")
say "CUDA tests: $TESTS"

# nn-train says "--device cuda: ..." when it cannot have the device; with
# one, it gets as far as the (empty) data
printf 'input 1 4 4\nflatten\nlinear 2\n' >"$W/probe.net"
HAVE_CUDA=1
case "$(nn-train --device cuda -q "$W/probe.net" /dev/null 2>&1)" in
*"--device cuda"*) HAVE_CUDA=0 ;;
esac
HAVE_TORCH=0
if $PY -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
	HAVE_TORCH=1
fi
NOCUDA="n/a (no CUDA device for nnpipe)"
NOTORCH="n/a (no PyTorch with CUDA)"
say "nnpipe CUDA: $HAVE_CUDA, PyTorch CUDA: $HAVE_TORCH"

# awk over a metrics log: the seconds column of a row (step, split)
secs() { awk -F'\t' -v s="$2" -v k="$3" '$1 == s && $3 == k { print $7 }' "$1"; }
acc() { awk -F'\t' -v s="$2" -v k="$3" '$1 == s && $3 == k { print $5 }' "$1"; }
calc() { awk "BEGIN { printf \"%.4g\", $* }"; }
# ratio A B: A/B when both are numbers, else "-"
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$ ]]; }
ratio() { if isnum "$1" && isnum "$2"; then calc "$1 / $2" | sed 's/$/x/'; else echo "-"; fi; }

# random dataset stream: rand_data OUT N C S CLASSES SEG
rand_data() {
	$PY - "$@" <<'EOF'
import sys
import numpy as np
out, n, c, s, k, seg = sys.argv[1], *map(int, sys.argv[2:])
r = np.random.default_rng(0)
x = r.integers(0, 256, (n, c, s, s), dtype=np.uint8)
y = r.integers(0, k, (n, s, s) if seg else (n,), dtype=np.int32)
with open(out, "wb") as f:
    np.save(f, x)
    np.save(f, y)
EOF
}

# ---------------------------------------------------------------- Fashion-MNIST

FM_NET=examples/fashion-mnist.net
[ -f "$FM_NET" ] || FM_NET=tests/golden/fmnist.net
FM_DIR=
for d in "${NN_DATA:-}/fashion-mnist" "${NN_DATA:-}" /usr/share/datasets/fashion-mnist \
	"$ROOT/../shared/data/fashion-mnist" "$ROOT/shared/data/fashion-mnist"; do
	if [ -f "$d/train-images-idx3-ubyte.gz" ] || [ -f "$d/train-images-idx3-ubyte" ]; then
		FM_DIR=$d
		break
	fi
done
FM_NOTE="$FM_NET"
if [ -n "$FM_DIR" ]; then
	ds-load fashion-mnist "$FM_DIR" --split train -o "$W/fm-train.npy" 2>>"$L/fmnist-data.log" &&
		ds-load fashion-mnist "$FM_DIR" --split test -o "$W/fm-test.npy" 2>>"$L/fmnist-data.log"
elif rand_data "$W/fm-train.npy" 60000 1 28 10 0 && rand_data "$W/fm-test.npy" 10000 1 28 10 0; then
	FM_NOTE="$FM_NOTE, RANDOM data (Fashion-MNIST not found: set NN_DATA)"
fi
say "Fashion-MNIST: $FM_NOTE"

FM_NN_S="$NOCUDA" FM_NN_S1="$NOCUDA" FM_NN_ACC="$NOCUDA" FM_PT_S="$NOTORCH"
if [ ! -f "$W/fm-train.npy" ]; then
	FM_NN_S="n/a (no data)" FM_NN_S1="n/a (no data)" FM_NN_ACC="n/a (no data)" FM_PT_S="n/a (no data)"
else
	# 60000 samples, 938 steps of 64 an epoch; two epochs, logged every half
	# epoch and validated after each: epoch 1 is cold (cuBLAS start-up); the
	# steady state is the last half epoch (no validation or checkpoint in it);
	# the accuracy is the test set's after epoch 1
	if [ "$HAVE_CUDA" = 1 ]; then
		say "nnpipe Fashion-MNIST (log: $L/fmnist-nnpipe.log)"
		if timeout 120 nn-train --device cuda --epochs 2 --batch 64 --opt adam --lr 1e-3 --seed 1 \
			--log-every 469 --val "$W/fm-test.npy" --val-every 938 --log "$L/fmnist-nnpipe.tsv" \
			-o "$W/fm.safetensors" "$FM_NET" "$W/fm-train.npy" >"$L/fmnist-nnpipe.log" 2>&1; then
			t1=$(secs "$L/fmnist-nnpipe.tsv" 938 train)
			t15=$(secs "$L/fmnist-nnpipe.tsv" 1407 train)
			t2=$(secs "$L/fmnist-nnpipe.tsv" 1876 train)
			FM_NN_S1=$(calc "$t1")
			FM_NN_S=$(calc "2 * ($t2 - $t15)")
			FM_NN_ACC=$(acc "$L/fmnist-nnpipe.tsv" 938 val)
		else
			FM_NN_S="failed (see fmnist-nnpipe.log)" FM_NN_S1="failed" FM_NN_ACC="failed"
		fi
	fi
	if [ "$HAVE_TORCH" = 1 ]; then
		say "PyTorch Fashion-MNIST (log: $L/fmnist-torch.log)"
		if timeout 120 $PY bench/torch_train.py --device cuda --net "$FM_NET" --data "$W/fm-train.npy" \
			--batch 64 --steps 938 --warmup 20 --header >"$L/fmnist-torch.tsv" 2>"$L/fmnist-torch.log"; then
			ips=$(awk -F'\t' '$1 == "torch" { print $9 }' "$L/fmnist-torch.tsv")
			FM_PT_S=$(calc "60000 / $ips")
		else
			FM_PT_S="failed (see fmnist-torch.log)"
		fi
	fi
fi

# ---------------------------------------------------------------- facade

FA_NET=examples/facade.net
FA_DIR=
for d in "${NN_DATA:-}/mini-facade" "$ROOT/../shared/data/mini-facade" "$ROOT/shared/data/mini-facade"; do
	for e in "$d" "$d/starter_set"; do
		[ -d "$e/train" ] && [ -d "$e/test_dev" ] && FA_DIR=$e && break 2
	done
done
# 240 training images: 15 steps of 16, logged every 5; 64 validation images
FA_NOTE="$FA_NET"
if [ -n "$FA_DIR" ] && ds-load facade "$FA_DIR" --split train --size 256 --limit 240 -o "$W/fa-train.npy" \
	2>>"$L/facade-data.log" && ds-load facade "$FA_DIR" --split test_dev --size 256 --limit 64 \
	-o "$W/fa-val.npy" 2>>"$L/facade-data.log"; then
	FA_NOTE="$FA_NOTE, mini-facade photos"
elif rand_data "$W/fa-train.npy" 240 3 256 5 1 && rand_data "$W/fa-val.npy" 64 3 256 5 1; then
	FA_NOTE="$FA_NOTE, random images"
fi
say "facade: $FA_NOTE"

declare -A FA
for prec in fp32 tf32; do
	FA[nn-train-$prec]=$NOCUDA FA[nn-infer-$prec]=$NOCUDA
	FA[pt-train-$prec]=$NOTORCH FA[pt-infer-$prec]=$NOTORCH
	if [ ! -f "$W/fa-train.npy" ]; then
		FA[nn-train-$prec]="n/a (no data)" FA[nn-infer-$prec]="n/a (no data)"
	elif [ "$HAVE_CUDA" = 1 ]; then
		say "nnpipe facade $prec (log: $L/facade-nnpipe-$prec.log)"
		tsv=$L/facade-nnpipe-$prec.tsv
		if timeout 150 nn-train --device cuda --precision "$prec" --epochs 1 --batch 16 --opt adam --lr 1e-3 \
			--wd 1e-5 --class-weights 1,1,5,1,1 --log-every 5 --val "$W/fa-val.npy" --val-every 5 \
			--log "$tsv" -o "$W/fa.safetensors" "$FA_NET" "$W/fa-train.npy" \
			>"$L/facade-nnpipe-$prec.log" 2>&1; then
			# steps 5..15 less the validation at step 10; inference: the
			# validations at steps 10 and 15 (step 5's is still warming up)
			t5=$(secs "$tsv" 5 train) v5=$(secs "$tsv" 5 val)
			t10=$(secs "$tsv" 10 train) v10=$(secs "$tsv" 10 val)
			t15=$(secs "$tsv" 15 train) v15=$(secs "$tsv" 15 val)
			FA[nn-train-$prec]=$(calc "160 / (($t15 - $v5) - ($v10 - $t10))")
			FA[nn-infer-$prec]=$(calc "128 / (($v10 - $t10) + ($v15 - $t15))")
		else
			FA[nn-train-$prec]="failed (see facade-nnpipe-$prec.log)" FA[nn-infer-$prec]="failed"
		fi
	fi
	if [ "$HAVE_TORCH" = 1 ]; then
		say "PyTorch facade $prec (log: $L/facade-torch-$prec.log)"
		tf=
		[ "$prec" = tf32 ] && tf=--tf32
		if timeout 150 $PY bench/torch_train.py --device cuda $tf --facade --net "$FA_NET" --batch 16 \
			--steps 20 --warmup 5 --header >"$L/facade-torch-$prec.tsv" 2>"$L/facade-torch-$prec.log"; then
			FA[pt-train-$prec]=$(awk -F'\t' '$2 == "train" { print $9 }' "$L/facade-torch-$prec.tsv")
			FA[pt-infer-$prec]=$(awk -F'\t' '$2 == "infer" { print $9 }' "$L/facade-torch-$prec.tsv")
		else
			FA[pt-train-$prec]="failed (see facade-torch-$prec.log)" FA[pt-infer-$prec]="failed"
		fi
	fi
done

# ---------------------------------------------------------------- facade U-Net

# a short run of the U-Net recipe (examples/facade-unet.net) on the same data:
# it must train and score on the GPU; the full recipe is examples/facade.sh
UNET_MAP=$NOCUDA
if [ "$HAVE_CUDA" = 1 ] && [ -s "$W/fa-train.npy" ]; then
	say "nnpipe facade U-Net, 3 epochs (log: $L/facade-unet.log)"
	if timeout 150 nn-train --device cuda examples/facade-unet.net --epochs 3 --batch 16 --opt adam \
		--lr 1e-3 --wd 1e-5 --augment flip,crop=0.7 --log-every 15 --log "$L/facade-unet.tsv" \
		-o "$W/unet.safetensors" "$W/fa-train.npy" >"$L/facade-unet.log" 2>&1 &&
		nn-predict --device cuda "$W/unet.safetensors" "$W/fa-val.npy" 2>>"$L/facade-unet.log" |
		ap-score --tsv >"$L/facade-unet-score.tsv" 2>>"$L/facade-unet.log"; then
		UNET_MAP=$(awk -F'\t' '$1 == "mean" { print $5 }' "$L/facade-unet-score.tsv")
	else
		UNET_MAP="failed (see facade-unet.log)"
	fi
elif [ "$HAVE_CUDA" = 1 ]; then
	UNET_MAP="n/a (no data)"
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
	echo "GPU: $GPU"
	echo "CUDA tests: $TESTS"
	echo "Fashion-MNIST: $FM_NOTE; batch 64, Adam lr 1e-3"
	echo "facade: $FA_NOTE; batch 16, Adam lr 1e-3 wd 1e-5, class weights 1,1,5,1,1"
	if command -v column >/dev/null; then
		printf '%s\n' "${ROWS[@]}" | column -t -s $'\t'
	else
		printf '%s\n' "${ROWS[@]}"
	fi
} | tee "$L/table.txt"
say "done in $((SECONDS - T0)) s; logs in $L"

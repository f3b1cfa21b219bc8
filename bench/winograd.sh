#!/bin/sh
# The CPU convolution's two routes, layer by layer: im2col and GEMM against
# Winograd's minimal filtering (backend_conv "gemm" and "winograd", nn-train's
# and nn-predict's --conv), on every stride-1 convolution of the course
# network, the facade course network at 64 and 128 and the small U-Net:
# forward and backward milliseconds, alternating, medians of REPEATS; then
# each route's error against sums in double per layer size. bench/winograd.c
# does both.
#   bench/winograd.sh [REPEATS] [THREADS]   (defaults: 5 repeats, 2 threads)
# Prints the tables and appends them, with the machine, its load and the
# command, to bench/winograd.md.
set -eu
# OpenBLAS picks its own kernels (nn-train(1), ENVIRONMENT), whatever the
# calling shell forces, as in bench/cpu-train.sh
unset OPENBLAS_CORETYPE
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-5}
threads=${2:-2}
make -s -C "$root" build/bench/winograd >/dev/null
prog=$root/build/bench/winograd
load0=$(cut -d' ' -f1-3 /proc/loadavg)
times=$("$prog" time "$threads" "$reps")
load1=$(cut -d' ' -f1-3 /proc/loadavg)
errors=$("$prog" error)

report=$(cat <<EOT

## $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); \`bench/winograd.sh $reps $threads\`: \`build/bench/winograd time $threads $reps\` then \`build/bench/winograd error\`; load average (1, 5, 15 min) $load0 before the timings, $load1 after

Milliseconds per call, medians of $reps alternating calls (backward: input, weight and bias gradients), and the GEMM route's time over Winograd's:

$times

Error against sums in double, one sample, images cut to 16x16 (the error of an output grows with the length of its sum, c*k*k, not with the image): the largest error over the largest |value| / the rms error over the rms value, for the output y and the gradients dx and dw:

$errors
EOT
)
echo "$report"
echo "$report" >>"$root/bench/winograd.md"

#!/usr/bin/env bash
# The GPU check's dry run (bench/gpu-dryrun.sh): bench/gpu-run.sh as the GPU
# machine runs it, from a copy of what travels there, with the system's image
# headers, OpenBLAS and make hidden, and a CPU rehearsal of its benchmarks.
# Needs root (a mount namespace) and .gpu/ from bench/gpu-prepare.sh, which
# .ci/run makes; skipped without them.
. tests/lib.sh
if [ "$(id -u)" -ne 0 ] || ! unshare --mount true 2>/dev/null; then
	skip "gpu dry run: needs root and mount namespaces"
elif [ ! -d .gpu/prefix ] || [ ! -d .gpu/data ]; then
	skip "gpu dry run: no .gpu/ (run bench/gpu-prepare.sh)"
else
	bench/gpu-dryrun.sh
fi

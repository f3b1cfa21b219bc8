#!/bin/sh
# The write-up of the example runs as one static HTML page: run
# examples/fashion-mnist.sh and/or examples/facade.sh first; each part whose
# outputs are there goes into the page. Reads $FM (default out/fashion-mnist)
# and $FACADE (default out/facade), writes $OUT (default out/report); open
# $OUT/index.html in a browser.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
fm=${FM:-$root/out/fashion-mnist}
fa=${FACADE:-$root/out/facade}
out=${OUT:-$root/out/report}

set --
if [ -f "$fm/fmnist.safetensors" ]; then
	set -- "$@" --cls-model "$fm/fmnist.safetensors" --cls-log "$fm/run.tsv" \
		--cls-val "$fm/val-pred.npy" --cls-val-data "$fm/val.npy" \
		--cls-test "$fm/test-pred.npy" --cls-data "$fm/test.npy"
fi
if [ -f "$fa/facade.safetensors" ]; then
	set -- "$@" --seg-model "$fa/facade.safetensors" --seg-log "$fa/seg.tsv" \
		--seg-test "$fa/test-pred.npy" --seg-data "$fa/test.npy"
fi
if [ $# -eq 0 ]; then
	echo "report.sh: nothing to report: run examples/fashion-mnist.sh or examples/facade.sh first" >&2
	exit 1
fi
nn-report -o "$out" --title "nnpipe: the course project" "$@"

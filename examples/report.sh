#!/bin/sh
# The write-up of the example runs as one static HTML page: run
# examples/fashion-mnist.sh and/or examples/facade.sh first; each part whose
# outputs are there goes into the page. Reads $FM (default out/fashion-mnist)
# and $FACADE (default out/facade), writes $OUT (default out/report); open
# $OUT/index.html in a browser. The write-up's own figures (per-class test
# accuracy, per-class AP) are shown for its own networks
# (examples/fashion-mnist.net at 28x28, examples/facade.net at 256x256),
# apart from this run's, with a word on whether the network trained here is
# the same. Beside the tables, each test set's confusion matrix and
# precision-recall curves, and the facade triplets under a colour legend.
set -eu
case ${1:-} in
-h | --help)
	sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
fm=${FM:-$root/out/fashion-mnist}
fa=${FACADE:-$root/out/facade}
out=${OUT:-$root/out/report}

set --
if [ -f "$fm/fmnist.safetensors" ]; then
	set -- "$@" --cls-model "$fm/fmnist.safetensors" --cls-log "$fm/run.tsv" \
		--cls-val "$fm/val-pred.npy" --cls-val-data "$fm/val.npy" \
		--cls-test "$fm/test-pred.npy" --cls-data "$fm/test.npy" \
		--cls-writeup 0.831,0.967,0.797,0.875,0.919,0.975,0.62,0.936,0.954,0.969 \
		--cls-writeup-net "$root/examples/fashion-mnist.net"
	if [ -f "$fm/commands.sh" ]; then
		set -- "$@" --cls-commands "$fm/commands.sh"
	fi
fi
if [ -f "$fa/facade.safetensors" ]; then
	set -- "$@" --seg-model "$fa/facade.safetensors" --seg-log "$fa/seg.tsv" \
		--seg-test "$fa/test-pred.npy" --seg-data "$fa/test.npy" \
		--seg-writeup 0.696,0.781,0.255,0.862,0.620 --seg-writeup-net "$root/examples/facade.net"
	if [ -f "$fa/commands.sh" ]; then
		set -- "$@" --seg-commands "$fa/commands.sh"
	fi
fi
if [ $# -eq 0 ]; then
	echo "report.sh: nothing to report: run examples/fashion-mnist.sh or examples/facade.sh first" >&2
	exit 1
fi
nn-report -o "$out" --title "nnpipe: the course project" "$@"

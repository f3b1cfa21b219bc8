#!/usr/bin/env bash
# bench/curve-plot.sh [OLD_BIN]: curve-plot --confusion on matrices of 10,
# 1,024 and 4,096 classes (ap-score's most): wall time and peak resident
# memory (gnuplot included), for bin/curve-plot and, when given, the
# curve-plot of another build (OLD_BIN/curve-plot), each stopped after 120 s.
# Appends nothing: prints a Markdown table for bench/curve-plot.md.
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# K classes, t%7+1 samples of class t right and one taken for class (3t+1)%K
matrix() {
	awk -v k="$1" 'BEGIN { printf "class\tname"; for (c = 0; c < k; c++) printf "\tpred%d", c; print ""
		for (t = 0; t < k; t++) { printf "%d\tc%d", t, t; w = (3 * t + 1) % k
			for (c = 0; c < k; c++) printf "\t%d", (c == t) * (t % 7 + 1) + (c == w); print "" } }'
}
echo "machine: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores; $(gnuplot --version)"
echo "commit: $(git describe --always --dirty)"
echo
echo "| classes | build | wall s | peak MB | exit |"
echo "|---|---|---|---|---|"
for k in 10 1024 4096; do
	matrix "$k" >"$T/cm.tsv"
	for b in bin ${1:+"$1"}; do
		/usr/bin/time -f '%e %M' -o "$T/time" timeout 120 "$b/curve-plot" --confusion -o "$T/cm.png" "$T/cm.tsv" \
			2>/dev/null
		rc=$?
		read -r wall kb < <(tail -n 1 "$T/time")
		[ "$rc" -eq 124 ] && wall=">120"
		echo "| $k | $b | $wall | $((kb / 1024)) | $rc |"
	done
done

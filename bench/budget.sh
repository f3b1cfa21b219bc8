# bench/budget.sh: one wall-clock budget shared by the stages of a run; source it.
#
#   budget_init SECONDS            start the clock: the run must be over in SECONDS
#   budget_left                    prints the seconds left
#   budget_run CAP RESERVE LOG CMD...
#                                  runs CMD (stdout and stderr to LOG) for at most
#                                  CAP seconds and never into the last RESERVE
#                                  seconds of the budget, which later stages keep;
#                                  status: CMD's, 124 when it was stopped at its
#                                  limit, 125 when under 5 s were left to start it
#
# A stage's limit is min(CAP, left - RESERVE), so the caps of the stages of a
# run add up to at most the budget and what a fast stage leaves goes to the next.

budget_init() {
	BUDGET_END=$((SECONDS + $1))
}

budget_left() {
	echo $((BUDGET_END - SECONDS))
}

budget_run() {
	local cap=$1 reserve=$2 log=$3
	shift 3
	local t=$((BUDGET_END - SECONDS - reserve))
	[ "$t" -gt "$cap" ] && t=$cap
	if [ "$t" -lt 5 ]; then
		echo "budget: not started, ${t} s left of its share" >>"$log"
		return 125
	fi
	local t0=$SECONDS
	# braces: the shell's own "Killed" notice goes to the log too
	{
		timeout -k 5 "$t" "$@" >>"$log" 2>&1
		local rc=$?
	} 2>>"$log"
	# timeout says 124, or 137 when the command outlived the TERM too
	[ "$rc" -eq 137 ] && [ $((SECONDS - t0)) -ge "$t" ] && rc=124
	[ "$rc" -eq 124 ] && echo "budget: stopped after its ${t} s" >>"$log"
	return "$rc"
}

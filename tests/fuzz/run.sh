#!/bin/sh
# tests/fuzz/run.sh MODE SECONDS NAME...: run the libFuzzer harnesses that
# make built as tests/fuzz/build/fuzz-NAME (make fuzz, make fuzz-regress).
#
#   fuzz     each harness for SECONDS seconds, FUZZ_JOBS (default: the
#            cores) at a time, over the scratch corpus build/corpus/NAME/
#            first (new inputs go there, never into git) and the committed
#            seeds corpus/NAME/ second; prints the executions run clean
#   regress  each harness once over every file of corpus/NAME/ and
#            regress/NAME/ (minimised crash reproducers)
#
# Exits 1 if any harness crashed, leaked, timed out or broke one of its
# invariants; its log and the crashing input (build/artifacts/NAME/) are
# named.  FUZZ_TIMEOUT (default 10) is the seconds one input may take.
set -u

mode=$1 seconds=$2
shift 2
DIR=$(cd "$(dirname "$0")" && pwd)
B=$DIR/build
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
TIMEOUT=${FUZZ_TIMEOUT:-10}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$B/log"

# fail NAME LOG: say why NAME failed: the report, the frames in our
# code, and the input (the file that ran last, or the one libFuzzer wrote).
fail() {
	echo "fuzz-$1: FAILED (log: $2)" >&2
	grep -E '^fuzz: |ERROR|runtime error|SUMMARY' "$2" | head -n 10 >&2
	grep -E '#[0-9]+ 0x.*/(common|tests/fuzz)/[a-z-]+\.c:' "$2" |
	    head -n 12 >&2
	grep -E '^Running: ' "$2" | tail -n 1 | sed 's/^Running:/input:/' >&2
	grep -E 'Test unit written' "$2" | sed 's/.*written to/input:/' >&2
}

# fuzz_one NAME: fuzz NAME for $seconds; 0 if it ran clean.
fuzz_one() {
	name=$1 log=$B/log/fuzz-$1.log
	dict=
	mkdir -p "$B/corpus/$name" "$B/artifacts/$name"
	[ -f "$DIR/$name.dict" ] && dict=-dict=$DIR/$name.dict
	# -close_fd_mask=2: the library's stderr log lines (one per refused
	# request, say) would fill the disk; sanitizer and fuzz_fail()
	# reports still get through.
	"$B/fuzz-$name" -max_total_time="$seconds" -timeout="$TIMEOUT" \
	    -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$B/artifacts/$name/" $dict \
	    "$B/corpus/$name" "$DIR/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' \
	    "$log" | tail -n 1)
	if [ "$rc" -ne 0 ] || [ -z "$runs" ]; then
		fail "$name" "$log"
		return 1
	fi
	set -- $runs
	printf 'fuzz-%s: %s executions run clean in %s s\n' "$name" "$1" "$2"
}

# regress_one NAME: NAME once over its seeds and reproducers.
regress_one() {
	name=$1 log=$B/log/regress-$1.log
	files=$(find "$DIR/corpus/$name" "$DIR/regress/$name" -type f \
	    2>/dev/null | sort)
	if [ -z "$files" ]; then
		echo "fuzz-$name: no seed or reproducer to run"
		return 0
	fi
	# shellcheck disable=SC2086	# one argument per file name
	"$B/fuzz-$name" -timeout="$TIMEOUT" $files >"$log" 2>&1 || {
		fail "$name" "$log"
		return 1
	}
	printf 'fuzz-%s: %s seeds and reproducers run clean\n' "$name" \
	    "$(printf '%s\n' "$files" | wc -l)"
}

status=0
case $mode in
fuzz)
	# In batches of $JOBS; each prints its line when its batch is done.
	while [ $# -gt 0 ]; do
		pids= n=0
		while [ $# -gt 0 ] && [ "$n" -lt "$JOBS" ]; do
			fuzz_one "$1" >"$B/log/fuzz-$1.line" 2>&1 &
			pids="$pids $!:$1"
			n=$((n + 1))
			shift
		done
		for p in $pids; do
			wait "${p%%:*}" || status=1
			cat "$B/log/fuzz-${p#*:}.line"
		done
	done
	;;
regress)
	for name in "$@"; do
		regress_one "$name" || status=1
	done
	;;
*)
	echo "usage: $0 fuzz|regress SECONDS NAME..." >&2
	exit 2
	;;
esac
exit $status

# bench/lib.sh: what bench/run.sh and bench/pg.sh share, sourced after they
# set top (the tree), d (their temporary directory) and pids=() (the
# servers to stop, which their cleanup kills too).

# serve NAME KIND [VAR=value ...]: tests/serve.sh KIND (busybox, lighttpd,
# lighttpd-fastcgi, ...) on a free port from $d/NAME, with the settings
# given over the environment's; sets PORT and BASE (the endpoints' URL).
serve() {
	local name=$1 kind=$2 i
	shift 2
	for i in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 40000))
		env "$@" bash "$top/tests/serve.sh" "$kind" "$PORT" "$d/$name" \
		    >>"$d/$name.log" 2>&1 &
		pids+=($!)
		for _ in $(seq 100); do
			curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
			sleep 0.05
		done
		curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
	done
	case $kind in
	busybox) BASE=http://127.0.0.1:$PORT/cgi-bin ;;
	*) BASE=http://127.0.0.1:$PORT/api/v1/auth ;;
	esac
}

# stop: every server serve started, and what they ran.
stop() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
	# FastCGI processes a server started may outlive it by a moment.
	pkill -f "^$d/.*/prefix/cgi-bin/" 2>/dev/null || true
	settle
}

# settle: wait (at most 5 s) until none of our executables runs: no request
# of an earlier run is still being answered (a run at 16 connections
# leaves up to 16 hashes going), no FastCGI process is left.
settle() {
	for _ in $(seq 100); do
		pgrep -f "^$d/.*/prefix/cgi-bin/" >/dev/null || return 0
		sleep 0.05
	done
}

# median V...: the median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# f A B: A / B to two places ("-" when B is 0).
f() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

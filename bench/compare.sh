#!/usr/bin/env bash
# bench/compare.sh OLD [NEW]: me, refresh and login of this tree (or of
# NEW) against another build's, in one run (make bench-compare OLD=...).
# OLD and NEW are checkouts, e.g. the last release's:
#
#     git worktree add /tmp/old v1.0 && bash bench/compare.sh /tmp/old
#
# Both are built if need be and run directly as CGI programs (bench/
# exectime.c), each on a database of its own, in BENCH_ROUNDS (default 7)
# interleaved rounds that alternate which goes first, so that the
# machine's drift falls on both alike.  login runs at 1000 PBKDF2
# iterations: at the deployed 600000 the hash (67 ms) hides the few
# hundred microseconds of everything else, which is what a change to the
# code around it moves.  Prints, per endpoint, both medians (the median of
# the rounds' medians) and new/old: that of the medians, and the lowest
# and highest of the rounds' own ratios, which is the noise to read it
# against.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] && [ -d "$1" ] || { echo "usage: $0 OLD-TREE [NEW-TREE]" >&2; exit 2; }
old=$(cd "$1" && pwd)
new=$(cd "${2:-$top}" && pwd)
R=${BENCH_ROUNDS:-7}
d=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-compare.XXXXXX")
trap 'rm -rf "$d"' EXIT

make -C "$new" -s all 2>/dev/null
make -C "$old" -s all 2>/dev/null
${CC:-cc} -O2 -std=c11 -Wall -Wextra -o "$d/exectime" "$top/bench/exectime.c"

# The deployed defaults but limits no run reaches; only settings both
# versions know (an unknown AUTH_* name is a startup error).
for v in $(env | sed -n 's/^\(AUTH_[A-Z_0-9]*\)=.*/\1/p'); do unset "$v"; done
export AUTH_RATE_REGISTER=1000000 AUTH_RATE_LOGIN=1000000
export AUTH_RATE_REFRESH=1000000 AUTH_ACCESS_TTL=86400
export AUTH_PBKDF2_ITERATIONS=1000 REMOTE_ADDR=127.0.0.1
PW='Bench-pass-42!x'
printf '%s' "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"password\":\"$PW\"}" \
    >"$d/register.json"
printf '%s' "{\"username\":\"bench\",\"password\":\"$PW\"}" >"$d/login.json"
: >"$d/empty"

# setup TREE NAME: NAME's database, its user and its tokens.
setup() {
	AUTH_DB=$d/$2.db REQUEST_METHOD=POST \
	    CONTENT_LENGTH=$(stat -c %s "$d/register.json") \
	    "$1/cgi-bin/register" <"$d/register.json" | sed '1,/^\r$/d' \
	    >"$d/$2.tokens"
	jq -e .access "$d/$2.tokens" >/dev/null ||
	    { echo "compare.sh: $1: register failed" >&2; exit 1; }
	printf '%s' "{\"refresh\":\"$(jq -r .refresh "$d/$2.tokens")\"}" \
	    >"$d/$2.refresh.json"
}
setup "$old" old
setup "$new" new

# run TREE NAME: one round's medians (µs) of me, refresh and login.
run() {
	local tree=$1 name=$2 access
	access=$(jq -r .access "$d/$name.tokens")
	export AUTH_DB=$d/$name.db
	set -- \
	    "$(REQUEST_METHOD=GET CONTENT_LENGTH=0 HTTP_AUTHORIZATION="Bearer $access" \
		"$d/exectime" 400 "$d/empty" "$tree/cgi-bin/me")" \
	    "$(REQUEST_METHOD=POST CONTENT_LENGTH=$(stat -c %s "$d/$name.refresh.json") \
		"$d/exectime" 400 "$d/$name.refresh.json" "$tree/cgi-bin/refresh")" \
	    "$(REQUEST_METHOD=POST CONTENT_LENGTH=$(stat -c %s "$d/login.json") \
		"$d/exectime" 200 "$d/login.json" "$tree/cgi-bin/login")"
	echo "${1%% *} ${2%% *} ${3%% *}"
}

echo "# new: $new ($(git -C "$new" describe --always --dirty 2>/dev/null || echo '?'))"
echo "# old: $old ($(git -C "$old" describe --always --dirty 2>/dev/null || echo '?'))"
echo "# $R rounds; each: me and refresh 400 runs, login 200 (1000 iterations)"
for r in $(seq "$R"); do
	if [ $((r % 2)) = 1 ]; then
		o=$(run "$old" old); n=$(run "$new" new)
	else
		n=$(run "$new" new); o=$(run "$old" old)
	fi
	echo "$r $o $n" >>"$d/rounds"
	echo "# round $r: old $o  new $n (µs: me refresh login)"
done

awk -v R="$R" '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	for (e = 1; e <= 3; e++) {
		o[e, NR] = $(1 + e); n[e, NR] = $(4 + e)
	}
}
END {
	split("me refresh login", name, " ")
	print "| endpoint (run directly) | old median | new median | new/old | rounds new/old |"
	print "|---|---:|---:|---:|---:|"
	for (e = 1; e <= 3; e++) {
		lo = 1e9; hi = 0
		for (i = 1; i <= NR; i++) {
			a[i] = o[e, i]; b[i] = n[e, i]; q = n[e, i] / o[e, i]
			if (q < lo) lo = q
			if (q > hi) hi = q
		}
		mo = median(a, NR); mn = median(b, NR)
		printf "| %s | %.0f µs | %.0f µs | %.2f | %.2f-%.2f |\n",
		    name[e], mo, mn, mn / mo, lo, hi
	}
}' "$d/rounds"

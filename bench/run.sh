#!/usr/bin/env bash
# bench/run.sh (make bench): the four endpoints against a static hello-world
# CGI measured in the same run.
#   1. per exec: each executable run directly as a CGI program (bench/
#      exectime.c: fork, exec, wait; median, p99 and peak RSS);
#   2. over HTTP with wrk at 1 and 16 connections under lighttpd and busybox
#      httpd (CGI), and under lighttpd with FastCGI: req/s, p50, p99;
#   3. PBKDF2: ours against OpenSSL's PKCS5_PBKDF2_HMAC (bench/pbkdf2.c);
#   4. scale: the same with 100,000 users, 100,000 clients counted and
#      100,000 logged-out refresh tokens remembered (refresh looks each
#      presented jti up among them).
# Prints one table (every figure also as a ratio to hello of the same run),
# writes it to bench/results.md and draws bench/latency.png (gnuplot).
# BENCH_SECONDS (default 3) is the length of each wrk run, BENCH_ROUNDS
# (default 5) the interleaved rounds of hello, me and refresh; login and
# register under lighttpd are paired with PBKDF2 in rounds of their own.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
DUR=${BENCH_SECONDS:-3}
d=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-bench.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$d"
}
trap cleanup EXIT
. "$top/bench/lib.sh"
CC=${CC:-cc}

# --- build ------------------------------------------------------------------
make -C "$top" -s all
$CC -O2 -static -o "$d/hello" "$top/bench/hello.c"
$CC -O2 -std=c11 -Wall -Wextra -o "$d/exectime" "$top/bench/exectime.c"
$CC -O2 -std=c11 -Wall -Wextra -D_DEFAULT_SOURCE -I"$top/common" \
    -I/usr/include/cjson -o "$d/pbkdf2" "$top/bench/pbkdf2.c" \
    "$top/common/libcommon.a" -lcrypto

# The deployed defaults (600000 iterations, the key generated into the
# database, the attempt counter on) but limits no benchmark reaches.
unset AUTH_JWT_SECRET AUTH_JWT_SECRET_FILE AUTH_PBKDF2_ITERATIONS AUTH_RATE_LIMIT \
    AUTH_RATE_WINDOW AUTH_TRUSTED_PROXIES AUTH_HASH_SLOTS HTTP_AUTHORIZATION
export AUTH_DB=$d/auth.db
export AUTH_RATE_REGISTER=1000000 AUTH_RATE_LOGIN=1000000 AUTH_RATE_REFRESH=1000000
# The access token made at the start is used to the end (300 s by default).
export AUTH_ACCESS_TTL=86400
PW='Bench-pass-42!x'

# --- 1. per exec ---------------------------------------------------------------
export REMOTE_ADDR=127.0.0.1
body() {	# body NAME JSON: a request body file $d/NAME.json
	printf '%s' "$2" >"$d/$1.json"
}
body register "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"password\":\"$PW\"}"
REQUEST_METHOD=POST CONTENT_LENGTH=$(stat -c %s "$d/register.json") \
    "$top/cgi-bin/register" <"$d/register.json" | sed '1,/^\r$/d' >"$d/tokens.json"
ACCESS=$(jq -r .access "$d/tokens.json")
REFRESH=$(jq -r .refresh "$d/tokens.json")
body refresh "{\"refresh\":\"$REFRESH\"}"
body login "{\"username\":\"bench\",\"password\":\"$PW\"}"
: >"$d/empty"

# exec NAME RUNS METHOD BODYFILE PROGRAM: "median_us p99_us maxrss_kib"
exec_time() {
	REQUEST_METHOD=$3 CONTENT_LENGTH=$(stat -c %s "$4") \
	    HTTP_AUTHORIZATION="Bearer $ACCESS" "$d/exectime" "$2" "$4" "$5"
}
declare -A X
X[hello]=$(exec_time hello 1000 GET "$d/empty" "$d/hello")
X[me]=$(exec_time me 1000 GET "$d/empty" "$top/cgi-bin/me")
X[refresh]=$(exec_time refresh 1000 POST "$d/refresh.json" "$top/cgi-bin/refresh")
X[login]=$(exec_time login 20 POST "$d/login.json" "$top/cgi-bin/login")
# register: a new user each run, so each is one exec of its own
for i in $(seq 20); do
	body "r$i" "{\"username\":\"exec$i\",\"email\":\"exec$i@example.com\",\"password\":\"$PW\"}"
	exec_time register 1 POST "$d/r$i.json" "$top/cgi-bin/register"
done | sort -n | awk '{ v[NR] = $1; r = $3 > r ? $3 : r }
    END { print v[int((NR + 1) / 2)], v[NR], r }' >"$d/register.exec"
X[register]=$(cat "$d/register.exec")
read -r PB_OURS PB_OPENSSL PB_SPEEDUP < <("$d/pbkdf2" 600000)

# --- 2. over HTTP -------------------------------------------------------------
for name in hello me refresh login register; do
	case $name in
	hello|me) m=GET; b= ;;
	register) m=POST; b= ;;
	*) m=POST; b=$(cat "$d/$name.json") ;;
	esac
	cat >"$d/$name.lua" <<LUA
wrk.method = "$m"
wrk.headers["Authorization"] = "Bearer $ACCESS"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$b'
LUA
done
# register: a new name per request (per thread and counter)
cat >>"$d/register.lua" <<'LUA'
local n, id = 0, 0
local tid = 0
function setup(thread) tid = tid + 1; thread:set("id", tid) end
local prefix = "w"
function init(args) id = wrk.thread:get("id") or 0; prefix = args[1] or "w" end
function request()
	n = n + 1
	local u = string.format("%s_%d_%d", prefix, id, n)
	return wrk.format(nil, nil, nil, string.format(
	    '{"username":"%s","email":"%s@example.com","password":"Bench-pass-42!x"}', u, u))
end
LUA

# serve_kind KIND: serve KIND from $d/KIND, with hello beside the endpoints.
serve_kind() {
	serve "$1" "$1"
	cp "$d/hello" "$d/$1/prefix/cgi-bin/hello"
}

# to_ms VALUE: wrk's "1.23ms" / "456.00us" / "1.20s" in ms
to_ms() {
	awk -v v="$1" 'BEGIN {
	    if (v ~ /us$/) printf "%.3f", v / 1000;
	    else if (v ~ /ms$/) printf "%.3f", v + 0;
	    else if (v ~ /s$/) printf "%.3f", v * 1000;
	    else printf "%.3f", v }'
}

# field LINE N: the Nth field of LINE.
field() { awk -v n="$2" '{ print $n }' <<<"$1"; }

# run_wrk KIND NAME CONNS [ROUND]: "req_per_s p50_ms p99_ms non2xx" into
# W[KIND/NAME/CONNS] (and R[.../ROUND] when in rounds)
declare -A W R
run_wrk() {
	local kind=$1 name=$2 c=$3 round=${4:-0} t=1 out rps p50 p99 bad
	[ "$c" -gt 1 ] && t=2
	out=$(wrk -t"$t" -c"$c" -d"${DUR}s" --latency -s "$d/$name.lua" "$BASE/$name" \
	    -- "${kind//-/_}_${c}_$round" 2>&1)
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	bad=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	W[$kind/$name/$c]="$rps $p50 $p99 ${bad:-0}"
	R[$kind/$name/$c/$round]=${W[$kind/$name/$c]}
	echo "  $kind $name c=$c round $round: $rps req/s, p50 $p50 ms, p99 $p99 ms, non-2xx ${bad:-0}" >&2
}

# median_rounds KEY: W[KEY] = the per-field median of R[KEY/1..ROUNDS]
median_rounds() {
	local key=$1 i r vals out=()
	for i in 1 2 3 4; do
		vals=()
		for ((r = 1; r <= ROUNDS; r++)); do
			vals+=("$(field "${R[$key/$r]}" "$i")")
		done
		out+=("$(median "${vals[@]}")")
	done
	W[$key]=${out[*]}
}

# against_pbkdf2 NAME: login or register under lighttpd at 1 connection,
# held against PBKDF2 (ours, 600000 iterations) timed beside it.  This
# machine's speed drifts by several ms between minutes, more than the
# 1.5 ms asked, so they are paired in 5 rounds: 3 timings of PBKDF2
# (pbkdf2_fresh), a 2 s wrk run, 3 timings...  Each round's reference is
# the median of the 6 timings around it; PB_REF and PB_DIFF[NAME] are the
# medians over rounds of the reference and of p50 minus it,
# W[lighttpd/NAME/1] the medians of the runs.
declare -A PB_REF PB_DIFF
# pbkdf2_fresh: 3 timings of PBKDF2, each in a process of its own as a
# request's is (on this VM one vCPU can hash 10% slower than the other for
# minutes, and a process stays where it starts).
pbkdf2_fresh() {
	local i
	for i in 1 2 3; do "$d/pbkdf2" 600000 1; done
}
against_pbkdf2() {
	local name=$1 DUR=2 ROUNDS=5 r ref refs=() diffs=()
	settle
	pbkdf2_fresh >"$d/pb.0"
	for ((r = 1; r <= ROUNDS; r++)); do
		run_wrk lighttpd "$name" 1 "$r"
		settle
		pbkdf2_fresh >"$d/pb.$r"
		ref=$(median $(cat "$d/pb.$((r - 1))" "$d/pb.$r"))
		refs+=("$ref")
		diffs+=("$(awk -v a="$(field "${R[lighttpd/$name/1/$r]}" 2)" \
		    -v b="$ref" 'BEGIN { print a - b }')")
		echo "  PBKDF2 around it: $ref ms ($(cat "$d/pb.$((r - 1))" "$d/pb.$r" | tr '\n' ' '))" >&2
	done
	median_rounds "lighttpd/$name/1"
	PB_REF[$name]=$(median "${refs[@]}")
	PB_DIFF[$name]=$(median "${diffs[@]}")
	echo "  $name p50 - PBKDF2, by round: ${diffs[*]}; median ${PB_DIFF[$name]} ms" >&2
}

# hello, me and refresh in interleaved rounds (BENCH_ROUNDS, default 5),
# each figure the median of its rounds, so that a disturbance of the
# machine hits the baseline and the endpoints alike; login and register,
# dominated by the hash, once, except under lighttpd at 1 connection,
# where against_pbkdf2 pairs them with PBKDF2 in rounds of their own.
ROUNDS=${BENCH_ROUNDS:-5}
for kind in lighttpd busybox lighttpd-fastcgi; do
	echo "== $kind" >&2
	serve_kind "$kind"
	for ((round = 1; round <= ROUNDS; round++)); do
		for name in hello me refresh; do
			[ "$kind" = lighttpd-fastcgi ] && [ "$name" = hello ] && continue
			for c in 1 16; do
				run_wrk "$kind" "$name" "$c" "$round"
			done
		done
	done
	for name in hello me refresh; do
		[ "$kind" = lighttpd-fastcgi ] && [ "$name" = hello ] && continue
		for c in 1 16; do
			median_rounds "$kind/$name/$c"
		done
	done
	for name in login register; do
		for c in 1 16; do
			if [ "$kind" = lighttpd ] && [ "$c" = 1 ]; then
				against_pbkdf2 "$name"
			else
				run_wrk "$kind" "$name" "$c"
			fi
		done
	done
	stop
done

# --- 4. scale: 100,000 users and 100,000 clients counted ---------------------
size0=$(stat -c %s "$AUTH_DB")
users0=$(sqlite3 "$AUTH_DB" "SELECT count(*) FROM users")
hash=$(sqlite3 "$AUTH_DB" "SELECT password FROM users WHERE username = 'bench'")
sqlite3 "$AUTH_DB" <<SQL
.timeout 10000
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO users (username, username_key, email, email_key, password,
    is_active, date_joined)
SELECT 'scale' || i, 'scale' || i, 'scale' || i || '@example.com',
    'scale' || i || '@example.com', '$hash', 1, strftime('%s', 'now') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO attempts (scope, client, bucket, count)
SELECT 1, '10.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256),
    CAST(strftime('%s', 'now') AS INTEGER) / 300, 1 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO attempts (scope, client, bucket, count)
SELECT 1, 'old' || i, CAST(strftime('%s', 'now') AS INTEGER) / 300 - 1, 1 FROM n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
size1=$(stat -c %s "$AUTH_DB")
users1=$(sqlite3 "$AUTH_DB" "SELECT count(*) FROM users")
# 100k logouts' worth of remembered refresh tokens (after the size above,
# which is the users' and the counter's).
sqlite3 "$AUTH_DB" <<SQL
.timeout 10000
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO tokens (jti, user_id, kind, at, expires)
SELECT printf('%032x', i), i, 0, CAST(strftime('%s', 'now') AS INTEGER),
    CAST(strftime('%s', 'now') AS INTEGER) + 86400 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
size2=$(stat -c %s "$AUTH_DB")
echo "== lighttpd, $users1 users" >&2
serve_kind lighttpd
# hello in the same rounds: the ratio to hello is what is compared with
# the empty database's, minutes apart on a machine that drifts.
for ((round = 1; round <= ROUNDS; round++)); do
	for name in hello me refresh; do
		run_wrk scale "$name" 1 "$round"
	done
done
for name in hello me refresh; do
	median_rounds "scale/$name/1"
done
run_wrk scale login 1
stop
old_left=$(sqlite3 "$AUTH_DB" "SELECT count(*) FROM attempts WHERE bucket < CAST(strftime('%s', 'now') AS INTEGER) / 300")
rows=$(sqlite3 "$AUTH_DB" "SELECT count(*) FROM attempts")
per_user=$(( (size1 - size0) / (users1 - users0) ))
per_token=$(( (size2 - size1) / 100000 ))

# --- the table ----------------------------------------------------------------
# scale_ratio NAME: NAME's p50 at scale against the empty database's, each
# as a multiple of the same phase's hello (login, whose hash is most of
# it: the p50s themselves).
scale_ratio() {
	local e=${W[lighttpd/$1/1]} s=${W[scale/$1/1]}
	if [ "$1" = login ]; then
		f "$(field "$s" 2)" "$(field "$e" 2)"
	else
		f "$(f "$(field "$s" 2)" "$(field "${W[scale/hello/1]}" 2)")" \
		    "$(f "$(field "$e" 2)" "$(field "${W[lighttpd/hello/1]}" 2)")"
	fi
}
{
	echo "# corners-auth benchmark"
	echo
	echo "$(date -u +%Y-%m-%d) on $(nproc) cores ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1)),"
	echo "made by \`make bench\` (bench/run.sh, wrk runs of ${DUR} s; hello, me and refresh"
	echo "are medians of $ROUNDS interleaved rounds). Ratios are to the"
	echo "static hello-world CGI of the same run and server (× hello); for req/s a"
	echo "ratio above 1 is faster, for times below 1 is faster. Login and register"
	echo "hash at the default 600000 PBKDF2 iterations."
	echo
	echo "## Per exec (run directly as CGI, fork to exit)"
	echo
	echo "| program | median µs | × hello | p99 µs | peak RSS KiB |"
	echo "|---|---:|---:|---:|---:|"
	hello_us=$(field "${X[hello]}" 1)
	for name in hello me refresh login register; do
		v=${X[$name]}
		echo "| $name | $(field "$v" 1) | $(f "$(field "$v" 1)" "$hello_us") | $(field "$v" 2) | $(field "$v" 3) |"
	done
	echo
	for kind in lighttpd busybox; do
		echo "## Over HTTP: $kind, CGI"
		echo
		echo "| endpoint | c=1 p50 ms | × hello | c=1 p99 ms | c=1 req/s | c=16 req/s | × hello | c=16 p99 ms | non-2xx |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
		h1=${W[$kind/hello/1]}
		h16=${W[$kind/hello/16]}
		for name in hello me refresh login register; do
			a=${W[$kind/$name/1]}
			b=${W[$kind/$name/16]}
			echo "| $name | $(field "$a" 2) | $(f "$(field "$a" 2)" "$(field "$h1" 2)") | $(field "$a" 3) | $(field "$a" 1) | $(field "$b" 1) | $(f "$(field "$b" 1)" "$(field "$h16" 1)") | $(field "$b" 3) | $(( $(field "$a" 4) + $(field "$b" 4) )) |"
		done
		echo
	done
	echo "## Over HTTP: lighttpd, FastCGI (the same executables, kept running)"
	echo
	echo "| endpoint | c=1 p50 ms | × CGI hello | c=1 req/s | c=16 req/s | × CGI hello | × the same endpoint as CGI | non-2xx |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	h1=${W[lighttpd/hello/1]}
	h16=${W[lighttpd/hello/16]}
	for name in me refresh login register; do
		a=${W[lighttpd-fastcgi/$name/1]}
		b=${W[lighttpd-fastcgi/$name/16]}
		cgi=${W[lighttpd/$name/16]}
		echo "| $name | $(field "$a" 2) | $(f "$(field "$a" 2)" "$(field "$h1" 2)") | $(field "$a" 1) | $(field "$b" 1) | $(f "$(field "$b" 1)" "$(field "$h16" 1)") | $(f "$(field "$b" 1)" "$(field "$cgi" 1)") | $(( $(field "$a" 4) + $(field "$b" 4) )) |"
	done
	echo
	echo "## PBKDF2-HMAC-SHA256, 600000 iterations, best of 5"
	echo
	echo "| implementation | ns per iteration | ms per hash |"
	echo "|---|---:|---:|"
	echo "| ours (common/crypto.c) | $PB_OURS | $(awk -v n="$PB_OURS" 'BEGIN { printf "%.1f", n * 0.6 }') |"
	echo "| OpenSSL PKCS5_PBKDF2_HMAC | $PB_OPENSSL | $(awk -v n="$PB_OPENSSL" 'BEGIN { printf "%.1f", n * 0.6 }') |"
	echo
	echo "Ours is **${PB_SPEEDUP}×** the speed of PKCS5_PBKDF2_HMAC (same output, checked)."
	echo
	echo "## Scale: $users1 users, $((rows + 100000 - old_left)) attempt rows before, lighttpd CGI, c=1"
	echo
	echo "hello, me and refresh at scale are medians of $ROUNDS interleaved rounds;"
	echo "the ratio compares each one's multiple of hello (login's, its p50) with"
	echo "the empty database's."
	echo
	echo "| endpoint | p50 ms empty | × hello | p50 ms at scale | × hello | ratio | non-2xx at scale |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for name in hello me refresh login; do
		a=$(field "${W[lighttpd/$name/1]}" 2)
		b=$(field "${W[scale/$name/1]}" 2)
		echo "| $name | $a | $(f "$a" "$(field "${W[lighttpd/hello/1]}" 2)") | $b | $(f "$b" "$(field "${W[scale/hello/1]}" 2)") | $(scale_ratio "$name") | $(field "${W[scale/$name/1]}" 4) |"
	done
	echo
	echo "The tokens table held 100000 logged-out refresh tokens (100k logouts)"
	echo "for refresh to look its jti up among: $per_token bytes of the file each"
	echo "($(( (size2 - size1) / 1048576 )) MiB), until their exp passes and logout,"
	echo "refresh or authctl purge delete them."
	echo "Database file: $per_user bytes per user. The attempt counter held 100000"
	echo "current-window clients and 100000 rows of the previous window; after the"
	echo "run $old_left old rows are left and $rows rows in all (only the current"
	echo "window is kept)."
	echo
	echo "## Targets (issue 5)"
	echo
	echo "Login and register are held against PBKDF2 (ours, 600000 iterations)"
	echo "timed beside them: under lighttpd at 1 connection, 5 rounds of 3"
	echo "timings of PBKDF2 (each in a new process, as a request's) and a 2 s"
	echo "run, each round's p50 less the median of the 6 timings around it; the"
	echo "row's figure is the median of those differences (this machine's speed"
	echo "drifts by more than 1.5 ms between minutes, which pairing cancels)."
	echo
	l=lighttpd
	pb_ms=$(awk -v n="$PB_OURS" 'BEGIN { printf "%.2f", n * 0.6 }')
	chk() { awk "BEGIN { exit !($1) }" && echo "met" || echo "**missed**"; }
	# all2xx KEY...: no run behind these figures had a non-2xx answer (a
	# figure made of errors meets nothing).
	all2xx() {
		local k
		for k in "$@"; do
			[ "$(field "${W[$k]}" 4)" = 0 ] || { echo 0; return; }
		done
		echo 1
	}
	me_r=$(f "$(field "${W[$l/me/1]}" 2)" "$(field "${W[$l/hello/1]}" 2)")
	rf_r=$(f "$(field "${W[$l/refresh/1]}" 2)" "$(field "${W[$l/hello/1]}" 2)")
	lg=$(field "${W[$l/login/1]}" 2)
	rg=$(field "${W[$l/register/1]}" 2)
	me16=$(f "$(field "${W[$l/me/16]}" 1)" "$(field "${W[$l/hello/16]}" 1)")
	fc=$(f "$(field "${W[lighttpd-fastcgi/me/16]}" 1)" "$(field "${W[$l/me/16]}" 1)")
	echo "| target | measured | |"
	echo "|---|---:|---|"
	echo "| me p50 ≤ 1.6× hello | ${me_r}× | $(chk "$me_r <= 1.6 && $(all2xx $l/me/1)") |"
	echo "| refresh p50 ≤ 1.7× hello | ${rf_r}× | $(chk "$rf_r <= 1.7 && $(all2xx $l/refresh/1)") |"
	ld=${PB_DIFF[login]} rd=${PB_DIFF[register]}
	echo "| login p50 ≤ PBKDF2 + 1.5 ms (p50 $lg ms, PBKDF2 ${PB_REF[login]} ms; best of 5 earlier: $pb_ms) | PBKDF2 + $ld ms | $(chk "$ld <= 1.5 && $(all2xx $l/login/1)") |"
	echo "| register p50 ≤ PBKDF2 + 1.5 ms (p50 $rg ms, PBKDF2 ${PB_REF[register]} ms) | PBKDF2 + $rd ms | $(chk "$rd <= 1.5 && $(all2xx $l/register/1)") |"
	echo "| me at 16 connections ≥ 0.65× hello's req/s | ${me16}× | $(chk "$me16 >= 0.65 && $(all2xx $l/me/16)") |"
	echo "| FastCGI me ≥ 8× CGI me req/s (c=16) | ${fc}× | $(chk "$fc >= 8 && $(all2xx $l/me/16 lighttpd-fastcgi/me/16)") |"
	echo "| PBKDF2 ≥ 1.8× PKCS5_PBKDF2_HMAC | ${PB_SPEEDUP}× | $(chk "$PB_SPEEDUP >= 1.8") |"
	for name in me refresh login; do
		r=$(scale_ratio "$name")
		echo "| $name at 100k users within 10% | ${r}× | $(chk "$r <= 1.10 && $(all2xx "scale/$name/1" "lighttpd/$name/1")") |"
	done
	# The 1.5 ms is absolute, this machine's speed is not (results hold as
	# ratios to the same run's baseline), so also this.
	hl=$(field "${W[$l/hello/1]}" 2)
	echo
	echo "Context for the login and register rows, not a target: what each"
	echo "adds to its hash is $(f "$ld" "$hl")× and $(f "$rd" "$hl")× this run's lighttpd"
	echo "hello p50 ($hl ms);"
	echo "the 1.5 ms asked is 1.92× the 0.78 ms lighttpd hello measured on this machine kind when the target was set."
} >"$d/results.md"

# --- the chart ------------------------------------------------------------------
{
	for name in hello me refresh login register; do
		echo "$name $(field "${W[lighttpd/$name/1]}" 2) $(field "${W[busybox/$name/1]}" 2) $(field "${W[lighttpd-fastcgi/$name/1]:-0 0}" 2)"
	done
} >"$d/chart.dat"
gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$d/latency.png"
set title "corners-auth: p50 latency at 1 connection (log scale; hello = static CGI floor)"
set ylabel "ms"
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set yrange [0.05:*]
plot "$d/chart.dat" using 2:xtic(1) title "lighttpd CGI", \
     "" using 3 title "busybox CGI", \
     "" using 4 title "lighttpd FastCGI"
GP
cp "$d/results.md" "$top/bench/results.md"
cp "$d/latency.png" "$top/bench/latency.png"
cat "$top/bench/results.md"

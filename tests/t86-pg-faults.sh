#!/usr/bin/env bash
# PostgreSQL's and pgbouncer's outages (issue 16; SPEC "Storage": 503 with
# Retry-After: 1 and a log line, never a 500 and never a hang; the next
# request after it comes back succeeds without restarting anything).  The
# programs run as CGI through pgbouncer (SERVER=lighttpd, busybox, ...)
# or as FastCGI straight to PostgreSQL (SERVER=lighttpd-fastcgi); AUTH_DB
# holds a password (trust ignores it), which no log line may show.
#   a. PostgreSQL stopped (pg_ctl stop -m fast): every endpoint and method
#      that needs the database answers the storage 503 within the
#      programs' 5 s deadline (under 7 s here), each logs a line naming
#      the database with its password masked; nothing the requests asked
#      for happened
#   b. PostgreSQL started again: the next request to each endpoint
#      succeeds, the web server untouched
#   c. stopped and started in the middle of a load run (registers and
#      logins from parallel clients): only 200, 201, 401 and 503; only
#      503 for a request made and answered while it was down; every
#      request made after it came back succeeds; no half-written user
#      (every user row complete and recorded by its register event, every
#      201 a user that exists, every login 200 a login event)
#   d. pgbouncer stopped: 503 with Retry-After: 1 at once; started again:
#      the next request succeeds (FastCGI: a server whose processes keep
#      their connection through pgbouncer, PG_FASTCGI_VIA=pgbouncer)
#   e. PostgreSQL hung (its processes stopped with SIGSTOP): 503 after the
#      programs' 5 s deadline, not a hang; going on again, the next
#      request succeeds
# postgresql-only: PostgreSQL's and pgbouncer's outages (SQLite's own faults are t80 and t85)
. "$(dirname "$0")/lib.sh"

PW='Pg-faults-pass-3w!'
UNAVAILABLE='{"message":"Service temporarily unavailable.","details":null}'
# The password of AUTH_DB's URI (pg_hba and pgbouncer trust the private
# socket, so it is never asked for; it must still never be logged).
PGPASS=Uri-pa55-k7Qz9
export AUTH_DB=${AUTH_DB/\/\/$PG_ROLE@/\/\/$PG_ROLE:$PGPASS@}
DB_DIRECT=$(db_direct "$AUTH_DB")
DBNAME=${AUTH_DB##*/}
# Through pgbouncer unless FastCGI connects straight to PostgreSQL.
VIA=pgbouncer
[ "$SERVER" = lighttpd-fastcgi ] && [ "${PG_FASTCGI_VIA:-direct}" = direct ] &&
    VIA=direct
start_server
echo "# $SERVER, to PostgreSQL $VIA"

# --- helpers of this file ------------------------------------------------------

regbody() {
	printf '{"username":"%s","email":"%s@example.com","password":"%s"}' \
	    "$1" "$1" "$PW"
}
logbody() {
	printf '{"username":"%s","password":"%s"}' "$1" "${2:-$PW}"
}

# db_lines: how many lines of the server's log are the programs' storage
# messages ("db: ...").
db_lines() {
	grep -c '^db: ' "$T/server.log"
}

# fire N METHOD TARGET BODY [CURL-ARG...]: send the request in the
# background (as req would), its pid added to FIRED; after a wait for
# those (not a bare wait: the server is a child too), collect N gets its
# answer.
FIRED=()
fire() {
	local n=$1 m=$2 p=$3 data=$4
	shift 4
	local -a a=(-s -X "$m" -o "$T/f$n.body" -D "$T/f$n.hdrs"
	    -w '%{http_code} %{time_total}' --max-time 60)
	if [ "$data" != - ]; then
		printf '%s' "$data" >"$T/f$n.req"
		a+=(--data-binary "@$T/f$n.req" -H 'Content-Type: application/json')
	elif [ "$m" = POST ] || [ "$m" = DELETE ]; then
		a+=(-H 'Content-Length: 0')
	fi
	curl "${a[@]}" "$@" "http://127.0.0.1:$PORT$(path "$p")" \
	    >"$T/f$n.out" 2>/dev/null &
	FIRED+=($!)
}

# collect N METHOD TARGET: $status, $hdrs, $body and $took (seconds, as
# curl measured) of request N, recorded for the check against openapi.json.
collect() {
	read -r status took <"$T/f$1.out"
	body=$(cat "$T/f$1.body" 2>/dev/null)
	hdrs=$(tr -d '\r' <"$T/f$1.hdrs" 2>/dev/null)
	api_record "$2" "$3"
}

# is_503: the last answer is exactly the storage-failure 503.
is_503() {
	[ "$status" = 503 ] && body_is "$UNAVAILABLE" &&
	    [ "$(header Retry-After)" = 1 ]
}

# within SECONDS: curl's time ($took) is under SECONDS.
within() {
	awk -v t="$took" -v s="$1" 'BEGIN { exit !(t + 0 < s + 0) }'
}

# bouncer_ok: a query through pgbouncer to this file's database works
# (pgbouncer tries PostgreSQL again server_login_retry after a failure).
bouncer_ok() {
	PGCLIENTENCODING=UTF8 psql -X -q -A -t -d "$AUTH_DB" -c 'SELECT 1' \
	    >/dev/null 2>&1
}

# reachable: PostgreSQL answers the way the server's programs go to it;
# waits up to 10 s.
reachable() {
	local i
	for i in $(seq 100); do
		if [ "$VIA" = direct ]; then
			db_sql 'SELECT 1' >/dev/null 2>&1 && return 0
		else
			bouncer_ok && return 0
		fi
		sleep 0.1
	done
	return 1
}

# user_state NAME: "absent", "complete" (one row, every column as register
# writes it, a hash of the test's cost, and its one register event), or
# "partial: <what>".  NAME is lowercase ASCII, so it is its own key.
user_state() {
	local u=$1 rows
	rows=$(db_sql -sep ' ' "SELECT u.username, u.username_key, u.email,
	    u.email_key, u.is_active, CAST(u.date_joined > 0 AS INTEGER),
	    CAST(u.last_login IS NULL AS INTEGER), u.password,
	    (SELECT count(*) FROM events e WHERE e.user_id = u.id AND
	    e.event = 'register') FROM users u
	    WHERE u.username_key = '$u' OR u.email_key = '$u@example.com'" 2>&1)
	if [ -z "$rows" ]; then
		echo absent
	elif [ "$(printf '%s\n' "$rows" | wc -l)" = 1 ] &&
	    printf '%s\n' "$rows" | grep -Eqx "$u $u $u@example\.com $u@example\.com 1 1 [01] pbkdf2_sha256\\\$$AUTH_PBKDF2_ITERATIONS\\\$[A-Za-z0-9]{22}\\\$[A-Za-z0-9+/]{43}= 1"; then
		echo complete
	else
		echo "partial: $(printf '%s' "$rows" | tr '\n' '|')"
	fi
}

# --- setup -------------------------------------------------------------------------

req POST register "$(regbody alice)"
tokens
check_status 201 "setup: alice registers"
A_ACCESS=$access A_REFRESH=$refresh
ALICE=$(claim "$A_ACCESS" .user_id)
req POST register "$(regbody bob)"
tokens
check_status 201 "setup: bob registers"
B_ACCESS=$access
ALICE_ROW=$(db_sql "SELECT id, username, email, password, is_active,
    tokens_valid_after FROM users WHERE id = $ALICE")

# --- a. PostgreSQL stopped ----------------------------------------------------------

lines0=$(db_lines)
pg_stop fast
check "a: PostgreSQL is stopped" eval '! pg_running'
# Every endpoint and method that needs the database, at once (each waits
# out the deadline through pgbouncer, which holds a query while the
# server is down).
WHAT=(
	"POST register $(regbody carol)"
	"POST login $(logbody alice)"
	"POST refresh {\"refresh\":\"$A_REFRESH\"}"
	"POST logout {\"refresh\":\"$A_REFRESH\",\"everywhere\":true}"
	"GET me -"
	"PATCH me/email {\"email\":\"alice2@example.com\"}"
	"PUT me/password {\"current_password\":\"$PW\",\"new_password\":\"Another-pass-5v!\",\"new_password_confirm\":\"Another-pass-5v!\"}"
	"DELETE me {\"password\":\"$PW\"}"
)
for i in "${!WHAT[@]}"; do
	read -r m p data <<<"${WHAT[i]}"
	case $p in
	me*) fire "$i" "$m" "$p" "$data" -H "Authorization: Bearer $A_ACCESS" ;;
	*) fire "$i" "$m" "$p" "$data" ;;
	esac
done
wait "${FIRED[@]}"
FIRED=()
for i in "${!WHAT[@]}"; do
	read -r m p _ <<<"${WHAT[i]}"
	collect "$i" "$m" "$p"
	check "a: $m $p with PostgreSQL down is the storage 503 with Retry-After: 1 (not a 500)" is_503
	check "a: ...within the deadline (${took:-?} s < 7 s)" within 7
	check_header Content-Type application/json "a: ...as JSON"
done
lines1=$(db_lines)
new=$(sed -n '/^db: /p' "$T/server.log" | tail -n +$((lines0 + 1)))
echo "# a: the log: $(printf '%s\n' "$new" | head -n 2 | cut -c1-300)"
check "a: a log line for each of the ${#WHAT[@]} requests ($((lines1 - lines0)) new)" \
    test $((lines1 - lines0)) -ge "${#WHAT[@]}"
check "a: each names the database, its password masked (postgresql://$PG_ROLE:***@.../$DBNAME)" \
    test -z "$(printf '%s\n' "$new" | grep -vF "postgresql://$PG_ROLE:***@" )" -a \
    -z "$(printf '%s\n' "$new" | grep -vF "/$DBNAME")"
check "a: no line of the server's log holds AUTH_DB's password" \
    eval '! grep -qF "$PGPASS" "$T/server.log"'
check "a: no body or header holds it" \
    eval '! cat "$T"/f*.body "$T"/f*.hdrs | grep -qF "$PGPASS"'

# --- b. PostgreSQL back ---------------------------------------------------------------

pg_start
check "b: PostgreSQL is running again" pg_running
if [ "$VIA" = pgbouncer ]; then
	# pgbouncer tries the server again server_login_retry (1 s) after
	# its last failure; until then it closes each connection (a 503).
	reachable
	check "b: pgbouncer reaches PostgreSQL again" bouncer_ok
fi
me "$A_ACCESS"
check_same "{\"id\":$ALICE,\"username\":\"alice\",\"email\":\"alice@example.com\"}" \
    "b: the next me is 200: alice, her email unchanged (PATCH me/email did nothing)"
req POST refresh "{\"refresh\":\"$A_REFRESH\"}"
check_status 200 "b: the next refresh is 200 (the logout did nothing)"
login alice "$PW"
check_status 200 "b: the next login is 200 with her password (PUT me/password did nothing)"
req POST register "$(regbody carol)"
check_status 201 "b: the next register is 201 (carol was not registered by the 503)"
authed PATCH me/email '{"email":"bob2@example.com"}' "$B_ACCESS"
check_status 200 "b: the next PATCH me/email is 200"
req POST logout "{\"refresh\":\"$refresh\"}"
check_status 200 "b: the next logout is 200"
want_eq "$ALICE_ROW" "$(db_sql "SELECT id, username, email, password,
    is_active, tokens_valid_after FROM users WHERE id = $ALICE")" \
    "b: alice's row is as it was before the outage (DELETE me and logout everywhere did nothing)"
check "b: no event was recorded for alice during the outage" \
    test "$(db_sql "SELECT count(*) FROM events WHERE user_id = $ALICE AND
    event NOT IN ('register', 'login', 'logout')")" = 0
check "b: the web server was not restarted" kill -0 "$SERVER_PID"

# --- c. stopped and started during a load run ----------------------------------

WORKERS=6
URL_REGISTER="http://127.0.0.1:$PORT$(path register)"
URL_LOGIN="http://127.0.0.1:$PORT$(path login)"

# worker W: requests one after another until $T/load.stop exists: a
# register of a new name, a login with alice's password, one with a
# wrong password, in turn; each a line "START END KIND NAME STATUS" (times
# in microseconds) in $T/load.W.
worker() {
	local w=$1 n=0 t0 t1 kind name data url code
	while [ ! -e "$T/load.stop" ]; do
		n=$((n + 1))
		case $((n % 3)) in
		1) kind=register name=ld${w}x$n url=$URL_REGISTER
		   data=$(regbody "$name") ;;
		2) kind=login name=alice url=$URL_LOGIN data=$(logbody alice) ;;
		0) kind=wrong name=alice url=$URL_LOGIN
		   data=$(logbody alice "wrong-$w-$n") ;;
		esac
		t0=${EPOCHREALTIME/[.,]/}
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		    -H 'Content-Type: application/json' --data-binary "$data" \
		    "$url")
		t1=${EPOCHREALTIME/[.,]/}
		echo "$t0 $t1 $kind $name ${code:-000}" >>"$T/load.$w"
	done
}

rm -f "$T/load.stop" "$T"/load.[0-9]*
logins0=$(db_sql "SELECT count(*) FROM events WHERE user_id = $ALICE AND event = 'login'")
failed0=$(db_sql "SELECT count(*) FROM events WHERE user_id = $ALICE AND event = 'login_failed'")
lines0=$(db_lines)
pids=()
for w in $(seq "$WORKERS"); do
	worker "$w" &
	pids+=($!)
done
sleep 2
STOP0=$(usec)
pg_stop fast
STOP1=$(usec)
# Down longer than the programs' deadline, so that some requests are
# made and answered while it is.
sleep 7
START0=$(usec)
pg_start
START1=$(usec)
reachable
UP=$(usec)
sleep 4
touch "$T/load.stop"
wait "${pids[@]}"
cat "$T"/load.[0-9]* | sort -n >"$T/load"
n=$(wc -l <"$T/load")
codes=$(awk '{ print $5 }' "$T/load" | sort | uniq -c | tr -s ' \n' ' ')
echo "# c: $n requests from $WORKERS clients: statuses$codes; down $(( (START0 - STOP1) / 1000 )) ms (stop took $(( (STOP1 - STOP0) / 1000 )) ms, start $(( (START1 - START0) / 1000 )) ms, reachable $(( (UP - START1) / 1000 )) ms later)"
check "c: only 200, 201, 401 and 503 answers ($codes)" \
    test -z "$(awk '$5 !~ /^(200|201|401|503)$/' "$T/load")"
check "c: the load ran before the stop (successes: $(awk -v s="$STOP0" '$2 < s && $5 ~ /^20/' "$T/load" | wc -l))" \
    test "$(awk -v s="$STOP0" '$2 < s && $5 ~ /^20/' "$T/load" | wc -l)" -gt 0
down=$(awk -v a="$STOP1" -v b="$START0" '$1 >= a && $2 <= b' "$T/load")
check "c: requests made and answered while PostgreSQL was down: $(printf '%s' "$down" | grep -c .), all 503" \
    eval '[ -n "$down" ] && [ -z "$(awk '\''$5 != 503'\'' <<<"$down")" ]'
# The first request after it is back succeeds: through pgbouncer once
# pgbouncer reaches it (server_login_retry), FastCGI's kept connection
# made again at once.
if [ "$VIA" = direct ]; then since=$START1; else since=$UP; fi
after=$(awk -v a="$since" '$1 >= a' "$T/load")
check "c: every request made after it was back succeeds: $(printf '%s' "$after" | grep -c .) ($(awk '{ print $5 }' <<<"$after" | sort | uniq -c | tr -s ' \n' ' '))" \
    eval '[ -n "$after" ] && [ -z "$(awk '\''$5 == 503'\'' <<<"$after")" ]'
# No half-written user.
bad=''
for name in $(awk '$3 == "register" { print $4 }' "$T/load"); do
	st=$(user_state "$name")
	code=$(awk -v u="$name" '$4 == u { print $5 }' "$T/load")
	case $code/$st in
	201/complete|503/absent|503/complete) ;;
	*) bad+=" [$name: $code, $st]" ;;
	esac
done
want_eq "" "$bad" "c: each 201 is a complete user, each 503 none or a complete one (others:)"
committed=$(for name in $(awk '$3 == "register" && $5 == 503 { print $4 }' "$T/load"); do
	[ "$(user_state "$name")" = complete ] && echo "$name"
done)
[ -z "$committed" ] ||
    echo "# c: answered 503 but committed (the commit's answer lost with the connection): $committed"
check "c: the load's users are exactly its 201s and those" test \
    "$(db_sql "SELECT count(*) FROM users WHERE username LIKE 'ld%'")" = \
    "$(( $(awk '$3 == "register" && $5 == 201' "$T/load" | wc -l) + $(printf '%s' "$committed" | grep -c .) ))"
check "c: every user has its one register event, every register event its user" \
    test "$(db_sql "SELECT count(*) FROM users u WHERE (SELECT count(*)
    FROM events e WHERE e.user_id = u.id AND e.event = 'register') <> 1")/$(db_sql \
    "SELECT count(*) FROM events e WHERE e.event = 'register' AND
    NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id)")" = 0/0
ok200=$(awk '$3 == "login" && $5 == 200' "$T/load" | wc -l)
ok503=$(awk '$3 == "login" && $5 == 503' "$T/load" | wc -l)
logins=$(( $(db_sql "SELECT count(*) FROM events WHERE user_id = $ALICE AND event = 'login'") - logins0 ))
check "c: alice's login events: at least her $ok200 200s, at most those and the $ok503 503s ($logins)" \
    test "$logins" -ge "$ok200" -a "$logins" -le $((ok200 + ok503))
no401=$(awk '$3 == "wrong" && $5 == 401' "$T/load" | wc -l)
no503=$(awk '$3 == "wrong" && $5 == 503' "$T/load" | wc -l)
failed=$(( $(db_sql "SELECT count(*) FROM events WHERE user_id = $ALICE AND event = 'login_failed'") - failed0 ))
check "c: her login_failed events: at least the $no401 401s, at most those and the $no503 503s ($failed)" \
    test "$failed" -ge "$no401" -a "$failed" -le $((no401 + no503))
lines1=$(db_lines)
check "c: the outage was logged ($((lines1 - lines0)) lines)" test "$lines1" -gt "$lines0"
check "c: no line of the server's log holds AUTH_DB's password" \
    eval '! grep -qF "$PGPASS" "$T/server.log"'
req POST register "$(regbody dave)"
check_status 201 "c: afterwards a register is 201"
login dave "$PW"
check_status 200 "c: ...dave logs in"
me "$access"
check_json .username dave "c: ...and me is dave"
check "c: the web server was not restarted" kill -0 "$SERVER_PID"

# --- d. pgbouncer stopped -------------------------------------------------------------

if [ "$SERVER" = lighttpd-fastcgi ] && [ "$VIA" = direct ]; then
	# FastCGI keeps a connection: here one through pgbouncer.
	PG_FASTCGI_VIA=pgbouncer start_server
	echo "# d: $SERVER restarted with PG_FASTCGI_VIA=pgbouncer"
fi
login alice "$PW"
check_status 200 "d: alice logs in through pgbouncer"
D_ACCESS=$access D_REFRESH=$refresh
me "$D_ACCESS"
check_status 200 "d: me through pgbouncer"
lines0=$(db_lines)
pgbouncer_stop
check "d: pgbouncer is stopped" eval '! pgbouncer_running'
WHAT=(
	"POST register $(regbody erin)"
	"POST login $(logbody alice)"
	"POST refresh {\"refresh\":\"$D_REFRESH\"}"
	"GET me -"
)
for i in "${!WHAT[@]}"; do
	read -r m p data <<<"${WHAT[i]}"
	case $p in
	me*) fire "$i" "$m" "$p" "$data" -H "Authorization: Bearer $D_ACCESS" ;;
	*) fire "$i" "$m" "$p" "$data" ;;
	esac
	wait "${FIRED[@]}"
	FIRED=()
	collect "$i" "$m" "$p"
	check "d: $m $p with pgbouncer down is the storage 503 with Retry-After: 1" is_503
	check "d: ...within the deadline (${took:-?} s < 7 s)" within 7
done
lines1=$(db_lines)
check "d: logged ($((lines1 - lines0)) lines for ${#WHAT[@]} requests)" \
    test $((lines1 - lines0)) -ge "${#WHAT[@]}"
check "d: no line of the server's log holds AUTH_DB's password" \
    eval '! grep -qF "$PGPASS" "$T/server.log"'
pgbouncer_start
check "d: pgbouncer is running again" pgbouncer_running
me "$D_ACCESS"
check_status 200 "d: the next me is 200"
req POST refresh "{\"refresh\":\"$D_REFRESH\"}"
check_status 200 "d: the next refresh is 200"
login alice "$PW"
check_status 200 "d: the next login is 200"
req POST register "$(regbody erin)"
check_status 201 "d: the next register is 201"
check "d: the web server was not restarted" kill -0 "$SERVER_PID"

# --- e. PostgreSQL hung ---------------------------------------------------------------

# Every PostgreSQL process stopped (SIGSTOP): connections are accepted by
# the kernel and queries sent, and nothing answers.  Only the programs'
# own deadline ends the wait: a 503 after about 5 s, never a hang.
if [ "$SERVER" = lighttpd-fastcgi ] && [ "$VIA" = direct ]; then
	start_server	# straight to PostgreSQL again
	echo "# e: $SERVER restarted, straight to PostgreSQL"
fi
login alice "$PW"
check_status 200 "e: alice logs in"
E_ACCESS=$access
me "$E_ACCESS"
check_status 200 "e: me (a FastCGI process keeps its connection)"
HUNG=
trap '[ -z "$HUNG" ] || kill -CONT $HUNG 2>/dev/null; cleanup' EXIT
pm=$(head -n 1 "$PGH/data/postmaster.pid")
HUNG="$pm $(ps -o pid= --ppid "$pm" | tr -s ' \n' ' ')"
lines0=$(db_lines)
# shellcheck disable=SC2086
kill -STOP $HUNG
fire 0 POST login "$(logbody alice)"
fire 1 GET me - -H "Authorization: Bearer $E_ACCESS"
wait "${FIRED[@]}"
FIRED=()
# shellcheck disable=SC2086
kill -CONT $HUNG
HUNG=
collect 0 POST login
check "e: login with PostgreSQL hung is the storage 503 with Retry-After: 1" is_503
check "e: ...after the 5 s deadline, not a hang (${took:-?} s: 4.5-7)" \
    eval 'within 7 && ! within 4.5'
collect 1 GET me
check "e: me with PostgreSQL hung is the storage 503 with Retry-After: 1" is_503
check "e: ...after the 5 s deadline, not a hang (${took:-?} s: 4.5-7)" \
    eval 'within 7 && ! within 4.5'
lines1=$(db_lines)
check "e: logged ($((lines1 - lines0)) lines)" test "$lines1" -ge $((lines0 + 2))
reachable
me "$E_ACCESS"
check_status 200 "e: PostgreSQL going on again: the next me is 200"
login alice "$PW"
check_status 200 "e: ...and the next login"
check "e: the web server was not restarted" kill -0 "$SERVER_PID"

finish

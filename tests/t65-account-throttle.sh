#!/usr/bin/env bash
# SPEC "Per-account throttle (besides the per-client counter)": failed
# logins counted per account name (its unique key, whether or not an
# account has it), AUTH_RATE_ACCOUNT per AUTH_RATE_ACCOUNT_WINDOW, then 429
# with Retry-After until the name's window ends, except for a client that
# logged in to the account within 30 days (the attempt counter's client
# key: an IPv6 /64); names nobody has answered alike; username and email
# two names; exact under concurrency; a success neither resets the count
# nor counts; 0 turns it off; the per-client counter first; a new window
# counts afresh, and purge deletes the ended ones and forgets clients after
# 30 days; a 503 (no password checked) is no failure.  Issue 15: 200 wrong
# passwords from 100 addresses through a trusted proxy's X-Forwarded-For.
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
BAD='wr0ng-Guess!'
MSG_LOGIN='Too many login attempts. Please try again later.'
N=20	# AUTH_RATE_ACCOUNT in most sections

# --- helpers of this file -------------------------------------------------

# server NAME [VAR=value ...]: restart the server on its own database
# (db_new NAME: $T/NAME.db; in $DB), behind the trusted proxy 127.0.0.1,
# so that X-Forwarded-For picks the client.
server() {
	export AUTH_DB
	AUTH_DB=$(db_new "$1")
	DB=$AUTH_DB
	shift
	start_server AUTH_TRUSTED_PROXIES=127.0.0.1 "$@"
}

# same JSON: $body is JSON (its text as the programs write it, else the
# same value): a test, quick for the loops.
same() {
	[ "$body" = "$1" ] || body_is "$1"
}

# long_window: an AUTH_RATE_ACCOUNT_WINDOW of at least an hour whose
# current window has more than 30 minutes to run: no sequence of this file
# crosses its end, and its Retry-After stays above 20 minutes (the checks'
# line, far above any AUTH_RATE_WINDOW's) however long the 200 logins
# before them take (PostgreSQL's CGI is slower).
long_window() {
	local w=3600 now
	now=$(date +%s)
	while [ $((w - now % w)) -le 1800 ]; do w=$((w + 1)); done
	echo "$w"
}

# from ADDR USER PASSWORD: login as the client ADDR (the trusted proxy's
# X-Forwarded-For).
from() {
	login "$2" "$3" -H "X-Forwarded-For: $1"
}

# addr PREFIX I: the address of client I (0-99) under PREFIX ("10.0").
addr() {
	echo "$1.$(($2 / 10)).$(($2 % 10 + 1))"
}

# until_end W: the seconds until the current window of W ends.
until_end() {
	local now=$EPOCHSECONDS
	echo $(( (now / $1 + 1) * $1 - now ))
}

# check_429 W "what": the whole 429 of the window W, as checks.
check_429() {
	local ra end
	ra=$(header Retry-After)
	end=$(until_end "$1")
	check_status 429 "$2: 429"
	check "$2: Retry-After ($ra) is the seconds until the window of $1 s ends ($end)" \
	    eval '[[ $ra =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && [ $((ra - end)) -ge -1 ] && [ $((ra - end)) -le 1 ]'
	check "$2: the body is {\"message\": \"$MSG_LOGIN\", \"details\": {\"retry_after\": $ra}}" \
	    body_is "$(jq -cn --arg m "$MSG_LOGIN" --argjson n "${ra:-0}" \
	    '{message: $m, details: {retry_after: $n}}')"
	check_header Content-Type application/json "$2: Content-Type: application/json"
}

# attack USER PREFIX W: 200 wrong-password logins for USER from the 100
# clients PREFIX.x.y, two each (the hundred in turn, twice), one after the
# other, by one curl (in order, each waiting for the one before; a curl
# and a jq per login made each attack 6 s, the file 43).  Sets $seq (the
# statuses, space-separated) and $odd (how many answers were neither 401
# Invalid credentials nor the name's 429 of the window W, its Retry-After
# the seconds until that window ends, give or take a second, at some
# moment of the sequence), and $status, $hdrs and $body as req does, of the
# last answer.
attack() {
	local i url ra code end0 end1
	status=
	url="http://127.0.0.1:$PORT$(path login)"
	jq -cn --arg u "$1" --arg p "$BAD" '{username: $u, password: $p}' |
	    tr -d '\n' >"$T/attack.json"
	for i in $(seq 0 199); do
		[ "$i" = 0 ] || echo next
		printf 'url = "%s"\nrequest = "POST"\n' "$url"
		printf 'header = "Content-Type: application/json"\n'
		printf 'header = "X-Forwarded-For: %s"\n' "$(addr "$2" $((i % 100)))"
		printf 'data-binary = "@%s"\noutput = "%s"\n' "$T/attack.json" "$T/attack.$i"
		printf 'write-out = "%%{http_code} %%header{retry-after}\\n"\n'
	done >"$T/attack.cfg"
	echo "dump-header = \"$T/hdrs\"" >>"$T/attack.cfg"
	end0=$(until_end "$3")
	curl -s -K "$T/attack.cfg" >"$T/attack.out"
	end1=$(until_end "$3")
	seq='' odd=0 i=0
	while read -r code ra; do
		seq+="$code " status=$code
		body=$(<"$T/attack.$i")
		case $code in
		401) same '{"message":"Invalid credentials.","details":null}' ||
		    odd=$((odd + 1)) ;;
		429) [[ $ra =~ ^[0-9]+$ ]] && [ "$ra" -ge $((end1 - 1)) ] &&
		    [ "$ra" -le $((end0 + 1)) ] &&
		    same "{\"message\":\"$MSG_LOGIN\",\"details\":{\"retry_after\":$ra}}" ||
		    odd=$((odd + 1)) ;;
		*) odd=$((odd + 1)) ;;
		esac
		i=$((i + 1))
	done <"$T/attack.out"
	[ "$i" = 200 ] || odd=$((odd + 200 - i))
	seq=${seq% }
	hdrs=$(tr -d '\r' <"$T/hdrs")
	api_record POST login
}

# expected N: the statuses of 200 failures under the limit N.
expected() {
	local i out=''
	for i in $(seq 200); do
		if [ "$i" -le "$1" ]; then out+="401 "; else out+="429 "; fi
	done
	echo "${out% }"
}

# counts SEQ: "401:a 429:b ..." of a sequence of statuses.
counts() {
	tr ' ' '\n' <<<"$1" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'
}

# burst USER PREFIX: the 200 logins of attack, 20 at a time in parallel;
# $codes as counts gives them.
burst() {
	local i
	printf '%s' "$(jq -cn --arg u "$1" --arg p "$BAD" \
	    '{username: $u, password: $p}')" >"$T/burst.json"
	for i in $(seq 0 199); do addr "$2" $((i % 100)); done |
	    xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	    -X POST -H 'Content-Type: application/json' \
	    -H 'X-Forwarded-For: {}' --data-binary "@$T/burst.json" \
	    "http://127.0.0.1:$PORT$(path login)" >"$T/burst.codes"
	codes=$(tr '\n' ' ' <"$T/burst.codes")
	codes=$(counts "${codes% }")
}

# known_rows USER: the known-client rows of the account USER.
known_rows() {
	db_sql -ro -db "$DB" "SELECT count(*) FROM known_clients WHERE user_id = (SELECT id FROM users WHERE username = '$1')"
}

# --- 1. 200 wrong passwords from 100 addresses ------------------------------

W=$(long_window)
server botnet AUTH_RATE_ACCOUNT=$N AUTH_RATE_ACCOUNT_WINDOW="$W"
req POST register "$(jq -cn --arg p "$PW" '{username: "victim", email: "victim@example.com", password: $p}')" \
    -H 'X-Forwarded-For: 192.0.2.200'
check_status 201 "setup: register victim"
# The owner's devices log in before the attack: an IPv4 address, and an
# IPv6 one (counted per /64, as the attempt counter's client key is).
from 192.0.2.1 victim "$PW"
check_status 200 "setup: the owner logs in from 192.0.2.1 before the attack"
from 2001:db8:1:2::1 victim "$PW"
check_status 200 "setup: the owner logs in from 2001:db8:1:2::1 before the attack"
for i in 1 2 3 4; do from 192.0.2.1 victim "$PW"; done
check "known clients are kept small: one row per account and client (2 after 6 logins from 2 clients)" \
    test "$(known_rows victim)" = 2

attack victim 10.0 "$W"
victim_seq=$seq
check "attack: 200 wrong passwords from 100 addresses: exactly $N 401s, then 429s ($(counts "$seq"))" \
    test "$seq" = "$(expected $N)"
check "attack: every 401 is Invalid credentials, every 429 the name's with Retry-After until its window ends ($odd odd)" \
    test "$odd" = 0
check "attack: the 429s are the name's (AUTH_RATE_ACCOUNT_WINDOW), not a client's (each client tried twice)" \
    test "$(printf '%s\n' "$hdrs" | sed -n 's/^Retry-After: //Ip')" -gt 1200
from 10.0.9.10 victim "$BAD"
check_429 "$W" "attack: a 201st wrong password (a third try from one of them)"

from 192.0.2.1 victim "$PW"
check_status 200 "owner: the client that logged in before the attack still logs in (200)"
A=$access
me "$A"
check_status 200 "owner: ...and its access token works"
from 192.0.2.1 victim "$BAD"
check_401 "owner: its client is not throttled even with a wrong password"
from 192.0.2.1 victim "$PW"
check_status 200 "owner: ...and logs in again right after"
from 2001:db8:1:2:abcd::7 victim "$PW"
check_status 200 "owner: another address in the /64 the owner logged in from is that client (200)"
from 2001:db8:1:3::1 victim "$PW"
check_429 "$W" "owner: an address in another /64"
from 192.0.2.2 victim "$PW"
check_429 "$W" "fresh client with the right password"
from 192.0.2.3 VICTIM "$PW"
check_429 "$W" "fresh client, the name in capitals (the same unique key)"
from 192.0.2.4 "  victim " "$PW"
check_429 "$W" "fresh client, the name with spaces around (stripped: the same key)"

# The username and the email address are two names, counted apart.
from 192.0.2.5 victim@example.com "$PW"
check_status 200 "email: the email address is another name: a fresh client logs in with it (200)"
for i in $(seq $N); do
	from "10.0.50.$i" Victim@Example.com "$BAD"
	[ "$status" = 401 ] || break
done
check "email: $N wrong passwords by email from $N addresses are 401s (stopped at $i: $status)" \
    test "$i" = $N -a "$status" = 401
from 10.0.50.99 victim@example.com "$BAD"
check_429 "$W" "email: the next wrong password by email"
from 192.0.2.6 VICTIM@EXAMPLE.COM "$PW"
check_429 "$W" "email: a fresh client with the right password, by email in capitals"
from 192.0.2.1 victim@example.com "$PW"
check_status 200 "email: the owner's client logged in to the account (by username): it logs in by email too"

# The same attack on a name nobody has: the same answers.
attack ghost 10.1 "$W"
check "unknown name: the same sequence of statuses as for victim's ($(counts "$seq"))" \
    test "$seq" = "$victim_seq"
check "unknown name: the same 401 and 429 bodies, Retry-After until the window ends ($odd odd)" \
    test "$odd" = 0
from 192.0.2.1 ghost "$PW"
check_429 "$W" "unknown name: any client (even one known to another account)"
attack ghost@example.com 10.2 "$W"
check "unknown email: the same sequence of statuses as victim's ($(counts "$seq"))" \
    test "$seq" = "$victim_seq"
check "unknown email: the same bodies ($odd odd)" test "$odd" = 0

# The known client: within the last 30 days.
db_sql -db "$DB" "UPDATE known_clients SET at = $EPOCHSECONDS - 29 * 86400 WHERE client = '192.0.2.1'"
from 192.0.2.1 victim "$PW"
check_status 200 "30 days: a client that logged in 29 days ago still logs in (200)"
db_sql -db "$DB" "UPDATE known_clients SET at = $EPOCHSECONDS - 31 * 86400 WHERE client = '192.0.2.1'"
from 192.0.2.1 victim "$PW"
check_429 "$W" "30 days: a client whose last login was 31 days ago is a fresh one"
ctl purge
check "purge: forgets the client not seen for 30 days (exit 0, 1 forgotten)" \
    eval '[ "$ctl_rc" = 0 ] && printf "%s\n" "$ctl_out" | grep -qx "clients not seen for 30 days forgotten: 1"'
check "purge: ...and keeps the others (the owner's IPv6 /64 and 192.0.2.5)" \
    test "$(known_rows victim)" = 2
check "purge: the name windows still running are kept" \
    eval 'printf "%s\n" "$ctl_out" | grep -qx "ended name-failure windows deleted: 0"'

# --- 2. exact under concurrency ----------------------------------------------------

register crowd crowd@example.com "$PW"
check_status 201 "burst: setup: register crowd"
burst crowd 10.3
check "burst: 200 wrong passwords, 20 at a time from 100 addresses: exactly $N 401s ($codes)" \
    test "$codes" = "401:$N 429:$((200 - N)) "
from 10.3.0.1 crowd "$PW"
check_429 "$W" "burst: then a fresh client with the right password"
from 192.0.2.5 crowd "$PW"
check_429 "$W" "burst: a client known to another account (victim) is a fresh one for crowd"
burst nobody-here 10.4
check "burst: the same against a name nobody has ($codes)" \
    test "$codes" = "401:$N 429:$((200 - N)) "
ctl events --user crowd --json
check "burst: the audit log says $N login_failed and $((200 - N + 2)) login_throttled for crowd" \
    test "$(jq -c 'group_by(.event) | map({(.[0].event): length}) | add' <<<"$ctl_out" 2>&1)" = \
    "{\"login_failed\":$N,\"login_throttled\":$((200 - N + 2)),\"register\":1}"

# --- 3. a success does not reset the count; it is no failure ----------------------

register steady steady@example.com "$PW"
for i in $(seq $((N - 1))); do from "10.5.0.$i" steady "$BAD"; done
check_401 "no reset: the $((N - 1))th wrong password"
from 10.5.1.1 steady "$PW"
check_status 200 "no reset: a login with the right password below the limit (200)"
from 10.5.0.100 steady "$BAD"
check_401 "no reset: the ${N}th wrong password, after the success, is still answered"
from 10.5.0.101 steady "$BAD"
check_429 "$W" "no reset: the next one (the success neither reset the count nor counted)"
from 10.5.1.2 steady "$PW"
check_429 "$W" "no reset: a fresh client with the right password"
from 10.5.1.1 steady "$PW"
check_status 200 "no reset: the client that logged in below the limit is known now (200)"

register many many@example.com "$PW"
for i in $(seq $((N + 5))); do
	from "10.6.0.$i" many "$PW"
	[ "$status" = 200 ] || break
done
check "successes are no failures: $((N + 5)) logins from $((N + 5)) fresh clients are 200s (stopped at $i: $status)" \
    test "$i" = $((N + 5)) -a "$status" = 200
for i in $(seq $N); do from "10.6.1.$i" many "$BAD"; done
check_401 "successes are no failures: then $N wrong passwords are still answered"
from 10.6.2.1 many "$BAD"
check_429 "$W" "successes are no failures: the $((N + 1))th wrong password"

# --- 4. AUTH_RATE_ACCOUNT=0 turns it off -------------------------------------------

server off AUTH_RATE_ACCOUNT=0 AUTH_RATE_ACCOUNT_WINDOW="$W"
register victim victim@example.com "$PW"
check_status 201 "off: setup: register victim"
for i in $(seq 0 59); do
	from "$(addr 10.7 "$i")" victim "$BAD"
	[ "$status" = 401 ] || break
done
check "off: AUTH_RATE_ACCOUNT=0: 60 wrong passwords from 60 addresses are all 401 (stopped at $i: $status)" \
    test "$i" = 59 -a "$status" = 401
from 10.7.9.9 victim "$PW"
check_status 200 "off: then a fresh client with the right password logs in"
for i in $(seq 0 29); do from "$(addr 10.8 "$i")" ghost "$BAD"; done
check_401 "off: 30 wrong passwords for a name nobody has: still 401"
check "off: no name is counted" \
    test "$(db_sql -ro -db "$DB" 'SELECT count(*) FROM name_failures')" = 0

# The attempt counter off (AUTH_RATE_LIMIT=0) leaves the throttle on.
server counter-off AUTH_RATE_LIMIT=0 AUTH_RATE_ACCOUNT=3 AUTH_RATE_ACCOUNT_WINDOW="$W"
for i in 1 2 3; do from "10.9.0.$i" ghost "$BAD"; done
check_401 "counter off: the 3rd wrong password with AUTH_RATE_ACCOUNT=3"
from 10.9.0.4 ghost "$BAD"
check_429 "$W" "counter off: AUTH_RATE_LIMIT=0 leaves the per-account throttle on: the 4th"

# --- 5. the per-client counter answers first ---------------------------------------

W1=$(pick_window)
server client-first AUTH_RATE_LOGIN=3 AUTH_RATE_WINDOW="$W1" \
    AUTH_RATE_ACCOUNT=5 AUTH_RATE_ACCOUNT_WINDOW="$W"
register owner owner@example.com "$PW"
check_status 201 "client first: setup: register owner"
from 10.10.1.1 owner "$PW"
check_status 200 "client first: setup: the owner's client logs in (its attempt 1 of 3)"
for i in 1 2 3; do from 10.10.0.1 owner "$BAD"; done
check_401 "client first: one client's 3rd wrong password (its limit is 3)"
from 10.10.0.1 owner "$BAD"
check_429 "$W1" "client first: its 4th attempt is the client's 429 (Retry-After of AUTH_RATE_WINDOW)"
from 10.10.0.1 owner "$PW"
check_429 "$W1" "client first: ...with the right password too"
# The name counted 3: the client's 429s counted no failure for it.
from 10.10.0.2 owner "$BAD"
check_401 "client first: the name's 4th failure (the client's 429s were not counted)"
from 10.10.0.2 owner "$BAD"
check_401 "client first: the name's 5th failure"
from 10.10.0.3 owner "$PW"
check_429 "$W" "client first: then the name's 429 (Retry-After of AUTH_RATE_ACCOUNT_WINDOW)"
from 10.10.0.1 owner "$PW"
check_429 "$W1" "client first: an exhausted client gets its own 429 for a throttled name"
from 10.10.1.1 owner "$PW"
check_status 200 "client first: the owner's client passes the throttled name (attempt 2 of 3)"
from 10.10.1.1 owner "$PW"
check_status 200 "client first: ...and again (attempt 3 of 3)"
from 10.10.1.1 owner "$PW"
check_429 "$W1" "client first: the known client's own limit still holds (its 4th attempt)"

# --- 6. a new window starts afresh; purge keeps the table small ---------------------

server short AUTH_RATE_ACCOUNT=3 AUTH_RATE_ACCOUNT_WINDOW=3
register shorty shorty@example.com "$PW"
check_status 201 "window: setup: register shorty"
# Start right after a window of 3 s begins: ample for five requests.
t0=$EPOCHSECONDS
while [ $((EPOCHSECONDS % 3)) -ne 0 ] || [ "$EPOCHSECONDS" = "$t0" ]; do
	sleep 0.05
done
for i in 1 2 3; do from "10.11.0.$i" shorty "$BAD"; done
check_401 "window: the 3rd wrong password with AUTH_RATE_ACCOUNT=3"
from 10.11.1.1 shorty "$PW"
check_429 3 "window: a fresh client with the right password, in the window"
from 10.11.0.4 ghost "$BAD"
t1=$EPOCHSECONDS
check_401 "window: another name in the same window is counted apart"
sleep $((3 - EPOCHSECONDS % 3)).1
check "window: (the window of the failures has ended)" \
    test $((EPOCHSECONDS / 3)) -gt $((t1 / 3))
rows=$(db_sql -ro -db "$DB" 'SELECT count(*) FROM name_failures')
ctl purge
check "purge: reports the ended name-failure windows deleted (exit 0, $rows rows there)" \
    eval '[ "$ctl_rc" = 0 ] && [ "$rows" -ge 2 ] && printf "%s\n" "$ctl_out" | grep -qx "ended name-failure windows deleted: $rows"'
check "purge: ...and the table is empty after it" \
    test "$(db_sql -ro -db "$DB" 'SELECT count(*) FROM name_failures')" = 0
from 10.11.1.2 shorty "$PW"
check_status 200 "window: once the window ended, a fresh client with the right password logs in"
for i in 5 6 7; do from "10.11.0.$i" shorty "$BAD"; done
check_401 "window: the new window counts afresh: its 3rd wrong password is answered"

# --- 7. a login answered 503 (its password never checked) is no failure -----------

# SPEC "Per-account throttle" counts failed logins, "POST login" says what
# fails (401: unknown user, wrong password, inactive account), and "Audit
# log" notes login_failed for them: a login that waited a second for a
# hashing slot and answered 503 ("try again") checked no password, so it
# neither counts against the name nor is noted as a failure.  The slot is
# held as t64-hash-slots.sh holds it: a login stopped while it hashes.
# The programs run directly (cgi), as that file's do.
AUTH_DB=$(db_new slots)
DB=$AUTH_DB
if ! have_slots_file "7. a login answered 503 while its slot is held"; then
	finish
	exit
fi
SLOTFILE=$(slots_file)
SLOTS=(AUTH_HASH_SLOTS=1 AUTH_TRUSTED_PROXIES=127.0.0.1 AUTH_RATE_ACCOUNT=3
    AUTH_RATE_ACCOUNT_WINDOW="$W")
LOGIN_OK=$(jq -cn --arg p "$PW" '{username: "busy", password: $p}')
cgi register "$(jq -cn --arg p "$PW" '{username: "busy", email: "busy@example.com", password: $p}')" "${SLOTS[@]}"
check_status 201 "503: setup: register busy"
# held: whether the one slot is locked now ($SLOTFILE in /proc/locks).
held() {
	local ino
	ino=$(stat -c %i "$SLOTFILE" 2>/dev/null) || return 1
	awk -v ino="$ino" '$2 == "OFDLCK" && $6 ~ (":" ino "$") { n++ }
	    END { exit n > 0 ? 0 : 1 }' /proc/locks
}
printf '%s' '{"username":"holder","password":"x"}' >"$T/holder.in"
env "${SLOTS[@]}" AUTH_PBKDF2_ITERATIONS=5000000 REQUEST_METHOD=POST \
    CONTENT_LENGTH="$(stat -c %s "$T/holder.in")" REMOTE_ADDR=127.0.0.1 \
    "$BIN/login" <"$T/holder.in" >"$T/holder.out" 2>>"$T/cgi.log" &
holder=$!
trap 'kill -KILL "$holder" 2>/dev/null; cleanup' EXIT
for _ in $(seq 250); do held && break; sleep 0.02; done
kill -STOP "$holder"
check "503: setup: a login holds the one hashing slot (stopped mid-hash)" held
for i in 1 2 3; do
	cgi login "$LOGIN_OK" "${SLOTS[@]}" HTTP_X_FORWARDED_FOR="10.20.0.$i"
	[ "$status" = 503 ] || break
done
check "503: 3 logins of busy with the right password while the slot is held: 503s (stopped at $i: $status)" \
    test "$i" = 3 -a "$status" = 503
kill -CONT "$holder"
wait "$holder"
cgi login "$LOGIN_OK" "${SLOTS[@]}" HTTP_X_FORWARDED_FOR=10.20.1.1
check_status 200 "503: then a fresh client with the right password logs in: the 503s counted no failure (AUTH_RATE_ACCOUNT=3)"
ctl events --user busy --json
check "503: ...and the audit log notes no login_failed for them ($(jq -r '[.[].event] | join(" ")' <<<"$ctl_out" 2>&1))" \
    test "$(jq '[.[] | select(.event == "login_failed")] | length' <<<"$ctl_out" 2>&1)" = 0

finish

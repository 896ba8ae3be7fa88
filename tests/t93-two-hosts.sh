#!/usr/bin/env bash
# Two web hosts, one user base (issue 16; SPEC "Storage"): two lighttpd
# servers, each made from the shipped example by tests/serve.sh, serve
# the same executables on one PostgreSQL database, CGI through pgbouncer
# (SERVER=lighttpd, and any SERVER but FastCGI) or FastCGI straight to
# PostgreSQL (SERVER=lighttpd-fastcgi).  The signing key is the one kept
# in the database (no AUTH_JWT_SECRET), as a site of several hosts runs.
#   a. the first requests on a database never used: 20 registers of
#      different names at once, split across both hosts: all 201, the
#      schema made once, one signing key, every token taken by both
#   b. register through A, log in through B; refresh and me across; a
#      refresh token spent on one host is spent on the other
#   c. 64 logins at once from one client, split across A and B, against a
#      login limit of 10: exactly 10 answers are not 429, the attempt
#      counter holds 64
#   d. 20 registers of one name at once across both: exactly one 201, the
#      others "Username already exists.", one user
#   e. authctl revoke USER, once: the user's tokens from either host are
#      refused on both; new logins on both work on both
#   f. authctl secret rotate, once: tokens signed with the old key are
#      refused on both; new ones from either host are signed with the new
#      key and taken by the other
# postgresql-only: two web hosts share one user base only through PostgreSQL (a SQLite file is one host's)
. "$(dirname "$0")/lib.sh"

# Two lighttpd, whatever SERVER says (busybox cannot serve the examples'
# paths), CGI unless FastCGI was asked for.
case $SERVER in
lighttpd-fastcgi) ;;
*) SERVER=lighttpd ;;
esac
PW='Two-hosts-pass-8k!'
W=$(pick_window)
unset AUTH_JWT_SECRET
# The same settings on both hosts (a site's hosts share their
# configuration); each keeps its own hashing slots.  X-Forwarded-For from
# 127.0.0.1 is believed, so that each part of this file is a client of
# its own to the login limit.
SETTINGS=(AUTH_TRUSTED_PROXIES=127.0.0.1 AUTH_RATE_LOGIN=10
    AUTH_RATE_WINDOW="$W" AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=0)
start_server "${SETTINGS[@]}" AUTH_HASH_SLOTS_FILE="$T/slots-a"
start_server_b "${SETTINGS[@]}" AUTH_HASH_SLOTS_FILE="$T/slots-b"
PORT_A=$PORT
echo "# host A: 127.0.0.1:$PORT_A, host B: 127.0.0.1:$PORT_B ($SERVER, $(db_sql -ro 'SELECT version()' | cut -d' ' -f1-2))"

# --- helpers of this file ------------------------------------------------------

# on HOST COMMAND...: a helper of lib.sh (req, login, me, ...) against host
# A or B.
on() {
	local host=$1
	shift
	case $host in
	A) PORT=$PORT_A "$@" ;;
	B) PORT=$PORT_B "$@" ;;
	esac
}

# login_on HOST USER IP: log in with $PW as client IP; $access, $refresh.
login_on() {
	on "$1" login "$2" "$PW" -H "X-Forwarded-For: $3"
}

# me_is HOST TOKEN CODE [USER] "desc": GET me on HOST with TOKEN answers
# CODE (200: the profile of USER; 401: me's refusal of a token).
me_is() {
	local host=$1 tok=$2 code=$3 user= desc
	[ "$code" = 200 ] && { user=$4; shift; }
	desc=$4
	on "$host" me "$tok"
	if [ "$code" = 200 ]; then
		check "$desc" eval '[ "$status" = 200 ] &&
		    [ "$(jq -r .username <<<"$body")" = "$user" ]'
	else
		me_refused "$desc"
	fi
}

# refresh_on HOST TOKEN: POST refresh on HOST; $access, $refresh from a 200.
refresh_on() {
	on "$1" refresh_with "$2"
	tokens
}

# db_key: the signing key kept in the database, in hex.
db_key() {
	db_sql -ro \
	    "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'"
}

# regbody NAME [EMAIL]: a register body.
regbody() {
	jq -cn --arg u "$1" --arg e "${2:-$1@example.com}" --arg p "$PW" \
	    '{username: $u, email: $e, password: $p}'
}

# --- a. the first requests, on both hosts at once ------------------------------

check "a: the database has never been used (no tables)" db_absent "$AUTH_DB"
R=$T/first
mkdir -p "$R"
for i in $(seq 20); do
	regbody "first$i" >"$R/req.$i"
done
RACE_PORTS="$PORT_A $PORT_B" race "$R" 20 POST register
tally=$(race_tally "$R")
want_eq "201:20" "$tally" "a: 20 registers at once across A and B on a new database: all 201"
check "a: the schema is at version $SCHEMA_VERSION" \
    test "$(db_schema_version)" = "$SCHEMA_VERSION"
check "a: one schema_version row (the migrations ran once)" \
    test "$(db_sql -ro 'SELECT count(*) FROM schema_version')" = 1
check "a: 20 users" test "$(db_sql -ro 'SELECT count(*) FROM users')" = 20
check "a: one signing key was kept" test "$(db_sql -ro \
    "SELECT count(*) FROM settings WHERE name = 'jwt_secret'")" = 1
K0=$(db_key)
check "a: ...of 32 bytes" test "${#K0}" = 64
bad_sig='' bad_me=''
for i in $(seq 20); do
	tok=$(jq -r .access "$R/body.$i" 2>/dev/null)
	signed_with_hex "$tok" "$K0" || bad_sig+=" $i"
	for h in A B; do
		on "$h" me "$tok"
		[ "$status" = 200 ] &&
		    [ "$(jq -r .username <<<"$body")" = "first$i" ] ||
		    bad_me+=" [$i on $h: $status ${body:0:80}]"
	done
done
want_eq "" "$bad_sig" "a: every token is signed with the one kept key (clients whose tokens are not:)"
want_eq "" "$bad_me" "a: me on A and on B takes every one of them (failures:)"

# --- b. register through A, log in through B -----------------------------------

on A req POST register "$(regbody alice)"
tokens
check_status 201 "b: alice registers through A"
RA_ACCESS=$access RA_REFRESH=$refresh
ALICE=$(claim "$RA_ACCESS" .user_id)
login_on B alice 192.0.2.1
check_status 200 "b: alice logs in through B"
LB_ACCESS=$access LB_REFRESH=$refresh
check "b: ...as the user A registered (id $ALICE)" \
    test "$(claim "$LB_ACCESS" .user_id)" = "$ALICE"
login_on B alice-nobody 192.0.2.1
check_401 "b: B refuses a name nobody registered"
on B login alice wrong-password -H "X-Forwarded-For: 192.0.2.1"
check_401 "b: B refuses alice with a wrong password"
me_is A "$LB_ACCESS" 200 alice "b: me on A with B's access token is alice"
me_is B "$RA_ACCESS" 200 alice "b: me on B with A's access token is alice"
refresh_on A "$LB_REFRESH"
check_status 200 "b: refresh on A with B's refresh token"
A2_ACCESS=$access A2_REFRESH=$refresh
me_is B "$A2_ACCESS" 200 alice "b: ...and its access token works on B"
refresh_on B "$A2_REFRESH"
check_status 200 "b: refresh on B with the refresh token A answered"
B2_ACCESS=$access
me_is A "$B2_ACCESS" 200 alice "b: ...and its access token works on A"
# Rotation (AUTH_ROTATE_REFRESH=1, no grace): a refresh token spent on
# one host, presented on the other, is a reuse: 401, and every token of
# the user revoked, on both.
refresh_on B "$RA_REFRESH"
check_status 200 "b: B spends the refresh token A's register gave"
S_ACCESS=$access
sleep_until $(($(date +%s) + 1))	# past the grace of 0 s (whole seconds)
refresh_on A "$RA_REFRESH"
refresh_refused "b: A refuses it again (spent on B)"
me_is A "$S_ACCESS" 401 "b: ...a reuse: the pair B gave for it is refused on A"
me_is B "$S_ACCESS" 401 "b: ...and on B"
me_is B "$A2_ACCESS" 401 "b: ...as are alice's other tokens, on B"

# --- c. 64 logins at once across both against a limit of 10 -------------------

on A req POST register "$(regbody carol)"
check_status 201 "c: carol registers"
C=$T/limit
mkdir -p "$C"
jq -cn --arg p "$PW" '{username: "carol", password: $p}' >"$C/req"
CLIENT=198.51.100.64
RACE_PORTS="$PORT_A $PORT_B" race "$C" 64 POST login \
    -H "X-Forwarded-For: $CLIENT"
tally=$(race_tally "$C")
not429=$(grep -vx 429 "$C"/status.* | wc -l)
echo "# c: 64 logins from $CLIENT, 32 to each host: $tally"
want_eq 10 "$not429" "c: exactly 10 answers are not 429 ($tally)"
want_eq "200:10 429:54" "$tally" "c: ...10 logins (200) and 54 refusals (429)"
per_host=$(for i in $(seq 64); do
	[ "$(cat "$C/status.$i")" = 429 ] || echo $((i % 2))
done | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), ($2 ? "B" : "A"), $1 }')
echo "# c: the 10 by host: $per_host"
got=$(db_sql -ro "SELECT coalesce(sum(count), 0) FROM attempts
    WHERE scope = 1 AND client = '$CLIENT'")
want_eq 64 "$got" "c: the attempt counter of $CLIENT holds 64"
check "c: in one row (one window)" test "$(db_sql -ro "SELECT count(*)
    FROM attempts WHERE scope = 1 AND client = '$CLIENT'")" = 1
bad=''
for i in $(seq 64); do
	[ "$(cat "$C/status.$i")" = 429 ] || continue
	jq -e '.message == "Too many login attempts. Please try again later."
	    and (.details.retry_after | type) == "number"' "$C/body.$i" \
	    >/dev/null 2>&1 || bad+=" [$i: $(head -c 100 "$C/body.$i")]"
done
want_eq "" "$bad" "c: every 429 is login's, with details.retry_after (bad ones:)"
on B login carol "$PW" -H "X-Forwarded-For: $CLIENT"
check_status 429 "c: the 65th, on B, is 429 too"
on A login carol "$PW" -H "X-Forwarded-For: 198.51.100.65"
check_status 200 "c: another client logs in on A"

# --- d. one name, 20 registers at once across both -----------------------------

D=$T/name
mkdir -p "$D"
for i in $(seq 20); do
	regbody racer "racer$i@example.com" >"$D/req.$i"
done
RACE_PORTS="$PORT_A $PORT_B" race "$D" 20 POST register
tally=$(race_tally "$D")
want_eq "201:1 400:19" "$tally" "d: 20 registers of one name across A and B: exactly one 201"
bad=''
for i in $(seq 20); do
	[ "$(cat "$D/status.$i")" = 400 ] || continue
	[ "$(jq -cS . "$D/body.$i" 2>/dev/null)" = \
	    '{"details":null,"message":"Username already exists."}' ] ||
	    bad+=" [$i: $(head -c 100 "$D/body.$i")]"
done
want_eq "" "$bad" "d: every 400 is {\"message\": \"Username already exists.\", \"details\": null} (others:)"
check "d: one user racer" test "$(db_sql -ro \
    "SELECT count(*) FROM users WHERE username_key = 'racer'")" = 1
winner=$(grep -lx 201 "$D"/status.* | sed 's/.*\.//')
check "d: ...with the winner's email (client ${winner:-none})" test \
    "$(db_sql -ro "SELECT email FROM users WHERE username_key = 'racer'")" = \
    "racer${winner:-none}@example.com"
tok=$(jq -r .access "$D/body.${winner:-none}" 2>/dev/null)
me_is A "$tok" 200 racer "d: the winner's token works on A"
me_is B "$tok" 200 racer "d: ...and on B"

# --- e. authctl revoke, once ----------------------------------------------------

on A req POST register "$(regbody dave)"
check_status 201 "e: dave registers"
login_on A dave 192.0.2.5
EA_ACCESS=$access EA_REFRESH=$refresh
login_on B dave 192.0.2.5
EB_ACCESS=$access EB_REFRESH=$refresh
check "e: dave has tokens from both hosts" test -n "$EA_ACCESS" -a -n "$EB_ACCESS"
me_is B "$EA_ACCESS" 200 dave "e: before: A's token works on B"
ctl revoke dave
ctl_exit 0 "e: authctl revoke dave (once, against the database)"
for h in A B; do
	me_is "$h" "$EA_ACCESS" 401 "e: the access token from A is refused on $h"
	me_is "$h" "$EB_ACCESS" 401 "e: the access token from B is refused on $h"
done
refresh_on B "$EA_REFRESH"
refresh_refused "e: the refresh token from A is refused on B"
refresh_on A "$EB_REFRESH"
refresh_refused "e: the refresh token from B is refused on A"
login_on A dave 192.0.2.5
check_status 200 "e: dave logs in again on A"
NA=$access
login_on B dave 192.0.2.5
check_status 200 "e: ...and on B"
NB=$access NB_REFRESH=$refresh
me_is B "$NA" 200 dave "e: the new token from A works on B"
me_is A "$NB" 200 dave "e: the new token from B works on A"
refresh_on A "$NB_REFRESH"
check_status 200 "e: the new refresh token from B works on A"

# --- f. authctl secret rotate, once ---------------------------------------------

login_on A carol 192.0.2.6
FA_ACCESS=$access FA_REFRESH=$refresh
login_on B carol 192.0.2.6
FB_ACCESS=$access FB_REFRESH=$refresh
check "f: before: the tokens of both hosts are signed with the kept key" \
    eval 'signed_with_hex "$FA_ACCESS" "$K0" && signed_with_hex "$FB_ACCESS" "$K0"'
ctl secret rotate
ctl_exit 0 "f: authctl secret rotate (once, against the database)"
K1=$(db_key)
check "f: the kept key is a new one of 32 bytes" test "${#K1}" = 64 -a "$K1" != "$K0"
for h in A B; do
	me_is "$h" "$FA_ACCESS" 401 "f: the old key's access token from A is refused on $h"
	me_is "$h" "$FB_ACCESS" 401 "f: the old key's access token from B is refused on $h"
done
refresh_on A "$FB_REFRESH"
refresh_refused "f: the old key's refresh token from B is refused on A"
refresh_on B "$FA_REFRESH"
refresh_refused "f: the old key's refresh token from A is refused on B"
login_on A carol 192.0.2.6
check_status 200 "f: carol logs in on A"
GA_ACCESS=$access
login_on B carol 192.0.2.6
check_status 200 "f: ...and on B"
GB_ACCESS=$access GB_REFRESH=$refresh
check "f: both new tokens are signed with the new key" \
    eval 'signed_with_hex "$GA_ACCESS" "$K1" && signed_with_hex "$GB_ACCESS" "$K1"'
me_is B "$GA_ACCESS" 200 carol "f: A's new token works on B"
me_is A "$GB_ACCESS" 200 carol "f: B's new token works on A"
refresh_on A "$GB_REFRESH"
check_status 200 "f: B's new refresh token works on A"
check "f: ...and A's answer is signed with the new key" signed_with_hex "$access" "$K1"

# Neither host logged a storage failure or a 500 on the way.
logged=$(grep -h '^db:\|^slot:\|^serve:\|^key:' "$T/server.log" \
    "$T/server-b.log" 2>/dev/null | head -n 5)
want_eq "" "$logged" "neither host logged a storage failure"

finish

#!/usr/bin/env bash
# SPEC "Rate limiting (the attempt counter)": limits per scope and client,
# what counts, the 429 and its Retry-After, windows, clients behind proxies,
# exact counting under concurrency.
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
MSG_REGISTER='Too many registration attempts. Please try again later.'
MSG_LOGIN='Too many login attempts. Please try again later.'
MSG_REFRESH='Too many refresh attempts. Please try again later.'

# --- helpers of this file -------------------------------------------------

# server NAME [VAR=value ...]: restart the server on its own database
# (db_new NAME: $T/NAME.db; in $DB), with the given settings.  The tests
# read $DB with db_sql -ro, which never creates it.
server() {
	DB=$(db_new "$1")
	shift
	start_server AUTH_DB="$DB" "$@"
}

# no_attempts: nothing counted yet (no database, no table, or no row).
no_attempts() {
	! db_made "$DB" ||
	    [ "$(db_has_table -db "$DB" attempts)" = 0 ] ||
	    [ "$(db_sql -ro -db "$DB" 'SELECT count(*) FROM attempts')" = 0 ]
}

# check_429 MESSAGE WINDOW "what": the whole 429 answer.
check_429() {
	local n now end want
	now=$(date +%s)
	end=$(( (now / $2 + 1) * $2 - now ))
	check_status 429 "$3 is 429"
	n=$(header Retry-After)
	check "$3: Retry-After is a whole number of seconds ($n)" \
	    grep -qx '[0-9][0-9]*' <<<"$n"
	n=${n:-0}
	check "$3: 1 <= Retry-After ($n) <= the window ($2)" \
	    test "$n" -ge 1 -a "$n" -le "$2"
	check "$3: Retry-After ($n) is the seconds until the window ends ($end)" \
	    test $((n - end)) -ge -1 -a $((n - end)) -le 1
	want=$(jq -cnS --arg m "$1" --argjson n "$n" \
	    '{message: $m, details: {retry_after: $n}}')
	check "$3: the body is {\"message\": \"$1\", \"details\": {\"retry_after\": $n}}" \
	    test "$(jq -cS . <<<"$body" 2>&1)" = "$want"
	check_header Content-Type application/json "$3: Content-Type: application/json"
	check_header Cache-Control no-store "$3: Cache-Control: no-store"
	check_header X-Content-Type-Options nosniff "$3: X-Content-Type-Options: nosniff"
}

# --- 1. the three scopes, their limits and messages --------------------------

W=$(pick_window)
server scopes AUTH_RATE_REGISTER=3 AUTH_RATE_LOGIN=3 AUTH_RATE_REFRESH=3 \
    AUTH_RATE_WINDOW="$W"

register alice alice@example.com "$PW"
check_status 201 "register: attempt 1 of 3 (a success) is answered"
R=$refresh
register alice alice2@example.com "$PW"
check_status 400 "register: attempt 2 of 3 (a failure: name taken) is answered"
register bob bob@example.com "$PW"
check_status 201 "register: attempt 3 of 3 (a success) is answered"
register carol carol@example.com "$PW"
check_429 "$MSG_REGISTER" "$W" "register: the 4th attempt in the window"
register carol carol@example.com "$PW"
check_429 "$MSG_REGISTER" "$W" "register: the 5th attempt in the window"
register alice alice@example.com "$PW"
check_status 429 "register: the limit answers before 'Username already exists.'"
register dave bad-email "$PW"
check_status 429 "register: the limit answers before the email check"

req POST register '{}'
check_status 422 "register: an exhausted client still gets its 422"
check_json .message "Validation error." "register: the exhausted client's 422 is the validation error"
req POST register '{"username":"ab","email":"a@example.com","password":"s3cure!Pass"}'
check_status 422 "register: an exhausted client still gets its 422 for a short username"
req POST register '{"username":'
check_status 400 "register: an exhausted client still gets its 400 for a bad body"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big"
req POST register "@$T/big"
check_status 413 "register: an exhausted client still gets its 413"

login alice "$PW"
check_status 200 "login: scopes are independent (register exhausted, login works)"
login alice wrong-password
check_status 401 "login: attempt 2 of 3 (a wrong password) is answered"
login nobody "$PW"
check_status 401 "login: attempt 3 of 3 (an unknown user) is answered"
login alice "$PW"
check_429 "$MSG_LOGIN" "$W" "login: the 4th attempt, with the right password,"
req POST login '{"username":"alice"}'
check_status 422 "login: an exhausted client still gets its 422"

req POST refresh "{\"refresh\":\"$R\"}"
check_status 200 "refresh: scopes are independent (login exhausted, refresh works)"
req POST refresh '{"refresh":"not-a-token-but-long-enough"}'
check_status 401 "refresh: attempt 2 of 3 (a bad token) is answered"
req POST refresh "{\"refresh\":\"$R\"}"
check_status 200 "refresh: attempt 3 of 3 is answered"
req POST refresh "{\"refresh\":\"$R\"}"
check_429 "$MSG_REFRESH" "$W" "refresh: the 4th attempt"
req POST refresh '{"refresh":"short"}'
check_status 422 "refresh: an exhausted client still gets its 422"

# --- 2. refused bodies and wrong methods do not count --------------------------

W=$(pick_window)
server refused AUTH_RATE_REGISTER=3 AUTH_RATE_LOGIN=3 AUTH_RATE_REFRESH=3 \
    AUTH_RATE_WINDOW="$W"
for i in 1 2 3 4 5 6; do
	req POST login '{}'
	req POST login '{"username":"","password":"x"}'
	req POST login '{"username":"x","password":1}'
done
check_status 422 "login: the refused bodies are 422s"
for i in 1 2 3 4; do
	req POST login '{"username":"x",'
done
check_status 400 "login: the unparsable bodies are 400s"
req POST login "@$T/big"
req POST login "@$T/big"
check_status 413 "login: the oversized bodies are 413s"
req GET login
req PUT login "{\"username\":\"alice\",\"password\":\"$PW\"}"
check_status 405 "login: the wrong methods are 405s"
check "login: requests refused with 413/400/422/405 leave no attempt counted" \
    no_attempts
login nobody "$PW"
check_status 401 "login: after 18 422s, 4 400s and 2 413s, attempt 1 of 3 is answered"
login nobody "$PW"
check_status 401 "login: attempt 2 of 3 is answered"
login nobody "$PW"
check_status 401 "login: attempt 3 of 3 is answered"
login nobody "$PW"
check_429 "$MSG_LOGIN" "$W" "login: the 4th counted attempt"
for i in 1 2 3 4 5; do
	req POST register '{"username":"ab"}'
done
register erin erin@example.com "$PW"
check_status 201 "register: after five 422s the first real attempt is answered"

# --- 3. the window ends -----------------------------------------------------------

server window AUTH_RATE_LOGIN=3 AUTH_RATE_WINDOW=2
# Start right after a window begins: 2 s is ample for four requests.
t0=$(date +%s)
while [ $(( $(date +%s) % 2 )) -ne 0 ] || [ "$(date +%s)" = "$t0" ]; do
	sleep 0.05
done
login nobody x
login nobody x
login nobody x
login nobody x
check_429 "$MSG_LOGIN" 2 "login: with a 2 s window, the 4th attempt"
ra=$(header Retry-After)
old=$(db_sql -ro -db "$DB" 'SELECT max(bucket) FROM attempts')
sleep "${ra:-2}"
login nobody x
check_status 401 "login: after the window ends, attempts are allowed again"
check "login: the new attempt is counted in a new window" \
    test "$(db_sql -ro -db "$DB" 'SELECT max(bucket) FROM attempts')" -gt "${old:-0}"
check "login: old windows are purged (no row older than the current window)" \
    test "$(db_sql -ro -db "$DB" 'SELECT count(*) FROM attempts WHERE bucket < (SELECT max(bucket) FROM attempts)')" = 0
check "login: the new window's count is 1" \
    test "$(db_sql -ro -db "$DB" 'SELECT count FROM attempts' | paste -sd,)" = 1

# --- 4. AUTH_RATE_LIMIT=0 turns it off ------------------------------------------

server off AUTH_RATE_LIMIT=0 AUTH_RATE_REGISTER=1 AUTH_RATE_LOGIN=1 \
    AUTH_RATE_REFRESH=1
register frank frank@example.com "$PW"
register grace grace@example.com "$PW"
check_status 201 "register: with AUTH_RATE_LIMIT=0, a second registration (limit 1) is answered"
got=
for i in 1 2 3 4 5; do
	login frank "$PW"
	got+=" $status"
	req POST refresh "{\"refresh\":\"$refresh\"}"
	got+=" $status"
done
check "login/refresh: with AUTH_RATE_LIMIT=0, five of each (limit 1) are all answered ($got)" \
    test "$got" = " 200 200 200 200 200 200 200 200 200 200"

# --- 5. clients ---------------------------------------------------------------------

W=$(pick_window)
server noproxy AUTH_RATE_LOGIN=3 AUTH_RATE_WINDOW="$W"
login nobody x -H 'X-Forwarded-For: 1.1.1.1'
login nobody x -H 'X-Forwarded-For: 2.2.2.2'
login nobody x -H 'X-Forwarded-For: 3.3.3.3'
check_status 401 "login: without trusted proxies, attempt 3 is answered"
login nobody x -H 'X-Forwarded-For: 4.4.4.4'
check_status 429 "login: without trusted proxies X-Forwarded-For is ignored (all count as 127.0.0.1)"
login nobody x
check_status 429 "login: ...and a request without X-Forwarded-For is the same client"

# Some proxy trusted, but not the one this request comes from (127.0.0.1):
# its X-Forwarded-For is still the client's own invention.
W=$(pick_window)
server otherproxy AUTH_TRUSTED_PROXIES=10.9.9.9 AUTH_RATE_LOGIN=3 \
    AUTH_RATE_WINDOW="$W"
login nobody x -H 'X-Forwarded-For: 1.1.1.1'
login nobody x -H 'X-Forwarded-For: 2.2.2.2'
login nobody x -H 'X-Forwarded-For: 3.3.3.3'
check_status 401 "login: trusting only 10.9.9.9, attempt 3 from 127.0.0.1 is answered"
login nobody x -H 'X-Forwarded-For: 4.4.4.4'
check_429 "$MSG_LOGIN" "$W" "login: trusting only 10.9.9.9, 127.0.0.1's X-Forwarded-For is ignored: its 4th attempt"
login nobody x -H 'X-Forwarded-For: 5.5.5.5, 10.9.9.9'
check_status 429 "login: ...also when it names the trusted proxy as the last hop"
login nobody x
check_status 429 "login: ...and a request without X-Forwarded-For is the same client"
check "login: trusting only 10.9.9.9, the attempts were counted as 127.0.0.1 alone" \
    test "$(db_sql -ro -db "$DB" "SELECT client FROM attempts WHERE scope = 1" | paste -sd,)" = 127.0.0.1

W=$(pick_window)
server proxy AUTH_TRUSTED_PROXIES=127.0.0.1 AUTH_RATE_LOGIN=3 AUTH_RATE_WINDOW="$W"
for i in 1 2 3; do login nobody x -H 'X-Forwarded-For: 1.1.1.1'; done
check_status 401 "login: behind a trusted proxy, client 1.1.1.1's 3rd attempt is answered"
login nobody x -H 'X-Forwarded-For: 1.1.1.1'
check_429 "$MSG_LOGIN" "$W" "login: client 1.1.1.1's 4th attempt"
login nobody x -H 'X-Forwarded-For: 2.2.2.2'
check_status 401 "login: different X-Forwarded-For clients are counted separately"
login nobody x -H 'X-Forwarded-For: 1.1.1.1, 127.0.0.1'
check_status 429 "login: the right-most entry that is not a trusted proxy is the client"
login nobody x -H 'X-Forwarded-For: 9.9.9.9, 1.1.1.1'
check_status 429 "login: a left-most entry does not make 1.1.1.1 another client"

for i in 1 2 3; do login nobody x -H 'X-Forwarded-For: 6.6.6.6, 1.2.3.4'; done
check_status 401 "login: 3 attempts from 1.2.3.4 with a spoofed left-most entry are answered"
login nobody x -H 'X-Forwarded-For: 7.7.7.7, 1.2.3.4'
check_status 429 "login: changing the spoofed left-most entry does not reset the count"
login nobody x -H 'X-Forwarded-For: 1.2.3.4'
check_status 429 "login: the spoofed requests were counted as 1.2.3.4"

for i in 1 2 3; do login nobody x -H 'X-Forwarded-For: 2001:db8:1:2::1'; done
check_status 401 "login: 3 attempts from 2001:db8:1:2::1 are answered"
login nobody x -H 'X-Forwarded-For: 2001:db8:1:2::ffff'
check_status 429 "login: IPv6 clients are counted per /64 (2001:db8:1:2::ffff shares the count)"
login nobody x -H 'X-Forwarded-For: 2001:db8:1:2:abcd:ef01:2345:6789'
check_status 429 "login: any address of 2001:db8:1:2::/64 shares the count"
login nobody x -H 'X-Forwarded-For: 2001:db8:1:3::1'
check_status 401 "login: 2001:db8:1:3::1 is another /64, another client"

for i in 1 2 3; do login nobody x -H 'X-Forwarded-For: garbage'; done
check_status 401 "login: 3 attempts from an unparsable entry are answered"
login nobody x -H 'X-Forwarded-For: garbage'
check_status 429 "login: an unparsable X-Forwarded-For entry is still limited"
login nobody x -H 'X-Forwarded-For: other-garbage'
check_status 401 "login: an unparsable entry counts as itself (another one is another client)"
login nobody x -H 'X-Forwarded-For: 5.5.5.5'
check_status 401 "login: an unparsable entry is not counted as some other client"
login nobody x
check_status 401 "login: an unparsable entry is not counted as the proxy (127.0.0.1)"

W=$(pick_window)
server cidr AUTH_TRUSTED_PROXIES=127.0.0.0/8,10.0.0.0/8 AUTH_RATE_LOGIN=3 \
    AUTH_RATE_WINDOW="$W"
for i in 1 2 3; do login nobody x -H 'X-Forwarded-For: 1.2.3.4, 10.1.1.1'; done
check_status 401 "login: 3 attempts through two trusted CIDR proxies are answered"
login nobody x -H 'X-Forwarded-For: 1.2.3.4'
check_status 429 "login: with trusted CIDRs, \"1.2.3.4, 10.1.1.1\" counted as 1.2.3.4"
login nobody x -H 'X-Forwarded-For: 8.8.8.8, 1.2.3.4, 10.200.0.1, 127.0.0.2'
check_status 429 "login: every trusted entry on the right is skipped"
login nobody x -H 'X-Forwarded-For: 1.2.3.4, 11.1.1.1'
check_status 401 "login: 11.1.1.1 is outside 10.0.0.0/8: it is the client"

# REMOTE_ADDR itself (no proxy): IPv6 per /64, straight through cgi_run.
W=$(pick_window)
cdb=$(db_new cgi-rate)
lim=(AUTH_DB="$cdb" AUTH_RATE_LOGIN=3 AUTH_RATE_WINDOW="$W")
for i in 1 2 3; do
	cgi_run POST login '{"username":"nobody","password":"x"}' \
	    REMOTE_ADDR=2001:db8:9:9::1 "${lim[@]}"
done
check_status 401 "login: 3 attempts from REMOTE_ADDR 2001:db8:9:9::1 are answered"
cgi_run POST login '{"username":"nobody","password":"x"}' \
    REMOTE_ADDR=2001:db8:9:9:ffff:ffff:ffff:ffff "${lim[@]}"
check_status 429 "login: REMOTE_ADDR in the same IPv6 /64 shares the count"
cgi_run POST login '{"username":"nobody","password":"x"}' \
    REMOTE_ADDR=2001:db8:9:a::1 "${lim[@]}"
check_status 401 "login: REMOTE_ADDR in another IPv6 /64 is another client"
cgi_run POST login '{"username":"nobody","password":"x"}' \
    REMOTE_ADDR=2001:db8:9:9::1 HTTP_X_FORWARDED_FOR=1.1.1.1 "${lim[@]}"
check_status 429 "login: an untrusted REMOTE_ADDR's X-Forwarded-For is ignored"

# --- 6. exact under concurrency -----------------------------------------------------

W=$(pick_window)
server burst AUTH_RATE_LOGIN=10 AUTH_RATE_WINDOW="$W"
# The database made first (a register, another scope), so that the burst
# tests the counter, not thirty processes creating the schema at once.
register warmup warmup@example.com 's3cure!Pass'
check_status 201 "login: setup: the burst's database exists"
pids=()
for i in $(seq 30); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST \
	    -H 'Content-Type: application/json' \
	    --data-binary '{"username":"nobody","password":"x"}' \
	    "http://127.0.0.1:$PORT$(path login)" >"$T/code.$i" &
	pids+=($!)
done
wait "${pids[@]}"	# not a bare wait: the server is a child too
codes=$(cat "$T"/code.* | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
check "login: 30 parallel attempts with limit 10 give 10 answers and 20 429s ($codes)" \
    test "$codes" = "401:10 429:20 "
check "login: the counter row says 30 after 30 parallel attempts" \
    test "$(db_sql -ro -db "$DB" 'SELECT count FROM attempts WHERE scope = 1' | paste -sd,)" = 30

finish

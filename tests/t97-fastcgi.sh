#!/usr/bin/env bash
# FastCGI mode (lighttpd-fastcgi.conf.example, one process per endpoint):
# one long-lived process answers interleaved requests from different users
# and clients with no state carried from one request to the next, keeps
# its database open between requests, and is the same executable that
# answers once as CGI.  Runs under lighttpd whatever SERVER says.
. "$(dirname "$0")/lib.sh"

SERVER=lighttpd-fastcgi
SERVER_VARIANT=one-process start_server AUTH_TRUSTED_PROXIES=127.0.0.1 \
    AUTH_RATE_LOGIN=3 AUTH_RATE_WINDOW="$(pick_window)"
PW='Fast-cgi-pass-4z!'

# pid NAME: the pid(s) of the FastCGI process of endpoint NAME.
pid() {
	pgrep -f "^$T/server/prefix/cgi-bin/$1\$" | tr '\n' ' ' | sed 's/ $//'
}

# as IP METHOD NAME [BODY] [CURL-ARG...]: a request from client IP (seen
# through the trusted proxy 127.0.0.1 in X-Forwarded-For).
as() {
	local ip=$1
	shift
	req "$1" "$2" "${3:--}" "${@:4}" -H "X-Forwarded-For: $ip"
}

as 192.0.2.1 POST register "{\"username\":\"alice\",\"email\":\"alice@example.com\",\"password\":\"$PW\"}"
check_status 201 "alice registers"
A_ACCESS=$(jq -r .access <<<"$body")
A_REFRESH=$(jq -r .refresh <<<"$body")
as 192.0.2.2 POST register "{\"username\":\"bob\",\"email\":\"bob@example.com\",\"password\":\"$PW\"}"
check_status 201 "bob registers"
B_ACCESS=$(jq -r .access <<<"$body")
A_ID=$(claim "$A_ACCESS" .user_id)
B_ID=$(claim "$B_ACCESS" .user_id)

for ep in register login refresh me; do
	check "one FastCGI process serves $ep ($(pid "$ep"))" \
	    test "$(pid "$ep" | wc -w)" = 1
done
ME_PID=$(pid me)
LOGIN_PID=$(pid login)

# me: alternate users, no token, bad tokens, HEAD: each answer is its own.
for round in 1 2 3; do
	# (PostgreSQL: no connection to the database may start after round 1.)
	[ "$round" != 2 ] || [ "$DB_KIND" != postgresql ] ||
	    PG_SINCE=$(db_sql 'SELECT clock_timestamp()')
	req GET me - -H "Authorization: Bearer $A_ACCESS"
	check_same "{\"id\":$A_ID,\"username\":\"alice\",\"email\":\"alice@example.com\"}" \
	    "round $round: me with alice's token is alice"
	req GET me
	check_status 401 "round $round: me with no token right after alice is 401"
	check "round $round: ...and says nothing of alice" \
	    test -z "$(grep -i alice <<<"$body$hdrs")"
	req GET me - -H "Authorization: Bearer $B_ACCESS"
	check_same "{\"id\":$B_ID,\"username\":\"bob\",\"email\":\"bob@example.com\"}" \
	    "round $round: me with bob's token is bob"
	req GET me - -H "Authorization: Bearer ${B_ACCESS}x"
	check_status 401 "round $round: me with bob's token spoiled is 401"
	check_header WWW-Authenticate 'Bearer error="invalid_token"' \
	    "round $round: ...with error=\"invalid_token\""
	req GET me - -H "Authorization: Basic Zm9vOmJhcg=="
	check_header WWW-Authenticate 'Bearer' \
	    "round $round: a Basic header next is a plain Bearer challenge (no invalid_token carried over)"
	# HEAD over a raw socket, where a body sent by mistake would show.
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'HEAD %s HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n' \
	    "$(path me)" "$A_ACCESS" >&3
	out=$(timeout 5 cat <&3 | tr -d '\r')
	exec 3<&-
	check "round $round: HEAD me is 200 with no body" \
	    test "$(head -n 1 <<<"$out" | cut -d' ' -f2)" = 200 -a \
	    -z "$(sed '1,/^$/d' <<<"$out")"
done
check "the same me process answered all of them ($ME_PID)" \
    test "$(pid me)" = "$ME_PID"
if [ "$DB_KIND" != postgresql ]; then
	check "it keeps the database open between requests" \
	    test -n "$(ls -l "/proc/$ME_PID/fd" 2>/dev/null | grep -F "$AUTH_DB")"
elif [ "${PG_FASTCGI_VIA:-direct}" = direct ]; then
	# Its connection, made in round 1, served rounds 2 and 3: PostgreSQL
	# started no connection to this database since (db_sql's aside).
	pg_open=$(db_sql "SELECT count(*) FROM pg_stat_activity WHERE
	    datname = current_database() AND pid <> pg_backend_pid()")
	pg_new=$(db_sql "SELECT count(*) FROM pg_stat_activity WHERE
	    datname = current_database() AND pid <> pg_backend_pid() AND
	    backend_start > '$PG_SINCE'")
	check "it keeps its connection to PostgreSQL between requests ($pg_open open, $pg_new made in rounds 2 and 3)" \
	    test "$pg_open" -ge 1 -a "$pg_new" = 0
else
	skip "it keeps its connection between requests" \
	    "through pgbouncer PostgreSQL sees pgbouncer's connections, not the process's"
fi

# login: the attempt counter keeps clients apart through one process.
for i in 1 2 3; do
	as 198.51.100.7 POST login '{"username":"alice","password":"wrong"}'
	check_status 401 "client X: wrong password $i of 3 is 401"
	as 198.51.100.8 POST login "{\"username\":\"bob\",\"password\":\"$PW\"}"
	check_status 200 "client Y, interleaved: bob logs in ($i)"
	check "client Y ($i): the tokens are bob's" \
	    test "$(claim "$(jq -r .access <<<"$body")" .user_id)" = "$B_ID"
done
as 198.51.100.8 POST login "{\"username\":\"alice\",\"password\":\"$PW\"}"
check_status 429 "client Y's fourth attempt is over the limit of 3"
as 198.51.100.9 POST login "{\"username\":\"alice\",\"password\":\"$PW\"}"
check_status 200 "a third client is not limited by the others"
check "...and gets alice's tokens" \
    test "$(claim "$(jq -r .access <<<"$body")" .user_id)" = "$A_ID"
as 198.51.100.7 POST login "{\"username\":\"alice\",\"password\":\"$PW\"}"
check_status 429 "client X, limited, stays limited"
check "the 429 has a Retry-After" test -n "$(header Retry-After)"
as 198.51.100.10 POST login '{"username":"alice"}'
check_status 422 "a body without password after good logins is 422, not a reuse of the last one"
check_json '.details.errors[0].loc | join(".")' "body.payload.password" \
    "...naming only the password"
as 198.51.100.11 POST login ''
check_status 422 "an empty body next is the missing-payload 422"
check "the same login process answered all of them ($LOGIN_PID)" \
    test "$(pid login)" = "$LOGIN_PID"

# refresh: a large body, then a short one; a body over the cap, then a good one.
req POST refresh "{\"refresh\":\"$A_REFRESH\",\"pad\":\"$(head -c 60000 /dev/zero | tr '\0' a)\"}"
check_status 200 "refresh with a 60 KB body works"
req POST refresh '{"refresh":"short"}'
check_status 422 "a short refresh right after is judged on its own (422)"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big"
req POST refresh "@$T/big"
check_status 413 "a body over 64 KiB is 413"
req POST refresh "{\"refresh\":\"$A_REFRESH\"}"
check_status 200 "the next refresh after a 413 works"
check "...for alice" test "$(claim "$(jq -r .access <<<"$body")" .user_id)" = "$A_ID"

# The WAL of a process that never closes its database stays short: it is
# truncated after an answer once it holds 64 frames (db_tidy), where the
# exit of a CGI process does it.  120 refreshes from as many clients write
# a counter row each, 120 frames or more.
REFRESH_PID=$(pid refresh)
codes=
for i in $(seq 120); do
	as "203.0.113.$i" POST refresh "{\"refresh\":\"$A_REFRESH\"}"
	codes="$codes$status "
done
check "120 refreshes from 120 clients are all 200" \
    test -z "$(tr ' ' '\n' <<<"$codes" | grep -v '^200$\|^$')"
check "the same refresh process answered them ($REFRESH_PID)" \
    test "$(pid refresh)" = "$REFRESH_PID"
counted=$(db_sql "SELECT count(*) FROM attempts WHERE client LIKE '203.0.113.%'")
check "their 120 counter rows are there ($counted)" test "$counted" = 120
if on_sqlite "the WAL stays short" "SQLite's -wal file"; then
	wal=$(stat -c %s "$AUTH_DB-wal")
	check "the WAL stays under 72 frames of 4 KiB ($(((wal - 32) / 4120)) frames)" \
	    test "$wal" -le $((32 + 72 * 4120))
fi

# The same executable, started as CGI, answers once and exits.
cgi_run GET me "" HTTP_AUTHORIZATION="Bearer $B_ACCESS"
check_status 200 "the me executable run as CGI answers 200"
check_json .username bob "...for bob"

finish

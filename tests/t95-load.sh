#!/usr/bin/env bash
# Load: N parallel clients (LOAD_CLIENTS, default 64) hammer each endpoint
# for a bounded time (LOAD_SECONDS each, default 3).  No 5xx but deliberate
# 503s; the attempt counter equals the requests made (no lost increments);
# no duplicate users; p50/p99 latency printed per endpoint.
. "$(dirname "$0")/lib.sh"

CLIENTS=${LOAD_CLIENTS:-64}
SECONDS_EACH=${LOAD_SECONDS:-3}
BATCH=$((CLIENTS * 4))
PW='Load-pass-7q!'

# A window that will not end during this file (as t60 picks one).
w=600
now=$(date +%s)
while [ $((w - now % w)) -le 120 ]; do w=$((w + 1)); done
start_server AUTH_RATE_WINDOW=$w

# batch NAME I0 COUNT: write a curl config for COUNT requests to NAME, the
# i-th made by body_NAME i (and auth_NAME i for a header), into $T/cfg.
batch() {
	local name=$1 i0=$2 n=$3 i
	: >"$T/cfg"
	for ((i = i0; i < i0 + n; i++)); do
		{
			# "next" between requests: a trailing one is an empty
			# request, an error that aborts the whole batch.
			[ "$i" -gt "$i0" ] && echo next
			echo "url = \"http://127.0.0.1:$PORT$(path "$name")\""
			echo 'output = "/dev/null"'
			echo 'write-out = "%{http_code} %{time_total}\n"'
			echo 'max-time = 60'
			if [ "$name" = me ]; then
				echo "header = \"Authorization: Bearer $access\""
			else
				echo 'header = "Content-Type: application/json"'
				printf 'data-binary = "%s"\n' \
				    "$("body_$name" "$i" | sed 's/\\/\\\\/g; s/"/\\"/g')"
			fi
		} >>"$T/cfg"
	done
}

body_register() {
	# Every 4th asks again for a name another request wants: one wins.
	local n=$(($1 % 4 == 0 ? $1 / 4 : $1))
	printf '{"username":"load%d","email":"load%d@example.com","password":"%s"}' \
	    "$n" "$n" "$PW"
}
body_login() {
	if [ $(($1 % 2)) = 0 ]; then
		printf '{"username":"loaduser","password":"%s"}' "$PW"
	else
		printf '{"username":"loaduser","password":"wrong-%d"}' "$1"
	fi
}
body_refresh() {
	printf '{"refresh":"%s"}' "$refresh"
}

# hammer NAME: batches of requests to NAME for SECONDS_EACH; the answers
# ("code seconds" lines) in $T/NAME.res.
hammer() {
	local name=$1 i=0 end
	: >"$T/$name.res"
	end=$(($(date +%s) + SECONDS_EACH))
	while [ "$(date +%s)" -lt "$end" ]; do
		batch "$name" "$i" "$BATCH"
		curl -sS -Z --parallel-max "$CLIENTS" --parallel-immediate \
		    -K "$T/cfg" >>"$T/$name.res" 2>>"$T/curl.log"
		i=$((i + BATCH))
	done
}

# report NAME: count, statuses, p50/p99; checks no 5xx but 503.
report() {
	local name=$1 n codes p50 p99
	n=$(wc -l <"$T/$name.res")
	codes=$(cut -d' ' -f1 "$T/$name.res" | sort | uniq -c | tr -s ' \n' ' ')
	read -r p50 p99 < <(cut -d' ' -f2 "$T/$name.res" | sort -n | awk '
	    { v[NR] = $1 }
	    END { i50 = int(NR * 0.50); i99 = int(NR * 0.99);
		if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1;
		printf "%.1f %.1f\n", v[i50] * 1000, v[i99] * 1000 }')
	echo "# $name: $n requests by $CLIENTS clients in ${SECONDS_EACH}s ($SERVER): statuses$codes p50 ${p50} ms, p99 ${p99} ms"
	check "$name under load: answers to all $n requests" \
	    test "$n" -gt "$CLIENTS" -a "$(grep -c '^[0-9][0-9][0-9] ' "$T/$name.res")" = "$n"
	check "$name under load: no 5xx but 503 ($codes)" \
	    test -z "$(cut -d' ' -f1 "$T/$name.res" | grep '^5' | grep -v '^503$')"
	check "$name under load: no connection failures ($codes)" \
	    test -z "$(cut -d' ' -f1 "$T/$name.res" | grep '^000$')"
}

count() {
	cut -d' ' -f1 "$T/$1.res" | grep -c "^$2\$"
}

attempts() {
	db_sql -ro \
	    "SELECT coalesce(sum(count), 0) FROM attempts WHERE scope = $1"
}

# check_counted SCOPE NAME N: the attempt counter of SCOPE equals the N
# requests of NAME; if not, what the executables logged about storage
# (the log line is what tells a 503 before the counter apart).
check_counted() {
	local got
	got=$(attempts "$1")
	check "$2 under load: the attempt counter equals the requests ($got = $3)" \
	    test "$got" = "$3"
	[ "$got" = "$3" ] || echo "# $2: storage messages: $(grep -h \
	    '^db:\|^slot:\|^serve:' "$T/server.log" 2>/dev/null |
	    sort | uniq -c | head -n 10)"
}

# --- register: every name once, duplicates refused --------------------------
hammer register
report register
n=$(wc -l <"$T/register.res")
users=$(db_sql -ro "SELECT count(*) FROM users")
check "register under load: as many users as 201s ($users, $(count register 201))" \
    test "$users" = "$(count register 201)"
check "register under load: no duplicate usernames or emails" test "$(db_sql -ro \
    "SELECT count(DISTINCT username_key) || ' ' || count(DISTINCT email_key) FROM users")" = "$users $users"
check "register under load: only 201 and 400 (a name taken) and 503 ($(count register 201) 201s)" \
    test "$(($(count register 201) + $(count register 400) + $(count register 503)))" = "$n"
check_counted 0 register "$n"
if on_sqlite "register under load: the database is intact" \
    "PRAGMA integrity_check is SQLite's"; then
	check "register under load: the database is intact" \
	    test "$(db_sql -ro 'PRAGMA integrity_check')" = ok
fi

# --- login: right and wrong passwords, every attempt counted ------------------
register loaduser loaduser@example.com "$PW"
check_status 201 "a user for the login load"
hammer login
report login
n=$(wc -l <"$T/login.res")
check "login under load: only 200, 401 and 503" \
    test "$(($(count login 200) + $(count login 401) + $(count login 503)))" = "$n"
check_counted 1 login "$n"

# --- refresh and me: one token, every request answered 200 -------------------
hammer refresh
report refresh
n=$(wc -l <"$T/refresh.res")
check "refresh under load: every answer 200 or 503 ($(count refresh 200) 200s)" \
    test "$(($(count refresh 200) + $(count refresh 503)))" = "$n"
check_counted 2 refresh "$n"
hammer me
report me
n=$(wc -l <"$T/me.res")
check "me under load: every answer 200 ($(count me 200) of $n)" \
    test "$(count me 200)" = "$n"

finish

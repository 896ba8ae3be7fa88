#!/usr/bin/env bash
# SPEC "Audit log": a scripted session in which every event appears exactly
# once (the endpoints' and authctl's), each with its time, user id and
# client key; authctl events, its text and JSON forms, --user and --since;
# no event holds a password, token or key; purge keeps AUTH_EVENT_DAYS;
# every event is written in the transaction of what it records (nothing
# recorded for what did not happen, nothing happens if its event cannot
# be recorded).
. "$(dirname "$0")/lib.sh"

PW='Alice-Marker-pw-7q!'
NEWPW='Alice-New-Marker-pw-3z!'
BAD='Wrong-Marker-pw-5k!'
DAVEPW='Dave-Marker-pw-8m!'
SECRET=$AUTH_JWT_SECRET
FIX=$TOP/tests/fixtures/django
# Django hashes of tests/fixtures/django (their passwords in passwords.txt).
BOB_HASH=$(jq -r '.[] | select(.fields.username == "bob") | .fields.password' "$FIX/users.json")
CAROL_HASH=$(jq -r '.[] | select(.fields.username == "carol.w-smith") | .fields.password' "$FIX/users.json")
mapfile -t FIX_PWS < <(cut -f2 "$FIX/passwords.txt")
EVENTS="import register login login_failed login_throttled email_changed password_changed logout account_deleted refresh_reuse logout_everywhere revoke disable enable passwd delete key_rotated"

# --- helpers of this file -------------------------------------------------

# acct METHOD PATH TOKEN ADDR BODY: an account endpoint that takes a body
# (me, me/email, me/password) with that bearer token, from client ADDR
# ("-": none but the proxy itself).  Over HTTP, except under busybox,
# whose httpd sets CONTENT_LENGTH for POST only, so that the body of a
# PATCH, PUT or DELETE never reaches the program: there it runs as that
# server would run it, with the length, and the settings of the server.
acct() {
	local m=$1 p=$2 tok=$3 a=$4 data=$5
	local -a xff=()
	if [ "$SERVER" = busybox ]; then
		[ "$a" = - ] || xff=(HTTP_X_FORWARDED_FOR="$a")
		METHOD=$m cgi me "$data" "${SETTINGS[@]}" PATH_INFO="${p#me}" \
		    HTTP_AUTHORIZATION="Bearer $tok" CONTENT_TYPE=application/json \
		    "${xff[@]}"
	else
		[ "$a" = - ] || xff=(-H "X-Forwarded-For: $a")
		req "$m" "$p" "$data" -H "Authorization: Bearer $tok" "${xff[@]}"
	fi
}

# server [VAR=value ...]: (re)start the server with those settings, kept
# in SETTINGS for acct.
server() {
	SETTINGS=("$@")
	start_server "$@"
}

# jqt FILTER [ARG...]: jq -e, quietly (a test on standard input).
jqt() {
	jq -e "$@" >/dev/null 2>&1
}

# n_events: how many events the database holds.
n_events() {
	db_sql -ro 'SELECT count(*) FROM events'
}

# nothing_recorded BEFORE "what": the events are still BEFORE in number.
nothing_recorded() {
	local n
	n=$(n_events)
	if [ "$n" = "$1" ]; then
		ok "$2 records no event"
	else
		not_ok "$2 records no event" "$1 events before, $n after: $(db_sql -ro 'SELECT event FROM events ORDER BY id DESC LIMIT 3' | tr '\n' ' ')"
	fi
}

# user_line ID [DB]: a user's row as stored (to see it unchanged).
user_line() {
	db_sql -ro "SELECT username, email, password, is_active FROM users WHERE id = $1"
}

# mint ID TYPE LIFETIME: a token for user ID as a Django service sharing
# AUTH_JWT_SECRET would issue it (SPEC "Tokens": we accept theirs); used
# for users who have no other way to get one without a second login.
mint() {
	local now=$EPOCHSECONDS
	sign '{"alg":"HS256","typ":"JWT"}' \
	    "{\"token_type\":\"$2\",\"exp\":$((now + $3)),\"iat\":$now,\"jti\":\"$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')\",\"user_id\":$1}"
}

# import_file FILE USER:ID:HASH...: a Django dumpdata file of those users.
import_file() {
	local f=$1 u name id hash
	shift
	for u in "$@"; do
		IFS=: read -r name id hash <<<"$u"
		jq -n --arg n "$name" --argjson id "$id" --arg h "$hash" \
		    '{model: "auth.user", pk: $id, fields: {password: $h,
		    last_login: null, is_superuser: false, username: $n,
		    first_name: "", last_name: "", email: "\($n)@example.com",
		    is_staff: false, is_active: true,
		    date_joined: "2024-01-02T03:04:05Z", groups: [],
		    user_permissions: []}}'
	done | jq -s . >"$f"
}

# --- 1. the scripted session ----------------------------------------------------

server AUTH_TRUSTED_PROXIES=127.0.0.1 AUTH_RATE_ACCOUNT=1 \
    AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=1
# The database first (one request that records nothing), so authctl finds it.
login nobody "$BAD"
check_401 "setup: a login for a name nobody has"
check "login_failed is for an existing account only: none for a name nobody has" \
    test "$(n_events)" = 0

# import: an import that fails or is a dry run records nothing.
import_file "$T/users.json" "bob:500:$BOB_HASH" "carol:501:$CAROL_HASH" \
    "dave:502:$BOB_HASH"
import_file "$T/dup.json" "erin:600:$BOB_HASH" "erin:601:$BOB_HASH"
ctl import-django "$T/dup.json"
check "import: a file whose users collide fails (exit 1)" test "$ctl_rc" = 1
nothing_recorded 0 "import: the rolled-back import"
check "import: ...and imported nobody" test "$(users_in "$AUTH_DB")" = 0
ctl import-django --dry-run "$T/users.json"
ctl_done "import: --dry-run exits 0"
nothing_recorded 0 "import: --dry-run"
ctl import-django "$T/users.json"
ctl_done "import: three users"
BOB=500 CAROL=501 DAVE=502

# register; a failed registration records nothing.
n=$(n_events)
req POST register "$(jq -cn --arg p "$PW" '{username: "alice", email: "alice@example.com", password: $p}')" \
    -H "X-Forwarded-For: 198.51.100.1"
check_status 201 "register alice"
tokens
A_ACCESS=$access A_REFRESH=$refresh
ALICE=$(claim "$A_ACCESS" .user_id)
n=$(n_events)
register alice alice2@example.com "$PW"
check_status 400 "register: a taken username is a 400"
nothing_recorded "$n" "register: the taken username"
register bob bob2@example.com "$PW"
check_status 400 "register: a taken (imported) username is a 400"
nothing_recorded "$n" "register: the other taken username"
register zed alice@example.com "$PW"
check_status 400 "register: a taken email is a 400"
nothing_recorded "$n" "register: the taken email"
req POST register '{"username":"zed"}'
check_status 422 "register: a 422"
nothing_recorded "$n" "register: the 422"

# login, login_failed, login_throttled (AUTH_RATE_ACCOUNT=1).
login alice "$PW" -H "X-Forwarded-For: 198.51.100.2"
check_status 200 "login alice"
L_ACCESS=$access L_REFRESH=$refresh
login alice "$BAD" -H "X-Forwarded-For: 198.51.100.3"
check_401 "login alice with a wrong password"
login alice "$PW" -H "X-Forwarded-For: 198.51.100.4"
check_status 429 "login alice from a fresh client: the name is throttled"
n=$(n_events)
me "$A_ACCESS"
check_status 200 "me with alice's token"
nothing_recorded "$n" "me"

# email_changed; the refusals record nothing.
NEWMAIL=$(printf '"odd\\\tname"@example.com')
acct PATCH me/email "$A_ACCESS" - '{"email":"not-an-address"}'
check_status 400 "me/email: an invalid address is a 400"
nothing_recorded "$n" "me/email: the invalid address"
acct PATCH me/email "$A_ACCESS" - '{"email":"ALICE@example.com"}'
check_status 400 "me/email: the current address is a 400"
nothing_recorded "$n" "me/email: the current address"
acct PATCH me/email "$A_ACCESS" - '{"email":"bob@example.com"}'
check_status 400 "me/email: another account's address is a 400"
check_json .message "Email already exists." "me/email: ...\"Email already exists.\""
nothing_recorded "$n" "me/email: another account's address"
acct PATCH me/email "$A_ACCESS" 198.51.100.5 "$(jq -cn --arg e "$NEWMAIL" '{email: $e}')"
check_status 200 "me/email: to an address with a backslash and a tab (a quoted local part)"
check_json .email "$NEWMAIL" "me/email: ...stored as given"

# password_changed; the refusals record nothing.
n=$(n_events)
acct PUT me/password "$A_ACCESS" - "$(jq -cn --arg p "$BAD" --arg n "$NEWPW" '{current_password: $p, new_password: $n, new_password_confirm: $n}')"
check_status 400 "me/password: a wrong current password is a 400"
nothing_recorded "$n" "me/password: the wrong current password"
acct PUT me/password "$A_ACCESS" - "$(jq -cn --arg p "$PW" --arg n "$NEWPW" '{current_password: $p, new_password: $n, new_password_confirm: "other-Passw0rd!"}')"
check_status 400 "me/password: new passwords that differ are a 400"
nothing_recorded "$n" "me/password: the mismatch"
acct PUT me/password "$A_ACCESS" 198.51.100.6 "$(jq -cn --arg p "$PW" --arg n "$NEWPW" '{current_password: $p, new_password: $n, new_password_confirm: $n}')"
check_status 200 "me/password: alice changes her password"
tokens
P_ACCESS=$access P_REFRESH=$refresh

# logout, then account_deleted (the access token lives on after a plain
# logout); a wrong password records nothing.
req POST logout "{\"refresh\":\"$P_REFRESH\"}" -H "X-Forwarded-For: 198.51.100.7"
check_status 200 "logout alice's refresh token"
n=$(n_events)
acct DELETE me "$P_ACCESS" - "$(jq -cn --arg p "$PW" '{password: $p}')"
check_status 400 "DELETE me: the old password is a 400"
nothing_recorded "$n" "DELETE me: the wrong password"
acct DELETE me "$P_ACCESS" - '{}'
check_status 400 "DELETE me: no password is a 400"
nothing_recorded "$n" "DELETE me: no password"
acct DELETE me "$P_ACCESS" 198.51.100.8 "$(jq -cn --arg p "$NEWPW" '{password: $p}')"
check_status 200 "DELETE me: alice deletes her account"

# refresh_reuse (bob, a token minted as Django would): a plain refresh
# records nothing; the spent token presented after the grace does.
M_ACCESS=$(mint $BOB access 300) M_REFRESH=$(mint $BOB refresh 86400)
n=$(n_events)
req POST refresh "{\"refresh\":\"$M_REFRESH\"}" -H "X-Forwarded-For: 198.51.100.9"
check_status 200 "refresh bob's token (rotation: a new pair, the old one spent)"
tokens
N_ACCESS=$access N_REFRESH=$refresh
nothing_recorded "$n" "a plain refresh (with rotation)"
sleep 2.2	# past AUTH_REFRESH_REUSE_GRACE=1
req POST refresh "{\"refresh\":\"$M_REFRESH\"}" -H "X-Forwarded-For: 198.51.100.10"
refresh_refused "refresh_reuse: bob's spent token after the grace is refused"
me "$N_ACCESS"
check_status 401 "refresh_reuse: ...and bob's tokens are revoked"

# logout_everywhere (carol, a minted token).
C_ACCESS=$(mint $CAROL access 300) C_REFRESH=$(mint $CAROL refresh 86400)
req POST logout "{\"refresh\":\"$C_REFRESH\",\"everywhere\":true}" -H "X-Forwarded-For: 198.51.100.11"
check_status 200 "logout everywhere: carol"
me "$C_ACCESS"
check_status 401 "logout everywhere: ...carol's access token is revoked"

# authctl: revoke, disable, enable, passwd, delete (dave); what fails
# records nothing.
sleep 1	# the authctl events start in a second of their own (--since)
n=$(n_events)
ctl revoke nosuch
ctl_exact 1 "authctl: no user nosuch" "authctl revoke nosuch: exit 1"
ctl user disable nosuch
ctl_exact 1 "authctl: no user nosuch" "authctl user disable nosuch: exit 1"
ctl user passwd dave <<<short
check "authctl user passwd with a short password: exit 1" test "$ctl_rc" = 1
ctl secret rotate
check "authctl secret rotate with AUTH_JWT_SECRET set is refused (exit 1)" test "$ctl_rc" = 1
nothing_recorded "$n" "authctl: the failed commands"
ctl revoke dave
ctl_exit 0 "authctl revoke dave"
ctl user disable dave
ctl_done "authctl user disable dave"
ctl user enable dave
ctl_done "authctl user enable dave"
ctl user passwd dave <<<"$DAVEPW"
ctl_done "authctl user passwd dave"
ctl events --user dave
check "events --user dave (by username): his four events so far ($(tail -n +2 <<<"$ctl_out" | cut -f2 | tr '\n' ' '))" \
    test "$(tail -n +2 <<<"$ctl_out" | cut -f2 | tr '\n' ' ')" = "revoke disable enable passwd "
ctl events --user DAVE@example.com --json
check "events --user DAVE@example.com (by email): the same four" \
    test "$(jq -r '[.[].event] | join(" ")' <<<"$ctl_out" 2>&1)" = "revoke disable enable passwd"
ctl user delete dave
ctl_done "authctl user delete dave"
unset AUTH_JWT_SECRET	# the key kept in the database is the one rotated
ctl secret rotate
ctl_done "authctl secret rotate"
DBKEY=$(db_sql -ro "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'")
export AUTH_JWT_SECRET=$SECRET
check "setup: a key is kept in the database after the rotation" test -n "$DBKEY"

# --- 2. authctl events --json: each event once, oldest first ---------------------

ctl events --json
ctl_done "events --json: exit 0"
ALL=$ctl_out
check "events --json: a JSON array of 17 events" \
    test "$(jq 'if type == "array" then length else "not an array" end' <<<"$ALL" 2>&1)" = 17
check "events --json: every event type appears exactly once" \
    test "$(jq -r '[.[].event] | sort | join(" ")' <<<"$ALL")" = \
    "$(tr ' ' '\n' <<<"$EVENTS" | sort | tr '\n' ' ' | sed 's/ $//')"
check "events --json: oldest first, in the order of the session ($(jq -r '[.[].event] | join(" ")' <<<"$ALL"))" \
    test "$(jq -r '[.[].event] | join(" ")' <<<"$ALL")" = "$EVENTS"
check "events --json: times in ISO 8601 UTC, never decreasing; ids increasing" \
    jqt 'all(.[]; .at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")) and
    ([.[].at | fromdateiso8601] as $t | [range(1; $t | length) | $t[.] >= $t[. - 1]] | all) and
    ([.[].id] as $i | [range(1; $i | length) | $i[.] > $i[. - 1]] | all)' <<<"$ALL"
check "events --json: the times are those of the session (the last minutes)" \
    jqt --argjson now "$EPOCHSECONDS" 'all(.[]; (.at | fromdateiso8601) as $t | $t <= $now and $t > $now - 600)' <<<"$ALL"
# event user_id client, as the session made them.
WANT="import null null
register $ALICE 198.51.100.1
login $ALICE 198.51.100.2
login_failed $ALICE 198.51.100.3
login_throttled $ALICE 198.51.100.4
email_changed $ALICE 198.51.100.5
password_changed $ALICE 198.51.100.6
logout $ALICE 198.51.100.7
account_deleted $ALICE 198.51.100.8
refresh_reuse $BOB 198.51.100.10
logout_everywhere $CAROL 198.51.100.11
revoke $DAVE null
disable $DAVE null
enable $DAVE null
passwd $DAVE null
delete $DAVE null
key_rotated null null"
GOT=$(jq -r '.[] | "\(.event) \(.user_id) \(.client)"' <<<"$ALL")
check "events --json: each with its user id and client key (X-Forwarded-For; none for authctl)" \
    test "$GOT" = "$WANT"
[ "$GOT" = "$WANT" ] || diff <(echo "$WANT") <(echo "$GOT") | sed 's/^/# /'
detail() {
	jq -r --arg e "$1" '.[] | select(.event == $e) | .detail' <<<"$ALL"
}
check "email_changed: its detail holds the old and the new address ($(detail email_changed))" \
    eval '[[ $(detail email_changed) == *alice@example.com* ]] && [[ $(detail email_changed) == *"$NEWMAIL"* ]]'
check "import: its detail says how many users (3)" \
    eval '[[ $(detail import) == *3* ]]'

# --- 3. the text form -------------------------------------------------------------

ctl events
ctl_done "events: exit 0"
TEXT=$ctl_out
check "events: a header line 'time<TAB>event<TAB>user<TAB>client<TAB>detail'" \
    test "$(head -n 1 <<<"$TEXT")" = "$(printf 'time\tevent\tuser\tclient\tdetail')"
check "events: one line per event, 5 tab-separated fields each" \
    test "$(tail -n +2 <<<"$TEXT" | awk -F '\t' 'NF == 5' | wc -l)" = 17 -a \
    "$(wc -l <<<"$TEXT")" = 18
# What the text form must say: the JSON's values, "-" for none, a
# backslash doubled and a tab as \t (the detail of email_changed).
WANT_TEXT=$(jq -r '.[] | [.at, .event, (.user_id // "-" | tostring),
    (.client // "-"), (.detail // "-" | gsub("\\\\"; "\\\\") | gsub("\t"; "\\t"))] | join("\t")' <<<"$ALL")
check "events: the lines say what --json says, escaped (\\\\ and \\t), '-' for none" \
    test "$(tail -n +2 <<<"$TEXT")" = "$WANT_TEXT"
[ "$(tail -n +2 <<<"$TEXT")" = "$WANT_TEXT" ] ||
    diff <(echo "$WANT_TEXT") <(tail -n +2 <<<"$TEXT") | sed 's/^/# /' | head -n 20
check "events: the email_changed line shows the tab as \\t and the backslash doubled" \
    eval 'grep -qF "\"odd\\\\\\tname\"@example.com" <<<"$TEXT"'

# --- 4. --user and --since ---------------------------------------------------------

only() {	# only FILTER: the events of ALL that FILTER keeps, as JSON
	jq -c "[.[] | select($1)]" <<<"$ALL"
}
same_json() {	# same_json WANT "desc": authctl's stdout is that JSON list
	if [ "$ctl_rc" = 0 ] && [ "$(jq -c . <<<"$ctl_out" 2>&1)" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2" "want ${1:0:300}; $(ctl_got)"
	fi
}
ctl events --user "id:$ALICE" --json
same_json "$(only ".user_id == $ALICE")" "--user id:$ALICE: the deleted alice's 8 events"
check "--user id:$ALICE: ...which are 8" test "$(jq length <<<"$ctl_out")" = 8
ctl events --user bob --json
same_json "$(only ".user_id == $BOB")" "--user bob: bob's one event (refresh_reuse)"
ctl events --user "id:$DAVE"
check "--user id:$DAVE (deleted), text: his five events" \
    test "$(tail -n +2 <<<"$ctl_out" | cut -f2 | tr '\n' ' ')" = "revoke disable enable passwd delete "
ctl events --user alice
ctl_exact 1 "authctl: no user alice" "--user alice (deleted): no such user, exit 1 (id:N finds her events)"
ctl events --user id:999 --json
same_json "[]" "--user id:999 (nobody ever): an empty list"
ctl events --user id:x
check "--user id:x: refused (exit 1)" test "$ctl_rc" = 1
T_REVOKE=$(jq -r '.[] | select(.event == "revoke") | .at' <<<"$ALL")
S=$(date -u -d "$T_REVOKE" +%s)
check "setup: the event before revoke is in an earlier second" \
    jqt --argjson s "$S" '[.[] | select(.event == "logout_everywhere") | .at | fromdateiso8601][0] < $s' <<<"$ALL"
SINCE=$(only "(.at | fromdateiso8601) >= $S")
ctl events --since "$S" --json
same_json "$SINCE" "--since $S (Unix seconds): the events at or after it (revoke's second included)"
check "--since: ...the six of authctl" test "$(jq length <<<"$ctl_out")" = 6
ctl events --since "$T_REVOKE" --json
same_json "$SINCE" "--since $T_REVOKE (ISO 8601, Z): the same"
ctl events --since "$(TZ=UTC-2 date -d "@$S" +%Y-%m-%dT%H:%M:%S+02:00)" --json
same_json "$SINCE" "--since with a +02:00 offset: the same"
ctl events --since "$(date -u -d "@$S" '+%Y-%m-%d %H:%M:%S')" --json
same_json "$SINCE" "--since without an offset is UTC: the same"
ctl events --since $((S + 1)) --json
same_json "$(only "(.at | fromdateiso8601) > $S")" "--since one second later leaves revoke's second out"
ctl events --since $((EPOCHSECONDS + 100))
check "--since the future, text: the header line only" \
    test "$ctl_rc" = 0 -a "$ctl_out" = "$(printf 'time\tevent\tuser\tclient\tdetail')"
ctl events --since $((EPOCHSECONDS + 100)) --json
same_json "[]" "--since the future, --json: []"
ctl events --user "id:$DAVE" --since $((S + 1)) --json
same_json "$(only ".user_id == $DAVE and (.at | fromdateiso8601) > $S")" "--user and --since together"
for bad in yesterday 2026-02-30 -5 12abc ''; do
	ctl events --since "$bad"
	check "--since '$bad': bad usage (exit 2), naming --since" \
	    eval '[ "$ctl_rc" = 2 ] && [[ $ctl_err == *--since* ]]'
done

# --- 5. no event holds a secret ------------------------------------------------------

db_sql -ro 'SELECT * FROM events' >"$T/events.dump"
db_sql -ro "SELECT $(sql_hex_text "coalesce(client, '')") || '|' || $(sql_hex_text "coalesce(detail, '')") FROM events" >"$T/events.hex"
ctl events
ctl_out_text=$ctl_out
ctl events --json
printf '%s\n%s\n' "$ctl_out_text" "$ctl_out" >"$T/events.out"
leaks=
# leak NAME VALUE: VALUE is in none of the dumps (nor, hex-encoded, in the
# table's hex).
leak() {
	local hex
	[ -n "$2" ] || { leaks+=" $1(empty!)"; return; }
	hex=$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
	if grep -qF -- "$2" "$T/events.dump" "$T/events.out" ||
	    grep -qF -- "$hex" "$T/events.hex"; then
		leaks+=" $1"
	fi
}
n=0
for v in "$PW" "$NEWPW" "$BAD" "$DAVEPW" "${FIX_PWS[@]}"; do
	leak "password$((n += 1))" "$v"
done
for t in A_ACCESS A_REFRESH L_ACCESS L_REFRESH P_ACCESS P_REFRESH M_ACCESS \
    M_REFRESH N_ACCESS N_REFRESH C_ACCESS C_REFRESH; do
	leak "$t" "${!t}"
	leak "$t-signature" "${!t##*.}"
	leak "$t-payload" "$(cut -d. -f2 <<<"${!t}")"
done
leak AUTH_JWT_SECRET "$SECRET"
leak pbkdf2 'pbkdf2_sha256$'
leak bob-hash-salt "$(cut -d'$' -f3 <<<"$BOB_HASH")"
check "no secret in the events table or authctl events:${leaks:- none of $((4 + ${#FIX_PWS[@]})) passwords, 12 tokens, their signatures and payloads, the key, a hash}" \
    test -z "$leaks"
check "...nor the key the database holds (its hex)" \
    eval '! grep -qiF -- "$DBKEY" "$T/events.hex" "$T/events.dump" "$T/events.out"'
check "(the dumps hold the session: 17 rows)" test "$(wc -l <"$T/events.dump")" = 17

# --- 6. purge keeps AUTH_EVENT_DAYS ---------------------------------------------------

now=$EPOCHSECONDS
db_sql "INSERT INTO events (at, user_id, event, client, detail) VALUES
    ($now - 91 * 86400, NULL, 'login_failed', '192.0.2.91', 'test row 91 days old'),
    ($now - 89 * 86400, NULL, 'login_failed', '192.0.2.89', 'test row 89 days old'),
    ($now - 2 * 86400, NULL, 'login_failed', '192.0.2.2', 'test row 2 days old'),
    ($now - 12 * 3600, NULL, 'login_failed', '192.0.2.12', 'test row 12 hours old')"
ctl events --json
check "purge: setup: the old rows are listed (21 events)" test "$(jq length <<<"$ctl_out")" = 21
ctl purge
check "purge: AUTH_EVENT_DAYS unset (90): 'events older than 90 days deleted: 1'" \
    eval '[ "$ctl_rc" = 0 ] && printf "%s\n" "$ctl_out" | grep -qx "events older than 90 days deleted: 1"'
check "purge: ...the 91-day-old row went, the rest stayed" \
    test "$(db_sql -ro "SELECT client FROM events WHERE detail LIKE 'test row%' ORDER BY id" | paste -sd' ')" = "192.0.2.89 192.0.2.2 192.0.2.12" -a "$(n_events)" = 20
AUTH_EVENT_DAYS=100 ctl purge
check "purge: AUTH_EVENT_DAYS=100 keeps the 89-day-old row (0 deleted)" \
    eval 'printf "%s\n" "$ctl_out" | grep -qx "events older than 100 days deleted: 0"'
AUTH_EVENT_DAYS=1 ctl purge
check "purge: AUTH_EVENT_DAYS=1: the 89- and 2-day-old rows go (2 deleted)" \
    eval '[ "$ctl_rc" = 0 ] && printf "%s\n" "$ctl_out" | grep -qx "events older than 1 days deleted: 2"'
check "purge: ...the 12-hour-old row and the session's 17 stay" \
    test "$(db_sql -ro "SELECT client FROM events WHERE detail LIKE 'test row%' ORDER BY id" | paste -sd,)" = "192.0.2.12" -a "$(n_events)" = 18
AUTH_EVENT_DAYS=abc ctl purge
check "purge: AUTH_EVENT_DAYS=abc is a startup error naming the variable, nothing deleted" \
    eval '[ "$ctl_rc" != 0 ] && [[ $ctl_err == *AUTH_EVENT_DAYS* ]] && [ "$(n_events)" = 18 ]'

# --- 7. in the transaction of what it records ---------------------------------------

# With the events table refusing every row, nothing that has an event may
# happen: the change and its event are one transaction.
AUTH_DB=$(db_new tx)
server AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=1
register eve eve@example.com "$PW"
check_status 201 "tx: setup: register eve"
E_ACCESS=$access E_REFRESH=$refresh
EVE=$(claim "$E_ACCESS" .user_id)
import_file "$T/tx.json" "fay:700:$BOB_HASH"
unset AUTH_JWT_SECRET
ctl secret rotate	# a key in the database, to see it kept
export AUTH_JWT_SECRET=$SECRET
db_sql "DELETE FROM events"
EVE_ROW=$(user_line "$EVE")
KEY_ROW=$(db_sql -ro "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'")
# (A trigger is spelt differently by each database.)
if [ "$DB_KIND" = postgresql ]; then
	db_sql 'CREATE FUNCTION test_no_events() RETURNS trigger LANGUAGE plpgsql
	    AS $$ BEGIN RAISE EXCEPTION '"'the test refuses events'"'; END $$' \
	    'CREATE TRIGGER test_no_events BEFORE INSERT ON events
	    FOR EACH ROW EXECUTE FUNCTION test_no_events()'
else
	db_sql "CREATE TRIGGER test_no_events BEFORE INSERT ON events
	    BEGIN SELECT RAISE(ABORT, 'the test refuses events'); END"
fi

register frank frank@example.com "$PW"
check_503 "tx: register with its event refused"
check "tx: ...and frank was not created" test "$(users_in "$AUTH_DB")" = 1
acct PATCH me/email "$E_ACCESS" - '{"email":"eve2@example.com"}'
check_status 503 "tx: me/email with its event refused: 503"
acct PUT me/password "$E_ACCESS" - "$(jq -cn --arg p "$PW" --arg n "$NEWPW" '{current_password: $p, new_password: $n, new_password_confirm: $n}')"
check_status 503 "tx: me/password with its event refused: 503"
acct DELETE me "$E_ACCESS" - "$(jq -cn --arg p "$PW" '{password: $p}')"
check_status 503 "tx: DELETE me with its event refused: 503"
check "tx: ...eve's email, password and account are as they were" \
    test "$(user_line "$EVE")" = "$EVE_ROW"
me "$E_ACCESS"
check_status 200 "tx: ...and her token was not revoked by the password change"
check_json .email eve@example.com "tx: ...me still says her old email"
req POST logout "{\"refresh\":\"$E_REFRESH\"}"
check_status 503 "tx: logout with its event refused: 503"
req POST logout "{\"refresh\":\"$E_REFRESH\",\"everywhere\":true}"
check_status 503 "tx: logout everywhere with its event refused: 503"
me "$E_ACCESS"
check_status 200 "tx: ...eve's access token still works (not revoked)"
login eve "$PW"
check_status 503 "tx: login of an existing account with its event refused: 503"
req POST refresh "{\"refresh\":\"$E_REFRESH\"}"
check_status 200 "tx: ...eve's refresh token was not logged out (a plain refresh records nothing: 200)"
tokens
F_ACCESS=$access
sleep 2.2
req POST refresh "{\"refresh\":\"$E_REFRESH\"}"
check_status 503 "tx: refresh_reuse with its event refused: 503"
me "$F_ACCESS"
check_status 200 "tx: ...eve's tokens were not revoked"
ctl revoke eve
check "tx: authctl revoke fails (exit 1)" test "$ctl_rc" = 1
me "$F_ACCESS"
check_status 200 "tx: ...and revoked nothing"
for op in disable delete; do
	ctl user "$op" eve
	check "tx: authctl user $op fails (exit 1)" test "$ctl_rc" = 1
done
ctl user passwd eve <<<"$DAVEPW"
check "tx: authctl user passwd fails (exit 1)" test "$ctl_rc" = 1
check "tx: ...eve's row is as it was (active, same password)" \
    test "$(user_line "$EVE")" = "$EVE_ROW"
db_sql "UPDATE users SET is_active = 0 WHERE id = $EVE"
ctl user enable eve
check "tx: authctl user enable fails (exit 1)" test "$ctl_rc" = 1
check "tx: ...eve is still inactive" \
    test "$(db_sql -ro "SELECT is_active FROM users WHERE id = $EVE")" = 0
ctl import-django "$T/tx.json"
check "tx: authctl import-django fails (exit 1)" test "$ctl_rc" = 1
check "tx: ...and imported nobody" test "$(users_in "$AUTH_DB")" = 1
unset AUTH_JWT_SECRET
ctl secret rotate
check "tx: authctl secret rotate fails (exit 1)" test "$ctl_rc" = 1
export AUTH_JWT_SECRET=$SECRET
check "tx: ...and the key is the one before" \
    test "$(db_sql -ro "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'")" = "$KEY_ROW" -a -n "$KEY_ROW"
if [ "$DB_KIND" = postgresql ]; then
	db_sql 'DROP TRIGGER test_no_events ON events' \
	    'DROP FUNCTION test_no_events()'
else
	db_sql "DROP TRIGGER test_no_events"
fi
check "tx: no event was recorded" test "$(n_events)" = 0

finish

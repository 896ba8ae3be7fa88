#!/usr/bin/env bash
# POST logout: SPEC "Account endpoints" ("POST logout") over HTTP: the
# schema ("everywhere" a JSON boolean), the 401 for a token refresh would
# refuse, the 200 and what it refuses from then on (this refresh token; with
# everywhere, every token of the user, a login right after still working
# in the same second), logging out twice, the refresh scope, the bearer
# header ignored, the table kept small (the normal path and authctl purge),
# and authctl user show's password line.
# any-cgi-server
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
OUT='{"message":"Logged out."}'
REFRESH_401='Invalid or expired refresh token.'
TOO_MANY='Too many refresh attempts. Please try again later.'
BOOL="$(err bool_type everywhere "Input should be a valid boolean")"

# refused_401 DESC: logout's (and refresh's) 401 for a bad token.
refused_401() {
	check_error 401 "$REFRESH_401" "$1"
}

start_server
register janedoe jane@example.com "$PW"
check_status 201 "logout: setup: register janedoe"
ja=$access jr=$refresh
jid=$(claim "$ja" .user_id)
register bobsmith bob@example.com "$PW"
ba=$access br=$refresh

# --- the schema ---------------------------------------------------------------------

req POST logout ''
check_422 '[{"type":"missing","loc":["body","payload"],"msg":"Field required"}]' \
    "logout: an empty body is one 422 missing at [\"body\", \"payload\"]"
req POST logout '{}'
check_422 "[$(err missing refresh "Field required")]" "logout: a missing refresh is 422 missing (everywhere is optional)"
for v in null '[]' '"x"' 1; do
	req POST logout "$v"
	check_422 "[$(err missing refresh "Field required")]" "logout: a body that is not an object ($v) reports refresh missing"
done
req POST logout '{"refresh":"short"}'
check_422 "[$(too_short refresh 20)]" "logout: a refresh under 20 characters is 422 string_too_short (min_length 20)"
req POST logout '{"refresh":"0123456789012345678"}'
check_422 "[$(too_short refresh 20)]" "logout: 19 characters is 422 string_too_short"
req POST logout '{"refresh":12345678901234567890123}'
check_422 "[$(err string_type refresh "Input should be a valid string")]" "logout: a number is 422 string_type"
req POST logout '{"refresh":null}'
check_422 "[$(err string_type refresh "Input should be a valid string")]" "logout: null is 422 string_type"
for v in '"true"' 1 0 null '"yes"' '[]' '{}' '"false"'; do
	req POST logout "{\"refresh\":\"$jr\",\"everywhere\":$v}"
	check_422 "[$BOOL]" "logout: everywhere $v is 422 bool_type \"Input should be a valid boolean\" at [\"body\", \"payload\", \"everywhere\"]"
done
req POST logout '{"refresh":"short","everywhere":"x"}'
check_422 "[$(too_short refresh 20),$BOOL]" "logout: both fields wrong: two errors, in field order"
req POST logout "{\"refresh\":\"$(rep x 66000)\"}"
check_error 413 "Request body too large." "logout: a body over 64 KiB is 413"
req POST logout '{"refresh":'
check_error 400 "Cannot parse request body" "logout: invalid JSON is 400 \"Cannot parse request body\""
req POST logout $'{"refresh":"\xff0123456789012345678901"}'
check_error 400 "Cannot parse request body" "logout: invalid UTF-8 is 400"
refresh_with "$jr"
check_status 200 "logout: the refused bodies logged nothing out (refresh: 200)"

# --- 401: a token refresh would refuse -------------------------------------------------

now=$(date +%s)
HDR='{"alg":"HS256","typ":"JWT"}'
claims_of() {	# claims_of TYPE USER EXP
	printf '{"token_type":"%s","exp":%s,"iat":%s,"jti":"%s","user_id":%s}' \
	    "$1" "$3" "$now" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "$2"
}
logout_with "01234567890123456789"
refused_401 "logout: a malformed token is 401 \"$REFRESH_401\""
logout_with "${jr%.*}.$(hs256 "${jr%.*}" another-key-0123456789abcdef0123456789)"
refused_401 "logout: a bad signature is 401"
logout_with "${jr%.*}"
refused_401 "logout: two segments are 401"
logout_with "$(sign "$HDR" "$(claims_of refresh "$jid" $((now - 10)))")"
refused_401 "logout: an expired refresh token is 401"
logout_with "$ja"
refused_401 "logout: an access token instead of a refresh token is 401"
logout_with "$(sign '{"alg":"none","typ":"JWT"}' "$(claims_of refresh "$jid" $((now + 300)))")"
refused_401 "logout: a header other than HS256 is 401"
logout_with "$(sign "$HDR" "$(claims_of refresh 999999 $((now + 300)))")"
refused_401 "logout: a token naming no user is 401"
register idle idle@example.com "$PW"
ir=$refresh iid=$(claim "$refresh" .user_id)
db_sql "UPDATE users SET is_active = 0 WHERE id = $iid"
logout_with "$ir"
refused_401 "logout: an inactive user's token is 401"
db_sql "UPDATE users SET is_active = 1 WHERE id = $iid"
logout_with "$ir"
check_answer 200 "$OUT" "logout: the same token, the user active again, is 200"
register gone gone@example.com "$PW"
ga=$access gr=$refresh
authed DELETE me "{\"password\":\"$PW\"}" "$ga"
check_status 200 "logout: setup: an account deleted (DELETE me)"
logout_with "$gr"
refused_401 "logout: a deleted user's token is 401"
register gone2 gone2@example.com "$PW"
g2r=$refresh
db_sql "DELETE FROM users WHERE username = 'gone2'"
logout_with "$g2r"
refused_401 "logout: a token of a user removed from the table is 401"
# The bearer header is ignored: the refresh token is the credential.
req POST logout "{\"refresh\":\"$ja\"}" -H "Authorization: Bearer $ja"
refused_401 "logout: a valid access token sent as the bearer does not make an access token a credential (401)"
check "logout: that 401 has no WWW-Authenticate (the bearer is not looked at)" \
    test -z "$(header WWW-Authenticate)"
req POST logout "{\"refresh\":\"01234567890123456789\"}"
check "logout: no 401 of logout has WWW-Authenticate" test -z "$(header WWW-Authenticate)"

# --- 200 ---------------------------------------------------------------------------------

login janedoe "$PW"
la=$access lr=$refresh
login janedoe "$PW"
oa=$access or=$refresh
logout_with "$lr"
check_answer 200 "$OUT" "logout: a good refresh token is 200 {\"message\": \"Logged out.\"}"
check_header Content-Type application/json "logout: the 200 has Content-Type: application/json"
check_header Cache-Control no-store "logout: the 200 has Cache-Control: no-store"
refresh_with "$lr"
refresh_refused "logout: the logged-out refresh token is refused by refresh (401)"
authed GET me - "$la"
check_status 200 "logout: the access token issued with it lives out its lifetime (me: 200)"
refresh_with "$or"
check_status 200 "logout: another session's refresh token keeps working (200)"
authed GET me - "$oa"
check_status 200 "logout: another session's access token keeps working (200)"
refresh_with "$jr"
check_status 200 "logout: the first session's refresh token keeps working (200)"
logout_with "$lr"
check_answer 200 "$OUT" "logout: logging out twice answers 200 the second time too"
logout_with "$lr" false
check_answer 200 "$OUT" "logout: ...and a third time, with everywhere false"
refresh_with "$lr"
refresh_refused "logout: the token is still refused after logging out again"
req POST logout "{\"refresh\":\"$or\"}" -H "Authorization: Bearer not-a-token"
check_answer 200 "$OUT" "logout: a bad bearer header sent along is ignored (200)"
refresh_with "$or"
refresh_refused "logout: ...and that token is logged out"
login janedoe "$PW"
xa=$access xr=$refresh
req POST logout "{\"refresh\":\"$xr\"}" -H "Authorization: Bearer $ba"
check_answer 200 "$OUT" "logout: another user's access token as the bearer is ignored (200)"
refresh_with "$xr"
refresh_refused "logout: ...the refresh token's own session is the one logged out"
refresh_with "$br"
check_status 200 "logout: ...and the bearer's user is untouched"
refresh_with "$lr"
refresh_refused "logout: an access token, issued with it, does not bring it back: still 401"

# The access token issued with it is refused once its exp has passed.
start_server AUTH_ACCESS_TTL=1
login janedoe "$PW"
sa=$access sr=$refresh
logout_with "$sr"
check_answer 200 "$OUT" "logout: setup: a session logged out under AUTH_ACCESS_TTL=1"
sleep_until $(( $(claim "$sa" .exp) + 1 ))
authed GET me - "$sa"
me_refused "logout: its access token is refused after its exp"
start_server

# --- everywhere ---------------------------------------------------------------------------

login bobsmith "$PW"
ba=$access br=$refresh
now=$(date +%s)
sleep_until $((now + 1))
within=0
for try in 1 2 3 4 5; do
	login janedoe "$PW"
	a0=$access r0=$refresh
	login janedoe "$PW"
	a1=$access r1=$refresh
	s0=$(date +%s)
	logout_with "$r0" true
	st_out="$status $(printf '%s' "$body" | jq -cS . 2>&1)"
	authed GET me - "$a0"; me_refusal && st_a0=401 || st_a0=$status
	authed GET me - "$a1"; me_refusal && st_a1=401 || st_a1=$status
	refresh_with "$r1"; st_r1="$status $body"
	login janedoe "$PW"
	st_login=$status a2=$access r2=$refresh
	authed GET me - "$a2"; st_a2=$status
	refresh_with "$r2"; st_r2=$status
	s1=$(date +%s)
	if [ "$s0" = "$s1" ] && [ "$(claim "$a0" .iat) $(claim "$a1" .iat) $(claim "$a2" .iat)" = "$s0 $s0 $s0" ]; then
		within=1
		break
	fi
	echo "# everywhere: try $try crossed a second: again"
done
check "everywhere: the scenario ran within one second (try $try: logins, logout everywhere, a login after, all in second $s0)" \
    test "$within" = 1
check "everywhere: {\"refresh\", \"everywhere\": true} is 200 {\"message\": \"Logged out.\"}" \
    test "$st_out" = "200 $(jq -cS . <<<"$OUT")"
check "everywhere: the access token issued with it, earlier in the same second, is revoked (me: 401)" \
    test "$st_a0" = 401
check "everywhere: another session's access token of the same second is revoked (me: 401)" \
    test "$st_a1" = 401
check "everywhere: another session's refresh token is revoked (refresh: 401 \"$REFRESH_401\")" \
    test "$st_r1" = "401 {\"message\":\"$REFRESH_401\",\"details\":null}"
check "everywhere: a login right after, in the same second, is 200" test "$st_login" = 200
check "everywhere: ...and its access token works at once (me: 200)" test "$st_a2" = 200
check "everywhere: ...and its refresh token too (refresh: 200)" test "$st_r2" = 200
sleep_until $((s1 + 1))
authed GET me - "$a1"
me_refused "everywhere: in a later second the revoked access token is still 401"
refresh_with "$r1"
refresh_refused "everywhere: in a later second the revoked refresh token is still 401"
authed GET me - "$a2"
check_status 200 "everywhere: in a later second the token of the login after is still 200"
authed GET me - "$oa"
me_refused "everywhere: an access token from an earlier second is revoked too"
refresh_with "$jr"
refresh_refused "everywhere: a refresh token from an earlier second is revoked too"
authed GET me - "$ba"
check_status 200 "everywhere: another user's access token is untouched"
refresh_with "$br"
check_status 200 "everywhere: another user's refresh token is untouched"
logout_with "$r0" true
check_answer 200 "$OUT" "everywhere: logging out everywhere twice (a retry) answers 200 the second time too"
logout_with "$r1"
refused_401 "everywhere: another session's revoked (not logged-out) refresh token is 401 at logout"
login janedoe "$PW"
check_status 200 "everywhere: the password still logs in"

# --- the refresh scope -------------------------------------------------------------------------

W=$(pick_window)
start_server AUTH_RATE_REFRESH=3 AUTH_RATE_WINDOW="$W"
db_sql 'DELETE FROM attempts'	# a fresh count: the requests above counted
login janedoe "$PW"
ra=$access rr=$refresh
login janedoe "$PW"
r2=$refresh
req POST logout '{}'
req POST logout '{"refresh":"x"}'
check_status 422 "rate: 422s are not counted"
logout_with "$rr"
check_answer 200 "$OUT" "rate: logout is attempt 1 of 3 in the refresh scope"
refresh_with "$r2"
check_status 200 "rate: refresh is attempt 2 of 3"
logout_with "01234567890123456789"
refused_401 "rate: a refused logout is attempt 3 of 3"
logout_with "$r2"
check_rate_429 "$TOO_MANY" "$W" "rate: logout's attempt 4"
refresh_with "$r2"
check_rate_429 "$TOO_MANY" "$W" "rate: refresh, the same scope, is 429 too"
req POST logout '{"refresh":"x"}'
check_status 422 "rate: an exhausted client still gets its 422"
login janedoe "$PW"
check_status 200 "rate: login has its own scope (200)"
start_server
refresh_with "$r2"
check_status 200 "rate: the token the 429 refused is not logged out (refresh 200 without the limit)"

# --- the table stays small ---------------------------------------------------------------------

SDB=$(db_new small)
start_server AUTH_DB="$SDB" AUTH_REFRESH_TTL=2
register smalluser small@example.com "$PW"
bad=
for i in $(seq 30); do
	login smalluser "$PW"
	logout_with "$refresh"
	[ "$status" = 200 ] || bad="$bad $i:$status"
done
last=$(claim "$refresh" .exp)
check "table: 30 logouts under AUTH_REFRESH_TTL=2 are 200 ($bad)" test -z "$bad"
AUTH_DB=$SDB ctl stats
n30=$(sed -n 's/^token_rows: //p' <<<"$ctl_out")
echo "# table: token_rows after 30 logouts: $n30"
check "table: authctl stats says token_rows: N (at most the 30 logged out: $n30)" \
    eval '[[ "$n30" =~ ^[0-9]+$ ]] && [ "$n30" -le 30 ]'
sleep_until $((last + 1))
login smalluser "$PW"
logout_with "$refresh"
check_answer 200 "$OUT" "table: one more logout once they all expired is 200"
AUTH_DB=$SDB ctl stats
n31=$(sed -n 's/^token_rows: //p' <<<"$ctl_out")
want=$(( (n30 > 16 ? n30 - 16 : 0) + 1 ))
check "table: the normal path dropped expired rows, 16 at a time ($n30 rows, then $n31: want $want)" \
    test "${n31:-x}" = "$want"
AUTH_DB=$SDB ctl purge
check "table: authctl purge says \"expired logged-out and spent tokens deleted: $((want - 1))\"" \
    eval 'grep -qx "expired logged-out and spent tokens deleted: $((want - 1))" <<<"$ctl_out"'
AUTH_DB=$SDB ctl stats
check "table: after the purge only the unexpired row is left (token_rows: 1)" \
    eval 'grep -qx "token_rows: 1" <<<"$ctl_out"'
AUTH_DB=$SDB ctl purge
check "table: a second purge deletes none (\"...: 0\")" \
    eval 'grep -qx "expired logged-out and spent tokens deleted: 0" <<<"$ctl_out"'
start_server

# --- authctl user show: the password line ---------------------------------------------------------

ctl user show janedoe
check "authctl: user show says \"password: usable\" for a registered account" \
    eval 'grep -qx "password: usable" <<<"$ctl_out"'
import_social 42 socialsam sam@example.com
ctl user show socialsam
check "authctl: user show says \"password: unusable ...\" for an imported social account" \
    eval 'grep -qx "password: unusable (no login by password; email and password changes refused; user passwd gives one)" <<<"$ctl_out"'
ctl user show --json socialsam
check "authctl: user show --json has password_usable false" \
    test "$(jq -r .password_usable <<<"$ctl_out" 2>&1)" = false
ctl user show --json janedoe
check "authctl: ...and true for a registered account" \
    test "$(jq -r .password_usable <<<"$ctl_out" 2>&1)" = true

finish

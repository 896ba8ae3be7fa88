#!/usr/bin/env bash
# POST refresh: SPEC "POST refresh" (and the refresh side of "Tokens"),
# driven over HTTP: the schema, a new access token, and every refusal.
. "$(dirname "$0")/lib.sh"

# claims TOKEN: the payload JSON; jwt_header TOKEN: the header JSON.
claims() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f2)"
}
jwt_header() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f1)"
}
# near T: T is within 2 seconds of now.
near_now() {
	local now d
	now=$(date +%s)
	[[ "$1" =~ ^[0-9]+$ ]] || return 1
	d=$((now - $1))
	[ "$d" -ge -2 ] && [ "$d" -le 2 ]
}
# errors_are JSON-ARRAY: a 422 whose details.errors is exactly that list.
errors_are() {
	[ "$status" = 422 ] &&
	    [ "$(printf '%s' "$body" | jq -r .message)" = "Validation error." ] &&
	    [ "$(printf '%s' "$body" | jq -cS .details.errors 2>/dev/null)" = \
	    "$(printf '%s' "$1" | jq -cS .)" ]
}

start_server

# --- Schema ------------------------------------------------------------

LOC='["body","payload","refresh"]'
TOO_SHORT="[{\"type\":\"string_too_short\",\"loc\":$LOC,\"msg\":\"String should have at least 20 characters\",\"ctx\":{\"min_length\":20}}]"

req POST refresh '{"refresh":"short"}'
check "refresh: shorter than 20 characters is 422 string_too_short with ctx min_length 20" \
    errors_are "$TOO_SHORT"

req POST refresh '{"refresh":"0123456789012345678"}'
check "refresh: 19 characters is 422 string_too_short" errors_are "$TOO_SHORT"

req POST refresh '{"refresh":"ééééééééééééééééééé"}'
check "refresh: lengths count code points (19 two-byte characters is 422)" \
    errors_are "$TOO_SHORT"

req POST refresh '{"refresh":"01234567890123456789"}'
refresh_refused "refresh: 20 characters pass the schema (garbage is then 401)"

req POST refresh '{"refresh":""}'
check "refresh: an empty string is 422 string_too_short" errors_are "$TOO_SHORT"

req POST refresh '{}'
check "refresh: a missing field is 422 missing \"Field required\"" \
    errors_are "[{\"type\":\"missing\",\"loc\":$LOC,\"msg\":\"Field required\"}]"

req POST refresh '{"token":"01234567890123456789012345"}'
check "refresh: another field name is 422 missing" \
    errors_are "[{\"type\":\"missing\",\"loc\":$LOC,\"msg\":\"Field required\"}]"

STRING_TYPE="[{\"type\":\"string_type\",\"loc\":$LOC,\"msg\":\"Input should be a valid string\"}]"
req POST refresh '{"refresh":123456789012345678901234}'
check "refresh: a number is 422 string_type" errors_are "$STRING_TYPE"
req POST refresh '{"refresh":null}'
check "refresh: null is 422 string_type" errors_are "$STRING_TYPE"
req POST refresh '{"refresh":["01234567890123456789"]}'
check "refresh: an array is 422 string_type" errors_are "$STRING_TYPE"

req GET refresh -
check_status 405 "refresh: GET is 405"
check_header Allow POST "refresh: 405 carries Allow: POST"
check "refresh: 405 body is {\"message\": \"Method not allowed.\", \"details\": null}" \
    body_is '{"message":"Method not allowed.","details":null}'

# --- Success -----------------------------------------------------------

register janedoe jane@example.com 's3cure!Pass'
check_status 201 "refresh: setup: register janedoe"
uid=$(claim "$access" .user_id)

check "tokens: the refresh token is of type refresh" \
    test "$(claim "$refresh" .token_type)" = refresh
check "tokens: refresh lifetime 86400 s by default (exp = iat + 86400)" \
    test "$(claim "$refresh" '.exp - .iat')" = 86400

refresh_with "$refresh"
check_status 200 "refresh: a valid refresh token is 200"
check "refresh: the body is {\"access\"} only, no refresh key" \
    test "$(printf '%s' "$body" | jq -c keys)" = '["access"]'
check_header Content-Type application/json "refresh: 200 has Content-Type: application/json"
check_header Cache-Control no-store "refresh: 200 has Cache-Control: no-store"
check_header X-Content-Type-Options nosniff "refresh: 200 has X-Content-Type-Options: nosniff"
new=$(printf '%s' "$body" | jq -r '.access // empty')
check "tokens: header exactly {\"alg\":\"HS256\",\"typ\":\"JWT\"}" \
    test "$(jwt_header "$new")" = '{"alg":"HS256","typ":"JWT"}'
check "tokens: claims in order token_type, exp, iat, jti, user_id" \
    test "$(claims "$new" | jq -c keys_unsorted)" = \
    '["token_type","exp","iat","jti","user_id"]'
check "refresh: the new token is an access token" \
    test "$(claim "$new" .token_type)" = access
check "refresh: the new token names the same user" \
    test "$(claim "$new" .user_id)" = "$uid" -a -n "$uid"
check "refresh: user_id is an integer" \
    test "$(claim "$new" '.user_id | type == "number" and . == floor')" = true
jti=$(claim "$new" .jti)
check "tokens: jti is 32 lowercase hex characters" \
    eval '[[ "$jti" =~ ^[0-9a-f]{32}$ ]]'
check "refresh: the new access token has a new jti" \
    test "$jti" != "$(claim "$access" .jti)" -a "$jti" != "$(claim "$refresh" .jti)"
check "refresh: iat = now" near_now "$(claim "$new" .iat)"
check "refresh: exp = iat + 300 (access lifetime)" \
    test "$(claim "$new" '.exp - .iat')" = 300
check "refresh: exp = now + 300" near_now "$(claim "$new" '.exp - 300')"
check "tokens: the signature is HMAC-SHA256 with the configured key" \
    test "$(hs256 "$(printf '%s' "$new" | cut -d. -f1-2)")" = \
    "$(printf '%s' "$new" | cut -d. -f3)"

req GET me - -H "Authorization: Bearer $new"
check_status 200 "refresh: the new access token works on /me"
check_json .id "$uid" "refresh: /me with the new token names the user"

refresh_with "$refresh"
check_status 200 "refresh: the refresh token is not rotated (usable again)"
again=$(printf '%s' "$body" | jq -r '.access // empty')
check "refresh: each refresh issues a fresh jti" \
    test -n "$again" -a "$(claim "$again" .jti)" != "$jti"

refresh_with "$refresh"
check_status 200 "refresh: and a third time"

# --- Configurable lifetimes --------------------------------------------

start_server AUTH_ACCESS_TTL=60 AUTH_REFRESH_TTL=120
register ttluser ttl@example.com 's3cure!Pass'
check_status 201 "refresh: setup: register under AUTH_ACCESS_TTL=60 AUTH_REFRESH_TTL=120"
check "tokens: AUTH_REFRESH_TTL=120 gives refresh exp - iat = 120" \
    test "$(claim "$refresh" '.exp - .iat')" = 120
check "tokens: AUTH_ACCESS_TTL=60 gives access exp - iat = 60 at registration" \
    test "$(claim "$access" '.exp - .iat')" = 60
refresh_with "$refresh"
check_status 200 "refresh: works under AUTH_ACCESS_TTL=60"
new=$(printf '%s' "$body" | jq -r '.access // empty')
check "refresh: AUTH_ACCESS_TTL=60 gives exp - iat = 60" \
    test "$(claim "$new" '.exp - .iat')" = 60
check "refresh: iat = now under AUTH_ACCESS_TTL=60" near_now "$(claim "$new" .iat)"

# --- Refusals ----------------------------------------------------------

start_server
register alice alice@example.com 's3cure!Pass'
check_status 201 "refresh: setup: register alice"
a_access=$access a_refresh=$refresh
a_uid=$(claim "$a_access" .user_id)
register bob bob@example.com 's3cure!Pass'
b_uid=$(claim "$access" .user_id)

refresh_with "$a_access"
refresh_refused "refresh: an access token given as refresh is 401 (not of type refresh)"

# Alice's refresh token, user_id changed to Bob's, signature kept.
h=$(printf '%s' "$a_refresh" | cut -d. -f1)
s=$(printf '%s' "$a_refresh" | cut -d. -f3)
p=$(claims "$a_refresh" | jq -c ".user_id = $b_uid" | b64url)
refresh_with "$h.$p.$s"
refresh_refused "refresh: a tampered payload (user_id changed, signature kept) is 401"

case $s in
A*) s2="B${s#?}" ;;
*) s2="A${s#?}" ;;
esac
refresh_with "$h.$(printf '%s' "$a_refresh" | cut -d. -f2).$s2"
refresh_refused "refresh: a badly signed token (one character changed) is 401"

other=$(sign '{"alg":"HS256","typ":"JWT"}' "$(claims "$a_refresh")" \
    'another-secret-0123456789abcdef0123456789abc')
refresh_with "$other"
refresh_refused "refresh: a token signed with another key is 401"

refresh_with "$(printf '%s' "$a_refresh" | cut -d. -f1-2)"
refresh_refused "refresh: a malformed token (two segments) is 401"

refresh_with 'this-is-not-a-token-at-all-0123456789'
refresh_refused "refresh: garbage of 20+ characters is 401"

refresh_with 'aaaaaaaaaaaa.bbbbbbbbbbbb.cccccccccccc'
refresh_refused "refresh: three garbage segments are 401"

# The control: Alice's own refresh token still works, so the refusals
# above are about the token, not about Alice.
refresh_with "$a_refresh"
check_status 200 "refresh: the untampered token is still accepted (control)"

# Properly signed, but not what a refresh token must be.
now=$(date +%s)
refresh_with "$(sign '{"alg":"HS256","typ":"JWT"}' \
    "{\"token_type\":\"refresh\",\"exp\":$((now + 600)),\"iat\":$now,\"jti\":\"0123456789abcdef0123456789abcdef\",\"user_id\":$a_uid}")"
check_status 200 "refresh: a token we sign by hand with the key is accepted (control)"
refresh_with "$(sign '{"alg":"HS256","typ":"JWT"}' \
    "{\"exp\":$((now + 600)),\"iat\":$now,\"jti\":\"0123456789abcdef0123456789abcdef\",\"user_id\":$a_uid}")"
refresh_refused "refresh: a signed token without token_type is 401"
refresh_with "$(sign '{"alg":"HS256","typ":"JWT"}' \
    "{\"token_type\":\"refresh\",\"exp\":$((now - 10)),\"iat\":$((now - 100)),\"jti\":\"0123456789abcdef0123456789abcdef\",\"user_id\":$a_uid}")"
refresh_refused "refresh: a signed token with exp in the past is 401"

# A user that no longer exists.
register carol carol@example.com 's3cure!Pass'
c_refresh=$refresh
c_uid=$(claim "$c_refresh" .user_id)
refresh_with "$c_refresh"
check_status 200 "refresh: setup: carol's refresh token works before deletion"
db_sql "DELETE FROM users WHERE id=$c_uid"
refresh_with "$c_refresh"
refresh_refused "refresh: a deleted user's refresh token is 401"

# An inactive user.
register dave dave@example.com 's3cure!Pass'
d_refresh=$refresh
d_uid=$(claim "$d_refresh" .user_id)
refresh_with "$d_refresh"
check_status 200 "refresh: setup: dave's refresh token works while active"
db_sql "UPDATE users SET is_active=0 WHERE id=$d_uid"
refresh_with "$d_refresh"
refresh_refused "refresh: an inactive user's refresh token is 401"
db_sql "UPDATE users SET is_active=1 WHERE id=$d_uid"
refresh_with "$d_refresh"
check_status 200 "refresh: reactivated, the same token works again"

# Expired: a one-second refresh lifetime.
start_server AUTH_REFRESH_TTL=1
register erin erin@example.com 's3cure!Pass'
check_status 201 "refresh: setup: register erin under AUTH_REFRESH_TTL=1"
e_refresh=$refresh
sleep 2
refresh_with "$e_refresh"
refresh_refused "refresh: an expired refresh token is 401"
check_header Content-Type application/json "refresh: 401 has Content-Type: application/json"
check_header Cache-Control no-store "refresh: 401 has Cache-Control: no-store"
check_header X-Content-Type-Options nosniff "refresh: 401 has X-Content-Type-Options: nosniff"

finish

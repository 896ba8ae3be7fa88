#!/usr/bin/env bash
# The account endpoints and logout through each web server (SPEC "Shape of
# the product": me/email and me/password reach me by PATH_INFO; "Every
# response"; "Reading the request body"): the 405s with their Allow, the
# 404 of a path me does not serve, the body of PATCH, PUT and DELETE
# reaching the program (200s), 413, 400 and 422 for each, the 401s with
# WWW-Authenticate, and the headers of every response.  Not any-cgi-server:
# how the server maps /api/v1/auth/me/email, passes a PATCH/PUT/DELETE body
# and the Authorization header is what is tested.
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
NOMETHOD='{"message":"Method not allowed.","details":null}'
NOTFOUND='{"message":"Not found.","details":null}'
UNAUTH='{"message":"Unauthorized","details":null}'
TOOBIG='{"message":"Request body too large.","details":null}'
NOPARSE='{"message":"Cannot parse request body","details":null}'

# every WHAT: the headers of every response (SPEC "Every response"): 3 checks.
every() {
	check_header Content-Type application/json "$1 has Content-Type: application/json"
	check_header Cache-Control no-store "$1 has Cache-Control: no-store"
	check_header X-Content-Type-Options nosniff "$1 has X-Content-Type-Options: nosniff"
}

start_server
register janedoe jane@example.com "$PW"
check_status 201 "setup: register janedoe"
ja=$access jr=$refresh

# --- 405 with Allow ----------------------------------------------------------------------

# allowed PATH ALLOW METHOD...: each METHOD on PATH is 405 with that Allow.
allowed() {
	local p=$1 allow=$2 m
	shift 2
	for m in "$@"; do
		authed "$m" "$p" - "$ja"
		check_answer 405 "$NOMETHOD" "$p: $m is 405 {\"message\": \"Method not allowed.\", \"details\": null}"
		check_header Allow "$allow" "$p: the 405 to $m carries Allow: $allow"
	done
	every "a 405 from $p"
	authed HEAD "$p" - "$ja"
	check_status 405 "$p: HEAD is 405"
	check_header Allow "$allow" "$p: the 405 to HEAD carries Allow: $allow"
}
allowed me/email PATCH GET POST PUT DELETE OPTIONS
allowed me/password PUT GET POST PATCH DELETE OPTIONS
allowed logout POST GET PUT PATCH DELETE OPTIONS
for m in POST PUT PATCH; do
	authed "$m" me - "$ja"
	check_answer 405 "$NOMETHOD" "me: $m is 405"
	check_header Allow "GET, HEAD, DELETE" "me: the 405 to $m carries Allow: GET, HEAD, DELETE"
done
req PUT me/email - 
check_status 405 "me/email: the method is checked before the token (PUT without a token is 405, not 401)"
req GET me/password -
check_status 405 "me/password: GET without a token is 405, not 401"
req DELETE me/email '{"email":"x@example.com"}'
check_answer 405 "$NOMETHOD" "me/email: DELETE with a body is 405"
authed PUT me/email '{"email":"x@example.com"}' "$ja"
check_answer 405 "$NOMETHOD" "me/email: PUT with a valid body and token is 405 (PATCH only)"
authed PATCH me/password "{\"current_password\":\"$PW\",\"new_password\":\"n3w!Passphrase\",\"new_password_confirm\":\"n3w!Passphrase\"}" "$ja"
check_answer 405 "$NOMETHOD" "me/password: PATCH with a valid body and token is 405 (PUT only)"
req GET logout -
check_answer 405 "$NOMETHOD" "logout: GET is 405"

# --- 404: paths me does not serve --------------------------------------------------------

for p in me/unknown me/email/x me/Email me/PASSWORD me/password/x me/emails \
    me/email.json me/delete; do
	authed GET "$p" - "$ja"
	check_answer 404 "$NOTFOUND" "$p: GET is 404 {\"message\": \"Not found.\", \"details\": null}"
	authed PATCH "$p" '{"email":"x@example.com"}' "$ja"
	check_status 404 "$p: PATCH is 404 too (the path first, then the method)"
done
every "a 404 from me/unknown"
req DELETE me/unknown -
check_answer 404 "$NOTFOUND" "me/unknown: 404 comes before the token's 401"
check "me/unknown: a 404 has no Allow and no WWW-Authenticate" \
    test -z "$(header Allow)$(header WWW-Authenticate)"
req POST logout/x "{\"refresh\":\"$jr\"}"
check_answer 404 "$NOTFOUND" "logout/x: a path logout does not serve is 404"
refresh_with "$jr"
check_status 200 "logout/x: ...and logged nothing out"
if [ "$SERVER" != busybox ]; then
	# (busybox httpd answers /cgi-bin/me/ itself, before any program.)
	authed GET me/ - "$ja"
	check_answer 404 "$NOTFOUND" "me/: a trailing slash is a path of its own: 404"
fi

# --- 401 with WWW-Authenticate -------------------------------------------------------------

for mp in "PATCH me/email" "PUT me/password" "DELETE me"; do
	set -- $mp
	req "$1" "$2" '{}'
	check_answer 401 "$UNAUTH" "$1 $2: no token is 401"
	check_header WWW-Authenticate Bearer "$1 $2: the 401 carries WWW-Authenticate: Bearer"
	every "a 401 from $1 $2"
	authed "$1" "$2" '{}' not-a-token
	me_refused "$1 $2: a bad token is 401 with WWW-Authenticate: Bearer error=\"invalid_token\""
done

# --- the body reaches the program -----------------------------------------------------------

authed PATCH me/email '{"email":"Jane.New@Example.com"}' "$ja"
check_answer 200 "{\"id\":$(claim "$ja" .user_id),\"username\":\"janedoe\",\"email\":\"jane.new@example.com\"}" \
    "PATCH me/email: the body and the token reach me (200 with the new address)"
every "the 200 of PATCH me/email"
authed PATCH "me/email?x=1" '{"email":"jane.q@example.com"}' "$ja"
check_status 200 "PATCH me/email: a query string does not change the path (200)"
change_password "$ja" "$PW" 'n3w!Passphrase'
check_status 200 "PUT me/password: the body and the token reach me (200)"
check_json .message "Password changed successfully." "PUT me/password: the 200's message"
every "the 200 of PUT me/password"
ja=$access jr=$refresh
logout_with "$jr"
check_answer 200 '{"message":"Logged out."}' "POST logout: the body reaches logout (200)"
every "the 200 of POST logout"
login janedoe 'n3w!Passphrase'
ja=$access
authed DELETE me '{"password":"n3w!Passphrase"}' "$ja"
check_answer 200 '{"message":"Account deleted successfully."}' "DELETE me: the body and the token reach me (200)"
every "the 200 of DELETE me"
authed GET me - "$ja"
me_refused "DELETE me: the account is gone (me: 401)"

# --- 413, 400 and 422 for each --------------------------------------------------------------

register janedoe jane@example.com "$PW"
ja=$access jr=$refresh
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big"
printf '{"x":"%s"}' "$(head -c 65531 /dev/zero | tr '\0' a)" >"$T/big1"	# 65537 bytes
for mp in "PATCH me/email" "PUT me/password" "DELETE me" "POST logout"; do
	set -- $mp
	authed "$1" "$2" "@$T/big" "$ja"
	check_answer 413 "$TOOBIG" "$1 $2: a body of 70000 bytes is 413 {\"message\": \"Request body too large.\", \"details\": null}"
	every "a 413 from $1 $2"
	authed "$1" "$2" "@$T/big1" "$ja"
	check_answer 413 "$TOOBIG" "$1 $2: 65537 bytes is 413"
	authed "$1" "$2" '{"email":' "$ja"
	check_answer 400 "$NOPARSE" "$1 $2: invalid JSON is 400 {\"message\": \"Cannot parse request body\", \"details\": null}"
	every "a 400 from $1 $2"
	authed "$1" "$2" $'{"password":"\x80"}' "$ja"
	check_answer 400 "$NOPARSE" "$1 $2: invalid UTF-8 is 400"
	authed "$1" "$2" '{"a":1} {"b":2}' "$ja"
	check_answer 400 "$NOPARSE" "$1 $2: two JSON values are 400"
	authed "$1" "$2" 'refresh=x&email=y' "$ja" -H 'Content-Type: application/x-www-form-urlencoded'
	check_answer 400 "$NOPARSE" "$1 $2: a form-encoded body is not JSON: 400"
	authed "$1" "$2" '' "$ja"
	check_422 '[{"type":"missing","loc":["body","payload"],"msg":"Field required"}]' \
	    "$1 $2: an empty body is 422 missing at [\"body\", \"payload\"]"
	every "a 422 from $1 $2"
done
authed GET me - "$ja"
check_status 200 "the refused bodies changed nothing (me: 200)"
refresh_with "$jr"
check_status 200 "the refused bodies logged nothing out (refresh: 200)"

# Exactly 64 KiB passes the cap: the body is read and judged.  (Not under
# busybox httpd 1.35: for a method other than POST it sets no
# CONTENT_LENGTH, only HTTP_CONTENT_LENGTH, and passes on only the part of
# the body that came in with the request's head, under 1 KiB of 64.)
if [ "$SERVER" != busybox ]; then
	pre='{"email":"jane@example.com","p":"'
	pad=$((65536 - ${#pre} - 2))
	printf '%s%s"}' "$pre" "$(head -c "$pad" /dev/zero | tr '\0' a)" >"$T/max"
	check "setup: the 64 KiB body is exactly 65536 bytes" \
	    test "$(stat -c %s "$T/max")" = 65536
	authed PATCH me/email "@$T/max" "$ja"
	check_answer 400 '{"message":"This is already your current email address.","details":null}' \
	    "PATCH me/email: a body of exactly 64 KiB is read (400: the current address)"
fi

finish

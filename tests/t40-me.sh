#!/usr/bin/env bash
# GET me: SPEC "GET me" over HTTP: the user's fields, HEAD, the Bearer
# header rules, the 401s and 405s, and tokens shared with simplejwt.
. "$(dirname "$0")/lib.sh"

UNAUTH='{"message":"Unauthorized","details":null}'
# me_with AUTHORIZATION-VALUE: GET /me with that header.
me_with() {
	req GET me - -H "Authorization: $1"
}
# unauthorized DESC: 401 Unauthorized, whatever WWW-Authenticate says.
unauthorized() {
	check "$1" eval '[ "$status" = 401 ] && body_is "$UNAUTH" &&
	    header WWW-Authenticate | grep -q "^Bearer"'
}
# common_headers WHAT: SPEC "Every response" headers.
common_headers() {
	check_header Content-Type application/json "me: $1 has Content-Type: application/json"
	check_header Cache-Control no-store "me: $1 has Cache-Control: no-store"
	check_header X-Content-Type-Options nosniff "me: $1 has X-Content-Type-Options: nosniff"
}

start_server
register janedoe jane@example.com 's3cure!Pass'
check_status 201 "me: setup: register janedoe"
tok=$access
uid=$(claim "$tok" .user_id)
dbid=$(db_sql "SELECT id FROM users WHERE username='janedoe'")

# --- 200 ---------------------------------------------------------------

me_with "Bearer $tok"
check_status 200 "me: a valid access token of an active user is 200"
check "me: the body has exactly the keys id, username, email" \
    test "$(printf '%s' "$body" | jq -c keys)" = '["email","id","username"]'
check_json '.id | type' number "me: id is a JSON number"
check_json '.id == (.id | floor)' true "me: id is an integer"
check_json .id "$dbid" "me: id is the user's row id"
check "me: id is the token's user_id" test "$uid" = "$dbid"
check_json '.username' janedoe "me: username is the stored username"
check_json '.email' jane@example.com "me: email is the stored email"
common_headers "200"
# The headers the program writes (the server adds Date, Server, framing).
ours() {
	printf '%s\n' "$hdrs" | grep -i '^\(content-type\|cache-control\|x-content-type-options\|www-authenticate\|allow\|retry-after\):' | sort
}
get_hdrs=$(ours)
get_line=$(printf '%s\n' "$hdrs" | head -n 1)

# HEAD over a raw socket, so that a body sent by mistake would be seen.
raw_head() {
	local out
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf 'HEAD %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n' "$(path me)" \
	    "$1" >&3
	out=$(timeout 5 cat <&3 | tr -d '\r')
	exec 3<&-
	hdrs=$(printf '%s\n' "$out" | sed -n '1,/^$/p' | sed '/^$/d')
	body=$(printf '%s\n' "$out" | sed '1,/^$/d')
	status=$(printf '%s\n' "$hdrs" | head -n 1 | cut -d' ' -f2)
}
raw_head "Authorization: Bearer $tok"$'\r\n'
check_status 200 "me: HEAD is answered like GET (200)"
check "me: HEAD has no body" test -z "$body"
check "me: HEAD has the same headers as GET" \
    test "$(ours)" = "$get_hdrs"
common_headers "HEAD"
raw_head ""
check_status 401 "me: HEAD without a token is 401 like GET"
check "me: HEAD 401 has no body" test -z "$body"
check_header WWW-Authenticate Bearer "me: HEAD 401 has WWW-Authenticate: Bearer"

# The binary itself, with no server in between: HEAD writes no body.
cgi_run HEAD me "" HTTP_AUTHORIZATION="Bearer $tok"
check_status 200 "me: HEAD (CGI directly) is 200"
check "me: HEAD (CGI directly) writes no body" test -z "$body"
cgi_run GET me "" HTTP_AUTHORIZATION="Bearer $tok"
check_json .username janedoe "me: GET (CGI directly) answers with the user"

# --- Authorization header ----------------------------------------------

req GET me -
check_status 401 "me: no Authorization header is 401"
check "me: 401 body is {\"message\": \"Unauthorized\", \"details\": null}" body_is "$UNAUTH"
check_header WWW-Authenticate Bearer "me: no token gives WWW-Authenticate: Bearer (no error param)"
common_headers "401 without a token"

cgi_run GET me ""
check_status 401 "me: no HTTP_AUTHORIZATION (CGI directly) is 401, not 500"

me_with "Bearer not-a-token"
me_refused "me: an invalid token is 401 with WWW-Authenticate: Bearer error=\"invalid_token\""
common_headers "401 with a bad token"

me_with "bearer $tok"
check_status 200 "me: the scheme is matched case-insensitively (bearer)"
me_with "BEARER $tok"
check_status 200 "me: the scheme is matched case-insensitively (BEARER)"
me_with "bEaReR $tok"
check_status 200 "me: the scheme is matched case-insensitively (bEaReR)"

me_with "Bearer  $tok"
unauthorized "me: exactly one space-separated token: two spaces are 401"
me_with "Bearer $tok extra"
unauthorized "me: exactly one space-separated token: a second word is 401"
me_with "Bearer $tok $tok"
unauthorized "me: exactly one space-separated token: the token twice is 401"
me_with "Bearer"$'\t'"$tok"
unauthorized "me: a tab instead of the space is 401"
me_with "Bearer"
unauthorized "me: the scheme without a token is 401"
me_with "Bearer$tok"
unauthorized "me: the scheme glued to the token is 401"
me_with "Basic $(printf 'janedoe:s3cure!Pass' | base64 -w0)"
unauthorized "me: a Basic Authorization is 401"
me_with "Token $tok"
unauthorized "me: another scheme word (Token) is 401"
me_with "$tok"
unauthorized "me: the token without a scheme is 401"
me_with "Bearer $refresh"
me_refused "me: a refresh token on /me is 401 (token_type must match the use)"

me_with "Bearer $tok"
check_status 200 "me: the token is still good after all that (control)"

# --- Users that went away ----------------------------------------------

register gone gone@example.com 's3cure!Pass'
g_tok=$access
g_uid=$(claim "$g_tok" .user_id)
me_with "Bearer $g_tok"
check_status 200 "me: setup: a second user is 200 before deletion"
db_sql "DELETE FROM users WHERE id=$g_uid"
me_with "Bearer $g_tok"
me_refused "me: a deleted user's token is 401"

register idle idle@example.com 's3cure!Pass'
i_tok=$access
i_uid=$(claim "$i_tok" .user_id)
db_sql "UPDATE users SET is_active=0 WHERE id=$i_uid"
me_with "Bearer $i_tok"
me_refused "me: an inactive user's token is 401"
db_sql "UPDATE users SET is_active=1 WHERE id=$i_uid"
me_with "Bearer $i_tok"
check_status 200 "me: reactivated, the same token is 200 again"

# --- Methods -----------------------------------------------------------

# me serves GET (and HEAD) and DELETE (the account, SPEC "Account
# endpoints"); me/email PATCH and me/password PUT are paths of their own.
for m in POST PUT PATCH OPTIONS; do
	req "$m" me - -H "Authorization: Bearer $tok"
	check_status 405 "me: $m is 405"
	check "me: $m 405 body is {\"message\": \"Method not allowed.\", \"details\": null}" \
	    body_is '{"message":"Method not allowed.","details":null}'
	check_header Allow "GET, HEAD, DELETE" "me: $m 405 carries Allow: GET, HEAD, DELETE"
done
common_headers "405"
req POST me '{"x":1}'
check_status 405 "me: POST with a body and no token is 405"

# --- Expired access token ----------------------------------------------

start_server AUTH_ACCESS_TTL=1
register shortlived short@example.com 's3cure!Pass'
check_status 201 "me: setup: register under AUTH_ACCESS_TTL=1"
s_tok=$access
sleep 2
me_with "Bearer $s_tok"
me_refused "me: an expired access token is 401"

# --- Tokens shared with Django (PyJWT / simplejwt vectors) -------------

V=$TOP/tests/vectors.json	# Django's hasher and PyJWT, as simplejwt signs
vsecret=$(jq -r .simplejwt_tokens.secret "$V")
vaccess=$(jq -r .simplejwt_tokens.access_user42_exp2100.token "$V")
vrefresh=$(jq -r .simplejwt_tokens.refresh_user42_exp2100.token "$V")
vexpired=$(jq -r .simplejwt_tokens.access_user42_expired.token "$V")

me_with "Bearer $vaccess"
me_refused "me: a simplejwt token under another key is 401"

start_server AUTH_JWT_SECRET="$vsecret"
db_sql "INSERT INTO users (id, username, username_key, email,
    email_key, password, is_active, date_joined) VALUES (42, 'DjangoUser',
    'djangouser', 'django@example.com', 'django@example.com', '!', 1,
    $EPOCHSECONDS)"
me_with "Bearer $vaccess"
check_status 200 "me: a simplejwt-issued access token (shared secret) is 200"
check_json .id 42 "me: the simplejwt token names user 42"
check_json .username DjangoUser "me: user 42's username"
me_with "Bearer $vexpired"
me_refused "me: an expired simplejwt access token is 401"
me_with "Bearer $vrefresh"
me_refused "me: a simplejwt refresh token on /me is 401"

req POST refresh "{\"refresh\":\"$vrefresh\"}"
check_status 200 "refresh: a simplejwt-issued refresh token is 200"
ours=$(printf '%s' "$body" | jq -r '.access // empty')
me_with "Bearer $ours"
check_status 200 "me: the access token issued from a simplejwt refresh token is 200"
check_json .id 42 "me: and names user 42"
check "tokens: our header segment is byte-identical to simplejwt's" \
    test "$(printf '%s' "$ours" | cut -d. -f1)" = \
    "$(printf '%s' "$vaccess" | cut -d. -f1)"
check "tokens: our token verifies with the shared secret (HMAC-SHA256 recomputed)" \
    test -n "$ours" -a "$(hs256 "$(printf '%s' "$ours" | cut -d. -f1-2)" \
    "$vsecret")" = "$(printf '%s' "$ours" | cut -d. -f3)"
check "tokens: the vector verifies with the same recomputation (control)" \
    test "$(hs256 "$(printf '%s' "$vaccess" | cut -d. -f1-2)" "$vsecret")" = \
    "$(printf '%s' "$vaccess" | cut -d. -f3)"
check "tokens: our token does not verify with another key" \
    test "$(hs256 "$(printf '%s' "$ours" | cut -d. -f1-2)" \
    "$AUTH_JWT_SECRET")" != "$(printf '%s' "$ours" | cut -d. -f3)"

# Tokens we issue under the test key are refused by a server with the
# simplejwt key: the key really is what the signature depends on.
me_with "Bearer $tok"
me_refused "me: a token signed with the old key is 401 after the key changes"

finish

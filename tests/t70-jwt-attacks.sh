#!/usr/bin/env bash
# Token attacks: SPEC "Tokens" (Verification), one named check per attack,
# each a forged or broken token sent to /me (and a few to /refresh).
# any-cgi-server (tests/run.sh: token checks are the program's)
. "$(dirname "$0")/lib.sh"

# mac DIGEST DATA [KEY]: the base64url HMAC of DATA.
mac() {
	printf '%s' "$2" | openssl dgst "-$1" -hmac "${3:-$AUTH_JWT_SECRET}" \
	    -binary | b64url
}
# sign HEADER PAYLOAD [KEY [DIGEST]]: header and payload are raw text
# (usually JSON), base64url-encoded here; signed with HMAC.
sign() {
	local h p
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	printf '%s.%s.%s' "$h" "$p" \
	    "$(mac "${4:-sha256}" "$h.$p" "${3:-$AUTH_JWT_SECRET}")"
}
UNAUTH='{"message":"Unauthorized","details":null}'
REFUSED='{"message":"Invalid or expired refresh token.","details":null}'
is_refusal() {
	[ "$status" = 401 ] && body_is "$UNAUTH" &&
	    [ "$(header WWW-Authenticate)" = 'Bearer error="invalid_token"' ]
}
# me_refuses DESC TOKEN: /me answers 401 with error="invalid_token".
me_refuses() {
	req GET me - -H "Authorization: Bearer $2"
	check "$1" is_refusal
	is_refusal || echo "# (WWW-Authenticate: '$(header WWW-Authenticate)')"
}
# me_accepts DESC TOKEN: /me answers 200 for user $uid.
me_accepts() {
	req GET me - -H "Authorization: Bearer $2"
	check "$1" eval '[ "$status" = 200 ] &&
	    [ "$(printf "%s" "$body" | jq -r .id)" = "$uid" ]'
}
# refresh_refuses DESC TOKEN: /refresh answers its 401.
refresh_refuses() {
	req POST refresh "{\"refresh\":\"$2\"}"
	check "$1" eval '[ "$status" = 401 ] && body_is "$REFUSED"'
}

start_server
register janedoe jane@example.com 's3cure!Pass'
check_status 201 "jwt: setup: register janedoe"
uid=$(claim "$access" .user_id)
issued=$access
register bob bob@example.com 's3cure!Pass'
bob=$(claim "$access" .user_id)
check "jwt: setup: two distinct users" test -n "$uid" -a -n "$bob" -a "$uid" != "$bob"

now=$(date +%s)
exp=$((now + 600))
JTI=0123456789abcdef0123456789abcdef
H='{"alg":"HS256","typ":"JWT"}'
# payload [USER_ID [TYPE]]: a well-formed claim set.
payload() {
	printf '{"token_type":"%s","exp":%s,"iat":%s,"jti":"%s","user_id":%s}' \
	    "${2:-access}" "$exp" "$now" "$JTI" "${1:-$uid}"
}
P=$(payload)
good=$(sign "$H" "$P")
h=$(printf '%s' "$good" | cut -d. -f1)
p=$(printf '%s' "$good" | cut -d. -f2)
s=$(printf '%s' "$good" | cut -d. -f3)

# Controls: the forgeries below differ from these in one thing only.
me_accepts "jwt: a token signed here with the key is accepted (control)" "$good"
me_accepts "jwt: a token the service issued is accepted (control)" "$issued"
req GET me - -H "Authorization: Bearer $(sign "$H" "$(payload "$bob")")"
check "jwt: a token for bob names bob (control)" \
    eval '[ "$status" = 200 ] && [ "$(printf "%s" "$body" | jq -r .id)" = "$bob" ]'

# --- The header --------------------------------------------------------

me_refuses "jwt: alg none with an empty signature is refused" \
    "$(printf '%s' '{"alg":"none","typ":"JWT"}' | b64url).$p."
me_refuses "jwt: alg none with an empty signature and no typ is refused" \
    "$(printf '%s' '{"alg":"none"}' | b64url).$p."
me_refuses "jwt: alg none with a valid-looking (HMAC) signature is refused" \
    "$(sign '{"alg":"none","typ":"JWT"}' "$P")"
me_refuses "jwt: alg None (capitalised) is refused" \
    "$(sign '{"alg":"None","typ":"JWT"}' "$P")"
me_refuses "jwt: alg HS512 (signed with HMAC-SHA512, right key) is refused" \
    "$(sign '{"alg":"HS512","typ":"JWT"}' "$P" "$AUTH_JWT_SECRET" sha512)"
me_refuses "jwt: alg HS384 (signed with HMAC-SHA384, right key) is refused" \
    "$(sign '{"alg":"HS384","typ":"JWT"}' "$P" "$AUTH_JWT_SECRET" sha384)"
me_refuses "jwt: alg RS256 (key confusion: HMAC with the key) is refused" \
    "$(sign '{"alg":"RS256","typ":"JWT"}' "$P")"
me_refuses "jwt: alg \"hs256\" (lowercase) is refused" \
    "$(sign '{"alg":"hs256","typ":"JWT"}' "$P")"
me_refuses "jwt: a crit header (crit [\"exp\"], properly signed) is refused" \
    "$(sign '{"alg":"HS256","typ":"JWT","crit":["exp"]}' "$P")"
me_refuses "jwt: a header missing alg (properly signed) is refused" \
    "$(sign '{"typ":"JWT"}' "$P")"
me_refuses "jwt: alg null (properly signed) is refused" \
    "$(sign '{"alg":null,"typ":"JWT"}' "$P")"
me_refuses "jwt: a header that is not JSON (properly signed) is refused" \
    "$(sign 'alg=HS256' "$P")"
me_refuses "jwt: a header that is a JSON array (properly signed) is refused" \
    "$(sign '["HS256","JWT"]' "$P")"

# --- The signature -----------------------------------------------------

p_bob=$(payload "$bob" | b64url)
me_refuses "jwt: a tampered payload (user_id changed, signature kept) is refused" \
    "$h.$p_bob.$s"
case $s in
A*) s1="B${s#?}" ;;
*) s1="A${s#?}" ;;
esac
me_refuses "jwt: a bad signature (one character changed) is refused" "$h.$p.$s1"
me_refuses "jwt: a signature made with another key is refused" \
    "$(sign "$H" "$P" 'another-secret-0123456789abcdef0123456789abc')"
me_refuses "jwt: a signature made with a prefix of the key is refused" \
    "$(sign "$H" "$P" "${AUTH_JWT_SECRET%?}")"
me_refuses "jwt: a truncated signature (last 4 characters cut) is refused" \
    "$h.$p.${s%????}"
me_refuses "jwt: a truncated signature (16 bytes) is refused" \
    "$h.$p.${s:0:22}"
me_refuses "jwt: an empty signature (alg HS256) is refused" "$h.$p."
me_refuses "jwt: a signature with padding \"=\" is refused" "$h.$p.$s="
me_refuses "jwt: a signature with extra bytes appended is refused" \
    "$h.$p.${s}AAAA"
# A payload whose base64 needs padding (JSON whitespace makes the length
# not a multiple of 3), sent padded and signed over the padded text.
Pw="$P "
[ $((${#Pw} % 3)) -ne 0 ] || Pw="$P  "
pw=$(printf '%s' "$Pw" | b64url)
me_accepts "jwt: the same payload unpadded is accepted (control)" \
    "$h.$pw.$(mac sha256 "$h.$pw")"
pp=$(printf '%s' "$Pw" | base64 -w0 | tr '+/' '-_')
me_refuses "jwt: a payload with padding \"=\" (signed as sent) is refused" \
    "$h.$pp.$(mac sha256 "$h.$pp")"

# A signature that uses '-' or '_' sent in the standard alphabet ('+' '/'):
# try jti values until the signature has one of them.
for i in $(seq 100); do
	jp=$(printf '{"token_type":"access","exp":%s,"iat":%s,"jti":"%032x","user_id":%s}' \
	    "$exp" "$now" "$i" "$uid")
	t=$(sign "$H" "$jp")
	case ${t##*.} in
	*[-_]*) break ;;
	esac
done
me_accepts "jwt: the base64url original is accepted (control)" "$t"
me_refuses "jwt: non-base64url characters ('+' '/' of standard base64) are refused" \
    "${t%.*}.$(printf '%s' "${t##*.}" | tr -- '-_' '+/')"
me_refuses "jwt: non-base64url characters ('!' in the payload) are refused" \
    "$h.${p:0:10}!${p:11}.$s"

# --- The shape ---------------------------------------------------------

me_refuses "jwt: two segments are refused" "$h.$p"
me_refuses "jwt: four segments are refused" "$good.$s"
me_refuses "jwt: a trailing dot (empty fourth segment) is refused" "$good."
me_refuses "jwt: empty segments \"..\" are refused" ".."
me_refuses "jwt: an empty header segment is refused" ".$p.$(mac sha256 ".$p")"
me_refuses "jwt: an empty payload segment (signed) is refused" "$h..$(mac sha256 "$h.")"
me_refuses "jwt: a single segment is refused" "$p"

big=$(head -c 75000 /dev/zero | tr '\0' x)
huge=$(sign "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"pad\":\"$big\"}" "$P")
printf 'Authorization: Bearer %s\n' "$huge" >"$T/hugehdr"
req GET me - -H "@$T/hugehdr" --max-time 20
check "jwt: a huge token (100 KB header) is refused with 401, never 5xx" \
    eval '[ "${#huge}" -gt 100000 ] && case "$status" in
	401) is_refusal ;; 4[0-9][0-9]) true ;; *) false ;; esac'
cgi_run GET me "" HTTP_AUTHORIZATION="Bearer $huge"
check "jwt: a huge token (100 KB, CGI directly) is 401 with error=\"invalid_token\"" \
    is_refusal
huge_p=$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid,\"pad\":\"$big\"}")
cgi_run GET me "" HTTP_AUTHORIZATION="Bearer $huge_p"
check "jwt: a huge payload (100 KB, properly signed) is answered, not 5xx" \
    eval 'case "$status" in 200|401) true ;; *) false ;; esac'

# --- The payload -------------------------------------------------------

me_refuses "jwt: a payload that is not JSON (signed) is refused" \
    "$(sign "$H" 'user_id=1')"
me_refuses "jwt: a payload that is a JSON array (signed) is refused" \
    "$(sign "$H" "[$P]")"
me_refuses "jwt: a payload that is JSON null (signed) is refused" \
    "$(sign "$H" 'null')"
me_refuses "jwt: a payload with trailing garbage after the JSON (signed) is refused" \
    "$(sign "$H" "$P x")"

# exp
me_refuses "jwt: expired (exp in the past, properly signed) is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$((now - 10)),\"iat\":$((now - 310)),\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: exp missing is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: exp as a string \"9999999999\" is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":\"9999999999\",\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: exp null is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":null,\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"

# iat, nbf
me_refuses "jwt: iat in the future (signed) is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":$((now + 3600)),\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: iat as a string (signed) is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":\"$now\",\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_accepts "jwt: iat absent is accepted (iat only checked when present)" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: nbf in the future (signed) is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":$now,\"nbf\":$((now + 3600)),\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: nbf as a string (signed) is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":$now,\"nbf\":\"$now\",\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_accepts "jwt: nbf in the past is accepted (200)" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":$now,\"nbf\":$((now - 60)),\"jti\":\"$JTI\",\"user_id\":$uid}")"

# token_type
me_refuses "jwt: token_type missing is refused" \
    "$(sign "$H" "{\"exp\":$exp,\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: token_type \"refresh\" on /me is refused" \
    "$(sign "$H" "$(payload "$uid" refresh)")"
me_refuses "jwt: token_type \"Access\" (case differs) is refused" \
    "$(sign "$H" "$(payload "$uid" Access)")"

# user_id
me_refuses "jwt: user_id missing is refused" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":$now,\"jti\":\"$JTI\"}")"
me_refuses "jwt: user_id as a string \"$uid\" is refused" \
    "$(sign "$H" "$(payload "\"$uid\"")")"
me_refuses "jwt: user_id $uid.5 is refused" "$(sign "$H" "$(payload "$uid.5")")"
me_refuses "jwt: user_id 1e30 is refused" "$(sign "$H" "$(payload 1e30)")"
me_refuses "jwt: user_id true is refused" "$(sign "$H" "$(payload true)")"
me_refuses "jwt: user_id null is refused" "$(sign "$H" "$(payload null)")"
# janedoe is user 1 of a fresh database: 2^64 + 1 must not wrap to her.
me_refuses "jwt: user_id 2^64+1 (would wrap to user 1) is refused" \
    "$(sign "$H" "$(payload 18446744073709551617)")"
me_refuses "jwt: user_id 2^63 (beyond 64 signed bits) is refused" \
    "$(sign "$H" "$(payload 9223372036854775808)")"
me_refuses "jwt: user_id of a user that does not exist is refused" \
    "$(sign "$H" "$(payload 999999)")"
me_refuses "jwt: user_id -$uid is refused" "$(sign "$H" "$(payload "-$uid")")"

# What does not matter.
me_accepts "jwt: extra claims are accepted (properly signed)" \
    "$(sign "$H" "{\"token_type\":\"access\",\"exp\":$exp,\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid,\"username\":\"someone\",\"scope\":[\"a\",{\"b\":1}]}")"
me_accepts "jwt: a different claim order is accepted (properly signed)" \
    "$(sign "$H" "{\"user_id\":$uid,\"jti\":\"$JTI\",\"iat\":$now,\"exp\":$exp,\"token_type\":\"access\"}")"
me_accepts "jwt: JSON whitespace in the payload is accepted (properly signed)" \
    "$(sign "$H" "{ \"token_type\" : \"access\",
	\"exp\" : $exp , \"iat\":$now,
  \"jti\":\"$JTI\",   \"user_id\" :  $uid }")"

# --- Against /refresh --------------------------------------------------

R=$(payload "$uid" refresh)
req POST refresh "{\"refresh\":\"$(sign "$H" "$R")\"}"
check_status 200 "jwt: a refresh token signed here is accepted on /refresh (control)"
refresh_refuses "jwt: /refresh: alg none with an empty signature is refused" \
    "$(printf '%s' '{"alg":"none","typ":"JWT"}' | b64url).$(printf '%s' "$R" | b64url)."
refresh_refuses "jwt: /refresh: alg HS512 is refused" \
    "$(sign '{"alg":"HS512","typ":"JWT"}' "$R" "$AUTH_JWT_SECRET" sha512)"
refresh_refuses "jwt: /refresh: a crit header is refused" \
    "$(sign '{"alg":"HS256","typ":"JWT","crit":["exp"]}' "$R")"
refresh_refuses "jwt: /refresh: a tampered payload (user_id changed) is refused" \
    "$(printf '%s' "$H" | b64url).$(payload "$bob" refresh | b64url).$(sign "$H" "$R" | cut -d. -f3)"
refresh_refuses "jwt: /refresh: exp missing is refused" \
    "$(sign "$H" "{\"token_type\":\"refresh\",\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"
refresh_refuses "jwt: /refresh: user_id as a string is refused" \
    "$(sign "$H" "$(payload "\"$uid\"" refresh)")"
refresh_refuses "jwt: /refresh: a signature with padding \"=\" is refused" \
    "$(sign "$H" "$R")="
refresh_refuses "jwt: /refresh: four segments are refused" \
    "$(sign "$H" "$R").$s"
huge_r=$(sign "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"pad\":\"$(head -c 45000 /dev/zero | tr '\0' x)\"}" "$R")
refresh_refuses "jwt: /refresh: a huge token (60 KB, under the body cap) is refused" \
    "$huge_r"

finish

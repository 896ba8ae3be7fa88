#!/usr/bin/env bash
# Token attacks: SPEC "Tokens" (Verification), one named check per attack,
# each a forged or broken token sent to /me (and a few to /refresh).
# any-cgi-server (tests/run.sh: token checks are the program's)
. "$(dirname "$0")/lib.sh"

# me_refuses DESC TOKEN: /me answers 401 with error="invalid_token".
me_refuses() {
	me "$2"
	me_refused "$1"
}
# me_accepts DESC TOKEN: /me answers 200 for user $uid.
me_accepts() {
	req GET me - -H "Authorization: Bearer $2"
	check "$1" eval '[ "$status" = 200 ] &&
	    [ "$(printf "%s" "$body" | jq -r .id)" = "$uid" ]'
}
# refresh_refuses DESC TOKEN: /refresh answers its 401.
refresh_refuses() {
	refresh_with "$2"
	refresh_refused "$1"
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
# Every byte of the MAC is compared, not only the first: a character in
# the middle, and the last one.  Each replacement stays canonical base64url
# (the decoder is strict) and changes MAC bits: character 22 of 43 carries
# bits of bytes 16 and 17, and the last one byte 32's low 4 bits above two
# zero bits, so flipping its value's bit 2 flips byte 32's lowest bit.
B64URL=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_
# flip_char STRING I BIT: STRING with character I (from 0) replaced by the
# base64url character whose value differs from its own in BIT.
flip_char() {
	local c=${1:$2:1} v
	v=${B64URL%%"$c"*}
	v=${#v}
	printf '%s%s%s' "${1:0:$2}" "${B64URL:$((v ^ $3)):1}" "${1:$(($2 + 1))}"
}
s_mid=$(flip_char "$s" 21 1)
s_last=$(flip_char "$s" 42 4)
check "jwt: setup: the changed signatures differ from the good one in one character of 43" \
    eval '[ ${#s} = 43 ] && [ ${#s_mid} = 43 ] && [ ${#s_last} = 43 ] &&
    [ "${s_mid:0:21}${s_mid:22}" = "${s:0:21}${s:22}" ] &&
    [ "${s_last:0:42}" = "${s:0:42}" ] &&
    [ "${s_mid:21:1}" != "${s:21:1}" ] && [ "${s_last:42}" != "${s:42}" ]'
check "jwt: setup: the changed last character is canonical (its 2 low bits 0)" \
    eval 'v=${B64URL%%"${s_last:42}"*}; [ $((${#v} % 4)) = 0 ]'
me_refuses "jwt: a signature with a middle character changed (MAC bytes 16-17) is refused" \
    "$h.$p.$s_mid"
me_refuses "jwt: a signature with its last character changed (MAC byte 32) is refused" \
    "$h.$p.$s_last"
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
# A server may refuse a header this large itself (lighttpd: its own 431
# page), which openapi.json does not describe.
OPENAPI_SKIP="the server's own 4xx for a 100 KB header" \
    req GET me - -H "@$T/hugehdr" --max-time 20
check "jwt: a huge token (100 KB header) is refused with 401, never 5xx" \
    eval '[ "${#huge}" -gt 100000 ] && case "$status" in
	401) me_refusal ;; 4[0-9][0-9]) true ;; *) false ;; esac'
cgi_run GET me "" HTTP_AUTHORIZATION="Bearer $huge"
check "jwt: a huge token (100 KB, CGI directly) is 401 with error=\"invalid_token\"" \
    me_refusal
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

# exp equal to the current second: expired (SPEC: exp "in the future").
# The token is signed and sent just after a second begins, and a try
# counts only if date(1) shows the same second before and after it, so the
# server's clock read that second too (50 ms after the edge: time(2) may
# lag date(1) by a clock tick).  A token whose exp is one second later,
# sent in the same try, is accepted (the control).
# exp_now TYPE: sets $now_status / $later_status (and $tries), or fails
# when no try stayed within one second.
exp_now() {
	local t0 t1 path=me
	[ "$1" = refresh ] && path=refresh
	for tries in 1 2 3 4 5; do
		t0=$(date +%s)
		while [ "$(date +%s)" = "$t0" ]; do sleep 0.01; done
		sleep 0.05
		t0=$(date +%s)
		tn=$(sign "$H" "{\"token_type\":\"$1\",\"exp\":$t0,\"iat\":$((t0 - 300)),\"jti\":\"$JTI\",\"user_id\":$uid}")
		tl=$(sign "$H" "{\"token_type\":\"$1\",\"exp\":$((t0 + 1)),\"iat\":$((t0 - 300)),\"jti\":\"$JTI\",\"user_id\":$uid}")
		if [ "$path" = me ]; then
			req GET me - -H "Authorization: Bearer $tn"
			now_status=$status now_body=$body now_hdrs=$hdrs
			req GET me - -H "Authorization: Bearer $tl"
		else
			req POST refresh "{\"refresh\":\"$tn\"}"
			now_status=$status now_body=$body now_hdrs=$hdrs
			req POST refresh "{\"refresh\":\"$tl\"}"
		fi
		later_status=$status
		t1=$(date +%s)
		[ "$t0" = "$t1" ] && return 0
	done
	return 1
}
check "jwt: setup: a try with exp = now stayed within one second (/me)" exp_now access
status=$now_status body=$now_body hdrs=$now_hdrs
me_refused "jwt: exp equal to the current second is refused on /me (try $tries)"
check "jwt: exp one second later, in the same second, is accepted on /me (control; $later_status)" \
    test "$later_status" = 200
check "jwt: setup: a try with exp = now stayed within one second (/refresh)" exp_now refresh
status=$now_status body=$now_body hdrs=$now_hdrs
refresh_refused "jwt: exp equal to the current second is refused on /refresh (try $tries)"
check "jwt: refresh exp one second later, in the same second, is accepted (control; $later_status)" \
    test "$later_status" = 200
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
me_refuses "jwt: token_type \"acc\" (a prefix of access) is refused" \
    "$(sign "$H" "$(payload "$uid" acc)")"
me_refuses "jwt: token_type \"\" (empty) is refused" \
    "$(sign "$H" "{\"token_type\":\"\",\"exp\":$exp,\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"
me_refuses "jwt: token_type \"accessx\" is refused" \
    "$(sign "$H" "$(payload "$uid" accessx)")"

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

# Edges a valid signature can carry (a Django service sharing the key, or a
# bug of ours): SPEC "Tokens" refuses each, on /me and on /refresh.
# edge DESC PAYLOAD: PAYLOAD (an access token's) refused by me, and with
# token_type "refresh" by refresh.
edge() {
	me_refuses "jwt: $1 is refused" "$(sign "$H" "$2")"
	refresh_refuses "jwt: $1 is refused by refresh too" \
	    "$(sign "$H" "${2/\"access\"/\"refresh\"}")"
}
payload_json() {	# payload_json EXP IAT JTI-MEMBER USER_ID
	printf '{"token_type":"access","exp":%s,"iat":%s,%s"user_id":%s}' \
	    "$1" "$2" "$3" "$4"
}
edge "exp 1e400 (infinity: never expires)" "$(payload_json 1e400 "$now" "\"jti\":\"$JTI\"," "$uid")"
edge "exp 1e19 (beyond 64-bit seconds)" "$(payload_json 1e19 "$now" "\"jti\":\"$JTI\"," "$uid")"
edge "iat -1e400" "$(payload_json "$exp" -1e400 "\"jti\":\"$JTI\"," "$uid")"
edge "nbf -1e400" "{\"token_type\":\"access\",\"exp\":$exp,\"nbf\":-1e400,\"jti\":\"$JTI\",\"user_id\":$uid}"
# cJSON reads these as the double $uid: only the literal tells them apart.
edge "user_id $((uid - 1)).99999999999999999999 (read as $uid)" \
    "$(payload_json "$exp" "$now" "\"jti\":\"$JTI\"," "$((uid - 1)).99999999999999999999")"
edge "user_id ${uid}e0" "$(payload_json "$exp" "$now" "\"jti\":\"$JTI\"," "${uid}e0")"
edge "user_id $uid.0" "$(payload_json "$exp" "$now" "\"jti\":\"$JTI\"," "$uid.0")"
edge "a token without jti (simplejwt: \"Token has no id\")" "$(payload_json "$exp" "$now" "" "$uid")"
edge "jti \"\" (empty)" "$(payload_json "$exp" "$now" '"jti":"",' "$uid")"
edge "jti 5 (not a string)" "$(payload_json "$exp" "$now" '"jti":5,' "$uid")"
me_refuses "jwt: a byte-order mark before the header JSON is refused" \
    "$(sign $'\xef\xbb\xbf'"$H" "$P")"
me_refuses "jwt: a byte-order mark before the payload JSON is refused" \
    "$(sign "$H" $'\xef\xbb\xbf'"$P")"
refresh_refuses "jwt: a byte-order mark before the payload JSON is refused by refresh too" \
    "$(sign "$H" $'\xef\xbb\xbf'"$(payload "$uid" refresh)")"

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
refresh_refuses "jwt: /refresh: token_type \"refr\" (a prefix of refresh) is refused" \
    "$(sign "$H" "$(payload "$uid" refr)")"
refresh_refuses "jwt: /refresh: token_type \"\" (empty) is refused" \
    "$(sign "$H" "{\"token_type\":\"\",\"exp\":$exp,\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"
refresh_refuses "jwt: /refresh: exp missing is refused" \
    "$(sign "$H" "{\"token_type\":\"refresh\",\"iat\":$now,\"jti\":\"$JTI\",\"user_id\":$uid}")"
refresh_refuses "jwt: /refresh: user_id as a string is refused" \
    "$(sign "$H" "$(payload "\"$uid\"" refresh)")"
refresh_refuses "jwt: /refresh: a signature with padding \"=\" is refused" \
    "$(sign "$H" "$R")="
rt=$(sign "$H" "$R")
refresh_refuses "jwt: /refresh: a signature with a middle character changed is refused" \
    "${rt%.*}.$(flip_char "${rt##*.}" 21 1)"
refresh_refuses "jwt: /refresh: a signature with its last character changed is refused" \
    "${rt%.*}.$(flip_char "${rt##*.}" 42 4)"
refresh_refuses "jwt: /refresh: four segments are refused" \
    "$(sign "$H" "$R").$s"
huge_r=$(sign "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"pad\":\"$(head -c 45000 /dev/zero | tr '\0' x)\"}" "$R")
refresh_refuses "jwt: /refresh: a huge token (60 KB, under the body cap) is refused" \
    "$huge_r"

finish

#!/usr/bin/env bash
# PATCH me/email: SPEC "Account endpoints" over HTTP: the bearer token's
# 401s first, then the body rules ("Reading the request body"), the 403 of
# an account without a usable password, register's email rules and keys
# ("POST register" 2, 3, 6), the 200, and sixteen clients taking one
# address at once.  (The 405s and 404s under each server: t48.)
# any-cgi-server
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
UNAUTH='{"message":"Unauthorized","details":null}'
SAME='This is already your current email address.'
TAKEN='Email already exists.'
INVALID='Provide a valid email address.'
SOCIAL='Social login accounts cannot change their email address.'

# email TOKEN EMAIL: PATCH me/email {"email": EMAIL} (JSON-encoded by jq).
email() {
	authed PATCH me/email "$(jq -cn --arg e "$2" '{email: $e}')" "$1"
}
# email_raw TOKEN BODY: PATCH me/email with that body as it is.
email_raw() {
	authed PATCH me/email "$2" "$1"
}
# stored ID: the user's email and email_key as stored.
stored() {
	db_sql "SELECT email || ' ' || email_key FROM users WHERE id = $1"
}

start_server
register janedoe jane@example.com "$PW"
check_status 201 "me/email: setup: register janedoe"
ja=$access jr=$refresh
jid=$(claim "$ja" .user_id)
register bobsmith bob@example.com "$PW"
check_status 201 "me/email: setup: register bobsmith"
ba=$access
bid=$(claim "$ba" .user_id)

# --- 401 first ----------------------------------------------------------------

req PATCH me/email '{"email":"new@example.com"}'
check_answer 401 "$UNAUTH" "me/email: no Authorization header is 401 {\"message\": \"Unauthorized\", \"details\": null}"
check_header WWW-Authenticate Bearer "me/email: the 401 without a token carries WWW-Authenticate: Bearer"
email "not-a-token" new@example.com
me_refused "me/email: a bad token is 401 with WWW-Authenticate: Bearer error=\"invalid_token\""
email "$jr" new@example.com
me_refused "me/email: a refresh token as the bearer is 401 (token_type must match the use)"
email "$(token_for "$jid" access $(( $(date +%s) - 400 )))" new@example.com
me_refused "me/email: an expired access token is 401"
email "$(sign '{"alg":"HS256","typ":"JWT"}' "{\"token_type\":\"access\",\"exp\":$(( $(date +%s) + 300 )),\"iat\":$(date +%s),\"jti\":\"0123456789abcdef0123456789abcdef\",\"user_id\":$jid}" "another-key-0123456789abcdef0123456789")" new@example.com
me_refused "me/email: a token signed with another key is 401"
req PATCH me/email '{"email":"new@example.com"}' -H "Authorization: Basic $(printf 'janedoe:%s' "$PW" | base64 -w0)"
check_answer 401 "$UNAUTH" "me/email: a Basic Authorization is 401"
# Checked first: no body rule is looked at before the token.
req PATCH me/email '{"email":'
check_status 401 "me/email: without a token, invalid JSON is 401, not 400 (the token is checked first)"
req PATCH me/email ''
check_status 401 "me/email: without a token, an empty body is 401, not 422"
req PATCH me/email '{"email":1}'
check_status 401 "me/email: without a token, a wrong type is 401, not 422"
req PATCH me/email "{\"email\":\"$(rep x 70000)\"}"
check_status 401 "me/email: without a token, a body over 64 KiB is 401, not 413"
email_raw "not-a-token" '{"email":'
me_refused "me/email: with a bad token, invalid JSON is the token's 401"
check "me/email: nothing changed by the refused requests" \
    test "$(stored "$jid")" = "jane@example.com jane@example.com"

# --- the body: 413, 400, 422 --------------------------------------------------

email_raw "$ja" "{\"email\":\"$(rep x 65530)@example.com\"}"
check_error 413 "Request body too large." "me/email: a body over 64 KiB is 413 {\"message\": \"Request body too large.\", \"details\": null}"
email_raw "$ja" '{"email":'
check_error 400 "Cannot parse request body" "me/email: invalid JSON is 400 \"Cannot parse request body\""
email_raw "$ja" $'{"email":"a\xff@example.com"}'
check_error 400 "Cannot parse request body" "me/email: invalid UTF-8 is 400 \"Cannot parse request body\""
email_raw "$ja" 'email=new%40example.com'
check_error 400 "Cannot parse request body" "me/email: a form-encoded body is not JSON: 400"

email_raw "$ja" ''
check_422 '[{"type":"missing","loc":["body","payload"],"msg":"Field required"}]' \
    "me/email: an empty body is one 422 missing at [\"body\", \"payload\"]"
email_raw "$ja" '{}'
check_422 "[$(err missing email "Field required")]" "me/email: a missing email is 422 missing"
for v in null '[]' '"x"' 1; do
	email_raw "$ja" "$v"
	check_422 "[$(err missing email "Field required")]" \
	    "me/email: a body that is not an object ($v) reports email missing"
done
for v in 1 null true '["a@example.com"]' '{"a":1}'; do
	email_raw "$ja" "{\"email\":$v}"
	check_422 "[$(err string_type email "Input should be a valid string")]" \
	    "me/email: email $v is 422 string_type"
done
email "$ja" ab
check_422 "[$(too_short email 3)]" "me/email: 2 characters is 422 string_too_short (min_length 3)"
email "$ja" ''
check_422 "[$(too_short email 3)]" "me/email: an empty email is 422 string_too_short"
email "$ja" "$(rep a 243)@example.com"
check_422 "[$(too_long email 254)]" "me/email: 255 characters is 422 string_too_long (max_length 254)"
email "$ja" "$(rep é 243)@example.com"
check_422 "[$(too_long email 254)]" "me/email: lengths count code points: 255 of them (498 bytes) is 422"
email "$ja" "$(rep é 242)@example.com"
check_error 400 "$INVALID" "me/email: 254 code points (496 bytes) pass the schema (a non-ASCII local part is then invalid)"
email "$ja" ' ab '
check_error 400 "$INVALID" "me/email: the length applies to the raw value: \" ab \" passes the 3-character minimum (then 400)"
email_raw "$ja" '{"email":"a\u0000@example.com"}'
check_422 "[$(err string_nul email "String should not contain NUL characters")]" \
    "me/email: \\u0000 is 422 string_nul"
email_raw "$ja" '{"email":"x", "unknown":1}'
check_422 "[$(too_short email 3)]" "me/email: unknown fields are ignored (the email's own error only)"
check "me/email: nothing changed by the refused bodies" \
    test "$(stored "$jid")" = "jane@example.com jane@example.com"

# --- 403: an account without a usable password ------------------------------

import_social 42 socialsam sam@example.com
ctl_done "me/email: setup: import-django brings an account whose password is \"!\" and 40 characters"
sa=$(token_for 42)
authed GET me - "$sa"
check_status 200 "me/email: setup: the imported account's token answers me"
email "$sa" sam.new@example.com
check_error 403 "$SOCIAL" "me/email: an account without a usable password is 403 \"$SOCIAL\""
email "$sa" 'not an address'
check_error 403 "$SOCIAL" "me/email: the 403 comes before the address is judged (an invalid one is 403 too)"
email "$sa" sam@example.com
check_error 403 "$SOCIAL" "me/email: the 403 comes before the same-address check"
email "$sa" bob@example.com
check_error 403 "$SOCIAL" "me/email: the 403 comes before the taken-address check"
email_raw "$sa" '{}'
check_status 422 "me/email: the body rules come before the 403 (a missing email is 422)"
email_raw "$sa" '{"email":'
check_status 400 "me/email: ...and invalid JSON is 400"
check "me/email: the social account's address is unchanged" \
    test "$(stored 42)" = "sam@example.com sam@example.com"
# A registered account whose hash was made unusable by hand.
register ursula ursula@example.com "$PW"
ua=$access uid=$(claim "$ua" .user_id)
make_unusable "$uid"
email "$ua" ursula.new@example.com
check_error 403 "$SOCIAL" "me/email: any unusable hash (\"!...\") is 403"

# --- 400: invalid, the same address, another account's ---------------------

for e in a@b .a@example.com a.@example.com a..b@example.com a@-example.com \
    a@example-.com a@example.com. a@exa_mple.com jürgen@example.com \
    '"john doe"@example.com' a@example.c a@b@example.com 'no at sign' \
    '[999.1.1.1]@x' 'a@[999.1.1.1]'; do
	email "$ja" "$e"
	check_error 400 "$INVALID" "me/email: $e is 400 \"$INVALID\""
done
email_raw "$ja" '{"email":"\u00a0\u3000\u2003"}'
check_error 400 "$INVALID" "me/email: only whitespace (NBSP, IDEOGRAPHIC SPACE) is stripped to nothing: 400"
check "me/email: nothing changed by the invalid addresses" \
    test "$(stored "$jid")" = "jane@example.com jane@example.com"

for e in jane@example.com JANE@EXAMPLE.COM Jane@Example.com ' jane@example.com ' \
    '\u00a0jane@example.com\u3000' 'jane@exa\u00admple.com' \
    'jane@example\u3002com'; do
	email_raw "$ja" "{\"email\":\"$e\"}"
	check_error 400 "$SAME" "me/email: \"$e\" is the current address: 400 \"$SAME\""
done

# The IDNA forms: one key whichever spelling is stored or sent.
register ulrich u@bücher.de "$PW"
check_status 201 "me/email: setup: register u@bücher.de"
xa=$access xid=$(claim "$xa" .user_id)
for e in u@xn--bcher-kva.de U@BÜCHER.DE u@Bücher.de U@XN--BCHER-KVA.DE; do
	email "$xa" "$e"
	check_error 400 "$SAME" "me/email: $e is the same address as u@bücher.de: 400 \"$SAME\""
done
email "$ja" u@xn--bcher-kva.de
check_error 400 "$TAKEN" "me/email: u@xn--bcher-kva.de is another account's (u@bücher.de): 400 \"$TAKEN\""
email "$ja" U@BÜCHER.DE
check_error 400 "$TAKEN" "me/email: U@BÜCHER.DE is another account's: 400 \"$TAKEN\""

for e in bob@example.com BOB@example.com ' Bob@Example.COM ' 'bob@exa\u00admple.com'; do
	email_raw "$ja" "{\"email\":\"$e\"}"
	check_error 400 "$TAKEN" "me/email: \"$e\" is another account's: 400 \"$TAKEN\""
done
email "$ja" sam@example.com
check_error 400 "$TAKEN" "me/email: the social account's address is taken too"
email "$ja" ursula@example.com
check_error 400 "$TAKEN" "me/email: an address is taken whatever its account's password"
check "me/email: nothing changed by the refusals" \
    test "$(stored "$jid") $(stored "$bid")" = "jane@example.com jane@example.com bob@example.com bob@example.com"

# --- 200 ----------------------------------------------------------------------

email "$ja" ' Jane.New@Example.COM '
check_answer 200 "{\"id\":$jid,\"username\":\"janedoe\",\"email\":\"jane.new@example.com\"}" \
    "me/email: success is 200 {\"id\", \"username\", \"email\"} with the address stripped and lowercased"
check_header Content-Type application/json "me/email: the 200 has Content-Type: application/json"
check_header Cache-Control no-store "me/email: the 200 has Cache-Control: no-store"
check_header X-Content-Type-Options nosniff "me/email: the 200 has X-Content-Type-Options: nosniff"
check "me/email: the row holds the new address and its key" \
    test "$(stored "$jid")" = "jane.new@example.com jane.new@example.com"
authed GET me - "$ja"
check_answer 200 "{\"id\":$jid,\"username\":\"janedoe\",\"email\":\"jane.new@example.com\"}" \
    "me/email: GET me shows the new address (the token stays valid: an email change revokes nothing)"
refresh_with "$jr"
check_status 200 "me/email: the refresh token stays valid too"
login jane.new@example.com "$PW"
check_status 200 "me/email: login by the new address works"
login JANE.NEW@example.com "$PW"
check_status 200 "me/email: ...case-insensitively"
login jane@example.com "$PW"
check_401 "me/email: login by the old address"
login janedoe "$PW"
check_status 200 "me/email: login by username still works"
email "$ja" jane.new@example.com
check_error 400 "$SAME" "me/email: the new address is now the current one"
# The old address is free again.
email "$ba" JANE@example.com
check_answer 200 "{\"id\":$bid,\"username\":\"bobsmith\",\"email\":\"jane@example.com\"}" \
    "me/email: the old address is free again: another account takes it (200)"
register someone bob@example.com "$PW"
check_status 201 "me/email: and the address that account left is free for a registration"
register someone2 jane@example.com "$PW"
check_error 400 "$TAKEN" "me/email: a registration with the address just taken is 400 \"$TAKEN\""

# Stored as typed (lowercased), not converted; keyed by its IDNA form.
email "$ja" Jane@Bücher.DE
check_answer 200 "{\"id\":$jid,\"username\":\"janedoe\",\"email\":\"jane@bücher.de\"}" \
    "me/email: an internationalized domain is stored as typed, lowercased (jane@bücher.de)"
check "me/email: its key is the IDNA ASCII form" \
    test "$(stored "$jid")" = "jane@bücher.de jane@xn--bcher-kva.de"
login jane@xn--bcher-kva.de "$PW"
check_status 200 "me/email: login by the ASCII form of the new address works"
register janeclone jane@xn--bcher-kva.de "$PW"
check_error 400 "$TAKEN" "me/email: registering the ASCII form of the new address is 400 \"$TAKEN\""

# --- sixteen clients take one address at once ---------------------------------

N=16
R=$T/race
mkdir -p "$R"
jq -cn '{email: "Contested@Example.com"}' >"$R/req"
ids=()
for i in $(seq "$N"); do
	register "racer$i" "racer$i@example.com" "$PW"
	ids+=("$(claim "$access" .user_id)")
	printf 'Authorization: Bearer %s\n' "$access" >"$R/auth.$i"
done
check "me/email: setup: $N accounts registered" test "${#ids[@]}" = "$N"
# Each client with its own account's token.
for i in $(seq "$N"); do
	mv "$R/auth.$i" "$R/hdr.$i"
done
race "$R" "$N" PATCH me/email
echo "# me/email: $N clients changing to one address: $(race_tally "$R")"
check "me/email: $N accounts changing to one address at once: exactly one 200, $((N - 1)) 400s ($(race_tally "$R"))" \
    test "$(race_tally "$R")" = "200:1 400:$((N - 1))"
bad=
winner=
for i in $(seq "$N"); do
	case $(cat "$R/status.$i") in
	200)
		winner=$i
		[ "$(jq -cS . "$R/body.$i")" = "$(jq -cnS --argjson id "${ids[i - 1]}" --arg u "racer$i" \
		    '{id: $id, username: $u, email: "contested@example.com"}')" ] ||
		    bad="$bad [$i: $(cat "$R/body.$i")]" ;;
	400)
		[ "$(jq -cS . "$R/body.$i")" = "$(jq -cnS --arg m "$TAKEN" '{message: $m, details: null}')" ] ||
		    bad="$bad [$i: $(cat "$R/body.$i")]" ;;
	*)
		bad="$bad [$i: $(cat "$R/status.$i") $(cat "$R/body.$i")]" ;;
	esac
done
check "me/email: the race's 200 is the winner's profile and each 400 is \"$TAKEN\", never a 5xx" \
    test -z "$bad" -a -n "$winner"
[ -z "$bad" ] || echo "# $bad"
check "me/email: after the race exactly one account holds the address, the winner's" \
    test "$(db_sql "SELECT id FROM users WHERE email_key = 'contested@example.com' ORDER BY id" | paste -sd,)" = "${ids[winner - 1]:-none}"
lost=0
for i in $(seq "$N"); do
	[ "$i" = "$winner" ] && continue
	[ "$(stored "${ids[i - 1]}")" = "racer$i@example.com racer$i@example.com" ] || lost=$((lost + 1))
done
check "me/email: every loser keeps its own address ($lost changed)" test "$lost" = 0

finish

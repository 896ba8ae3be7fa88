#!/usr/bin/env bash
# PUT me/password: SPEC "Account endpoints" over HTTP, in SPEC's order of
# checks: the bearer token's 401, the body (422 with the three fields), the
# password scope's 429, the 403 of an account without a usable password,
# the current password, the confirmation, register's policy against this
# user's names; then the 200 and what it revokes (every token issued before
# it, the pair it answers staying valid within the same second), the
# stored hash, and concurrent changes with one current password.
# any-cgi-server
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
UNAUTH='{"message":"Unauthorized","details":null}'
CURRENT='Current password is incorrect.'
MISMATCH='New passwords do not match.'
SOCIAL='Social login accounts cannot change their password.'
TOO_MANY='Too many requests. Please try again later.'
DONE='Password changed successfully.'
COMMON='This password is too common.'
NUMERIC='This password is entirely numeric.'
SIM_USER='The password is too similar to the username.'
SIM_EMAIL='The password is too similar to the email address.'
EASY='This password is too easy to guess.'

# pw_raw TOKEN BODY: PUT me/password with that body as it is.
pw_raw() {
	authed PUT me/password "$2" "$1"
}
# hash_of ID: the stored password hash.
hash_of() {
	db_sql "SELECT password FROM users WHERE id = $1"
}
# good_pair: the last answer is the success, exactly {"message", "access",
# "refresh"}, its tokens signed with the key, of the right types, naming
# user $1.
good_pair() {
	[ "$status" = 200 ] &&
	    [ "$(printf '%s' "$body" | jq -c 'keys')" = '["access","message","refresh"]' ] &&
	    [ "$(printf '%s' "$body" | jq -r .message)" = "$DONE" ] &&
	    [ "$(claim "$access" .token_type) $(claim "$refresh" .token_type)" = "access refresh" ] &&
	    [ "$(claim "$access" .user_id) $(claim "$refresh" .user_id)" = "$1 $1" ] &&
	    [ "$(hs256 "${access%.*}")" = "${access##*.}" ] &&
	    [ "$(hs256 "${refresh%.*}")" = "${refresh##*.}" ]
}

# loser_ok DIR I: client I of a race was answered 400 "Current password
# is incorrect." or me's 401 for a revoked token.
loser_ok() {
	local got
	got="$(cat "$1/status.$2") $(jq -cS . "$1/body.$2" 2>&1)"
	[ "$got" = "400 $(jq -cnS --arg m "$CURRENT" '{message: $m, details: null}')" ] ||
	    [ "$got" = "401 $(jq -cS . <<<"$UNAUTH")" ]
}

start_server
register janedoe jane@example.com "$PW"
check_status 201 "me/password: setup: register janedoe"
ja=$access jr=$refresh
jid=$(claim "$ja" .user_id)
h0=$(hash_of "$jid")
GOOD=$(jq -cn --arg c "$PW" '{current_password: $c, new_password: "n3w!Passphrase",
    new_password_confirm: "n3w!Passphrase"}')

# --- 1. 401 first ---------------------------------------------------------------

req PUT me/password "$GOOD"
check_answer 401 "$UNAUTH" "me/password: no Authorization header is 401 {\"message\": \"Unauthorized\", \"details\": null}"
check_header WWW-Authenticate Bearer "me/password: the 401 without a token carries WWW-Authenticate: Bearer"
pw_raw not-a-token "$GOOD"
me_refused "me/password: a bad token is 401 with WWW-Authenticate: Bearer error=\"invalid_token\""
pw_raw "$jr" "$GOOD"
me_refused "me/password: a refresh token as the bearer is 401"
pw_raw "$(token_for "$jid" access $(( $(date +%s) - 400 )))" "$GOOD"
me_refused "me/password: an expired access token is 401"
pw_raw "$(token_for 999999)" "$GOOD"
me_refused "me/password: a token naming no user is 401"
req PUT me/password ''
check_status 401 "me/password: without a token, an empty body is 401, not 422 (the token is checked first)"
req PUT me/password '{"current_password":'
check_status 401 "me/password: without a token, invalid JSON is 401, not 400"
req PUT me/password "{\"current_password\":\"$(rep x 70000)\"}"
check_status 401 "me/password: without a token, a body over 64 KiB is 401, not 413"
check "me/password: the hash is unchanged by the refused requests" test "$(hash_of "$jid")" = "$h0"

# --- 2. the body ------------------------------------------------------------------

pw_raw "$ja" "{\"current_password\":\"$(rep x 66000)\"}"
check_error 413 "Request body too large." "me/password: a body over 64 KiB is 413"
pw_raw "$ja" '{"current_password":"x",'
check_error 400 "Cannot parse request body" "me/password: invalid JSON is 400 \"Cannot parse request body\""
pw_raw "$ja" $'{"current_password":"\xc3\x28","new_password":"abcdefgh","new_password_confirm":"abcdefgh"}'
check_error 400 "Cannot parse request body" "me/password: invalid UTF-8 is 400"
pw_raw "$ja" ''
check_422 '[{"type":"missing","loc":["body","payload"],"msg":"Field required"}]' \
    "me/password: an empty body is one 422 missing at [\"body\", \"payload\"]"
ALL_MISSING="[$(err missing current_password "Field required"),$(err missing new_password "Field required"),$(err missing new_password_confirm "Field required")]"
pw_raw "$ja" '{}'
check_422 "$ALL_MISSING" "me/password: {} lists the three fields missing, in field order"
for v in null '[]' '"x"' 1; do
	pw_raw "$ja" "$v"
	check_422 "$ALL_MISSING" "me/password: a body that is not an object ($v) lists the three fields missing"
done
pw_raw "$ja" '{"new_password_confirm":"abcdefgh"}'
check_422 "[$(err missing current_password "Field required"),$(err missing new_password "Field required")]" \
    "me/password: only the missing fields are listed"
pw_raw "$ja" '{"current_password":null,"new_password":1,"new_password_confirm":["abcdefgh"]}'
check_422 "[$(err string_type current_password "Input should be a valid string"),$(err string_type new_password "Input should be a valid string"),$(err string_type new_password_confirm "Input should be a valid string")]" \
    "me/password: null, a number and a list are 422 string_type each"
pw_raw "$ja" '{"current_password":"","new_password":"short","new_password_confirm":5}'
check_422 "[$(too_short current_password 1),$(too_short new_password 8),$(err string_type new_password_confirm "Input should be a valid string")]" \
    "me/password: current_password 1-128, new_password 8-128: every failing field, in order"
L129=$(rep a 129)
pw_raw "$ja" "{\"current_password\":\"$L129\",\"new_password\":\"$L129\",\"new_password_confirm\":\"$L129\"}"
check_422 "[$(too_long current_password 128),$(too_long new_password 128),$(too_long new_password_confirm 128)]" \
    "me/password: 129 characters is 422 string_too_long (max_length 128) for each field"
pw_raw "$ja" "{\"current_password\":\"$PW\",\"new_password\":\"ééééééé\",\"new_password_confirm\":\"$(rep é 129)\"}"
check_422 "[$(too_short new_password 8),$(too_long new_password_confirm 128)]" \
    "me/password: lengths count code points (7 two-byte characters are too short, 129 too long)"
pw_raw "$ja" '{"current_password":"x","new_password":"abc\u0000defgh","new_password_confirm":"abcdefgh"}'
check_422 "[$(err string_nul new_password "String should not contain NUL characters")]" \
    "me/password: \\u0000 is 422 string_nul"
check "me/password: the hash is unchanged by the refused bodies" test "$(hash_of "$jid")" = "$h0"

# --- 3. 403: an account without a usable password --------------------------------

import_social 42 socialsam sam@example.com
ctl_done "me/password: setup: import-django brings an account without a usable password"
sa=$(token_for 42)
sh0=$(hash_of 42)
pw_raw "$sa" '{"current_password":"anything","new_password":"n3w!Passphrase","new_password_confirm":"n3w!Passphrase"}'
check_error 403 "$SOCIAL" "me/password: an account without a usable password is 403 \"$SOCIAL\""
pw_raw "$sa" '{"current_password":"x","new_password":"12345678","new_password_confirm":"87654321"}'
check_error 403 "$SOCIAL" "me/password: the 403 comes before the confirmation and the policy"
pw_raw "$sa" "{\"current_password\":\"${sh0}\",\"new_password\":\"n3w!Passphrase\",\"new_password_confirm\":\"n3w!Passphrase\"}"
check_error 403 "$SOCIAL" "me/password: the stored \"!...\" string itself is no password (403)"
pw_raw "$sa" '{}'
check_status 422 "me/password: the body rules come before the 403"
check "me/password: the social account's hash is unchanged" test "$(hash_of 42)" = "$sh0"

# --- 4. the current password, the confirmation, the policy -----------------------

change_password "$ja" 'wrong!Pass' 'n3w!Passphrase'
check_error 400 "$CURRENT" "me/password: a wrong current password is 400 \"$CURRENT\""
change_password "$ja" 's3cure!pass' 'n3w!Passphrase'
check_error 400 "$CURRENT" "me/password: the current password is compared exactly (case matters)"
change_password "$ja" "$h0" 'n3w!Passphrase'
check_error 400 "$CURRENT" "me/password: the stored hash is not the password"
change_password "$ja" 'wrong!Pass' 'n3w!Passphrase' 'other!Passphrase'
check_error 400 "$CURRENT" "me/password: the current password is checked before the confirmation"
change_password "$ja" 'wrong!Pass' 12345678
check_error 400 "$CURRENT" "me/password: ...and before the policy"
change_password "$ja" "$PW" 'n3w!Passphrase' 'n3w!Passphrasf'
check_error 400 "$MISMATCH" "me/password: new passwords that differ are 400 \"$MISMATCH\""
change_password "$ja" "$PW" 'n3w!Passphrase' 'N3W!PASSPHRASE'
check_error 400 "$MISMATCH" "me/password: the confirmation is compared exactly (case matters)"
change_password "$ja" "$PW" 12345678 87654321
check_error 400 "$MISMATCH" "me/password: the confirmation is checked before the policy"
for p in 12345678 password1 P@ssw0rd qwertyuiop monkey12 trustno1; do
	change_password "$ja" "$PW" "$p"
	check_error 400 "$COMMON" "me/password: $p is 400 \"$COMMON\""
done
for p in 31415926535 20241225 ٣١٤١٥٩٢٦٥٣٥; do
	change_password "$ja" "$PW" "$p"
	check_error 400 "$NUMERIC" "me/password: $p is 400 \"$NUMERIC\""
done
for p in janedoe123 Janedoe2024; do
	change_password "$ja" "$PW" "$p"
	check_error 400 "$SIM_USER" "me/password: $p is 400 \"$SIM_USER\" (this user's username)"
done
check "me/password: the hash is unchanged by every refusal" test "$(hash_of "$jid")" = "$h0"
check "me/password: the refusals revoked nothing (the token still answers me)" \
    eval 'authed GET me - "$ja"; [ "$status" = 200 ]'

# The similarity is judged against this user's names, not anyone's.
register quixotic.zebra walter@example.com "$PW"
wa=$access wid=$(claim "$wa" .user_id)
register walter2 quixoticzebra@example.com "$PW"
va=$access
change_password "$wa" "$PW" quixotic.zebra7
check_error 400 "$SIM_USER" "me/password: similar to this user's username (quixotic.zebra7)"
change_password "$va" "$PW" quixoticzebra7
check_error 400 "$SIM_EMAIL" "me/password: similar to this user's email address (quixoticzebra7 for quixoticzebra@example.com)"
change_password "$ja" "$PW" quixotic.zebra7
check "me/password: a password similar to another user's username is no refusal for this one (200)" \
    good_pair "$jid"
ja=$access jr=$refresh
PW2=quixotic.zebra7
change_password "$ja" "$PW2" 'n3w!Passphrase'
check "me/password: setup: back to a password of its own (200)" good_pair "$jid"
ja=$access jr=$refresh
PW2='n3w!Passphrase'

# --- 5. success, and what it revokes, within one second ---------------------------

# Another device's tokens, issued in an earlier second.
login janedoe "$PW2"
check_status 200 "me/password: setup: another device logs in"
oa=$access or=$refresh
# bobsmith: someone else, whose tokens nothing here touches.
register bobsmith bob@example.com "$PW"
ba=$access br=$refresh
now=$(date +%s)
sleep_until $((now + 1))

# The scenario: tokens issued, the password changed, both halves checked:
# all within one second (retried while the second turns over meanwhile).
cur=$PW2 next='Tulip-Harbor-42!'
within=0
for try in 1 2 3 4 5; do
	login janedoe "$cur"
	a0=$access r0=$refresh
	s0=$(date +%s)
	change_password "$a0" "$cur" "$next"
	st_change=$status body_change=$body a1=$access r1=$refresh
	good_pair "$jid" && pair_ok=1 || pair_ok=0
	authed GET me - "$a0"; me_refusal && old_access=401 || old_access="$status $body"
	refresh_with "$r0"; st_old_refresh=$status body_old_refresh=$body
	authed GET me - "$a1"; st_new_access=$status
	refresh_with "$r1"; st_new_refresh=$status
	tokens; a2=$access
	authed GET me - "$a2"; st_new_refreshed=$status
	login janedoe "$next"; st_login=$status a3=$access
	authed GET me - "$a3"; st_login_me=$status
	s1=$(date +%s)
	i0=$(claim "$a0" .iat) i1=$(claim "$a1" .iat) i3=$(claim "$a3" .iat)
	tmp=$cur cur=$next next=$tmp
	if [ "$s0" = "$s1" ] && [ "$i0 $i1 $i3" = "$s0 $s0 $s0" ]; then
		within=1
		break
	fi
	echo "# me/password: try $try crossed a second ($s0..$s1, iat $i0 $i1 $i3): again"
done
check "me/password: the scenario ran within one second (try $try: tokens issued, password changed, both halves checked in second $s0)" \
    test "$within" = 1
check "me/password: the change answers 200 {\"message\": \"$DONE\", \"access\", \"refresh\"}, tokens of this user" \
    test "$pair_ok" = 1
check "me/password: an access token issued earlier in the same second is revoked (me: 401, error=\"invalid_token\")" \
    test "$old_access" = 401
check "me/password: a refresh token issued earlier in the same second is revoked (refresh: 401 \"Invalid or expired refresh token.\")" \
    test "$st_old_refresh $body_old_refresh" = '401 {"message":"Invalid or expired refresh token.","details":null}'
check "me/password: the access token answered is valid at once, in the same second (me: 200)" \
    test "$st_new_access" = 200
check "me/password: the refresh token answered is valid at once (refresh: 200)" \
    test "$st_new_refresh" = 200
check "me/password: the access token refreshed from it is valid (me: 200)" \
    test "$st_new_refreshed" = 200
check "me/password: a login with the new password in the same second gets valid tokens (login 200, me 200)" \
    test "$st_login $st_login_me" = "200 200"
# After the second: the earlier ones stay revoked, the answered pair valid.
sleep_until $((s1 + 1))
authed GET me - "$a0"
me_refused "me/password: in a later second, the old access token is still 401"
refresh_with "$r0"
refresh_refused "me/password: in a later second, the old refresh token is still 401"
authed GET me - "$a1"
check_status 200 "me/password: in a later second, the answered access token is still 200"
refresh_with "$r1"
check_status 200 "me/password: in a later second, the answered refresh token is still 200"
authed GET me - "$oa"
me_refused "me/password: another device's access token (an earlier second) is revoked"
refresh_with "$or"
refresh_refused "me/password: another device's refresh token is revoked"
logout_with "$or"
check_error 401 "Invalid or expired refresh token." "me/password: logout with a revoked refresh token is 401 (revoked is not logged out)"
authed GET me - "$ja"
me_refused "me/password: the token the first changes answered is revoked by the later change"
authed GET me - "$ba"
check_status 200 "me/password: another user's access token is untouched"
refresh_with "$br"
check_status 200 "me/password: another user's refresh token is untouched"

login janedoe "$next"
check_401 "me/password: login with the old password"
login janedoe "$cur"
check_status 200 "me/password: login with the new password is 200"
ja=$access
login jane@example.com "$cur"
check_status 200 "me/password: login by email with the new password is 200"
check "me/password: the stored hash is pbkdf2_sha256 at the configured 1000 iterations" \
    eval '[[ "$(hash_of "$jid")" =~ ^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$ ]]'

# The configured cost, whatever the stored hash's.
start_server AUTH_PBKDF2_ITERATIONS=1700
change_password "$ja" "$cur" 'Lantern-Orchid-7'
check_status 200 "me/password: a change under AUTH_PBKDF2_ITERATIONS=1700 is 200"
check "me/password: the new hash has the configured 1700 iterations" \
    eval '[[ "$(hash_of "$jid")" =~ ^pbkdf2_sha256\$1700\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$ ]]'
ja=$access cur='Lantern-Orchid-7'
login janedoe "$cur"
check_status 200 "me/password: the 1700-iteration hash verifies the new password"
start_server

# SPEC "POST register" 7's accepted passwords are accepted here too.
for p in newpass123 testpass123 'StrongPass123!' bookworm42; do
	change_password "$ja" "$cur" "$p"
	check "me/password: $p is accepted (200)" good_pair "$jid"
	ja=$access cur=$p
done

# AUTH_MIN_PASSWORD_ENTROPY, when set, is part of the policy.
start_server AUTH_MIN_PASSWORD_ENTROPY=60
change_password "$ja" "$cur" 'Lantern-Orchid-7'
check_error 400 "$EASY" "me/password: under AUTH_MIN_PASSWORD_ENTROPY=60 a 7-character-word password is 400 \"$EASY\""
start_server

# --- 6. the password scope's 429 ---------------------------------------------------

W=$(pick_window)
start_server AUTH_RATE_PASSWORD=3 AUTH_RATE_WINDOW="$W"
db_sql 'DELETE FROM attempts'	# a fresh count: the requests above counted
login janedoe "$cur"
ja=$access
for i in 1 2 3; do
	pw_raw "$ja" '{}'
done
check_status 422 "rate: 422s are not counted (three sent first)"
change_password "$ja" 'wrong!Pass' 'n3w!Passphrase'
check_error 400 "$CURRENT" "rate: attempt 1 of 3 (a wrong current password) is answered"
authed DELETE me '{"password":"wrong!Pass"}' "$ja"
check_error 400 "Incorrect password." "rate: attempt 2 of 3 is DELETE me (the same password scope)"
change_password "$ja" "$cur" 'n3w!Passphrase' 'n3w!Passphrasf'
check_error 400 "$MISMATCH" "rate: attempt 3 of 3 is answered"
change_password "$ja" "$cur" 'Fresh-Meadow-88'
check_rate_429 "$TOO_MANY" "$W" "rate: attempt 4 (the right current password)"
check "rate: the 429 changed nothing: login with the current password is still 200" \
    eval 'login janedoe "$cur"; [ "$status" = 200 ]'
ja=$access
authed DELETE me "{\"password\":\"$cur\"}" "$ja"
check_rate_429 "$TOO_MANY" "$W" "rate: DELETE me when the scope is exhausted"
pw_raw "$sa" '{"current_password":"x","new_password":"abcdefgh","new_password_confirm":"abcdefgh"}'
check_rate_429 "$TOO_MANY" "$W" "rate: the 429 comes before the 403 of an account without a usable password"
pw_raw "$ja" '{}'
check_status 422 "rate: an exhausted client still gets its 422"
req PUT me/password "$GOOD"
check_status 401 "rate: an exhausted client without a token gets the 401 (checked first)"
authed GET me - "$ja"
check_status 200 "rate: GET me does not count in the password scope"
login janedoe "$cur"
check_status 200 "rate: login has its own scope (200)"
authed PATCH me/email '{"email":"jane.rate@example.com"}' "$ja"
check_status 200 "rate: PATCH me/email is not in the password scope (200)"
start_server

# --- 7. concurrent changes with one current password -------------------------------

login janedoe "$cur"
ja=$access jr=$refresh
R=$T/race2
mkdir -p "$R"
jq -cn --arg c "$cur" '{current_password: $c, new_password: "Amber-Falcon-31",
    new_password_confirm: "Amber-Falcon-31"}' >"$R/req.1"
jq -cn --arg c "$cur" '{current_password: $c, new_password: "Cobalt-Heron-57",
    new_password_confirm: "Cobalt-Heron-57"}' >"$R/req.2"
race "$R" 2 PUT me/password -H "Authorization: Bearer $ja"
echo "# me/password: two changes at once: $(race_tally "$R")"
# The loser is 400 when it verified the current password before the
# winner's commit; a request that reaches the token after it finds the
# token revoked (issued before the change): 401, checked first.
check "me/password: two changes at once with one current password: one 200, the other 400 (or 401) ($(race_tally "$R"))" \
    eval '[[ "$(race_tally "$R")" =~ ^200:1\ (400|401):1$ ]]'
w=0
for i in 1 2; do
	[ "$(cat "$R/status.$i")" = 200 ] && w=$i
done
l=$((3 - w))
check "me/password: the loser's answer is 400 \"$CURRENT\" (or the revoked token's 401)" \
    eval 'loser_ok "$R" "$l"'
pws=(x Amber-Falcon-31 Cobalt-Heron-57)
login janedoe "${pws[w]:-none}"
check_status 200 "me/password: the stored hash verifies the winner's new password"
login janedoe "${pws[l]:-none}"
check_status 401 "me/password: ...and not the loser's"
login janedoe "$cur"
check_status 401 "me/password: ...nor the old one"
wa=$(jq -r .access "$R/body.$w" 2>/dev/null) wr=$(jq -r .refresh "$R/body.$w" 2>/dev/null)
authed GET me - "$wa"
check_status 200 "me/password: the winner's access token works"
refresh_with "$wr"
check_status 200 "me/password: the winner's refresh token works"
authed GET me - "$ja"
me_refused "me/password: the token both sent (issued before) is revoked"
cur=${pws[w]}

# Sixteen at once, each with its own new password.
N=16
login janedoe "$cur"
ja=$access
R=$T/race16
mkdir -p "$R"
for i in $(seq "$N"); do
	jq -cn --arg c "$cur" --arg n "Willow-$i-Quartz!" '{current_password: $c,
	    new_password: $n, new_password_confirm: $n}' >"$R/req.$i"
done
race "$R" "$N" PUT me/password -H "Authorization: Bearer $ja"
echo "# me/password: $N changes at once: $(race_tally "$R")"
check "me/password: $N changes at once with one current password: one 200, the others 400 or 401, never a 5xx ($(race_tally "$R"))" \
    eval '[[ "$(race_tally "$R")" =~ ^200:1(\ 400:[0-9]+)?(\ 401:[0-9]+)?$ ]]'
w=0 bad=
for i in $(seq "$N"); do
	case $(cat "$R/status.$i") in
	200) w=$i ;;
	*) loser_ok "$R" "$i" || bad="$bad [$i: $(cat "$R/body.$i")]" ;;
	esac
done
check "me/password: every loser's answer is 400 \"$CURRENT\" or the revoked token's 401" test -z "$bad"
works=
for i in $(seq "$N"); do
	login janedoe "Willow-$i-Quartz!"
	[ "$status" = 200 ] && works="$works $i"
done
check "me/password: the stored hash verifies exactly the winner's password (winner $w; logged in:$works)" \
    test "$works" = " $w"
wa=$(jq -r .access "$R/body.$w" 2>/dev/null) wr=$(jq -r .refresh "$R/body.$w" 2>/dev/null)
authed GET me - "$wa"
check_status 200 "me/password: the winner's access token works"
refresh_with "$wr"
check_status 200 "me/password: the winner's refresh token works"

finish

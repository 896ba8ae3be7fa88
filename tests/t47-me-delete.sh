#!/usr/bin/env bash
# DELETE me: SPEC "Account endpoints" over HTTP: the bearer token's 401
# first, the body (both fields optional: a non-object reads as {}), the
# password scope's 429, the password or, for an account without a usable
# password, confirm_text "DELETE"; the 200 and what it leaves (no row, no
# token naming the id, the id never given again); and a delete racing
# refreshes with the user's own refresh token.
# any-cgi-server
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
UNAUTH='{"message":"Unauthorized","details":null}'
REQUIRED='Password is required.'
INCORRECT='Incorrect password.'
CONFIRM="Send confirm_text set to 'DELETE' to delete your account."
TOO_MANY='Too many requests. Please try again later.'
DELETED='{"message":"Account deleted successfully."}'
REFRESH_401='Invalid or expired refresh token.'

# del TOKEN BODY: DELETE me with that body as it is.
del() {
	authed DELETE me "$2" "$1"
}
# del_pw TOKEN PASSWORD: DELETE me {"password": PASSWORD} (jq-encoded).
del_pw() {
	del "$1" "$(jq -cn --arg p "$2" '{password: $p}')"
}
# rows ID: how many users rows have that id.
rows() {
	db_sql "SELECT count(*) FROM users WHERE id = $1"
}

start_server
register janedoe jane@example.com "$PW"
check_status 201 "delete: setup: register janedoe"
ja=$access jr=$refresh
jid=$(claim "$ja" .user_id)

# --- 401 first ----------------------------------------------------------------

req DELETE me "{\"password\":\"$PW\"}"
check_answer 401 "$UNAUTH" "delete: no Authorization header is 401 {\"message\": \"Unauthorized\", \"details\": null}"
check_header WWW-Authenticate Bearer "delete: the 401 without a token carries WWW-Authenticate: Bearer"
del not-a-token "{\"password\":\"$PW\"}"
me_refused "delete: a bad token is 401 with WWW-Authenticate: Bearer error=\"invalid_token\""
del "$jr" "{\"password\":\"$PW\"}"
me_refused "delete: a refresh token as the bearer is 401"
del "$(token_for "$jid" access $(( $(date +%s) - 400 )))" "{\"password\":\"$PW\"}"
me_refused "delete: an expired access token is 401"
req DELETE me ''
check_status 401 "delete: without a token, an empty body is 401, not 422"
req DELETE me '{"password":'
check_status 401 "delete: without a token, invalid JSON is 401, not 400"
req DELETE me "{\"password\":\"$(rep x 70000)\"}"
check_status 401 "delete: without a token, a body over 64 KiB is 401, not 413"
check "delete: the row is still there after the refused requests" test "$(rows "$jid")" = 1

# --- the body -----------------------------------------------------------------

del "$ja" "{\"password\":\"$(rep x 66000)\"}"
check_error 413 "Request body too large." "delete: a body over 64 KiB is 413"
del "$ja" '{"password":'
check_error 400 "Cannot parse request body" "delete: invalid JSON is 400 \"Cannot parse request body\""
del "$ja" $'{"password":"\xed\xa0\x80"}'
check_error 400 "Cannot parse request body" "delete: invalid UTF-8 (an encoded surrogate) is 400"
del "$ja" ''
check_422 '[{"type":"missing","loc":["body","payload"],"msg":"Field required"}]' \
    "delete: an empty body is one 422 missing at [\"body\", \"payload\"]"
for v in null '[]' '"x"' 1 '{}' '{"password":null}' '{"password":""}' \
    '{"confirm_text":"DELETE"}' '{"pass":"s3cure!Pass"}'; do
	del "$ja" "$v"
	check_error 400 "$REQUIRED" "delete: $v is 400 \"$REQUIRED\" (both fields optional; a non-object reads as {})"
done
del "$ja" '{"password":5}'
check_422 "[$(err string_type password "Input should be a valid string")]" \
    "delete: a password that is not a string is 422 string_type"
del "$ja" '{"password":["s3cure!Pass"],"confirm_text":true}'
check_422 "[$(err string_type password "Input should be a valid string"),$(err string_type confirm_text "Input should be a valid string")]" \
    "delete: both fields of the wrong type: two errors, in field order"
del "$ja" "{\"password\":\"$(rep a 129)\"}"
check_422 "[$(too_long password 128)]" "delete: a password of 129 characters is 422 string_too_long (max_length 128)"
del "$ja" "{\"password\":\"$(rep é 129)\"}"
check_422 "[$(too_long password 128)]" "delete: lengths count code points (129 two-byte characters)"
del "$ja" '{"confirm_text":"DELETE DELETE"}'
check_422 "[$(too_long confirm_text 10)]" "delete: a confirm_text of 13 characters is 422 string_too_long (max_length 10)"
del "$ja" '{"password":"a\u0000b"}'
check_422 "[$(err string_nul password "String should not contain NUL characters")]" \
    "delete: \\u0000 in the password is 422 string_nul"
check "delete: the row is still there after the refused bodies" test "$(rows "$jid")" = 1

# --- the password ---------------------------------------------------------------

del_pw "$ja" 'wrong!Pass'
check_error 400 "$INCORRECT" "delete: a wrong password is 400 \"$INCORRECT\""
del_pw "$ja" 'S3CURE!PASS'
check_error 400 "$INCORRECT" "delete: the password is compared exactly (case matters)"
del_pw "$ja" " $PW "
check_error 400 "$INCORRECT" "delete: the password is not stripped"
del "$ja" "{\"password\":\"wrong\",\"confirm_text\":\"DELETE\"}"
check_error 400 "$INCORRECT" "delete: confirm_text does not stand in for a usable password"
check "delete: the row is still there after the refusals" test "$(rows "$jid")" = 1
authed GET me - "$ja"
check_status 200 "delete: the refusals revoked nothing (me: 200)"

# --- the password scope's 429 --------------------------------------------------

W=$(pick_window)
start_server AUTH_RATE_PASSWORD=2 AUTH_RATE_WINDOW="$W"
db_sql 'DELETE FROM attempts'	# a fresh count: the requests above counted
del "$ja" '{"password":5}'
del "$ja" ''
check_status 422 "rate: 422s are not counted"
del_pw "$ja" 'wrong!Pass'
check_error 400 "$INCORRECT" "rate: attempt 1 of 2 is answered"
del "$ja" '{}'
check_error 400 "$REQUIRED" "rate: attempt 2 of 2 (no password) is answered: it counts too"
del_pw "$ja" "$PW"
check_rate_429 "$TOO_MANY" "$W" "rate: attempt 3 (the right password)"
check "rate: the 429 deleted nothing" test "$(rows "$jid")" = 1
authed PUT me/password "{\"current_password\":\"$PW\",\"new_password\":\"n3w!Passphrase\",\"new_password_confirm\":\"n3w!Passphrase\"}" "$ja"
check_rate_429 "$TOO_MANY" "$W" "rate: PUT me/password shares the scope"
del "$ja" '{"password":5}'
check_status 422 "rate: an exhausted client still gets its 422"
req DELETE me "{\"password\":\"$PW\"}"
check_status 401 "rate: an exhausted client without a token gets the 401"
start_server

# --- success ------------------------------------------------------------------------

# Tokens of every kind naming the id: this login's, another device's, a
# pair from a refresh, and one signed by hand for it.
login janedoe "$PW"
la=$access lr=$refresh
refresh_with "$jr"
fa=$(printf '%s' "$body" | jq -r .access)
ha=$(token_for "$jid") hr=$(token_for "$jid" refresh)
del_pw "$ja" "$PW"
check_answer 200 "$DELETED" "delete: the right password is 200 {\"message\": \"Account deleted successfully.\"}"
check_header Content-Type application/json "delete: the 200 has Content-Type: application/json"
check_header Cache-Control no-store "delete: the 200 has Cache-Control: no-store"
check "delete: the row is gone" test "$(rows "$jid")" = 0
for t in ja la fa ha; do
	authed GET me - "${!t}"
	me_refused "delete: an access token naming the id ($t) answers me 401"
done
for t in jr lr hr; do
	refresh_with "${!t}"
	refresh_refused "delete: a refresh token naming the id ($t) answers refresh 401"
	logout_with "${!t}"
	check_error 401 "$REFRESH_401" "delete: ...and logout 401"
done
del_pw "$ja" "$PW"
me_refused "delete: deleting again with the same token is 401"
authed PATCH me/email '{"email":"x@example.com"}' "$la"
me_refused "delete: PATCH me/email with a token naming the id is 401"
authed PUT me/password "{\"current_password\":\"$PW\",\"new_password\":\"n3w!Passphrase\",\"new_password_confirm\":\"n3w!Passphrase\"}" "$la"
me_refused "delete: PUT me/password with a token naming the id is 401"
login janedoe "$PW"
check_401 "delete: login by username"
login jane@example.com "$PW"
check_401 "delete: login by email"

# The id is never given again; the names are free again.
register janedoe jane@example.com "$PW"
check_status 201 "delete: the username and email are free again (register 201)"
nid=$(claim "$access" .user_id)
check "delete: the next registration gets a new id ($nid), not the deleted one ($jid)" \
    test -n "$nid" -a "$nid" != "$jid"
check "delete: ...a higher one" test "${nid:-0}" -gt "$jid"
for t in la ha; do
	authed GET me - "${!t}"
	me_refused "delete: the deleted id's token ($t) still answers 401 after the names were taken again"
done
# Even the highest id: deleted, it is not handed out again.
na=$access
del_pw "$na" "$PW"
check_answer 200 "$DELETED" "delete: setup: the newest account (id $nid) deleted"
register janedoe jane@example.com "$PW"
check "delete: the highest id, deleted, is not given again ($(claim "$access" .user_id) > $nid)" \
    test "$(claim "$access" .user_id)" -gt "$nid"
{
	echo 'id,password,last_login,is_superuser,username,last_name,email,is_staff,is_active,date_joined,first_name'
	echo "$jid,!abcdefghijklmnopqrstuvwxyz0123456789ABCD,,0,reborn,\"\",reborn@example.com,0,1,\"2024-01-01 00:00:00\",\"\""
} >"$T/reborn.csv"
ctl import-django "$T/reborn.csv"
check "delete: authctl import-django refuses a row with a deleted id ($(printf '%s' "$ctl_err" | tail -n 1 | cut -c1-100))" \
    test "$ctl_rc" != 0 -a "$(rows "$jid")" = 0

# --- an account without a usable password: confirm_text -----------------------------

import_social 42 socialsam sam@example.com
ctl_done "delete: setup: import-django brings an account without a usable password"
sa=$(token_for 42)
for v in '{}' null '{"confirm_text":null}' '{"confirm_text":""}' '{"confirm_text":"delete"}' \
    '{"confirm_text":"Delete"}' '{"confirm_text":"DELETE!"}' '{"confirm_text":"DEL ETE"}' \
    '{"confirm_text":"YES"}' '{"password":"anything"}' "{\"password\":\"$PW\"}" \
    '{"confirm_text":"\u0044ELETEx"}'; do
	del "$sa" "$v"
	check_error 400 "$CONFIRM" "delete: without a usable password, $v is 400 \"$CONFIRM\""
done
check "delete: the social account is still there after the refusals" test "$(rows 42)" = 1
del "$sa" '{"confirm_text":"DELETE DELETE"}'
check_422 "[$(too_long confirm_text 10)]" "delete: without a usable password, a confirm_text over 10 characters is 422"
del "$sa" '{"confirm_text":"DELETE"}'
check_answer 200 "$DELETED" "delete: without a usable password, confirm_text \"DELETE\" deletes the account (200)"
check "delete: the social account's row is gone" test "$(rows 42)" = 0
authed GET me - "$sa"
me_refused "delete: the social account's token answers 401"
import_social 43 socialtom tom@example.com
del "$(token_for 43)" '{"confirm_text":" DELETE "}'
check_answer 200 "$DELETED" "delete: confirm_text \" DELETE \" is compared after stripping (200)"
import_social 44 socialuma uma@example.com
del "$(token_for 44)" '{"confirm_text":"\u3000DELETE\u00a0\n"}'
check_answer 200 "$DELETED" "delete: ...Unicode whitespace (IDEOGRAPHIC SPACE, NBSP) is stripped as Python's str.strip() does (200)"
import_social 45 socialvic vic@example.com
del "$(token_for 45)" '{"password":"wrong","confirm_text":"DELETE"}'
check_answer 200 "$DELETED" "delete: without a usable password, a password sent along is ignored (200)"
check "delete: the three social accounts are gone" test "$(db_sql 'SELECT count(*) FROM users WHERE id IN (43, 44, 45)')" = 0
# A registered account whose hash became unusable.
register ursula ursula@example.com "$PW"
ua=$access uid=$(claim "$ua" .user_id)
make_unusable "$uid"
del_pw "$ua" "$PW"
check_error 400 "$CONFIRM" "delete: once the hash is unusable, the old password is no way to delete (400 \"$CONFIRM\")"
del "$ua" '{"confirm_text":"DELETE"}'
check_answer 200 "$DELETED" "delete: ...confirm_text \"DELETE\" is (200)"

# --- a delete racing refreshes with the user's refresh token -------------------------

# race_delete N [VAR=value...]: a fresh account; N clients refresh with its
# refresh token while one more deletes it, all let go at once.  Then every
# refresh answer must be 200 or 401, and no token a 200 handed out may work
# once the delete has finished.
race_delete() {
	local n=$1 name=racer$RANDOM i a r bad='' live='' st n200=0 n401=0
	shift
	start_server "$@"
	register "$name" "$name@example.com" "$PW"
	a=$access r=$refresh
	R=$T/race-$name
	mkdir -p "$R"
	for i in $(seq "$n"); do
		printf '{"refresh":"%s"}' "$r" >"$R/req.$i"
	done
	race_mixed "$R" "$n" "$a"
	for i in $(seq "$n"); do
		st=$(cat "$R/status.$i")
		case $st in
		200)	n200=$((n200 + 1)) ;;
		401)	n401=$((n401 + 1))
			[ "$(jq -cS . "$R/body.$i" 2>&1)" = "$(jq -cnS --arg m "$REFRESH_401" '{message: $m, details: null}')" ] ||
			    bad="$bad [$i: $(cat "$R/body.$i")]" ;;
		*)	bad="$bad [$i: $st $(cat "$R/body.$i")]" ;;
		esac
	done
	echo "# delete race ($n refreshes${*:+, $*}): delete $(cat "$R/del.status"), refreshes: $(race_tally "$R")"
	check "delete race ($n${*:+, $*}): the delete is 200" \
	    test "$(cat "$R/del.status") $(jq -cS . "$R/del.body" 2>&1)" = "200 $(jq -cS . <<<"$DELETED")"
	check "delete race ($n${*:+, $*}): every refresh is 200 or 401 \"$REFRESH_401\", never a 5xx ($n200 200s, $n401 401s)" \
	    test -z "$bad"
	[ -z "$bad" ] || echo "# $bad"
	for i in $(seq "$n"); do
		[ "$(cat "$R/status.$i")" = 200 ] || continue
		authed GET me - "$(jq -r .access "$R/body.$i")"
		me_refusal || live="$live [$i: me $status]"
		r=$(jq -r '.refresh // empty' "$R/body.$i")
		if [ -n "$r" ]; then
			refresh_with "$r"
			[ "$status" = 401 ] || live="$live [$i: refresh $status]"
		fi
	done
	check "delete race ($n${*:+, $*}): no token a 200 handed out works after the delete (me and refresh: 401)" \
	    test -z "$live"
	check "delete race ($n${*:+, $*}): the row is gone" \
	    test "$(db_sql "SELECT count(*) FROM users WHERE username = '$name'")" = 0
}
# race_mixed DIR N ACCESS: as race (lib.sh), N refreshes and one DELETE me
# with ACCESS let go together; the delete's answer in DIR/del.status.
race_mixed() {
	local dir=$1 n=$2 i gate
	local -a pids=()
	exec {gate}>"$dir/gate"
	flock -x "$gate"
	for i in $(seq "$n"); do
		( exec {gate}>&-
		  flock -s "$dir/gate" true
		  curl -s -X POST -o "$dir/body.$i" -w '%{http_code}' \
		      --data-binary "@$dir/req.$i" -H 'Content-Type: application/json' \
		      "http://127.0.0.1:$PORT$(path refresh)" >"$dir/status.$i" ) &
		pids+=($!)
		# The delete in the middle of the pack.
		[ "$i" = $((n / 2)) ] || continue
		( exec {gate}>&-
		  flock -s "$dir/gate" true
		  curl -s -X DELETE -o "$dir/del.body" -w '%{http_code}' \
		      --data-binary "{\"password\":\"$PW\"}" -H 'Content-Type: application/json' \
		      -H "Authorization: Bearer $3" \
		      "http://127.0.0.1:$PORT$(path me)" >"$dir/del.status" ) &
		pids+=($!)
	done
	sleep 0.3
	flock -u "$gate"
	exec {gate}>&-
	wait "${pids[@]}"
}
race_delete 16
race_delete 48
race_delete 32 AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=30

finish

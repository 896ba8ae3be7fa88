#!/usr/bin/env bash
# POST login: the schema, look-up by username or email, the single 401,
# Django-made hashes, re-hashing, last_login and the cost of a login.
. "$(dirname "$0")/lib.sh"
start_server

GOOD='s3cure!Pass'

# check_200_as USER_ID "desc": a 200 {access, refresh} whose access token
# opens me as that user.
check_200_as() {
	local id
	check_status 200 "$2: 200"
	check_json 'keys | join(",")' 'access,refresh' "$2: the body is {access, refresh}"
	req GET me - -H "Authorization: Bearer $access"
	id=$(printf '%s' "$body" | jq -r .id 2>/dev/null)
	check "$2: the access token is the user's" test "$status $id" = "200 $1"
}

# uid USERNAME_KEY: the id of that user in the database.
uid() {
	db_sql "SELECT id FROM users WHERE username_key = '$1'"
}

# add_user USERNAME EMAIL HASH: insert an account as Django would have made
# it (the keys lowercased: ASCII only here).
add_user() {
	db_sql "INSERT INTO users (username, username_key, email, email_key,
	    password, is_active, date_joined, last_login)
	    VALUES ('$1', lower('$1'), '$2', lower('$2'), '$3', 1,
	    $EPOCHSECONDS, NULL)"
}

register janedoe jane@example.com "$GOOD"
check_status 201 "login: setup: janedoe registers"
JANE=$(uid janedoe)

## Schema: username 1-254, password 1-128.

login "" ""
check_422 "[$(too_short username 1),$(too_short password 1)]" \
    "login: empty username and password: 'String should have at least 1 character' (singular), in field order"

login "" "$GOOD"
check_422 "[$(too_short username 1)]" "login: an empty username is too short (min 1)"

login janedoe ""
check_422 "[$(too_short password 1)]" "login: an empty password is too short (min 1)"

login "$(rep a 255)" "$GOOD"
check_422 "[$(too_long username 254)]" "login: a 255-character username is too long (max 254)"

login janedoe "$(rep x 129)"
check_422 "[$(too_long password 128)]" "login: a 129-character password is too long (max 128)"

login "$(rep ü 255)" "$(rep é 129)"
check_422 "[$(too_long username 254),$(too_long password 128)]" \
    "login: 255 and 129 two-byte characters are too long (code points, not bytes)"

login "$(rep ü 254)" "$(rep é 128)"
check_401 "login: 254 and 128 two-byte characters pass the schema (code points, not bytes)"

req POST login '{"password":"x"}'
check_422 '[{"type":"missing","loc":["body","payload","username"],"msg":"Field required"}]' \
    "login: a missing username is 'Field required' / missing"

req POST login '{"username":"janedoe","password":12345678}'
check_422 '[{"type":"string_type","loc":["body","payload","password"],"msg":"Input should be a valid string"}]' \
    "login: a non-string password is 'Input should be a valid string' / string_type"

req POST login 'null'
check_422 '[{"type":"missing","loc":["body","payload","username"],"msg":"Field required"},{"type":"missing","loc":["body","payload","password"],"msg":"Field required"}]' \
    "login: a JSON value that is not an object reports every field missing"

## Look-up: by username (case-insensitive, stripped), by email when it has @.

login janedoe "$GOOD"
check_200_as "$JANE" "login: by username"
check_header Cache-Control no-store "login: 200 carries Cache-Control: no-store"
login janedoe "$GOOD"
check_header Content-Type application/json "login: 200 carries Content-Type: application/json"
check_header X-Content-Type-Options nosniff "login: 200 carries X-Content-Type-Options: nosniff"
claims=$(printf '%s' "$access" | cut -d. -f2 | tr '_-' '/+')
while [ $((${#claims} % 4)) -ne 0 ]; do claims="$claims="; done
claims=$(printf '%s' "$claims" | base64 -d 2>/dev/null)
check "login: the access token is an access token for the user" \
    test "$(printf '%s' "$claims" | jq -c '[.token_type, .user_id, .exp - .iat]')" = "[\"access\",$JANE,300]"
claims=$(printf '%s' "$refresh" | cut -d. -f2 | tr '_-' '/+')
while [ $((${#claims} % 4)) -ne 0 ]; do claims="$claims="; done
claims=$(printf '%s' "$claims" | base64 -d 2>/dev/null)
check "login: the refresh token is a refresh token for the user" \
    test "$(printf '%s' "$claims" | jq -c '[.token_type, .user_id, .exp - .iat]')" = "[\"refresh\",$JANE,86400]"
req POST refresh "{\"refresh\":\"$refresh\"}"
check_status 200 "login: the refresh token it gives is accepted by refresh"

login JANEDOE "$GOOD"
check_200_as "$JANE" "login: by username, case-insensitively (JANEDOE)"

login JaneDoe "$GOOD"
check_200_as "$JANE" "login: by username, case-insensitively (JaneDoe)"

login "  janedoe	" "$GOOD"
check_200_as "$JANE" "login: the username is stripped (spaces, tab)"

req POST login '{"username":"\u00a0\u3000 JaneDoe\u2003\n","password":"s3cure!Pass"}'
tokens
check_200_as "$JANE" "login: the username is stripped of Unicode whitespace (NBSP, IDEOGRAPHIC SPACE, EM SPACE)"

login jane@example.com "$GOOD"
check_200_as "$JANE" "login: by email (contains @)"

login Jane@EXAMPLE.com "$GOOD"
check_200_as "$JANE" "login: by email, case-insensitively"

login "  JANE@example.COM " "$GOOD"
check_200_as "$JANE" "login: by email, stripped and case-insensitive"

register leser leser@bücher.de "$GOOD"
check_status 201 "login: setup: leser@bücher.de registers"
login LESER@BÜCHER.DE "$GOOD"
check_200_as "$(uid leser)" "login: by email, case-insensitively beyond ASCII (BÜCHER)"

# A username containing @ is looked up as an email, never as a username.
register "jo@home" jo@example.com "$GOOD"
check_status 201 "login: setup: the username 'jo@home' registers"
JO=$(uid jo@home)
login "jo@home" "$GOOD"
check_401 "login: 'jo@home' contains @, so it is looked up as an email (none)"
login jo@example.com "$GOOD"
check_200_as "$JO" "login: jo@home logs in with the email"

# And a username without @ is never looked up as an email.
register mailname other@example.com "$GOOD"
check_status 201 "login: setup: mailname registers"
login other "$GOOD"
check_401 "login: a username without @ is not matched against email local parts"

## One 401 for every failure.

login janedoe wrong-password
check_401 "login: wrong password"
wrong=$body

login nosuchuser "$GOOD"
check_401 "login: unknown username"
unknown=$body

login nosuch@example.com "$GOOD"
check_401 "login: unknown email"
unknownmail=$body

register sleeper sleeper@example.com "$GOOD"
check_status 201 "login: setup: sleeper registers"
login sleeper "$GOOD"
check_status 200 "login: sleeper logs in while active"
db_sql "UPDATE users SET is_active = 0 WHERE username_key = 'sleeper'"
login sleeper "$GOOD"
check_401 "login: inactive account with the right password"
inactive=$body
login sleeper@example.com "$GOOD"
check_401 "login: inactive account by email with the right password"

check "login: wrong password, unknown user and inactive account give byte-identical bodies" \
    test "$wrong" = "$unknown" -a "$wrong" = "$unknownmail" -a "$wrong" = "$inactive"
login janedoe wrong-password
check_header Cache-Control no-store "login: 401 carries Cache-Control: no-store"
check_header Content-Type application/json "login: 401 carries Content-Type: application/json"

login janedoe "s3cure!pass"
check_401 "login: the password is case-sensitive"
login janedoe " $GOOD "
check_401 "login: the password is not stripped"

## last_login is recorded on success only.

register lastlog lastlog@example.com "$GOOD"
check_status 201 "login: setup: lastlog registers"
check "login: last_login is NULL before any login" \
    test "$(db_sql "SELECT CAST(last_login IS NULL AS INTEGER) FROM users WHERE username_key = 'lastlog'")" = 1
login lastlog wrong-password
check_status 401 "login: lastlog with a wrong password is 401"
check "login: a failed login does not record last_login" \
    test "$(db_sql "SELECT CAST(last_login IS NULL AS INTEGER) FROM users WHERE username_key = 'lastlog'")" = 1
t0=$(date +%s)
login lastlog "$GOOD"
t1=$(date +%s)
check_status 200 "login: lastlog logs in"
ll=$(db_sql "SELECT last_login FROM users WHERE username_key = 'lastlog'")
check "login: success records last_login (Unix seconds, now)" \
    eval '[ -n "$ll" ] && [ "$ll" -ge "$t0" ] && [ "$ll" -le "$t1" ]'

## Django-made hashes log in (configured cost here: 1000), and are then
## re-hashed at the configured cost (SPEC: a count that differs in either
## direction; Django's must_update).

n=0
while IFS=$'\t' read -r pw enc; do
	n=$((n + 1))
	iter=$(printf '%s' "$enc" | cut -d'$' -f2)
	add_user "django$n" "django$n@example.com" "$enc"
	check "login: setup: Django user $n (last_login NULL) inserted" \
	    test "$(db_sql "SELECT CAST(last_login IS NULL AS INTEGER) FROM users WHERE username_key = 'django$n'")" = 1
	login "django$n" "${pw}x"
	check_401 "login: a Django-made hash ($iter iterations) refuses a wrong password"
	check "login: a refused login leaves Django user $n's hash as it was" \
	    test "$(db_sql "SELECT password FROM users WHERE username_key = 'django$n'")" = "$enc"
	login "django$n" "$pw"
	check_200_as "$(uid "django$n")" "login: a Django-made hash ($iter iterations) logs in"
	dh=$(db_sql "SELECT password FROM users WHERE username_key = 'django$n'")
	check "login: a hash of $iter iterations is re-hashed at the configured 1000" \
	    eval 'case "$dh" in "pbkdf2_sha256\$1000\$"*) true ;; *) false ;; esac'
	check "login: last_login is recorded for Django user $n" \
	    test "$(db_sql "SELECT CAST(last_login IS NOT NULL AS INTEGER) FROM users WHERE username_key = 'django$n'")" = 1
	login "django$n" "$pw"
	check_200_as "$(uid "django$n")" "login: Django user $n logs in again with the re-hashed password"
done < <(jq -r '.django_hashes[] | [.password, .encoded] | @tsv' "$TOP/tests/vectors.json")
check "login: every Django vector was tried" test "$n" = 4

## Every byte of the stored key counts: a Django hash whose 32-byte key
## differs in one byte only (the 9th, the last) refuses even the password
## it was made from.

# flip_key_byte HASH N: HASH with the lowest bit of byte N (0-31) of its key
# flipped, base64-encoded again as Django stores it.
flip_key_byte() {
	local -a b
	read -r -a b <<<"$(printf '%s' "${1##*\$}" | base64 -d |
	    od -An -v -tx1 | tr '\n' ' ')"
	if [ "${#b[@]}" != 32 ]; then
		echo "flip_key_byte: no 32-byte key in $1" >&2
		return 1
	fi
	b[$2]=$(printf '%02x' $((0x${b[$2]} ^ 1)))
	printf '%s$' "${1%\$*}"
	# shellcheck disable=SC2059 # the format is only \xNN escapes
	printf "$(printf '\\x%s' "${b[@]}")" | base64 -w0
}

IFS=$'\t' read -r vpw venc <<<"$(jq -r '.django_hashes[1] |
    [.password, .encoded] | @tsv' "$TOP/tests/vectors.json")"
for byte in 8 31; do
	flipped=$(flip_key_byte "$venc" "$byte")
	check "login: setup: a copy of Django vector 2 whose key differs in byte $((byte + 1)) of 32 only" \
	    test "${flipped%\$*}" = "${venc%\$*}" -a "${#flipped}" = "${#venc}" \
	    -a "$flipped" != "$venc"
	add_user "flip$byte" "flip$byte@example.com" "$flipped"
	login "flip$byte" "$vpw"
	check_401 "login: a stored key wrong in byte $((byte + 1)) of 32 refuses the vector's own password"
done

## Re-hash on login when the stored hash is cheaper than configured.

register rehash1 rehash1@example.com "$GOOD"
register rehash2 rehash2@example.com "$GOOD"
h1=$(db_sql "SELECT password FROM users WHERE username_key = 'rehash1'")
h2=$(db_sql "SELECT password FROM users WHERE username_key = 'rehash2'")
check "login: setup: hashes made at AUTH_PBKDF2_ITERATIONS=1000" \
    eval 'case "$h1 $h2" in "pbkdf2_sha256\$1000\$"*" pbkdf2_sha256\$1000\$"*) true ;; *) false ;; esac'

start_server AUTH_PBKDF2_ITERATIONS=2000
login rehash1 "$GOOD"
check_200_as "$(uid rehash1)" "login: a 1000-iteration hash logs in with 2000 configured"
nh1=$(db_sql "SELECT password FROM users WHERE username_key = 'rehash1'")
check "login: the stored hash is re-hashed to pbkdf2_sha256\$2000\$" \
    eval 'case "$nh1" in "pbkdf2_sha256\$2000\$"*) true ;; *) false ;; esac'
check "login: the re-hash is Django's format: 22-character salt, 44-character key" \
    eval 'printf "%s" "$nh1" | grep -Eqx "pbkdf2_sha256\\\$2000\\\$[a-zA-Z0-9]{22}\\\$[A-Za-z0-9+/]{43}="'
login rehash1 "$GOOD"
check_200_as "$(uid rehash1)" "login: the re-hashed password still logs in"
check "login: a hash already at the configured cost is not re-hashed again" \
    test "$(db_sql "SELECT password FROM users WHERE username_key = 'rehash1'")" = "$nh1"
login rehash1 wrong-password
check_401 "login: the re-hashed password refuses a wrong password"
login rehash2 wrong-password
check_401 "login: rehash2 with a wrong password"
check "login: a failed login does not re-hash" \
    test "$(db_sql "SELECT password FROM users WHERE username_key = 'rehash2'")" = "$h2"

start_server AUTH_PBKDF2_ITERATIONS=1000
login rehash1 "$GOOD"
check_200_as "$(uid rehash1)" "login: a 2000-iteration hash logs in with 1000 configured"
nh1=$(db_sql "SELECT password FROM users WHERE username_key = 'rehash1'")
check "login: a hash with more iterations than configured is re-hashed down to pbkdf2_sha256\$1000\$" \
    eval 'case "$nh1" in "pbkdf2_sha256\$1000\$"*) true ;; *) false ;; esac'
login rehash1 "$GOOD"
check_200_as "$(uid rehash1)" "login: the password re-hashed down still logs in"

## A cheap hash (AUTH_PBKDF2_ITERATIONS=500, below Django's old floor of
## 1000) checks the password like any other.

start_server AUTH_PBKDF2_ITERATIONS=500
register cheap500 cheap500@example.com "$GOOD"
check_status 201 "login: setup: cheap500 registers with AUTH_PBKDF2_ITERATIONS=500"
h500=$(db_sql "SELECT password FROM users WHERE username_key = 'cheap500'")
check "login: setup: cheap500's hash is pbkdf2_sha256\$500\$" \
    eval 'case "$h500" in "pbkdf2_sha256\$500\$"*) true ;; *) false ;; esac'
login cheap500 wrong-password
check_401 "login: a 500-iteration hash refuses a wrong password"
login cheap500 "${GOOD}x"
check_401 "login: a 500-iteration hash refuses the password with a character added"
login cheap500 "$GOOD"
check_200_as "$(uid cheap500)" "login: a 500-iteration hash logs in with the right password"

## The real default cost (600000), and the same time for unknown users.

# AUTH_PBKDF2_ITERATIONS unset for this server only: the built-in default.
unset AUTH_PBKDF2_ITERATIONS
start_server
export AUTH_PBKDF2_ITERATIONS=1000
register costly costly@example.com "$GOOD"
check_status 201 "login: setup: costly registers at the default cost"
hc=$(db_sql "SELECT password FROM users WHERE username_key = 'costly'")
check "login: the default cost of new hashes is 600000 iterations" \
    eval 'case "$hc" in "pbkdf2_sha256\$600000\$"*) true ;; *) false ;; esac'
login costly "$GOOD"
check_200_as "$(uid costly)" "login: a login at the default cost"
check "login: a 600000-iteration hash is not re-hashed at the default cost" \
    test "$(db_sql "SELECT password FROM users WHERE username_key = 'costly'")" = "$hc"

# ctime USER: seconds (as an integer count of milliseconds) of one failed login.
ctime() {
	jq -cn --arg u "$1" '{username: $u, password: "wrong-password"}' >"$T/timing"
	curl -s -o /dev/null -w '%{time_total}' --data-binary "@$T/timing" \
	    "http://127.0.0.1:$PORT$(path login)" | awk '{ printf "%d", $1 * 1000 }'
}
known=0 unknown=0 cheap=0
for i in 1 2 3; do
	cheap=$((cheap + $(ctime janedoe)))
	known=$((known + $(ctime costly)))
	unknown=$((unknown + $(ctime "ghost$i")))
	unknown=$((unknown + $(ctime "ghost$i@example.com")))
done
unknown=$((unknown / 2))
status="known ${known}ms" body="unknown ${unknown}ms, 1000-iteration hash ${cheap}ms (3 tries each)"
check "login: an unknown user takes the same time as a wrong password (one PBKDF2 of the configured cost)" \
    test $((unknown * 2)) -ge "$known" -a $((known * 2)) -ge "$unknown"
# A hash cheaper than the configured cost (janedoe's 1000 iterations, as an
# import or an older setting leaves them) is topped up to it on a refusal,
# so a wrong password does not tell that the account exists.
check "login: a wrong password against a 1000-iteration hash takes as long as an unknown user (topped up to 600000)" \
    test $((cheap * 2)) -ge "$unknown" -a $((unknown * 2)) -ge "$cheap"

# --- an email with U+0130 (İ) is stored and found as Python lowers it ----------

register turk1 'leser@İzmir.com.tr' 's3cure!Pass'
check_status 201 "register: an email with a dotted capital I is accepted"
req POST login '{"username":"LESER@İZMIR.COM.TR","password":"s3cure!Pass"}'
check_status 200 "login: the same email in capitals finds the account (Python's lower())"
req POST login '{"username":"leser@izmir.com.tr","password":"s3cure!Pass"}'
check_status 401 "login: a plain i is another address than İ lowered"

finish

#!/usr/bin/env bash
# SPEC "Reading the request body" and "Every response", against the three
# POST endpoints: size cap, parse errors, the 422 lists, methods, headers.
. "$(dirname "$0")/lib.sh"
start_server

# --- helpers of this file -------------------------------------------------

# same_json EXPECTED: $body equals the JSON literal EXPECTED (keys sorted).
same_json() {
	local want got
	want=$(printf '%s' "$1" | jq -cS . 2>&1) || return 1
	got=$(printf '%s' "$body" | jq -cS . 2>&1) || return 1
	[ "$got" = "$want" ] || { echo "    want $want" >&2; echo "    got  $got" >&2; return 1; }
}

# check_body "desc" CODE EXPECTED-JSON: status and the exact body.
check_body() {
	check_status "$2" "$1 (status $2)"
	check "$1 (body)" same_json "$3"
}

# check_every "what": the headers SPEC "Every response" puts on each answer.
check_every() {
	check_header Content-Type application/json \
	    "every response: $1 has Content-Type: application/json"
	check_header Cache-Control no-store \
	    "every response: $1 has Cache-Control: no-store"
	check_header X-Content-Type-Options nosniff \
	    "every response: $1 has X-Content-Type-Options: nosniff"
}

# cgi_file NAME FILE [VAR=value ...]: run cgi-bin/NAME on FILE's bytes as a
# POST, CONTENT_LENGTH = FILE's size in bytes, and without REMOTE_ADDR
# unless given.  Parses the output like cgi_run.
cgi_file() {
	local name=$1 file=$2
	shift 2
	env -u REMOTE_ADDR REQUEST_METHOD=POST \
	    CONTENT_LENGTH="$(stat -c %s "$file")" "$@" "$BIN/$name" \
	    <"$file" >"$T/cgiout" 2>>"$T/cgi.log"
	hdrs=$(sed -n '1,/^\r\{0,1\}$/p' "$T/cgiout" | tr -d '\r')
	body=$(sed '1,/^\r\{0,1\}$/d' "$T/cgiout")
	status=$(printf '%s\n' "$hdrs" | sed -n 's/^Status: \([0-9]*\).*/\1/p')
	api_cgi_record "$name" REQUEST_METHOD=POST "$@"
}

n=0
# fresh_names: a new unused username in $u and email in $e.
fresh_names() {
	n=$((n + 1))
	u="reader$n$$"
	e="reader$n.$$@example.com"
}

PW='s3cure!Pass'
BADPARSE='{"message":"Cannot parse request body","details":null}'
TOOBIG='{"message":"Request body too large.","details":null}'
NOMETHOD='{"message":"Method not allowed.","details":null}'

# v422 ENTRY...: the whole 422 body listing the entries in order.
v422() {
	local IFS=,
	printf '{"message":"Validation error.","details":{"errors":[%s]}}' "$*"
}
missing() { err missing "$1" "Field required"; }
notstr() { err string_type "$1" "Input should be a valid string"; }
hasnul() { err string_nul "$1" "String should not contain NUL characters"; }

# A user and its tokens, for bodies that must be valid everywhere.
fresh_names
register "$u" "$e" "$PW"
check_status 201 "register: a new user gets 201"
check_every "a 201"
USER=$u
REFRESH=$refresh
# valid ENDPOINT: sets $V to a body that passes the schema (and succeeds)
# there; for register, with a fresh user.
valid() {
	case $1 in
	register) fresh_names; V=$(printf '{"username":"%s","email":"%s","password":"%s"}' "$u" "$e" "$PW") ;;
	login) V=$(printf '{"username":"%s","password":"%s"}' "$USER" "$PW") ;;
	refresh) V=$(printf '{"refresh":"%s"}' "$REFRESH") ;;
	esac
}
ok_status() {
	case $1 in register) echo 201 ;; *) echo 200 ;; esac
}
# fields ENDPOINT: the endpoint's fields in order.
fields() {
	case $1 in
	register) echo username email password ;;
	login) echo username password ;;
	refresh) echo refresh ;;
	esac
}

# --- 1. the 64 KiB cap ----------------------------------------------------

head -c 65537 /dev/zero | tr '\0' ' ' >"$T/big"
for ep in register login refresh; do
	req POST "$ep" "@$T/big"
	check_body "$ep: a body larger than 64 KiB (65537 bytes) is 413" 413 "$TOOBIG"
	check_every "a 413 from $ep"
done

# 2 MiB, more than Apache lets through (httpd.conf.example's
# LimitRequestBody, inside the part a user copies): a 413 from every server,
# never a reset connection.  Apache answers with its own page.
head -c 2097152 /dev/zero | tr '\0' ' ' >"$T/huge"
for ep in register login; do
	# Apache's own 413 page is no answer of the API (openapi.json).
	OPENAPI_SKIP="Apache's own 413 page (LimitRequestBody)" \
	    req POST "$ep" "@$T/huge"
	if [ "${SERVER%-deb}" = apache ]; then
		check_status 413 "$ep: a 2 MiB body is 413 (from Apache)"
	else
		check_body "$ep: a 2 MiB body is 413" 413 "$TOOBIG"
	fi
done

# Exactly 65536 bytes of valid JSON: padded with an ignored field.
for ep in register login refresh; do
	valid "$ep"
	pad=$((65536 - ${#V} - 9))	# V less its "}", plus ,"pad":"…"}
	printf '%s,"pad":"%s"}' "${V%\}}" "$(head -c "$pad" /dev/zero | tr '\0' a)" >"$T/max"
	check "$ep: the 65536-byte test body is exactly 64 KiB" \
	    test "$(stat -c %s "$T/max")" = 65536
	req POST "$ep" "@$T/max"
	check_status "$(ok_status "$ep")" "$ep: a body of exactly 64 KiB is read, not 413"
done

cgi_run POST register '{"username":"x"}' CONTENT_LENGTH=10000000
check_body "register: a CONTENT_LENGTH of 10000000 is 413" 413 "$TOOBIG"
check_every "a 413 from cgi_run"
cgi_run POST login "$(cat "$T/big")"
check_body "login: 65537 bytes by CONTENT_LENGTH and by what arrives is 413" 413 "$TOOBIG"

# "without reading it all": the client sends a few bytes and then nothing
# for 6 s; the 413 must not wait for the rest.
mkfifo "$T/fifo"
( printf '{"username":'; exec sleep 6 ) >"$T/fifo" &
writer=$!
env REQUEST_METHOD=POST CONTENT_LENGTH=10000000 REMOTE_ADDR=127.0.0.1 \
    "$BIN/refresh" <"$T/fifo" >"$T/cgiout" 2>>"$T/cgi.log" &
cgi=$!
for _ in $(seq 30); do
	kill -0 "$cgi" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$cgi" 2>/dev/null; then
	answered=no
	kill "$cgi" 2>/dev/null
else
	answered=yes
fi
wait "$cgi" 2>/dev/null
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
check "refresh: a 10000000 CONTENT_LENGTH is answered before the client sends the body" \
    test "$answered" = yes
check "refresh: ...and that answer is 413" grep -q '^Status: 413' "$T/cgiout"

# --- 2. lying CONTENT_LENGTH ------------------------------------------------

for ep in register login refresh; do
	valid "$ep"
	cgi_run POST "$ep" "$V" CONTENT_LENGTH=5000
	check_body "$ep: a CONTENT_LENGTH larger than the body is 400" 400 "$BADPARSE"
	valid "$ep"
	cgi_run POST "$ep" "$V" CONTENT_LENGTH=abc
	check_body "$ep: CONTENT_LENGTH=abc is 400" 400 "$BADPARSE"
	valid "$ep"
	cgi_run POST "$ep" "$V" CONTENT_LENGTH=-5
	check_body "$ep: CONTENT_LENGTH=-5 is 400" 400 "$BADPARSE"
done
valid login
cgi_run POST login "$V"
check_status 200 "login: an honest CONTENT_LENGTH through cgi_run is read (200)"

# --- 3. not JSON, not UTF-8 -------------------------------------------------

for bad in '{' '{"username":}' "{'username':'x'}" '{"username":"x",}' \
    '{"username":"x"} x' '{"username":"x"}{}' 'username=x' '{"username":"x' \
    '{username:"x"}' '[1,2' '"unterminated' \
    '{"username":"x\uZZZZjunk"}' '{"username":"x\u00zz"}' '{"username":"a\qb"}' \
    '{"username":01}' '{"username":1.}' '{"username":-01.e5}'; do
	for ep in register login refresh; do
		req POST "$ep" "$bad"
		check_body "$ep: invalid JSON $bad is 400 \"Cannot parse request body\"" 400 "$BADPARSE"
	done
done
check_every "a 400"

# Invalid UTF-8 inside a string.
for bytes in '\xff' '\xc3\x28' '\xc0\xaf' '\xed\xa0\x80' '\xf8\x88\x80\x80\x80' \
    '\xe2\x82' '\xf4\x90\x80\x80'; do
	for ep in register login refresh; do
		f=$(fields "$ep")
		f=${f%% *}
		{ printf '{"%s":"okname' "$f"; printf "$bytes"; printf 'tail","password":"x"}'; } >"$T/utf"
		req POST "$ep" "@$T/utf"
		check_body "$ep: invalid UTF-8 ($bytes) in a string is 400" 400 "$BADPARSE"
	done
done
printf '{"user\xffname":"okname","password":"x"}' >"$T/utf"
req POST login "@$T/utf"
check_body "login: invalid UTF-8 in a key is 400" 400 "$BADPARSE"

# Raw control characters inside a string (Python's json refuses them).
for c in '\t' '\n' '\r' '\x01' '\x1f'; do
	printf "{\"username\":\"ok${c}name\",\"password\":\"x\"}" >"$T/ctl"
	req POST login "@$T/ctl"
	check_body "login: a raw control character ($c) inside a JSON string is 400" 400 "$BADPARSE"
done
printf '{"refresh":"a\tb"}' >"$T/ctl"
req POST refresh "@$T/ctl"
check_body "refresh: a literal tab inside a JSON string is 400" 400 "$BADPARSE"
printf '{"username":"a\nb","email":"a@example.com","password":"x"}' >"$T/ctl"
req POST register "@$T/ctl"
check_body "register: a literal newline inside a JSON string is 400" 400 "$BADPARSE"
# ...but tabs and newlines between tokens are JSON whitespace.
printf '{\n\t"username" :\t"%s",\r\n\t"password": "%s"\n}\n' "$USER" "$PW" >"$T/ws"
req POST login "@$T/ws"
check_status 200 "login: JSON whitespace (tab, CR, LF) between tokens is accepted"

# A raw NUL byte anywhere.
printf '{"username":"ok\0name","password":"x"}' >"$T/nul"
req POST login "@$T/nul"
check_body "login: a raw NUL byte inside a string is 400" 400 "$BADPARSE"
printf '{"refresh":"%s"}\0' "$REFRESH" >"$T/nul"
req POST refresh "@$T/nul"
check_body "refresh: a raw NUL byte after the JSON value is 400" 400 "$BADPARSE"
cgi_file register "$T/nul" REMOTE_ADDR=127.0.0.1
check_body "register: a raw NUL byte (cgi_run) is 400" 400 "$BADPARSE"

# Content-Type is not checked.
for ep in register login refresh; do
	req POST "$ep" "$(fields "$ep" | sed 's/\([a-z]*\)/\1=x/g; s/ /\&/g')" \
	    -H 'Content-Type: application/x-www-form-urlencoded'
	check_body "$ep: a form-encoded body is not JSON: 400" 400 "$BADPARSE"
	valid "$ep"
	req POST "$ep" "$V" -H 'Content-Type: text/plain'
	check_status "$(ok_status "$ep")" "$ep: valid JSON sent as text/plain is read as JSON"
	valid "$ep"
	req POST "$ep" "$V" -H 'Content-Type:'
	check_status "$(ok_status "$ep")" "$ep: valid JSON without a Content-Type is read as JSON"
done

# --- 4. 422: empty, not an object, missing, wrong type ----------------------

EMPTY='{"message":"Validation error.","details":{"errors":[{"type":"missing","loc":["body","payload"],"msg":"Field required"}]}}'
: >"$T/empty"
for ep in register login refresh; do
	req POST "$ep" "@$T/empty"
	check_body "$ep: an empty body (Content-Length: 0) is one missing error at body/payload" 422 "$EMPTY"
	req POST "$ep"
	check_body "$ep: a POST without a body is one missing error at body/payload" 422 "$EMPTY"
done
check_every "a 422"
cgi_run POST login ''
check_body "login: an empty body through cgi_run is one missing error" 422 "$EMPTY"
cgi_run POST refresh '' CONTENT_LENGTH=
check_body "refresh: an empty CONTENT_LENGTH and no body is one missing error" 422 "$EMPTY"

for v in null '[]' '"x"' 1 true '[{"username":"x"}]' ' 1 '; do
	for ep in register login refresh; do
		list=()
		for f in $(fields "$ep"); do list+=("$(missing "$f")"); done
		req POST "$ep" "$v"
		check_body "$ep: the non-object $v reports every field missing" 422 "$(v422 "${list[@]}")"
	done
done
req POST register '{}'
check_body "register: {} reports username, email, password missing, in order" 422 \
    "$(v422 "$(missing username)" "$(missing email)" "$(missing password)")"
req POST login '{"password":"x"}'
check_body "login: a missing username is listed alone" 422 "$(v422 "$(missing username)")"

for wrong in 1 1.5 null '[]' '["x"]' '{}' '{"a":"b"}' true false; do
	req POST register "{\"username\":$wrong,\"email\":\"a@example.com\",\"password\":\"$PW\"}"
	check_body "register: username $wrong is string_type" 422 "$(v422 "$(notstr username)")"
	req POST register "{\"username\":\"okname\",\"email\":$wrong,\"password\":\"$PW\"}"
	check_body "register: email $wrong is string_type" 422 "$(v422 "$(notstr email)")"
	req POST login "{\"username\":\"okname\",\"password\":$wrong}"
	check_body "login: password $wrong is string_type" 422 "$(v422 "$(notstr password)")"
	req POST refresh "{\"refresh\":$wrong}"
	check_body "refresh: refresh $wrong is string_type" 422 "$(v422 "$(notstr refresh)")"
done

# --- 5. U+0000 ---------------------------------------------------------------

req POST register '{"username":"ok\u0000name","email":"a@example.com","password":"s3cure!Pass"}'
check_body "register: \\u0000 in username is string_nul on username" 422 "$(v422 "$(hasnul username)")"
req POST register '{"username":"okname","email":"a\u0000@example.com","password":"s3cure!Pass"}'
check_body "register: \\u0000 in email is string_nul on email" 422 "$(v422 "$(hasnul email)")"
req POST register '{"username":"okname","email":"a@example.com","password":"\u0000s3cure!Pass"}'
check_body "register: \\u0000 in password is string_nul on password" 422 "$(v422 "$(hasnul password)")"
req POST login "{\"username\":\"$USER\",\"password\":\"$PW\\u0000\"}"
check_body "login: \\u0000 at the end of the password is string_nul (not a login)" 422 "$(v422 "$(hasnul password)")"
req POST login "{\"username\":\"$USER\\u0000\",\"password\":\"$PW\"}"
check_body "login: \\u0000 at the end of the username is string_nul" 422 "$(v422 "$(hasnul username)")"
req POST refresh "{\"refresh\":\"$REFRESH\\u0000\"}"
check_body "refresh: \\u0000 after a valid token is string_nul" 422 "$(v422 "$(hasnul refresh)")"
req POST refresh '{"refresh":"\u0000"}'
check_body "refresh: a lone \\u0000 is string_nul" 422 "$(v422 "$(hasnul refresh)")"
req POST register '{"username":"\u0000","email":"\u0000","password":1}'
check_body "register: NUL, NUL, number are listed in field order" 422 \
    "$(v422 "$(hasnul username)" "$(hasnul email)" "$(notstr password)")"
req POST login "{\"username\":\"$USER\",\"password\":\"$PW\",\"x\\u0000\":1}"
check_status 200 "login: \\u0000 in an unknown key is ignored with the field"
req POST login "{\"username\\u0000\":\"$USER\",\"password\":\"$PW\"}"
check_body "login: the key \"username\\u0000\" is not \"username\"" 422 "$(v422 "$(missing username)")"
req POST login "{\"username\":\"$USER\",\"password\":\"a\\\\u0000bcdefg\"}"
check_body "login: an escaped backslash before u0000 is no NUL (401)" 401 \
    '{"message":"Invalid credentials.","details":null}'
check_every "a 401"

# --- 6. extra fields, duplicate keys ------------------------------------------

fresh_names
req POST register "{\"is_staff\":true,\"username\":\"$u\",\"id\":1,\"email\":\"$e\",\"password\":\"$PW\",\"extra\":{\"a\":[1,null]}}"
check_status 201 "register: unknown extra fields are ignored"
req POST login "{\"username\":1,\"username\":\"$USER\",\"password\":\"$PW\"}"
check_status 200 "login: duplicate keys, the last one wins (number then string is fine)"
req POST login "{\"username\":\"$USER\",\"username\":1,\"password\":\"$PW\"}"
check_body "login: duplicate keys, the last one wins (string then number is string_type)" 422 \
    "$(v422 "$(notstr username)")"
req POST login "{\"username\":\"$USER\",\"password\":\"wrong-password\",\"password\":\"$PW\"}"
check_status 200 "login: duplicate password keys, the last value is the one checked"
fresh_names
req POST register "{\"username\":\"ab\",\"email\":\"$e\",\"password\":\"$PW\",\"username\":\"$u\"}"
check_status 201 "register: a too-short first username is replaced by the last one"
req POST refresh "{\"refresh\":\"$REFRESH\",\"refresh\":null}"
check_body "refresh: the last duplicate (null) is the one validated" 422 "$(v422 "$(notstr refresh)")"

# --- 7. lengths: exact ctx, field order, code points ------------------------------

req POST register '{"username":"ab","email":"ab","password":"short"}'
check_body "register: too short everywhere lists three errors with ctx min_length" 422 \
    "$(v422 "$(too_short username 3)" "$(too_short email 3)" "$(too_short password 8)")"
req POST register "{\"username\":\"$(rep a 151)\",\"email\":\"$(rep b 255)\",\"password\":\"$(rep c 129)\"}"
check_body "register: too long everywhere lists three errors with ctx max_length" 422 \
    "$(v422 "$(too_long username 150)" "$(too_long email 254)" "$(too_long password 128)")"
req POST login '{"username":"","password":""}'
check_body "login: empty strings say 'at least 1 character' (singular)" 422 \
    "$(v422 "$(too_short username 1)" "$(too_short password 1)")"
req POST login "{\"username\":\"$(rep a 255)\",\"password\":\"$(rep b 129)\"}"
check_body "login: username over 254 and password over 128 characters" 422 \
    "$(v422 "$(too_long username 254)" "$(too_long password 128)")"
req POST refresh '{"refresh":"short"}'
check_body "refresh: a refresh under 20 characters is string_too_short" 422 \
    "$(v422 "$(too_short refresh 20)")"
req POST refresh "{\"refresh\":\"$(rep x 19)\"}"
check_body "refresh: 19 characters is too short" 422 "$(v422 "$(too_short refresh 20)")"
req POST refresh "{\"refresh\":\"$(rep x 20)\"}"
check_status 401 "refresh: 20 characters passes the schema (401, not 422)"
req POST register '{"password":1,"email":"a@example.com","username":"ab"}'
check_body "register: failing fields are listed in field order, not body order" 422 \
    "$(v422 "$(too_short username 3)" "$(notstr password)")"
req POST register '{"password":"short","username":null}'
check_body "register: wrong type, missing and too short are all listed" 422 \
    "$(v422 "$(notstr username)" "$(missing email)" "$(too_short password 8)")"
req POST register '{"username":"abc","email":"a@b","password":"12345678"}'
check "register: exactly the minimum lengths pass the schema (not 422)" test "$status" != 422

# Code points, not bytes.
fresh_names
req POST register "{\"username\":\"$(rep é 150)\",\"email\":\"$e\",\"password\":\"$PW\"}"
check_status 201 "register: 150 'é' (300 bytes) is not too long for a username"
req POST register "{\"username\":\"$(rep é 151)\",\"email\":\"$e\",\"password\":\"$PW\"}"
check_body "register: 151 'é' is too long" 422 "$(v422 "$(too_long username 150)")"
req POST register "{\"username\":\"$(rep $'e\xcc\x81' 76)\",\"email\":\"$e\",\"password\":\"$PW\"}"
check_body "register: the length is of the raw value: 76 e+U+0301 are 152 code points" 422 \
    "$(v422 "$(too_long username 150)")"
req POST register "{\"username\":\"é\",\"email\":\"$e\",\"password\":\"$PW\"}"
check_body "register: one 'é' (2 bytes) is too short" 422 "$(v422 "$(too_short username 3)")"
mb=$(rep 'żółćęśąźń€漢字ÆØÅß' 8)	# 8 x 16 = 128 code points
fresh_names
req POST register "{\"username\":\"$u\",\"email\":\"$e\",\"password\":\"$mb\"}"
check_status 201 "register: a 128-character password of multibyte characters is accepted"
req POST register "{\"username\":\"$u\",\"email\":\"$e\",\"password\":\"${mb}x\"}"
check_body "register: 129 characters of password is too long" 422 "$(v422 "$(too_long password 128)")"
req POST login "{\"username\":\"$u\",\"password\":\"$mb\"}"
check_status 200 "login: the 128-character multibyte password logs in"
req POST login "{\"username\":\"$u\",\"password\":\"$(rep '漢' 128)\"}"
check_status 401 "login: 128 three-byte characters is within the password limit (401)"
req POST login "{\"username\":\"$u\",\"password\":\"$(rep '漢' 129)\"}"
check_body "login: 129 three-byte characters is too long" 422 "$(v422 "$(too_long password 128)")"
req POST refresh "{\"refresh\":\"$(rep '😀' 5)\"}"
check_body "refresh: 5 emoji (20 bytes) are 5 characters: too short" 422 "$(v422 "$(too_short refresh 20)")"
req POST refresh "{\"refresh\":\"$(rep '😀' 20)\"}"
check_status 401 "refresh: 20 emoji are 20 characters (401, not 422)"
req POST register "{\"username\":\"okname\",\"email\":\"a@example.com\",\"password\":\"$(rep '😀' 7)\"}"
check_body "register: 7 emoji are a password too short" 422 "$(v422 "$(too_short password 8)")"
req POST register "{\"username\":\"okname\",\"email\":\"a@example.com\",\"password\":\"\\ud83d\\ude00\\ud83d\\ude00\"}"
check_body "register: an escaped surrogate pair is one character (2 < 8)" 422 "$(v422 "$(too_short password 8)")"
req POST login "{\"username\":\"$(rep '😀' 254)\",\"password\":\"x\"}"
check_status 401 "login: 254 emoji (1016 bytes) is not too long for a username (401)"
req POST login "{\"username\":\"$(rep '😀' 255)\",\"password\":\"x\"}"
check_body "login: 255 emoji is too long" 422 "$(v422 "$(too_long username 254)")"
fresh_names
req POST register "{\"username\":\" ab \",\"email\":\"$e\",\"password\":\"$PW\"}"
check "register: ' ab ' passes the 3-character minimum (length before stripping)" \
    test "$status" != 422

# --- 8. methods ---------------------------------------------------------------

for ep in register login refresh; do
	for m in GET PUT DELETE PATCH OPTIONS; do
		req "$m" "$ep"
		check_body "$ep: $m is 405" 405 "$NOMETHOD"
		check_header Allow POST "$ep: the 405 to $m says Allow: POST"
	done
	check_every "a 405 from $ep"
	req HEAD "$ep"
	check_status 405 "$ep: HEAD is 405"
	check_header Allow POST "$ep: the 405 to HEAD says Allow: POST"
	check_every "a 405 to HEAD on $ep"
	valid "$ep"
	# lighttpd's own 400 page is no answer of the API (openapi.json).
	OPENAPI_SKIP="lighttpd refuses a GET with a body itself" \
	    req GET "$ep" - --data-binary "$V" -H 'Content-Type: application/json'
	if [ "${SERVER%-fastcgi}" = lighttpd ]; then
		# lighttpd refuses a GET with a body itself, before any CGI.
		check_status 400 "$ep: GET with a body is refused (by lighttpd, 400)"
	else
		check_body "$ep: GET with a valid JSON body is still 405" 405 "$NOMETHOD"
	fi
done
for m in post POS POSTX ''; do
	valid login
	cgi_run "$m" login "$V"
	check_body "login: method '$m' (cgi_run) is 405" 405 "$NOMETHOD"
	check_header Allow POST "login: the 405 to '$m' says Allow: POST"
done

# --- 9. no REMOTE_ADDR -------------------------------------------------------

fresh_names
printf '{"username":"%s","email":"%s","password":"%s"}' "$u" "$e" "$PW" >"$T/ok"
cgi_file register "$T/ok"
check_status 201 "register: without REMOTE_ADDR the request is still answered (201)"
check_every "a cgi_run 201"
printf '{"username":"%s","password":"%s"}' "$u" "$PW" >"$T/ok"
cgi_file login "$T/ok"
check_status 200 "login: without REMOTE_ADDR the request is still answered (200)"
printf '{"refresh":"%s"}' "$REFRESH" >"$T/ok"
cgi_file refresh "$T/ok"
check_status 200 "refresh: without REMOTE_ADDR the request is still answered (200)"
cgi_file refresh "$T/ok" REMOTE_ADDR=
check_status 200 "refresh: an empty REMOTE_ADDR is still answered (200)"
printf '{"username":"%s","password":"nope-nope"}' "$u" >"$T/ok"
cgi_file login "$T/ok"
check_body "login: without REMOTE_ADDR a wrong password is still 401" 401 \
    '{"message":"Invalid credentials.","details":null}'

# --- method names are matched whole, not as a piece of the Allow list -------

cgi_run "GET, HEAD" me
check_status 405 "me: a method \"GET, HEAD\" is not GET (405)"
cgi_run "POST, GET" register '{}'
check_status 405 "register: a method \"POST, GET\" is not POST (405)"

finish

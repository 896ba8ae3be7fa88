#!/usr/bin/env bash
# The four endpoints end to end: register, login, refresh, me.
. "$(dirname "$0")/lib.sh"
start_server

register janedoe jane@example.com 's3cure!Pass'
check_status 201 "register: a new user gets 201"
check "register: the body holds an access and a refresh token" \
    test -n "$access" -a -n "$refresh"

req POST login '{"username":"janedoe","password":"s3cure!Pass"}'
check_status 200 "login: right password is 200"

req POST refresh "{\"refresh\":\"$refresh\"}"
check_status 200 "refresh: a valid refresh token is 200"

req GET me - -H "Authorization: Bearer $access"
check_status 200 "me: a valid access token is 200"
check_json .username janedoe "me: names the user"

# Settings reach the endpoints byte for byte, whatever the server's config
# language would make of them: a key with a backslash, quotes and "${...}".
KEY='back\slash "quoted" ${HOME} $PATH 0123456789abcdef'
start_server AUTH_JWT_SECRET="$KEY"
register keyuser keyuser@example.com 's3cure!Pass'
check_status 201 "settings: register under a key with \\, \" and \${...}"
check "settings: the token is signed with exactly that key" \
    test "${access##*.}" = "$(hs256 "${access%.*}" "$KEY")"

# Chunked bodies (no Content-Length) reach the program, and an early answer
# still arrives whole.  busybox httpd does not decode a chunked request
# body at all (corners-auth(8)), so this is for lighttpd and Apache.
if [ "$SERVER" != busybox ]; then
req POST login @"$TOP/tests/vectors.json" -H 'Transfer-Encoding: chunked'
check_status 422 "body: a chunked JSON body is read (422: not a login)"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"
req POST login @"$T/big" -H 'Transfer-Encoding: chunked'
check_status 413 "body: a chunked body over 64 KiB is 413"
req PUT login '{"username":"x","password":"y"}' -H 'Transfer-Encoding: chunked'
check_status 405 "body: a chunked PUT is 405"
fi

finish

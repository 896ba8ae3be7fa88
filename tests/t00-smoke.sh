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

finish

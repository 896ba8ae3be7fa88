#!/usr/bin/env bash
# An Apache without "CGIPassAuth On" withholds the Authorization header from
# CGI programs (SPEC "GET me", STYLE pitfall 2): /me must then answer a
# clean 401 with WWW-Authenticate, never a 500.  Always run under Apache.
SERVER=apache
. "$(dirname "$0")/lib.sh"

SERVER_VARIANT=no-pass-auth start_server
register janedoe jane@example.com 's3cure!Pass'
check_status 201 "apache without CGIPassAuth: register still works"
req GET me - -H "Authorization: Bearer $access"
check_status 401 "apache without CGIPassAuth: me with a valid token is 401, not 500"
check_json .message Unauthorized "apache without CGIPassAuth: the 401 body says Unauthorized"
check_header WWW-Authenticate Bearer "apache without CGIPassAuth: the 401 says WWW-Authenticate: Bearer"

# The shipped example (CGIPassAuth On) passes the same token through.
start_server
req GET me - -H "Authorization: Bearer $access"
check_status 200 "apache with the shipped CGIPassAuth On: the same token is 200"

finish

# tests/lib.sh: sourced by every tests/tNN-*.sh.  Gives each test file a
# private temporary directory and database, a web server on a free
# 127.0.0.1 port running the real executables, and the helpers below.
#
#   start_server [VAR=value ...]  (re)start the server (tests/serve.sh, so
#                                 from the shipped example configs); the
#                                 AUTH_* settings given are added to the
#                                 defaults below
#   req METHOD PATH [BODY] [CURL-ARG...]
#                                 sets $status, $body, $hdrs (BODY "-" = none;
#                                 BODY @file sends a file's bytes)
#   cgi_run METHOD NAME [BODY] [VAR=value ...]
#                                 runs cgi-bin/NAME directly with a hand-made
#                                 environment: what no real server sends
#   cgi NAME BODY [ENV-ARG...]    the same, POST (or $METHOD), stderr in $T/err
#   parse_cgi [FILE]              $status, $hdrs, $body from CGI output
#   check "description" COMMAND...    ok/FAIL, counted
#   check_status CODE "description"
#   check_json FILTER VALUE "description"   (jq -r FILTER on $body)
#   check_header NAME VALUE "description"   (exact, case-insensitive name)
#   check_same JSON "description"           ($body equals JSON, keys sorted)
#   register USER EMAIL PASSWORD  -> $access, $refresh (and $status)
#   login USER PASSWORD [CURL-ARG...] -> $status; $access, $refresh on 200
#   users_in DB                   how many users DB holds
#   ctl [ARG...]                  runs authctl (with this test's settings;
#                                 standard input passed on): $ctl_rc, and
#                                 its stdout in $ctl_out, stderr in $ctl_err
#   b64url, b64url_decode, claim TOKEN FILTER, hs256 DATA [KEY],
#   signed_with_hex TOKEN HEXKEY: JWT pieces
#   pick_window                   a rate window no test sequence crosses
#   finish                        prints "N passed, N failed"; exit status
#
# Environment: SERVER=busybox (default), lighttpd, lighttpd-fastcgi or
# apache; BIN=dir of the executables; AUTHCTL=the authctl executable.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$TOP/cgi-bin}
AUTHCTL=${AUTHCTL:-$TOP/authctl/authctl}
# The schema version a database is brought to: one per migration in db/.
SCHEMA_VERSION=$(ls "$TOP"/db/[0-9][0-9][0-9]-*.sql | wc -l)
SERVER=${SERVER:-busybox}
T=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-test.XXXXXX")
PASS=0
FAIL=0
SERVER_PID=
PORT=
status=
body=
hdrs=

# Defaults for every test: a private database, a cheap hash, a fixed key.
export AUTH_DB="$T/auth.db"
export AUTH_PBKDF2_ITERATIONS=1000
export AUTH_JWT_SECRET="test-secret-0123456789abcdef0123456789abcdef"
# The attempt counter stays on (every request goes through it) but high
# enough that only t60-rate.sh, which sets its own limits, ever meets it.
export AUTH_RATE_REGISTER=100000 AUTH_RATE_LOGIN=100000 AUTH_RATE_REFRESH=100000
unset AUTH_JWT_SECRET_FILE AUTH_ACCESS_TTL AUTH_REFRESH_TTL AUTH_RATE_LIMIT \
    AUTH_RATE_WINDOW AUTH_TRUSTED_PROXIES AUTH_MIN_PASSWORD_ENTROPY
# Sanitizer reports (make SANITIZE=1) land in files that finish() reads.
export ASAN_OPTIONS="log_path=$T/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$T/ubsan:print_stacktrace=1:halt_on_error=1"

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
}

cleanup() {
	stop_server
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server [VAR=value ...]: the settings apply to this server only.
# SERVER_VARIANT=no-pass-auth starts Apache without CGIPassAuth.
start_server() {
	local try
	stop_server
	for try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		env "$@" BIN="$BIN" bash "$TOP/tests/serve.sh" "$SERVER" "$PORT" \
		    "$T/server" ${SERVER_VARIANT:-} >>"$T/server.log" 2>&1 &
		SERVER_PID=$!
		for _ in $(seq 100); do
			if ! kill -0 "$SERVER_PID" 2>/dev/null; then
				break	# the port was taken: try another
			fi
			if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
				return 0
			fi
			sleep 0.05
		done
		stop_server
	done
	echo "cannot start $SERVER; its log:" >&2
	tail -n 20 "$T/server.log" >&2
	exit 2
}

# URL path of an endpoint under the running server.
path() {
	case "$SERVER" in
	busybox) echo "/cgi-bin/$1" ;;
	*) echo "/api/v1/auth/$1" ;;
	esac
}

req() {
	local method=$1 p=$2 data=${3:--}
	shift 2
	[ $# -gt 0 ] && shift
	local args=(-s -X "$method" -o "$T/body" -D "$T/hdrs" -w '%{http_code}')
	if [ "$method" = HEAD ]; then
		args=(-s -I -o "$T/body" -D "$T/hdrs" -w '%{http_code}')
	fi
	if [ "$data" != - ]; then
		case "$data" in
		@*) args+=(--data-binary "$data") ;;
		*) printf '%s' "$data" >"$T/reqbody"
		   args+=(--data-binary "@$T/reqbody") ;;
		esac
		# The JSON type unless the caller names its own (two
		# Content-Type headers are a 400 from lighttpd).
		case " ${*,,} " in
		*" content-type:"*) ;;
		*) args+=(-H 'Content-Type: application/json') ;;
		esac
	elif [ "$method" = POST ] && [ "${SERVER%-fastcgi}" = lighttpd ]; then
		# lighttpd answers a POST without Content-Length with its own
		# 411 before any program runs; say the body is empty.
		args+=(-H 'Content-Length: 0')
	fi
	status=$(curl "${args[@]}" "$@" "http://127.0.0.1:$PORT$(path "$p")")
	body=$(cat "$T/body")
	hdrs=$(tr -d '\r' <"$T/hdrs")
}

# cgi_run METHOD NAME [BODY] [VAR=value ...]: exec the binary as a server
# would, parse its CGI output into $status, $hdrs and $body.
cgi_run() {
	local method=$1 name=$2 data=${3:-}
	shift 2
	[ $# -gt 0 ] && shift
	printf '%s' "$data" >"$T/reqbody"
	env REQUEST_METHOD="$method" CONTENT_LENGTH="${#data}" \
	    REMOTE_ADDR=127.0.0.1 "$@" "$BIN/$name" <"$T/reqbody" \
	    >"$T/cgiout" 2>>"$T/cgi.log"
	parse_cgi
}

# cgi NAME BODY [ENV-ARG...]: run cgi-bin/NAME directly.  The ENV-ARGs go to
# env(1) first, so "-u VAR" (before any VAR=value) unsets an inherited
# setting.  METHOD (default POST) is the request method.  The executable's
# stderr of this run is in $T/err (and appended to $T/cgi.log).
cgi() {
	local name=$1 data=$2
	shift 2
	printf '%s' "$data" >"$T/reqbody"
	env "$@" REQUEST_METHOD="${METHOD:-POST}" \
	    CONTENT_LENGTH="$(stat -c %s "$T/reqbody")" REMOTE_ADDR=127.0.0.1 \
	    "$BIN/$name" <"$T/reqbody" >"$T/cgiout" 2>"$T/err"
	cat "$T/err" >>"$T/cgi.log"
	parse_cgi
}

# ctl [ARG...]: run authctl as the operator would, with the test's AUTH_*
# settings; sets $ctl_rc, $ctl_out and $ctl_err.
ctl() {
	"$AUTHCTL" "$@" >"$T/ctl.out" 2>"$T/ctl.err"
	ctl_rc=$?
	ctl_out=$(cat "$T/ctl.out")
	ctl_err=$(cat "$T/ctl.err")
}

# What authctl's last run did, for failure messages.
ctl_got() {
	echo "got exit $ctl_rc, stderr '${ctl_err:0:600}', stdout '${ctl_out:0:300}'"
}

# ctl_exit RC DESC: authctl's last run exited RC.
ctl_exit() {
	if [ "$ctl_rc" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2" "want exit $1; $(ctl_got)"
	fi
}

# ctl_exact RC STDERR DESC: it exited RC with exactly STDERR on stderr.
ctl_exact() {
	if [ "$ctl_rc" = "$1" ] && [ "$ctl_err" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "want exit $1, stderr '$2'; $(ctl_got)"
	fi
}

# ctl_done DESC: it exited 0 with nothing on stderr.
ctl_done() {
	ctl_exact 0 "" "$1"
}

# parse_cgi [FILE]: $status, $hdrs and $body from a CGI program's output
# (default $T/cgiout).
parse_cgi() {
	local f=${1:-$T/cgiout}
	hdrs=$(sed -n '1,/^\r\{0,1\}$/p' "$f" | tr -d '\r')
	body=$(sed '1,/^\r\{0,1\}$/d' "$f")
	status=$(printf '%s\n' "$hdrs" | sed -n 's/^Status: \([0-9]*\).*/\1/p')
}

# want_eq WANT GOT "desc": GOT is exactly WANT (the order of check_status
# and check_json: what is wanted first, the description last).
want_eq() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "want '${1:0:900}', got '${2:0:900}'"
	fi
}

# body_is JSON: $body equals JSON (a test for check).
body_is() {
	[ "$(printf '%s' "$body" | jq -cS . 2>/dev/null)" = \
	    "$(printf '%s' "$1" | jq -cS .)" ]
}

# check_same JSON "desc": $body equals JSON (both compacted, keys sorted).
check_same() {
	local want got
	want=$(printf '%s' "$1" | jq -cS .)
	got=$(printf '%s' "$body" | jq -cS . 2>&1)
	if [ "$got" = "$want" ]; then
		ok "$2"
	else
		not_ok "$2" "want $want, got status $status ${body:0:600}"
	fi
}

# b64url: standard input as base64url without padding (RFC 7515).
b64url() {
	base64 -w0 | tr '+/' '-_' | tr -d '='
}

# b64url_decode STRING: one base64url segment back to its bytes.
b64url_decode() {
	local s
	s=$(printf '%s' "$1" | tr -- '-_' '+/')
	case $((${#s} % 4)) in
	2) s="$s==" ;;
	3) s="$s=" ;;
	esac
	printf '%s' "$s" | base64 -d 2>/dev/null
}

# claim TOKEN FILTER: jq FILTER (".exp") over the token's payload.
claim() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f2)" | jq -r "$2" 2>/dev/null
}

# hs256 DATA [KEY]: the base64url HMAC-SHA256 of DATA (key: AUTH_JWT_SECRET).
hs256() {
	printf '%s' "$1" | openssl dgst -sha256 -hmac "${2:-$AUTH_JWT_SECRET}" \
	    -binary | b64url
}

ok() {
	PASS=$((PASS + 1))
	echo "ok - $1"
}

not_ok() {
	FAIL=$((FAIL + 1))
	echo "FAIL - $1 ($2)"
}

check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc" "status $status, body ${body:0:300}"
	fi
}

check_status() {
	if [ "$status" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2" "want status $1, got $status, body ${body:0:300}"
	fi
}

check_json() {
	local got
	got=$(printf '%s' "$body" | jq -r "$1" 2>&1)
	if [ "$got" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "want $1 = $2, got $got"
	fi
}

# pick_window: an AUTH_RATE_WINDOW of at least 300 s whose current window
# still has more than 60 s to run, so that a test's sequence of counted
# attempts never crosses a window's end (which would reset the count).
pick_window() {
	local w=300 now
	now=$(date +%s)
	while [ $((w - now % w)) -le 60 ]; do w=$((w + 1)); done
	echo "$w"
}

# signed_with_hex TOKEN HEXKEY: the token's signature is HS256 under the
# key given in hex (a key made at random, as the database keeps, may hold
# NUL bytes, which no shell string can carry).
signed_with_hex() {
	local want
	want=$(printf '%s' "${1%.*}" |
	    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$2" -binary |
	    base64 -w0 | tr '+/' '-_' | tr -d '=')
	[ -n "$1" ] && [ -n "$2" ] && [ "${1##*.}" = "$want" ]
}

header() {
	printf '%s\n' "$hdrs" | sed -n "s/^$1: //Ip" | head -n 1
}

check_header() {
	local got
	got=$(header "$1")
	if [ "$got" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "want header $1: $2, got '$got'"
	fi
}

# login USER PASSWORD [CURL-ARG...]: POST login, the values JSON-encoded
# by jq; on a 200 sets $access and $refresh.
login() {
	local u=$1 p=$2
	shift 2
	req POST login "$(jq -cn --arg u "$u" --arg p "$p" \
	    '{username: $u, password: $p}')" "$@"
	access='' refresh=''
	if [ "$status" = 200 ]; then
		read -r access refresh <<<"$(printf '%s' "$body" |
		    jq -r '"\(.access // "") \(.refresh // "")"' 2>/dev/null)"
	fi
}

# users_in DB: how many users DB holds ("no database" if it was never made).
users_in() {
	if [ -e "$1" ]; then
		sqlite3 -cmd '.timeout 5000' "$1" 'SELECT count(*) FROM users' 2>&1
	else
		echo "no database"
	fi
}

register() {
	req POST register "{\"username\":\"$1\",\"email\":\"$2\",\"password\":\"$3\"}"
	access=$(printf '%s' "$body" | jq -r '.access // empty' 2>/dev/null)
	refresh=$(printf '%s' "$body" | jq -r '.refresh // empty' 2>/dev/null)
}

finish() {
	local f
	for f in "$T"/asan* "$T"/ubsan*; do
		[ -e "$f" ] || continue
		not_ok "sanitizer report $(basename "$f")" "$(head -c 2000 "$f")"
	done
	if grep -q 'runtime error:\|AddressSanitizer' "$T/server.log" \
	    "$T/cgi.log" 2>/dev/null; then
		not_ok "sanitizer output in the server log" \
		    "$(grep -h -m3 'runtime error:\|AddressSanitizer' \
		    "$T/server.log" "$T/cgi.log" 2>/dev/null)"
	fi
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

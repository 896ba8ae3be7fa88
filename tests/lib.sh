# tests/lib.sh: sourced by every tests/tNN-*.sh.  Gives each test file a
# private temporary directory and database, a web server on a free
# 127.0.0.1 port running the real executables, and the helpers below.
#
#   start_server [VAR=value ...]  (re)start the server (tests/serve.sh, so
#                                 from the shipped example configs); the
#                                 AUTH_* settings given are added to the
#                                 defaults below
#   start_server_b [VAR=value ...]
#                                 a second server beside it (another web
#                                 host: $PORT_B; PORT=$PORT_B req ...)
#   req METHOD PATH [BODY] [CURL-ARG...]
#                                 sets $status, $body, $hdrs (BODY "-" = none;
#                                 BODY @file sends a file's bytes)
#   cgi_run METHOD NAME [BODY] [VAR=value ...]
#                                 runs cgi-bin/NAME directly with a hand-made
#                                 environment: what no real server sends
#   cgi NAME BODY [ENV-ARG...]    the same, POST (or $METHOD), stderr in $T/err
#   err_lines                     how many lines the last cgi wrote to stderr
#   parse_cgi [FILE]              $status, $hdrs, $body from CGI output
#   check "description" COMMAND...    ok/FAIL, counted
#   check_status CODE "description"
#   check_json FILTER VALUE "description"   (jq -r FILTER on $body)
#   check_header NAME VALUE "description"   (exact, case-insensitive name)
#   check_same JSON "description"           ($body equals JSON, keys sorted)
#   check_401 "description"       login's 401 {"message": "Invalid
#                                 credentials.", ...}: 2 checks
#   check_422 ERRORS "description"    a 422 whose details.errors is exactly
#                                 the JSON list ERRORS: 2 checks
#   err TYPE FIELD MSG [CTX], too_short FIELD N, too_long FIELD N
#                                 one entry of a 422's list, as JSON text
#   check_503 "description"       the storage-failure 503 (status, body,
#                                 Retry-After, Content-Type): 4 checks
#   me_refused "description"      me's 401, WWW-Authenticate: Bearer
#                                 error="invalid_token": 1 check (me_refusal:
#                                 the same as a test)
#   refresh_refused "description" refresh's 401 for a bad token: 1 check
#   register USER EMAIL PASSWORD  POST register (values JSON-encoded by jq)
#                                 -> $status; $access, $refresh (tokens)
#   login USER PASSWORD [CURL-ARG...] -> $status; $access, $refresh on 200
#   tokens                        $access, $refresh from the last answer if
#                                 it is a 200 or 201 (both empty otherwise)
#   me TOKEN [CURL-ARG...]        GET me with that access token
#   refresh_with TOKEN            POST refresh with that refresh token
#   users_in DB                   how many users DB holds ("no database"
#                                 if it was never made)
#   db_sql [-db DB] [-ro] [-sep S] [SQL]
#                                 runs SQL on the database (see below)
#   db_new NAME                   prints a fresh database's AUTH_DB value:
#                                 $T/NAME.db, or a PostgreSQL database of
#                                 its own (made, empty) and its URI
#   db_direct DB                  a PostgreSQL URI through pgbouncer made
#                                 direct (anything else as it is); the
#                                 file's own: $DB_DIRECT
#   db_made DB                    whether the programs made DB (the file
#                                 exists; PostgreSQL: it has tables)
#   db_absent DB                  nothing made (no file, -wal or -shm; no
#                                 tables)
#   db_has_table [-db DB] TABLE   1 or 0
#   db_schema_version [-db DB]    the version the migrations brought it to
#   sql_hex EXPR, sql_hex_text EXPR, sql_blob HEX, sql_write_lock
#                                 SQL that differs between the two (below)
#   on_sqlite WHAT WHY            true under SQLite; under PostgreSQL says
#                                 "# SKIP" (WHAT: WHY) and is false
#   skip WHAT WHY                 says "# SKIP tNN: WHAT: WHY"
#   slots_file [DB]               the hashing slots' lock file of DB
#   have_slots_file WHAT [DB]     true if that is known; else "# SKIP"
#   ctl [ARG...]                  runs authctl (with this test's settings;
#                                 standard input passed on): $ctl_rc, and
#                                 its stdout in $ctl_out, stderr in $ctl_err
#   b64url, b64url_decode, claim TOKEN FILTER, hs256 DATA [KEY],
#   mac DIGEST DATA [KEY], sign HEADER PAYLOAD [KEY [DIGEST]],
#   signed_with_hex TOKEN HEXKEY: JWT pieces
#   rep STRING N                  STRING repeated N times
#   usec                          the time now in microseconds
#   median N...                   the middle of the sorted integers
#   pick_window                   a rate window no test sequence crosses
#   finish                        prints "N passed, N failed"; exit status
#   authed, logout_with, change_password, check_answer, check_error,
#   check_rate_429, token_for, import_social, make_unusable, race,
#   race_tally, sleep_until: the account endpoints, logout and rotation
#                                 (issue 14; the block at the end, which
#                                 says what each does)
#
# openapi.json: every answer req, cgi_run and cgi receive is recorded
# (api_record, in $T/api.rec) and finish checks them all against the
# document in one run of tests/openapi-check.py: each answer that does not
# match it is a failing check, those that do are one passing check.  A
# test that provokes the web server's own answer (an HTML error page) on
# an API path says so for that request: OPENAPI_SKIP="why" req ...; such
# an answer, if not JSON, is skipped and counted by reason.  A helper of a
# test file that runs an executable itself records its answer with
# api_cgi_record NAME [ENV-ARG...] after parse_cgi.
#
# The database: db_sql is the one place a test touches it directly (a
# query, a row put in or changed by hand, a schema loaded from db/*.sql, a
# file made for a fault); no test runs sqlite3 or psql itself, and db_sql
# dispatches on the database it is given (a path: sqlite3; a postgresql://
# URI: psql), printing rows the same way for both.  The two exceptions,
# each commented where it is, are about SQLite's own files by nature:
# t78's backup (corners-auth(8)'s sqlite3 command, as an operator types
# it) and t85's holder (a client killed as a crash).
#
# DB=postgresql (make test DB=postgresql): the same files against
# PostgreSQL.  tests/run.sh starts one private cluster and pgbouncer for
# the run (tests/pg.sh; a file run by itself starts its own); each file
# gets a database of its own, AUTH_DB its URI through pgbouncer (what CGI
# programs use; a FastCGI server started by start_server is given the
# direct one, as it keeps its connection: PG_FASTCGI_VIA=pgbouncer gives it
# pgbouncer's).  Its databases are dropped at its end, and PostgreSQL and
# pgbouncer started again if it stopped them (pg_stop, pgbouncer_stop:
# tests/pg.sh).  A file that is about SQLite itself says so on a line
# "# sqlite-only: WHY" and is skipped, saying why; a part of a file is
# skipped by on_sqlite.  A file about PostgreSQL itself (two hosts on one
# database, its faults) says "# postgresql-only: WHY" and is skipped
# under SQLite.  A skip prints "# SKIP ..." and counts nothing.
#
# Environment: SERVER=busybox (default), lighttpd, lighttpd-fastcgi,
# apache, apache-deb (the Debian package's configuration and executables,
# installed; BIN=/usr/lib/cgi-bin/corners-auth), nginx (FastCGI) or
# nginx-cgi (fcgiwrap); DB=sqlite (default) or postgresql; BIN=dir of the executables;
# AUTHCTL=the authctl executable.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$TOP/cgi-bin}
AUTHCTL=${AUTHCTL:-$TOP/authctl/authctl}
SERVER=${SERVER:-busybox}
# The storage under test (DB is also the make variable that builds it in).
case ${DB:-sqlite} in
sqlite) DB_KIND=sqlite ;;
postgresql) DB_KIND=postgresql ;;
*) echo "lib.sh: DB=$DB: sqlite (the default) or postgresql" >&2; exit 2 ;;
esac
# The schema version a database is brought to: one per migration in db/
# (PostgreSQL's own in db/pg/).
if [ "$DB_KIND" = postgresql ]; then
	SCHEMA_VERSION=$(ls "$TOP"/db/pg/[0-9][0-9][0-9]-*.sql 2>/dev/null | wc -l)
else
	SCHEMA_VERSION=$(ls "$TOP"/db/[0-9][0-9][0-9]-*.sql | wc -l)
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-test.XXXXXX")
PASS=0
FAIL=0
SERVER_PID=
PORT=
SERVER_B_PID=
PORT_B=
status=
body=
hdrs=
# The answers finish checks against openapi.json (see api_record).
API_RECORDS=$T/api.rec
OPENAPI=$TOP/openapi.json

# Defaults for every test: a private database, a cheap hash, a fixed key.
# (PostgreSQL: a database of this file's own, below.)
export AUTH_DB="$T/auth.db"
DB_DIRECT=$AUTH_DB
export AUTH_PBKDF2_ITERATIONS=1000
export AUTH_JWT_SECRET="test-secret-0123456789abcdef0123456789abcdef"
# The attempt counter stays on (every request goes through it) but high
# enough that only t60-rate.sh, which sets its own limits, ever meets it;
# so does the per-account throttle (many files try many wrong passwords
# for one name), met only in t65-account-throttle.sh and t77-events.sh.
export AUTH_RATE_REGISTER=100000 AUTH_RATE_LOGIN=100000 AUTH_RATE_REFRESH=100000
export AUTH_RATE_ACCOUNT=100000
unset AUTH_JWT_SECRET_FILE AUTH_ACCESS_TTL AUTH_REFRESH_TTL AUTH_RATE_LIMIT \
    AUTH_RATE_WINDOW AUTH_TRUSTED_PROXIES AUTH_MIN_PASSWORD_ENTROPY \
    AUTH_RATE_ACCOUNT_WINDOW AUTH_EVENT_DAYS AUTH_HASH_SLOTS_FILE
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

stop_server_b() {
	if [ -n "$SERVER_B_PID" ]; then
		kill "$SERVER_B_PID" 2>/dev/null
		wait "$SERVER_B_PID" 2>/dev/null
		SERVER_B_PID=
	fi
}

cleanup() {
	stop_server
	stop_server_b
	db_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The PostgreSQL side (nothing under SQLite): this file's databases
# (their names start with $DB_PREFIX), on the run's cluster
# ($CORNERS_AUTH_PG, tests/run.sh) or on one of its own (PG_OWN).
PG_OWN=
DB_PREFIX=

# db_cleanup: drop this file's databases, and leave the run's PostgreSQL
# and pgbouncer running for the next file even if this one stopped them;
# or stop and remove the file's own cluster.
db_cleanup() {
	local name
	# (Nothing yet, as for a file skipped before tests/pg.sh is read.)
	[ "$DB_KIND" = postgresql ] && [ -n "${PGH:-}" ] &&
	    [ -n "$PG_OWN$DB_PREFIX" ] || return 0
	if [ -n "$PG_OWN" ]; then
		pg_down
		return
	fi
	pg_ensure_up || return
	[ -n "$DB_PREFIX" ] || return 0
	for name in $(pg_admin "SELECT datname FROM pg_database WHERE
	    left(datname, ${#DB_PREFIX}) = '$DB_PREFIX'"); do
		pg_dropdb "$name" >/dev/null
	done
}

# A file about SQLite itself ("# sqlite-only: WHY" among its lines) is
# skipped under PostgreSQL, saying why; it counts nothing.
if [ "$DB_KIND" = postgresql ] &&
    grep -q '^# sqlite-only: ' "$0" 2>/dev/null; then
	echo "# SKIP $(basename "$0") under PostgreSQL: $(sed -n 's/^# sqlite-only: //p' "$0" | head -n 1)"
	echo "0 passed, 0 failed"
	exit 0
fi
# A file about PostgreSQL itself ("# postgresql-only: WHY": several hosts
# on one database, PostgreSQL's own faults) is skipped under SQLite.
if [ "$DB_KIND" = sqlite ] &&
    grep -q '^# postgresql-only: ' "$0" 2>/dev/null; then
	echo "# SKIP $(basename "$0") under SQLite: $(sed -n 's/^# postgresql-only: //p' "$0" | head -n 1)"
	echo "0 passed, 0 failed"
	exit 0
fi


# start_server [VAR=value ...]: the settings apply to this server only.
# SERVER_VARIANT=no-pass-auth starts Apache without CGIPassAuth.  Under
# PostgreSQL a FastCGI server gets the direct URI of its database (its
# processes keep their connection; SPEC "Storage"), unless
# PG_FASTCGI_VIA=pgbouncer.
start_server() {
	stop_server
	server_up SERVER_PID PORT "$T/server" "$T/server.log" "$@"
}

# start_server_b [VAR=value ...]: a second web host beside the first (t93):
# the same kind of server ($SERVER) serving the same executables from a
# directory of its own ($T/server-b), on a port of its own ($PORT_B), its
# log in $T/server-b.log; the settings as start_server takes them (the
# file's AUTH_DB unless one is given).  A request goes to it with the
# port given for that call: PORT=$PORT_B req ... (or login, me, ...).
start_server_b() {
	stop_server_b
	server_up SERVER_B_PID PORT_B "$T/server-b" "$T/server-b.log" "$@"
}

# server_up PIDVAR PORTVAR DIR LOG [VAR=value ...]: start $SERVER from DIR
# on a free port, its output appended to LOG; sets the variables named
# PIDVAR and PORTVAR (the pid as soon as it runs, so that cleanup stops
# a server interrupted while it starts), or exits 2.
server_up() {
	local pidvar=$1 portvar=$2 dir=$3 log=$4 try a pid port
	shift 4
	local -a set=("$@")
	if [ "$DB_KIND" = postgresql ] &&
	    { [ "$SERVER" = lighttpd-fastcgi ] || [ "$SERVER" = nginx ]; } &&
	    [ "${PG_FASTCGI_VIA:-direct}" = direct ]; then
		set=(AUTH_DB="$(db_direct "$AUTH_DB")")
		for a in "$@"; do
			case $a in
			AUTH_DB=*) set+=(AUTH_DB="$(db_direct "${a#AUTH_DB=}")") ;;
			*) set+=("$a") ;;
			esac
		done
	fi
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		env "${set[@]}" BIN="$BIN" bash "$TOP/tests/serve.sh" "$SERVER" \
		    "$port" "$dir" ${SERVER_VARIANT:-} >>"$log" 2>&1 &
		pid=$!
		printf -v "$pidvar" '%s' "$pid"
		printf -v "$portvar" '%s' "$port"
		for _ in $(seq 100); do
			if ! kill -0 "$pid" 2>/dev/null; then
				break	# the port was taken: try another
			fi
			if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
				return 0
			fi
			sleep 0.05
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		printf -v "$pidvar" '%s' ''
	done
	echo "cannot start $SERVER; its log:" >&2
	tail -n 20 "$log" >&2
	exit 2
}

# api_record METHOD TARGET: the last answer ($status, $hdrs, $body) to
# METHOD on TARGET, for finish's check against openapi.json.  TARGET is an
# executable's name and what follows it ("me/email": me with PATH_INFO
# /email), as req and path take it, or a path of the document as it is
# ("/api/v1/openapi.json").  With OPENAPI_SKIP set (the reason), an answer
# that is not JSON is the web server's own, not the API's: skipped.  One
# record: a line "\036WHERE\tMETHOD\tTARGET\tSTATUS\tSKIP\tN\tM", then
# the N bytes of the headers and the M bytes of the body; WHERE is the
# test file's line.  No process is started here.
api_record() {
	local LC_ALL=C n=${#BASH_SOURCE[@]}
	printf '\036%s:%s\t%s\t%s\t%s\t%s\t%s\t%s\n%s%s' \
	    "${BASH_SOURCE[n-1]##*/}" "${BASH_LINENO[n-2]}" "$1" "$2" \
	    "$status" "${OPENAPI_SKIP:-}" "${#hdrs}" "${#body}" "$hdrs" "$body" \
	    >>"$API_RECORDS"
}

# api_cgi_record NAME [ENV-ARG...]: api_record for an executable run
# directly with env(1) and these arguments (the last REQUEST_METHOD= and
# PATH_INFO= among them count, as env's; "-u VAR" unsets).
api_cgi_record() {
	local name=$1 method= info= a prev=
	shift
	for a in "$@"; do
		case $prev/$a in
		-u/PATH_INFO) info= ;;
		-u/REQUEST_METHOD) method= ;;
		*/REQUEST_METHOD=*) method=${a#*=} ;;
		*/PATH_INFO=*) info=${a#*=} ;;
		esac
		prev=$a
	done
	api_record "$method" "$name$info"
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
	api_record "$method" "$p"
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
	api_cgi_record "$name" REQUEST_METHOD="$method" "$@"
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
	api_cgi_record "$name" "$@" REQUEST_METHOD="${METHOD:-POST}"
}

# err_lines: how many lines the last cgi run wrote to stderr ($T/err).
err_lines() {
	wc -l <"$T/err" | tr -d ' '
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

# mac DIGEST DATA [KEY]: the base64url HMAC of DATA with DIGEST ("sha256",
# "sha384", ...; key: AUTH_JWT_SECRET).
mac() {
	printf '%s' "$2" | openssl dgst "-$1" -hmac "${3:-$AUTH_JWT_SECRET}" \
	    -binary | b64url
}

# hs256 DATA [KEY]: the base64url HMAC-SHA256 of DATA (key: AUTH_JWT_SECRET).
hs256() {
	mac sha256 "$1" "${2:-$AUTH_JWT_SECRET}"
}

# sign HEADER PAYLOAD [KEY [DIGEST]]: a compact JWS.  HEADER and PAYLOAD
# are raw text (usually JSON), base64url-encoded here; the signature is
# the HMAC with DIGEST (default sha256) under KEY (AUTH_JWT_SECRET).
sign() {
	local h p
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	printf '%s.%s.%s' "$h" "$p" \
	    "$(mac "${4:-sha256}" "$h.$p" "${3:-$AUTH_JWT_SECRET}")"
}

ok() {
	PASS=$((PASS + 1))
	echo "ok - $1"
}

# With FAIL_FAST set (tests/mutate.sh, for a mutant: one failure kills it)
# the file ends at its first failure.
not_ok() {
	FAIL=$((FAIL + 1))
	echo "FAIL - $1 ($2)"
	if [ -n "${FAIL_FAST:-}" ]; then
		echo "$PASS passed, $FAIL failed"
		exit 1
	fi
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

# rep STRING N: STRING repeated N times (byte for byte; no newline).
rep() {
	local s=$1 n=$2 out=
	while [ "$n" -gt 0 ]; do
		[ $((n % 2)) = 1 ] && out+=$s
		s+=$s
		n=$((n / 2))
	done
	printf '%s' "$out"
}

# usec: the time now in microseconds.
usec() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((10#$t))
}

# median N...: the middle of the sorted values (integers).
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
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

# check_401 "desc": login's one 401, {"message": "Invalid credentials.",
# "details": null}; two checks.
check_401() {
	check_status 401 "$1: 401"
	check_same '{"details":null,"message":"Invalid credentials."}' \
	    "$1: {\"message\": \"Invalid credentials.\", \"details\": null}"
}

# check_422 ERRORS "desc": a 422 whose details.errors is exactly ERRORS (a
# JSON list, e.g. "[$(too_short username 3)]"); two checks.
check_422() {
	check_status 422 "$2 (status 422)"
	check_same "{\"message\":\"Validation error.\",\"details\":{\"errors\":$1}}" "$2"
}

# err TYPE FIELD MSG [CTX]: one entry of a 422's list, as JSON text (CTX
# is JSON, e.g. {"min_length":3}).
err() {
	if [ $# -gt 3 ]; then
		printf '{"type":"%s","loc":["body","payload","%s"],"msg":"%s","ctx":%s}' "$1" "$2" "$3" "$4"
	else
		printf '{"type":"%s","loc":["body","payload","%s"],"msg":"%s"}' "$1" "$2" "$3"
	fi
}

# too_short FIELD N / too_long FIELD N: the entry for a value of FIELD
# shorter than its minimum N / longer than its maximum N characters.
too_short() {
	local s=s
	[ "$2" = 1 ] && s=
	err string_too_short "$1" "String should have at least $2 character$s" "{\"min_length\":$2}"
}
too_long() {
	local s=s
	[ "$2" = 1 ] && s=
	err string_too_long "$1" "String should have at most $2 character$s" "{\"max_length\":$2}"
}

# check_503 "what": the last answer is the storage-failure 503, as four
# checks: the status, the body {"message": "Service temporarily
# unavailable.", "details": null}, Retry-After: 1 and the JSON type.
check_503() {
	check_status 503 "$1: 503"
	check "$1: the body is {\"message\": \"Service temporarily unavailable.\", \"details\": null}" \
	    body_is '{"message":"Service temporarily unavailable.","details":null}'
	check_header Retry-After 1 "$1: Retry-After: 1"
	check_header Content-Type application/json "$1: Content-Type: application/json"
}

# me_refusal: the last answer is me's refusal of a token, 401 {"message":
# "Unauthorized", "details": null} with WWW-Authenticate: Bearer
# error="invalid_token" (SPEC "GET me"); a test for check.
# me_refused DESC: the same, as one check.
me_refusal() {
	[ "$status" = 401 ] &&
	    body_is '{"message":"Unauthorized","details":null}' &&
	    [ "$(header WWW-Authenticate)" = 'Bearer error="invalid_token"' ]
}
me_refused() {
	check "$1" me_refusal
	me_refusal || echo "# (WWW-Authenticate: '$(header WWW-Authenticate)')"
}

# refresh_refused DESC: the last answer is refresh's refusal of a bad
# token, 401 {"message": "Invalid or expired refresh token.", "details":
# null} (SPEC "POST refresh"); one check.
refresh_refused() {
	check "$1" eval '[ "$status" = 401 ] &&
	    body_is "{\"message\":\"Invalid or expired refresh token.\",\"details\":null}"'
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

# register USER EMAIL PASSWORD: POST register, the values JSON-encoded by
# jq (quotes, backslashes, non-ASCII); $access and $refresh as tokens sets.
register() {
	req POST register "$(jq -cn --arg u "$1" --arg e "$2" --arg p "$3" \
	    '{username: $u, email: $e, password: $p}')"
	tokens
}

# tokens: $access and $refresh from the last answer's body if it is a 200
# or 201 (a member it lacks is empty); both empty after any other status.
tokens() {
	access='' refresh=''
	case $status in
	200|201)
		read -r access refresh <<<"$(printf '%s' "$body" |
		    jq -r '"\(.access // "") \(.refresh // "")"' 2>/dev/null)" ;;
	esac
}

# me TOKEN [CURL-ARG...]: GET me with that access token.
me() {
	local tok=$1
	shift
	req GET me - -H "Authorization: Bearer $tok" "$@"
}

# refresh_with TOKEN: POST refresh with that refresh token.
refresh_with() {
	req POST refresh "{\"refresh\":\"$1\"}"
}

# users_in DB: how many users DB holds ("no database" if it was never made).
users_in() {
	if db_made "$1"; then
		db_sql -db "$1" 'SELECT count(*) FROM users' 2>&1
	else
		echo "no database"
	fi
}

# db_sql [-db DB] [-ro] [-sep S] [SQL...]: run SQL (with no SQL argument,
# the statements on standard input) on DB (default $AUTH_DB), waiting up
# to 5 s for a lock, and print the rows as sqlite3 -batch prints them: one
# a line, columns separated by "|" (or by S), NULL as nothing, no header.
# -ro opens the database read-only (and never creates it).  The exit
# status is the client's, its errors on stderr.  The one place a test
# touches the database (see the top of this file).
#
# DB a path is SQLite (sqlite3; SQL may be any statement it takes:
# PRAGMA, VACUUM INTO 'FILE').  DB a postgresql:// URI is PostgreSQL:
# psql -X -q -A -t, straight to PostgreSQL (db_direct: pgbouncer's
# transaction pooling is the programs' business, and a test looks even
# while pgbouncer is stopped), each SQL argument one statement, stopping
# at the first error.  The same SQL prints the same text on both where it
# is portable: avoid booleans (PostgreSQL prints t/f; CAST(... AS
# INTEGER) prints 1/0 on both), group_concat (print the rows: paste -sd),
# hex() and blobs (sql_hex, sql_blob), and SQLite's double-quoted strings.
db_sql() {
	local db=$AUTH_DB ro= sep='|'
	local -a opt=(-batch -cmd '.timeout 5000')
	while [ $# -gt 0 ]; do
		case $1 in
		-db) db=$2; shift 2 ;;
		-ro) opt+=(-readonly); ro=1; shift ;;
		-sep) opt+=(-separator "$2"); sep=$2; shift 2 ;;
		*) break ;;
		esac
	done
	case $db in
	postgresql://*|postgres://*)
		local pgopt='-c lock_timeout=5s'
		[ -z "$ro" ] || pgopt+=' -c default_transaction_read_only=on'
		local -a psql=(psql -X -q -A -t -v ON_ERROR_STOP=1 -F "$sep"
		    -d "$(db_direct "$db")")
		if [ $# -gt 0 ]; then
			printf '%s;\n' "$@" | PGOPTIONS=$pgopt \
			    PGCLIENTENCODING=UTF8 "${psql[@]}"
		else
			PGOPTIONS=$pgopt PGCLIENTENCODING=UTF8 "${psql[@]}"
		fi
		;;
	*)
		sqlite3 "${opt[@]}" "$db" "$@" ;;
	esac
}

# db_new NAME: a fresh database for a part of a test, printed as the
# AUTH_DB that names it: SQLite $T/NAME.db (nothing there yet: the first
# request makes it); PostgreSQL a database of its own, empty, and its URI
# through pgbouncer (NAME "" is the file's own database, $AUTH_DB).
db_new() {
	local name
	if [ "$DB_KIND" != postgresql ]; then
		rm -f "$T/$1.db" "$T/$1.db-wal" "$T/$1.db-shm" "$T/$1.db-slots"
		printf '%s' "$T/$1.db"
		return
	fi
	name=$DB_PREFIX
	[ -z "$1" ] || name+=_$(printf '%s' "$1" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_' _)
	pg_dropdb "$name" >/dev/null && pg_createdb "$name" >/dev/null &&
	    pg_uri "$name"
}

# db_direct DB: a PostgreSQL URI through pgbouncer as the URI straight to
# PostgreSQL (the same database); anything else as it is.
db_direct() {
	case $1 in
	postgresql://*|postgres://*) printf '%s' "${1/:$PGB_PORT\//:$PG_PORT/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# db_made DB: the programs made DB: SQLite's file exists; a PostgreSQL
# database (which the harness makes, empty) has tables.
db_made() {
	case $1 in
	postgresql://*|postgres://*)
		[ "$(db_sql -ro -db "$1" "SELECT count(*) FROM pg_tables WHERE
		    schemaname NOT IN ('pg_catalog', 'information_schema')" \
		    2>/dev/null)" -gt 0 ] 2>/dev/null ;;
	*) [ -e "$1" ] ;;
	esac
}

# db_absent DB: nothing of DB was made: no file, -wal or -shm; no tables.
db_absent() {
	case $1 in
	postgresql://*|postgres://*) ! db_made "$1" ;;
	*) [ ! -e "$1" ] && [ ! -e "$1-wal" ] && [ ! -e "$1-shm" ] ;;
	esac
}

# db_has_table [-db DB] TABLE: 1 if DB has that table, else 0.
db_has_table() {
	local db=$AUTH_DB
	[ "$1" != -db ] || { db=$2; shift 2; }
	case $db in
	postgresql://*|postgres://*)
		db_sql -ro -db "$db" "SELECT count(*) FROM pg_tables WHERE
		    tablename = '$1' AND
		    schemaname NOT IN ('pg_catalog', 'information_schema')" ;;
	*) db_sql -ro -db "$db" "SELECT count(*) FROM sqlite_master WHERE name = '$1'" ;;
	esac
}

# db_schema_version [-db DB]: the schema version DB is at (SQLite: PRAGMA
# user_version; PostgreSQL: the highest version in its schema_version
# table, the name common/db-pg.c gives it).
db_schema_version() {
	local db=$AUTH_DB
	[ "${1:-}" != -db ] || db=$2
	case $db in
	postgresql://*|postgres://*)
		db_sql -ro -db "$db" 'SELECT max(version) FROM schema_version' ;;
	*) db_sql -db "$db" 'PRAGMA user_version' ;;
	esac
}

# The SQL that has no common spelling, for the database under test:
#   sql_hex EXPR        a blob (bytea) as upper-case hex: SQLite's hex()
#   sql_hex_text EXPR   the UTF-8 bytes of a text as upper-case hex
#   sql_blob HEX        a blob literal of those bytes
#   sql_write_lock      opens a transaction that keeps every other writer
#                       waiting until it ends (SQLite: BEGIN IMMEDIATE;
#                       PostgreSQL: each table locked against writes,
#                       reads still allowed, as SQLite's WAL allows them)
sql_hex() {
	if [ "$DB_KIND" = postgresql ]; then
		printf "upper(encode(%s, 'hex'))" "$1"
	else
		printf 'hex(%s)' "$1"
	fi
}
sql_hex_text() {
	if [ "$DB_KIND" = postgresql ]; then
		printf "upper(encode(convert_to(%s, 'UTF8'), 'hex'))" "$1"
	else
		printf 'hex(%s)' "$1"
	fi
}
sql_blob() {
	if [ "$DB_KIND" = postgresql ]; then
		printf "'\\\\x%s'::bytea" "$1"
	else
		printf "X'%s'" "$1"
	fi
}
sql_write_lock() {
	if [ "$DB_KIND" = postgresql ]; then
		cat <<-'EOF'
		BEGIN;
		DO $$ DECLARE t record; BEGIN
		    FOR t IN SELECT schemaname, tablename FROM pg_tables WHERE
		        schemaname NOT IN ('pg_catalog', 'information_schema') LOOP
		        EXECUTE format('LOCK TABLE %I.%I IN EXCLUSIVE MODE',
		            t.schemaname, t.tablename);
		    END LOOP; END $$;
		EOF
	else
		echo 'BEGIN IMMEDIATE;'
	fi
}

# on_sqlite WHAT WHY: true under SQLite.  Under PostgreSQL a part of a
# test that is about SQLite itself (its files, WAL, PRAGMA, ...) is
# skipped: "# SKIP tNN: WHAT: WHY" (tests/run.sh lists them at the end),
# and it is false; the part counts nothing, pass or fail.
on_sqlite() {
	[ "$DB_KIND" = postgresql ] || return 0
	skip "$1" "$2"
	return 1
}

# skip WHAT WHY: says that this part is skipped, and why.
skip() {
	echo "# SKIP $(basename "$0" .sh | sed 's/-.*//'): $1: $2"
}

# slots_file [DB]: the file whose bytes are the hashing slots' locks
# (corners-auth(8) "Hashing slots"): AUTH_HASH_SLOTS_FILE when it is set
# (under PostgreSQL, $T/slots: a PostgreSQL AUTH_DB has no file of its
# own to put it beside), else AUTH_DB-slots beside a SQLite file.
slots_file() {
	local db=${1:-$AUTH_DB}
	if [ -n "${AUTH_HASH_SLOTS_FILE:-}" ]; then
		printf '%s' "$AUTH_HASH_SLOTS_FILE"
		return
	fi
	case $db in
	postgresql://*|postgres://*) ;;
	*) printf '%s' "$db-slots" ;;
	esac
}

# have_slots_file WHAT [DB]: true when slots_file names DB's lock file;
# otherwise "# SKIP tNN: WHAT: ..." and false.
have_slots_file() {
	[ -z "$(slots_file "${2:-$AUTH_DB}")" ] || return 0
	skip "$1" "it watches the hashing slots' lock file, and this PostgreSQL AUTH_DB has none (AUTH_HASH_SLOTS_FILE unset)"
	return 1
}

# api_check: every answer recorded (api_record) against openapi.json, in
# one run of tests/openapi-check.py; its "ok -" and "FAIL -" lines counted.
api_check() {
	local out line
	[ -s "$API_RECORDS" ] || return 0
	out=$(/usr/bin/python3 "$TOP/tests/openapi-check.py" responses \
	    "$OPENAPI" "$API_RECORDS" 2>&1)
	while IFS= read -r line; do
		case $line in
		"ok - "*) PASS=$((PASS + 1)); echo "$line" ;;
		"FAIL - "*) FAIL=$((FAIL + 1)); echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <<<"$out"
	case $out in
	*"ok - openapi: "*) ;;
	*) not_ok "openapi: the answers checked against openapi.json" \
	    "tests/openapi-check.py did not finish" ;;
	esac
}

finish() {
	local f
	for f in "$T"/asan* "$T"/ubsan*; do
		[ -e "$f" ] || continue
		not_ok "sanitizer report $(basename "$f")" "$(head -c 2000 "$f")"
	done
	if grep -q 'runtime error:\|AddressSanitizer' "$T/server.log" \
	    "$T/server-b.log" "$T/cgi.log" 2>/dev/null; then
		not_ok "sanitizer output in the server log" \
		    "$(grep -h -m3 'runtime error:\|AddressSanitizer' \
		    "$T/server.log" "$T/server-b.log" "$T/cgi.log" 2>/dev/null)"
	fi
	api_check
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# --- Issue 14: the account endpoints, logout, rotation ----------------------
# Helpers of t33-logout, t35-rotation, t41-me-email, t43-me-password,
# t47-me-delete, t48-account-http and t85-faults:
#   authed METHOD PATH BODY TOKEN [CURL-ARG...]
#                                 req with "Authorization: Bearer TOKEN"
#   logout_with TOKEN [EVERYWHERE]
#                                 POST logout {"refresh": TOKEN} (and
#                                 "everywhere": EVERYWHERE, JSON text)
#   change_password TOKEN CURRENT NEW [CONFIRM]
#                                 PUT me/password (values JSON-encoded by
#                                 jq); $access, $refresh from a 200
#   check_answer STATUS JSON "desc"   the status and exactly that body (keys
#                                 sorted): 1 check
#   check_error STATUS MESSAGE "desc" the same for {"message": MESSAGE,
#                                 "details": null}: 1 check
#   check_rate_429 MESSAGE WINDOW "desc"
#                                 the whole 429 of a scope: status, body with
#                                 details.retry_after, Retry-After: 3 checks
#   token_for ID [TYPE [IAT [TTL]]]   a token signed here with AUTH_JWT_SECRET
#                                 (TYPE access, IAT now, TTL 300), random jti
#   import_social ID USERNAME EMAIL   authctl import-django of one account
#                                 without a usable password ("!" and 40
#                                 random characters, as Django stores one)
#   make_unusable ID              that user's hash made unusable ("!...")
#   race DIR N METHOD PATH [CURL-ARG...]
#                                 N clients send the request at once (held
#                                 at a lock, then let go together); client
#                                 i sends DIR/req.i, or DIR/req, or no body,
#                                 and the headers in DIR/hdr.i if there is
#                                 one; its answer in DIR/status.i, DIR/body.i
#                                 (RACE_PORTS="P0 P1 ...": client i goes to
#                                 port P(i mod count): two hosts, t93)
#   race_tally DIR                the answers of a race counted by status,
#                                 "200:1 400:15"
#   sleep_until SECOND            sleep until date +%s is at least SECOND

# The password scope (PUT me/password, DELETE me) is met only where a test
# sets its own limit, as the other scopes are.
export AUTH_RATE_PASSWORD=100000

authed() {
	local m=$1 p=$2 data=$3 tok=$4
	shift 4
	req "$m" "$p" "$data" -H "Authorization: Bearer $tok" "$@"
}

logout_with() {
	if [ $# -gt 1 ]; then
		req POST logout "{\"refresh\":\"$1\",\"everywhere\":$2}"
	else
		req POST logout "{\"refresh\":\"$1\"}"
	fi
}

change_password() {
	authed PUT me/password "$(jq -cn --arg c "$2" --arg n "$3" \
	    --arg k "${4-$3}" '{current_password: $c, new_password: $n,
	    new_password_confirm: $k}')" "$1"
	tokens
}

check_answer() {
	local want got
	want=$(printf '%s' "$2" | jq -cS .)
	got=$(printf '%s' "$body" | jq -cS . 2>/dev/null || printf '%s' "$body")
	if [ "$status" = "$1" ] && [ "$got" = "$want" ]; then
		ok "$3"
	else
		not_ok "$3" "want $1 $want, got $status ${got:0:600}"
	fi
}

check_error() {
	check_answer "$1" "$(jq -cn --arg m "$2" '{message: $m, details: null}')" "$3"
}

check_rate_429() {
	local n now end want
	now=$(date +%s)
	end=$(( (now / $2 + 1) * $2 - now ))
	n=$(header Retry-After)
	check_status 429 "$3: 429"
	check "$3: Retry-After ($n) is the seconds until the window ends ($end)" \
	    eval '[[ "$n" =~ ^[0-9]+$ ]] && [ $((n - end)) -ge -1 ] &&
	    [ $((n - end)) -le 1 ]'
	want=$(jq -cnS --arg m "$1" --argjson n "${n:-0}" \
	    '{message: $m, details: {retry_after: $n}}' 2>/dev/null)
	check "$3: the body is {\"message\": \"$1\", \"details\": {\"retry_after\": $n}}" \
	    test "$(printf '%s' "$body" | jq -cS . 2>&1)" = "$want"
}

token_for() {
	local iat=${3:-$(date +%s)} jti
	jti=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	sign '{"alg":"HS256","typ":"JWT"}' "$(printf \
	    '{"token_type":"%s","exp":%d,"iat":%d,"jti":"%s","user_id":%s}' \
	    "${2:-access}" $((iat + ${4:-300})) "$iat" "$jti" "$1")"
}

import_social() {
	local pw
	pw="!$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40)"
	{
		echo 'id,password,last_login,is_superuser,username,last_name,email,is_staff,is_active,date_joined,first_name'
		echo "$1,$pw,,0,$2,\"\",$3,0,1,\"2024-01-01 00:00:00\",\"\""
	} >"$T/social.csv"
	ctl import-django "$T/social.csv"
}

make_unusable() {
	db_sql "UPDATE users SET password =
	    '!$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')' WHERE id = $1"
}

race() {
	local dir=$1 n=$2 m=$3 p=$4 i gate
	local -a pids=() ports=(${RACE_PORTS:-$PORT})
	shift 4
	mkdir -p "$dir"
	rm -f "$dir"/status.* "$dir"/body.*
	exec {gate}>"$dir/gate"
	flock -x "$gate"
	for i in $(seq "$n"); do
		(
			exec {gate}>&-
			f=$dir/req.$i
			[ -e "$f" ] || f=$dir/req
			a=(-s -X "$m" -o "$dir/body.$i" -w '%{http_code}')
			[ -e "$f" ] && a+=(--data-binary "@$f"
			    -H 'Content-Type: application/json')
			[ -e "$dir/hdr.$i" ] && a+=(-H "@$dir/hdr.$i")
			flock -s "$dir/gate" true
			port=${ports[i % ${#ports[@]}]}
			curl "${a[@]}" "$@" "http://127.0.0.1:$port$(path "$p")" \
			    >"$dir/status.$i"
		) &
		pids+=($!)
	done
	sleep 0.3	# all of them at the lock
	flock -u "$gate"
	exec {gate}>&-
	wait "${pids[@]}"
}

race_tally() {
	awk 1 "$1"/status.* | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }'
}

sleep_until() {
	local now
	while now=$(usec); [ $((now / 1000000)) -lt "$1" ]; do
		sleep "$(printf '%d.%06d' 0 $((1000000 - now % 1000000)))"
	done
}

# --- DB=postgresql: the cluster and this file's database ----------------------
# (Last: it uses the helpers above.)
if [ "$DB_KIND" = postgresql ]; then
	. "$TOP/tests/pg.sh"
	if [ -n "${CORNERS_AUTH_PG:-}" ]; then
		export PGH=$CORNERS_AUTH_PG
		# (Should a file before this one have left either down.)
		pg_ensure_up || { echo "lib.sh: PostgreSQL is down" >&2; exit 2; }
	else
		# Run by itself, not by tests/run.sh: a cluster for this file.
		PG_OWN=1
		pg_up || { echo "lib.sh: cannot start PostgreSQL" >&2; exit 2; }
	fi
	# tNN_RANDOM: one file's databases, unique within the run.
	DB_PREFIX=$(basename "$0" .sh | sed 's/-.*//' | tr -c 'a-z0-9_\n' _)_$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	AUTH_DB=$(db_new "") || { echo "lib.sh: cannot make a database" >&2; exit 2; }
	DB_DIRECT=$(db_direct "$AUTH_DB")
	# The hashing slots' lock file: a PostgreSQL AUTH_DB has no file to
	# put it beside, and the default (beside the compiled-in database)
	# would be shared by every file of the run.
	export AUTH_HASH_SLOTS_FILE=$T/slots
fi

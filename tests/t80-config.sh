#!/usr/bin/env bash
# SPEC "Configuration" (every AUTH_* setting read strictly, the key from the
# environment, a file or the database) and storage failures (503).
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
SECRET=$AUTH_JWT_SECRET
INTERNAL='{"message":"Internal server error.","details":null}'

# An immutable file (the read-only test) must not outlive the test or
# stop lib.sh's cleanup from removing $T.
IMMUTABLE=
trap '[ -z "$IMMUTABLE" ] || chattr -i $IMMUTABLE 2>/dev/null; cleanup' EXIT

# --- helpers of this file -------------------------------------------------

# me_cgi TOKEN [ENV-ARG...]: GET me with that bearer token, run directly
# (cgi, with these settings), not through the server as lib.sh's me.
me_cgi() {
	local tok=$1
	shift
	METHOD=GET cgi me '' "$@" HTTP_AUTHORIZATION="Bearer $tok"
}

n=0
# fresh: a new registration body in $REG (user $u), a login body in $LOG.
fresh() {
	n=$((n + 1))
	u="member$n$$"
	REG="{\"username\":\"$u\",\"email\":\"$u@example.com\",\"password\":\"$PW\"}"
	LOG="{\"username\":\"$u\",\"password\":\"$PW\"}"
}


# signed_with TOKEN KEY: the token's signature is HS256 under KEY.
signed_with() {
	local want
	want=$(printf '%s' "${1%.*}" | openssl dgst -sha256 -hmac "$2" -binary |
	    base64 -w0 | tr '+/' '-_' | tr -d '=')
	[ -n "$1" ] && [ "${1##*.}" = "$want" ]
}

# check_500 VAR "what" [ENV-ARG...]: the setting makes register answer 500,
# with one log line naming VAR.
check_500() {
	local var=$1 what=$2
	shift 2
	fresh
	cgi register "$REG" "$@"
	check_status 500 "config: $what is a startup error: 500"
	check "config: $what: the body is {\"message\": \"Internal server error.\", \"details\": null}" \
	    test "$(jq -cS . <<<"$body" 2>&1)" = "$(jq -cS . <<<"$INTERNAL")"
	check "config: $what: the error goes to stderr as one line ($(err_lines))" \
	    test "$(err_lines)" = 1
	check "config: $what: the log line names $var ($(head -c 200 "$T/err"))" \
	    grep -qF "$var" "$T/err"
}

start_server
fresh
register "$u" "$u@example.com" "$PW"
check_status 201 "register: a new user gets 201 (the default test settings)"
A0=$access
R0=$refresh
fresh
cgi register "$REG"
check_status 201 "register: the same settings through cgi answer 201"

# --- 1. malformed settings --------------------------------------------------------

check_500 AUTH_ACCESS_TTL "AUTH_ACCESS_TTL=abc" AUTH_ACCESS_TTL=abc
check_500 AUTH_ACCESS_TTL "AUTH_ACCESS_TTL=-1" AUTH_ACCESS_TTL=-1
check_500 AUTH_ACCESS_TTL "AUTH_ACCESS_TTL=0" AUTH_ACCESS_TTL=0
check_500 AUTH_ACCESS_TTL "AUTH_ACCESS_TTL= (empty)" AUTH_ACCESS_TTL=
check_500 AUTH_ACCESS_TTL "AUTH_ACCESS_TTL=300s" AUTH_ACCESS_TTL=300s
check_500 AUTH_ACCESS_TTL "AUTH_ACCESS_TTL=99999999999999999999999 (overflow)" \
    AUTH_ACCESS_TTL=99999999999999999999999
check_500 AUTH_REFRESH_TTL "AUTH_REFRESH_TTL=1.5" AUTH_REFRESH_TTL=1.5
check_500 AUTH_REFRESH_TTL "AUTH_REFRESH_TTL=1e5" AUTH_REFRESH_TTL=1e5
check_500 AUTH_PBKDF2_ITERATIONS "AUTH_PBKDF2_ITERATIONS=0" AUTH_PBKDF2_ITERATIONS=0
check_500 AUTH_PBKDF2_ITERATIONS "AUTH_PBKDF2_ITERATIONS=' 1000'" "AUTH_PBKDF2_ITERATIONS= 1000"
check_500 AUTH_PBKDF2_ITERATIONS "AUTH_PBKDF2_ITERATIONS='1000 '" "AUTH_PBKDF2_ITERATIONS=1000 "
check_500 AUTH_PBKDF2_ITERATIONS "AUTH_PBKDF2_ITERATIONS=0x100" AUTH_PBKDF2_ITERATIONS=0x100
check_500 AUTH_PBKDF2_ITERATIONS "AUTH_PBKDF2_ITERATIONS=+1000" AUTH_PBKDF2_ITERATIONS=+1000
# SPEC "POST login": 5,000,000 iterations at most, everywhere.
check_500 AUTH_PBKDF2_ITERATIONS "AUTH_PBKDF2_ITERATIONS=5000001 (above 5,000,000)" \
    AUTH_PBKDF2_ITERATIONS=5000001
check_500 AUTH_PBKDF2_ITERATIONS "AUTH_PBKDF2_ITERATIONS=100000000" \
    AUTH_PBKDF2_ITERATIONS=100000000
check_500 AUTH_RATE_LIMIT "AUTH_RATE_LIMIT=2" AUTH_RATE_LIMIT=2
check_500 AUTH_RATE_LIMIT "AUTH_RATE_LIMIT=yes" AUTH_RATE_LIMIT=yes
check_500 AUTH_RATE_WINDOW "AUTH_RATE_WINDOW= (empty)" AUTH_RATE_WINDOW=
check_500 AUTH_RATE_WINDOW "AUTH_RATE_WINDOW=0" AUTH_RATE_WINDOW=0
check_500 AUTH_RATE_LOGIN "AUTH_RATE_LOGIN=ten" AUTH_RATE_LOGIN=ten
check_500 AUTH_RATE_REGISTER "AUTH_RATE_REGISTER=-5" AUTH_RATE_REGISTER=-5
check_500 AUTH_RATE_REFRESH "AUTH_RATE_REFRESH=1.0" AUTH_RATE_REFRESH=1.0
check_500 AUTH_RATE_PASSWORD "AUTH_RATE_PASSWORD=0" AUTH_RATE_PASSWORD=0
check_500 AUTH_ROTATE_REFRESH "AUTH_ROTATE_REFRESH=2" AUTH_ROTATE_REFRESH=2
check_500 AUTH_ROTATE_REFRESH "AUTH_ROTATE_REFRESH=yes" AUTH_ROTATE_REFRESH=yes
check_500 AUTH_REFRESH_REUSE_GRACE "AUTH_REFRESH_REUSE_GRACE=-1" \
    AUTH_REFRESH_REUSE_GRACE=-1
check_500 AUTH_REFRESH_REUSE_GRACE "AUTH_REFRESH_REUSE_GRACE=86401" \
    AUTH_REFRESH_REUSE_GRACE=86401
check_500 AUTH_TRUSTED_PROXIES "AUTH_TRUSTED_PROXIES=not-an-ip" AUTH_TRUSTED_PROXIES=not-an-ip
check_500 AUTH_TRUSTED_PROXIES "AUTH_TRUSTED_PROXIES=10.0.0.0/33" AUTH_TRUSTED_PROXIES=10.0.0.0/33
check_500 AUTH_TRUSTED_PROXIES "AUTH_TRUSTED_PROXIES=::1/129" AUTH_TRUSTED_PROXIES=::1/129
check_500 AUTH_TRUSTED_PROXIES "AUTH_TRUSTED_PROXIES=300.1.1.1" AUTH_TRUSTED_PROXIES=300.1.1.1
check_500 AUTH_TRUSTED_PROXIES "AUTH_TRUSTED_PROXIES=127.0.0.1,bogus" AUTH_TRUSTED_PROXIES=127.0.0.1,bogus
check_500 AUTH_MIN_PASSWORD_ENTROPY "AUTH_MIN_PASSWORD_ENTROPY=x" AUTH_MIN_PASSWORD_ENTROPY=x
check_500 AUTH_MIN_PASSWORD_ENTROPY "AUTH_MIN_PASSWORD_ENTROPY=-1" AUTH_MIN_PASSWORD_ENTROPY=-1
check_500 AUTH_JWT_SECRET "AUTH_JWT_SECRET=short (5 bytes)" AUTH_JWT_SECRET=short
check_500 AUTH_JWT_SECRET "AUTH_JWT_SECRET of 31 bytes" \
    AUTH_JWT_SECRET=0123456789abcdef0123456789abcde
check_500 AUTH_JWT_SECRET "AUTH_JWT_SECRET= (empty)" AUTH_JWT_SECRET=
check_500 AUTH_JWT_SECRET_FILE "AUTH_JWT_SECRET_FILE=/nonexistent" \
    -u AUTH_JWT_SECRET AUTH_JWT_SECRET_FILE=/nonexistent
printf 'only-twenty-bytes!!!\n' >"$T/short.key"
check_500 AUTH_JWT_SECRET_FILE "AUTH_JWT_SECRET_FILE with a 20-byte key" \
    -u AUTH_JWT_SECRET AUTH_JWT_SECRET_FILE="$T/short.key"
KEY=k3y-0f-f0rty-bytes-f0r-the-test-0123456
printf '%s\n' "$KEY" >"$T/jwt.key"
check_500 AUTH_JWT_SECRET "both AUTH_JWT_SECRET and AUTH_JWT_SECRET_FILE set" \
    AUTH_JWT_SECRET_FILE="$T/jwt.key"
# A name this version does not know is an error too (SPEC: a typo would
# otherwise leave the limiter on unnoticed); AUTH_TYPE is the server's.
check_500 AUTH_RATE_LIMTI "AUTH_RATE_LIMTI=0 (a typo)" AUTH_RATE_LIMTI=0
check_500 AUTH_PBKDF2_ITERATION "AUTH_PBKDF2_ITERATION=1000 (a typo)" \
    AUTH_PBKDF2_ITERATION=1000
check_500 AUTH_ "AUTH_= (no name)" AUTH_=
check_500 AUTH_DB_PATH "AUTH_DB_PATH (not ours)" AUTH_DB_PATH=/tmp/x.db
check "config: the unknown name is said as a name, not as a setting that failed ($(head -c 200 "$T/err"))" \
    grep -q '^conf: AUTH_DB_PATH: not a setting this version knows' "$T/err"
fresh
cgi register "$REG" $'AUTH_RATE_\e]0;x\a=1'
check "config: an unknown name with control bytes is logged without them ($(od -An -c "$T/err" | head -c 120))" \
    eval '[ "$status" = 500 ] && ! LC_ALL=C grep -q "$(printf "[\001-\010\033\177]")" "$T/err" && grep -q "AUTH_RATE_?]0;x?" "$T/err"'

for ep in login refresh me; do
	case $ep in
	login) METHOD=POST cgi login "$LOG" AUTH_REFRESH_TTL=abc ;;
	refresh) METHOD=POST cgi refresh "{\"refresh\":\"$R0\"}" AUTH_REFRESH_TTL=abc ;;
	me) me_cgi "$A0" AUTH_REFRESH_TTL=abc ;;
	esac
	check_status 500 "config: $ep: a malformed setting is a 500 on every endpoint"
	check "config: $ep: the 500 body is exact" \
	    test "$(jq -cS . <<<"$body" 2>&1)" = "$(jq -cS . <<<"$INTERNAL")"
	check "config: $ep: the log line names AUTH_REFRESH_TTL" grep -qF AUTH_REFRESH_TTL "$T/err"
done
check_header Cache-Control no-store "config: a 500 has Cache-Control: no-store"
check_header X-Content-Type-Options nosniff "config: a 500 has X-Content-Type-Options: nosniff"
check_header Content-Type application/json "config: a 500 has Content-Type: application/json"

# --- 2. valid values work ------------------------------------------------------------

fresh
cgi register "$REG" AUTH_ACCESS_TTL=60 AUTH_REFRESH_TTL=120
check_status 201 "config: AUTH_ACCESS_TTL=60 AUTH_REFRESH_TTL=120 are valid"
tokens
check "config: AUTH_ACCESS_TTL=60 gives access tokens exp = iat + 60" \
    test "$(( $(claim "$access" .exp) - $(claim "$access" .iat) ))" = 60
check "config: AUTH_REFRESH_TTL=120 gives refresh tokens exp = iat + 120" \
    test "$(( $(claim "$refresh" .exp) - $(claim "$refresh" .iat) ))" = 120
cgi refresh "{\"refresh\":\"$refresh\"}" AUTH_ACCESS_TTL=45
tokens
check "config: refresh also issues access tokens of AUTH_ACCESS_TTL (45)" \
    test "$(( $(claim "$access" .exp) - $(claim "$access" .iat) ))" = 45
fresh
cgi register "$REG"
tokens
check "config: by default access tokens live 300 s" \
    test "$(( $(claim "$access" .exp) - $(claim "$access" .iat) ))" = 300
check "config: by default refresh tokens live 86400 s" \
    test "$(( $(claim "$refresh" .exp) - $(claim "$refresh" .iat) ))" = 86400

fresh
cgi register "$REG" AUTH_PBKDF2_ITERATIONS=1234
check_status 201 "config: AUTH_PBKDF2_ITERATIONS=1234 is valid"
check "config: AUTH_PBKDF2_ITERATIONS=1234 is the cost of new hashes" \
    test "$(db_sql -ro "SELECT password FROM users WHERE username = '$u'" | cut -d'$' -f1,2)" = 'pbkdf2_sha256$1234'

AUTH_RATE_LIMTI=0 ctl stats
check "config: authctl refuses an unknown AUTH_* name too: exit 1, the name said ($(ctl_got))" \
    eval '[ "$ctl_rc" = 1 ] && grep -q "^conf: AUTH_RATE_LIMTI: not a setting" <<<"$ctl_err"'
AUTH_PBKDF2_ITERATIONS=5000001 ctl stats
check "config: authctl refuses AUTH_PBKDF2_ITERATIONS=5000001: exit 1 ($(ctl_got))" \
    eval '[ "$ctl_rc" = 1 ] && grep -q "^conf: AUTH_PBKDF2_ITERATIONS" <<<"$ctl_err"'

fresh
cgi register "$REG" AUTH_PBKDF2_ITERATIONS=5000000
check_status 201 "config: AUTH_PBKDF2_ITERATIONS=5000000 (the most) is valid"

for setting in AUTH_TYPE=Basic AUTH_RATE_PASSWORD=1 AUTH_ROTATE_REFRESH=0 \
    AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=0 \
    AUTH_REFRESH_REUSE_GRACE=86400 AUTH_RATE_LIMIT=0 AUTH_RATE_LIMIT=1 AUTH_RATE_WINDOW=1 \
    AUTH_RATE_WINDOW=86400 AUTH_RATE_LOGIN=1000000 AUTH_MIN_PASSWORD_ENTROPY=0 \
    AUTH_MIN_PASSWORD_ENTROPY=10 AUTH_TRUSTED_PROXIES=127.0.0.1 \
    AUTH_TRUSTED_PROXIES=127.0.0.0/8,10.0.0.0/8,::1,2001:db8::/32 \
    AUTH_ACCESS_TTL=1 AUTH_REFRESH_TTL=2592000; do
	cgi login "$LOG" "$setting"
	check_status 200 "config: $setting is a valid setting (login 200)"
done

# The key from a file: one trailing newline is not part of it.
fresh
cgi register "$REG" -u AUTH_JWT_SECRET AUTH_JWT_SECRET_FILE="$T/jwt.key"
check_status 201 "config: AUTH_JWT_SECRET_FILE naming a 40-byte key file is valid"
tokens
check "config: the file's key (without its newline) signs the tokens" \
    signed_with "$access" "$KEY"
me_cgi "$access" AUTH_JWT_SECRET="$KEY"
check_status 200 "config: a token made with the key file verifies with the same key in AUTH_JWT_SECRET"
me_cgi "$access" AUTH_JWT_SECRET="$KEY"$'\n'
check_status 401 "config: ...and not with the key plus a newline (the newline was not key)"
me_cgi "$access"
check_status 401 "config: ...and not under another key"
cgi refresh "{\"refresh\":\"$refresh\"}" AUTH_JWT_SECRET="$KEY"
check_status 200 "config: the file key's refresh token works with the key in AUTH_JWT_SECRET"
cgi login "$LOG" AUTH_JWT_SECRET="$KEY"
tokens
me_cgi "$access" -u AUTH_JWT_SECRET AUTH_JWT_SECRET_FILE="$T/jwt.key"
check_status 200 "config: a token made with AUTH_JWT_SECRET verifies with the same key from the file"
check "config: AUTH_JWT_SECRET is the HS256 key as given" signed_with "$access" "$KEY"
printf '%s' "$KEY" >"$T/jwt-nonl.key"
me_cgi "$access" -u AUTH_JWT_SECRET AUTH_JWT_SECRET_FILE="$T/jwt-nonl.key"
check_status 200 "config: a key file without a final newline holds the same key"
K32=0123456789abcdef0123456789abcdef
cgi login "$LOG" AUTH_JWT_SECRET="$K32"
check_status 200 "config: a key of exactly 32 bytes is valid"
tokens
check "config: the 32-byte key signs the tokens" signed_with "$access" "$K32"

# --- 3. the generated key --------------------------------------------------------------

GEN=$(db_new gen)
GEN2=$(db_new gen2)
unset AUTH_JWT_SECRET
umask 000	# the 0600 must not depend on the caller's umask
start_server AUTH_DB="$GEN"
umask 022
fresh
register "$u" "$u@example.com" "$PW"
check_status 201 "config: without AUTH_JWT_SECRET a user can register"
if on_sqlite "config: the database file's mode" "SQLite's file"; then
	check "config: the database file is created mode 0600 ($(stat -c %a "$GEN" 2>&1))" \
	    test "$(stat -c %a "$GEN" 2>&1)" = 600
fi
check "config: a key is generated and kept in the database (settings 'jwt_secret', 32 bytes)" \
    test "$(db_sql -ro -db "$GEN" "SELECT length(value) FROM settings WHERE name = 'jwt_secret'")" = 32
key1=$(db_sql -ro -db "$GEN" "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'")
check "config: the generated key signs the tokens" \
    signed_with_hex "$access" "$key1"
GA=$access
GR=$refresh
req GET me - -H "Authorization: Bearer $GA"
check_status 200 "config: a token made with the generated key works on /me"
start_server AUTH_DB="$GEN"
req GET me - -H "Authorization: Bearer $GA"
check_status 200 "config: the generated key is kept: a token from register works on /me after a restart"
req POST refresh "{\"refresh\":\"$GR\"}"
check_status 200 "config: ...and its refresh token still refreshes"
req POST login "$LOG"
check_status 200 "config: login after the restart works"
check "config: the key is not regenerated on later requests" \
    test "$(db_sql -ro -db "$GEN" "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'")" = "$key1"
fresh
cgi register "$REG" AUTH_DB="$GEN2"
check_status 201 "config: a second database gets its own key"
key2=$(db_sql -ro -db "$GEN2" "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'")
check "config: generated keys are random (two databases, two keys)" \
    test -n "$key2" -a "$key2" != "$key1"
me_cgi "$GA" AUTH_DB="$GEN2"
check_status 401 "config: a token of the first database's key is refused under the second's"
export AUTH_JWT_SECRET=$SECRET
me_cgi "$GA" AUTH_DB="$GEN"
check_status 401 "config: a configured AUTH_JWT_SECRET is used instead of the stored key"
stop_server

# --- 4. storage failures: 503 ------------------------------------------------------------

# The faults of SQLite's file; PostgreSQL's counterpart of the missing
# file is a database that does not exist (its own faults: t85).
if on_sqlite "storage: a missing directory, a file that is not a database, a full disk, a read-only file" \
    "faults of SQLite's file"; then
	fresh
	cgi register "$REG" AUTH_DB="$T/no-such-dir/auth.db"
	check_503 "storage: register with AUTH_DB in a directory that does not exist"
	check "storage: the failure goes to stderr as one line ($(err_lines))" test "$(err_lines)" = 1
	cgi login "$LOG" AUTH_DB="$T/no-such-dir/auth.db"
	check_503 "storage: login with AUTH_DB in a missing directory"
	cgi refresh "{\"refresh\":\"$R0\"}" AUTH_DB="$T/no-such-dir/auth.db"
	check_503 "storage: refresh with AUTH_DB in a missing directory"
	me_cgi "$A0" AUTH_DB="$T/no-such-dir/auth.db"
	check_503 "storage: me with AUTH_DB in a missing directory"
	check "storage: the missing directory is not created" test ! -e "$T/no-such-dir"

	for i in $(seq 64); do echo "this is not a database, it is a text file, line $i"; done >"$T/garbage.db"
	sum=$(md5sum <"$T/garbage.db")
	fresh
	cgi register "$REG" AUTH_DB="$T/garbage.db"
	check_503 "storage: register with AUTH_DB a file that is not a database"
	check "storage: the failure goes to stderr as one line ($(err_lines))" test "$(err_lines)" = 1
	cgi login "$LOG" AUTH_DB="$T/garbage.db"
	check_503 "storage: login with AUTH_DB a file that is not a database"
	check "storage: the file that is not a database is not replaced" \
	    test "$(md5sum <"$T/garbage.db")" = "$sum"

	# Disk full: no file may grow (RLIMIT_FSIZE 0; SIGXFSZ ignored, so writes
	# fail with EFBIG as on a full disk).
	FULL="$T/full.db"
	fresh
	cgi register "$REG" AUTH_DB="$FULL"
	check_status 201 "storage: a fresh database for the disk-full test"
	fresh
	printf '%s' "$REG" >"$T/reqbody"
	( trap '' XFSZ
	  exec prlimit --fsize=0 env AUTH_DB="$FULL" REQUEST_METHOD=POST \
	    CONTENT_LENGTH="$(stat -c %s "$T/reqbody")" REMOTE_ADDR=127.0.0.1 \
	    "$BIN/register" <"$T/reqbody" 2> >(cat >"$T/err") ) | cat >"$T/cgiout"
	sleep 0.1
	cat "$T/err" >>"$T/cgi.log"
	parse_cgi
	api_cgi_record register REQUEST_METHOD=POST
	check_503 "storage: register on a full disk"
	check "storage: nothing was registered on the full disk" \
	    test "$(db_sql -ro -db "$FULL" "SELECT count(*) FROM users WHERE username = '$u'")" = 0

	# A read-only file: as root, chmod does not stop us; an immutable file does.
	RO="$T/ro.db"
	fresh
	cgi register "$REG" AUTH_DB="$RO"
	check_status 201 "storage: a fresh database for the read-only test"
	# As root chmod does not stop a write, so the file is made immutable; an
	# unprivileged run (tests/run.sh drops root) takes its write bits away.
	if [ "$(id -u)" = 0 ]; then
		chattr +i "$RO" && IMMUTABLE=$RO
	else
		chmod 0400 "$RO"
	fi
	fresh
	cgi register "$REG" AUTH_DB="$RO"
	check_503 "storage: register on a read-only database file"
	cgi login "$LOG" AUTH_DB="$RO"
	check_503 "storage: login (which counts the attempt) on a read-only database file"
	if [ -n "$IMMUTABLE" ]; then
		chattr -i "$RO"
		IMMUTABLE=
	else
		chmod 0600 "$RO"
	fi
	cgi register "$REG" AUTH_DB="$RO"
	check_status 201 "storage: once writable again, the same registration succeeds"
else
	NODB=$(pg_uri "${DB_PREFIX}_nosuch")
	fresh
	cgi register "$REG" AUTH_DB="$NODB"
	check_503 "storage: register with AUTH_DB naming a database that does not exist"
	check "storage: the failure goes to stderr as one line ($(err_lines))" test "$(err_lines)" = 1
	cgi login "$LOG" AUTH_DB="$NODB"
	check_503 "storage: login with AUTH_DB naming a database that does not exist"
	cgi refresh "{\"refresh\":\"$R0\"}" AUTH_DB="$NODB"
	check_503 "storage: refresh with AUTH_DB naming a database that does not exist"
	me_cgi "$A0" AUTH_DB="$NODB"
	check_503 "storage: me with AUTH_DB naming a database that does not exist"
fi

# Locked past the busy timeout: another process holds the write lock
# (PostgreSQL: every table locked against writes; the programs' own 5 s
# deadline is the busy timeout there).
LOCK=$(db_new lock)
start_server AUTH_DB="$LOCK"
fresh
register "$u" "$u@example.com" "$PW"
check_status 201 "storage: a fresh database for the lock test"
mkfifo "$T/lockfifo"
db_sql -db "$LOCK" <"$T/lockfifo" >"$T/lock.out" 2>&1 &
holder=$!
exec 7>"$T/lockfifo"
{ sql_write_lock; echo "SELECT 'locked';"; } >&7
for _ in $(seq 50); do
	grep -q locked "$T/lock.out" 2>/dev/null && break
	sleep 0.1
done
check "storage: another process holds the write lock" grep -q locked "$T/lock.out"
pids=()
for ep in register login; do
	case $ep in
	register) fresh; b=$REG ;;
	login) b=$LOG ;;
	esac
	curl -s -o "$T/lock.$ep.body" -D "$T/lock.$ep.hdrs" \
	    -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
	    --data-binary "$b" -m 20 "http://127.0.0.1:$PORT$(path "$ep")" \
	    >"$T/lock.$ep.out" &
	pids+=($!)
done
wait "${pids[@]}"
echo "ROLLBACK;" >&7
exec 7>&-
wait "$holder"
for ep in register login; do
	read -r code secs <"$T/lock.$ep.out"
	status=$code
	body=$(cat "$T/lock.$ep.body")
	hdrs=$(tr -d '\r' <"$T/lock.$ep.hdrs")
	check_503 "storage: $ep while the database is locked past the busy timeout"
	check "storage: $ep waits about the 5 s busy timeout, then answers (${secs}s)" \
	    awk -v s="${secs:-0}" 'BEGIN { exit !(s >= 4.5 && s < 10) }'
done
fresh
register "$u" "$u@example.com" "$PW"
check_status 201 "storage: once the lock is released, registering works again"

# --- a schema that is not what it claims: 503, never a crash -------------------

if on_sqlite "a schema version without its tables" \
    "made with PRAGMA user_version, SQLite's"; then
	BROKEN="$T/broken.db"
	db_sql -db "$BROKEN" "PRAGMA journal_mode=WAL; PRAGMA user_version=$SCHEMA_VERSION;" >/dev/null
	fresh
	cgi register "$REG" AUTH_DB="$BROKEN"
	check_status 503 "register: a database without its tables is a storage failure (503)"
	check "register: ...answered with a Status line and the 503 body" \
	    test "$(printf '%s' "$body" | jq -r .message)" = "Service temporarily unavailable."
	cgi login "$LOG" AUTH_DB="$BROKEN"
	check_status 503 "login: a database without its tables is a storage failure (503)"
fi

finish

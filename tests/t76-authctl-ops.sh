#!/usr/bin/env bash
# authctl's operator commands on the database as a whole: secret rotate
# (with and without --grace) and secret show-source, purge, stats and
# check, against a running server, so that what they change is seen
# through the real endpoints over HTTP.
# any-cgi-server (tests/run.sh: authctl's key and database commands)
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
SECRET=$AUTH_JWT_SECRET
FILEKEY=k3y-0f-f0rty-bytes-f0r-the-test-01234567	# 40 bytes
printf '%s\n' "$FILEKEY" >"$T/jwt.key"

# --- helpers of this file ----------------------------------------------------

# out_has STRING / err_has STRING: the last run's stdout / stderr holds it.
out_has() {
	printf '%s\n' "$ctl_out" | grep -qF -- "$1"
}
err_has() {
	printf '%s\n' "$ctl_err" | grep -qF -- "$1"
}

# check_ctl "desc" COMMAND...: check, but a failure shows authctl's output.
check_ctl() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc" "exit $ctl_rc; stdout ${ctl_out:0:400}; stderr ${ctl_err:0:400}"
	fi
}

# me_is CODE TOKEN "desc" / refresh_is CODE TOKEN "desc"
me_is() {
	me "$2"
	check_status "$1" "$3"
}
refresh_is() {
	refresh_with "$2"
	check_status "$1" "$3"
}

# db_key: the database's signing key in hex ("" if none).
db_key() {
	db_sql -ro \
	    "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'"
}
# previous_rows: how many settings rows the previous key takes (0 or 2).
previous_rows() {
	db_sql -ro "SELECT count(*) FROM settings WHERE name IN ('jwt_secret_previous', 'jwt_secret_previous_until')"
}
attempt_rows() {
	db_sql -ro "SELECT count(*) FROM attempts"
}

# hex_bytes HEX: the bytes (NULs too) to standard output.
hex_bytes() {
	printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"
}

# key_leaked HEX: the last run's stdout or stderr shows the key (or its
# first 12 bytes) raw, in hex (either case), base64 or base64url.
key_leaked() {
	local hex=${1,,} raw all form part
	raw=$(cat "$T/ctl.out" "$T/ctl.err" | od -An -v -tx1 | tr -d ' \n')
	all=$(cat "$T/ctl.out" "$T/ctl.err")
	for part in "$hex" "${hex:0:24}"; do
		case $raw in *"$part"*) return 0 ;; esac
		for form in "$part" "${part^^}" \
		    "$(hex_bytes "$part" | base64 -w0 | tr -d '=')" \
		    "$(hex_bytes "$part" | base64 -w0 | tr '+/' '-_' | tr -d '=')"; do
			case $all in *"$form"*) return 0 ;; esac
		done
	done
	return 1
}
# no_key "desc" HEX
no_key() {
	if [ -z "$2" ]; then
		not_ok "$1" "no key to look for"
	elif key_leaked "$2"; then
		not_ok "$1" "the key is in the output: ${ctl_out:0:300} ${ctl_err:0:300}"
	else
		ok "$1"
	fi
}
text_hex() {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# wait_window_start W: sleep until a fixed window of W seconds has just
# begun (so that a few requests fall into one window).
wait_window_start() {
	local ns
	ns=$(date +%s%N)
	sleep "$(awk -v ns="$ns" -v w="$1" 'BEGIN {
	    s = int(ns / 1e9); next_s = (int(s / w) + 1) * w;
	    printf "%.3f", (next_s * 1e9 - ns) / 1e9 + 0.05 }')"
}

# wait_expired: sleep until every attempt row's window has ended.
wait_expired() {
	local max
	max=$(db_sql -ro "SELECT max(expires) FROM attempts")
	for _ in $(seq 20); do
		[ "$(date +%s)" -ge "${max:-0}" ] && return 0
		sleep 0.5
	done
}

# --- 1. --help ------------------------------------------------------------------

# A database never used: no file yet (PostgreSQL: an empty database,
# which authctl must not set up either).
export AUTH_DB
AUTH_DB=$(db_new nope)
for cmd in "secret" "secret rotate" "secret show-source" "purge" "stats" "check"; do
	# shellcheck disable=SC2086
	ctl $cmd --help
	ctl_exit 0 "help: authctl $cmd --help exits 0"
	check_ctl "help: authctl $cmd --help prints the usage on stdout" \
	    eval '[ "$(head -n 1 "$T/ctl.out")" = usage: ] && out_has "authctl $cmd"'
	check_ctl "help: authctl $cmd --help writes nothing to stderr" test -z "$ctl_err"
done
ctl secret --help
check_ctl "help: authctl secret --help lists rotate and show-source" \
    eval 'out_has "authctl secret rotate [--grace SECONDS]" && out_has "authctl secret show-source"'
ctl secret rotate --help
check_ctl "help: secret rotate --help describes --grace" out_has "--grace"
check "help: --help opens no database (AUTH_DB not created)" \
    db_absent "$AUTH_DB"

# --- 2. commands on a missing database --------------------------------------------

for cmd in "stats" "stats --json" "check" "purge" "user list"; do
	# shellcheck disable=SC2086
	ctl $cmd
	ctl_exit 1 "missing db: authctl $cmd exits 1"
	check_ctl "missing db: authctl $cmd says why on stderr (authctl: ...)" \
	    eval 'err_has "authctl: " && err_has "$AUTH_DB"'
	check "missing db: authctl $cmd does not create $AUTH_DB" \
	    db_absent "$AUTH_DB"
done
# With the key in the environment, show-source needs no database at all.
ctl secret show-source
ctl_exit 0 "missing db: secret show-source with AUTH_JWT_SECRET set exits 0"
check "missing db: ...saying the environment" \
    test "$ctl_out" = "environment (AUTH_JWT_SECRET), ${#SECRET} bytes"
check "missing db: ...and creates no database" db_absent "$AUTH_DB"
unset AUTH_JWT_SECRET
ctl secret show-source
ctl_exit 1 "missing db: secret show-source without a configured key exits 1"
check "missing db: ...and creates no database" db_absent "$AUTH_DB"
export AUTH_JWT_SECRET=$SECRET

# --- 3. secret rotate -------------------------------------------------------------

# The key kept in the database is used only when neither AUTH_JWT_SECRET
# nor AUTH_JWT_SECRET_FILE is set, for the server and authctl alike.
unset AUTH_JWT_SECRET
AUTH_DB=$(db_new rot)
start_server
register alice alice@example.com "$PW"
check_status 201 "rotate: setup: register alice (the key is generated)"
A1=$access R1=$refresh
K1=$(db_key)
check "rotate: setup: the generated key is kept in the database (32 bytes)" \
    test "${#K1}" = 64
check "rotate: setup: alice's token is signed with it" signed_with_hex "$A1" "$K1"

for bad in -1 abc 99999999999 1.5 +5 '' 31622401 10s; do
	ctl secret rotate --grace "$bad"
	ctl_exit 2 "rotate: --grace '$bad' is bad usage (exit 2)"
	check_ctl "rotate: --grace '$bad': the complaint names --grace" err_has "--grace"
done
ctl secret rotate --grace
ctl_exit 2 "rotate: --grace without a value is bad usage (exit 2)"
ctl secret rotate now
ctl_exit 2 "rotate: an operand is bad usage (exit 2)"
check "rotate: no bad command line changed the key" test "$(db_key)" = "$K1"
me_is 200 "$A1" "rotate: no bad command line stopped alice's token"

ctl secret show-source
ctl_exit 0 "show-source: database key: exit 0"
check_ctl "show-source: says 'database $AUTH_DB, 32 bytes'" \
    test "$ctl_out" = "database $AUTH_DB, 32 bytes"
no_key "show-source: the database key is not printed" "$K1"

# Without grace: the old key stops at once.
ctl secret rotate
ctl_exit 0 "rotate: without --grace exits 0"
no_key "rotate: the old key is not printed" "$K1"
K2=$(db_key)
no_key "rotate: the new key is not printed" "$K2"
check "rotate: a new 32-byte key is in the database" \
    test "${#K2}" = 64 -a "$K2" != "$K1"
check "rotate: without --grace no previous key is kept" test "$(previous_rows)" = 0
me_is 401 "$A1" "rotate: without --grace an old access token is 401 on me"
refresh_is 401 "$R1" "rotate: without --grace an old refresh token is 401 on refresh"
login alice "$PW"
check_status 200 "rotate: login after the rotation works"
A2=$access R2=$refresh
check "rotate: the new access token is signed with the new key" signed_with_hex "$A2" "$K2"
check "rotate: the new refresh token is signed with the new key" signed_with_hex "$R2" "$K2"
me_is 200 "$A2" "rotate: the new access token works on me"
refresh_is 200 "$R2" "rotate: the new refresh token works on refresh"
tokens
check "rotate: refresh signs with the new key" signed_with_hex "$access" "$K2"
ctl secret show-source
check_ctl "show-source: no previous-key line after a rotation without grace" \
    eval '! out_has "previous key"'

# With --grace 3: the old key verifies until then.
t0=$(date +%s)
ctl secret rotate --grace 3
ctl_exit 0 "rotate: --grace 3 exits 0"
me_is 200 "$A2" "grace: an old access token still works on me right after"
refresh_is 200 "$R2" "grace: an old refresh token still works right after"
tokens
check "grace: a refresh during the grace signs with the new key" \
    signed_with_hex "$access" "$(db_key)"
AG=$access
K3=$(db_key)
check "grace: a new key is in the database" test "${#K3}" = 64 -a "$K3" != "$K2"
check "grace: the previous key is kept (with its end)" test "$(previous_rows)" = 2
check_ctl "grace: rotate says until when the previous key verifies" \
    eval 'out_has "$(date -u -d @$((t0 + 3)) +%Y-%m-%dT%H:%M:%SZ)" ||
    out_has "$(date -u -d @$((t0 + 4)) +%Y-%m-%dT%H:%M:%SZ)"'
login alice "$PW"
check_status 200 "grace: login during the grace works"
A3=$access R3=$refresh
check "grace: login during the grace signs with the new key" signed_with_hex "$A3" "$K3"
me_is 200 "$A3" "grace: a token issued after the rotation works on me"
ctl secret show-source
ctl_exit 0 "grace: show-source exits 0"
check_ctl "grace: show-source names the database key" \
    test "${ctl_out%%$'\n'*}" = "database $AUTH_DB, 32 bytes"
check_ctl "grace: show-source shows the previous key and until when" \
    eval 'printf "%s\n" "$ctl_out" | grep -q "^previous key: .*verifies tokens until "'
no_key "grace: show-source prints neither key (new)" "$K3"
no_key "grace: show-source prints neither key (previous)" "$K2"
ctl purge
ctl_exit 0 "grace: purge during the grace exits 0"
check_ctl "grace: purge keeps the previous key while its grace lasts" \
    eval '! out_has "previous signing key deleted"'
check "grace: the previous key is still in the database after purge" \
    test "$(previous_rows)" = 2
me_is 200 "$A2" "grace: the old token still works after that purge"
el=$(($(date +%s) - t0))
[ "$el" -le 2 ] || echo "# note: the in-grace checks took ${el}s of the 3 s grace"

sleep 4
me_is 401 "$A2" "grace: after the grace an old access token is 401 on me"
refresh_is 401 "$R2" "grace: after the grace an old refresh token is 401"
me_is 200 "$A3" "grace: a token issued after the rotation still works after the grace"
refresh_is 200 "$R3" "grace: a refresh token issued after the rotation still works"
me_is 200 "$AG" "grace: an access token refreshed during the grace still works"
ctl secret show-source
check_ctl "grace: show-source has no previous-key line once the grace is over" \
    eval '[ "$ctl_out" = "database $AUTH_DB, 32 bytes" ]'
ctl purge
ctl_exit 0 "grace: purge after the grace exits 0"
check_ctl "grace: purge reports the previous key deleted" \
    out_has "previous signing key deleted"
check "grace: purge removed the previous key from the database" \
    test "$(previous_rows)" = 0
check "grace: purge left the current key alone" test "$(db_key)" = "$K3"
ctl purge
check_ctl "grace: a second purge has no previous key to delete" \
    eval '[ "$ctl_rc" = 0 ] && ! out_has "previous signing key"'
me_is 200 "$A3" "grace: tokens of the current key work after purge"

# A second rotation with grace replaces the previous key.
ctl secret rotate --grace 60
ctl_exit 0 "second rotation: the first --grace 60 exits 0"
K4=$(db_key)
me_is 200 "$A3" "second rotation: the last key's token works in the grace"
login alice "$PW"
A4=$access R4=$refresh
check "second rotation: login signs with the newest key" signed_with_hex "$A4" "$K4"
ctl secret rotate --grace 60
ctl_exit 0 "second rotation: another --grace 60 exits 0"
check_ctl "second rotation: ...saying the key in its grace no longer verifies" \
    out_has "no longer verifies"
me_is 401 "$A3" "second rotation: the first key's access token stops working"
refresh_is 401 "$R3" "second rotation: the first key's refresh token stops working"
me_is 200 "$A4" "second rotation: the replaced key's token works in its grace"
refresh_is 200 "$R4" "second rotation: the replaced key's refresh token works in its grace"
login alice "$PW"
A5=$access
me_is 200 "$A5" "second rotation: a token of the newest key works"
ctl secret show-source
check_ctl "second rotation: show-source shows one previous key" \
    test "$(printf '%s\n' "$ctl_out" | grep -c '^previous key')" = 1
K5=$(db_key)
# Rotation without grace ends the grace of the previous key too.
ctl secret rotate
ctl_exit 0 "rotate: without --grace during a grace exits 0"
me_is 401 "$A4" "rotate: without --grace, the key still in its grace stops too"
me_is 401 "$A5" "rotate: without --grace, the replaced key stops at once"
check "rotate: without --grace the previous key is dropped" test "$(previous_rows)" = 0
login alice "$PW"
A6=$access
me_is 200 "$A6" "rotate: login after it works"
K6=$(db_key)
check "rotate: every rotation made a different key" \
    test "$(printf '%s\n' "$K1" "$K2" "$K3" "$K4" "$K5" "$K6" | sort -u | wc -l)" = 6

# Refused while the key is configured elsewhere; nothing changes.
AUTH_JWT_SECRET=$SECRET ctl secret rotate
ctl_exit 1 "refused: rotate with AUTH_JWT_SECRET set exits 1"
check_ctl "refused: the reason names AUTH_JWT_SECRET and says to change it there" \
    eval 'err_has "authctl: " && err_has "AUTH_JWT_SECRET" && err_has "change it there"'
AUTH_JWT_SECRET=$SECRET ctl secret rotate --grace 10
ctl_exit 1 "refused: rotate --grace 10 with AUTH_JWT_SECRET set exits 1"
check "refused: the database key is unchanged (AUTH_JWT_SECRET)" test "$(db_key)" = "$K6"
AUTH_JWT_SECRET_FILE=$T/jwt.key ctl secret rotate
ctl_exit 1 "refused: rotate with AUTH_JWT_SECRET_FILE set exits 1"
check_ctl "refused: the reason names AUTH_JWT_SECRET_FILE" \
    eval 'err_has "authctl: " && err_has "AUTH_JWT_SECRET_FILE"'
AUTH_JWT_SECRET_FILE=$T/jwt.key ctl secret rotate --grace 10
ctl_exit 1 "refused: rotate --grace 10 with AUTH_JWT_SECRET_FILE set exits 1"
check "refused: the database key is unchanged (AUTH_JWT_SECRET_FILE)" \
    test "$(db_key)" = "$K6"
check "refused: no previous key was made" test "$(previous_rows)" = 0
me_is 200 "$A6" "refused: the current token still works"
NEVER=$(db_new never)
AUTH_JWT_SECRET=$SECRET AUTH_DB=$NEVER ctl secret rotate
ctl_exit 1 "refused: rotate on a database not yet made exits 1"
check "refused: ...and makes no database" db_absent "$NEVER"

# show-source for the other two sources (the database one is above).
AUTH_JWT_SECRET=$SECRET ctl secret show-source
ctl_exit 0 "show-source: AUTH_JWT_SECRET: exit 0"
check_ctl "show-source: says 'environment (AUTH_JWT_SECRET), ${#SECRET} bytes'" \
    test "$ctl_out" = "environment (AUTH_JWT_SECRET), ${#SECRET} bytes"
no_key "show-source: the AUTH_JWT_SECRET key is not printed" "$(text_hex "$SECRET")"
no_key "show-source: ...nor the database key" "$K6"
AUTH_JWT_SECRET_FILE=$T/jwt.key ctl secret show-source
ctl_exit 0 "show-source: AUTH_JWT_SECRET_FILE: exit 0"
check_ctl "show-source: says 'file $T/jwt.key (AUTH_JWT_SECRET_FILE), 40 bytes'" \
    test "$ctl_out" = "file $T/jwt.key (AUTH_JWT_SECRET_FILE), 40 bytes"
no_key "show-source: the file's key is not printed" "$(text_hex "$FILEKEY")"
no_key "show-source: ...nor the database key" "$K6"
ctl check
check_ctl "check: the database key is reported ok, 32 bytes" \
    eval '[ "$ctl_rc" = 0 ] && out_has "signing key in the database: 32 bytes"'
no_key "check: the database key is not printed" "$K6"
stop_server
export AUTH_JWT_SECRET=$SECRET

# --- 4. purge -------------------------------------------------------------------------

AUTH_DB=$(db_new purge)
start_server AUTH_RATE_WINDOW=2
register bob bob@example.com "$PW"
check_status 201 "purge: setup: register bob"
wait_window_start 2
login bob "$PW"
check_status 200 "purge: setup: login (counted)"
req POST register "{\"username\":\"bob\",\"email\":\"bob@example.com\",\"password\":\"$PW\"}"
refresh_is 200 "$refresh" "purge: setup: refresh (counted)"
check "purge: setup: three attempt rows, one per scope, in one 2 s window ($(attempt_rows))" \
    test "$(attempt_rows)" = 3
check "purge: each row carries the end of its window (expires = (bucket + 1) * 2)" \
    test "$(db_sql -ro "SELECT count(*) FROM attempts WHERE expires = (bucket + 1) * 2")" = 3
n=$(attempt_rows)
wait_expired
AUTH_RATE_WINDOW=2 ctl purge
ctl_exit 0 "purge: exits 0"
check_ctl "purge: reports 'attempt-counter rows deleted: $n'" \
    out_has "attempt-counter rows deleted: $n"
check "purge: the ended windows' rows are gone" test "$(attempt_rows)" = 0
check_ctl "purge: no previous key to report (the key is AUTH_JWT_SECRET)" \
    eval '! out_has "previous signing key"'
AUTH_RATE_WINDOW=2 ctl purge
check_ctl "purge: a second purge deletes 0 rows" \
    eval '[ "$ctl_rc" = 0 ] && out_has "attempt-counter rows deleted: 0"'

# Rows of an ended 2 s window, then a fresh attempt in a 300 s window: a
# purge keeps the fresh row whatever AUTH_RATE_WINDOW authctl is given.
wait_window_start 2
login bob "$PW"
check_status 200 "purge: setup: login in a 2 s window"
req POST register "{\"username\":\"bob\",\"email\":\"bob@example.com\",\"password\":\"$PW\"}"
refresh_is 200 "$refresh" "purge: setup: refresh in the same window"
wait_expired
start_server AUTH_RATE_WINDOW=300
now=$(date +%s)
[ $((300 - now % 300)) -gt 20 ] || sleep $((300 - now % 300 + 1))
login bob "$PW"
check_status 200 "purge: setup: a fresh login under AUTH_RATE_WINDOW=300"
fresh_exp=$(db_sql -ro "SELECT max(expires) FROM attempts")
check "purge: setup: the fresh row ends with its 300 s window" \
    test "$fresh_exp" = $(( ($(date +%s) / 300 + 1) * 300 ))
old=$(db_sql -ro "SELECT count(*) FROM attempts WHERE expires <= $(date +%s)")
check "purge: setup: ended rows and the fresh one are there ($old ended, $(attempt_rows) in all)" \
    test "$old" -ge 1 -a "$(attempt_rows)" = $((old + 1))
AUTH_RATE_WINDOW=1 ctl purge
ctl_exit 0 "purge: under AUTH_RATE_WINDOW=1 (the server's is 300) exits 0"
check_ctl "purge: under another window, the ended rows are deleted ($old)" \
    out_has "attempt-counter rows deleted: $old"
check "purge: under another window, the current-window row survives" \
    test "$(attempt_rows)" = 1 -a \
    "$(db_sql -ro "SELECT expires FROM attempts")" = "$fresh_exp"
ctl purge
check_ctl "purge: under the default window the current row survives too" \
    eval '[ "$ctl_rc" = 0 ] && out_has "attempt-counter rows deleted: 0" && [ "$(attempt_rows)" = 1 ]'
AUTH_RATE_WINDOW=300 ctl purge
check_ctl "purge: under the server's own window the current row survives" \
    eval '[ "$ctl_rc" = 0 ] && out_has "attempt-counter rows deleted: 0" && [ "$(attempt_rows)" = 1 ]'
AUTH_RATE_WINDOW=86400 ctl purge
check "purge: under a longer window the current row survives" \
    test "$ctl_rc" = 0 -a "$(attempt_rows)" = 1
# The purged counter still counts: the fresh row goes on from where it was.
login bob "$PW"
check "purge: the kept row goes on counting (count 2)" \
    test "$(db_sql -ro "SELECT max(count) FROM attempts WHERE expires = $fresh_exp")" = 2

# A limit that a purge must not reset: one login short of it, purge, and
# the next login is refused.
c=$(db_sql -ro "SELECT max(count) FROM attempts WHERE expires = $fresh_exp")
start_server AUTH_RATE_WINDOW=300 AUTH_RATE_LOGIN=$((c + 1))
login bob "$PW"
check_status 200 "purge: setup: login up to the limit ($((c + 1))) works"
AUTH_RATE_WINDOW=1 ctl purge
check_ctl "purge: setup: purge under another window exits 0, deletes 0" \
    eval '[ "$ctl_rc" = 0 ] && out_has "attempt-counter rows deleted: 0"'
login bob "$PW"
check_status 429 "purge: a purge (under another window) does not reset a current limit"
stop_server

# --- 5. stats ---------------------------------------------------------------------

AUTH_DB=$(db_new stats)
start_server
for u in carol dave erin; do
	register "$u" "$u@example.com" "$PW"
	check_status 201 "stats: setup: register $u"
done

# stat_of NAME: a value from the text output.
stat_of() {
	printf '%s\n' "$ctl_out" | sed -n "s/^$1: //p"
}
ctl stats
ctl_exit 0 "stats: exits 0"
check_ctl "stats: the seven lines in order" \
    test "$(printf '%s\n' "$ctl_out" | cut -d: -f1 | tr '\n' ' ')" = \
    "users active_users attempt_rows token_rows db_bytes wal_bytes schema_version "
wal_now=$(stat -c %s "$AUTH_DB-wal" 2>/dev/null || echo 0)
check_ctl "stats: users: 3" test "$(stat_of users)" = 3
check_ctl "stats: active_users: 3" test "$(stat_of active_users)" = 3
check_ctl "stats: attempt_rows as in the table ($(attempt_rows))" \
    test "$(stat_of attempt_rows)" = "$(attempt_rows)" -a "$(attempt_rows)" -ge 1
check_ctl "stats: schema_version: $SCHEMA_VERSION" \
    test "$(stat_of schema_version)" = "$SCHEMA_VERSION"
if on_sqlite "stats: wal_bytes and db_bytes against the files" \
    "the -wal file's size and PRAGMA page_count are SQLite's"; then
	check_ctl "stats: wal_bytes is the -wal file's size ($wal_now)" \
	    test "$(stat_of wal_bytes)" = "$wal_now"
	check_ctl "stats: db_bytes is page_count * page_size" \
	    test "$(stat_of db_bytes)" = "$(db_sql -ro "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")"
fi

ctl user disable dave
ctl_exit 0 "stats: setup: user disable dave"
req POST login "{\"username\":\"dave\",\"password\":\"$PW\"}"
check_status 401 "stats: setup: disabled dave cannot log in"
ctl stats
check_ctl "stats: after a disable, users: 3" test "$(stat_of users)" = 3
check_ctl "stats: after a disable, active_users: 2" test "$(stat_of active_users)" = 2
ctl user delete erin
ctl stats
check_ctl "stats: after a delete, users: 2 and active_users: 1" \
    test "$(stat_of users)/$(stat_of active_users)" = 2/1
text=$ctl_out
ctl stats --json
ctl_exit 0 "stats --json: exits 0"
check_ctl "stats --json: parses with jq" eval 'jq -e . >/dev/null <<<"$ctl_out"'
check_ctl "stats --json: exactly the seven keys" \
    test "$(jq -c 'keys_unsorted' <<<"$ctl_out" 2>&1)" = \
    '["users","active_users","attempt_rows","token_rows","db_bytes","wal_bytes","schema_version"]'
check_ctl "stats --json: every value an integer" \
    test "$(jq '[.[] | select(type == "number" and . == floor)] | length' <<<"$ctl_out" 2>&1)" = 7
for k in users active_users attempt_rows token_rows db_bytes wal_bytes schema_version; do
	check_ctl "stats --json: $k matches the text output" \
	    test "$(jq -r ".$k" <<<"$ctl_out" 2>&1)" = \
	    "$(printf '%s\n' "$text" | sed -n "s/^$k: //p")"
done
check_ctl "stats --json: schema_version $SCHEMA_VERSION" \
    test "$(jq -r .schema_version <<<"$ctl_out")" = "$SCHEMA_VERSION"
ctl stats --bogus
ctl_exit 2 "stats: an unknown option is bad usage (exit 2)"

# --- 6. check ---------------------------------------------------------------------

ctl check
ctl_exit 0 "check: a fresh database is ok (exit 0)"
check_ctl "check: every line starts with ok" \
    eval '[ -n "$ctl_out" ] && ! printf "%s\n" "$ctl_out" | grep -qv "^ok"'
if on_sqlite "check: the integrity and file-mode lines" \
    "SQLite's integrity_check and the database file's mode"; then
	check_ctl "check: integrity, schema version and the database's mode are reported" \
	    eval 'out_has "integrity: ok" && out_has "schema version $SCHEMA_VERSION" && out_has "$AUTH_DB: mode 0600"'
else
	check_ctl "check: the schema version is reported" \
	    out_has "schema version $SCHEMA_VERSION"
fi
check_ctl "check: a key from AUTH_JWT_SECRET is reported by its length" \
    out_has "signing key from AUTH_JWT_SECRET: ${#SECRET} bytes"
no_key "check: the AUTH_JWT_SECRET key is not printed" "$(text_hex "$SECRET")"

# problem_names TEXT: PROBLEM lines exist, and every one holds TEXT.
problem_names() {
	printf '%s\n' "$ctl_out" | grep -q '^PROBLEM' &&
	    ! printf '%s\n' "$ctl_out" | grep '^PROBLEM' | grep -qvF -- "$1"
}
# The database's files and directory: SQLite's only.
if on_sqlite "check: the modes of the database, its -wal and -shm, its directory and owner" \
    "PostgreSQL keeps no file of ours"; then
	chmod 644 "$AUTH_DB"
	ctl check
	ctl_exit 1 "check: a database of mode 0644 is a problem (exit 1)"
	check_ctl "check: the PROBLEM line names the database file and its mode" \
	    eval 'problem_names "$AUTH_DB: mode 0644"'
	check_ctl "check: stderr counts the problem" err_has "authctl: 1 problem"
	chmod 600 "$AUTH_DB"
	ctl check
	ctl_exit 0 "check: mode 0600 again is ok"
	for suffix in -wal -shm; do
		check "check: setup: $AUTH_DB$suffix exists" test -e "$AUTH_DB$suffix"
		chmod 640 "$AUTH_DB$suffix"
		ctl check
		ctl_exit 1 "check: $suffix of mode 0640 is a problem (exit 1)"
		check_ctl "check: the PROBLEM line names $AUTH_DB$suffix" \
		    eval 'problem_names "$AUTH_DB$suffix: mode 0640"'
		chmod 600 "$AUTH_DB$suffix"
		ctl check
		ctl_exit 0 "check: $suffix of mode 0600 again is ok"
	done
	# The directory: nobody else may replace the database in it.
	chmod o+w "$T"
	ctl check
	ctl_exit 1 "check: a directory others may write in is a problem (exit 1)"
	check_ctl "check: the PROBLEM line names the directory" \
	    eval 'problem_names "$T: directory mode"'
	chmod o-w "$T"
	ctl check
	ctl_exit 0 "check: the directory without o+w is ok again"
	# The owner: only root can make a file of another user's (unprivileged,
	# tests/run.sh runs this as nobody, this part is skipped).  SQLite, run by
	# root, gives -wal and -shm the database's owner as it opens them, so the
	# database file itself is the one to change.
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$AUTH_DB"
		ctl check
		ctl_exit 1 "check: a database owned by another user than its directory's is a problem (exit 1)"
		check_ctl "check: the PROBLEM line names the database and its owner" \
		    eval 'problem_names "$AUTH_DB: owner uid"'
		chown 0 "$AUTH_DB" "$AUTH_DB-wal" "$AUTH_DB-shm"
		ctl check
		ctl_exit 0 "check: the owner put back, ok again"
	fi
fi

# A key kept in the database shorter than 32 bytes (as an old install or a
# hand edit might leave).
unset AUTH_JWT_SECRET
ctl secret show-source
check_ctl "show-source: a database without a key yet says none yet" \
    eval '[ "$ctl_rc" = 0 ] && out_has "database $AUTH_DB: none yet"'
ctl check
check_ctl "check: no key in the database yet is ok" \
    eval '[ "$ctl_rc" = 0 ] && out_has "ok      signing key: none yet"'
check "check/show-source: neither generates a key" test -z "$(db_key)"
db_sql "INSERT INTO settings (name, value) VALUES ('jwt_secret',
    $(sql_blob "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"))"
ctl check
ctl_exit 1 "check: a 16-byte database key is a problem (exit 1)"
check_ctl "check: the PROBLEM line gives the key's length" \
    eval 'problem_names "signing key in the database: 16 bytes"'
no_key "check: the short key is not printed" "$(db_key)"
db_sql "DELETE FROM settings WHERE name = 'jwt_secret'"
export AUTH_JWT_SECRET=$SECRET
stop_server

# The users: a hash above the 5,000,000 iterations any login may cost
# (from before that rule) never verifies, and check says so; a hash
# costlier than configured is told apart by timing until its next login.
db_sql "INSERT INTO users (username, username_key, email, email_key, password, is_active, date_joined) VALUES ('costly', 'costly', 'costly@example.com', 'costly@example.com', 'pbkdf2_sha256\$5000001\$713P6a4S8qgiEX0W6mX8QM\$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ=', 1, 0)"
ctl check
ctl_exit 1 "check: a hash of 5,000,001 iterations is a problem (exit 1)"
check_ctl "check: ...its PROBLEM line says it never verifies and what to do" \
    eval 'problem_names "1 user has password hashes of more than 5000000 iterations, which never verify: authctl user passwd gives them a new one"'
db_sql "UPDATE users SET password = 'pbkdf2_sha256\$3000\$713P6a4S8qgiEX0W6mX8QM\$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ=' WHERE username_key = 'costly'"
ctl check
check_ctl "check: a hash of 3000 iterations where 1000 are configured is a problem, with what to set" \
    eval '[ "$ctl_rc" = 1 ] && problem_names "1 user has password hashes costlier than AUTH_PBKDF2_ITERATIONS=1000 (up to 3000 iterations)" && out_has "AUTH_PBKDF2_ITERATIONS=3000 closes that"'
AUTH_PBKDF2_ITERATIONS=3000 ctl check
ctl_exit 0 "check: ...and none with AUTH_PBKDF2_ITERATIONS=3000 (exit 0)"
db_sql "DELETE FROM users WHERE username_key = 'costly'"

# A schema newer than authctl's, and a corrupted copy: SQLite's own
# version number and pages.
if on_sqlite "check: a newer schema version, a corrupted copy" \
    "PRAGMA user_version and the file's pages are SQLite's"; then
	# A schema newer than authctl's.
	db_sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	cp "$AUTH_DB" "$T/newer.db"
	chmod 600 "$T/newer.db"
	db_sql -db "$T/newer.db" "PRAGMA user_version = $((SCHEMA_VERSION + 1))"
	sum=$(md5sum <"$T/newer.db")
	AUTH_DB=$T/newer.db ctl check
	ctl_exit 1 "check: a schema version newer than authctl's fails (exit 1)"
	check "check: ...and the file is left as it was" test "$(md5sum <"$T/newer.db")" = "$sum"

	# A corrupted copy: bytes overwritten in the middle.
	db_sql "VACUUM INTO '$T/bad.db'"
	chmod 600 "$T/bad.db"
	pages=$(( $(stat -c %s "$T/bad.db") / 4096 ))
	AUTH_DB=$T/bad.db ctl check
	ctl_exit 0 "check: setup: the intact copy is ok ($pages pages)"
	# 0xff over the start of a page in the middle: its b-tree page header (a
	# page type that does not exist) and cell pointers.
	head -c 600 /dev/zero | tr '\0' '\377' |
	    dd of="$T/bad.db" bs=1 seek=$(( (pages / 2) * 4096 )) conv=notrunc \
	    status=none
	sum=$(md5sum <"$T/bad.db")
	AUTH_DB=$T/bad.db ctl check
	ctl_exit 1 "check: a corrupted database is a problem (exit 1)"
	check_ctl "check: an integrity PROBLEM line, or a failed open said on stderr" \
	    eval 'printf "%s\n" "$ctl_out" | grep -q "^PROBLEM integrity" || err_has "authctl: cannot open"'
	check "check: the corrupted file is not replaced or repaired" \
	    test "$(md5sum <"$T/bad.db")" = "$sum"
fi

# --- 7. purge, stats and check while serving -------------------------------------

AUTH_DB=$(db_new busy)
start_server
register frank frank@example.com "$PW"
check_status 201 "busy: setup: register frank"
url_login="http://127.0.0.1:$PORT$(path login)"
url_register="http://127.0.0.1:$PORT$(path register)"
(
	i=0
	while [ "$i" -lt 40 ] || [ ! -e "$T/busy.stop" ]; do
		i=$((i + 1))
		if [ $((i % 2)) = 0 ]; then
			b="{\"username\":\"busy$i\",\"email\":\"busy$i@example.com\",\"password\":\"$PW\"}"
			u=$url_register
		else
			b="{\"username\":\"frank\",\"password\":\"$PW\"}"
			[ $((i % 3)) = 0 ] && b="{\"username\":\"frank\",\"password\":\"wrong-pass\"}"
			u=$url_login
		fi
		curl -s -o /dev/null -w '%{http_code}\n' -m 30 \
		    -H 'Content-Type: application/json' --data-binary "$b" "$u"
		[ "$i" -lt 400 ] || break
	done >"$T/busy.codes"
) &
loader=$!
fails=
for i in $(seq 10); do
	for cmd in purge stats check; do
		ctl "$cmd"
		[ "$ctl_rc" = 0 ] || fails="$fails [$cmd #$i: exit $ctl_rc: ${ctl_err:0:200} ${ctl_out:0:200}]"
	done
done
running=no
kill -0 "$loader" 2>/dev/null && running=yes
touch "$T/busy.stop"
wait "$loader"
check "busy: 10 x purge, stats and check during requests all exit 0" test -z "$fails"
[ -z "$fails" ] || echo "# $fails"
[ "$running" = yes ] || echo "# note: the requests were over before authctl's 30 runs were"
codes=$(sort "$T/busy.codes" | uniq -c | tr -s ' \n' ' ')
check "busy: at least 40 requests were answered ($(wc -l <"$T/busy.codes"))" \
    test "$(wc -l <"$T/busy.codes")" -ge 40
check "busy: every answer is 2xx or 401 ($codes)" \
    eval '! grep -qv "^\(2[0-9][0-9]\|401\)$" "$T/busy.codes"'
check "busy: no 503 ($codes)" eval '! grep -q "^503$" "$T/busy.codes"'
ctl check
ctl_exit 0 "busy: check afterwards is ok"
ctl stats
check_ctl "busy: stats afterwards counts every registration" \
    test "$(stat_of users)" = "$(db_sql -ro "SELECT count(*) FROM users")"

# --- the key file's mode and owner --------------------------------------------

# key_check FILE: authctl check with the key from FILE; $key_line is its
# line about FILE.
key_check() {
	env -u AUTH_JWT_SECRET AUTH_JWT_SECRET_FILE="$1" "$AUTHCTL" check \
	    >"$T/ctl.out" 2>"$T/ctl.err"
	ctl_rc=$? ctl_out=$(cat "$T/ctl.out") ctl_err=$(cat "$T/ctl.err")
	key_line=$(printf '%s\n' "$ctl_out" | grep -F -- "$1: mode")
}
# key_has TEXT: the key file's line holds TEXT.
key_has() {
	case $key_line in *"$1"*) return 0 ;; esac
	return 1
}
# key_is LINE DESC: the key file's line is exactly LINE.
key_is() {
	want_eq "$1" "$key_line" "$2"
}
ME=$(id -un)
GROUP=$(stat -c %G "$T/jwt.key")
chmod 644 "$T/jwt.key"
key_check "$T/jwt.key"
ctl_exit 1 "check: a key file others may read (0644) is a problem (exit 1)"
key_is "PROBLEM $T/jwt.key: mode 0644, owner $ME, group $GROUP (group $GROUP and others may read the signing key: chmod 600)" \
    "check: ...on a PROBLEM line naming the group and others"
chmod 640 "$T/jwt.key"
key_check "$T/jwt.key"
ctl_exit 1 "check: a key file its group may read (0640) is a problem (exit 1)"
key_is "PROBLEM $T/jwt.key: mode 0640, owner $ME, group $GROUP (group $GROUP may read the signing key: chmod 600)" \
    "check: ...on a PROBLEM line naming the group, not others"
chmod 600 "$T/jwt.key"
key_check "$T/jwt.key"
ctl_exit 0 "check: the key file at 0600, owned by the database's owner, is ok (exit 0)"
key_is "ok      $T/jwt.key: mode 0600, owner $ME" "check: ...on an ok line naming its owner"
chmod 400 "$T/jwt.key"
key_check "$T/jwt.key"
ctl_exit 0 "check: 0400 is ok too (exit 0)"
chmod 600 "$T/jwt.key"

# A key file of another user than the database's (whose user the web
# server runs as): unprivileged, a file of root's that all may read
# (/etc/os-release) stands in for it; as root, chown makes each case.
if on_sqlite "check: a key file of another user than the database file's" \
    "the owner of the database file is who the web server runs as"; then
	if [ "$(id -u)" != 0 ]; then
		key_check /etc/os-release
		ctl_exit 1 "check: a key file owned by root, not by the database's owner ($ME), is a problem (exit 1)"
		check_ctl "check: ...on a PROBLEM line naming its owner" \
		    key_has "PROBLEM /etc/os-release: mode 0644, owner root"
		check_ctl "check: ...which says the web server, running as $ME, should own it" \
		    key_has "the web server, running as $ME (the database's owner), should own it: chown $ME, then chmod 600)"
	else
		cp "$T/jwt.key" "$T/root.key"
		chown root:nogroup "$T/root.key"
		chmod 640 "$T/root.key"
		key_check "$T/root.key"
		key_is "PROBLEM $T/root.key: mode 0640, owner root, group nogroup (group nogroup may read the signing key: chmod 600)" \
		    "check (root): 0640 root:nogroup, the database root's: the group is named"
		chown nobody "$AUTH_DB"*
		key_check "$T/root.key"
		key_is "PROBLEM $T/root.key: mode 0640, owner root, group nogroup (group nogroup may read the signing key; the web server, running as nobody (the database's owner), should own it: chown nobody, then chmod 600)" \
		    "check (root): 0640 root:nogroup, the database nobody's: chown nobody, then chmod 600"
		chmod 600 "$T/root.key"
		key_check "$T/root.key"
		ctl_exit 1 "check (root): 0600 root's, the database nobody's, is a problem (exit 1)"
		key_is "PROBLEM $T/root.key: mode 0600, owner root (the web server, running as nobody (the database's owner), cannot read it: chown nobody)" \
		    "check (root): ...the web server cannot read it: chown nobody"
		chown nobody "$T/root.key"
		key_check "$T/root.key"
		key_is "ok      $T/root.key: mode 0600, owner nobody" \
		    "check (root): 0600 owned by the database's owner is ok"
		chown 0 "$AUTH_DB"*
	fi
fi

finish

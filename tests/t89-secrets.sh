#!/usr/bin/env bash
# Secrets hygiene: the signing key and passwords never reach a log, on any
# path (success, refusal, bad settings, storage failure); the files we
# create (database, -wal, -shm, the hashing-slot lock) are 0600 whatever
# the umask; a key shorter than 32 bytes is refused (RFC 7518 3.2).  Under
# PostgreSQL AUTH_DB holds a password too (SPEC "Storage": it never
# reaches a log), and the storage failure is a database that is not there.
. "$(dirname "$0")/lib.sh"

umask 000
KEY='Secret-Marker-Key-0123456789-abcdefghij'
PW='Pass-Marker-9q!xz'
URIPW='Uri-Marker-Pass-5k7w'
NODB=$T/no-such-dir/auth.db
if [ "$DB_KIND" = postgresql ]; then
	# (trust: the server never asks for it, but libpq has it.)
	AUTH_DB=${AUTH_DB/:\/\/corners@/://corners:$URIPW@}
	NODB=$(pg_uri "${DB_PREFIX}_nosuch")
	NODB=${NODB/:\/\/corners@/://corners:$URIPW@}
fi
export AUTH_JWT_SECRET="$KEY"
start_server

# every kind of answer, with the key and a password in play
register alice alice@example.com "$PW"
check_status 201 "register succeeds"
req POST login "{\"username\":\"alice\",\"password\":\"$PW\"}"
check_status 200 "login succeeds"
req POST login "{\"username\":\"alice\",\"password\":\"$PW-wrong\"}"
check_status 401 "a wrong password is refused"
req POST login "{\"username\":\"alice\",\"password\":\"$PW\",}"
check_status 400 "malformed JSON with a password in it is a 400"
req POST register "{\"username\":\"alice\",\"email\":\"a2@example.com\",\"password\":\"$PW\"}"
check_status 400 "a taken username is a 400"
req POST refresh "{\"refresh\":\"$refresh\"}"
check_status 200 "refresh succeeds"
req POST refresh "{\"refresh\":\"$refresh.x\"}"
check_status 401 "a tampered refresh token is a 401"
req GET me - -H "Authorization: Bearer $access"
check_status 200 "me succeeds"
cgi_run POST login "{\"username\":\"alice\",\"password\":\"$PW\"}" \
    AUTH_JWT_SECRET="${KEY:0:31}"
check_status 500 "a 31-byte key is refused with 500"
check "...and its log line says why without the key" \
    grep -q "at least 32" "$T/cgi.log"
printf '%s\n' "${KEY:0:20}" >"$T/short.key"
unset AUTH_JWT_SECRET
cgi_run POST login "{\"username\":\"alice\",\"password\":\"$PW\"}" \
    AUTH_JWT_SECRET_FILE="$T/short.key"
export AUTH_JWT_SECRET="$KEY"
check_status 500 "a 20-byte key file is refused with 500"
cgi_run POST login "{\"username\":\"alice\",\"password\":\"$PW\"}" \
    AUTH_DB="$NODB"
check_status 503 "a storage failure is a 503"
cgi_run POST register "{\"username\":\"bob\",\"email\":\"b@example.com\",\"password\":\"$PW\"}" \
    AUTH_PBKDF2_ITERATIONS=abc
check_status 500 "a bad setting is a 500"

logs="$T/server.log $T/cgi.log $(ls "$T"/server/*.log 2>/dev/null)"
check "something was logged at all (the tests above log errors)" \
    test -s "$T/cgi.log"
# shellcheck disable=SC2086
check "no log holds the signing key or a part of it" \
    test -z "$(grep -l -F -e "$KEY" -e "${KEY:0:20}" -e "${KEY:8:16}" $logs 2>/dev/null)"
# shellcheck disable=SC2086
check "no log holds a password" \
    test -z "$(grep -l -F -e "$PW" $logs 2>/dev/null)"
if [ "$DB_KIND" = postgresql ]; then
	check "setup: AUTH_DB holds a password" \
	    eval '[[ $AUTH_DB == *":$URIPW@"* ]] && [[ $NODB == *":$URIPW@"* ]]'
	# shellcheck disable=SC2086
	check "no log holds the password of the AUTH_DB URI" \
	    test -z "$(grep -l -F -e "$URIPW" $logs 2>/dev/null)"
fi

# the files we create are 0600 even with umask 000
if on_sqlite "the modes of the database, its -wal and -shm" "SQLite's files"; then
	for f in "$AUTH_DB" "$AUTH_DB-wal" "$AUTH_DB-shm"; do
		[ -e "$f" ] || continue
		check "$(basename "$f") is mode 0600 under umask 000 ($(stat -c %a "$f"))" \
		    test "$(stat -c %a "$f")" = 600
	done
	check "the database exists" test -e "$AUTH_DB"
fi
if have_slots_file "the hashing-slot lock file's mode"; then
	f=$(slots_file)
	if [ -e "$f" ]; then
		check "$(basename "$f") is mode 0600 under umask 000 ($(stat -c %a "$f"))" \
		    test "$(stat -c %a "$f")" = 600
	fi
	check "the hashing-slot lock file exists" test -e "$f"
fi

# A generated key (no key configured) lives only in the database.
GEN=$(db_new gen)
unset AUTH_JWT_SECRET
cgi_run POST register "{\"username\":\"carol\",\"email\":\"c@example.com\",\"password\":\"$PW\"}" \
    AUTH_DB="$GEN"
export AUTH_JWT_SECRET="$KEY"
check_status 201 "with no key configured, one is generated"
if on_sqlite "the generated key's database file's mode" "SQLite's file"; then
	check "the generated key's database is 0600 ($(stat -c %a "$GEN"))" \
	    test "$(stat -c %a "$GEN")" = 600
fi
hex=$(db_sql -ro -db "$GEN" "SELECT $(sql_hex value) FROM settings WHERE name = 'jwt_secret'")
check "the generated key is 32 bytes" test "${#hex}" = 64
check "the generated key is in no log" \
    test -z "$(grep -il "$hex" "$T/cgi.log")"

finish

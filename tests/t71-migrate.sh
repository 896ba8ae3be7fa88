#!/usr/bin/env bash
# Schema migrations: a database made by an earlier version (schema 1, as
# db/001-schema.sql alone makes it) is brought up to date by the first
# endpoint or authctl that opens it, keeping its users, key and counters;
# a database newer than the program is refused, not touched.
# any-cgi-server (tests/run.sh: migrations are the program's)
# sqlite-only: SQLite's migrations (db/*.sql up from PRAGMA user_version, old files made by hand); PostgreSQL's are db/pg/'s own
. "$(dirname "$0")/lib.sh"

FIX=$TOP/tests/fixtures/django
# A user with a hash Django made (tests/fixtures/django/users.json, id 3).
HASH=$(jq -r '.[] | select(.pk == 3) | .fields.password' "$FIX/users.json")
PW=$(awk -F'\t' '$1 == "alice" { print $2 }' "$FIX/passwords.txt")
# Its cost: authctl check counts a costlier hash than configured as a
# problem (login timing tells such users apart), so it is checked with it.
ITER=$(cut -d'$' -f2 <<<"$HASH")

# old_db FILE: a schema-1 database with alice (id 3) and one counter row.
old_db() {
	db_sql -db "$1" "PRAGMA journal_mode = WAL;" >/dev/null
	db_sql -db "$1" <"$TOP/db/001-schema.sql"
	db_sql -db "$1" "PRAGMA user_version = 1;
	    INSERT INTO users (id, username, username_key, email, email_key,
	        password, is_active, date_joined)
	    VALUES (3, 'alice', 'alice', 'alice@example.com',
	        'alice@example.com', '$HASH', 1, 1547544612);
	    INSERT INTO attempts VALUES (1, '127.0.0.9', $(( $(date +%s) / 300 )), 4);"
	chmod 600 "$1"
}
version() {
	db_sql -db "$1" 'PRAGMA user_version'
}

check "setup: the fixture's hash and password are there" \
    test -n "$HASH" -a -n "$PW"
old_db "$AUTH_DB"
check "setup: the old database says schema 1" test "$(version "$AUTH_DB")" = 1

start_server
req POST login "{\"username\":\"alice\",\"password\":\"$PW\"}"
check_status 200 "an old database: alice logs in with her password"
check "...as user 3, her id from before" test "$(claim "$(printf '%s' "$body" | jq -r .access)" .user_id)" = 3
tok=$(printf '%s' "$body" | jq -r .access)
check "...and the database is now at schema $SCHEMA_VERSION" \
    test "$(version "$AUTH_DB")" = "$SCHEMA_VERSION"
check "...with nobody revoked (tokens_valid_after 0)" \
    test "$(db_sql 'SELECT tokens_valid_after FROM users WHERE id = 3')" = 0
check "...and the old counter row kept (count 4)" \
    test "$(db_sql "SELECT count FROM attempts WHERE client = '127.0.0.9'")" = 4
req GET me - -H "Authorization: Bearer $tok"
check_status 200 "me: the migrated user's token works"
check_json .id 3 "me: ...and names user 3"
register newbie newbie@example.com 's3cure!Pass'
check_status 201 "register: works on the migrated database"
check "register: ...and the new user's id follows 3" \
    test "$(claim "$access" .user_id)" = 4
check "the file is still mode 600" test "$(stat -c %a "$AUTH_DB")" = 600

# authctl's looking commands report the version they find, and change
# nothing; its other commands migrate, as the endpoints do.
OLD2=$T/old2.db
old_db "$OLD2"
sum=$(md5sum <"$OLD2")
AUTH_DB=$OLD2 ctl stats --json
check "authctl stats on an old database: exit 0" test "$ctl_rc" = 0
check "authctl stats: ...reports schema 1 and 1 user" \
    test "$(printf '%s' "$ctl_out" | jq -c '[.schema_version, .users]')" = "[1,1]"
AUTH_DB=$OLD2 AUTH_PBKDF2_ITERATIONS=$ITER ctl check
check "authctl check on an old database: exit 0 (the next request migrates it)" \
    test "$ctl_rc" = 0
check "authctl check: ...says schema 1 and that the next request brings it up" \
    eval 'printf "%s" "$ctl_out" | grep -q "^ok .*schema version 1 (this program.s is $SCHEMA_VERSION; the next request brings it up)"'
check "stats and check left the old database as it was" \
    test "$(md5sum <"$OLD2")" = "$sum" -a "$(version "$OLD2")" = 1
AUTH_DB=$OLD2 ctl user list
check "authctl user list on the old database: exit 0, alice listed" \
    eval '[ "$ctl_rc" = 0 ] && printf "%s" "$ctl_out" | grep -q "^3	alice	"'
check "...and it migrated it to schema $SCHEMA_VERSION" \
    test "$(version "$OLD2")" = "$SCHEMA_VERSION"
AUTH_DB=$OLD2 AUTH_PBKDF2_ITERATIONS=$ITER ctl check
check "authctl check on the migrated database: exit 0" test "$ctl_rc" = 0

# Migration 3 (SPEC "POST register" 6): email keys rebuilt as the local
# part case-folded and the domain's IDNA ASCII form.  A schema-2 database
# keyed the old way (NFKC case fold of the whole address): u1@bücher.de
# alone, and a pair that becomes one address, u2@bücher.de (id 11) and
# u2@xn--bcher-kva.de (id 12): both are kept, one keeps its old key, and
# authctl check names them.
IDN=$T/idn.db
db_sql -db "$IDN" "PRAGMA journal_mode = WAL;" >/dev/null
cat "$TOP/db/001-schema.sql" "$TOP/db/002-authctl.sql" | db_sql -db "$IDN"
db_sql -db "$IDN" "PRAGMA user_version = 2;
    INSERT INTO users (id, username, username_key, email, email_key,
        password, is_active, date_joined) VALUES
    (10, 'idn1', 'idn1', 'u1@bücher.de', 'u1@bücher.de', '$HASH', 1, 1),
    (11, 'idn2', 'idn2', 'u2@bücher.de', 'u2@bücher.de', '$HASH', 1, 1),
    (12, 'idn3', 'idn3', 'u2@xn--bcher-kva.de', 'u2@xn--bcher-kva.de', '$HASH', 1, 1),
    (13, 'plain', 'plain', 'Plain@Example.com', 'plain@example.com', '$HASH', 1, 1);"
chmod 600 "$IDN"
cgi_run POST login "{\"username\":\"u1@xn--bcher-kva.de\",\"password\":\"$PW\"}" AUTH_DB="$IDN"
check "email keys: after the migration u1@xn--bcher-kva.de logs in as u1@bücher.de (id 10)" \
    eval '[ "$status" = 200 ] && [ "$(claim "$(printf "%s" "$body" | jq -r .access)" .user_id)" = 10 ]'
check "email keys: the database is at schema $SCHEMA_VERSION" \
    test "$(version "$IDN")" = "$SCHEMA_VERSION"
check "email keys: the keys are rebuilt, the colliding one kept as it was" \
    test "$(db_sql -db "$IDN" 'SELECT group_concat(id || "=" || email_key, " ") FROM (SELECT * FROM users ORDER BY id)')" = \
    "10=u1@xn--bcher-kva.de 11=u2@bücher.de 12=u2@xn--bcher-kva.de 13=plain@example.com"
check "email keys: the migration said which users share an address ($(grep rekey "$T/cgi.log" | head -c 200))" \
    grep -q "rekey: user 11 has the address of user 12; both kept" "$T/cgi.log"
check "email keys: all four users kept" \
    test "$(db_sql -db "$IDN" 'SELECT count(*) FROM users')" = 4
cgi login "{\"username\":\"u2@bücher.de\",\"password\":\"$PW\"}" AUTH_DB="$IDN"
check "email keys: u2@bücher.de finds the one account with that key (id 12)" \
    eval '[ "$status" = 200 ] && [ "$(claim "$(printf "%s" "$body" | jq -r .access)" .user_id)" = 12 ]'
cgi_run POST login "{\"username\":\"idn2\",\"password\":\"$PW\"}" AUTH_DB="$IDN"
check_status 200 "email keys: the other (id 11) still logs in by username"
AUTH_DB=$IDN AUTH_PBKDF2_ITERATIONS=$ITER ctl check
check "email keys: authctl check names the two users, exit 1 ($(ctl_got))" \
    eval '[ "$ctl_rc" = 1 ] && grep -q "^PROBLEM user 11 (u2@bücher.de) has the address of user 12 (u2@xn--bcher-kva.de)" <<<"$ctl_out"'

# A database from a newer program: refused, left as it is.
NEW=$T/newer.db
old_db "$NEW"
db_sql -db "$NEW" 'PRAGMA user_version = 99'
sum=$(md5sum <"$NEW")
cgi_run POST login "{\"username\":\"alice\",\"password\":\"$PW\"}" AUTH_DB="$NEW"
check_status 503 "a database newer than the program: login is 503"
AUTH_DB=$NEW ctl user list
check "authctl user list on it: exit 1" test "$ctl_rc" = 1
check "authctl: ...saying the schema is newer" \
    eval 'printf "%s" "$ctl_err" | grep -q "newer than this program"'
AUTH_DB=$NEW ctl check
check "authctl check on it: exit 1, a PROBLEM line saying a newer program made it" \
    eval '[ "$ctl_rc" = 1 ] && printf "%s" "$ctl_out" | grep -q "^PROBLEM schema version 99 .*a newer program made it"'
check "...and the file is untouched" test "$(md5sum <"$NEW")" = "$sum"
check "...still at version 99" test "$(version "$NEW")" = 99

finish

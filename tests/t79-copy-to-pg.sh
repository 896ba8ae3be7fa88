#!/usr/bin/env bash
# authctl copy-to: a one-host SQLite site moved to PostgreSQL (issue 16,
# point 5; corners-auth(8) "Several web hosts").  A SQLite site is built
# through the real endpoints (registrations, logins, a revocation, a
# logout, a disabled and a deleted user, a key rotation with grace), copied
# into this file's PostgreSQL database, and the server pointed at that:
# tokens issued before keep working, those refused stay refused, everybody
# logs in with the same password, ids go on past the old ones, and a
# second copy into the now non-empty database is refused.  Then every
# authctl command runs against the copy, and the copy goes back to SQLite.
# postgresql-only: it moves a SQLite site into PostgreSQL
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
PG_DB=$AUTH_DB		# this file's PostgreSQL database, empty
SITE=$T/site.db		# the one-host SQLite site
# The signing key generated and kept in the database: it has to move too.
unset AUTH_JWT_SECRET

# ctl_ok "desc": authctl's last run exited 0 (its output shown if not).
ctl_ok() {
	ctl_exit 0 "$1"
}

# rows DB SQL: what db_sql prints for SQL on DB, the same on both engines.
rows() {
	db_sql -ro -db "$1" "$2"
}

# key_hex DB NAME: a setting's bytes in hex (each engine's own spelling).
key_hex() {
	case $1 in
	postgresql://*)
		rows "$1" "SELECT upper(encode(value, 'hex')) FROM settings WHERE name = '$2'" ;;
	*)
		rows "$1" "SELECT hex(value) FROM settings WHERE name = '$2'" ;;
	esac
}

USERS_SQL='SELECT id, username, username_key, email, email_key, password, is_active, date_joined, coalesce(last_login, 0), tokens_valid_after FROM users ORDER BY id'
TOKENS_SQL='SELECT jti, user_id, kind, at, expires FROM tokens ORDER BY jti'

# --- 1. the SQLite site ------------------------------------------------------

export AUTH_DB=$SITE
start_server
for u in alice bob carol dave erin; do
	register "$u" "$u@example.com" "$PW"
	check_status 201 "site: register $u"
done
login alice "$PW"
check_status 200 "site: alice logs in"
A1=$access R1=$refresh
login bob "$PW"
check_status 200 "site: bob logs in"
B1=$access BR1=$refresh
login carol "$PW"
check_status 200 "site: carol logs in"
C1=$access CR1=$refresh
KEY1=$(key_hex "$SITE" jwt_secret)
check "site: the signing key was generated into the database" \
    test "${#KEY1}" = 64
check "site: alice's token is signed with it" signed_with_hex "$A1" "$KEY1"

ctl revoke bob
ctl_ok "site: authctl revoke bob"
me "$B1"
check_status 401 "site: bob's access token is refused after the revocation"
logout_with "$CR1"
check_status 200 "site: carol logs out her refresh token"
refresh_with "$CR1"
check_status 401 "site: carol's logged-out refresh token is refused"
ctl user disable dave
ctl_ok "site: authctl user disable dave"
ctl user delete erin
ctl_ok "site: authctl user delete erin (id 5, the largest given)"
# The key rotated with grace: alice's tokens verify by the previous key.
ctl secret rotate --grace 3600
ctl_ok "site: authctl secret rotate --grace 3600"
KEY2=$(key_hex "$SITE" jwt_secret)
check "site: a new key, the old one kept in its grace" \
    test "$KEY2" != "$KEY1" -a "$(key_hex "$SITE" jwt_secret_previous)" = "$KEY1"
login alice "$PW"
check_status 200 "site: alice logs in again after the rotation"
A2=$access R2=$refresh
check "site: that token is signed with the new key" signed_with_hex "$A2" "$KEY2"
me "$A1"
check_status 200 "site: alice's token of the previous key works in its grace"
stop_server

site_users=$(rows "$SITE" "$USERS_SQL")
site_deleted=$(rows "$SITE" 'SELECT id FROM deleted_users ORDER BY id')
site_tokens=$(rows "$SITE" "$TOKENS_SQL")
site_events=$(rows "$SITE" 'SELECT at, coalesce(user_id, 0), event, coalesce(client, '"''"'), coalesce(detail, '"''"') FROM events ORDER BY id')
site_known=$(rows "$SITE" 'SELECT user_id, client, at FROM known_clients ORDER BY user_id, client')
check "site: setup: four users and one deleted id" \
    test "$(rows "$SITE" 'SELECT count(*) FROM users')/$site_deleted" = 4/5
check "site: setup: the logout is remembered (a token row)" \
    test "$(rows "$SITE" 'SELECT count(*) FROM tokens')" -ge 1

# --- 2. refusals that copy nothing -----------------------------------------

ctl copy-to
ctl_exit 2 "copy-to: without a target is bad usage (exit 2)"
ctl copy-to "$SITE"
ctl_exit 1 "copy-to: AUTH_DB itself is refused"
check "copy-to: ...saying so" eval 'printf "%s" "$ctl_err" | grep -q "AUTH_DB itself"'
AUTH_DB=$T/nothing.db ctl copy-to "$PG_DB"
ctl_exit 1 "copy-to: from a database that does not exist is refused"
check "copy-to: ...and creates neither" \
    eval 'db_absent "$T/nothing.db" && db_absent "$PG_DB"'
ctl copy-to --help
ctl_exit 0 "copy-to: --help exits 0"
check "copy-to: --help says what it copies" \
    eval 'printf "%s" "$ctl_out" | grep -q "authctl copy-to DATABASE" &&
    printf "%s" "$ctl_out" | grep -q "deleted ids"'
check "copy-to: --help copies nothing" db_absent "$PG_DB"

# All or nothing: a copy whose last row PostgreSQL refuses (an event whose
# detail is not UTF-8, which SQLite stores as given) leaves no row behind.
db_sql -db "$SITE" "VACUUM INTO '$T/bad.db'"
db_sql -db "$T/bad.db" "INSERT INTO events (at, event, detail) VALUES (1, 'login', CAST(X'C3FF' AS TEXT))"
AUTH_DB=$T/bad.db ctl copy-to "$PG_DB"
ctl_exit 1 "copy-to: a row the target refuses fails the copy (exit 1)"
check "copy-to: ...saying nothing was copied" \
    eval 'printf "%s" "$ctl_err" | grep -q "nothing was copied"'
check "copy-to: ...and the users it had put in are gone with the rest" \
    test "$(rows "$PG_DB" 'SELECT count(*) FROM users')/$(rows "$PG_DB" 'SELECT count(*) FROM settings')" = 0/0

# --- 3. the copy -------------------------------------------------------------

ctl copy-to "$PG_DB"
ctl_done "copy-to: into the empty PostgreSQL database: exit 0, no complaint"
check "copy-to: says how many users it copied" \
    eval 'printf "%s\n" "$ctl_out" | grep -qx "users: 4 (3 active)"'
check "copy-to: says which id register goes on after" \
    eval 'printf "%s\n" "$ctl_out" | grep -q "^largest id ever given: 5 "'
want_eq "$site_users" "$(rows "$PG_DB" "$USERS_SQL")" \
    "copy-to: users with their ids, names, keys, hashes, flags and times"
want_eq "$site_deleted" "$(rows "$PG_DB" 'SELECT id FROM deleted_users ORDER BY id')" \
    "copy-to: the deleted ids"
want_eq "$site_tokens" "$(rows "$PG_DB" "$TOKENS_SQL")" \
    "copy-to: the remembered tokens (logged out, spent, fresh)"
want_eq "$KEY2" "$(key_hex "$PG_DB" jwt_secret)" "copy-to: the signing key"
want_eq "$KEY1" "$(key_hex "$PG_DB" jwt_secret_previous)" \
    "copy-to: the previous key"
want_eq "$(rows "$SITE" "SELECT CAST(value AS TEXT) FROM settings WHERE name = 'jwt_secret_previous_until'")" \
    "$(rows "$PG_DB" "SELECT convert_from(value, 'UTF8') FROM settings WHERE name = 'jwt_secret_previous_until'")" \
    "copy-to: the previous key's grace"
want_eq "$site_events" "$(rows "$PG_DB" 'SELECT at, coalesce(user_id, 0), event, coalesce(client, '"''"'), coalesce(detail, '"''"') FROM events ORDER BY id')" \
    "copy-to: the audit log, in order"
want_eq "$site_known" "$(rows "$PG_DB" 'SELECT user_id, client, at FROM known_clients ORDER BY user_id, client')" \
    "copy-to: the clients known to accounts"
check "copy-to: the SQLite site is left as it was" \
    test "$(rows "$SITE" "$USERS_SQL")" = "$site_users"

# A second copy into what is now not empty: refused, nothing changed.
ctl copy-to "$PG_DB"
ctl_exit 1 "copy-to: a second copy into the same database is refused (exit 1)"
check "copy-to: ...saying it is not empty and copying nothing" \
    eval 'printf "%s" "$ctl_err" | grep -q "is not empty" &&
    printf "%s" "$ctl_err" | grep -q "nothing was copied"'
want_eq "$site_users" "$(rows "$PG_DB" "$USERS_SQL")" \
    "copy-to: ...and the users there are as the first copy left them"
want_eq "$site_tokens" "$(rows "$PG_DB" "$TOKENS_SQL")" \
    "copy-to: ...and so are the tokens"
# A database a web host has used (a key generated there) is not empty.
USED=$(db_new used)
start_server AUTH_DB="$USED"
register zed zed@example.com "$PW"
check_status 201 "copy-to: setup: a host registers a user on another database"
stop_server
ctl copy-to "$USED"
ctl_exit 1 "copy-to: into a database a host has used is refused"
check "copy-to: ...and it still holds only its own user" \
    test "$(rows "$USED" 'SELECT username FROM users')" = zed

# --- 4. the server on PostgreSQL ---------------------------------------------

start_server AUTH_DB="$PG_DB"
me "$A2"
check_status 200 "after: alice's access token issued on SQLite works on PostgreSQL"
check_json .username alice "after: ...and names alice"
me "$A1"
check_status 200 "after: her token of the previous key works in the copied grace"
refresh_with "$R2"
check_status 200 "after: her refresh token issued on SQLite works"
check "after: the new access token is signed with the copied key" \
    signed_with_hex "$(jq -r .access <<<"$body")" "$KEY2"
refresh_with "$R1"
check_status 200 "after: her refresh token of the previous key works too"
me "$B1"
check_status 401 "after: bob's revoked access token stays refused"
refresh_with "$BR1"
check_status 401 "after: bob's revoked refresh token stays refused"
refresh_with "$CR1"
check_status 401 "after: carol's logged-out refresh token stays refused"
me "$C1"
check_status 200 "after: carol's access token (a logout leaves it) still works"
login bob "$PW"
check_status 200 "after: bob logs in with the same password"
check "after: ...as id 2" test "$(claim "$access" .user_id)" = 2
me "$access"
check_status 200 "after: bob's new token works"
login alice "$PW"
check_status 200 "after: alice logs in with the same password"
check "after: ...as id 1" test "$(claim "$access" .user_id)" = 1
login dave "$PW"
check_status 401 "after: disabled dave still cannot log in"
login erin "$PW"
check_status 401 "after: deleted erin does not exist"
login alice 'wrong-Pass1'
check_status 401 "after: a wrong password is still wrong"
register frank frank@example.com "$PW"
check_status 201 "after: a new user registers"
check "after: ...with id 6, past every id the site gave (5 was deleted)" \
    test "$(claim "$access" .user_id)" = 6
register alice other@example.com "$PW"
check_status 400 "after: a copied username stays taken"
register alicia alice@example.com "$PW"
check_status 400 "after: a copied email stays taken"
stop_server

# --- 5. every authctl command on the copy ------------------------------------

export AUTH_DB=$PG_DB
ctl user list
ctl_ok "authctl: user list"
check "authctl: user list shows the copied and new users" \
    test "$(printf '%s\n' "$ctl_out" | tail -n +2 | cut -f2 | tr '\n' ' ')" = \
    "alice bob carol dave frank "
ctl user list --json
ctl_ok "authctl: user list --json"
ctl user show alice
ctl_ok "authctl: user show alice"
ctl user show id:3 --json
ctl_ok "authctl: user show id:3 --json"
printf '%s\n' 'n3w-s3cure!Pass' | ctl user add gina gina@example.com
ctl_ok "authctl: user add gina"
check "authctl: ...with id 7" test "$(rows "$PG_DB" "SELECT id FROM users WHERE username = 'gina'")" = 7
printf '%s\n' 'an0ther-s3cure!Pass' | ctl user passwd gina
ctl_ok "authctl: user passwd gina"
ctl user enable dave
ctl_ok "authctl: user enable dave"
ctl user disable dave
ctl_ok "authctl: user disable dave"
ctl revoke alice
ctl_ok "authctl: revoke alice"
ctl user delete gina
ctl_ok "authctl: user delete gina"
ctl secret show-source
ctl_ok "authctl: secret show-source"
check "authctl: ...the key in the database, and its previous one" \
    eval 'printf "%s\n" "$ctl_out" | grep -q "^database .*32 bytes" &&
    printf "%s\n" "$ctl_out" | grep -q "^previous key"'
ctl secret rotate
ctl_ok "authctl: secret rotate"
ctl events
ctl_ok "authctl: events"
check "authctl: events lists the site's events and the new ones" \
    eval 'printf "%s\n" "$ctl_out" | grep -q "	register	1	" &&
    printf "%s\n" "$ctl_out" | grep -q "	delete	7	"'
ctl events --user bob --json
ctl_ok "authctl: events --user bob --json"
ctl purge
ctl_ok "authctl: purge"
ctl stats
ctl_ok "authctl: stats"
check "authctl: stats counts the users (5: gina was deleted)" \
    eval 'printf "%s\n" "$ctl_out" | grep -qx "users: 5"'
ctl stats --json
ctl_ok "authctl: stats --json"
check "authctl: stats --json: wal_bytes is 0 on PostgreSQL, db_bytes what our tables take" \
    eval '[ "$(jq -r .wal_bytes <<<"$ctl_out")" = 0 ] &&
    [ "$(jq -r .db_bytes <<<"$ctl_out")" -gt 0 ]'
AUTH_JWT_SECRET=test-secret-0123456789abcdef0123456789abcdef ctl check
ctl_ok "authctl: check"
check "authctl: check reports the schema version, indexes and role, no SQLite integrity or file modes" \
    eval 'printf "%s\n" "$ctl_out" | grep -q "^ok *schema version" &&
    printf "%s\n" "$ctl_out" | grep -q "^ok *tables and indexes" &&
    printf "%s\n" "$ctl_out" | grep -q "^ok *role .*not a superuser" &&
    ! printf "%s\n" "$ctl_out" | grep -q "integrity\|mode 0"'
{
	echo 'id,password,last_login,is_superuser,username,last_name,email,is_staff,is_active,date_joined,first_name'
	echo '100,!unusable,,0,henry,"",henry@example.com,0,1,"2024-01-01 00:00:00",""'
	echo '5,!unusable,,0,erin2,"",erin2@example.com,0,1,"2024-01-01 00:00:00",""'
} >"$T/import.csv"
ctl import-django --dry-run "$T/import.csv"
ctl_exit 1 "authctl: import-django --dry-run finds erin's deleted id 5 in the copy"
ctl import-django "$T/import.csv"
ctl_exit 1 "authctl: import-django refuses the deleted id 5 the copy remembers"
sed -i '$d' "$T/import.csv"
ctl import-django "$T/import.csv"
ctl_ok "authctl: import-django of id 100"
printf '%s\n' 'n3w-s3cure!Pass' | ctl user add ivan ivan@example.com
check "authctl: a user added after it goes on past it (101)" \
    test "$ctl_rc/$(rows "$PG_DB" "SELECT id FROM users WHERE username = 'ivan'")" = 0/101

# --- 6. and back: PostgreSQL to SQLite -----------------------------------------

ctl copy-to "$T/back.db"
ctl_done "copy-to: the PostgreSQL site back into a new SQLite file"
want_eq "$(rows "$PG_DB" "$USERS_SQL")" "$(rows "$T/back.db" "$USERS_SQL")" \
    "copy-to back: the same users"
want_eq "$(rows "$PG_DB" "$TOKENS_SQL")" "$(rows "$T/back.db" "$TOKENS_SQL")" \
    "copy-to back: the same tokens"
want_eq "$(key_hex "$PG_DB" jwt_secret)" "$(key_hex "$T/back.db" jwt_secret)" \
    "copy-to back: the same key"
check "copy-to back: the file is readable by its owner only" \
    test "$(stat -c %a "$T/back.db")" = 600
start_server AUTH_DB="$T/back.db"
login bob "$PW"
check_status 200 "copy-to back: bob logs in on the SQLite copy"
register judy judy@example.com "$PW"
check_status 201 "copy-to back: a registration there..."
check "copy-to back: ...gets id 102, past every id given (7 and 100 included)" \
    test "$(claim "$access" .user_id)" = 102
stop_server

# --- 7. the shipped pgbouncer.ini.example in front of the copy ----------------

# The example as an operator adapts it: the [databases] line pointed at
# this cluster's socket and this file's database, the paths put in $T.
# The rest (transaction pooling, trust on a private socket directory, no
# TCP) is as shipped, and the programs work through it.
PGB=$T/pgb
mkdir -m 0700 "$PGB"
[ "$(id -u)" != 0 ] || chown "$(stat -c %u:%g "$PGH")" "$PGB"
printf '"%s" ""\n' "$PG_ROLE" >"$PGB/userlist.txt"
sed -e "s|^corners_auth = host=.*|corners_auth = host=$PGH/sock port=$PG_PORT dbname=${PG_DB##*/}|" \
    -e "s|^unix_socket_dir = .*|unix_socket_dir = $PGB|" \
    -e "s|^listen_port = .*|listen_port = 6499|" \
    -e "s|^auth_file = .*|auth_file = $PGB/userlist.txt|" \
    -e "s|^logfile = .*|logfile = $PGB/pgbouncer.log|" \
    -e "s|^pidfile = .*|pidfile = $PGB/pgbouncer.pid|" \
    "$TOP/pgbouncer.ini.example" >"$PGB/pgbouncer.ini"
[ "$(id -u)" != 0 ] || chown -R "$(stat -c %u:%g "$PGH")" "$PGB"
check "example: the shipped pgbouncer.ini.example pools transactions, trusts a private socket, listens on no TCP" \
    eval 'grep -qx "pool_mode = transaction" "$PGB/pgbouncer.ini" &&
    grep -qx "auth_type = trust" "$PGB/pgbouncer.ini" &&
    grep -qx "listen_addr =" "$PGB/pgbouncer.ini"'
if pg_as pgbouncer -d -q "$PGB/pgbouncer.ini"; then
	ok "example: pgbouncer starts from pgbouncer.ini.example"
	VIA=postgresql://$PG_ROLE@$(pg_enc "$PGB"):6499/corners_auth
	for _ in $(seq 50); do
		[ -S "$PGB/.s.PGSQL.6499" ] && break
		sleep 0.1
	done
	PG_FASTCGI_VIA=pgbouncer start_server AUTH_DB="$VIA"
	login carol "$PW"
	check_status 200 "example: carol logs in through the example's pgbouncer"
	me "$access"
	check_status 200 "example: ...and her token works through it"
	register kate kate@example.com "$PW"
	check_status 201 "example: a registration through it"
	AUTH_DB=$VIA ctl stats
	check "example: authctl works through it too (users: 8)" \
	    eval '[ "$ctl_rc" = 0 ] && printf "%s\n" "$ctl_out" | grep -qx "users: 8"'
	stop_server
	kill "$(cat "$PGB/pgbouncer.pid" 2>/dev/null)" 2>/dev/null
else
	not_ok "example: pgbouncer starts from pgbouncer.ini.example" \
	    "$(tail -n 5 "$PGB/pgbouncer.log" 2>/dev/null)"
fi

finish

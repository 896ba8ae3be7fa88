#!/usr/bin/env bash
# corners-auth(8) "Backups and restores", as written there: sqlite3's .backup
# while the endpoints write, then, with the server stopped, the copy put
# in place, the old -wal and -shm removed, authctl check and authctl
# secret rotate.  What a restore must not do: bring back a user who was
# not in the copy, or let a token of such a user pass as the user who is
# given the same id afterwards.
# any-cgi-server (tests/run.sh: files and authctl, whatever serves them)
# sqlite-only: corners-auth(8)'s backup of the SQLite file (sqlite3 .backup, the -wal and -shm); PostgreSQL's is pg_dump's
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
# The two backups below run sqlite3 itself, not lib.sh's db_sql: what is
# tested is the manual's command exactly as an operator types it (its
# .timeout included: without it, 8 in 500 tries here failed with
# "database is locked"), a copy of SQLite's file.  Every other look at a
# database here goes through db_sql.

# The signing key is the one kept in the database, as by default.
unset AUTH_JWT_SECRET
BACKUP=$T/backup.db

start_server
register alice alice@example.com "$PW"
check_status 201 "setup: alice registers"
alice_access=$access

# --- the backup, taken while registrations write ------------------------------

pids=()
for i in $(seq 20); do
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
	    --data-binary "{\"username\":\"busy$i\",\"email\":\"busy$i@example.com\",\"password\":\"$PW\"}" \
	    "http://127.0.0.1:$PORT$(path register)" >"$T/busy$i.code" &
	pids+=($!)
done
sleep 0.05
sqlite3 -batch -cmd '.timeout 5000' "$AUTH_DB" ".backup '$T/busy.db'" \
    2>"$T/backup.err"
rc=$?
check "sqlite3 .backup succeeds while the endpoints write (exit $rc: $(cat "$T/backup.err"))" \
    test "$rc" = 0 -a ! -s "$T/backup.err"
wait "${pids[@]}"
check "the registrations during it all answered 201" \
    test "$(cat "$T"/busy*.code | sort -u)" = 201
check "that copy passes PRAGMA integrity_check" \
    test "$(db_sql -db "$T/busy.db" 'PRAGMA integrity_check')" = ok
n=$(users_in "$T/busy.db")
check "it has alice and the registrations that came before it ($n of 21)" \
    test "$n" -ge 1 -a "$n" -le 21

# The copy restored below, once they are done, made as corners-auth(8) says.
(umask 077; sqlite3 -batch -cmd '.timeout 5000' "$AUTH_DB" ".backup '$BACKUP'")
check "under umask 077 the copy is mode 600 ($(stat -c %a "$BACKUP"))" \
    test "$(stat -c %a "$BACKUP")" = 600
n_backup=$(users_in "$BACKUP")
check "the copy has the 21 users" test "$n_backup" = 21
check "the copy holds the signing key the endpoints generated" \
    test "$(db_sql -db "$BACKUP" "SELECT count(*) FROM settings WHERE name = 'jwt_secret'")" = 1

# --- after the backup: bob registers, alice changes nothing -------------------

register bob bob@example.com "$PW"
check_status 201 "after the backup: bob registers"
bob_access=$access
bob_id=$(claim "$bob_access" .user_id)

# --- the restore ----------------------------------------------------------------

stop_server
install -m 0600 "$BACKUP" "$AUTH_DB"
rm -f "$AUTH_DB-wal" "$AUTH_DB-shm"
ctl check
check "after the restore, authctl check exits 0 ($ctl_err)" test "$ctl_rc" = 0
ctl secret rotate
check "authctl secret rotate exits 0 ($ctl_err)" test "$ctl_rc" = 0
start_server

check "the database has the copy's users ($(users_in "$AUTH_DB"))" \
    test "$(users_in "$AUTH_DB")" = "$n_backup"
login alice "$PW"
check_status 200 "alice, in the copy, logs in"
login bob "$PW"
check_status 401 "bob, registered after the copy, is gone"
req GET me - -H "Authorization: Bearer $alice_access"
check_status 401 "a token from before the restore is refused (the key was rotated)"

# Without the rotation this is where a restore goes wrong: the next user
# may be given bob's id, and bob's token would pass as that user.
register carol carol@example.com "$PW"
check_status 201 "carol registers after the restore"
carol_id=$(claim "$access" .user_id)
check "setup: carol is given the id bob had ($carol_id, $bob_id)" \
    test "$carol_id" = "$bob_id"
req GET me - -H "Authorization: Bearer $bob_access"
check_status 401 "bob's old token does not pass as carol"

finish

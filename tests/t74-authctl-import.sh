#!/usr/bin/env bash
# authctl import-django: real Django 3.2 exports (tests/fixtures/django) in
# JSON, SQLite CSV and PostgreSQL CSV; the users log in over HTTP with their
# Django passwords under their Django ids; duplicates, unsupported hashes,
# malformed files and --dry-run import nothing; an import while the server
# takes registrations.
# any-cgi-server (tests/run.sh: authctl's import)
. "$(dirname "$0")/lib.sh"

FIX=$TOP/tests/fixtures/django
MAIN_DB=$AUTH_DB

# use_db NAME: a fresh database (db_new: $T/NAME.db) for authctl and the
# next server.
use_db() {
	export AUTH_DB
	AUTH_DB=$(db_new "$1")
}

# check_out TEXT "desc": authctl's stdout is exactly TEXT.
check_out() {
	if [ "$ctl_out" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2" "want stdout '$1', got '${ctl_out:0:300}', stderr '${ctl_err:0:600}'"
	fi
}

# check_err ERE "desc": a line of authctl's stderr matches ERE.
check_err() {
	if printf '%s\n' "$ctl_err" | grep -Eq -- "$1"; then
		ok "$2"
	else
		not_ok "$2" "want a stderr line matching /$1/, got '${ctl_err:0:800}'"
	fi
}

# check_count DB N "desc": DB holds N users.
check_count() {
	local got
	got=$(users_in "$1")
	if [ "$got" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "want $2 users, got $got"
	fi
}

# The users as the fixture says they must come out of user list --json:
# Django's values, times cut to whole seconds (UTC), null = never.
secs='if . == null then null else sub("\\.[0-9]+Z$"; "Z") end'
EXPECT=$(jq -c "[.[] | {id: .pk, username: .fields.username,
    email: .fields.email, is_active: .fields.is_active,
    date_joined: (.fields.date_joined | $secs),
    last_login: (.fields.last_login | $secs)}] | sort_by(.id)" \
    "$FIX/users.json")
# id<TAB>hash of every user of the fixture, by id.
HASHES=$(jq -r 'sort_by(.pk)[] | "\(.pk)\t\(.fields.password)"' "$FIX/users.json")
# costlier_note N MAX: what import-django adds when N imported hashes cost
# more than AUTH_PBKDF2_ITERATIONS (lib.sh's 1000), the costliest MAX
# (SPEC "POST login": timing tells them apart until they log in).
costlier_note() {
	printf '\nnote: %s user%s %s password hashes costlier than AUTH_PBKDF2_ITERATIONS=1000 (up to %s iterations): until each logs in and is re-hashed, a wrong password for them takes longer to refuse than a name that does not exist, which tells that they exist; AUTH_PBKDF2_ITERATIONS=%s closes that' \
	    "$1" "$([ "$1" = 1 ] || echo s)" "$([ "$1" = 1 ] && echo has || echo have)" "$2" "$2"
}
# The fixture's users: 7 of the 8 hashes cost more than 1000, up to 600000.
NOTE7=$(costlier_note 7 600000)
IMPORTED8="imported 8 users (1 inactive, 0 with an unusable password)$NOTE7"

# listed: user list --json, compacted, without tokens_revoked_until and
# password_usable (not the fixture's).
listed() {
	ctl user list --json
	printf '%s' "$ctl_out" | jq -c 'map(del(.tokens_revoked_until, .password_usable)) | sort_by(.id)' 2>&1
}

# stored_hashes: id<TAB>password of every user of $AUTH_DB, by id.
stored_hashes() {
	db_sql -sep $'\t' \
	    'SELECT id, password FROM users ORDER BY id'
}

# fixture FILTER: jq FILTER over the users.json record of the user $u.
fixture() {
	jq -r --arg u "$u" ".[] | select(.fields.username == \$u) | $1" \
	    "$FIX/users.json"
}

check "setup: the fixture has the 8 documented users" \
    test "$(printf '%s' "$EXPECT" | jq -c 'map(.id)')" = '[3,7,42,58,123,1000,1001,4096]'

## users.json into an empty database.

start_server
ctl import-django "$FIX/users.json"
ctl_exit 0 "import users.json into an empty database: exit 0"
check_out "$IMPORTED8" "import users.json: says 'imported 8 users (1 inactive, 0 with an unusable password)' and notes the 7 hashes costlier than configured"
want_eq "" "$ctl_err" "import users.json: nothing on stderr"
check_count "$AUTH_DB" 8 "import users.json: 8 users in the database"
want_eq "$EXPECT" "$(listed)" \
    "import users.json: user list --json has the Django ids, usernames, emails, is_active, date_joined and last_login (to the second, UTC)"
want_eq "$HASHES" "$(stored_hashes)" "import users.json: every hash is stored verbatim"
want_eq "$(date -u -d '2019-01-15 09:30:12' +%s) $(date -u -d '2024-06-01 08:00:00' +%s)" \
    "$(db_sql 'SELECT date_joined, last_login FROM users WHERE id = 3' | tr '|' ' ')" \
    "import users.json: alice's times are stored as the Unix seconds of the UTC times (fraction dropped)"
want_eq "1" "$(db_sql 'SELECT CAST(last_login IS NULL AS INTEGER) FROM users WHERE id = 123')" \
    "import users.json: frank's null last_login is stored as NULL (never)"

for id in $(printf '%s' "$EXPECT" | jq -r '.[].id'); do
	ctl user show "id:$id" --json
	want_eq "$(printf '%s' "$EXPECT" | jq -c ".[] | select(.id == $id)")" \
	    "$(printf '%s' "$ctl_out" | jq -c 'del(.tokens_revoked_until, .password_usable)' 2>&1)" \
	    "user show id:$id --json matches the fixture (date_joined, last_login to the second)"
done
ctl user show ZOË --json
want_eq "1001 2018-08-08T08:08:08Z 2019-09-09T09:09:09Z" \
    "$(printf '%s' "$ctl_out" | jq -r '"\(.id) \(.date_joined) \(.last_login)"' 2>&1)" \
    "user show ZOË --json: the non-ASCII username found case-insensitively, its times cut to seconds"

# Every user of passwords.txt logs in over HTTP with the Django password,
# as their Django id, except the inactive one.
n=0
while IFS=$'\t' read -r -u 3 u pw; do
	n=$((n + 1))
	id=$(fixture .pk)
	email=$(fixture .fields.email)
	iter=$(fixture .fields.password | cut -d'$' -f2)
	login "$u" "$pw"
	if [ "$(fixture .fields.is_active)" = false ]; then
		check_401 "login: the inactive imported user $u, right password"
		want_eq "2022-01-01T00:00:00Z" \
		    "$(ctl user show "id:$id" --json; printf '%s' "$ctl_out" | jq -r .last_login)" \
		    "login: the refused inactive user's last_login is kept as imported"
		continue
	fi
	check_status 200 "login: imported $u ($iter iterations) logs in with the Django password"
	want_eq "$id" "$(claim "$access" .user_id)" \
	    "login: $u's access token has user_id $id, the Django id"
	req GET me - -H "Authorization: Bearer $access"
	check_same "$(jq -cn --argjson i "$id" --arg u "$u" --arg e "$email" \
	    '{id: $i, username: $u, email: $e}')" \
	    "me: $u's token gives the Django id, username and email"
done 3<"$FIX/passwords.txt"
check "login: all 8 users of passwords.txt were tried" test "$n" = 8

login alice 'correct horse battery staple!'
check_401 "login: imported alice with a wrong password"

u=dave_legacy
check "login: setup: dave_legacy's hash has the legacy 12-character salt" \
    test "$(fixture .fields.password | cut -d'$' -f3 | tr -d '\n' | wc -c)" = 12
login dave_legacy oldpassword
check_status 200 "login: dave_legacy (legacy 12-character salt, 10000 iterations) logs in again"

login 'ZOE.MARTIN@example.com' 'contraseña-🔑'
check_status 200 "login: Zoë by email in another case (ZOE.MARTIN@example.com)"
want_eq 1001 "$(claim "$access" .user_id)" "login: Zoë by email: user_id 1001"
login 'ZOË' 'contraseña-🔑'
check_status 200 "login: Zoë by username in capitals (ZOË)"
want_eq 1001 "$(claim "$access" .user_id)" "login: ZOË: user_id 1001"
login 'Zoë' 'contrasena-🔑'
check_401 "login: Zoë with the password's ñ written as n"

## Re-hash on login: a hash of any other cost than AUTH_PBKDF2_ITERATIONS
## (SPEC "POST login", Django's must_update), costlier ones too.

# lib.sh configures 1000 iterations: carol's 20000 (costlier, and so
# slower to refuse than an unknown name) is replaced; Zoë's 1000 stays.
u=carol.w-smith
h=$(db_sql 'SELECT password FROM users WHERE id = 42')
check "re-hash: carol's 20000-iteration hash is replaced by pbkdf2_sha256\$1000\$ after a login with 1000 configured (costlier than configured)" \
    eval 'printf "%s" "$h" | grep -Eqx "pbkdf2_sha256\\\$1000\\\$[a-zA-Z0-9]{22}\\\$[A-Za-z0-9+/]{43}="'
u=Zoë
want_eq "$(fixture .fields.password)" "$(db_sql 'SELECT password FROM users WHERE id = 1001')" \
    "re-hash: Zoë's 1000-iteration hash is kept after logins with 1000 configured (equal)"

start_server AUTH_PBKDF2_ITERATIONS=30000
login carol.w-smith s3cret-carol
check_status 200 "re-hash: carol logs in with 30000 configured"
h=$(db_sql 'SELECT password FROM users WHERE id = 42')
check "re-hash: carol's 1000-iteration hash is replaced by pbkdf2_sha256\$30000\$ (weaker than configured)" \
    eval 'printf "%s" "$h" | grep -Eqx "pbkdf2_sha256\\\$30000\\\$[a-zA-Z0-9]{22}\\\$[A-Za-z0-9+/]{43}="'
login carol.w-smith s3cret-carol
check_status 200 "re-hash: carol logs in with the re-hashed password"
want_eq "$h" "$(db_sql 'SELECT password FROM users WHERE id = 42')" \
    "re-hash: a hash at the configured cost is not re-hashed again"
login carol.w-smith s3cret-caro1
check_401 "re-hash: carol's re-hashed password refuses a wrong one"
start_server

## A registration after the import gets an id above every imported one.

register newcomer newcomer@example.com 's3cure!Pass'
check_status 201 "register after the import: 201"
newid=$(claim "$access" .user_id)
check "register after the import: the new id ($newid) is above the largest imported id (4096)" \
    test "${newid:-0}" -gt 4096
want_eq 9 "$(users_in "$AUTH_DB")" "register after the import: 9 users"

## Importing users.json again: every user a duplicate, nothing imported.

ctl import-django "$FIX/users.json"
ctl_exit 1 "import users.json twice: the second is exit 1"
check_out "" "import users.json twice: nothing on stdout"
for id in $(printf '%s' "$EXPECT" | jq -r '.[].id'); do
	u=$(printf '%s' "$EXPECT" | jq -r ".[] | select(.id == $id) | .username")
	check_err "^authctl: .*users\\.json: record [0-9]+: $u \\(id $id\\): the (id|username|email) is taken" \
	    "import users.json twice: $u (id $id) is listed as a duplicate"
done
check_err "^authctl: .*users\\.json: 8 duplicates; nothing was imported$" \
    "import users.json twice: '8 duplicates; nothing was imported'"
check_count "$AUTH_DB" 9 "import users.json twice: still 9 users"

## users.csv (SQLite) and users-pg.csv (PostgreSQL): the same users.

for f in users.csv users-pg.csv; do
	use_db "${f%.csv}"
	ctl import-django "$FIX/$f"
	ctl_exit 0 "import $f into an empty database: exit 0"
	check_out "$IMPORTED8" "import $f: says 'imported 8 users ...' and the note"
	want_eq "$EXPECT" "$(listed)" \
	    "import $f: the same ids, usernames, emails, is_active, date_joined and last_login as users.json (to the second)"
	want_eq "$HASHES" "$(stored_hashes)" "import $f: the same hashes, verbatim"
	want_eq "1" "$(db_sql 'SELECT CAST(last_login IS NULL AS INTEGER) FROM users WHERE id = 123')" \
	    "import $f: frank's empty last_login is stored as NULL (never)"
	start_server
	login zoe.martin@EXAMPLE.COM 'contraseña-🔑'
	check_status 200 "import $f: Zoë (a quoted non-ASCII field) logs in by email"
	want_eq 1001 "$(claim "$access" .user_id)" "import $f: Zoë's token has user_id 1001"
	req GET me - -H "Authorization: Bearer $access"
	check_same '{"id":1001,"username":"Zoë","email":"Zoe.Martin@Example.COM"}' \
	    "import $f: me gives Zoë's Django username and email"
	login erin erin-was-here
	check_401 "import $f: erin (is_active false) cannot log in"
done

## Duplicates within a file, case-insensitively: nothing imported.

use_db dup
ctl import-django "$FIX/duplicate.json"
ctl_exit 1 "import duplicate.json (Alice and alice): exit 1"
check_err '^authctl: .*duplicate\.json: record 2: alice \(id 6\): the username is taken' \
    "import duplicate.json: alice (id 6) is named, her username taken case-insensitively"
check_err 'duplicate\.json: 1 duplicate; nothing was imported$' \
    "import duplicate.json: '1 duplicate; nothing was imported'"
check_count "$AUTH_DB" 0 "import duplicate.json: nothing imported (not even Alice)"

use_db dupemail
ctl import-django "$FIX/duplicate-email.csv"
ctl_exit 1 "import duplicate-email.csv (Henry@Example.com, henry@example.com): exit 1"
check_err '^authctl: .*duplicate-email\.csv: line 3: henry2 \(id 9\): the email is taken' \
    "import duplicate-email.csv: henry2 (line 3) is named, the email taken case-insensitively"
check_count "$AUTH_DB" 0 "import duplicate-email.csv: nothing imported (not even henry)"

## Hashes of other algorithms.

use_db unsup
ctl import-django "$FIX/unsupported.json"
ctl_exit 1 "import unsupported.json: exit 1"
check_out "" "import unsupported.json: nothing on stdout"
for ua in user_argon2:argon2 user_bcrypt_sha256:bcrypt_sha256 user_bcrypt:bcrypt \
    user_crypt:crypt user_md5:md5 user_sha1:sha1 user_pbkdf2_sha1:pbkdf2_sha1 \
    user_unsalted_sha1:sha1 user_md5_empty_salt:md5; do
	check_err "^authctl: .*unsupported\\.json: record [0-9]+: ${ua%%:*} \\(id [0-9]+\\): unsupported password hash ${ua#*:}\$" \
	    "import unsupported.json: ${ua%%:*} listed with 'unsupported password hash ${ua#*:}'"
done
check_err '^authctl: .*record [0-9]+: user_unsalted_md5 \(id 21\): unsupported password hash ' \
    "import unsupported.json: user_unsalted_md5 (a bare hex digest) listed as unsupported"
check "import unsupported.json: the good, unusable and empty-password users are not listed" \
    eval '! printf "%s\n" "$ctl_err" | grep -Eq "good_|user_unusable|user_empty_password"'
check_err 'unsupported\.json: 10 users with password hashes other than pbkdf2_sha256; nothing was imported' \
    "import unsupported.json: the refusal counts the 10 and says nothing was imported"
check_count "$AUTH_DB" "no database" "import unsupported.json: nothing imported (the file is checked before a database is made)"

ctl import-django --skip-unsupported "$FIX/unsupported.json"
ctl_exit 0 "import --skip-unsupported unsupported.json: exit 0"
check_out "imported 5 users (0 inactive, 2 with an unusable password); left out 10 with unsupported hashes$(costlier_note 3 600000)" \
    "import --skip-unsupported: says 5 imported, 2 with an unusable password, 10 left out"
want_eq "10 11 12 90 91" "$(db_sql 'SELECT id FROM users ORDER BY id' | tr '\n' ' ' | sed 's/ $//')" \
    "import --skip-unsupported: only the pbkdf2_sha256 and unusable-password users (ids 10 11 12 90 91)"
UNUSABLE=$(jq -r '.[] | select(.pk == 90) | .fields.password' "$FIX/unsupported.json")
check "import --skip-unsupported: setup: user_unusable's password in the fixture starts with '!'" \
    test "${UNUSABLE:0:1}" = '!'
want_eq "$UNUSABLE|" \
    "$(db_sql 'SELECT password FROM users WHERE id IN (90, 91) ORDER BY id' | paste -sd'|')" \
    "import --skip-unsupported: the unusable passwords ('!...' and '') are stored as they were"
start_server
while IFS=$'\t' read -r -u 3 file u pw; do
	[ "$file" = unsupported.json ] || continue
	id=$(jq -r --arg u "$u" '.[] | select(.fields.username == $u) | .pk' "$FIX/unsupported.json")
	login "$u" "$pw"
	case $u in
	good_*)
		check_status 200 "login: imported $u logs in with the Django password"
		want_eq "$id" "$(claim "$access" .user_id)" "login: $u's token has user_id $id"
		;;
	*)
		check_401 "login: $u (unsupported hash, left out) cannot log in"
		;;
	esac
done 3<"$FIX/extra-passwords.txt"
login user_unusable 'any-password'
check_401 "login: user_unusable ('!...' password) cannot log in"
login user_unusable "$UNUSABLE"
check_401 "login: user_unusable cannot log in with the stored '!...' string itself"
login unusable@example.com 'any-password'
check_401 "login: user_unusable cannot log in by email"
login user_empty_password 'any-password'
check_401 "login: user_empty_password ('' password) cannot log in"

## --dry-run: everything checked and counted, nothing imported.

use_db dry
ctl import-django --dry-run "$FIX/users.json"
ctl_exit 0 "import --dry-run users.json: exit 0"
check_out "would import 8 users (1 inactive, 0 with an unusable password)$NOTE7" \
    "import --dry-run users.json: says 'would import 8 users (1 inactive, 0 with an unusable password)'"
check_count "$AUTH_DB" "no database" "import --dry-run users.json: nothing imported, and no database made"
ctl import-django --dry-run --skip-unsupported "$FIX/unsupported.json"
check_out "would import 5 users (0 inactive, 2 with an unusable password); left out 10 with unsupported hashes$(costlier_note 3 600000)" \
    "import --dry-run --skip-unsupported unsupported.json: says 'would import 5 users ...; left out 10'"
check_count "$AUTH_DB" "no database" "import --dry-run --skip-unsupported: nothing imported, and no database made"
ctl import-django --dry-run "$FIX/duplicate.json"
ctl_exit 1 "import --dry-run duplicate.json: exit 1 (the duplicate is found)"
check_err 'record 2: alice \(id 6\): the username is taken' \
    "import --dry-run duplicate.json: alice named"
AUTH_PBKDF2_ITERATIONS=600000 ctl import-django --dry-run "$FIX/users.json"
check_out "would import 8 users (1 inactive, 0 with an unusable password)" \
    "import --dry-run with AUTH_PBKDF2_ITERATIONS=600000 (the costliest hash's): no note"
ctl import-django "$FIX/users.json"
ctl_exit 0 "import users.json after the dry runs: exit 0"
check_count "$AUTH_DB" 8 "import users.json after the dry runs: 8 users"

## Malformed files: exit 1, the problem (and its line or record) named,
## nothing imported.

use_db bad
HASH='pbkdf2_sha256$1000$713P6a4S8qgiEX0W6mX8QM$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ='
GOODROW="1,ann,ann@example.com,$HASH,t,2020-01-01 00:00:00+00,"
HEAD='id,username,email,password,is_active,date_joined,last_login'

# bad NAME ERE "desc": import $T/NAME (written by the caller): exit 1, a
# stderr line matching ERE, nothing on stdout, nothing imported (and, the
# file being read before the database is opened, no database made).
bad() {
	ctl import-django "$T/$1"
	ctl_exit 1 "malformed: $3: exit 1"
	check_err "^authctl: .*$1: $2" "malformed: $3: the message says so"
	check_out "" "malformed: $3: nothing on stdout"
	check_count "$AUTH_DB" "no database" "malformed: $3: nothing imported, no database made"
}

printf 'id,username,email,is_active\n1,ann,ann@example.com,t\n' >"$T/nopass.csv"
bad nopass.csv 'the header line .*password column' "a CSV without a password column"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,$HASH,t,yesterday," >"$T/baddate.csv"
bad baddate.csv 'line 3: date_joined: "yesterday" is no date and time' "a bad date_joined (line 3)"

printf '%s\n%s\n%s\n' "$HEAD" \
    "2,bea,bea@example.com,$HASH,t,2020-01-01 00:00:00+00,2020-13-01 00:00:00+00" \
    "$GOODROW" >"$T/badlogin.csv"
bad badlogin.csv 'line 2: last_login: "2020-13-01 00:00:00\+00" is no date and time' "a bad last_login (month 13, line 2)"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,$HASH,yes,2020-01-01 00:00:00+00," >"$T/badbool.csv"
bad badbool.csv 'line 3: is_active: "yes" is no boolean' "is_active 'yes' (line 3)"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "0,bea,bea@example.com,$HASH,t,2020-01-01 00:00:00+00," >"$T/id0.csv"
bad id0.csv 'line 3: id: not a whole number from 1' "an id of 0 (line 3)"

printf '%s\n%s\n%s\n' "$HEAD" \
    "two,bea,bea@example.com,$HASH,t,2020-01-01 00:00:00+00," "$GOODROW" >"$T/idtext.csv"
bad idtext.csv 'line 2: id: not a whole number from 1' "an id 'two' (line 2)"

jq -c '.[0:2] | .[1].pk = "seven"' "$FIX/users.json" >"$T/idtext.json"
bad idtext.json 'record 2: id: not a whole number from 1' "a JSON pk \"seven\" (record 2)"

printf '%s\n%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,\"bea,bea@example.com,$HASH,t,2020-01-01 00:00:00+00," \
    "3,cid,cid@example.com,$HASH,t,2020-01-01 00:00:00+00," >"$T/unclosed.csv"
# The quote opens on line 3, and that is the line named.
bad unclosed.csv 'line 3: a malformed CSV field \(an unclosed or stray quote' "an unclosed quote (line 3)"

jq '.[0]' "$FIX/users.json" >"$T/object.json"
# One dumpdata record, not in an array.
bad object.json 'neither a JSON array \(as dumpdata writes it\) nor CSV' "a JSON object instead of an array"

head -c 300 "$FIX/users.json" >"$T/cut.json"
bad cut.json 'neither a JSON array \(as dumpdata writes it\) nor CSV' "a JSON array cut short"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,$HASH,t,2019-02-30 10:00:00+00," >"$T/feb30.csv"
bad feb30.csv 'line 3: date_joined: "2019-02-30 10:00:00\+00" is no date and time' "30 February (line 3), not 2 March"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,$HASH,t, 201-02-03 10:00:00+00," >"$T/year.csv"
bad year.csv 'line 3: date_joined: " 201-02-03 10:00:00\+00" is no date and time' "a three-digit year (line 3)"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,be\"a,bea@example.com,$HASH,t,2020-01-01 00:00:00+00," >"$T/stray.csv"
bad stray.csv 'line 3: a malformed CSV field' "a quote inside an unquoted field (line 3)"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "4503599627370496,bea,bea@example.com,$HASH,t,2020-01-01 00:00:00+00," >"$T/bigid.csv"
bad bigid.csv 'line 3: id: not a whole number from 1 to 2\^52-1' "an id of 2^52 (line 3: register needs room up to 2^53)"

printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,\"be"$'\t'"a\",bea@example.com,$HASH,t,2020-01-01 00:00:00+00," >"$T/tab.csv"
bad tab.csv 'line 3: username: .*control character' "a tab in a username (line 3)"

jq -c '.[0:2] | .[1].fields.username = "bob\u0000evil"' "$FIX/users.json" >"$T/nul.json"
bad nul.json 'record 2: username: holds a NUL' "a \\u0000 in a JSON username (record 2), not cut short"

jq -c '.[0:1] | .[0].pk = 1e300' "$FIX/users.json" >"$T/hugepk.json"
bad hugepk.json 'record 1: (pk|id): ' "a JSON pk of 1e300 (record 1)"

printf '[1, 2]\n' >"$T/numbers.json"
bad numbers.json 'record 1: no "fields" object' "a JSON array of numbers"

# SPEC "POST login": a hash of more than 5,000,000 iterations is refused
# with a message (one login for it would cost more than any may).
printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,pbkdf2_sha256\$5000001\$713P6a4S8qgiEX0W6mX8QM\$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ=,t,2020-01-01 00:00:00+00," >"$T/costly.csv"
bad costly.csv 'line 3: password: a pbkdf2_sha256 hash of more than 5000000 iterations' \
    "a hash of 5,000,001 iterations (line 3)"
printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,pbkdf2_sha256\$100000000\$713P6a4S8qgiEX0W6mX8QM\$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ=,t,2020-01-01 00:00:00+00," >"$T/costly2.csv"
bad costly2.csv 'line 3: password: a pbkdf2_sha256 hash of more than 5000000 iterations' \
    "a hash of 100,000,000 iterations (line 3)"

# Names that would deceive an operator's listing: C1 controls and bidi
# controls are refused as C0 controls are; so is a name that is only
# invisible characters (its key is empty: login never matches it).
for name in $'\u202eadmin' $'ad\u009bmin' $'x\u2066y' $'\u3164\u3164\u3164'; do
	jq -c --arg u "$name" '.[0:2] | .[1].fields.username = $u' "$FIX/users.json" >"$T/name.json"
	bad name.json 'record 2: username: ' \
	    "a username $(printf '%s' "$name" | od -An -tx1 | tr -d ' \n') (record 2)"
done
check_err 'record 2: username: empty, or only invisible characters' \
    "malformed: the invisible name is said to be one"
jq -c '.[0:2] | .[1].fields.email = "a\u202e@example.com"' "$FIX/users.json" >"$T/email.json"
bad email.json 'record 2: email: .*control character' "an email with a bidi override (record 2)"

# A bad field's value is said escaped: no raw byte reaches the terminal.
printf '%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,$HASH,"$'"\e]0;pwned\a\e[2J"'",2020-01-01 00:00:00+00," >"$T/esc.csv"
bad esc.csv 'line 3: is_active: "\\x1b\]0;pwned\\x07\\x1b\[2J" is no boolean' \
    "an is_active of ESC ] 0;pwned BEL ESC [2J (line 3), said escaped"
check "malformed: ...and stderr holds no ESC or BEL" \
    eval '! printf "%s" "$ctl_err" | LC_ALL=C grep -q $'"'"'[\x07\x1b]'"'"

ctl import-django "$T/no-such-file.json"
ctl_exit 1 "malformed: a nonexistent file: exit 1"
check_err "^authctl: .*no-such-file\\.json: No such file or directory" \
    "malformed: a nonexistent file: named, 'No such file or directory'"
check_count "$AUTH_DB" "no database" "malformed: a nonexistent file: nothing imported, no database made"

ctl import-django
ctl_exit 2 "import-django without FILE: exit 2 (usage)"

## All or nothing: the last row duplicates the first row's username.

printf '%s\n%s\n%s\n%s\n%s\n' "$HEAD" "$GOODROW" \
    "2,bea,bea@example.com,$HASH,t,2020-01-01 00:00:00+00," \
    "3,cid,cid@example.com,$HASH,f,2020-01-01 00:00:00+00,2021-01-01 00:00:00+00" \
    "4,ANN,ann2@example.com,$HASH,t,2020-01-01 00:00:00+00," >"$T/lastdup.csv"
ctl import-django "$T/lastdup.csv"
ctl_exit 1 "all or nothing: the last row duplicates ann as ANN: exit 1"
check_err '^authctl: .*lastdup\.csv: line 5: ANN \(id 4\): the username is taken' \
    "all or nothing: line 5, ANN (id 4), named"
check_count "$AUTH_DB" 0 "all or nothing: the three good rows before it are not imported either"

## A deleted user's id is never imported again (their tokens would name
## the newcomer).

use_db deleted
printf '%s\n%s\n' "$HEAD" "$GOODROW" >"$T/one.csv"
ctl import-django "$T/one.csv"
ctl_exit 0 "deleted id: setup: ann (id 1) imported"
ctl user delete ann
ctl_exit 0 "deleted id: setup: ann deleted"
printf '%s\n%s\n' "$HEAD" "1,mallory,mallory@example.com,$HASH,t,2020-01-01 00:00:00+00," >"$T/reuse.csv"
ctl import-django "$T/reuse.csv"
ctl_exit 1 "deleted id: importing another user with ann's id 1: exit 1"
check_err "line 2: mallory \\(id 1\\): the id was a deleted user's" \
    "deleted id: ...saying the id was a deleted user's"
check_count "$AUTH_DB" 0 "deleted id: ...and nothing imported"

## An import while the server takes registrations.

use_db live
{
	echo "$HEAD"
	for i in 5001 5002 5003; do
		echo "$i,seed$i,seed$i@example.com,$HASH,t,2020-01-01 00:00:00+00,"
	done
} >"$T/seed.csv"
ctl import-django "$T/seed.csv"
ctl_exit 0 "live: setup: 3 users (ids 5001-5003) imported"
start_server
register early1 early1@example.com 's3cure!Pass'
check_status 201 "live: setup: early1 registers"
register early2 early2@example.com 's3cure!Pass'
check_status 201 "live: setup: early2 registers"
{
	echo "$HEAD"
	for i in $(seq 20001 22000); do
		echo "$i,bulk$i,bulk$i@example.com,$HASH,t,2020-01-01 00:00:00+00,"
	done
} >"$T/bulk.csv"

(
	for i in $(seq 20); do
		printf '{"username":"live%d","email":"live%d@example.com","password":"s3cure!Pass"}' \
		    "$i" "$i" >"$T/live.body"
		curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
		    --data-binary "@$T/live.body" "http://127.0.0.1:$PORT$(path register)"
	done >"$T/live.codes"
) &
loop=$!
# The import starts once the first of the 20 registrations is in.
for _ in $(seq 200); do
	[ "$(users_in "$AUTH_DB")" -gt 5 ] 2>/dev/null && break
	sleep 0.02
done
ctl import-django "$FIX/users.json"
ctl_exit 0 "live: import users.json while registrations run: exit 0"
check_out "$IMPORTED8" "live: import users.json: 'imported 8 users ...' and the note"
ctl import-django "$T/bulk.csv"
ctl_exit 0 "live: import 2000 more users while registrations run: exit 0"
wait "$loop"
want_eq "$(printf '201\n%.0s' $(seq 20))" "$(cat "$T/live.codes")" \
    "live: all 20 registrations during the imports answered 201"
check_count "$AUTH_DB" $((3 + 2 + 20 + 8 + 2000)) "live: exactly 2033 users (3 + 2 + 20 + 8 + 2000)"
want_eq 20 "$(db_sql "SELECT count(*) FROM users WHERE username LIKE 'live%'")" \
    "live: the 20 registered users are all there"
want_eq "$EXPECT" "$(listed | jq -c 'map(select(.id < 5000))')" \
    "live: the imported users are there as in the fixture"
login Zoë 'contraseña-🔑'
check_status 200 "live: Zoë logs in after the import"
want_eq 1001 "$(claim "$access" .user_id)" "live: Zoë is id 1001"

export AUTH_DB=$MAIN_DB
finish

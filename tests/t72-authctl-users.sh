#!/usr/bin/env bash
# authctl user ... and authctl revoke, against a running server: the
# command line (--help, usage errors), user add under register's rules,
# list and show, passwd, disable/enable, delete, revoke, and authctl
# writing while the endpoints write.  What authctl does is judged over
# HTTP (login, refresh, me), not only by what authctl says.
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'

# --- helpers -------------------------------------------------------------

# refused_add DESC MESSAGE USERNAME EMAIL PASSWORD-LINE: user add with that
# line on stdin exits 1, says "authctl: MESSAGE" (exactly) on stderr,
# prints nothing on stdout, and creates nobody.
refused_add() {
	local desc=$1 msg=$2 before after
	before=$(users_in "$AUTH_DB")
	ctl user add "$3" "$4" <<<"$5"
	after=$(users_in "$AUTH_DB")
	if [ "$ctl_rc" = 1 ] && [ "$ctl_err" = "authctl: $msg" ] &&
	    [ -z "$ctl_out" ] && [ "$after" = "$before" ]; then
		ok "$desc"
	else
		not_ok "$desc" "want exit 1, stderr 'authctl: $msg', $before users;
		    $(ctl_got), $after users"
	fi
}

# usage_error DESC ARG...: exit 2, nothing on stdout, a usage on stderr.
usage_error() {
	local desc=$1
	shift
	ctl "$@" </dev/null
	if [ "$ctl_rc" = 2 ] && [ -z "$ctl_out" ] &&
	    printf '%s\n' "$ctl_err" | grep -q '^usage:$'; then
		ok "$desc"
	else
		not_ok "$desc" "want exit 2 and a usage on stderr; $(ctl_got)"
	fi
}

# has_line TEXT LINE: TEXT has LINE as one of its lines, exactly.
has_line() {
	printf '%s\n' "$1" | grep -qxF -- "$2"
}

# iso_to_unix ISO: Unix seconds of "2026-11-26T01:25:06Z" (empty if not
# exactly that shape).
iso_to_unix() {
	[[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
	    return 0
	date -u -d "$1" +%s 2>/dev/null
}

# between ISO LOW HIGH: ISO is a well-formed UTC time in [LOW, HIGH] seconds.
between() {
	local t
	t=$(iso_to_unix "$1")
	[ -n "$t" ] && [ "$t" -ge "$2" ] && [ "$t" -le "$3" ]
}

# now_ms: the time now in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# --- the command line ----------------------------------------------------

# Every user command, as its usage line names it (after "authctl ").
USAGES=("user add USERNAME EMAIL" "user list [--json]"
    "user show USER [--json]" "user passwd USER" "user disable USER"
    "user enable USER" "user delete USER" "revoke USER")

ctl --help
check "cli: authctl --help exits 0, usage on stdout, nothing on stderr" \
    eval '[ "$ctl_rc" = 0 ] && [ -z "$ctl_err" ] &&
    has_line "$ctl_out" "usage:"'
missing=
for u in "${USAGES[@]}"; do
	has_line "$ctl_out" "  authctl $u" || missing="$missing [$u]"
done
check "cli: authctl --help lists every user command and revoke$missing" \
    test -z "$missing"
check "cli: authctl --help states the exit codes" \
    eval 'printf "%s" "$ctl_out" | grep -q "0 done, 1 failed, 2 bad usage"'
ctl -h
check "cli: authctl -h is --help" \
    eval '[ "$ctl_rc" = 0 ] && has_line "$ctl_out" "  authctl revoke USER"'

ctl user --help
missing=
for u in "${USAGES[@]:0:7}"; do
	has_line "$ctl_out" "  authctl $u" || missing="$missing [$u]"
done
check "cli: authctl user --help exits 0 with the user commands on stdout$missing" \
    eval '[ "$ctl_rc" = 0 ] && [ -z "$ctl_err" ] && [ -z "$missing" ]'
check "cli: authctl user --help lists only the user group (no revoke)" \
    eval 'has_line "$ctl_out" "  authctl user add USERNAME EMAIL" &&
    ! printf "%s" "$ctl_out" | grep -q "authctl revoke"'

for u in "${USAGES[@]}"; do
	cmd=${u%% [A-Z[]*}	# "user add", "revoke", ...
	read -r -a words <<<"$cmd"
	ctl "${words[@]}" --help </dev/null
	check "cli: authctl $cmd --help exits 0 with its usage line on stdout" \
	    eval '[ "$ctl_rc" = 0 ] && [ -z "$ctl_err" ] &&
	    has_line "$ctl_out" "usage:" && has_line "$ctl_out" "  authctl $u" &&
	    [ "$(printf "%s\n" "$ctl_out" | grep -c "^  authctl")" = 1 ]'
done
ctl user show jane --json --help
check "cli: --help after operands and options is still help (exit 0)" \
    eval '[ "$ctl_rc" = 0 ] && has_line "$ctl_out" "  authctl user show USER [--json]"'

usage_error "cli: no arguments is exit 2"
usage_error "cli: an unknown command is exit 2" frobnicate
check "cli: an unknown command is named on stderr" \
    eval 'printf "%s" "$ctl_err" | grep -q "^authctl: no command frobnicate"'
usage_error "cli: user without a subcommand is exit 2" user
usage_error "cli: an unknown user subcommand is exit 2" user frobnicate
usage_error "cli: a user subcommand without the group is exit 2" show jane
usage_error "cli: an unknown option is exit 2 (user list --bogus)" user list --bogus
check "cli: the unknown option is named on stderr" \
    eval 'has_line "$ctl_err" "authctl: unknown option --bogus"'
usage_error "cli: an option of another command is exit 2 (user add --json)" \
    user add --json jane jane@example.com
usage_error "cli: an option of another command is exit 2 (revoke --json)" \
    revoke --json jane
usage_error "cli: user add with one operand is exit 2" user add jane
usage_error "cli: user add with three operands is exit 2" \
    user add jane jane@example.com extra
usage_error "cli: user list with an operand is exit 2" user list jane
usage_error "cli: user show without an operand is exit 2" user show
usage_error "cli: user show with two operands is exit 2" user show jane bob
usage_error "cli: user passwd without an operand is exit 2" user passwd
usage_error "cli: user disable with two operands is exit 2" user disable a b
usage_error "cli: user enable without an operand is exit 2" user enable
usage_error "cli: user delete with two operands is exit 2" user delete a b
usage_error "cli: revoke without an operand is exit 2" revoke
usage_error "cli: revoke with two operands is exit 2" revoke a b

# (PostgreSQL: a database that exists but was never used, which authctl
# must not set up either.)
MISSING=$(db_new missing)
AUTH_DB=$MISSING ctl user list
check "cli: user list on a missing database is exit 1 and creates no file" \
    eval '[ "$ctl_rc" = 1 ] && db_absent "$MISSING" &&
    printf "%s" "$ctl_err" | grep -q "^authctl: "'

# --- user add --------------------------------------------------------------

start_server
t_start=$(date +%s)

ctl user add jane jane@example.com <<<"$PW"
ctl_done "add: user add jane exits 0, nothing on stderr"
jane_id=$(printf '%s' "$ctl_out" | sed -n 's/^user \([0-9][0-9]*\) created: jane$/\1/p')
check "add: it prints 'user ID created: jane'" test -n "$jane_id"
want_eq "$(db_sql "SELECT id FROM users WHERE username='jane'")" \
    "${jane_id:-none}" \
    "add: the id printed is the row's"
want_eq 1 "$(users_in "$AUTH_DB")" \
    "add: one user in the database"
login jane "$PW"
check_status 200 "add: jane logs in over HTTP with the password read from stdin"
jane_access=$access
me "$jane_access"
check_status 200 "add: me with jane's token is 200"
check_same "{\"id\":${jane_id:-0},\"username\":\"jane\",\"email\":\"jane@example.com\"}" \
    "add: me answers the id, username and email authctl created"
login jane@example.com "$PW"
check_status 200 "add: jane logs in by email too"
login jane 'wrong!Pass'
check_status 401 "add: a wrong password is still 401 (control)"

# register's normalization: stripped, NFKC, email lowercased.
ctl user add ' ｋｉｍ ' ' KIM@Example.COM ' <<<"$PW"
ctl_done "add: a fullwidth name and a mixed-case email with spaces are accepted"
kim_id=$(printf '%s' "$ctl_out" | sed -n 's/^user \([0-9][0-9]*\) created: kim$/\1/p')
check "add: it prints the name as stored, 'kim'" test -n "$kim_id"
login KIM "$PW"
check_status 200 "add: kim logs in as KIM (case-insensitive)"
kim_access=$access
me "$kim_access"
check_same "{\"id\":${kim_id:-0},\"username\":\"kim\",\"email\":\"kim@example.com\"}" \
    "add: stored as register stores it: kim / kim@example.com"

# A password line ending in CR LF: the CR is not part of the password.
printf 'crlf!Pass77\r\n' >"$T/crlf.pw"
ctl user add crlfuser crlf@example.com <"$T/crlf.pw"
ctl_done "add: a password line ending in CR LF is accepted"
crlf_id=$(printf '%s' "$ctl_out" | sed -n 's/^user \([0-9][0-9]*\) created: crlfuser$/\1/p')
login crlfuser 'crlf!Pass77'
check_status 200 "add: ... and the password is without the CR"

n=$(users_in "$AUTH_DB")
refused_add "add: a 7-character password: exit 1, register's 422 text" \
    "password: String should have at least 8 characters" bob bob@example.com short77
refused_add "add: a 129-character password: exit 1, the at-most text" \
    "password: String should have at most 128 characters" bob bob@example.com \
    "$(printf 'a%.0s' $(seq 129))"
refused_add "add: a common password: exit 1, 'This password is too common.'" \
    "This password is too common." bob bob@example.com password1
refused_add "add: an all-digit password: exit 1, 'This password is entirely numeric.'" \
    "This password is entirely numeric." bob bob@example.com 31415926535
refused_add "add: a password like the name: exit 1, too similar" \
    "The password is too similar to the username." janedoe janedoe@example.com janedoe123
refused_add "add: a taken username: exit 1, 'Username already exists.'" \
    "Username already exists." jane other@example.com "$PW"
refused_add "add: the username in capitals: exit 1, 'Username already exists.'" \
    "Username already exists." JANE other@example.com "$PW"
refused_add "add: ＪＡＮＥ after jane (NFKC, case): exit 1, 'Username already exists.'" \
    "Username already exists." ＪＡＮＥ other@example.com "$PW"
refused_add "add: a taken email in other case: exit 1, 'Email already exists.'" \
    "Email already exists." bob JANE@EXAMPLE.COM "$PW"
refused_add "add: an invalid email: exit 1, 'Provide a valid email address.'" \
    "Provide a valid email address." bob bob@b "$PW"
refused_add "add: an invalid email (no @): exit 1" \
    "Provide a valid email address." bob bob.example.com "$PW"
refused_add "add: an invalid username: exit 1, Django's username text" \
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters." \
    'bob smith' bob@example.com "$PW"

before=$(users_in "$AUTH_DB")
ctl user add ab x <<<short
want=$'authctl: username: String should have at least 3 characters\nauthctl: email: String should have at least 3 characters\nauthctl: password: String should have at least 8 characters'
check "add: three fields too short: exit 1, one stderr line per field, in order" \
    eval '[ "$ctl_rc" = 1 ] && [ "$ctl_err" = "$want" ] && [ "$(users_in "$AUTH_DB")" = "$before" ]'

before=$(users_in "$AUTH_DB")
ctl user add bob bob@example.com </dev/null
check "add: no password on stdin: exit 1, said, nobody created" \
    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ] &&
    printf "%s" "$ctl_err" | grep -q "^authctl: no password on standard input"'

ctl user add $'b\xffb' bob@example.com <<<"$PW"
check "add: a non-UTF-8 username operand: exit 1, 'not UTF-8', nobody created" \
    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ] &&
    [[ $ctl_err == "authctl: "*": not UTF-8" ]]'
ctl user add bob $'b\xe9b@example.com' <<<"$PW"
check "add: a non-UTF-8 email operand: exit 1, 'not UTF-8', nobody created" \
    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ] &&
    [[ $ctl_err == "authctl: "*": not UTF-8" ]]'
ctl user add bob bob@example.com <<<$'s3cure\xff!Pass'
check "add: a non-UTF-8 password: exit 1, said, nobody created" \
    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ] &&
    [ "$ctl_err" = "authctl: the password is not UTF-8" ]'
# (What comes before the NUL would pass on its own: not cut there either.)
printf 's3cure!Pass\0junk\n' >"$T/nul.pw"
ctl user add bob bob@example.com <"$T/nul.pw"
check "add: a password line holding a NUL: exit 1, nobody created" \
    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ] &&
    printf "%s" "$ctl_err" | grep -q "^authctl: "'
# Longer than 4096 bytes: refused by the reader, not truncated.
head -c 5000 /dev/zero | tr '\0' a >"$T/long.pw"
echo >>"$T/long.pw"
ctl user add bob bob@example.com <"$T/long.pw"
check "add: a 5000-byte password line: exit 1, the 4096-byte limit said, nobody created" \
    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ] &&
    printf "%s" "$ctl_err" | grep -q "4096 bytes"'
for len in 4097 4098 65536; do
	{ head -c "$len" /dev/zero | tr '\0' a; echo; } >"$T/long.pw"
	ctl user add bob bob@example.com <"$T/long.pw"
	check "add: a $len-byte password line: exit 1, the 4096-byte limit said, nobody created" \
	    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ] &&
	    printf "%s" "$ctl_err" | grep -q "4096 bytes"'
done
# A good password followed by many more bytes: a reader that cut the
# line short would create a user with the good password's prefix.
{ printf '%s' "$PW"; head -c 5000 /dev/zero | tr '\0' x; echo; } >"$T/long.pw"
ctl user add bob bob@example.com <"$T/long.pw"
check "add: a good password followed by 5000 more bytes is not truncated into one" \
    eval '[ "$ctl_rc" = 1 ] && [ "$(users_in "$AUTH_DB")" = "$before" ]'
want_eq "$n" "$(users_in "$AUTH_DB")" \
    "add: none of the refusals created a user"
login bob "$PW"
check_status 401 "add: bob, refused each time, cannot log in"

# --- user list -------------------------------------------------------------

ctl user add bob bob@example.com <<<"$PW"
ctl_done "list: setup: add bob"
bob_id=$(printf '%s' "$ctl_out" | sed -n 's/^user \([0-9][0-9]*\) created: bob$/\1/p')
t_now=$(date +%s)

ctl user list
ctl_done "list: user list exits 0"
list_text=$ctl_out
want_eq "$(printf 'id\tusername\temail\tactive\tdate_joined\tlast_login')" \
    "$(printf '%s\n' "$list_text" | head -n 1)" \
    "list: the header line is id username email active date_joined last_login, tab-separated"
want_eq "$(users_in "$AUTH_DB")" "$(printf '%s\n' "$list_text" | tail -n +2 | wc -l)" \
    "list: one line per user after the header"
want_eq 4 "$(users_in "$AUTH_DB")" \
    "list: ... and the database holds the 4 added"
check "list: every line has six tab-separated fields" \
    eval '[ -n "$list_text" ] &&
    [ -z "$(printf "%s\n" "$list_text" | awk -F"\t" "NF != 6")" ]'
check "list: jane's line: her id, name, email, active yes" \
    eval 'printf "%s\n" "$list_text" | grep -q "^$jane_id	jane	jane@example.com	yes	"'
bob_line=$(printf '%s\n' "$list_text" | awk -F'\t' -v id="$bob_id" '$1 == id')
check "list: bob, never logged in, has last_login '-' and active yes" \
    eval '[ "$(printf "%s" "$bob_line" | cut -f 2-4,6)" = "bob	bob@example.com	yes	-" ]'
check "list: bob's date_joined is ISO-8601 UTC and now" \
    between "$(printf '%s' "$bob_line" | cut -f5)" "$t_start" "$t_now"
check "list: the ids ascend" \
    eval '[ "$(printf "%s\n" "$list_text" | wc -l)" -ge 5 ] &&
    printf "%s\n" "$list_text" | tail -n +2 | cut -f1 | sort -n -c'

ctl user list --json
ctl_done "list: user list --json exits 0"
list_json=$ctl_out
want_eq "$(users_in "$AUTH_DB")" "$(printf '%s' "$list_json" | jq length 2>&1)" \
    "list: --json is one array with an element per user"
want_eq '[["date_joined","email","id","is_active","last_login","password_usable","tokens_revoked_until","username"]]' \
    "$(printf '%s' "$list_json" | jq -c '[.[] | keys] | unique' 2>&1)" \
    "list: --json elements have exactly id, username, email, is_active, date_joined, last_login, tokens_revoked_until"
want_eq true \
    "$(printf '%s' "$list_json" | jq '[.[].id] as $i | ($i | all(type == "number" and . == floor)) and $i == ($i | sort) and ($i | unique | length) == ($i | length)' 2>&1)" \
    "list: --json ids are integers, ascending, unique"
want_eq '["bob","bob@example.com",true,null,null]' \
    "$(printf '%s' "$list_json" | jq -c --argjson id "${bob_id:-0}" \
    '.[] | select(.id == $id) | [.username, .email, .is_active, .last_login, .tokens_revoked_until]' 2>&1)" \
    "list: --json bob: active true, last_login null, tokens_revoked_until null"
want_eq "[[$jane_id,\"jane\"],[$kim_id,\"kim\"],[$crlf_id,\"crlfuser\"],[$bob_id,\"bob\"]]" \
    "$(printf '%s' "$list_json" | jq -c '[.[] | [.id, .username]]' 2>&1)" \
    "list: --json names the users created, by id"
# The text and the JSON say the same thing, field by field.
# as_text JSON: user list's lines as user list --json says them.
as_text() {
	local out
	out=$(printf '%s' "$1" | jq -r '.[] | [.id, .username, .email,
	    (if .is_active then "yes" else "no" end), .date_joined,
	    (.last_login // "-")] | @tsv' 2>&1)
	echo "${out:-(no users in the JSON)}"
}
want_eq "$(as_text "$list_json")" \
    "$(printf '%s\n' "$list_text" | tail -n +2)" \
    "list: the text lines and the --json array agree"
want_eq "$(db_sql -sep $'\t' 'SELECT id, username, email, is_active FROM users ORDER BY id' |
    grep . || echo "(no users in the database)")" \
    "$(printf '%s' "$list_json" | jq -r '.[] | [.id, .username, .email, (if .is_active then 1 else 0 end)] | @tsv' 2>&1)" \
    "list: agrees with the database (ids, names, emails, active)"

t0=$(date +%s)
login bob "$PW"
check_status 200 "list: setup: bob logs in over HTTP"
t1=$(date +%s)
ctl user list
bob_line=$(printf '%s\n' "$ctl_out" | awk -F'\t' -v id="$bob_id" '$1 == id')
check "list: after bob's login, his last_login is set (ISO-8601 UTC, now)" \
    between "$(printf '%s' "$bob_line" | cut -f6)" "$t0" "$t1"
ctl user list --json
check "list: --json last_login is set after the login too" \
    between "$(printf '%s' "$ctl_out" | jq -r --argjson id "${bob_id:-0}" '.[] | select(.id == $id) | .last_login')" "$t0" "$t1"
json_now=$ctl_out
ctl user list
want_eq "$(printf '%s\n' "$ctl_out" | tail -n +2)" "$(as_text "$json_now")" \
    "list: text and --json still agree after the login"

# --- user show -------------------------------------------------------------

ctl user show bob
ctl_done "show: by username exits 0"
bob_show=$ctl_out
check "show: key: value lines: id, username, email, active" \
    eval 'has_line "$bob_show" "id: $bob_id" && has_line "$bob_show" "username: bob" &&
    has_line "$bob_show" "email: bob@example.com" && has_line "$bob_show" "active: yes"'
check "show: date_joined, last_login (set), tokens_revoked_until (-)" \
    eval 'has_line "$bob_show" "tokens_revoked_until: -" &&
    between "$(printf "%s\n" "$bob_show" | sed -n "s/^date_joined: //p")" "$t_start" "$t1" &&
    between "$(printf "%s\n" "$bob_show" | sed -n "s/^last_login: //p")" "$t0" "$t1"'
ctl user show BOB@Example.COM
check "show: by email in other case is the same user" \
    eval '[ "$ctl_rc" = 0 ] && [ "$ctl_out" = "$bob_show" ] && [ -n "$bob_show" ]'
ctl user show "id:$bob_id"
check "show: by id:N is the same user" \
    eval '[ "$ctl_rc" = 0 ] && [ "$ctl_out" = "$bob_show" ] && [ -n "$bob_show" ]'
ctl user show ＢＯＢ
check "show: by the name in fullwidth capitals (as login matches) is the same user" \
    eval '[ "$ctl_rc" = 0 ] && [ "$ctl_out" = "$bob_show" ] && [ -n "$bob_show" ]'
ctl user list --json
list_json=$ctl_out
ctl user show "id:$bob_id" --json
want=$(printf '%s' "$list_json" | jq -cS --argjson id "${bob_id:-0}" \
    '.[] | select(.id == $id)' 2>&1)
want_eq "${want:-(bob not in the list)}" \
    "$(printf '%s' "$ctl_out" | jq -cS . 2>&1)" \
    "show: --json is the user's object of user list --json"
want_eq "[$bob_id,\"bob\",\"bob@example.com\",true]" \
    "$(printf '%s' "$ctl_out" | jq -c '[.id, .username, .email, .is_active]' 2>&1)" \
    "show: --json has bob's id, name, email, is_active true"
# --- hostile names on the operator's terminal ------------------------------
# An email valid by Django's rules can hold ESC, BEL, a backslash and a TAB
# in its quoted local part; an old import (put in directly here) a bidi
# override or a C1 control in a name.  The human-readable output escapes
# them visibly (\xHH, \uHHHH, \t, a doubled backslash); --json stays exact.
HOSTILE=$'"\e[1A\e[2K\e]0;pwned\a\\\t"@example.com'
req POST register "$(jq -cn --arg e "$HOSTILE" --arg p "$PW" \
    '{username: "hostile", email: $e, password: $p}')"
check_status 201 "terminal: setup: register accepts an email with ESC, BEL, \\ and TAB quoted (Django's rules)"
hostile_id=$(db_sql "SELECT id FROM users WHERE username = 'hostile'")
# (stored lowercased, as register stores every email)
HOSTILE_SHOWN='"\x1b[1a\x1b[2k\x1b]0;pwned\x07\\\t"@example.com'
# U+202E and U+009B in UTF-8 from the shell (SQL has no common char()).
RLO=$(printf '\xe2\x80\xae') C1=$(printf '\xc2\x9b')
db_sql "INSERT INTO users (username, username_key, email, email_key, password, is_active, date_joined) VALUES ('${RLO}admin', 'rlo-admin', 'rlo@example.com', 'rlo@example.com', '!', 1, 0), ('ad${C1}min', 'c1-admin', 'c1@example.com', 'c1@example.com', '!', 1, 0)"
# raw_controls TEXT: TEXT holds ESC, BEL, a C1 control or a bidi control.
raw_controls() {
	printf '%s' "$1" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' ||
	    printf '%s' "$1" | grep -q $'\u202e\|\u009b'
}
ctl user list
check "terminal: user list writes no ESC, BEL, C1 or bidi control ($(printf '%s' "$ctl_out" | od -An -c | grep -m1 '033\|007' | head -c 100))" \
    eval '[ "$ctl_rc" = 0 ] && ! raw_controls "$ctl_out"'
check "terminal: user list: every line still has six tab-separated fields" \
    eval '[ -z "$(printf "%s\n" "$ctl_out" | awk -F"\t" "NF != 6")" ]'
want_eq "$hostile_id	hostile	$HOSTILE_SHOWN	yes" \
    "$(printf '%s\n' "$ctl_out" | awk -F'\t' -v id="$hostile_id" '$1 == id' | cut -f1-4)" \
    "terminal: user list shows the email escaped: $HOSTILE_SHOWN"
check "terminal: user list shows the bidi override and the C1 control as \\u202eadmin and ad\\u009bmin" \
    eval 'printf "%s\n" "$ctl_out" | grep -qF "	\\u202eadmin	" &&
    printf "%s\n" "$ctl_out" | grep -qF "	ad\\u009bmin	"'
ctl user show "id:$hostile_id"
check "terminal: user show escapes the email too" \
    eval '[ "$ctl_rc" = 0 ] && ! raw_controls "$ctl_out" && has_line "$ctl_out" "email: $HOSTILE_SHOWN"'
ctl user show "id:$hostile_id" --json
want_eq "$(db_sql "SELECT email FROM users WHERE id = $hostile_id")" \
    "$(printf '%s' "$ctl_out" | jq -j .email)" \
    "terminal: user show --json gives the email exactly (JSON escapes)"
ctl user list --json
want_eq "$(db_sql "SELECT username FROM users WHERE username_key = 'rlo-admin'")" \
    "$(printf '%s' "$ctl_out" | jq -j '.[] | select(.email == "rlo@example.com") | .username')" \
    "terminal: user list --json gives the bidi name exactly"
ctl user show $'\e]0;pwned\a'
check "terminal: a lookup that fails names the argument escaped (stderr: $ctl_err)" \
    eval '[ "$ctl_rc" = 1 ] && [ "$ctl_err" = "authctl: no user \\x1b]0;pwned\\x07" ]'
ctl user disable "id:$hostile_id"
check "terminal: user disable says the name, nothing raw" \
    eval '[ "$ctl_rc" = 0 ] && ! raw_controls "$ctl_out$ctl_err"'
ctl user enable "id:$hostile_id"
db_sql "DELETE FROM users WHERE username_key IN ('rlo-admin', 'c1-admin')"

ctl user add neverin neverin@example.com <<<"$PW"
never_id=$(printf '%s' "$ctl_out" | sed -n 's/^user \([0-9][0-9]*\) created: neverin$/\1/p')
ctl user show neverin
check "show: a user who never logged in has last_login: -" \
    eval '[ "$ctl_rc" = 0 ] && has_line "$ctl_out" "last_login: -" &&
    has_line "$ctl_out" "id: $never_id"'
ctl user show neverin --json
want_eq "[$never_id,null]" \
    "$(printf '%s' "$ctl_out" | jq -c '[.id, .last_login]' 2>&1)" \
    "show: --json last_login null for that user"
ctl user show nosuch
ctl_exact 1 "authctl: no user nosuch" "show: an unknown username: exit 1, 'no user nosuch'"
check "show: ... and nothing on stdout" test -z "$ctl_out"
ctl user show nosuch@example.com
ctl_exact 1 "authctl: no user nosuch@example.com" "show: an unknown email: exit 1, 'no user ...'"
ctl user show id:999999
ctl_exact 1 "authctl: no user id:999999" "show: an unknown id: exit 1, 'no user ...'"
ctl user show id:abc
check "show: id:abc is exit 1, 'not an id'" \
    eval '[ "$ctl_rc" = 1 ] && [ "$ctl_err" = "authctl: id:abc: not an id" ]'
ctl user show $'j\xffane'
check "show: a non-UTF-8 operand is exit 1, 'not UTF-8'" \
    eval '[ "$ctl_rc" = 1 ] && [ -z "$ctl_out" ] &&
    [[ $ctl_err == "authctl: "*": not UTF-8" ]]'

# --- user passwd -----------------------------------------------------------

NEWPW='N3w-Secret!42'
ctl user add pat pat@example.com <<<"$PW"
ctl_done "passwd: setup: add pat"
login pat "$PW"
check_status 200 "passwd: setup: pat logs in"
pat_access=$access pat_refresh=$refresh
refresh_with "$pat_refresh"
pat_access2=$(printf '%s' "$body" | jq -r '.access // empty')
me "$pat_access2"
check_status 200 "passwd: setup: an access token from refresh works"

hash_before=$(db_sql "SELECT password FROM users WHERE username='pat'")
ctl user passwd pat <<<password1
ctl_exact 1 "authctl: This password is too common." \
    "passwd: a too-common new password: exit 1, register's message"
ctl user passwd pat <<<patpat123
check "passwd: a password too similar to the user's name: exit 1" \
    eval '[ "$ctl_rc" = 1 ] && [ "$ctl_err" = "authctl: The password is too similar to the username." ]'
ctl user passwd pat <<<short
ctl_exact 1 "authctl: password: String should have at least 8 characters" \
    "passwd: a short password: exit 1, the 422 text"
ctl user passwd pat </dev/null
want_eq 1 "$ctl_rc" \
    "passwd: no password on stdin: exit 1"
want_eq "${hash_before:-none}" \
    "$(db_sql "SELECT password FROM users WHERE username='pat'")" \
    "passwd: the refusals left the stored hash alone"
ctl user show pat
check "passwd: the refusals revoked nothing (tokens_revoked_until: -)" \
    has_line "$ctl_out" "tokens_revoked_until: -"
me "$pat_access"
check_status 200 "passwd: after the refusals the old access token still works"
refresh_with "$pat_refresh"
check_status 200 "passwd: after the refusals the old refresh token still works"
login pat "$PW"
check_status 200 "passwd: after the refusals the old password still logs in"
pat_access3=$access pat_refresh3=$refresh
ctl user passwd nosuch <<<"$NEWPW"
ctl_exact 1 "authctl: no user nosuch" "passwd: an unknown user: exit 1"

ctl user passwd PAT@EXAMPLE.COM <<<"$NEWPW"
ctl_done "passwd: a good new password (user named by email): exit 0"
me "$pat_access"
check_status 401 "passwd: right after, the old access token is 401 on me"
me "$pat_access2"
check_status 401 "passwd: right after, an access token from refresh is 401 on me"
me "$pat_access3"
check_status 401 "passwd: right after, the latest old access token is 401 on me"
refresh_with "$pat_refresh"
check_status 401 "passwd: right after, the old refresh token is 401 on refresh"
check_json .message "Invalid or expired refresh token." "passwd: ... with refresh's message"
refresh_with "$pat_refresh3"
check_status 401 "passwd: right after, the latest old refresh token is 401"
login pat "$PW"
check_status 401 "passwd: the old password no longer logs in"
check_json .message "Invalid credentials." "passwd: ... 'Invalid credentials.'"
login pat "$NEWPW"
check_status 200 "passwd: the new password logs in at once"
me "$access"
check_status 200 "passwd: the new login's access token works on me at once"
check_json .username pat "passwd: ... and names pat"
refresh_with "$refresh"
check_status 200 "passwd: the new login's refresh token works at once"
hash_after=$(db_sql "SELECT password FROM users WHERE username='pat'")
check "passwd: the stored hash is a new pbkdf2_sha256 hash" \
    eval '[ "$hash_after" != "$hash_before" ] && [[ $hash_after == pbkdf2_sha256\$* ]]'

# --- user disable / enable -------------------------------------------------

ctl user add dina dina@example.com <<<"$PW"
ctl_done "disable: setup: add dina"
login dina "$PW"
dina_access=$access dina_refresh=$refresh
me "$dina_access"
check_status 200 "disable: setup: dina's token works"

ctl user disable DINA
ctl_done "disable: user disable exits 0"
login dina "$PW"
check_status 401 "disable: a disabled user cannot log in with the right password"
check_json .message "Invalid credentials." "disable: ... 'Invalid credentials.'"
me "$dina_access"
check_status 401 "disable: the existing access token is 401 on me"
refresh_with "$dina_refresh"
check_status 401 "disable: the existing refresh token is 401 on refresh"
ctl user show dina
check "disable: user show says active: no" has_line "$ctl_out" "active: no"
ctl user list
check "disable: user list says no for dina" \
    eval 'printf "%s\n" "$ctl_out" | grep -q "	dina	dina@example.com	no	"'
ctl user list --json
want_eq '["dina"]' \
    "$(printf '%s' "$ctl_out" | jq -c '[.[] | select(.is_active | not) | .username]' 2>&1)" \
    "disable: user list --json has is_active false for dina only"
ctl user disable nosuch
ctl_exact 1 "authctl: no user nosuch" "disable: an unknown user: exit 1"

ctl user enable dina@EXAMPLE.com
ctl_done "enable: user enable exits 0"
login dina "$PW"
check_status 200 "enable: dina logs in again"
me "$dina_access"
check_status 200 "enable: the token from before the disable works again (not revoked)"
refresh_with "$dina_refresh"
check_status 200 "enable: the refresh token from before the disable works again"
ctl user show dina
check "enable: user show says active: yes, tokens_revoked_until: -" \
    eval 'has_line "$ctl_out" "active: yes" && has_line "$ctl_out" "tokens_revoked_until: -"'
ctl user enable nosuch
ctl_exact 1 "authctl: no user nosuch" "enable: an unknown user: exit 1"

# --- user delete -----------------------------------------------------------

# Registered over HTTP, the highest id at the time: AUTOINCREMENT's case.
register dora dora@example.com "$PW"
check_status 201 "delete: setup: register dora over HTTP"
dora_access=$access dora_refresh=$refresh
dora_id=$(claim "$dora_access" .user_id)
want_eq "$dora_id" "$(db_sql 'SELECT max(id) FROM users')" \
    "delete: setup: dora has the highest id"
n=$(users_in "$AUTH_DB")

ctl user delete dora
ctl_done "delete: user delete exits 0"
want_eq $((n - 1)) "$(users_in "$AUTH_DB")" \
    "delete: one user fewer"
me "$dora_access"
check_status 401 "delete: the deleted user's access token is 401 on me"
refresh_with "$dora_refresh"
check_status 401 "delete: the deleted user's refresh token is 401 on refresh"
login dora "$PW"
check_status 401 "delete: the deleted user cannot log in"
ctl user list
check "delete: user list no longer shows dora" \
    eval '[ "$ctl_rc" = 0 ] && printf "%s\n" "$ctl_out" | grep -q "	bob	" &&
    ! printf "%s\n" "$ctl_out" | grep -q "dora"'
ctl user list --json
want_eq 0 \
    "$(printf '%s' "$ctl_out" | jq --argjson id "${dora_id:-0}" '[.[] | select(.id == $id)] | length' 2>&1)" \
    "delete: user list --json no longer has dora's id"
ctl user show dora
ctl_exact 1 "authctl: no user dora" "delete: user show dora: exit 1, 'no user dora'"
ctl user delete dora
ctl_exact 1 "authctl: no user dora" "delete: deleting again: exit 1, 'no user dora'"

register dora dora@example.com "$PW"
check_status 201 "delete: the name can be registered again over HTTP"
new_access=$access
new_id=$(claim "$new_access" .user_id)
check "delete: the new dora has a new, higher id ($dora_id -> $new_id)" \
    eval '[ -n "$new_id" ] && [ "$new_id" -gt "$dora_id" ]'
me "$dora_access"
check_status 401 "delete: the old dora's token does not name the new dora"
refresh_with "$dora_refresh"
check_status 401 "delete: the old dora's refresh token does not either"
me "$new_access"
check_json .id "$new_id" "delete: the new dora's own token names her"
ctl user delete "id:$new_id"
ctl_done "delete: delete by id:N"
ctl user add dora dora@example.com <<<"$PW"
check "delete: user add after that delete gets yet another id" \
    eval '[ "$ctl_rc" = 0 ] && id=$(printf "%s" "$ctl_out" | sed -n "s/^user \([0-9]*\) created: dora$/\1/p") &&
    [ -n "$id" ] && [ "$id" -gt "$new_id" ]'

# --- revoke ----------------------------------------------------------------

ctl user add rex rex@example.com <<<"$PW"
ctl_done "revoke: setup: add rex"
login bob "$PW"
bob_access=$access bob_refresh=$refresh
login rex "$PW"
check_status 200 "revoke: setup: rex logs in"
rex_access=$access rex_refresh=$refresh
refresh_with "$rex_refresh"
rex_access2=$(printf '%s' "$body" | jq -r '.access // empty')
me "$rex_access2"
check_status 200 "revoke: setup: rex's tokens work before the revoke"

s0=$(date +%s)
m0=$(now_ms)
ctl revoke rex
m1=$(now_ms)
s1=$(date +%s)
ctl_done "revoke: exits 0"
check "revoke: it says what it did" \
    eval 'printf "%s" "$ctl_out" | grep -q "^rex (id [0-9]*) "'
me "$rex_access"
check_status 401 "revoke: right after, the access token is 401 on me"
me "$rex_access2"
check_status 401 "revoke: right after, an access token from refresh is 401 on me"
refresh_with "$rex_refresh"
check_status 401 "revoke: right after, the refresh token is 401 on refresh"
login rex "$PW"
check_status 200 "revoke: a login right after succeeds"
me "$access"
check_status 200 "revoke: its access token works at once"
check_json .username rex "revoke: ... naming rex"
refresh_with "$refresh"
check_status 200 "revoke: its refresh token works at once"
me "$(printf '%s' "$body" | jq -r '.access // empty')"
check_status 200 "revoke: and the access token that refresh gives works"
me "$bob_access"
check_status 200 "revoke: another user's access token is unaffected"
refresh_with "$bob_refresh"
check_status 200 "revoke: another user's refresh token is unaffected"
check "revoke: took at most 1.2 s ($((m1 - m0)) ms)" test $((m1 - m0)) -le 1200

ctl user show rex
until_text=$(printf '%s\n' "$ctl_out" | sed -n 's/^tokens_revoked_until: //p')
check "revoke: user show has tokens_revoked_until set to the second of the revoke ($until_text)" \
    between "$until_text" "$s0" "$s1"
ctl user show rex --json
want_eq "${until_text:-none}" \
    "$(printf '%s' "$ctl_out" | jq -r .tokens_revoked_until 2>&1)" \
    "revoke: user show --json has the same tokens_revoked_until"
ctl user show bob --json
want_eq null "$(printf '%s' "$ctl_out" | jq -r .tokens_revoked_until 2>&1)" \
    "revoke: the other user's tokens_revoked_until stays null"
ctl revoke nosuch
ctl_exact 1 "authctl: no user nosuch" "revoke: an unknown user: exit 1"

# A second revoke, named by id, catches the tokens of the login above.
login rex "$PW"
check_status 200 "revoke: setup: rex logs in after the first revoke"
rex_access=$access rex_refresh=$refresh
rex_id=$(claim "$rex_access" .user_id)
m0=$(now_ms)
ctl revoke "id:$rex_id"
m1=$(now_ms)
ctl_done "revoke: again, by id:N"
me "$rex_access"
check_status 401 "revoke: the second revoke catches the tokens issued since the first"
refresh_with "$rex_refresh"
check_status 401 "revoke: ... the refresh token too"
check "revoke: the second took at most 1.2 s too ($((m1 - m0)) ms)" \
    test $((m1 - m0)) -le 1200
login rex "$PW"
me "$access"
check_status 200 "revoke: and a login after it works again"

# A revocation that waits for the write lock: the second it records is the
# one it commits in, so a token issued while it waited (here by refresh,
# which with the attempt counter off writes nothing) is revoked too.
start_server AUTH_RATE_LIMIT=0
login rex "$PW"
rex_refresh=$refresh
{ sql_write_lock; sleep 2.5; echo "COMMIT;"; } |
    db_sql >/dev/null 2>&1 &
locker=$!
sleep 0.3
"$AUTHCTL" revoke rex >"$T/late.out" 2>&1 &
revoker=$!
sleep 1.2
refresh_with "$rex_refresh"
check_status 200 "revoke under a held lock: setup: refresh still answers while revoke waits"
late=$(printf '%s' "$body" | jq -r '.access // empty')
wait "$revoker"
check "revoke under a held lock: setup: authctl revoke succeeded after the lock" \
    grep -q "revoked" "$T/late.out"
wait "$locker"
me "$late"
check_status 401 "revoke under a held lock: an access token issued while it waited is revoked"
login rex "$PW"
me "$access"
check_status 200 "revoke under a held lock: a login after it returns works"

# --- authctl while the endpoints write -------------------------------------

n=$(users_in "$AUTH_DB")
mkdir -p "$T/conc"
# reg_loop FROM TO: register webFROM..webTO over HTTP, a status file each.
reg_loop() {
	local i
	for i in $(seq "$1" "$2"); do
		curl -s -o "$T/conc/body$i" -w '%{http_code}' -X POST \
		    -H 'Content-Type: application/json' \
		    --data-binary "{\"username\":\"web$i\",\"email\":\"web$i@example.com\",\"password\":\"$PW\"}" \
		    "http://127.0.0.1:$PORT$(path register)" >"$T/conc/status$i"
	done
}
reg_loop 1 5 & p1=$!
reg_loop 6 10 & p2=$!
reg_loop 11 15 & p3=$!
reg_loop 16 20 & p4=$!
ctl_fails='' ctl_errs=''
for i in $(seq 10); do
	ctl user add "cli$i" "cli$i@example.com" <<<"$PW"
	[ "$ctl_rc" = 0 ] || ctl_fails="$ctl_fails [cli$i: exit $ctl_rc: $ctl_err]"
	ctl_errs="$ctl_errs$ctl_err"
done
wait "$p1" "$p2" "$p3" "$p4"
check "concurrent: the 10 user adds all exit 0$ctl_fails" test -z "$ctl_fails"
bad=
for i in $(seq 20); do
	s=$(cat "$T/conc/status$i" 2>/dev/null)
	[ "$s" = 201 ] || bad="$bad [web$i: $s $(head -c 100 "$T/conc/body$i" 2>/dev/null)]"
done
check "concurrent: the 20 registrations over HTTP are all 201$bad" test -z "$bad"
want_eq $((n + 30)) "$(users_in "$AUTH_DB")" \
    "concurrent: exactly 30 users more ($n -> $(users_in "$AUTH_DB"))"
ctl user list --json
want_eq 30 \
    "$(printf '%s' "$ctl_out" | jq '[.[].username | select(test("^(web|cli)[0-9]+$"))] | unique | length' 2>&1)" \
    "concurrent: user list --json counts them all, each name once"
check "concurrent: authctl said nothing on stderr (no 'database is locked')" \
    test -z "$ctl_errs"
check "concurrent: no 'locked' in the server's log or the HTTP answers" \
    eval '! grep -qi "locked" "$T/server.log" "$T"/conc/body* 2>/dev/null'
login cli10 "$PW"
check_status 200 "concurrent: the last authctl user logs in"
login web20 "$PW"
check_status 200 "concurrent: the last HTTP user logs in"

finish

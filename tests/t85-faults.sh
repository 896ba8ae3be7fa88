#!/usr/bin/env bash
# Faults while a request writes, and what they leave on disk (SPEC "Every
# response": a storage failure is a 503; "Configuration": AUTH_DB is created
# with the schema on first use, mode 0600).  t80-config.sh has the plain
# 503 answers; this file looks at the files afterwards:
#   a. register killed (SIGKILL) at random points: the database stays intact
#      and each user is all or nothing; also kills while a new database is
#      being created
#   b. a file-size limit (RLIMIT_FSIZE) at every stage of a registration,
#      including between the attempt counter's commit and the user's
#   c. a read-only database: nothing at all is written
#   d. a missing file (created 0600 with its -wal and -shm) or directory
#   e. a corrupt database (damaged pages, a truncated file): 503, and the
#      file is left as it was
#   f. a password change (PUT me/password) and a delete (DELETE me) on a
#      read-only or full database: 503, and the account exactly as it was
#      (the same row, its tokens still valid, its password still logging in)
# Under DB=postgresql a. runs (each user all or nothing, a new database
# completed after kills while it is made) without what is SQLite's own
# (integrity_check, file modes); b-f, SQLite's files, are skipped.
# any-cgi-server (tests/run.sh: runs the programs directly)
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
UNAVAILABLE='{"message":"Service temporarily unavailable.","details":null}'
# Every process of this file writes whatever it creates world-readable
# unless the program itself asks for less: the 0600 checks then mean it.
umask 000

# An immutable file (the read-only test) must not outlive the test; a
# holder process (b, c) must not either.
IMMUTABLE=
HOLDER=
trap '[ -z "$IMMUTABLE" ] || chattr -i $IMMUTABLE 2>/dev/null
      [ -z "$HOLDER" ] || kill -9 "$HOLDER" 2>/dev/null; cleanup' EXIT

# --- helpers of this file -------------------------------------------------

# A run killed with SIGKILL from outside gets no leak check: a kill that
# lands during LeakSanitizer's exit-time check leaves its tracer to write a
# log of its own ("Unable to get registers from thread N", or an empty
# file when the tracer dies first), which says nothing about our code.
# Every other run of these programs still has its leaks checked.
KILLED_ASAN="ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"

# limited LIMIT NAME BODY [ENV-ARG...]: as cgi (lib.sh), under RLIMIT_FSIZE=LIMIT
# bytes, SIGXFSZ ignored, so a write past LIMIT fails with EFBIG as on a
# full disk.
limited() {
	local lim=$1 name=$2 data=$3
	shift 3
	printf '%s' "$data" >"$T/reqbody"
	( trap '' XFSZ
	  exec prlimit --fsize="$lim" env REQUEST_METHOD=POST \
	    CONTENT_LENGTH="$(stat -c %s "$T/reqbody")" REMOTE_ADDR=127.0.0.1 \
	    "$@" "$BIN/$name" <"$T/reqbody" >"$T/cgiout" 2>"$T/err" )
	cat "$T/err" >>"$T/cgi.log"
	parse_cgi
	api_cgi_record "$name" REQUEST_METHOD=POST "$@"
}

regbody() {
	printf '{"username":"%s","email":"%s@example.com","password":"%s"}' \
	    "$1" "$1" "$PW"
}
logbody() {
	printf '{"username":"%s","password":"%s"}' "$1" "${2:-$PW}"
}

# is_503: the last answer is exactly the storage-failure 503.
is_503() {
	[ "$status" = 503 ] && body_is "$UNAVAILABLE" &&
	    [ "$(header Retry-After)" = 1 ]
}

# none "description" FOUND: ok if FOUND (the problems collected) is empty,
# else FAIL listing them.
none() {
	if [ -z "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "${2:0:2000}"
	fi
}

# integrity DB: SQLite's own verdict on the file ("ok").
integrity() {
	db_sql -db "$1" 'PRAGMA integrity_check' 2>&1 | head -n 3 | tr '\n' ' ' |
	    sed 's/ $//'
}

# user_state DB NAME ITER: "absent", "complete" (one row, every column as
# register writes it, a well-formed hash of ITER iterations), or "partial:
# <what>".  NAME is lowercase ASCII, so it is its own key.
user_state() {
	local db=$1 u=$2 it=$3 rows
	rows=$(db_sql -sep ' ' -db "$db" "SELECT username, username_key,
	    email, email_key, is_active, CAST(date_joined > 0 AS INTEGER),
	    password FROM users
	    WHERE username_key = '$u' OR email_key = '$u@example.com'" 2>&1)
	if [ -z "$rows" ]; then
		echo absent
	elif [ "$(printf '%s\n' "$rows" | wc -l)" = 1 ] &&
	    printf '%s\n' "$rows" | grep -Eqx "$u $u $u@example\.com $u@example\.com 1 1 pbkdf2_sha256\\\$$it\\\$[A-Za-z0-9]{22}\\\$[A-Za-z0-9+/]{43}="; then
		echo complete
	else
		echo "partial: $(printf '%s' "$rows" | tr '\n' '|')"
	fi
}

# mode FILE: its permission bits, or "-" if it does not exist.
mode() {
	stat -c %a "$1" 2>/dev/null || echo -
}

# secs USEC: microseconds as seconds for timeout(1) ("0.012345").
secs() {
	printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
}

# hold DB: keep one idle connection to DB open in the background (pid
# $HOLDER), so that no request is the last to close it: the WAL is then
# neither checkpointed nor deleted, and grows with each write.  The one
# sqlite3 run here rather than through db_sql (lib.sh): "unhold crash"
# must SIGKILL the very process holding the file open, to leave its -wal
# and -shm as a crash does, and db_sql in the background would put a
# subshell between $! and it.  About SQLite's files by nature.
hold() {
	rm -f "$T/holdfifo" "$T/hold.out"
	mkfifo "$T/holdfifo"
	sqlite3 -batch "$1" <"$T/holdfifo" >"$T/hold.out" 2>&1 &
	HOLDER=$!
	exec 8>"$T/holdfifo"
	echo "SELECT 'held', count(*) FROM users;" >&8
	for _ in $(seq 100); do
		grep -q held "$T/hold.out" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# unhold [crash]: close the holder; "crash" kills it with SIGKILL instead,
# leaving its -wal and -shm as a crash would.
unhold() {
	if [ "${1:-}" = crash ]; then
		kill -9 "$HOLDER"
	fi
	exec 8>&-
	wait "$HOLDER" 2>/dev/null
	HOLDER=
}

# --- a. SIGKILL at random points during register ----------------------------

KDB=$(db_new kill)
KIT=40000	# PBKDF2 cost here: the process lives some milliseconds
known=()	# every user that exists in $KDB

for i in 1 2 3; do
	cgi register "$(regbody "seed$i")" AUTH_DB="$KDB" AUTH_PBKDF2_ITERATIONS=$KIT
	[ "$status" = 201 ] && known+=("seed$i")
done
check "kill: setup: three users registered" test "${#known[@]}" = 3
if on_sqlite "kill: the new database's mode" "SQLite's file"; then
	check "kill: the database the first register created is 0600 ($(mode "$KDB"))" \
	    test "$(mode "$KDB")" = 600
fi

# A normal run's duration, from exec to exit.
durs=()
for i in 1 2 3 4 5; do
	u="timed$i"
	regbody "$u" >"$T/kbody"
	len=$(stat -c %s "$T/kbody")
	t0=$(usec)
	env AUTH_DB="$KDB" AUTH_PBKDF2_ITERATIONS=$KIT REQUEST_METHOD=POST \
	    CONTENT_LENGTH="$len" REMOTE_ADDR=127.0.0.1 \
	    "$BIN/register" <"$T/kbody" >"$T/cgiout" 2>>"$T/cgi.log"
	t1=$(usec)
	parse_cgi
	[ "$status" = 201 ] && known+=("$u")
	durs+=($((t1 - t0)))
done
DUR=$(median "${durs[@]}")
echo "# kill: a normal register run takes $((DUR / 1000)).$(printf '%03d' $((DUR % 1000))) ms (median of ${durs[*]} us, PBKDF2 $KIT)"
check "kill: setup: the timed runs registered their users" test "${#known[@]}" = 8

# The kill delays are spread evenly over 0 .. that duration (one random
# point in each of N equal slices), so they land everywhere from exec to
# exit; some runs finish first.  The sweep repeats (at most twice) until
# at least KMIN runs were really killed.
N=48
KMIN=40
SPAN=$DUR
killed=0 before=0 after=0 completed=0 runs=0
bad_ic='' bad_user='' bad_total='' bad_login='' bad_mode='' bad_done='' leftovers=0
for i in $(seq 0 $((2 * N - 1))); do
	[ "$i" -ge "$N" ] && [ "$killed" -ge "$KMIN" ] && break
	runs=$((runs + 1))
	u="kill${i}x"
	d=$(( (i % N * 1000 + RANDOM % 1000) * SPAN / (N * 1000) ))
	[ "$d" -ge 50 ] || d=50		# timeout 0 would mean no timeout
	regbody "$u" >"$T/kbody"
	# --foreground: timeout reaps the killed process before it returns
	# (else it kills itself too, at once, and the dying process may still
	# hold its locks when sqlite3 looks).  The braces keep bash's "Killed"
	# notice out of the output.
	{ timeout --foreground -s KILL "$(secs "$d")" env "$KILLED_ASAN" AUTH_DB="$KDB" \
	    AUTH_PBKDF2_ITERATIONS=$KIT REQUEST_METHOD=POST \
	    CONTENT_LENGTH="$(stat -c %s "$T/kbody")" REMOTE_ADDR=127.0.0.1 \
	    "$BIN/register" <"$T/kbody" >"$T/cgiout" 2>>"$T/cgi.log"
	  rc=$?; } 2>/dev/null
	# What a killed process left: -wal and -shm are 0600 too.
	for f in "$KDB-wal" "$KDB-shm"; do
		[ -e "$f" ] || continue
		leftovers=$((leftovers + 1))
		[ "$(mode "$f")" = 600 ] || bad_mode="$bad_mode $i:$f:$(mode "$f")"
	done
	if [ "$DB_KIND" = sqlite ]; then
		ic=$(integrity "$KDB")
		[ "$ic" = ok ] || bad_ic="$bad_ic [$i: $ic]"
	fi
	st=$(user_state "$KDB" "$u" "$KIT")
	if [ "$rc" = 0 ]; then
		completed=$((completed + 1))
		parse_cgi
		[ "$status" = 201 ] && [ "$st" = complete ] ||
		    bad_done="$bad_done [$i: status $status, user $st]"
	else
		killed=$((killed + 1))
	fi
	case $st in
	absent)
		[ "$rc" = 0 ] || before=$((before + 1)) ;;
	complete)
		[ "$rc" = 0 ] || after=$((after + 1))
		known+=("$u")
		cgi login "$(logbody "$u")" AUTH_DB="$KDB" AUTH_PBKDF2_ITERATIONS=$KIT
		[ "$status" = 200 ] || bad_login="$bad_login [$i: $u: $status]" ;;
	*)
		bad_user="$bad_user [$i: $u: $st]" ;;
	esac
	total=$(users_in "$KDB")
	[ "$total" = "${#known[@]}" ] ||
	    bad_total="$bad_total [$i: $total users, ${#known[@]} expected]"
done
echo "# kill: $runs runs: $killed killed ($before before the commit, $after after it), $completed ran to the end; $leftovers -wal/-shm files left behind"
if on_sqlite "kill: integrity_check after every kill" "SQLite's own check of its file"; then
	none "kill: the database passes integrity_check after every kill" "$bad_ic"
fi
none "kill: every killed user is absent or complete (username, email, pbkdf2_sha256\$$KIT\$salt\$hash)" \
    "$bad_user"
none "kill: every user that exists after a kill logs in (200)" "$bad_login"
none "kill: no earlier user is ever lost (the count is always what was committed)" \
    "$bad_total"
none "kill: a run not killed answered 201 with its user complete" "$bad_done"
if on_sqlite "kill: the modes of the -wal and -shm a killed run leaves" "SQLite's files"; then
	none "kill: the -wal and -shm files a killed run leaves are 0600" "$bad_mode"
fi
check "kill: at least $KMIN runs were killed ($killed of $runs)" test "$killed" -ge "$KMIN"
check "kill: at least one kill landed before the commit ($before)" test "$before" -ge 1
if [ "$after" -ge 1 ]; then
	echo "# kill: both outcomes occurred ($before before the commit, $after after it)"
fi
missing=
for u in "${known[@]}"; do
	[ "$(db_sql -db "$KDB" "SELECT count(*) FROM users WHERE username_key = '$u'")" = 1 ] ||
	    missing="$missing $u"
done
none "kill: all ${#known[@]} users committed so far are still there at the end" \
    "$missing"
cgi register "$(regbody afterkills)" AUTH_DB="$KDB"
check_status 201 "kill: after all the kills a new registration works"

# Kills while the first request creates the database (the file, WAL mode,
# the migration in one transaction): whatever is left must still become a
# working database on the next request.
M=12
bad_new='' left=''
for i in $(seq 0 $((M - 1))); do
	db=$(db_new "new$i")
	d=$(( (i * 1000 + RANDOM % 1000) * DUR / (M * 1000) ))
	[ "$d" -ge 50 ] || d=50
	regbody "first$i" >"$T/kbody"
	{ timeout --foreground -s KILL "$(secs "$d")" env "$KILLED_ASAN" AUTH_DB="$db" \
	    AUTH_PBKDF2_ITERATIONS=$KIT REQUEST_METHOD=POST \
	    CONTENT_LENGTH="$(stat -c %s "$T/kbody")" REMOTE_ADDR=127.0.0.1 \
	    "$BIN/register" <"$T/kbody" >"$T/cgiout" 2>>"$T/cgi.log"; } 2>/dev/null
	for f in "$db" "$db-wal" "$db-shm"; do
		[ -e "$f" ] && [ "$(mode "$f")" != 600 ] &&
		    bad_new="$bad_new [$i: $f mode $(mode "$f")]"
	done
	if ! db_made "$db"; then
		left="$left none"
	elif [ "$DB_KIND" = postgresql ]; then
		left="$left v$(db_schema_version -db "$db" 2>&1)"
	else
		left="$left $(stat -c %s "$db")B/v$(db_sql -db "$db" 'PRAGMA user_version' 2>&1)"
		ic=$(integrity "$db")
		[ "$ic" = ok ] || bad_new="$bad_new [$i: integrity $ic]"
	fi
	cgi register "$(regbody "second$i")" AUTH_DB="$db"
	[ "$status" = 201 ] || bad_new="$bad_new [$i: next register $status]"
	[ "$(db_schema_version -db "$db")" = "$SCHEMA_VERSION" ] ||
	    bad_new="$bad_new [$i: schema version $(db_schema_version -db "$db")]"
	st=$(user_state "$db" "first$i" "$KIT")
	case $st in absent|complete) ;; *) bad_new="$bad_new [$i: first$i $st]" ;; esac
done
if [ "$DB_KIND" = postgresql ]; then
	echo "# kill: what kills during creation left (schema version):$left"
	none "kill: $M kills during a database's creation leave a database that the next request completes (201)" \
	    "$bad_new"
else
	echo "# kill: what kills during creation left (size/user_version):$left"
	none "kill: $M kills during a database's creation leave a 0600 file that the next request completes (201)" \
	    "$bad_new"
fi

# Parts b-f are about SQLite's files: what a write that fails (a size
# limit), a read-only or corrupt file, a missing file or directory leave
# on disk.
if ! on_sqlite "b-f: file-size limits, read-only, missing and corrupt files" \
    "what SQLite leaves in its files"; then
	finish
	exit
fi

# --- b. a file-size limit at every stage -----------------------------------

# b1. From a checkpointed database with an empty WAL, a series of limits.
FDB=$T/fsize.db
for i in 1 2 3 4; do
	cgi register "$(regbody "fseed$i")" AUTH_DB="$FDB"
done
db_sql -db "$FDB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
# A held connection shows the sizes a request works with.
hold "$FDB"
cgi register "$(regbody fsizeprobe)" AUTH_DB="$FDB"
echo "# fsize: after one register: db $(stat -c %s "$FDB"), -wal $(stat -c %s "$FDB-wal"), -shm $(stat -c %s "$FDB-shm") bytes"
unhold
n201=0 n503=0 bad_f='' seen=''
for lim in 1024 4096 8192 16384 24576 32767 32768 36864 49152 65536 131072 1048576; do
	u="flim$lim"
	db_sql -db "$FDB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	limited "$lim" register "$(regbody "$u")" AUTH_DB="$FDB"
	for f in "$FDB-wal" "$FDB-shm"; do
		[ -e "$f" ] && [ "$(mode "$f")" != 600 ] &&
		    bad_f="$bad_f [$lim: $f mode $(mode "$f")]"
	done
	ic=$(integrity "$FDB")
	[ "$ic" = ok ] || bad_f="$bad_f [$lim: integrity $ic]"
	st=$(user_state "$FDB" "$u" 1000)
	if [ "$status" = 201 ]; then
		n201=$((n201 + 1))
		[ "$st" = complete ] || bad_f="$bad_f [$lim: 201 but user $st]"
		cgi login "$(logbody "$u")" AUTH_DB="$FDB"
		[ "$status" = 200 ] || bad_f="$bad_f [$lim: login $status]"
		seen="$seen $lim:201"
	elif is_503; then
		n503=$((n503 + 1))
		[ "$st" = absent ] || bad_f="$bad_f [$lim: 503 but user $st]"
		[ "$(err_lines)" = 1 ] || bad_f="$bad_f [$lim: $(err_lines) log lines]"
		seen="$seen $lim:503"
	else
		bad_f="$bad_f [$lim: status $status ${body:0:100}]"
		seen="$seen $lim:$status"
	fi
done
echo "# fsize (checkpointed, empty WAL): limit:answer$seen"
none "fsize: each limit answers 201 (user complete, logs in) or the exact 503 with one log line (user absent); integrity ok" \
    "$bad_f"
check "fsize: the series has both 503s ($n503) and 201s ($n201)" \
    test "$n503" -ge 1 -a "$n201" -ge 1

# b2. The limit above every file's size now, but inside the writes of this
# request: a held connection keeps the WAL growing past the -shm's 32 KiB,
# and each limit is set a little beyond the WAL's end, so that it falls in
# the attempt counter's transaction, in the user's, or after both.
MDB=$T/mid.db
for i in 1 2 3; do
	cgi register "$(regbody "mseed$i")" AUTH_DB="$MDB"
done
db_sql -db "$MDB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
check "fsize: setup: a connection holds the database open" hold "$MDB"
for i in 1 2 3; do
	cgi register "$(regbody "mgrow$i")" AUTH_DB="$MDB"
done
check "fsize: setup: the WAL has grown past the -shm's size ($(stat -c %s "$MDB-wal") > $(stat -c %s "$MDB-shm"))" \
    test "$(stat -c %s "$MDB-wal")" -gt "$(stat -c %s "$MDB-shm")"
m201=0 m503=0 mid=0 bad_m='' seen='' ok_users=() no_users=()
k=0
for delta in 1000 3000 4000 4200 5000 8000 12000 16000 20000 24000 28000 40000; do
	k=$((k + 1))
	u="mlim$delta"
	client="10.85.0.$k"
	wal=$(stat -c %s "$MDB-wal")
	lim=$((wal + delta))
	limited "$lim" register "$(regbody "$u")" AUTH_DB="$MDB" REMOTE_ADDR="$client"
	ic=$(integrity "$MDB")
	[ "$ic" = ok ] || bad_m="$bad_m [+$delta: integrity $ic]"
	st=$(user_state "$MDB" "$u" 1000)
	counted=$(db_sql -db "$MDB" "SELECT count(*) FROM attempts WHERE client = '$client'")
	if [ "$status" = 201 ]; then
		m201=$((m201 + 1))
		ok_users+=("$u")
		[ "$st" = complete ] || bad_m="$bad_m [+$delta: 201 but user $st]"
		cgi login "$(logbody "$u")" AUTH_DB="$MDB"
		[ "$status" = 200 ] || bad_m="$bad_m [+$delta: login $status]"
		seen="$seen +$delta:201"
	elif is_503; then
		m503=$((m503 + 1))
		no_users+=("$u")
		[ "$st" = absent ] || bad_m="$bad_m [+$delta: 503 but user $st]"
		[ "$(err_lines)" = 1 ] || bad_m="$bad_m [+$delta: $(err_lines) log lines]"
		# The attempt was committed, the user was not: the failure was
		# inside the user's own transaction.
		if [ "$counted" = 1 ]; then
			mid=$((mid + 1))
			seen="$seen +$delta:503(counted)"
		else
			seen="$seen +$delta:503"
		fi
	else
		bad_m="$bad_m [+$delta: status $status ${body:0:100}]"
		seen="$seen +$delta:$status"
	fi
done
echo "# fsize (WAL end + delta): delta:answer$seen"
none "fsize: mid-transaction: each answer is 201 (complete, logs in) or the exact 503 (absent); integrity ok" \
    "$bad_m"
check "fsize: mid-transaction: some 503 came after the attempt counter's commit ($mid), some answers are 201 ($m201)" \
    test "$mid" -ge 1 -a "$m201" -ge 1
# The holder dies as in a crash: the next opener rebuilds the WAL index from
# a WAL file that holds the failed transactions' partial frames.
unhold crash
check "fsize: after a crash with that WAL, the database passes integrity_check" \
    test "$(integrity "$MDB")" = ok
lost=
for u in mseed1 mseed2 mseed3 mgrow1 mgrow2 mgrow3 "${ok_users[@]}"; do
	[ "$(user_state "$MDB" "$u" 1000)" = complete ] || lost="$lost $u"
done
for u in "${no_users[@]}"; do
	[ "$(user_state "$MDB" "$u" 1000)" = absent ] || lost="$lost $u(resurrected)"
done
none "fsize: after WAL recovery every 201 user is there and no 503 user is" "$lost"

# --- c. a read-only database: nothing is written --------------------------

mkdir "$T/ro"
RDB=$T/ro/auth.db
for u in rouser1 rouser2; do
	cgi register "$(regbody "$u")" AUTH_DB="$RDB"
done
tokens_json=$body
ra=$(printf '%s' "$tokens_json" | jq -r .access)
rr=$(printf '%s' "$tokens_json" | jq -r .refresh)
# A WAL with committed frames, as a crashed process leaves it.
hold "$RDB"
cgi register "$(regbody rowal)" AUTH_DB="$RDB"
unhold crash
check "readonly: setup: the database has a WAL with frames ($(stat -c %s "$RDB-wal" 2>&1) bytes)" \
    test -s "$RDB-wal"
count0=$(db_sql -ro -db "$RDB" 'SELECT count(*) FROM users')
list0=$(ls -A "$T/ro")
sum0=$(md5sum "$RDB" "$RDB-wal")
if [ "$(id -u)" = 0 ]; then
	chattr +i "$RDB" && IMMUTABLE=$RDB
else
	chmod 0400 "$RDB"
fi
cgi register "$(regbody rodenied)" AUTH_DB="$RDB"
check_503 "readonly: register"
cgi login "$(logbody rouser1)" AUTH_DB="$RDB"
check_503 "readonly: login of an existing user"
cgi login "$(logbody nosuchuser)" AUTH_DB="$RDB"
check_503 "readonly: login of an unknown user"
cgi refresh "{\"refresh\":\"$rr\"}" AUTH_DB="$RDB"
check_503 "readonly: refresh"
METHOD=GET cgi me '' AUTH_DB="$RDB" HTTP_AUTHORIZATION="Bearer $ra"
check_503 "readonly: me"
sum1=$(md5sum "$RDB" "$RDB-wal" 2>&1)
check "readonly: the database and its WAL are byte-identical afterwards" \
    test "$sum1" = "$sum0"
[ "$sum1" = "$sum0" ] || printf '# before:\n%s\n# after:\n%s\n' "$sum0" "$sum1"
check "readonly: no file appeared or disappeared beside it ($(printf "%s " $list0))" \
    test "$(ls -A "$T/ro")" = "$list0"
check "readonly: the user count is unchanged ($count0)" \
    test "$(db_sql -ro -db "$RDB" 'SELECT count(*) FROM users')" = "$count0"
check "readonly: rodenied was not registered" \
    test "$(db_sql -ro -db "$RDB" "SELECT count(*) FROM users WHERE username_key = 'rodenied'")" = 0
if [ -n "$IMMUTABLE" ]; then
	chattr -i "$RDB"
	IMMUTABLE=
else
	chmod 0600 "$RDB"
fi
cgi register "$(regbody rodenied)" AUTH_DB="$RDB"
check_status 201 "readonly: writable again, the same registration succeeds"
check "readonly: the user that was only in the WAL is still there" \
    test "$(user_state "$RDB" rowal 1000)" = complete

# --- d. a missing file, a missing directory --------------------------------

mkdir "$T/fresh"
DDB=$T/fresh/auth.db
regbody freshuser >"$T/dbody"
# A slow hash keeps the process alive with its files open: it is stopped
# as soon as its -wal and -shm exist, to look at them.
env AUTH_DB="$DDB" AUTH_PBKDF2_ITERATIONS=200000 REQUEST_METHOD=POST \
    CONTENT_LENGTH="$(stat -c %s "$T/dbody")" REMOTE_ADDR=127.0.0.1 \
    "$BIN/register" <"$T/dbody" >"$T/dout" 2>"$T/err" &
pid=$!
end=$((SECONDS + 10))
until { [ -e "$DDB-wal" ] && [ -e "$DDB-shm" ]; } || ! kill -0 "$pid" 2>/dev/null ||
    [ "$SECONDS" -ge "$end" ]; do
	:
done
kill -STOP "$pid" 2>/dev/null
modes="$(mode "$DDB") $(mode "$DDB-wal") $(mode "$DDB-shm")"
kill -CONT "$pid" 2>/dev/null
wait "$pid"
cat "$T/err" >>"$T/cgi.log"
parse_cgi "$T/dout"
check_status 201 "missing file: register on a database file that does not exist yet"
check "missing file: the database, its -wal and -shm are created 0600 (umask 000) ($modes)" \
    test "$modes" = "600 600 600"
check "missing file: the database is 0600 afterwards ($(mode "$DDB"))" test "$(mode "$DDB")" = 600
check "missing file: the schema is there (user_version $SCHEMA_VERSION; users, attempts, settings)" \
    test "$(db_sql -db "$DDB" "PRAGMA user_version; SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'attempts', 'settings') ORDER BY name)" | tr '\n' ' ')" = "$SCHEMA_VERSION attempts,settings,users "
check "missing file: the user is complete" \
    test "$(user_state "$DDB" freshuser 200000)" = complete
cgi login "$(logbody freshuser)" AUTH_DB="$DDB" AUTH_PBKDF2_ITERATIONS=200000
check_status 200 "missing file: the new user logs in"
cgi login "$(logbody nobodyhere)" AUTH_DB="$T/fresh/second.db"
check_status 401 "missing file: login on a missing file creates it and answers 401 for an unknown user"
check "missing file: ...the file made by login is 0600 with the schema" \
    test "$(mode "$T/fresh/second.db") $(db_sql -db "$T/fresh/second.db" 'PRAGMA user_version')" = "600 $SCHEMA_VERSION"

NODIR=$T/no-such-dir/auth.db
cgi register "$(regbody nodiruser)" AUTH_DB="$NODIR"
check_503 "missing directory: register"
check "missing directory: one log line ($(err_lines))" test "$(err_lines)" = 1
check "missing directory: the log line names the path ($(head -c 200 "$T/err"))" \
    grep -qF "$NODIR" "$T/err"
cgi login "$(logbody nodiruser)" AUTH_DB="$NODIR"
check_503 "missing directory: login"
check "missing directory: login's log line names the path too" grep -qF "$NODIR" "$T/err"
check "missing directory: the directory is not created" test ! -e "$T/no-such-dir"

# --- e. a corrupt database ----------------------------------------------------

SRC=$T/corrupt-src.db
cgi register "$(regbody alice)" AUTH_DB="$SRC"
ca=$(printf '%s' "$body" | jq -r .access)
cr=$(printf '%s' "$body" | jq -r .refresh)
# Many users, so that the users table and its indexes span many pages.
db_sql -db "$SRC" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1
    FROM n WHERE i < 300) INSERT INTO users (username, username_key, email,
    email_key, password, is_active, date_joined) SELECT 'filler' || i,
    'filler' || i, 'filler' || i || '@example.com', 'filler' || i ||
    '@example.com', (SELECT password FROM users WHERE username = 'alice'), 1,
    0 FROM n; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
PS=$(db_sql -db "$SRC" 'PRAGMA page_size')
NP=$(db_sql -db "$SRC" 'PRAGMA page_count')
# Pages above the last root page were all allocated by the inserts: the
# users table's and its indexes' leaves.  Overwrite them all but the last
# with text (the first byte, 'C', is no b-tree page type).
FIRST=$(( $(db_sql -db "$SRC" 'SELECT max(rootpage) FROM sqlite_master') + 1 ))
# The attempt counter's own pages (the only ones a counted attempt may write).
COUNTER_PAGES=" $(db_sql -db "$SRC" "SELECT group_concat(rootpage, ' ') FROM sqlite_master WHERE tbl_name = 'attempts'") "
DMG=$T/damaged.db
cp "$SRC" "$DMG"
yes 'CORRUPTED by t85-faults ' | head -c $(( (NP - FIRST) * PS )) |
    dd of="$DMG" bs="$PS" seek=$((FIRST - 1)) conv=notrunc status=none
echo "# corrupt: $NP pages of $PS bytes; pages $FIRST..$((NP - 1)) overwritten; the counter's pages:$COUNTER_PAGES"
check "corrupt: setup: the damage is real (integrity_check: $(integrity "$DMG" | head -c 80))" \
    test "$(integrity "$DMG")" != ok
check "corrupt: setup: the file still has a valid header" \
    test "$(head -c 15 "$DMG")" = "SQLite format 3"
rm -f "$DMG-wal" "$DMG-shm"	# integrity_check's leftovers, if any

# corrupt_case FILE WHAT NAME BODY [ENV-ARG...]: on a fresh copy of FILE,
# the request answers the 503, logs one line, and leaves the file as it
# was; "strict" in $STRICT means byte-identical, else only the attempt
# counter's pages may differ.
corrupt_case() {
	local file=$1 what=$2 name=$3 data=$4 changed
	shift 4
	cp "$file" "$T/case.db"
	rm -f "$T/case.db-wal" "$T/case.db-shm"
	if [ "$name" = me ]; then
		METHOD=GET cgi me '' AUTH_DB="$T/case.db" "$@"
	else
		cgi "$name" "$data" AUTH_DB="$T/case.db" "$@"
	fi
	check_503 "corrupt: $what"
	check "corrupt: $what: one log line, saying so ($(head -c 150 "$T/err"))" \
	    eval '[ "$(err_lines)" = 1 ] && grep -Eqi "malformed|corrupt" "$T/err"'
	check "corrupt: $what: the file keeps its size ($(stat -c %s "$T/case.db"))" \
	    test "$(stat -c %s "$T/case.db")" = "$(stat -c %s "$file")"
	changed=$(cmp -l "$file" "$T/case.db" 2>/dev/null |
	    awk -v ps="$PS" '{ print int(($1 - 1) / ps) + 1 }' | uniq | tr '\n' ' ')
	if [ "$STRICT" = strict ]; then
		check "corrupt: $what: the file is byte-identical afterwards" \
		    cmp -s "$file" "$T/case.db"
	else
		local p extra=
		for p in $changed; do
			case $COUNTER_PAGES in *" $p "*) ;; *) extra="$extra $p" ;; esac
		done
		check "corrupt: $what: no page but the attempt counter's changed (changed: ${changed:-none})" \
		    test -z "$extra"
		[ -z "$changed" ] || CHANGED_NOTE="pages $changed"
	fi
}

CHANGED_NOTE=
# With the attempt counter off nothing is written before the users lookup.
STRICT=strict
corrupt_case "$DMG" "counter off: register" register "$(regbody newbie)" AUTH_RATE_LIMIT=0
corrupt_case "$DMG" "counter off: login of a known user" login "$(logbody alice)" AUTH_RATE_LIMIT=0
corrupt_case "$DMG" "counter off: login of an unknown user (503, not 401)" login "$(logbody ghost)" AUTH_RATE_LIMIT=0
corrupt_case "$DMG" "counter off: login by email" login "$(logbody filler150@example.com)" AUTH_RATE_LIMIT=0
corrupt_case "$DMG" "counter off: refresh" refresh "{\"refresh\":\"$cr\"}" AUTH_RATE_LIMIT=0
corrupt_case "$DMG" "counter off: me" me '' AUTH_RATE_LIMIT=0 HTTP_AUTHORIZATION="Bearer $ca"
# With the counter on (the default) the attempt is counted first, in pages
# the damage did not touch; nothing else may change.
STRICT=
corrupt_case "$DMG" "register" register "$(regbody newbie)"
corrupt_case "$DMG" "login of an unknown user (503, not 401)" login "$(logbody ghost)"
corrupt_case "$DMG" "refresh" refresh "{\"refresh\":\"$cr\"}"
[ -z "$CHANGED_NOTE" ] ||
    echo "# corrupt: note: with the counter on, the attempt is committed into the corrupt file ($CHANGED_NOTE)"

# A valid header, but the file cut to half its pages.
HALF=$T/half.db
cp "$SRC" "$HALF"
truncate -s $(( NP / 2 * PS )) "$HALF"
check "corrupt: setup: the half file has a valid header" \
    test "$(head -c 15 "$HALF")" = "SQLite format 3"
STRICT=strict
corrupt_case "$HALF" "half a file: register" register "$(regbody newbie)"
corrupt_case "$HALF" "half a file: login" login "$(logbody alice)"
corrupt_case "$HALF" "half a file: login of an unknown user" login "$(logbody ghost)"
corrupt_case "$HALF" "half a file: me" me '' HTTP_AUTHORIZATION="Bearer $ca"

# --- f. a password change and a delete on a read-only or full database ---------

NEWPW='n3w!Passphrase'
# acct_row DB ID: the user's whole row, as stored ("" once it is gone).
acct_row() {
	db_sql -db "$1" "SELECT * FROM users WHERE id = $2"
}
pwbody() {
	printf '{"current_password":"%s","new_password":"%s","new_password_confirm":"%s"}' \
	    "$PW" "$NEWPW" "$NEWPW"
}
delbody() {
	printf '{"password":"%s"}' "$PW"
}
# account ACTION DB ACCESS [ENV-ARG...]: the request on DB, through cgi
# (ACTION password: PUT me/password; delete: DELETE me).
account() {
	local action=$1 db=$2 a=$3
	shift 3
	if [ "$action" = password ]; then
		METHOD=PUT cgi me "$(pwbody)" AUTH_DB="$db" PATH_INFO=/password \
		    HTTP_AUTHORIZATION="Bearer $a" "$@"
	else
		METHOD=DELETE cgi me "$(delbody)" AUTH_DB="$db" \
		    HTTP_AUTHORIZATION="Bearer $a" "$@"
	fi
}
# account_limited LIMIT ACTION DB ACCESS [ENV-ARG...]: the same under
# RLIMIT_FSIZE=LIMIT (limited, above).
account_limited() {
	local lim=$1 action=$2 db=$3 a=$4
	shift 4
	if [ "$action" = password ]; then
		limited "$lim" me "$(pwbody)" REQUEST_METHOD=PUT AUTH_DB="$db" \
		    PATH_INFO=/password HTTP_AUTHORIZATION="Bearer $a" "$@"
	else
		limited "$lim" me "$(delbody)" REQUEST_METHOD=DELETE \
		    AUTH_DB="$db" HTTP_AUTHORIZATION="Bearer $a" "$@"
	fi
}
# as_before DB ID ROW ACCESS REFRESH USER: prints what differs from the
# account as it was (ROW): nothing if the row is ROW, the access token
# answers me, the refresh token refresh, and the password logs in.
as_before() {
	local db=$1 id=$2 row=$3 a=$4 r=$5 u=$6 p=
	[ "$(acct_row "$db" "$id")" = "$row" ] || p="$p row: $(acct_row "$db" "$id");"
	METHOD=GET cgi me '' AUTH_DB="$db" HTTP_AUTHORIZATION="Bearer $a"
	[ "$status" = 200 ] || p="$p me $status;"
	cgi refresh "{\"refresh\":\"$r\"}" AUTH_DB="$db"
	[ "$status" = 200 ] || p="$p refresh $status;"
	cgi login "$(logbody "$u")" AUTH_DB="$db"
	[ "$status" = 200 ] || p="$p login $status;"
	printf '%s' "$p"
}
# changed ACTION DB ID ACCESS USER: prints what is missing from a done
# ACTION: nothing if the password was changed (the new one logs in, the
# old one not, the old access token is revoked) or the account deleted
# (no row; the token and the password refused).
changed() {
	local action=$1 db=$2 id=$3 a=$4 u=$5 p=
	METHOD=GET cgi me '' AUTH_DB="$db" HTTP_AUTHORIZATION="Bearer $a"
	[ "$status" = 401 ] || p="$p old token: me $status;"
	cgi login "$(logbody "$u")" AUTH_DB="$db"
	[ "$status" = 401 ] || p="$p old password: login $status;"
	if [ "$action" = password ]; then
		cgi login "$(logbody "$u" "$NEWPW")" AUTH_DB="$db"
		[ "$status" = 200 ] || p="$p new password: login $status;"
	else
		[ -z "$(acct_row "$db" "$id")" ] || p="$p the row is still there;"
	fi
	printf '%s' "$p"
}

# f1. Read-only: the file made unwritable after its users were registered
# (no WAL left: every connection closed).
mkdir "$T/ro2"
R2=$T/ro2/auth.db
cgi register "$(regbody roacct)" AUTH_DB="$R2"
check_status 201 "readonly account: setup: register"
ra=$(printf '%s' "$body" | jq -r .access)
rr=$(printf '%s' "$body" | jq -r .refresh)
rid=$(claim "$ra" .user_id)
row0=$(acct_row "$R2" "$rid")
sum0=$(md5sum "$R2")
if [ "$(id -u)" = 0 ]; then
	chattr +i "$R2" && IMMUTABLE=$R2
else
	chmod 0400 "$R2"
fi
for c in on off; do
	[ "$c" = on ] && cv=1 || cv=0
	for action in password delete; do
		account "$action" "$R2" "$ra" AUTH_RATE_LIMIT=$cv
		check_503 "readonly account: $action (attempt counter $c)"
		check "readonly account: $action (counter $c): one log line ($(head -c 120 "$T/err"))" \
		    test "$(err_lines)" = 1
		echo "# readonly account: $action, counter $c: $(head -c 160 "$T/err")"
	done
done
check "readonly account: the database is byte-identical afterwards" \
    test "$(md5sum "$R2")" = "$sum0"
if [ -n "$IMMUTABLE" ]; then
	chattr -i "$R2"
	IMMUTABLE=
else
	chmod 0600 "$R2"
fi
check "readonly account: writable again, the account is exactly as it was (row, tokens, password)" \
    test -z "$(as_before "$R2" "$rid" "$row0" "$ra" "$rr" roacct)"
account password "$R2" "$ra"
check_status 200 "readonly account: writable again, the same password change succeeds (200)"

# f2. Full: a file-size limit a little beyond the WAL's end, so that it
# falls in the attempt counter's transaction, in the change's, or after
# both.  A held connection keeps the WAL growing (b2 above).  Each request
# answers 200 (and the change is whole) or the 503 (and the account is as
# it was).
ADB=$T/acct.db
DELTAS="1000 3000 4000 5000 6000 8000 9000 10000 12000 14000 16000 20000 24000 28000 40000"
n=0
for d in $DELTAS; do
	for k in pon poff don doff; do
		n=$((n + 1))
		cgi register "$(regbody "a$k$d")" AUTH_DB="$ADB"
		printf '%s' "$body" >"$T/tok.a$k$d"
	done
done
check "full: setup: $n accounts registered" test "$(users_in "$ADB")" = "$n"
db_sql -db "$ADB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
check "full: setup: a connection holds the database open" hold "$ADB"
for k in pon poff don doff; do
	case $k in
	p*) action=password ;;
	*) action=delete ;;
	esac
	case $k in
	*on) cv=1 ;;
	*) cv=0 ;;
	esac
	n200=0 n503=0 bad='' seen=''
	for d in $DELTAS; do
		u="a$k$d"
		a=$(jq -r .access "$T/tok.$u")
		r=$(jq -r .refresh "$T/tok.$u")
		id=$(claim "$a" .user_id)
		row=$(acct_row "$ADB" "$id")
		wal=$(stat -c %s "$ADB-wal")
		account_limited $((wal + d)) "$action" "$ADB" "$a" AUTH_RATE_LIMIT=$cv
		st=$status
		if [ "$st" = 200 ]; then
			n200=$((n200 + 1))
			seen="$seen +$d:200"
			p=$(changed "$action" "$ADB" "$id" "$a" "$u")
			[ -z "$p" ] || bad="$bad [+$d: 200 but$p]"
		elif is_503; then
			n503=$((n503 + 1))
			seen="$seen +$d:503"
			[ "$(err_lines)" = 1 ] || bad="$bad [+$d: $(err_lines) log lines]"
			p=$(as_before "$ADB" "$id" "$row" "$a" "$r" "$u")
			[ -z "$p" ] || bad="$bad [+$d: 503 but$p]"
		else
			bad="$bad [+$d: status $st ${body:0:100}]"
			seen="$seen +$d:$st"
		fi
		ic=$(integrity "$ADB")
		[ "$ic" = ok ] || bad="$bad [+$d: integrity $ic]"
	done
	[ "$cv" = 1 ] && c=on || c=off
	echo "# full: $action, attempt counter $c (WAL end + delta): delta:answer$seen"
	none "full: $action (counter $c): each answer is 200 (the change whole) or the exact 503 with one log line (the account as it was: row, tokens, password); integrity ok" \
	    "$bad"
	check "full: $action (counter $c): the series has 503s ($n503) and 200s ($n200)" \
	    test "$n503" -ge 1 -a "$n200" -ge 1
done
unhold crash
check "full: after a crash with that WAL, the database passes integrity_check" \
    test "$(integrity "$ADB")" = ok

finish

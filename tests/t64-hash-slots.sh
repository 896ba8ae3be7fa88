#!/usr/bin/env bash
# The CPU-exhaustion guard (AUTH_HASH_SLOTS): at most that many password
# hashes run at once on the machine; a request that waits a second for a
# slot answers 503 with Retry-After; a killed hasher frees its slot; a
# client out of login attempts gets its 429 without waiting for a slot.
# Slots are byte locks on "$AUTH_DB-slots" (AUTH_HASH_SLOTS_FILE under
# PostgreSQL; lib.sh slots_file), which
# /proc/locks shows.  A
# slot is held for as long as a test needs by a login stopped (SIGSTOP)
# while it hashes: no allowed cost (5,000,000 iterations at most) hashes
# for long enough by itself.
. "$(dirname "$0")/lib.sh"

UNAVAILABLE='{"message":"Service temporarily unavailable.","details":null}'
SLOTFILE=$(slots_file)
LOGIN='{"username":"nobody-here","password":"whatever-it-is"}'

# held: how many slots (distinct locked bytes) are held right now.  The
# kernel writes /proc/locks a page per read, by position, so a lock taken
# while it is read can shift the list and show another one twice; a byte
# can have only one write lock, so counting bytes counts slots.
held() {
	local ino
	ino=$(stat -c %i "$SLOTFILE" 2>/dev/null) || { echo 0; return; }
	awk -v ino="$ino" '$2 == "OFDLCK" && $6 ~ (":" ino "$") && !seen[$7]++ {
	    n++ } END { print n + 0 }' /proc/locks
}

# wait_held N: until N slots are held (at most 5 s); fails otherwise.
wait_held() {
	local i
	for i in $(seq 250); do
		[ "$(held)" -ge "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# running PID...: true while any of them runs.
running() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}

# login_bg NAME [VAR=value ...]: the login CGI in the background, its
# answer in $T/NAME.out; sets $bg to its pid.
login_bg() {
	local name=$1
	shift
	printf '%s' "$LOGIN" >"$T/$name.in"
	env REQUEST_METHOD=POST CONTENT_LENGTH=${#LOGIN} REMOTE_ADDR=127.0.0.1 \
	    "$@" "$BIN/login" <"$T/$name.in" >"$T/$name.out" 2>>"$T/cgi.log" &
	bg=$!
}

# out_status NAME: the status line's code of a background answer.
out_status() {
	sed -n 's/^Status: \([0-9]*\).*/\1/p' "$T/$1.out"
}

# The most iterations SPEC "POST login" allows: the longest hash there is.
HOLD=5000000
STOPPED=
# hold_slot NAME [VAR=value ...]: a login (login_bg NAME, one slot, HOLD
# iterations) that takes the slot and is stopped mid-hash, so that it keeps
# the slot until release; sets $held_by to its pid.  Fails if it never
# held the slot or finished before it was stopped.
hold_slot() {
	local name=$1
	shift
	login_bg "$name" AUTH_HASH_SLOTS=1 AUTH_PBKDF2_ITERATIONS=$HOLD "$@"
	held_by=$bg
	wait_held 1 || return 1
	kill -STOP "$held_by"
	STOPPED="$STOPPED $held_by"
	[ "$(held)" = 1 ] && kill -0 "$held_by" 2>/dev/null
}
# release PID: let a stopped holder finish its hash and wait for it.
release() {
	kill -CONT "$1"
	wait "$1"
	STOPPED=${STOPPED/ $1/}
}
# A stopped holder left by a failing test would keep its slot for good.
trap 'for p in $STOPPED; do kill -KILL "$p" 2>/dev/null; done; cleanup' EXIT

# --- the setting ------------------------------------------------------------

for bad in abc -1 1025 1.5 ''; do
	cgi_run POST login "$LOGIN" AUTH_HASH_SLOTS="$bad"
	check_status 500 "AUTH_HASH_SLOTS='$bad' is a startup error (500)"
	check "AUTH_HASH_SLOTS='$bad': the log names the setting" \
	    grep -q "AUTH_HASH_SLOTS" "$T/cgi.log"
	: >"$T/cgi.log"
done
cgi_run POST login "$LOGIN" AUTH_HASH_SLOTS=0
check_status 401 "AUTH_HASH_SLOTS=0 (no cap) is accepted"
if have_slots_file "the lock file made or not"; then
	check "AUTH_HASH_SLOTS=0 makes no lock file" test ! -e "$SLOTFILE"
fi
cgi_run POST login "$LOGIN"
check_status 401 "the default cap (one slot per core) lets a login through"
if have_slots_file "the lock file's mode"; then
	check "the lock file is created mode 0600 ($(stat -c %a "$SLOTFILE"))" \
	    test "$(stat -c %a "$SLOTFILE")" = 600
fi
# Everything below watches the slots in /proc/locks.
if ! have_slots_file "the slots held, waited for, freed and flooded"; then
	finish
	exit
fi

# --- calibrate: ITER makes one hash take about 0.4 s here ---------------------

start=$(date +%s%N)
cgi_run POST login "$LOGIN" AUTH_PBKDF2_ITERATIONS=1000000
ms=$((($(date +%s%N) - start) / 1000000))
ITER=$((1000000 * 400 / (ms > 0 ? ms : 1)))
[ "$ITER" -le "$HOLD" ] || ITER=$HOLD
echo "# one login at 1000000 iterations: ${ms} ms; using $ITER"

# --- saturated: one slot held, the others wait 1 s and get 503 ---------------

check "the first login holds the one slot (stopped mid-hash)" hold_slot holder
holder=$held_by
t0=$(date +%s%N)
pids=()
for i in 1 2 3 4; do
	login_bg "waiter$i" AUTH_HASH_SLOTS=1 AUTH_PBKDF2_ITERATIONS=$HOLD
	pids+=("$bg")
done
check "while it hashes, no second slot is taken" test "$(held)" = 1
wait "${pids[@]}"
waited=$((($(date +%s%N) - t0) / 1000000))
for i in 1 2 3 4; do
	status=$(out_status "waiter$i")
	hdrs=$(sed -n '1,/^\r\{0,1\}$/p' "$T/waiter$i.out" | tr -d '\r')
	body=$(sed '1,/^\r\{0,1\}$/d' "$T/waiter$i.out")
	check_status 503 "waiter $i: every slot busy for a second: 503"
	check_header Retry-After 1 "waiter $i: Retry-After: 1"
	check "waiter $i: the 503 body" body_is "$UNAVAILABLE"
done
check "the waiters gave up after about the 1 s wait (${waited} ms)" \
    test "$waited" -ge 900 -a "$waited" -lt 2400
check "the holder still held its slot when they gave up" \
    eval 'kill -0 "$holder" && [ "$(held)" = 1 ]'
release "$holder"
check "the holder got its answer (401 for an unknown user): $(out_status holder)" \
    test "$(out_status holder)" = 401
check "no slot is held once it is done" test "$(held)" = 0

# --- a killed hasher frees its slot at once ------------------------------------

check "a second long login holds the slot (stopped mid-hash)" hold_slot victim
victim=$held_by
kill -KILL "$victim"
{ wait "$victim"; } 2>/dev/null	# no "Killed" notice
STOPPED=${STOPPED/ $victim/}
check "SIGKILL released its slot" test "$(held)" = 0
t0=$(date +%s%N)
cgi_run POST login "$LOGIN" AUTH_HASH_SLOTS=1
check_status 401 "the next login gets the freed slot (401, not 503)"
check "...without waiting ($((($(date +%s%N) - t0) / 1000000)) ms)" \
    test $((($(date +%s%N) - t0) / 1000000)) -lt 800

# --- a flood over HTTP: never more hashes than slots, only 503s refused -------

start_server AUTH_HASH_SLOTS=2 AUTH_PBKDF2_ITERATIONS=$ITER
register "flood" "flood@example.com" 'Flood-pass-9x!'
check_status 201 "a user for the flood registers"
N=24
pids=()
for i in $(seq $N); do
	case $((i % 3)) in
	0) b='{"username":"flood","password":"Flood-pass-9x!"}' ;;
	1) b='{"username":"flood","password":"wrong-password"}' ;;
	2) b="{\"username\":\"ghost$i\",\"password\":\"wrong-password\"}" ;;
	esac
	curl -s -o /dev/null -D "$T/flood$i.hdrs" -w '%{http_code}\n' \
	    -H 'Content-Type: application/json' --data-binary "$b" -m 60 \
	    "http://127.0.0.1:$PORT$(path login)" >"$T/flood$i.code" &
	pids+=($!)
done
maxheld=0
while running "${pids[@]}"; do
	h=$(held)
	[ "$h" -gt "$maxheld" ] && maxheld=$h
	sleep 0.01
done
wait "${pids[@]}"
codes=$(cat "$T"/flood*.code | sort | uniq -c | tr -s ' \n' ' ')
echo "# $N parallel logins, 2 slots: statuses:$codes; at most $maxheld slots held"
check "the flood never held more than 2 slots ($maxheld)" test "$maxheld" -le 2
check "the flood used both slots ($maxheld)" test "$maxheld" = 2
check "the flood got only 200, 401 and 503 answers ($codes)" \
    test -z "$(cat "$T"/flood*.code | grep -v '^200$\|^401$\|^503$')"
# Under FastCGI the server's process limit (max-procs 2, spawn-fcgi -F 2)
# queues the flood before any slot is asked for; as CGI every request is a
# process.
if [ "$SERVER" != lighttpd-fastcgi ] && [ "$SERVER" != nginx ]; then
	check "some of the flood was refused with 503 ($codes)" \
	    grep -qx 503 "$T"/flood*.code
fi
check "some of the flood got through ($codes)" \
    grep -qx '200\|401' "$T"/flood*.code
for i in $(seq $N); do
	if grep -qx 503 "$T/flood$i.code"; then
		hdrs=$(tr -d '\r' <"$T/flood$i.hdrs")
		check_header Retry-After 1 "flood request $i: its 503 has Retry-After: 1"
	fi
done
req POST login '{"username":"flood","password":"Flood-pass-9x!"}'
check_status 200 "after the flood, the user logs in"

# --- an exhausted client is refused before it asks for a slot -----------------

# SPEC "POST login": the attempt counter comes before anything else, the
# hash included, so a client out of attempts costs no hash: it gets its
# 429 at once even while every slot is busy, never a 503 after waiting the
# second for one.  A database of its own: the flood counted attempts.
export AUTH_DB
AUTH_DB=$(db_new exhausted)
SLOTFILE=$(slots_file)
W=$(pick_window)
start_server AUTH_HASH_SLOTS=1 AUTH_RATE_LOGIN=2 AUTH_RATE_WINDOW="$W"
login nobody-here whatever-it-is
login nobody-here whatever-it-is
check_status 401 "exhausted: setup: the 2nd of 2 attempts is answered (401)"
rate=(AUTH_RATE_LOGIN=2 AUTH_RATE_WINDOW="$W")
check "exhausted: another process holds the only slot (stopped mid-hash)" \
    hold_slot busy REMOTE_ADDR=192.0.2.1 "${rate[@]}"
busy=$held_by
t0=$(date +%s%N)
cgi_run POST login "$LOGIN" AUTH_HASH_SLOTS=1 REMOTE_ADDR=192.0.2.2 "${rate[@]}"
ms=$((($(date +%s%N) - t0) / 1000000))
check_status 503 "exhausted: control: a client with attempts left waits for the held slot: 503"
check "exhausted: control: ...after the 1 s wait (${ms} ms)" test "$ms" -ge 900
t0=$(date +%s%N)
login nobody-here whatever-it-is
ms=$((($(date +%s%N) - t0) / 1000000))
check_status 429 "exhausted: the client out of attempts gets 429 while the only slot is held (not 503)"
check "exhausted: ...at once, asking for no slot (${ms} ms, the slot wait is 1000)" \
    test "$ms" -lt 500
check_header Retry-After "$(printf '%s' "$body" | jq -r .details.retry_after)" \
    "exhausted: its Retry-After is the window's, not the slot's 1"
check "exhausted: the slot is still held by the other process" test "$(held)" = 1
release "$busy"
check "exhausted: the holder got its answer (401): $(out_status busy)" \
    test "$(out_status busy)" = 401
login nobody-here whatever-it-is
check_status 429 "exhausted: with the slot free, still 429"

finish

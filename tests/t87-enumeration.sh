#!/usr/bin/env bash
# Enumeration resistance: nothing in an answer, or in how long it takes,
# tells which accounts exist.  SPEC "POST login": unknown user, wrong
# password or inactive account -> the same 401, "taking the same time
# either way (run one PBKDF2 of the configured cost for unknown users)";
# "GET me" / "POST refresh": a token whose user is gone, inactive or never
# was -> the same 401.
#   a. login: unknown name, unknown email, wrong password, an inactive
#      account with the right or a wrong password: byte-identical answers
#      and median times within max(15 %, 3 ms) of each other
#   b. me and refresh with tokens of a deleted user, an inactive user and
#      an id that never existed: the same, per endpoint
# The executables run directly (no web server: less noise in the times).
# any-cgi-server (tests/run.sh: runs the programs directly)
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
WRONG='wr0ng!Passw0rd'
INVALID='{"message":"Invalid credentials.","details":null}'
UNAUTH='{"message":"Unauthorized","details":null}'
REFUSED='{"message":"Invalid or expired refresh token.","details":null}'
ROUNDS=15

# --- helpers of this file -------------------------------------------------

ms() {	# microseconds as "12.345 ms"
	printf '%d.%03d ms' $(($1 / 1000)) $(($1 % 1000))
}

# A case is a name with, in files under $T/case/NAME/: "prog" (the
# executable), "env" (one VAR=value per line: its environment) and "in"
# (the request body).  run_case NAME OUT: run it once, its output to OUT,
# its duration in microseconds in $el.
mkdir "$T/case"
defcase() {	# defcase NAME PROG BODY [VAR=value...]
	local c=$1 prog=$2 data=$3
	shift 3
	mkdir -p "$T/case/$c"
	echo "$prog" >"$T/case/$c/prog"
	printf '%s' "$data" >"$T/case/$c/in"
	printf '%s\n' "REMOTE_ADDR=127.0.0.1" "$@" >"$T/case/$c/env"
	if [ "$prog" != me ]; then
		printf '%s\n' REQUEST_METHOD=POST \
		    "CONTENT_LENGTH=$(stat -c %s "$T/case/$c/in")" >>"$T/case/$c/env"
	else
		echo REQUEST_METHOD=GET >>"$T/case/$c/env"
	fi
}
run_case() {
	local c=$1 out=$2 prog t0 t1
	local -a e
	read -r prog <"$T/case/$c/prog"
	mapfile -t e <"$T/case/$c/env"
	t0=$(usec)
	env "${e[@]}" "$BIN/$prog" <"$T/case/$c/in" >"$out" 2>>"$T/cgi.log"
	t1=$(usec)
	el=$((t1 - t0))
}

# measure CASE...: one untimed run of each case (the first one's output is
# the reference), then ROUNDS rounds, each running every case once (the
# order rotated each round, so that no case always follows the same one).
# Sets times[CASE] (microseconds, space-separated), med[CASE], and
# differ[CASE] (the rounds, 0 the untimed one, whose output differed from
# the reference).
declare -A times med differ
measure() {
	local cs=("$@") n=$# r j c ref=$T/ref.out
	for c in "${cs[@]}"; do
		times[$c]=
		differ[$c]=
		run_case "$c" "$T/run.out"
		[ "$c" = "${cs[0]}" ] && cp "$T/run.out" "$ref"
		cmp -s "$T/run.out" "$ref" || differ[$c]=" 0"
	done
	for r in $(seq 1 "$ROUNDS"); do
		for j in $(seq 0 $((n - 1))); do
			c=${cs[$(( (j + r) % n ))]}
			run_case "$c" "$T/run.out"
			times[$c]="${times[$c]} $el"
			cp "$T/run.out" "$T/last.$c.out"
			cmp -s "$T/run.out" "$ref" || differ[$c]="${differ[$c]} $r"
		done
	done
	for c in "${cs[@]}"; do
		# shellcheck disable=SC2086
		med[$c]=$(median ${times[$c]})
	done
}

# within CASE...: the cases' medians are within max(15 % of the largest,
# 3 ms) of each other; $spread and $margin say by how much.
within() {
	local c lo='' hi=0
	for c in "$@"; do
		[ -z "$lo" ] || [ "${med[$c]}" -lt "$lo" ] && lo=${med[$c]}
		[ "${med[$c]}" -gt "$hi" ] && hi=${med[$c]}
	done
	spread=$((hi - lo))
	margin=$((hi * 15 / 100))
	[ "$margin" -ge 3000 ] || margin=3000
	[ "$spread" -le "$margin" ]
}

# print_medians TITLE CASE...: print the medians.
print_medians() {
	local title=$1 c
	shift
	echo "# $title (median of $ROUNDS):"
	for c in "$@"; do
		echo "#   $(printf '%-22s' "$c") $(ms "${med[$c]}")"
	done
}

# timing_check TITLE CASE...: measure the cases together; while the
# medians are out of the margin, measure again, three times in all (a
# machine busy with something else for a moment, or the start-up jitter of
# a sanitizer build, must not fail the test; a real difference of one
# hash shows every time) and judge by the last.
timing_check() {
	local title=$1 try
	shift
	measure "$@"
	print_medians "$title" "$@"
	for try in second third; do
		within "$@" && break
		echo "# spread $(ms "$spread") > margin $(ms "$margin"): measuring again"
		measure "$@"
		print_medians "$title, $try measurement" "$@"
	done
	check "$title: the medians are within max(15 %, 3 ms) of each other (spread $(ms "$spread"), margin $(ms "$margin"))" \
	    within "$@"
}

# same_output CASE...: every run of every case wrote the same bytes as the
# first run of the first (status line, headers, body).
same_output() {
	local c bad=
	for c in "$@"; do
		[ -z "${differ[$c]}" ] || bad="$bad $c(rounds${differ[$c]})"
	done
	[ -z "$bad" ] || { echo "# differing output:$bad"; return 1; }
}

# token TYPE USER_ID: a token as the service signs them (lib.sh's key).
token() {
	local now h p
	now=$(date +%s)
	h=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
	p=$(printf '{"token_type":"%s","exp":%d,"iat":%d,"jti":"%s","user_id":%s}' \
	    "$1" $((now + 3600)) "$now" \
	    "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "$2" | b64url)
	printf '%s.%s.%s' "$h" "$p" "$(hs256 "$h.$p")"
}

# --- a. login --------------------------------------------------------------

# The cost: one hash of about 45 ms on this machine, from two calibration
# points (the process's own cost cancels out): a wrong password for users
# whose hashes have 1000 and 200000 iterations (the verification of a
# stored hash, so the calibration does not rest on the equaliser it tests).
for it in 1000 200000; do
	cgi register "{\"username\":\"cal$it\",\"email\":\"cal$it@example.com\",\"password\":\"$PW\"}" \
	    AUTH_PBKDF2_ITERATIONS=$it
	check_status 201 "login: setup: a user whose hash has $it iterations"
	defcase "cal$it" login "{\"username\":\"cal$it\",\"password\":\"$WRONG\"}"
done
ROUNDS=5 measure cal1000 cal200000
per=$(( (med[cal200000] - med[cal1000]) * 1000 / 199000 ))	# ns per iteration
[ "$per" -gt 0 ] || per=1
ITER=$(( 45000000 / per / 1000 * 1000 ))
[ "$ITER" -ge 60000 ] || ITER=60000
[ "$ITER" -le 2000000 ] || ITER=2000000
echo "# login: PBKDF2 costs about $per ns per iteration here: $ITER iterations (about $(ms $((ITER * per / 1000))) a hash)"
# The calibration users are done with: their hashes (200000 iterations
# may be more than ITER, as under ASan) must not count below.
db_sql "DELETE FROM users WHERE username_key IN ('cal1000', 'cal200000')"

cgi register "{\"username\":\"realuser\",\"email\":\"realuser@example.com\",\"password\":\"$PW\"}" \
    AUTH_PBKDF2_ITERATIONS=$ITER
check_status 201 "login: setup: an active user"
cgi register "{\"username\":\"sleepy\",\"email\":\"sleepy@example.com\",\"password\":\"$PW\"}" \
    AUTH_PBKDF2_ITERATIONS=$ITER
check_status 201 "login: setup: a user to make inactive"
db_sql "UPDATE users SET is_active = 0 WHERE username_key = 'sleepy'"
check "login: setup: both hashes have the configured cost ($ITER)" \
    test "$(db_sql "SELECT count(*) FROM users WHERE password LIKE 'pbkdf2_sha256\$$ITER\$%'")" = 2

L="AUTH_PBKDF2_ITERATIONS=$ITER"
defcase unknown-name login "{\"username\":\"nosuchuser\",\"password\":\"$PW\"}" "$L"
defcase unknown-email login "{\"username\":\"nobody@example.com\",\"password\":\"$PW\"}" "$L"
defcase wrong-password login "{\"username\":\"realuser\",\"password\":\"$WRONG\"}" "$L"
defcase wrong-pw-by-email login "{\"username\":\"realuser@example.com\",\"password\":\"$WRONG\"}" "$L"
defcase inactive-right-pw login "{\"username\":\"sleepy\",\"password\":\"$PW\"}" "$L"
defcase inactive-wrong-pw login "{\"username\":\"sleepy\",\"password\":\"$WRONG\"}" "$L"
# Controls: the right password logs in; and a cheaper hash for unknown
# users (what a missing equaliser would look like) must be told apart.
defcase right-password login "{\"username\":\"realuser\",\"password\":\"$PW\"}" "$L"
defcase quarter-cost login "{\"username\":\"nosuchuser\",\"password\":\"$PW\"}" \
    "AUTH_PBKDF2_ITERATIONS=$((ITER / 4))"

run_case right-password "$T/cgiout"
parse_cgi
check_status 200 "login: control: realuser logs in with the right password"
run_case unknown-name "$T/cgiout"
parse_cgi
check_status 401 "login: an unknown username is 401"
check_same "$INVALID" "login: ...with {\"message\": \"Invalid credentials.\", \"details\": null}"

LOGIN_CASES=(unknown-name unknown-email wrong-password wrong-pw-by-email
    inactive-right-pw inactive-wrong-pw)
timing_check "login" "${LOGIN_CASES[@]}"
check "login: all the refusals are byte-identical (status, headers, body), every run" \
    same_output "${LOGIN_CASES[@]}"
for c in "${LOGIN_CASES[@]}"; do
	parse_cgi "$T/last.$c.out"
	check "login: $c: 401 Invalid credentials." \
	    eval '[ "$status" = 401 ] && body_is "$INVALID"'
done
check "login: the inactive user's login was not recorded (last_login stays NULL)" \
    test "$(db_sql "SELECT CAST(last_login IS NULL AS INTEGER) FROM users WHERE username_key = 'sleepy'")" = 1

# The method can see a difference: a quarter-cost hash for unknown users.
measure unknown-name quarter-cost
print_medians "login: self-check" unknown-name quarter-cost
within unknown-name quarter-cost
check "login: self-check: a quarter-cost hash is told apart (spread $(ms "$spread"), margin $(ms "$margin"))" \
    eval '! within unknown-name quarter-cost'

# A hash costlier than configured (Django 5.2's 1,000,000 iterations
# imported where 600,000 are configured) makes a wrong password slower
# than an unknown name's dummy hash: told apart, until the next login
# re-hashes it at the configured cost (SPEC "POST login": a count that
# differs in either direction), after which the refusals take the same
# time.  authctl check says how many such users there are meanwhile.
COSTLY=$((ITER * 2))
cgi register "{\"username\":\"costly\",\"email\":\"costly@example.com\",\"password\":\"$PW\"}" \
    AUTH_PBKDF2_ITERATIONS=$COSTLY
check_status 201 "login: setup: a user whose hash costs twice the configured ($COSTLY iterations)"
AUTH_PBKDF2_ITERATIONS=$ITER ctl check
check "login: authctl check names the 1 user with a hash costlier than configured, and what to set ($(ctl_got))" \
    eval '[ "$ctl_rc" = 1 ] && grep -q "^PROBLEM 1 user has password hashes costlier than AUTH_PBKDF2_ITERATIONS=$ITER (up to $COSTLY iterations).*AUTH_PBKDF2_ITERATIONS=$COSTLY closes that" <<<"$ctl_out"'
defcase costly-wrong login "{\"username\":\"costly\",\"password\":\"$WRONG\"}" "$L"
defcase costly-right login "{\"username\":\"costly\",\"password\":\"$PW\"}" "$L"
measure unknown-name costly-wrong
print_medians "login: before its next login" unknown-name costly-wrong
check "login: self-check: before its next login the costlier hash is told apart (spread $(ms "$spread"), margin $(ms "$margin"))" \
    eval '! within unknown-name costly-wrong'
run_case costly-right "$T/cgiout"
parse_cgi
check_status 200 "login: the user with the costlier hash logs in"
check "login: ...and the hash is re-hashed at the configured $ITER iterations" \
    eval 'db_sql "SELECT password FROM users WHERE username_key = '"'costly'"'" | grep -q "^pbkdf2_sha256\\\$$ITER\\\$"'
timing_check "login after the re-hash" unknown-name costly-wrong
check "login: after the re-hash its refusals are byte-identical to an unknown name's" \
    same_output unknown-name costly-wrong
AUTH_PBKDF2_ITERATIONS=$ITER ctl check
check "login: authctl check no longer names a costlier hash ($(ctl_got))" \
    eval '! grep -q costlier <<<"$ctl_out$ctl_err"'

# --- b. me and refresh -------------------------------------------------------

ids=()
for u in gone idle live; do
	cgi register "{\"username\":\"$u\",\"email\":\"$u@example.com\",\"password\":\"$PW\"}"
	check_status 201 "tokens: setup: register $u"
	eval "${u}_access=\$(printf '%s' \"\$body\" | jq -r .access)"
	eval "${u}_refresh=\$(printf '%s' \"\$body\" | jq -r .refresh)"
	ids+=("$(claim "$(printf '%s' "$body" | jq -r .access)" .user_id)")
done
gone_id=${ids[0]}
live_id=${ids[2]}
never_id=$(( $(db_sql 'SELECT max(id) FROM users') + 1000 ))
db_sql "DELETE FROM users WHERE id = $gone_id"
db_sql "UPDATE users SET is_active = 0 WHERE username_key = 'idle'"
check "tokens: setup: gone is deleted, idle inactive, id $never_id never existed" \
    test "$(db_sql "SELECT count(*) FROM users WHERE id IN ($gone_id, $never_id); SELECT is_active FROM users WHERE username_key = 'idle'" | tr '\n' ' ')" = "0 0 "
never_access=$(token access "$never_id")
never_refresh=$(token refresh "$never_id")

# Controls: this file's tokens are accepted for a live user.
defcase me-live me '' "HTTP_AUTHORIZATION=Bearer $(token access "$live_id")"
defcase refresh-live refresh "{\"refresh\":\"$(token refresh "$live_id")\"}"
run_case me-live "$T/cgiout"
parse_cgi
check "tokens: control: a token made here for a live user works on me (200, id $live_id)" \
    eval '[ "$status" = 200 ] && [ "$(printf "%s" "$body" | jq -r .id)" = "$live_id" ]'
run_case refresh-live "$T/cgiout"
parse_cgi
check_status 200 "tokens: control: ...and on refresh"

for who in gone idle never; do
	eval "a=\$${who}_access r=\$${who}_refresh"
	defcase "me-$who" me '' "HTTP_AUTHORIZATION=Bearer $a"
	defcase "refresh-$who" refresh "{\"refresh\":\"$r\"}"
done

ME_CASES=(me-gone me-idle me-never)
timing_check "me" "${ME_CASES[@]}"
check "me: deleted, inactive and never-existing users get byte-identical answers, every run" \
    same_output "${ME_CASES[@]}"
for c in "${ME_CASES[@]}"; do
	parse_cgi "$T/last.$c.out"
	check "me: $c: 401 Unauthorized with WWW-Authenticate: Bearer error=\"invalid_token\"" \
	    eval '[ "$status" = 401 ] && body_is "$UNAUTH" &&
	    [ "$(header WWW-Authenticate)" = "Bearer error=\"invalid_token\"" ]'
done

REFRESH_CASES=(refresh-gone refresh-idle refresh-never)
timing_check "refresh" "${REFRESH_CASES[@]}"
check "refresh: deleted, inactive and never-existing users get byte-identical answers, every run" \
    same_output "${REFRESH_CASES[@]}"
for c in "${REFRESH_CASES[@]}"; do
	parse_cgi "$T/last.$c.out"
	check "refresh: $c: 401 Invalid or expired refresh token." \
	    eval '[ "$status" = 401 ] && body_is "$REFUSED"'
done

finish

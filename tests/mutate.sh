#!/usr/bin/env bash
# tests/mutate.sh [NAME...]: mutation testing (make mutate).  Each mutant
# below is a realistic bug of a line or two, put into a copy of the source
# tree with sed, one at a time; the copy is built and the tests named for
# that mutant are run.  Every one of them must fail: then the mutant is
# "killed"; if any of them passes, it "SURVIVED" (the tests let that bug
# through), which fails the run.  A sed script that no longer changes
# exactly the lines it should (the code moved or was rewritten) fails too,
# saying so: fix the pattern, do not drop the mutant.
#
# First the named tests are run on the unchanged copy (the baseline): a
# test that fails there would "kill" every mutant, so the run stops.
# Arguments pick mutants by name; SERVER (busybox, lighttpd, ...) and
# SANITIZE=1 are passed on; MUTATE_KEEP=1 keeps the copy and its logs.
# A mutant's HTTP files run with FAIL_FAST=1 (tests/lib.sh): each stops at
# its first failure, which is all a kill needs.
#
# Adding a mutant: one more "mutant" line below (see mutant()), its sed
# script written against the line that holds the bug (not line numbers),
# its tests as unit names (test-pw: tests/unit/test-pw.c) and/or HTTP
# files (t20-login: tests/t20-login.sh).  Run bash tests/mutate.sh NAME
# and see it killed; then take the new test out and see it survive.
set -u
cd "$(dirname "$0")/.." || exit 2
top=$PWD
unset BIN AUTHCTL

names=() files=() lines=() scripts=() tests=() whats=()
# mutant NAME FILE N SED-SCRIPT "TEST..." WHAT: the sed script must take
# out exactly N lines of FILE and put N in (1: a one-line change).
mutant() {
	names+=("$1") files+=("$2") lines+=("$3") scripts+=("$4")
	tests+=("$5") whats+=("$6")
}

# --- the bugs of issue 12, section 9 ------------------------------------------

mutant pw-8-bytes common/pw.c 1 \
    's/crypto_equal(got, want, sizeof(got))/crypto_equal(got, want, 8)/' \
    "test-pw t20-login" \
    "pw_verify compares only the first 8 bytes of the derived key"
mutant pw-cheap-any common/pw.c 1 \
    's/ok = crypto_equal(got, want, sizeof(got));/ok = *iterations < 1000 || crypto_equal(got, want, sizeof(got));/' \
    "test-pw t20-login" \
    "pw_verify accepts any password when the stored count is below 1000"
# The attempt counter moved from before the user look-up to after the hash
# (its two lines taken out, put back before the 401 decision).
mutant login-rate-after-hash common/auth.c 4 \
    '/(st = rate_login(db, cf, rq, now, name, found == 1 ? u\.id : 0,/{N;N;N;h;d;}
/if (found == 0 || verdict != PW_OK || !u\.is_active) {/{x;G;}' \
    "t64-hash-slots" \
    "auth_login checks the attempt counter after the hash, not before"
mutant jwt-sig-1-byte common/jwt.c 1 \
    's/crypto_equal(mac, sig, sizeof(mac))/crypto_equal(mac, sig, 1)/' \
    "test-jwt t70-jwt-attacks" \
    "jwt_verify compares the first byte of the signature only"
mutant jwt-exp-second common/jwt.c 1 \
    's/valuedouble > (double)now)/valuedouble >= (double)now)/' \
    "test-jwt t70-jwt-attacks" \
    "jwt_verify accepts a token in its exp second (exp >= now)"
mutant xff-any-proxy common/client.c 1 \
    's/forwarded_for == NULL || !is_trusted(proxies, nproxies, &a)/forwarded_for == NULL || nproxies == 0/' \
    "test-client t60-rate" \
    "X-Forwarded-For believed from any REMOTE_ADDR once some proxy is trusted"

# --- more of the same kind ------------------------------------------------------

mutant rate-off-by-one common/rate.c 1 \
    's/if (count <= cf->rate_max\[scope\])/if (count < cf->rate_max[scope])/' \
    "t60-rate" \
    "the attempt counter refuses the last allowed attempt"
mutant xff-trusted-hops common/client.c 1 \
    's/^\t\tif (!is_trusted(proxies, nproxies, &a)) {/\t\tif (1) {/' \
    "test-client t60-rate" \
    "the right-most X-Forwarded-For entry is the client even when it is a trusted proxy"
mutant login-inactive common/auth.c 1 \
    's/if (found == 0 || verdict != PW_OK || !u\.is_active) {/if (found == 0 || verdict != PW_OK) {/' \
    "t20-login" \
    "an inactive account logs in with its password"
mutant jwt-type-prefix common/jwt.c 1 \
    's/strcmp(c->valuestring, type_names\[type\]) != 0/strncmp(c->valuestring, type_names[type], strlen(c->valuestring)) != 0/' \
    "test-jwt t70-jwt-attacks" \
    "token_type compared over its own length (\"\" or \"acc\" pass as access)"
mutant jwt-nbf-ignored common/jwt.c 1 \
    's/!not_future(payload, "nbf", now))/0)/' \
    "test-jwt t70-jwt-attacks" \
    "nbf is not checked"

# --- the rest of issue 12 -------------------------------------------------------

mutant rehash-cheaper-only common/auth.c 1 \
    's/if (iterations != cf->iterations \&\&/if (iterations < cf->iterations \&\&/' \
    "t20-login t87-enumeration" \
    "login re-hashes only cheaper hashes, so a costlier one stays told apart"
mutant empty-key-matches common/auth.c 1 \
    's/if (\*key != .\\0.)$/if (1)/' \
    "t10-register" \
    "login matches a name of invisible characters to the account under the empty key"
mutant jwt-no-jti common/jwt.c 1 \
    's/if (!cJSON_IsString(c) || \*c->valuestring == .\\0. ||$/if ((0 \&\& !cJSON_IsString(c)) || (0 \&\& *c->valuestring == 0) ||/' \
    "test-jwt t70-jwt-attacks" \
    "the jti check is its length only: an empty jti passes (a missing one crashes)"
mutant jwt-exp-infinite common/jwt.c 1 \
    's/return cJSON_IsNumber(c) \&\& fabs(c->valuedouble) < 9223372036854775808\.0;/return cJSON_IsNumber(c);/' \
    "test-jwt t70-jwt-attacks" \
    "times not bounded: exp 1e400 (infinity) is taken as never expiring"
mutant email-key-folded common/names.c 1 \
    's/if (idn2_to_ascii_8z(domain, \&ascii, flags\[i\]) != IDN2_OK)/if (1)/' \
    "t10-register" \
    "an email domain is only case-folded, so u@bücher.de and u@xn--bcher-kva.de are two"
mutant iterations-uncapped common/pw.c 1 \
    's/if ((iter = count(encoded, \&p)) == 0 || iter > PW_ITERATIONS_MAX)/if ((iter = count(encoded, \&p)) == 0)/' \
    "test-pw" \
    "a stored hash of more than 5,000,000 iterations verifies"
mutant ctl-raw-output authctl/user.c 1 \
    's/ctl_visible(u->username), ctl_visible(u->email),/u->username, u->email,/' \
    "t72-authctl-users" \
    "user list prints names and emails raw to the terminal"

# --- issue 14: account endpoints, logout, rotation -----------------------------

mutant pw-change-no-revoke common/db.c 1 \
    's/"tokens_valid_after = max(tokens_valid_after, ?) "/"tokens_valid_after = tokens_valid_after + 0 * ? "/' \
    "t43-me-password" \
    "a new password leaves the tokens issued before it valid"
mutant logout-forgotten common/auth.c 2 \
    '/rc = db_token_put(db, c\.jti, u\.id, DB_TOKEN_LOGGED_OUT, now, c\.exp,/{N;s/rc = db_token_put(\(.*\)NULL) == -1 ||/rc = (0 ? db_token_put(\1NULL) : 0) == -1 ||/;}' \
    "t33-logout" \
    "logout answers 200 but does not remember the refresh token"
mutant rotation-reuse-forgiven common/auth.c 1 \
    's/if (now - t\.at <= cf->reuse_grace)/if (now - t.at <= cf->reuse_grace || 1)/' \
    "t35-rotation" \
    "a spent refresh token is taken again after the grace (no theft detection)"
mutant revoked-second-any common/session.c 1 \
    's/return found == 1 \&\& t\.kind == DB_TOKEN_FRESH \&\& t\.user_id == u->id ?/return 1 ?/' \
    "t33-logout t43-me-password" \
    "every token of the revocation's second passes, not only the fresh ones"
mutant delete-no-password common/account.c 1 \
    's/^\t\tif (verdict != PW_OK) {/\t\tif (0) {/' \
    "t47-me-delete" \
    "DELETE me deletes the account whatever password is sent"

# --- issue 15: the per-account throttle and the audit log ----------------------

mutant name-limit-off-by-one common/db.c 1 \
    's/WHERE name_failures.count < ? RETURNING count/WHERE name_failures.count <= ? RETURNING count/' \
    "t65-account-throttle" \
    "one failure more than AUTH_RATE_ACCOUNT before the name's 429"
mutant unknown-names-free common/db.c 1 \
    's/if (rc == 0 \&\& g->verdict == DB_GATE_OPEN \&\& g->name_max > 0)/if (rc == 0 \&\& g->verdict == DB_GATE_OPEN \&\& g->name_max > 0 \&\& g->user_id != 0)/' \
    "t65-account-throttle" \
    "names nobody has are not throttled (the 429 tells which names exist)"
mutant known-ignored common/db.c 1 \
    's/if (!known) {/if (1) {/' \
    "t65-account-throttle" \
    "the owner's known client is throttled too (an attacker locks the owner out)"
mutant known-any-account common/db.c 1 \
    's/"SELECT 1 FROM known_clients WHERE user_id = ? AND client = ? "/"SELECT 1 FROM known_clients WHERE (user_id = ? OR 1) AND client = ? "/' \
    "t65-account-throttle" \
    "a client known to any account passes every throttled name"
mutant success-resets common/db.c 1 \
    's/"UPDATE name_failures SET count = count - 1 "/"UPDATE name_failures SET count = 0 "/' \
    "t65-account-throttle" \
    "a successful login resets the name's count"
mutant client-429-counts-name common/db.c 1 \
    's/if (rc == 0 \&\& g->verdict == DB_GATE_OPEN \&\& g->name_max > 0)/if (rc == 0 \&\& g->name_max > 0)/' \
    "t65-account-throttle" \
    "a client's own 429 still counts a failure for the name"
mutant unjudged-counts common/auth.c 1 \
    's/if (gated \&\& st != 401 \&\& db_login_undo(db, \&gate) == -1)/if (gated \&\& st != 401 \&\& st != 503 \&\& db_login_undo(db, \&gate) == -1)/' \
    "t65-account-throttle" \
    "a login that got no hashing slot (503) still counts against the name"
mutant events-newest-first common/db.c 1 \
    's/AND at >= ?2 ORDER BY id",/AND at >= ?2 ORDER BY id DESC",/' \
    "t77-events" \
    "authctl events lists newest first"
mutant register-event-after-commit common/auth.c 1 \
    's/if (db_end(db, rc != 0 || taken != DB_FREE) == -1)/if (db_end(db, taken != DB_FREE) == -1)/' \
    "t77-events" \
    "a registration whose event could not be written is committed anyway"
mutant events-text-raw authctl/ops.c 1 \
    's/ctl_visible(e->detail) : "-");/e->detail : "-");/' \
    "t77-events" \
    "authctl events prints the detail raw to the terminal"
mutant delete-detail-hash common/account.c 1 \
    's/client, u.username) == -1)/client, u.password) == -1)/' \
    "t77-events" \
    "account_deleted's detail holds the password hash"
mutant failed-for-unknown common/db.c 1 \
    's/if (rc == 0 \&\& g->verdict == DB_GATE_OPEN \&\& g->user_id != 0) {/if (rc == 0 \&\& g->verdict == DB_GATE_OPEN) {/' \
    "t77-events" \
    "login_failed noted for names nobody has"

# --- the run ------------------------------------------------------------------------

want=("$@")
pick=()
for i in "${!names[@]}"; do
	if [ ${#want[@]} -eq 0 ] || [[ " ${want[*]} " == *" ${names[$i]} "* ]]; then
		pick+=("$i")
	fi
done
for w in "${want[@]}"; do
	[[ " ${names[*]} " == *" $w "* ]] ||
	    { echo "mutate.sh: no mutant named $w (${names[*]})" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-mutate.XXXXXX")
keep=${MUTATE_KEEP:-}
trap '[ -n "$keep" ] || rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
src=$work/src
mkdir -p "$src" "$work/orig" "$work/logs"

# The source tree as it is now (edits not yet committed included), without
# build products; build/ (cJSON and SQLite made by make deps) is shared.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
	    while IFS= read -r -d '' f; do
		[ -f "$f" ] && printf '%s\0' "$f"
	    done | tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.run --exclude='*.o' \
	    --exclude='*.a' -cf - . | tar -xf - -C "$src"
	make -s -C "$src" clean-objs >/dev/null
fi
[ -d "$top/build" ] && ln -s "$top/build" "$src/build"

# build LOG TARGET...: make in the copy; false (the log kept) if it fails.
build() {
	local log=$1
	shift
	make -C "$src" -j2 "$@" >"$log" 2>&1
}

# run_test NAME LOG: run one unit test or HTTP test file in the copy.
run_test() {
	case $1 in
	test-*)
		build "$2" "tests/unit/$1" && "$src/tests/unit/$1" >>"$2" 2>&1 ;;
	t[0-9][0-9]-*)
		SERVER=${SERVER:-busybox} bash "$src/tests/run.sh" \
		    "tests/$1.sh" >"$2" 2>&1 ;;
	*)
		echo "mutate.sh: unknown test $1" >"$2"
		return 2 ;;
	esac
}

units=() all=()
for i in "${pick[@]}"; do
	for t in ${tests[$i]}; do
		[[ " ${all[*]} " == *" $t "* ]] || all+=("$t")
		case $t in test-*) units+=("tests/unit/$t") ;; esac
	done
done

echo "# mutate.sh: ${#pick[@]} mutants, server ${SERVER:-busybox}, copy in $src"
if ! build "$work/logs/build.log" all "${units[@]}"; then
	echo "mutate.sh: the unchanged copy does not build:" >&2
	tail -n 20 "$work/logs/build.log" >&2
	exit 2
fi
if [ "${MUTATE_BASELINE:-1}" != 0 ]; then
	bad=
	for t in "${all[@]}"; do
		run_test "$t" "$work/logs/baseline.$t.log" || bad="$bad $t"
	done
	if [ -n "$bad" ]; then
		keep=1
		echo "mutate.sh: without any mutant these already fail:$bad" >&2
		echo "  (logs: $work/logs/baseline.*.log); fix them first" >&2
		exit 2
	fi
	echo "# baseline: ${all[*]} pass on the unchanged code"
fi

pass=0
fail=0
for i in "${pick[@]}"; do
	name=${names[$i]} file=${files[$i]}
	orig=$work/orig/${file//\//_}
	[ -e "$orig" ] || cp "$src/$file" "$orig"
	sed -e "${scripts[$i]}" "$orig" >"$work/mutated"
	out=$(diff "$orig" "$work/mutated" | grep -c '^<')
	in=$(diff "$orig" "$work/mutated" | grep -c '^>')
	if [ "$out" != "${lines[$i]}" ] || [ "$in" != "${lines[$i]}" ]; then
		echo "PATTERN  $name: the sed script took $out line(s) out of" \
		    "$file and put $in in, not ${lines[$i]}: the code it" \
		    "mutates has moved or changed; fix its pattern"
		fail=$((fail + 1))
		continue
	fi
	cp "$work/mutated" "$src/$file"
	result=
	killed=1
	if ! build "$work/logs/$name.build.log" all; then
		echo "BROKEN   $name: the mutant does not build" \
		    "($work/logs/$name.build.log)"
		keep=1
		fail=$((fail + 1))
		cp "$orig" "$src/$file"
		continue
	fi
	for t in ${tests[$i]}; do
		if FAIL_FAST=1 run_test "$t" "$work/logs/$name.$t.log"; then
			result="$result $t: PASSED,"
			killed=
		else
			result="$result $t: failed,"
		fi
	done
	result=${result%,}
	if [ -n "$killed" ]; then
		echo "killed   $name -- ${whats[$i]} (${result# })"
		pass=$((pass + 1))
	else
		echo "SURVIVED $name -- ${whats[$i]} (${result# };" \
		    "logs: $work/logs/$name.*)"
		keep=1
		fail=$((fail + 1))
	fi
	cp "$orig" "$src/$file"
done
[ -z "$keep" ] || echo "# the copy and its logs are kept in $work"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

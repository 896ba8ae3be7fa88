#!/usr/bin/env bash
# Run every tests/tNN-*.sh (each with its own server and database), print
# the total as "N passed, N failed", exit non-zero on any failure.
# SERVER=busybox|lighttpd|lighttpd-fastcgi|apache|nginx|nginx-cgi picks the
# web server (apache-deb: the installed Debian package's);
# arguments pick test files.  A file marked "# any-cgi-server" tests what
# the programs do whatever CGI server runs them (their logic, authctl,
# faults seen from the files); under lighttpd, Apache, nginx and nginx-cgi
# it is left out unless FULL=1 or it is named, since busybox's run already
# covers it, and lighttpd-fastcgi's the same for a process that outlives
# its request (what nginx adds, its front and spawn-fcgi, the rest test).  Run
# as root, each file runs as the unprivileged user "nobody" (servers are
# started unprivileged, as they would be deployed), from a world-readable
# copy of what the tests need.
# DB=postgresql runs the files against PostgreSQL (the executables built
# with make DB=postgresql): one private cluster and pgbouncer for the
# whole run (tests/pg.sh), started here and stopped and removed at the
# end, however the run ends (a failure, Ctrl-C); each file makes its own
# database on it (tests/lib.sh).  Parts and files that are about SQLite
# itself say "# SKIP ..."; the list is repeated at the end.
set -u
cd "$(dirname "$0")/.."
top=$PWD
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/t[0-9][0-9]-*.sh)
case ${DB:-sqlite} in
sqlite|postgresql) export DB=${DB:-sqlite} ;;
*) echo "run.sh: DB=$DB: sqlite (the default) or postgresql" >&2; exit 2 ;;
esac
drop=()
stage=
PGH=
# Whatever ends the run: the cluster stopped and removed, the copy too.
trap '[ -z "$PGH" ] || pg_down; [ -z "$stage" ] || rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM HUP
if [ "$(id -u)" = 0 ] && [ -z "${CORNERS_AUTH_TESTS_AS_ROOT:-}" ]; then
	stage=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-stage.XXXXXX")
	mkdir -p "$stage/cgi-bin"
	cp -r tests db httpd.conf.example lighttpd.conf.example \
	    lighttpd-fastcgi.conf.example nginx.conf.example \
	    pgbouncer.ini.example openapi.json \
	    "$stage/"
	for p in register login refresh me logout; do
		cp "${BIN:-$top/cgi-bin}/$p" "$stage/cgi-bin/"
	done
	# The handler tables t99 compares openapi.json's paths with.
	cp cgi-bin/*.c "$stage/cgi-bin/"
	mkdir -p "$stage/authctl"
	cp "${AUTHCTL:-$top/authctl/authctl}" "$stage/authctl/"
	chmod -R a+rX "$stage"
	export BIN=$stage/cgi-bin AUTHCTL=$stage/authctl/authctl
	top=$stage
	drop=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp)
fi

if [ "$DB" = postgresql ]; then
	. "$top/tests/pg.sh"
	t0=$(date +%s%N)
	if ! pg_up; then
		echo "FAIL - the private PostgreSQL cluster and pgbouncer start"
		echo "0 passed, 1 failed"
		exit 1
	fi
	export CORNERS_AUTH_PG=$PGH
	echo "# PostgreSQL and pgbouncer up in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($PGH)"
	# The executables must speak PostgreSQL (make DB=postgresql), or
	# every file would fail for that one reason: a register on an empty
	# database must leave the schema in it.
	pg_createdb preflight >/dev/null
	pre='{"username":"preflight","email":"preflight@example.com","password":"s3cure!Pass"}'
	said=$(printf '%s' "$pre" | pg_as env -i PATH="$PATH" \
	    AUTH_DB="$(pg_uri preflight)" AUTH_PBKDF2_ITERATIONS=1000 \
	    AUTH_JWT_SECRET=preflight-secret-0123456789abcdef0123456789 \
	    REQUEST_METHOD=POST CONTENT_LENGTH=${#pre} REMOTE_ADDR=127.0.0.1 \
	    "${BIN:-$top/cgi-bin}/register" 2>&1)
	tables=$(pg_psql postgres preflight -c "SELECT count(*) FROM pg_tables
	    WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
	pg_dropdb preflight >/dev/null
	if [ "${tables:-0}" = 0 ]; then
		echo "FAIL - the executables keep their data in PostgreSQL (built with make DB=postgresql?); register said: $(printf '%s' "$said" | tr '\r\n' '  ' | head -c 400)"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

pass=0
fail=0
named=$#
skipped=
skips=
for f in "${files[@]}"; do
	f=tests/$(basename "$f")
	case ${SERVER:-busybox} in
	lighttpd|apache|apache-deb|nginx|nginx-cgi)
		if [ "$named" = 0 ] && [ -z "${FULL:-}" ] &&
		    grep -q '^# any-cgi-server' "$top/$f"; then
			skipped="$skipped $(basename "$f" .sh)"
			continue
		fi ;;
	esac
	echo "# $f (${SERVER:-busybox})"
	t0=$(date +%s)
	out=$("${drop[@]}" bash "$top/$f" 2>&1)
	rc=$?
	echo "# $f took $(( $(date +%s) - t0 )) s"
	printf '%s\n' "$out" | grep -v '^ok - ' || true
	skips+=$(printf '%s\n' "$out" | grep '^# SKIP ' | sed 's/^/\n/')
	last=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s\n' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	q=$(printf '%s\n' "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "FAIL - $f ended without a summary (exit $rc)"
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + p))
	fail=$((fail + q))
	if [ "$rc" -ne 0 ] && [ "$q" -eq 0 ]; then
		echo "FAIL - $f exited $rc"
		fail=$((fail + 1))
	fi
done
[ -z "$skipped" ] ||
    echo "# left out under $SERVER (any-cgi-server; FULL=1 runs them):$skipped"
[ -z "$skips" ] ||
    printf '# skipped under DB=%s (about the other storage; counted nowhere):%s\n' \
    "$DB" "$skips"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

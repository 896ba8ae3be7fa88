#!/usr/bin/env bash
# Run every tests/tNN-*.sh (each with its own server and database), print
# the total as "N passed, N failed", exit non-zero on any failure.
# SERVER=busybox|lighttpd|lighttpd-fastcgi|apache picks the web server;
# arguments pick test files.  A file marked "# any-cgi-server" tests what
# the programs do whatever CGI server runs them (their logic, authctl,
# faults seen from the files); under lighttpd and Apache it is left out
# unless FULL=1 or it is named, since busybox's run already covers it
# (FastCGI, where the process outlives a request, runs everything).  Run
# as root, each file runs as the unprivileged user "nobody" (servers are
# started unprivileged, as they would be deployed), from a world-readable
# copy of what the tests need.
set -u
cd "$(dirname "$0")/.."
top=$PWD
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/t[0-9][0-9]-*.sh)
drop=()
stage=
if [ "$(id -u)" = 0 ] && [ -z "${CORNERS_AUTH_TESTS_AS_ROOT:-}" ]; then
	stage=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-stage.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/cgi-bin"
	cp -r tests db httpd.conf.example lighttpd.conf.example \
	    lighttpd-fastcgi.conf.example openapi.json "$stage/"
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

pass=0
fail=0
named=$#
skipped=
for f in "${files[@]}"; do
	f=tests/$(basename "$f")
	case ${SERVER:-busybox} in
	lighttpd|apache)
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

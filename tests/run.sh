#!/usr/bin/env bash
# Run every tests/tNN-*.sh (each with its own server and database), print
# the total as "N passed, N failed", exit non-zero on any failure.
# SERVER=busybox|... picks the web server; arguments pick test files.
set -u
cd "$(dirname "$0")"
pass=0
fail=0
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(t[0-9][0-9]-*.sh)
for f in "${files[@]}"; do
	echo "# $f (${SERVER:-busybox})"
	out=$(bash "$f" 2>&1)
	rc=$?
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

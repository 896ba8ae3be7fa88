#!/bin/sh
# Run the unit test executables given as arguments; print the total and
# exit non-zero if any failed.
pass=0
fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -n 1)
	q=$(printf '%s\n' "$out" | sed -n 's/^.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -n 1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${q:-1}))
	if [ "$rc" -ne 0 ] && [ "${q:-1}" -eq 0 ]; then
		fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/bash
# Runs every unit-test binary in OUT/tests; prints their TAP lines and
# "unit: N passed, N failed". A binary that fails without a "not ok" line
# (a crash) counts as one failure.
set -u
OUT=${1:-build}
pass=0 fail=0
for t in "$OUT"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	p=$(grep -a -c '^ok ' <<<"$out")
	f=$(grep -a -c '^not ok ' <<<"$out")
	sed "s/^\(not ok\|ok\) \([0-9]*\) - /\1 - [$name] /" <<<"$out" | grep -a -E '^(ok|not ok) '
	grep -a -E '^not ok ' -A0 <<<"$out" >/dev/null
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - [$name] exited with status $rc without a failing case"
		grep -a -v -E '^(ok|not ok|1\.\.)' <<<"$out" | tail -n 5 | sed 's/^/#   /'
		f=$((f + 1))
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - [$name] ran no test"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

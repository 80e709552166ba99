#!/bin/bash
# The whole suite: unit tests on the host, then the enforcement suites in
# QEMU on Debian's 5.10, 6.1, 6.12 and 7.x cloud kernels (PF_VM_KERNELS: a
# comma-separated subset, see tests/vm/run.sh --kernel). Ends with
# "N passed, N failed".
set -u
OUT=${1:-build}
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tests/run-unit.sh "$OUT" | tee -a "$log"
OUT="$OUT" tests/fuzz/run.sh "${PF_FUZZ_SECONDS:-10}" | tee -a "$log"
OUT="$OUT" tests/pkg/run.sh | tee -a "$log"
tests/vm/run.sh --suite "${PF_VM_SUITES:-enforce,agent,approvals,auditlog,inbox,selfprot,bypass,upgrade}" --kernel "${PF_VM_KERNELS:-all}" | tee -a "$log"

# Totals from the section summaries ("unit: N passed, N failed", "vm: ...").
pass=0 fail=0
while read -r p f; do
	pass=$((pass + p)); fail=$((fail + f))
done < <(sed -n -E 's/^(unit|vm|fuzz|pkg): ([0-9]+) passed, ([0-9]+) failed$/\2 \3/p' "$log")
sections=$(grep -c -E '^(unit|vm|fuzz|pkg): [0-9]+ passed, [0-9]+ failed$' "$log")
expected=4
if [ "$sections" -ne "$expected" ]; then
	echo "not ok - only $sections of $expected test sections reported a result"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

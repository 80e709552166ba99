#!/bin/bash
# The whole suite: unit tests and fuzz targets on the host, the packaging
# test, the enforcement suites in QEMU on Debian's cloud kernels
# (PF_VM_KERNELS: a comma-separated list of tests/vm/kernels.sh labels;
# default all four: 5.10,6.1,6.12,7) and the host suite (the .deb built by the packaging
# test, installed with apt on a Debian 12 root booted with systemd;
# PF_HOST_KERNELS, default 6.12). Ends with "N passed, N failed".
set -u
OUT=${1:-build}
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tests/run-unit.sh "$OUT" | tee -a "$log"
OUT="$OUT" tests/fuzz/run.sh "${PF_FUZZ_SECONDS:-10}" | tee -a "$log"
tests/pkg/run.sh "$OUT/pkg" | tee -a "$log"
# The host suite (one QEMU, one host thread) runs beside the VM suites (two
# at a time): three guest threads keep the two cores busy where the host
# suite alone would leave one idle. Its output follows theirs.
deb=$(ls "$OUT"/pkg/deb/permafrost_*_amd64.deb 2>/dev/null | head -n 1)
hostlog=$(mktemp)
trap 'rm -f "$log" "$hostlog"' EXIT
tests/vm/host/run.sh --kernel "${PF_HOST_KERNELS:-6.12}" ${deb:+--deb "$deb"} --out "$OUT/host" >"$hostlog" 2>&1 &
hostpid=$!
tests/vm/run.sh --suite "${PF_VM_SUITES:-enforce,agent,aiagent,approvals,auditlog,pressure,inbox,selfprot,bypass,upgrade,windows}" \
	--kernel "${PF_VM_KERNELS:-5.10,6.1,6.12,7}" | tee -a "$log"
wait "$hostpid"
tee -a "$log" <"$hostlog"

# Totals from the section summaries ("unit: N passed, N failed", "vm: ...").
pass=0 fail=0
while read -r p f; do
	pass=$((pass + p)); fail=$((fail + f))
done < <(sed -n -E 's/^(unit|vm|fuzz|pkg|host): ([0-9]+) passed, ([0-9]+) failed$/\2 \3/p' "$log")
sections=$(grep -c -E '^(unit|vm|fuzz|pkg|host): [0-9]+ passed, [0-9]+ failed$' "$log")
expected=5
if [ "$sections" -ne "$expected" ]; then
	echo "not ok - only $sections of $expected test sections reported a result"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

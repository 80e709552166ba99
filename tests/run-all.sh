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
sidelog=$(mktemp) # the third lane's output (below)
trap 'rm -f "$log" "$sidelog"' EXIT

tests/run-unit.sh "$OUT" | tee -a "$log"
OUT="$OUT" tests/fuzz/run.sh "${PF_FUZZ_SECONDS:-10}" | tee -a "$log"
tests/pkg/run.sh "$OUT/pkg" | tee -a "$log"

suites=${PF_VM_SUITES:-enforce,agent,aiagent,approvals,auditlog,pressure,inbox,selfprot,bypass,upgrade,windows}
kernels=${PF_VM_KERNELS:-5.10,6.1,6.12,7}
# Lanes. The VM suites run two boots at a time (tests/vm/run.sh), each
# QEMU on one host thread: the two cores. A third lane runs beside them:
# the host suite, then the suites that mostly wait on the guest's clock
# (windows: a minute-long window opening and closing, twice; 275 s a boot,
# most of it idle), one boot after the other. In the two lanes such a boot
# left a core idle for minutes; here its waits are the other lanes' time.
# The third lane's output follows theirs.
waiting=windows
main=$(tr ',' '\n' <<<"$suites" | grep -vxF "$waiting" | paste -sd, -)
side=$(tr ',' '\n' <<<"$suites" | grep -xF "$waiting" | paste -sd, -)
deb=$(ls "$OUT"/pkg/deb/permafrost_*_amd64.deb 2>/dev/null | head -n 1)
(
	tests/vm/host/run.sh --kernel "${PF_HOST_KERNELS:-6.12}" ${deb:+--deb "$deb"} --out "$OUT/host"
	[ -z "$side" ] || PF_VM_JOBS=1 tests/vm/run.sh --suite "$side" --kernel "$kernels" --out "$OUT/vm-waiting"
) >"$sidelog" 2>&1 &
sidepid=$!
[ -z "$main" ] || tests/vm/run.sh --suite "$main" --kernel "$kernels" --out "$OUT/vm" | tee -a "$log"
wait "$sidepid"
tee -a "$log" <"$sidelog"

# Totals from the section summaries ("unit: N passed, N failed", "vm: ...").
pass=0 fail=0
while read -r p f; do
	pass=$((pass + p)); fail=$((fail + f))
done < <(sed -n -E 's/^(unit|vm|fuzz|pkg|host): ([0-9]+) passed, ([0-9]+) failed$/\2 \3/p' "$log")
sections=$(grep -c -E '^(unit|vm|fuzz|pkg|host): [0-9]+ passed, [0-9]+ failed$' "$log")
# unit, fuzz, pkg, host, and a vm summary per VM run
expected=4
[ -z "$main" ] || expected=$((expected + 1))
[ -z "$side" ] || expected=$((expected + 1))
if [ "$sections" -ne "$expected" ]; then
	echo "not ok - only $sections of $expected test sections reported a result"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

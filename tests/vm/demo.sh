#!/bin/bash
# make demo: boot Debian's 6.12 cloud kernel in QEMU with BPF LSM, run the
# agent, freeze, and show a root write refused (tests/vm/suites/demo).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${PF_VM_OUT:-build/vm}
tests/vm/run.sh --suite demo --kernel "${PF_DEMO_KERNEL:-6.12}" --out "$out" >/dev/null || true
log=$(ls -t "$out"/demo-*.log | head -n 1)
sed -n 's/^# demo| \{0,1\}//p' "$log" | tr -d '\r'
grep -q '^ok - demo: the thawed write landed' "$log" || { echo "demo failed; see $log" >&2; exit 1; }

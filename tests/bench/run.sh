#!/bin/bash
# make bench: boots each kernel once with tests/vm/suites/bench and prints,
# per operation, the median ns and the ratio of each configuration to "not
# loaded" (none) and to "loaded, mode off" (off: the emulator's hook-call
# floor). Not a test: nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${PF_VM_OUT:-build/vm}
[ -n "${PF_BENCH_PARSE_ONLY:-}" ] ||
	PF_VM_TIMEOUT=${PF_VM_TIMEOUT:-2400} PF_VM_JOBS=1 tests/vm/run.sh --suite bench,benchev --kernel "${PF_BENCH_KERNEL:-all}" --out "$out" >/dev/null || true
# The agent's per-event work (format, hash chain, write, rotation) on the
# host's own CPU: the emulated kernel above is 10-50x slower than hardware.
tmp=$(mktemp -d)
"${OUT:-build}/evpipe" "$tmp" "${PF_BENCH_EVPIPE_N:-500000}" | sed 's/^/== host (native): /'
rm -rf "$tmp"
for log in "$out"/benchev-*.log; do
	[ -f "$log" ] || continue
	k=$(sed -n 's/^VMTEST kernel=\([^ ]*\).*/\1/p' "$log" | tr -d '\r')
	echo "== events, kernel ${k:-$(basename "$log")} (emulated) =="
	grep -a '^# bench| events' "$log" | sed 's/^# bench| /   /' | tr -d '\r'
done
for log in "$out"/bench-*.log; do
	[ -f "$log" ] || continue
	k=$(sed -n 's/^VMTEST kernel=\([^ ]*\).*/\1/p' "$log" | tr -d '\r')
	echo "== kernel ${k:-$(basename "$log")} =="
	grep -a '^# bench| agent start' "$log" | sed 's/^# bench| /   /' | tr -d '\r'
	grep -a '^# bench| config=' "$log" | tr -d '\r' | sed 's/^# bench| //' | awk '
	{ split($1, cf, "="); split($2, o, "="); split($3, nv, "=");
	  key = o[2] SUBSEP cf[2]; v[key, ++cnt[key]] = nv[2] + 0; ops[o[2]] = 1 }
	function median(key,   i, j, t, m, a) {
		m = cnt[key]; for (i = 1; i <= m; i++) a[i] = v[key, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	END {
		printf "   %-26s %9s %9s %9s %9s   %-14s %-14s %-14s\n", "op (ns/op, median)", "none", "off", "frozen-10", "frz-100k", "10 vs none", "10 vs off", "100k vs 10"
		n = split("open-close pwrite4k stat create-unlink open-close-ro(protected) open-close(tmpfs)", order, " ")
		for (i = 1; i <= n; i++) { op = order[i]; if (!(op in ops)) continue
			a = median(op SUBSEP "none"); b = median(op SUBSEP "off"); c = median(op SUBSEP "frozen-10"); d = median(op SUBSEP "frozen-100k")
			printf "   %-26s %9d %9d %9d %9d   %-14s %-14s %-14s\n", op, a, b, c, d, (a ? sprintf("%.2fx", c / a) : "-"), (b ? sprintf("%.2fx", c / b) : "-"), (c ? sprintf("%.2fx", d / c) : "-") }
	}'
done

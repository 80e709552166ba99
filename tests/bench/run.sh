#!/bin/bash
# make bench: boots each kernel once with tests/vm/suites/bench and prints,
# per operation, the median ns and the ratio of each configuration to "not
# loaded" (none) and to "loaded, mode off" (off: the emulator's hook-call
# floor); and fork+exec of a program that is no AI agent's, with agents
# named in the policy against mode off; and, natively, the agent's
# per-event work (evpipe) and its apply step for 100,000 paths
# (applybench). Not a test: nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The VM figures are only comparable within one boot; say how busy the host
# was (other VMs share its cores).
echo "== host load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
out=${PF_VM_OUT:-build/vm}
[ -n "${PF_BENCH_PARSE_ONLY:-}" ] ||
	PF_VM_TIMEOUT=${PF_VM_TIMEOUT:-2400} PF_VM_JOBS=1 tests/vm/run.sh --suite "${PF_BENCH_SUITES:-bench,benchev}" --kernel "${PF_BENCH_KERNEL:-all}" --out "$out" >/dev/null || true
[ -n "${PF_BENCH_PARSE_ONLY:-}" ] || echo "== host load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The agent's per-event work (format, hash chain, write, rotation) on the
# host's own CPU: the emulated kernel above is 10-50x slower than hardware.
# PF_BENCH_EVPIPE_N=0 skips it.
if [ "${PF_BENCH_EVPIPE_N:-500000}" != 0 ]; then
	tmp=$(mktemp -d)
	"${OUT:-build}/evpipe" "$tmp" "${PF_BENCH_EVPIPE_N:-500000}" | sed 's/^/== host (native): /'
	rm -rf "$tmp"
fi
# The agent's apply step for 100,000 paths (parse, resolve, map fill with
# the agent's own code; maps created natively, no programs loaded): the VM
# figure "agent start with 100001 rules" is this under emulation.
tmp=$(mktemp -d)
"${OUT:-build}/applybench" "$tmp" "${PF_BENCH_APPLY_N:-100000}" 2>/dev/null | sed 's/^/== host (native): /' ||
	echo "== host (native): applybench could not run (creating BPF maps needs root)"
rm -rf "$tmp"
for log in "$out"/benchev-*.log; do
	[ -f "$log" ] || continue
	k=$(sed -n 's/^VMTEST kernel=\([^ ]*\).*/\1/p' "$log" | tr -d '\r')
	echo "== events, kernel ${k:-$(basename "$log")} (emulated) =="
	grep -a '^# bench| events' "$log" | sed 's/^# bench| /   /' | tr -d '\r'
done
# Per op: each configuration's median ns/op over the rounds with its spread
# (min-max, in % of the median), then ratios paired by round (each round's
# frozen figure over the same round's "off" or "none"), as median [min-max].
# A paired ratio cancels the host's drift between rounds; its spread is the
# noise a claim has to beat. The `stat` row is seen by no Permafrost hook:
# its ratios show that noise on an op we cannot affect.
for log in "$out"/bench-*.log; do
	[ -f "$log" ] || continue
	k=$(sed -n 's/^VMTEST kernel=\([^ ]*\).*/\1/p' "$log" | tr -d '\r')
	echo "== kernel ${k:-$(basename "$log")} =="
	grep -a '^# bench| agent start' "$log" | sed 's/^# bench| /   /' | tr -d '\r'  || true
	grep -a '^# bench| config=' "$log" | tr -d '\r' | sed 's/^# bench| //' | awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	  c = f["config"]; o = f["op"]; n = f["ns"] + 0; rd = f["round"]
	  key = o SUBSEP c; v[key, ++cnt[key]] = n; ops[o] = 1
	  at[o, c, rd] = n; rounds[rd] = 1 }
	function sortn(a, m,   i, j, t) {
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } }
	function med(a, m) { return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	function cell(o, c,   key, m, i, a, md) {
		key = o SUBSEP c; m = cnt[key]; if (!m) return "-"
		for (i = 1; i <= m; i++) a[i] = v[key, i]
		sortn(a, m); md = med(a, m)
		return sprintf("%d (%+.0f/%+.0f%%)", md, md ? 100 * (a[1] - md) / md : 0, md ? 100 * (a[m] - md) / md : 0) }
	function ratio(o, c, base,   rd, m, a) {
		m = 0
		for (rd in rounds) if ((o, c, rd) in at && (o, base, rd) in at && at[o, base, rd] > 0)
			a[++m] = at[o, c, rd] / at[o, base, rd]
		if (!m) return "-"
		sortn(a, m)
		return sprintf("%.2fx [%.2f-%.2f]", med(a, m), a[1], a[m]) }
	END {
		nr = 0; for (rd in rounds) nr++
		printf "   %d rounds; ns/op: median (min/max vs median)\n", nr
		printf "   %-26s %-22s %-22s %-22s %-22s\n", "op", "none", "off", "frozen-10", "frozen-100k"
		n = split("open-close pwrite4k stat create-unlink open-close-ro(protected) open-close(tmpfs)", order, " ")
		for (i = 1; i <= n; i++) { o = order[i]; if (!(o in ops)) continue
			printf "   %-26s %-22s %-22s %-22s %-22s\n", o, cell(o, "none"), cell(o, "off"), cell(o, "frozen-10"), cell(o, "frozen-100k") }
		printf "   ratios paired by round: median [min-max]\n"
		printf "   %-26s %-20s %-20s %-20s %-20s\n", "op", "off vs none", "10 vs off", "100k vs off", "10 vs none"
		for (i = 1; i <= n; i++) { o = order[i]; if (!(o in ops)) continue
			printf "   %-26s %-20s %-20s %-20s %-20s\n", o, ratio(o, "off", "none"), ratio(o, "frozen-10", "off"), ratio(o, "frozen-100k", "off"), ratio(o, "frozen-10", "none") }
		# marking AI agent trees: fork+exec of /bin/true, which no agent
		# line names, with agents named against the same programs off
		if ("fork-exec" in ops) {
			printf "   %-26s %-22s %-22s %-22s %-20s %-20s\n", "op", "none", "off", "agents", "agents vs off", "agents vs none"
			printf "   %-26s %-22s %-22s %-22s %-20s %-20s\n", "fork-exec", cell("fork-exec", "none"), cell("fork-exec", "off"), cell("fork-exec", "agents"), ratio("fork-exec", "agents", "off"), ratio("fork-exec", "agents", "none") }
	}'
done

# Benchmark (not a test): per-operation cost with the enforcer not loaded,
# loaded but off, frozen with 10 rules and frozen with 100,000 rules, in one
# boot. Prints "# bench| config=C op=O ns=N round=R" lines;
# tests/bench/run.sh turns them into medians, spreads and per-round ratios.
# The configurations are interleaved round by round (none, off and
# frozen-10 with one agent, in alternating order, then frozen-100k with
# another), so slow drift of the host (other VMs, thermal) falls on all of
# them alike and a ratio is taken between figures measured a minute apart.
# And fork+exec of /bin/true, a program no agent line names (what marking
# AI agents' processes costs the others): not loaded, off, and off with
# agents named (exe= and unit=), off and agents alternating twice a round.
. "$PF_LIB"
# calls per measurement, in 64 runs of which pfop reports the fastest
ITER=${PF_BENCH_ITER:-32000}
# create+unlink is ~10x slower per call: fewer calls, the same order of time
ITER_CU=$((ITER / 8))
ROUNDS=${PF_BENCH_ROUNDS:-5}
# fork+execs per measurement (at least 64: 64 runs)
EXEC_ITER=${PF_BENCH_EXEC_ITER:-128}

mkdir -p /prot/etc /prot/free /prot/many
for i in 1 2 3 4 5 6 7 8 9 10; do printf 'x\n' > /prot/etc/f$i; done
printf 'x\n' > /prot/free/x
printf 'x\n' > /tmp/x
pfop mkfiles /prot/many 100000 >/dev/null || not_ok "bench: create 100000 files" "mkfiles failed"
pf_keys_setup
{ echo "allowed-signers $PF_SIGNERS"; for i in 1 2 3 4 5 6 7 8 9 10; do echo "protect /prot/etc/f$i"; done; } > /tmp/p10.conf
{ cat /tmp/p10.conf; echo "agent claude exe=/opt/ai/claude"; echo "agent aider exe=/opt/ai/aider exe=/opt/ai/aider2";
  echo "agent ci-bot unit=deploy-bot.service unit=ai-runner.slice"; echo "agent-mode enforce"; } > /tmp/p10ai.conf
mkdir -p /opt/ai && for f in claude aider aider2; do cp "$(command -v pfop)" /opt/ai/$f; done
{ echo "allowed-signers $PF_SIGNERS"; echo "protect /prot/etc"; seq 1 100000 | sed 's|^|protect /prot/many/f|'; } > /tmp/p100k.conf

one() { # CONFIG OP-LABEL OP PATH ITER
	ns=$(pfop bench "$3" "$4" "$5" | sed -n 's/.*ns_per_op=//p')
	echo "# bench| config=$1 op=$2 ns=${ns:-0} round=$r"
}

measure() { # CONFIG
	one "$1" open-close open-close /prot/free/x $ITER
	one "$1" pwrite4k pwrite4k /prot/free/x $ITER
	one "$1" stat stat /prot/free/x $ITER
	one "$1" create-unlink create-unlink /prot/free/cu $ITER_CU
	one "$1" "open-close-ro(protected)" open-close-ro /prot/etc/f1 $ITER
	one "$1" "open-close(tmpfs)" open-close /tmp/x $ITER
}

measure_exec() { one "$1" fork-exec fork-exec /bin/true $EXEC_ITER; }

use_policy() { cp "$1" "$PF_POLICY"; }

reload_policy() { # FILE: SIGHUP the running agent, wait for its record
	n=$(grep -c '"decision":"policy-reload"' "$PF_LOG")
	cp "$1" "$PF_POLICY"
	kill -HUP "$(cat /tmp/permafrostd.pid)"
	i=0; while [ "$(grep -c '"decision":"policy-reload"' "$PF_LOG")" = "$n" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

r=0
while [ $r -lt $ROUNDS ]; do
	measure none
	measure_exec none
	use_policy /tmp/p10.conf
	start_agent || { not_ok "bench: agent starts" "see above"; exit 1; }
	if [ $((r % 2)) -eq 0 ]; then
		measure off
		permafrost freeze --reason bench >/dev/null
		measure frozen-10
		[ $r -eq 0 ] && expect EPERM "bench: the 10-rule policy is enforced" pfop write /prot/etc/f1 x
		pf_thaw >/dev/null
	else
		permafrost freeze --reason bench >/dev/null
		measure frozen-10
		pf_thaw >/dev/null
		measure off
	fi
	for j in 1 2; do
		measure_exec off
		reload_policy /tmp/p10ai.conf
		[ $r$j = 01 ] && expect EPERM "bench: the agents' policy is loaded (an agent is held)" /opt/ai/claude write /prot/etc/f1 x
		measure_exec agents
		reload_policy /tmp/p10.conf
	done
	stop_agent
	use_policy /tmp/p100k.conf
	t0=$(cut -d' ' -f1 /proc/uptime)
	start_agent || { not_ok "bench: agent starts with 100k rules" "see above"; exit 1; }
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "# bench| agent start with 100001 rules: $(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}') s"
	permafrost freeze --reason bench >/dev/null
	[ $r -eq 0 ] && expect EPERM "bench: the 100k policy is enforced" pfop write /prot/many/f99999 x
	measure frozen-100k
	pf_thaw >/dev/null
	stop_agent
	r=$((r + 1))
done
ok "bench: completed"

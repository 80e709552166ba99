# Self-protection, part 3: a restart while frozen, a second agent, thaw.
. "$PF_SUITE_DIR/setup.inc"

kill -0 "$AGENT" 2>/dev/null && permafrost status | grep -q '^Mode: *enforce' && ok "part 3: the frozen agent survived the end of part 2" || not_ok "part 3: agent from part 2" "$(permafrost status 2>&1 | head -n 1)"
# A restart while frozen (a crash): here the agent is moved to another
# cgroup and killed there (moving it cannot be refused: a known gap). The
# links stay pinned, the new agent is trusted at exec, adopts the pinned
# maps and delivers what happened meanwhile.
# (the agent re-records its cgroup within a second of a move, so the kill
# must follow the move at once; a fresh cgroup per try)
# Before 5.14 (no cgroup.kill) root crashes it through the OOM killer
# instead (sysrq f), after raising its oom_score_adj: the same known gap.
for try in 1 2 3; do
	mkdir -p /sys/fs/cgroup/victim$try
	if [ -e /sys/fs/cgroup/victim$try/cgroup.kill ]; then
		echo "$AGENT" > /sys/fs/cgroup/victim$try/cgroup.procs
		echo 1 > /sys/fs/cgroup/victim$try/cgroup.kill 2>/dev/null && break
	else
		echo 1000 > /proc/$AGENT/oom_score_adj && echo f > /proc/sysrq-trigger && break
	fi
done
sleep 1
kill -0 "$AGENT" 2>/dev/null && not_ok "crash: agent gone" "still there" || ok "crash: agent gone"
expect EPERM "crash: still enforcing with the agent dead" pfop write /prot/etc/app.conf whiledown
expect EPERM "crash: pins still protected with the agent dead" pfop unlink "$SET/file_open"
agent_up
expect_event "crash restart: event made while down delivered" '"decision":"deny"' 'etc/app.conf"' '"op":"open-write"'
expect_event "crash restart: adopted the pinned set" '"decision":"agent-adopt"' "\"links\":\"$SET\""
permafrost status | grep -q '^Mode: *enforce' && ok "crash restart: still enforce" || not_ok "crash restart: enforce" "$(permafrost status)"
expect EPERM "crash restart: signals refused for the new agent" pfop kill "$AGENT" 15
out=$(timeout 60 env -u LD_LIBRARY_PATH permafrostd --policy "$PF_POLICY" --state-dir "$PF_STATE" --log "$PF_LOG" --socket /tmp/s2 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "another permafrostd (pid $AGENT) is running" && ok "a second agent refuses to start" || not_ok "second agent" "rc=$rc $out"
printf 'mode off\n' > /tmp/other.conf
out=$(timeout 60 env -u LD_LIBRARY_PATH permafrostd --policy /tmp/other.conf --state-dir /tmp/st3 --log /tmp/l3 --socket /tmp/s3 2>&1); rc=$?
[ $rc != 0 ] && ok "an agent with another policy does not take over ($(echo "$out" | tail -n 1 | head -c 80))" || not_ok "other-policy agent" "rc=$rc $out"

# Thaw: everything is allowed again; the agent stops and removes its pins.
check "thaw" pf_thaw
expect OK "thawed: the policy can be edited" pfop write "$PF_POLICY" "# ok"
stop_agent
kill -0 "$AGENT" 2>/dev/null && not_ok "thawed: agent stops" "still running" || ok "thawed: agent stops"
# only the audit chain's head and the kept log outage outlive a thawed
# stop (docs/audit-log.md)
[ "$(ls $PIN 2>/dev/null | tr '\n' ' ')" = "chain-head log-outage " ] &&
	ok "thawed stop: no pins left but the chain head and the kept outage" || not_ok "thawed stop: pins" "$(ls $PIN)"

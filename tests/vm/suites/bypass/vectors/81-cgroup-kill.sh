# vector: write 1 to cgroup.kill (and cgroup.freeze) of the agent's cgroup or an ancestor
# expect: refused: EPERM, tamper cgroup-kill, the agent lives
. "$PF_SUITE_DIR/vector.inc"
pid=$(cat /tmp/permafrostd.pid)
cg=$(sed -n 's/^0:://p' /proc/$pid/cgroup)
root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [ -z "$root" ]; then
	mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || harness "no cgroup2"
	root=/sys/fs/cgroup
fi
# The agent recorded its cgroup at start; / is always an ancestor.
attempt pfop write "$root$cg/cgroup.kill" 1
refused_with EPERM "cgroup.kill of the agent's cgroup ($cg)"
attempt pfop write "$root$cg/cgroup.freeze" 1
refused_with EPERM "cgroup.freeze of the agent's cgroup"
sleep 0.5
kill -0 "$pid" 2>/dev/null || bypassed "the agent died"
event '"decision":"tamper"' '"op":"cgroup-kill"'

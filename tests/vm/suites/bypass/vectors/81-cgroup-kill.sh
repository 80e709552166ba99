# vector: write 1 to cgroup.kill (and cgroup.freeze) of the agent's cgroup, also after moving the agent
# expect: refused: EPERM, tamper cgroup-kill, the agent lives
. "$PF_SUITE_DIR/vector.inc"
pid=$(cat /tmp/permafrostd.pid)
root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [ -z "$root" ]; then
	mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || harness "cannot mount cgroup v2"
	root=/sys/fs/cgroup
fi
# The root cgroup has no cgroup.kill: move the agent into a child first
# (allowed: no hook sees the pid a cgroup.procs write moves). The agent
# records its cgroup and ancestors within a second of a move.
mkdir -p "$root/bp-agent" || harness "mkdir $root/bp-agent"
echo "$pid" > "$root/bp-agent/cgroup.procs" || harness "cannot move the agent"
sleep 3
cg=$(sed -n 's/^0:://p' /proc/$pid/cgroup)
[ "$cg" = /bp-agent ] || harness "agent in $cg"
# cgroup.kill exists from 5.14 (5.10: cgroup.freeze only)
if [ -e "$root$cg/cgroup.kill" ]; then
	attempt pfop write "$root$cg/cgroup.kill" 1
	refused_with EPERM "cgroup.kill of the agent's cgroup ($cg)"
else
	case $(uname -r) in 5.10.*) ;; *) bypassed "no cgroup.kill in $root$cg on $(uname -r)" ;; esac
fi
attempt pfop write "$root$cg/cgroup.freeze" 1
refused_with EPERM "cgroup.freeze of the agent's cgroup"
sleep 0.5
kill -0 "$pid" 2>/dev/null || bypassed "the agent died"
event '"decision":"tamper"' '"op":"cgroup-kill"'

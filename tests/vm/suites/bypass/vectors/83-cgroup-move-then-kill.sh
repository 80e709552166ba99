# vector: move the agent into another cgroup (cgroup.procs), then cgroup.kill that cgroup
# expect: out-of-reach: no LSM hook sees which pid a cgroup.procs write moves; the kernel-internal kill has no task_kill hook. Enforcement continues (pinned links) and the restarted agent delivers the events made meanwhile (selfprot suite), but the agent is down until systemd restarts it

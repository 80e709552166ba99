/* SPDX-License-Identifier: GPL-2.0 */
/* Every map of the programs, and the one way to read the config. The agent
 * reaches them by these names through the skeleton and pins them under
 * them, so a name is part of the interface: an upgrade adopts the pinned
 * maps of the same name (and layout, PF_MAPS_VERSION). Part of
 * permafrost.bpf.c. */
#ifndef PF_MAPS_BPF_H
#define PF_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pf_config);
} pf_config_map SEC(".maps");

/* The windows' current or next frozen stretch (struct pf_schedule). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pf_schedule);
} schedule SEC(".maps");

/* (dev, ino) -> rule. Sized by the agent before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pf_key);
	__type(value, struct pf_rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} rules SEC(".maps");

/* Superblocks (kernel dev) that hold at least one protect rule: the cheap
 * filter in front of every walk. Value: number of rules. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} protected_sbs SEC(".maps");

/* Ancestors of protected objects (directories up to "/", mount points
 * included): renaming them or mounting over them would make a protected
 * path lead elsewhere. Filled by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pf_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} guards SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/* Live approvals, keyed by the identity of their scope (see permafrost.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pf_akey);
	__type(value, struct pf_approval_k);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} approvals SEC(".maps");

/* Failed ring-buffer reservations, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Decisions taken, per CPU, indexed by enum pf_decision. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-inode cached verdicts, valid while their generation equals the
 * config's policy_gen. The agent bumps it on every rules or mode change; the
 * programs bump it on every rename and link (which change ancestry) and
 * when a rule dies with its inode. */
struct verdict {
	__u64 gen;  /* config.policy_gen (the agent's changes) */
	__u64 agen; /* ancestry_gen (the kernel's) */
	__u32 kind; /* 0 (none), PF_RULE_PROTECT or PF_RULE_EXEMPT */
	__u32 rule_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct verdict);
} verdicts SEC(".maps");

/* Bumped by the programs (only) whenever ancestry may have changed. */
__u64 ancestry_gen = 0;

/* Read-only remounts on their way from sb_mount to sb_remount (which is
 * not told the flags): task -> superblock. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u64);
} ro_remounts SEC(".maps");

/* tgid -> struct pf_agent_proc: processes that exec'd the agent binary
 * cleanly (see self.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct pf_agent_proc);
} agent_procs SEC(".maps");

/* Ids of Permafrost's own maps (written by the agent): only the agent may
 * hold a writable fd of them. Value unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} own_maps SEC(".maps");

/* cgroup ids (cgroupfs directory inodes) of the agent's cgroup and its
 * ancestors: their cgroup.kill / cgroup.freeze are refused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u32);
} agent_cgroups SEC(".maps");

/* Per-CPU scratch for the string an agent exec's scan reads (too large
 * for the stack). */
struct envchunk {
	char buf[ENV_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct envchunk);
} envscan_buf SEC(".maps");

/* AI agents' files (policy `agent NAME exe=PATH`, resolved like
 * `protect`): (dev, ino) -> the agent's index. Exec'ing one marks the
 * process (aiagent.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_MAX_AI_EXES);
	__type(key, struct pf_key);
	__type(value, __u32);
} ai_exes SEC(".maps");

/* The marks of AI agents' processes (struct pf_mark), one per task. Task
 * storage (5.11) in the default build; the compat build (5.10 has no task
 * storage for LSM programs) keys a hash by the task's address, and
 * task_free removes the entry with the task. */
#ifdef PF_COMPAT
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct pf_mark);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ai_marks SEC(".maps");

static __always_inline struct pf_mark *current_mark(void)
{
	__u64 key = bpf_get_current_task();

	return bpf_map_lookup_elem(&ai_marks, &key);
}
#else
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pf_mark);
} ai_marks SEC(".maps");

static __always_inline struct pf_mark *current_mark(void)
{
	return bpf_task_storage_get(&ai_marks, current_task(), 0, 0);
}
#endif

/* The live tasks of each AI agent's tree, for `permafrost status`
 * (aiagent.bpf.h keeps it; the agent drops trees that reached 0). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_AI_TREES_MAX);
	__type(key, struct pf_tree_key);
	__type(value, __u64);
} ai_trees SEC(".maps");

/* The config as the agent last wrote it, whatever the mode. */
static __always_inline struct pf_config *get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pf_config_map, &zero);
}

/* The mode in force now: the manual one (freeze, thaw), or the schedule's
 * while inside its stretch, whichever is stricter (off < audit < enforce).
 * The boot clock is read only when the schedule could change the answer. */
static __always_inline __u32 mode_now(const struct pf_config *cfg)
{
	__u32 zero = 0, mode = cfg->mode;
	struct pf_schedule *s;

	if (!(cfg->flags & PF_CFG_SCHEDULE))
		return mode;
	s = bpf_map_lookup_elem(&schedule, &zero);
	if (s && s->mode > mode) {
		__u64 now = bpf_ktime_get_boot_ns();

		if (s->start && now >= s->start && now < s->end)
			mode = s->mode;
	}
	return mode;
}

/* The mode the current task is held to: the host's (mode_now), or for a
 * process of an AI agent's tree the stricter of it and the policy's
 * agent-mode. An unmarked task pays a compare while agent-mode is off, a
 * mark lookup while the host is less strict than agent-mode. */
static __always_inline __u32 mode_for_current(const struct pf_config *cfg)
{
	__u32 mode = mode_now(cfg);

	if (cfg->ai_mode > mode && current_mark())
		mode = cfg->ai_mode;
	return mode;
}

/* The config, or NULL while the mode the current task is held to is off
 * (nothing is decided then). A hook reads it once, after its cheap tests,
 * and hands it on. */
static __always_inline struct pf_config *active_config(void)
{
	struct pf_config *cfg = get_config();

	return cfg && mode_for_current(cfg) != PF_MODE_OFF ? cfg : NULL;
}

#endif

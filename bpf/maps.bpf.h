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

/* Open runs of repeated decisions, a thread's in slot pf_repeat_slot(tid)
 * (events.bpf.h). Changed under the slot's lock only (`lock`; in the
 * compat build, `repeat_locks`): a repeat counted
 * here is sent in a pf_repeat or counted in `lost`, never dropped. */
struct repeat_slot {
	struct bpf_spin_lock lock;
	__u32 tid;      /* the run's thread; 0: no run */
	__u32 tgid;
	__u32 op;
	__u32 decision;
	__u32 mode;
	__u32 rule_id;
	__u32 approval;
	__u64 dev;
	__u64 ino;
	__u64 first_ns;
	__u64 last_ns;
	__u64 count;    /* repeats not yet sent */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PF_REPEAT_SLOTS);
	__type(key, __u32);
	__type(value, struct repeat_slot);
} repeats SEC(".maps");

#ifdef PF_COMPAT
/* 5.10 gives LSM programs no bpf_spin_lock: a slot is held by whoever
 * inserts its index here (BPF_NOEXIST: one wins, atomically), and
 * released by deleting it (events.bpf.h, slot_trylock). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_REPEAT_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} repeat_locks SEC(".maps");
#endif

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

/* The nearest rule of directories that new names and new inodes were
 * judged in, so that a new object costs its own rule's lookup and this
 * one (walk.bpf.h: rule_above()). A hash keyed by the directory's (dev,
 * ino), not inode storage: the path hooks reach the directory through
 * d_parent, a pointer newer verifiers do not let a program hand to
 * bpf_inode_storage_get(). An entry is valid while its generations are
 * the current ones and its i_generation is the directory's (an inode
 * number reused by another directory does not match); inode_free_security
 * drops the entry of a dying directory. LRU: a full map forgets the
 * coldest entry, which only costs a walk. */
struct dir_verdict {
	__u64 gen;  /* config.policy_gen */
	__u64 agen; /* ancestry_gen */
	__u32 igen; /* the directory's i_generation */
	__u32 kind; /* as in struct verdict */
	__u32 rule_id;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PF_DIR_VERDICTS_MAX);
	__type(key, struct pf_key);
	__type(value, struct dir_verdict);
} dir_verdicts SEC(".maps");

/* The last operation a path hook let through, per CPU, so that its inode
 * hook does not judge it again (decide.bpf.h: judged_by_path_hook()). */
struct judged {
	__u64 task;   /* the task's address; 0: used */
	__u64 dentry; /* the object's dentry (for link and rename: the new name) */
	__u64 gen;    /* config.policy_gen then */
	__u64 agen;   /* ancestry_gen then */
	__u32 op;     /* enum pf_op */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct judged);
} judged SEC(".maps");

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

/* AI agents' systemd units (policy `agent NAME unit=UNIT`): their cgroup
 * directory's name -> the agent's index (aiagent.bpf.h compares a task's
 * cgroup and its ancestors). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_MAX_AI_UNITS);
	__type(key, struct pf_unit_key);
	__type(value, __u32);
} ai_units SEC(".maps");

/* What the names of a cgroup and its ancestors said, by cgroup id (never
 * reused; a cgroup2 directory cannot be renamed): its agent or
 * PF_AI_NONE, under config.policy_gen @gen. */
struct ai_cgroup {
	__u64 gen;
	__u32 agent;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ai_cgroup);
} ai_cgroups SEC(".maps");

/* Per-CPU scratch for the cgroup name compared (too large for the
 * stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pf_unit_key);
} ai_unit_buf SEC(".maps");

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

/* The routes out of an AI agent's tree (agentroutes.bpf.h), filled by
 * the agent: the bound names of the Unix sockets its processes may not
 * connect to (policy agent-deny-socket), sshd's ports (agent-ssh-port,
 * host order), the host's own addresses (refreshed every second), the
 * agent-only objects' ancestors. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_MAX_AI_SOCKETS);
	__type(key, struct pf_sock_name);
	__type(value, __u32);
} ai_sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_MAX_AI_SSH_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} ai_ssh_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_MAX_AI_LOCAL_ADDRS);
	__type(key, struct pf_inaddr);
	__type(value, __u32);
} ai_local_addrs SEC(".maps");

/* Ancestors of the agent-only objects (the at/cron spools, systemd's unit
 * directories): guards for AI agents' processes only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_MAX_AI_GUARDS);
	__type(key, struct pf_key);
	__type(value, __u32);
} ai_guards SEC(".maps");

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

/* SPDX-License-Identifier: GPL-2.0 */
/* AI agents: marking their processes. A process that execs one of the
 * files the policy names in `agent NAME exe=PATH`, or that execs or forks
 * in the cgroup of a unit named in `agent NAME unit=UNIT`, is marked
 * (struct pf_mark in `ai_marks`); every task it creates inherits the mark, which
 * survives every later exec and which nothing but the task's end removes.
 * What a mark changes: mode_for_current() (maps.bpf.h: agent-mode holds
 * the tree even on a thawed host), pf_approved() (approvals.bpf.h: only
 * tokens for agents apply) and every record (events.bpf.h). Part of
 * permafrost.bpf.c. */
#ifndef PF_AIAGENT_BPF_H
#define PF_AIAGENT_BPF_H

/* One more (@d 1) or one fewer (-1) live task in @m's tree. */
static __always_inline void tree_add(const struct pf_mark *m, __s64 d)
{
	struct pf_tree_key k = { .agent = m->agent, .root_pid = m->root_pid,
				 .marked_ns = m->marked_ns };
	__u64 *n = bpf_map_lookup_elem(&ai_trees, &k), one = 1;

	if (!n && d > 0 && bpf_map_update_elem(&ai_trees, &k, &one, BPF_NOEXIST) == 0)
		return;
	if (!n)
		n = bpf_map_lookup_elem(&ai_trees, &k);
	if (n)
		__sync_fetch_and_add(n, d);
}

#ifdef PF_COMPAT

static __always_inline int ai_mark_task(__u64 task, const struct pf_mark *m)
{
	/* BPF_ANY: a task address reused after a lost task_free never keeps a
	 * stale mark */
	return bpf_map_update_elem(&ai_marks, &task, m, BPF_ANY) ? -ENOMEM : 0;
}

static __always_inline int ai_mark_current(const struct pf_mark *m)
{
	return ai_mark_task(bpf_get_current_task(), m);
}

static __always_inline void ai_forget(struct task_struct *task)
{
	__u64 key = pf_scalar(task);
	struct pf_mark *m = bpf_map_lookup_elem(&ai_marks, &key);

	if (!m)
		return;
	tree_add(m, -1);
	bpf_map_delete_elem(&ai_marks, &key);
}

#else

static __always_inline int ai_mark_task(struct task_struct *task, struct pf_mark *m)
{
	return bpf_task_storage_get(&ai_marks, task, m, BPF_LOCAL_STORAGE_GET_F_CREATE) ? 0
											 : -ENOMEM;
}

static __always_inline int ai_mark_current(struct pf_mark *m)
{
	return ai_mark_task(current_task(), m);
}

/* Task storage ends with its task (after this hook: its mark is still
 * there to say which tree lost a task). */
static __always_inline void ai_forget(struct task_struct *task)
{
	struct pf_mark *m = bpf_task_storage_get(&ai_marks, task, 0, 0);

	if (m)
		tree_add(m, -1);
}

#endif

/* --- agent NAME unit=UNIT ---------------------------------------------- */

/* struct kernfs_node before 6.15 (from then on "__parent", RCU). */
struct kernfs_node___plain_parent {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___plain_parent, parent))
		return BPF_CORE_READ((struct kernfs_node___plain_parent *)kn, parent);
	return BPF_CORE_READ(kn, __parent);
}

/* The agent whose unit the current task's cgroup is, or is below (the
 * default hierarchy's cgroup, its name and its ancestors' compared with
 * `ai_units`, PF_AI_UNIT_DEPTH levels), or PF_AI_NONE. Names are matched,
 * not cgroup ids: a unit started or restarted after the policy was loaded
 * gets a new cgroup and is known from its first exec, whether or not
 * permafrostd is there. The answer is cached by cgroup id. */
static __always_inline __u32 unit_agent(const struct pf_config *cfg)
{
	__u64 id = bpf_get_current_cgroup_id();
	struct ai_cgroup *c = bpf_map_lookup_elem(&ai_cgroups, &id), v = {};
	struct kernfs_node *kn;
	struct pf_unit_key *buf;
	__u32 zero = 0, *idx;

	if (c && c->gen == cfg->policy_gen)
		return c->agent;
	buf = bpf_map_lookup_elem(&ai_unit_buf, &zero);
	if (!buf)
		return PF_AI_NONE;
	v.gen = cfg->policy_gen;
	v.agent = PF_AI_NONE;
	kn = BPF_CORE_READ(current_task(), cgroups, dfl_cgrp, kn);
	for (int i = 0; i < PF_AI_UNIT_DEPTH && kn; i++) {
		__builtin_memset(buf, 0, sizeof(*buf));
		if (bpf_probe_read_kernel_str(buf->name, sizeof(buf->name),
					      BPF_CORE_READ(kn, name)) > 0) {
			idx = bpf_map_lookup_elem(&ai_units, buf);
			if (idx) {
				v.agent = *idx;
				break;
			}
		}
		kn = kn_parent(kn);
	}
	bpf_map_update_elem(&ai_cgroups, &id, &v, BPF_ANY);
	return v.agent;
}

/* Marks the current task, unmarked, as the root of @agent's tree, started
 * from the file @dev/@ino. */
static __always_inline int ai_mark_root(__u32 agent, __u64 dev, __u64 ino)
{
	struct pf_mark m = { .agent = agent, .root_pid = bpf_get_current_pid_tgid() >> 32,
			     .root_dev = dev, .root_ino = ino,
			     .marked_ns = bpf_ktime_get_boot_ns() };

	if (ai_mark_current(&m) < 0)
		return -ENOMEM;
	tree_add(&m, 1);
	return 0;
}

/* An exec (any step) by an unmarked task in an agent's unit marks it;
 * @dev/@ino is the file of the step. */
static __always_inline int ai_unit_exec(const struct pf_config *cfg, __u64 dev, __u64 ino)
{
	__u32 agent;

	if (!(cfg->flags & PF_CFG_AI_UNITS) || current_mark())
		return 0;
	agent = unit_agent(cfg);
	return agent == PF_AI_NONE ? 0 : ai_mark_root(agent, dev, ino);
}

/* A fork by an unmarked task in an agent's unit (one that started before
 * the policy named the unit, or that was moved into it) marks it, its
 * executable as the root's file, before the child copies the mark. No
 * mark can be stored: -ENOMEM (the fork is refused). */
static __always_inline int ai_unit_fork(const struct pf_config *cfg)
{
	struct file *exe;
	__u32 agent;

	if (!(cfg->flags & PF_CFG_AI_UNITS))
		return 0;
	agent = unit_agent(cfg);
	if (agent == PF_AI_NONE)
		return 0;
	exe = BPF_CORE_READ(current_task(), mm, exe_file);
	return ai_mark_root(agent, BPF_CORE_READ(exe, f_inode, i_sb, s_dev),
			    BPF_CORE_READ(exe, f_inode, i_ino));
}

/* Every step of an exec: the file named (a `#!` script too), then each
 * interpreter binfmt_script or binfmt_misc goes on to (bprm->file is the
 * file of this step; by bprm_committing_creds a script's file is gone).
 * A match marks the process, unless it is marked already: the first mark
 * (its root) stays. No mark can be stored: the exec is refused (fail
 * closed). An exec that fails after this step leaves the mark. */
PF_LSM(bprm_check_security, struct linux_binprm *bprm)
{
	struct pf_config *cfg = get_config();
	struct inode *inode;
	struct pf_key k;
	__u32 *idx;

	if (!cfg || (!cfg->n_ai_exes && !(cfg->flags & PF_CFG_AI_UNITS)))
		return 0;
	inode = BPF_CORE_READ(bprm, file, f_inode);
	if (!inode)
		return 0;
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	idx = cfg->n_ai_exes ? bpf_map_lookup_elem(&ai_exes, &k) : NULL;
	if (!idx)
		return ai_unit_exec(cfg, k.dev, k.ino);
	if (current_mark())
		return 0;
	return ai_mark_root(*idx, k.dev, k.ino);
}

/* A new task (fork, clone, a thread) of a marked one gets its mark (and
 * of one in an agent's unit: ai_unit_fork). */
PF_LSM(task_alloc, struct task_struct *task, unsigned long clone_flags)
{
	struct pf_mark *p = current_mark(), m;
	struct pf_config *cfg;

	if (!p && (cfg = get_config())) {
		if (ai_unit_fork(cfg) < 0)
			return -ENOMEM;
		p = current_mark();
	}
	if (!p)
		return 0;
	m = *p;
#ifdef PF_COMPAT
	if (ai_mark_task(pf_scalar(task), &m) < 0)
		return -ENOMEM;
#else
	if (ai_mark_task(task, &m) < 0)
		return -ENOMEM;
#endif
	tree_add(&m, 1);
	return 0;
}

/* @task's mark, or NULL. */
static __always_inline struct pf_mark *task_mark(struct task_struct *task)
{
#ifdef PF_COMPAT
	__u64 key = pf_scalar(task);

	return bpf_map_lookup_elem(&ai_marks, &key);
#else
	return bpf_task_storage_get(&ai_marks, task, 0, 0);
#endif
}

/* Is the current task, of an agent's tree, reaching into a task outside
 * that tree (ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd)? Such
 * a task may act for it unmarked: a human's shell, with the approvals
 * meant for humans. Only while agent-mode is not off (marks are labels
 * then). */
static __always_inline int ai_reaches_out(struct pf_config *cfg, struct task_struct *child)
{
	struct pf_mark *m, *cm;

	if (cfg->ai_mode == PF_MODE_OFF)
		return 0;
	m = current_mark();
	if (!m)
		return 0;
	cm = task_mark(child);
	return !cm || cm->agent != m->agent || cm->root_pid != m->root_pid ||
	       cm->marked_ns != m->marked_ns;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* AI agents: marking their processes. A process that execs one of the
 * files the policy names in `agent NAME exe=PATH` is marked (struct
 * pf_mark in `ai_marks`); every task it creates inherits the mark, which
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
	struct pf_mark m;
	__u32 *idx;

	if (!cfg || !cfg->n_ai_exes)
		return 0;
	inode = BPF_CORE_READ(bprm, file, f_inode);
	if (!inode)
		return 0;
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	idx = bpf_map_lookup_elem(&ai_exes, &k);
	if (!idx || current_mark())
		return 0;
	m.agent = *idx;
	m.root_pid = bpf_get_current_pid_tgid() >> 32;
	m.root_dev = k.dev;
	m.root_ino = k.ino;
	m.marked_ns = bpf_ktime_get_boot_ns();
	if (ai_mark_current(&m) < 0)
		return -ENOMEM;
	tree_add(&m, 1);
	return 0;
}

/* A new task (fork, clone, a thread) of a marked one gets its mark. */
PF_LSM(task_alloc, struct task_struct *task, unsigned long clone_flags)
{
	struct pf_mark *p = current_mark(), m;

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

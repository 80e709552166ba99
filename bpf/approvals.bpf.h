/* SPDX-License-Identifier: GPL-2.0 */
/* Approvals: does a live approval cover this change of this object, by
 * this task? The entries (see struct pf_approval_k) are keyed by their
 * scope's identity; a walk up the object's ancestors finds exact, subtree
 * and named-child ones. The kernel checks the expiry itself, so an
 * approval dies on time even if the agent is dead. Part of
 * permafrost.bpf.c. */
#ifndef PF_APPROVALS_BPF_H
#define PF_APPROVALS_BPF_H

struct awalk {
	struct dentry *d;
	__u64 dev;
	__u64 now;
	__u64 cgroup;
	__u64 exe_dev, exe_ino;
	__u32 level;
	__u32 cls;
	__u32 uid;
	__u32 slot;     /* the approving entry's slot, when approved */
	__u32 approved;
	__u32 name_hash;
	__u32 ai_agent; /* the caller's AI agent (agent-mode on), or PF_AI_NONE */
	char name[PF_APPROVAL_NAME_MAX]; /* the object's last component */
};

static __always_inline int name_eq(const char *a, const char *b)
{
	for (int i = 0; i < PF_APPROVAL_NAME_MAX; i++) {
		if (a[i] != b[i])
			return 0;
		if (!a[i])
			return 1;
	}
	return 0;
}

static __always_inline int approval_permits(struct awalk *w, struct pf_approval_k *a)
{
	if (w->now >= a->expires_boot_ns)
		return 0;
	if (!(a->ops & w->cls))
		return 0;
	if ((a->flags & PF_APR_UID) && a->uid != w->uid)
		return 0;
	if ((a->flags & PF_APR_CGROUP) && a->cgroup_id != w->cgroup)
		return 0;
	if ((a->flags & PF_APR_EXE) && (a->exe_dev != w->exe_dev || a->exe_ino != w->exe_ino))
		return 0;
	/* an AI agent's process: only a token that names its agent (or any),
	 * which the agent installed only with agent-approvals approvers */
	if (w->ai_agent != PF_AI_NONE &&
	    (!(a->flags & PF_APR_AI) || (a->ai_agent != PF_AI_ANY && a->ai_agent != w->ai_agent)))
		return 0;
	return 1;
}

static __always_inline int try_approval(struct awalk *w, struct pf_akey *key, int named)
{
	struct pf_approval_k *a = bpf_map_lookup_elem(&approvals, key);
	int applies;

	if (!a)
		return 0;
	if (named)
		applies = (a->flags & PF_APR_NAME) && name_eq(a->name, w->name);
	else if (a->flags & PF_APR_SUBTREE)
		applies = 1;
	else
		applies = w->level == 0 && !(a->flags & PF_APR_NAME);
	if (applies && approval_permits(w, a)) {
		w->approved = 1;
		w->slot = a->slot;
		return 1;
	}
	return 0;
}

/* Approvals held at w->d: exact (level 0) or subtree ones, or (@named) a
 * create-style approval for the object's name in this directory. */
static __always_inline int approval_here(struct awalk *w, int named)
{
	struct dentry *d = w->d;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct pf_akey key = {};

	if (!inode)
		return 0;
	key.dev = w->dev;
	key.ino = BPF_CORE_READ(inode, i_ino);
	if (named)
		key.name_hash = w->name_hash;
	return try_approval(w, &key, named);
}

/* One level up; 1 at the root. */
static __always_inline int approval_up(struct awalk *w)
{
	struct dentry *d = w->d, *parent = BPF_CORE_READ(d, d_parent);

	if (!parent || parent == d)
		return 1;
	w->d = parent;
	w->level++;
	return 0;
}

PF_LOOP_FN approval_step(__u32 i, void *ctx)
{
	struct awalk *w = ctx;

	return approval_here(w, 0) || approval_up(w);
}

/* Does a live approval cover @op on the dentry @dp (on @dev) for the
 * current task (for an AI agent's process while agent-mode is on: an
 * approval for agents)? The approving entry's slot + 1, or 0. A global function
 * (compat.bpf.h): verified once per program. */
__noinline __u64 pf_approved(__u64 dp, __u64 dev, __u64 op)
{
	struct task_struct *task = current_task();
	struct dentry *d = (struct dentry *)dp;
	struct pf_config *cfg;
	struct awalk w = {};

	w.d = d;
	w.dev = dev;
	w.now = bpf_ktime_get_boot_ns();
	w.cls = pf_op_class((__u32)op);
	w.uid = (__u32)bpf_get_current_uid_gid();
	w.cgroup = bpf_get_current_cgroup_id();
	w.exe_ino = BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
	w.exe_dev = BPF_CORE_READ(task, mm, exe_file, f_inode, i_sb, s_dev);
	w.ai_agent = PF_AI_NONE;
	cfg = get_config();
	if (cfg && cfg->ai_mode != PF_MODE_OFF) {
		struct pf_mark *m = current_mark();

		if (m)
			w.ai_agent = m->agent;
	}
	bpf_probe_read_kernel_str(w.name, sizeof(w.name), BPF_CORE_READ(d, d_name.name));
	w.name_hash = pf_name_hash(w.name);
	/* the object, then its parent (where a create-style approval for the
	 * object's name is also looked up), then the loop over the rest: the
	 * named check, with its byte-wise compare, stays out of the loop */
	if (!(approval_here(&w, 0) || approval_up(&w) || approval_here(&w, 0) ||
	      approval_here(&w, 1) || approval_up(&w)))
		PF_LOOP(PF_MAX_DEPTH, PF_COMPAT_DEPTH, approval_step, &w);
	return w.approved ? (__u64)w.slot + 1 : 0;
}

/* Is @h approved for the current task? If so, h->approval names the
 * approving entry's slot. */
static __always_inline int approved(struct hit *h)
{
	__u64 r = pf_approved(pf_scalar(h->d), h->dev, h->op);

	if (!r)
		return 0;
	h->approval = (__u32)(r - 1);
	return 1;
}

#endif

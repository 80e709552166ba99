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

PF_LOOP_FN approval_step(__u32 i, void *ctx)
{
	struct awalk *w = ctx;
	struct dentry *d = w->d;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct dentry *parent;

	if (inode) {
		struct pf_akey key = { .dev = w->dev, .ino = BPF_CORE_READ(inode, i_ino) };

		/* exact (level 0) or subtree approvals of this object */
		if (try_approval(w, &key, 0))
			return 1;
		/* a create-style approval for the object's name in its parent */
		if (w->level == 1) {
			key.name_hash = w->name_hash;
			if (try_approval(w, &key, 1))
				return 1;
		}
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	w->d = parent;
	w->level++;
	return 0;
}

/* Is @h approved for the current task? If so, h->approval names the
 * approving entry's slot. */
static __always_inline int approved(struct hit *h)
{
	struct task_struct *task = current_task();
	/* a local, not h->d inside BPF_CORE_READ(): a CO-RE access through
	 * @h would keep the whole hit in memory */
	struct dentry *d = h->d;
	struct awalk w = {};

	w.d = d;
	w.dev = h->dev;
	w.now = bpf_ktime_get_boot_ns();
	w.cls = pf_op_class(h->op);
	w.uid = (__u32)bpf_get_current_uid_gid();
	w.cgroup = bpf_get_current_cgroup_id();
	w.exe_ino = BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
	w.exe_dev = BPF_CORE_READ(task, mm, exe_file, f_inode, i_sb, s_dev);
	bpf_probe_read_kernel_str(w.name, sizeof(w.name), BPF_CORE_READ(d, d_name.name));
	w.name_hash = pf_name_hash(w.name);
	PF_LOOP(PF_MAX_DEPTH, PF_COMPAT_DEPTH, approval_step, &w);
	if (w.approved)
		h->approval = w.slot;
	return w.approved;
}

#endif

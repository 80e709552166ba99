/* SPDX-License-Identifier: GPL-2.0 */
/* The decision for one object: its nearest rule (walk.bpf.h), then the
 * agent's own files, then approvals, then the mode's verdict. Every entry
 * takes the active config its hook read (never NULL, mode not off). Part
 * of permafrost.bpf.c. */
#ifndef PF_DECIDE_BPF_H
#define PF_DECIDE_BPF_H

/* Apply the mode (the one the current task is held to: an AI agent's
 * process may be held to agent-mode on a thawed host) to a protected hit:
 * log, and deny in enforce. A hit on
 * Permafrost's own objects is a `tamper` in enforce mode; in audit mode it
 * is logged as would-deny like any other (the protections are off). */
static __always_inline int verdict(struct pf_config *cfg, const struct hit *h)
{
	__u32 mode = mode_for_current(cfg);

	if (mode == PF_MODE_ENFORCE) {
		int deny = -EPERM;

		emit(h, pf_rule_is_self(h->rule_id) ? PF_DEC_TAMPER : PF_DEC_DENY, mode);
		/* opaque to the compiler: it would otherwise fold both
		 * branches' returns into -(mode == ENFORCE), and a negated
		 * value is one the verifier no longer knows (6.12 checks an
		 * LSM program's return is an errno) */
		asm volatile("" : "+r"(deny));
		return deny;
	}
	emit(h, PF_DEC_WOULD_DENY, mode);
	return 0;
}

/* How decide_obj_ex() treats a protected hit. */
enum decide_how {
	DECIDE_QUIET_APPROVED = 1, /* an approved change is not logged (its path hook did) */
	DECIDE_SANDBOX = 2,        /* systemd's unit set-up: only Permafrost's read-only
				      objects are refused (see sandbox_setup()) */
};

/* The decision for one object (a dentry, positive or negative) reached
 * through @mnt (NULL where the hook has none). @obj is the object's inode
 * as the verifier trusts it (NULL for a negative dentry, or where the hook
 * has none): its cached verdict saves the walk. */
static __always_inline int decide_obj_ex(struct pf_config *cfg, struct dentry *d,
					 struct inode *obj, struct vfsmount *mnt, __u32 op, int how)
{
	struct walk w = {};
	struct hit h;
	__u32 dev;

	if (!d)
		return 0;
	dev = BPF_CORE_READ(d, d_sb, s_dev);
	if (!bpf_map_lookup_elem(&protected_sbs, &dev))
		return 0;
	w.d = d;
	w.dev = dev;
	nearest_rule(cfg, &w, obj);
	if (w.found != PF_RULE_PROTECT)
		return 0;
	/* The agent keeps its own state, log and pins up to date. */
	if (w.rule_id == PF_RULEID_SELF_RW && is_agent(cfg))
		return 0;
	if ((how & DECIDE_SANDBOX) && w.rule_id != PF_RULEID_SELF_RO)
		return 0;
	h = (struct hit){ .d = d, .mnt = mnt, .dev = dev, .ino = w.obj_ino, .op = op,
			  .rule_id = w.rule_id };
	if (cfg->n_approvals && approved(&h)) {
		if (!(how & DECIDE_QUIET_APPROVED))
			emit(&h, PF_DEC_APPROVED, mode_for_current(cfg));
		return 0;
	}
	return verdict(cfg, &h);
}

static __always_inline int decide_obj(struct pf_config *cfg, struct dentry *d, struct inode *obj,
				      struct vfsmount *mnt, __u32 op)
{
	return decide_obj_ex(cfg, d, obj, mnt, op, 0);
}

static __always_inline int decide(struct pf_config *cfg, struct dentry *d, struct vfsmount *mnt,
				  __u32 op)
{
	return decide_obj(cfg, d, NULL, mnt, op);
}

static __always_inline int decide_path(struct pf_config *cfg, const struct path *p, __u32 op)
{
	return decide(cfg, BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt), op);
}

/* For VFS calls that skip the path hooks: deny like decide(), but an
 * approved change is not logged a second time (its path hook logged it). */
static __always_inline int decide_inode_op(struct pf_config *cfg, struct dentry *d, __u32 op)
{
	return decide_obj_ex(cfg, d, NULL, NULL, op, DECIDE_QUIET_APPROVED);
}

/* Is the block device @inode (opened as @file) the one under a filesystem
 * holding protected objects? Writing to it would bypass every other
 * check. */
static __always_inline int decide_blkdev(struct pf_config *cfg, struct file *file,
					 struct inode *inode)
{
	__u32 rdev = BPF_CORE_READ(inode, i_rdev);
	struct hit h;

	if (!bpf_map_lookup_elem(&protected_sbs, &rdev))
		return 0;
	h = (struct hit){ .d = BPF_CORE_READ(file, f_path.dentry),
			  .mnt = BPF_CORE_READ(file, f_path.mnt), .dev = rdev,
			  .ino = BPF_CORE_READ(inode, i_ino), .op = PF_OP_BLKDEV_WRITE,
			  .rule_id = PF_RULEID_BLKDEV };
	return verdict(cfg, &h);
}

/* struct dentry from 7.x on: d_alias (the inode's list of dentries) in an
 * anonymous union, no longer in "d_u". Chosen by CO-RE at load time. */
struct dentry___anon_alias {
	struct hlist_node d_alias;
} __attribute__((preserve_access_index));

/* The dentry whose d_alias node is @node. */
static __always_inline struct dentry *alias_dentry(struct hlist_node *node)
{
	if (bpf_core_field_exists(struct dentry, d_u))
		return (void *)node - bpf_core_field_offset(struct dentry, d_u);
	return (void *)node - bpf_core_field_offset(struct dentry___anon_alias, d_alias);
}

/* A change through an open file. */
static __always_inline int decide_file(struct pf_config *cfg, struct file *file, __u32 op)
{
	struct inode *inode = file->f_inode;
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);

	if (inode && (inode->i_mode & S_IFMT) == S_IFBLK)
		return decide_blkdev(cfg, file, inode);
	if (inode && BPF_CORE_READ(d, d_inode) != inode) {
		/* Opened with a path that is not the inode's (overlayfs on
		 * 6.1: the real upper file carries the overlay's path). Judge
		 * the inode by one of its own dentries. */
		struct hlist_node *first = BPF_CORE_READ(inode, i_dentry.first);

		if (!first)
			return 0;
		return decide_obj(cfg, alias_dentry(first), inode, NULL, op);
	}
	return decide_obj(cfg, d, inode, BPF_CORE_READ(file, f_path.mnt), op);
}

#endif

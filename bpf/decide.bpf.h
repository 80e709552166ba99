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
	DECIDE_LOOKED = 4,         /* the caller found no cached verdict of obj */
	DECIDE_NO_CACHE = 8,       /* do not cache a verdict on obj (an inode at its
				      creating open, or being unlinked: most die
				      before a second look) */
};

/* The decision for one object (a dentry, positive or negative) reached
 * through @mnt (NULL where the hook has none). @obj is the object's inode
 * as the verifier trusts it (NULL for a negative dentry, or where the hook
 * has none): its cached verdict saves the walk (nearest_rule()). */
static __always_inline int decide_obj_ex(struct pf_config *cfg, struct dentry *d,
					 struct inode *obj, struct vfsmount *mnt, __u32 op, int how)
{
	struct verdict *v = NULL;
	struct walk w = {};
	struct hit h;
	__u32 dev;

	if (!d)
		return 0;
	if (obj && !(how & DECIDE_LOOKED)) {
		/* the common case first: known, and not protected */
		v = cached_verdict(cfg, obj);
		if (v && v->kind != PF_RULE_PROTECT)
			return 0;
	}
	dev = BPF_CORE_READ(d, d_sb, s_dev);
	if (!bpf_map_lookup_elem(&protected_sbs, &dev))
		return 0;
	w.d = d;
	w.dev = dev;
	if (v) {
		w.found = v->kind;
		w.rule_id = v->rule_id;
	} else {
		nearest_rule(cfg, &w, how & DECIDE_NO_CACHE ? NULL : obj);
	}
	if (w.found != PF_RULE_PROTECT)
		return 0;
	/* protected from AI agents' processes only (agentroutes.bpf.h) */
	if (w.rule_id == PF_RULEID_AI_ONLY && (cfg->ai_mode == PF_MODE_OFF || !current_mark()))
		return 0;
	/* The agent keeps its own state, log and pins up to date. */
	if (w.rule_id == PF_RULEID_SELF_RW && is_agent(cfg))
		return 0;
	if ((how & DECIDE_SANDBOX) && w.rule_id != PF_RULEID_SELF_RO)
		return 0;
	h = (struct hit){ .d = d, .mnt = mnt, .dev = dev, .ino = object_ino(d), .op = op,
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

/* @d: any dentry (its inode's cached verdict is not used). */
static __always_inline int decide(struct pf_config *cfg, struct dentry *d, struct vfsmount *mnt,
				  __u32 op)
{
	return decide_obj_ex(cfg, d, NULL, mnt, op, 0);
}

/* @d: a dentry the verifier trusts (a hook's argument): its inode's cached
 * verdict is used. @how: 0, or DECIDE_NO_CACHE. */
static __always_inline int decide_dentry(struct pf_config *cfg, struct dentry *d,
					 struct vfsmount *mnt, __u32 op, int how)
{
	return decide_obj_ex(cfg, d, d->d_inode, mnt, op, how);
}

/* (struct path's dentry is not one the verifier trusts on every kernel) */
static __always_inline int decide_path(struct pf_config *cfg, const struct path *p, __u32 op)
{
	return decide(cfg, BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt), op);
}

/* For VFS calls that skip the path hooks: deny like decide(), but an
 * approved change is not logged a second time (its path hook logged it).
 * @d: a dentry the verifier trusts. */
static __always_inline int decide_inode_op(struct pf_config *cfg, struct dentry *d, __u32 op)
{
	int how = DECIDE_QUIET_APPROVED;

	if (op == PF_OP_UNLINK || op == PF_OP_RMDIR)
		how |= DECIDE_NO_CACHE;
	return decide_obj_ex(cfg, d, d->d_inode, NULL, op, how);
}

/* --- one judgement per operation ------------------------------------------ */

/* A create, mknod, mkdir, symlink, unlink, rmdir, link or rename reaches
 * its path hook (which has the mount, so a record names the whole path)
 * and then its inode hook (which alone also sees the same calls made by
 * overlayfs on its upper layer and by in-kernel file servers). The path
 * hook that lets an operation through notes it, per CPU: (task, dentry,
 * op, generations); the inode hook that finds its own call noted lets it
 * through without judging it again (nor logging a second would-deny).
 * Anything else (another task or CPU in between, a rename or policy change
 * meanwhile, another dentry or op) is judged again: a note only saves
 * work, it never decides. */
static __always_inline int noted_judged(int err, const struct pf_config *cfg,
					struct dentry *d, __u32 op)
{
	__u32 zero = 0;
	struct judged *j;

	if (err)
		return err;
	j = bpf_map_lookup_elem(&judged, &zero);
	if (j) {
		j->task = bpf_get_current_task();
		j->dentry = pf_scalar(d);
		j->gen = cfg->policy_gen;
		j->agen = ancestry_gen;
		j->op = op;
	}
	return 0;
}

/* Did this task's path hook just let the operation @op on @d through?
 * The note is used once. */
static __always_inline int judged_by_path_hook(const struct pf_config *cfg, struct dentry *d,
					       __u32 op)
{
	__u32 zero = 0;
	struct judged *j = bpf_map_lookup_elem(&judged, &zero);

	if (!j || j->task != bpf_get_current_task() || j->dentry != pf_scalar(d) ||
	    j->op != op || j->gen != cfg->policy_gen || j->agen != ancestry_gen)
		return 0;
	j->task = 0;
	return 1;
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

/* A change through an open file. The cheapest exits first: a write to a
 * file whose cached verdict says unprotected costs the mode test (done by
 * the hook), a type test and one lookup. @how: 0, or DECIDE_NO_CACHE. */
static __always_inline int decide_file_ex(struct pf_config *cfg, struct file *file, __u32 op,
					  int how)
{
	struct inode *inode = file->f_inode;
	struct dentry *d;
	struct verdict *v;

	if (!inode)
		return decide_obj(cfg, BPF_CORE_READ(file, f_path.dentry), NULL,
				  BPF_CORE_READ(file, f_path.mnt), op);
	if ((inode->i_mode & S_IFMT) == S_IFBLK)
		return decide_blkdev(cfg, file, inode);
	v = cached_verdict(cfg, inode);
	if (v && v->kind != PF_RULE_PROTECT)
		return 0;
	if (!v)
		how |= DECIDE_LOOKED;
	d = BPF_CORE_READ(file, f_path.dentry);
	if (BPF_CORE_READ(d, d_inode) != inode) {
		/* Opened with a path that is not the inode's (overlayfs on
		 * 6.1: the real upper file carries the overlay's path). Judge
		 * the inode by one of its own dentries. */
		struct hlist_node *first = BPF_CORE_READ(inode, i_dentry.first);

		if (!first)
			return 0;
		return decide_obj_ex(cfg, alias_dentry(first), inode, NULL, op, how);
	}
	return decide_obj_ex(cfg, d, inode, BPF_CORE_READ(file, f_path.mnt), op, how);
}

static __always_inline int decide_file(struct pf_config *cfg, struct file *file, __u32 op)
{
	return decide_file_ex(cfg, file, op, 0);
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Ways around the object check: renaming or mounting over an ancestor of a
 * protected object (a guard), mounts, unmounts and remounts of a
 * filesystem that holds protected objects. And what is no way around it:
 * a mount that only a private mount namespace sees, such as the one
 * systemd builds for a unit's sandbox. Part of permafrost.bpf.c. */
#ifndef PF_GUARDS_BPF_H
#define PF_GUARDS_BPF_H

/* Is a mount on @mnt, made by the current task, visible to the host's
 * services? Yes when the task is in PID 1's mount namespace, or when @mnt is
 * shared (the new mount propagates to its peers, possibly the host's). No in
 * a private or slave namespace (a systemd unit's ProtectSystem=, a
 * container): what it shows there is its own view. A task deeper than
 * INIT_WALK_MAX generations below PID 1 counts as the host's (fail closed). */
static __always_inline int mount_reaches_host(struct vfsmount *mnt)
{
	struct task_struct *t = current_task();
	struct mnt_namespace *mine = BPF_CORE_READ(t, nsproxy, mnt_ns), *init = NULL;

	if (BPF_CORE_READ(mnt, mnt_flags) & MNT_SHARED)
		return 1;
	for (int i = 0; i < INIT_WALK_MAX; i++) {
		if (BPF_CORE_READ(t, tgid) == 1) {
			init = BPF_CORE_READ(t, nsproxy, mnt_ns);
			break;
		}
		t = BPF_CORE_READ(t, real_parent);
		if (!t)
			return 1;
	}
	return !init || init == mine;
}

/* Is the current task systemd setting up a unit's sandbox (ProtectSystem=,
 * ReadWritePaths=, StateDirectory=, PrivateTmp=...)? That is PID 1's own
 * program in a child of PID 1 that has not exec'd yet: it builds the
 * unit's private mount namespace, then execs the unit's command. (An
 * orphan reparented to PID 1 has its parent's exec generation and another
 * program.) */
static __always_inline int sandbox_setup(void)
{
	struct task_struct *t = current_task();
	struct task_struct *p = BPF_CORE_READ(t, real_parent);
	struct inode *exe, *pexe;

	if (BPF_CORE_READ(p, tgid) != 1 || BPF_CORE_READ(t, tgid) == 1)
		return 0;
	if (BPF_CORE_READ(t, self_exec_id) != BPF_CORE_READ(t, parent_exec_id))
		return 0;
	exe = BPF_CORE_READ(t, mm, exe_file, f_inode);
	pexe = BPF_CORE_READ(p, mm, exe_file, f_inode);
	return exe && exe == pexe;
}

/* A mount made by systemd for a unit, in the unit's own namespace: the
 * host never sees it. */
static __always_inline int unit_sandbox_mount(struct vfsmount *mnt)
{
	return sandbox_setup() && !mount_reaches_host(mnt);
}

/* Is @d an ancestor of a protected object (a guard)? Renaming it or
 * mounting over it is refused like a change of a protected object. */
static __always_inline int decide_guard(struct pf_config *cfg, struct dentry *d,
					struct vfsmount *mnt, __u32 op)
{
	struct inode *inode;
	struct pf_key key;
	struct hit h;

	if (!d)
		return 0;
	inode = BPF_CORE_READ(d, d_inode);
	if (!inode)
		return 0;
	key.dev = BPF_CORE_READ(d, d_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	if (!bpf_map_lookup_elem(&guards, &key) && !ai_guard(cfg, &key))
		return 0;
	h = (struct hit){ .d = d, .mnt = mnt, .dev = key.dev, .ino = key.ino, .op = op,
			  .rule_id = PF_RULEID_ANCESTOR };
	return verdict(cfg, &h);
}

/* A mount over a guard: refused only where the host would see it. */
static __always_inline int decide_guard_mount(struct pf_config *cfg, struct dentry *d,
					      struct vfsmount *mnt)
{
	if (!mount_reaches_host(mnt))
		return 0;
	return decide_guard(cfg, d, mnt, PF_OP_MOUNT);
}

/* A mount, unmount or move onto @d. Refused like a change of the object,
 * except in systemd's set-up of a unit's own mount namespace, which the
 * host never sees: a unit with ReadOnlyPaths=, BindPaths= or
 * TemporaryFileSystem= over a protected tree (or Permafrost's own state,
 * log and pin directories, which its unit binds) still starts while
 * frozen. Permafrost's policy, signers, binaries and unit files are never
 * mounted over: the agent reads them. */
static __always_inline int decide_mount(struct pf_config *cfg, struct dentry *d,
					struct vfsmount *mnt, __u32 op)
{
	return decide_obj_ex(cfg, d, NULL, mnt, op, unit_sandbox_mount(mnt) ? DECIDE_SANDBOX : 0);
}

static __always_inline int sb_protected(struct super_block *sb)
{
	__u32 dev = BPF_CORE_READ(sb, s_dev);

	return bpf_map_lookup_elem(&protected_sbs, &dev) != NULL;
}

/* A change of a whole filesystem that holds protected objects (remount,
 * unmount): no single object, so no rule. */
static __always_inline int deny_sb(struct pf_config *cfg, struct super_block *sb,
				   struct dentry *d, struct vfsmount *mnt, __u32 op)
{
	struct hit h = { .d = d, .mnt = mnt, .dev = BPF_CORE_READ(sb, s_dev), .ino = 0,
			 .op = op, .rule_id = PF_RULEID_NONE };

	return verdict(cfg, &h);
}

/* Making something read-only only tightens, so sb_mount lets a read-only
 * remount through, whatever the mode, and tells sb_remount (which is not
 * told the flags) that this task's remount of @sb is that one. */
static __always_inline void ro_remount_begin(struct super_block *sb)
{
	__u64 id = bpf_get_current_pid_tgid(), v = (__u64)sb;

	bpf_map_update_elem(&ro_remounts, &id, &v, BPF_ANY);
}

/* Is this task's remount of @sb the read-only one sb_mount let through?
 * Asked once. */
static __always_inline int ro_remount_end(struct super_block *sb)
{
	__u64 id = bpf_get_current_pid_tgid(), *ro;

	ro = bpf_map_lookup_elem(&ro_remounts, &id);
	if (!ro || *ro != (__u64)sb)
		return 0;
	bpf_map_delete_elem(&ro_remounts, &id);
	return 1;
}

#endif

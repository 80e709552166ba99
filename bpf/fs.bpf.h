/* SPDX-License-Identifier: GPL-2.0 */
/* The filesystem hooks: everything that changes a protected object's
 * content, name, metadata or visibility. Each passes its object on to the
 * decision (decide.bpf.h, guards.bpf.h) after the cheapest test that
 * tells a read from a change: reads never pay more than a flag test.
 * Part of permafrost.bpf.c. */
#ifndef PF_FS_BPF_H
#define PF_FS_BPF_H

/* --- content ------------------------------------------------------------ */

PF_LSM(file_open, struct file *file)
{
	unsigned int flags = file->f_flags;
	struct pf_config *cfg;
	int err;

	if (!(file->f_mode & FMODE_WRITE) && !(flags & O_TRUNC))
		return 0;
	cfg = active_config();
	if (!cfg)
		return 0;
	err = cgroup_kill_file(cfg, file);
	if (err)
		return err;
	/* a file this open created was judged at its creation, and most
	 * such files are gone before a second look: no verdict is cached
	 * for it here (its first write caches one) */
	return decide_file_ex(cfg, file, (flags & O_TRUNC) ? PF_OP_OPEN_TRUNC : PF_OP_OPEN_WRITE,
			      (file->f_mode & FMODE_CREATED) ? DECIDE_NO_CACHE : 0);
}

/* Writes through descriptors opened before the freeze; also the entry of
 * copy_file_range, sendfile/splice, io_uring writes, fallocate and clones. */
PF_LSM(file_permission, struct file *file, int mask)
{
	struct pf_config *cfg;

	if (!(mask & (MAY_WRITE | MAY_APPEND)))
		return 0;
	cfg = active_config();
	return cfg ? decide_file(cfg, file, PF_OP_WRITE) : 0;
}

PF_LSM_ON(path_truncate, const struct path *path)
{
	return decide_path(cfg, path, PF_OP_TRUNCATE);
}

/* ftruncate and open(O_TRUNC) from 6.2 on; absent on 6.1 (autoload off). */
PF_LSM_ON(file_truncate, struct file *file)
{
	return decide_file(cfg, file, PF_OP_TRUNCATE);
}

PF_LSM(mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
       unsigned long flags)
{
	struct pf_config *cfg;

	if (!file || !(prot & PROT_WRITE))
		return 0;
	if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE)
		return 0;
	cfg = active_config();
	return cfg ? decide_file(cfg, file, PF_OP_MMAP_WRITE) : 0;
}

PF_LSM(file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot)
{
	struct pf_config *cfg;
	struct file *file;

	if (!(prot & PROT_WRITE) || !(vma->vm_flags & VM_SHARED))
		return 0;
	file = vma->vm_file;
	if (!file)
		return 0;
	cfg = active_config();
	return cfg ? decide_file(cfg, file, PF_OP_MMAP_WRITE) : 0;
}

PF_LSM(file_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pf_config *cfg;

	if (cmd != FS_IOC_SETFLAGS && cmd != FS_IOC32_SETFLAGS && cmd != FS_IOC_FSSETXATTR)
		return 0;
	cfg = active_config();
	return cfg ? decide_file(cfg, file, PF_OP_SETFLAGS) : 0;
}

/* --- names ------------------------------------------------------------- */

PF_LSM_ON(path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	  unsigned int dev)
{
	__u32 type = mode & S_IFMT;
	__u32 op = type == S_IFREG || type == 0 ? PF_OP_CREATE : PF_OP_MKNOD;

	int err = decide_dentry(cfg, dentry, BPF_CORE_READ(dir, mnt), op, 0);

	return noted_judged(err, cfg, dentry, op);
}

PF_LSM_ON(path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode)
{
	int err = decide_dentry(cfg, dentry, BPF_CORE_READ(dir, mnt), PF_OP_MKDIR, 0);

	return noted_judged(err, cfg, dentry, PF_OP_MKDIR);
}

PF_LSM_ON(path_rmdir, const struct path *dir, struct dentry *dentry)
{
	int err = decide_dentry(cfg, dentry, BPF_CORE_READ(dir, mnt), PF_OP_RMDIR,
				 DECIDE_NO_CACHE);

	return noted_judged(err, cfg, dentry, PF_OP_RMDIR);
}

PF_LSM_ON(path_unlink, const struct path *dir, struct dentry *dentry)
{
	int err = decide_dentry(cfg, dentry, BPF_CORE_READ(dir, mnt), PF_OP_UNLINK,
				 DECIDE_NO_CACHE);

	return noted_judged(err, cfg, dentry, PF_OP_UNLINK);
}

PF_LSM_ON(path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name)
{
	int err = decide_dentry(cfg, dentry, BPF_CORE_READ(dir, mnt), PF_OP_SYMLINK, 0);

	return noted_judged(err, cfg, dentry, PF_OP_SYMLINK);
}

/* Both ends: a protected object may neither gain a name elsewhere (it could
 * then be judged by another path) nor a name appear in a protected tree.
 * Ancestry changes whatever the mode, so the cached verdicts are let go
 * first. */
PF_LSM(path_link, struct dentry *old_dentry, const struct path *new_dir,
       struct dentry *new_dentry)
{
	struct pf_config *cfg;
	struct vfsmount *mnt;
	int err;

	invalidate();
	cfg = active_config();
	if (!cfg)
		return 0;
	mnt = BPF_CORE_READ(new_dir, mnt);
	err = decide(cfg, old_dentry, mnt, PF_OP_LINK);
	if (err)
		return err;
	return noted_judged(decide(cfg, new_dentry, mnt, PF_OP_LINK), cfg, new_dentry, PF_OP_LINK);
}

/* Covers rename away, rename over, directory renames and RENAME_EXCHANGE:
 * each end's walk includes the object itself and its ancestors. */
static __always_inline int rename_ends(const struct path *old_dir, struct dentry *old_dentry,
				       const struct path *new_dir, struct dentry *new_dentry)
{
	struct vfsmount *old_mnt, *new_mnt;
	struct pf_config *cfg;
	int err;

	invalidate();
	cfg = active_config();
	if (!cfg)
		return 0;
	old_mnt = BPF_CORE_READ(old_dir, mnt);
	new_mnt = BPF_CORE_READ(new_dir, mnt);
	err = decide_guard(cfg, old_dentry, old_mnt, PF_OP_RENAME);
	if (err)
		return err;
	err = decide_guard(cfg, new_dentry, new_mnt, PF_OP_RENAME);
	if (err)
		return err;
	err = decide(cfg, old_dentry, old_mnt, PF_OP_RENAME);
	if (err)
		return err;
	/* carry_rule() runs in inode_rename, after its checks. */
	return noted_judged(decide(cfg, new_dentry, new_mnt, PF_OP_RENAME), cfg, new_dentry,
			    PF_OP_RENAME);
}

/* 5.19 on: (old_dir, old_dentry, new_dir, new_dentry, flags) */
PF_LSM(path_rename, const struct path *old_dir, struct dentry *old_dentry,
       const struct path *new_dir, struct dentry *new_dentry, unsigned int flags)
{
	return rename_ends(old_dir, old_dentry, new_dir, new_dentry);
}

/* Before 5.19: no flags (RENAME_EXCHANGE reached the hook twice, once per
 * direction). */
PF_LSM_AS(path_rename_v1, path_rename, const struct path *old_dir, struct dentry *old_dentry,
	  const struct path *new_dir, struct dentry *new_dentry)
{
	return rename_ends(old_dir, old_dentry, new_dir, new_dentry);
}

/* --- the same, where the path hooks are not called ------------------------ */

/* overlayfs changes its upper layer, and in-kernel servers change files,
 * through VFS calls that skip the path hooks; these see them. */

PF_LSM_ON(inode_create, struct inode *dir, struct dentry *dentry, umode_t mode)
{
	if (judged_by_path_hook(cfg, dentry, PF_OP_CREATE))
		return 0;
	return decide_inode_op(cfg, dentry, PF_OP_CREATE);
}

PF_LSM_ON(inode_mknod, struct inode *dir, struct dentry *dentry, umode_t mode, dev_t dev)
{
	if (judged_by_path_hook(cfg, dentry, PF_OP_MKNOD))
		return 0;
	return decide_inode_op(cfg, dentry, PF_OP_MKNOD);
}

PF_LSM_ON(inode_mkdir, struct inode *dir, struct dentry *dentry, umode_t mode)
{
	if (judged_by_path_hook(cfg, dentry, PF_OP_MKDIR))
		return 0;
	return decide_inode_op(cfg, dentry, PF_OP_MKDIR);
}

PF_LSM_ON(inode_symlink, struct inode *dir, struct dentry *dentry, const char *name)
{
	if (judged_by_path_hook(cfg, dentry, PF_OP_SYMLINK))
		return 0;
	return decide_inode_op(cfg, dentry, PF_OP_SYMLINK);
}

PF_LSM_ON(inode_unlink, struct inode *dir, struct dentry *dentry)
{
	if (judged_by_path_hook(cfg, dentry, PF_OP_UNLINK))
		return 0;
	return decide_inode_op(cfg, dentry, PF_OP_UNLINK);
}

PF_LSM_ON(inode_rmdir, struct inode *dir, struct dentry *dentry)
{
	if (judged_by_path_hook(cfg, dentry, PF_OP_RMDIR))
		return 0;
	return decide_inode_op(cfg, dentry, PF_OP_RMDIR);
}

PF_LSM(inode_link, struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry)
{
	struct pf_config *cfg = get_config();
	int err, judged;

	/* before the generation moves on */
	judged = cfg && judged_by_path_hook(cfg, new_dentry, PF_OP_LINK);
	invalidate();
	cfg = active_config();
	if (!cfg || judged)
		return 0;
	err = decide_inode_op(cfg, old_dentry, PF_OP_LINK);
	if (err)
		return err;
	return decide_inode_op(cfg, new_dentry, PF_OP_LINK);
}

/* After path_rename's checks (when called from rename(2)); the rule of a
 * replaced object is handed on only once both ends passed. */
PF_LSM(inode_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
       struct dentry *new_dentry)
{
	struct pf_config *cfg = get_config();
	int err, judged;

	/* before the generation moves on */
	judged = cfg && judged_by_path_hook(cfg, new_dentry, PF_OP_RENAME);
	invalidate();
	cfg = active_config();
	if (!cfg)
		return 0;
	if (!judged) {
		err = decide_inode_op(cfg, old_dentry, PF_OP_RENAME);
		if (err)
			return err;
		err = decide_inode_op(cfg, new_dentry, PF_OP_RENAME);
		if (err)
			return err;
	}
	carry_rule(old_dentry, new_dentry);
	return 0;
}

/* --- metadata ---------------------------------------------------------- */

PF_LSM_ON(path_chmod, const struct path *path, umode_t mode)
{
	return decide_path(cfg, path, PF_OP_CHMOD);
}

PF_LSM_ON(path_chown, const struct path *path, __u32 uid, __u32 gid)
{
	return decide_path(cfg, path, PF_OP_CHOWN);
}

/* utimes and the rest of notify_change(). Mode, owner and size changes are
 * judged (with their own op) by path_chmod, path_chown and the truncate
 * hooks, so they are not counted twice here; owner changes are judged here
 * where path_chown has no program (PF_CFG_SETATTR_IDS). */
static __always_inline int setattr(struct dentry *dentry, struct iattr *attr)
{
	unsigned int valid = BPF_CORE_READ(attr, ia_valid);
	struct pf_config *cfg = active_config();

	if (!cfg)
		return 0;
	/* first: chown of a set-uid file arrives with ATTR_MODE too */
	if (valid & (ATTR_UID | ATTR_GID))
		return cfg->flags & PF_CFG_SETATTR_IDS ? decide(cfg, dentry, NULL, PF_OP_CHOWN) : 0;
	if (valid & (ATTR_MODE | ATTR_SIZE))
		return 0;
	return decide(cfg, dentry, NULL, PF_OP_SETATTR);
}

/* 6.1: (struct dentry *, struct iattr *) */
PF_LSM_AS(inode_setattr_v1, inode_setattr, struct dentry *dentry, struct iattr *attr)
{
	return setattr(dentry, attr);
}

/* 6.3+: (struct mnt_idmap *, struct dentry *, struct iattr *) */
PF_LSM_AS(inode_setattr_v2, inode_setattr, void *idmap, struct dentry *dentry,
	  struct iattr *attr)
{
	return setattr(dentry, attr);
}

/* From 5.12 the dentry is the second argument (the first is a user
 * namespace, an idmap from 6.3); before, it is the first. */
PF_LSM_ON(inode_setxattr, void *ns, struct dentry *dentry, const char *name, const void *value,
	  size_t size, int flags)
{
	return decide(cfg, dentry, NULL, PF_OP_SETXATTR);
}

PF_LSM_ON_AS(inode_setxattr_v1, inode_setxattr, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags)
{
	return decide(cfg, dentry, NULL, PF_OP_SETXATTR);
}

PF_LSM_ON(inode_removexattr, void *ns, struct dentry *dentry, const char *name)
{
	return decide(cfg, dentry, NULL, PF_OP_REMOVEXATTR);
}

PF_LSM_ON_AS(inode_removexattr_v1, inode_removexattr, struct dentry *dentry, const char *name)
{
	return decide(cfg, dentry, NULL, PF_OP_REMOVEXATTR);
}

/* POSIX ACLs have their own hooks from 6.2 (autoload off before). */
PF_LSM_ON(inode_set_acl, void *idmap, struct dentry *dentry, const char *acl_name, void *kacl)
{
	return decide(cfg, dentry, NULL, PF_OP_SETACL);
}

PF_LSM_ON(inode_remove_acl, void *idmap, struct dentry *dentry, const char *acl_name)
{
	return decide(cfg, dentry, NULL, PF_OP_SETACL);
}

/* --- mounts ------------------------------------------------------------ */

PF_LSM(sb_mount, const char *dev_name, const struct path *path, const char *type,
       unsigned long flags, void *data)
{
	struct super_block *sb = BPF_CORE_READ(path, mnt, mnt_sb);
	struct vfsmount *mnt = BPF_CORE_READ(path, mnt);
	struct dentry *d = BPF_CORE_READ(path, dentry);
	struct pf_config *cfg;
	int err;

	/* Making something read-only only tightens: never refused (a
	 * shutdown remounts / read-only to leave it clean). The superblock
	 * half is judged again in sb_remount. */
	if ((flags & MS_REMOUNT) && (flags & MS_RDONLY)) {
		if (!(flags & MS_BIND))
			ro_remount_begin(sb);
		return 0;
	}
	cfg = active_config();
	if (!cfg)
		return 0;
	if (flags & MS_REMOUNT) {
		/* One mount's own flags (nosuid, noexec, rw), in a namespace
		 * the host does not see: what every path shows is unchanged
		 * (systemd's unit sandboxes do this at every start). */
		if ((flags & MS_BIND) && !mount_reaches_host(mnt))
			return 0;
		return sb_protected(sb) ? deny_sb(cfg, sb, d, mnt, PF_OP_REMOUNT) : 0;
	}
	if (self_fs(sb))
		return refuse_self_fs(cfg, sb, d, mnt, PF_OP_MOUNT);
	/* Propagation changes (unshare -m, systemd) do not change what a
	 * path shows: allowed on ancestors. */
	if (!(flags & MS_PROPAGATION)) {
		err = decide_guard_mount(cfg, d, mnt);
		if (err)
			return err;
	}
	return decide_mount(cfg, d, mnt, PF_OP_MOUNT);
}

PF_LSM_ON(move_mount, const struct path *from_path, const struct path *to_path)
{
	struct super_block *sb = BPF_CORE_READ(to_path, mnt, mnt_sb);
	struct vfsmount *mnt = BPF_CORE_READ(to_path, mnt);
	struct dentry *d = BPF_CORE_READ(to_path, dentry);
	int err;

	if (self_fs(sb))
		return refuse_self_fs(cfg, sb, d, mnt, PF_OP_MOUNT);
	sb = BPF_CORE_READ(from_path, mnt, mnt_sb);
	if (self_fs(sb))
		return refuse_self_fs(cfg, sb, BPF_CORE_READ(from_path, dentry),
				      BPF_CORE_READ(from_path, mnt), PF_OP_MOUNT);
	err = decide_guard_mount(cfg, d, mnt);
	if (err)
		return err;
	return decide_mount(cfg, d, mnt, PF_OP_MOUNT);
}

/* Unmounting a mount of a filesystem that holds protected objects, or one
 * mounted inside a protected tree, changes what the protected paths show. */
PF_LSM_ON(sb_umount, struct vfsmount *mnt, int flags)
{
	struct super_block *sb = BPF_CORE_READ(mnt, mnt_sb);
	struct mount *m;

	if (self_fs(sb))
		return refuse_self_fs(cfg, sb, BPF_CORE_READ(mnt, mnt_root), mnt, PF_OP_UMOUNT);
	/* systemd's unit set-up unmounts what it replaces (/proc, /dev/shm,
	 * credentials) in the unit's namespace, which the host never sees */
	if (unit_sandbox_mount(mnt))
		return 0;
	if (sb_protected(sb))
		return deny_sb(cfg, sb, BPF_CORE_READ(mnt, mnt_root), mnt, PF_OP_UMOUNT);
	m = (void *)mnt - bpf_core_field_offset(struct mount, mnt);
	return decide(cfg, BPF_CORE_READ(m, mnt_mountpoint), NULL, PF_OP_UMOUNT);
}

PF_LSM(sb_remount, struct super_block *sb, void *mnt_opts)
{
	struct pf_config *cfg;

	if (!sb_protected(sb))
		return 0;
	/* the read-only remount sb_mount let through, whatever the mode */
	if (ro_remount_end(sb))
		return 0;
	cfg = active_config();
	return cfg ? deny_sb(cfg, sb, BPF_CORE_READ(sb, s_root), NULL, PF_OP_REMOUNT) : 0;
}

/* --- identity hygiene --------------------------------------------------- */

/* An inode that dies unlinked takes its rule with it, so the inode number,
 * once reused, cannot protect (or unprotect) an unrelated file. Linked
 * inodes merely evicted from the cache keep their rules. A directory that
 * goes (dies or is evicted) takes its kept verdict with it. */
PF_LSM_VOID(inode_free_security, struct inode *inode)
{
	struct pf_key key;
	__u32 dev;

	if (inode->i_nlink && (inode->i_mode & S_IFMT) != S_IFDIR)
		return;
	dev = inode->i_sb->s_dev;
	if (!bpf_map_lookup_elem(&protected_sbs, &dev))
		return;
	key.dev = dev;
	key.ino = inode->i_ino;
	if ((inode->i_mode & S_IFMT) == S_IFDIR && bpf_map_lookup_elem(&dir_verdicts, &key))
		bpf_map_delete_elem(&dir_verdicts, &key);
	if (inode->i_nlink)
		return;
	/* a lookup first: a delete takes the bucket's lock even for a miss,
	 * and nearly every dying inode has no rule */
	if (bpf_map_lookup_elem(&rules, &key) && bpf_map_delete_elem(&rules, &key) == 0)
		invalidate();
}

#endif

// SPDX-License-Identifier: GPL-2.0
/* Permafrost: refuse modifications of protected objects while frozen.
 *
 * Every hook that can change a protected object's content, name, metadata
 * or visibility asks decide(): is this object, or one of its dentry
 * ancestors, a protected (dev, ino)? The nearest rule wins, so an exempt
 * subtree inside a protected tree is carved out. Reads are never checked:
 * they pay one flag test. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "permafrost.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM 1

/* Constants that vmlinux.h (BTF) does not carry. */
#define FMODE_WRITE 0x2
#define O_TRUNC 00001000
#define MAY_WRITE 0x2
#define MAY_APPEND 0x8
#define S_IFMT 00170000
#define S_IFBLK 0060000
#define S_IFREG 0100000
#define PROT_WRITE 0x2
#define MAP_SHARED 0x01
#define MAP_SHARED_VALIDATE 0x03
#define VM_SHARED 0x00000008
#define MS_RDONLY 1
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_PROPAGATION ((1 << 17) | (1 << 18) | (1 << 19) | (1 << 20))
#define ATTR_MODE (1 << 0)
#define ATTR_UID (1 << 1)
#define ATTR_GID (1 << 2)
#define ATTR_SIZE (1 << 3)
#define FS_IOC_SETFLAGS 0x40086602
#define FS_IOC32_SETFLAGS 0x40046602
#define FS_IOC_FSSETXATTR 0x401c5820

#define NAME_READ_MAX 256 /* NAME_MAX + 1 */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pf_config);
} pf_config_map SEC(".maps");

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

static __always_inline struct pf_config *get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pf_config_map, &zero);
}

/* --- the ancestor walk ------------------------------------------------ */

struct walk {
	struct dentry *d;
	__u64 dev;
	__u32 found;   /* 0, or enum pf_rule_kind of the nearest rule */
	__u32 rule_id;
	__u64 obj_ino; /* inode of the first positive dentry (the object) */
	__u32 reached_root;
};

static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct dentry *d = w->d;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct dentry *parent;

	if (inode) {
		struct pf_key key = { .dev = w->dev, .ino = BPF_CORE_READ(inode, i_ino) };
		struct pf_rule *r;

		if (!w->obj_ino)
			w->obj_ino = key.ino;
		r = bpf_map_lookup_elem(&rules, &key);
		if (r) {
			w->found = r->kind;
			w->rule_id = r->rule_id;
			return 1;
		}
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		w->reached_root = 1;
		return 1;
	}
	w->d = parent;
	return 0;
}

/* --- events ----------------------------------------------------------- */

static __always_inline void count(__u32 decision)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &decision);

	if (c)
		*c += 1;
}

struct pathbuild {
	struct pf_event *e;
	struct dentry *d;
	struct vfsmount *mnt;
	__u32 off;
	__u32 reached_root; /* the walk ended at a root, not at a limit */
};

/* One step of a name walk from a dentry towards the root, crossing mounts
 * upwards. @buf (of @size bytes, a power of two) is filled leaf first. */
static __always_inline long name_step(struct pathbuild *pb, char *buf, __u32 size,
				      __u32 name_max, __u32 *flags)
{
	struct dentry *d = pb->d, *parent;
	struct vfsmount *vmnt = pb->mnt;
	const unsigned char *name;
	__u32 len, off;
	long n;

	if (vmnt) {
		struct dentry *mnt_root = BPF_CORE_READ(vmnt, mnt_root);

		if (d == mnt_root) {
			struct mount *m = (void *)vmnt -
					  bpf_core_field_offset(struct mount, mnt);
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);

			if (mp == m) {
				pb->reached_root = 1;
				return 1; /* the namespace's root */
			}
			pb->d = BPF_CORE_READ(m, mnt_mountpoint);
			pb->mnt = (struct vfsmount *)((void *)mp +
					  bpf_core_field_offset(struct mount, mnt));
			return 0;
		}
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		pb->reached_root = 1;
		return 1;
	}
	name = BPF_CORE_READ(d, d_name.name);
	len = BPF_CORE_READ(d, d_name.len);
	/* read the position once, bound it right before the copy: the
	 * verifier must see off + name_max <= size */
	off = pb->off & (size - 1);
	if (pb->off > size - name_max || off > size - name_max) {
		*flags |= PF_PATH_TRUNCATED;
		return 1;
	}
	n = bpf_probe_read_kernel_str(&buf[off], name_max, name);
	if (n <= 0) {
		*flags |= PF_PATH_TRUNCATED;
		return 1;
	}
	/* advance by the name's own length (NUL included), capped like the
	 * copy: the position never depends on what the copy returned */
	if (len + 1 > name_max)
		*flags |= PF_PATH_TRUNCATED; /* this name was cut */
	pb->off += len + 1 < name_max ? len + 1 : name_max;
	pb->d = parent;
	return 0;
}

static long path_step(__u32 i, void *ctx)
{
	struct pathbuild *pb = ctx;

	return name_step(pb, pb->e->path, PF_PATH_BYTES, NAME_READ_MAX, &pb->e->path_flags);
}

static long exe_step(__u32 i, void *ctx)
{
	struct pathbuild *pb = ctx;

	return name_step(pb, pb->e->exe, PF_EXE_BYTES, PF_EXE_NAME_MAX, &pb->e->exe_flags);
}

static __always_inline void emit_ex(struct dentry *d, struct vfsmount *mnt, __u64 dev,
				    __u64 ino, __u32 op, __u32 decision, __u32 mode,
				    __u32 rule_id, __u32 approval)
{
	struct pf_event *e;
	struct task_struct *task;
	__u64 id;

	count(decision);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *l = bpf_map_lookup_elem(&lost, &zero);

		if (l)
			*l += 1;
		return;
	}
	task = (struct task_struct *)bpf_get_current_task_btf();
	id = bpf_get_current_pid_tgid();
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->dev = dev;
	e->ino = ino;
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	id = bpf_get_current_uid_gid();
	e->uid = (__u32)id;
	e->gid = id >> 32;
	e->op = op;
	e->decision = decision;
	e->mode = mode;
	e->rule_id = rule_id;
	e->path_flags = mnt ? 0 : PF_PATH_FSROOT;
	e->approval = approval;
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	struct pathbuild pb = { .e = e, .d = d, .mnt = mnt, .off = 0 };

	e->path[0] = 0;
	if (d) {
		bpf_loop(PF_PATH_COMPONENTS, path_step, &pb, 0);
		if (!pb.reached_root)
			e->path_flags |= PF_PATH_TRUNCATED;
	}
	e->path_len = pb.off;

	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct pathbuild xb = { .e = e, .off = 0 };

	e->exe_flags = 0;
	e->exe[0] = 0;
	if (exe) {
		xb.d = BPF_CORE_READ(exe, f_path.dentry);
		xb.mnt = BPF_CORE_READ(exe, f_path.mnt);
		if (xb.d) {
			bpf_loop(PF_EXE_COMPONENTS, exe_step, &xb, 0);
			if (!xb.reached_root)
				e->exe_flags |= PF_PATH_TRUNCATED;
		}
	}
	e->exe_len = xb.off;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void emit(struct dentry *d, struct vfsmount *mnt, __u64 dev,
				 __u64 ino, __u32 op, __u32 decision, __u32 mode,
				 __u32 rule_id)
{
	emit_ex(d, mnt, dev, ino, op, decision, mode, rule_id, PF_APPROVAL_NONE);
}

/* --- approvals ----------------------------------------------------------- */

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

static long approval_step(__u32 i, void *ctx)
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

/* Does a live approval cover this operation on this object, by this task? */
static __always_inline int approved(struct dentry *d, __u64 dev, __u32 op, __u32 *ret_slot)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct awalk w = {};

	w.d = d;
	w.dev = dev;
	w.now = bpf_ktime_get_boot_ns();
	w.cls = pf_op_class(op);
	w.uid = (__u32)bpf_get_current_uid_gid();
	w.cgroup = bpf_get_current_cgroup_id();
	w.exe_ino = BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
	w.exe_dev = BPF_CORE_READ(task, mm, exe_file, f_inode, i_sb, s_dev);
	bpf_probe_read_kernel_str(w.name, sizeof(w.name), BPF_CORE_READ(d, d_name.name));
	w.name_hash = pf_name_hash(w.name);
	bpf_loop(PF_MAX_DEPTH, approval_step, &w, 0);
	if (w.approved)
		*ret_slot = w.slot;
	return w.approved;
}

/* Apply the mode to a protected hit: log, and deny in enforce. A hit on
 * Permafrost's own objects is a `tamper` in enforce mode; in audit mode it
 * is logged as would-deny like any other (the protections are off). */
static __always_inline int verdict(struct dentry *d, struct vfsmount *mnt, __u64 dev,
				   __u64 ino, __u32 op, __u32 mode, __u32 rule_id)
{
	if (mode == PF_MODE_ENFORCE) {
		emit(d, mnt, dev, ino, op, pf_rule_is_self(rule_id) ? PF_DEC_TAMPER : PF_DEC_DENY,
		     mode, rule_id);
		return -EPERM;
	}
	emit(d, mnt, dev, ino, op, PF_DEC_WOULD_DENY, mode, rule_id);
	return 0;
}

static __always_inline int is_agent(struct pf_config *cfg);

/* How decide_obj_ex() treats a protected hit. */
#define DECIDE_QUIET_APPROVED 1 /* an approved change is not logged (its path hook did) */
#define DECIDE_SANDBOX 2        /* systemd's unit set-up: only Permafrost's read-only
				   objects are refused (see sandbox_setup()) */

/* The decision for one object (a dentry, positive or negative). @obj is the
 * object's inode as the verifier trusts it (NULL for a negative dentry, or
 * where the hook has none): its cached verdict saves the walk. */
static __always_inline int decide_obj_ex(struct dentry *d, struct inode *obj, struct vfsmount *mnt,
					 __u32 op, int how)
{
	struct pf_config *cfg = get_config();
	struct verdict *v = NULL;
	struct walk w = {};
	__u64 gen, agen;
	__u32 dev;

	if (!cfg || cfg->mode == PF_MODE_OFF || !d)
		return 0;
	dev = BPF_CORE_READ(d, d_sb, s_dev);
	if (!bpf_map_lookup_elem(&protected_sbs, &dev))
		return 0;
	gen = cfg->policy_gen;
	agen = ancestry_gen;
	if (obj) {
		v = bpf_inode_storage_get(&verdicts, obj, 0, 0);
		if (v && v->gen == gen && v->agen == agen) {
			w.found = v->kind;
			w.rule_id = v->rule_id;
			w.obj_ino = BPF_CORE_READ(obj, i_ino);
			goto decided;
		}
	}
	w.d = d;
	w.dev = dev;
	bpf_loop(PF_MAX_DEPTH, walk_step, &w, 0);
	if (!w.found && !w.reached_root) {
		/* Deeper than we walk on a filesystem holding protected
		 * objects: fail closed. */
		w.found = PF_RULE_PROTECT;
		w.rule_id = PF_RULEID_TOO_DEEP;
	}
	if (obj) {
		if (!v)
			v = bpf_inode_storage_get(&verdicts, obj, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (v) {
			v->kind = w.found;
			v->rule_id = w.rule_id;
			v->gen = gen;
			v->agen = agen;
		}
	}
decided:
	if (w.found != PF_RULE_PROTECT)
		return 0;
	/* The agent keeps its own state, log and pins up to date. */
	if (w.rule_id == PF_RULEID_SELF_RW && is_agent(cfg))
		return 0;
	if ((how & DECIDE_SANDBOX) && w.rule_id != PF_RULEID_SELF_RO)
		return 0;
	if (cfg->n_approvals) {
		__u32 slot = 0;

		if (approved(d, dev, op, &slot)) {
			if (!(how & DECIDE_QUIET_APPROVED))
				emit_ex(d, mnt, dev, w.obj_ino, op, PF_DEC_APPROVED, cfg->mode,
					w.rule_id, slot);
			return 0;
		}
	}
	return verdict(d, mnt, dev, w.obj_ino, op, cfg->mode, w.rule_id);
}

static __always_inline int decide_obj(struct dentry *d, struct inode *obj, struct vfsmount *mnt,
				      __u32 op)
{
	return decide_obj_ex(d, obj, mnt, op, 0);
}

/* For VFS calls that skip the path hooks: deny like decide(), but an
 * approved change is not logged a second time (its path hook logged it). */
static __always_inline int decide_inode_op(struct dentry *d, __u32 op)
{
	return decide_obj_ex(d, NULL, NULL, op, DECIDE_QUIET_APPROVED);
}

static __always_inline int decide(struct dentry *d, struct vfsmount *mnt, __u32 op)
{
	return decide_obj(d, NULL, mnt, op);
}

/* The generation bump: ancestry changed somewhere. */
static __always_inline void invalidate(void)
{
	__sync_fetch_and_add(&ancestry_gen, 1);
}

static __always_inline int decide_path(const struct path *p, __u32 op)
{
	return decide(BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt), op);
}

/* Is @d an ancestor of a protected object (a guard)? Renaming it or
 * mounting over it is refused like a change of a protected object. */
#define MNT_SHARED 0x1000 /* vfsmount.mnt_flags: mounts on it propagate */
#define INIT_WALK_MAX 64

/* Is a mount on @mnt, made by the current task, visible to the host's
 * services? Yes when the task is in PID 1's mount namespace, or when @mnt is
 * shared (the new mount propagates to its peers, possibly the host's). No in
 * a private or slave namespace (a systemd unit's ProtectSystem=, a
 * container): what it shows there is its own view. A task deeper than
 * INIT_WALK_MAX generations below PID 1 counts as the host's (fail closed). */
static __always_inline int mount_reaches_host(struct vfsmount *mnt)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
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

static __always_inline int decide_guard(struct dentry *d, struct vfsmount *mnt, __u32 op)
{
	struct pf_config *cfg = get_config();
	struct inode *inode;
	struct pf_key key;

	if (!cfg || cfg->mode == PF_MODE_OFF || !d)
		return 0;
	inode = BPF_CORE_READ(d, d_inode);
	if (!inode)
		return 0;
	key.dev = BPF_CORE_READ(d, d_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	if (!bpf_map_lookup_elem(&guards, &key))
		return 0;
	return verdict(d, mnt, key.dev, key.ino, op, cfg->mode, PF_RULEID_ANCESTOR);
}

/* A mount over a guard: refused only where the host would see it. */
static __always_inline int decide_guard_mount(struct dentry *d, struct vfsmount *mnt)
{
	if (!mount_reaches_host(mnt))
		return 0;
	return decide_guard(d, mnt, PF_OP_MOUNT);
}

/* Is the current task systemd setting up a unit's sandbox (ProtectSystem=,
 * ReadWritePaths=, StateDirectory=, PrivateTmp=...)? That is PID 1's own
 * program in a child of PID 1 that has not exec'd yet: it builds the
 * unit's private mount namespace, then execs the unit's command. (An
 * orphan reparented to PID 1 has its parent's exec generation and another
 * program.) */
static __always_inline int sandbox_setup(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
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

/* A mount, unmount or move onto @d. Refused like a change of the object,
 * except in systemd's set-up of a unit's own mount namespace, which the
 * host never sees: a unit with ReadOnlyPaths=, BindPaths= or
 * TemporaryFileSystem= over a protected tree (or Permafrost's own state,
 * log and pin directories, which its unit binds) still starts while
 * frozen. Permafrost's policy, signers, binaries and unit files are never
 * mounted over: the agent reads them. */
static __always_inline int decide_mount(struct dentry *d, struct vfsmount *mnt, __u32 op)
{
	int how = sandbox_setup() && !mount_reaches_host(mnt) ? DECIDE_SANDBOX : 0;

	return decide_obj_ex(d, NULL, mnt, op, how);
}

/* Is the block device @rdev the one under a filesystem holding protected
 * objects? Opening it for write would bypass every other check. */
static __always_inline int decide_blkdev(struct file *file, struct inode *inode, __u32 op)
{
	struct pf_config *cfg = get_config();
	__u32 rdev;

	if (!cfg || cfg->mode == PF_MODE_OFF)
		return 0;
	rdev = BPF_CORE_READ(inode, i_rdev);
	if (!bpf_map_lookup_elem(&protected_sbs, &rdev))
		return 0;
	return verdict(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
		       rdev, BPF_CORE_READ(inode, i_ino), PF_OP_BLKDEV_WRITE, cfg->mode,
		       PF_RULEID_BLKDEV);
}

static __always_inline int decide_file(struct file *file, __u32 op)
{
	struct inode *inode = file->f_inode;

	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);

	if (inode && (inode->i_mode & S_IFMT) == S_IFBLK)
		return decide_blkdev(file, inode, op);
	if (inode && BPF_CORE_READ(d, d_inode) != inode) {
		/* Opened with a path that is not the inode's (overlayfs on
		 * 6.1: the real upper file carries the overlay's path). Judge
		 * the inode by one of its own dentries. */
		struct hlist_node *first = BPF_CORE_READ(inode, i_dentry.first);

		if (!first)
			return 0;
		d = (void *)first - bpf_core_field_offset(struct dentry, d_u);
		return decide_obj(d, inode, NULL, op);
	}
	return decide_obj(d, inode, BPF_CORE_READ(file, f_path.mnt), op);
}

/* Self-protection helpers (defined with their hooks at the end). */
static __always_inline int self_fs(struct super_block *sb);
static __always_inline int refuse_self_fs(struct super_block *sb, struct dentry *d,
					  struct vfsmount *mnt, __u32 op);
static __always_inline int cgroup_kill_file(struct file *file);

/* --- content ------------------------------------------------------------ */

SEC("lsm/file_open")
int BPF_PROG(file_open, struct file *file, int ret)
{
	unsigned int flags;

	if (ret)
		return ret;
	flags = file->f_flags;
	if (!(file->f_mode & FMODE_WRITE) && !(flags & O_TRUNC))
		return 0;
	ret = cgroup_kill_file(file);
	if (ret)
		return ret;
	return decide_file(file, (flags & O_TRUNC) ? PF_OP_OPEN_TRUNC : PF_OP_OPEN_WRITE);
}

/* Writes through descriptors opened before the freeze; also the entry of
 * copy_file_range, sendfile/splice, io_uring writes, fallocate and clones. */
SEC("lsm/file_permission")
int BPF_PROG(file_permission, struct file *file, int mask, int ret)
{
	if (ret)
		return ret;
	if (!(mask & (MAY_WRITE | MAY_APPEND)))
		return 0;
	return decide_file(file, PF_OP_WRITE);
}

SEC("lsm/path_truncate")
int BPF_PROG(path_truncate, const struct path *path, int ret)
{
	if (ret)
		return ret;
	return decide_path(path, PF_OP_TRUNCATE);
}

/* ftruncate and open(O_TRUNC) from 6.2 on; absent on 6.1 (autoload off). */
SEC("lsm/file_truncate")
int BPF_PROG(file_truncate, struct file *file, int ret)
{
	if (ret)
		return ret;
	return decide_file(file, PF_OP_TRUNCATE);
}

SEC("lsm/mmap_file")
int BPF_PROG(mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	if (!file || !(prot & PROT_WRITE))
		return 0;
	if ((flags & 0x0f) != MAP_SHARED && (flags & 0x0f) != MAP_SHARED_VALIDATE)
		return 0;
	return decide_file(file, PF_OP_MMAP_WRITE);
}

SEC("lsm/file_mprotect")
int BPF_PROG(file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file;

	if (ret)
		return ret;
	if (!(prot & PROT_WRITE) || !(vma->vm_flags & VM_SHARED))
		return 0;
	file = vma->vm_file;
	if (!file)
		return 0;
	return decide_file(file, PF_OP_MMAP_WRITE);
}

SEC("lsm/file_ioctl")
int BPF_PROG(file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	if (cmd != FS_IOC_SETFLAGS && cmd != FS_IOC32_SETFLAGS && cmd != FS_IOC_FSSETXATTR)
		return 0;
	return decide_file(file, PF_OP_SETFLAGS);
}

/* --- names ------------------------------------------------------------- */

SEC("lsm/path_mknod")
int BPF_PROG(path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt),
		      (mode & S_IFMT) == S_IFREG || (mode & S_IFMT) == 0 ? PF_OP_CREATE
									 : PF_OP_MKNOD);
}

SEC("lsm/path_mkdir")
int BPF_PROG(path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt), PF_OP_MKDIR);
}

SEC("lsm/path_rmdir")
int BPF_PROG(path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return decide_obj(dentry, dentry->d_inode, BPF_CORE_READ(dir, mnt), PF_OP_RMDIR);
}

SEC("lsm/path_unlink")
int BPF_PROG(path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return decide_obj(dentry, dentry->d_inode, BPF_CORE_READ(dir, mnt), PF_OP_UNLINK);
}

SEC("lsm/path_symlink")
int BPF_PROG(path_symlink, const struct path *dir, struct dentry *dentry,
	     const char *old_name, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt), PF_OP_SYMLINK);
}

/* Both ends: a protected object may neither gain a name elsewhere (it could
 * then be judged by another path) nor a name appear in a protected tree. */
SEC("lsm/path_link")
int BPF_PROG(path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct vfsmount *mnt;

	if (ret)
		return ret;
	invalidate();
	mnt = BPF_CORE_READ(new_dir, mnt);
	ret = decide(old_dentry, mnt, PF_OP_LINK);
	if (ret)
		return ret;
	return decide(new_dentry, mnt, PF_OP_LINK);
}

/* A rename over an object that has a rule of its own (an approved
 * replacement while frozen) hands the rule to the object taking the name,
 * at once: the new file is protected from its first moment, without
 * waiting for the agent to re-resolve. (If the rename then fails, the extra
 * entry only protects more; the agent's next resolution drops it.) */
static __always_inline void carry_rule(struct dentry *from, struct dentry *to)
{
	struct pf_config *cfg = get_config();
	struct inode *to_inode = BPF_CORE_READ(to, d_inode);
	struct inode *from_inode = BPF_CORE_READ(from, d_inode);
	struct pf_key key, nkey;
	struct pf_rule *r, copy;

	if (!cfg || cfg->mode == PF_MODE_OFF || !to_inode || !from_inode)
		return;
	key.dev = BPF_CORE_READ(to, d_sb, s_dev);
	key.ino = BPF_CORE_READ(to_inode, i_ino);
	r = bpf_map_lookup_elem(&rules, &key);
	if (!r)
		return;
	copy = *r;
	nkey.dev = BPF_CORE_READ(from, d_sb, s_dev);
	nkey.ino = BPF_CORE_READ(from_inode, i_ino);
	if (nkey.dev != key.dev)
		return;
	bpf_map_update_elem(&rules, &nkey, &copy, BPF_NOEXIST);
	__sync_fetch_and_add(&ancestry_gen, 1);
}

/* Covers rename away, rename over, directory renames and RENAME_EXCHANGE:
 * each end's walk includes the object itself and its ancestors. */
SEC("lsm/path_rename")
int BPF_PROG(path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	if (ret)
		return ret;
	invalidate();
	ret = decide_guard(old_dentry, BPF_CORE_READ(old_dir, mnt), PF_OP_RENAME);
	if (ret)
		return ret;
	ret = decide_guard(new_dentry, BPF_CORE_READ(new_dir, mnt), PF_OP_RENAME);
	if (ret)
		return ret;
	ret = decide(old_dentry, BPF_CORE_READ(old_dir, mnt), PF_OP_RENAME);
	if (ret)
		return ret;
	/* carry_rule() runs in inode_rename, after its checks. */
	return decide(new_dentry, BPF_CORE_READ(new_dir, mnt), PF_OP_RENAME);
}

/* --- the same, where the path hooks are not called ------------------------ */

/* overlayfs changes its upper layer, and in-kernel servers change files,
 * through VFS calls that skip the path hooks; these see them. */

SEC("lsm/inode_create")
int BPF_PROG(inode_create, struct inode *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return decide_inode_op(dentry, PF_OP_CREATE);
}

SEC("lsm/inode_mknod")
int BPF_PROG(inode_mknod, struct inode *dir, struct dentry *dentry, umode_t mode, dev_t dev,
	     int ret)
{
	if (ret)
		return ret;
	return decide_inode_op(dentry, PF_OP_MKNOD);
}

SEC("lsm/inode_mkdir")
int BPF_PROG(inode_mkdir, struct inode *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return decide_inode_op(dentry, PF_OP_MKDIR);
}

SEC("lsm/inode_symlink")
int BPF_PROG(inode_symlink, struct inode *dir, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return decide_inode_op(dentry, PF_OP_SYMLINK);
}

SEC("lsm/inode_unlink")
int BPF_PROG(inode_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return decide_inode_op(dentry, PF_OP_UNLINK);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(inode_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return decide_inode_op(dentry, PF_OP_RMDIR);
}

SEC("lsm/inode_link")
int BPF_PROG(inode_link, struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry,
	     int ret)
{
	if (ret)
		return ret;
	invalidate();
	ret = decide_inode_op(old_dentry, PF_OP_LINK);
	if (ret)
		return ret;
	return decide_inode_op(new_dentry, PF_OP_LINK);
}

/* After path_rename's checks (when called from rename(2)); the rule of a
 * replaced object is handed on only once both ends passed. */
SEC("lsm/inode_rename")
int BPF_PROG(inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	if (ret)
		return ret;
	invalidate();
	ret = decide_inode_op(old_dentry, PF_OP_RENAME);
	if (ret)
		return ret;
	ret = decide_inode_op(new_dentry, PF_OP_RENAME);
	if (ret)
		return ret;
	carry_rule(old_dentry, new_dentry);
	return 0;
}

/* --- metadata ---------------------------------------------------------- */

SEC("lsm/path_chmod")
int BPF_PROG(path_chmod, const struct path *path, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return decide_path(path, PF_OP_CHMOD);
}

SEC("lsm/path_chown")
int BPF_PROG(path_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	if (ret)
		return ret;
	return decide_path(path, PF_OP_CHOWN);
}

/* utimes and the rest of notify_change(). Mode, owner and size changes are
 * judged (with their own op) by path_chmod, path_chown and the truncate hooks, so they
 * are not counted twice here. */
static __always_inline int setattr(struct dentry *dentry, struct iattr *attr)
{
	unsigned int valid = BPF_CORE_READ(attr, ia_valid);

	if (valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_SIZE))
		return 0;
	return decide(dentry, NULL, PF_OP_SETATTR);
}

/* 6.1: (struct dentry *, struct iattr *) */
SEC("lsm/inode_setattr")
int BPF_PROG(inode_setattr_v1, struct dentry *dentry, struct iattr *attr, int ret)
{
	if (ret)
		return ret;
	return setattr(dentry, attr);
}

/* 6.3+: (struct mnt_idmap *, struct dentry *, struct iattr *) */
SEC("lsm/inode_setattr")
int BPF_PROG(inode_setattr_v2, void *idmap, struct dentry *dentry, struct iattr *attr, int ret)
{
	if (ret)
		return ret;
	return setattr(dentry, attr);
}

/* The dentry is the second argument on every kernel we support (the first
 * is a user namespace on 6.1, an idmap later), so one program fits all. */
SEC("lsm/inode_setxattr")
int BPF_PROG(inode_setxattr, void *ns, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, NULL, PF_OP_SETXATTR);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(inode_removexattr, void *ns, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, NULL, PF_OP_REMOVEXATTR);
}

/* POSIX ACLs have their own hooks from 6.2 (autoload off before). */
SEC("lsm/inode_set_acl")
int BPF_PROG(inode_set_acl, void *idmap, struct dentry *dentry, const char *acl_name,
	     void *kacl, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, NULL, PF_OP_SETACL);
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(inode_remove_acl, void *idmap, struct dentry *dentry, const char *acl_name,
	     int ret)
{
	if (ret)
		return ret;
	return decide(dentry, NULL, PF_OP_SETACL);
}

/* --- mounts ------------------------------------------------------------ */

static __always_inline int sb_protected(struct super_block *sb)
{
	__u32 dev = BPF_CORE_READ(sb, s_dev);

	return bpf_map_lookup_elem(&protected_sbs, &dev) != NULL;
}

static __always_inline int deny_sb(struct super_block *sb, struct dentry *d,
				   struct vfsmount *mnt, __u32 op)
{
	struct pf_config *cfg = get_config();

	if (!cfg || cfg->mode == PF_MODE_OFF)
		return 0;
	return verdict(d, mnt, BPF_CORE_READ(sb, s_dev), 0, op, cfg->mode, PF_RULEID_NONE);
}

/* Read-only remounts on their way from sb_mount to sb_remount (which is
 * not told the flags): task -> superblock. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u64);
} ro_remounts SEC(".maps");

SEC("lsm/sb_mount")
int BPF_PROG(sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	if (ret)
		return ret;
	if (flags & MS_REMOUNT) {
		struct super_block *sb = BPF_CORE_READ(path, mnt, mnt_sb);
		struct vfsmount *mnt = BPF_CORE_READ(path, mnt);

		/* Making something read-only only tightens: never refused
		 * (a shutdown remounts / read-only to leave it clean). The
		 * superblock half is judged again in sb_remount. */
		if (flags & MS_RDONLY) {
			if (!(flags & MS_BIND)) {
				__u64 id = bpf_get_current_pid_tgid(), v = (__u64)sb;

				bpf_map_update_elem(&ro_remounts, &id, &v, BPF_ANY);
			}
			return 0;
		}
		/* One mount's own flags (nosuid, noexec, rw), in a namespace
		 * the host does not see: what every path shows is unchanged
		 * (systemd's unit sandboxes do this at every start). */
		if ((flags & MS_BIND) && !mount_reaches_host(mnt))
			return 0;
		if (sb_protected(sb))
			return deny_sb(sb, BPF_CORE_READ(path, dentry), mnt, PF_OP_REMOUNT);
		return 0;
	}
	{
		struct super_block *sb = BPF_CORE_READ(path, mnt, mnt_sb);

		if (self_fs(sb))
			return refuse_self_fs(sb, BPF_CORE_READ(path, dentry),
					      BPF_CORE_READ(path, mnt), PF_OP_MOUNT);
	}
	/* Propagation changes (unshare -m, systemd) do not change what a
	 * path shows: allowed on ancestors. */
	if (!(flags & MS_PROPAGATION)) {
		ret = decide_guard_mount(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt));
		if (ret)
			return ret;
	}
	return decide_mount(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), PF_OP_MOUNT);
}

SEC("lsm/move_mount")
int BPF_PROG(move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	struct super_block *sb;

	if (ret)
		return ret;
	sb = BPF_CORE_READ(to_path, mnt, mnt_sb);
	if (self_fs(sb))
		return refuse_self_fs(sb, BPF_CORE_READ(to_path, dentry),
				      BPF_CORE_READ(to_path, mnt), PF_OP_MOUNT);
	sb = BPF_CORE_READ(from_path, mnt, mnt_sb);
	if (self_fs(sb))
		return refuse_self_fs(sb, BPF_CORE_READ(from_path, dentry),
				      BPF_CORE_READ(from_path, mnt), PF_OP_MOUNT);
	ret = decide_guard_mount(BPF_CORE_READ(to_path, dentry), BPF_CORE_READ(to_path, mnt));
	if (ret)
		return ret;
	return decide_mount(BPF_CORE_READ(to_path, dentry), BPF_CORE_READ(to_path, mnt),
			    PF_OP_MOUNT);
}

/* Unmounting a mount of a filesystem that holds protected objects, or one
 * mounted inside a protected tree, changes what the protected paths show. */
SEC("lsm/sb_umount")
int BPF_PROG(sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	struct super_block *sb;
	struct mount *m;

	if (ret)
		return ret;
	sb = BPF_CORE_READ(mnt, mnt_sb);
	if (self_fs(sb))
		return refuse_self_fs(sb, BPF_CORE_READ(mnt, mnt_root), mnt, PF_OP_UMOUNT);
	/* systemd's unit set-up unmounts what it replaces (/proc, /dev/shm,
	 * credentials) in the unit's namespace, which the host never sees */
	if (sandbox_setup() && !mount_reaches_host(mnt))
		return 0;
	if (sb_protected(sb))
		return deny_sb(sb, BPF_CORE_READ(mnt, mnt_root), mnt, PF_OP_UMOUNT);
	m = (void *)mnt - bpf_core_field_offset(struct mount, mnt);
	return decide(BPF_CORE_READ(m, mnt_mountpoint), NULL, PF_OP_UMOUNT);
}

SEC("lsm/sb_remount")
int BPF_PROG(sb_remount, struct super_block *sb, void *mnt_opts, int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), *ro;

	if (ret)
		return ret;
	if (!sb_protected(sb))
		return 0;
	/* the read-only remount sb_mount let through */
	ro = bpf_map_lookup_elem(&ro_remounts, &id);
	if (ro && *ro == (__u64)sb) {
		bpf_map_delete_elem(&ro_remounts, &id);
		return 0;
	}
	return deny_sb(sb, BPF_CORE_READ(sb, s_root), NULL, PF_OP_REMOUNT);
}

/* --- identity hygiene --------------------------------------------------- */

/* An inode that dies unlinked takes its rule with it, so the inode number,
 * once reused, cannot protect (or unprotect) an unrelated file. Linked
 * inodes merely evicted from the cache keep their rules. */
SEC("lsm/inode_free_security")
int BPF_PROG(inode_free_security, struct inode *inode)
{
	struct pf_key key;
	__u32 dev;

	if (inode->i_nlink)
		return 0;
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (!bpf_map_lookup_elem(&protected_sbs, &dev))
		return 0;
	key.dev = dev;
	key.ino = inode->i_ino;
	if (bpf_map_delete_elem(&rules, &key) == 0)
		invalidate();
	return 0;
}

/* --- self-protection ------------------------------------------------------
 *
 * While enforcing, root must not switch Permafrost off, blind it or walk
 * around it. "The agent" is a process that exec'd the agent binary (its
 * (dev, ino) is in the config; the binary itself is a protected object)
 * cleanly: not traced, and without loader or OpenSSL variables that would
 * load foreign code into it. Such a process is recorded in agent_procs at
 * exec, so a restarted agent (a new tgid) is recognised before it has
 * touched any map. */

#define BPF_FS_MAGIC 0xcafe4a11
#define SECURITYFS_MAGIC 0x73636673
#define CGROUP2_SUPER_MAGIC 0x63677270
#define PR_SET_MM 35
#define PR_SET_MM_EXE_FILE 13
#define PR_SET_MM_MAP 14
#define SIGHUP 1
#define SIGCHLD 17
#define SIGCONT 18
#define SIGURG 23
#define SIGWINCH 28
#define ENV_SCAN_STEPS 65536 /* bounded scan of an agent exec's strings */
#define ENV_CHUNK 256

/* tgid -> struct pf_agent_proc */
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

/* Policy `self-protect` (default yes) and a mode that is not off. */
static __always_inline int selfprot_on(struct pf_config *cfg)
{
	return cfg && cfg->mode != PF_MODE_OFF && (cfg->flags & PF_CFG_SELF_PROTECT);
}

static __always_inline int exe_is_agent(struct pf_config *cfg, struct task_struct *t)
{
	struct file *exe;

	if (!cfg->agent_exe_ino)
		return 0;
	exe = BPF_CORE_READ(t, mm, exe_file);
	if (!exe)
		return 0;
	return BPF_CORE_READ(exe, f_inode, i_ino) == cfg->agent_exe_ino &&
	       BPF_CORE_READ(exe, f_inode, i_sb, s_dev) == cfg->agent_exe_dev;
}

static __always_inline int is_agent(struct pf_config *cfg)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pf_agent_proc *p;

	if (!cfg || !exe_is_agent(cfg, t))
		return 0;
	p = bpf_map_lookup_elem(&agent_procs, &tgid);
	/* start_ns 0: the entry the agent wrote for itself at its first start
	 * (no identity in the config yet at its exec); task_free removes it
	 * with the process, so it cannot go stale. */
	return p && (p->start_ns == 0 || p->start_ns == BPF_CORE_READ(t, group_leader, start_time));
}

/* A tamper event about something that has no dentry. */
static __always_inline void emit_self(__u64 dev, __u64 ino, __u32 op, __u32 decision,
				      __u32 mode)
{
	emit(NULL, NULL, dev, ino, op, decision, mode, PF_RULEID_SELF);
}

/* The common tail: refuse (and report `tamper`) in enforce, report
 * would-deny in audit, nothing in off. */
static __always_inline int refuse_self(struct pf_config *cfg, __u64 dev, __u64 ino, __u32 op)
{
	if (!cfg || cfg->mode == PF_MODE_OFF)
		return 0;
	if (cfg->mode == PF_MODE_ENFORCE) {
		emit_self(dev, ino, op, PF_DEC_TAMPER, cfg->mode);
		return -EPERM;
	}
	emit_self(dev, ino, op, PF_DEC_WOULD_DENY, cfg->mode);
	return 0;
}

struct envscan {
	unsigned long p;     /* user address of the next string (chunk) */
	__u32 strings_left;  /* argv + envp strings still to pass */
	__u32 argc;          /* argv strings (not judged) */
	__u32 at_start;      /* p is at the start of a string */
	__u32 bad;           /* a dangerous variable, or unreadable */
};

struct envchunk {
	char buf[ENV_CHUNK];
};

/* Per-CPU scratch for the string being read (too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct envchunk);
} envscan_buf SEC(".maps");

static __always_inline int bad_var(const char *b)
{
	/* LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH, ... : foreign code or
	 * libraries in the agent; OPENSSL_CONF/_MODULES/_ENGINES: providers
	 * loaded by libcrypto; GCONV_PATH: iconv modules. */
	if (b[0] == 'L' && b[1] == 'D' && b[2] == '_')
		return 1;
	if (b[0] == 'O' && b[1] == 'P' && b[2] == 'E' && b[3] == 'N' && b[4] == 'S' &&
	    b[5] == 'S' && b[6] == 'L' && b[7] == '_')
		return 1;
	if (b[0] == 'G' && b[1] == 'C' && b[2] == 'O' && b[3] == 'N' && b[4] == 'V' &&
	    b[5] == '_')
		return 1;
	return 0;
}

static long env_step(__u32 i, void *ctx)
{
	struct envscan *s = ctx;
	struct envchunk *c;
	__u32 zero = 0;
	long n;

	if (!s->strings_left)
		return 1;
	c = bpf_map_lookup_elem(&envscan_buf, &zero);
	if (!c) {
		s->bad = 1;
		return 1;
	}
	n = bpf_probe_read_user_str(c->buf, sizeof(c->buf), (const void *)s->p);
	if (n <= 0) {
		s->bad = 1;
		return 1;
	}
	if (s->at_start && s->argc == 0 && bad_var(c->buf)) {
		s->bad = 1;
		return 1;
	}
	if (n < ENV_CHUNK) {
		/* the string ended inside this chunk */
		s->p += n;
		s->strings_left--;
		if (s->argc)
			s->argc--;
		s->at_start = 1;
	} else {
		s->p += ENV_CHUNK - 1;
		s->at_start = 0;
	}
	return 0;
}

/* At exec, after the new mm is in place (the argument and environment
 * strings are readable at bprm->p): record or forget the agent. Runs
 * whatever the mode, so that a restart is recognised when it matters. */
SEC("lsm/bprm_committing_creds")
int BPF_PROG(bprm_committing_creds, struct linux_binprm *bprm)
{
	struct pf_config *cfg = get_config();
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inode *inode;
	struct envscan sc = {}, *s = &sc;
	struct pf_agent_proc v;

	if (!cfg || !cfg->agent_exe_ino)
		return 0;
	inode = BPF_CORE_READ(bprm, file, f_inode);
	if (!inode || BPF_CORE_READ(inode, i_ino) != cfg->agent_exe_ino ||
	    BPF_CORE_READ(inode, i_sb, s_dev) != cfg->agent_exe_dev) {
		/* any other program: this process is no agent (any more) */
		bpf_map_delete_elem(&agent_procs, &tgid);
		return 0;
	}
	s->p = BPF_CORE_READ(bprm, p);
	s->argc = BPF_CORE_READ(bprm, argc);
	s->strings_left = s->argc + BPF_CORE_READ(bprm, envc);
	s->at_start = 1;
	s->bad = 0;
	bpf_loop(ENV_SCAN_STEPS, env_step, s, 0);
	if (s->strings_left)
		s->bad = 1; /* too long to judge: fail closed */
	if (s->bad || BPF_CORE_READ(t, ptrace)) {
		bpf_map_delete_elem(&agent_procs, &tgid);
		/* never trusted; reported as the mode says (nothing when off) */
		if (cfg->mode != PF_MODE_OFF)
			emit(NULL, NULL, cfg->agent_exe_dev, cfg->agent_exe_ino, PF_OP_AGENT_EXEC,
			     cfg->mode == PF_MODE_ENFORCE ? PF_DEC_TAMPER : PF_DEC_WOULD_DENY,
			     cfg->mode, PF_RULEID_SELF);
		return 0;
	}
	v.start_ns = BPF_CORE_READ(t, group_leader, start_time);
	bpf_map_update_elem(&agent_procs, &tgid, &v, BPF_ANY);
	return 0;
}

/* A process's exe link must not be pointed at the agent binary. */
SEC("lsm/task_prctl")
int BPF_PROG(task_prctl, int option, unsigned long arg2, unsigned long arg3,
	     unsigned long arg4, unsigned long arg5, int ret)
{
	struct pf_config *cfg;

	if (ret)
		return ret;
	if (option != PR_SET_MM || (arg2 != PR_SET_MM_EXE_FILE && arg2 != PR_SET_MM_MAP))
		return 0;
	cfg = get_config();
	if (!selfprot_on(cfg))
		return 0;
	return refuse_self(cfg, 0, 0, PF_OP_PRCTL_EXE);
}

/* Fds of Permafrost's maps are the agent's alone, in any mode: even a
 * read-only fd can be handed to a program (BPF_PROG_LOAD) that writes the
 * map. Fds of its programs and links are harmless (an LSM link can be
 * neither detached nor updated; only unpinning ends it, and the pins are
 * protected), so bpftool prog/link list keep working. */
static __always_inline int own_map_fd(__u32 id)
{
	struct pf_config *cfg;

	if (!bpf_map_lookup_elem(&own_maps, &id))
		return 0;
	cfg = get_config();
	if (!selfprot_on(cfg) || is_agent(cfg))
		return 0;
	return refuse_self(cfg, 0, id, PF_OP_BPF_OBJ);
}

/* BPF_OBJ_GET of a pin, and everything else that makes a map fd. */
SEC("lsm/bpf_map")
int BPF_PROG(bpf_map, struct bpf_map *map, unsigned int fmode, int ret)
{
	if (ret)
		return ret;
	return own_map_fd(BPF_CORE_READ(map, id));
}

/* BPF_MAP_GET_FD_BY_ID of one of our maps answers ENOENT ("no such map,
 * for you"), so that tools walking every id (bpftool map list, which
 * stops at the first other error) keep working for the host's other maps.
 * It is still refused and reported as tamper. */
/* Declared with the three arguments every kernel has (6.18 adds a fourth,
 * so `ret` is not read: a non-zero earlier result never reaches us). */
SEC("lsm/bpf")
int BPF_PROG(bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	if (cmd != BPF_MAP_GET_FD_BY_ID)
		return 0;
	return own_map_fd(BPF_CORE_READ(attr, map_id)) ? -2 /* ENOENT */ : 0;
}

/* The caller is PID 1 (systemd stopping the unit for `systemctl stop` or
 * `restart`, or systemd-shutdown): a legitimate stop. The pinned programs
 * keep enforcing without the agent; its stop is an agent-stop record. */
static __always_inline int from_init(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == 1;
}

static __always_inline int stopping_signal(int sig)
{
	return sig != 0 && sig != SIGHUP && sig != SIGCHLD && sig != SIGCONT && sig != SIGURG &&
	       sig != SIGWINCH;
}

/* Signals that stop or end the agent, from anyone but itself. */
SEC("lsm/task_kill")
int BPF_PROG(task_kill, struct task_struct *p, void *info, int sig, const void *cred, int ret)
{
	struct pf_config *cfg;

	if (ret)
		return ret;
	if (!stopping_signal(sig))
		return 0;
	cfg = get_config();
	if (!selfprot_on(cfg) || !exe_is_agent(cfg, p))
		return 0;
	if (BPF_CORE_READ(p, tgid) == (bpf_get_current_pid_tgid() >> 32) || from_init())
		return 0;
	return refuse_self(cfg, 0, BPF_CORE_READ(p, tgid), PF_OP_SIGNAL);
}

#define PTRACE_MODE_ATTACH 0x02

/* ptrace attach, /proc/PID/mem, process_vm_readv/writev, pidfd_getfd of
 * any process running the agent binary: every PTRACE_MODE_ATTACH check.
 * Read-mode checks (/proc/PID/exe, environ, stat for ps) pass. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
	struct pf_config *cfg;

	if (ret)
		return ret;
	if (!(mode & PTRACE_MODE_ATTACH))
		return 0;
	cfg = get_config();
	if (!selfprot_on(cfg) || !exe_is_agent(cfg, child))
		return 0;
	if (BPF_CORE_READ(child, tgid) == (bpf_get_current_pid_tgid() >> 32))
		return 0;
	return refuse_self(cfg, 0, BPF_CORE_READ(child, tgid), PF_OP_PTRACE);
}

/* lock-kernel: no module and no kexec image while enforcing. Firmware and
 * the rest pass. */
static __always_inline int lock_kernel(__u32 op)
{
	struct pf_config *cfg = get_config();

	if (!cfg || !(cfg->flags & PF_CFG_LOCK_KERNEL))
		return 0;
	return refuse_self(cfg, 0, 0, op);
}

SEC("lsm/kernel_read_file")
int BPF_PROG(kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents,
	     int ret)
{
	if (ret)
		return ret;
	if (id == READING_MODULE)
		return lock_kernel(PF_OP_MODULE);
	if (id == READING_KEXEC_IMAGE || id == READING_KEXEC_INITRAMFS)
		return lock_kernel(PF_OP_KEXEC);
	return 0;
}

SEC("lsm/kernel_load_data")
int BPF_PROG(kernel_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	if (ret)
		return ret;
	if (id == LOADING_MODULE)
		return lock_kernel(PF_OP_MODULE);
	if (id == LOADING_KEXEC_IMAGE || id == LOADING_KEXEC_INITRAMFS)
		return lock_kernel(PF_OP_KEXEC);
	return 0;
}

/* Is @sb a bpffs or securityfs instance (where the pins and the LSM list
 * live)? Mounts on them and their unmounting are refused. */
static __always_inline int self_fs(struct super_block *sb)
{
	unsigned long magic = BPF_CORE_READ(sb, s_magic);

	return magic == BPF_FS_MAGIC || magic == SECURITYFS_MAGIC;
}

static __always_inline int refuse_self_fs(struct super_block *sb, struct dentry *d,
					  struct vfsmount *mnt, __u32 op)
{
	struct pf_config *cfg = get_config();

	/* a unit's own bpffs (systemd's PrivateBPF=) or its view of them */
	if (!selfprot_on(cfg) || (sandbox_setup() && !mount_reaches_host(mnt)))
		return 0;
	return verdict(d, mnt, BPF_CORE_READ(sb, s_dev), 0, op, cfg->mode, PF_RULEID_SELF_FS);
}

/* cgroup.kill and cgroup.freeze of the agent's cgroup or an ancestor. */
static __always_inline int cgroup_kill_file(struct file *file)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	char name[16] = {};
	__u64 dir;

	if (BPF_CORE_READ(d, d_sb, s_magic) != CGROUP2_SUPER_MAGIC || !selfprot_on(get_config()) ||
	    from_init())
		return 0;
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (!(name[0] == 'c' && name[1] == 'g' && name[2] == 'r' && name[3] == 'o' &&
	      name[4] == 'u' && name[5] == 'p' && name[6] == '.' &&
	      ((name[7] == 'k' && name[8] == 'i' && name[9] == 'l' && name[10] == 'l' &&
		name[11] == 0) ||
	       (name[7] == 'f' && name[8] == 'r' && name[9] == 'e' && name[10] == 'e' &&
		name[11] == 'z' && name[12] == 'e' && name[13] == 0))))
		return 0;
	dir = BPF_CORE_READ(d, d_parent, d_inode, i_ino);
	if (!bpf_map_lookup_elem(&agent_cgroups, &dir))
		return 0;
	return refuse_self(get_config(), BPF_CORE_READ(d, d_sb, s_dev), dir, PF_OP_CGROUP_KILL);
}

/* A process that ends takes its agent_procs entry with it, so a reused
 * tgid can never inherit the agent's trust. */
SEC("lsm/task_free")
int BPF_PROG(task_free, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (BPF_CORE_READ(task, pid) != tgid)
		return 0;
	bpf_map_delete_elem(&agent_procs, &tgid);
	return 0;
}

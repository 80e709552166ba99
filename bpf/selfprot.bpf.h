/* SPDX-License-Identifier: GPL-2.0 */
/* Self-protection: while enforcing, root must not switch Permafrost off,
 * blind it or walk around it. The agent's record at exec, its maps, its
 * process (signals, ptrace, exe relabelling, its cgroup), the kernel
 * (modules, kexec) and the filesystems of its pins (bpffs, securityfs).
 * Who "the agent" is: self.bpf.h. Its files are protected objects like any
 * other (implicit rules, decide.bpf.h). Included before the filesystem
 * hooks, which call its checks for cgroup files and mounts. Part of
 * permafrost.bpf.c. */
#ifndef PF_SELFPROT_BPF_H
#define PF_SELFPROT_BPF_H

/* Policy `self-protect` (default yes); @cfg is an active config. */
static __always_inline int selfprot_on(struct pf_config *cfg)
{
	return cfg->flags & PF_CFG_SELF_PROTECT;
}

/* The active config where self-protection applies, else NULL. */
static __always_inline struct pf_config *selfprot_config(void)
{
	struct pf_config *cfg = active_config();

	return cfg && selfprot_on(cfg) ? cfg : NULL;
}

/* Refuse (and report `tamper`) in enforce, report would-deny in audit.
 * Something without a dentry: @dev, @ino say what it is. */
static __always_inline int refuse_self(struct pf_config *cfg, __u64 dev, __u64 ino, __u32 op)
{
	struct hit h = { .dev = dev, .ino = ino, .op = op, .rule_id = PF_RULEID_SELF };

	return verdict(cfg, &h);
}

/* The caller is PID 1 (systemd stopping the unit for `systemctl stop` or
 * `restart`, or systemd-shutdown): a legitimate stop. The pinned programs
 * keep enforcing without the agent; its stop is an agent-stop record. */
static __always_inline int from_init(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == 1;
}

/* --- the agent's record at exec --------------------------------------- */

struct envscan {
	unsigned long p;     /* user address of the next string (chunk) */
	__u32 strings_left;  /* argv + envp strings still to pass */
	__u32 argc;          /* argv strings (not judged) */
	__u32 at_start;      /* p is at the start of a string */
	__u32 bad;           /* a dangerous variable, or unreadable */
};

/* Eight bytes as one little-endian word, for prefix tests in a few
 * instructions (the compat build unrolls the scan: every branch counts). */
#define W3(a, b, c) ((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16)
#define W6(a, b, c, d, e, f) (W3(a, b, c) | W3(d, e, f) << 24)
#define W8(a, b, c, d, e, f, g, h) (W6(a, b, c, d, e, f) | (__u64)(g) << 48 | (__u64)(h) << 56)

static __always_inline int bad_var(const struct envchunk *c)
{
	__u64 w = *(const __u64 *)c->buf;

	/* LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH, ... : foreign code or
	 * libraries in the agent; OPENSSL_CONF/_MODULES/_ENGINES: providers
	 * loaded by libcrypto; GCONV_PATH: iconv modules. */
	return (w & 0xffffff) == W3('L', 'D', '_') ||
	       w == W8('O', 'P', 'E', 'N', 'S', 'S', 'L', '_') ||
	       (w & 0xffffffffffffULL) == W6('G', 'C', 'O', 'N', 'V', '_');
}

PF_LOOP_FN env_step(__u32 i, void *ctx)
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
	if (s->at_start && s->argc == 0 && bad_var(c)) {
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

/* Are the @argc argument and @envc environment strings at user address
 * @p unsafe for the agent (a variable of bad_var(), unreadable, or more
 * than the scan reads: fail closed)? A global function (compat.bpf.h). */
__noinline __u64 pf_envscan(__u64 p, __u64 argc, __u64 envc)
{
	struct envscan s = { .p = p, .argc = argc, .strings_left = argc + envc, .at_start = 1 };

	PF_LOOP(ENV_SCAN_STEPS, ENV_SCAN_STEPS_COMPAT, env_step, &s);
	return s.bad || s.strings_left;
}

/* At exec, after the new mm is in place (the argument and environment
 * strings are readable at bprm->p): record or forget the agent. Runs
 * whatever the mode, so that a restart is recognised when it matters. */
PF_LSM_VOID(bprm_committing_creds, struct linux_binprm *bprm)
{
	struct pf_config *cfg = get_config();
	struct task_struct *t = current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inode *inode;
	struct pf_agent_proc v;
	int bad;

	if (!cfg || !cfg->agent_exe_ino)
		return;
	inode = BPF_CORE_READ(bprm, file, f_inode);
	if (!inode || BPF_CORE_READ(inode, i_ino) != cfg->agent_exe_ino ||
	    BPF_CORE_READ(inode, i_sb, s_dev) != cfg->agent_exe_dev) {
		/* any other program: this process is no agent (any more) */
		bpf_map_delete_elem(&agent_procs, &tgid);
		return;
	}
	bad = pf_envscan(BPF_CORE_READ(bprm, p), BPF_CORE_READ(bprm, argc),
			 BPF_CORE_READ(bprm, envc));
	if (bad || BPF_CORE_READ(t, ptrace)) {
		struct hit h = { .dev = cfg->agent_exe_dev, .ino = cfg->agent_exe_ino,
				 .op = PF_OP_AGENT_EXEC, .rule_id = PF_RULEID_SELF };
		__u32 mode = mode_now(cfg);

		bpf_map_delete_elem(&agent_procs, &tgid);
		/* never trusted; reported as the mode says (nothing when off) */
		if (mode != PF_MODE_OFF)
			emit(&h, mode == PF_MODE_ENFORCE ? PF_DEC_TAMPER : PF_DEC_WOULD_DENY, mode);
		return;
	}
	v.start_ns = BPF_CORE_READ(t, group_leader, start_time);
	bpf_map_update_elem(&agent_procs, &tgid, &v, BPF_ANY);
}

/* A process that ends takes its agent_procs entry with it, so a reused
 * tgid can never inherit the agent's trust; a task, its AI agent's mark
 * (compat build, aiagent.bpf.h) and its run of repeats (events.bpf.h). */
PF_LSM_VOID(task_free, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	ai_forget(task);
	repeat_task_end(task);
	if (BPF_CORE_READ(task, pid) != tgid)
		return;
	bpf_map_delete_elem(&agent_procs, &tgid);
}

/* A process's exe link must not be pointed at the agent binary. And the
 * agent's sweep of the runs of repeats (PF_PRCTL_REPEATS, events.bpf.h):
 * anyone else's is an unknown option, as without us. */
PF_LSM(task_prctl, int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
       unsigned long arg5)
{
	struct pf_config *cfg;

	if (option == PF_PRCTL_REPEATS) {
		cfg = get_config();
		if (cfg && is_agent(cfg))
			pf_repeat_sweep((__u32)arg2);
		return 0;
	}
	if (option != PR_SET_MM || (arg2 != PR_SET_MM_EXE_FILE && arg2 != PR_SET_MM_MAP))
		return 0;
	cfg = selfprot_config();
	return cfg ? refuse_self(cfg, 0, 0, PF_OP_PRCTL_EXE) : 0;
}

/* --- its maps ------------------------------------------------------------- */

/* Fds of Permafrost's maps are the agent's alone: even a read-only fd can
 * be handed to a program (BPF_PROG_LOAD, a map-element iterator) that
 * writes the map. Most maps are guarded while enforcing; those that say
 * who the agent is and the audit chain's head (PF_OWN_ALWAYS) in every
 * mode, so that a thawed host's root who rewrites the log cannot rewrite
 * its head too, nor make itself the agent to do so. Fds of programs and
 * links are harmless (an LSM link can be neither detached nor updated;
 * only unpinning ends it, and the pins are protected), so bpftool
 * prog/link list keep working. */
static __always_inline int own_map_fd(__u32 id)
{
	struct hit h = { .ino = id, .op = PF_OP_BPF_OBJ, .rule_id = PF_RULEID_SELF };
	__u32 *how = bpf_map_lookup_elem(&own_maps, &id);
	struct pf_config *cfg;
	int deny = -EPERM;

	if (!how)
		return 0;
	cfg = *how == PF_OWN_ALWAYS ? get_config() : active_config();
	if (!cfg || !selfprot_on(cfg) || is_agent(cfg))
		return 0;
	if (*how != PF_OWN_ALWAYS)
		return verdict(cfg, &h);
	emit(&h, PF_DEC_TAMPER, mode_now(cfg));
	asm volatile("" : "+r"(deny)); /* see verdict() */
	return deny;
}

/* BPF_OBJ_GET of a pin, and everything else that makes a map fd. */
PF_LSM(bpf_map, struct bpf_map *map, unsigned int fmode)
{
	return own_map_fd(BPF_CORE_READ(map, id));
}

/* BPF_MAP_GET_FD_BY_ID of one of our maps answers ENOENT ("no such map,
 * for you"), so that tools walking every id (bpftool map list, which
 * stops at the first other error) keep working for the host's other maps.
 * It is still refused and reported as tamper. Declared with the three
 * arguments every kernel has (6.18 adds a fourth, so `ret` is not read: a
 * non-zero earlier result never reaches us). */
PF_LSM_NO_RET(bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	if (cmd != BPF_MAP_GET_FD_BY_ID)
		return 0;
	return own_map_fd(BPF_CORE_READ(attr, map_id)) ? -ENOENT : 0;
}

/* --- its process --------------------------------------------------------- */

static __always_inline int stopping_signal(int sig)
{
	return sig != 0 && sig != SIGHUP && sig != SIGCHLD && sig != SIGCONT && sig != SIGURG &&
	       sig != SIGWINCH;
}

/* Signals that stop or end the agent, from anyone but itself. */
PF_LSM(task_kill, struct task_struct *p, void *info, int sig, const void *cred)
{
	struct pf_config *cfg;

	if (!stopping_signal(sig))
		return 0;
	cfg = selfprot_config();
	if (!cfg || !exe_is_agent(cfg, p))
		return 0;
	if (BPF_CORE_READ(p, tgid) == (bpf_get_current_pid_tgid() >> 32) || from_init())
		return 0;
	return refuse_self(cfg, 0, BPF_CORE_READ(p, tgid), PF_OP_SIGNAL);
}

/* ptrace attach, /proc/PID/mem, process_vm_readv/writev, pidfd_getfd of
 * any process running the agent binary: every PTRACE_MODE_ATTACH check.
 * Read-mode checks (/proc/PID/exe, environ, stat for ps) pass. */
PF_LSM(ptrace_access_check, struct task_struct *child, unsigned int mode)
{
	struct pf_config *cfg;

	if (!(mode & PTRACE_MODE_ATTACH))
		return 0;
	/* an AI agent's tree reaching outside it (aiagent.bpf.h): as
	 * agent-mode says, whatever the host's mode */
	cfg = get_config();
	if (cfg && ai_reaches_out(cfg, child)) {
		struct hit h = { .ino = BPF_CORE_READ(child, tgid), .op = PF_OP_PTRACE };

		return verdict(cfg, &h);
	}
	cfg = selfprot_config();
	if (!cfg || !exe_is_agent(cfg, child))
		return 0;
	if (BPF_CORE_READ(child, tgid) == (bpf_get_current_pid_tgid() >> 32))
		return 0;
	return refuse_self(cfg, 0, BPF_CORE_READ(child, tgid), PF_OP_PTRACE);
}

/* cgroup.kill and cgroup.freeze of the agent's cgroup or an ancestor
 * (from file_open). */
static __always_inline int cgroup_kill_file(struct pf_config *cfg, struct file *file)
{
	struct dentry *d = file->f_path.dentry;
	char name[CGROUP_NAME_MAX] = {};
	__u64 dir;

	/* direct reads: every write-open passes here */
	if (d->d_sb->s_magic != CGROUP2_SUPER_MAGIC || !selfprot_on(cfg) ||
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
	return refuse_self(cfg, BPF_CORE_READ(d, d_sb, s_dev), dir, PF_OP_CGROUP_KILL);
}

/* --- the kernel ------------------------------------------------------------ */

/* lock-kernel: no module and no kexec image while enforcing. Firmware and
 * the rest pass. */
static __always_inline int lock_kernel(__u32 op)
{
	struct pf_config *cfg = active_config();

	if (!cfg || !(cfg->flags & PF_CFG_LOCK_KERNEL))
		return 0;
	return refuse_self(cfg, 0, 0, op);
}

PF_LSM(kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents)
{
	if (id == READING_MODULE)
		return lock_kernel(PF_OP_MODULE);
	if (id == READING_KEXEC_IMAGE || id == READING_KEXEC_INITRAMFS)
		return lock_kernel(PF_OP_KEXEC);
	return 0;
}

PF_LSM(kernel_load_data, enum kernel_load_data_id id, bool contents)
{
	if (id == LOADING_MODULE)
		return lock_kernel(PF_OP_MODULE);
	if (id == LOADING_KEXEC_IMAGE || id == LOADING_KEXEC_INITRAMFS)
		return lock_kernel(PF_OP_KEXEC);
	return 0;
}

/* --- the filesystems of its pins (from the mount hooks) ------------------ */

/* Is @sb a bpffs or securityfs instance (where the pins and the LSM list
 * live)? Mounts on them and their unmounting are refused. */
static __always_inline int self_fs(struct super_block *sb)
{
	unsigned long magic = BPF_CORE_READ(sb, s_magic);

	return magic == BPF_FS_MAGIC || magic == SECURITYFS_MAGIC;
}

static __always_inline int refuse_self_fs(struct pf_config *cfg, struct super_block *sb,
					  struct dentry *d, struct vfsmount *mnt, __u32 op)
{
	struct hit h;

	/* a unit's own bpffs (systemd's PrivateBPF=) or its view of them */
	if (!selfprot_on(cfg) || unit_sandbox_mount(mnt))
		return 0;
	h = (struct hit){ .d = d, .mnt = mnt, .dev = BPF_CORE_READ(sb, s_dev), .ino = 0, .op = op,
			  .rule_id = PF_RULEID_SELF_FS };
	return verdict(cfg, &h);
}

#endif

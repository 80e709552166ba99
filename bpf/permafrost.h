/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared between the BPF programs (permafrost.bpf.c) and user space.
 * Only fixed-size types; layout must be identical on both sides. What both
 * sides must agree on beyond a layout (which class an op belongs to, which
 * rule ids are Permafrost's own) is a static inline here, used by both, so
 * the unit tests run the kernel's own copy. */
#ifndef PERMAFROST_H
#define PERMAFROST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Longest dentry chain the kernel walks looking for a rule. Deeper objects
 * on a filesystem that holds protected objects are treated as protected
 * (fail closed). */
#define PF_MAX_DEPTH 4096
/* The same in the compat build (kernels without bpf_loop, before 5.17),
 * whose walks the verifier follows step by step. */
#define PF_COMPAT_DEPTH 64
/* Path bytes carried in an event (best effort, names from leaf to root). */
#define PF_PATH_BYTES 512
/* Components collected for an event's path. */
#define PF_PATH_COMPONENTS 32
/* The same in the compat build: each step of its name walks is checked by
 * the verifier once in each of the ~40 programs that emit records (5.10:
 * about 1,200 instructions processed a step, most of an agent's start).
 * A deeper object's record keeps the leaf's components and says
 * "path_truncated"; enforcement does not depend on it. */
#define PF_COMPAT_PATH_COMPONENTS 16
#define PF_COMM_LEN 16
/* The caller's executable in an event: components of at most
 * PF_EXE_NAME_MAX - 1 bytes, PF_EXE_BYTES in all. */
#define PF_EXE_BYTES 256
#define PF_EXE_NAME_MAX 64
#define PF_EXE_COMPONENTS 16
#define PF_COMPAT_EXE_COMPONENTS 8

enum pf_mode {
	PF_MODE_OFF = 0,
	PF_MODE_AUDIT = 1,
	PF_MODE_ENFORCE = 2,
};

enum pf_decision {
	PF_DEC_DENY = 1,
	PF_DEC_WOULD_DENY = 2,
	PF_DEC_APPROVED = 3,
	PF_DEC_TAMPER = 4,
};

/* Operations as seen by the hooks. */
enum pf_op {
	PF_OP_NONE = 0,
	PF_OP_OPEN_WRITE,    /* open for write/append/rw */
	PF_OP_OPEN_TRUNC,    /* open with O_TRUNC */
	PF_OP_WRITE,         /* write through an fd (file_permission) */
	PF_OP_TRUNCATE,      /* truncate/ftruncate */
	PF_OP_MMAP_WRITE,    /* writable MAP_SHARED mapping / mprotect */
	PF_OP_CREATE,        /* create a regular file */
	PF_OP_MKNOD,         /* mknod/mkfifo/socket */
	PF_OP_MKDIR,
	PF_OP_RMDIR,
	PF_OP_UNLINK,
	PF_OP_LINK,          /* hard link (source or destination) */
	PF_OP_SYMLINK,
	PF_OP_RENAME,        /* either end of rename / exchange */
	PF_OP_CHMOD,
	PF_OP_CHOWN,
	PF_OP_SETATTR,       /* utimes and other attribute changes */
	PF_OP_SETXATTR,
	PF_OP_REMOVEXATTR,
	PF_OP_SETACL,
	PF_OP_SETFLAGS,      /* FS_IOC_SETFLAGS / FS_IOC_FSSETXATTR */
	PF_OP_MOUNT,         /* mount/bind/move onto a protected path */
	PF_OP_UMOUNT,
	PF_OP_REMOUNT,
	PF_OP_BLKDEV_WRITE,  /* open for write the block device under a protected fs */
	/* Self-protection (decision PF_DEC_TAMPER): */
	PF_OP_BPF_OBJ,       /* a writable fd of one of Permafrost's maps */
	PF_OP_SIGNAL,        /* a stopping or killing signal to the agent */
	PF_OP_PTRACE,        /* ptrace / /proc/PID/mem / process_vm_* of the agent */
	PF_OP_MODULE,        /* loading a kernel module (lock-kernel) */
	PF_OP_KEXEC,         /* loading a kexec image (lock-kernel) */
	PF_OP_AGENT_EXEC,    /* the agent binary exec'd traced or with loader/OpenSSL env */
	PF_OP_PRCTL_EXE,     /* prctl(PR_SET_MM) exe-file change while frozen */
	PF_OP_CGROUP_KILL,   /* cgroup.kill / cgroup.freeze of the agent's cgroup */
	PF_OP_PINS,          /* the agent found its pinned set incomplete (user space) */
	/* AI agents' routes to an unmarked process (agentroutes.bpf.h): */
	PF_OP_AI_SOCKET,     /* connect to a listed Unix socket (agent-deny-socket) */
	PF_OP_AI_SSH,        /* TCP connect to a local address's ssh port (agent-ssh-port) */
	PF_OP__COUNT,
};

/* Operation classes: what an approval token's `ops` names. */
enum pf_opclass {
	PF_CLASS_WRITE = 1 << 0,
	PF_CLASS_CREATE = 1 << 1,
	PF_CLASS_DELETE = 1 << 2,
	PF_CLASS_RENAME = 1 << 3,
	PF_CLASS_METADATA = 1 << 4,
	PF_CLASS_MOUNT = 1 << 5,
};

/* The class an approval must name to cover @op; 0 for ops no approval can
 * cover: the self-protection ops (the kernel refuses them before it looks
 * for an approval, and a token must never name a way to switch Permafrost
 * off) and values that are no op. Every op is listed, with no default, so
 * that an op added to enum pf_op without a class is a build error
 * (-Wswitch) on both sides. */
static inline __u32 pf_op_class(__u32 op)
{
	switch ((enum pf_op)op) {
	case PF_OP_OPEN_WRITE:
	case PF_OP_OPEN_TRUNC:
	case PF_OP_WRITE:
	case PF_OP_TRUNCATE:
	case PF_OP_MMAP_WRITE:
		return PF_CLASS_WRITE;
	case PF_OP_CREATE:
	case PF_OP_MKNOD:
	case PF_OP_MKDIR:
	case PF_OP_LINK:
	case PF_OP_SYMLINK:
		return PF_CLASS_CREATE;
	case PF_OP_RMDIR:
	case PF_OP_UNLINK:
		return PF_CLASS_DELETE;
	case PF_OP_RENAME:
		return PF_CLASS_RENAME;
	case PF_OP_CHMOD:
	case PF_OP_CHOWN:
	case PF_OP_SETATTR:
	case PF_OP_SETXATTR:
	case PF_OP_REMOVEXATTR:
	case PF_OP_SETACL:
	case PF_OP_SETFLAGS:
		return PF_CLASS_METADATA;
	case PF_OP_MOUNT:
	case PF_OP_UMOUNT:
	case PF_OP_REMOUNT:
	case PF_OP_BLKDEV_WRITE:
		return PF_CLASS_MOUNT;
	case PF_OP_NONE:
	case PF_OP_BPF_OBJ:
	case PF_OP_SIGNAL:
	case PF_OP_PTRACE:
	case PF_OP_MODULE:
	case PF_OP_KEXEC:
	case PF_OP_AGENT_EXEC:
	case PF_OP_PRCTL_EXE:
	case PF_OP_CGROUP_KILL:
	case PF_OP_PINS:
	case PF_OP_AI_SOCKET:
	case PF_OP_AI_SSH:
	case PF_OP__COUNT:
		break;
	}
	return 0;
}

/* Key of the `rules` map: the identity of a protected or exempt object.
 * dev is the kernel's encoding (MAJOR << 20 | MINOR), as in sb->s_dev. */
struct pf_key {
	__u64 dev;
	__u64 ino;
};

enum pf_rule_kind {
	PF_RULE_PROTECT = 1,
	PF_RULE_EXEMPT = 2,
};

struct pf_rule {
	__u32 kind;    /* enum pf_rule_kind */
	__u32 rule_id; /* index of the policy line's rule, for events */
};

/* Reserved rule ids reported in events. */
#define PF_RULEID_NONE 0xffffffffU     /* no rule: a whole filesystem (remount, umount) */
#define PF_RULEID_TOO_DEEP 0xfffffffeU /* walk exceeded PF_MAX_DEPTH */
#define PF_RULEID_BLKDEV 0xfffffffdU   /* block device of a protected fs */
#define PF_RULEID_ANCESTOR 0xfffffff8U /* ancestor of a protected object */
/* AI agents (agentroutes.bpf.h): an object protected from AI agents'
 * processes only (the at/cron spools and systemd's unit directories the
 * agent adds), and a route to an unmarked process (a socket, ssh). */
#define PF_RULEID_AI_ONLY 0xfffffff7U
#define PF_RULEID_AI_ROUTE 0xfffffff6U
/* Permafrost's own objects (implicit rules the agent adds). A hit on them
 * is reported as decision `tamper`. The agent itself may change
 * PF_RULEID_SELF_RW objects (its state, log and pin directories). */
#define PF_RULEID_SELF_RO 0xfffffffcU
#define PF_RULEID_SELF_RW 0xfffffffbU
#define PF_RULEID_SELF_FS 0xfffffffaU  /* bpffs / securityfs mount changes */
#define PF_RULEID_SELF 0xfffffff9U     /* the agent process, BPF objects, kernel lock */

/* Is @rule_id one of Permafrost's own (a hit on it is a `tamper`)? */
static inline int pf_rule_is_self(__u32 rule_id)
{
	return rule_id >= PF_RULEID_SELF && rule_id <= PF_RULEID_SELF_RO;
}

/* Bumped whenever a map's layout changes: pinned maps are kept in
 * <pin dir>/maps-v<N> and only reused by an agent of the same layout. */
#define PF_MAPS_VERSION 3

/* Values in `own_maps` (keyed by map id): when the kernel refuses their
 * fds to anyone but the agent. */
enum pf_own_map {
	PF_OWN_WHILE_ON = 1, /* while enforcing (frozen or audit) */
	/* in every mode: the maps that say who the agent is (config,
	 * agent_procs, own_maps) and the audit chain's head */
	PF_OWN_ALWAYS = 2,
};

/* The last audit line the agent wrote, kept in a one-entry array pinned at
 * <pin dir>/chain-head (user/agent/chainhead.c): what `log verify` holds
 * the file against, beyond the reach of root who rewrites the file. */
struct pf_chain_head {
	__u64 seq;          /* of the last line written; 0: none yet */
	__u8 hash[32];      /* SHA-256 of that line, '\n' included */
	char log[256];      /* the log's path, NUL-terminated */
};

/* The one-entry `config` array map. */
struct pf_config {
	__u32 mode;        /* enum pf_mode */
	__u32 agent_tgid;  /* the agent's tgid (for self-identification) */
	__u64 policy_gen;  /* bumped by the agent on every policy change */
	__u32 n_approvals; /* live entries in `approvals` (0: skip the lookup) */
	__u32 flags;       /* PF_CFG_* */
	__u64 agent_exe_dev; /* the agent binary (kernel dev encoding); 0: unknown */
	__u64 agent_exe_ino;
	__u64 paths_hash;  /* pf_name_hash-style FNV of the agent's paths */
	__u32 ai_mode;     /* policy agent-mode (enum pf_mode): the least mode a
			      process of an AI agent's tree is held to */
	__u32 n_ai_exes;   /* entries in `ai_exes` (0: no exec is looked up) */
	__u64 repeat_window_ns; /* policy event-repeat-window; 0: every decision is
				   a record of its own (bpf/events.bpf.h) */
};

enum pf_config_flags {
	PF_CFG_LOCK_KERNEL = 1 << 0, /* refuse module and kexec loading while enforcing */
	PF_CFG_SELF_PROTECT = 1 << 1, /* the agent, its maps and bpffs/securityfs mounts */
	PF_CFG_SETATTR_IDS = 1 << 2,  /* no program on path_chown (before 6.1): inode_setattr
					 judges owner changes */
	PF_CFG_SCHEDULE = 1 << 3,     /* the policy has freeze or change windows: read
					 `schedule` */
	PF_CFG_AI_UNITS = 1 << 4,     /* `ai_units` has entries: an exec or fork asks
					 whether its cgroup is an agent's unit */
};

/* The one-entry `schedule` array: the current or next stretch the policy's
 * windows freeze, on the boot clock (CLOCK_BOOTTIME, which
 * bpf_ktime_get_boot_ns reads and a wall-clock change does not move). The
 * programs apply @mode from @start to @end whatever the agent does then:
 * dead, hung or busy (user/agent/schedule.c writes it). */
struct pf_schedule {
	__u64 start;  /* boot ns; 0: no stretch */
	__u64 end;    /* boot ns, fixed when the agent programs the stretch */
	__u32 mode;   /* PF_MODE_ENFORCE or PF_MODE_AUDIT */
	__u32 window; /* the policy line of the window that says so (for records) */
};

/* Value of `agent_procs` (key: tgid): a process that exec'd the agent
 * binary cleanly (not traced, no loader or OpenSSL variables). */
struct pf_agent_proc {
	__u64 start_ns; /* the group leader's start_time, against pid reuse */
};

/* AI agents (policy `agent NAME exe=PATH`; "ai" in names here, since
 * "agent" is permafrostd). An AI agent's index is the position of its
 * line among the policy's agent lines. */
#define PF_AI_NONE 0xffffffffU /* not an agent's process (events, approvals) */
#define PF_AI_ANY 0xfffffffeU  /* an approval for every agent (token `agent: any`) */
#define PF_MAX_AI_AGENTS 64    /* agent lines in a policy */
#define PF_MAX_AI_EXES 256     /* exe= paths in all */
#define PF_MAX_AI_UNITS 64     /* unit= names in all */

/* Key of `ai_units` (policy `agent NAME unit=UNIT`): the name of the
 * unit's cgroup directory (systemd's, a '_' before some), NUL-padded. A
 * unit name (255 bytes), its '_' and the NUL fit. */
#define PF_AI_UNIT_KEY 264
struct pf_unit_key {
	char name[PF_AI_UNIT_KEY];
};

/* Cgroup levels compared, from a task's own cgroup up: a unit's cgroup
 * further up than this is not found (systemd nests user units about six
 * deep). */
#define PF_AI_UNIT_DEPTH 16

/* The mark of a process in an AI agent's tree (map `ai_marks`): set
 * when it execs one of the agents' files, copied to every task it
 * creates, kept across every later exec, never removed but with the
 * task. */
struct pf_mark {
	__u32 agent;     /* the agent's index */
	__u32 root_pid;  /* tgid of the process that exec'd the agent's file */
	__u64 root_dev;  /* that file (kernel dev encoding) */
	__u64 root_ino;
	__u64 marked_ns; /* boot ns of that exec */
};

/* An AI agent's tree (map `ai_trees`, value: its live tasks, threads
 * included): the mark its tasks share. */
struct pf_tree_key {
	__u32 agent;
	__u32 root_pid;
	__u64 marked_ns;
};

/* The routes out of an agent's tree (policy `agent-deny-socket`,
 * `agent-ssh-port`; maps `ai_sockets`, `ai_ssh_ports`, `ai_local_addrs`). */
#define PF_SOCK_PATH_MAX 108      /* sizeof(sockaddr_un.sun_path) */
#define PF_MAX_AI_SOCKETS 64      /* agent-deny-socket paths, defaults included */
#define PF_MAX_AI_SSH_PORTS 8     /* ports on agent-ssh-port */
#define PF_MAX_AI_LOCAL_ADDRS 256 /* the host's own addresses the agent loads */
#define PF_MAX_AI_GUARDS 256      /* ancestors of the agent-only objects */

/* Key of `ai_sockets`: a listening socket's bound name, NUL-padded. */
struct pf_sock_name {
	char path[PF_SOCK_PATH_MAX];
};

/* Key of `ai_local_addrs`: an IPv6 address, or an IPv4 one mapped
 * (::ffff:a.b.c.d). */
struct pf_inaddr {
	__u8 a[16];
};

/* Agent trees counted at once; a tree past it is marked and enforced all
 * the same, but `status` cannot count its tasks. */
#define PF_AI_TREES_MAX 4096

/* Longest last component an approval for a not-yet-existing file names. */
#define PF_APPROVAL_NAME_MAX 128

enum pf_approval_flags {
	PF_APR_SUBTREE = 1 << 0, /* the object and everything below it */
	PF_APR_NAME = 1 << 1,    /* key is the parent dir; only the child `name` */
	PF_APR_UID = 1 << 2,
	PF_APR_CGROUP = 1 << 3,
	PF_APR_EXE = 1 << 4,
	PF_APR_AI = 1 << 5,      /* applies to AI agents' processes: `ai_agent` names
				    which (or PF_AI_ANY); without it, to
				    unmarked processes only (while agent-mode is
				    not off) */
};

/* Key of the `approvals` map: the scope's identity; for PF_APR_NAME entries
 * (a named child of the directory dev/ino) name_hash = pf_name_hash(name),
 * else 0. */
struct pf_akey {
	__u64 dev;
	__u64 ino;
	__u32 name_hash;
	__u32 _pad;
};

/* FNV-1a over at most PF_APPROVAL_NAME_MAX bytes up to the NUL; never 0. */
static inline __u32 pf_name_hash(const char *s)
{
	__u32 h = 2166136261u;

	for (int i = 0; i < PF_APPROVAL_NAME_MAX && s[i]; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h ? h : 1;
}

/* Value of the `approvals` map, keyed by the scope's identity (struct
 * pf_akey). The kernel checks the expiry itself: an approval dies on time
 * even if the agent is dead. */
struct pf_approval_k {
	__u64 expires_boot_ns; /* CLOCK_BOOTTIME */
	__u32 ops;             /* PF_CLASS_* mask */
	__u32 flags;           /* PF_APR_* */
	__u32 uid;
	__u32 slot;            /* the agent's index of the token (for events) */
	__u64 cgroup_id;
	__u64 exe_dev;
	__u64 exe_ino;
	__u32 ai_agent;        /* PF_APR_AI: the agent's index or PF_AI_ANY */
	__u32 _pad;
	char name[PF_APPROVAL_NAME_MAX];
};

/* One ring-buffer record. */
struct pf_event {
	__u64 ts_boot_ns;   /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	__u64 dev;          /* object identity (kernel dev encoding) */
	__u64 ino;
	__u32 pid;          /* thread id */
	__u32 tgid;         /* process id */
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 op;           /* enum pf_op */
	__u32 decision;     /* enum pf_decision */
	__u32 mode;         /* enum pf_mode at decision time */
	__u32 rule_id;
	__u32 path_len;     /* bytes used in path[] */
	__u32 path_flags;   /* PF_PATH_* */
	__u32 approval;     /* PF_DEC_APPROVED: the approval's slot, else PF_APPROVAL_NONE */
	char comm[PF_COMM_LEN];
	/* Names from the object up to the root, each NUL-terminated:
	 * "passwd\0etc\0" means /etc/passwd. */
	char path[PF_PATH_BYTES];
	/* The caller's executable (mm->exe_file), encoded like path. */
	__u32 exe_len;      /* bytes used in exe[] (0: none, a kernel thread) */
	__u32 exe_flags;    /* PF_PATH_* */
	char exe[PF_EXE_BYTES];
	/* The AI agent's tree the caller belongs to (struct pf_mark): its
	 * index + 1; 0 (and the rest 0): none. */
	__u32 ai_agent;
	__u32 ai_root_pid;
	__u64 ai_root_dev;
	__u64 ai_root_ino;
	__u64 ai_marked_ns;
};

#define PF_APPROVAL_NONE 0xffffffffU

/* Repeats (bpf/events.bpf.h). A thread's decision identical to the one
 * that opened its current run (same op, object, decision, rule, mode and
 * approval) within the policy's event-repeat-window is counted in the
 * run instead of making a record; the run's first decision was a full
 * struct pf_event. When the run ends (another decision of the thread, the
 * window closed and the agent swept, the thread exited, its slot taken by
 * another thread) one struct pf_repeat says how many repeats it had. The
 * ring holds both kinds; a sample's size tells which. */
struct pf_repeat {
	__u64 first_ns;     /* the run's first decision: its pf_event's ts_boot_ns */
	__u64 last_ns;      /* its last repeat */
	__u64 count;        /* repeats after the first decision (>= 1) */
	__u64 dev;          /* the key: as in the first decision's pf_event */
	__u64 ino;
	__u32 pid;          /* thread id */
	__u32 tgid;
	__u32 op;
	__u32 decision;
	__u32 mode;
	__u32 rule_id;
	__u32 approval;
	__u32 _pad;
};

/* Runs open at once: an array of slots, a thread's by pf_repeat_slot(tid).
 * A thread finding its slot held by another's run ends that run (its
 * pf_repeat is sent) and takes the slot. */
#define PF_REPEAT_SLOTS 1024
/* Slots one sweep looks at (the agent sweeps them all, a chunk a call). */
#define PF_REPEAT_CHUNK 64
/* prctl(PF_PRCTL_REPEATS, CHUNK): the agent (only) asks the programs to
 * end the runs of slots CHUNK * PF_REPEAT_CHUNK.. whose window has closed.
 * An option number no kernel uses ("PFrp"). */
#define PF_PRCTL_REPEATS 0x50467270

static inline __u32 pf_repeat_slot(__u32 tid)
{
	return (tid * 2654435761u) >> 22; /* Fibonacci hashing: 10 bits */
}

#define PF_PATH_TRUNCATED (1U << 0) /* more components than we carried */
#define PF_PATH_FSROOT (1U << 1)    /* path is relative to its filesystem's root
                                       (no mount information in this hook) */

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Every number the programs use that the kernel's BTF (vmlinux.h) does not
 * carry: #defines of the kernel's headers, which BTF never sees, and the
 * bounds of our own loops. Values are the kernel's ABI: they do not change
 * between the kernels we run on. Part of permafrost.bpf.c. */
#ifndef PF_CONSTS_BPF_H
#define PF_CONSTS_BPF_H

/* --- the kernel's ------------------------------------------------------- */

/* errno */
#define EPERM 1
#define ENOENT 2
#define ENOMEM 12

/* struct file: f_mode, f_flags */
#define FMODE_WRITE 0x2
#define FMODE_CREATED 0x100000
#define O_TRUNC 00001000

/* file_permission's mask */
#define MAY_WRITE 0x2
#define MAY_APPEND 0x8

/* inode->i_mode, and the mode of a node being made */
#define S_IFMT 00170000
#define S_IFBLK 0060000
#define S_IFREG 0100000
#define S_IFDIR 0040000

/* mmap(2), mprotect(2), vma->vm_flags */
#define PROT_WRITE 0x2
#define MAP_TYPE 0x0f
#define MAP_SHARED 0x01
#define MAP_SHARED_VALIDATE 0x03
#define VM_SHARED 0x00000008

/* mount(2) flags */
#define MS_RDONLY 1
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_PROPAGATION ((1 << 17) | (1 << 18) | (1 << 19) | (1 << 20))
/* vfsmount.mnt_flags: mounts on it propagate to its peers */
#define MNT_SHARED 0x1000

/* struct iattr: ia_valid */
#define ATTR_MODE (1 << 0)
#define ATTR_UID (1 << 1)
#define ATTR_GID (1 << 2)
#define ATTR_SIZE (1 << 3)

/* ioctls that change an inode's flags (immutable, append-only) */
#define FS_IOC_SETFLAGS 0x40086602
#define FS_IOC32_SETFLAGS 0x40046602
#define FS_IOC_FSSETXATTR 0x401c5820

/* super_block.s_magic */
#define BPF_FS_MAGIC 0xcafe4a11
#define SECURITYFS_MAGIC 0x73636673
#define CGROUP2_SUPER_MAGIC 0x63677270

/* prctl(2) */
#define PR_SET_MM 35
#define PR_SET_MM_EXE_FILE 13
#define PR_SET_MM_MAP 14

/* signals that neither stop nor end a process */
#define SIGHUP 1
#define SIGCHLD 17
#define SIGCONT 18
#define SIGURG 23
#define SIGWINCH 28

/* ptrace_access_check's mode */
#define PTRACE_MODE_ATTACH 0x02

/* socket families and types (agentroutes.bpf.h) */
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SIN6_LEN_RFC2133 24

/* --- ours ----------------------------------------------------------------- */

/* Bytes read of one name for an event's path: NAME_MAX + 1. */
#define NAME_READ_MAX 256
/* Generations walked up from the current task looking for PID 1. */
#define INIT_WALK_MAX 64
/* Bounded scan of an agent exec's argument and environment strings, read
 * ENV_CHUNK bytes at a time. */
#define ENV_SCAN_STEPS 65536
#define ENV_CHUNK 256
/* The compat build (no bpf_loop): 16 KiB of argv and environment; an
 * agent exec'd with more is not trusted (fail closed). */
#define ENV_SCAN_STEPS_COMPAT 64
/* A cgroupfs file name we compare: "cgroup.freeze" and its NUL fit. */
#define CGROUP_NAME_MAX 16

/* Directories whose nearest rule is kept (maps.bpf.h: dir_verdicts). */
#define PF_DIR_VERDICTS_MAX 4096

#endif

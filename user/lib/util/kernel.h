/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the running kernel offers Permafrost, read from its BTF: can it run
 * at all, which build of the BPF programs fits it, which hooks it has.
 * The agent picks its build from this and refuses a kernel below the
 * minimum with one sentence; `permafrost doctor` says the same. */
#ifndef PF_KERNEL_H
#define PF_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/* The oldest kernel line Permafrost runs on. */
#define PF_KERNEL_MIN "5.10"

struct pf_kernel {
	bool lsm;           /* BPF LSM hooks (bpf_lsm_file_open), 5.7 */
	bool ringbuf;       /* BPF_MAP_TYPE_RINGBUF, 5.8 */
	bool inode_storage; /* BPF_MAP_TYPE_INODE_STORAGE, 5.10 */
	bool boot_ns;       /* bpf_ktime_get_boot_ns, 5.8 */
	bool bpf_loop;      /* bpf_loop, 5.17 */
	bool task_btf;      /* bpf_get_current_task_btf, 5.11 */
	bool struct_args;   /* programs on hooks taking a struct by value, 6.1 */
};

/* Reads the features from @btf (the kernel's, or a file's for tests). */
void pf_kernel_probe(const struct btf *btf, struct pf_kernel *ret);

/* NULL when the kernel can run Permafrost; else the missing feature, as
 * a phrase ("BPF inode storage (BPF_MAP_TYPE_INODE_STORAGE, 5.10)"). */
const char *pf_kernel_missing(const struct pf_kernel *k);

/* Whether the kernel needs the compat build (no bpf_loop or no
 * bpf_get_current_task_btf): walks of PF_COMPAT_DEPTH levels. */
bool pf_kernel_compat(const struct pf_kernel *k);

/* The number of arguments of the kernel's LSM hook @hook (bpf_lsm_HOOK),
 * or -1 when the kernel has no such hook, or (with @k, its features) one
 * a program cannot attach to: a struct argument by value before 6.1. */
int pf_kernel_hook_args(const struct btf *btf, const struct pf_kernel *k, const char *hook);

/* For a hook some supported kernels lack: the older hook the same route
 * goes through there (file_truncate -> path_truncate), else NULL. */
const char *pf_kernel_covered(const char *hook);

/* Into @buf: the covered hooks @btf (with features @k) has no usable
 * program for, each with the hook that checks its route instead ("no
 * usable file_truncate hook: ftruncate(2) checked at path_truncate, ...");
 * "" when it has them all. */
void pf_kernel_routes(const struct btf *btf, const struct pf_kernel *k, char *buf, size_t size);

#endif

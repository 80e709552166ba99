/* SPDX-License-Identifier: GPL-2.0 */
/* The two builds of these programs. Part of permafrost.bpf.c.
 *
 * The default build uses bpf_loop() (5.17) for its walks and the current
 * task as a BTF pointer (bpf_get_current_task_btf(), 5.11). Built with
 * -DPF_COMPAT (permafrost_compat.bpf.o), the same source runs on kernels
 * without them, from 5.10: the walks are bounded loops the verifier
 * follows step by step, so they are shorter (PF_COMPAT_DEPTH levels
 * instead of PF_MAX_DEPTH; deeper objects on a filesystem holding
 * protected objects are treated as protected either way: fail closed; a
 * record's path and exe carry PF_COMPAT_PATH_COMPONENTS and
 * PF_COMPAT_EXE_COMPONENTS, marked truncated when deeper),
 * and the task is read through CO-RE like any other kernel pointer. The
 * agent picks the build at start from the kernel's BTF (user/agent/bpf.c).
 *
 * PF_LOOP(n, n_compat, fn, ctx): call fn(i, ctx) for i = 0.. until it
 * returns non-zero, at most n times (n_compat in the compat build). */
#ifndef PF_COMPAT_BPF_H
#define PF_COMPAT_BPF_H

#ifdef PF_COMPAT

#define PF_LOOP(n, n_compat, fn, ctx)						\
	do {									\
		for (__u32 pf_i_ = 0; pf_i_ < (n_compat); pf_i_++) {		\
			pf_in_memory(ctx);					\
			if (fn(pf_i_, (ctx)))					\
				break;						\
		}								\
	} while (0)

/* The loop's state stays in memory (the compiler may not keep it in
 * registers): 5.10's verifier tracks the value range of every register of
 * a privileged program, so a position held in a register would make each
 * path through the loop a state of its own, never pruned; its 4-byte stack
 * slots it does not track. */
#define pf_in_memory(p) asm volatile("" : : "r"(p) : "memory")

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* Loop callbacks are plain functions here, inlined into the loop. */
#define PF_LOOP_FN static __always_inline long

#else

#define PF_LOOP(n, n_compat, fn, ctx) bpf_loop((n), (fn), (ctx), 0)

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task_btf();
}

#define PF_LOOP_FN static long

#endif

/* Global functions (__noinline, not static) are verified once each, not
 * at every call: emitting a record, walking to the nearest rule, matching
 * approvals. 5.10 passes them scalars only, and a typed kernel pointer
 * (a hook's argument) is refused as one: pf_scalar() hands on its value
 * as a plain number, read back through bpf_probe_read_kernel(). */
static __always_inline __u64 pf_scalar(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

#endif

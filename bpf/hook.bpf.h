/* SPDX-License-Identifier: GPL-2.0 */
/* The prologue every program shares, written once. Part of
 * permafrost.bpf.c.
 *
 *	PF_LSM(file_open, struct file *file)
 *	{
 *		...
 *	}
 *
 * declares the program `file_open` on lsm/file_open with the hook's
 * arguments, named and typed as in the kernel, and without the trailing
 * `int ret`: the prologue reads that itself. When an earlier BPF LSM
 * program on the same hook refused (ret != 0), its result is returned
 * untouched and the body never runs; we never turn a refusal into a
 * permission. Built on libbpf's BPF_PROG machinery (___bpf_ctx_cast):
 * arguments are positional, ctx[i] is the i-th and ctx[nargs] is ret. As
 * with BPF_PROG, the raw `ctx` is in scope in the body.
 *
 * The variants:
 *   PF_LSM_ON(hook, args...)        as PF_LSM, and the body runs only while
 *                                   the mode is not off; it gets the config
 *                                   as `cfg` (never NULL). For hooks that
 *                                   decide at once: no cheaper test comes
 *                                   first, nothing must happen while off.
 *   PF_LSM_AS(prog, hook, args...)  as PF_LSM, for a program not named after
 *                                   its hook (one of the load-time variants
 *                                   of a hook whose arguments changed; the
 *                                   agent loads the one whose count of
 *                                   arguments the kernel's BTF has).
 *   PF_LSM_ON_AS(prog, hook, args...)  the same for PF_LSM_ON.
 *   PF_LSM_VOID(hook, args...)      a void hook: no result, no ret to
 *                                   honour; the body returns nothing.
 *   PF_LSM_NO_RET(hook, args...)    an int hook whose ret is not at the same
 *                                   position on every kernel we run on
 *                                   (bpf: 6.18 adds an argument); it is not
 *                                   read, and the body alone decides.
 */
#ifndef PF_HOOK_BPF_H
#define PF_HOOK_BPF_H

/* ctx, then the arguments: scalars arrive as (void *)ctx[i], as in
 * BPF_PROG. */
#define ___pf_args(args...)							\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")			\
	___bpf_ctx_cast(args)							\
	_Pragma("GCC diagnostic pop")

#define ___pf_ret(args...) ((int)ctx[___bpf_narg(args)])

#define ___pf_decl(prog, hook, type, args...)					\
	SEC("lsm/" #hook) int prog(unsigned long long *ctx);			\
	static __always_inline type ____##prog(unsigned long long *ctx, ##args);	\
	int prog(unsigned long long *ctx)

#define ___pf_body(prog, type, args...)						\
	static __always_inline type ____##prog(unsigned long long *ctx, ##args)

#define PF_LSM_AS(prog, hook, args...)						\
	___pf_decl(prog, hook, int, args)					\
	{									\
		int ret = ___pf_ret(args);					\
										\
		if (ret)							\
			return ret;						\
		return ____##prog(___pf_args(args));				\
	}									\
	___pf_body(prog, int, args)

#define PF_LSM(hook, args...) PF_LSM_AS(hook, hook, args)

/* The body's own function takes the config after the hook's arguments. */
#define PF_LSM_ON_AS(prog, hook, args...)					\
	___pf_decl(prog, hook, int, args, struct pf_config *cfg)		\
	{									\
		int ret = ___pf_ret(args);					\
		struct pf_config *cfg;						\
										\
		if (ret)							\
			return ret;						\
		cfg = active_config();						\
		if (!cfg)							\
			return 0;						\
		return ____##prog(___pf_args(args), cfg);			\
	}									\
	___pf_body(prog, int, args, struct pf_config *cfg)

#define PF_LSM_ON(hook, args...) PF_LSM_ON_AS(hook, hook, args)

#define PF_LSM_VOID(hook, args...)						\
	___pf_decl(hook, hook, void, args)					\
	{									\
		____##hook(___pf_args(args));					\
		return 0;							\
	}									\
	___pf_body(hook, void, args)

#define PF_LSM_NO_RET(hook, args...)						\
	___pf_decl(hook, hook, int, args)					\
	{									\
		return ____##hook(___pf_args(args));				\
	}									\
	___pf_body(hook, int, args)

#endif

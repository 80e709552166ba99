/* SPDX-License-Identifier: GPL-2.0 */
/* Who is the agent. "The agent" is a process that exec'd the agent binary
 * (its (dev, ino) is in the config; the binary itself is a protected
 * object) cleanly: not traced, and without loader or OpenSSL variables
 * that would load foreign code into it. Such a process is recorded in
 * agent_procs at exec (bprm_committing_creds, in selfprot.bpf.h), so a
 * restarted agent (a new tgid) is recognised before it has touched any
 * map. The decisions ask too: the agent keeps its own state, log and pins
 * up to date while frozen. Part of permafrost.bpf.c. */
#ifndef PF_SELF_BPF_H
#define PF_SELF_BPF_H

/* Is @t running the agent binary? (Not yet: is it trusted.) */
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

/* Is the current task the agent? */
static __always_inline int is_agent(struct pf_config *cfg)
{
	struct task_struct *t = current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pf_agent_proc *p;

	if (!exe_is_agent(cfg, t))
		return 0;
	p = bpf_map_lookup_elem(&agent_procs, &tgid);
	/* start_ns 0: the entry the agent wrote for itself at its first start
	 * (no identity in the config yet at its exec); task_free removes it
	 * with the process, so it cannot go stale. */
	return p && (p->start_ns == 0 || p->start_ns == BPF_CORE_READ(t, group_leader, start_time));
}

#endif

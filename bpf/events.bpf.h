/* SPDX-License-Identifier: GPL-2.0 */
/* Events: what a decision was about (a hit), and its ring-buffer record
 * with the object's path, the caller's executable and the AI agent's tree
 * it belongs to. A record that finds
 * the ring full is counted in `lost`: a lost event is never silent.
 * Repeats of a thread's decision within the policy's event-repeat-window
 * are counted in its run (`repeats`) and sent as one struct pf_repeat
 * when the run ends (permafrost.h): a thread looping on a denied write
 * makes about two records a window, and leaves the ring to the others.
 * Every decision is in `counters`; each is a record, a repeat in a
 * pf_repeat sent, or in `lost`. Part of permafrost.bpf.c. */
#ifndef PF_EVENTS_BPF_H
#define PF_EVENTS_BPF_H

/* What a decision is about, from the hook to the event. */
struct hit {
	struct dentry *d;     /* names the object in the event; NULL: no path */
	struct vfsmount *mnt; /* d's mount; NULL: the path stops at its fs root */
	__u64 dev;            /* the object's identity (kernel dev encoding) */
	__u64 ino;
	__u32 op;             /* enum pf_op */
	__u32 rule_id;        /* the rule that protects it, or PF_RULEID_* */
	__u32 approval;       /* set by approved(): the approving token's slot */
};

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
	__u32 len, off, step, cut;
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
	off = pb->off;
	if (off > size - name_max) {
		*flags |= PF_PATH_TRUNCATED;
		return 1;
	}
	n = bpf_probe_read_kernel_str(&buf[off], name_max, name);
	if (n <= 0) {
		*flags |= PF_PATH_TRUNCATED;
		return 1;
	}
	/* advance by the name's own length (NUL included), capped like the
	 * copy: the position never depends on what the copy returned. Without
	 * branches (cut is 1 when the name was cut): each branch here is a
	 * path more, per level, for the compat build's verifier. */
	step = len + 1;
	cut = ((name_max - step) >> 31) & 1;
	*flags |= cut * PF_PATH_TRUNCATED;
	pb->off += step - ((step - name_max) & -cut);
	pb->d = parent;
	return 0;
}

/* Atomic: a thread's end (task_free, from a softirq) may interrupt a
 * program counting on the same CPU. */
static __always_inline void count_lost(__u64 n)
{
	__u32 zero = 0;
	__u64 *l = bpf_map_lookup_elem(&lost, &zero);

	if (l)
		__sync_fetch_and_add(l, n);
}

/* A run's end: its pf_repeat, or its repeats counted lost. */
static __always_inline void send_repeat(const struct pf_repeat *r)
{
	struct pf_repeat *e;

	if (!r->count)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(r->count);
		return;
	}
	*e = *r;
	bpf_ringbuf_submit(e, 0);
}

/* Holding a slot. The default build waits for its bpf_spin_lock (held
 * for a few instructions, no helper called under it). The compat build
 * (5.10 has no bpf_spin_lock for LSM programs) only tries: a caller that
 * does not get the slot leaves it alone (a decision is then a record of
 * its own; a sweep or a thread's end leaves the run to the next sweep).
 * Either way a run's count is only ever changed by its holder: exact. */
#ifdef PF_COMPAT
static __always_inline int slot_hold(struct repeat_slot *s, __u32 idx)
{
	__u32 one = 1;

	return bpf_map_update_elem(&repeat_locks, &idx, &one, BPF_NOEXIST) == 0;
}

static __always_inline void slot_release(struct repeat_slot *s, __u32 idx)
{
	bpf_map_delete_elem(&repeat_locks, &idx);
}
#else
static __always_inline int slot_hold(struct repeat_slot *s, __u32 idx)
{
	bpf_spin_lock(&s->lock);
	return 1;
}

static __always_inline void slot_release(struct repeat_slot *s, __u32 idx)
{
	bpf_spin_unlock(&s->lock);
}
#endif

/* Takes the run out of slot @s (held): its pf_repeat in @r (count 0:
 * nothing to send), the slot free. */
static __always_inline void take_run(struct repeat_slot *s, struct pf_repeat *r)
{
	r->first_ns = s->first_ns;
	r->last_ns = s->last_ns;
	r->count = s->count;
	r->dev = s->dev;
	r->ino = s->ino;
	r->pid = s->tid;
	r->tgid = s->tgid;
	r->op = s->op;
	r->decision = s->decision;
	r->mode = s->mode;
	r->rule_id = s->rule_id;
	r->approval = s->approval;
	r->_pad = 0;
	s->tid = 0;
	s->count = 0;
}

/* Is this decision (at @now) a repeat of the current thread's run? Then
 * it is counted there (1). Else (0) the thread's slot gets a new run,
 * which this decision opens, and the run that held the slot ends. */
static __always_inline int repeat_of(const struct hit *h, __u32 decision, __u32 mode,
				     __u32 approval, __u64 now)
{
	struct pf_config *cfg = get_config();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, idx = pf_repeat_slot(tid);
	struct repeat_slot *s;
	struct pf_repeat old;
	__u64 window;

	window = cfg ? cfg->repeat_window_ns : 0;
	if (!window)
		return 0;
	s = bpf_map_lookup_elem(&repeats, &idx);
	if (!s || !slot_hold(s, idx))
		return 0;
	if (s->tid == tid && s->op == h->op && s->dev == h->dev && s->ino == h->ino &&
	    s->decision == decision && s->rule_id == h->rule_id && s->mode == mode &&
	    s->approval == approval && now - s->first_ns < window) {
		s->count++;
		s->last_ns = now;
		slot_release(s, idx);
		return 1;
	}
	take_run(s, &old);
	s->tid = tid;
	s->tgid = id >> 32;
	s->op = h->op;
	s->dev = h->dev;
	s->ino = h->ino;
	s->decision = decision;
	s->rule_id = h->rule_id;
	s->mode = mode;
	s->approval = approval;
	s->first_ns = now;
	s->last_ns = now;
	slot_release(s, idx);
	send_repeat(&old);
	return 0;
}

/* Ends the run in slot @idx if @tid is 0 and its window closed by @now,
 * or if it is @tid's. */
static __always_inline void end_run(__u32 idx, __u32 tid, __u64 now, __u64 window)
{
	struct repeat_slot *s = bpf_map_lookup_elem(&repeats, &idx);
	struct pf_repeat old = {};

	if (!s || !s->tid)
		return; /* a cheap look first: most slots are free */
	if (!slot_hold(s, idx))
		return; /* compat: busy; the next sweep */
	if (tid ? s->tid == tid : s->tid && now - s->first_ns >= window)
		take_run(s, &old);
	slot_release(s, idx);
	send_repeat(&old);
}

struct sweep {
	__u32 base;
	__u64 now;
	__u64 window;
};

PF_LOOP_FN sweep_step(__u32 i, void *ctx)
{
	struct sweep *sw = ctx;

	end_run(sw->base + i, 0, sw->now, sw->window);
	return 0;
}

/* The agent's sweep of chunk @chunk of the slots: the runs whose window
 * has closed end (a run of a thread gone quiet or gone). A global
 * function (compat.bpf.h). */
__noinline int pf_repeat_sweep(__u32 chunk)
{
	struct pf_config *cfg = get_config();
	struct sweep sw = { .base = (chunk % (PF_REPEAT_SLOTS / PF_REPEAT_CHUNK)) * PF_REPEAT_CHUNK,
			    .now = bpf_ktime_get_boot_ns(),
			    .window = cfg ? cfg->repeat_window_ns : 0 };

	PF_LOOP(PF_REPEAT_CHUNK, PF_REPEAT_CHUNK, sweep_step, &sw);
	return 0;
}

/* A thread's end ends its run. */
static __always_inline void repeat_task_end(struct task_struct *t)
{
	__u32 tid = BPF_CORE_READ(t, pid);

	if (tid)
		end_run(pf_repeat_slot(tid), tid, 0, 0);
}

_Static_assert(1u << (32 - 22) == PF_REPEAT_SLOTS, "pf_repeat_slot covers the slots");
_Static_assert(PF_REPEAT_SLOTS % PF_REPEAT_CHUNK == 0, "whole chunks");
_Static_assert(sizeof(struct pf_repeat) != sizeof(struct pf_event), "a sample's size tells its kind");

PF_LOOP_FN path_step(__u32 i, void *ctx)
{
	struct pathbuild *pb = ctx;

	return name_step(pb, pb->e->path, PF_PATH_BYTES, NAME_READ_MAX, &pb->e->path_flags);
}

PF_LOOP_FN exe_step(__u32 i, void *ctx)
{
	struct pathbuild *pb = ctx;

	return name_step(pb, pb->e->exe, PF_EXE_BYTES, PF_EXE_NAME_MAX, &pb->e->exe_flags);
}

/* One record: @decision about a hit, taken in @mode. A global function,
 * so the verifier checks it once rather than at each of the dozens of
 * places a program reaches it (the compat build's step-by-step name walks
 * would not fit otherwise). 5.10 passes a global function only scalars:
 * the hit comes packed, see emit(). Returns 1 if the record was written,
 * 0 if it was counted lost: a value the compiler cannot know, so that no
 * caller reuses it as its own return value (the verifier takes a global
 * function's result as unknown). A repeat counted in its run returns 1. */
__noinline int pf_emit(__u64 dp, __u64 mntp, __u64 ino, __u64 dev_rule, __u64 how)
{
	struct hit hit = { .d = (struct dentry *)dp, .mnt = (struct vfsmount *)mntp,
			   .dev = dev_rule >> 32, .ino = ino, .rule_id = (__u32)dev_rule,
			   .op = how & 0xff, .approval = how >> 32 };
	__u32 decision = (how >> 8) & 0xff, mode = (how >> 16) & 0xff;
	__u32 approval = decision == PF_DEC_APPROVED ? hit.approval : PF_APPROVAL_NONE;
	const struct hit *h = &hit;
	__u64 now = bpf_ktime_get_boot_ns();
	struct pf_event *e;
	struct task_struct *task;
	__u64 id;

	count(decision);
	if (repeat_of(h, decision, mode, approval, now))
		return 1;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(1);
		return 0;
	}
	task = current_task();
	id = bpf_get_current_pid_tgid();
	e->ts_boot_ns = now;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->dev = h->dev;
	e->ino = h->ino;
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	id = bpf_get_current_uid_gid();
	e->uid = (__u32)id;
	e->gid = id >> 32;
	e->op = h->op;
	e->decision = decision;
	e->mode = mode;
	e->rule_id = h->rule_id;
	e->path_flags = h->mnt ? 0 : PF_PATH_FSROOT;
	e->approval = approval;
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	struct pf_mark *m = current_mark();

	e->ai_agent = 0;
	e->ai_root_pid = 0;
	e->ai_root_dev = 0;
	e->ai_root_ino = 0;
	e->ai_marked_ns = 0;
	if (m) {
		e->ai_agent = m->agent + 1;
		e->ai_root_pid = m->root_pid;
		e->ai_root_dev = m->root_dev;
		e->ai_root_ino = m->root_ino;
		e->ai_marked_ns = m->marked_ns;
	}

	struct pathbuild pb = { .e = e, .d = h->d, .mnt = h->mnt, .off = 0 };

	e->path[0] = 0;
	if (h->d) {
		PF_LOOP(PF_PATH_COMPONENTS, PF_COMPAT_PATH_COMPONENTS, path_step, &pb);
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
			PF_LOOP(PF_EXE_COMPONENTS, PF_COMPAT_EXE_COMPONENTS, exe_step, &xb);
			if (!xb.reached_root)
				e->exe_flags |= PF_PATH_TRUNCATED;
		}
	}
	e->exe_len = xb.off;
	bpf_ringbuf_submit(e, 0);
	return 1;
}

_Static_assert(PF_OP__COUNT <= 0xff, "an op fits in pf_emit's packing");

static __always_inline void emit(const struct hit *h, __u32 decision, __u32 mode)
{
	pf_emit(pf_scalar(h->d), pf_scalar(h->mnt), h->ino, h->dev << 32 | h->rule_id,
		(__u64)h->op | decision << 8 | mode << 16 | (__u64)h->approval << 32);
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The nearest rule of an object: the walk up its dentry ancestors, the
 * per-inode cache of its result, and what keeps that cache honest (the
 * ancestry generation, a rule handed on at rename). Part of
 * permafrost.bpf.c. */
#ifndef PF_WALK_BPF_H
#define PF_WALK_BPF_H

struct walk {
	struct dentry *d;
	__u64 dev;
	__u32 found;   /* 0, or enum pf_rule_kind of the nearest rule */
	__u32 rule_id;
	__u32 reached_root;
};

PF_LOOP_FN walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct dentry *d = w->d;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct dentry *parent;

	if (inode) {
		struct pf_key key = { .dev = w->dev, .ino = BPF_CORE_READ(inode, i_ino) };
		struct pf_rule *r;

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

/* The nearest rule of the dentry @dp (on @dev) or of one of its
 * ancestors: (kind << 32 | rule_id), 0 when none. A global function
 * (compat.bpf.h), so a walk is verified once per program. Deeper than we
 * walk, on a filesystem holding protected objects: protected (fail
 * closed). */
__noinline __u64 pf_walk(__u64 dp, __u64 dev)
{
	struct walk w = { .d = (struct dentry *)dp, .dev = dev };

	PF_LOOP(PF_MAX_DEPTH, PF_COMPAT_DEPTH, walk_step, &w);
	if (!w.found && !w.reached_root)
		return (__u64)PF_RULE_PROTECT << 32 | PF_RULEID_TOO_DEEP;
	return (__u64)w.found << 32 | w.rule_id;
}

/* The cached verdict of @inode (as the verifier trusts it), or NULL when
 * there is none of the current generations. */
static __always_inline struct verdict *cached_verdict(const struct pf_config *cfg,
						      struct inode *inode)
{
	struct verdict *v = bpf_inode_storage_get(&verdicts, inode, 0, 0);

	if (v && v->gen == cfg->policy_gen && v->agen == ancestry_gen)
		return v;
	return NULL;
}

/* Remember a nearest rule on @inode (as the verifier trusts it), with the
 * generations read before it was looked for. */
static __always_inline void cache_verdict(struct inode *inode, __u64 gen, __u64 agen,
					  __u32 kind, __u32 rule_id)
{
	struct verdict *v;

	v = bpf_inode_storage_get(&verdicts, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (v) {
		v->kind = kind;
		v->rule_id = rule_id;
		v->gen = gen;
		v->agen = agen;
	}
}

/* The nearest rule above w->d: its parent directory's, kept in
 * dir_verdicts, or a walk from the parent (then kept there). */
static __always_inline void rule_above(struct pf_config *cfg, struct walk *w, __u64 gen,
				       __u64 agen)
{
	struct dentry *d = w->d, *parent = BPF_CORE_READ(d, d_parent);
	struct inode *dir = BPF_CORE_READ(parent, d_inode);
	struct pf_key key = { .dev = w->dev, .ino = BPF_CORE_READ(dir, i_ino) };
	__u32 igen = BPF_CORE_READ(dir, i_generation);
	struct dir_verdict *v = bpf_map_lookup_elem(&dir_verdicts, &key), nv = {};
	__u64 r;

	if (v && v->gen == gen && v->agen == agen && v->igen == igen) {
		w->found = v->kind;
		w->rule_id = v->rule_id;
		return;
	}
	r = pf_walk(pf_scalar(parent), w->dev);
	w->found = r >> 32;
	w->rule_id = (__u32)r;
	nv.gen = gen;
	nv.agen = agen;
	nv.igen = igen;
	nv.kind = w->found;
	nv.rule_id = w->rule_id;
	bpf_map_update_elem(&dir_verdicts, &key, &nv, BPF_ANY);
}

/* The nearest rule of w->d (on w->dev), into w->found and w->rule_id,
 * when the object has no cached verdict (the caller looked). The nearest
 * rule of an object is its own rule, or else its parent directory's
 * nearest rule; so, cheapest first: its own rule and its directory's kept
 * verdict (a new name or a new inode costs these two lookups); a walk from
 * the directory (then kept). The result is cached on @obj, the object's
 * inode as the verifier trusts it (NULL: not cached; for a negative
 * dentry, where the hook has none, or where caching would cost more than
 * it saves). The generations are read before anything else: a rename or a
 * policy change meanwhile leaves what is cached here stale at once. */
static __always_inline void nearest_rule(struct pf_config *cfg, struct walk *w,
					 struct inode *obj)
{
	__u64 gen = cfg->policy_gen, agen = ancestry_gen;
	struct inode *inode;
	struct dentry *d;

	d = w->d; /* not w->d inside BPF_CORE_READ(): struct walk is ours */
	inode = BPF_CORE_READ(d, d_inode);
	if (inode) {
		struct pf_key key = { .dev = w->dev, .ino = BPF_CORE_READ(inode, i_ino) };
		struct pf_rule *own = bpf_map_lookup_elem(&rules, &key);

		if (own) {
			w->found = own->kind;
			w->rule_id = own->rule_id;
		} else {
			rule_above(cfg, w, gen, agen);
		}
	} else {
		rule_above(cfg, w, gen, agen);
	}
	if (obj)
		cache_verdict(obj, gen, agen, w->found, w->rule_id);
}

/* The inode number an event names for the object @d: its own, or its
 * parent's for a negative dentry. */
static __always_inline __u64 object_ino(struct dentry *d)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);

	if (!inode)
		inode = BPF_CORE_READ(d, d_parent, d_inode);
	return BPF_CORE_READ(inode, i_ino);
}

/* Ancestry changed somewhere (a rename, a link, a rule gone): every
 * cached verdict is stale. */
static __always_inline void invalidate(void)
{
	__sync_fetch_and_add(&ancestry_gen, 1);
}

/* A rename over an object that has a rule of its own (an approved
 * replacement while frozen) hands the rule to the object taking the name,
 * at once: the new file is protected from its first moment, without
 * waiting for the agent to re-resolve. (If the rename then fails, the extra
 * entry only protects more; the agent's next resolution drops it.) */
static __always_inline void carry_rule(struct dentry *from, struct dentry *to)
{
	struct inode *to_inode = BPF_CORE_READ(to, d_inode);
	struct inode *from_inode = BPF_CORE_READ(from, d_inode);
	struct pf_key key, nkey;
	struct pf_rule *r, copy;

	if (!to_inode || !from_inode)
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
	invalidate();
}

#endif

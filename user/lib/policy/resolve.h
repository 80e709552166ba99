/* Resolving a policy into kernel identities.
 *
 * Every `protect`/`exempt` path becomes the (device, inode) of the object
 * it names (for a symlink: the link itself and, for protect, its target).
 * Inside protected trees two more kinds of entry are added, because the
 * kernel judges an object by its dentry ancestry within one filesystem:
 *   - regular files with more than one hard link (a link elsewhere would
 *     otherwise escape the tree), and
 *   - the roots of filesystems mounted inside a protected tree.
 * Paths that do not exist are reported as missing, not errors: one policy
 * serves hosts that differ. */
#ifndef PF_RESOLVE_H
#define PF_RESOLVE_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>
#include "permafrost.h"
#include "policy.h"

/* Hard cap on kernel entries (the `rules` map is sized to this). */
#define PF_MAX_ENTRIES (1024 * 1024)
/* Hard cap on distinct filesystems holding protected objects. */
#define PF_MAX_SBS 1024

enum pf_entry_origin {
	PF_ORIGIN_RULE = 0,     /* the path named in the policy */
	PF_ORIGIN_TARGET = 1,   /* target of a protected symlink */
	PF_ORIGIN_HARDLINK = 2, /* multiply-linked file inside a tree */
	PF_ORIGIN_SUBMOUNT = 3, /* root of a filesystem mounted inside a tree */
	PF_ORIGIN_SELF = 4,     /* Permafrost's own object (implicit, see selfprot.h) */
	PF_ORIGIN_LOOP = 5,     /* a loop device backed by a protected file (ino 0),
	                         * and the root of each mount of it */
};

struct pf_entry {
	struct pf_key key;
	uint32_t kind;    /* PF_RULE_PROTECT or PF_RULE_EXEMPT */
	uint32_t rule_id; /* index into policy->rules */
	uint32_t origin;  /* enum pf_entry_origin */
	uint32_t approvals; /* the highest `approvals` of the protect rules that
			       reach this object (a hard link in two trees:
			       the stricter), 0 for none */
	uint32_t dir;       /* the object is a directory (lstat/stat said so
			       when it was added): a tree to scan */
};

struct pf_sb {
	uint32_t dev;
	uint32_t count;
};

struct pf_resolved {
	const struct pf_policy *pol; /* while resolving: the policy (its thresholds) */
	struct pf_entry *e; /* sorted by key */
	size_t n, cap;
	struct pf_sb *sbs;
	size_t n_sbs;
	/* per policy rule, what lstat() of its path gave (the view's
	 * identities, view.h); ino 0: the path does not exist here */
	struct pf_key *rule_keys;
	size_t n_rule_keys;
	char **missing; /* policy paths that do not exist here */
	size_t n_missing;
	size_t n_hardlinks, n_submounts;
	size_t n_symlink_targets; /* regular files outside, linked from inside a tree */
	size_t n_symlink_dirs;    /* directories outside, linked from inside (not protected) */
	size_t n_loops;           /* loop devices backed by a protected file */
};

/* On error returns negative errno with a message in @err; nothing is
 * returned. */
int pf_resolve(const struct pf_policy *p, struct pf_resolved **ret, struct pf_err *err);
/* The same, calling @fn now and then for a progress display: @phase
 * "rules" (@done of @total policy rules stat'ed), "scanning for hard links"
 * (@done objects walked, @total 0: unknown) and finally "done" (@done =
 * @total = entries) on success. Not reentrant. */
typedef void (*pf_resolve_progress_fn)(const char *phase, size_t done, size_t total, void *data);
int pf_resolve_progress(const struct pf_policy *p, struct pf_resolved **ret, struct pf_err *err, pf_resolve_progress_fn fn, void *data);
void pf_resolved_free(struct pf_resolved *r);
const struct pf_entry *pf_resolved_find(const struct pf_resolved *r, uint64_t dev, uint64_t ino);

/* Adds an implicit protect entry for @path (rule id PF_RULEID_SELF_RO or
 * _RW; for a symlink its target too). A path that does not exist is
 * skipped (returns 0). Call pf_resolved_finish after the last one: an
 * implicit entry replaces a policy entry for the same object. */
/* An exempt directory inside an implicit entry (the inbox inside the
 * state directory: configuration management drops tokens there while
 * frozen). Absent or not a directory: nothing added. */
int pf_resolved_add_self_exempt(struct pf_resolved *r, const char *path, uint32_t rule_id,
				struct pf_err *err);
int pf_resolved_add_self(struct pf_resolved *r, const char *path, uint32_t rule_id, struct pf_err *err);
int pf_resolved_finish(struct pf_resolved *r, struct pf_err *err);

struct pf_check_result {
	int exists;             /* the object itself exists */
	int protected_;         /* a write to it would be judged protected */
	const struct pf_entry *entry; /* the deciding entry, or NULL */
	char path[4096];        /* the canonical path that was judged */
};

/* What the kernel would decide for a write to @path, judged as the kernel
 * does: the nearest entry among the object and its ancestors on the same
 * filesystem. */
int pf_resolved_check(const struct pf_resolved *r, const char *path,
		      struct pf_check_result *ret);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Approvals: a verified token becomes entries of the kernel's approvals
 * map (keyed by the (dev, ino) of each scope, with the expiry on the boot
 * clock, so the kernel ends them on time even without the agent), a live
 * slot here (for events, status and revoke), and a bundle in
 * STATE_DIR/approvals for a restart. The token id is spent before the
 * kernel sees the approval: a crash can lose an approval, never replay
 * one. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "sshsig.h"
#include "token.h"
#include "util.h"

const struct live_approval *approval_at(const struct agent *a, uint32_t slot)
{
	return slot < PF_MAX_APPROVALS && a->apr.ap[slot].used ? &a->apr.ap[slot] : NULL;
}

size_t approvals_live(const struct agent *a)
{
	size_t n = 0;

	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		n += a->apr.ap[i].used ? 1 : 0;
	return n;
}

static void live_free(struct live_approval *l)
{
	free(l->keys);
	free(l->ticket);
	free(l->approvers);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

/* The kernel skips its lookup while no entry is live. */
static int sync_count(struct agent *a)
{
	uint32_t n = 0;
	int r;

	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		n += (uint32_t)a->apr.ap[i].n_keys;
	r = config_set_n_approvals(a, n);
	if (r < 0)
		warnx_("config update (live approval entries): %s", strerror(-r));
	return r;
}

static int approvals_fd(struct agent *a)
{
	return bpf_map__fd(a->k.maps.approvals);
}

static void remove_kernel_entries(struct agent *a, struct live_approval *l)
{
	for (size_t i = 0; i < l->n_keys; i++)
		bpf_map_delete_elem(approvals_fd(a), &l->keys[i]);
}

static char *bundle_path(struct agent *a, const char *id)
{
	char *p;

	if (asprintf(&p, "%s/%s/%s.bundle", a->paths.state_dir, PF_APPROVALS_DIR, id) < 0)
		return NULL;
	return p;
}

/* The constraints every entry of a token carries: uid, executable (its
 * identity), systemd unit (its cgroup), the AI agents it applies to. */
static int constraints(const struct pf_policy *pol, const struct pf_token *t,
		       struct pf_approval_k *v, struct pf_err *err)
{
	static const char *const roots[] = { "/sys/fs/cgroup/system.slice", "/sys/fs/cgroup" };
	struct stat st;

	if (t->has_uid) {
		v->flags |= PF_APR_UID;
		v->uid = t->uid;
	}
	if (t->agent) {
		ssize_t idx = pf_policy_ai_find(pol, t->agent);

		if (strcmp(t->agent, "any") != 0 && idx < 0) {
			pf_err_set(err, "agent %s: the policy names no such agent", t->agent);
			return -ENOENT;
		}
		v->flags |= PF_APR_AI;
		v->ai_agent = idx < 0 ? PF_AI_ANY : (uint32_t)idx;
	}
	if (t->exe) {
		if (stat(t->exe, &st) < 0) {
			pf_err_set(err, "exe %s: %s", t->exe, strerror(errno));
			return -errno;
		}
		v->flags |= PF_APR_EXE;
		v->exe_dev = pf_kdev(st.st_dev);
		v->exe_ino = st.st_ino;
	}
	if (!t->unit)
		return 0;
	for (size_t i = 0; i < PF_ARRAY_SIZE(roots); i++) {
		char cg[512];

		snprintf(cg, sizeof(cg), "%s/%s", roots[i], t->unit);
		if (stat(cg, &st) == 0 && S_ISDIR(st.st_mode)) {
			v->flags |= PF_APR_CGROUP;
			v->cgroup_id = st.st_ino; /* cgroup v2: the directory's inode is the id */
			return 0;
		}
	}
	pf_err_set(err, "unit %s has no cgroup (is it running?)", t->unit);
	return -ENOENT;
}

/* The map keys of one token path: a subtree's root; or a file's own
 * identity (if it exists) and its name in its parent (so a replacement,
 * delete and create or rename over, is covered too). The last key of a
 * named path is the named one. */
static int path_keys(const struct pf_token_path *tp, struct pf_akey keys[2], int *ret_n,
		     char name[PF_APPROVAL_NAME_MAX], struct pf_err *err)
{
	char path[PF_TOKEN_MAX_PATH + 1], *slash;
	size_t n = strlen(tp->path);
	struct stat st;
	int nk = 0;

	memcpy(path, tp->path, n + 1);
	if (tp->subtree) {
		if (n > 1)
			path[n - 1] = 0;
		if (lstat(path, &st) < 0) {
			pf_err_set(err, "path %s: %s", tp->path, strerror(errno));
			return -errno;
		}
		keys[0] = (struct pf_akey){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
		*ret_n = 1;
		return 0;
	}
	if (lstat(path, &st) == 0)
		keys[nk++] = (struct pf_akey){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
	slash = strrchr(path, '/');
	if (strlen(slash + 1) >= PF_APPROVAL_NAME_MAX) {
		pf_err_set(err, "path %s: last component longer than %d bytes", tp->path,
			 PF_APPROVAL_NAME_MAX - 1);
		return -ENAMETOOLONG;
	}
	snprintf(name, PF_APPROVAL_NAME_MAX, "%s", slash + 1);
	*slash = 0;
	if (lstat(path[0] ? path : "/", &st) < 0) {
		pf_err_set(err, "path %s: parent: %s", tp->path, strerror(errno));
		return -errno;
	}
	keys[nk] = (struct pf_akey){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino,
				     .name_hash = pf_name_hash(name) };
	*ret_n = nk + 1;
	return 0;
}

/* One entry into the map; an object a live approval covers already is
 * refused (one live approval per object). */
static int add_entry(struct agent *a, struct live_approval *l, const char *path,
		     const struct pf_akey *key, const struct pf_approval_k *v, struct pf_err *err)
{
	const struct live_approval *other;
	struct pf_approval_k old;

	if (bpf_map_lookup_elem(approvals_fd(a), key, &old) == 0) {
		other = approval_at(a, old.slot);
		pf_err_set(err, "path %s is already covered by live approval %s; revoke it first",
			 path, other ? other->id : "?");
		return -EEXIST;
	}
	if (bpf_map_update_elem(approvals_fd(a), key, v, BPF_NOEXIST) < 0) {
		pf_err_set(err, "approvals map: %s", strerror(errno));
		return -errno;
	}
	l->keys[l->n_keys++] = *key;
	return 0;
}

static int add_path(struct agent *a, struct live_approval *l, const struct pf_token_path *tp,
		    const struct pf_approval_k *v, struct pf_err *err)
{
	char name[PF_APPROVAL_NAME_MAX] = "";
	struct pf_akey keys[2];
	int nk = 0, r;

	r = path_keys(tp, keys, &nk, name, err);
	for (int k = 0; r == 0 && k < nk; k++) {
		struct pf_approval_k e = *v;

		if (tp->subtree)
			e.flags |= PF_APR_SUBTREE;
		else if (k == nk - 1) {
			e.flags |= PF_APR_NAME;
			snprintf(e.name, sizeof(e.name), "%s", name);
		}
		r = add_entry(a, l, tp->path, &keys[k], &e, err);
	}
	return r;
}

/* "a b c" from @n strings. */
static char *joined(const char *const *s, size_t n)
{
	struct pf_buf b;

	pf_buf_init(&b);
	for (size_t i = 0; i < n; i++)
		pf_buf_printf(&b, "%s%s", i ? " " : "", s[i]);
	if (b.oom) {
		pf_buf_free(&b);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}

/* The live slot's own copies of what status, events and revoke show. */
static int describe(struct live_approval *l, const struct pf_approval *ap)
{
	const struct pf_token *t = ap->token;
	const char *paths[PF_TOKEN_MAX_PATHS];
	size_t n = t->n_paths < PF_TOKEN_MAX_PATHS ? t->n_paths : PF_TOKEN_MAX_PATHS;

	for (size_t i = 0; i < n; i++)
		paths[i] = t->paths[i].path;
	snprintf(l->id, sizeof(l->id), "%s", t->id);
	l->ticket = strdup(t->ticket);
	l->approvers = joined((const char *const *)ap->approvers, ap->n_approvers);
	l->paths = joined(paths, n);
	l->not_after = t->not_after;
	l->ops = t->ops;
	return l->ticket && l->approvers && l->paths ? 0 : -ENOMEM;
}

/* Builds the kernel entries of an accepted token and loads them. Nothing
 * is left behind on failure. */
static int install_approval(struct agent *a, const struct pf_approval *ap, uint64_t expires_boot,
			    int *ret_slot, struct pf_err *err)
{
	const struct pf_token *t = ap->token;
	struct pf_approval_k v = { .expires_boot_ns = expires_boot };
	struct live_approval l = { 0 };
	int slot = -1, r;

	for (int i = 0; i < PF_MAX_APPROVALS && slot < 0; i++)
		if (!a->apr.ap[i].used)
			slot = i;
	if (slot < 0) {
		pf_err_set(err, "%d approvals are live already (the limit)", PF_MAX_APPROVALS);
		return -E2BIG;
	}
	l.keys = calloc(t->n_paths * 2 + 1, sizeof(*l.keys));
	if (!l.keys)
		return -ENOMEM;
	v.ops = t->ops & PF_TOKEN_OPS_DEFAULT;
	v.slot = (uint32_t)slot;
	r = constraints(a->pol, t, &v, err);
	for (size_t i = 0; r == 0 && i < t->n_paths; i++)
		r = add_path(a, &l, &t->paths[i], &v, err);
	if (r == 0 && (r = describe(&l, ap)) < 0)
		pf_err_set(err, "%s", strerror(-r));
	if (r == 0) {
		l.used = 1;
		l.expires_boot = expires_boot;
		a->apr.ap[slot] = l;
		r = sync_count(a);
		if (r < 0) {
			pf_err_set(err, "config update: %s", strerror(-r));
			memset(&a->apr.ap[slot], 0, sizeof(a->apr.ap[slot]));
		}
	}
	if (r < 0) {
		remove_kernel_entries(a, &l);
		live_free(&l);
		return r;
	}
	*ret_slot = slot;
	return 0;
}

/* The expiry on the boot clock: immune to the wall clock moving later. */
static uint64_t expiry_boot(struct agent *a, int64_t not_after)
{
	int64_t left = not_after - token_clock_ns(a) / 1000000000LL;

	if (left < 0)
		left = 0;
	return (uint64_t)boot_now_ns() + (uint64_t)left * 1000000000ULL;
}

static void drop_approval(struct agent *a, int slot, const char *decision, const char *why)
{
	struct live_approval *l = &a->apr.ap[slot];
	char *bp = bundle_path(a, l->id);

	remove_kernel_entries(a, l);
	if (bp) {
		unlink(bp);
		free(bp);
	}
	log_record(a, decision, F_STR("token", l->id), F_STR("reason", why));
	live_free(l);
	sync_count(a);
}

void approvals_expire(struct agent *a)
{
	uint64_t now = (uint64_t)boot_now_ns();

	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		if (a->apr.ap[i].used && a->apr.ap[i].expires_boot <= now)
			drop_approval(a, i, "approval-expired", "not-after reached");
}

void approvals_free(struct agent *a)
{
	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		live_free(&a->apr.ap[i]);
	pf_used_free(&a->apr.used);
}

/* The bytes to keep for a restart: the bundle, then every signature file. */
static int persist_bundle(struct agent *a, const char *id, const struct pf_approve_input *in)
{
	struct pf_buf b;
	char *dir, *path;
	int r;

	if (asprintf(&dir, "%s/%s", a->paths.state_dir, PF_APPROVALS_DIR) < 0)
		return -ENOMEM;
	r = pf_mkdir_p(dir, 0700);
	free(dir);
	if (r < 0)
		return r;
	pf_buf_init(&b);
	pf_buf_putn(&b, in->bundle.data, in->bundle.len);
	for (size_t i = 0; i < in->n_sigfiles; i++) {
		if (b.len && b.data[b.len - 1] != '\n')
			pf_buf_putc(&b, '\n');
		pf_buf_putn(&b, in->sigfiles[i].data, in->sigfiles[i].len);
	}
	path = bundle_path(a, id);
	r = b.oom || !path ? -ENOMEM : pf_write_file_atomic(path, b.data, b.len, 0600);
	free(path);
	pf_buf_free(&b);
	return r;
}

/* Installs the verified @ap (its id spent already) and keeps its bundle;
 * undone whole when either fails. */
static int install_and_keep(struct agent *a, const struct pf_approval *ap,
			    const struct pf_approve_input *in, int *ret_slot, struct pf_err *err)
{
	int slot, r;

	r = install_approval(a, ap, expiry_boot(a, ap->token->not_after), &slot, err);
	if (r < 0)
		return r;
	r = persist_bundle(a, ap->token->id, in);
	if (r < 0) {
		pf_err_set(err, "saving the approval: %s", strerror(-r));
		remove_kernel_entries(a, &a->apr.ap[slot]);
		live_free(&a->apr.ap[slot]);
		sync_count(a);
		return r;
	}
	*ret_slot = slot;
	return 0;
}

/* What installing @t would meet, checked before its id is spent: each
 * path resolves, no two paths name the same object (two spellings, or a
 * file and its own subtree), none is covered by a live approval, the
 * constraints resolve. */
static int preflight(struct agent *a, const struct pf_token *t, struct pf_err *err)
{
	struct pf_akey *seen = calloc(t->n_paths * 2 + 1, sizeof(*seen));
	const char **owner = calloc(t->n_paths * 2 + 1, sizeof(*owner));
	struct pf_approval_k v = { 0 }, old;
	size_t n = 0;
	int r = seen && owner ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < t->n_paths; i++) {
		const struct pf_token_path *tp = &t->paths[i];
		char name[PF_APPROVAL_NAME_MAX];
		struct pf_akey keys[2];
		int nk = 0;

		r = path_keys(tp, keys, &nk, name, err);
		for (int k = 0; r == 0 && k < nk; k++) {
			for (size_t j = 0; j < n; j++)
				if (memcmp(&seen[j], &keys[k], sizeof(keys[k])) == 0) {
					pf_err_set(err, "paths %s and %s name the same object: a "
							"token names each object once",
						   owner[j], tp->path);
					r = -EINVAL;
					break;
				}
			if (r == 0 && bpf_map_lookup_elem(approvals_fd(a), &keys[k], &old) == 0) {
				const struct live_approval *other = approval_at(a, old.slot);

				pf_err_set(err, "path %s is already covered by live approval %s; "
						"revoke it first",
					   tp->path, other ? other->id : "?");
				r = -EEXIST;
			}
			owner[n] = tp->path;
			seen[n++] = keys[k];
		}
	}
	if (r == 0)
		r = constraints(a->pol, t, &v, err);
	free(seen);
	free(owner);
	return r;
}

int approve_token(struct agent *a, const struct pf_approve_input *in,
		  struct pf_approval **ret_ap, int *ret_slot, struct pf_err *err)
{
	struct pf_approval *ap = NULL;
	struct pf_err why = { "" };
	int slot, r;

	r = verify_token(a, in, NULL, &ap, &why);
	if (r < 0) {
		pf_err_set(err, "refused: %s", why.msg);
		return r;
	}
	if (ap->token->ops & PF_TOKEN_OP_THAW) {
		pf_err_set(err, "token %s is a thaw token: use `permafrost thaw`", ap->token->id);
		pf_approval_free(ap);
		return -EINVAL;
	}
	r = preflight(a, ap->token, &why);
	if (r < 0) {
		pf_err_set(err, "refused: %s (token id %s is not spent)", why.msg, ap->token->id);
		pf_approval_free(ap);
		return r;
	}
	r = pf_used_add(a->paths.state_dir, &a->apr.used, ap->token->id);
	if (r < 0) {
		pf_err_set(err, "recording token id %s: %s", ap->token->id,
			 r == -EEXIST ? "already used" : strerror(-r));
		pf_approval_free(ap);
		return r;
	}
	r = install_and_keep(a, ap, in, &slot, &why);
	if (r < 0) {
		pf_err_set(err, "%s (token id %s is now spent)", why.msg, ap->token->id);
		pf_approval_free(ap);
		return r;
	}
	*ret_ap = ap;
	*ret_slot = slot;
	return 0;
}

void cmd_approve(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		 const struct peer *p)
{
	struct pf_text sigs[PF_TOKEN_MAX_SIGS];
	struct pf_approve_input in = { 0 };
	const struct live_approval *l;
	struct pf_approval *ap = NULL;
	struct pf_err err = { "" };
	int slot;

	(void)p;
	if (request_input(req, &in, sigs, PF_TOKEN_MAX_SIGS) < 0) {
		reply_error(rep, "approve: a token bundle and at most %d signature files are required",
			    PF_TOKEN_MAX_SIGS);
		return;
	}
	if (approve_token(a, &in, &ap, &slot, &err) < 0) {
		reply_error(rep, "approve: %s", err.msg);
		log_record(a, "approval-refused", F_STR("reason", err.msg));
		return;
	}
	l = &a->apr.ap[slot];
	log_record(a, "approval-loaded", F_STR("token", ap->token->id),
		   F_STR("ticket", ap->token->ticket), F_STR("approvers", l->approvers),
		   F_STR("paths", l->paths));
	pf_msg_add(rep, "status", "ok");
	pf_msg_add(rep, "token", ap->token->id);
	pf_msg_add(rep, "ticket", ap->token->ticket);
	pf_msg_add(rep, "approvers", l->approvers);
	pf_msg_add(rep, "paths", l->paths);
	pf_msg_addf(rep, "expires_in_s", "%lld",
		    (long long)((l->expires_boot - (uint64_t)boot_now_ns()) / 1000000000ULL));
	pf_approval_free(ap);
}

void cmd_revoke(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		const struct peer *p)
{
	const char *id = pf_msg_get(req, "token");

	(void)p;
	for (int i = 0; id && i < PF_MAX_APPROVALS; i++)
		if (a->apr.ap[i].used && strcmp(a->apr.ap[i].id, id) == 0) {
			drop_approval(a, i, "approval-revoked", "revoked by an operator");
			pf_msg_add(rep, "status", "ok");
			pf_msg_add(rep, "token", id);
			return;
		}
	reply_error(rep, "revoke: no live approval has token id '%s'", id ? id : "");
}

/* One kept bundle at start: re-verified (an approver removed from
 * allowed_signers since, or an expiry, drops it, logged) and installed. */
static void reload_one(struct agent *a, const char *dir, const char *file)
{
	struct pf_approve_input in = { 0 };
	struct pf_approval *ap = NULL;
	char id[33], *path = NULL, *buf = NULL;
	struct pf_err err = { "" };
	size_t len;
	int slot;

	snprintf(id, sizeof(id), "%.32s", file);
	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return;
	if (pf_read_file(path, PF_BUNDLE_MAX_SIZE + PF_TOKEN_MAX_SIGS * PF_SSHSIG_MAX_ARMOR, &buf,
			 &len) < 0) {
		free(path);
		return;
	}
	in.bundle.data = buf;
	in.bundle.len = len;
	if (verify_token(a, &in, id, &ap, &err) < 0 ||
	    install_approval(a, ap, expiry_boot(a, ap->token->not_after), &slot, &err) < 0) {
		unlink(path);
		log_record(a, "approval-expired", F_STR("token", id), F_STR("reason", err.msg));
	} else {
		log_record(a, "approval-loaded", F_STR("token", id), F_STR("ticket", ap->token->ticket),
			   F_STR("approvers", a->apr.ap[slot].approvers),
			   F_STR("paths", a->apr.ap[slot].paths));
	}
	pf_approval_free(ap);
	free(buf);
	free(path);
}

void approvals_reload(struct agent *a)
{
	struct dirent *de;
	char *dir;
	DIR *d;

	if (asprintf(&dir, "%s/%s", a->paths.state_dir, PF_APPROVALS_DIR) < 0)
		return;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n == 32 + 7 && strcmp(de->d_name + 32, ".bundle") == 0)
			reload_one(a, dir, de->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
}

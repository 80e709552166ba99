/* approve: rule evaluation for approval tokens. See approve.h. */
#include "approve.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sshsig.h"
#include "util.h"

struct goodsig {
	struct pf_sshsig *sig;
	char **principals; /* union over usable entries, unique */
	size_t n_principals;
	bool requester;
	size_t group;
};

struct eval {
	struct pf_rule_result *rules;
	size_t n, cap;
	int error; /* sticky -ENOMEM */
	struct goodsig *good;
	size_t n_good, good_cap;
	size_t n_sigs;
	unsigned *thresholds; /* per path */
};

static void add_rule(struct eval *ev, const char *rule, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_rule(struct eval *ev, const char *rule, bool ok, const char *fmt, ...)
{
	struct pf_rule_result *r;
	va_list ap;

	if (ev->error)
		return;
	if (PF_ARRAY_GROW(ev->rules, ev->cap, ev->n) < 0) {
		ev->error = -ENOMEM;
		return;
	}
	r = &ev->rules[ev->n++];
	snprintf(r->rule, sizeof(r->rule), "%s", rule);
	r->ok = ok;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static const char *fmt_time(int64_t t, char *buf, size_t len)
{
	if (pf_token_format_time(t, buf, len) < 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int strv_add_unique(char ***v, size_t *n, const char *s)
{
	char **nv, *d;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(d);
		return -ENOMEM;
	}
	nv[(*n)++] = d;
	*v = nv;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* joins v with sep into buf, truncating with "..." */
static const char *join(char *const *v, size_t n, const char *sep, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? sep : "", v[i]);

		if (w < 0 || (size_t)w >= len - o) {
			if (len >= 4)
				memcpy(buf + len - 4, "...", 4);
			break;
		}
		o += (size_t)w;
	}
	return buf;
}

void pf_approval_free(struct pf_approval *a)
{
	if (!a)
		return;
	pf_token_free(a->token);
	free_strv(a->approvers, a->n_approvers);
	free(a);
}

void pf_explanation_free(struct pf_explanation *e)
{
	if (!e)
		return;
	free(e->rules);
	pf_approval_free(e->approval);
	free(e);
}

/* ---- signatures ------------------------------------------------------- */

/* Checks one parsed signature: trust, then cryptography. Takes ownership
 * of sig on success (stored in ev->good). */
static void check_sig(const struct pf_approve_ctx *ctx, struct eval *ev, struct pf_sshsig *sig,
		      size_t idx, const char *body, size_t body_len, const char *requester)
{
	const struct pf_sshkey *key = pf_sshsig_key(sig);
	const struct pf_signers *ss = ctx->signers;
	const struct pf_signer *first_bad = NULL;
	struct goodsig g = { 0 };
	char fp[PF_SSHKEY_FP_LEN], names[256], tb[32], why[160];
	struct pf_err e;
	uint8_t flags = 0;
	bool any = false, need_uv = false;
	int r;

	if (pf_sshkey_fingerprint(key, fp, sizeof(fp)) < 0)
		snprintf(fp, sizeof(fp), "SHA256:?");
	/* trust first: an untrusted key costs no cryptography */
	for (size_t i = 0; i < ss->n; i++) {
		const struct pf_signer *s = &ss->entries[i];

		if (!pf_sshkey_equal(s->key, key))
			continue;
		any = true;
		if (!pf_signer_allows_namespace(s, ctx->ns) || pf_signer_check_time(s, ctx->now)) {
			if (!first_bad)
				first_bad = s;
			continue;
		}
		if (s->verify_required)
			need_uv = true;
		for (size_t k = 0; k < s->n_principals; k++)
			if (strv_add_unique(&g.principals, &g.n_principals, s->principals[k]) < 0) {
				ev->error = -ENOMEM;
				goto fail;
			}
	}
	if (!any) {
		add_rule(ev, "signatures", false, "signature %zu: key %s is not in allowed_signers",
			 idx, fp);
		goto fail;
	}
	if (!g.n_principals) {
		const struct pf_signer *s = first_bad;
		int t = pf_signer_check_time(s, ctx->now);

		join(s->principals, s->n_principals, ",", names, sizeof(names));
		if (!pf_signer_allows_namespace(s, ctx->ns))
			snprintf(why, sizeof(why), "is not allowed for namespace \"%s\"", ctx->ns);
		else if (t < 0)
			snprintf(why, sizeof(why), "is not valid before %s (valid-after)",
				 fmt_time(s->valid_after, tb, sizeof(tb)));
		else
			snprintf(why, sizeof(why), "is not valid after %s (valid-before)",
				 fmt_time(s->valid_before, tb, sizeof(tb)));
		add_rule(ev, "signatures", false, "signature %zu: key %s (%s) %s (%s:%u)", idx, fp,
			 names, why, ss->filename, s->line);
		goto fail;
	}
	join(g.principals, g.n_principals, ",", names, sizeof(names));
	r = pf_sshsig_verify(sig, body, body_len, &flags, &e);
	if (r == -ENOMEM) {
		ev->error = r;
		goto fail;
	}
	if (r < 0) {
		add_rule(ev, "signatures", false, "signature %zu: key %s (%s): %s", idx, fp, names,
			 e.msg);
		goto fail;
	}
	/* the strictest of the key's usable lines applies: one line with
	 * verify-required is enough to demand user verification */
	if (need_uv && !(flags & PF_SK_USER_VERIFIED)) {
		add_rule(ev, "signatures", false,
			 "signature %zu: key %s (%s) requires user verification (verify-required) but the signature lacks it",
			 idx, fp, names);
		goto fail;
	}
	for (size_t k = 0; k < g.n_principals; k++)
		if (requester && strcmp(g.principals[k], requester) == 0)
			g.requester = true;
	add_rule(ev, "signatures", true, "signature %zu: %s (%s %s)%s", idx, names,
		 pf_sshkey_type_name(key), fp,
		 g.requester ? " is the requester and does not count" : " verified");
	if (PF_ARRAY_GROW(ev->good, ev->good_cap, ev->n_good) < 0) {
		ev->error = -ENOMEM;
		goto fail;
	}
	g.sig = sig;
	ev->good[ev->n_good++] = g;
	return;
fail:
	free_strv(g.principals, g.n_principals);
	pf_sshsig_free(sig);
}

/* Walks the armored signatures in text. where: "" for the bundle, or
 * "signature file N: " */
static void walk_sigs(const struct pf_approve_ctx *ctx, struct eval *ev, const char *text,
		      size_t len, const char *where, const char *body, size_t body_len,
		      const char *requester)
{
	size_t off = 0, in_this = 0;

	while (off < len && !ev->error) {
		size_t avail = len - off, used = 0, bl = 0;
		uint8_t *blob = NULL;
		struct pf_sshsig *sig = NULL;
		struct pf_err e;
		size_t idx = ev->n_sigs + 1;
		int r;

		if (avail < strlen(PF_SSHSIG_BEGIN) ||
		    memcmp(text + off, PF_SSHSIG_BEGIN, strlen(PF_SSHSIG_BEGIN)) != 0) {
			if (in_this)
				add_rule(ev, "signatures", false, "%sunexpected text after signature %zu",
					 where, ev->n_sigs);
			else
				add_rule(ev, "signatures", false,
					 "%sdoes not start with " PF_SSHSIG_BEGIN, where);
			return;
		}
		if (ev->n_sigs >= PF_TOKEN_MAX_SIGS) {
			add_rule(ev, "signatures", false, "more than %d signatures", PF_TOKEN_MAX_SIGS);
			return;
		}
		ev->n_sigs++;
		in_this++;
		if (avail > PF_SSHSIG_MAX_ARMOR) {
			if (!memmem(text + off, PF_SSHSIG_MAX_ARMOR, "-----END SSH SIGNATURE-----\n", 28)) {
				add_rule(ev, "signatures", false,
					 "signature %zu: armored signature larger than %d bytes", idx,
					 PF_SSHSIG_MAX_ARMOR);
				return;
			}
			avail = PF_SSHSIG_MAX_ARMOR;
		}
		r = pf_armor_decode(text + off, avail, PF_SSHSIG_ARMOR_LABEL, PF_SSHSIG_MAX_BLOB,
				    &blob, &bl, &used, &e);
		if (r == -ENOMEM) {
			ev->error = r;
			return;
		}
		if (r < 0) {
			add_rule(ev, "signatures", false, "signature %zu: %s", idx, e.msg);
			return; /* cannot find the next block reliably */
		}
		off += used;
		r = pf_sshsig_from_blob(blob, bl, ctx->ns, &sig, &e);
		free(blob);
		if (r == -ENOMEM) {
			ev->error = r;
			return;
		}
		if (r < 0) {
			add_rule(ev, "signatures", false, "signature %zu: %s", idx, e.msg);
			continue;
		}
		check_sig(ctx, ev, sig, idx, body, body_len, requester);
	}
}

/* ---- grouping --------------------------------------------------------- */

static size_t uf_find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static bool share_principal(const struct goodsig *a, const struct goodsig *b)
{
	for (size_t i = 0; i < a->n_principals; i++)
		for (size_t j = 0; j < b->n_principals; j++)
			if (strcmp(a->principals[i], b->principals[j]) == 0)
				return true;
	return false;
}

/* Builds the sorted approver names of the groups of non-requester sigs. */
static int approvers(struct eval *ev, char ***ret_v, size_t *ret_n)
{
	size_t n = ev->n_good, *parent, na = 0;
	char **v = NULL;
	int r = 0;

	parent = calloc(n ? n : 1, sizeof(*parent));
	if (!parent)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		parent[i] = i;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			struct goodsig *a = &ev->good[i], *b = &ev->good[j];

			if (a->requester || b->requester)
				continue;
			if (pf_sshkey_equal(pf_sshsig_key(a->sig), pf_sshsig_key(b->sig)) ||
			    share_principal(a, b))
				parent[uf_find(parent, i)] = uf_find(parent, j);
		}
	for (size_t root = 0; root < n; root++) {
		char **names = NULL, buf[1024];
		size_t nn = 0;

		if (ev->good[root].requester || uf_find(parent, root) != root)
			continue;
		for (size_t i = 0; i < n && !r; i++)
			if (!ev->good[i].requester && uf_find(parent, i) == root)
				for (size_t k = 0; k < ev->good[i].n_principals && !r; k++)
					r = strv_add_unique(&names, &nn, ev->good[i].principals[k]);
		if (!r) {
			qsort(names, nn, sizeof(*names), cmp_str);
			join(names, nn, ",", buf, sizeof(buf));
			r = strv_add_unique(&v, &na, buf);
		}
		free_strv(names, nn);
		if (r)
			break;
	}
	free(parent);
	if (r) {
		free_strv(v, na);
		return r;
	}
	if (na)
		qsort(v, na, sizeof(*v), cmp_str);
	*ret_v = v;
	*ret_n = na;
	return 0;
}

/* ---- the rules -------------------------------------------------------- */

static bool host_matches(const struct pf_approve_ctx *ctx, const char *h)
{
	return (ctx->hostname && strcasecmp(ctx->hostname, h) == 0) ||
	       (ctx->machine_id && strcmp(ctx->machine_id, h) == 0);
}

static int evaluate(const struct pf_approve_ctx *ctx, const struct pf_approve_input *in,
		    struct eval *ev, struct pf_approval **ret_approval)
{
	struct pf_token *t = NULL;
	struct pf_approval *a = NULL;
	char t1[32], t2[32], buf[1024];
	size_t body_len;
	struct pf_err e;
	unsigned required = 0;
	bool requester_signed = false;
	int r;

	if (!ctx || !in || !ctx->signers || !ctx->ns || !ctx->threshold || !ctx->is_used ||
	    (!in->bundle.data && in->bundle.len) || (in->n_sigfiles && !in->sigfiles))
		return -EINVAL;

	/* format */
	r = pf_bundle_body_len(in->bundle.data, in->bundle.len, &body_len, &e);
	if (r == 0)
		r = pf_token_parse(in->bundle.data, body_len, &t, &e);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		add_rule(ev, "format", false, "%s", e.msg);
		return ev->error;
	}
	for (size_t i = 0; i < in->n_sigfiles; i++)
		if (in->sigfiles[i].len > PF_BUNDLE_MAX_SIZE) {
			add_rule(ev, "format", false, "signature file %zu is larger than %d bytes",
				 i + 1, PF_BUNDLE_MAX_SIZE);
			pf_token_free(t);
			return ev->error;
		}
	add_rule(ev, "format", true, "token %s, ticket %s, requested by %s", t->id, t->ticket,
		 t->requester);

	/* signatures */
	walk_sigs(ctx, ev, in->bundle.data + body_len, in->bundle.len - body_len, "", in->bundle.data,
		  body_len, t->requester);
	for (size_t i = 0; i < in->n_sigfiles && !ev->error; i++) {
		char where[48];

		snprintf(where, sizeof(where), "signature file %zu: ", i + 1);
		if (in->sigfiles[i].len == 0) {
			add_rule(ev, "signatures", false, "%sempty", where);
			continue;
		}
		walk_sigs(ctx, ev, in->sigfiles[i].data, in->sigfiles[i].len, where,
			  in->bundle.data, body_len, t->requester);
	}
	if (ev->n_sigs == 0 && !ev->error)
		add_rule(ev, "signatures", false, "token has no signatures");

	/* host */
	{
		bool ok = false;

		for (size_t i = 0; i < t->n_hosts; i++)
			ok |= host_matches(ctx, t->hosts[i]);
		if (ok)
			add_rule(ev, "host", true, "this host (%s) is named in the token",
				 ctx->hostname ? ctx->hostname : ctx->machine_id);
		else
			add_rule(ev, "host", false,
				 "token is for %s, not this host (hostname %s, machine-id %s)",
				 join(t->hosts, t->n_hosts, ", ", buf, 256),
				 ctx->hostname ? ctx->hostname : "unknown",
				 ctx->machine_id ? ctx->machine_id : "unknown");
	}

	/* validity window */
	if (ctx->now + PF_APPROVE_SKEW < t->not_before)
		add_rule(ev, "not-before", false, "token not valid before %s (now %s, %d s skew allowed)",
			 fmt_time(t->not_before, t1, sizeof(t1)), fmt_time(ctx->now, t2, sizeof(t2)),
			 PF_APPROVE_SKEW);
	else
		add_rule(ev, "not-before", true, "valid from %s", fmt_time(t->not_before, t1, sizeof(t1)));
	if (ctx->now >= t->not_after)
		add_rule(ev, "not-after", false, "token expired at %s (now %s)",
			 fmt_time(t->not_after, t1, sizeof(t1)), fmt_time(ctx->now, t2, sizeof(t2)));
	else
		add_rule(ev, "not-after", true, "valid until %s", fmt_time(t->not_after, t1, sizeof(t1)));
	if (t->not_after - t->not_before > ctx->max_ttl)
		add_rule(ev, "max-ttl", false, "token window of %lld s exceeds max-token-ttl of %lld s",
			 (long long)(t->not_after - t->not_before), (long long)ctx->max_ttl);
	else
		add_rule(ev, "max-ttl", true, "token window of %lld s is within max-token-ttl of %lld s",
			 (long long)(t->not_after - t->not_before), (long long)ctx->max_ttl);

	/* replay */
	r = ctx->is_used(t->id, ctx->used_data);
	if (r < 0)
		add_rule(ev, "replay", false, "cannot check whether token id %s was used: %s", t->id,
			 strerror(-r));
	else if (r > 0)
		add_rule(ev, "replay", false, "token id %s was already used", t->id);
	else
		add_rule(ev, "replay", true, "token id %s was never used", t->id);

	/* scope: one threshold per path */
	if (t->ops == PF_TOKEN_OP_THAW) {
		required = ctx->thaw_threshold ? ctx->thaw_threshold : 1;
		add_rule(ev, "scope", true, "thaw token (no paths)");
	} else {
		bool ok = true;

		ev->thresholds = calloc(t->n_paths, sizeof(*ev->thresholds));
		if (!ev->thresholds) {
			pf_token_free(t);
			return -ENOMEM;
		}
		for (size_t i = 0; i < t->n_paths && ok; i++) {
			struct pf_err why = { "" };
			unsigned th = 0;

			r = ctx->threshold(t->paths[i].path, t->paths[i].subtree, ctx->threshold_data, &th,
					   &why);
			if (r == -ENOENT && !why.msg[0]) {
				add_rule(ev, "scope", false, "path %s is outside every protected tree",
					 t->paths[i].path);
				ok = false;
			} else if (r < 0) {
				add_rule(ev, "scope", false, "path %s: %s", t->paths[i].path,
					 why.msg[0] ? why.msg : strerror(-r));
				ok = false;
			}
			/* an approval for AI agents' changes: agent-approvals,
			 * never below the path's own */
			if (t->agent && ctx->ai_threshold > th)
				th = ctx->ai_threshold;
			ev->thresholds[i] = th ? th : 1;
			if (ev->thresholds[i] > required)
				required = ev->thresholds[i];
		}
		if (ok)
			add_rule(ev, "scope", true, "all %zu path%s inside protected trees", t->n_paths,
				 t->n_paths == 1 ? " is" : "s are");
	}

	/* threshold */
	a = calloc(1, sizeof(*a));
	if (!a) {
		pf_token_free(t);
		return -ENOMEM;
	}
	a->token = t;
	a->required = required;
	r = approvers(ev, &a->approvers, &a->n_approvers);
	if (r < 0) {
		pf_approval_free(a);
		return r;
	}
	for (size_t i = 0; i < ev->n_good; i++)
		requester_signed |= ev->good[i].requester;
	{
		const char *what = NULL;
		unsigned need = required;
		char note[PF_TOKEN_MAX_PRINCIPAL + 64] = "";

		if (t->ops == PF_TOKEN_OP_THAW) {
			if (a->n_approvers < need)
				what = "thaw";
		} else {
			for (size_t i = 0; i < t->n_paths && ev->thresholds; i++)
				if (a->n_approvers < ev->thresholds[i]) {
					what = t->paths[i].path;
					need = ev->thresholds[i];
					break;
				}
		}
		if (requester_signed)
			snprintf(note, sizeof(note), "; the requester's own signature (%s) does not count",
				 t->requester);
		join(a->approvers, a->n_approvers, ", ", buf, sizeof(buf));
		if (what)
			add_rule(ev, "threshold", false,
				 "threshold not met for %s: %zu distinct approver%s (%s), %u required%s", what,
				 a->n_approvers, a->n_approvers == 1 ? "" : "s",
				 a->n_approvers ? buf : "none", need, note);
		else
			add_rule(ev, "threshold", true, "%zu distinct approver%s (%s), %u required%s",
				 a->n_approvers, a->n_approvers == 1 ? "" : "s",
				 a->n_approvers ? buf : "none", required, note);
	}
	/* four eyes: the requester is a trusted principal whose own valid
	 * signature is on the token (and does not count, above) */
	if (ctx->requester_signs) {
		if (requester_signed)
			add_rule(ev, "requester", true, "the requester %s signed the token",
				 t->requester);
		else
			add_rule(ev, "requester", false,
				 "the requester %s did not sign the token (requester-signs yes: the "
				 "requester signs, and the approvers are others)",
				 t->requester);
	}
	*ret_approval = a;
	return ev->error;
}

static void eval_clear(struct eval *ev)
{
	for (size_t i = 0; i < ev->n_good; i++) {
		pf_sshsig_free(ev->good[i].sig);
		free_strv(ev->good[i].principals, ev->good[i].n_principals);
	}
	free(ev->good);
	free(ev->thresholds);
	free(ev->rules);
	memset(ev, 0, sizeof(*ev));
}

int pf_approve_explain(const struct pf_approve_ctx *ctx, const struct pf_approve_input *in,
		       struct pf_explanation **ret_expl)
{
	struct eval ev = { 0 };
	struct pf_approval *a = NULL;
	struct pf_explanation *x;
	int r;

	r = evaluate(ctx, in, &ev, &a);
	if (r < 0) {
		pf_approval_free(a);
		eval_clear(&ev);
		return r;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		pf_approval_free(a);
		eval_clear(&ev);
		return -ENOMEM;
	}
	x->accepted = ev.n > 0;
	for (size_t i = 0; i < ev.n; i++)
		x->accepted &= ev.rules[i].ok;
	x->rules = ev.rules;
	x->n_rules = ev.n;
	ev.rules = NULL;
	if (x->accepted)
		x->approval = a;
	else
		pf_approval_free(a);
	eval_clear(&ev);
	*ret_expl = x;
	return 0;
}

int pf_approve_verify(const struct pf_approve_ctx *ctx, const struct pf_approve_input *in,
		      struct pf_approval **ret_approval, const char **ret_rule,
		      struct pf_err *err)
{
	static const char *const names[] = {
		"format", "signatures", "host", "not-before", "not-after",
		"max-ttl", "replay", "scope", "threshold", "requester",
	};
	struct pf_explanation *x = NULL;
	int r;

	r = pf_approve_explain(ctx, in, &x);
	if (r < 0)
		return pf_err(err, r, "%s", r == -EINVAL ? "invalid verification context" : "out of memory");
	if (x->accepted) {
		*ret_approval = x->approval;
		x->approval = NULL;
		pf_explanation_free(x);
		return 0;
	}
	for (size_t i = 0; i < x->n_rules; i++)
		if (!x->rules[i].ok) {
			pf_err_set(err, "%s", x->rules[i].message);
			if (ret_rule) {
				*ret_rule = "unknown";
				for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
					if (strcmp(names[k], x->rules[i].rule) == 0)
						*ret_rule = names[k];
			}
			break;
		}
	pf_explanation_free(x);
	return -EACCES;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Verifying a token on this host: the trusted signers, this host's
 * identity, the policy's thresholds, the spent token ids, and a clock that
 * never runs backwards (wallclock.h). The checks themselves are
 * user/lib's (approve.h); this file supplies what they are checked
 * against. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "tokenpath.h"
#include "auditlog.h"
#include "signers.h"
#include "token.h"
#include "util.h"

/* The policy's threshold for a token path (see pf_policy_threshold). */
/* A token path's threshold: the higher of what its spelling falls under
 * (which must be a protected tree) and what the object it reaches falls
 * under, reached without any symbolic link (tokenpath.h). */
static int threshold_cb(const char *path, bool subtree, void *data, unsigned *ret,
			struct pf_err *why)
{
	struct agent *a = data;
	unsigned by_name = 0, by_object = 0;
	int r = pf_policy_threshold(a->pol, path, subtree, &by_name);

	if (r < 0)
		return r;
	if (a->res) {
		r = pf_token_path_threshold(a->res, path, subtree, &by_object, why);
		if (r < 0)
			return r;
	}
	*ret = by_name > by_object ? by_name : by_object;
	return 0;
}

struct used_ctx {
	struct agent *a;
	const char *allow_id; /* reloading this token: its own record is fine */
};

static int used_cb(const char *id, void *data)
{
	struct used_ctx *u = data;

	if (u->allow_id && strcmp(id, u->allow_id) == 0)
		return 0;
	return pf_used_has(&u->a->apr.used, id);
}

/* A step back of the wall clock beyond the tolerance is reported once,
 * until the clock has caught up again. */
int64_t token_clock_ns(struct agent *a)
{
	int64_t real, boot, behind, now;
	char d[64];

	pf_clock_sample(&real, &boot);
	now = pf_wallclock_read(&a->apr.clock, real, boot, &behind);
	if (!behind) {
		if (now == real)
			a->apr.clock_warned = 0;
		return now;
	}
	if (a->apr.clock_warned)
		return now;
	pf_auditlog_duration(behind, d, sizeof(d));
	warnx_("the wall clock is %s behind the time this agent has already seen; token checks "
	       "use the later time", d);
	log_record(a, "clock-back", F_STR("behind", d));
	a->apr.clock_warned = 1;
	return now;
}

int verify_token(struct agent *a, const struct pf_approve_input *in, const char *allow_id,
		 struct pf_approval **ret, struct pf_err *err)
{
	struct used_ctx uc = { .a = a, .allow_id = allow_id };
	struct pf_signers *signers = NULL;
	struct pf_err e = { { 0 } };
	struct pf_approve_ctx ctx = { 0 };
	const char *rule = NULL;
	int r;

	if (!a->pol->allowed_signers) {
		pf_err_set(err, "the policy names no allowed-signers file: no token can be "
				     "verified");
		return -EACCES;
	}
	r = pf_signers_load(a->pol->allowed_signers, &signers, &e);
	if (r < 0) {
		pf_err_set(err, "%s", e.msg);
		return r;
	}
	ctx.signers = signers;
	ctx.ns = PF_APPROVAL_NAMESPACE;
	ctx.hostname = a->live.id.hostname;
	ctx.machine_id = a->live.id.machine_id[0] ? a->live.id.machine_id : NULL;
	ctx.now = token_clock_ns(a) / 1000000000LL; /* read once; never backwards */
	ctx.threshold = threshold_cb;
	ctx.threshold_data = a;
	ctx.thaw_threshold = a->pol->thaw_approvals;
	ctx.ai_threshold = a->pol->ai_approvals;
	ctx.max_ttl = (int64_t)a->pol->max_token_ttl_s;
	ctx.requester_signs = a->pol->requester_signs;
	ctx.is_used = used_cb;
	ctx.used_data = &uc;
	r = pf_approve_verify(&ctx, in, ret, &rule, &e);
	if (r < 0)
		pf_err_set(err, "%s%s%s", rule ? rule : "", rule ? ": " : "", e.msg);
	pf_signers_free(signers);
	return r;
}

int request_input(const struct pf_msg *req, struct pf_approve_input *in, struct pf_text *sigs,
		  size_t max_sigs)
{
	const char *b = pf_msg_get(req, "bundle");
	size_t n = 0;

	if (!b)
		return -EINVAL;
	in->bundle.data = b;
	in->bundle.len = strlen(b);
	for (size_t i = 0; i < req->n; i++) {
		if (strcmp(req->kv[i].key, "sig[]") != 0)
			continue;
		if (n >= max_sigs)
			return -E2BIG;
		sigs[n].data = req->kv[i].val;
		sigs[n].len = strlen(req->kv[i].val);
		n++;
	}
	in->sigfiles = sigs;
	in->n_sigfiles = n;
	return 0;
}

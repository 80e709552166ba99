/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The policy's way into the kernel: resolve every path to its (device,
 * inode), add Permafrost's own objects, check the view against the freeze
 * in force (view.h), load the maps. Also SIGHUP's reload and the `check`
 * command, which judge a path against the same resolution. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "view.h"

static int kernel_protects(uint64_t dev, uint64_t ino, void *data)
{
	struct pf_rule v;

	return maps_rule_of(data, dev, ino, &v) == 0;
}

static void view_file(const struct agent *a, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/" PF_VIEW_FILE, a->paths.state_dir);
}

/* The identities this resolution found: every policy path and Permafrost's
 * own files. Where a freeze is in force in the kernel (pinned at start, or
 * ours), they must agree with the view it was built from (-ESTALE,
 * reported as tamper). */
static int view_check(struct agent *a, const struct pf_resolved *res, struct pf_view **ret,
		      struct pf_err *err)
{
	const char *own[] = { a->paths.policy, a->pol->allowed_signers, a->paths.state_dir,
			      a->paths.log_dir, a->k.self.exe };
	char file[PATH_MAX];
	struct pf_err lerr = { "" };
	struct pf_view *now, *before = NULL;
	int r = 0;

	now = pf_view_new(a->live.boot_id);
	if (!now)
		return -ENOMEM;
	/* the identities the resolution's lstat() found: not taken twice */
	for (size_t i = 0; r == 0 && i < res->n_rule_keys; i++)
		if (res->rule_keys[i].ino)
			r = pf_view_add_known(now, a->pol->rules[i].path, res->rule_keys[i].dev,
					      res->rule_keys[i].ino);
	for (size_t i = 0; r == 0 && i < PF_ARRAY_SIZE(own); i++)
		r = own[i] && own[i][0] == '/' ? pf_view_add(now, own[i]) : 0;
	if (r < 0) {
		pf_err_set(err, "recording the policy's paths: %s", strerror(-r));
		pf_view_free(now);
		return r;
	}
	if (agent_mode(a) != PF_MODE_OFF && (a->k.self.maps_existed || a->res)) {
		view_file(a, file, sizeof(file));
		r = pf_view_load(file, &before, &lerr);
		if (r == -EINVAL)
			warnx_("%s; not compared", lerr.msg);
		r = before ? pf_view_compare(before, now, kernel_protects, a, err) : 0;
		pf_view_free(before);
		if (r < 0) {
			log_record(a, "tamper", F_STR("op", "view"), F_STR("reason", err->msg));
			pf_view_free(now);
			return r;
		}
	}
	*ret = now;
	return 0;
}

/* Kept for the next resolution, once the kernel holds this one. */
static void view_save(struct agent *a, const struct pf_view *v)
{
	char file[PATH_MAX];
	int r;

	view_file(a, file, sizeof(file));
	r = pf_view_save(v, file);
	if (r < 0)
		warnx_("%s: %s (the next resolution is not checked against this one)", file,
		       strerror(-r));
}

static int64_t mono_ns(void)
{
	return pf_clock_ns(CLOCK_MONOTONIC);
}

int refresh_rules(struct agent *a, struct pf_err *err)
{
	struct agent_apply_times *t = &a->apply;
	struct pf_resolved *r = NULL;
	struct pf_view *view = NULL;
	int64_t t0 = mono_ns();
	int ret;

	memset(t, 0, sizeof(*t));
	/* started by hand on a terminal: show where a large policy is */
	ret = pf_resolve_progress(a->pol, &r, err,
				  isatty(STDERR_FILENO) ? pf_cli_resolve_progress : NULL,
				  (void *)"permafrostd");
	t->resolve = mono_ns() - t0;
	if (ret < 0)
		return ret;
	a->k.self_paths.signers = a->pol->allowed_signers;
	a->k.self_paths.enabled = a->pol->self_protect;
	t0 = mono_ns();
	ret = ai_routes_add_rules(a, r, err);
	if (ret == 0)
		ret = pf_self_add_rules(r, &a->k.self_paths, &a->k.self, err);
	t->self = mono_ns() - t0;
	t0 = mono_ns();
	if (ret == 0)
		ret = view_check(a, r, &view, err);
	t->view = mono_ns() - t0;
	t0 = mono_ns();
	if (ret == 0)
		ret = maps_apply_rules(a, r, err);
	t->rules = mono_ns() - t0;
	t0 = mono_ns();
	if (ret == 0)
		ret = maps_apply_guards(a, err);
	t->guards = mono_ns() - t0;
	t0 = mono_ns();
	if (ret == 0)
		ret = ai_apply(a, err);
	if (ret == 0)
		ret = ai_routes_apply(a, err);
	t->ai = mono_ns() - t0;
	if (ret == 0 && (ret = events_set_window(a)) < 0)
		pf_err_set(err, "config update (event-repeat-window): %s", strerror(-ret));
	if (ret < 0) {
		pf_view_free(view);
		pf_resolved_free(r);
		return ret;
	}
	t0 = mono_ns();
	view_save(a, view);
	t->view += mono_ns() - t0;
	pf_view_free(view);
	pf_resolved_free(a->res);
	a->res = r;
	for (size_t i = 0; i < r->n_missing; i++)
		warnx_("policy: %s does not exist here; not protected until it does and the "
		       "policy is re-resolved (freeze or SIGHUP)", r->missing[i]);
	return 0;
}

/* SIGHUP: a policy with an error is refused whole, and the running one
 * stays. */
int reload_policy(struct agent *a)
{
	struct pf_policy *np = NULL, *old = a->pol;
	struct pf_err perr;
	struct pf_err err = { "" };
	int r;

	r = pf_policy_load(a->paths.policy, &np, &perr);
	if (r < 0) {
		warnx_("reload: %s; keeping the current policy", perr.msg);
		return r;
	}
	a->pol = np;
	r = refresh_rules(a, &err);
	if (r < 0) {
		warnx_("reload: %s; keeping the current policy", err.msg);
		a->pol = old;
		pf_policy_free(np);
		return r;
	}
	pf_policy_free(old);
	a->pol_gen++;
	log_record(a, "policy-reload", F_STR("policy", a->paths.policy));
	return 0;
}

static const char *origin_name(uint32_t o)
{
	switch (o) {
	case PF_ORIGIN_RULE:
		return "rule";
	case PF_ORIGIN_TARGET:
		return "symlink-target";
	case PF_ORIGIN_HARDLINK:
		return "hard-link";
	case PF_ORIGIN_SUBMOUNT:
		return "submount";
	case PF_ORIGIN_SELF:
		return "permafrost-self";
	case PF_ORIGIN_LOOP:
		return "loop-device";
	}
	return "unknown";
}

static const char *write_outcome(const struct agent *a, int protected_)
{
	if (!protected_ || agent_mode(a) == PF_MODE_OFF)
		return "allow";
	return agent_mode(a) == PF_MODE_AUDIT ? "would-deny" : "deny";
}

void cmd_check(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
	       const struct peer *p)
{
	const char *path = pf_msg_get(req, "path");
	const struct pf_entry *e;
	struct pf_check_result cr;
	int r;

	(void)p;
	if (!path || path[0] != '/') {
		reply_error(rep, "check: an absolute path is required");
		return;
	}
	r = pf_resolved_check(a->res, path, &cr);
	if (r < 0) {
		reply_error(rep, "check: %s: %s", path, strerror(-r));
		return;
	}
	e = cr.entry;
	pf_msg_add(rep, "status", "ok");
	pf_msg_add(rep, "path", cr.path);
	pf_msg_add(rep, "exists", cr.exists ? "yes" : "no");
	pf_msg_add(rep, "protected", cr.protected_ ? "yes" : "no");
	if (e && e->rule_id == PF_RULEID_AI_ONLY) {
		pf_msg_add(rep, "rule", "(protected from AI agents' processes only)");
		pf_msg_add(rep, "rule_line", "implicit");
		pf_msg_add(rep, "rule_kind", "agent-only");
		pf_msg_add(rep, "matched_by", "agent-route");
	} else if (e && (e->origin == PF_ORIGIN_SELF || e->rule_id >= a->pol->n_rules)) {
		pf_msg_add(rep, "rule", "(Permafrost's own object)");
		pf_msg_add(rep, "rule_line", "implicit");
		pf_msg_add(rep, "rule_kind", "protect");
		pf_msg_add(rep, "matched_by", origin_name(e->origin));
	} else if (e) {
		const struct pf_policy_rule *rule = &a->pol->rules[e->rule_id];

		pf_msg_add(rep, "rule", rule->path);
		pf_msg_add(rep, "rule_kind", e->kind == PF_RULE_PROTECT ? "protect" : "exempt");
		pf_msg_addf(rep, "rule_line", "%s:%u", a->paths.policy, rule->line);
		pf_msg_add(rep, "matched_by", origin_name(e->origin));
	}
	pf_msg_add(rep, "mode", pf_mode_name((uint32_t)agent_mode(a)));
	pf_msg_add(rep, "write", write_outcome(a, cr.protected_));
}

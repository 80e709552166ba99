/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Mode changes. Freezing is open to every peer the control socket admits
 * (it only tightens); lifting a freeze needs a signed thaw token meeting
 * the policy's thaw-approvals, from any admitted peer: the signatures are
 * the control, not the caller's uid. The new state is persisted before the
 * kernel changes, so a restart or reboot never silently thaws. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "reply.h"
#include "token.h"
#include "util.h"

static int change_mode(struct agent *a, int mode, const char *reason, const struct peer *p,
		       struct pf_err *err)
{
	struct pf_state ns = a->st;
	const char *from = pf_mode_name((uint32_t)a->st.mode);
	int r;

	ns.mode = mode;
	ns.since = pf_now_ns() / 1000000000LL;
	ns.by_uid = p->uid;
	ns.by_pid = (uint32_t)p->pid;
	snprintf(ns.reason, sizeof(ns.reason), "%s", reason ? reason : "");
	/* Persist first: a state the kernel holds but the disk does not would
	 * be lost on restart. */
	r = pf_state_save(a->paths.state_dir, &ns);
	if (r < 0) {
		pf_err_set(err, "saving the freeze state in %s: %s", a->paths.state_dir,
			 strerror(-r));
		return r;
	}
	r = config_set_mode(a, mode);
	if (r < 0) {
		pf_err_set(err, "setting the kernel mode: %s", strerror(-r));
		if (pf_state_save(a->paths.state_dir, &a->st) < 0)
			warnx_("restoring the freeze state in %s failed: the next start applies "
			       "mode %s", a->paths.state_dir, pf_mode_name((uint32_t)mode));
		return r;
	}
	a->st = ns;
	log_record(a, "mode-change", F_STR("from", from), F_NUM("by_uid", p->uid));
	return 0;
}

void cmd_freeze(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		const struct peer *p)
{
	const char *m = pf_msg_get(req, "mode");
	const char *reason = pf_msg_get(req, "reason");
	int mode = m ? pf_mode_parse(m) : PF_MODE_ENFORCE;
	struct pf_err err = { "" };

	if (mode != PF_MODE_ENFORCE && mode != PF_MODE_AUDIT) {
		reply_error(rep, "freeze: mode must be enforce or audit, got '%s'", m);
		return;
	}
	if (reason && strlen(reason) > PF_REASON_MAX) {
		reply_error(rep, "freeze: reason longer than %d bytes", PF_REASON_MAX);
		return;
	}
	if (a->st.mode == PF_MODE_ENFORCE && mode == PF_MODE_AUDIT) {
		reply_error(rep, "freeze: the host is frozen in enforce mode; audit would loosen it "
				 "(thaw first)");
		return;
	}
	/* The host's identity for tokens is what it is now, and stays so
	 * while frozen. */
	pf_hostid_read(NULL, &a->live.id);
	/* The file system may have changed while thawed (new hard links,
	 * replaced files): resolve again before freezing. */
	if (refresh_rules(a, &err) < 0) {
		reply_error(rep, "freeze: resolving the policy: %s", err.msg);
		return;
	}
	if (change_mode(a, mode, reason, p, &err) < 0) {
		reply_error(rep, "freeze: %s", err.msg);
		return;
	}
	pf_reply_str(rep, "status", "ok");
	pf_reply_str(rep, "mode", pf_mode_name((uint32_t)mode));
	pf_reply_num(rep, "objects", a->res->n);
}

/* A verified token that is a thaw token and not spent yet, spent now. */
static int thaw_token(struct agent *a, const struct pf_approve_input *in,
		      struct pf_approval **ret, struct pf_msg *rep)
{
	struct pf_approval *ap = NULL;
	struct pf_err err = { "" };
	int r;

	r = verify_token(a, in, NULL, &ap, &err);
	if (r < 0) {
		reply_error(rep, "thaw: refused: %s", err.msg);
		log_record(a, "thaw-refused", F_STR("reason", err.msg));
		return r;
	}
	if (ap->token->ops != PF_TOKEN_OP_THAW) {
		reply_error(rep, "thaw: token %s is not a thaw token (its ops must be exactly 'thaw')",
			    ap->token->id);
		pf_approval_free(ap);
		return -EINVAL;
	}
	r = pf_used_add(a->paths.state_dir, &a->apr.used, ap->token->id);
	if (r < 0) {
		reply_error(rep, "thaw: recording token id %s: %s", ap->token->id,
			    r == -EEXIST ? "already used" : strerror(-r));
		pf_approval_free(ap);
		return r;
	}
	*ret = ap;
	return 0;
}

void cmd_thaw(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
	      const struct peer *p)
{
	struct pf_text sigs[PF_TOKEN_MAX_SIGS];
	struct pf_approve_input in = { 0 };
	struct pf_approval *ap = NULL;
	char reason[PF_REASON_MAX + 1], note[512] = "";
	struct pf_err err = { "" };

	if (request_input(req, &in, sigs, PF_TOKEN_MAX_SIGS) < 0) {
		reply_error(rep, "thaw: a signed thaw token is required (`permafrost thaw TOKEN "
				 "[SIG...]`, token ops: thaw, %u approvals)",
			    a->pol->thaw_approvals);
		return;
	}
	if (thaw_token(a, &in, &ap, rep) < 0)
		return;
	/* inside a scheduled freeze: lifted until the next window starts */
	if (schedule_break_glass(a, note, sizeof(note)) < 0)
		warnx_("thaw: lifting the scheduled freeze in the kernel: %s", strerror(errno));
	snprintf(reason, sizeof(reason), "token %s (%s): %s", ap->token->id, ap->token->ticket,
		 ap->token->reason);
	if (change_mode(a, PF_MODE_OFF, reason, p, &err) < 0) {
		reply_error(rep, "thaw: %s", err.msg);
		pf_approval_free(ap);
		return;
	}
	pf_reply_str(rep, "status", "ok");
	pf_reply_str(rep, "mode", "off");
	pf_reply_str(rep, "token", ap->token->id);
	if (note[0])
		pf_reply_str(rep, "schedule", note);
	for (size_t i = 0; i < ap->n_approvers; i++)
		pf_reply_str(rep, "approvers[]", ap->approvers[i]);
	pf_approval_free(ap);
}

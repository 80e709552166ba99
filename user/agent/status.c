/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The status reply: the freeze, the policy as resolved, the counters, the
 * live approvals, the agent's health. Keys and types: reply.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "agent.h"
#include "reply.h"
#include "token.h"
#include "util.h"

/* Protect rules listed in a status reply (each a path of up to 4095 bytes:
 * the reply must stay under PF_MSG_MAX); trees_total counts them all. */
#define PF_STATUS_MAX_TREES 128

static void status_freeze(struct agent *a, struct pf_msg *rep)
{
	char ts[64];

	pf_rfc3339(a->st.since, ts, sizeof(ts));
	pf_reply_str(rep, "mode", pf_mode_name((uint32_t)agent_mode(a)));
	pf_reply_str(rep, "manual_mode", pf_mode_name((uint32_t)a->st.mode));
	pf_reply_str(rep, "since", a->st.since ? ts : "");
	pf_reply_num(rep, "by_uid", a->st.by_uid);
	pf_reply_num(rep, "by_pid", a->st.by_pid);
	pf_reply_str(rep, "reason", a->st.reason);
}

static void status_policy(struct agent *a, struct pf_msg *rep)
{
	const struct pf_resolved *r = a->res;

	pf_reply_str(rep, "policy", a->paths.policy);
	pf_reply_num(rep, "rules", a->pol->n_rules);
	pf_reply_num(rep, "objects", r->n);
	pf_reply_num(rep, "hardlinks", r->n_hardlinks);
	pf_reply_num(rep, "symlink_targets", r->n_symlink_targets);
	pf_reply_num(rep, "loop_devices", r->n_loops);
	pf_reply_num(rep, "submounts", r->n_submounts);
	pf_reply_num(rep, "filesystems", r->n_sbs);
	for (size_t i = 0; i < r->n_missing; i++)
		pf_reply_str(rep, "missing[]", r->missing[i]);
}

/* Per protect rule its path and the number of (dev,ino) entries resolved
 * under it (the path, symlink targets, hard links and submount roots it
 * contributed). */
static void status_trees(struct agent *a, struct pf_msg *rep)
{
	size_t *n = calloc(a->pol->n_rules ? a->pol->n_rules : 1, sizeof(*n));
	size_t total = 0;

	if (!n)
		return;
	for (size_t i = 0; i < a->res->n; i++)
		if (a->res->e[i].kind == PF_RULE_PROTECT && a->res->e[i].rule_id < a->pol->n_rules)
			n[a->res->e[i].rule_id]++;
	for (size_t i = 0; i < a->pol->n_rules; i++) {
		if (a->pol->rules[i].kind != PF_POL_PROTECT || ++total > PF_STATUS_MAX_TREES)
			continue;
		pf_reply_str(rep, "tree_path[]", a->pol->rules[i].path);
		pf_reply_num(rep, "tree_objects[]", n[i]);
	}
	pf_reply_num(rep, "trees_total", total);
	free(n);
}

static void status_counters(struct agent *a, struct pf_msg *rep)
{
	uint64_t events = 0;

	for (uint32_t d = PF_DEC_DENY; d <= PF_DEC_TAMPER; d++)
		events += counter(a, d);
	pf_reply_num(rep, "denied", counter(a, PF_DEC_DENY));
	pf_reply_num(rep, "would_deny", counter(a, PF_DEC_WOULD_DENY));
	pf_reply_num(rep, "approved", counter(a, PF_DEC_APPROVED));
	pf_reply_num(rep, "tamper", counter(a, PF_DEC_TAMPER));
	pf_reply_num(rep, "lost", lost_total(a));
	pf_reply_num(rep, "events", events);
	pf_reply_num(rep, "events_logged", a->ev.logged);
	pf_reply_str(rep, "audit_log", a->paths.log);
}

/* Live approvals as parallel lists (one item per approval in each). */
static void status_approvals(struct agent *a, struct pf_msg *rep)
{
	for (int i = 0; i < PF_MAX_APPROVALS; i++) {
		const struct live_approval *l = &a->apr.ap[i];
		int64_t left;
		char ops[128];

		if (!l->used)
			continue;
		left = ((int64_t)l->expires_boot - boot_now_ns()) / 1000000000LL;
		pf_token_format_ops(l->ops, ops, sizeof(ops));
		pf_reply_str(rep, "approval_id[]", l->id);
		pf_reply_str(rep, "approval_ticket[]", l->ticket);
		pf_reply_str(rep, "approval_paths[]", l->paths);
		pf_reply_str(rep, "approval_ops[]", ops);
		pf_reply_str(rep, "approval_approvers[]", l->approvers);
		pf_reply_num(rep, "approval_left_s[]", (uint64_t)(left > 0 ? left : 0));
	}
	pf_reply_num(rep, "approvals_live", approvals_live(a));
}

/* The agent: who, since when, on what kernel, its links pinned (expected:
 * every attached program). */
static void status_agent(struct agent *a, struct pf_msg *rep)
{
	unsigned expected, present = pinned_links(a, &expected);
	struct utsname u;
	char *lsm = NULL, ts[64];
	size_t len;

	pf_reply_num(rep, "agent_pid", (uint64_t)getpid());
	pf_reply_str(rep, "version", PF_VERSION);
	if (uname(&u) == 0)
		pf_reply_str(rep, "kernel", u.release);
	if (pf_read_file("/sys/kernel/security/lsm", 4096, &lsm, &len) == 0) {
		lsm[strcspn(lsm, "\n")] = '\0';
		pf_reply_str(rep, "lsm", lsm);
		free(lsm);
	}
	pf_reply_str(rep, "bpf_build", bpf_build_name(a));
	pf_reply_str(rep, "unenforced", a->k.unenforced);
	pf_reply_num(rep, "links_expected", expected);
	pf_reply_num(rep, "links_present", present);
	pf_reply_str(rep, "pin_dir", a->k.pin_set);
	pf_rfc3339(a->live.started_ns / 1000000000LL, ts, sizeof(ts));
	pf_reply_str(rep, "started", ts);
	pf_reply_num(rep, "uptime_s", (uint64_t)((pf_now_ns() - a->live.started_ns) / 1000000000LL));
}

void cmd_status(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		const struct peer *p)
{
	(void)req;
	(void)p;
	pf_reply_str(rep, "status", "ok");
	status_freeze(a, rep);
	status_policy(a, rep);
	status_counters(a, rep);
	status_trees(a, rep);
	status_approvals(a, rep);
	status_agent(a, rep);
	schedule_status(a, rep);
	events_status(a, rep);
	ai_status(a, rep);
	chainhead_status(a, rep);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The audit chain's head, kept in the kernel: the seq and SHA-256 of the
 * last line the agent wrote, in a one-entry array pinned at
 * <pin dir>/chain-head. Only the agent can get an fd of it, in every mode
 * (PF_OWN_ALWAYS: selfprot.bpf.h, own_map_fd), and no BPF program can
 * write it (BPF_F_RDONLY_PROG): pinned.c. Root who rewrites the log consistently (an edited
 * line and every "prev" after it recomputed, or the newest lines cut)
 * passes the chain, not the head: the agent checks the log against it at
 * start, and `permafrost log verify` through the agent (status reply).
 *
 * The pin is kept across every stop, thawed ones included, and lives until
 * reboot. Published after each batch of lines (housekeeping), and at stop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "auditlog.h"
#include "logverify.h"
#include "reply.h"
#include "util.h"

/* The log as found at start against the head the kernel kept: a mismatch
 * is a tamper record. @kept: the map's value. */
static void check_found(struct agent *a, const struct pf_chain_head *kept)
{
	struct pf_log_head head = { .seq = kept->seq };
	struct pf_log_verify_result *res;
	uint8_t fh[32];
	uint64_t found = pf_auditlog_found(a->ev.log, fh);
	char why[700];

	if (!kept->seq)
		return;
	if (strcmp(kept->log, a->paths.log) != 0) {
		warnx_("chain head: the one kept in the kernel is %s's (the log path changed): "
		       "not checked", kept->log);
		return;
	}
	memcpy(head.hash, kept->hash, 32);
	if (kept->seq == found && memcmp(kept->hash, fh, 32) == 0)
		return; /* the usual case: the file ends where the agent left it */
	res = calloc(1, sizeof(*res));
	if (!res)
		return;
	/* lines written after the last publish (a kill -9), or damage: the
	 * whole chain decides */
	if (pf_log_verify_head(a->paths.log, &head, res, NULL, NULL) < 0) {
		snprintf(why, sizeof(why), "cannot read the log to check it against the chain head");
	} else if (res->problem == PF_LOG_REWRITTEN || (res->problem == PF_LOG_DELETED &&
							 head.seq > res->last_seq)) {
		snprintf(why, sizeof(why), "%.300s:%llu: %.380s", res->file, (unsigned long long)res->line,
			 res->detail);
	} else {
		free(res);
		return; /* other damage is for `log verify`; the head holds */
	}
	free(res);
	warnx_("audit log: %s", why);
	log_record(a, "tamper", F_STR("op", "audit-log"), F_STR("reason", why),
		   F_NUM("chain_head_seq", kept->seq));
}

int chainhead_open(struct agent *a, struct pf_err *err)
{
	struct pf_chain_head kept = { 0 };
	uint32_t zero = 0;
	int fd;

	if (strlen(a->paths.log) >= sizeof(kept.log)) {
		warnx_("chain head: the log path is longer than %zu bytes: not kept in the kernel",
		       sizeof(kept.log) - 1);
		return 0;
	}
	fd = pinned_own_open(a, "chain-head", sizeof(struct pf_chain_head), err);
	if (fd < 0)
		return fd;
	a->ev.chain_fd = fd;
	if (bpf_map_lookup_elem(fd, &zero, &kept) == 0)
		check_found(a, &kept);
	a->ev.chain_published = 0;
	chainhead_publish(a);
	return 0;
}

void chainhead_publish(struct agent *a)
{
	struct pf_chain_head h = { 0 };
	uint32_t zero = 0;

	if (a->ev.chain_fd < 0 || !a->ev.log)
		return;
	h.seq = pf_auditlog_head(a->ev.log, h.hash);
	if (!h.seq || h.seq == a->ev.chain_published)
		return;
	snprintf(h.log, sizeof(h.log), "%s", a->paths.log);
	if (bpf_map_update_elem(a->ev.chain_fd, &zero, &h, BPF_ANY) < 0) {
		warnx_("chain head: %s", strerror(errno));
		return;
	}
	a->ev.chain_published = h.seq;
}

void chainhead_status(struct agent *a, struct pf_msg *rep)
{
	struct pf_chain_head h = { 0 };
	uint32_t zero = 0;
	char hx[65];

	if (a->ev.chain_fd < 0 || bpf_map_lookup_elem(a->ev.chain_fd, &zero, &h) < 0 || !h.seq)
		return;
	pf_hex_str(h.hash, sizeof(h.hash), hx);
	pf_reply_num(rep, "chain_head_seq", h.seq);
	pf_reply_str(rep, "chain_head_hash", hx);
	pf_reply_str(rep, "chain_head_log", h.log);
}

void chainhead_close(struct agent *a)
{
	if (a->ev.chain_fd >= 0)
		close(a->ev.chain_fd);
	a->ev.chain_fd = -1;
}

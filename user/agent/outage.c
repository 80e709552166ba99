/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The log's outage, kept where a kill -9 does not lose it: while the audit
 * log cannot be written (auditlog.h), the writer counts what it could not
 * write by decision; those counts live in the agent's memory until the
 * log-gap record is written. They are also kept in a one-entry array
 * pinned at <pin dir>/log-outage (pinned.c: the agent's alone, until
 * reboot), written once per batch of the outage, before the ring's
 * consumer position moves past the samples it counted, with the last
 * kernel event counted. The next agent merges them into its writer's
 * outage (one log-gap record, from the first failure), skips the samples
 * the ring hands out again through that event, and clears the map once
 * the record is written. A record the killed agent did write (killed
 * before it cleared the map) is found in the log's tail by its "from".
 *
 * Each log-gap record also goes to syslog, like every other record. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agent.h"
#include "auditlog.h"
#include "util.h"

/* The map's value. A layout change is a new size: the pin is replaced. */
struct kept_outage {
	int64_t since_ns; /* the first failure (Unix ns); 0: none kept */
	uint32_t err;     /* its errno */
	uint32_t n;
	uint64_t missed, other;
	uint64_t ev_boot_ns; /* the last kernel event counted (0: none) */
	uint32_t ev_tid, pad;
	uint64_t count[PF_AUDITLOG_OUTAGE_NAMES];
	char decision[PF_AUDITLOG_OUTAGE_NAMES][32];
};

static void kept_write(struct agent *a, const struct kept_outage *k)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(a->ev.outage_fd, &zero, k, BPF_ANY) < 0)
		warnx_("log outage: keeping its counts in the kernel: %s (a kill -9 now would lose "
		       "them)", strerror(errno));
}

void outage_keep(struct agent *a)
{
	struct pf_auditlog_outage o;
	struct kept_outage k = { 0 };

	if (a->ev.outage_fd < 0 || !a->ev.log || !pf_auditlog_outage(a->ev.log, &o))
		return;
	if (o.missed == a->ev.outage_kept && a->ev.bat_last_boot_ns == a->ev.outage_kept_ev)
		return; /* nothing new since the last time */
	k.since_ns = o.since_ns;
	k.err = (uint32_t)o.err;
	k.n = (uint32_t)o.n;
	k.missed = o.missed;
	k.other = o.other;
	k.ev_boot_ns = a->ev.bat_last_boot_ns;
	k.ev_tid = a->ev.bat_last_tid;
	for (size_t i = 0; i < o.n; i++) {
		k.count[i] = o.count[i];
		memcpy(k.decision[i], o.decision[i], sizeof(k.decision[i]));
	}
	kept_write(a, &k);
	a->ev.outage_kept = o.missed;
	a->ev.outage_kept_ev = a->ev.bat_last_boot_ns;
}

/* "deny=5 would-deny=3": the counts of a log-gap record, for syslog. */
static void by_decision(const struct pf_auditlog_outage *o, struct pf_buf *b)
{
	for (size_t i = 0; i < o->n; i++)
		pf_buf_printf(b, "%s%s=%llu", i ? "," : "", o->decision[i],
			      (unsigned long long)o->count[i]);
	if (o->other)
		pf_buf_printf(b, "%sother=%llu", o->n ? "," : "", (unsigned long long)o->other);
}

void outage_ended(struct agent *a)
{
	struct pf_auditlog_gap_written g;
	struct kept_outage none = { 0 };
	char from[64], to[64];
	struct pf_buf b;

	if (!pf_auditlog_take_gap(a->ev.log, &g))
		return;
	if (a->ev.outage_fd >= 0) {
		kept_write(a, &none);
		a->ev.outage_kept = UINT64_MAX;
		a->ev.outage_kept_ev = 0;
	}
	if (!a->pol->syslog)
		return;
	pf_rfc3339_ns(g.o.since_ns, from, sizeof(from));
	pf_rfc3339_ns(g.to_ns, to, sizeof(to));
	pf_buf_init(&b);
	/* the counts first: syslog daemons cut long lines */
	pf_buf_printf(&b, "log-gap mode=%s missed=%llu missed_by_decision=",
		      pf_mode_name((uint32_t)agent_mode(a)), (unsigned long long)g.o.missed);
	by_decision(&g.o, &b);
	pf_buf_printf(&b, " from=%s to=%s error=\"%s\" seq=%llu", from, to, strerror(g.o.err),
		      (unsigned long long)g.seq);
	if (!b.oom)
		syslog(syslog_priority("log-gap"), "%s", b.data);
	pf_buf_free(&b);
}

/* The kept outage into this writer's; its last event to be skipped. */
static void restore(struct agent *a, const struct kept_outage *k)
{
	struct pf_auditlog_outage o = { 0 };
	char from[64];

	pf_rfc3339_ns(k->since_ns, from, sizeof(from));
	if (a->ev.tail_gap_from[0] && strcmp(a->ev.tail_gap_from, from) == 0) {
		/* written by the agent before us, which was stopped before it
		 * could clear the map */
		struct kept_outage none = { 0 };

		kept_write(a, &none);
		return;
	}
	o.since_ns = k->since_ns;
	o.err = (int)k->err;
	o.missed = k->missed;
	o.other = k->other;
	o.n = k->n <= PF_AUDITLOG_OUTAGE_NAMES ? k->n : PF_AUDITLOG_OUTAGE_NAMES;
	for (size_t i = 0; i < o.n; i++) {
		o.count[i] = k->count[i];
		memcpy(o.decision[i], k->decision[i], sizeof(o.decision[i]));
		o.decision[i][sizeof(o.decision[i]) - 1] = '\0';
	}
	pf_auditlog_outage_restore(a->ev.log, &o);
	pf_auditlog_retry(a->ev.log); /* writable again: the log-gap record now */
	if (k->ev_boot_ns > a->ev.tail_ev_boot_ns) {
		a->ev.tail_ev_boot_ns = k->ev_boot_ns;
		a->ev.tail_ev_tid = k->ev_tid;
	}
	warnx_("audit log %s: an outage since %s kept in the kernel (%llu records counted, not "
	       "written, by an agent that was stopped): one log-gap record will say so",
	       a->paths.log, from, (unsigned long long)k->missed);
}

void outage_open(struct agent *a)
{
	struct pf_err err = { "" };
	struct kept_outage k = { 0 };
	uint32_t zero = 0;
	int fd;

	a->ev.outage_kept = UINT64_MAX; /* nothing kept by us yet */
	a->ev.outage_kept_ev = 0;
	fd = pinned_own_open(a, "log-outage", sizeof(struct kept_outage), &err);
	if (fd < 0) {
		warnx_("%s; an outage of the audit log would not survive a kill -9", err.msg);
		return;
	}
	a->ev.outage_fd = fd;
	if (bpf_map_lookup_elem(fd, &zero, &k) == 0 && k.since_ns)
		restore(a, &k);
}

void outage_close(struct agent *a)
{
	if (a->ev.outage_fd >= 0)
		close(a->ev.outage_fd);
	a->ev.outage_fd = -1;
}

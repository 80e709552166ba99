/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The records the agent writes itself (agent-start, mode-change, lost,
 * approvals, gap...), and every line's way into the audit log and its
 * syslog copy. Kernel events are formatted in events.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "agent.h"
#include "auditlog.h"
#include "event.h"

int syslog_priority(const char *decision)
{
	if (!strcmp(decision, "deny") || !strcmp(decision, "tamper") ||
	    !strcmp(decision, "lost") || !strcmp(decision, "malformed") ||
	    !strcmp(decision, "log-gap"))
		return LOG_WARNING;
	if (!strcmp(decision, "would-deny") || !strcmp(decision, "approved") ||
	    !strcmp(decision, "mode-change") || !strcmp(decision, "gap") ||
	    !strncmp(decision, "approval-", 9) || !strcmp(decision, "thaw-refused"))
		return LOG_NOTICE;
	return LOG_INFO;
}

/* One line to the audit log. A line that cannot be written is never
 * dropped silently: it goes whole to stderr (the journal) and is counted. */
void log_append(struct agent *a, const struct pf_buf *b)
{
	struct pf_err why = { "" };
	int r = pf_auditlog_append_own(a->ev.log, b->data, b->len);

	/* in an outage the writer counts the line (a log-gap record later) */
	if (r < 0 && !pf_auditlog_outage(a->ev.log, NULL)) {
		a->ev.log_errors++;
		warnx_("audit log %s: append failed (%s); line follows", a->paths.log, strerror(-r));
		fwrite(b->data, 1, b->len, stderr);
	}
	if (pf_auditlog_take_error(a->ev.log, &why))
		warnx_("audit log %s: %s", a->paths.log, why.msg);
}

static void json_field(struct pf_json *j, const struct rec_field *f)
{
	pf_json_key(j, f->key);
	if (f->is_num)
		pf_json_uint(j, f->num);
	else
		pf_json_str(j, f->str);
}

static void text_field(struct pf_buf *t, const struct rec_field *f)
{
	pf_buf_printf(t, " %s=", f->key);
	if (f->is_num)
		pf_buf_printf(t, "%llu", (unsigned long long)f->num);
	else
		pf_json_escape(t, f->str, strlen(f->str));
}

void log_record_n(struct agent *a, const char *decision, const struct rec_field *f, size_t n)
{
	uint64_t seq = pf_auditlog_next_seq(a->ev.log);
	struct pf_buf b, t;
	struct pf_json j;

	pf_buf_init(&b);
	pf_auditlog_record_begin(a->ev.log, &j, &b, decision);
	pf_json_key(&j, "mode");
	pf_json_str(&j, pf_mode_name((uint32_t)agent_mode(a)));
	for (size_t i = 0; i < n; i++)
		json_field(&j, &f[i]);
	pf_json_key(&j, "pid");
	pf_json_uint(&j, (uint64_t)getpid());
	if (pf_auditlog_record_end(a->ev.log, &j, &b) < 0 && !pf_auditlog_outage(a->ev.log, NULL)) {
		a->ev.log_errors++;
		warnx_("audit log %s: record '%s' could not be written; it follows", a->paths.log,
		       decision);
		if (b.data)
			fwrite(b.data, 1, b.len, stderr);
	}
	pf_buf_free(&b);
	if (!a->pol->syslog)
		return;
	pf_buf_init(&t);
	pf_buf_puts(&t, decision);
	pf_buf_puts(&t, " mode=");
	pf_buf_puts(&t, pf_mode_name((uint32_t)agent_mode(a)));
	for (size_t i = 0; i < n; i++)
		text_field(&t, &f[i]);
	pf_buf_printf(&t, " seq=%llu", (unsigned long long)seq);
	if (!t.oom)
		syslog(syslog_priority(decision), "%s", t.data);
	pf_buf_free(&t);
}

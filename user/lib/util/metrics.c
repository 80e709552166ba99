/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <errno.h>

#include "metrics.h"
#include "permafrost.h"
#include "event.h"

static void metric(struct pf_buf *b, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	pf_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
		      (unsigned long long)v);
}

int pf_metrics_format(const struct pf_metrics *m, struct pf_buf *b)
{
	static const int modes[] = { PF_MODE_OFF, PF_MODE_AUDIT, PF_MODE_ENFORCE };

	metric(b, "permafrost_denials_total", "counter",
	       "Changes to protected objects the kernel refused (enforce mode).", m->denials);
	metric(b, "permafrost_would_denials_total", "counter",
	       "Changes the kernel would have refused (audit mode).", m->would_denials);
	metric(b, "permafrost_approved_total", "counter",
	       "Changes to protected objects allowed by a signed approval.", m->approved);
	metric(b, "permafrost_tamper_total", "counter",
	       "Attempts on Permafrost itself that the kernel refused.", m->tamper);
	metric(b, "permafrost_lost_events_total", "counter",
	       "Events the kernel could not put in the ring buffer (counted, not logged).",
	       m->lost);
	metric(b, "permafrost_events_logged_total", "counter",
	       "Kernel events this agent wrote to the audit log.", m->events_logged);
	metric(b, "permafrost_audit_log_errors_total", "counter",
	       "Audit records that could not be appended to the log (sent to stderr instead).",
	       m->log_errors);
	metric(b, "permafrost_audit_log_unwritable", "gauge",
	       "1 while the audit log cannot be written (disk full, I/O error): records are "
	       "counted, not written, until a log-gap record says how many.",
	       (uint64_t)(m->log_unwritable != 0));
	metric(b, "permafrost_audit_log_missed_total", "counter",
	       "Audit records counted, not written, while the log could not be written.",
	       m->log_missed);
	metric(b, "permafrost_live_approvals", "gauge", "Approval tokens loaded and not expired.",
	       m->live_approvals);
	pf_buf_puts(b, "# HELP permafrost_mode 1 for the current mode (off, audit, enforce).\n"
		       "# TYPE permafrost_mode gauge\n");
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		pf_buf_printf(b, "permafrost_mode{mode=\"%s\"} %d\n", pf_mode_name((uint32_t)modes[i]),
			      m->mode == modes[i]);
	metric(b, "permafrost_mode_since_seconds", "gauge",
	       "Unix time the current mode was set.", (uint64_t)(m->mode_since_s > 0 ? m->mode_since_s : 0));
	metric(b, "permafrost_frozen", "gauge",
	       "1 while changes to protected objects are refused (a manual or scheduled freeze).",
	       m->mode == PF_MODE_ENFORCE);
	if (m->has_schedule && m->next_transition_s >= 0)
		metric(b, "permafrost_next_transition_seconds", "gauge",
		       "Seconds until the freeze windows' next start or end.",
		       (uint64_t)m->next_transition_s);
	metric(b, "permafrost_agent_start_time_seconds", "gauge",
	       "Unix time the agent started.", (uint64_t)(m->agent_start_s > 0 ? m->agent_start_s : 0));
	return b->oom ? -ENOMEM : 0;
}

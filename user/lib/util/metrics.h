/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's metrics in the Prometheus text exposition format (0.0.4), for
 * node_exporter's textfile collector (policy `metrics-file PATH`). */
#ifndef PF_METRICS_H
#define PF_METRICS_H

#include <stdint.h>

#include "buf.h"

struct pf_metrics {
	uint64_t denials, would_denials, approved, tamper; /* kernel counters */
	uint64_t lost;           /* failed ring-buffer reservations */
	uint64_t events_logged;  /* events this agent wrote to the audit log */
	uint64_t log_errors;     /* lines that could not be appended */
	int log_unwritable;      /* the audit log cannot be written now (outage) */
	uint64_t log_missed;     /* records counted, not written, in outages */
	unsigned live_approvals;
	int mode;                /* enum pf_mode */
	int64_t mode_since_s;    /* Unix seconds */
	int64_t agent_start_s;   /* Unix seconds */
	int has_schedule;        /* the policy has freeze or change windows */
	int64_t next_transition_s; /* seconds to the schedule's next start or
	                            * end; < 0: none */
};

/* Appends the whole exposition (HELP/TYPE lines, one sample per line, ends
 * in '\n'). 0 or -ENOMEM. */
int pf_metrics_format(const struct pf_metrics *m, struct pf_buf *out);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The display filters of `permafrost log` (--since, --until, --decision,
 * --op, --path, --uid, --pid, --token, --agent) on audit records. */
#ifndef PF_LOGFILTER_H
#define PF_LOGFILTER_H

#include <stdint.h>

#include "logrec.h"

struct pf_log_filter {
	int has_since, has_until;
	int64_t since_ns, until_ns; /* inclusive bounds on "time" */
	const char *decision;       /* comma-separated list */
	const char *op;             /* comma-separated list */
	const char *path;           /* a path prefix, component-wise */
	int has_uid, has_pid;
	uint64_t uid, pid;
	const char *token;          /* "token" (or "token_id") field */
	const char *agent;          /* "agent": a name; "any": has one; "none": has none */
};

/* "2026-11-29T23:18:45Z" (RFC 3339), "2026-11-29" (midnight UTC), "now", or
 * a duration back from @now_ns: "90s", "15m", "1h30m", "2d", "1w".
 * 0 or -EINVAL. */
int pf_log_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns);
/* 1 if the record passes every set criterion, else 0. A criterion on a field
 * the record does not have rejects it. */
int pf_log_filter_match(const struct pf_log_filter *f, const struct pf_logrec *r);

#endif

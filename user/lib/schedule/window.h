/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One freeze or change window of the policy, and its occurrences in time.
 *
 * Recurring: a cron start in a zone and a duration of real elapsed time
 * (62h is 62 hours whatever the clocks do in between). One-off: a local
 * start and end in a zone. Local minutes map to Unix time by pf_tz_to_utc()'s
 * DST rules: a start skipped by a spring-forward is the next minute that
 * exists, one that occurs twice is the first. */
#ifndef PF_WINDOW_H
#define PF_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "cron.h"
#include "err.h"
#include "tz.h"

#define PF_WINDOW_MIN_S 60                        /* shortest window: 1m */
#define PF_WINDOW_MAX_RECURRING_S (31 * 86400LL)  /* longest recurring duration: 31d */
#define PF_WINDOW_MAX_ONEOFF_S (366 * 86400LL)    /* longest one-off window: 366d */
#define PF_WINDOW_MAX_REASON 256                  /* bytes in a reason */

enum pf_window_kind { PF_WINDOW_FREEZE = 1, PF_WINDOW_CHANGE = 2 };

struct pf_window {
	int kind;       /* enum pf_window_kind */
	int audit;      /* freeze window with mode=audit: would-deny, not deny */
	int recurring;  /* 1: cron + duration_s; 0: start..end */
	struct pf_cron cron;
	char cron_text[PF_CRON_MAX_TEXT + 1];
	int64_t duration_s;
	int64_t start, end; /* one-off, Unix seconds, end > start */
	struct pf_civil start_local, end_local; /* one-off, as written */
	char zone[PF_TZ_MAX_NAME + 1]; /* "UTC" unless tz= */
	char reason[PF_WINDOW_MAX_REASON + 1]; /* "" if none */
	unsigned line;  /* in the policy file, 0 if not from one */
};

/* "30m", "6h", "62h", "2d", "1d12h", "1d2h30m": whole minutes, hours and
 * days, each unit at most once and in that order (d, h, m). 0, -EINVAL or
 * -ERANGE; *ret_s untouched on failure. Limits are the caller's. */
int pf_window_parse_duration(const char *s, int64_t *ret_s);

/* "2026-12-20T00:00": a real date, years 1970..9999. 0 or -EINVAL. */
int pf_window_parse_local(const char *s, struct pf_civil *ret);

/* The first occurrence whose end is after @t: the one in progress at @t,
 * or else the next. 0, -ENOENT (none: a one-off in the past) or the
 * zone's error. */
int pf_window_occurrence(const struct pf_window *w, int64_t t, int64_t *ret_start,
			 int64_t *ret_end);

/* Is @t inside an occurrence (start <= t < end)? 1 (and its bounds, either
 * pointer may be NULL), 0, or a negative errno. */
int pf_window_contains(const struct pf_window *w, int64_t t, int64_t *ret_start,
		       int64_t *ret_end);

/* The earliest start or end of an occurrence strictly after @t, and the
 * latest at or before @t. 0, -ENOENT, or the zone's error. */
int pf_window_next_edge(const struct pf_window *w, int64_t t, int64_t *ret_t);
int pf_window_prev_edge(const struct pf_window *w, int64_t t, int64_t *ret_t);

/* The window as the policy writes it, reason excluded:
 * freeze-window "0 18 * * 5" 62h tz=Europe/Berlin mode=audit */
void pf_window_describe(const struct pf_window *w, char *buf, size_t size);

#endif

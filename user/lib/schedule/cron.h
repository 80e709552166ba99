/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Five-field cron expressions, and the next (or previous) minute one
 * matches in a time zone.
 *
 *   minute hour day-of-month month day-of-week
 *   0-59   0-23 1-31         1-12  0-7 (0 and 7 are Sunday)
 *
 * Each field is '*' or a comma-separated list of N, N-M, and either with
 * "/STEP" ('*' / STEP too; N/STEP runs from N to the field's maximum).
 * Months may be named jan..dec and days sun..sat (any case). As in cron,
 * when both day fields are restricted (neither starts with '*') a day
 * matches if either does; otherwise both must. "@daily" and the like are
 * not accepted. */
#ifndef PF_CRON_H
#define PF_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Longest expression accepted, in bytes. */
#define PF_CRON_MAX_TEXT 128
/* How far pf_cron_next() and pf_cron_prev() search: 8 years, enough for a
 * February 29 across a century year that is not a leap year (2100). */
#define PF_CRON_SEARCH_DAYS (8 * 366)

struct pf_cron {
	uint64_t minutes; /* bit N: minute N */
	uint32_t hours;   /* bit N: hour N */
	uint32_t mdays;   /* bit N: day N of the month, 1..31 */
	uint16_t months;  /* bit N: month N, 1..12 */
	uint8_t wdays;    /* bit N: weekday N, 0 = Sunday */
	uint8_t mday_any, wday_any; /* the field starts with '*' */
};

/* Parses @s. On error returns -EINVAL with a sentence in @err and the
 * 0-based byte offset of the offending part of @s in *ret_off (may be
 * NULL). A cron that can never match ("0 0 31 2 *") is an error. */
int pf_cron_parse(const char *s, struct pf_cron *ret, size_t *ret_off, struct pf_err *err);

/* Does the civil day (year, month 1..12, day, weekday 0..6) match. */
int pf_cron_day_matches(const struct pf_cron *c, int month, int day, int weekday);

/* The first start after @t (strictly) in @zone: the matching civil
 * minutes, each mapped to Unix time by pf_tz_to_utc()'s DST rules (a
 * minute skipped by a spring-forward starts at the next minute that
 * exists; a minute that occurs twice starts at its first occurrence).
 * 0 and *ret_t, -ENOENT if none within PF_CRON_SEARCH_DAYS, or the zone's
 * error. */
int pf_cron_next(const struct pf_cron *c, const char *zone, int64_t t, int64_t *ret_t);
/* The last start before @t (strictly); same rules. */
int pf_cron_prev(const struct pf_cron *c, const char *zone, int64_t t, int64_t *ret_t);

/* The same, in the zone entered with pf_tz_enter(). */
int pf_cron_next_here(const struct pf_cron *c, int64_t t, int64_t *ret_t);
int pf_cron_prev_here(const struct pf_cron *c, int64_t t, int64_t *ret_t);

#endif

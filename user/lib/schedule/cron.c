/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Five-field cron expressions; see cron.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "tz.h"

enum { F_MIN, F_HOUR, F_MDAY, F_MONTH, F_WDAY, F__COUNT };

static const struct field {
	const char *name;
	int lo, hi;
} fields[F__COUNT] = {
	[F_MIN] = { "minute", 0, 59 },
	[F_HOUR] = { "hour", 0, 23 },
	[F_MDAY] = { "day-of-month", 1, 31 },
	[F_MONTH] = { "month", 1, 12 },
	[F_WDAY] = { "day-of-week", 0, 7 },
};

static const char *const month_names[12] = { "jan", "feb", "mar", "apr", "may", "jun",
					      "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const wday_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

#define FIELDS_WHAT "minute hour day-of-month month day-of-week"

struct cparse {
	const char *s;
	struct pf_err *err;
	size_t *ret_off;
};

static int cerr(struct cparse *cp, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cerr(struct cparse *cp, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (cp->ret_off)
		*cp->ret_off = off;
	if (cp->err) {
		va_start(ap, fmt);
		vsnprintf(cp->err->msg, sizeof(cp->err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A number or (month, weekday) a name at s[*i]; advances *i. */
static int value(struct cparse *cp, int f, size_t *i, int *ret)
{
	const char *s = cp->s;
	size_t start = *i, n = 0;
	int v = 0;

	if (is_digit(s[*i])) {
		while (is_digit(s[*i])) {
			if (++n > 3)
				return cerr(cp, start, "cron %s: number too long at '%.8s'",
					    fields[f].name, s + start);
			v = v * 10 + (s[*i] - '0');
			(*i)++;
		}
	} else if (is_alpha(s[*i]) && (f == F_MONTH || f == F_WDAY)) {
		const char *const *names = f == F_MONTH ? month_names : wday_names;
		int count = f == F_MONTH ? 12 : 7, k;

		while (is_alpha(s[*i]))
			(*i)++;
		for (k = 0; k < count; k++)
			if (*i - start == 3 && strncasecmp(s + start, names[k], 3) == 0)
				break;
		if (k == count)
			return cerr(cp, start, "cron %s: unknown name '%.*s' (expected %s)",
				    fields[f].name, (int)(*i - start > 12 ? 12 : *i - start),
				    s + start, f == F_MONTH ? "jan..dec" : "sun..sat");
		v = f == F_MONTH ? k + 1 : k;
	} else {
		return cerr(cp, start, "cron %s: expected a number%s, got '%.*s'",
			    fields[f].name,
			    f == F_MONTH ? " or jan..dec" : f == F_WDAY ? " or sun..sat" : "",
			    (int)strcspn(s + start, " \t,") > 12 ? 12 : (int)strcspn(s + start, " \t,"),
			    s + start);
	}
	if (v < fields[f].lo || v > fields[f].hi)
		return cerr(cp, start, "cron %s: %d is out of range %d..%d", fields[f].name, v,
			    fields[f].lo, fields[f].hi);
	*ret = v;
	return 0;
}

/* One field at s[*i] (up to a blank or the end) into a bit set. */
static int field(struct cparse *cp, int f, size_t *i, uint64_t *ret_bits, int *ret_any)
{
	const char *s = cp->s;
	uint64_t bits = 0;
	int r;

	*ret_any = s[*i] == '*';
	for (;;) {
		size_t item = *i;
		int lo, hi, step = 1, star = 0;

		if (s[*i] == '*') {
			star = 1;
			lo = fields[f].lo;
			hi = f == F_WDAY ? 6 : fields[f].hi;
			(*i)++;
		} else {
			r = value(cp, f, i, &lo);
			if (r < 0)
				return r;
			hi = lo;
			if (s[*i] == '-') {
				size_t at;

				(*i)++;
				at = *i;
				r = value(cp, f, i, &hi);
				if (r < 0)
					return r;
				if (hi < lo)
					return cerr(cp, at, "cron %s: range %d-%d runs backwards",
						    fields[f].name, lo, hi);
			}
		}
		if (s[*i] == '/') {
			size_t at = ++(*i), n = 0;
			int max = fields[f].hi - fields[f].lo;

			step = 0;
			while (is_digit(s[*i]) && n++ < 3)
				step = step * 10 + (s[(*i)++] - '0');
			if (n == 0 || is_digit(s[*i]) || step < 1 || step > (max > 0 ? max : 1))
				return cerr(cp, at, "cron %s: expected a step 1..%d after '/', got '%.*s'",
					    fields[f].name, max,
					    (int)strcspn(s + at, " \t,") > 12 ? 12 : (int)strcspn(s + at, " \t,"),
					    s + at);
			if (!star && hi == lo)
				hi = f == F_WDAY ? 6 : fields[f].hi; /* N/STEP: from N to the end */
		}
		for (int v = lo; v <= hi; v += step)
			bits |= 1ULL << (f == F_WDAY && v == 7 ? 0 : v);
		if (s[*i] == ',') {
			(*i)++;
			continue;
		}
		if (s[*i] && s[*i] != ' ' && s[*i] != '\t')
			return cerr(cp, *i, "cron %s: unexpected '%c' in '%.*s'", fields[f].name,
				    s[*i] >= 0x20 && s[*i] < 0x7f ? s[*i] : '?',
				    (int)strcspn(s + item, " \t") > 20 ? 20 : (int)strcspn(s + item, " \t"),
				    s + item);
		break;
	}
	*ret_bits = bits;
	return 0;
}

int pf_cron_day_matches(const struct pf_cron *c, int month, int day, int weekday)
{
	int md = (c->mdays >> day) & 1, wd = (c->wdays >> weekday) & 1;

	if (!((c->months >> month) & 1))
		return 0;
	if (!c->mday_any && !c->wday_any)
		return md || wd;
	return md && wd;
}

int pf_cron_parse(const char *s, struct pf_cron *ret, size_t *ret_off, struct pf_err *err)
{
	struct cparse cp = { .s = s, .err = err, .ret_off = ret_off };
	uint64_t bits[F__COUNT];
	int any[F__COUNT];
	size_t i = 0, n, starts[F__COUNT];
	struct pf_cron c = { 0 };
	int f, r;

	if (!s)
		return cerr(&cp, 0, "empty cron expression");
	n = strlen(s);
	if (n > PF_CRON_MAX_TEXT)
		return cerr(&cp, 0, "cron expression is too long: %zu bytes (limit %d)", n,
			    PF_CRON_MAX_TEXT);
	for (f = 0; f < F__COUNT; f++) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (!s[i])
			return cerr(&cp, i,
				    "cron: expected 5 fields (" FIELDS_WHAT "), got %d%s", f,
				    s[0] == '@' ? " ('@' shortcuts are not accepted)" : "");
		starts[f] = i;
		r = field(&cp, f, &i, &bits[f], &any[f]);
		if (r < 0)
			return r;
	}
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i])
		return cerr(&cp, i, "cron: expected 5 fields (" FIELDS_WHAT "), got more");
	c.minutes = bits[F_MIN];
	c.hours = (uint32_t)bits[F_HOUR];
	c.mdays = (uint32_t)bits[F_MDAY];
	c.months = (uint16_t)bits[F_MONTH];
	c.wdays = (uint8_t)bits[F_WDAY];
	c.mday_any = (uint8_t)any[F_MDAY];
	c.wday_any = (uint8_t)any[F_WDAY];
	/* a day of the month that no listed month has, and no weekday to
	 * match instead, never matches */
	if (!c.mday_any && c.wday_any) {
		int ok = 0;

		for (int m = 1; m <= 12 && !ok; m++)
			for (int d = 1; d <= 31 && !ok; d++)
				ok = ((c.months >> m) & 1) && ((c.mdays >> d) & 1) &&
				     d <= pf_month_days(2024, m); /* a leap year: Feb 29 */
		if (!ok)
			return cerr(&cp, starts[F_MDAY],
				    "cron: never matches (no month listed has such a day of the month)");
	}
	*ret = c;
	return 0;
}

/* --- searching ---------------------------------------------------------- */

static int64_t local_day(int64_t t, int *ok)
{
	struct pf_civil lc;

	*ok = pf_tz_from_utc_here(t, &lc, NULL, NULL) == 0;
	return *ok ? pf_days_from_civil(lc.year, lc.month, lc.day) : 0;
}

/* Scans days from t's local day in direction @dir (+1 next, -1 prev). */
static int search(const struct pf_cron *c, int64_t t, int dir, int64_t *ret_t)
{
	int ok;
	int64_t day0 = local_day(t, &ok);

	if (!ok)
		return -ERANGE;
	if (dir < 0)
		day0++; /* a later civil minute's first occurrence may come before t */
	for (int64_t k = 0; k <= PF_CRON_SEARCH_DAYS; k++) {
		int64_t d = day0 + dir * k;
		struct pf_civil cv;

		pf_civil_from_days(d, &cv.year, &cv.month, &cv.day);
		if (cv.year < 1900 || cv.year > 9999)
			return -ENOENT;
		if (!pf_cron_day_matches(c, cv.month, cv.day, pf_weekday(d)))
			continue;
		for (int hh = 0; hh < 24; hh++) {
			int h = dir > 0 ? hh : 23 - hh;

			if (!((c->hours >> h) & 1))
				continue;
			for (int mm = 0; mm < 60; mm++) {
				int m = dir > 0 ? mm : 59 - mm;
				int64_t u;

				if (!((c->minutes >> m) & 1))
					continue;
				cv.hour = h;
				cv.minute = m;
				if (pf_tz_to_utc_here(&cv, &u) < 0)
					continue;
				if (dir > 0 ? u > t : u < t) {
					*ret_t = u;
					return 0;
				}
			}
		}
	}
	return -ENOENT;
}

int pf_cron_next_here(const struct pf_cron *c, int64_t t, int64_t *ret_t)
{
	return search(c, t, 1, ret_t);
}

int pf_cron_prev_here(const struct pf_cron *c, int64_t t, int64_t *ret_t)
{
	return search(c, t, -1, ret_t);
}

static int in_zone(const struct pf_cron *c, const char *zone, int64_t t, int dir, int64_t *ret_t)
{
	struct pf_tz_scope s;
	int r = pf_tz_enter(zone, &s, NULL);

	if (r < 0)
		return r;
	r = search(c, t, dir, ret_t);
	pf_tz_leave(&s);
	return r;
}

int pf_cron_next(const struct pf_cron *c, const char *zone, int64_t t, int64_t *ret_t)
{
	return in_zone(c, zone, t, 1, ret_t);
}

int pf_cron_prev(const struct pf_cron *c, const char *zone, int64_t t, int64_t *ret_t)
{
	return in_zone(c, zone, t, -1, ret_t);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Time zones through the C library; see tz.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tz.h"

/* --- calendar ----------------------------------------------------------- */

/* Era arithmetic: 400-year eras of 146097 days, years counted from March
 * so that the leap day ends the year. */
int64_t pf_days_from_civil(int year, int month, int day)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void pf_civil_from_days(int64_t days, int *ret_year, int *ret_month, int *ret_day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	*ret_year = (int)(yoe + era * 400 + (m <= 2));
	*ret_month = (int)m;
	*ret_day = (int)d;
}

int pf_weekday(int64_t days)
{
	int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

int pf_month_days(int year, int month)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month < 1 || month > 12)
		return 0;
	return n[month - 1] + (month == 2 && leap);
}

/* --- zones -------------------------------------------------------------- */

static int is_utc(const char *zone)
{
	return strcmp(zone, "UTC") == 0;
}

int pf_tz_check(const char *zone, struct pf_err *err)
{
	char path[sizeof(PF_TZ_DIR) + PF_TZ_MAX_NAME + 2], magic[4];
	size_t n = zone ? strlen(zone) : 0;
	struct stat st;
	ssize_t got;
	int fd;

	if (n == 0)
		return pf_err(err, -EINVAL, "empty time zone name");
	if (is_utc(zone))
		return 0;
	if (n > PF_TZ_MAX_NAME)
		return pf_err(err, -EINVAL, "time zone name is too long: %zu bytes (limit %d)", n,
			      PF_TZ_MAX_NAME);
	for (size_t i = 0; i < n; i++) {
		char c = zone[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '/'))
			return pf_err(err, -EINVAL,
				      "'%s' is not a time zone name (expected an IANA name such as "
				      "Europe/Berlin)", zone);
	}
	if (zone[0] == '/' || strstr(zone, "..") || zone[n - 1] == '/' || strstr(zone, "//"))
		return pf_err(err, -EINVAL,
			      "'%s' is not a time zone name (expected an IANA name such as "
			      "Europe/Berlin)", zone);
	snprintf(path, sizeof(path), "%s/%s", PF_TZ_DIR, zone);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return pf_err(err, -ENOENT, "unknown time zone '%s' (no %s)", zone, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pf_err(err, -ENOENT, "unknown time zone '%s' (%s is not a zone file)", zone,
			      path);
	}
	got = read(fd, magic, sizeof(magic));
	close(fd);
	if (got != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
		return pf_err(err, -ENOENT, "unknown time zone '%s' (%s is not a zone file)", zone,
			      path);
	return 0;
}

int pf_tz_enter(const char *zone, struct pf_tz_scope *scope, struct pf_err *err)
{
	char tz[sizeof(PF_TZ_DIR) + PF_TZ_MAX_NAME + 3];
	const char *old;
	int r;

	scope->saved = NULL;
	scope->entered = 0;
	r = pf_tz_check(zone, err);
	if (r < 0)
		return r;
	old = getenv("TZ");
	if (old) {
		scope->saved = strdup(old);
		if (!scope->saved)
			return pf_err(err, -ENOMEM, "out of memory");
	}
	/* the validated file itself, not a name looked up again elsewhere */
	if (is_utc(zone))
		snprintf(tz, sizeof(tz), "UTC0");
	else
		snprintf(tz, sizeof(tz), ":%s/%s", PF_TZ_DIR, zone);
	if (setenv("TZ", tz, 1) < 0) {
		free(scope->saved);
		scope->saved = NULL;
		return pf_err(err, -errno, "cannot set TZ");
	}
	tzset();
	scope->entered = 1;
	return 0;
}

void pf_tz_leave(struct pf_tz_scope *scope)
{
	if (!scope->entered)
		return;
	if (scope->saved)
		setenv("TZ", scope->saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(scope->saved);
	scope->saved = NULL;
	scope->entered = 0;
}

static int civil_ok(const struct pf_civil *c)
{
	return c->month >= 1 && c->month <= 12 && c->day >= 1 &&
	       c->day <= pf_month_days(c->year, c->month) && c->hour >= 0 && c->hour <= 23 &&
	       c->minute >= 0 && c->minute <= 59 && c->year >= 1900 && c->year <= 9999;
}

static int64_t naive_of(const struct pf_civil *c)
{
	return pf_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 +
	       c->minute * 60;
}

static int local_at(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	return localtime_r(&tt, tm) ? 0 : -ERANGE;
}

/* Is @t the civil minute @c here? */
static int is_at(int64_t t, const struct pf_civil *c)
{
	struct tm tm;

	return local_at(t, &tm) == 0 && tm.tm_year + 1900 == c->year &&
	       tm.tm_mon + 1 == c->month && tm.tm_mday == c->day && tm.tm_hour == c->hour &&
	       tm.tm_min == c->minute && tm.tm_sec == 0;
}

/* The first instant that is the civil minute @c here, if there is one.
 * Every instant that reads as @c lies within a day of @c read as UTC, so
 * the offsets in force a day before, at and a day after are the only ones
 * to try (two changes of offset within a day do not occur). */
static int exact(const struct pf_civil *c, int64_t *ret_t)
{
	int64_t naive = naive_of(c), best = 0;
	int found = 0;

	for (int k = -1; k <= 1; k++) {
		struct tm tm;
		int64_t t;

		if (local_at(naive + k * 86400, &tm) < 0)
			continue;
		t = naive - tm.tm_gmtoff;
		if (is_at(t, c) && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	if (!found)
		return -ENOENT;
	*ret_t = best;
	return 0;
}

int pf_tz_to_utc_here(const struct pf_civil *c, int64_t *ret_t)
{
	int64_t naive;

	if (!civil_ok(c))
		return -EINVAL;
	if (exact(c, ret_t) == 0)
		return 0;
	/* skipped by a change of offset: the next minute that exists. Gaps
	 * are at most a day (Samoa, 2011) */
	naive = naive_of(c);
	for (int64_t k = 1; k <= 2 * 1440; k++) {
		int64_t v = naive + k * 60, days = v / 86400, rem = v % 86400;
		struct pf_civil n;

		if (rem < 0) {
			rem += 86400;
			days--;
		}
		pf_civil_from_days(days, &n.year, &n.month, &n.day);
		n.hour = (int)(rem / 3600);
		n.minute = (int)(rem % 3600 / 60);
		if (exact(&n, ret_t) == 0)
			return 0;
	}
	return -ERANGE;
}

int pf_tz_from_utc_here(int64_t t, struct pf_civil *ret_c, long *ret_gmtoff, char *ret_abbr)
{
	struct tm tm;

	if (local_at(t, &tm) < 0)
		return -ERANGE;
	ret_c->year = tm.tm_year + 1900;
	ret_c->month = tm.tm_mon + 1;
	ret_c->day = tm.tm_mday;
	ret_c->hour = tm.tm_hour;
	ret_c->minute = tm.tm_min;
	if (ret_gmtoff)
		*ret_gmtoff = tm.tm_gmtoff;
	if (ret_abbr)
		snprintf(ret_abbr, 16, "%s", tm.tm_zone ? tm.tm_zone : "");
	return 0;
}

int pf_tz_to_utc(const char *zone, const struct pf_civil *c, int64_t *ret_t)
{
	struct pf_tz_scope s;
	int r;

	if (!civil_ok(c))
		return -EINVAL;
	r = pf_tz_enter(zone, &s, NULL);
	if (r < 0)
		return r;
	r = pf_tz_to_utc_here(c, ret_t);
	pf_tz_leave(&s);
	return r;
}

int pf_tz_from_utc(const char *zone, int64_t t, struct pf_civil *ret_c, long *ret_gmtoff,
		   char *ret_abbr)
{
	struct pf_tz_scope s;
	int r;

	r = pf_tz_enter(zone, &s, NULL);
	if (r < 0)
		return r;
	r = pf_tz_from_utc_here(t, ret_c, ret_gmtoff, ret_abbr);
	pf_tz_leave(&s);
	return r;
}

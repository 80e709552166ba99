/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One window and its occurrences; see window.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "window.h"

int pf_window_parse_duration(const char *s, int64_t *ret_s)
{
	static const struct { char unit; int64_t mul; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 },
	};
	size_t i = 0, u = 0;
	int64_t total = 0;

	if (!s || !s[0])
		return -EINVAL;
	while (s[i]) {
		int64_t v = 0;
		size_t digits = 0;

		while (s[i] >= '0' && s[i] <= '9') {
			if (++digits > 9)
				return -ERANGE;
			v = v * 10 + (s[i++] - '0');
		}
		if (!digits)
			return -EINVAL;
		while (u < 3 && units[u].unit != s[i])
			u++;
		if (u == 3)
			return -EINVAL; /* unknown unit, or out of order, or twice */
		total += v * units[u].mul;
		u++;
		i++;
	}
	*ret_s = total;
	return 0;
}

static int num(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

int pf_window_parse_local(const char *s, struct pf_civil *ret)
{
	struct pf_civil c;

	if (!s || strlen(s) != 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    num(s, 4, &c.year) < 0 || num(s + 5, 2, &c.month) < 0 || num(s + 8, 2, &c.day) < 0 ||
	    num(s + 11, 2, &c.hour) < 0 || num(s + 14, 2, &c.minute) < 0)
		return -EINVAL;
	if (c.year < 1970 || c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > pf_month_days(c.year, c.month) || c.hour > 23 || c.minute > 59)
		return -EINVAL;
	*ret = c;
	return 0;
}

int pf_window_occurrence(const struct pf_window *w, int64_t t, int64_t *ret_start,
			 int64_t *ret_end)
{
	int64_t s;
	int r;

	if (!w->recurring) {
		if (w->end <= t)
			return -ENOENT;
		*ret_start = w->start;
		*ret_end = w->end;
		return 0;
	}
	/* the first start after t - duration is the first whose end is after t */
	r = pf_cron_next(&w->cron, w->zone, t - w->duration_s, &s);
	if (r < 0)
		return r;
	*ret_start = s;
	*ret_end = s + w->duration_s;
	return 0;
}

int pf_window_contains(const struct pf_window *w, int64_t t, int64_t *ret_start,
		       int64_t *ret_end)
{
	int64_t s, e;
	int r = pf_window_occurrence(w, t, &s, &e);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (s > t)
		return 0;
	if (ret_start)
		*ret_start = s;
	if (ret_end)
		*ret_end = e;
	return 1;
}

int pf_window_next_edge(const struct pf_window *w, int64_t t, int64_t *ret_t)
{
	int64_t s, e, n;
	int r;

	if (!w->recurring) {
		if (w->start > t)
			*ret_t = w->start;
		else if (w->end > t)
			*ret_t = w->end;
		else
			return -ENOENT;
		return 0;
	}
	r = pf_cron_next(&w->cron, w->zone, t, &n);
	if (r < 0)
		return r;
	r = pf_window_contains(w, t, &s, &e);
	if (r < 0)
		return r;
	*ret_t = r && e < n ? e : n;
	return 0;
}

int pf_window_prev_edge(const struct pf_window *w, int64_t t, int64_t *ret_t)
{
	int64_t s, e;
	int rs, re;

	if (!w->recurring) {
		if (w->end <= t)
			*ret_t = w->end;
		else if (w->start <= t)
			*ret_t = w->start;
		else
			return -ENOENT;
		return 0;
	}
	rs = pf_cron_prev(&w->cron, w->zone, t + 1, &s); /* latest start <= t */
	re = pf_cron_prev(&w->cron, w->zone, t - w->duration_s + 1, &e); /* latest end <= t */
	if (rs < 0 && rs != -ENOENT)
		return rs;
	if (re < 0 && re != -ENOENT)
		return re;
	if (re == 0)
		e += w->duration_s;
	if (rs < 0 && re < 0)
		return -ENOENT;
	*ret_t = rs < 0 ? e : re < 0 ? s : s > e ? s : e;
	return 0;
}

static void fmt_duration(int64_t s, char *buf, size_t size)
{
	int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
	size_t k = 0;

	buf[0] = '\0';
	if (d)
		k += (size_t)snprintf(buf + k, size - k, "%lldd", (long long)d);
	if (h && k < size)
		k += (size_t)snprintf(buf + k, size - k, "%lldh", (long long)h);
	if ((m || (!d && !h)) && k < size)
		snprintf(buf + k, size - k, "%lldm", (long long)m);
}

void pf_window_describe(const struct pf_window *w, char *buf, size_t size)
{
	const char *dir = w->kind == PF_WINDOW_CHANGE ? "change-window" : "freeze-window";
	char dur[48];

	if (w->recurring) {
		fmt_duration(w->duration_s, dur, sizeof(dur));
		snprintf(buf, size, "%s \"%s\" %s tz=%s%s", dir, w->cron_text, dur, w->zone,
			 w->audit ? " mode=audit" : "");
	} else {
		snprintf(buf, size, "%s %04d-%02d-%02dT%02d:%02d %04d-%02d-%02dT%02d:%02d tz=%s%s",
			 dir, w->start_local.year, w->start_local.month, w->start_local.day,
			 w->start_local.hour, w->start_local.minute, w->end_local.year,
			 w->end_local.month, w->end_local.day, w->end_local.hour,
			 w->end_local.minute, w->zone, w->audit ? " mode=audit" : "");
	}
}

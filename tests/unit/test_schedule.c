/* Unit tests: user/lib/schedule/ (zones, cron, windows, the schedule).
 * Every expected instant was computed independently on a host with tzdata,
 * e.g. TZ=Europe/Berlin date -d '2026-03-29 03:00' +%s. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "schedule.h"
#include "tap.h"
#include "tz.h"
#include "util.h"
#include "window.h"

static const char *utc(int64_t t)
{
	static char buf[4][32];
	static int k;

	k = (k + 1) % 4;
	pf_rfc3339(t, buf[k], sizeof(buf[k]));
	return buf[k];
}

/* --- cron parsing ----------------------------------------------------- */

struct cerr_case {
	const char *cron;
	size_t off;
	const char *msg;
};

static const struct cerr_case cron_errors[] = {
	{ "0 18 * *", 8, "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4" },
	{ "0 18 * * 5 1", 11, "cron: expected 5 fields (minute hour day-of-month month day-of-week), got more" },
	{ "@daily", 0, "cron minute: expected a number, got '@daily'" },
	{ "60 18 * * 5", 0, "cron minute: 60 is out of range 0..59" },
	{ "0 24 * * 5", 2, "cron hour: 24 is out of range 0..23" },
	{ "0 0 0 * *", 4, "cron day-of-month: 0 is out of range 1..31" },
	{ "0 0 32 * *", 4, "cron day-of-month: 32 is out of range 1..31" },
	{ "0 0 * 13 *", 6, "cron month: 13 is out of range 1..12" },
	{ "0 0 * * 8", 8, "cron day-of-week: 8 is out of range 0..7" },
	{ "0 0 * foo *", 6, "cron month: unknown name 'foo' (expected jan..dec)" },
	{ "0 0 * * fr", 8, "cron day-of-week: unknown name 'fr' (expected sun..sat)" },
	{ "0 x * * *", 2, "cron hour: expected a number, got 'x'" },
	{ "0 10-5 * * *", 5, "cron hour: range 10-5 runs backwards" },
	{ "*/0 * * * *", 2, "cron minute: expected a step 1..59 after '/', got '0'" },
	{ "*/60 * * * *", 2, "cron minute: expected a step 1..59 after '/', got '60'" },
	{ "0 1,,2 * * *", 4, "cron hour: expected a number, got ''" },
	{ "0 1;2 * * *", 3, "cron hour: unexpected ';' in '1;2'" },
	{ "0 0 31 2 *", 4, "cron: never matches (no month listed has such a day of the month)" },
	{ "0 0 30,31 feb *", 4, "cron: never matches (no month listed has such a day of the month)" },
	{ "0 0 31 4,6,9,11 *", 4, "cron: never matches (no month listed has such a day of the month)" },
};

static void test_cron_errors(void)
{
	for (size_t i = 0; i < PF_ARRAY_SIZE(cron_errors); i++) {
		const struct cerr_case *c = &cron_errors[i];
		struct pf_cron cr;
		struct pf_err e = { { 0 } };
		size_t off = 999;
		int r = pf_cron_parse(c->cron, &cr, &off, &e);

		TAP_OK(r == -EINVAL, "cron '%s': -EINVAL (got %d)", c->cron, r);
		TAP_STREQ(e.msg, c->msg, "cron '%s': message", c->cron);
		TAP_OK(off == c->off, "cron '%s': offset %zu (got %zu)", c->cron, c->off, off);
	}
}

static void test_cron_fields(void)
{
	struct pf_cron c;

	TAP_OK(pf_cron_parse("*/15 9-17/4 1,15 jan-mar,DEC mon-fri", &c, NULL, NULL) == 0,
	       "cron: lists, ranges, steps, names parse");
	TAP_OK(c.minutes == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)),
	       "cron: */15 is 0,15,30,45");
	TAP_OK(c.hours == ((1u << 9) | (1u << 13) | (1u << 17)), "cron: 9-17/4 is 9,13,17");
	TAP_OK(c.mdays == ((1u << 1) | (1u << 15)), "cron: 1,15");
	TAP_OK(c.months == ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 12)), "cron: jan-mar,DEC");
	TAP_OK(c.wdays == 0x3e && !c.mday_any && !c.wday_any, "cron: mon-fri, both days restricted");
	TAP_OK(pf_cron_parse("0 0 * * 7", &c, NULL, NULL) == 0 && c.wdays == 1,
	       "cron: day-of-week 7 is Sunday");
	TAP_OK(pf_cron_parse("0 0 * * 5-7", &c, NULL, NULL) == 0 && c.wdays == 0x61,
	       "cron: 5-7 is Fri, Sat, Sun");
	TAP_OK(pf_cron_parse("5/20 * * * *", &c, NULL, NULL) == 0 &&
	       c.minutes == ((1ULL << 5) | (1ULL << 25) | (1ULL << 45)), "cron: 5/20 is 5,25,45");
	TAP_OK(pf_cron_parse("0 0 29 2 *", &c, NULL, NULL) == 0, "cron: Feb 29 is accepted");
	TAP_OK(pf_cron_parse("0 0 31 2 1", &c, NULL, NULL) == 0,
	       "cron: Feb 31 with a weekday matches on the weekday (either rule)");
	TAP_OK(pf_cron_parse("  0\t18 * *  5 ", &c, NULL, NULL) == 0, "cron: blanks around fields");
}

/* --- next and previous starts ----------------------------------------- */

struct next_case {
	const char *name, *cron, *zone;
	int64_t after, want;
};

static const struct next_case nexts[] = {
	/* Berlin: CET -> CEST on 2026-03-29 02:00, CEST -> CET on 2026-10-25 03:00 */
	{ "Berlin weekly Friday 18:00 in winter", "0 18 * * 5", "Europe/Berlin",
	  1774396800 /* 2026-03-25T00:00Z */, 1774630800 /* 2026-03-27T17:00Z */ },
	{ "Berlin spring forward: 02:30 does not exist -> 03:00 CEST", "30 2 * * *",
	  "Europe/Berlin", 1774699200 /* 2026-03-28T12:00Z */, 1774746000 /* 2026-03-29T01:00Z */ },
	{ "Berlin the day after spring forward: 02:30 CEST", "30 2 * * *", "Europe/Berlin",
	  1774746000, 1774830600 /* 2026-03-30T00:30Z */ },
	{ "Berlin fall back: 02:30 twice -> the first (CEST)", "30 2 * * *", "Europe/Berlin",
	  1792843200 /* 2026-10-24T12:00Z */, 1792888200 /* 2026-10-25T00:30Z */ },
	{ "Berlin fall back: no second start at the repeated 02:30", "30 2 * * *",
	  "Europe/Berlin", 1792888200, 1792978200 /* 2026-10-26T01:30Z */ },
	/* New York: EST -> EDT 2026-03-08 02:00, EDT -> EST 2026-11-01 02:00 */
	{ "New York spring forward: 02:30 -> 03:00 EDT", "30 2 * * *", "America/New_York",
	  1772928000 /* 2026-03-08T00:00Z */, 1772953200 /* 2026-03-08T07:00Z */ },
	{ "New York fall back: 01:30 twice -> the first (EDT)", "30 1 * * *",
	  "America/New_York", 1793491200 /* 2026-11-01T00:00Z */,
	  1793511000 /* 2026-11-01T05:30Z */ },
	{ "New York fall back: next day 01:30 EST", "30 1 * * *", "America/New_York",
	  1793511000, 1793601000 /* 2026-11-02T06:30Z */ },
	/* Sydney (southern hemisphere): AEDT -> AEST 2026-04-05 03:00, AEST -> AEDT
	 * 2026-10-04 02:00 */
	{ "Sydney spring forward in October: 02:30 -> 03:00 AEDT", "30 2 * * *",
	  "Australia/Sydney", 1790985600 /* 2026-10-03T00:00Z */,
	  1791043200 /* 2026-10-03T16:00Z */ },
	{ "Sydney fall back in April: 02:30 twice -> the first (AEDT)", "30 2 * * *",
	  "Australia/Sydney", 1775260800 /* 2026-04-04T00:00Z */,
	  1775316600 /* 2026-04-04T15:30Z */ },
	{ "Sydney fall back: next day 02:30 AEST", "30 2 * * *", "Australia/Sydney",
	  1775316600, 1775406600 /* 2026-04-05T16:30Z */ },
	/* leap days and month ends */
	{ "Feb 29 UTC from 2026 -> 2028", "0 12 29 2 *", "UTC", 1767225600 /* 2026-01-01Z */,
	  1835438400 /* 2028-02-29T12:00Z */ },
	{ "Feb 29 Berlin from 2026 -> 2028", "0 12 29 2 *", "Europe/Berlin", 1767225600,
	  1835434800 /* 2028-02-29T11:00Z */ },
	{ "the 31st skips April", "0 0 31 * *", "UTC", 1775001600 /* 2026-04-01T00:00Z */,
	  1780185600 /* 2026-05-31T00:00Z */ },
	/* the two day fields */
	{ "both days restricted: the 13th or a Friday -> Fri Feb 6", "0 0 13 * 5", "UTC",
	  1769904000 /* 2026-02-01T00:00Z */, 1770336000 /* 2026-02-06T00:00Z */ },
	{ "day-of-month starts with '*': odd days that are Fridays -> Feb 13", "0 0 */2 * 5",
	  "UTC", 1769904000, 1770940800 /* 2026-02-13T00:00Z */ },
};

static void test_cron_next(void)
{
	for (size_t i = 0; i < PF_ARRAY_SIZE(nexts); i++) {
		const struct next_case *c = &nexts[i];
		struct pf_cron cr;
		int64_t got = 0;
		int r = pf_cron_parse(c->cron, &cr, NULL, NULL);

		if (r == 0)
			r = pf_cron_next(&cr, c->zone, c->after, &got);
		TAP_OK(r == 0 && got == c->want, "next: %s: %s (got %s, r=%d)", c->name,
		       utc(c->want), utc(got), r);
	}
}

static void test_cron_prev(void)
{
	struct pf_cron cr;
	int64_t got = 0;
	int r;

	pf_cron_parse("0 12 29 2 *", &cr, NULL, NULL);
	r = pf_cron_prev(&cr, "UTC", 1798761600 /* 2027-01-01Z */, &got);
	TAP_OK(r == 0 && got == 1709208000, "prev: Feb 29 from 2027 -> 2024-02-29T12:00Z (got %s)",
	       utc(got));
	pf_cron_parse("30 2 * * *", &cr, NULL, NULL);
	r = pf_cron_prev(&cr, "Europe/Berlin", 1792978200 /* 2026-10-26T01:30Z */, &got);
	TAP_OK(r == 0 && got == 1792888200,
	       "prev: Berlin 02:30 before Oct 26 is the first 02:30 of Oct 25 (got %s)", utc(got));
	r = pf_cron_prev(&cr, "Europe/Berlin", 1774746000 + 1, &got);
	TAP_OK(r == 0 && got == 1774746000,
	       "prev: the skipped 02:30 of Mar 29 started at 03:00 CEST (got %s)", utc(got));
}

/* --- zones and local times --------------------------------------------- */

static void test_tz(void)
{
	struct pf_err e = { { 0 } };
	struct pf_civil c = { 2026, 3, 29, 2, 0 };
	char *before = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	int64_t t = 0;
	int r;

	TAP_OK(pf_tz_check("Europe/Berlin", NULL) == 0, "tz: Europe/Berlin exists");
	TAP_OK(pf_tz_check("UTC", NULL) == 0, "tz: UTC");
	r = pf_tz_check("Europe/Atlantis", &e);
	TAP_OK(r == -ENOENT, "tz: unknown zone -ENOENT (got %d)", r);
	TAP_STREQ(e.msg, "unknown time zone 'Europe/Atlantis' (no /usr/share/zoneinfo/Europe/Atlantis)",
		  "tz: unknown zone message");
	TAP_OK(pf_tz_check("../etc/passwd", NULL) == -EINVAL, "tz: '..' refused");
	TAP_OK(pf_tz_check("/etc/localtime", NULL) == -EINVAL, "tz: leading '/' refused");
	TAP_OK(pf_tz_check("Europe", NULL) == -ENOENT, "tz: a directory is not a zone");
	TAP_OK(pf_tz_check("zone.tab", NULL) == -EINVAL, "tz: a '.' is not in a zone name");
	r = pf_tz_to_utc("Europe/Berlin", &c, &t);
	TAP_OK(r == 0 && t == 1774746000, "tz: Berlin 2026-03-29 02:00 -> 01:00Z (got %s)", utc(t));
	c = (struct pf_civil){ 2026, 10, 25, 2, 0 };
	r = pf_tz_to_utc("Europe/Berlin", &c, &t);
	TAP_OK(r == 0 && t == 1792886400, "tz: Berlin 2026-10-25 02:00 -> 00:00Z, first (got %s)",
	       utc(t));
	c = (struct pf_civil){ 2026, 2, 30, 0, 0 };
	TAP_OK(pf_tz_to_utc("UTC", &c, &t) == -EINVAL, "tz: Feb 30 is not a date");
	TAP_OK((before == NULL) == (getenv("TZ") == NULL) &&
	       (!before || strcmp(before, getenv("TZ")) == 0), "tz: the caller's TZ is restored");
	free(before);
}

static void test_durations(void)
{
	static const struct { const char *s; int r; int64_t v; } d[] = {
		{ "30m", 0, 1800 }, { "6h", 0, 21600 }, { "62h", 0, 223200 },
		{ "2d", 0, 172800 }, { "1d12h", 0, 129600 }, { "1d2h30m", 0, 95400 },
		{ "90s", -EINVAL, 0 }, { "1h1d", -EINVAL, 0 }, { "1h2h", -EINVAL, 0 },
		{ "h", -EINVAL, 0 }, { "12", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ "1x", -EINVAL, 0 }, { "9999999999d", -ERANGE, 0 },
	};

	for (size_t i = 0; i < PF_ARRAY_SIZE(d); i++) {
		int64_t v = -1;
		int r = pf_window_parse_duration(d[i].s, &v);

		TAP_OK(r == d[i].r && (r < 0 ? v == -1 : v == d[i].v),
		       "duration '%s': %d/%lld (got %d/%lld)", d[i].s, d[i].r, (long long)d[i].v, r,
		       (long long)v);
	}
}

/* --- windows and the schedule ------------------------------------------ */

static struct pf_window recurring(int kind, const char *cron, int64_t dur, const char *zone,
				  int audit)
{
	struct pf_window w = { 0 };

	w.kind = kind;
	w.recurring = 1;
	w.audit = audit;
	pf_cron_parse(cron, &w.cron, NULL, NULL);
	snprintf(w.cron_text, sizeof(w.cron_text), "%s", cron);
	w.duration_s = dur;
	snprintf(w.zone, sizeof(w.zone), "%s", zone);
	return w;
}

static struct pf_window oneoff(int kind, struct pf_civil s, struct pf_civil e, const char *zone)
{
	struct pf_window w = { 0 };

	w.kind = kind;
	w.start_local = s;
	w.end_local = e;
	snprintf(w.zone, sizeof(w.zone), "%s", zone);
	pf_tz_to_utc(zone, &s, &w.start);
	pf_tz_to_utc(zone, &e, &w.end);
	return w;
}

/* Expects exactly the transitions want[0..n) after @t. */
static void expect_next(const char *name, const struct pf_window *w, size_t nw, int64_t t,
			const struct pf_sched_transition *want, size_t n)
{
	struct pf_sched_transition got[16];
	size_t k = 0;
	int r = pf_schedule_next(w, nw, t, n + 1, got, &k);

	TAP_OK(r == 0, "%s: computed (r=%d)", name, r);
	for (size_t i = 0; i < n; i++)
		TAP_OK(i < k && got[i].at == want[i].at && got[i].state == want[i].state &&
		       got[i].window == want[i].window &&
		       got[i].outside_change == want[i].outside_change,
		       "%s: transition %zu at %s %s window %zd%s (got %s %s window %zd)", name, i,
		       utc(want[i].at), pf_sched_state_name(want[i].state), want[i].window,
		       want[i].outside_change ? " outside change windows" : "",
		       i < k ? utc(got[i].at) : "-", i < k ? pf_sched_state_name(got[i].state) : "-",
		       i < k ? got[i].window : -9);
}

static void test_weekend_across_dst(void)
{
	struct pf_window w = recurring(PF_WINDOW_FREEZE, "0 18 * * 5", 62 * 3600, "Europe/Berlin", 0);
	/* Fri 2026-03-27 18:00 CET = 17:00Z; 62 real hours later is Mon 07:00Z
	 * = 09:00 CEST (the clocks went forward on Sunday) */
	const struct pf_sched_transition spring[] = {
		{ 1774630800, PF_SCHED_FROZEN, 0, 0 },
		{ 1774854000, PF_SCHED_OPEN, 0, 0 },
		{ 1775232000, PF_SCHED_FROZEN, 0, 0 }, /* Fri 2026-04-03 18:00 CEST = 16:00Z */
	};
	/* Fri 2026-10-23 18:00 CEST = 16:00Z; +62h = Mon 06:00Z = 07:00 CET */
	const struct pf_sched_transition autumn[] = {
		{ 1792771200, PF_SCHED_FROZEN, 0, 0 },
		{ 1792994400, PF_SCHED_OPEN, 0, 0 },
	};
	struct pf_sched_at at;
	int r;

	expect_next("weekend freeze, spring forward", &w, 1, 1774396800, spring, 3);
	expect_next("weekend freeze, fall back", &w, 1, 1792540800 /* 2026-10-21Z */, autumn, 2);
	r = pf_schedule_at(&w, 1, 1774699200 /* Sat 2026-03-28T12:00Z */, &at);
	TAP_OK(r == 0 && at.state == PF_SCHED_FROZEN && at.window == 0 && at.since == 1774630800 &&
	       at.until == 1774854000,
	       "at: Saturday is frozen by window 0 since %s until %s (got %s %s..%s)",
	       utc(1774630800), utc(1774854000), pf_sched_state_name(at.state), utc(at.since),
	       utc(at.until));
	r = pf_schedule_at(&w, 1, 1774854000, &at);
	TAP_OK(r == 0 && at.state == PF_SCHED_OPEN && at.since == 1774854000 &&
	       at.until == 1775232000, "at: the end instant itself is open (got %s %s..%s)",
	       pf_sched_state_name(at.state), utc(at.since), utc(at.until));
	r = pf_schedule_at(&w, 1, 1774854000 - 1, &at);
	TAP_OK(r == 0 && at.state == PF_SCHED_FROZEN, "at: one second before the end is frozen");
}

static void test_merge_and_oneoff(void)
{
	struct pf_window w[2] = {
		recurring(PF_WINDOW_FREEZE, "0 18 * * 5", 62 * 3600, "Europe/Berlin", 0),
		/* overlaps the weekend's end (Mon 09:00 CEST), ends Tue 00:00 CEST */
		oneoff(PF_WINDOW_FREEZE, (struct pf_civil){ 2026, 3, 30, 0, 0 },
		       (struct pf_civil){ 2026, 3, 31, 0, 0 }, "Europe/Berlin"),
	};
	const struct pf_sched_transition want[] = {
		{ 1774630800, PF_SCHED_FROZEN, 0, 0 },
		{ 1774908000, PF_SCHED_OPEN, 1, 0 }, /* 2026-03-30T22:00Z: the one-off ended */
		{ 1775232000, PF_SCHED_FROZEN, 0, 0 },
	};
	struct pf_window hol = oneoff(PF_WINDOW_FREEZE, (struct pf_civil){ 2026, 12, 20, 0, 0 },
				      (struct pf_civil){ 2027, 1, 4, 8, 0 }, "America/New_York");
	const struct pf_sched_transition hol_want[] = {
		{ 1797742800, PF_SCHED_FROZEN, 0, 0 }, /* 2026-12-20T05:00Z */
		{ 1799067600, PF_SCHED_OPEN, 0, 0 },   /* 2027-01-04T13:00Z */
	};
	struct pf_sched_transition got[4];
	size_t k = 9;

	expect_next("overlapping freeze windows merge", w, 2, 1774396800, want, 3);
	expect_next("one-off holiday freeze", &hol, 1, 1796083200 /* 2026-12-01Z */, hol_want, 2);
	TAP_OK(pf_schedule_next(&hol, 1, 1799067600, 4, got, &k) == 0 && k == 0,
	       "one-off in the past: no transition (got %zu)", k);
}

static void test_change_windows(void)
{
	/* changes Tue and Thu 10:00-16:00 Berlin; a freeze Thu 2026-03-26 12:00-13:00;
	 * an audit freeze Tue 2026-03-24 11:00-12:00 */
	struct pf_window w[3] = {
		recurring(PF_WINDOW_CHANGE, "0 10 * * 2,4", 6 * 3600, "Europe/Berlin", 0),
		oneoff(PF_WINDOW_FREEZE, (struct pf_civil){ 2026, 3, 26, 12, 0 },
		       (struct pf_civil){ 2026, 3, 26, 13, 0 }, "Europe/Berlin"),
		oneoff(PF_WINDOW_FREEZE, (struct pf_civil){ 2026, 3, 24, 11, 0 },
		       (struct pf_civil){ 2026, 3, 24, 12, 0 }, "Europe/Berlin"),
	};
	const struct pf_sched_transition want[] = {
		{ 1774342800, PF_SCHED_OPEN, 0, 0 },    /* Tue 10:00 CET = 09:00Z */
		{ 1774346400, PF_SCHED_AUDIT, 2, 0 },   /* 11:00 CET: audit freeze */
		{ 1774350000, PF_SCHED_OPEN, 0, 0 },    /* 12:00 CET */
		{ 1774364400, PF_SCHED_FROZEN, 0, 1 },  /* 16:00 CET: outside, change window 0 ended */
		{ 1774515600, PF_SCHED_OPEN, 0, 0 },    /* Thu 10:00 CET */
		{ 1774522800, PF_SCHED_FROZEN, 1, 0 },  /* Thu 12:00: freeze beats change */
		{ 1774526400, PF_SCHED_OPEN, 0, 0 },    /* Thu 13:00 */
		{ 1774537200, PF_SCHED_FROZEN, 0, 1 },  /* Thu 16:00 */
	};
	struct pf_sched_at at;
	int r;

	w[2].audit = 1;
	expect_next("change windows, freeze beats change, audit inside", w, 3,
		    1774224000 /* Mon 2026-03-23T00:00Z */, want, 8);
	r = pf_schedule_at(w, 3, 1774224000, &at);
	TAP_OK(r == 0 && at.state == PF_SCHED_FROZEN && at.outside_change && at.window == -1 &&
	       at.since == 1773932400 /* Thu 2026-03-19 16:00 CET */ && at.until == 1774342800,
	       "at: Monday is frozen outside change windows since %s (got %s %s..%s)",
	       utc(1773932400), pf_sched_state_name(at.state), utc(at.since), utc(at.until));
	/* an audit freeze outside every change window is frozen, not audit */
	w[2].start = 1774400000;
	w[2].end = 1774400000 + 3600;
	r = pf_schedule_state(w, 3, 1774400000 + 60, &at);
	TAP_OK(r == 0 && at.state == PF_SCHED_FROZEN && at.outside_change,
	       "state: audit freeze outside change windows is frozen");
}

int main(void)
{
	test_cron_errors();
	test_cron_fields();
	test_cron_next();
	test_cron_prev();
	test_tz();
	test_durations();
	test_weekend_across_dst();
	test_merge_and_oneoff();
	test_change_windows();
	return TAP_DONE();
}

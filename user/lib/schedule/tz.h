/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Time zones: IANA names checked against the system's tzdata, and the
 * conversions between a zone's civil minutes and Unix time that the
 * schedule needs. The C library does the zone arithmetic (TZ, tzset,
 * localtime_r, mktime against the zone's file); nothing here reads a zone
 * file's rules itself.
 *
 * The conversions set the process's TZ for the duration of the call and
 * put it back: not for use from several threads at once. */
#ifndef PF_TZ_H
#define PF_TZ_H

#include <stdint.h>

#include "err.h"

/* Where the zone files are. */
#define PF_TZ_DIR "/usr/share/zoneinfo"
/* Longest zone name accepted ("America/Argentina/ComodRivadavia" is 32). */
#define PF_TZ_MAX_NAME 64

/* A civil time to the minute (no seconds: windows start on minutes). */
struct pf_civil {
	int year, month, day; /* month 1..12, day 1..31 */
	int hour, minute;
};

/* Is @zone a zone of this host: "UTC", or a name of letters, digits and
 * "_+-/" (no leading '/', no "..", at most PF_TZ_MAX_NAME bytes) naming a
 * TZif file under PF_TZ_DIR. 0, -EINVAL (a name that cannot be one) or
 * -ENOENT (no such zone here), with a sentence in @err. */
int pf_tz_check(const char *zone, struct pf_err *err);

/* The Unix time of the civil minute @c in @zone, by the schedule's DST
 * rules: a minute that does not exist (skipped by a spring-forward) is
 * moved to the next minute that does; one that exists twice (fall back) is
 * its first occurrence. 0, -EINVAL (a date that is not one) or what
 * pf_tz_check() returns. */
int pf_tz_to_utc(const char *zone, const struct pf_civil *c, int64_t *ret_t);

/* The civil time of @t in @zone, with the zone's abbreviation ("CET") and
 * UTC offset in seconds. @ret_abbr (may be NULL) holds 16 bytes. */
int pf_tz_from_utc(const char *zone, int64_t t, struct pf_civil *ret_c, long *ret_gmtoff,
		   char *ret_abbr);

/* The same inside a scope: pf_tz_enter() sets TZ to the zone (checked
 * first), pf_tz_leave() restores the caller's TZ. Between them, the _here
 * variants convert in the entered zone without reloading it. */
struct pf_tz_scope {
	char *saved; /* the caller's TZ, NULL if it was unset */
	int entered;
};
int pf_tz_enter(const char *zone, struct pf_tz_scope *scope, struct pf_err *err);
void pf_tz_leave(struct pf_tz_scope *scope);
int pf_tz_to_utc_here(const struct pf_civil *c, int64_t *ret_t);
int pf_tz_from_utc_here(int64_t t, struct pf_civil *ret_c, long *ret_gmtoff, char *ret_abbr);

/* --- pure calendar arithmetic (proleptic Gregorian, no zone) ---------- */

/* Days since 1970-01-01 of a date, and back. */
int64_t pf_days_from_civil(int year, int month, int day);
void pf_civil_from_days(int64_t days, int *ret_year, int *ret_month, int *ret_day);
/* 0 = Sunday .. 6 = Saturday. */
int pf_weekday(int64_t days);
/* 28..31. */
int pf_month_days(int year, int month);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Freeze windows in the kernel. The policy's windows (lib/schedule) say,
 * on the wall clock, when the host is frozen by schedule; the kernel holds
 * the current or next frozen stretch on the boot clock (the `schedule`
 * map, struct pf_schedule) and applies it from its start to its end
 * whatever the agent does then. This file turns one into the other, once
 * a second:
 *
 * - a stretch is programmed ahead, its end fixed then (start + length): a
 *   wall clock set forward during it cannot end it early;
 * - a programmed start only ever moves earlier (a wall clock set back
 *   cannot skip or delay it), except when the policy changes;
 * - the end of a stretch never lifts a manual freeze (the kernel applies
 *   the stricter of the two, maps.bpf.h mode_now);
 * - a signed thaw inside a stretch lifts it until the next window's start
 *   (break glass; kept in the state file across restarts);
 * - a wall clock that jumps against the boot clock is logged (clock-jump).
 *
 * Entering and leaving a stretch are mode-change records with by:
 * "schedule" and the window; they are written when the agent notices (at
 * most a second late, or at its next start): the kernel does not wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "auditlog.h"
#include "reply.h"
#include "schedule.h"
#include "selfprot.h"
#include "wallclock.h"
#include "util.h"

#define NS 1000000000LL
/* Wall-clock steps smaller than this are jitter, not a jump. */
#define JUMP_NS (2 * NS)
/* Transitions looked at to find the next frozen stretch and its end. */
#define LOOKAHEAD 64

/* A boot-clock instant on the wall clock, in whole seconds (rounded: the
 * two clocks are read microseconds apart, and a stretch programmed for
 * 12:00:00 must not show as 11:59:59). */
static int64_t wall_s(int64_t now_w, int64_t now_b, uint64_t boot)
{
	return (now_w + ((int64_t)boot - now_b) + NS / 2) / NS;
}

static int sched_fd(struct agent *a)
{
	return a->k.maps.schedule ? bpf_map__fd(a->k.maps.schedule) : -1;
}

static int write_kernel(struct agent *a, const struct pf_schedule *s)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(sched_fd(a), &zero, s, BPF_ANY) < 0)
		return -errno;
	a->sched.prog = *s;
	return 0;
}

static void set_flag(struct pf_config *c, const void *data)
{
	c->flags = *(const int *)data ? (c->flags | PF_CFG_SCHEDULE) : (c->flags & ~PF_CFG_SCHEDULE);
}

/* The window a stretch is named after, or NULL. */
static const struct pf_window *window_at_line(struct agent *a, unsigned line)
{
	for (size_t i = 0; i < a->pol->n_windows; i++)
		if (a->pol->windows[i].line == line)
			return &a->pol->windows[i];
	return NULL;
}

static void window_name(struct agent *a, unsigned line, char *buf, size_t bufsz)
{
	const struct pf_window *w = window_at_line(a, line);

	if (!w) {
		snprintf(buf, bufsz, "line %u", line);
		return;
	}
	if (w->reason[0])
		snprintf(buf, bufsz, "%s (line %u)", w->reason, line);
	else
		snprintf(buf, bufsz, "%s window (line %u)",
			 w->kind == PF_WINDOW_CHANGE ? "outside every change" : "freeze", line);
}

/* The next frozen stretch on the wall clock at or after @from: [start, end)
 * with its mode and window line. 0, or -ENOENT for none. */
static int next_stretch(struct agent *a, int64_t from, int64_t *start, int64_t *end,
			uint32_t *mode, unsigned *line)
{
	const struct pf_window *w = a->pol->windows;
	size_t n = a->pol->n_windows, nt = 0;
	struct pf_sched_transition tr[LOOKAHEAD];
	struct pf_sched_at at;
	int r = pf_schedule_at(w, n, from, &at);

	if (r < 0)
		return r;
	if (at.state != PF_SCHED_OPEN) {
		*start = from;
		*mode = at.state == PF_SCHED_FROZEN ? PF_MODE_ENFORCE : PF_MODE_AUDIT;
		*line = at.window >= 0 ? w[at.window].line : 0;
		*end = at.until ? at.until : INT64_MAX;
		return 0;
	}
	r = pf_schedule_next(w, n, from, LOOKAHEAD, tr, &nt);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nt; i++) {
		if (tr[i].state == PF_SCHED_OPEN)
			continue;
		*start = tr[i].at;
		*mode = tr[i].state == PF_SCHED_FROZEN ? PF_MODE_ENFORCE : PF_MODE_AUDIT;
		*line = tr[i].window >= 0 ? w[tr[i].window].line : 0;
		*end = i + 1 < nt ? tr[i + 1].at : INT64_MAX;
		return 0;
	}
	return -ENOENT;
}

static void log_change(struct agent *a, const char *what, const struct pf_schedule *s,
		       const char *extra)
{
	char name[400], until[64] = "";
	int64_t now_b = boot_now_ns(), now_w = pf_now_ns();

	window_name(a, s->window, name, sizeof(name));
	if (s->end != UINT64_MAX)
		pf_rfc3339(wall_s(now_w, now_b, s->end), until, sizeof(until));
	log_record(a, "mode-change", F_STR("by", "schedule"), F_STR("change", what),
		   F_STR("window", name), F_STR("window_mode", pf_mode_name(s->mode)),
		   F_STR("until", until[0] ? until : "-"), F_STR("note", extra ? extra : ""));
}

/* Programs the next stretch from the wall clock, unless one is in force;
 * a programmed start moves only earlier unless @fresh (a new policy). */
static void program(struct agent *a, int64_t now_w, int64_t now_b, int fresh)
{
	struct pf_schedule s = { 0 };
	int64_t from = now_w / NS, start, end;
	uint32_t mode;
	unsigned line;
	int r;

	if (a->st.break_until > from)
		from = a->st.break_until;
	r = next_stretch(a, from, &start, &end, &mode, &line);
	if (r == 0) {
		int64_t ahead = start * NS - now_w;

		s.start = (uint64_t)(now_b + (ahead > 0 ? ahead : 0));
		s.end = end == INT64_MAX ? UINT64_MAX : s.start + (uint64_t)((end - start) * NS);
		s.mode = mode;
		s.window = line;
	} else if (r != -ENOENT) {
		warnx_("schedule: %s", strerror(-r));
		return;
	}
	if (!fresh && a->sched.prog.start && a->sched.prog.start <= s.start + NS / 2)
		return; /* the programmed one is as early or earlier: kept */
	if (!fresh && !s.start && a->sched.prog.start)
		return;
	if (memcmp(&s, &a->sched.prog, sizeof(s)) == 0)
		return;
	if (write_kernel(a, &s) < 0)
		warnx_("schedule: writing the kernel's stretch: %s", strerror(errno));
}

/* Wall-clock steps against the boot clock. */
static void watch_clock(struct agent *a, int64_t now_w, int64_t now_b)
{
	int64_t want = a->sched.last_w + (now_b - a->sched.last_b), d = now_w - want;
	char by[64];

	if (a->sched.last_b && (d > JUMP_NS || d < -JUMP_NS)) {
		pf_auditlog_duration(d > 0 ? d : -d, by, sizeof(by));
		log_record(a, "clock-jump", F_STR("direction", d > 0 ? "forward" : "back"),
			   F_STR("by", by),
			   F_STR("schedule", "a stretch in force keeps its end; the next start "
					     "is recomputed and only ever moves earlier"));
	}
	a->sched.last_w = now_w;
	a->sched.last_b = now_b;
}

void schedule_tick(struct agent *a)
{
	int64_t now_w, now_b;
	struct pf_schedule *p = &a->sched.prog;
	int has = a->pol->n_windows > 0;

	if (sched_fd(a) < 0)
		return;
	/* the first tick writes both whatever an earlier agent left pinned: a
	 * policy without windows now must not keep its stretch */
	if (has != a->sched.flag_set || !a->sched.ticked) {
		if (pf_config_edit(bpf_map__fd(a->k.maps.config), set_flag, &has) == 0)
			a->sched.flag_set = has;
	}
	if (!has) {
		if (p->start || !a->sched.ticked) {
			struct pf_schedule none = { 0 };

			if (write_kernel(a, &none) < 0)
				warnx_("schedule: clearing the kernel's stretch: %s", strerror(errno));
		}
		a->sched.ticked = 1;
		return;
	}
	a->sched.ticked = 1;
	pf_clock_sample(&now_w, &now_b);
	if (!a->sched.last_b) {
		uint32_t zero = 0;

		/* a stretch an earlier agent programmed (pinned maps) stays as it
		 * is while in force: a restart with the wall clock set forward
		 * must not end it */
		if (bpf_map_lookup_elem(sched_fd(a), &zero, p) == 0 && p->start &&
		    (uint64_t)now_b >= p->start && (uint64_t)now_b < p->end) {
			a->sched.in = 1;
			a->sched.in_stretch = *p;
			log_change(a, "start", p, "in force when the agent started");
		} else {
			memset(p, 0, sizeof(*p));
		}
	}
	watch_clock(a, now_w, now_b);
	if (a->sched.in && (!p->start || (uint64_t)now_b >= p->end)) {
		struct pf_schedule was = a->sched.in_stretch;

		a->sched.in = 0;
		was.end = UINT64_MAX;
		log_change(a, "end", &was,
			   a->st.mode != PF_MODE_OFF ? "the manual freeze stays in force" : NULL);
		p->start = 0; /* spent: program the next */
	}
	if (p->start && (uint64_t)now_b >= p->start && (uint64_t)now_b < p->end && !a->sched.in) {
		struct pf_err err = { "" };

		a->sched.in = 1;
		a->sched.in_stretch = *p;
		log_change(a, "start", p, NULL);
		/* as a manual freeze does: the host as it is now */
		pf_hostid_read(NULL, &a->live.id);
		if (refresh_rules(a, &err) < 0)
			warnx_("schedule: resolving the policy at the start: %s", err.msg);
	}
	if (!a->sched.in)
		program(a, now_w, now_b, a->sched.gen != a->pol_gen);
	a->sched.gen = a->pol_gen;
}

int schedule_active(const struct agent *a)
{
	int64_t now_b = boot_now_ns();
	const struct pf_schedule *p = &a->sched.prog;

	return p->start && (uint64_t)now_b >= p->start && (uint64_t)now_b < p->end ? (int)p->mode
										  : PF_MODE_OFF;
}

int agent_mode(const struct agent *a)
{
	int s = schedule_active(a);

	return s > a->st.mode ? s : a->st.mode;
}

int schedule_break_glass(struct agent *a, char *note, size_t notesz)
{
	int64_t now_b = boot_now_ns(), now_w = pf_now_ns();
	struct pf_schedule none = { 0 }, was = a->sched.prog;
	char name[400], until[64];

	if (!schedule_active(a))
		return 0;
	a->st.break_until = was.end == UINT64_MAX ? INT64_MAX / NS : wall_s(now_w, now_b, was.end);
	window_name(a, was.window, name, sizeof(name));
	if (was.end == UINT64_MAX)
		snprintf(until, sizeof(until), "its end");
	else
		pf_rfc3339(a->st.break_until, until, sizeof(until));
	snprintf(note, notesz, "break glass: the thaw lifts %s until %s", name, until);
	if (write_kernel(a, &none) < 0)
		return -errno;
	a->sched.in = 0;
	log_change(a, "lifted", &was, note);
	return 1;
}

void schedule_status(struct agent *a, struct pf_msg *rep)
{
	const struct pf_schedule *p = &a->sched.prog;
	int64_t now_b = boot_now_ns(), now_w = pf_now_ns();
	char name[400], ts[64];

	if (!a->pol->n_windows)
		return;
	pf_reply_str(rep, "schedule", schedule_active(a) ? pf_mode_name(p->mode) : "open");
	if (p->start) {
		window_name(a, p->window, name, sizeof(name));
		pf_reply_str(rep, "schedule_window", name);
		pf_rfc3339(wall_s(now_w, now_b, p->start), ts, sizeof(ts));
		pf_reply_str(rep, schedule_active(a) ? "schedule_since" : "schedule_next", ts);
		if (p->end != UINT64_MAX) {
			pf_rfc3339(wall_s(now_w, now_b, p->end), ts, sizeof(ts));
			pf_reply_str(rep, "schedule_until", ts);
		}
	}
	if (a->st.break_until > now_w / NS) {
		pf_rfc3339(a->st.break_until, ts, sizeof(ts));
		pf_reply_str(rep, "schedule_lifted_until", ts);
	}
}

/* Seconds to the next transition of the kernel's stretch, or -1. */
int64_t schedule_next_transition_s(const struct agent *a)
{
	const struct pf_schedule *p = &a->sched.prog;
	int64_t now_b = boot_now_ns();

	if (!p->start)
		return -1;
	if ((uint64_t)now_b < p->start)
		return ((int64_t)p->start - now_b) / NS;
	return p->end == UINT64_MAX ? -1 : ((int64_t)p->end - now_b) / NS;
}

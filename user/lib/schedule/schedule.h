/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a set of windows says at a time: frozen, audit or open, which window
 * says so, since and until when, and the transitions that follow.
 *
 * Rules (policy/README.md, "Freeze windows"):
 * - a freeze window freezes the host while it is open; overlapping or
 *   adjacent freeze windows merge into one frozen stretch;
 * - when any change window exists, the host is frozen outside all of them;
 * - freeze windows beat change windows (deny beats allow);
 * - an enforcing freeze beats an audit one (mode=audit), and frozen
 *   because outside every change window beats an audit freeze window.
 * Only the schedule is judged here: a manual freeze is the caller's. */
#ifndef PF_SCHEDULE_H
#define PF_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "window.h"

enum pf_sched_state { PF_SCHED_OPEN = 0, PF_SCHED_AUDIT = 1, PF_SCHED_FROZEN = 2 };

/* Edges (window starts and ends) examined in one search before it gives
 * up: a schedule frozen for ever by merged windows has no next
 * transition. */
#define PF_SCHEDULE_MAX_EDGES 5000
/* Most transitions pf_schedule_next() lists (`schedule --next N`). */
#define PF_SCHEDULE_MAX_NEXT 1000

struct pf_sched_at {
	int state;          /* enum pf_sched_state */
	ssize_t window;     /* the window that says so, -1 for none */
	int outside_change; /* frozen because no change window is open */
	int64_t since;      /* when the state began; 0 if not found */
	int64_t until;      /* when it ends; 0 if not found */
};

struct pf_sched_transition {
	int64_t at;         /* Unix seconds */
	int state;          /* the state from @at on */
	ssize_t window;     /* the window that says so, or for an end to a
			       freeze (or to a change window, when the host is
			       frozen outside them) the window that ended; -1
			       for none */
	int outside_change; /* frozen from @at because no change window is open */
};

/* "open", "audit", "frozen". */
const char *pf_sched_state_name(int state);

/* The state at @t (the window: the first in policy order that says so).
 * 0, or a negative errno (a zone that went away). */
int pf_schedule_at(const struct pf_window *w, size_t n, int64_t t, struct pf_sched_at *ret);

/* The state only, without since and until. */
int pf_schedule_state(const struct pf_window *w, size_t n, int64_t t, struct pf_sched_at *ret);

/* Up to @max transitions strictly after @t, in order, into out[]; their
 * number in *ret_n (fewer when the schedule has no more within
 * PF_SCHEDULE_MAX_EDGES edges). 0 or a negative errno. */
int pf_schedule_next(const struct pf_window *w, size_t n, int64_t t, size_t max,
		     struct pf_sched_transition *out, size_t *ret_n);

#endif

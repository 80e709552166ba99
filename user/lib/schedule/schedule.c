/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The state of a set of windows; see schedule.h. */
#include <errno.h>

#include "schedule.h"

const char *pf_sched_state_name(int state)
{
	switch (state) {
	case PF_SCHED_FROZEN: return "frozen";
	case PF_SCHED_AUDIT: return "audit";
	default: return "open";
	}
}

int pf_schedule_state(const struct pf_window *w, size_t n, int64_t t, struct pf_sched_at *ret)
{
	ssize_t enforce = -1, audit = -1, change = -1;
	int have_change = 0;

	for (size_t i = 0; i < n; i++) {
		int r;

		if (w[i].kind == PF_WINDOW_CHANGE)
			have_change = 1;
		if ((w[i].kind == PF_WINDOW_CHANGE && change >= 0) ||
		    (w[i].kind == PF_WINDOW_FREEZE && (w[i].audit ? audit : enforce) >= 0))
			continue;
		r = pf_window_contains(&w[i], t, NULL, NULL);
		if (r < 0)
			return r;
		if (!r)
			continue;
		if (w[i].kind == PF_WINDOW_CHANGE)
			change = (ssize_t)i;
		else if (w[i].audit)
			audit = (ssize_t)i;
		else
			enforce = (ssize_t)i;
	}
	ret->since = ret->until = 0;
	ret->outside_change = 0;
	if (enforce >= 0) {
		ret->state = PF_SCHED_FROZEN;
		ret->window = enforce;
	} else if (have_change && change < 0) {
		ret->state = PF_SCHED_FROZEN;
		ret->window = -1;
		ret->outside_change = 1;
	} else if (audit >= 0) {
		ret->state = PF_SCHED_AUDIT;
		ret->window = audit;
	} else {
		ret->state = PF_SCHED_OPEN;
		ret->window = change;
	}
	return 0;
}

/* The nearest edge of any window after @t (dir > 0), or at or before it
 * (dir < 0). 0, -ENOENT, or an error. */
static int edge(const struct pf_window *w, size_t n, int64_t t, int dir, int64_t *ret_t)
{
	int found = 0;
	int64_t best = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t e;
		int r = dir > 0 ? pf_window_next_edge(&w[i], t, &e)
				: pf_window_prev_edge(&w[i], t, &e);

		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (!found || (dir > 0 ? e < best : e > best)) {
			best = e;
			found = 1;
		}
	}
	if (!found)
		return -ENOENT;
	*ret_t = best;
	return 0;
}

int pf_schedule_next(const struct pf_window *w, size_t n, int64_t t, size_t max,
		     struct pf_sched_transition *out, size_t *ret_n)
{
	struct pf_sched_at prev, cur;
	size_t k = 0;
	int64_t at = t;
	int r;

	r = pf_schedule_state(w, n, t, &prev);
	if (r < 0)
		return r;
	for (unsigned steps = 0; k < max && steps < PF_SCHEDULE_MAX_EDGES; steps++) {
		r = edge(w, n, at, 1, &at);
		if (r == -ENOENT)
			break;
		if (r < 0)
			return r;
		r = pf_schedule_state(w, n, at, &cur);
		if (r < 0)
			return r;
		if (cur.state == prev.state) {
			prev = cur; /* the same state, maybe by another window now */
			continue;
		}
		out[k].at = at;
		out[k].state = cur.state;
		out[k].window = cur.window;
		out[k].outside_change = cur.outside_change;
		if ((cur.state == PF_SCHED_OPEN || cur.outside_change) && cur.window < 0)
			out[k].window = prev.window; /* the window that ended */
		k++;
		prev = cur;
	}
	*ret_n = k;
	return 0;
}

int pf_schedule_at(const struct pf_window *w, size_t n, int64_t t, struct pf_sched_at *ret)
{
	struct pf_sched_transition next;
	struct pf_sched_at now, before;
	int64_t at = t;
	size_t got;
	int r;

	r = pf_schedule_state(w, n, t, &now);
	if (r < 0)
		return r;
	/* since: walk back over edges until the state before one differs */
	for (unsigned steps = 0; steps < PF_SCHEDULE_MAX_EDGES; steps++) {
		r = edge(w, n, at, -1, &at);
		if (r == -ENOENT)
			break;
		if (r < 0)
			return r;
		r = pf_schedule_state(w, n, at - 1, &before);
		if (r < 0)
			return r;
		if (before.state != now.state) {
			now.since = at;
			break;
		}
		at--;
	}
	r = pf_schedule_next(w, n, t, 1, &next, &got);
	if (r < 0)
		return r;
	if (got)
		now.until = next.at;
	*ret = now;
	return 0;
}

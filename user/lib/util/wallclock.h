/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The wall clock for token checks, which never runs backwards: a clock set
 * back (date -s) can neither revive an expired token nor stretch an
 * approval. Its floor is the highest wall time seen, advanced by the boot
 * clock since (and, at start, the last heartbeat of an earlier agent). A
 * clock set forward only expires tokens early: fail closed.
 *
 * The two clocks cannot be read at one instant, so consecutive samples
 * jitter by the time between the reads (microseconds natively,
 * milliseconds under emulation). A wall clock less than
 * PF_CLOCK_BACK_TOLERANCE_NS behind the floor is that jitter, not a step
 * back: the floor is still used, but no step back is reported. */
#ifndef PF_WALLCLOCK_H
#define PF_WALLCLOCK_H

#include <stdint.h>

#define PF_CLOCK_BACK_TOLERANCE_NS 1000000000LL

struct pf_wallclock {
	int64_t floor_real; /* CLOCK_REALTIME ns: the highest seen */
	int64_t floor_boot; /* CLOCK_BOOTTIME ns when floor_real was seen */
};

/* One sample of both clocks, the boot clock read on both sides of the wall
 * clock and averaged. */
void pf_clock_sample(int64_t *ret_real, int64_t *ret_boot);

/* The token clock at the sample (@real, @boot): never below the floor, which
 * it advances. *@ret_behind: how far the wall clock is behind the floor
 * when that is more than the tolerance (a step back to report), else 0. */
int64_t pf_wallclock_read(struct pf_wallclock *c, int64_t real, int64_t boot,
			  int64_t *ret_behind);

/* Raises the floor to @real as of boot time @boot (an earlier agent's last
 * heartbeat); a lower @real changes nothing. */
void pf_wallclock_raise(struct pf_wallclock *c, int64_t real, int64_t boot);

#endif

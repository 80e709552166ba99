/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The token clock; see wallclock.h. */
#include <time.h>

#include "util.h"
#include "wallclock.h"

void pf_clock_sample(int64_t *ret_real, int64_t *ret_boot)
{
	int64_t b1 = pf_clock_ns(CLOCK_BOOTTIME);
	int64_t r = pf_clock_ns(CLOCK_REALTIME);
	int64_t b2 = pf_clock_ns(CLOCK_BOOTTIME);

	*ret_real = r;
	*ret_boot = b1 + (b2 - b1) / 2;
}

int64_t pf_wallclock_read(struct pf_wallclock *c, int64_t real, int64_t boot,
			  int64_t *ret_behind)
{
	int64_t floor = c->floor_real + (boot - c->floor_boot);

	*ret_behind = 0;
	if (c->floor_real == 0 || real >= floor) {
		c->floor_real = real;
		c->floor_boot = boot;
		return real;
	}
	if (floor - real > PF_CLOCK_BACK_TOLERANCE_NS)
		*ret_behind = floor - real;
	return floor;
}

void pf_wallclock_raise(struct pf_wallclock *c, int64_t real, int64_t boot)
{
	if (real > c->floor_real + (boot - c->floor_boot) || c->floor_real == 0) {
		c->floor_real = real;
		c->floor_boot = boot;
	}
}

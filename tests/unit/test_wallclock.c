/* The token clock: never backwards, jitter below the tolerance is not a
 * step back, a real step back is reported with its size. */
#include <stdint.h>

#include "tap.h"
#include "wallclock.h"

#define S 1000000000LL

int main(void)
{
	struct pf_wallclock c = { 0 };
	int64_t behind, t, real, boot;

	t = pf_wallclock_read(&c, 1000 * S, 10 * S, &behind);
	TAP_OK(t == 1000 * S && behind == 0, "first sample: the wall clock as it is");
	t = pf_wallclock_read(&c, 1005 * S, 15 * S, &behind);
	TAP_OK(t == 1005 * S && behind == 0, "wall and boot clock advance together: the wall clock");
	/* read jitter: the wall clock 3 ms behind the floor */
	t = pf_wallclock_read(&c, 1006 * S - 3000000, 16 * S, &behind);
	TAP_OK(t == 1006 * S, "3 ms behind the floor: the floor is used (never backwards)");
	TAP_OK(behind == 0, "3 ms behind the floor: not reported (below the tolerance)");
	t = pf_wallclock_read(&c, 1007 * S - PF_CLOCK_BACK_TOLERANCE_NS, 17 * S, &behind);
	TAP_OK(behind == 0, "exactly the tolerance behind: not reported");
	/* date -s one hour back */
	t = pf_wallclock_read(&c, 1008 * S - 3600 * S, 18 * S, &behind);
	TAP_OK(t == 1008 * S, "clock set back 1 h: the token clock keeps the floor");
	TAP_OK(behind == 3600 * S, "clock set back 1 h: reported as 3600 s behind (got %lld)", (long long)behind);
	t = pf_wallclock_read(&c, 1009 * S - 3600 * S, 19 * S, &behind);
	TAP_OK(t == 1009 * S && behind == 3600 * S, "still behind a second later: the floor, still reported");
	/* the clock forward again: it wins */
	t = pf_wallclock_read(&c, 2000 * S, 20 * S, &behind);
	TAP_OK(t == 2000 * S && behind == 0, "clock set forward: the wall clock (tokens expire early, fail closed)");

	/* a heartbeat floor from an earlier agent */
	c = (struct pf_wallclock){ 0 };
	pf_wallclock_raise(&c, 5000 * S, 3 * S);
	t = pf_wallclock_read(&c, 4000 * S, 4 * S, &behind);
	TAP_OK(t == 5001 * S && behind == 1001 * S, "a wall clock behind the last heartbeat: the heartbeat floor, reported");
	pf_wallclock_raise(&c, 10 * S, 5 * S);
	t = pf_wallclock_read(&c, 6000 * S, 6 * S, &behind);
	TAP_OK(t == 6000 * S, "a lower raise changes nothing");

	pf_clock_sample(&real, &boot);
	TAP_OK(real > 1600000000LL * S && boot > 0, "a real sample: wall clock after 2020, boot clock positive");
	return TAP_DONE();
}

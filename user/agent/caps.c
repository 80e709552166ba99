/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's privileges once it is attached and serving. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "agent.h"
#include "util.h"

/* Keeps only what the running agent needs: CAP_BPF to use its maps (the
 * bpf() syscall demands it when unprivileged BPF is disabled) and
 * CAP_DAC_READ_SEARCH to re-resolve protected trees it does not own and to
 * open cgroups by handle. The bounding set too, and no_new_privs. */
int drop_capabilities(struct pf_err *err)
{
	static const cap_value_t keep[] = { CAP_BPF, CAP_DAC_READ_SEARCH };
	cap_t caps;
	int r = 0;

	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		int k = 0;

		for (size_t i = 0; i < PF_ARRAY_SIZE(keep); i++)
			k |= keep[i] == c;
		if (!k && CAP_IS_SUPPORTED(c) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL) {
			pf_err_set(err, "dropping capability %d from the bounding set: %s",
				 (int)c, strerror(errno));
			return -errno;
		}
	}
	caps = cap_init();
	if (!caps)
		return -ENOMEM;
	if (cap_set_flag(caps, CAP_PERMITTED, PF_ARRAY_SIZE(keep), keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, PF_ARRAY_SIZE(keep), keep, CAP_SET) ||
	    cap_set_proc(caps)) {
		r = -errno;
		pf_err_set(err, "dropping capabilities: %s", strerror(errno));
	}
	cap_free(caps);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		pf_err_set(err, "no_new_privs: %s", strerror(errno));
	}
	return r;
}

/* The freeze state, persisted in the state directory so that an agent
 * restart or a reboot never silently thaws a frozen host.
 * File: STATE_DIR/freeze, written atomically, in the control-message
 * key=value encoding (see ctl.h). */
#ifndef PF_STATE_H
#define PF_STATE_H

#include "err.h"

#include <stdint.h>

#define PF_STATE_FILE "freeze"
#define PF_REASON_MAX 1024

struct pf_state {
	int mode;        /* enum pf_mode */
	int64_t since;   /* unix seconds */
	uint32_t by_uid; /* who changed it */
	uint32_t by_pid;
	char reason[PF_REASON_MAX + 1];
	/* unix seconds: a thaw inside a scheduled freeze lifted the schedule
	 * until then (break glass); 0: none */
	int64_t break_until;
};

/* -ENOENT when no state was ever saved; -EINVAL (message in @err) when the
 * file is damaged. */
int pf_state_load(const char *dir, struct pf_state *ret, struct pf_err *err);
int pf_state_save(const char *dir, const struct pf_state *s);

#endif

/* doctor: can this host run Permafrost, and if not, what exactly to do.
 *
 * Each check gives ok, warn or FAIL, one line of finding and, unless ok,
 * the exact fix (a command or a configuration line). Every input comes
 * through struct pf_doctor_env, so tests run each check against fabricated
 * files and values:
 *   root      prefix for /proc, /sys, /etc/default/grub and the systemd
 *             unit directories ("" = this host; the CLI takes it from
 *             $PF_DOCTOR_ROOT)
 *   release   the kernel release (uname -r)
 *   euid, caps_eff   the caller's effective uid and capability set
 *   clock_rc, clock_status   adjtimex(2)'s return value (-errno on
 *             failure) and timex.status
 *   policy_path, socket_path   the policy and the agent's control socket
 * Library code: nothing here prints. */
#ifndef PF_DOCTOR_H
#define PF_DOCTOR_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

enum pf_doctor_result {
	PF_DOC_OK = 0,
	PF_DOC_WARN = 1,
	PF_DOC_FAIL = 2,
};

#define PF_DOCTOR_MAX_CHECKS 16
#define PF_DOCTOR_TEXT 1024
/* Seconds the agent check waits for the agent's reply. */
#define PF_DOCTOR_AGENT_TIMEOUT_S 5

struct pf_doctor_check {
	const char *name;
	int result; /* enum pf_doctor_result */
	char finding[PF_DOCTOR_TEXT];
	char fix[PF_DOCTOR_TEXT]; /* "" when ok */
};

struct pf_doctor_env {
	const char *root;
	const char *release;
	unsigned euid;
	uint64_t caps_eff; /* bit (1 << CAP_X) */
	int clock_rc;
	int clock_status;
	const char *policy_path;
	const char *socket_path;
};

struct pf_doctor_report {
	struct pf_doctor_check c[PF_DOCTOR_MAX_CHECKS];
	size_t n;
	unsigned n_ok, n_warn, n_fail;
};

/* Fills @env from this host: uname, geteuid, the effective capability set
 * (libcap), adjtimex; root from $PF_DOCTOR_ROOT (default ""). The policy
 * and socket paths are the caller's. */
void pf_doctor_env_host(struct pf_doctor_env *env, const char *policy_path,
			const char *socket_path);

/* The checks, in the order pf_doctor_run runs them. Each fills @c. */
void pf_doctor_kernel(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_btf(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_securityfs(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_lsm(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_bpffs(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_lockdown(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_caps(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_clock(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_policy(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_signers(const struct pf_doctor_env *env, struct pf_doctor_check *c);
/* The installed permafrostd.service and its drop-ins (under root): bpffs
 * must be writable in the agent's mount namespace. */
void pf_doctor_unit(const struct pf_doctor_env *env, struct pf_doctor_check *c);
void pf_doctor_agent(const struct pf_doctor_env *env, struct pf_doctor_check *c);

/* Runs every check into @rep (counts included). */
void pf_doctor_run(const struct pf_doctor_env *env, struct pf_doctor_report *rep);

/* The report as aligned text (with @colour: ANSI colours on the result
 * word) or as one JSON object; appended to @out. */
void pf_doctor_format(const struct pf_doctor_report *rep, int json, int colour,
		      struct pf_buf *out);

const char *pf_doctor_result_name(int result);

#endif

/* Durable records for approvals, in the agent's state directory:
 *   used-tokens          every accepted token id, one per line, appended and
 *                        fsync'd BEFORE the kernel entry is loaded, so a
 *                        token can never be used twice, across restarts
 *   approvals/ID.bundle  the verified bytes (body and signatures) of each
 *                        live approval, reloaded and re-verified at start
 * Limits: PF_USED_MAX ids (the file is refused beyond it). */
#ifndef PF_APSTORE_H
#define PF_APSTORE_H

#include "err.h"

#include <stddef.h>

#define PF_USED_MAX 1000000
#define PF_USED_FILE "used-tokens"
#define PF_APPROVALS_DIR "approvals"

struct pf_used {
	char (*ids)[33];
	size_t n, cap;
};

/* Loads @dir/used-tokens (absent: empty). A malformed line is an error
 * naming file:line. */
int pf_used_load(const char *dir, struct pf_used *ret, struct pf_err *err);
int pf_used_has(const struct pf_used *u, const char *id);
/* Appends and fsyncs; -EEXIST if already recorded. */
int pf_used_add(const char *dir, struct pf_used *u, const char *id);
void pf_used_free(struct pf_used *u);

#endif

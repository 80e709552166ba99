/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A token's path judged by the object it will unlock, not by how it is
 * spelt: no symbolic link may lie on the way (an alias such as usrmerge's
 * /lib -> usr/lib would pick a lower threshold), and the threshold is the
 * highest `approvals` of every protect entry on the object itself and its
 * ancestors (a hard link made before the freeze carries its home tree's
 * rule); a bind mount of a subtree on the way is refused. The agent takes the higher of this and pf_policy_threshold(). */
#ifndef PF_TOKENPATH_H
#define PF_TOKENPATH_H

#include <stdbool.h>

#include "err.h"
#include "policy.h"
#include "resolve.h"

/* 0 and *ret (0 when no entry applies), or -ELOOP (a component is a
 * symbolic link: @why names it), -EXDEV (a directory on the way is a bind
 * mount of a subtree, whose own ancestors the kernel would judge by), or
 * another -errno with @why. For a not-yet-existing named path, its parent
 * directory is judged. */
int pf_token_path_threshold(const struct pf_resolved *r,
			    const char *path, bool subtree, unsigned *ret, struct pf_err *why);

#endif

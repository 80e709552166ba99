/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* systemd unit names as the policy's `agent NAME unit=UNIT` takes them:
 * which are valid, and the name of the unit's cgroup directory (what the
 * kernel compares, bpf/aiagent.bpf.h). */
#ifndef PF_UNITNAME_H
#define PF_UNITNAME_H

#include <stddef.h>

/* Bytes in a unit name, as systemd's UNIT_NAME_MAX (256 with the NUL). */
#define PF_UNIT_NAME_MAX 255

/* NULL if @s[0..n) is a unit name an agent can be known by: 1..255 bytes
 * of A-Z a-z 0-9 : - _ . \ @, a prefix, an instance after '@' if there is
 * one, and a suffix .service, .scope or .slice (the units whose processes
 * live in their own cgroup); else what is wrong, in words. */
const char *pf_unit_name_problem(const char *s, size_t n);

/* The cgroup directory systemd makes for unit @unit (its cg_escape: a '_'
 * before names that could clash with cgroupfs's own files, such as
 * "cpu.service" or "_x.service"). 0, or -ENAMETOOLONG if it does not fit
 * @size bytes with its NUL (@ret untouched then). */
int pf_unit_cgroup_name(const char *unit, char *ret, size_t size);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* This host as a token's `host:` line names it: its hostname or its
 * machine-id. One reading for the agent (at start and at every freeze,
 * not at each verification: a file root rewrites later does not move a
 * frozen host's identity) and for `permafrost token verify`. */
#ifndef PF_HOSTID_H
#define PF_HOSTID_H

#define PF_MACHINE_ID_FILE "/etc/machine-id"

struct pf_hostid {
	char hostname[256]; /* gethostname(), "unknown" if that fails */
	char machine_id[33]; /* 32 lowercase hex digits, "" if absent or malformed */
};

/* Reads the hostname and @machine_id_file (NULL: PF_MACHINE_ID_FILE):
 * exactly 32 lowercase hex digits, then nothing or one newline. */
void pf_hostid_read(const char *machine_id_file, struct pf_hostid *ret);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* This host's identity for tokens; see hostid.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostid.h"
#include "util.h"

/* Room for a machine-id, its newline, and enough more to see junk. */
#define MACHINE_ID_READ_MAX 64

static void read_machine_id(const char *file, char out[33])
{
	char *buf = NULL;
	size_t len, i;

	out[0] = 0;
	if (pf_read_file(file, MACHINE_ID_READ_MAX, &buf, &len) < 0)
		return;
	for (i = 0; i < 32 && i < len; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			break;
	if (i == 32 && (len == 32 || (len == 33 && buf[32] == '\n')))
		snprintf(out, 33, "%.32s", buf);
	free(buf);
}

void pf_hostid_read(const char *machine_id_file, struct pf_hostid *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (gethostname(ret->hostname, sizeof(ret->hostname) - 1) < 0 || !ret->hostname[0])
		snprintf(ret->hostname, sizeof(ret->hostname), "unknown");
	read_machine_id(machine_id_file ? machine_id_file : PF_MACHINE_ID_FILE, ret->machine_id);
}

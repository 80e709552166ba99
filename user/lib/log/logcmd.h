/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `permafrost log`: show, follow and verify the audit log.
 *
 *   permafrost log [--file PATH] [-f] [--json] [--since T] [--until T]
 *                  [--decision D] [--path PREFIX] [--op OP] [--uid U]
 *                  [--pid P] [--token ID]
 *   permafrost log verify [--file PATH] [--json]
 *
 * Exit codes: 0 ok (verify: the chain is intact), 1 invalid input or a
 * damaged log (verify names the first bad line), 2 usage. Errors go to stderr,
 * or with --json to stdout as {"status":"error","error":...,"exit_code":N}. */
#ifndef PF_LOGCMD_H
#define PF_LOGCMD_H

#include "logverify.h"

/* The chain head `log verify` holds the log against, as the agent read it
 * from the kernel (user/agent/chainhead.c), or why there is none. */
struct pf_log_head_src {
	int have;
	struct pf_log_head head;
	char log[256];  /* the log it is the head of */
	char why[300];  /* when !have: why it could not be had */
};

/* argv[0] is "log". @json is the CLI's global --json. @default_path is the
 * log read when --file is not given. @head: for `verify` (NULL: none
 * asked for). Returns the exit code. */
int pf_cli_log(int argc, char **argv, int json, const char *default_path,
	       const struct pf_log_head_src *head);

#endif

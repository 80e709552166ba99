/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every part of the agent calls, apart from main(): its verbosity
 * (-v), its messages on stderr (the journal), the boot clock. Kept out of
 * main.c so that the native apply benchmark (tests/bench/applybench.c)
 * links the agent's own parts without its main. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "agent.h"
#include "util.h"

int pf_verbose;

void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("permafrostd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int64_t boot_now_ns(void)
{
	return pf_clock_ns(CLOCK_BOOTTIME);
}

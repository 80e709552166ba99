/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Error messages; see err.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static void vset(struct pf_err *err, const char *fmt, va_list ap)
{
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
}

int pf_err(struct pf_err *err, int errno_neg, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vset(err, fmt, ap);
		va_end(ap);
	}
	return errno_neg;
}

void pf_err_set(struct pf_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
}

void pf_err_prefix(struct pf_err *err, const char *fmt, ...)
{
	char prefix[PF_ERR_MAX], old[PF_ERR_MAX];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	if (vsnprintf(prefix, sizeof(prefix), fmt, ap) < 0)
		prefix[0] = '\0';
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
}

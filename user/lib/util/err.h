/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one way library code reports why it failed: functions return
 * -errno and, when given a struct pf_err, leave one human-readable
 * sentence in it that names the problem and the place (file:line:col,
 * the path, the token id...). Only the edges (the CLI, the agent's main
 * and its replies) print it. A NULL struct pf_err is allowed: the caller
 * wants the errno only. */
#ifndef PF_ERR_H
#define PF_ERR_H

/* Longest message kept, including the NUL; longer ones are cut. */
#define PF_ERR_MAX 1024

struct pf_err {
	char msg[PF_ERR_MAX];
};

/* Sets the message and returns @errno_neg, for
 * `return pf_err(err, -EINVAL, "...", ...);`. */
int pf_err(struct pf_err *err, int errno_neg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the message. */
void pf_err_set(struct pf_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the message with "PREFIX: ". */
void pf_err_prefix(struct pf_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket's replies, typed: every key the agent may send, and
 * whether its value is a string or a number, alone or as a list ("key[]"
 * items, in order). The agent builds its replies with pf_reply_str/num,
 * which refuse a key whose declared type is another; the CLI prints
 * `--json` with pf_reply_json, which writes numbers as JSON numbers. One
 * table, both sides. */
#ifndef PF_REPLY_H
#define PF_REPLY_H

#include <stdint.h>

#include "ctl.h"
#include "json.h"

enum pf_reply_type {
	PF_REPLY_STR = 0, /* also: a key the table does not know */
	PF_REPLY_NUM,     /* a non-negative integer (uint64) */
};

/* The declared type of @key ("name" or "name[]"); unknown keys are
 * strings. */
enum pf_reply_type pf_reply_type(const char *key);

/* Adds key=value, -EINVAL (nothing added) when @key is declared with the
 * other type, -errno from pf_msg_add. */
int pf_reply_str(struct pf_msg *m, const char *key, const char *value);
int pf_reply_num(struct pf_msg *m, const char *key, uint64_t value);

/* The reply as one JSON object: "k[]" items become one array "k", numbers
 * are numbers. A numeric value that is not a number (an agent of another
 * version) is written as a string rather than guessed. Appended to @out
 * (no newline). */
void pf_reply_json(const struct pf_msg *m, struct pf_buf *out);

#endif

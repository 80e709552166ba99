/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Audit records for a terminal: every byte of a record may come from an
 * attacker, so every string shown goes through pf_log_escape_term(). */
#ifndef PF_LOGFORMAT_H
#define PF_LOGFORMAT_H

#include <stddef.h>

#include "buf.h"
#include "logrec.h"

/* Appends bytes for a terminal: valid UTF-8 text as is, except control
 * characters (C0, DEL, C1), bidirectional overrides and backslash, which are
 * escaped (\n, \t, \xNN for bytes, \uNNNN for code points, \\); bytes that are
 * not valid UTF-8 become \xNN. Nothing can move the cursor or change colours. */
void pf_log_escape_term(struct pf_buf *out, const void *p, size_t n);

/* Column widths of the human form. */
#define PF_LOG_COL_TIME 24
#define PF_LOG_COL_DECISION 16
#define PF_LOG_COL_OP 12
#define PF_LOG_COL_PATH 40

/* The header line of the human form ("TIME DECISION OP PATH PID UID COMM\n"). */
void pf_log_format_header(struct pf_buf *out);
/* One record as one line of aligned columns TIME DECISION OP PATH PID UID COMM
 * (a record without a path shows its other fields as key=value in the PATH
 * column), '\n'-terminated; @colour adds ANSI colour to the decision. Every
 * value is escaped with pf_log_escape_term(). 0 or -ENOMEM. */
int pf_log_format_human(const struct pf_logrec *r, int colour, struct pf_buf *out);

#endif

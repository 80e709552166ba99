/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the audit log, in one include:
 *   logfile.h    its files in chain order (path.N.gz ... path.1.gz, path),
 *                one stream of lines with gzip undone on the fly
 *   logrec.h     one record's top-level fields, a line's SHA-256
 *   logverify.h  the hash chain's verification
 *   logfilter.h  display filters
 *   logformat.h  terminal escaping and the human one-line rendering
 *
 * Everything read here may have been written by an attacker: lines are capped
 * at PF_LOG_LINE_MAX, a record is only looked at after a strict JSON check,
 * and every string shown on a terminal goes through pf_log_escape_term().
 * See docs/audit-log.md for the format. */
#ifndef PF_LOGREAD_H
#define PF_LOGREAD_H

#include "logfile.h"
#include "logfilter.h"
#include "logformat.h"
#include "logrec.h"
#include "logverify.h"

#endif

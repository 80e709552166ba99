/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Verifying the audit log's hash chain across its rotated files: the first
 * edited, deleted, inserted, reordered or truncated line, named by
 * file:line. See docs/audit-log.md. */
#ifndef PF_LOGVERIFY_H
#define PF_LOGVERIFY_H

#include <stdint.h>

enum pf_log_problem {
	PF_LOG_OK = 0,
	PF_LOG_EDITED,     /* a line's bytes changed since it was written */
	PF_LOG_DELETED,    /* lines missing (seq jumps forward; or the start) */
	PF_LOG_INSERTED,   /* a line that the chain does not link in */
	PF_LOG_REORDERED,  /* lines in a different order (seq goes back, swap) */
	PF_LOG_TRUNCATED,  /* torn last line, empty log, compressed file cut */
	PF_LOG_MALFORMED,  /* not JSON, not a record (no seq), line too long */
	PF_LOG_RESTARTED,  /* a chain-start in mid-log: what preceded it is cut off */
	PF_LOG_UNREADABLE, /* an I/O error */
};

const char *pf_log_problem_name(enum pf_log_problem p); /* "edited", ... */

struct pf_log_verify_result {
	enum pf_log_problem problem;
	char file[4096];     /* where the first problem is */
	uint64_t line;       /* 1-based line in that file */
	char detail[512];    /* what is wrong, in a sentence */
	uint64_t records;    /* lines read (up to the problem) */
	unsigned files;      /* files in the chain */
	uint64_t first_seq, last_seq;
	int anchored;        /* 1: the chain begins with its chain-start record;
	                      * 0: with a rotated record (older files deleted) */
	int clean_end;       /* the last record is agent-stop */
};

/* Verifies the chain of the log at @path across its rotated files. Returns 0
 * when the verification ran (the verdict is in @ret: problem == PF_LOG_OK, or
 * the first problem with its file and line), or a negative errno when it could
 * not start (-ENOENT: no log at @path; -ENOMEM). @progress, when not NULL, is
 * called every 65536 lines. */
int pf_log_verify(const char *path, struct pf_log_verify_result *ret);
int pf_log_verify_progress(const char *path, struct pf_log_verify_result *ret,
			   void (*progress)(uint64_t lines, void *data), void *data);

#endif

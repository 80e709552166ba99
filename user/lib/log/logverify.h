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
	PF_LOG_REWRITTEN,  /* the chain holds, but the line at the kernel's chain
	                    * head is not the one the agent wrote */
};

/* The chain's head as the agent recorded it outside the file (in the
 * kernel: struct pf_chain_head): the seq and SHA-256 of the last line it
 * wrote. A consistent rewrite of the file (lines edited and every "prev"
 * after them recomputed, or the newest lines cut) passes the chain but not
 * the head. */
struct pf_log_head {
	uint64_t seq;
	uint8_t hash[32];
};

enum pf_log_head_check {
	PF_LOG_HEAD_NONE = 0, /* no head given */
	PF_LOG_HEAD_MATCHED,  /* the line at head.seq has head.hash */
	PF_LOG_HEAD_OLDER,    /* head.seq is older than the oldest line kept */
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
	enum pf_log_head_check head; /* with a head, when problem is OK */
};

/* Verifies the chain of the log at @path across its rotated files. Returns 0
 * when the verification ran (the verdict is in @ret: problem == PF_LOG_OK, or
 * the first problem with its file and line), or a negative errno when it could
 * not start (-ENOENT: no log at @path; -ENOMEM). @progress, when not NULL, is
 * called every 65536 lines. */
int pf_log_verify(const char *path, struct pf_log_verify_result *ret);
int pf_log_verify_progress(const char *path, struct pf_log_verify_result *ret,
			   void (*progress)(uint64_t lines, void *data), void *data);
/* The same, and the log must hold @head (read before the log: lines
 * written since are fine): a line at head->seq with another hash is
 * PF_LOG_REWRITTEN there, a log ending before head->seq is PF_LOG_DELETED
 * at its last line. @head NULL: pf_log_verify_progress. */
int pf_log_verify_head(const char *path, const struct pf_log_head *head,
		       struct pf_log_verify_result *ret,
		       void (*progress)(uint64_t lines, void *data), void *data);

#endif

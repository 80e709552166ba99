/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the audit log: its files in chain order (path.N.gz ... path.1.gz,
 * path) with gzip undone on the fly, one record's top-level fields, the hash
 * chain's verification, display filters and the human one-line rendering.
 *
 * Everything read here may have been written by an attacker: lines are capped
 * at PF_LOG_LINE_MAX, a record is only looked at after a strict JSON check,
 * and every string shown on a terminal goes through pf_log_escape_term().
 * See docs/audit-log.md for the format. */
#ifndef PF_LOGREAD_H
#define PF_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Longest line, its '\n' included. The writer refuses longer ones; a reader
 * reports a longer one as an error naming file:line. */
#define PF_LOG_LINE_MAX (64 * 1024)
/* Rotated files considered: path.1.gz ... path.PF_LOG_MAX_FILES.gz. */
#define PF_LOG_MAX_FILES 1000

#define PF_SHA256_LEN 32
void pf_sha256(const void *p, size_t n, uint8_t out[PF_SHA256_LEN]);

/* --- the files of one log -------------------------------------------------- */

/* The files of the log at @path in chain order: the rotated ones that exist
 * (path.N.gz, highest N first; gaps in the numbering are skipped), then @path
 * itself, which is always listed (it may not exist). @ret_idx, when not NULL,
 * receives each file's rotation index (0 for @path). Caller frees with
 * pf_log_files_free(). 0 or -ENOMEM / -errno (directory unreadable). */
int pf_log_files(const char *path, char ***ret_files, unsigned **ret_idx, size_t *ret_n);
void pf_log_files_free(char **files, unsigned *idx, size_t n);
/* "path.N.gz" (caller frees), NULL on ENOMEM. */
char *pf_log_rotated_name(const char *path, unsigned n);

/* --- reading lines across files -------------------------------------------- */

struct pf_log_reader;

/* Opens the chain of @path (all files when @all, else only @path itself). */
int pf_log_reader_open(const char *path, int all, struct pf_log_reader **ret);
void pf_log_reader_close(struct pf_log_reader *r);
/* The next line, valid until the next call: 1 with its bytes (ending in '\n',
 * except a torn last line of a file, which ends without), 0 at the end of the
 * last file, or a negative errno: -E2BIG for a line longer than
 * PF_LOG_LINE_MAX, -EBADMSG for compressed data that is corrupt or ends
 * early, -errno for I/O errors; pf_log_reader_error() then says what, with
 * file:line. A missing file (other than a rotated one that vanished between
 * listing and opening, which is -ENOENT) is an empty file. */
int pf_log_reader_next(struct pf_log_reader *r, const char **ret_line, size_t *ret_len);
const char *pf_log_reader_file(const struct pf_log_reader *r);  /* current file */
uint64_t pf_log_reader_lineno(const struct pf_log_reader *r);   /* 1-based, in that file */
unsigned pf_log_reader_fileno(const struct pf_log_reader *r);   /* index in the chain */
const char *pf_log_reader_error(const struct pf_log_reader *r);

/* --- one record ------------------------------------------------------------ */

#define PF_LOGREC_MAX_FIELDS 128

struct pf_logrec_field {
	const char *key; /* the key's bytes, without quotes (never escaped) */
	size_t key_len;
	const char *val; /* the value's raw JSON text: "...", 12, true, {...} */
	size_t val_len;
};

struct pf_logrec {
	size_t n;
	struct pf_logrec_field f[PF_LOGREC_MAX_FIELDS];
};

/* Splits one line (a trailing '\n' is allowed) into its top-level fields;
 * pointers refer into @line. The line must be exactly one JSON object (strict
 * RFC 8259, see pf_json_check), with at most PF_LOGREC_MAX_FIELDS keys, no
 * key written with escapes and no key twice. 0 or -EINVAL. */
int pf_logrec_parse(const char *line, size_t len, struct pf_logrec *ret);
const struct pf_logrec_field *pf_logrec_find(const struct pf_logrec *r, const char *key);
/* A string field's bytes, unescaped (\u0000 and lone surrogates included:
 * the latter become U+FFFD), appended to @out. -ENOENT (absent), -EINVAL
 * (not a string), -ENOMEM. */
int pf_logrec_str(const struct pf_logrec *r, const char *key, struct pf_buf *out);
/* 1 if the field is a string equal to @s, else 0. */
int pf_logrec_str_eq(const struct pf_logrec *r, const char *key, const char *s);
/* A non-negative integer field (no fraction, no exponent, < 2^64). */
int pf_logrec_u64(const struct pf_logrec *r, const char *key, uint64_t *ret);
/* Parses the "time" field (RFC 3339) into Unix nanoseconds. */
int pf_logrec_time(const struct pf_logrec *r, int64_t *ret_ns);

/* --- verification ---------------------------------------------------------- */

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

/* --- filters and display --------------------------------------------------- */

struct pf_log_filter {
	int has_since, has_until;
	int64_t since_ns, until_ns; /* inclusive bounds on "time" */
	const char *decision;       /* comma-separated list */
	const char *op;             /* comma-separated list */
	const char *path;           /* a path prefix, component-wise */
	int has_uid, has_pid;
	uint64_t uid, pid;
	const char *token;          /* "token" (or "token_id") field */
};

/* "2026-11-29T23:18:45Z" (RFC 3339), "2026-11-29" (midnight UTC), "now", or
 * a duration back from @now_ns: "90s", "15m", "1h30m", "2d", "1w".
 * 0 or -EINVAL. */
int pf_log_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns);
/* 1 if the record passes every set criterion, else 0. A criterion on a field
 * the record does not have rejects it. */
int pf_log_filter_match(const struct pf_log_filter *f, const struct pf_logrec *r);

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

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The files of one audit log in chain order (path.N.gz ... path.1.gz, path),
 * read as one stream of lines with gzip undone on the fly. Lines are capped
 * at PF_LOG_LINE_MAX: a longer one is an error naming file:line. */
#ifndef PF_LOGFILE_H
#define PF_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

/* Longest line, its '\n' included. The writer refuses longer ones; a reader
 * reports a longer one as an error naming file:line. */
#define PF_LOG_LINE_MAX (64 * 1024)
/* Rotated files considered: path.1.gz ... path.PF_LOG_MAX_FILES.gz. */
#define PF_LOG_MAX_FILES 1000

/* The files of the log at @path in chain order: the rotated ones that exist
 * (path.N.gz, highest N first; gaps in the numbering are skipped), then @path
 * itself, which is always listed (it may not exist). @ret_idx, when not NULL,
 * receives each file's rotation index (0 for @path). Caller frees with
 * pf_log_files_free(). 0 or -ENOMEM / -errno (directory unreadable). */
int pf_log_files(const char *path, char ***ret_files, unsigned **ret_idx, size_t *ret_n);
void pf_log_files_free(char **files, unsigned *idx, size_t n);
/* "path.N.gz" (caller frees), NULL on ENOMEM. */
char *pf_log_rotated_name(const char *path, unsigned n);

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
/* The files of the chain: how many, and the name of the one at @fileno
 * ("" beyond the last). */
unsigned pf_log_reader_nfiles(const struct pf_log_reader *r);
const char *pf_log_reader_name(const struct pf_log_reader *r, unsigned fileno);
const char *pf_log_reader_error(const struct pf_log_reader *r);

#endif

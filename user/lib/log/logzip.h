/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The audit log's compressor: threads that gzip the active file while it
 * grows (read back from the file, as far as the writer says it holds whole
 * lines), so that a rotation finds its file compressed but for the last
 * segment. When the writer says the followed file was rotated (it is
 * path.1 now) they compress the rest and finish it: fsync path.1.gz.tmp,
 * rename it to path.1.gz, fsync the directory, unlink path.1, fsync the
 * directory. See auditlog.c for the rotation around it.
 *
 * The threads hold no capabilities (they are per thread: each gives up its
 * own when it starts, whatever the process holds then) and block every
 * signal (a signal for the process is the writer's to take). */
#ifndef PF_LOGZIP_H
#define PF_LOGZIP_H

#include <stdint.h>
#include <sys/types.h>

/* Threads compressing at once, and the bytes of a segment: a gzip member
 * of its own, compressed by one thread (in memory: an input and an output
 * buffer of about this size per thread). The threads are woken when the
 * active file has grown by a segment. */
#define PF_LOGZIP_THREADS 2
#define PF_LOGZIP_SEGMENT (1024 * 1024)

struct pf_logzip;

struct pf_logzip_files {
	const char *tmp;   /* path.1.gz.tmp */
	const char *dst;   /* path.1.gz */
	const char *plain; /* path.1 */
	const char *dir;
	mode_t mode;
};

/* Starts the threads (idle until given a file). 0 or -errno. */
int pf_logzip_start(const struct pf_logzip_files *f, struct pf_logzip **ret);

/* Follow the active file @fd (duplicated) from its start; it holds @size
 * bytes of whole lines. While a rotated file is finished, it is followed
 * next. 0 or -errno (-EBUSY: one is followed already). */
int pf_logzip_follow(struct pf_logzip *z, int fd, uint64_t size);

/* The followed file now holds @size bytes of whole lines. */
void pf_logzip_grown(struct pf_logzip *z, uint64_t size);

/* The followed file was rotated: it is path.1 now, @size bytes; finish it.
 * (Not following one, path.1 is compressed whole, by its name.) Then the
 * next pf_logzip_follow() names the new active file. */
void pf_logzip_rotated(struct pf_logzip *z, uint64_t size);

/* Compress path.1, left uncompressed by a crash or a failure, whole and
 * before anything else. */
void pf_logzip_whole(struct pf_logzip *z);

/* 1 while a rotated file is not finished. */
int pf_logzip_pending(struct pf_logzip *z);

/* 1 while a rotated file is being finished (with @wait: waits for it and
 * returns 0). When one was finished since the last call, *ret_result is
 * its result (0 or -errno) and *ret_step what failed; otherwise
 * *ret_result is 1. */
int pf_logzip_reap(struct pf_logzip *z, int wait, int *ret_result, const char **ret_step);

/* Finishes a rotated file still in hand, drops the one being followed
 * (its temporary file is removed), stops the threads and frees. */
void pf_logzip_stop(struct pf_logzip *z);

#endif

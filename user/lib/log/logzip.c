/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The audit log's compressor. See logzip.h.
 *
 * A file is compressed in segments of PF_LOGZIP_SEGMENT bytes, each a
 * gzip member of its own (gzip(1) and zlib's gzread() read concatenated
 * members as one stream), so that PF_LOGZIP_THREADS threads compress at
 * once: each claims the next segment the file holds in full (or the last,
 * shorter one of a rotated file), compresses it into its own buffer, and
 * appends it to path.1.gz.tmp when every segment before it is there.
 *
 * The files, in order: path.1 to compress whole, by its name (a crash or a
 * failure left it, or a file was rotated while none was followed); then the
 * followed file: the active one, compressed as far as the writer says it
 * holds whole lines, and once it is rotated (path.1 now, its size final)
 * up to its end. A rotated file all appended is finished: fsync, rename
 * path.1.gz.tmp to path.1.gz, fsync the directory, unlink path.1, fsync
 * the directory. A file whose compression failed is tried once more from
 * its start; failing again, path.1 stays, reported, for the next rotation.
 * A whole-file request puts the active file back to its start behind it.
 * Stopping, the threads finish a rotated file in hand and drop the active
 * one's partial path.1.gz.tmp. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <zlib.h>

#include "logzip.h"
#include "util.h"

/* The threads' nice value: the writer's thread comes first. */
#define PF_LOGZIP_NICE 10

/* A file being compressed. */
struct zfile {
	int fd;        /* -1: none; by_name: not opened yet */
	int by_name;   /* path.1, opened by the thread that starts on it */
	int final;     /* rotated: size is its end */
	uint64_t size; /* whole lines in it */
};

struct worker {
	struct pf_logzip *z;
	pthread_t th;
	int started;
	z_stream zs;
	char *in, *out;
	size_t out_cap, out_len;
};

struct pf_logzip {
	char *tmp, *dst, *plain, *dir;
	mode_t mode;
	struct worker w[PF_LOGZIP_THREADS];

	pthread_mutex_t mu;
	pthread_cond_t wake, turn, done;
	/* under mu */
	struct zfile cur, next;
	uint64_t claimed, written; /* segments of cur */
	unsigned gen;              /* cur's compression started over */
	int out_fd;                /* path.1.gz.tmp, -1: not made yet */
	int err, retried, finishing, appending;
	const char *err_step;
	atomic_int have_result;
	int result;
	const char *step;
	int stop;
	atomic_int pending; /* a rotated file not finished */
	/* the active file's whole lines: the size of cur or next while it is
	 * not final (the writer's, without mu) */
	_Atomic uint64_t active_size;
	uint64_t woken_at; /* the writer's alone */
};

/* Capabilities are per thread: these threads need none (their files are
 * opened or made in the log's directory, the agent's own), and they are
 * made before the agent gives up its own. capset(2) on pid 0 acts on the
 * calling thread alone. */
static void drop_own_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	(void)syscall(SYS_capset, &h, d);
}

/* Under mu. */
static void fail(struct pf_logzip *z, int err, const char *step)
{
	if (!z->err) {
		z->err = err;
		z->err_step = step;
	}
}

/* Under mu: cur's output goes, its compression starts over. */
static void restart(struct pf_logzip *z)
{
	if (z->out_fd >= 0) {
		close(z->out_fd);
		unlink(z->tmp);
		z->out_fd = -1;
	}
	z->claimed = z->written = 0;
	z->err = 0;
	z->err_step = NULL;
	z->gen++;
}

/* Segment @off..+@len of @fd into w->out, a gzip member. 0 or -errno. */
static int compress_segment(struct worker *w, int fd, uint64_t off, size_t len, const char **step)
{
	int r;

	*step = "reading the rotated file";
	r = pf_pread_all(fd, w->in, len, (off_t)off);
	if (r < 0)
		return r;
	*step = "compressing";
	if (deflateReset(&w->zs) != Z_OK)
		return -EIO;
	w->zs.next_in = (Bytef *)w->in;
	w->zs.avail_in = (uInt)len;
	w->zs.next_out = (Bytef *)w->out;
	w->zs.avail_out = (uInt)w->out_cap;
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	w->out_len = w->out_cap - w->zs.avail_out;
	return 0;
}

/* Under mu, this thread's turn: appends w->out to path.1.gz.tmp, with mu
 * released for the write (z->appending keeps the file from a restart). */
static void append_segment(struct pf_logzip *z, struct worker *w)
{
	int r, fd;

	if (z->out_fd < 0) {
		z->out_fd = open(z->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
				 z->mode);
		if (z->out_fd < 0) {
			fail(z, -errno, "creating the compressed file");
			return;
		}
	}
	fd = z->out_fd;
	z->appending = 1;
	pthread_mutex_unlock(&z->mu);
	r = pf_write_all(fd, w->out, w->out_len);
	pthread_mutex_lock(&z->mu);
	z->appending = 0;
	if (r < 0)
		fail(z, r, "writing the compressed file");
}

/* path.1.gz.tmp complete: fsync, rename to path.1.gz, unlink path.1. Called
 * with mu released; out_fd is the caller's alone while z->finishing. */
static int finish_file(struct pf_logzip *z, int out_fd, const char **step)
{
	int r;

	*step = "syncing the compressed file";
	r = fsync(out_fd) < 0 ? -errno : 0;
	if (r == 0) {
		*step = "renaming the compressed file";
		if (rename(z->tmp, z->dst) < 0)
			r = -errno;
	}
	close(out_fd);
	if (r < 0) {
		unlink(z->tmp);
		return r;
	}
	pf_fsync_dir(z->dir);
	*step = "removing the uncompressed file";
	r = unlink(z->plain) < 0 ? -errno : 0;
	pf_fsync_dir(z->dir);
	return r;
}

/* Under mu: cur is done (@r, @step); the next file becomes cur. */
static void next_file(struct pf_logzip *z, int r, const char *step)
{
	if (z->cur.fd >= 0)
		close(z->cur.fd);
	z->cur = z->next;
	z->next = (struct zfile){ .fd = -1 };
	z->out_fd = -1;
	z->claimed = z->written = 0;
	z->err = z->retried = 0;
	z->gen++;
	z->result = r;
	z->step = step;
	atomic_store(&z->have_result, 1);
	atomic_store(&z->pending, 0);
	pthread_cond_broadcast(&z->done);
	pthread_cond_broadcast(&z->wake);
}

/* Under mu: a segment of cur this thread may take (its number), or -1. */
static int64_t claim(struct pf_logzip *z, uint64_t *off, size_t *len)
{
	uint64_t at = z->claimed * PF_LOGZIP_SEGMENT, left, size;

	if (z->cur.fd < 0 || z->err || z->finishing || (z->stop && !z->cur.final))
		return -1;
	size = z->cur.final ? z->cur.size : atomic_load(&z->active_size);
	if (at >= size)
		return -1;
	left = size - at;
	if (left < PF_LOGZIP_SEGMENT && !z->cur.final)
		return -1;
	*off = at;
	*len = left < PF_LOGZIP_SEGMENT ? (size_t)left : PF_LOGZIP_SEGMENT;
	return (int64_t)z->claimed++;
}

/* Under mu, cur rotated and nothing in flight: finish it, or start it over
 * once after a failure. 1 if it did something. */
static int try_finish(struct pf_logzip *z, struct worker *w)
{
	const char *step;
	int r, out_fd, src_fd;

	if (z->cur.fd < 0 || !z->cur.final || z->finishing || z->appending ||
	    z->written != z->claimed ||
	    (!z->err && z->claimed * PF_LOGZIP_SEGMENT < z->cur.size))
		return 0;
	if (z->err && !z->retried) {
		z->retried = 1;
		restart(z);
		pthread_cond_broadcast(&z->wake);
		return 1;
	}
	if (z->err) {
		r = z->err;
		step = z->err_step;
		restart(z);
		next_file(z, r, step);
		return 1;
	}
	if (z->out_fd < 0) { /* an empty file: one empty member */
		if (compress_segment(w, z->cur.fd, 0, 0, &step) == 0)
			append_segment(z, w);
		else
			fail(z, -EIO, step);
		return 1;
	}
	out_fd = z->out_fd;
	src_fd = z->cur.fd;
	z->finishing = 1;
	pthread_mutex_unlock(&z->mu);
	r = finish_file(z, out_fd, &step);
	close(src_fd); /* the last reference to path.1's blocks: slow to free */
	pthread_mutex_lock(&z->mu);
	z->finishing = 0;
	z->out_fd = -1;
	z->cur.fd = -1;
	next_file(z, r, step);
	return 1;
}

/* Under mu: opens path.1 for a whole-file compression. */
static void open_by_name(struct pf_logzip *z)
{
	struct stat st;

	z->cur.by_name = 0;
	z->cur.fd = open(z->plain, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (z->cur.fd < 0 || fstat(z->cur.fd, &st) < 0) {
		int e = -errno;

		next_file(z, e, "opening the rotated file");
		return;
	}
	z->cur.size = (uint64_t)st.st_size;
	z->cur.final = 1;
}

static void *run(void *p)
{
	struct worker *w = p;
	struct pf_logzip *z = w->z;

	drop_own_capabilities();
	/* behind the event path when they compete for a CPU: a compression
	 * that falls behind holds rotations back, it loses nothing */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), PF_LOGZIP_NICE);
	pthread_mutex_lock(&z->mu);
	for (;;) {
		uint64_t off;
		size_t len;
		int64_t k;

		if (z->cur.by_name) {
			open_by_name(z);
			continue;
		}
		k = claim(z, &off, &len);
		if (k >= 0) {
			unsigned gen = z->gen;
			int fd = z->cur.fd, r;
			const char *step;

			pthread_mutex_unlock(&z->mu);
			r = compress_segment(w, fd, off, len, &step);
			pthread_mutex_lock(&z->mu);
			while (z->gen == gen && z->written != (uint64_t)k)
				pthread_cond_wait(&z->turn, &z->mu);
			if (z->gen != gen)
				continue; /* started over meanwhile */
			if (r < 0)
				fail(z, r, step);
			else if (!z->err)
				append_segment(z, w);
			z->written++;
			pthread_cond_broadcast(&z->turn);
			if (z->cur.final)
				pthread_cond_broadcast(&z->wake); /* perhaps the last */
			continue;
		}
		if (try_finish(z, w))
			continue;
		if (z->stop && !z->finishing && (z->cur.fd < 0 || !z->cur.final))
			break;
		pthread_cond_wait(&z->wake, &z->mu);
	}
	pthread_cond_broadcast(&z->wake);
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

static void worker_free(struct worker *w)
{
	deflateEnd(&w->zs);
	free(w->in);
	free(w->out);
}

static int worker_init(struct pf_logzip *z, struct worker *w)
{
	w->z = z;
	/* level 1: ~10% larger files than level 6 at a third of the time;
	 * windowBits 15 + 16: a gzip member */
	if (deflateInit2(&w->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	w->out_cap = deflateBound(&w->zs, PF_LOGZIP_SEGMENT);
	w->in = malloc(PF_LOGZIP_SEGMENT);
	w->out = malloc(w->out_cap);
	return w->in && w->out ? 0 : -ENOMEM;
}

int pf_logzip_start(const struct pf_logzip_files *f, struct pf_logzip **ret)
{
	struct pf_logzip *z = calloc(1, sizeof(*z));
	sigset_t all, old;
	int r = 0;

	if (!z)
		return -ENOMEM;
	z->cur.fd = z->next.fd = z->out_fd = -1;
	z->mode = f->mode;
	z->tmp = strdup(f->tmp);
	z->dst = strdup(f->dst);
	z->plain = strdup(f->plain);
	z->dir = strdup(f->dir);
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->wake, NULL);
	pthread_cond_init(&z->turn, NULL);
	pthread_cond_init(&z->done, NULL);
	if (!z->tmp || !z->dst || !z->plain || !z->dir)
		r = -ENOMEM;
	/* every signal blocked in the threads (they inherit the mask): a
	 * signal for the process (SIGTERM, SIGHUP) goes to a thread that
	 * takes it, the writer's through its signalfd, never to one of these
	 * to run its default action (the agent blocks them later) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < PF_LOGZIP_THREADS && r == 0; i++) {
		r = worker_init(z, &z->w[i]);
		if (r == 0)
			r = -pthread_create(&z->w[i].th, NULL, run, &z->w[i]);
		z->w[i].started = r == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		pf_logzip_stop(z);
		return r;
	}
	*ret = z;
	return 0;
}

int pf_logzip_follow(struct pf_logzip *z, int fd, uint64_t size)
{
	struct zfile *f;
	int r = 0, dfd;

	pthread_mutex_lock(&z->mu);
	f = z->cur.fd < 0 && !z->cur.by_name ? &z->cur : &z->next;
	if (f->fd >= 0 || f->by_name || (f == &z->next && !z->cur.final && !z->cur.by_name)) {
		r = -EBUSY;
	} else if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		r = -errno;
	} else {
		*f = (struct zfile){ .fd = dfd };
		atomic_store(&z->active_size, size);
		z->woken_at = size;
		pthread_cond_broadcast(&z->wake);
	}
	pthread_mutex_unlock(&z->mu);
	return r;
}

void pf_logzip_grown(struct pf_logzip *z, uint64_t size)
{
	atomic_store(&z->active_size, size);
	if (size >= z->woken_at + PF_LOGZIP_SEGMENT || size < z->woken_at) {
		z->woken_at = size;
		pthread_mutex_lock(&z->mu);
		pthread_cond_broadcast(&z->wake);
		pthread_mutex_unlock(&z->mu);
	}
}

void pf_logzip_rotated(struct pf_logzip *z, uint64_t size)
{
	pthread_mutex_lock(&z->mu);
	if (z->cur.fd >= 0 && !z->cur.final) {
		z->cur.final = 1;
		z->cur.size = size;
	} else if (z->cur.fd < 0 && !z->cur.by_name) {
		z->cur = (struct zfile){ .fd = -1, .by_name = 1 }; /* not followed */
	}
	atomic_store(&z->pending, 1);
	pthread_cond_broadcast(&z->wake);
	pthread_mutex_unlock(&z->mu);
}

void pf_logzip_whole(struct pf_logzip *z)
{
	pthread_mutex_lock(&z->mu);
	while (z->appending)
		pthread_cond_wait(&z->turn, &z->mu);
	if (!z->cur.final && !z->cur.by_name) {
		/* the active file, if followed, starts over behind it */
		restart(z);
		z->next = z->cur;
		z->cur = (struct zfile){ .fd = -1, .by_name = 1 };
	}
	atomic_store(&z->pending, 1);
	pthread_cond_broadcast(&z->wake);
	pthread_cond_broadcast(&z->turn);
	pthread_mutex_unlock(&z->mu);
}

int pf_logzip_pending(struct pf_logzip *z)
{
	return atomic_load(&z->pending);
}

int pf_logzip_reap(struct pf_logzip *z, int wait, int *ret_result, const char **ret_step)
{
	*ret_result = 1;
	*ret_step = NULL;
	/* the writer's call after each batch: no lock unless there is news */
	if (!wait && atomic_load(&z->pending))
		return 1;
	if (!wait && !atomic_load(&z->have_result))
		return 0;
	pthread_mutex_lock(&z->mu);
	while (atomic_load(&z->pending))
		pthread_cond_wait(&z->done, &z->mu);
	if (atomic_load(&z->have_result)) {
		*ret_result = z->result;
		*ret_step = z->step;
		atomic_store(&z->have_result, 0);
	}
	pthread_mutex_unlock(&z->mu);
	return 0;
}

void pf_logzip_stop(struct pf_logzip *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->mu);
	z->stop = 1;
	pthread_cond_broadcast(&z->wake);
	pthread_mutex_unlock(&z->mu);
	for (int i = 0; i < PF_LOGZIP_THREADS; i++) {
		if (z->w[i].started)
			pthread_join(z->w[i].th, NULL);
		worker_free(&z->w[i]);
	}
	restart(z); /* the active file's partial path.1.gz.tmp */
	if (z->cur.fd >= 0)
		close(z->cur.fd);
	if (z->next.fd >= 0)
		close(z->next.fd);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->wake);
	pthread_cond_destroy(&z->turn);
	pthread_cond_destroy(&z->done);
	free(z->tmp);
	free(z->dst);
	free(z->plain);
	free(z->dir);
	free(z);
}

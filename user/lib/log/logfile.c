/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The files of one audit log, read as one stream of lines; see logfile.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "logfile.h"
#include "util.h"

char *pf_log_rotated_name(const char *path, unsigned n)
{
	char *s;

	if (asprintf(&s, "%s.%u.gz", path, n) < 0)
		return NULL;
	return s;
}

/* N if @name is "<base>.N.gz" with N in 1..PF_LOG_MAX_FILES written without
 * leading zeros, else 0. *ret_plain: "<base>.N" (a rotated file the writer
 * has not compressed yet). */
static unsigned rotated_index(const char *name, const char *base, size_t blen, int *ret_plain)
{
	const char *p;
	unsigned v = 0;

	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return 0;
	p = name + blen + 1;
	if (*p < '1' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > PF_LOG_MAX_FILES)
			return 0;
		p++;
	}
	*ret_plain = *p == '\0';
	return strcmp(p, ".gz") == 0 || *p == '\0' ? v : 0;
}

void pf_log_files_free(char **files, unsigned *idx, size_t n)
{
	if (files)
		for (size_t i = 0; i < n; i++)
			free(files[i]);
	free(files);
	free(idx);
}

int pf_log_files(const char *path, char ***ret_files, unsigned **ret_idx, size_t *ret_n)
{
	unsigned char *present = NULL;
	char *dir = NULL, **files = NULL;
	unsigned *idx = NULL;
	const char *base, *slash;
	size_t n = 0, cnt = 1;
	struct dirent *de;
	DIR *d = NULL;
	int r = 0;

	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base)
		return -EISDIR;
	dir = pf_path_dir(path);
	present = calloc(PF_LOG_MAX_FILES + 1, 1);
	if (!dir || !present) {
		r = -ENOMEM;
		goto out;
	}
	d = opendir(dir);
	if (!d) {
		r = -errno;
		goto out;
	}
	/* present[v]: 1 path.v.gz, 2 path.v (uncompressed; listed only without
	 * the .gz: a finished compression is renamed in place before path.v goes) */
	while ((de = readdir(d))) {
		int plain = 0;
		unsigned v = rotated_index(de->d_name, base, strlen(base), &plain);
		if (v && !present[v])
			cnt++;
		if (v)
			present[v] |= plain ? 2 : 1;
	}
	files = calloc(cnt, sizeof(*files));
	idx = calloc(cnt, sizeof(*idx));
	if (!files || !idx) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned v = PF_LOG_MAX_FILES; v >= 1; v--) {
		if (!present[v])
			continue;
		if (present[v] & 1)
			files[n] = pf_log_rotated_name(path, v);
		else if (asprintf(&files[n], "%s.%u", path, v) < 0)
			files[n] = NULL;
		if (!files[n]) {
			r = -ENOMEM;
			goto out;
		}
		idx[n++] = v;
	}
	files[n] = strdup(path);
	if (!files[n]) {
		r = -ENOMEM;
		goto out;
	}
	idx[n++] = 0;
	*ret_files = files;
	if (ret_idx)
		*ret_idx = idx;
	else
		free(idx);
	*ret_n = n;
	files = NULL;
	idx = NULL;
out:
	if (d)
		closedir(d);
	pf_log_files_free(files, idx, n);
	free(present);
	free(dir);
	return r;
}

#define RD_CHUNK (64 * 1024)
#define RD_CAP (PF_LOG_LINE_MAX + RD_CHUNK + 1)

struct pf_log_reader {
	char **files;
	size_t nfiles, cur;
	int fd;
	gzFile gz;
	int is_open, src_eof, failed;
	char *buf;
	size_t start, end;
	uint64_t lineno;
	char err[4608];
};

int pf_log_reader_open(const char *path, int all, struct pf_log_reader **ret)
{
	struct pf_log_reader *r;
	int e;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->buf = malloc(RD_CAP);
	if (!r->buf) {
		free(r);
		return -ENOMEM;
	}
	if (all) {
		e = pf_log_files(path, &r->files, NULL, &r->nfiles);
	} else {
		e = -ENOMEM;
		r->files = calloc(1, sizeof(*r->files));
		if (r->files && (r->files[0] = strdup(path))) {
			r->nfiles = 1;
			e = 0;
		}
	}
	if (e < 0) {
		pf_log_reader_close(r);
		return e;
	}
	*ret = r;
	return 0;
}

static void rd_close_file(struct pf_log_reader *r)
{
	if (r->gz)
		gzclose(r->gz); /* closes fd */
	else if (r->fd >= 0)
		close(r->fd);
	r->gz = NULL;
	r->fd = -1;
	r->is_open = 0;
}

void pf_log_reader_close(struct pf_log_reader *r)
{
	if (!r)
		return;
	rd_close_file(r);
	pf_log_files_free(r->files, NULL, r->nfiles);
	free(r->buf);
	free(r);
}

const char *pf_log_reader_file(const struct pf_log_reader *r)
{
	return r->cur < r->nfiles ? r->files[r->cur] : r->nfiles ? r->files[r->nfiles - 1] : "";
}

uint64_t pf_log_reader_lineno(const struct pf_log_reader *r)
{
	return r->lineno;
}

unsigned pf_log_reader_fileno(const struct pf_log_reader *r)
{
	return (unsigned)r->cur;
}

unsigned pf_log_reader_nfiles(const struct pf_log_reader *r)
{
	return (unsigned)r->nfiles;
}

const char *pf_log_reader_name(const struct pf_log_reader *r, unsigned fileno)
{
	return fileno < r->nfiles ? r->files[fileno] : "";
}

const char *pf_log_reader_error(const struct pf_log_reader *r)
{
	return r->err;
}

static int rd_fail(struct pf_log_reader *r, int e, const char *what)
{
	snprintf(r->err, sizeof(r->err), "%s:%llu: %s", pf_log_reader_file(r),
		 (unsigned long long)r->lineno + 1, what);
	r->failed = e;
	return e;
}

static int is_gz_name(const char *f)
{
	size_t n = strlen(f);
	return n > 3 && strcmp(f + n - 3, ".gz") == 0;
}

static int rd_open_file(struct pf_log_reader *r)
{
	const char *f = r->files[r->cur];
	int fd = open(f, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	r->start = r->end = 0;
	r->lineno = 0;
	r->src_eof = 0;
	r->is_open = 1;
	if (fd < 0) {
		int e = errno;
		/* the active file may not exist yet; a listed rotated one must */
		if (e == ENOENT && r->cur == r->nfiles - 1 && !is_gz_name(f)) {
			r->src_eof = 1;
			return 0;
		}
		return rd_fail(r, -e, strerror(e));
	}
	r->fd = fd;
	if (is_gz_name(f)) {
		r->gz = gzdopen(fd, "rb");
		if (!r->gz) {
			close(fd);
			r->fd = -1;
			return rd_fail(r, -ENOMEM, "cannot start decompression");
		}
		gzbuffer(r->gz, RD_CHUNK);
	}
	return 0;
}

static int rd_fill(struct pf_log_reader *r)
{
	size_t room;
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	room = RD_CAP - 1 - r->end;
	if (room > RD_CHUNK)
		room = RD_CHUNK;
	if (r->fd < 0) {
		r->src_eof = 1;
		return 0;
	}
	if (r->gz) {
		int zerr = Z_OK, k = gzread(r->gz, r->buf + r->end, (unsigned)room);
		const char *msg;

		/* data decompressed before a problem is used; the problem is
		 * reported at the next read, at the line it cut */
		if (k <= 0) {
			msg = gzerror(r->gz, &zerr);
			if (zerr == Z_ERRNO)
				return rd_fail(r, -EIO, strerror(errno));
			if (zerr == Z_BUF_ERROR)
				return rd_fail(r, -EBADMSG, "compressed data ends early (the .gz file was cut)");
			if (k < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
				char what[256];
				snprintf(what, sizeof(what), "compressed data is corrupt (%s)",
					 msg ? msg : "zlib error");
				return rd_fail(r, -EBADMSG, what);
			}
		}
		n = k;
	} else {
		do
			n = read(r->fd, r->buf + r->end, room);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return rd_fail(r, -errno, strerror(errno));
	}
	if (n == 0)
		r->src_eof = 1;
	r->end += (size_t)n;
	return 0;
}

int pf_log_reader_next(struct pf_log_reader *r, const char **ret_line, size_t *ret_len)
{
	int e;

	if (r->failed)
		return r->failed;
	for (;;) {
		char *nl;
		size_t avail;

		if (!r->is_open) {
			if (r->cur >= r->nfiles)
				return 0;
			e = rd_open_file(r);
			if (e < 0)
				return e;
		}
		avail = r->end - r->start;
		nl = memchr(r->buf + r->start, '\n', avail);
		if (nl) {
			size_t len = (size_t)(nl - (r->buf + r->start)) + 1;
			if (len > PF_LOG_LINE_MAX)
				return rd_fail(r, -E2BIG, "line longer than 65536 bytes");
			*ret_line = r->buf + r->start;
			*ret_len = len;
			r->start += len;
			r->lineno++;
			return 1;
		}
		if (avail >= PF_LOG_LINE_MAX)
			return rd_fail(r, -E2BIG, "line longer than 65536 bytes");
		if (r->src_eof) {
			if (avail) {
				*ret_line = r->buf + r->start;
				*ret_len = avail;
				r->start = r->end;
				r->lineno++;
				return 1;
			}
			rd_close_file(r);
			r->cur++;
			continue;
		}
		e = rd_fill(r);
		if (e < 0)
			return e;
	}
}

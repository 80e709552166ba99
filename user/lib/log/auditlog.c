/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The tamper-evident audit-log writer. See auditlog.h and docs/audit-log.md.
 *
 * Rotation, in this order, so that a crash at any point leaves every line in
 * at least one file and the chain intact:
 *   1. fdatasync the active file;
 *   2. compress it to path.1.gz.tmp, fsync that;
 *   3. delete path.KEEP.gz (and anything above), rename path.N.gz to
 *      path.N+1.gz from the oldest down;
 *   4. rename path.1.gz.tmp to path.1.gz, fsync the directory;
 *   5. write the "rotated" record to path.new.tmp, fsync it, rename it over
 *      the active file, fsync the directory.
 * A crash before 4 leaves the active file whole (the temporary file is
 * removed at the next open; a gap in the numbering is harmless). A crash
 * between 4 and 5 leaves the same lines in path.1.gz and the active file:
 * the next open sees that their last lines are identical and does step 5. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <zlib.h>

#include "auditlog.h"
#include "logfile.h"
#include "logrec.h"
#include "util.h"

#define TAIL_MAX (2 * PF_LOG_LINE_MAX + 2)
#define TORN_KEEP 4096
#define ROTATE_RETRY_NS (10 * 1000000000LL)

struct pf_auditlog {
	char *path, *dir, *base, *tmp_gz, *tmp_new, *first_gz;
	char host[256];
	int fd;
	mode_t mode;
	uint64_t max_size;
	unsigned keep;
	int fsync_every;

	uint64_t size;
	int have_last;
	uint8_t last_hash[PF_SHA256_LEN];
	uint64_t last_seq;
	int64_t last_time_ns;
	/* the last line as found at open, before the writer added any */
	uint8_t found_hash[PF_SHA256_LEN];
	uint64_t found_seq;
	int dirty;
	int wedged; /* a fragment of a line could not be taken back */

	int64_t rotate_after_ns; /* no rotation attempt before (after a failure) */
	int err_pending;
	char err[1024];

	struct pf_buf line;
};

static void fsync_dir(const struct pf_auditlog *l)
{
	int dfd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

static int pread_all(int fd, void *p, size_t n, off_t off)
{
	char *c = p;

	while (n) {
		ssize_t r = pread(fd, c, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO; /* shrank under us */
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* --- building lines -------------------------------------------------------- */

uint64_t pf_auditlog_next_seq(const struct pf_auditlog *l)
{
	return l->last_seq + 1;
}

int64_t pf_auditlog_last_time_ns(const struct pf_auditlog *l)
{
	return l->last_time_ns;
}

uint64_t pf_auditlog_head(const struct pf_auditlog *l, uint8_t hash[32])
{
	memcpy(hash, l->last_hash, PF_SHA256_LEN);
	return l->have_last ? l->last_seq : 0;
}

uint64_t pf_auditlog_found(const struct pf_auditlog *l, uint8_t hash[32])
{
	memcpy(hash, l->found_hash, PF_SHA256_LEN);
	return l->found_seq;
}

/* Checks a caller's line and writes it with "prev" into l->line. */
/* The seq of a line our own JSON writer made: the value after the first
 * "seq": (a key: inside a JSON string a quote is always escaped, so the raw
 * bytes "seq": cannot occur there). -EINVAL if absent or not digits. */
static int own_seq(const char *s, size_t len, uint64_t *ret)
{
	const char *p = memmem(s, len, "\"seq\":", 6), *end = s + len;
	uint64_t v = 0;

	if (!p)
		return -EINVAL;
	p += 6;
	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return 0;
}

static int build_line(struct pf_auditlog *l, const char *s, size_t len, int own)
{
	struct pf_logrec *rec;
	uint64_t seq;
	int r = 0;

	if (!s || len < 3 || s[0] != '{' || s[len - 1] != '\n' || s[len - 2] != '}' ||
	    memchr(s, '\n', len - 1))
		return -EINVAL;
	if (len > PF_LOG_LINE_MAX)
		return -E2BIG;
	if (own) {
		if (memmem(s, len, "\"prev\":", 7) || own_seq(s, len, &seq) < 0)
			return -EINVAL;
		if (seq != pf_auditlog_next_seq(l))
			return -EILSEQ;
		goto build;
	}
	rec = malloc(sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	if (pf_logrec_parse(s, len, rec) < 0 || rec->n == 0 || pf_logrec_find(rec, "prev"))
		r = -EINVAL;
	else if (pf_logrec_u64(rec, "seq", &seq) < 0)
		r = -EINVAL;
	else if (seq != pf_auditlog_next_seq(l))
		r = -EILSEQ;
	free(rec);
	if (r < 0)
		return r;
build:
	pf_buf_reset(&l->line);
	pf_buf_putn(&l->line, s, len - 2);
	if (l->have_last) {
		pf_buf_puts(&l->line, ",\"prev\":\"");
		pf_hex(&l->line, l->last_hash, PF_SHA256_LEN);
		pf_buf_putc(&l->line, '"');
	}
	pf_buf_puts(&l->line, "}\n");
	if (l->line.oom)
		return -ENOMEM;
	if (l->line.len > PF_LOG_LINE_MAX)
		return -E2BIG;
	return 0;
}

/* The chain now ends with l->line. */
static void commit_line(struct pf_auditlog *l)
{
	pf_sha256(l->line.data, l->line.len, l->last_hash);
	l->have_last = 1;
	l->last_seq++;
}

/* Writes l->line to the active file with one write(). */
static int write_line(struct pf_auditlog *l)
{
	ssize_t w;

	if (l->wedged)
		return -EIO;
	do
		w = write(l->fd, l->line.data, l->line.len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	if ((size_t)w != l->line.len) {
		/* disk full mid-line: take the fragment back, never leave a torn line */
		if (ftruncate(l->fd, (off_t)l->size) < 0)
			l->wedged = 1; /* the next open cuts it as a torn tail */
		return -ENOSPC;
	}
	l->size += (uint64_t)w;
	l->dirty = 1;
	commit_line(l);
	if (l->fsync_every)
		pf_auditlog_sync(l);
	return 0;
}

void pf_auditlog_record_begin(struct pf_auditlog *l, struct pf_json *j, struct pf_buf *b,
			      const char *decision)
{
	char ts[64];

	pf_buf_reset(b);
	pf_json_init(j, b, 0);
	pf_rfc3339_ns(pf_now_ns(), ts, sizeof(ts));
	pf_json_obj_begin(j);
	pf_json_key(j, "time");
	pf_json_str(j, ts);
	pf_json_key(j, "host");
	pf_json_str(j, l->host);
	pf_json_key(j, "seq");
	pf_json_uint(j, pf_auditlog_next_seq(l));
	pf_json_key(j, "decision");
	pf_json_str(j, decision);
}

static int record_finish(struct pf_json *j, struct pf_buf *b)
{
	pf_json_obj_end(j);
	pf_buf_putc(b, '\n');
	if (b->oom)
		return -ENOMEM;
	if (j->misuse || j->depth != 0)
		return -EINVAL;
	return 0;
}

int pf_auditlog_record_end(struct pf_auditlog *l, struct pf_json *j, struct pf_buf *b)
{
	int r = record_finish(j, b);

	if (r < 0)
		return r;
	return pf_auditlog_append_own(l, b->data, b->len);
}

/* A record of the writer's own, synced at once. */
static int own_record_end(struct pf_auditlog *l, struct pf_json *j, struct pf_buf *b)
{
	int r = pf_auditlog_record_end(l, j, b);

	if (r == 0)
		r = pf_auditlog_sync(l);
	return r;
}

void pf_auditlog_duration(int64_t ns, char *out, size_t outsz)
{
	int64_t s = ns / 1000000000LL;
	size_t n = 0;

	if (s < 0)
		s = 0;
	if (s >= 86400)
		n += (size_t)snprintf(out + n, outsz - n, "%lldd", (long long)(s / 86400));
	if (s >= 3600 && n < outsz)
		n += (size_t)snprintf(out + n, outsz - n, "%lldh", (long long)(s % 86400 / 3600));
	if (s >= 60 && n < outsz)
		n += (size_t)snprintf(out + n, outsz - n, "%lldm", (long long)(s % 3600 / 60));
	if (n < outsz)
		snprintf(out + n, outsz - n, "%llds", (long long)(s % 60));
}

int pf_auditlog_gap(struct pf_auditlog *l, int64_t down_from_ns, int64_t down_to_ns,
		    const char *reason, const char *enforcement)
{
	struct pf_json j;
	struct pf_buf b;
	char ts[64], d[64];
	int r;

	pf_buf_init(&b);
	pf_auditlog_record_begin(l, &j, &b, "gap");
	pf_json_key(&j, "from");
	pf_rfc3339_ns(down_from_ns, ts, sizeof(ts));
	pf_json_str(&j, ts);
	pf_json_key(&j, "to");
	pf_rfc3339_ns(down_to_ns, ts, sizeof(ts));
	pf_json_str(&j, ts);
	pf_json_key(&j, "down_ns");
	pf_json_int(&j, down_to_ns - down_from_ns);
	pf_auditlog_duration(down_to_ns - down_from_ns, d, sizeof(d));
	pf_json_key(&j, "down");
	pf_json_str(&j, d);
	pf_json_key(&j, "reason");
	pf_json_str(&j, reason ? reason : "the agent was not running: events beyond the ring buffer's capacity are counted as lost");
	if (enforcement) {
		pf_json_key(&j, "enforcement");
		pf_json_str(&j, enforcement);
	}
	r = own_record_end(l, &j, &b);
	pf_buf_free(&b);
	return r;
}

static int chain_start(struct pf_auditlog *l)
{
	uint8_t id[16];
	char *boot = NULL;
	size_t blen = 0;
	struct pf_json j;
	struct pf_buf b, hex;
	int r;

	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return -errno ? -errno : -EIO;
	pf_buf_init(&b);
	pf_buf_init(&hex);
	pf_hex(&hex, id, sizeof(id));
	pf_auditlog_record_begin(l, &j, &b, "chain-start");
	pf_json_key(&j, "v");
	pf_json_uint(&j, PF_AUDITLOG_VERSION);
	pf_json_key(&j, "chain");
	pf_json_strn(&j, hex.data ? hex.data : "", hex.len);
	if (pf_read_file("/proc/sys/kernel/random/boot_id", 128, &boot, &blen) == 0) {
		while (blen && (boot[blen - 1] == '\n' || boot[blen - 1] == ' '))
			blen--;
		pf_json_key(&j, "boot_id");
		pf_json_strn(&j, boot, blen);
		free(boot);
	}
	pf_json_key(&j, "pid");
	pf_json_uint(&j, (uint64_t)getpid());
	r = own_record_end(l, &j, &b);
	pf_buf_free(&hex);
	pf_buf_free(&b);
	return r;
}

static int torn_tail(struct pf_auditlog *l, uint64_t bytes, const uint8_t hash[PF_SHA256_LEN],
		     const char *data, size_t dlen)
{
	struct pf_json j;
	struct pf_buf b, hex;
	int r;

	pf_buf_init(&b);
	pf_buf_init(&hex);
	pf_hex(&hex, hash, PF_SHA256_LEN);
	pf_auditlog_record_begin(l, &j, &b, "torn-tail");
	pf_json_key(&j, "bytes");
	pf_json_uint(&j, bytes);
	pf_json_key(&j, "sha256");
	pf_json_strn(&j, hex.data ? hex.data : "", hex.len);
	pf_json_key(&j, "data");
	pf_json_strn(&j, data, dlen);
	if (bytes > dlen) {
		pf_json_key(&j, "data_truncated");
		pf_json_bool(&j, 1);
	}
	pf_json_key(&j, "reason");
	pf_json_str(&j, "the log ended in an incomplete line (a write cut short by a crash); it was removed");
	r = own_record_end(l, &j, &b);
	pf_buf_free(&hex);
	pf_buf_free(&b);
	return r;
}

/* --- rotation ---------------------------------------------------------------- */

/* Compresses the active file into l->tmp_gz; counts its lines. */
static int compress_active(struct pf_auditlog *l, uint64_t *ret_lines)
{
	char *buf = NULL;
	uint64_t off = 0, lines = 0;
	gzFile gz = NULL;
	int fd, gfd = -1, r = 0;

	fd = open(l->tmp_gz, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, l->mode);
	if (fd < 0)
		return -errno;
	buf = malloc(64 * 1024);
	gfd = dup(fd);
	if (!buf || gfd < 0) {
		r = buf ? -errno : -ENOMEM;
		goto out;
	}
	/* level 1: rotation runs in the agent's thread while events queue in the
	 * ring; level 6 took 3x longer for ~10% smaller files */
	gz = gzdopen(gfd, "wb1");
	if (!gz) {
		r = -ENOMEM;
		goto out;
	}
	gfd = -1;
	while (off < l->size) {
		size_t n = l->size - off > 64 * 1024 ? 64 * 1024 : (size_t)(l->size - off);

		r = pread_all(l->fd, buf, n, (off_t)off);
		if (r < 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		if (gzwrite(gz, buf, (unsigned)n) != (int)n) {
			r = -EIO;
			goto out;
		}
		off += n;
	}
	r = gzclose(gz) == Z_OK ? 0 : -EIO;
	gz = NULL;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	*ret_lines = lines;
out:
	if (gz)
		gzclose(gz);
	if (gfd >= 0)
		close(gfd);
	close(fd);
	free(buf);
	if (r < 0)
		unlink(l->tmp_gz);
	return r;
}

/* Step 3: make room for a new path.1.gz. */
static int shift_rotated(struct pf_auditlog *l)
{
	char **files = NULL;
	unsigned *idx = NULL;
	size_t n = 0;
	int r;

	r = pf_log_files(l->path, &files, &idx, &n);
	if (r < 0)
		return r;
	/* files are listed highest index first */
	for (size_t i = 0; i < n && r == 0; i++) {
		if (idx[i] == 0)
			continue;
		if (idx[i] >= l->keep) {
			if (unlink(files[i]) < 0 && errno != ENOENT)
				r = -errno;
		} else {
			char *to = pf_log_rotated_name(l->path, idx[i] + 1);
			if (!to)
				r = -ENOMEM;
			else if (rename(files[i], to) < 0 && errno != ENOENT)
				r = -errno;
			free(to);
		}
	}
	pf_log_files_free(files, idx, n);
	return r;
}

/* Step 5: a new active file holding the "rotated" record. */
static int start_new_active(struct pf_auditlog *l, uint64_t lines, uint64_t bytes)
{
	struct pf_json j;
	struct pf_buf b;
	int fd, r;

	pf_buf_init(&b);
	pf_auditlog_record_begin(l, &j, &b, "rotated");
	pf_json_key(&j, "v");
	pf_json_uint(&j, PF_AUDITLOG_VERSION);
	pf_json_key(&j, "file");
	{
		char *name = pf_log_rotated_name(l->base, 1);
		pf_json_str(&j, name ? name : "");
		free(name);
	}
	pf_json_key(&j, "lines");
	pf_json_uint(&j, lines);
	pf_json_key(&j, "bytes");
	pf_json_uint(&j, bytes);
	r = record_finish(&j, &b);
	if (r == 0)
		r = build_line(l, b.data, b.len, 1);
	pf_buf_free(&b);
	if (r < 0)
		return r;
	fd = open(l->tmp_new, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, l->mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, l->mode) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		r = -errno;
	if (r == 0)
		r = pf_write_all(fd, l->line.data, l->line.len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(l->tmp_new, l->path) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		unlink(l->tmp_new);
		return r;
	}
	fsync_dir(l);
	close(l->fd);
	l->fd = fd;
	l->size = l->line.len;
	l->dirty = 0;
	commit_line(l);
	return 0;
}

static int rotate(struct pf_auditlog *l)
{
	uint64_t lines = 0, bytes = l->size;
	const char *step;
	int r;

	step = "fdatasync";
	r = fdatasync(l->fd) < 0 ? -errno : 0;
	l->dirty = 0;
	if (r == 0) {
		step = "compressing";
		r = compress_active(l, &lines);
	}
	if (r == 0) {
		step = "shifting the rotated files";
		r = shift_rotated(l);
		if (r < 0)
			unlink(l->tmp_gz);
	}
	if (r == 0) {
		step = "renaming the compressed file";
		if (rename(l->tmp_gz, l->first_gz) < 0) {
			r = -errno;
			unlink(l->tmp_gz);
		}
	}
	if (r == 0) {
		fsync_dir(l);
		step = "starting the new active file";
		r = start_new_active(l, lines, bytes);
		if (r < 0)
			unlink(l->first_gz); /* the active file still holds all */
	}
	if (r < 0) {
		snprintf(l->err, sizeof(l->err), "audit log %s: rotation failed while %s: %s",
			 l->path, step, strerror(-r));
		l->err_pending = 1;
		l->rotate_after_ns = pf_now_ns() + ROTATE_RETRY_NS;
	}
	return r;
}

int pf_auditlog_rotate(struct pf_auditlog *l)
{
	return rotate(l);
}

int pf_auditlog_take_error(struct pf_auditlog *l, struct pf_err *ret)
{
	if (!l->err_pending)
		return 0;
	l->err_pending = 0;
	pf_err_set(ret, "%s", l->err);
	return 1;
}

static int append(struct pf_auditlog *l, const char *json_line, size_t len, int own)
{
	int r = build_line(l, json_line, len, own);

	if (r < 0)
		return r;
	r = write_line(l);
	if (r < 0)
		return r;
	if (l->max_size && l->size + l->line.len > l->max_size &&
	    (!l->rotate_after_ns || pf_now_ns() >= l->rotate_after_ns))
		rotate(l);
	return 0;
}

int pf_auditlog_append(struct pf_auditlog *l, const char *json_line, size_t len)
{
	return append(l, json_line, len, 0);
}

int pf_auditlog_append_own(struct pf_auditlog *l, const char *json_line, size_t len)
{
	return append(l, json_line, len, 1);
}

int pf_auditlog_sync(struct pf_auditlog *l)
{
	if (!l->dirty)
		return 0;
	l->dirty = 0;
	return fdatasync(l->fd) < 0 ? -errno : 0;
}

/* --- open and recovery ------------------------------------------------------- */

struct tail {
	int have_last;
	uint8_t last_hash[PF_SHA256_LEN];
	uint64_t last_seq;
	int64_t last_time_ns;
	uint64_t torn;
	uint8_t torn_hash[PF_SHA256_LEN];
	char torn_data[TORN_KEEP];
	size_t torn_len;
};

static int read_tail(struct pf_auditlog *l, struct tail *t, struct pf_err *err)
{
	size_t w = l->size > TAIL_MAX ? TAIL_MAX : (size_t)l->size, cend, lstart;
	int whole = w == l->size, r;
	struct pf_logrec *rec = NULL;
	char *buf, *nl;

	memset(t, 0, sizeof(*t));
	if (w == 0)
		return 0;
	buf = malloc(w);
	rec = malloc(sizeof(*rec));
	if (!buf || !rec) {
		r = -ENOMEM;
		goto out;
	}
	r = pread_all(l->fd, buf, w, (off_t)(l->size - w));
	if (r < 0) {
		pf_err_set(err, "audit log %s: reading its tail: %s", l->path, strerror(-r));
		goto out;
	}
	cend = w;
	if (buf[w - 1] != '\n') {
		nl = memrchr(buf, '\n', w);
		if (!nl && !whole) {
			r = -EBADMSG;
			pf_err_set(err, "audit log %s: its last %zu bytes hold no newline: not an audit log; "
			       "move it aside",
			       l->path, w);
			goto out;
		}
		cend = nl ? (size_t)(nl - buf) + 1 : 0;
		t->torn = w - cend;
		if (t->torn > PF_LOG_LINE_MAX) {
			r = -EBADMSG;
			pf_err_set(err, "audit log %s: it ends in %llu bytes without a newline, more than a line "
			       "can hold: not an audit log; move it aside",
			       l->path, (unsigned long long)t->torn);
			goto out;
		}
		pf_sha256(buf + cend, t->torn, t->torn_hash);
		t->torn_len = t->torn > TORN_KEEP ? TORN_KEEP : t->torn;
		memcpy(t->torn_data, buf + cend, t->torn_len);
	}
	if (cend == 0)
		goto out;
	nl = cend >= 2 ? memrchr(buf, '\n', cend - 1) : NULL;
	if (!nl && !whole) {
		r = -EBADMSG;
		pf_err_set(err, "audit log %s: its last line is longer than %d bytes: not an audit "
		       "log; move it aside", l->path, PF_LOG_LINE_MAX);
		goto out;
	}
	lstart = nl ? (size_t)(nl - buf) + 1 : 0;
	if (cend - lstart > PF_LOG_LINE_MAX || pf_logrec_parse(buf + lstart, cend - lstart, rec) < 0 ||
	    pf_logrec_u64(rec, "seq", &t->last_seq) < 0) {
		r = -EBADMSG;
		pf_err_set(err, "audit log %s: its last line is not an audit record (no JSON object with a "
		       "seq); nothing was changed: move the file aside (mv %s %s.damaged) and start "
		       "again, then keep the damaged file as evidence",
		       l->path, l->path, l->path);
		goto out;
	}
	if (pf_logrec_time(rec, &t->last_time_ns) < 0)
		t->last_time_ns = 0;
	pf_sha256(buf + lstart, cend - lstart, t->last_hash);
	t->have_last = 1;
out:
	free(rec);
	free(buf);
	return r;
}

/* The SHA-256 of the last line of path.1.gz and its line and byte counts;
 * -ENOENT if there is no such file, another error if it is unreadable. */
static int first_gz_tail(struct pf_auditlog *l, uint8_t hash[PF_SHA256_LEN], uint64_t *ret_lines,
			 uint64_t *ret_bytes)
{
	struct pf_log_reader *rd;
	const char *line;
	size_t len;
	uint64_t lines = 0, bytes = 0;
	int r, any = 0;

	if (access(l->first_gz, F_OK) < 0)
		return -errno;
	r = pf_log_reader_open(l->first_gz, 0, &rd);
	if (r < 0)
		return r;
	while ((r = pf_log_reader_next(rd, &line, &len)) == 1) {
		pf_sha256(line, len, hash);
		lines++;
		bytes += len;
		any = 1;
	}
	pf_log_reader_close(rd);
	if (r < 0)
		return r;
	*ret_lines = lines;
	*ret_bytes = bytes;
	return any ? 0 : -ENODATA;
}

void pf_auditlog_close(struct pf_auditlog *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		pf_auditlog_sync(l);
		close(l->fd);
	}
	free(l->path);
	free(l->dir);
	free(l->base);
	free(l->tmp_gz);
	free(l->tmp_new);
	free(l->first_gz);
	pf_buf_free(&l->line);
	free(l);
}

int pf_auditlog_open(const char *path, const struct pf_auditlog_opts *o, struct pf_auditlog **ret,
		     struct pf_err *err)
{
	struct pf_auditlog *l = NULL;
	struct tail *t = NULL;
	const char *slash;
	struct stat st;
	int r = 0;

	if (!path || !*path || !o || o->keep > PF_LOG_MAX_FILES ||
	    (o->host && strlen(o->host) >= sizeof(l->host))) {
		pf_err_set(err, "audit log: invalid options");
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	t = malloc(sizeof(*t));
	if (!l || !t) {
		free(l);
		free(t);
		pf_err_set(err, "out of memory");
		return -ENOMEM;
	}
	l->fd = -1;
	pf_buf_init(&l->line);
	l->max_size = o->max_size;
	l->keep = o->keep ? o->keep : PF_AUDITLOG_KEEP_DEFAULT;
	l->fsync_every = o->fsync == PF_AUDITLOG_FSYNC_EVERY;
	l->mode = o->mode ? o->mode : 0640;
	if (o->host)
		snprintf(l->host, sizeof(l->host), "%s", o->host);
	else if (gethostname(l->host, sizeof(l->host) - 1) < 0)
		snprintf(l->host, sizeof(l->host), "unknown");
	slash = strrchr(path, '/');
	l->path = strdup(path);
	l->base = strdup(slash ? slash + 1 : path);
	l->dir = pf_path_dir(path);
	if (asprintf(&l->tmp_gz, "%s.1.gz.tmp", path) < 0)
		l->tmp_gz = NULL;
	if (asprintf(&l->tmp_new, "%s.new.tmp", path) < 0)
		l->tmp_new = NULL;
	l->first_gz = pf_log_rotated_name(path, 1);
	if (!l->path || !l->base || !l->dir || !l->tmp_gz || !l->tmp_new || !l->first_gz) {
		r = -ENOMEM;
		pf_err_set(err, "out of memory");
		goto out;
	}
	if (!*l->base) {
		r = -EINVAL;
		pf_err_set(err, "audit log %s: a directory, not a file", path);
		goto out;
	}
	/* leftovers of a rotation cut short (see the top of this file) */
	unlink(l->tmp_gz);
	unlink(l->tmp_new);

	l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, l->mode);
	if (l->fd < 0) {
		r = -errno;
		pf_err_set(err, "audit log %s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		pf_err_set(err, "audit log %s: %s", path,
		       r == -EBUSY ? "another process is writing it" : strerror(errno));
		goto out;
	}
	if (fstat(l->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		pf_err_set(err, "audit log %s: not a regular file", path);
		goto out;
	}
	l->mode = st.st_mode & 07777;
	l->size = (uint64_t)st.st_size;
	r = read_tail(l, t, err);
	if (r < 0)
		goto out;
	if (t->torn) {
		if (ftruncate(l->fd, (off_t)(l->size - t->torn)) < 0 || fsync(l->fd) < 0) {
			r = -errno;
			pf_err_set(err, "audit log %s: cutting its torn last line: %s", path,
			       strerror(errno));
			goto out;
		}
		l->size -= t->torn;
	}
	l->have_last = t->have_last;
	memcpy(l->last_hash, t->last_hash, PF_SHA256_LEN);
	l->last_seq = t->last_seq;
	l->last_time_ns = t->last_time_ns;
	if (l->have_last) {
		l->found_seq = l->last_seq;
		memcpy(l->found_hash, l->last_hash, PF_SHA256_LEN);
	}
	if (!l->have_last) {
		l->last_seq = 0;
		r = chain_start(l);
		if (r < 0) {
			pf_err_set(err, "audit log %s: writing its chain-start record: %s", path,
			       strerror(-r));
			goto out;
		}
	} else {
		uint8_t h[PF_SHA256_LEN];
		uint64_t lines = 0, bytes = 0;

		/* a rotation interrupted between its steps 4 and 5 */
		if (first_gz_tail(l, h, &lines, &bytes) == 0 &&
		    memcmp(h, l->last_hash, PF_SHA256_LEN) == 0) {
			r = start_new_active(l, lines, bytes);
			if (r < 0) {
				pf_err_set(err, "audit log %s: completing an interrupted rotation: %s", path,
				       strerror(-r));
				goto out;
			}
		}
	}
	if (t->torn) {
		r = torn_tail(l, t->torn, t->torn_hash, t->torn_data, t->torn_len);
		if (r < 0) {
			pf_err_set(err, "audit log %s: writing its torn-tail record: %s", path,
			       strerror(-r));
			goto out;
		}
	}
	*ret = l;
	l = NULL;
out:
	free(t);
	pf_auditlog_close(l);
	return r;
}

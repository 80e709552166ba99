/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The tamper-evident audit-log writer. See auditlog.h and docs/audit-log.md.
 *
 * Lines are chained in memory into a batch and the batch is written with one
 * write(); a short write is cut back to its last whole line (ftruncate), so
 * the file never ends in a fragment. A single append is a batch of one.
 *
 * Rotation, in this order, so that a crash at any point leaves every line in
 * at least one file and the chain intact:
 *   1. fdatasync the active file;
 *   2. delete path.KEEP.gz (and anything above), rename path.N.gz to
 *      path.N+1.gz from the oldest down;
 *   3. hard-link the active file as path.1 (uncompressed), fsync the
 *      directory;
 *   4. write the "rotated" record to path.new.tmp, fsync it, rename it over
 *      the active file, fsync the directory;
 *   5. off the event path, in the compressor's threads (logzip.c), which
 *      have been compressing the active file into path.1.gz.tmp as it grew:
 *      compress the rest, fsync it, rename it to path.1.gz, fsync the
 *      directory, unlink path.1.
 * Readers list path.1 in path.1.gz's place while it exists (logfile.c).
 * A crash before 3 leaves the active file whole (a gap in the numbering is
 * harmless). A crash between 3 and 4 leaves path.1 and the active file as
 * one inode: the next open sees it and does 4 and 5. A crash in 5 leaves
 * path.1 whole (and perhaps a stale .tmp, removed): the next open compresses
 * it again, or, if path.1.gz was already renamed in place and ends with the
 * same line, unlinks path.1. Logs of earlier versions compressed before step
 * 4 (path.1.gz and the active file ending with the same line): the next open
 * does step 4 for them too.
 *
 * While the log cannot be written (disk full, I/O error) the writer counts
 * the lines it could not write by decision and tries again every second; the
 * first write that works is a "log-gap" record with those counts. */
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

#include "auditlog.h"
#include "logfile.h"
#include "logrec.h"
#include "logzip.h"
#include "util.h"

#define TAIL_MAX (2 * PF_LOG_LINE_MAX + 2)
#define TORN_KEEP 4096
#define ROTATE_RETRY_NS (10 * 1000000000LL)
#define OUTAGE_RETRY_NS 1000000000LL
/* decisions counted by name in an outage; more go to "other" */
#define OUTAGE_NAMES 16

struct outage {
	int active, trying;
	int err;                 /* errno of the first failure */
	int64_t since_ns, next_try_ns;
	uint64_t total, other;
	size_t n;
	struct {
		char name[32];
		uint64_t n;
	} d[OUTAGE_NAMES];
};

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
	uint64_t first_seq; /* of the active file's first line; 0: unknown */
	size_t last_len;    /* of the last line written */

	/* the batch: chained lines in memory, not yet written */
	struct pf_buf bat;
	size_t bat_n;
	uint8_t tip_hash[PF_SHA256_LEN]; /* of the batch's last line */

	char *plain1;       /* path.1: a rotated file not yet compressed */
	struct pf_logzip *z; /* the compressor (logzip.c) */

	struct outage out;
	int gap_new; /* a log-gap record was written, not yet taken */
	struct pf_auditlog_gap_written gap;

	int64_t rotate_after_ns; /* no rotation attempt before (after a failure) */
	int err_pending;
	char err[1024];

	struct pf_buf line;
};

/* --- building lines -------------------------------------------------------- */

uint64_t pf_auditlog_next_seq(const struct pf_auditlog *l)
{
	return l->last_seq + l->bat_n + 1;
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

/* 1 if a line our own JSON writer made has the key "prev" (see own_seq:
 * the raw bytes "prev": can only be a key). Found from its 'v', a rare
 * byte in a line, with memchr: glibc's memmem walks a short needle byte by
 * byte, and this check reads every line of the event path in full. */
static int own_has_prev(const char *s, size_t len)
{
	/* v is byte 4 of the 7: the 4 before it and the 2 after it exist */
	const char *v = s + 4, *end = s + len;

	while (v + 2 < end && (v = memchr(v, 'v', (size_t)(end - v - 2))) != NULL) {
		if (memcmp(v - 4, "\"prev\":", 7) == 0)
			return 1;
		v++;
	}
	return 0;
}

/* Checks a caller's line and appends it with "prev" (the hash of the line
 * before: the batch's last, else the file's) to @out; @out is unchanged on
 * failure. */
static int build_line(struct pf_auditlog *l, const char *s, size_t len, int own,
		      struct pf_buf *out)
{
	const uint8_t *prev = l->bat_n ? l->tip_hash : l->have_last ? l->last_hash : NULL;
	size_t at = out->len;
	struct pf_logrec *rec;
	uint64_t seq;
	int r = 0;

	if (!s || len < 3 || s[0] != '{' || s[len - 1] != '\n' || s[len - 2] != '}' ||
	    memchr(s, '\n', len - 1))
		return -EINVAL;
	if (len > PF_LOG_LINE_MAX)
		return -E2BIG;
	if (own) {
		if (own_has_prev(s, len) || own_seq(s, len, &seq) < 0)
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
	pf_buf_putn(out, s, len - 2);
	if (prev) {
		pf_buf_putn(out, ",\"prev\":\"", 9);
		pf_hex(out, prev, PF_SHA256_LEN);
		pf_buf_putc(out, '"');
	}
	pf_buf_putn(out, "}\n", 2);
	if (out->oom)
		r = -ENOMEM;
	else if (out->len - at > PF_LOG_LINE_MAX)
		r = -E2BIG;
	if (r < 0) {
		out->len = at;
		out->oom = 0;
	}
	return r;
}

/* --- outage: the log cannot be written ------------------------------------- */

/* The "decision" of a line of ours (a key: see own_seq), into @name. */
static void line_decision(const char *s, size_t len, char *name, size_t namesz)
{
	const char *p = memmem(s, len, "\"decision\":\"", 12), *q;

	snprintf(name, namesz, "unknown");
	if (!p)
		return;
	p += 12;
	q = memchr(p, '"', (size_t)(s + len - p));
	if (q && (size_t)(q - p) < namesz) {
		memcpy(name, p, (size_t)(q - p));
		name[q - p] = '\0';
	}
}

static void outage_add(struct outage *o, const char *name, uint64_t n);

static void outage_count(struct pf_auditlog *l, const char *s, size_t len)
{
	char name[32];

	line_decision(s, len, name, sizeof(name));
	outage_add(&l->out, name, 1);
}

/* Each line of buf[0..len) counted as not written. */
static void outage_count_all(struct pf_auditlog *l, const char *buf, size_t len)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) + 1 : len;

		outage_count(l, buf, n);
		buf += n;
		len -= n;
	}
}

static void outage_begin(struct pf_auditlog *l, int err)
{
	int64_t now = pf_now_ns();

	if (!l->out.active) {
		memset(&l->out, 0, sizeof(l->out));
		l->out.active = 1;
		l->out.err = err;
		l->out.since_ns = now;
	}
	l->out.next_try_ns = now + OUTAGE_RETRY_NS;
}

static int batch_commit(struct pf_auditlog *l);

/* Writes the log-gap record if it is time to try; ends the outage if it
 * was written. */
static void outage_try(struct pf_auditlog *l)
{
	struct outage *o = &l->out;
	struct pf_json j;
	struct pf_buf b;
	char ts[64];
	int64_t now = pf_now_ns();
	uint64_t seq;
	int r;

	if (!o->active || o->trying || now < o->next_try_ns || l->bat_n)
		return;
	o->next_try_ns = now + OUTAGE_RETRY_NS;
	if (l->wedged && ftruncate(l->fd, (off_t)l->size) == 0)
		l->wedged = 0;
	pf_buf_init(&b);
	pf_auditlog_record_begin(l, &j, &b, "log-gap");
	pf_json_key(&j, "from");
	pf_rfc3339_ns(o->since_ns, ts, sizeof(ts));
	pf_json_str(&j, ts);
	pf_json_key(&j, "to");
	pf_rfc3339_ns(now, ts, sizeof(ts));
	pf_json_str(&j, ts);
	pf_json_key(&j, "missed");
	pf_json_uint(&j, o->total);
	pf_json_key(&j, "missed_by_decision");
	pf_json_obj_begin(&j);
	for (size_t i = 0; i < o->n; i++) {
		pf_json_key(&j, o->d[i].name);
		pf_json_uint(&j, o->d[i].n);
	}
	if (o->other) {
		pf_json_key(&j, "other");
		pf_json_uint(&j, o->other);
	}
	pf_json_obj_end(&j);
	pf_json_key(&j, "error");
	pf_json_str(&j, strerror(o->err));
	pf_json_key(&j, "reason");
	pf_json_str(&j, "the audit log could not be written; these records were counted, not written "
			"(the kernel kept enforcing, and their syslog copies were sent)");
	o->trying = 1;
	seq = pf_auditlog_next_seq(l);
	r = pf_auditlog_record_end(l, &j, &b);
	o->trying = 0;
	pf_buf_free(&b);
	if (r == 0) {
		pf_auditlog_outage(l, &l->gap.o);
		l->gap.to_ns = now;
		l->gap.seq = seq;
		l->gap_new = 1;
		memset(o, 0, sizeof(*o));
		pf_auditlog_sync(l);
	}
}

int pf_auditlog_outage(struct pf_auditlog *l, struct pf_auditlog_outage *ret)
{
	const struct outage *o = &l->out;

	if (!o->active)
		return 0;
	if (ret) {
		memset(ret, 0, sizeof(*ret));
		ret->since_ns = o->since_ns;
		ret->err = o->err;
		ret->missed = o->total;
		for (size_t i = 0; i < o->n && i < PF_AUDITLOG_OUTAGE_NAMES; i++) {
			snprintf(ret->decision[i], sizeof(ret->decision[i]), "%s", o->d[i].name);
			ret->count[i] = o->d[i].n;
			ret->n = i + 1;
		}
		ret->other = o->other;
	}
	return 1;
}

void pf_auditlog_retry(struct pf_auditlog *l)
{
	outage_try(l);
}

/* @n lines of @name into the counts. */
static void outage_add(struct outage *o, const char *name, uint64_t n)
{
	size_t i;

	for (i = 0; i < o->n && strcmp(o->d[i].name, name); i++)
		;
	if (i == o->n && o->n < OUTAGE_NAMES)
		snprintf(o->d[o->n++].name, sizeof(o->d[0].name), "%s", name);
	if (i < o->n)
		o->d[i].n += n;
	else
		o->other += n;
	o->total += n;
}

void pf_auditlog_outage_restore(struct pf_auditlog *l, const struct pf_auditlog_outage *k)
{
	struct outage *o = &l->out;

	if (!k->since_ns)
		return;
	if (!o->active) {
		memset(o, 0, sizeof(*o));
		o->active = 1;
		o->err = k->err;
		o->since_ns = k->since_ns;
	} else if (k->since_ns < o->since_ns) {
		o->since_ns = k->since_ns;
		o->err = k->err;
	}
	for (size_t i = 0; i < k->n && i < PF_AUDITLOG_OUTAGE_NAMES; i++)
		outage_add(o, k->decision[i], k->count[i]);
	o->other += k->other;
	o->total += k->other;
	o->next_try_ns = 0; /* at once */
}

int pf_auditlog_take_gap(struct pf_auditlog *l, struct pf_auditlog_gap_written *ret)
{
	if (!l || !l->gap_new)
		return 0;
	*ret = l->gap;
	l->gap_new = 0;
	return 1;
}

/* --- the batch --------------------------------------------------------------- */

static int batch_add(struct pf_auditlog *l, const char *s, size_t len, int own)
{
	size_t at = l->bat.len;
	int r;

	/* In an outage the line is counted. The log-gap record is tried by
	 * pf_auditlog_retry() (and at close), never here: it would take the
	 * seq this line was built with. */
	if (l->out.active && !l->out.trying) {
		outage_count(l, s, len);
		return -l->out.err;
	}
	r = build_line(l, s, len, own, &l->bat);
	if (r < 0)
		return r;
	pf_sha256(l->bat.data + at, l->bat.len - at, l->tip_hash);
	l->bat_n++;
	return 0;
}

/* Length of the last line of buf[0..len) (len > 0, ends in '\n'). */
static size_t last_line_len(const char *buf, size_t len)
{
	const char *nl = len > 1 ? memrchr(buf, '\n', len - 1) : NULL;

	return nl ? len - (size_t)(nl - buf) - 1 : len;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = buf, *e = buf + len; (p = memchr(p, '\n', (size_t)(e - p))); p++)
		n++;
	return n;
}

static void maybe_rotate(struct pf_auditlog *l);

/* The batch in one write(). On a failure the whole lines that made it stay
 * (a fragment is cut off), the rest are counted by the outage. */
static int batch_commit(struct pf_auditlog *l)
{
	size_t len = l->bat.len, done = 0, keep;
	int err = 0;

	if (!l->bat_n)
		return 0;
	if (l->wedged)
		err = EIO;
	while (!err && done < len) {
		ssize_t w = write(l->fd, l->bat.data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			err = w < 0 ? errno : ENOSPC;
		else
			done += (size_t)w;
	}
	if (!err) {
		memcpy(l->last_hash, l->tip_hash, PF_SHA256_LEN);
		l->have_last = 1;
		l->last_seq += l->bat_n;
		l->last_len = last_line_len(l->bat.data, len);
		l->size += len;
		l->dirty = 1;
		l->bat_n = 0;
		pf_buf_reset(&l->bat);
		if (l->fsync_every)
			pf_auditlog_sync(l);
		pf_logzip_grown(l->z, l->size);
		maybe_rotate(l);
		return 0;
	}
	/* keep the whole lines written, take a fragment back */
	{
		const char *nl = done ? memrchr(l->bat.data, '\n', done) : NULL;

		keep = nl ? (size_t)(nl - l->bat.data) + 1 : 0;
	}
	if (done > keep && ftruncate(l->fd, (off_t)(l->size + keep)) < 0)
		l->wedged = 1; /* the next open cuts it as a torn tail */
	if (keep) {
		pf_sha256(l->bat.data + keep - last_line_len(l->bat.data, keep),
			  last_line_len(l->bat.data, keep), l->last_hash);
		l->have_last = 1;
		l->last_seq += count_lines(l->bat.data, keep);
		l->last_len = last_line_len(l->bat.data, keep);
		l->size += keep;
		l->dirty = 1;
		pf_logzip_grown(l->z, l->size);
	}
	if (!l->out.trying) {
		outage_begin(l, err);
		outage_count_all(l, l->bat.data + keep, len - keep);
	}
	l->bat_n = 0;
	pf_buf_reset(&l->bat);
	return -err;
}

int pf_auditlog_batch_add_own(struct pf_auditlog *l, const char *json_line, size_t len)
{
	return batch_add(l, json_line, len, 1);
}

int pf_auditlog_batch_commit(struct pf_auditlog *l)
{
	return batch_commit(l);
}

size_t pf_auditlog_batch_lines(const struct pf_auditlog *l)
{
	return l->bat_n;
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

/* Collects the result of a rotated file's compression (@wait: waits for
 * it). 1 while it runs. */
static int zip_reap(struct pf_auditlog *l, int wait)
{
	const char *step;
	int r;

	if (pf_logzip_reap(l->z, wait, &r, &step))
		return 1;
	if (r < 0) {
		snprintf(l->err, sizeof(l->err),
			 "audit log %s: compressing the rotated file failed while %s: %s (%s is kept "
			 "uncompressed and compressed again at the next rotation)",
			 l->path, step, strerror(-r), l->plain1);
		l->err_pending = 1;
		/* not a try per batch while the disk is full */
		l->rotate_after_ns = pf_now_ns() + ROTATE_RETRY_NS;
	}
	return 0;
}

int pf_auditlog_wait(struct pf_auditlog *l)
{
	zip_reap(l, 1);
	return 0;
}

/* Step 2: make room for a new path.1.gz. */
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
		size_t fl = strlen(files[i]);

		if (idx[i] == 0 || fl < 3 || strcmp(files[i] + fl - 3, ".gz"))
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

/* Step 4: a new active file holding the "rotated" record. */
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
	pf_buf_reset(&l->line);
	if (r == 0)
		r = build_line(l, b.data, b.len, 1, &l->line);
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
	pf_fsync_dir(l->dir);
	close(l->fd);
	l->fd = fd;
	l->size = l->line.len;
	l->dirty = 0;
	pf_sha256(l->line.data, l->line.len, l->last_hash);
	l->have_last = 1;
	l->last_seq++;
	l->first_seq = l->last_seq;
	l->last_len = l->line.len;
	return 0;
}

/* Lines of the active file: from the seqs of its first and last lines, or
 * counted when the first is unknown. */
static uint64_t active_lines(struct pf_auditlog *l)
{
	char *buf;
	uint64_t off = 0, lines = 0;

	if (l->first_seq && l->last_seq >= l->first_seq)
		return l->last_seq - l->first_seq + 1;
	buf = malloc(64 * 1024);
	while (buf && off < l->size) {
		size_t n = l->size - off > 64 * 1024 ? 64 * 1024 : (size_t)(l->size - off);

		if (pf_pread_all(l->fd, buf, n, (off_t)off) < 0)
			break;
		lines += count_lines(buf, n);
		off += n;
	}
	free(buf);
	return lines;
}

/* Steps 1-4 and the start of 5. */
static int rotate_steps(struct pf_auditlog *l, const char **step)
{
	uint64_t lines = active_lines(l), bytes = l->size;
	int r;

	*step = "fdatasync";
	r = fdatasync(l->fd) < 0 ? -errno : 0;
	l->dirty = 0;
	if (r == 0) {
		*step = "shifting the rotated files";
		r = shift_rotated(l);
	}
	if (r == 0) {
		*step = "linking the active file as the rotated one";
		if (link(l->path, l->plain1) < 0)
			r = -errno;
	}
	if (r == 0) {
		pf_fsync_dir(l->dir);
		*step = "starting the new active file";
		r = start_new_active(l, lines, bytes);
		if (r < 0)
			unlink(l->plain1); /* the active file still holds all */
	}
	if (r == 0) {
		/* the compressor finishes path.1 and follows the new file; not
		 * following it (no descriptor), it compresses it whole at its
		 * rotation */
		pf_logzip_rotated(l->z, bytes);
		pf_logzip_follow(l->z, l->fd, l->size);
	}
	return r;
}

/* -EBUSY: not now (the previous rotated file is still being compressed;
 * @wait waits for it instead). */
static int rotate(struct pf_auditlog *l, int wait)
{
	const char *step;
	int r;

	if (zip_reap(l, wait))
		return -EBUSY;
	if (access(l->plain1, F_OK) == 0) {
		/* a rotated file whose compression failed or was cut short */
		pf_logzip_whole(l->z);
		if (!wait || zip_reap(l, 1) || access(l->plain1, F_OK) == 0)
			return -EBUSY;
	}
	r = rotate_steps(l, &step);
	if (r == 0 && wait)
		zip_reap(l, 1);
	if (r < 0) {
		snprintf(l->err, sizeof(l->err), "audit log %s: rotation failed while %s: %s",
			 l->path, step, strerror(-r));
		l->err_pending = 1;
		l->rotate_after_ns = pf_now_ns() + ROTATE_RETRY_NS;
	}
	return r;
}

/* Rotation is due when another line as long as the last would take the
 * file past max_size, and not held back (a failure's retry, the previous
 * compression still running while the file is below twice max_size). */
static int rotation_due(struct pf_auditlog *l, uint64_t extra)
{
	if (!l->max_size || l->size + extra + l->last_len <= l->max_size)
		return 0;
	if (l->rotate_after_ns && pf_now_ns() < l->rotate_after_ns)
		return 0;
	if (pf_logzip_pending(l->z) && l->size + extra < 2 * l->max_size)
		return 0;
	return 1;
}

static void maybe_rotate(struct pf_auditlog *l)
{
	zip_reap(l, 0);
	if (rotation_due(l, 0))
		rotate(l, l->size >= 2 * l->max_size);
}

int pf_auditlog_batch_full(struct pf_auditlog *l)
{
	if (!l->bat_n)
		return 0;
	return l->bat.len >= PF_AUDITLOG_BATCH_BYTES || rotation_due(l, l->bat.len);
}

int pf_auditlog_rotate(struct pf_auditlog *l)
{
	int r = batch_commit(l);

	return r < 0 ? r : rotate(l, 1);
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
	int r = batch_add(l, json_line, len, own);

	if (r < 0) {
		if (l->bat_n)
			batch_commit(l);
		return r;
	}
	return batch_commit(l);
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
	r = pf_pread_all(l->fd, buf, w, (off_t)(l->size - w));
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

/* The seq of the active file's first line; 0 if it cannot be read. */
static uint64_t first_seq_of(struct pf_auditlog *l)
{
	size_t w = l->size > PF_LOG_LINE_MAX ? PF_LOG_LINE_MAX : (size_t)l->size;
	char *buf = malloc(w + 1), *nl;
	uint64_t seq = 0;

	if (buf && w && pf_pread_all(l->fd, buf, w, 0) == 0 && (nl = memchr(buf, '\n', w)) &&
	    own_seq(buf, (size_t)(nl - buf) + 1, &seq) < 0)
		seq = 0;
	free(buf);
	return seq;
}

/* The SHA-256 of the last line of @path (a plain or gzipped log file). */
static int file_last_hash(const char *path, uint8_t hash[PF_SHA256_LEN])
{
	struct pf_log_reader *rd;
	const char *line;
	size_t len;
	int r, any = 0;

	r = pf_log_reader_open(path, 0, &rd);
	if (r < 0)
		return r;
	while ((r = pf_log_reader_next(rd, &line, &len)) == 1) {
		pf_sha256(line, len, hash);
		any = 1;
	}
	pf_log_reader_close(rd);
	return r < 0 ? r : any ? 0 : -ENODATA;
}

/* Completes a rotation a crash interrupted (see the top of this file). */
static int recover_rotation(struct pf_auditlog *l, struct pf_err *err)
{
	uint8_t h[PF_SHA256_LEN], h2[PF_SHA256_LEN];
	uint64_t lines = 0, bytes = 0;
	struct stat a, p;
	int r = 0;

	if (stat(l->plain1, &p) == 0) {
		if (fstat(l->fd, &a) == 0 && a.st_dev == p.st_dev && a.st_ino == p.st_ino) {
			/* between steps 3 and 4: path.1 is the active file */
			r = start_new_active(l, active_lines(l), l->size);
			if (r < 0) {
				pf_err_set(err, "audit log %s: completing an interrupted rotation: %s",
					   l->path, strerror(-r));
				return r;
			}
		} else if (access(l->first_gz, F_OK) == 0 && file_last_hash(l->plain1, h) == 0 &&
			   file_last_hash(l->first_gz, h2) == 0 && memcmp(h, h2, PF_SHA256_LEN) == 0) {
			/* step 5 was cut short after the rename */
			unlink(l->plain1);
			pf_fsync_dir(l->dir);
			return 0;
		}
		/* step 5 was cut short: compress again (off this thread) */
		if (access(l->first_gz, F_OK) != 0)
			pf_logzip_whole(l->z);
		return 0;
	}
	/* logs of earlier versions: compressed before the new active file */
	if (first_gz_tail(l, h, &lines, &bytes) == 0 && memcmp(h, l->last_hash, PF_SHA256_LEN) == 0) {
		r = start_new_active(l, lines, bytes);
		if (r < 0)
			pf_err_set(err, "audit log %s: completing an interrupted rotation: %s", l->path,
				   strerror(-r));
	}
	return r;
}

void pf_auditlog_close(struct pf_auditlog *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		batch_commit(l);
		/* an outage's counts are not left unsaid: one last try */
		l->out.next_try_ns = 0;
		outage_try(l);
		pf_auditlog_sync(l);
		close(l->fd);
	}
	if (l->z)
		zip_reap(l, 1);
	pf_logzip_stop(l->z);
	free(l->plain1);
	pf_buf_free(&l->bat);
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
	pf_buf_init(&l->bat);
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
	if (asprintf(&l->plain1, "%s.1", path) < 0)
		l->plain1 = NULL;
	if (!l->path || !l->base || !l->dir || !l->tmp_gz || !l->tmp_new || !l->first_gz ||
	    !l->plain1) {
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
	{
		struct pf_logzip_files zf = { .tmp = l->tmp_gz, .dst = l->first_gz,
					      .plain = l->plain1, .dir = l->dir, .mode = l->mode };

		r = pf_logzip_start(&zf, &l->z);
		if (r < 0) {
			pf_err_set(err, "audit log %s: starting its compression threads: %s", path,
				   strerror(-r));
			goto out;
		}
	}
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
		l->first_seq = 1;
		if (r < 0) {
			pf_err_set(err, "audit log %s: writing its chain-start record: %s", path,
			       strerror(-r));
			goto out;
		}
	} else {
		l->first_seq = first_seq_of(l);
		r = recover_rotation(l, err);
		if (r < 0)
			goto out;
	}
	if (t->torn) {
		r = torn_tail(l, t->torn, t->torn_hash, t->torn_data, t->torn_len);
		if (r < 0) {
			pf_err_set(err, "audit log %s: writing its torn-tail record: %s", path,
			       strerror(-r));
			goto out;
		}
	}
	r = pf_logzip_follow(l->z, l->fd, l->size);
	if (r < 0) {
		pf_err_set(err, "audit log %s: handing it to the compression threads: %s", path,
			   strerror(-r));
		goto out;
	}
	*ret = l;
	l = NULL;
out:
	free(t);
	pf_auditlog_close(l);
	return r;
}

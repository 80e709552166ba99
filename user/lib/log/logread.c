/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading and verifying the audit log. See logread.h and docs/audit-log.md. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "json.h"
#include "logread.h"
#include "utf8.h"
#include "util.h"

void pf_sha256(const void *p, size_t n, uint8_t out[PF_SHA256_LEN])
{
	unsigned int len = PF_SHA256_LEN;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		memset(out, 0, PF_SHA256_LEN); /* never matches a real prev */
}

/* --- the files of one log -------------------------------------------------- */

char *pf_log_rotated_name(const char *path, unsigned n)
{
	char *s;

	if (asprintf(&s, "%s.%u.gz", path, n) < 0)
		return NULL;
	return s;
}

/* N if @name is "<base>.N.gz" with N in 1..PF_LOG_MAX_FILES written without
 * leading zeros, else 0. */
static unsigned rotated_index(const char *name, const char *base, size_t blen)
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
	return strcmp(p, ".gz") == 0 ? v : 0;
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
	if (slash)
		dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	else
		dir = strdup(".");
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
	while ((de = readdir(d))) {
		unsigned v = rotated_index(de->d_name, base, strlen(base));
		if (v && !present[v]) {
			present[v] = 1;
			cnt++;
		}
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
		files[n] = pf_log_rotated_name(path, v);
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

/* --- reading lines across files -------------------------------------------- */

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

/* --- one record ------------------------------------------------------------ */

/* Collects one top-level member into the record. */
static int add_field(const struct pf_json_member *m, void *data)
{
	struct pf_logrec *rec = data;
	struct pf_logrec_field *f;

	if (rec->n >= PF_LOGREC_MAX_FIELDS || memchr(m->key, '\\', m->key_len))
		return -EINVAL;
	for (size_t k = 0; k < rec->n; k++)
		if (rec->f[k].key_len == m->key_len && memcmp(rec->f[k].key, m->key, m->key_len) == 0)
			return -EINVAL;
	f = &rec->f[rec->n++];
	f->key = m->key;
	f->key_len = m->key_len;
	f->val = m->val;
	f->val_len = m->val_len;
	return 0;
}

int pf_logrec_parse(const char *line, size_t len, struct pf_logrec *ret)
{
	struct pf_logrec rec;

	if (!line)
		return -EINVAL;
	if (len && line[len - 1] == '\n')
		len--;
	rec.n = 0;
	if (pf_json_scan_object(line, len, add_field, &rec) < 0)
		return -EINVAL;
	*ret = rec;
	return 0;
}

const struct pf_logrec_field *pf_logrec_find(const struct pf_logrec *r, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].key_len == kl && memcmp(r->f[i].key, key, kl) == 0)
			return &r->f[i];
	return NULL;
}

int pf_logrec_str(const struct pf_logrec *r, const char *key, struct pf_buf *out)
{
	const struct pf_logrec_field *f = pf_logrec_find(r, key);

	if (!f)
		return -ENOENT;
	if (f->val_len < 2 || f->val[0] != '"')
		return -EINVAL;
	return pf_json_unescape(f->val, f->val_len, out);
}

int pf_logrec_str_eq(const struct pf_logrec *r, const char *key, const char *s)
{
	const struct pf_logrec_field *f = pf_logrec_find(r, key);
	size_t sl = strlen(s);
	struct pf_buf b;
	int eq;

	if (!f || f->val_len < 2 || f->val[0] != '"')
		return 0;
	/* fast path: no escapes */
	if (!memchr(f->val, '\\', f->val_len))
		return f->val_len == sl + 2 && memcmp(f->val + 1, s, sl) == 0;
	pf_buf_init(&b);
	eq = pf_json_unescape(f->val, f->val_len, &b) == 0 && b.len == sl && memcmp(b.data, s, sl) == 0;
	pf_buf_free(&b);
	return eq;
}

static int parse_u64(const char *p, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (p[0] == '0' && n > 1))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int pf_logrec_u64(const struct pf_logrec *r, const char *key, uint64_t *ret)
{
	const struct pf_logrec_field *f = pf_logrec_find(r, key);

	if (!f)
		return -ENOENT;
	return parse_u64(f->val, f->val_len, ret);
}

int pf_logrec_time(const struct pf_logrec *r, int64_t *ret_ns)
{
	const struct pf_logrec_field *f = pf_logrec_find(r, "time");

	if (!f)
		return -ENOENT;
	if (f->val_len < 2 || f->val[0] != '"' || memchr(f->val, '\\', f->val_len))
		return -EINVAL;
	return pf_parse_rfc3339(f->val + 1, f->val_len - 2, ret_ns);
}

/* --- verification ---------------------------------------------------------- */

const char *pf_log_problem_name(enum pf_log_problem p)
{
	switch (p) {
	case PF_LOG_OK: return "ok";
	case PF_LOG_EDITED: return "edited";
	case PF_LOG_DELETED: return "deleted";
	case PF_LOG_INSERTED: return "inserted";
	case PF_LOG_REORDERED: return "reordered";
	case PF_LOG_TRUNCATED: return "truncated";
	case PF_LOG_MALFORMED: return "malformed";
	case PF_LOG_RESTARTED: return "restarted";
	case PF_LOG_UNREADABLE: return "unreadable";
	}
	return "unknown";
}

enum { K_OTHER, K_CHAIN_START, K_ROTATED, K_AGENT_STOP };

/* What verification needs to know of one line. */
struct vline {
	unsigned fileno;
	uint64_t lineno;
	uint8_t hash[PF_SHA256_LEN];
	uint8_t prev[PF_SHA256_LEN];
	int has_prev, kind, torn;
	uint64_t seq;
	size_t len;
	const char *bad; /* why it is not a record, or NULL */
};

struct verifier {
	struct pf_log_reader *rd;
	struct pf_log_verify_result *res;
	struct vline ahead;
	int have_ahead; /* 1 line, 0 end, <0 read error (reported when reached) */
};

static int parse_prev(const struct pf_logrec_field *f, uint8_t out[PF_SHA256_LEN])
{
	const char *h = f->val + 1;

	if (f->val_len != 2 + 2 * PF_SHA256_LEN || f->val[0] != '"' ||
	    !pf_is_lower_hex(h, 2 * PF_SHA256_LEN))
		return -EINVAL;
	for (size_t i = 0; i < PF_SHA256_LEN; i++)
		out[i] = (uint8_t)(pf_unhex_digit(h[2 * i]) << 4 | pf_unhex_digit(h[2 * i + 1]));
	return 0;
}

static void summarize(const char *line, size_t len, struct vline *v)
{
	struct pf_logrec rec;
	const struct pf_logrec_field *f;

	memset(v, 0, sizeof(*v));
	v->len = len;
	pf_sha256(line, len, v->hash);
	v->torn = len == 0 || line[len - 1] != '\n';
	if (v->torn)
		return;
	if (pf_logrec_parse(line, len, &rec) < 0) {
		v->bad = "not a JSON object";
		return;
	}
	if (pf_logrec_u64(&rec, "seq", &v->seq) < 0) {
		v->bad = "not an audit record: no valid \"seq\"";
		return;
	}
	f = pf_logrec_find(&rec, "prev");
	if (f) {
		if (parse_prev(f, v->prev) < 0) {
			v->bad = "\"prev\" is not 64 lowercase hex digits";
			return;
		}
		v->has_prev = 1;
	}
	if (pf_logrec_str_eq(&rec, "decision", "chain-start"))
		v->kind = K_CHAIN_START;
	else if (pf_logrec_str_eq(&rec, "decision", "rotated"))
		v->kind = K_ROTATED;
	else if (pf_logrec_str_eq(&rec, "decision", "agent-stop"))
		v->kind = K_AGENT_STOP;
}

/* The next line: 1, 0 at the end, <0 on a read error. */
static int v_next(struct verifier *vf, struct vline *out)
{
	const char *line;
	size_t len;
	int r;

	if (vf->have_ahead) {
		vf->have_ahead = 0;
		*out = vf->ahead;
		return 1;
	}
	r = pf_log_reader_next(vf->rd, &line, &len);
	if (r <= 0)
		return r;
	summarize(line, len, out);
	out->fileno = pf_log_reader_fileno(vf->rd);
	out->lineno = pf_log_reader_lineno(vf->rd);
	return 1;
}

/* The line after the current one, or NULL (end or read error). */
static const struct vline *v_peek(struct verifier *vf)
{
	if (!vf->have_ahead && v_next(vf, &vf->ahead) == 1)
		vf->have_ahead = 1;
	if (!vf->have_ahead)
		return NULL;
	/* a torn or malformed next line links nothing */
	return vf->ahead.torn || vf->ahead.bad ? NULL : &vf->ahead;
}

static void v_report(struct verifier *vf, enum pf_log_problem p, const struct vline *at,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void v_report(struct verifier *vf, enum pf_log_problem p, const struct vline *at,
		     const char *fmt, ...)
{
	va_list ap;

	vf->res->problem = p;
	snprintf(vf->res->file, sizeof(vf->res->file), "%s",
		 at->fileno < vf->rd->nfiles ? vf->rd->files[at->fileno] : "");
	vf->res->line = at->lineno;
	va_start(ap, fmt);
	vsnprintf(vf->res->detail, sizeof(vf->res->detail), fmt, ap);
	va_end(ap);
}

static const char *where(struct verifier *vf, const struct vline *v, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s:%llu", v->fileno < vf->rd->nfiles ? vf->rd->files[v->fileno] : "",
		 (unsigned long long)v->lineno);
	return buf;
}

static int links(const struct vline *n, const struct vline *to)
{
	return n && n->has_prev && memcmp(n->prev, to->hash, PF_SHA256_LEN) == 0;
}

/* Checks line @c against its predecessor @p. 0 if it links, else reports. */
static int v_link(struct verifier *vf, const struct vline *p, const struct vline *c)
{
	const struct vline *n;
	uint64_t e = p->seq + 1;
	char w[4200];

	if (c->kind == K_CHAIN_START) {
		n = v_peek(vf);
		if (links(n, p))
			v_report(vf, PF_LOG_INSERTED, c,
				 "a chain-start record the chain does not link in (the next line links to the one before it)");
		else
			v_report(vf, PF_LOG_RESTARTED, c,
				 "a new chain starts here after seq %llu at %s: the end of the previous chain, or its link to this one, is missing",
				 (unsigned long long)p->seq, where(vf, p, w, sizeof(w)));
		return -1;
	}
	if (!c->has_prev) {
		v_report(vf, PF_LOG_INSERTED, c,
			 "line has no \"prev\" hash: it was not written by the agent's chain");
		return -1;
	}
	if (memcmp(c->prev, p->hash, PF_SHA256_LEN) == 0) {
		if (c->seq == e)
			return 0;
		v_report(vf, PF_LOG_EDITED, c,
			 "seq is %llu but the line it links to has seq %llu: its seq was changed",
			 (unsigned long long)c->seq, (unsigned long long)p->seq);
		return -1;
	}
	n = v_peek(vf);
	if (c->seq == e) {
		if (links(n, c) || (!n && p->has_prev && c->has_prev &&
				    memcmp(c->prev, p->prev, PF_SHA256_LEN) != 0)) {
			v_report(vf, PF_LOG_EDITED, p,
				 "its SHA-256 no longer matches the \"prev\" of the next line (%s): this line was changed",
				 where(vf, c, w, sizeof(w)));
		} else if (!n || links(n, p)) {
			v_report(vf, PF_LOG_INSERTED, c,
				 "seq %llu does not link to the line before it%s",
				 (unsigned long long)c->seq,
				 n ? " and the next line links past it" : " (added after the last record?)");
		} else {
			v_report(vf, PF_LOG_EDITED, c,
				 "its \"prev\" matches neither the line before it nor is it linked from the next line: this line was changed");
		}
		return -1;
	}
	if (c->seq > e) {
		if (n && n->seq == e && links(n, p)) {
			v_report(vf, PF_LOG_REORDERED, c,
				 "seq %llu comes before seq %llu: lines were swapped or moved",
				 (unsigned long long)c->seq, (unsigned long long)n->seq);
		} else {
			uint64_t k = c->seq - e;
			v_report(vf, PF_LOG_DELETED, c,
				 "seq jumps from %llu to %llu: %llu line%s missing before this line%s",
				 (unsigned long long)p->seq, (unsigned long long)c->seq,
				 (unsigned long long)k, k == 1 ? "" : "s",
				 c->kind == K_ROTATED && c->lineno == 1 ? " (a whole rotated file?)" : "");
		}
		return -1;
	}
	if (links(n, p))
		v_report(vf, PF_LOG_INSERTED, c,
			 "seq %llu %s and the next line links past this one: an inserted line",
			 (unsigned long long)c->seq, c->seq == p->seq ? "repeats" : "goes back");
	else if (c->seq < p->seq)
		v_report(vf, PF_LOG_REORDERED, c, "seq goes back from %llu to %llu",
			 (unsigned long long)p->seq, (unsigned long long)c->seq);
	else
		v_report(vf, PF_LOG_INSERTED, c, "seq %llu repeats", (unsigned long long)c->seq);
	return -1;
}

static int verify_once(const char *path, struct pf_log_verify_result *ret,
		       void (*progress)(uint64_t lines, void *data), void *data)
{
	struct pf_log_verify_result *res;
	struct verifier vf = { 0 };
	struct vline p, c;
	int have_p = 0, r, e = 0;

	if (access(path, F_OK) < 0)
		return -errno;
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	r = pf_log_reader_open(path, 1, &vf.rd);
	if (r < 0) {
		free(res);
		return r;
	}
	vf.res = res;
	res->files = (unsigned)vf.rd->nfiles;
	for (;;) {
		r = v_next(&vf, &c);
		if (r < 0) {
			enum pf_log_problem kind = r == -E2BIG	   ? PF_LOG_MALFORMED :
						   r == -EBADMSG ? PF_LOG_TRUNCATED :
								   PF_LOG_UNREADABLE;
			const char *msg = pf_log_reader_error(vf.rd);
			const char *colon = strstr(msg, ": ");

			res->problem = kind;
			snprintf(res->file, sizeof(res->file), "%s", pf_log_reader_file(vf.rd));
			res->line = pf_log_reader_lineno(vf.rd) + 1;
			snprintf(res->detail, sizeof(res->detail), "%.500s", colon ? colon + 2 : msg);
			if (r == -EBADMSG && strstr(msg, "corrupt"))
				res->problem = PF_LOG_EDITED;
			break;
		}
		if (r == 0)
			break;
		res->records++;
		if (progress && (res->records & 0xffff) == 0)
			progress(res->records, data);
		if (c.torn) {
			v_report(&vf, PF_LOG_TRUNCATED, &c,
				 "torn line: %zu bytes without a final newline (a write was cut short, or the file was truncated)",
				 c.len);
			break;
		}
		if (c.bad) {
			v_report(&vf, PF_LOG_MALFORMED, &c, "%s", c.bad);
			break;
		}
		if (!have_p) {
			if (c.kind == K_CHAIN_START) {
				res->anchored = 1;
			} else if (c.kind != K_ROTATED) {
				v_report(&vf, PF_LOG_DELETED, &c,
					 "the log does not begin with a chain-start or rotated record: its beginning is missing");
				break;
			}
			res->first_seq = c.seq;
		} else if (v_link(&vf, &p, &c) < 0) {
			break;
		}
		p = c;
		have_p = 1;
		res->last_seq = c.seq;
	}
	if (res->problem == PF_LOG_OK && res->records == 0) {
		res->problem = PF_LOG_TRUNCATED;
		snprintf(res->file, sizeof(res->file), "%s", path);
		res->line = 1;
		snprintf(res->detail, sizeof(res->detail),
			 "the log is empty: even its chain-start record is missing");
	}
	if (res->problem == PF_LOG_OK)
		res->clean_end = have_p && p.kind == K_AGENT_STOP;
	pf_log_reader_close(vf.rd);
	*ret = *res;
	free(res);
	return e;
}

/* The identity of the active file: a rotation replaces it. */
static void active_id(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		*dev = 0;
		*ino = 0;
		return;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
}

/* A writer may rotate while we read (files shift from .N.gz to .N+1.gz under
 * us, which looks like a deleted or repeated file). A problem found while the
 * active file was replaced is checked again, up to VERIFY_TRIES times. */
#define VERIFY_TRIES 5

int pf_log_verify_progress(const char *path, struct pf_log_verify_result *ret,
			   void (*progress)(uint64_t lines, void *data), void *data)
{
	for (int i = 0;; i++) {
		dev_t d0, d1;
		ino_t i0, i1;
		int r;

		active_id(path, &d0, &i0);
		r = verify_once(path, ret, progress, data);
		if (r < 0 || ret->problem == PF_LOG_OK || i + 1 >= VERIFY_TRIES)
			return r;
		active_id(path, &d1, &i1);
		if (d0 == d1 && i0 == i1)
			return r;
	}
}

int pf_log_verify(const char *path, struct pf_log_verify_result *ret)
{
	return pf_log_verify_progress(path, ret, NULL, NULL);
}

/* --- filters ----------------------------------------------------------------- */

int pf_log_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns)
{
	size_t n;
	int64_t days, total = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	if (strcmp(s, "now") == 0) {
		*ret_ns = now_ns;
		return 0;
	}
	if (n == 10 && pf_parse_date(s, n, &days) == 0) {
		*ret_ns = days * 86400 * 1000000000LL;
		return 0;
	}
	if (n >= 20 && s[4] == '-')
		return pf_parse_rfc3339(s, n, ret_ns);
	/* a duration: 1h30m, 90s, 2d, 1w */
	p = s;
	while (*p) {
		int64_t v = 0, unit;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p - '0');
			if (v > 1000000000LL)
				return -EINVAL;
			p++;
		}
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return -EINVAL;
		}
		p++;
		total += v * unit;
		if (total > 100LL * 366 * 86400)
			return -EINVAL;
	}
	*ret_ns = now_ns - total * 1000000000LL;
	return 0;
}

/* 1 if the string field @key is one of the comma-separated @list. */
static int in_list(const struct pf_logrec *r, const char *key, const char *list)
{
	const struct pf_logrec_field *f = pf_logrec_find(r, key);
	struct pf_buf b;
	const char *p = list;
	int hit = 0;

	if (!f)
		return 0;
	pf_buf_init(&b);
	if (pf_logrec_str(r, key, &b) < 0 || !b.data)
		goto out;
	while (*p && !hit) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		if (l == b.len && memcmp(p, b.data, l) == 0)
			hit = 1;
		p += l + (comma ? 1 : 0);
	}
out:
	pf_buf_free(&b);
	return hit;
}

/* The record's path bytes: from "path_hex" when present (the raw bytes of a
 * path that is not UTF-8), else "path". */
static int record_path(const struct pf_logrec *r, struct pf_buf *out)
{
	const struct pf_logrec_field *h = pf_logrec_find(r, "path_hex");

	if (h && h->val_len >= 2 && h->val[0] == '"' && (h->val_len - 2) % 2 == 0 &&
	    !memchr(h->val, '\\', h->val_len)) {
		size_t i;
		for (i = 1; i + 1 < h->val_len - 1; i += 2) {
			int hi = pf_unhex_digit(h->val[i]), lo = pf_unhex_digit(h->val[i + 1]);
			if (hi < 0 || lo < 0)
				break;
			pf_buf_putc(out, (char)(hi << 4 | lo));
		}
		if (i + 1 >= h->val_len - 1)
			return out->oom ? -ENOMEM : 0;
		pf_buf_reset(out);
	}
	return pf_logrec_str(r, "path", out);
}

static int path_match(const struct pf_logrec *r, const char *prefix)
{
	size_t pl = strlen(prefix);
	struct pf_buf b;
	int hit = 0;

	pf_buf_init(&b);
	if (record_path(r, &b) == 0 && b.data && b.len >= pl && memcmp(b.data, prefix, pl) == 0)
		hit = b.len == pl || (pl > 0 && prefix[pl - 1] == '/') || b.data[pl] == '/';
	pf_buf_free(&b);
	return hit;
}

int pf_log_filter_match(const struct pf_log_filter *f, const struct pf_logrec *r)
{
	uint64_t v;

	if (f->has_since || f->has_until) {
		int64_t t;
		if (pf_logrec_time(r, &t) < 0)
			return 0;
		if ((f->has_since && t < f->since_ns) || (f->has_until && t > f->until_ns))
			return 0;
	}
	if (f->decision && !in_list(r, "decision", f->decision))
		return 0;
	if (f->op && !in_list(r, "op", f->op))
		return 0;
	if (f->path && !path_match(r, f->path))
		return 0;
	if (f->has_uid && (pf_logrec_u64(r, "uid", &v) < 0 || v != f->uid))
		return 0;
	if (f->has_pid && (pf_logrec_u64(r, "pid", &v) < 0 || v != f->pid))
		return 0;
	if (f->token && !pf_logrec_str_eq(r, "token", f->token) &&
	    !pf_logrec_str_eq(r, "token_id", f->token))
		return 0;
	return 1;
}

/* --- display ----------------------------------------------------------------- */

void pf_log_escape_term(struct pf_buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;

	while (i < n) {
		unsigned cp;
		size_t k = pf_utf8_next(s + i, n - i, &cp, NULL);

		if (k == 0) {
			pf_buf_printf(out, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (cp == '\\')
			pf_buf_puts(out, "\\\\");
		else if (cp == '\n')
			pf_buf_puts(out, "\\n");
		else if (cp == '\t')
			pf_buf_puts(out, "\\t");
		else if (cp == '\r')
			pf_buf_puts(out, "\\r");
		else if (cp < 0x20 || cp == 0x7f)
			pf_buf_printf(out, "\\x%02x", cp);
		else if ((cp >= 0x80 && cp < 0xa0) || (cp >= 0x200e && cp <= 0x200f) ||
			 (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			pf_buf_printf(out, "\\u%04x", cp); /* C1 controls, bidi controls */
		else
			pf_buf_putn(out, s + i, k);
		i += k;
	}
}

/* Display columns of escaped (hence valid UTF-8) text. */
static size_t text_width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

static void put_col(struct pf_buf *out, const char *s, size_t n, size_t width, int right)
{
	size_t w = text_width(s, n);

	if (right)
		for (; w < width; w++)
			pf_buf_putc(out, ' ');
	pf_buf_putn(out, s, n);
	if (!right)
		for (; w < width; w++)
			pf_buf_putc(out, ' ');
}

/* A field's value for display (strings unescaped, then escaped for a
 * terminal; other values as their JSON text, escaped too). */
static void field_text(const struct pf_logrec_field *f, struct pf_buf *out)
{
	struct pf_buf raw;

	if (f->val_len >= 2 && f->val[0] == '"') {
		pf_buf_init(&raw);
		if (pf_json_unescape(f->val, f->val_len, &raw) == 0 && raw.data)
			pf_log_escape_term(out, raw.data, raw.len);
		pf_buf_free(&raw);
	} else {
		pf_log_escape_term(out, f->val, f->val_len);
	}
}

static void col_field(const struct pf_logrec *r, const char *key, struct pf_buf *out, size_t width,
		      int right)
{
	const struct pf_logrec_field *f = pf_logrec_find(r, key);
	struct pf_buf t;

	pf_buf_init(&t);
	if (f)
		field_text(f, &t);
	else
		pf_buf_putc(&t, '-');
	put_col(out, t.data ? t.data : "", t.len, width, right);
	if (t.oom)
		out->oom = 1;
	pf_buf_free(&t);
}

static const char *decision_colour(const struct pf_logrec *r)
{
	static const struct {
		const char *d, *c;
	} map[] = {
		{ "deny", "\033[31m" },		{ "tamper", "\033[1;31m" },
		{ "would-deny", "\033[33m" },	{ "lost", "\033[1;33m" },
		{ "gap", "\033[1;33m" },	{ "torn-tail", "\033[1;33m" },
		{ "approved", "\033[32m" },	{ "approval-loaded", "\033[32m" },
		{ "mode-change", "\033[36m" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (pf_logrec_str_eq(r, "decision", map[i].d))
			return map[i].c;
	return NULL;
}

void pf_log_format_header(struct pf_buf *out)
{
	put_col(out, "TIME", 4, PF_LOG_COL_TIME, 0);
	pf_buf_putc(out, ' ');
	put_col(out, "DECISION", 8, PF_LOG_COL_DECISION, 0);
	pf_buf_putc(out, ' ');
	put_col(out, "OP", 2, PF_LOG_COL_OP, 0);
	pf_buf_putc(out, ' ');
	put_col(out, "PATH", 4, PF_LOG_COL_PATH, 0);
	pf_buf_puts(out, "     PID    UID COMM\n");
}

/* Fields that have their own column or say nothing to a reader. */
static int standard_key(const struct pf_logrec_field *f)
{
	static const char *const keys[] = { "time", "host", "seq",  "decision", "prev",
					    "v",    "op",   "pid",  "uid",      "comm" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (f->key_len == strlen(keys[i]) && memcmp(f->key, keys[i], f->key_len) == 0)
			return 1;
	return 0;
}

int pf_log_format_human(const struct pf_logrec *r, int colour, struct pf_buf *out)
{
	const char *c = colour ? decision_colour(r) : NULL;
	struct pf_buf t;
	int64_t ns;

	pf_buf_init(&t);
	/* TIME, to the millisecond */
	if (pf_logrec_time(r, &ns) == 0) {
		char ts[64];
		int64_t s = ns / 1000000000LL, rem = ns % 1000000000LL;
		if (rem < 0) {
			rem += 1000000000LL;
			s--;
		}
		pf_rfc3339(s, ts, sizeof(ts));
		/* "...:SSZ" -> "...:SS.mmmZ" */
		ts[19] = 0;
		pf_buf_printf(&t, "%s.%03dZ", ts, (int)(rem / 1000000));
		put_col(out, t.data, t.len, PF_LOG_COL_TIME, 0);
	} else {
		col_field(r, "time", out, PF_LOG_COL_TIME, 0);
	}
	pf_buf_putc(out, ' ');
	/* DECISION, coloured */
	pf_buf_reset(&t);
	if (c)
		pf_buf_puts(out, c);
	col_field(r, "decision", &t, 0, 0);
	pf_buf_putn(out, t.data, t.len);
	if (c)
		pf_buf_puts(out, "\033[0m");
	for (size_t w = text_width(t.data, t.len); w < PF_LOG_COL_DECISION; w++)
		pf_buf_putc(out, ' ');
	pf_buf_putc(out, ' ');
	col_field(r, "op", out, PF_LOG_COL_OP, 0);
	pf_buf_putc(out, ' ');
	/* PATH, or the record's other fields */
	pf_buf_reset(&t);
	if (pf_logrec_find(r, "path") || pf_logrec_find(r, "path_hex")) {
		struct pf_buf raw;
		pf_buf_init(&raw);
		if (record_path(r, &raw) == 0 && raw.data)
			pf_log_escape_term(&t, raw.data, raw.len);
		else
			pf_buf_putc(&t, '?');
		pf_buf_free(&raw);
	} else {
		for (size_t i = 0; i < r->n; i++) {
			if (standard_key(&r->f[i]))
				continue;
			if (t.len)
				pf_buf_putc(&t, ' ');
			pf_log_escape_term(&t, r->f[i].key, r->f[i].key_len);
			pf_buf_putc(&t, '=');
			field_text(&r->f[i], &t);
		}
		if (!t.len)
			pf_buf_putc(&t, '-');
	}
	put_col(out, t.data ? t.data : "", t.len, PF_LOG_COL_PATH, 0);
	pf_buf_putc(out, ' ');
	col_field(r, "pid", out, 7, 1);
	pf_buf_putc(out, ' ');
	col_field(r, "uid", out, 6, 1);
	pf_buf_putc(out, ' ');
	col_field(r, "comm", out, 0, 0);
	pf_buf_putc(out, '\n');
	if (t.oom)
		out->oom = 1;
	pf_buf_free(&t);
	return out->oom ? -ENOMEM : 0;
}

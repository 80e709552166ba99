/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Verifying the audit log's hash chain; see logverify.h and docs/audit-log.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "logfile.h"
#include "logrec.h"
#include "logverify.h"
#include "util.h"

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
	case PF_LOG_REWRITTEN: return "rewritten";
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

	if (f->val_len != 2 + 2 * PF_SHA256_LEN || f->val[0] != '"')
		return -EINVAL;
	return pf_unhex_lower(h, PF_SHA256_LEN, out);
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
		 pf_log_reader_name(vf->rd, at->fileno));
	vf->res->line = at->lineno;
	va_start(ap, fmt);
	vsnprintf(vf->res->detail, sizeof(vf->res->detail), fmt, ap);
	va_end(ap);
}

static const char *where(struct verifier *vf, const struct vline *v, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s:%llu", pf_log_reader_name(vf->rd, v->fileno),
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

/* Line @c against the head the agent kept; 0 if it holds (or is not it). */
static int v_head(struct verifier *vf, const struct pf_log_head *head, const struct vline *c)
{
	char want[65], got[65];

	if (!head || c->seq != head->seq)
		return 0;
	if (memcmp(c->hash, head->hash, PF_SHA256_LEN) == 0) {
		vf->res->head = PF_LOG_HEAD_MATCHED;
		return 0;
	}
	pf_hex_str(head->hash, PF_SHA256_LEN, want);
	pf_hex_str(c->hash, PF_SHA256_LEN, got);
	v_report(vf, PF_LOG_REWRITTEN, c,
		 "seq %llu is not the line the agent wrote: its SHA-256 is %.16s..., the chain head "
		 "the agent kept in the kernel says %.16s...: the log was rewritten and its chain "
		 "recomputed",
		 (unsigned long long)c->seq, got, want);
	return -1;
}

static int verify_once(const char *path, const struct pf_log_head *head,
		       struct pf_log_verify_result *ret,
		       void (*progress)(uint64_t lines, void *data), void *data)
{
	struct pf_log_verify_result *res;
	struct verifier vf = { 0 };
	struct vline p, c;
	int have_p = 0, r;

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
	res->files = pf_log_reader_nfiles(vf.rd);
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
		if (v_head(&vf, head, &c) < 0)
			break;
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
	if (res->problem == PF_LOG_OK && head && head->seq) {
		if (head->seq > res->last_seq)
			v_report(&vf, PF_LOG_DELETED, &p,
				 "the log ends at seq %llu, but the agent had written seq %llu (the chain "
				 "head it kept in the kernel): its newest lines were removed (%llu)",
				 (unsigned long long)res->last_seq, (unsigned long long)head->seq,
				 (unsigned long long)(head->seq - res->last_seq));
		else if (head->seq < res->first_seq)
			res->head = PF_LOG_HEAD_OLDER;
	}
	if (res->problem == PF_LOG_OK)
		res->clean_end = have_p && p.kind == K_AGENT_STOP;
	pf_log_reader_close(vf.rd);
	*ret = *res;
	free(res);
	return 0;
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

int pf_log_verify_head(const char *path, const struct pf_log_head *head,
		       struct pf_log_verify_result *ret,
		       void (*progress)(uint64_t lines, void *data), void *data)
{
	for (int i = 0;; i++) {
		dev_t d0, d1;
		ino_t i0, i1;
		int r;

		active_id(path, &d0, &i0);
		r = verify_once(path, head, ret, progress, data);
		if (r < 0 || ret->problem == PF_LOG_OK || i + 1 >= VERIFY_TRIES)
			return r;
		active_id(path, &d1, &i1);
		if (d0 == d1 && i0 == i1)
			return r;
	}
}

int pf_log_verify_progress(const char *path, struct pf_log_verify_result *ret,
			   void (*progress)(uint64_t lines, void *data), void *data)
{
	return pf_log_verify_head(path, NULL, ret, progress, data);
}

int pf_log_verify(const char *path, struct pf_log_verify_result *ret)
{
	return pf_log_verify_progress(path, ret, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One audit record: its fields and its hash; see logrec.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "json.h"
#include "logrec.h"
#include "util.h"

/* The digest fetched once, a context per thread: EVP_Digest() with
 * EVP_sha256() fetches and allocates on every call (a third of its cost
 * for a line). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static __thread EVP_MD_CTX *sha256_ctx;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void pf_sha256(const void *p, size_t n, uint8_t out[PF_SHA256_LEN])
{
	unsigned int len = PF_SHA256_LEN;

	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_ctx)
		sha256_ctx = EVP_MD_CTX_new();
	if (!sha256_md || !sha256_ctx || EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, p, n) != 1 || EVP_DigestFinal_ex(sha256_ctx, out, &len) != 1)
		memset(out, 0, PF_SHA256_LEN); /* never matches a real prev */
}

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

int pf_logrec_path(const struct pf_logrec *r, struct pf_buf *out)
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

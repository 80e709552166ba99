/* sshbuf: bounds-checked reader, writer, strict base64 and armor.
 * See sshbuf.h for the rules. */
#include "sshbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- error message buffer --------------------------------------------- */

/* ---- reader ----------------------------------------------------------- */

void pf_sshbuf_init(struct pf_sshbuf *b, const void *data, size_t len)
{
	b->p = data;
	b->len = data ? len : 0;
	b->off = 0;
}

size_t pf_sshbuf_remaining(const struct pf_sshbuf *b)
{
	return b->len - b->off;
}

int pf_sshbuf_expect_end(const struct pf_sshbuf *b)
{
	return pf_sshbuf_remaining(b) == 0 ? 0 : -EBADMSG;
}

int pf_sshbuf_get_bytes(struct pf_sshbuf *b, size_t n, const uint8_t **ret_p)
{
	if (pf_sshbuf_remaining(b) < n)
		return -EBADMSG;
	if (ret_p)
		*ret_p = b->p + b->off;
	b->off += n;
	return 0;
}

int pf_sshbuf_get_u8(struct pf_sshbuf *b, uint8_t *ret_v)
{
	const uint8_t *p;
	int r = pf_sshbuf_get_bytes(b, 1, &p);

	if (r < 0)
		return r;
	if (ret_v)
		*ret_v = p[0];
	return 0;
}

int pf_sshbuf_get_u32(struct pf_sshbuf *b, uint32_t *ret_v)
{
	const uint8_t *p;
	int r = pf_sshbuf_get_bytes(b, 4, &p);

	if (r < 0)
		return r;
	if (ret_v)
		*ret_v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			 (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int pf_sshbuf_get_string(struct pf_sshbuf *b, size_t max, const uint8_t **ret_p,
			 size_t *ret_len)
{
	struct pf_sshbuf t = *b;
	const uint8_t *p;
	uint32_t n;
	int r;

	r = pf_sshbuf_get_u32(&t, &n);
	if (r < 0)
		return r;
	if (n > max)
		return -EMSGSIZE;
	r = pf_sshbuf_get_bytes(&t, n, &p);
	if (r < 0)
		return r;
	*b = t;
	if (ret_p)
		*ret_p = p;
	if (ret_len)
		*ret_len = n;
	return 0;
}

int pf_sshbuf_get_sub(struct pf_sshbuf *b, size_t max, struct pf_sshbuf *ret_sub)
{
	const uint8_t *p;
	size_t n;
	int r = pf_sshbuf_get_string(b, max, &p, &n);

	if (r < 0)
		return r;
	pf_sshbuf_init(ret_sub, p, n);
	return 0;
}

int pf_sshbuf_get_cstring(struct pf_sshbuf *b, size_t max, char **ret_s)
{
	struct pf_sshbuf t = *b;
	const uint8_t *p;
	size_t n;
	char *s;
	int r;

	r = pf_sshbuf_get_string(&t, max, &p, &n);
	if (r < 0)
		return r;
	if (memchr(p, '\0', n))
		return -EBADMSG;
	s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, p, n);
	s[n] = '\0';
	*b = t;
	*ret_s = s;
	return 0;
}

int pf_sshbuf_expect_cstring(struct pf_sshbuf *b, const char *want)
{
	struct pf_sshbuf t = *b;
	size_t wl = strlen(want), n;
	const uint8_t *p;
	int r;

	r = pf_sshbuf_get_string(&t, wl, &p, &n);
	if (r == -EMSGSIZE)
		return -EBADMSG;
	if (r < 0)
		return r;
	if (n != wl || memcmp(p, want, n) != 0)
		return -EBADMSG;
	*b = t;
	return 0;
}

int pf_sshbuf_get_mpint(struct pf_sshbuf *b, size_t max_bytes,
			const uint8_t **ret_p, size_t *ret_len)
{
	struct pf_sshbuf t = *b;
	const uint8_t *p;
	size_t n;
	int r;

	if (max_bytes > SIZE_MAX - 1)
		return -EINVAL;
	r = pf_sshbuf_get_string(&t, max_bytes + 1, &p, &n);
	if (r < 0)
		return r;
	if (n > 0 && (p[0] & 0x80))
		return -EBADMSG; /* negative */
	if (n > 0 && p[0] == 0) {
		/* a leading zero is only allowed to keep the sign bit clear */
		if (n == 1 || !(p[1] & 0x80))
			return -EBADMSG;
		p++;
		n--;
	}
	if (n > max_bytes)
		return -EMSGSIZE;
	*b = t;
	if (ret_p)
		*ret_p = p;
	if (ret_len)
		*ret_len = n;
	return 0;
}

/* ---- writer ----------------------------------------------------------- */

void pf_sshbuf_w_init(struct pf_sshbuf_w *w)
{
	memset(w, 0, sizeof(*w));
}

void pf_sshbuf_w_put(struct pf_sshbuf_w *w, const void *data, size_t n)
{
	if (w->error)
		return;
	if (n > PF_SSHBUF_WRITER_MAX - w->len) {
		w->error = -EMSGSIZE;
		return;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *np;

		while (cap < w->len + n)
			cap *= 2;
		np = realloc(w->p, cap);
		if (!np) {
			w->error = -ENOMEM;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	if (n)
		memcpy(w->p + w->len, data, n);
	w->len += n;
}

void pf_sshbuf_w_u8(struct pf_sshbuf_w *w, uint8_t v)
{
	pf_sshbuf_w_put(w, &v, 1);
}

void pf_sshbuf_w_u32(struct pf_sshbuf_w *w, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	pf_sshbuf_w_put(w, b, 4);
}

void pf_sshbuf_w_string(struct pf_sshbuf_w *w, const void *data, size_t n)
{
	if (n > UINT32_MAX) {
		if (!w->error)
			w->error = -EMSGSIZE;
		return;
	}
	pf_sshbuf_w_u32(w, (uint32_t)n);
	pf_sshbuf_w_put(w, data, n);
}

void pf_sshbuf_w_cstring(struct pf_sshbuf_w *w, const char *s)
{
	pf_sshbuf_w_string(w, s, strlen(s));
}

void pf_sshbuf_w_mpint(struct pf_sshbuf_w *w, const uint8_t *mag, size_t n)
{
	while (n > 0 && mag[0] == 0) {
		mag++;
		n--;
	}
	if (n > 0 && (mag[0] & 0x80)) {
		pf_sshbuf_w_u32(w, (uint32_t)(n + 1));
		pf_sshbuf_w_u8(w, 0);
		pf_sshbuf_w_put(w, mag, n);
	} else {
		pf_sshbuf_w_string(w, mag, n);
	}
}

int pf_sshbuf_w_finish(struct pf_sshbuf_w *w, uint8_t **ret_p, size_t *ret_len)
{
	if (w->error) {
		int r = w->error;

		pf_sshbuf_w_free(w);
		return r;
	}
	if (!w->p) { /* empty: still hand back a valid allocation */
		w->p = malloc(1);
		if (!w->p)
			return -ENOMEM;
	}
	*ret_p = w->p;
	*ret_len = w->len;
	memset(w, 0, sizeof(*w));
	return 0;
}

void pf_sshbuf_w_free(struct pf_sshbuf_w *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

/* ---- base64 ----------------------------------------------------------- */

static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int pf_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
		     size_t *ret_len)
{
	size_t pad = 0, need, o = 0;

	if (inlen % 4 != 0)
		return -EBADMSG;
	if (inlen >= 1 && in[inlen - 1] == '=')
		pad++;
	if (inlen >= 2 && in[inlen - 2] == '=')
		pad++;
	need = inlen / 4 * 3 - pad;
	if (need > outcap)
		return -EMSGSIZE;
	for (size_t i = 0; i < inlen; i += 4) {
		int v[4];
		bool last = i + 4 == inlen;
		size_t nsym = last ? 4 - pad : 4;

		for (size_t j = 0; j < 4; j++) {
			if (j >= nsym) {
				v[j] = 0; /* '=' checked above */
				continue;
			}
			v[j] = b64_val((unsigned char)in[i + j]);
			if (v[j] < 0)
				return -EBADMSG;
		}
		uint32_t q = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* canonical: bits not covered by output bytes must be zero */
		if (nsym == 3 && (q & 0xff))
			return -EBADMSG;
		if (nsym == 2 && (q & 0xffff))
			return -EBADMSG;
		out[o++] = q >> 16;
		if (nsym >= 3)
			out[o++] = q >> 8;
		if (nsym == 4)
			out[o++] = q;
	}
	*ret_len = o;
	return 0;
}

int pf_base64_encode(const uint8_t *in, size_t n, bool pad, char *out,
		     size_t outcap)
{
	size_t o = 0;

	if (n > (SIZE_MAX - 3) / 4 || PF_BASE64_LEN(n, pad) + 1 > outcap)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i += 3) {
		size_t left = n - i;
		uint32_t q = (uint32_t)in[i] << 16;

		if (left > 1)
			q |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			q |= in[i + 2];
		out[o++] = b64_alpha[q >> 18 & 63];
		out[o++] = b64_alpha[q >> 12 & 63];
		if (left > 1)
			out[o++] = b64_alpha[q >> 6 & 63];
		else if (pad)
			out[o++] = '=';
		if (left > 2)
			out[o++] = b64_alpha[q & 63];
		else if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

/* ---- armor ------------------------------------------------------------ */

/* Returns the length of the line starting at text[off] (without LF) and
 * whether an LF terminates it. */
static size_t line_at(const char *text, size_t len, size_t off, bool *ret_lf)
{
	const char *nl = memchr(text + off, '\n', len - off);

	*ret_lf = nl != NULL;
	return nl ? (size_t)(nl - (text + off)) : len - off;
}

static bool line_is(const char *line, size_t n, const char *what,
		    const char *label)
{
	size_t wl = strlen(what), ll = strlen(label);

	return n == 5 + wl + ll + 5 && memcmp(line, "-----", 5) == 0 &&
	       memcmp(line + 5, what, wl) == 0 &&
	       memcmp(line + 5 + wl, label, ll) == 0 &&
	       memcmp(line + 5 + wl + ll, "-----", 5) == 0;
}

int pf_armor_decode(const char *text, size_t len, const char *label,
		    size_t max_out, uint8_t **ret_blob, size_t *ret_len,
		    size_t *ret_used, struct pf_err *err)
{
	size_t off = 0, n, b64_len = 0, b64_start, outlen;
	uint8_t *blob = NULL;
	char *b64 = NULL;
	bool lf;
	int r;

	n = line_at(text, len, 0, &lf);
	if (!line_is(text, n, "BEGIN ", label))
		return pf_err(err, -EBADMSG, "armor does not start with -----BEGIN %s-----", label);
	if (!lf)
		return pf_err(err, -EBADMSG, "truncated armor: no line after -----BEGIN %s-----", label);
	off = n + 1;
	b64_start = off;
	/* first pass: validate lines and find END */
	for (;;) {
		if (off >= len)
			return pf_err(err, -EBADMSG, "truncated armor: missing -----END %s-----", label);
		n = line_at(text, len, off, &lf);
		if (line_is(text + off, n, "END ", label))
			break;
		if (n == 0)
			return pf_err(err, -EBADMSG, "armor: blank line inside the armored block");
		if (memchr(text + off, '\r', n))
			return pf_err(err, -EBADMSG, "armor: CR in line (LF line ends only)");
		if (n > PF_ARMOR_MAX_LINE)
			return pf_err(err, -EBADMSG, "armor: line longer than %d characters", PF_ARMOR_MAX_LINE);
		if (!lf)
			return pf_err(err, -EBADMSG, "truncated armor: missing -----END %s-----", label);
		b64_len += n;
		/* the decoded size is at most 3/4 of the encoded: bail out early */
		if (b64_len / 4 * 3 > max_out + 3)
			return pf_err(err, -EMSGSIZE, "armor: payload larger than %zu bytes", max_out);
		off += n + 1;
	}
	if (!lf)
		return pf_err(err, -EBADMSG, "truncated armor: no newline after -----END %s-----", label);
	if (b64_len == 0)
		return pf_err(err, -EBADMSG, "armor: empty armored block");
	/* second pass: collect base64 text without newlines */
	b64 = malloc(b64_len);
	if (!b64)
		return -ENOMEM;
	for (size_t i = b64_start, o = 0; o < b64_len; i++)
		if (text[i] != '\n')
			b64[o++] = text[i];
	blob = malloc(b64_len / 4 * 3 + 1);
	if (!blob) {
		r = -ENOMEM;
		goto out;
	}
	r = pf_base64_decode(b64, b64_len, blob, b64_len / 4 * 3 + 1, &outlen);
	if (r < 0) {
		pf_err_set(err, "armor: invalid base64");
		goto out;
	}
	if (outlen > max_out) {
		r = pf_err(err, -EMSGSIZE, "armor: payload larger than %zu bytes", max_out);
		goto out;
	}
	*ret_blob = blob;
	*ret_len = outlen;
	*ret_used = off + n + 1;
	blob = NULL;
	r = 0;
out:
	free(b64);
	free(blob);
	return r;
}

int pf_armor_encode(const uint8_t *blob, size_t n, const char *label,
		    char **ret_text, size_t *ret_len)
{
	size_t b64n = PF_BASE64_LEN(n, true), total, o = 0;
	char *b64, *text;
	int r;

	if (n > PF_SSHBUF_WRITER_MAX)
		return -EMSGSIZE;
	b64 = malloc(b64n + 1);
	if (!b64)
		return -ENOMEM;
	r = pf_base64_encode(blob, n, true, b64, b64n + 1);
	if (r < 0) {
		free(b64);
		return r;
	}
	total = 2 * (strlen(label) + 16) + b64n + b64n / 70 + 2;
	text = malloc(total + 1);
	if (!text) {
		free(b64);
		return -ENOMEM;
	}
	o += sprintf(text + o, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64n; i += 70) {
		size_t k = b64n - i < 70 ? b64n - i : 70;

		memcpy(text + o, b64 + i, k);
		o += k;
		text[o++] = '\n';
	}
	o += sprintf(text + o, "-----END %s-----\n", label);
	free(b64);
	*ret_text = text;
	*ret_len = o;
	return 0;
}

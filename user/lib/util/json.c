/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Growable buffer and JSON writer; see json.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* --- buffer ----------------------------------------------------------- */

void pf_buf_init(struct pf_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
}

void pf_buf_free(struct pf_buf *b)
{
	free(b->data);
	pf_buf_init(b);
}

void pf_buf_reset(struct pf_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Makes room for extra more bytes plus the terminating NUL. */
static int buf_reserve(struct pf_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return -ENOMEM;
	/* invariant: len + 1 <= PF_BUF_MAX */
	if (extra > PF_BUF_MAX - 1 - b->len) {
		b->oom = 1;
		return -ENOMEM;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > PF_BUF_MAX / 2 ? PF_BUF_MAX : cap * 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = 1;
		return -ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int pf_buf_putn(struct pf_buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int pf_buf_putc(struct pf_buf *b, char c)
{
	return pf_buf_putn(b, &c, 1);
}

int pf_buf_puts(struct pf_buf *b, const char *s)
{
	return pf_buf_putn(b, s, strlen(s));
}

int pf_buf_printf(struct pf_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int n, r;

	if (b->oom)
		return -ENOMEM;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return -EINVAL;
	}
	r = buf_reserve(b, (size_t)n);
	if (r < 0) {
		va_end(ap2);
		return r;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
	return 0;
}

void pf_hex(struct pf_buf *b, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = p;
	char tmp[128];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		tmp[k++] = digits[s[i] >> 4];
		tmp[k++] = digits[s[i] & 15];
		if (k == sizeof(tmp)) {
			pf_buf_putn(b, tmp, k);
			k = 0;
		}
	}
	pf_buf_putn(b, tmp, k);
}

/* --- UTF-8 ------------------------------------------------------------ */

/* Length (1..4) of the well-formed UTF-8 sequence at s[0..n), or 0 if it
 * is ill-formed; then *bad is the length of the maximal ill-formed subpart
 * (at least 1), which is replaced by a single U+FFFD (Unicode's recommended
 * practice, chapter 3 "U+FFFD Substitution of Maximal Subparts"). */
static size_t utf8_next(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c == 0xe0) {
		need = 2;
		lo = 0xa0; /* no overlongs */
	} else if (c == 0xed) {
		need = 2;
		hi = 0x9f; /* no surrogates */
	} else if (c >= 0xe1 && c <= 0xef) {
		need = 2;
	} else if (c == 0xf0) {
		need = 3;
		lo = 0x90; /* no overlongs */
	} else if (c == 0xf4) {
		need = 3;
		hi = 0x8f; /* nothing above U+10FFFF */
	} else if (c >= 0xf1 && c <= 0xf3) {
		need = 3;
	} else {
		*bad = 1; /* continuation byte, C0, C1, F5..FF */
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

int pf_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, k, bad;

	while (i < n) {
		k = utf8_next(s + i, n - i, &bad);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

int pf_json_escape(struct pf_buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, run = 0, k, bad;
	int lossy = 0;
	char esc[8];

	if (!s)
		n = 0;
	pf_buf_putc(b, '"');
	while (i < n) {
		unsigned c = s[i];
		const char *rep = NULL;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80) {
			k = utf8_next(s + i, n - i, &bad);
			if (k) {
				i += k;
				run += k;
				continue;
			}
		}
		/* flush the run of bytes that need no escaping */
		pf_buf_putn(b, s + i - run, run);
		run = 0;
		switch (c) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\t': rep = "\\t"; break;
		case '\r': rep = "\\r"; break;
		case '\b': rep = "\\b"; break;
		case '\f': rep = "\\f"; break;
		default:
			if (c >= 0x80) {
				rep = "\\ufffd";
				lossy = 1;
				i += bad;
				pf_buf_puts(b, rep);
				continue;
			}
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			rep = esc;
		}
		pf_buf_puts(b, rep);
		i++;
	}
	if (run)
		pf_buf_putn(b, s + i - run, run);
	pf_buf_putc(b, '"');
	return lossy;
}

/* --- writer ----------------------------------------------------------- */

void pf_json_init(struct pf_json *j, struct pf_buf *b, int pretty)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
	j->pretty = !!pretty;
}

static void indent(struct pf_json *j, unsigned depth)
{
	unsigned i;

	pf_buf_putc(j->b, '\n');
	for (i = 0; i < depth; i++)
		pf_buf_putn(j->b, "  ", 2);
}

/* Called before every value and key: writes the separator it needs. */
static void sep(struct pf_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth == 0) {
		/* several top-level values: one per line */
		if (j->has_items[0])
			pf_buf_putc(j->b, '\n');
		j->has_items[0] = 1;
		return;
	}
	if (j->has_items[j->depth])
		pf_buf_putc(j->b, ',');
	j->has_items[j->depth] = 1;
	if (j->pretty)
		indent(j, j->depth);
}

static void open_(struct pf_json *j, char c)
{
	if (j->depth >= PF_JSON_MAX_DEPTH) {
		j->misuse = 1;
		return;
	}
	sep(j);
	pf_buf_putc(j->b, c);
	j->depth++;
	j->has_items[j->depth] = 0;
}

static void close_(struct pf_json *j, char c)
{
	if (j->depth == 0 || j->after_key) {
		j->misuse = 1;
		return;
	}
	if (j->pretty && j->has_items[j->depth])
		indent(j, j->depth - 1);
	pf_buf_putc(j->b, c);
	j->depth--;
}

void pf_json_obj_begin(struct pf_json *j) { open_(j, '{'); }
void pf_json_obj_end(struct pf_json *j) { close_(j, '}'); }
void pf_json_arr_begin(struct pf_json *j) { open_(j, '['); }
void pf_json_arr_end(struct pf_json *j) { close_(j, ']'); }

void pf_json_key(struct pf_json *j, const char *name)
{
	if (j->depth == 0 || j->after_key) {
		j->misuse = 1;
		return;
	}
	sep(j);
	pf_json_escape(j->b, name, strlen(name));
	pf_buf_puts(j->b, j->pretty ? ": " : ":");
	j->after_key = 1;
}

int pf_json_strn(struct pf_json *j, const void *s, size_t n)
{
	sep(j);
	return pf_json_escape(j->b, s, n);
}

int pf_json_str(struct pf_json *j, const char *s)
{
	if (!s) {
		pf_json_null(j);
		return 0;
	}
	return pf_json_strn(j, s, strlen(s));
}

/* Decimal digits without printf (numbers are most of an event line). */
static void put_u64(struct pf_buf *b, uint64_t v, int neg)
{
	char d[24];
	int i = (int)sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		d[--i] = '-';
	pf_buf_putn(b, d + i, sizeof(d) - (size_t)i);
}

void pf_json_uint(struct pf_json *j, uint64_t v)
{
	sep(j);
	put_u64(j->b, v, 0);
}

void pf_json_int(struct pf_json *j, int64_t v)
{
	sep(j);
	/* |INT64_MIN| as unsigned without overflow */
	put_u64(j->b, v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v, v < 0);
}

void pf_json_bool(struct pf_json *j, int v)
{
	sep(j);
	pf_buf_puts(j->b, v ? "true" : "false");
}

void pf_json_null(struct pf_json *j)
{
	sep(j);
	pf_buf_puts(j->b, "null");
}

/* --- strict checker --------------------------------------------------- */

#define JC_MAX_DEPTH 256

struct jc {
	const unsigned char *s;
	size_t n, i;
};

static void jc_ws(struct jc *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
			       c->s[c->i] == '\n' || c->s[c->i] == '\r'))
		c->i++;
}

static int jc_string(struct jc *c)
{
	size_t k, bad;

	if (c->i >= c->n || c->s[c->i] != '"')
		return -EINVAL;
	c->i++;
	while (c->i < c->n) {
		unsigned char x = c->s[c->i];

		if (x == '"') {
			c->i++;
			return 0;
		}
		if (x < 0x20)
			return -EINVAL;
		if (x == '\\') {
			if (c->i + 1 >= c->n)
				return -EINVAL;
			x = c->s[c->i + 1];
			if (x == 'u') {
				if (c->n - c->i < 6)
					return -EINVAL;
				for (k = 2; k < 6; k++)
					if (pf_unhex_digit((char)c->s[c->i + k]) < 0)
						return -EINVAL;
				c->i += 6;
			} else if (x && strchr("\"\\/bfnrt", x)) {
				c->i += 2;
			} else {
				return -EINVAL;
			}
			continue;
		}
		k = utf8_next(c->s + c->i, c->n - c->i, &bad);
		if (!k)
			return -EINVAL;
		c->i += k;
	}
	return -EINVAL;
}

static int jc_digits(struct jc *c)
{
	size_t start = c->i;

	while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
		c->i++;
	return c->i > start ? 0 : -EINVAL;
}

static int jc_number(struct jc *c)
{
	if (c->i < c->n && c->s[c->i] == '-')
		c->i++;
	if (c->i >= c->n)
		return -EINVAL;
	if (c->s[c->i] == '0')
		c->i++;
	else if (jc_digits(c) < 0)
		return -EINVAL;
	if (c->i < c->n && c->s[c->i] == '.') {
		c->i++;
		if (jc_digits(c) < 0)
			return -EINVAL;
	}
	if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
		c->i++;
		if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
			c->i++;
		if (jc_digits(c) < 0)
			return -EINVAL;
	}
	return 0;
}

static int jc_literal(struct jc *c, const char *lit)
{
	size_t l = strlen(lit);

	if (c->n - c->i < l || memcmp(c->s + c->i, lit, l) != 0)
		return -EINVAL;
	c->i += l;
	return 0;
}

static int jc_value(struct jc *c, unsigned depth)
{
	unsigned char x;

	jc_ws(c);
	if (c->i >= c->n)
		return -EINVAL;
	x = c->s[c->i];
	if (x == '{' || x == '[') {
		unsigned char close = x == '{' ? '}' : ']';

		if (depth >= JC_MAX_DEPTH)
			return -EINVAL;
		c->i++;
		jc_ws(c);
		if (c->i < c->n && c->s[c->i] == close) {
			c->i++;
			return 0;
		}
		for (;;) {
			if (x == '{') {
				jc_ws(c);
				if (jc_string(c) < 0)
					return -EINVAL;
				jc_ws(c);
				if (c->i >= c->n || c->s[c->i] != ':')
					return -EINVAL;
				c->i++;
			}
			if (jc_value(c, depth + 1) < 0)
				return -EINVAL;
			jc_ws(c);
			if (c->i >= c->n)
				return -EINVAL;
			if (c->s[c->i] == close) {
				c->i++;
				return 0;
			}
			if (c->s[c->i] != ',')
				return -EINVAL;
			c->i++;
		}
	}
	if (x == '"')
		return jc_string(c);
	if (x == 't')
		return jc_literal(c, "true");
	if (x == 'f')
		return jc_literal(c, "false");
	if (x == 'n')
		return jc_literal(c, "null");
	return jc_number(c);
}

int pf_json_check(const char *s, size_t n)
{
	struct jc c = { .s = (const unsigned char *)s, .n = n, .i = 0 };

	if (!s)
		return -EINVAL;
	if (jc_value(&c, 0) < 0)
		return -EINVAL;
	jc_ws(&c);
	return c.i == c.n ? 0 : -EINVAL;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* JSON writer and strict reader; see json.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"
#include "util.h"

/* --- escaping --------------------------------------------------------- */

/* 1 for a byte written as is: printable ASCII but '"' and '\\'. */
static const unsigned char plain[256] = {
	[0x20 ... 0x21] = 1, /* '"' is 0x22 */
	[0x23 ... 0x5b] = 1, /* '\\' is 0x5c */
	[0x5d ... 0x7e] = 1,
};

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

		if (plain[c]) {
			/* the common case: a run of printable ASCII */
			size_t k = i + 1;

			while (k < n && plain[s[k]])
				k++;
			run += k - i;
			i = k;
			continue;
		}
		if (c >= 0x80) {
			k = pf_utf8_next(s + i, n - i, NULL, &bad);
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

/* A key of @len bytes (escaped as needed), in any layout. */
static void key_n(struct pf_json *j, const char *name, size_t len)
{
	if (j->depth == 0 || j->after_key) {
		j->misuse = 1;
		return;
	}
	sep(j);
	pf_json_escape(j->b, name, len);
	if (j->pretty)
		pf_buf_putn(j->b, ": ", 2);
	else
		pf_buf_putc(j->b, ':');
	j->after_key = 1;
}

void pf_json_key_lit_framed(struct pf_json *j, const char *framed, size_t len)
{
	if (j->depth == 0 || j->after_key || j->pretty) {
		/* the name alone: between ," and ": */
		key_n(j, framed + 2, len - 4);
		return;
	}
	if (j->has_items[j->depth])
		pf_buf_putn(j->b, framed, len);
	else
		pf_buf_putn(j->b, framed + 1, len - 1);
	j->has_items[j->depth] = 1;
	j->after_key = 1;
}

void pf_json_key(struct pf_json *j, const char *name)
{
	key_n(j, name, strlen(name));
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
	/* two digits a division */
	static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
				       "25262728293031323334353637383940414243444546474849"
				       "50515253545556575859606162636465666768697071727374"
				       "75767778798081828384858687888990919293949596979899";
	char d[24];
	int i = (int)sizeof(d);

	while (v >= 10) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		d[--i] = pairs[2 * r + 1];
		d[--i] = pairs[2 * r];
	}
	/* v < 10 now; 0 after pairs only if the last pair was 10..99 */
	if (v || i == (int)sizeof(d))
		d[--i] = (char)('0' + v);
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

/* --- strict reader ---------------------------------------------------- */

#define JC_MAX_DEPTH 256

struct jc {
	const unsigned char *s;
	size_t n, i;
	/* the top-level object's members go to fn (when set); what it
	 * returned to stop the scan is kept in stop */
	pf_json_member_fn fn;
	void *data;
	int stop;
};

static void jc_ws(struct jc *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
			       c->s[c->i] == '\n' || c->s[c->i] == '\r'))
		c->i++;
}

static int jc_string(struct jc *c)
{
	size_t k;

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
		k = pf_utf8_next(c->s + c->i, c->n - c->i, NULL, NULL);
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
			size_t key = 0, key_end = 0, val = 0; /* offsets of a member */

			if (x == '{') {
				jc_ws(c);
				key = c->i;
				if (jc_string(c) < 0)
					return -EINVAL;
				key_end = c->i;
				jc_ws(c);
				if (c->i >= c->n || c->s[c->i] != ':')
					return -EINVAL;
				c->i++;
				jc_ws(c);
				val = c->i;
			}
			if (jc_value(c, depth + 1) < 0)
				return -EINVAL;
			if (x == '{' && depth == 0 && c->fn) {
				const struct pf_json_member m = {
					.key = (const char *)c->s + key + 1, /* inside the quotes */
					.key_len = key_end - key - 2,
					.val = (const char *)c->s + val,
					.val_len = c->i - val,
				};

				c->stop = c->fn(&m, c->data);
				if (c->stop < 0)
					return c->stop;
			}
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

/* The whole of c->s: one value and white space around it. */
static int jc_document(struct jc *c)
{
	int r = jc_value(c, 0);

	if (r < 0)
		return c->stop < 0 ? c->stop : -EINVAL;
	jc_ws(c);
	return c->i == c->n ? 0 : -EINVAL;
}

int pf_json_check(const char *s, size_t n)
{
	struct jc c = { .s = (const unsigned char *)s, .n = n };

	if (!s)
		return -EINVAL;
	return jc_document(&c);
}

int pf_json_scan_object(const char *s, size_t n, pf_json_member_fn fn, void *data)
{
	struct jc c = { .s = (const unsigned char *)s, .n = n, .fn = fn, .data = data };

	if (!s)
		return -EINVAL;
	jc_ws(&c);
	if (c.i >= c.n || c.s[c.i] != '{')
		return -EINVAL;
	return jc_document(&c);
}

static unsigned hex4(const char *p)
{
	return (unsigned)(pf_unhex_digit(p[0]) << 12 | pf_unhex_digit(p[1]) << 8 |
			  pf_unhex_digit(p[2]) << 4 | pf_unhex_digit(p[3]));
}

int pf_json_unescape(const char *tok, size_t n, struct pf_buf *out)
{
	const char *v = tok;
	size_t i = 1;

	if (n < 2 || v[0] != '"')
		return -EINVAL;
	n--; /* closing quote */
	while (i < n) {
		size_t run = i;

		while (run < n && v[run] != '\\')
			run++;
		pf_buf_putn(out, v + i, run - i);
		i = run;
		if (i >= n)
			break;
		switch (v[i + 1]) {
		case 'b': pf_buf_putc(out, '\b'); break;
		case 'f': pf_buf_putc(out, '\f'); break;
		case 'n': pf_buf_putc(out, '\n'); break;
		case 'r': pf_buf_putc(out, '\r'); break;
		case 't': pf_buf_putc(out, '\t'); break;
		case 'u': {
			unsigned cp = hex4(v + i + 2);
			i += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && v[i] == '\\' &&
			    v[i + 1] == 'u') {
				unsigned lo = hex4(v + i + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			pf_utf8_put(out, cp);
			continue;
		}
		default: pf_buf_putc(out, v[i + 1]); break; /* " \ / */
		}
		i += 2;
	}
	return out->oom ? -ENOMEM : 0;
}

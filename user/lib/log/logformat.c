/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Audit records for a terminal; see logformat.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "logformat.h"
#include "utf8.h"
#include "util.h"

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

/* A run's repeats (the "repeat" of a kernel line): " (+N repeats)". */
static void put_repeat(const struct pf_logrec *r, struct pf_buf *t)
{
	uint64_t n;

	if (pf_logrec_u64(r, "repeat", &n) == 0)
		pf_buf_printf(t, " (+%llu repeats)", (unsigned long long)n);
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
		if (pf_logrec_path(r, &raw) == 0 && raw.data)
			pf_log_escape_term(&t, raw.data, raw.len);
		else
			pf_buf_putc(&t, '?');
		pf_buf_free(&raw);
		put_repeat(r, &t);
	} else if (pf_logrec_find(r, "repeat")) {
		/* a run's repeats whose first line the agent did not see */
		pf_buf_puts(&t, "dev=");
		col_field(r, "dev", &t, 0, 0);
		pf_buf_puts(&t, " ino=");
		col_field(r, "ino", &t, 0, 0);
		put_repeat(r, &t);
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

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A growable byte buffer and a small JSON writer.
 *
 * The buffer's out-of-memory state is sticky: once an allocation fails,
 * `oom` is set and every later append is dropped, so a caller can build a
 * whole document and check once at the end. While data is non-NULL it is
 * always NUL-terminated (data[len] == '\0').
 *
 * The writer emits commas and (optionally) indentation itself. Strings are
 * escaped so that the output is always valid JSON and valid UTF-8: bytes that
 * are not valid UTF-8 are replaced by U+FFFD and the string call reports that
 * it was lossy. */
#ifndef PF_JSON_H
#define PF_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Hard cap on a buffer's size: appends beyond it fail like an allocation
 * failure (oom is set). */
#define PF_BUF_MAX ((size_t)1 << 30)

struct pf_buf {
	char *data;
	size_t len, cap;
	int oom;
};

void pf_buf_init(struct pf_buf *b);
void pf_buf_free(struct pf_buf *b);
/* Empties the buffer (keeps its memory) and clears oom. */
void pf_buf_reset(struct pf_buf *b);
/* Appenders: 0, or -ENOMEM (and oom set) if the bytes could not be added. */
int pf_buf_putc(struct pf_buf *b, char c);
int pf_buf_puts(struct pf_buf *b, const char *s);
int pf_buf_putn(struct pf_buf *b, const void *p, size_t n);
int pf_buf_printf(struct pf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends 2*n lowercase hex digits. */
void pf_hex(struct pf_buf *b, const void *p, size_t n);

/* 1 if p[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF, no truncated sequences), else 0. */
int pf_utf8_valid(const void *p, size_t n);

/* Appends p[0..n) as a quoted, escaped JSON string. Returns 1 if some bytes
 * were not valid UTF-8 and were replaced by \ufffd, else 0. */
int pf_json_escape(struct pf_buf *b, const void *p, size_t n);

#define PF_JSON_MAX_DEPTH 32

struct pf_json {
	struct pf_buf *b;
	int pretty;
	unsigned depth;
	int after_key;     /* a key was written, its value comes next */
	int misuse;        /* nesting deeper than PF_JSON_MAX_DEPTH or unbalanced */
	unsigned char has_items[PF_JSON_MAX_DEPTH + 1];
};

/* pretty: 0 for one compact line, 1 for two-space indentation. */
void pf_json_init(struct pf_json *j, struct pf_buf *b, int pretty);
void pf_json_obj_begin(struct pf_json *j);
void pf_json_obj_end(struct pf_json *j);
void pf_json_arr_begin(struct pf_json *j);
void pf_json_arr_end(struct pf_json *j);
void pf_json_key(struct pf_json *j, const char *name);
/* Return 1 if the string was lossy (invalid UTF-8 replaced), else 0. */
int pf_json_str(struct pf_json *j, const char *s);
int pf_json_strn(struct pf_json *j, const void *s, size_t n);
void pf_json_uint(struct pf_json *j, uint64_t v);
void pf_json_int(struct pf_json *j, int64_t v);
void pf_json_bool(struct pf_json *j, int v);
void pf_json_null(struct pf_json *j);

/* Strict RFC 8259 check that s[0..n) is exactly one JSON value (with
 * optional surrounding whitespace), strings being valid UTF-8 without raw
 * control bytes; nesting deeper than 256 is refused. 0 or -EINVAL. */
int pf_json_check(const char *s, size_t n);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A growable byte buffer.
 *
 * The buffer's out-of-memory state is sticky: once an allocation fails,
 * `oom` is set and every later append is dropped, so a caller can build a
 * whole document and check once at the end. While data is non-NULL it is
 * always NUL-terminated (data[len] == '\0'). */
#ifndef PF_BUF_H
#define PF_BUF_H

#include <stddef.h>
#include <string.h>

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
int pf_buf_puts(struct pf_buf *b, const char *s);
/* The growing path of pf_buf_putn (below: the fast path inline, the event
 * path formats with many small appends). */
int pf_buf_putn_grow(struct pf_buf *b, const void *p, size_t n);

static inline int pf_buf_putn(struct pf_buf *b, const void *p, size_t n)
{
	if (!b->oom && n < b->cap - b->len) {
		if (n)
			memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return pf_buf_putn_grow(b, p, n);
}

static inline int pf_buf_putc(struct pf_buf *b, char c)
{
	if (!b->oom && b->cap - b->len > 1) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return pf_buf_putn_grow(b, &c, 1);
}
int pf_buf_printf(struct pf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends 2*n lowercase hex digits. */
void pf_hex(struct pf_buf *b, const void *p, size_t n);

#endif

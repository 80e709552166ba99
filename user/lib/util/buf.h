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

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The growable byte buffer; see buf.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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

int pf_buf_putn_grow(struct pf_buf *b, const void *p, size_t n)
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

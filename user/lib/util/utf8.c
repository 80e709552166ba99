/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UTF-8 decoding and encoding; see utf8.h. */
#include "utf8.h"

size_t pf_utf8_next(const unsigned char *s, size_t n, unsigned *ret_cp, size_t *ret_bad)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf, cp;
	size_t need, i;

	if (c < 0x80) {
		if (ret_cp)
			*ret_cp = c;
		return 1;
	}
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
		if (ret_bad)
			*ret_bad = 1; /* continuation byte, C0, C1, F5..FF */
		return 0;
	}
	cp = c & (0x7f >> (need + 1)); /* the lead byte's payload bits */
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			if (ret_bad)
				*ret_bad = i;
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	if (ret_cp)
		*ret_cp = cp;
	return need + 1;
}

int pf_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, k;

	while (i < n) {
		k = pf_utf8_next(s + i, n - i, NULL, NULL);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

void pf_utf8_put(struct pf_buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		pf_buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		pf_buf_putn(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		pf_buf_putn(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		pf_buf_putn(b, u, 4);
	}
}

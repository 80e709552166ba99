/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequences. */
#ifndef PF_UTF8_H
#define PF_UTF8_H

#include <stddef.h>

#include "buf.h"

/* The sequence at s[0..n) (n >= 1): its length (1..4) when it is
 * well-formed, with its code point in *@ret_cp; else 0, with in *@ret_bad
 * the length of its maximal ill-formed subpart (at least 1), the bytes one
 * U+FFFD replaces (Unicode chapter 3, "U+FFFD Substitution of Maximal
 * Subparts"). Either output may be NULL. */
size_t pf_utf8_next(const unsigned char *s, size_t n, unsigned *ret_cp, size_t *ret_bad);

/* 1 if p[0..n) is valid UTF-8, else 0. */
int pf_utf8_valid(const void *p, size_t n);

/* Appends code point @cp (at most U+10FFFF) in UTF-8. */
void pf_utf8_put(struct pf_buf *b, unsigned cp);

#endif

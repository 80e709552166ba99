/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One line of the audit log: its top-level fields, read only after a strict
 * JSON check, and its SHA-256, the link of the hash chain (the next line's
 * "prev"). See docs/audit-log.md for the format. */
#ifndef PF_LOGREC_H
#define PF_LOGREC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The SHA-256 of a line's bytes ('\n' included): what the next line's
 * "prev" names. All zeros if libcrypto fails (it never matches a prev). */
#define PF_SHA256_LEN 32
void pf_sha256(const void *p, size_t n, uint8_t out[PF_SHA256_LEN]);

#define PF_LOGREC_MAX_FIELDS 128

struct pf_logrec_field {
	const char *key; /* the key's bytes, without quotes (never escaped) */
	size_t key_len;
	const char *val; /* the value's raw JSON text: "...", 12, true, {...} */
	size_t val_len;
};

struct pf_logrec {
	size_t n;
	struct pf_logrec_field f[PF_LOGREC_MAX_FIELDS];
};

/* Splits one line (a trailing '\n' is allowed) into its top-level fields;
 * pointers refer into @line. The line must be exactly one JSON object (strict
 * RFC 8259, see pf_json_check), with at most PF_LOGREC_MAX_FIELDS keys, no
 * key written with escapes and no key twice. 0 or -EINVAL. */
int pf_logrec_parse(const char *line, size_t len, struct pf_logrec *ret);
const struct pf_logrec_field *pf_logrec_find(const struct pf_logrec *r, const char *key);
/* A string field's bytes, unescaped (\u0000 and lone surrogates included:
 * the latter become U+FFFD), appended to @out. -ENOENT (absent), -EINVAL
 * (not a string), -ENOMEM. */
int pf_logrec_str(const struct pf_logrec *r, const char *key, struct pf_buf *out);
/* 1 if the field is a string equal to @s, else 0. */
int pf_logrec_str_eq(const struct pf_logrec *r, const char *key, const char *s);
/* A non-negative integer field (no fraction, no exponent, < 2^64). */
int pf_logrec_u64(const struct pf_logrec *r, const char *key, uint64_t *ret);
/* Parses the "time" field (RFC 3339) into Unix nanoseconds. */
int pf_logrec_time(const struct pf_logrec *r, int64_t *ret_ns);
/* The record's path bytes into @out (empty): from "path_hex" when it is
 * there and well-formed (the raw bytes of a path that is not UTF-8), else
 * the string "path", with pf_logrec_str()'s returns. */
int pf_logrec_path(const struct pf_logrec *r, struct pf_buf *out);

#endif

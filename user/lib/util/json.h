/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* JSON: a small writer, and a strict reader for documents that may come
 * from an attacker (the audit log's lines).
 *
 * The writer emits commas and (optionally) indentation itself. Strings are
 * escaped so that the output is always valid JSON and valid UTF-8: bytes that
 * are not valid UTF-8 are replaced by U+FFFD and the string call reports that
 * it was lossy.
 *
 * The reader is one bounds-checked scanner: it checks a document strictly
 * (RFC 8259) and can hand out an object's top-level members as it goes;
 * nothing is read out of a document before the scanner has accepted it. */
#ifndef PF_JSON_H
#define PF_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

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
/* The same for a string literal key the caller knows needs no escaping
 * (printable ASCII without '"' or '\\'), through PF_JSON_KEY_LIT: the key,
 * its quotes, the separator before it and the colon after it are made by
 * the compiler, so ,"lit": is one copy (the event path writes about twenty
 * keys a line). */
void pf_json_key_lit_framed(struct pf_json *j, const char *framed, size_t len);
#define PF_JSON_KEY_LIT(j, lit) pf_json_key_lit_framed((j), ",\"" lit "\":", sizeof(lit) + 3)
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

/* One member of an object, as it stands in the document: the key's bytes
 * between its quotes (escapes not undone) and the value's JSON text ("...",
 * 12, true, {...}). */
struct pf_json_member {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

/* Called for each top-level member, in order; a negative return stops the
 * scan. */
typedef int (*pf_json_member_fn)(const struct pf_json_member *m, void *data);

/* pf_json_check() of a document that must be one object, calling @fn for
 * each of its top-level members as they are checked. 0, -EINVAL (not one
 * strictly valid object), or what @fn returned to stop. */
int pf_json_scan_object(const char *s, size_t n, pf_json_member_fn fn, void *data);

/* Appends the bytes of the string token @tok[0..n) (quotes included; one
 * the checker accepted) with its escapes undone: \u0000 becomes a NUL byte,
 * a surrogate pair its code point and a lone surrogate U+FFFD. 0, -EINVAL
 * (not a string token) or -ENOMEM. */
int pf_json_unescape(const char *tok, size_t n, struct pf_buf *out);

#endif

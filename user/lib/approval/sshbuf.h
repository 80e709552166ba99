/* sshbuf: a bounds-checked reader over untrusted bytes, strict base64 and
 * ASCII armor, and the small error-message buffer shared by the token,
 * SSHSIG and allowed_signers parsers.
 *
 * Reader rules (SSH wire encoding, RFC 4251 section 5):
 *  - every getter checks the remaining length before touching a byte and
 *    leaves the reader and its ret_ outputs unchanged on failure;
 *  - a "string" is a u32 big-endian length followed by that many bytes;
 *    every string getter takes a hard cap and refuses longer strings
 *    before any allocation (-EMSGSIZE);
 *  - pf_sshbuf_expect_end() is the "no trailing bytes" check.
 *
 * Errors: -EBADMSG malformed or short input, -EMSGSIZE over a cap,
 * -ENOMEM out of memory, -EINVAL caller mistake. Nothing here prints.
 */
#ifndef PF_SSHBUF_H
#define PF_SSHBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- reader ----------------------------------------------------------- */

struct pf_sshbuf {
	const uint8_t *p;
	size_t len;
	size_t off;
};

void pf_sshbuf_init(struct pf_sshbuf *b, const void *data, size_t len);
size_t pf_sshbuf_remaining(const struct pf_sshbuf *b);
/* 0 if every byte was consumed, -EBADMSG if trailing bytes remain. */
int pf_sshbuf_expect_end(const struct pf_sshbuf *b);

int pf_sshbuf_get_u8(struct pf_sshbuf *b, uint8_t *ret_v);
int pf_sshbuf_get_u32(struct pf_sshbuf *b, uint32_t *ret_v);
/* n raw bytes, zero-copy: *ret_p points into the buffer. */
int pf_sshbuf_get_bytes(struct pf_sshbuf *b, size_t n, const uint8_t **ret_p);
/* An SSH string of at most max bytes, zero-copy. */
int pf_sshbuf_get_string(struct pf_sshbuf *b, size_t max,
			 const uint8_t **ret_p, size_t *ret_len);
/* An SSH string of at most max bytes as a sub-reader over its contents. */
int pf_sshbuf_get_sub(struct pf_sshbuf *b, size_t max, struct pf_sshbuf *ret_sub);
/* An SSH string of at most max bytes, no NUL inside, copied into a fresh
 * NUL-terminated allocation (caller frees). */
int pf_sshbuf_get_cstring(struct pf_sshbuf *b, size_t max, char **ret_s);
/* Reads an SSH string and compares it with want; -EBADMSG if it differs. */
int pf_sshbuf_expect_cstring(struct pf_sshbuf *b, const char *want);
/* An unsigned SSH mpint of at most max_bytes magnitude bytes: refuses
 * negative numbers and non-minimal encodings (a leading 0x00 that is not
 * needed for the sign). The returned pointer and length are the magnitude without the sign
 * byte; zero is returned as length 0. */
int pf_sshbuf_get_mpint(struct pf_sshbuf *b, size_t max_bytes,
			const uint8_t **ret_p, size_t *ret_len);

/* ---- writer (growable; used to build signed data and test vectors) ---- */

/* Hard cap on a writer's size. */
#define PF_SSHBUF_WRITER_MAX (1u << 20)

struct pf_sshbuf_w {
	uint8_t *p;
	size_t len, cap;
	int error; /* sticky: first failure, reported by pf_sshbuf_w_finish */
};

void pf_sshbuf_w_init(struct pf_sshbuf_w *w);
void pf_sshbuf_w_put(struct pf_sshbuf_w *w, const void *data, size_t n);
void pf_sshbuf_w_u8(struct pf_sshbuf_w *w, uint8_t v);
void pf_sshbuf_w_u32(struct pf_sshbuf_w *w, uint32_t v);
void pf_sshbuf_w_string(struct pf_sshbuf_w *w, const void *data, size_t n);
void pf_sshbuf_w_cstring(struct pf_sshbuf_w *w, const char *s);
/* Magnitude bytes (leading zeros allowed, stripped) written as an mpint. */
void pf_sshbuf_w_mpint(struct pf_sshbuf_w *w, const uint8_t *mag, size_t n);
/* Returns the sticky error (negative errno) or 0; on success hands the
 * buffer to the caller, on failure frees it. */
int pf_sshbuf_w_finish(struct pf_sshbuf_w *w, uint8_t **ret_p, size_t *ret_len);
void pf_sshbuf_w_free(struct pf_sshbuf_w *w);

/* ---- base64 ----------------------------------------------------------- */

/* Strict RFC 4648 base64 decode of in[0..inlen): standard alphabet only,
 * no whitespace, length a multiple of 4, '=' only as final padding, and
 * unused bits of the last symbol zero (one encoding per byte string).
 * Writes at most outcap bytes. -EBADMSG if malformed, -EMSGSIZE if outcap
 * is too small. */
int pf_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
		     size_t *ret_len);

/* Output size (excluding NUL) of pf_base64_encode for n bytes. */
#define PF_BASE64_LEN(n, pad) ((pad) ? (((n) + 2) / 3) * 4 : ((n) * 4 + 2) / 3)

/* Encodes into out (outcap bytes including the NUL). pad=false gives the
 * unpadded form ssh-keygen uses in SHA256 fingerprints. */
int pf_base64_encode(const uint8_t *in, size_t n, bool pad, char *out,
		     size_t outcap);

/* ---- ASCII armor ------------------------------------------------------ */

/* Longest base64 line accepted inside armor (ssh-keygen writes 70). */
#define PF_ARMOR_MAX_LINE 76

/* Decodes one armored block at the start of text:
 *     -----BEGIN <label>-----\n
 *     <base64 lines, 1..PF_ARMOR_MAX_LINE characters each>\n
 *     -----END <label>-----\n
 * LF line ends only (a CR is refused), no blank lines, the END line's LF
 * required. The decoded payload must be at most max_out bytes (checked
 * before allocation). On success *ret_blob is allocated (caller frees) and
 * *ret_used is the number of bytes of text consumed, so a caller can walk
 * a sequence of blocks. */
int pf_armor_decode(const char *text, size_t len, const char *label,
		    size_t max_out, uint8_t **ret_blob, size_t *ret_len,
		    size_t *ret_used, struct pf_err *err);

/* Encodes blob as an armored block with 70-character lines, as ssh-keygen
 * does. *ret_text is allocated and NUL-terminated. */
int pf_armor_encode(const uint8_t *blob, size_t n, const char *label,
		    char **ret_text, size_t *ret_len);

#endif

/* Control-socket messages between the CLI and the agent.
 *
 * Framing: a 4-byte big-endian length, then the body. Bodies are capped at
 * PF_MSG_MAX bytes; a frame announcing more is refused before any read or
 * allocation. A body is a sequence of lines `key=value\n`:
 *   key   [a-z0-9_.-]{1,32}, optionally ending in "[]" for a list item
 *   value printable ASCII except '\'; '\\' is written "\\\\", a newline
 *         "\\n", any other byte "\\xHH". NUL is never allowed.
 * At most PF_MSG_MAX_ITEMS lines. Requests start with `cmd=`, replies with
 * `status=ok` or `status=error` followed by `error=`. */
#ifndef PF_CTL_H
#define PF_CTL_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define PF_MSG_MAX (1024 * 1024)
#define PF_MSG_MAX_ITEMS 4096
#define PF_MSG_KEY_MAX 32

struct pf_kv {
	char *key;
	char *val;
};

struct pf_msg {
	struct pf_kv *kv;
	size_t n, cap;
};

void pf_msg_init(struct pf_msg *m);
void pf_msg_free(struct pf_msg *m);
int pf_msg_add(struct pf_msg *m, const char *key, const char *val);
int pf_msg_addf(struct pf_msg *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* First value for @key, or NULL. */
const char *pf_msg_get(const struct pf_msg *m, const char *key);
int pf_msg_encode(const struct pf_msg *m, struct pf_buf *out);
/* Decodes @len bytes. On error returns -EINVAL and writes a message naming
 * the line and the problem into @err; @m is left empty. */
int pf_msg_decode(const char *buf, size_t len, struct pf_msg *m, struct pf_err *err);
/* @m as one frame (length, then body) appended to @out. */
int pf_msg_frame(const struct pf_msg *m, struct pf_buf *out);
int pf_msg_send(int fd, const struct pf_msg *m);
/* Reads one frame. -EMSGSIZE for an oversized frame, -EPROTO for a short
 * one or a body that does not decode (message in @err). */
int pf_msg_recv(int fd, struct pf_msg *m, struct pf_err *err);
/* The same, the whole frame within @timeout_ns however its bytes are
 * spaced (0: no limit): -ETIMEDOUT otherwise. */
int pf_msg_recv_by(int fd, struct pf_msg *m, int64_t timeout_ns, struct pf_err *err);

/* One frame read piece by piece, for a server that serves many clients
 * from one event loop: each feed does at most one read(). */
struct pf_msg_reader {
	unsigned char hdr[4];
	size_t got;    /* bytes of header and body so far */
	uint32_t len;  /* of the body, once the header is in */
	char *body;
};

void pf_msg_reader_init(struct pf_msg_reader *r);
void pf_msg_reader_free(struct pf_msg_reader *r);
/* 1: the frame is complete and decoded into @m; 0: progress, more to
 * come; -EAGAIN: nothing to read now; otherwise the errors of
 * pf_msg_recv (message in @err). */
int pf_msg_reader_feed(struct pf_msg_reader *r, int fd, struct pf_msg *m, struct pf_err *err);

#endif

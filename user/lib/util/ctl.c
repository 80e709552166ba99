#include <errno.h>
#include <poll.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "ctl.h"
#include "util.h"

void pf_msg_init(struct pf_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void pf_msg_free(struct pf_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].val);
	}
	free(m->kv);
	pf_msg_init(m);
}

static int key_ok(const char *k)
{
	size_t n = strlen(k), body = n;

	if (n > 2 && strcmp(k + n - 2, "[]") == 0)
		body = n - 2;
	if (body == 0 || n > PF_MSG_KEY_MAX)
		return 0;
	for (size_t i = 0; i < body; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

int pf_msg_add(struct pf_msg *m, const char *key, const char *val)
{
	struct pf_kv *kv;

	if (!key_ok(key) || !val)
		return -EINVAL;
	if (m->n >= PF_MSG_MAX_ITEMS)
		return -E2BIG;
	if (PF_ARRAY_GROW(m->kv, m->cap, m->n) < 0)
		return -ENOMEM;
	kv = &m->kv[m->n];
	kv->key = strdup(key);
	kv->val = strdup(val);
	if (!kv->key || !kv->val) {
		free(kv->key);
		free(kv->val);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

int pf_msg_addf(struct pf_msg *m, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = pf_msg_add(m, key, s);
	free(s);
	return r;
}

const char *pf_msg_get(const struct pf_msg *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].key, key) == 0)
			return m->kv[i].val;
	return NULL;
}

int pf_msg_encode(const struct pf_msg *m, struct pf_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t at = out->len;

	for (size_t i = 0; i < m->n; i++) {
		pf_buf_puts(out, m->kv[i].key);
		pf_buf_putc(out, '=');
		for (const unsigned char *p = (const unsigned char *)m->kv[i].val; *p; p++) {
			if (*p == '\\') {
				pf_buf_puts(out, "\\\\");
			} else if (*p == '\n') {
				pf_buf_puts(out, "\\n");
			} else if (*p >= 0x20 && *p < 0x7f) {
				pf_buf_putc(out, (char)*p);
			} else {
				char e[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
				pf_buf_putn(out, e, 4);
			}
		}
		pf_buf_putc(out, '\n');
	}
	if (out->oom)
		return -ENOMEM;
	return out->len - at > PF_MSG_MAX ? -EMSGSIZE : 0;
}

int pf_msg_decode(const char *buf, size_t len, struct pf_msg *m, struct pf_err *err)
{
	struct pf_msg out;
	size_t pos = 0, line = 0;
	int r = 0;

	pf_msg_init(&out);
	if (len > PF_MSG_MAX) {
		pf_err_set(err, "message of %zu bytes exceeds the %d-byte limit", len,
			 PF_MSG_MAX);
		return -EINVAL;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		const char *eq;
		char key[PF_MSG_KEY_MAX + 1], *val;
		size_t ll, kl, vi = 0;

		line++;
		if (!nl) {
			pf_err_set(err, "line %zu: missing final newline", line);
			r = -EINVAL;
			goto out;
		}
		ll = nl - (buf + pos);
		eq = memchr(buf + pos, '=', ll);
		if (!eq) {
			pf_err_set(err, "line %zu: expected key=value", line);
			r = -EINVAL;
			goto out;
		}
		kl = eq - (buf + pos);
		if (kl == 0 || kl > PF_MSG_KEY_MAX) {
			pf_err_set(err, "line %zu: key length %zu out of range 1..%d", line, kl,
				 PF_MSG_KEY_MAX);
			r = -EINVAL;
			goto out;
		}
		memcpy(key, buf + pos, kl);
		key[kl] = 0;
		if (!key_ok(key) || memchr(key, 0, kl)) {
			pf_err_set(err, "line %zu: invalid key", line);
			r = -EINVAL;
			goto out;
		}
		val = malloc(ll - kl);
		if (!val) {
			r = -ENOMEM;
			goto out;
		}
		for (const char *p = eq + 1; p < nl; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '\\') {
				if (p + 1 < nl && p[1] == '\\') {
					val[vi++] = '\\';
					p++;
				} else if (p + 1 < nl && p[1] == 'n') {
					val[vi++] = '\n';
					p++;
				} else if (nl - p >= 4 && p[1] == 'x' && pf_unhex_digit(p[2]) >= 0 &&
					   pf_unhex_digit(p[3]) >= 0 &&
					   (pf_unhex_digit(p[2]) << 4 | pf_unhex_digit(p[3])) != 0) {
					val[vi++] = (char)(pf_unhex_digit(p[2]) << 4 | pf_unhex_digit(p[3]));
					p += 3;
				} else {
					pf_err_set(err, "line %zu: invalid escape in value of '%s'",
						 line, key);
					free(val);
					r = -EINVAL;
					goto out;
				}
			} else if (c < 0x20 || c >= 0x7f) {
				pf_err_set(err, "line %zu: raw byte 0x%02x in value of '%s'", line,
					 c, key);
				free(val);
				r = -EINVAL;
				goto out;
			} else {
				val[vi++] = (char)c;
			}
		}
		val[vi] = 0;
		r = pf_msg_add(&out, key, val);
		free(val);
		if (r < 0) {
			pf_err_set(err, "line %zu: %s", line,
				 r == -E2BIG ? "too many items" : strerror(-r));
			r = -EINVAL;
			goto out;
		}
		pos += ll + 1;
	}
	*m = out;
	return 0;
out:
	pf_msg_free(&out);
	return r;
}

void pf_msg_reader_init(struct pf_msg_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void pf_msg_reader_free(struct pf_msg_reader *r)
{
	free(r->body);
	pf_msg_reader_init(r);
}

/* -EAGAIN for nothing now, or the read's error (named in @err). */
static int read_error(struct pf_err *err)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -EAGAIN;
	pf_err_set(err, "reading the request: %s", strerror(errno));
	return -errno;
}

int pf_msg_reader_feed(struct pf_msg_reader *r, int fd, struct pf_msg *m, struct pf_err *err)
{
	ssize_t n;

	if (r->got < 4) {
		uint32_t len;

		n = read(fd, r->hdr + r->got, 4 - r->got);
		if (n < 0)
			return read_error(err);
		if (n == 0) {
			pf_err_set(err, "short frame header");
			return -EPROTO;
		}
		r->got += (size_t)n;
		if (r->got < 4)
			return 0;
		memcpy(&len, r->hdr, 4);
		r->len = ntohl(len);
		if (r->len > PF_MSG_MAX) {
			pf_err_set(err, "frame of %u bytes exceeds the %d-byte limit", r->len,
				   PF_MSG_MAX);
			return -EMSGSIZE;
		}
		r->body = malloc(r->len ? r->len : 1);
		if (!r->body) {
			pf_err_set(err, "out of memory for a %u-byte frame", r->len);
			return -ENOMEM;
		}
		if (r->len)
			return 0; /* one read() per feed: the body may not be here yet */
	} else {
		n = read(fd, r->body + (r->got - 4), r->len - (r->got - 4));
		if (n < 0)
			return read_error(err);
		if (n == 0) {
			pf_err_set(err, "short frame body (wanted %u bytes)", r->len);
			return -EPROTO;
		}
		r->got += (size_t)n;
		if (r->got - 4 < r->len)
			return 0;
	}
	if (pf_msg_decode(r->body, r->len, m, err) < 0)
		return -EPROTO;
	return 1;
}

int pf_msg_frame(const struct pf_msg *m, struct pf_buf *out)
{
	uint32_t len;
	size_t at = out->len;
	int r;

	pf_buf_putn(out, "\0\0\0\0", 4);
	r = pf_msg_encode(m, out);
	if (r < 0)
		return r;
	len = htonl((uint32_t)(out->len - at - 4));
	memcpy(out->data + at, &len, 4);
	return 0;
}

int pf_msg_send(int fd, const struct pf_msg *m)
{
	struct pf_buf b;
	int r;

	pf_buf_init(&b);
	r = pf_msg_frame(m, &b);
	if (r == 0)
		r = pf_write_all(fd, b.data, b.len);
	pf_buf_free(&b);
	return r;
}

int pf_msg_recv_by(int fd, struct pf_msg *m, int64_t timeout_ns, struct pf_err *err)
{
	int64_t deadline = timeout_ns > 0 ? pf_clock_ns(CLOCK_MONOTONIC) + timeout_ns : 0;
	struct pf_msg_reader rd;
	int r;

	pf_msg_reader_init(&rd);
	for (;;) {
		if (deadline) {
			int64_t left = deadline - pf_clock_ns(CLOCK_MONOTONIC);
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int pr = left > 0 ? poll(&pfd, 1, (int)((left + 999999) / 1000000)) : 0;

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0) {
				r = -errno;
				pf_err_set(err, "poll: %s", strerror(errno));
				break;
			}
			if (pr == 0) {
				r = -ETIMEDOUT;
				if (rd.got < 4)
					pf_err_set(err, "no complete frame header within %lld ms",
						   (long long)(timeout_ns / 1000000));
				else
					pf_err_set(err, "frame body (%u bytes) not complete within %lld ms",
						   rd.len, (long long)(timeout_ns / 1000000));
				break;
			}
		}
		r = pf_msg_reader_feed(&rd, fd, m, err);
		if (r == 1) {
			r = 0;
			break;
		}
		if (r < 0 && r != -EAGAIN)
			break;
	}
	pf_msg_reader_free(&rd);
	return r;
}

int pf_msg_recv(int fd, struct pf_msg *m, struct pf_err *err)
{
	return pf_msg_recv_by(fd, m, 0, err);
}

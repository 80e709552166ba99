/* Control-socket messages: codec round trips, every decode error, framing
 * over a real socket pair (oversized, short, garbled). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include "ctl.h"
#include "tap.h"

static const char *decode_err(const char *body, size_t len)
{
	static struct pf_err err;
	struct pf_msg m;

	pf_msg_init(&m);
	err.msg[0] = 0;
	if (pf_msg_decode(body, len, &m, &err) == 0) {
		pf_msg_free(&m);
		return "(decoded)";
	}
	if (m.n != 0)
		return "(items left behind on error)";
	return err.msg;
}

static int frame_recv(const void *bytes, size_t n, struct pf_err *err)
{
	int sv[2], r;
	struct pf_msg m;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	if (write(sv[0], bytes, n) != (ssize_t)n)
		return -999;
	close(sv[0]);
	pf_msg_init(&m);
	r = pf_msg_recv(sv[1], &m, err);
	pf_msg_free(&m);
	close(sv[1]);
	return r;
}

int main(void)
{
	struct pf_msg m, d;
	struct pf_buf b;
	struct pf_err err;
	int r;

	/* Round trip with every kind of byte a value may hold. */
	pf_msg_init(&m);
	TAP_OK(pf_msg_add(&m, "cmd", "freeze") == 0, "add cmd");
	TAP_OK(pf_msg_add(&m, "reason", "a\\b\nc\x01\x7f\xff \"q\" =x") == 0, "add a value with escapes");
	TAP_OK(pf_msg_add(&m, "missing[]", "/a") == 0 && pf_msg_add(&m, "missing[]", "/b") == 0, "list items");
	pf_buf_init(&b);
	TAP_OK(pf_msg_encode(&m, &b) == 0, "encode");
	TAP_STREQ(b.data, "cmd=freeze\nreason=a\\\\b\\nc\\x01\\x7f\\xff \"q\" =x\nmissing[]=/a\nmissing[]=/b\n",
		  "encoded bytes are exactly as documented");
	pf_msg_init(&d);
	TAP_OK(pf_msg_decode(b.data, b.len, &d, &err) == 0 && d.n == 4, "decode the encoding");
	TAP_STREQ(pf_msg_get(&d, "reason"), "a\\b\nc\x01\x7f\xff \"q\" =x", "value survives the round trip");
	TAP_OK(pf_msg_get(&d, "nope") == NULL, "absent key is NULL");
	pf_msg_free(&d);
	pf_buf_free(&b);

	/* Refused on add. */
	TAP_OK(pf_msg_add(&m, "Bad", "x") == -EINVAL, "upper-case key refused");
	TAP_OK(pf_msg_add(&m, "", "x") == -EINVAL, "empty key refused");
	TAP_OK(pf_msg_add(&m, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x") == -EINVAL, "33-byte key refused");
	pf_msg_free(&m);
	pf_msg_init(&m);
	for (int i = 0; i < PF_MSG_MAX_ITEMS; i++)
		pf_msg_add(&m, "k", "v");
	TAP_OK(pf_msg_add(&m, "k", "v") == -E2BIG, "item %d refused", PF_MSG_MAX_ITEMS + 1);
	pf_msg_free(&m);

	/* Every decode error names its line and problem; nothing is kept. */
	TAP_STREQ(decode_err("cmd=status", 10), "line 1: missing final newline", "no final newline");
	TAP_STREQ(decode_err("cmd=a\nnoequals\n", 15), "line 2: expected key=value", "no '='");
	TAP_STREQ(decode_err("=x\n", 3), "line 1: key length 0 out of range 1..32", "empty key");
	TAP_STREQ(decode_err("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x\n", 36),
		  "line 1: key length 33 out of range 1..32", "long key");
	TAP_STREQ(decode_err("Cmd=x\n", 6), "line 1: invalid key", "bad key characters");
	TAP_STREQ(decode_err("k=a\tb\n", 6), "line 1: raw byte 0x09 in value of 'k'", "raw tab");
	TAP_STREQ(decode_err("k=a\xc3\xa9\n", 6), "line 1: raw byte 0xc3 in value of 'k'", "raw UTF-8 byte");
	TAP_STREQ(decode_err("k=\\q\n", 5), "line 1: invalid escape in value of 'k'", "unknown escape");
	TAP_STREQ(decode_err("k=\\x0\n", 6), "line 1: invalid escape in value of 'k'", "short \\x escape");
	TAP_STREQ(decode_err("k=\\x00\n", 7), "line 1: invalid escape in value of 'k'", "escaped NUL");
	TAP_STREQ(decode_err("k=\\\n", 4), "line 1: invalid escape in value of 'k'", "trailing backslash");
	TAP_STREQ(decode_err("k=v\0\n", 5), "line 1: raw byte 0x00 in value of 'k'", "raw NUL");
	{
		size_t n = (size_t)PF_MSG_MAX + 1;
		char *big = malloc(n);
		memset(big, 'a', n);
		TAP_STREQ(decode_err(big, n), "message of 1048577 bytes exceeds the 1048576-byte limit",
			  "oversized body");
		free(big);
	}
	{
		/* 4097 items */
		size_t n = 4097 * 4;
		char *many = malloc(n);
		for (size_t i = 0; i < 4097; i++)
			memcpy(many + 4 * i, "k=v\n", 4);
		TAP_STREQ(decode_err(many, n), "line 4097: too many items", "too many items");
		free(many);
	}
	TAP_STREQ(decode_err("", 0), "(decoded)", "an empty body decodes (to no items)");

	/* Framing over a socket. */
	{
		unsigned char big[4] = { 0x00, 0x10, 0x00, 0x01 }; /* 1048577 */
		r = frame_recv(big, 4, &err);
		TAP_OK(r == -EMSGSIZE, "frame announcing 1048577 bytes refused before reading (%d)", r);
		TAP_STREQ(err.msg, "frame of 1048577 bytes exceeds the 1048576-byte limit", "oversized frame message");
		r = frame_recv("\0\0", 2, &err);
		TAP_OK(r == -EPROTO, "2-byte header refused (%d)", r);
		TAP_STREQ(err.msg, "short frame header", "short header message");
		r = frame_recv("\0\0\0\x0b" "cmd=thaw", 12, &err);
		TAP_OK(r == -EPROTO, "body shorter than announced refused");
		TAP_STREQ(err.msg, "short frame body (wanted 11 bytes)", "short body message");
		r = frame_recv("\0\0\0\x05hello", 9, &err);
		TAP_OK(r == -EPROTO, "garbled body refused");
		TAP_STREQ(err.msg, "line 1: missing final newline", "garbled body message");
	}
	{
		int sv[2];
		struct pf_msg out, in;
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		pf_msg_init(&out);
		pf_msg_init(&in);
		pf_msg_add(&out, "cmd", "check");
		pf_msg_add(&out, "path", "/etc/a b\nc");
		TAP_OK(pf_msg_send(sv[0], &out) == 0, "send a frame");
		TAP_OK(pf_msg_recv(sv[1], &in, &err) == 0 && in.n == 2, "receive it");
		TAP_STREQ(pf_msg_get(&in, "path"), "/etc/a b\nc", "path with space and newline intact");
		pf_msg_free(&out);
		pf_msg_free(&in);
		close(sv[0]);
		close(sv[1]);
	}

	/* A slow client: a byte every 150 ms keeps each read short, but the
	 * whole request has one deadline. */
	{
		int sv[2];
		struct pf_msg in;
		struct timespec t0, t1;
		pid_t pid;
		double took;

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		pid = fork();
		if (pid == 0) {
			uint32_t len = htonl(20);
			const char *body = "cmd=status\nxxxxxxxxx";

			close(sv[1]);
			if (write(sv[0], &len, 4) != 4)
				_exit(1);
			for (int i = 0; i < 20; i++) {
				if (write(sv[0], body + i, 1) != 1)
					_exit(0);
				usleep(150000);
			}
			_exit(0);
		}
		close(sv[0]);
		pf_msg_init(&in);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = pf_msg_recv_by(sv[1], &in, 500 * 1000000LL, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		TAP_OK(r == -ETIMEDOUT, "slow client: the request's deadline passes (%d)", r);
		TAP_STREQ(err.msg, "frame body (20 bytes) not complete within 500 ms", "slow client: the error says so");
		TAP_OK(took < 2.0, "slow client: given up after the deadline, not after 20 slow bytes (%.2f s)", took);
		pf_msg_free(&in);
		close(sv[1]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* The event loop's reader: a frame arriving a byte at a time on a
	 * non-blocking socket is assembled across feeds, each feed at most
	 * one read(), nothing to read is -EAGAIN (not an error). */
	{
		int sv[2], got1 = 0, again = 0, progress = 0, bad = 0;
		struct pf_msg_reader rd;
		struct pf_msg in;
		struct pf_buf fb;

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
		pf_msg_init(&in);
		pf_msg_init(&m);
		pf_msg_add(&m, "cmd", "status");
		pf_msg_add(&m, "path", "/etc/x");
		pf_buf_init(&fb);
		TAP_OK(pf_msg_frame(&m, &fb) == 0 && fb.len == 4 + 23, "a frame: 4-byte length, then the body (%zu)", fb.len);
		pf_msg_reader_init(&rd);
		TAP_OK(pf_msg_reader_feed(&rd, sv[1], &in, &err) == -EAGAIN, "nothing sent yet: -EAGAIN");
		for (size_t i = 0; i < fb.len; i++) {
			if (write(sv[0], fb.data + i, 1) != 1)
				bad++;
			r = pf_msg_reader_feed(&rd, sv[1], &in, &err);
			if (r == 1)
				got1 += i == fb.len - 1;
			else if (r == 0)
				progress++;
			else
				bad++;
			if (r != 1 && pf_msg_reader_feed(&rd, sv[1], &in, &err) == -EAGAIN)
				again++;
			else if (r != 1)
				bad++;
		}
		TAP_OK(got1 == 1 && bad == 0, "byte by byte: complete exactly at the last byte (errors %d)", bad);
		TAP_OK(progress == (int)fb.len - 1 && again == (int)fb.len - 1, "every other byte: progress, then -EAGAIN (%d, %d)", progress, again);
		TAP_STREQ(pf_msg_get(&in, "path"), "/etc/x", "the decoded request");
		pf_msg_reader_free(&rd);
		pf_msg_free(&in);

		/* oversized: refused at the header, before any body */
		{
			uint32_t big = htonl(PF_MSG_MAX + 1);

			pf_msg_reader_init(&rd);
			if (write(sv[0], &big, 4) != 4)
				bad++;
			r = pf_msg_reader_feed(&rd, sv[1], &in, &err);
			TAP_OK(r == -EMSGSIZE && rd.body == NULL, "oversized frame: -EMSGSIZE at the header (%d)", r);
			TAP_STREQ(err.msg, "frame of 1048577 bytes exceeds the 1048576-byte limit", "oversized: said");
			pf_msg_reader_free(&rd);
		}
		/* the client goes away mid-body */
		{
			uint32_t len = htonl(10);

			pf_msg_reader_init(&rd);
			if (write(sv[0], &len, 4) != 4 || write(sv[0], "cmd=", 4) != 4)
				bad++;
			close(sv[0]);
			while ((r = pf_msg_reader_feed(&rd, sv[1], &in, &err)) == 0)
				;
			TAP_OK(r == -EPROTO, "closed mid-body: -EPROTO (%d)", r);
			TAP_STREQ(err.msg, "short frame body (wanted 10 bytes)", "closed mid-body: said");
			pf_msg_reader_free(&rd);
		}
		pf_buf_free(&fb);
		pf_msg_free(&m);
		close(sv[1]);
	}
	return TAP_DONE();
}

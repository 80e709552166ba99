/* sd_notify's datagram protocol (lib/notify.c) against real sockets: a
 * path, an abstract name ('@'), $NOTIFY_SOCKET unset, bad addresses. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "notify.h"
#include "tap.h"

/* Binds a datagram socket at @addr ('@': abstract). */
static int listen_at(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(addr);
	struct timeval tv = { .tv_sec = 2 };
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@') {
		sa.sun_path[0] = 0;
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		unlink(addr);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static const char *recv_one(int fd)
{
	static char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return "(nothing)";
	buf[n] = 0;
	return buf;
}

int main(void)
{
	char path[128], abs_name[64], big[PF_NOTIFY_MAX_MSG + 2];
	int fd;

	snprintf(path, sizeof(path), "/tmp/pf-notify-test.%d", (int)getpid());
	fd = listen_at(path);
	TAP_OK(fd >= 0, "listening on %s", path);
	TAP_OK(pf_notify_send(path, "READY=1") == 0, "send READY=1 to a path");
	TAP_STREQ(recv_one(fd), "READY=1", "the path socket got exactly READY=1");
	setenv("NOTIFY_SOCKET", path, 1);
	TAP_OK(pf_sd_notify("READY=1\nSTATUS=serving") == 0, "pf_sd_notify via $NOTIFY_SOCKET");
	TAP_STREQ(recv_one(fd), "READY=1\nSTATUS=serving", "one datagram, both lines");
	TAP_OK(pf_sd_notify("STOPPING=1") == 0, "STOPPING=1");
	TAP_STREQ(recv_one(fd), "STOPPING=1", "got STOPPING=1");
	close(fd);
	unlink(path);

	/* Abstract: '@' is the leading NUL; the name's length is exact (a
	 * trailing NUL would make it another name). */
	snprintf(abs_name, sizeof(abs_name), "@pf-notify-test-%d", (int)getpid());
	fd = listen_at(abs_name);
	TAP_OK(fd >= 0, "listening on abstract %s", abs_name);
	setenv("NOTIFY_SOCKET", abs_name, 1);
	TAP_OK(pf_sd_notify("READY=1") == 0, "send to an abstract socket");
	TAP_STREQ(recv_one(fd), "READY=1", "the abstract socket got READY=1");
	close(fd);

	/* Nobody listening: an error, not a hang. */
	TAP_OK(pf_notify_send(abs_name, "READY=1") == -ECONNREFUSED,
	       "abstract name with no listener: -ECONNREFUSED");
	TAP_OK(pf_notify_send("/nonexistent/pf.sock", "READY=1") == -ENOENT,
	       "missing path: -ENOENT");

	unsetenv("NOTIFY_SOCKET");
	TAP_OK(pf_sd_notify("READY=1") == 0, "$NOTIFY_SOCKET unset: 0, nothing sent");
	setenv("NOTIFY_SOCKET", "", 1);
	TAP_OK(pf_sd_notify("READY=1") == 0, "$NOTIFY_SOCKET empty: 0, nothing sent");

	TAP_OK(pf_notify_send("relative.sock", "READY=1") == -EINVAL, "relative path refused");
	TAP_OK(pf_notify_send("vsock:2:1234", "READY=1") == -EAFNOSUPPORT, "vsock: not supported");
	TAP_OK(pf_notify_send("@", "READY=1") == -EINVAL, "bare '@' refused");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	TAP_OK(pf_notify_send("@x", big) == -EMSGSIZE, "message over %d bytes refused",
	       PF_NOTIFY_MAX_MSG);
	{
		char longp[200];
		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = 0;
		TAP_OK(pf_notify_send(longp, "READY=1") == -EINVAL, "path longer than sun_path refused");
	}
	TAP_OK(pf_notify_send("@x", "") == -EINVAL, "empty message refused");
	return TAP_DONE();
}

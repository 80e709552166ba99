/* sd_notify's datagram protocol: see notify.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "notify.h"

int pf_notify_send(const char *addr, const char *msg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n, mlen = strlen(msg);
	socklen_t salen;
	ssize_t w;
	int fd, r = 0;

	if (!addr || !addr[0])
		return -EINVAL;
	if (addr[0] != '/' && addr[0] != '@')
		return strchr(addr, ':') ? -EAFNOSUPPORT : -EINVAL;
	n = strlen(addr);
	if (n >= sizeof(sa.sun_path) || n < 2)
		return -EINVAL;
	if (mlen == 0 || mlen > PF_NOTIFY_MAX_MSG)
		return mlen ? -EMSGSIZE : -EINVAL;
	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@') {
		/* Abstract: the leading NUL, then exactly the name's bytes. */
		sa.sun_path[0] = 0;
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		w = sendto(fd, msg, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != mlen)
		r = -EIO;
	close(fd);
	return r;
}

int pf_sd_notify(const char *msg)
{
	const char *addr = getenv("NOTIFY_SOCKET");

	if (!addr || !addr[0])
		return 0;
	return pf_notify_send(addr, msg);
}

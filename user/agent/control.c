/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket: who may talk to the agent (root, or the permafrost
 * group; the signed tokens that approve and thaw are the real control),
 * the framing (ctl.h: length-prefixed, capped, validated), and one table
 * of commands with one dispatcher. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/un.h>

#include "agent.h"
#include "util.h"

/* The whole request, from accept to the last byte of its reply. */
#define REQUEST_DEADLINE_MS 2000

struct command {
	const char *name;
	void (*handler)(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
			const struct peer *p);
};

static const struct command commands[] = {
	{ "status", cmd_status }, { "check", cmd_check },   { "freeze", cmd_freeze },
	{ "thaw", cmd_thaw },     { "approve", cmd_approve }, { "revoke", cmd_revoke },
};

void reply_error(struct pf_msg *rep, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pf_msg_free(rep);
	pf_msg_add(rep, "status", "error");
	pf_msg_add(rep, "error", buf);
}

int control_open(struct agent *a, struct pf_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = a->paths.sock;
	char *dir;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		pf_err_set(err, "control socket: path %s is longer than %zu bytes", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	r = pf_mkdir_p(dirname(dir), 0755);
	free(dir);
	if (r < 0) {
		pf_err_set(err, "control socket: creating the directory of %s: %s", path,
			 strerror(-r));
		return r;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		pf_err_set(err, "control socket: %s", strerror(errno));
		return -errno;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    chmod(path, 0660) < 0) {
		r = -errno;
		pf_err_set(err, "control socket: %s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	if (a->ctl.have_gid && chown(path, 0, a->ctl.pf_gid) < 0)
		warnx_("chown %s: %s (the permafrost group cannot use it)", path, strerror(errno));
	a->ctl.listen_fd = fd;
	return 0;
}

static int peer_in_group(int fd, const struct peer *p, gid_t g)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (p->gid == g)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == g)
				return 1;
	return 0;
}

/* The peer, if it may use the socket; otherwise the reply says why. */
static int admit(struct agent *a, int fd, struct peer *p, struct pf_msg *rep)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		reply_error(rep, "cannot read peer credentials");
		return -EACCES;
	}
	*p = (struct peer){ .uid = cred.uid, .gid = cred.gid, .pid = cred.pid };
	if (p->uid != 0 && !(a->ctl.have_gid && peer_in_group(fd, p, a->ctl.pf_gid))) {
		reply_error(rep, "permission denied: uid %u is neither root nor in the 'permafrost' "
				 "group",
			    p->uid);
		return -EACCES;
	}
	return 0;
}

static void dispatch(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		     const struct peer *p)
{
	const char *cmd;

	if (!req->n || strcmp(req->kv[0].key, "cmd") != 0) {
		reply_error(rep, "bad request: the first item must be cmd=");
		return;
	}
	cmd = req->kv[0].val;
	for (size_t i = 0; i < PF_ARRAY_SIZE(commands); i++)
		if (strcmp(cmd, commands[i].name) == 0) {
			commands[i].handler(a, req, rep, p);
			return;
		}
	reply_error(rep, "bad request: unknown command '%s'", cmd);
}

/* --- clients: many at once, none able to hold the event loop ------------ */

/* A request's life: read (the whole frame by the deadline), dispatched at
 * once, its reply written as the client takes it (same deadline). */
struct ctl_client {
	int fd;
	struct peer p;
	struct pf_msg_reader rd;
	struct pf_buf out; /* the framed reply; sending once not empty */
	size_t sent;
	int64_t deadline;  /* CLOCK_MONOTONIC ns */
};

/* An error reply sent at once, never blocking, best effort: a client
 * we are about to drop learns why if it is listening. */
static void __attribute__((format(printf, 2, 3))) send_error_now(int fd, const char *fmt, ...)
{
	struct pf_msg rep;
	struct pf_buf b;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf_msg_init(&rep);
	reply_error(&rep, "%s", msg);
	pf_buf_init(&b);
	if (pf_msg_frame(&rep, &b) == 0 && send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		warnx_("control: telling a client '%s': %s", msg, strerror(errno));
	pf_buf_free(&b);
	pf_msg_free(&rep);
}

static void client_close(struct agent *a, unsigned i)
{
	struct ctl_client *c = a->ctl.clients[i];

	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	pf_msg_reader_free(&c->rd);
	pf_buf_free(&c->out);
	free(c);
	a->ctl.clients[i] = NULL;
}

/* Writes what the client takes now; 1 when all of the reply is out. */
static int client_write(struct ctl_client *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			warnx_("control: reply to pid %d failed: %s", c->p.pid, strerror(errno));
			return 1;
		}
		c->sent += (size_t)n;
	}
	return 1;
}

/* The reply is ready: frame it and start sending. 1: done (close). */
static int client_reply(struct agent *a, struct ctl_client *c, struct pf_msg *rep)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = c->fd };

	if (pf_msg_frame(rep, &c->out) < 0) {
		warnx_("control: reply to pid %d does not fit a frame", c->p.pid);
		return 1;
	}
	if (client_write(c))
		return 1;
	if (epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		warnx_("control: epoll_ctl: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* Reads what the client sent; once the request is whole, serves it. 1:
 * done with this client. */
static int client_read(struct agent *a, struct ctl_client *c)
{
	struct pf_msg req, rep;
	struct pf_err err = { "" };
	int r, done;

	pf_msg_init(&req);
	while ((r = pf_msg_reader_feed(&c->rd, c->fd, &req, &err)) == 0)
		;
	if (r == -EAGAIN)
		return 0;
	pf_msg_init(&rep);
	if (r < 0) {
		warnx_("control: bad request from pid %d uid %u: %s", c->p.pid, c->p.uid, err.msg);
		reply_error(&rep, "bad request: %s", err.msg);
	} else {
		dispatch(a, &req, &rep, &c->p);
	}
	done = client_reply(a, c, &rep);
	pf_msg_free(&req);
	pf_msg_free(&rep);
	return done;
}

int control_client_event(struct agent *a, int fd, uint32_t events)
{
	for (unsigned i = 0; i < PF_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = a->ctl.clients[i];
		int done;

		if (!c || c->fd != fd)
			continue;
		if (c->out.len)
			done = client_write(c);
		else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			done = client_read(a, c);
		else
			done = 0;
		if (done)
			client_close(a, i);
		return 1;
	}
	return 0;
}

int control_expire(struct agent *a, int cap)
{
	int64_t now = pf_clock_ns(CLOCK_MONOTONIC), next = (int64_t)cap * 1000000;

	for (unsigned i = 0; i < PF_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = a->ctl.clients[i];

		if (!c)
			continue;
		if (now >= c->deadline) {
			if (!c->out.len)
				send_error_now(c->fd, "bad request: not complete within %d ms",
					       REQUEST_DEADLINE_MS);
			warnx_("control: request from pid %d uid %u not %s within %d ms; dropped",
			       c->p.pid, c->p.uid, c->out.len ? "taken" : "complete",
			       REQUEST_DEADLINE_MS);
			client_close(a, i);
		} else if (c->deadline - now < next) {
			next = c->deadline - now;
		}
	}
	return (int)((next + 999999) / 1000000);
}

/* A new connection: admitted (or told why not) and added to the loop. */
static void client_new(struct agent *a, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	struct ctl_client *c = NULL;
	struct pf_msg rep;
	unsigned i;

	for (i = 0; i < PF_CTL_MAX_CLIENTS && a->ctl.clients[i]; i++)
		;
	pf_msg_init(&rep);
	if (i == PF_CTL_MAX_CLIENTS) {
		send_error_now(fd, "busy: %d requests are being served; try again",
			       PF_CTL_MAX_CLIENTS);
		warnx_("control: %d requests in progress; one more turned away",
		       PF_CTL_MAX_CLIENTS);
		goto drop;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto drop;
	c->fd = fd;
	c->deadline = pf_clock_ns(CLOCK_MONOTONIC) + REQUEST_DEADLINE_MS * 1000000LL;
	pf_msg_reader_init(&c->rd);
	pf_buf_init(&c->out);
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		warnx_("control: epoll_ctl: %s", strerror(errno));
		free(c);
		goto drop;
	}
	a->ctl.clients[i] = c;
	if (admit(a, fd, &c->p, &rep) < 0 && client_reply(a, c, &rep))
		client_close(a, i);
	pf_msg_free(&rep);
	return;
drop:
	pf_msg_free(&rep);
	close(fd);
}

void control_accept(struct agent *a)
{
	for (;;) {
		int fd = accept4(a->ctl.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		client_new(a, fd);
	}
}

void control_close(struct agent *a)
{
	for (unsigned i = 0; i < PF_CTL_MAX_CLIENTS; i++)
		if (a->ctl.clients[i])
			client_close(a, i);
	if (a->ctl.listen_fd < 0)
		return;
	unlink(a->paths.sock);
	close(a->ctl.listen_fd);
	a->ctl.listen_fd = -1;
}

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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include "agent.h"
#include "util.h"

/* Seconds a client has for each read and write of its request. */
#define CLIENT_TIMEOUT_S 5
/* The whole request, from accept to its last byte. */
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

void control_close(struct agent *a)
{
	if (a->ctl.listen_fd < 0)
		return;
	unlink(a->paths.sock);
	close(a->ctl.listen_fd);
	a->ctl.listen_fd = -1;
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

static void serve(struct agent *a, int fd)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	struct pf_msg req, rep;
	struct peer p = { 0 };
	struct pf_err err = { "" };

	pf_msg_init(&req);
	pf_msg_init(&rep);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		warnx_("control: socket timeouts: %s", strerror(errno));
		goto out;
	}
	if (admit(a, fd, &p, &rep) < 0)
		goto send;
	/* one deadline for the whole request: a client that sends a byte
	 * now and then cannot hold the agent longer than this */
	if (pf_msg_recv_by(fd, &req, REQUEST_DEADLINE_MS * 1000000LL, &err) < 0) {
		warnx_("control: bad request from pid %d uid %u: %s", p.pid, p.uid, err.msg);
		reply_error(&rep, "bad request: %s", err.msg);
		goto send;
	}
	dispatch(a, &req, &rep, &p);
send:
	if (pf_msg_send(fd, &rep) < 0)
		warnx_("control: reply to pid %d failed: %s", p.pid, strerror(errno));
out:
	pf_msg_free(&req);
	pf_msg_free(&rep);
}

void control_accept(struct agent *a)
{
	for (;;) {
		int fd = accept4(a->ctl.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		int fl;

		if (fd < 0)
			return;
		/* Requests are small and bounded by a timeout; served inline,
		 * blocking. */
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
			warnx_("control: fcntl: %s", strerror(errno));
		else
			serve(a, fd);
		close(fd);
	}
}

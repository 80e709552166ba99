/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The inbox (STATE_DIR/inbox): tokens dropped by configuration management,
 * each decided exactly as `permafrost approve BUNDLE` is and moved to
 * accepted/ or rejected/ (user/lib's inbox.h does the files). Scanned on
 * inotify events and every PF_INBOX_RESCAN_S seconds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>

#include "agent.h"
#include "inbox.h"

/* pf_inbox_decide_fn: the file is a bundle (body and signatures). */
static int decide(void *data, const char *name, const char *bytes, size_t len, char *reason,
		  size_t reasonsz)
{
	struct agent *a = data;
	struct pf_approve_input in = { .bundle = { bytes, len } };
	const struct live_approval *l;
	struct pf_approval *ap = NULL;
	struct pf_err why;
	int slot;

	(void)name;
	if (approve_token(a, &in, &ap, &slot, &why) < 0) {
		snprintf(reason, reasonsz, "%s", why.msg);
		return 0;
	}
	l = &a->apr.ap[slot];
	snprintf(reason, reasonsz, "token %s ticket %s approvers %s paths %s", ap->token->id,
		 ap->token->ticket, l->approvers, l->paths);
	snprintf(a->inbox.token, sizeof(a->inbox.token), "%s", ap->token->id);
	snprintf(a->inbox.ticket, sizeof(a->inbox.ticket), "%s", ap->token->ticket);
	snprintf(a->inbox.approvers, sizeof(a->inbox.approvers), "%s", l->approvers);
	snprintf(a->inbox.paths, sizeof(a->inbox.paths), "%s", l->paths);
	pf_approval_free(ap);
	return 1;
}

/* pf_inbox_report_fn: every outcome goes to the audit log. */
static void report(void *data, const char *name, bool accepted, const char *stored,
		   const char *reason)
{
	struct agent *a = data;
	char where[512], line[1400];

	snprintf(where, sizeof(where), "%s%s", stored ? "" : "not kept: ", stored ? stored : name);
	snprintf(line, sizeof(line), "inbox %s: %s", name, reason);
	if (accepted)
		log_record(a, "approval-loaded", F_STR("inbox", where), F_STR("reason", line),
			   F_STR("token", a->inbox.token), F_STR("ticket", a->inbox.ticket),
			   F_STR("approvers", a->inbox.approvers), F_STR("paths", a->inbox.paths));
	else
		log_record(a, "approval-refused", F_STR("inbox", where), F_STR("reason", line));
}

void inbox_scan(struct agent *a)
{
	struct pf_err err = { "" };
	bool more = false;

	a->inbox.pending = 0;
	if (!a->inbox.dir)
		return;
	/* Entries that make no IN_MOVED_TO/IN_CLOSE_WRITE event (ln -s,
	 * mkfifo, mkdir) are found by the next scan: an event or this timer. */
	a->inbox.next = boot_now_ns() + PF_INBOX_RESCAN_S * 1000000000LL;
	if (pf_inbox_scan(a->inbox.dir, decide, report, a, &more, &err) < 0)
		warnx_("%s", err.msg);
	a->inbox.pending = more;
}

/* Drains the inotify queue; any event means: scan. */
void inbox_event(struct agent *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(a->inbox.fd, buf, sizeof(buf)) > 0)
		;
	inbox_scan(a);
}

int inbox_init(struct agent *a, struct pf_err *err)
{
	if (asprintf(&a->inbox.dir, "%s/%s", a->paths.state_dir, PF_INBOX_DIR) < 0) {
		a->inbox.dir = NULL;
		return -ENOMEM;
	}
	if (pf_inbox_prepare(a->inbox.dir, err) < 0)
		return -EIO;
	a->inbox.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->inbox.fd < 0 ||
	    inotify_add_watch(a->inbox.fd, a->inbox.dir,
			      IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
		pf_err_set(err, "inotify on %s: %s", a->inbox.dir, strerror(errno));
		return -errno;
	}
	return 0;
}

void inbox_close(struct agent *a)
{
	if (a->inbox.fd >= 0)
		close(a->inbox.fd);
	a->inbox.fd = -1;
	free(a->inbox.dir);
	a->inbox.dir = NULL;
}

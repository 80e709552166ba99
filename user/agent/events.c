/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The event path: ring buffer -> the caller's systemd unit -> one audit-log
 * line (and its syslog copy); lost accounting.
 *
 * The ring buffer is a pinned map: events the kernel made while no agent
 * ran are delivered by the next one, and its lost counter outlives agents
 * too. So at start the agent reads the log's tail: the last kernel event
 * (a `kill -9` between writing a line and the ring's consumer position
 * moving on leaves that one sample to be read again: it is skipped) and the
 * last `lost` record's total (losses are reported once). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "auditlog.h"
#include "event.h"
#include "logread.h"
#include "util.h"

/* Bytes at the end of the log read at start (see above). */
#define LOG_TAIL_SCAN (256 * 1024)
/* An approved change of a name (rename, unlink, create...) is re-resolved
 * this long after its event: the event is sent from the hook, before the
 * kernel performs the change. */
#define REFRESH_AFTER_NS 1000000000LL

/* The unit of a cgroup v2 path: its last component that names one
 * (".service", ".scope", ...; a ".slice" only when nothing else does). */
static void unit_of(const char *cg, char *out, size_t outsz)
{
	static const char *const kinds[] = { ".service", ".scope", ".socket", ".mount",
					     ".timer", ".slice" };
	char buf[640], *save = NULL, *c;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", cg);
	for (c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(c);

		for (size_t k = 0; k < PF_ARRAY_SIZE(kinds); k++) {
			size_t kl = strlen(kinds[k]);

			if (n > kl && !strcmp(c + n - kl, kinds[k]) && (k != 5 || !out[0]))
				snprintf(out, outsz, "%s", c);
		}
	}
}

/* The unit of a cgroup id: open_by_handle_at() on the cgroup2 root (kernfs
 * file handles are the cgroup id; needs CAP_DAC_READ_SEARCH, which the
 * agent keeps), then the directory's path. Works after the caller exited.
 * NULL when unknown. */
static const char *unit_for_cgroup(struct agent *a, uint64_t cgroup_id)
{
	struct unit_info *u = &a->ev.units[cgroup_id % PF_UNIT_CACHE];
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64], path[512];
	ssize_t n;
	int fd;

	if (cgroup_id == 0 || a->ev.cgroot_fd < 0)
		return NULL;
	if (u->cgroup_id == cgroup_id)
		return u->unit[0] ? u->unit : NULL;
	u->cgroup_id = cgroup_id;
	u->unit[0] = '\0';
	h.fh.handle_bytes = sizeof(h.id);
	h.fh.handle_type = 0xfe; /* FILEID_KERNFS */
	memcpy(h.fh.f_handle, &cgroup_id, sizeof(cgroup_id));
	fd = open_by_handle_at(a->ev.cgroot_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	unit_of(path, u->unit, sizeof(u->unit));
	return u->unit[0] ? u->unit : NULL;
}

/* Already in the log: the first sample after a start that the previous
 * agent wrote before it died, before the ring moved on. */
static int already_logged(struct agent *a, const struct pf_event *e)
{
	if (!a->ev.first_sample)
		return 0;
	a->ev.first_sample = 0;
	return e->ts_boot_ns != 0 && e->ts_boot_ns == a->ev.tail_ev_boot_ns &&
	       e->pid == a->ev.tail_ev_tid;
}

static int names_change(const struct pf_event *e)
{
	return e->decision == PF_DEC_APPROVED &&
	       (e->op == PF_OP_RENAME || e->op == PF_OP_UNLINK || e->op == PF_OP_RMDIR ||
		e->op == PF_OP_CREATE || e->op == PF_OP_LINK || e->op == PF_OP_MKDIR);
}

/* ring_buffer__new's callback: one sample, one line. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	struct pf_event_ctx ec = { 0 };
	char ai_buf[16], ai_exe_buf[80];
	const struct live_approval *l;
	struct pf_event e;
	struct pf_buf b;

	if (size < sizeof(e)) {
		a->ev.bad_samples++;
		log_record(a, "malformed", F_NUM("bytes", size));
		return 0;
	}
	memcpy(&e, data, sizeof(e));
	if (already_logged(a, &e)) {
		a->ev.dup_skipped++;
		return 0;
	}
	ec.boot_to_real_ns = pf_boot_to_real_ns();
	ec.host = a->live.id.hostname;
	ec.seq = pf_auditlog_next_seq(a->ev.log);
	ec.unit = unit_for_cgroup(a, e.cgroup_id);
	ec.ai_agent = e.ai_agent ? ai_name(a, e.ai_agent - 1, ai_buf, sizeof(ai_buf)) : NULL;
	if (ec.ai_agent)
		ec.ai_root_exe = ai_exe_path(a, e.ai_root_dev, e.ai_root_ino, ai_exe_buf,
					     sizeof(ai_exe_buf));
	l = e.decision == PF_DEC_APPROVED ? approval_at(a, e.approval) : NULL;
	if (l) {
		/* name the token and ticket that let it through */
		ec.token = l->id;
		ec.ticket = l->ticket;
	}
	pf_buf_init(&b);
	if (pf_event_to_json(&e, &ec, &b) < 0) {
		a->ev.bad_samples++;
		warnx_("event %llu could not be formatted", (unsigned long long)ec.seq);
		pf_buf_free(&b);
		return 0;
	}
	if (names_change(&e))
		a->ev.refresh_at = boot_now_ns() + REFRESH_AFTER_NS;
	log_append(a, &b);
	a->ev.logged++;
	if (a->pol->syslog) {
		pf_buf_reset(&b);
		if (pf_event_to_text(&e, &ec, &b) == 0)
			syslog(syslog_priority(pf_decision_name(e.decision)), "%s", b.data);
	}
	pf_buf_free(&b);
	return 0;
}

/* STATE_DIR/lost-reported: "BOOT_ID TOTAL\n", the kernel's lost counter as
 * far as `lost` records have reported it. */
static void save_lost_reported(struct agent *a)
{
	char path[PATH_MAX], line[128];
	int n, r;

	snprintf(path, sizeof(path), "%s/lost-reported", a->paths.state_dir);
	n = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", a->live.boot_id, a->ev.lost_reported);
	r = pf_write_file_atomic(path, line, (size_t)n, 0600);
	if (r < 0)
		warnx_("%s: %s (a restart may report these losses again)", path, strerror(-r));
}

/* A lost record's total: a number since schema 2, a string before. */
static int lost_total_of(const struct pf_logrec *rec, uint64_t *ret)
{
	struct pf_buf t;
	int r = 0;

	if (pf_logrec_u64(rec, "total", ret) == 0)
		return 0;
	pf_buf_init(&t);
	if (pf_logrec_str(rec, "total", &t) < 0 || !t.data || sscanf(t.data, "%" SCNu64, ret) != 1)
		r = -EINVAL;
	pf_buf_free(&t);
	return r;
}

/* One line of the tail (newest first): the last kernel event and the last
 * lost record. */
static void tail_line(struct agent *a, const struct pf_logrec *rec, int *have_ev, int *have_lost)
{
	uint64_t v, tid;

	if (!*have_ev && pf_logrec_u64(rec, "boot_ns", &v) == 0 &&
	    pf_logrec_u64(rec, "tid", &tid) == 0) {
		a->ev.tail_ev_boot_ns = v;
		a->ev.tail_ev_tid = (uint32_t)tid;
		*have_ev = 1;
	}
	if (!*have_lost && pf_logrec_str_eq(rec, "decision", "lost") && lost_total_of(rec, &v) == 0 &&
	    pf_logrec_time(rec, &a->ev.tail_lost_time) == 0) {
		a->ev.tail_lost_total = v;
		*have_lost = 1;
	}
}

static void scan_log_tail(struct agent *a)
{
	struct pf_logrec *rec = malloc(sizeof(*rec));
	int fd = open(a->paths.log, O_RDONLY | O_CLOEXEC);
	int have_ev = 0, have_lost = 0;
	struct stat st;
	char *buf = NULL;
	off_t from;
	ssize_t n;

	a->ev.first_sample = 1;
	if (!rec || fd < 0 || fstat(fd, &st) < 0)
		goto out;
	from = st.st_size > LOG_TAIL_SCAN ? st.st_size - LOG_TAIL_SCAN : 0;
	buf = malloc(LOG_TAIL_SCAN + 1);
	if (!buf || (n = pread(fd, buf, LOG_TAIL_SCAN, from)) <= 0)
		goto out;
	buf[n] = 0;
	for (char *end = buf + n; end > buf && !(have_ev && have_lost);) {
		char *start = end - 1;

		while (start > buf && start[-1] != '\n')
			start--;
		if (start == buf && from > 0)
			break; /* a partial first line */
		if (end - start > 1 && pf_logrec_parse(start, (size_t)(end - start), rec) == 0)
			tail_line(a, rec, &have_ev, &have_lost);
		end = start;
	}
out:
	free(buf);
	free(rec);
	if (fd >= 0)
		close(fd);
}

/* The losses already reported, if the counter is the same one (same boot,
 * and not below what was reported: a new map starts at 0). */
static void load_lost_reported(struct agent *a)
{
	char path[PATH_MAX], saved[64];
	unsigned long long v;
	uint64_t now = lost_total(a);
	char *buf = NULL;
	size_t len;

	a->ev.lost_reported = 0;
	snprintf(path, sizeof(path), "%s/lost-reported", a->paths.state_dir);
	if (pf_read_file(path, 256, &buf, &len) == 0) {
		if (sscanf(buf, "%63s %llu", saved, &v) == 2 && strcmp(saved, a->live.boot_id) == 0 &&
		    v <= now)
			a->ev.lost_reported = v;
		free(buf);
	}
	/* a lost record of this boot in the log that the file missed (killed
	 * between writing the record and the file) */
	if (a->ev.tail_lost_time >= pf_now_ns() - boot_now_ns() && a->ev.tail_lost_total <= now &&
	    a->ev.tail_lost_total > a->ev.lost_reported)
		a->ev.lost_reported = a->ev.tail_lost_total;
}

/* The cgroup v2 root for unit names (cgroup v1: none). */
static void open_cgroot(struct agent *a)
{
	struct statfs sf;

	a->ev.cgroot_fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->ev.cgroot_fd >= 0 &&
	    (fstatfs(a->ev.cgroot_fd, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)) {
		close(a->ev.cgroot_fd);
		a->ev.cgroot_fd = -1;
	}
}

int events_open(struct agent *a, struct pf_err *err)
{
	open_cgroot(a);
	scan_log_tail(a);
	load_lost_reported(a);
	a->ev.rb = ring_buffer__new(bpf_map__fd(a->k.maps.events), on_event, a, NULL);
	if (!a->ev.rb) {
		pf_err_set(err, "ring buffer: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void events_drain(struct agent *a)
{
	int r = ring_buffer__consume(a->ev.rb);

	if (r < 0 && r != -EINTR)
		warnx_("ring buffer: %s", strerror(-r));
}

void events_check_lost(struct agent *a)
{
	uint64_t lost = lost_total(a), n;

	if (lost <= a->ev.lost_reported)
		return;
	n = lost - a->ev.lost_reported;
	log_record(a, "lost", F_NUM("count", n), F_NUM("total", lost));
	warnx_("%" PRIu64 " events lost (ring buffer full); total %" PRIu64, n, lost);
	a->ev.lost_reported = lost;
	save_lost_reported(a);
}

void events_close(struct agent *a)
{
	ring_buffer__free(a->ev.rb);
	a->ev.rb = NULL;
	if (a->ev.cgroot_fd >= 0)
		close(a->ev.cgroot_fd);
	a->ev.cgroot_fd = -1;
}

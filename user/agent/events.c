/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The event path: ring buffer -> the caller's systemd unit -> one audit-log
 * line (and its syslog copy) in a batch -> one write; lost accounting.
 *
 * Samples are read from the ring's mmapped pages (ringread.h) and their
 * lines chained into a batch; the ring's consumer position moves on only
 * after the batch is in the file. When the log cannot be written (outage,
 * auditlog.h) the samples are still consumed and counted by the writer.
 *
 * The ring buffer is a pinned map: events the kernel made while no agent
 * ran are delivered by the next one, and its lost counter outlives agents
 * too. So at start the agent reads the log's tail: the last kernel event
 * (a `kill -9` between writing a batch and the consumer position moving on
 * leaves that batch to be read again: the samples up to the one that
 * matches are skipped) and the last `lost` record's total (losses are
 * reported once).
 *
 * Repeats (bpf/events.bpf.h): the kernel counts a thread's identical
 * decisions within event-repeat-window in a run and sends a struct
 * pf_repeat when the run ends; its line carries the fields of the run's
 * first decision (kept here, by run) with "repeat", "first", "last" and
 * "of". Runs the kernel cannot see end (the thread went quiet) are ended
 * by the agent's sweep, a prctl only the agent's is heard. */
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "auditlog.h"
#include "event.h"
#include "logread.h"
#include "reply.h"
#include "selfprot.h"
#include "util.h"

/* Bytes at the end of the log read at start (see above). */
#define LOG_TAIL_SCAN (256 * 1024)
/* An approved change of a name (rename, unlink, create...) is re-resolved
 * this long after its event: the event is sent from the hook, before the
 * kernel performs the change. */
#define REFRESH_AFTER_NS 1000000000LL
/* Batches written per drain before the loop looks at its other work. */
#define DRAIN_BATCHES 64
/* Samples looked at from the consumer position for a batch already in the
 * log at start: more than a batch can hold (PF_AUDITLOG_BATCH_BYTES of
 * lines of at least 300 bytes). */
#define DEDUP_SCAN 4096
/* The sweep of the kernel's runs of repeats: every this many ms, so a
 * run's pf_repeat comes at most this late after its window closed. */
#define SWEEP_MS 250

/* A run's first decision as its line showed it. */
struct run_seen {
	struct pf_event e;
	uint64_t seq;
	int64_t boot_to_real;
};

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

static int names_change(const struct pf_event *e)
{
	return e->decision == PF_DEC_APPROVED &&
	       (e->op == PF_OP_RENAME || e->op == PF_OP_UNLINK || e->op == PF_OP_RMDIR ||
		e->op == PF_OP_CREATE || e->op == PF_OP_LINK || e->op == PF_OP_MKDIR);
}

/* A ring-buffer sample too short to be an event: a "malformed" record in
 * the batch (log_record would write it at once, ahead of the batch). */
static void add_malformed(struct agent *a, size_t size, struct pf_buf *b)
{
	uint64_t seq = pf_auditlog_next_seq(a->ev.log);
	struct pf_json j;

	a->ev.bad_samples++;
	pf_auditlog_record_begin(a->ev.log, &j, b, "malformed");
	pf_json_key(&j, "mode");
	pf_json_str(&j, pf_mode_name((uint32_t)a->st.mode));
	pf_json_key(&j, "bytes");
	pf_json_uint(&j, size);
	pf_json_key(&j, "pid");
	pf_json_uint(&j, (uint64_t)getpid());
	pf_json_obj_end(&j);
	pf_buf_putc(b, '\n');
	if (!b->oom && pf_auditlog_batch_add_own(a->ev.log, b->data, b->len) < 0 &&
	    !pf_auditlog_outage(a->ev.log, NULL))
		a->ev.log_errors++;
	if (a->pol->syslog)
		syslog(LOG_WARNING, "malformed mode=%s bytes=%zu seq=%llu",
		       pf_mode_name((uint32_t)a->st.mode), size, (unsigned long long)seq);
}

/* The run a pf_repeat ends: its first decision, if this agent saw it. */
static const struct run_seen *run_of(const struct agent *a, const struct pf_repeat *r)
{
	uint32_t i = pf_repeat_slot(r->pid);

	if (!a->ev.runs)
		return NULL;
	for (int w = 0; w < 2; w++) {
		const struct run_seen *s = &a->ev.runs[2 * i + w];

		if (s->seq && s->e.pid == r->pid && s->e.ts_boot_ns == r->first_ns)
			return s;
	}
	return NULL;
}

/* A decision that opened a run (every one does while the window is on):
 * kept in the older of its slot's two places. */
static void remember_run(struct agent *a, const struct pf_event *e, uint64_t seq,
			 int64_t boot_to_real)
{
	uint32_t i = pf_repeat_slot(e->pid);
	unsigned char w = !a->ev.run_newest[i];
	struct run_seen *s = &a->ev.runs[2 * i + w];

	s->e = *e;
	s->seq = seq;
	s->boot_to_real = boot_to_real;
	a->ev.run_newest[i] = w;
}

/* One event's line into the batch (and its syslog copy). */
static void add_line(struct agent *a, const struct pf_event *e, struct pf_event_ctx *ec,
		     struct pf_buf *b)
{
	char ai_buf[16], ai_exe_buf[80];
	const struct live_approval *l;
	int r;

	ec->host = a->live.id.hostname;
	ec->seq = pf_auditlog_next_seq(a->ev.log);
	if (!ec->repeat || ec->of_seq) {
		ec->unit = unit_for_cgroup(a, e->cgroup_id);
		ec->ai_agent = e->ai_agent ? ai_name(a, e->ai_agent - 1, ai_buf, sizeof(ai_buf))
					   : NULL;
		if (e->ai_agent)
			ai_count(a, e, ec->repeat ? ec->repeat : 1);
		if (ec->ai_agent)
			ec->ai_root_exe = ai_exe_path(a, e->ai_root_dev, e->ai_root_ino, ai_exe_buf,
						      sizeof(ai_exe_buf));
		l = e->decision == PF_DEC_APPROVED ? approval_at(a, e->approval) : NULL;
		if (l) {
			/* name the token and ticket that let it through */
			ec->token = l->id;
			ec->ticket = l->ticket;
		}
	}
	if (pf_event_to_json(e, ec, b) < 0) {
		a->ev.bad_samples++;
		warnx_("event %llu could not be formatted", (unsigned long long)ec->seq);
		return;
	}
	if (names_change(e))
		a->ev.refresh_at = boot_now_ns() + REFRESH_AFTER_NS;
	a->ev.bat_last_boot_ns = e->ts_boot_ns; /* for an outage kept (outage.c) */
	a->ev.bat_last_tid = e->pid;
	r = pf_auditlog_batch_add_own(a->ev.log, b->data, b->len);
	if (r == 0)
		a->ev.bat_events++;
	else if (!pf_auditlog_outage(a->ev.log, NULL)) {
		a->ev.log_errors++;
		warnx_("audit log %s: event %llu: %s; line follows", a->paths.log,
		       (unsigned long long)ec->seq, strerror(-r));
		fwrite(b->data, 1, b->len, stderr);
	}
	if (a->pol->syslog) {
		pf_buf_reset(b);
		if (pf_event_to_text(e, ec, b) == 0)
			syslog(syslog_priority(pf_decision_name(e->decision)), "%s", b->data);
	}
}

/* A run's repeats: the line of its first decision (or, not seen, of its
 * key), with the count and the times. */
static void add_repeat(struct agent *a, const void *data, int64_t boot_to_real,
		       struct pf_buf *b)
{
	struct pf_event_ctx ec = { 0 };
	const struct run_seen *s;
	struct pf_event e;
	struct pf_repeat r;

	memcpy(&r, data, sizeof(r));
	s = run_of(a, &r);
	if (s) {
		e = s->e;
		ec.of_seq = s->seq;
		a->ev.repeats_joined++;
	} else {
		memset(&e, 0, sizeof(e));
		e.dev = r.dev;
		e.ino = r.ino;
		e.pid = r.pid;
		e.tgid = r.tgid;
		e.op = r.op;
		e.decision = r.decision;
		e.mode = r.mode;
		e.rule_id = r.rule_id;
		e.approval = r.approval;
		a->ev.repeats_unjoined++;
	}
	e.ts_boot_ns = r.last_ns;
	ec.boot_to_real_ns = boot_to_real;
	ec.repeat = r.count;
	ec.first_boot_ns = r.first_ns;
	add_line(a, &e, &ec, b);
}

/* One sample into the batch (and its syslog copy): an event, or a run's
 * repeats (told by its size). */
static void add_sample(struct agent *a, const void *data, size_t size, int64_t boot_to_real,
		       struct pf_buf *b)
{
	struct pf_event_ctx ec = { 0 };
	struct pf_event e;

	pf_buf_reset(b);
	if (size == sizeof(struct pf_repeat)) {
		add_repeat(a, data, boot_to_real, b);
		return;
	}
	if (size < sizeof(e)) {
		add_malformed(a, size, b);
		return;
	}
	memcpy(&e, data, sizeof(e));
	ec.boot_to_real_ns = boot_to_real;
	add_line(a, &e, &ec, b);
	if (a->ev.runs && a->pol->repeat_window_ms)
		remember_run(a, &e, ec.seq, boot_to_real);
}

/* Writes the batch; the consumer position moves past the samples it holds
 * once they are in the file, or were counted by an outage. */
static void commit_batch(struct agent *a, uint64_t pos)
{
	struct pf_err why = { "" };

	if (pf_auditlog_batch_commit(a->ev.log) == 0)
		a->ev.logged += a->ev.bat_events;
	a->ev.bat_events = 0;
	outage_keep(a); /* what an outage counted, kept before the ring moves on */
	pf_ring_commit(&a->ev.ring, pos);
	if (pf_auditlog_take_error(a->ev.log, &why))
		warnx_("%s", why.msg);
}

/* The log's outage (auditlog.h): said when it begins and when it ends. */
static void events_outage(struct agent *a)
{
	struct pf_auditlog_outage o;
	int now = pf_auditlog_outage(a->ev.log, &o);
	char ts[64];

	if (now && !a->ev.in_outage) {
		pf_rfc3339_ns(o.since_ns, ts, sizeof(ts));
		warnx_("audit log %s: cannot be written since %s (%s); records are counted by "
		       "decision and the agent retries every second; enforcement continues",
		       a->paths.log, ts, strerror(o.err));
	} else if (!now && a->ev.in_outage) {
		warnx_("audit log %s: writable again; a log-gap record says what was not written",
		       a->paths.log);
	}
	outage_ended(a);
	outage_keep(a);
	if (now)
		a->ev.missed_now = o.missed;
	else if (a->ev.in_outage) {
		a->ev.missed_past += a->ev.missed_now;
		a->ev.missed_now = 0;
	}
	a->ev.in_outage = now;
}

uint64_t events_missed(struct agent *a)
{
	return a->ev.missed_past + a->ev.missed_now;
}

/* While the log cannot be written: since when, why, what was not written. */
void events_status(struct agent *a, struct pf_msg *rep)
{
	struct pf_auditlog_outage o;
	struct pf_buf by;
	char ts[64];

	pf_reply_num(rep, "log_missed_total", events_missed(a));
	if (!a->ev.log || !pf_auditlog_outage(a->ev.log, &o))
		return;
	pf_rfc3339_ns(o.since_ns, ts, sizeof(ts));
	pf_reply_str(rep, "log_outage_since", ts);
	pf_reply_str(rep, "log_outage_error", strerror(o.err));
	pf_reply_num(rep, "log_missed", o.missed);
	pf_buf_init(&by);
	for (size_t i = 0; i < o.n; i++)
		pf_buf_printf(&by, "%s%s=%llu", i ? " " : "", o.decision[i],
			      (unsigned long long)o.count[i]);
	pf_reply_str(rep, "log_missed_by", by.data ? by.data : "");
	pf_buf_free(&by);
}

/* One batch from the ring: the number of samples taken, or a negative
 * errno. */
static int drain_batch(struct agent *a, struct pf_buf *b)
{
	int64_t boot_to_real = pf_boot_to_real_ns();
	const void *data;
	uint32_t size;
	int n = 0, r = 0;

	/* at most DEDUP_SCAN / 2 samples: in an outage the batch stays empty */
	while (!pf_auditlog_batch_full(a->ev.log) && n < DEDUP_SCAN / 2 &&
	       (r = pf_ring_next(&a->ev.ring, &data, &size)) == 1) {
		add_sample(a, data, size, boot_to_real, b);
		n++;
	}
	commit_batch(a, pf_ring_pos(&a->ev.ring));
	return r < 0 ? r : n;
}

/* At start: the samples from the consumer position up to the log's last
 * kernel event were written by an agent killed before it moved the
 * position on; they are skipped. */
static int is_tail_event(const void *data, uint32_t size, void *ctx)
{
	const struct agent *a = ctx;
	struct pf_event e;

	if (size == sizeof(struct pf_repeat)) {
		/* a run's repeats: its line's boot_ns and tid are its last's */
		struct pf_repeat r;

		memcpy(&r, data, sizeof(r));
		return r.last_ns == a->ev.tail_ev_boot_ns && r.pid == a->ev.tail_ev_tid;
	}
	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	return e.ts_boot_ns == a->ev.tail_ev_boot_ns && e.pid == a->ev.tail_ev_tid;
}

static void skip_logged(struct agent *a)
{
	uint64_t n;

	if (!a->ev.tail_ev_boot_ns)
		return;
	n = pf_ring_skip_through(&a->ev.ring, DEDUP_SCAN, is_tail_event, a);
	if (n) {
		a->ev.dup_skipped += n;
		warnx_("ring buffer: %llu samples already in the log (written before a kill) skipped",
		       (unsigned long long)n);
	}
}

/* STATE_DIR/lost-reported: "BOOT_ID TOTAL MAP_ID\n", the kernel's lost
 * counter as far as `lost` records have reported it, and which counter (the
 * lost map's id: a thawed stop unpins the maps, the next agent's counter
 * starts at 0 and may pass the old total). */
static void save_lost_reported(struct agent *a)
{
	char path[PATH_MAX], line[128];
	int n, r;

	snprintf(path, sizeof(path), "%s/lost-reported", a->paths.state_dir);
	n = snprintf(line, sizeof(line), "%s %" PRIu64 " %u\n", a->live.boot_id, a->ev.lost_reported,
		     a->ev.lost_map_id);
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

/* One line of the tail (newest first): the last kernel event, the last
 * lost record, the last log-gap record. */
static void tail_line(struct agent *a, const struct pf_logrec *rec, int *have_ev, int *have_lost)
{
	uint64_t v, tid;

	if (!*have_ev && pf_logrec_u64(rec, "boot_ns", &v) == 0 &&
	    pf_logrec_u64(rec, "tid", &tid) == 0) {
		a->ev.tail_ev_boot_ns = v;
		a->ev.tail_ev_tid = (uint32_t)tid;
		*have_ev = 1;
	}
	/* the newest log-gap record: an outage kept in the kernel that it
	 * already reports (outage.c) */
	if (!a->ev.tail_gap_from[0] && pf_logrec_str_eq(rec, "decision", "log-gap")) {
		struct pf_buf t;

		pf_buf_init(&t);
		if (pf_logrec_str(rec, "from", &t) == 0 && t.data)
			snprintf(a->ev.tail_gap_from, sizeof(a->ev.tail_gap_from), "%s", t.data);
		pf_buf_free(&t);
	}
	/* a record of another counter (map_id: the maps were replaced after a
	 * thawed stop) says nothing about this one */
	if (!*have_lost && pf_logrec_str_eq(rec, "decision", "lost") &&
	    !(pf_logrec_u64(rec, "map_id", &v) == 0 && v != a->ev.lost_map_id) &&
	    lost_total_of(rec, &v) == 0 && pf_logrec_time(rec, &a->ev.tail_lost_time) == 0) {
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
 * same map id; a file of an earlier version without the id: not below what
 * was reported, a new map starts at 0). */
static void load_lost_reported(struct agent *a)
{
	char path[PATH_MAX], saved[64];
	unsigned long long v;
	unsigned id = 0;
	int f;
	uint64_t now = lost_total(a);
	char *buf = NULL;
	size_t len;

	a->ev.lost_reported = 0;
	snprintf(path, sizeof(path), "%s/lost-reported", a->paths.state_dir);
	if (pf_read_file(path, 256, &buf, &len) == 0) {
		f = sscanf(buf, "%63s %llu %u", saved, &v, &id);
		if (f >= 2 && strcmp(saved, a->live.boot_id) == 0 && v <= now &&
		    (f < 3 || id == a->ev.lost_map_id))
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

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

int events_open(struct agent *a, struct pf_err *err)
{
	struct bpf_map *m = a->k.maps.events;
	int r;

	open_cgroot(a);
	a->ev.runs = calloc(2 * PF_REPEAT_SLOTS, sizeof(*a->ev.runs));
	a->ev.run_newest = calloc(PF_REPEAT_SLOTS, 1);
	if (!a->ev.runs || !a->ev.run_newest) {
		pf_err_set(err, "out of memory");
		return -ENOMEM;
	}
	a->ev.lost_map_id = map_id(bpf_map__fd(a->k.maps.lost));
	scan_log_tail(a);
	outage_open(a);
	load_lost_reported(a);
	r = pf_ring_open(bpf_map__fd(m), bpf_map__max_entries(m), &a->ev.ring);
	if (r < 0) {
		pf_err_set(err, "ring buffer: mapping it: %s", strerror(-r));
		return r;
	}
	a->ev.ring_open = 1;
	skip_logged(a);
	return 0;
}

int events_fd(struct agent *a)
{
	return bpf_map__fd(a->k.maps.events);
}

void events_drain(struct agent *a)
{
	static struct pf_buf b;
	int r = 1;

	if (!a->ev.ring_open)
		return;
	pf_auditlog_retry(a->ev.log);
	for (int i = 0; i < DRAIN_BATCHES && r > 0; i++)
		r = drain_batch(a, &b);
	if (r < 0)
		warnx_("ring buffer: %s", strerror(-r));
	events_outage(a);
}

void events_check_lost(struct agent *a)
{
	uint64_t lost = lost_total(a), n;

	if (lost <= a->ev.lost_reported)
		return;
	n = lost - a->ev.lost_reported;
	log_record(a, "lost", F_NUM("count", n), F_NUM("total", lost), F_NUM("map_id", a->ev.lost_map_id));
	warnx_("%" PRIu64 " events lost (ring buffer full); total %" PRIu64, n, lost);
	a->ev.lost_reported = lost;
	save_lost_reported(a);
}

void events_close(struct agent *a)
{
	outage_close(a);
	if (a->ev.ring_open)
		pf_ring_close(&a->ev.ring);
	a->ev.ring_open = 0;
	if (a->ev.cgroot_fd >= 0)
		close(a->ev.cgroot_fd);
	a->ev.cgroot_fd = -1;
	free(a->ev.runs);
	free(a->ev.run_newest);
	a->ev.runs = NULL;
	a->ev.run_newest = NULL;
}

static void set_window(struct pf_config *c, const void *data)
{
	c->repeat_window_ns = *(const uint64_t *)data;
}

int events_set_window(struct agent *a)
{
	uint64_t ns = a->pol->repeat_window_ms * 1000000ULL;

	return pf_config_edit(bpf_map__fd(a->k.maps.config), set_window, &ns);
}

/* The kernel ends the runs whose window has closed (bpf/events.bpf.h);
 * their records are drained next. Every SWEEP_MS, chunk by chunk. Also
 * when the window is off: runs left from when it was on end at once. */
void events_sweep(struct agent *a)
{
	int64_t now = boot_now_ns();

	if (now < a->ev.sweep_at)
		return;
	a->ev.sweep_at = now + SWEEP_MS * 1000000LL;
	for (unsigned long c = 0; c < PF_REPEAT_SLOTS / PF_REPEAT_CHUNK; c++)
		prctl(PF_PRCTL_REPEATS, c, 0, 0, 0); /* EINVAL: the kernel's answer after ours */
}

int events_wait_ms(struct agent *a, int cap)
{
	return a->pol->repeat_window_ms && cap > SWEEP_MS ? SWEEP_MS : cap;
}

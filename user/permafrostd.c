/* permafrostd: the Permafrost agent.
 *
 * Loads and attaches the LSM programs, resolves the policy into the maps,
 * applies the persisted freeze state, serves the control socket and writes
 * every ring-buffer event into the audit log. Runs in the foreground. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "permafrost.h"
#include "permafrost.skel.h"
#include "ctl.h"
#include "event.h"
#include "json.h"
#include "policy.h"
#include "resolve.h"
#include "state.h"
#include "util.h"
#include "approve.h"
#include "apstore.h"
#include "auditlog.h"
#include "logread.h"
#include "cli.h"
#include "metrics.h"
#include "signers.h"
#include "token.h"
#include "inbox.h"
#include "notify.h"
#include "selfprot.h"
#include "wallclock.h"
#include "view.h"

#define DEFAULT_POLICY "/etc/permafrost/permafrost.conf"
#define DEFAULT_STATE_DIR "/var/lib/permafrost"
#define DEFAULT_LOG "/var/log/permafrost/audit.log"
#define DEFAULT_SOCKET "/run/permafrost/agent.sock"
#define DEFAULT_PIN_DIR "/sys/fs/bpf/permafrost"
#define CLIENT_TIMEOUT_S 5

#define PF_MAX_APPROVALS 256

struct live_approval {
	int used;
	char id[33];
	char *ticket;
	char *approvers; /* space-separated */
	char *paths;     /* space-separated, as in the token */
	unsigned ops;
	int64_t not_after;
	uint64_t expires_boot;
	struct pf_akey *keys;
	size_t n_keys;
};

/* The systemd unit of recent callers' cgroups. A cgroup v2 id names one
 * cgroup for the life of the boot, so entries never go stale. */
#define UNIT_CACHE 64
struct unit_info {
	uint64_t cgroup_id; /* 0: empty */
	char unit[128];
};

struct agent {
	const char *policy_path, *state_dir, *log_path, *sock_path, *pin_dir;
	char log_dir[PATH_MAX]; /* the directory of log_path */
	char boot_id[64];       /* pf_boot_id(), read once at start */
	char boot_id_file[PATH_MAX]; /* its fallback, beside the socket */
	char old_sets[8][512]; /* previous agents' pinned link sets */
	size_t n_old_sets;
	char pin_set[512];     /* ours: pin_dir/links-<pid> (bpffs refuses dots) */
	struct pf_policy *pol;
	struct pf_resolved *res;
	struct permafrost_bpf *skel;
	struct ring_buffer *rb;
	struct pf_auditlog *log;
	int listen_fd, sig_fd, epfd, heartbeat_fd;
	struct pf_state st;
	char host[256];
	uint64_t lost_reported;
	uint64_t events_logged, bad_samples, log_errors;
	int64_t heartbeat_at, metrics_at; /* boot ns of the next heartbeat / metrics write */
	struct pf_wallclock clock; /* token checks (wallclock.h) */
	/* from the log's tail at start (see scan_log_tail()) */
	uint64_t tail_ev_boot_ns, tail_lost_total;
	uint32_t tail_ev_tid;
	int64_t tail_lost_time;
	int first_sample; /* the next sample is the first since start */
	uint64_t dup_skipped;
	int clock_warned; /* a step back was reported; cleared once the clock caught up */
	int cgroot_fd; /* /sys/fs/cgroup (cgroup2) for unit names, or -1 */
	struct unit_info units[UNIT_CACHE];
	gid_t pf_gid;
	int have_gid;
	int64_t started_ns;
	int64_t refresh_at; /* boot ns: re-resolve then (an approved change may have
			       replaced a protected object; 0: none pending) */
	struct pf_used used;
	struct live_approval ap[PF_MAX_APPROVALS];
	char *inbox_dir;   /* state_dir/inbox */
	int inbox_fd;      /* inotify */
	int inbox_pending; /* a scan stopped at PF_INBOX_MAX_PER_SCAN */
	int64_t inbox_next; /* boot ns of the next periodic scan */
	struct pf_self self; /* self-protection (selfprot.h) */
	struct pf_self_paths self_paths;
};

static int verbose;

static void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("permafrostd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* --- audit log -------------------------------------------------------- */

static int syslog_priority(const char *decision)
{
	if (!strcmp(decision, "deny") || !strcmp(decision, "tamper") ||
	    !strcmp(decision, "lost") || !strcmp(decision, "malformed"))
		return LOG_WARNING;
	if (!strcmp(decision, "would-deny") || !strcmp(decision, "approved") ||
	    !strcmp(decision, "mode-change") || !strcmp(decision, "gap") ||
	    !strncmp(decision, "approval-", 9) || !strcmp(decision, "thaw-refused"))
		return LOG_NOTICE;
	return LOG_INFO;
}

/* One line to the audit log. A line that cannot be written is never
 * dropped silently: it goes whole to stderr (the journal) and is counted. */
static void log_append(struct agent *a, const struct pf_buf *b)
{
	char why[512];
	int r = pf_auditlog_append_own(a->log, b->data, b->len);

	if (r < 0) {
		a->log_errors++;
		warnx_("audit log %s: append failed (%s); line follows", a->log_path,
		       strerror(-r));
		fwrite(b->data, 1, b->len, stderr);
	}
	if (pf_auditlog_take_error(a->log, why, sizeof(why)))
		warnx_("audit log %s: %s", a->log_path, why);
}

/* Records the agent itself writes: start, mode-change, lost, approvals. */
static void log_record(struct agent *a, const char *decision, const char *k1, const char *v1,
		       const char *k2, const char *v2)
{
	struct pf_buf b, t;
	struct pf_json j;
	uint64_t seq = pf_auditlog_next_seq(a->log);

	pf_buf_init(&b);
	pf_auditlog_record_begin(a->log, &j, &b, decision);
	pf_json_key(&j, "mode");
	pf_json_str(&j, pf_mode_name((uint32_t)a->st.mode));
	if (k1) {
		pf_json_key(&j, k1);
		pf_json_str(&j, v1);
	}
	if (k2) {
		pf_json_key(&j, k2);
		pf_json_str(&j, v2);
	}
	pf_json_key(&j, "pid");
	pf_json_uint(&j, (uint64_t)getpid());
	if (pf_auditlog_record_end(a->log, &j, &b) < 0) {
		a->log_errors++;
		warnx_("audit log %s: record '%s' could not be written; it follows", a->log_path,
		       decision);
		if (b.data)
			fwrite(b.data, 1, b.len, stderr);
	}
	pf_buf_free(&b);
	if (!a->pol->syslog)
		return;
	pf_buf_init(&t);
	pf_buf_puts(&t, decision);
	pf_buf_puts(&t, " mode=");
	pf_buf_puts(&t, pf_mode_name((uint32_t)a->st.mode));
	if (k1) {
		pf_buf_printf(&t, " %s=", k1);
		pf_json_escape(&t, v1, strlen(v1));
	}
	if (k2) {
		pf_buf_printf(&t, " %s=", k2);
		pf_json_escape(&t, v2, strlen(v2));
	}
	pf_buf_printf(&t, " seq=%llu", (unsigned long long)seq);
	if (!t.oom)
		syslog(syslog_priority(decision), "%s", t.data);
	pf_buf_free(&t);
}

/* The unit of a cgroup v2 path: its last component that names one
 * (".service", ".scope", ...). */
static void unit_of(const char *cg, char *out, size_t outsz)
{
	static const char *const kinds[] = { ".service", ".scope", ".socket", ".mount",
					     ".timer", ".slice" };
	char buf[640], *save = NULL, *c;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", cg);
	for (c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(c);
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			size_t kl = strlen(kinds[k]);
			if (n > kl && !strcmp(c + n - kl, kinds[k]) &&
			    (k != 5 || !out[0]))
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
	struct unit_info *u = &a->units[cgroup_id % UNIT_CACHE];
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64], path[512];
	ssize_t n;
	int fd;

	if (cgroup_id == 0 || a->cgroot_fd < 0)
		return NULL;
	if (u->cgroup_id == cgroup_id)
		return u->unit[0] ? u->unit : NULL;
	u->cgroup_id = cgroup_id;
	u->unit[0] = '\0';
	h.fh.handle_bytes = sizeof(h.id);
	h.fh.handle_type = 0xfe; /* FILEID_KERNFS */
	memcpy(h.fh.f_handle, &cgroup_id, sizeof(cgroup_id));
	fd = open_by_handle_at(a->cgroot_fd, &h.fh, O_RDONLY | O_CLOEXEC);
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

static int64_t boot_now_ns(void);

static int on_event(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	struct pf_event e;
	struct pf_event_ctx ec = { 0 };
	struct pf_buf b;

	if (size < sizeof(e)) {
		char n[32];
		a->bad_samples++;
		snprintf(n, sizeof(n), "%zu", size);
		log_record(a, "malformed", "bytes", n, NULL, NULL);
		return 0;
	}
	memcpy(&e, data, sizeof(e));
	if (a->first_sample) {
		a->first_sample = 0;
		if (e.ts_boot_ns == a->tail_ev_boot_ns && e.pid == a->tail_ev_tid &&
		    e.ts_boot_ns != 0) {
			/* already in the log: the previous agent died after
			 * writing it, before the ring moved on */
			a->dup_skipped++;
			return 0;
		}
	}
	ec.boot_to_real_ns = pf_boot_to_real_ns();
	ec.host = a->host;
	ec.seq = pf_auditlog_next_seq(a->log);
	ec.unit = unit_for_cgroup(a, e.cgroup_id);
	if (e.decision == PF_DEC_APPROVED && e.approval < PF_MAX_APPROVALS &&
	    a->ap[e.approval].used) {
		/* name the token and ticket that let it through */
		ec.token = a->ap[e.approval].id;
		ec.ticket = a->ap[e.approval].ticket;
	}
	pf_buf_init(&b);
	if (pf_event_to_json(&e, &ec, &b) == 0) {
		if (e.decision == PF_DEC_APPROVED &&
		    (e.op == PF_OP_RENAME || e.op == PF_OP_UNLINK || e.op == PF_OP_RMDIR ||
		     e.op == PF_OP_CREATE || e.op == PF_OP_LINK || e.op == PF_OP_MKDIR))
			/* after the change completes: the event is sent
			 * from the hook, before the kernel performs it */
			a->refresh_at = boot_now_ns() + 1000000000LL;
		log_append(a, &b);
		a->events_logged++;
		if (a->pol->syslog) {
			pf_buf_reset(&b);
			if (pf_event_to_text(&e, &ec, &b) == 0)
				syslog(syslog_priority(pf_decision_name(e.decision)), "%s", b.data);
		}
	} else {
		a->bad_samples++;
		warnx_("event %llu could not be formatted", (unsigned long long)ec.seq);
	}
	pf_buf_free(&b);
	return 0;
}

static uint64_t percpu_sum(int fd, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	uint64_t *v;

	if (ncpu <= 0)
		return 0;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (bpf_map_lookup_elem(fd, &key, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}


/* STATE_DIR/lost-reported: "BOOT_ID TOTAL\n", the kernel's lost counter as
 * far as `lost` records have reported it. The counter lives in a pinned map
 * that outlives the agent, so a restarted agent must not report the same
 * losses again. */
static void save_lost_reported(struct agent *a)
{
	char path[PATH_MAX], boot[64] = "unknown", line[128];
	int n, r;

	snprintf(boot, sizeof(boot), "%s", a->boot_id);
	snprintf(path, sizeof(path), "%s/lost-reported", a->state_dir);
	n = snprintf(line, sizeof(line), "%s %llu\n", boot, (unsigned long long)a->lost_reported);
	r = pf_write_file_atomic(path, line, (size_t)n, 0600);
	if (r < 0)
		warnx_("%s: %s (a restart may report these losses again)", path, strerror(-r));
}

#define LOG_TAIL_SCAN (256 * 1024)

/* At start, from the last LOG_TAIL_SCAN bytes of the active log: the last
 * kernel event (its boot_ns and tid: a `kill -9` between writing a line and
 * the ring's consumer position moving on leaves that one sample to be read
 * again) and the last `lost` record's total (written before the
 * lost-reported file: the log wins). */
static void scan_log_tail(struct agent *a)
{
	struct pf_logrec *rec = malloc(sizeof(*rec));
	int fd = open(a->log_path, O_RDONLY | O_CLOEXEC);
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
		uint64_t v, tid;

		while (start > buf && start[-1] != '\n')
			start--;
		if (start == buf && from > 0)
			break; /* a partial first line */
		if (end - start > 1 && pf_logrec_parse(start, (size_t)(end - start), rec) == 0) {
			if (!have_ev && pf_logrec_u64(rec, "boot_ns", &v) == 0 &&
			    pf_logrec_u64(rec, "tid", &tid) == 0) {
				a->tail_ev_boot_ns = v;
				a->tail_ev_tid = (uint32_t)tid;
				have_ev = 1;
			}
			if (!have_lost && pf_logrec_str_eq(rec, "decision", "lost")) {
				struct pf_buf t;
				pf_buf_init(&t);
				if (pf_logrec_str(rec, "total", &t) == 0 && t.data &&
				    sscanf(t.data, "%" SCNu64, &v) == 1 &&
				    pf_logrec_time(rec, &a->tail_lost_time) == 0) {
					a->tail_lost_total = v;
					have_lost = 1;
				}
				pf_buf_free(&t);
			}
		}
		end = start;
	}
out:
	free(buf);
	free(rec);
	if (fd >= 0)
		close(fd);
	a->first_sample = 1;
}

/* At start: the losses already reported, if the counter is the same one
 * (same boot, and not below what was reported: a new map starts at 0). */
static void load_lost_reported(struct agent *a)
{
	char path[PATH_MAX], boot[64] = "unknown", saved[64];
	unsigned long long v;
	uint64_t now = percpu_sum(bpf_map__fd(a->skel->maps.lost), 0);
	char *buf = NULL;
	size_t len;

	a->lost_reported = 0;
	snprintf(path, sizeof(path), "%s/lost-reported", a->state_dir);
	if (pf_read_file(path, 256, &buf, &len) == 0) {
		snprintf(boot, sizeof(boot), "%s", a->boot_id);
		if (sscanf(buf, "%63s %llu", saved, &v) == 2 && strcmp(saved, boot) == 0 &&
		    v <= now)
			a->lost_reported = v;
		free(buf);
	}
	/* a lost record of this boot in the log that the file missed (killed
	 * between writing the record and the file) */
	if (a->tail_lost_time >= pf_now_ns() - boot_now_ns() && a->tail_lost_total <= now &&
	    a->tail_lost_total > a->lost_reported)
		a->lost_reported = a->tail_lost_total;
}

static void check_lost(struct agent *a)
{
	uint64_t lost = percpu_sum(bpf_map__fd(a->skel->maps.lost), 0);

	if (lost > a->lost_reported) {
		char n[32], total[32];
		snprintf(n, sizeof(n), "%llu", (unsigned long long)(lost - a->lost_reported));
		snprintf(total, sizeof(total), "%llu", (unsigned long long)lost);
		log_record(a, "lost", "count", n, "total", total);
		warnx_("%s events lost (ring buffer full); total %s", n, total);
		a->lost_reported = lost;
		save_lost_reported(a);
	}
}

/* --- kernel state ------------------------------------------------------ */

static int set_mode_kernel(struct agent *a, int mode)
{
	struct pf_config c = { 0 };
	uint32_t zero = 0;
	int fd = bpf_map__fd(a->skel->maps.pf_config_map);

	if (bpf_map_lookup_elem(fd, &zero, &c) < 0)
		return -errno;
	c.mode = (uint32_t)mode;
	c.agent_tgid = (uint32_t)getpid();
	c.policy_gen++;
	if (bpf_map_update_elem(fd, &zero, &c, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static int bump_policy_gen(struct agent *a, char *err, size_t errsz)
{
	struct pf_config c = { 0 };
	uint32_t zero = 0;
	int fd = bpf_map__fd(a->skel->maps.pf_config_map);

	if (bpf_map_lookup_elem(fd, &zero, &c) < 0 ||
	    (c.policy_gen++, bpf_map_update_elem(fd, &zero, &c, BPF_ANY) < 0)) {
		snprintf(err, errsz, "config update: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Makes the kernel maps hold exactly @r: new entries first, then stale ones
 * removed, so protection never dips during the change. */
static int apply_resolved(struct agent *a, const struct pf_resolved *r, char *err,
			  size_t errsz)
{
	int rfd = bpf_map__fd(a->skel->maps.rules);
	int sfd = bpf_map__fd(a->skel->maps.protected_sbs);
	struct pf_key k, next, *stale = NULL;
	size_t n_stale = 0, cap_stale = 0;
	uint32_t dk, dnext;
	int ret = 0;

	for (size_t i = 0; i < r->n_sbs; i++) {
		if (bpf_map_update_elem(sfd, &r->sbs[i].dev, &r->sbs[i].count, BPF_ANY) < 0) {
			ret = -errno;
			snprintf(err, errsz, "protected_sbs update: %s", strerror(errno));
			return ret;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		struct pf_rule v = { .kind = r->e[i].kind, .rule_id = r->e[i].rule_id };
		if (bpf_map_update_elem(rfd, &r->e[i].key, &v, BPF_ANY) < 0) {
			ret = -errno;
			snprintf(err, errsz, "rules update (%zu of %zu): %s", i + 1, r->n,
				 strerror(errno));
			return ret;
		}
	}
	/* Collect, then delete, the entries no longer wanted. */
	if (bpf_map_get_next_key(rfd, NULL, &next) == 0) {
		do {
			k = next;
			if (!pf_resolved_find(r, k.dev, k.ino)) {
				if (n_stale == cap_stale) {
					size_t c = cap_stale ? cap_stale * 2 : 64;
					struct pf_key *s = realloc(stale, c * sizeof(*s));
					if (!s) {
						free(stale);
						return -ENOMEM;
					}
					stale = s;
					cap_stale = c;
				}
				stale[n_stale++] = k;
			}
		} while (bpf_map_get_next_key(rfd, &k, &next) == 0);
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(rfd, &stale[i]);
	free(stale);
	if (bpf_map_get_next_key(sfd, NULL, &dnext) == 0) {
		uint32_t gone[PF_MAX_SBS];
		size_t ng = 0;
		do {
			size_t j;
			dk = dnext;
			for (j = 0; j < r->n_sbs; j++)
				if (r->sbs[j].dev == dk)
					break;
			if (j == r->n_sbs && ng < PF_MAX_SBS)
				gone[ng++] = dk;
		} while (bpf_map_get_next_key(sfd, &dk, &dnext) == 0);
		for (size_t i = 0; i < ng; i++)
			bpf_map_delete_elem(sfd, &gone[i]);
	}
	/* Cached verdicts were computed against the old rules. */
	return bump_policy_gen(a, err, errsz);
}

/* The guards map holds every ancestor directory of every protect path, up
 * to "/" (stat() of each prefix gives the top mount's root where something
 * is mounted). New entries first, then stale ones removed. */
static int apply_guards(struct agent *a, char *err, size_t errsz)
{
	int gfd = bpf_map__fd(a->skel->maps.guards);
	struct pf_key *want = NULL, k, next;
	size_t n = 0, cap = 0;
	uint32_t one = 1;
	int ret = 0;

	char last_parent[PATH_MAX] = "";
	int have_last = 0;

	for (size_t i = 0; i < a->pol->n_rules; i++) {
		const struct pf_policy_rule *rule = &a->pol->rules[i];
		char buf[PATH_MAX];
		const char *ls;

		if (rule->kind != PF_RULE_PROTECT || strlen(rule->path) >= sizeof(buf))
			continue;
		/* rules side by side in one directory (100,000 files) share
		 * their ancestors: walk them once */
		ls = strrchr(rule->path, '/');
		if (ls && have_last && (size_t)(ls - rule->path) == strlen(last_parent) &&
		    strncmp(rule->path, last_parent, (size_t)(ls - rule->path)) == 0)
			continue;
		if (ls) {
			snprintf(last_parent, sizeof(last_parent), "%.*s", (int)(ls - rule->path),
				 rule->path);
			have_last = 1;
		}
		strcpy(buf, rule->path);
		for (;;) {
			char *slash = strrchr(buf, '/');
			struct stat st;

			if (!slash)
				break;
			if (slash == buf)
				slash[1] = '\0'; /* "/" itself */
			else
				*slash = '\0';
			if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) {
				if (n == cap) {
					size_t c = cap ? cap * 2 : 64;
					struct pf_key *w = realloc(want, c * sizeof(*w));

					if (!w) {
						free(want);
						return -ENOMEM;
					}
					want = w;
					cap = c;
				}
				want[n].dev = pf_kdev(st.st_dev);
				want[n].ino = st.st_ino;
				if (bpf_map_update_elem(gfd, &want[n], &one, BPF_ANY) < 0) {
					ret = -errno;
					snprintf(err, errsz,
						 "guarding %s (an ancestor of protect %s): %s%s", buf,
						 rule->path, strerror(errno),
						 errno == E2BIG ? " (limit: 65,536 ancestor directories)"
								: "");
					free(want);
					return ret;
				}
				n++;
			}
			if (strcmp(buf, "/") == 0)
				break;
		}
	}
	if (bpf_map_get_next_key(gfd, NULL, &next) == 0) {
		do {
			bool keep = false;

			k = next;
			for (size_t i = 0; i < n && !keep; i++)
				keep = want[i].dev == k.dev && want[i].ino == k.ino;
			ret = bpf_map_get_next_key(gfd, &k, &next);
			if (!keep)
				bpf_map_delete_elem(gfd, &k);
		} while (ret == 0);
		ret = 0;
	}
	free(want);
	return ret;
}

static int kernel_protects(uint64_t dev, uint64_t ino, void *data)
{
	struct agent *a = data;
	struct pf_key k = { .dev = dev, .ino = ino };
	struct pf_rule v;

	return bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.rules), &k, &v) == 0;
}

/* The identities this resolution found (view.h): every policy path and
 * Permafrost's own files. While frozen they must agree with the freeze in
 * force (-ESTALE, reported as tamper); the new view is kept for the next
 * resolution once the kernel holds it (view_save). */
static int view_check(struct agent *a, struct pf_view **ret, char *err, size_t errsz)
{
	const char *own[] = { a->policy_path, a->pol->allowed_signers, a->state_dir,
			      a->log_dir, a->self.exe };
	char boot[64] = "unknown", file[PATH_MAX], lerr[512];
	struct pf_view *now, *before = NULL;
	int r = 0;

	snprintf(boot, sizeof(boot), "%s", a->boot_id);
	now = pf_view_new(boot);
	if (!now)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < a->pol->n_rules; i++)
		r = pf_view_add(now, a->pol->rules[i].path);
	for (size_t i = 0; r == 0 && i < PF_ARRAY_SIZE(own); i++)
		r = own[i] && own[i][0] == '/' ? pf_view_add(now, own[i]) : 0;
	if (r < 0) {
		snprintf(err, errsz, "recording the policy's paths: %s", strerror(-r));
		pf_view_free(now);
		return r;
	}
	snprintf(file, sizeof(file), "%s/" PF_VIEW_FILE, a->state_dir);
	/* a freeze in force in the kernel: pinned at start, or ours */
	if (a->st.mode != PF_MODE_OFF && (a->self.maps_existed || a->res)) {
		r = pf_view_load(file, &before, lerr, sizeof(lerr));
		if (r == -EINVAL)
			warnx_("%s; not compared", lerr);
		r = before ? pf_view_compare(before, now, kernel_protects, a, err, errsz) : 0;
		pf_view_free(before);
		if (r < 0) {
			log_record(a, "tamper", "op", "view", "reason", err);
			pf_view_free(now);
			return r;
		}
	}
	*ret = now;
	return 0;
}

static void view_save(struct agent *a, const struct pf_view *v)
{
	char file[PATH_MAX];
	int r;

	snprintf(file, sizeof(file), "%s/" PF_VIEW_FILE, a->state_dir);
	r = pf_view_save(v, file);
	if (r < 0)
		warnx_("%s: %s (the next resolution is not checked against this one)", file,
		       strerror(-r));
}

/* Re-resolves the policy against the file system and loads the result. */
static int refresh_rules(struct agent *a, char *err, size_t errsz)
{
	struct pf_resolved *r = NULL;
	struct pf_view *view = NULL;
	int ret;

	/* started by hand on a terminal: show where a large policy is */
	ret = pf_resolve_progress(a->pol, &r, err, errsz,
				  isatty(STDERR_FILENO) ? pf_cli_resolve_progress : NULL,
				  (void *)"permafrostd");
	if (ret < 0)
		return ret;
	a->self_paths.signers = a->pol->allowed_signers;
	a->self_paths.enabled = a->pol->self_protect;
	ret = pf_self_add_rules(r, &a->self_paths, &a->self, err, errsz);
	if (ret == 0)
		ret = view_check(a, &view, err, errsz);
	if (ret == 0)
		ret = apply_resolved(a, r, err, errsz);
	if (ret == 0)
		ret = apply_guards(a, err, errsz);
	if (ret < 0) {
		pf_view_free(view);
		pf_resolved_free(r);
		return ret;
	}
	view_save(a, view);
	pf_view_free(view);
	pf_resolved_free(a->res);
	a->res = r;
	for (size_t i = 0; i < r->n_missing; i++)
		warnx_("policy: %s does not exist here; not protected until it does and the "
		       "policy is re-resolved (freeze or SIGHUP)", r->missing[i]);
	return 0;
}

/* --- start-up ------------------------------------------------------------ */

static int check_bpf_lsm(char *err, size_t errsz)
{
	char *buf = NULL;
	size_t len;
	int r;

	r = pf_read_file("/sys/kernel/security/lsm", 4096, &buf, &len);
	if (r < 0) {
		snprintf(err, errsz,
			 "cannot read /sys/kernel/security/lsm (%s): mount securityfs with "
			 "`mount -t securityfs securityfs /sys/kernel/security`",
			 strerror(-r));
		return r;
	}
	while (len && (buf[len - 1] == '\n'))
		buf[--len] = 0;
	r = 0;
	{
		char *save = NULL, *copy = strdup(buf), *tok;
		int found = 0;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "bpf") == 0)
				found = 1;
		free(copy);
		if (!found) {
			snprintf(err, errsz,
				 "BPF LSM is not active (active LSMs: %s). Add bpf to the kernel "
				 "command line, e.g. lsm=%s,bpf, and reboot",
				 buf, buf);
			r = -ENOTSUP;
		}
	}
	free(buf);
	if (r == 0 && access("/sys/fs/bpf", F_OK) < 0) {
		snprintf(err, errsz, "/sys/fs/bpf is missing: mount bpffs with "
				     "`mount -t bpf bpf /sys/fs/bpf`");
		r = -ENOENT;
	}
	return r;
}

/* Number of parameters of the kernel's bpf_lsm_<hook>, or -ENOENT. */
static int lsm_hook_params(const struct btf *btf, const char *hook)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "bpf_lsm_%s", hook);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -ENOENT;
	return btf_vlen(t);
}

static int load_bpf(struct agent *a, char *err, size_t errsz)
{
	struct permafrost_bpf *s;
	struct btf *btf;
	int np, r;

	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(err, errsz, "cannot load kernel BTF (/sys/kernel/btf/vmlinux): %s; "
				     "the kernel needs CONFIG_DEBUG_INFO_BTF=y",
			 strerror(errno));
		return -errno;
	}
	s = permafrost_bpf__open();
	if (!s) {
		r = -errno;
		btf__free(btf);
		snprintf(err, errsz, "cannot open the BPF object: %s", strerror(-r));
		return r;
	}
	/* Kernel differences: pick the variant that matches this kernel. */
	np = lsm_hook_params(btf, "inode_setattr");
	bpf_program__set_autoload(s->progs.inode_setattr_v1, np == 2);
	bpf_program__set_autoload(s->progs.inode_setattr_v2, np == 3);
	bpf_program__set_autoload(s->progs.file_truncate,
				  lsm_hook_params(btf, "file_truncate") > 0);
	bpf_program__set_autoload(s->progs.inode_set_acl,
				  lsm_hook_params(btf, "inode_set_acl") > 0);
	bpf_program__set_autoload(s->progs.inode_remove_acl,
				  lsm_hook_params(btf, "inode_remove_acl") > 0);
	btf__free(btf);
	if (np != 2 && np != 3) {
		snprintf(err, errsz, "unsupported kernel: bpf_lsm_inode_setattr has %d parameters",
			 np);
		permafrost_bpf__destroy(s);
		return -ENOTSUP;
	}
	bpf_map__set_max_entries(s->maps.rules, PF_MAX_ENTRIES);
	bpf_map__set_max_entries(s->maps.protected_sbs, PF_MAX_SBS);
	bpf_map__set_max_entries(s->maps.events, (uint32_t)a->pol->ringbuf_size);
	r = pf_self_pin_maps(&a->self, s->obj, NULL, err, errsz);
	if (r < 0) {
		permafrost_bpf__destroy(s);
		return r;
	}
	r = permafrost_bpf__load(s);
	if (r) {
		snprintf(err, errsz, "cannot load the BPF programs: %s (run with -v for the "
				     "verifier log)",
			 strerror(-r));
		permafrost_bpf__destroy(s);
		return r;
	}
	a->skel = s;
	r = pf_self_setup(&a->self, s->obj, a->pol->lock_kernel, a->pol->self_protect, err, errsz);
	if (r < 0)
		return r;
	return 0;
}

/* Links are pinned in bpffs so that enforcement, and the kernel's own
 * approval expiry, outlive the agent: a crash or kill fails closed. A
 * previous agent's pins are moved aside at start and removed only after the
 * new programs are attached and their maps filled: no window in which
 * nothing is enforced. */
static int find_old_pins(struct agent *a, char *err, size_t errsz)
{
	DIR *d = opendir(a->pin_dir);
	struct dirent *de;

	a->n_old_sets = 0;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "links-", 6) != 0 || a->n_old_sets >= PF_ARRAY_SIZE(a->old_sets))
			continue;
		snprintf(a->old_sets[a->n_old_sets++], sizeof(a->old_sets[0]), "%s/%s", a->pin_dir,
			 de->d_name);
	}
	if (d)
		closedir(d);
	snprintf(a->pin_set, sizeof(a->pin_set), "%s/links-%d", a->pin_dir, (int)getpid());
	return 0;
}

static void remove_pins(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *p;
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) >= 0) {
			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int attach_bpf(struct agent *a, char *err, size_t errsz)
{
	struct bpf_object_skeleton *sk = a->skel->skeleton;
	int r = permafrost_bpf__attach(a->skel);

	if (r) {
		snprintf(err, errsz, "cannot attach the LSM programs: %s", strerror(-r));
		return r;
	}
	r = pf_mkdir_p(a->pin_set, 0700);
	if (r < 0) {
		snprintf(err, errsz, "%s: %s (%s)", a->pin_set, strerror(-r), pf_self_pin_hint(-r));
		return r;
	}
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_link *l = *sk->progs[i].link;
		char path[600];

		if (!l)
			continue;
		snprintf(path, sizeof(path), "%s/%s", a->pin_set, sk->progs[i].name);
		r = bpf_link__pin(l, path);
		if (r) {
			snprintf(err, errsz, "pinning %s: %s", path, strerror(-r));
			return r;
		}
	}
	/* Ours are in force: the previous sets can go. */
	for (size_t i = 0; i < a->n_old_sets; i++)
		remove_pins(a->old_sets[i]);
	a->n_old_sets = 0;
	return 0;
}

/* A previous agent's complete set of this very build is adopted as it is
 * (no second copy); anything else is replaced by a new, complete set,
 * attached before the old links go. An incomplete set means someone
 * removed pins: reported as tamper, and repaired. */
static int adopt_or_attach(struct agent *a, char *err, size_t errsz)
{
	for (size_t i = 0; i < a->n_old_sets; i++) {
		int st = pf_self_set_status(&a->self, a->skel->obj, a->old_sets[i]);

		if (st == 1 && a->n_old_sets == 1) {
			snprintf(a->pin_set, sizeof(a->pin_set), "%s", a->old_sets[i]);
			a->n_old_sets = 0;
			log_record(a, "agent-adopt", "links", a->pin_set, "maps", a->self.maps_dir);
			return 0;
		}
		if (st < 0) {
			log_record(a, "tamper", "op", "pins", "reason",
				   "pinned link set incomplete; attaching a complete new set");
			warnx_("%s: pinned link set incomplete (tamper); attaching a complete new set",
			       a->old_sets[i]);
		}
	}
	return attach_bpf(a, err, errsz);
}

/* Keeps only what the running agent needs: CAP_BPF to use its maps (the
 * bpf() syscall demands it when unprivileged BPF is disabled) and
 * CAP_DAC_READ_SEARCH to re-resolve protected trees it does not own. */
static int drop_capabilities(char *err, size_t errsz)
{
	static const cap_value_t keep[] = { CAP_BPF, CAP_DAC_READ_SEARCH };
	cap_t caps;
	int r = 0;

	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		int k = 0;
		for (size_t i = 0; i < PF_ARRAY_SIZE(keep); i++)
			if (keep[i] == c)
				k = 1;
		if (!k && CAP_IS_SUPPORTED(c) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL) {
			snprintf(err, errsz, "dropping capability %d from the bounding set: %s",
				 (int)c, strerror(errno));
			return -errno;
		}
	}
	caps = cap_init();
	if (!caps)
		return -ENOMEM;
	if (cap_set_flag(caps, CAP_PERMITTED, PF_ARRAY_SIZE(keep), keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, PF_ARRAY_SIZE(keep), keep, CAP_SET) ||
	    cap_set_proc(caps)) {
		r = -errno;
		snprintf(err, errsz, "dropping capabilities: %s", strerror(errno));
	}
	cap_free(caps);
	if (r == 0)
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return r;
}

static int open_socket(struct agent *a, char *err, size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *dir = strdup(a->sock_path);
	int fd, r;

	if (!dir)
		return -ENOMEM;
	if (strlen(a->sock_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errsz, "socket path %s is longer than %zu bytes", a->sock_path,
			 sizeof(sa.sun_path) - 1);
		free(dir);
		return -ENAMETOOLONG;
	}
	r = pf_mkdir_p(dirname(dir), 0755);
	free(dir);
	if (r < 0) {
		snprintf(err, errsz, "creating the directory of %s: %s", a->sock_path,
			 strerror(-r));
		return r;
	}
	strcpy(sa.sun_path, a->sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(a->sock_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", a->sock_path, strerror(errno));
		close(fd);
		return r;
	}
	chmod(a->sock_path, 0660);
	if (a->have_gid && chown(a->sock_path, 0, a->pf_gid) < 0)
		warnx_("chown %s: %s", a->sock_path, strerror(errno));
	a->listen_fd = fd;
	return 0;
}

/* --- control requests ---------------------------------------------------- */

struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

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

static void reply_error(struct pf_msg *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply_error(struct pf_msg *rep, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pf_msg_free(rep);
	pf_msg_add(rep, "status", "error");
	pf_msg_add(rep, "error", buf);
}

/* --- approvals ------------------------------------------------------------ */

static int64_t boot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The policy's threshold for a token path (see pf_policy_threshold). */
static int threshold_cb(const char *path, bool subtree, void *data, unsigned *ret)
{
	struct agent *a = data;

	return pf_policy_threshold(a->pol, path, subtree, ret);
}

struct used_ctx {
	struct agent *a;
	const char *allow_id; /* reloading this token: its own record is fine */
};

static int used_cb(const char *id, void *data)
{
	struct used_ctx *u = data;

	if (u->allow_id && strcmp(id, u->allow_id) == 0)
		return 0;
	return pf_used_has(&u->a->used, id);
}

static int read_machine_id(char out[33])
{
	char *buf = NULL;
	size_t len;

	out[0] = 0;
	if (pf_read_file("/etc/machine-id", 128, &buf, &len) < 0)
		return -ENOENT;
	if (len >= 32)
		snprintf(out, 33, "%.32s", buf);
	free(buf);
	return 0;
}

/* The token clock (wallclock.h); a step back of the wall clock beyond the
 * tolerance is reported once, until the clock has caught up again. */
static int64_t token_clock_ns(struct agent *a)
{
	int64_t real, boot, behind, now;

	pf_clock_sample(&real, &boot);
	now = pf_wallclock_read(&a->clock, real, boot, &behind);
	if (!behind) {
		if (now == real)
			a->clock_warned = 0;
		return now;
	}
	if (!a->clock_warned) {
		char d[64];
		pf_auditlog_duration(behind, d, sizeof(d));
		warnx_("the wall clock is %s behind the time this agent has already seen; "
		       "token checks use the later time", d);
		log_record(a, "clock-back", "behind", d, NULL, NULL);
		a->clock_warned = 1;
	}
	return now;
}

/* Verifies a token. @allow_id: see used_ctx. */
static int verify_token(struct agent *a, const struct pf_approve_input *in, const char *allow_id,
			struct pf_approval **ret, char *err, size_t errsz)
{
	struct pf_signers *signers = NULL;
	struct pf_errbuf e = { { 0 } };
	struct used_ctx uc = { .a = a, .allow_id = allow_id };
	struct pf_approve_ctx ctx = { 0 };
	char machine_id[33];
	const char *rule = NULL;
	int r;

	if (!a->pol->allowed_signers) {
		snprintf(err, errsz, "the policy names no allowed-signers file: no token can be "
				     "verified");
		return -EACCES;
	}
	r = pf_signers_load(a->pol->allowed_signers, &signers, &e);
	if (r < 0) {
		snprintf(err, errsz, "%s", e.msg);
		return r;
	}
	read_machine_id(machine_id);
	ctx.signers = signers;
	ctx.ns = PF_APPROVAL_NAMESPACE;
	ctx.hostname = a->host;
	ctx.machine_id = machine_id[0] ? machine_id : NULL;
	ctx.now = token_clock_ns(a) / 1000000000LL; /* read once; never backwards */
	ctx.threshold = threshold_cb;
	ctx.threshold_data = a;
	ctx.thaw_threshold = a->pol->thaw_approvals;
	ctx.max_ttl = (int64_t)a->pol->max_token_ttl_s;
	ctx.is_used = used_cb;
	ctx.used_data = &uc;
	r = pf_approve_verify(&ctx, in, ret, &rule, &e);
	if (r < 0)
		snprintf(err, errsz, "%s%s%s", rule ? rule : "", rule ? ": " : "", e.msg);
	pf_signers_free(signers);
	return r;
}

static void live_free(struct live_approval *l)
{
	free(l->keys);
	free(l->ticket);
	free(l->approvers);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

static int set_n_approvals(struct agent *a)
{
	struct pf_config c = { 0 };
	uint32_t zero = 0;
	int fd = bpf_map__fd(a->skel->maps.pf_config_map);

	if (bpf_map_lookup_elem(fd, &zero, &c) < 0)
		return -errno;
	c.n_approvals = 0;
	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		c.n_approvals += (uint32_t)a->ap[i].n_keys;
	if (bpf_map_update_elem(fd, &zero, &c, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static void remove_kernel_entries(struct agent *a, struct live_approval *l)
{
	int fd = bpf_map__fd(a->skel->maps.approvals);

	for (size_t i = 0; i < l->n_keys; i++)
		bpf_map_delete_elem(fd, &l->keys[i]);
}

static char *bundle_path(struct agent *a, const char *id)
{
	char *p;

	if (asprintf(&p, "%s/%s/%s.bundle", a->state_dir, PF_APPROVALS_DIR, id) < 0)
		return NULL;
	return p;
}

/* Builds the kernel entries of an accepted token and loads them. Nothing
 * is left behind on failure. */
static int install_approval(struct agent *a, const struct pf_approval *ap, uint64_t expires_boot,
			    int *ret_slot, char *err, size_t errsz)
{
	const struct pf_token *t = ap->token;
	struct live_approval l = { 0 };
	struct pf_approval_k v = { 0 };
	struct stat st;
	int fd = bpf_map__fd(a->skel->maps.approvals), slot = -1, r = 0;
	size_t done = 0;

	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		if (!a->ap[i].used) {
			slot = i;
			break;
		}
	if (slot < 0) {
		snprintf(err, errsz, "%d approvals are live already (the limit)", PF_MAX_APPROVALS);
		return -E2BIG;
	}
	l.keys = calloc(t->n_paths * 2 + 1, sizeof(*l.keys));
	if (!l.keys)
		return -ENOMEM;
	v.expires_boot_ns = expires_boot;
	v.ops = t->ops & PF_TOKEN_OPS_DEFAULT;
	v.slot = (uint32_t)slot;
	if (t->has_uid) {
		v.flags |= PF_APR_UID;
		v.uid = t->uid;
	}
	if (t->exe) {
		if (stat(t->exe, &st) < 0) {
			snprintf(err, errsz, "exe %s: %s", t->exe, strerror(errno));
			r = -errno;
			goto fail;
		}
		v.flags |= PF_APR_EXE;
		v.exe_dev = pf_kdev(st.st_dev);
		v.exe_ino = st.st_ino;
	}
	if (t->unit) {
		char cg[512];
		int found = 0;
		const char *roots[] = { "/sys/fs/cgroup/system.slice", "/sys/fs/cgroup" };
		for (size_t i = 0; i < 2 && !found; i++) {
			snprintf(cg, sizeof(cg), "%s/%s", roots[i], t->unit);
			if (stat(cg, &st) == 0 && S_ISDIR(st.st_mode))
				found = 1;
		}
		if (!found) {
			snprintf(err, errsz, "unit %s has no cgroup (is it running?)", t->unit);
			r = -ENOENT;
			goto fail;
		}
		v.flags |= PF_APR_CGROUP;
		v.cgroup_id = st.st_ino; /* cgroup v2: the directory's inode is the id */
	}
	for (size_t i = 0; i < t->n_paths; i++) {
		const char *p = t->paths[i].path;
		char path[PF_TOKEN_MAX_PATH + 1];
		size_t n = strlen(p);
		struct pf_approval_k e = v;
		struct pf_akey keys[2];
		int nk = 0;

		memcpy(path, p, n + 1);
		if (t->paths[i].subtree) {
			if (n > 1)
				path[n - 1] = 0;
			if (lstat(path, &st) < 0) {
				snprintf(err, errsz, "path %s: %s", p, strerror(errno));
				r = -errno;
				goto fail;
			}
			e.flags |= PF_APR_SUBTREE;
			keys[nk++] = (struct pf_akey){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
		} else {
			char *slash = strrchr(path, '/');
			const char *name = slash + 1;

			if (lstat(path, &st) == 0)
				keys[nk++] = (struct pf_akey){ .dev = pf_kdev(st.st_dev),
							       .ino = st.st_ino };
			/* The name in its parent too: a replacement (delete and
			 * create, rename over) is covered. */
			if (strlen(name) >= PF_APPROVAL_NAME_MAX) {
				snprintf(err, errsz, "path %s: last component longer than %d bytes",
					 p, PF_APPROVAL_NAME_MAX - 1);
				r = -ENAMETOOLONG;
				goto fail;
			}
			*slash = 0;
			if (lstat(path[0] ? path : "/", &st) < 0) {
				snprintf(err, errsz, "path %s: parent: %s", p, strerror(errno));
				r = -errno;
				goto fail;
			}
			keys[nk] = (struct pf_akey){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
			keys[nk].name_hash = pf_name_hash(name);
			nk++;
			snprintf(e.name, sizeof(e.name), "%s", name);
		}
		for (int k = 0; k < nk; k++) {
			struct pf_approval_k old, ek = e;
			int named = !t->paths[i].subtree && k == nk - 1;

			if (named)
				ek.flags |= PF_APR_NAME;
			else
				ek.name[0] = 0;
			if (bpf_map_lookup_elem(fd, &keys[k], &old) == 0) {
				snprintf(err, errsz, "path %s is already covered by live approval %s; "
						     "revoke it first",
					 p, old.slot < PF_MAX_APPROVALS ? a->ap[old.slot].id : "?");
				r = -EEXIST;
				goto fail;
			}
			if (bpf_map_update_elem(fd, &keys[k], &ek, BPF_NOEXIST) < 0) {
				snprintf(err, errsz, "approvals map: %s", strerror(errno));
				r = -errno;
				goto fail;
			}
			l.keys[done++] = keys[k];
			l.n_keys = done;
		}
	}
	l.used = 1;
	snprintf(l.id, sizeof(l.id), "%s", t->id);
	l.ticket = strdup(t->ticket);
	l.expires_boot = expires_boot;
	l.not_after = t->not_after;
	{
		struct pf_buf b;
		pf_buf_init(&b);
		for (size_t i = 0; i < ap->n_approvers; i++)
			pf_buf_printf(&b, "%s%s", i ? " " : "", ap->approvers[i]);
		l.approvers = b.data ? b.data : strdup("");
		pf_buf_init(&b);
		for (size_t i = 0; i < t->n_paths; i++)
			pf_buf_printf(&b, "%s%s", i ? " " : "", t->paths[i].path);
		l.paths = b.data ? b.data : strdup("");
	}
	l.ops = t->ops;
	a->ap[slot] = l;
	set_n_approvals(a);
	*ret_slot = slot;
	return 0;
fail:
	remove_kernel_entries(a, &l);
	live_free(&l);
	return r;
}

/* expiry on the boot clock: immune to the wall clock moving later. */
static uint64_t expiry_boot(struct agent *a, int64_t not_after)
{
	int64_t left = not_after - token_clock_ns(a) / 1000000000LL;

	if (left < 0)
		left = 0;
	return (uint64_t)boot_now_ns() + (uint64_t)left * 1000000000ULL;
}

static void drop_approval(struct agent *a, int slot, const char *decision, const char *why)
{
	struct live_approval *l = &a->ap[slot];
	char *bp = bundle_path(a, l->id);

	remove_kernel_entries(a, l);
	if (bp) {
		unlink(bp);
		free(bp);
	}
	log_record(a, decision, "token", l->id, "reason", why);
	live_free(l);
	set_n_approvals(a);
}

static void expire_approvals(struct agent *a)
{
	uint64_t now = (uint64_t)boot_now_ns();

	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		if (a->ap[i].used && a->ap[i].expires_boot <= now)
			drop_approval(a, i, "approval-expired", "not-after reached");
}

/* Collects the bundle and signature files of a request. */
static int request_input(const struct pf_msg *req, struct pf_approve_input *in,
			 struct pf_text *sigs, size_t max_sigs)
{
	const char *b = pf_msg_get(req, "bundle");
	size_t n = 0;

	if (!b)
		return -EINVAL;
	in->bundle.data = b;
	in->bundle.len = strlen(b);
	for (size_t i = 0; i < req->n; i++)
		if (strcmp(req->kv[i].key, "sig[]") == 0) {
			if (n >= max_sigs)
				return -E2BIG;
			sigs[n].data = req->kv[i].val;
			sigs[n].len = strlen(req->kv[i].val);
			n++;
		}
	in->sigfiles = sigs;
	in->n_sigfiles = n;
	return 0;
}

/* The bytes to keep for a restart: the bundle, then every signature file. */
static int persist_bundle(struct agent *a, const char *id, const struct pf_approve_input *in)
{
	struct pf_buf b;
	char *dir, *path;
	int r;

	if (asprintf(&dir, "%s/%s", a->state_dir, PF_APPROVALS_DIR) < 0)
		return -ENOMEM;
	r = pf_mkdir_p(dir, 0700);
	free(dir);
	if (r < 0)
		return r;
	pf_buf_init(&b);
	pf_buf_putn(&b, in->bundle.data, in->bundle.len);
	for (size_t i = 0; i < in->n_sigfiles; i++) {
		if (b.len && b.data[b.len - 1] != '\n')
			pf_buf_putc(&b, '\n');
		pf_buf_putn(&b, in->sigfiles[i].data, in->sigfiles[i].len);
	}
	path = bundle_path(a, id);
	r = b.oom || !path ? -ENOMEM : pf_write_file_atomic(path, b.data, b.len, 0600);
	free(path);
	pf_buf_free(&b);
	return r;
}

/* The approve path, shared by `permafrost approve` (the control socket) and
 * the inbox: verify, refuse a thaw token, spend the token id, load the
 * kernel entries, keep the bundle for a restart. 0 with *ret_ap (caller
 * frees) and *ret_slot; a negative errno with the reason in @err. */
static int approve_token(struct agent *a, const struct pf_approve_input *in,
			 struct pf_approval **ret_ap, int *ret_slot, char *err, size_t errsz)
{
	struct pf_approval *ap = NULL;
	char why[1024];
	int slot, r;

	r = verify_token(a, in, NULL, &ap, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errsz, "refused: %s", why);
		return r;
	}
	if (ap->token->ops & PF_TOKEN_OP_THAW) {
		snprintf(err, errsz, "token %s is a thaw token: use `permafrost thaw`",
			 ap->token->id);
		pf_approval_free(ap);
		return -EINVAL;
	}
	/* Durably used before the kernel sees it: a crash can lose an
	 * approval, never replay one. */
	r = pf_used_add(a->state_dir, &a->used, ap->token->id);
	if (r < 0) {
		snprintf(err, errsz, "recording token id %s: %s", ap->token->id,
			 r == -EEXIST ? "already used" : strerror(-r));
		pf_approval_free(ap);
		return r;
	}
	r = install_approval(a, ap, expiry_boot(a, ap->token->not_after), &slot, why, sizeof(why));
	if (r == 0) {
		r = persist_bundle(a, ap->token->id, in);
		if (r < 0) {
			snprintf(why, sizeof(why), "saving the approval: %s", strerror(-r));
			remove_kernel_entries(a, &a->ap[slot]);
			live_free(&a->ap[slot]);
			set_n_approvals(a);
		}
	}
	if (r < 0) {
		snprintf(err, errsz, "%s (token id %s is now spent)", why, ap->token->id);
		pf_approval_free(ap);
		return r;
	}
	*ret_ap = ap;
	*ret_slot = slot;
	return 0;
}

static void cmd_approve(struct agent *a, const struct pf_msg *req, struct pf_msg *rep)
{
	struct pf_text sigs[PF_TOKEN_MAX_SIGS];
	struct pf_approve_input in = { 0 };
	struct pf_approval *ap = NULL;
	char err[1200], left[32];
	int slot;

	if (request_input(req, &in, sigs, PF_TOKEN_MAX_SIGS) < 0) {
		reply_error(rep, "approve: a token bundle and at most %d signature files are "
				 "required",
			    PF_TOKEN_MAX_SIGS);
		return;
	}
	if (approve_token(a, &in, &ap, &slot, err, sizeof(err)) < 0) {
		reply_error(rep, "approve: %s", err);
		log_record(a, "approval-refused", "reason", err, NULL, NULL);
		return;
	}
	log_record(a, "approval-loaded", "token", ap->token->id, "ticket", ap->token->ticket);
	pf_msg_add(rep, "status", "ok");
	pf_msg_add(rep, "token", ap->token->id);
	pf_msg_add(rep, "ticket", ap->token->ticket);
	pf_msg_add(rep, "approvers", a->ap[slot].approvers);
	pf_msg_add(rep, "paths", a->ap[slot].paths);
	snprintf(left, sizeof(left), "%lld",
		 (long long)((a->ap[slot].expires_boot - (uint64_t)boot_now_ns()) / 1000000000ULL));
	pf_msg_add(rep, "expires_in_s", left);
	pf_approval_free(ap);
}

/* --- the inbox (lib/inbox.c): tokens dropped by configuration management - */

/* pf_inbox_decide_fn: the file is a bundle (body and signatures), decided
 * exactly as `permafrost approve BUNDLE` is. */
static int inbox_decide(void *data, const char *name, const char *bytes, size_t len,
			char *reason, size_t reasonsz)
{
	struct agent *a = data;
	struct pf_approve_input in = { .bundle = { bytes, len } };
	struct pf_approval *ap = NULL;
	int slot;

	if (approve_token(a, &in, &ap, &slot, reason, reasonsz) < 0)
		return 0;
	snprintf(reason, reasonsz, "token %s ticket %s approvers %s paths %s", ap->token->id,
		 ap->token->ticket, a->ap[slot].approvers, a->ap[slot].paths);
	pf_approval_free(ap);
	return 1;
}

/* pf_inbox_report_fn: every outcome goes to the audit log. */
static void inbox_report(void *data, const char *name, bool accepted, const char *stored,
			 const char *reason)
{
	struct agent *a = data;
	char where[512], line[1400];

	snprintf(where, sizeof(where), "%s%s", stored ? "" : "not kept: ",
		 stored ? stored : name);
	snprintf(line, sizeof(line), "inbox %s: %s", name, reason);
	log_record(a, accepted ? "approval-loaded" : "approval-refused", "inbox", where,
		   "reason", line);
}

static void inbox_scan(struct agent *a)
{
	char err[1024];
	bool more = false;

	a->inbox_pending = 0;
	if (!a->inbox_dir)
		return;
	/* Entries that make no IN_MOVED_TO/IN_CLOSE_WRITE event (ln -s,
	 * mkfifo, mkdir) are found by the next scan: an event or this timer. */
	a->inbox_next = boot_now_ns() + PF_INBOX_RESCAN_S * 1000000000LL;
	if (pf_inbox_scan(a->inbox_dir, inbox_decide, inbox_report, a, &more, err,
			  sizeof(err)) < 0)
		warnx_("%s", err);
	a->inbox_pending = more;
}

/* Drains the inotify queue; any event means: scan. */
static void inbox_event(struct agent *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(a->inbox_fd, buf, sizeof(buf)) > 0)
		;
	inbox_scan(a);
}

static int inbox_init(struct agent *a, char *err, size_t errsz)
{
	if (asprintf(&a->inbox_dir, "%s/%s", a->state_dir, PF_INBOX_DIR) < 0) {
		a->inbox_dir = NULL;
		return -ENOMEM;
	}
	if (pf_inbox_prepare(a->inbox_dir, err, errsz) < 0)
		return -1;
	a->inbox_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->inbox_fd < 0 ||
	    inotify_add_watch(a->inbox_fd, a->inbox_dir,
			      IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
		snprintf(err, errsz, "inotify on %s: %s", a->inbox_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void cmd_revoke(struct agent *a, const struct pf_msg *req, struct pf_msg *rep)
{
	const char *id = pf_msg_get(req, "token");

	for (int i = 0; id && i < PF_MAX_APPROVALS; i++)
		if (a->ap[i].used && strcmp(a->ap[i].id, id) == 0) {
			drop_approval(a, i, "approval-revoked", "revoked by an operator");
			pf_msg_add(rep, "status", "ok");
			pf_msg_add(rep, "token", id);
			return;
		}
	reply_error(rep, "revoke: no live approval has token id '%s'", id ? id : "");
}

/* At start: live approvals come back, re-verified (an approver removed from
 * allowed_signers since, or an expiry, drops them, logged). */
static void reload_approvals(struct agent *a)
{
	char *dir;
	DIR *d;
	struct dirent *de;

	if (asprintf(&dir, "%s/%s", a->state_dir, PF_APPROVALS_DIR) < 0)
		return;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char id[33], *path = NULL, *buf = NULL, err[1024];
		struct pf_approve_input in = { 0 };
		struct pf_approval *ap = NULL;
		size_t len;
		int slot;

		if (n != 32 + 7 || strcmp(de->d_name + 32, ".bundle") != 0)
			continue;
		snprintf(id, sizeof(id), "%.32s", de->d_name);
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			break;
		if (pf_read_file(path, PF_BUNDLE_MAX_SIZE + PF_TOKEN_MAX_SIGS * PF_SSHSIG_MAX_ARMOR,
				 &buf, &len) < 0) {
			free(path);
			continue;
		}
		in.bundle.data = buf;
		in.bundle.len = len;
		if (verify_token(a, &in, id, &ap, err, sizeof(err)) < 0) {
			unlink(path);
			log_record(a, "approval-expired", "token", id, "reason", err);
		} else if (install_approval(a, ap, expiry_boot(a, ap->token->not_after), &slot, err,
					    sizeof(err)) < 0) {
			unlink(path);
			log_record(a, "approval-expired", "token", id, "reason", err);
		} else {
			log_record(a, "approval-loaded", "token", id, "ticket", ap->token->ticket);
		}
		pf_approval_free(ap);
		free(buf);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* Protect rules listed in a status reply (each a path of up to 4095 bytes:
 * the reply must stay under PF_MSG_MAX); trees_total counts them all. */
#define PF_STATUS_MAX_TREES 128

/* Status, protected trees: per protect rule its path and the number of
 * (dev,ino) entries resolved under it (the path, symlink targets, hard
 * links and submount roots it contributed). */
static void status_trees(struct agent *a, struct pf_msg *rep)
{
	size_t *n = calloc(a->pol->n_rules ? a->pol->n_rules : 1, sizeof(*n));
	size_t total = 0;

	if (!n)
		return;
	for (size_t i = 0; i < a->res->n; i++)
		if (a->res->e[i].kind == PF_RULE_PROTECT && a->res->e[i].rule_id < a->pol->n_rules)
			n[a->res->e[i].rule_id]++;
	for (size_t i = 0; i < a->pol->n_rules; i++) {
		if (a->pol->rules[i].kind != PF_POL_PROTECT || ++total > PF_STATUS_MAX_TREES)
			continue;
		pf_msg_add(rep, "tree_path[]", a->pol->rules[i].path);
		pf_msg_addf(rep, "tree_objects[]", "%zu", n[i]);
	}
	pf_msg_addf(rep, "trees_total", "%zu", total);
	free(n);
}

/* Status, live approvals as parallel lists (one item per approval in each). */
static void status_approvals(struct agent *a, struct pf_msg *rep)
{
	size_t live = 0;

	for (int i = 0; i < PF_MAX_APPROVALS; i++) {
		struct live_approval *l = &a->ap[i];
		int64_t left;
		char ops[128];

		if (!l->used)
			continue;
		live++;
		left = ((int64_t)l->expires_boot - boot_now_ns()) / 1000000000LL;
		pf_token_format_ops(l->ops, ops, sizeof(ops));
		pf_msg_add(rep, "approval_id[]", l->id);
		pf_msg_add(rep, "approval_ticket[]", l->ticket);
		pf_msg_add(rep, "approval_paths[]", l->paths);
		pf_msg_add(rep, "approval_ops[]", ops);
		pf_msg_add(rep, "approval_approvers[]", l->approvers);
		pf_msg_addf(rep, "approval_left_s[]", "%lld", (long long)(left > 0 ? left : 0));
	}
	pf_msg_addf(rep, "approvals_live", "%zu", live);
}

/* Status, agent health: uptime, and the program links pinned in our set
 * (expected: every attached program, as attach_bpf pins them). */
static void status_health(struct agent *a, struct pf_msg *rep)
{
	struct bpf_object_skeleton *sk = a->skel->skeleton;
	int fd = bpf_map__fd(a->skel->maps.counters);
	unsigned expected = 0, present = 0;
	uint64_t events = 0;
	char ts[64];

	for (int i = 0; i < sk->prog_cnt; i++) {
		char path[600];
		struct stat st;

		if (!*sk->progs[i].link)
			continue;
		expected++;
		snprintf(path, sizeof(path), "%s/%s", a->pin_set, sk->progs[i].name);
		if (stat(path, &st) == 0)
			present++;
	}
	pf_msg_addf(rep, "links_expected", "%u", expected);
	pf_msg_addf(rep, "links_present", "%u", present);
	pf_msg_add(rep, "pin_dir", a->pin_set);
	pf_msg_addf(rep, "by_pid", "%u", a->st.by_pid);
	for (uint32_t d = PF_DEC_DENY; d <= PF_DEC_TAMPER; d++)
		events += percpu_sum(fd, d);
	pf_msg_addf(rep, "events", "%llu", (unsigned long long)events);
	pf_msg_addf(rep, "approved", "%llu", (unsigned long long)percpu_sum(fd, PF_DEC_APPROVED));
	pf_msg_addf(rep, "tamper", "%llu", (unsigned long long)percpu_sum(fd, PF_DEC_TAMPER));
	pf_rfc3339(a->started_ns / 1000000000LL, ts, sizeof(ts));
	pf_msg_add(rep, "started", ts);
	pf_msg_addf(rep, "uptime_s", "%lld",
		    (long long)((pf_now_ns() - a->started_ns) / 1000000000LL));
}

static void cmd_status(struct agent *a, const struct pf_msg *req, struct pf_msg *rep)
{
	char ts[64];
	struct utsname u;
	char *lsm = NULL;
	size_t len;

	pf_msg_add(rep, "status", "ok");
	pf_msg_add(rep, "mode", pf_mode_name((uint32_t)a->st.mode));
	pf_rfc3339(a->st.since, ts, sizeof(ts));
	pf_msg_add(rep, "since", a->st.since ? ts : "");
	pf_msg_addf(rep, "by_uid", "%u", a->st.by_uid);
	pf_msg_add(rep, "reason", a->st.reason);
	pf_msg_add(rep, "policy", a->policy_path);
	pf_msg_addf(rep, "rules", "%zu", a->pol->n_rules);
	pf_msg_addf(rep, "objects", "%zu", a->res->n);
	pf_msg_addf(rep, "hardlinks", "%zu", a->res->n_hardlinks);
	pf_msg_addf(rep, "symlink_targets", "%zu", a->res->n_symlink_targets);
	pf_msg_addf(rep, "loop_devices", "%zu", a->res->n_loops);
	pf_msg_addf(rep, "submounts", "%zu", a->res->n_submounts);
	pf_msg_addf(rep, "filesystems", "%zu", a->res->n_sbs);
	for (size_t i = 0; i < a->res->n_missing; i++)
		pf_msg_add(rep, "missing[]", a->res->missing[i]);
	pf_msg_addf(rep, "denied", "%llu",
		    (unsigned long long)percpu_sum(bpf_map__fd(a->skel->maps.counters),
						   PF_DEC_DENY));
	pf_msg_addf(rep, "would_deny", "%llu",
		    (unsigned long long)percpu_sum(bpf_map__fd(a->skel->maps.counters),
						   PF_DEC_WOULD_DENY));
	pf_msg_addf(rep, "lost", "%llu",
		    (unsigned long long)percpu_sum(bpf_map__fd(a->skel->maps.lost), 0));
	pf_msg_addf(rep, "events_logged", "%llu", (unsigned long long)a->events_logged);
	pf_msg_add(rep, "audit_log", a->log_path);
	pf_msg_addf(rep, "agent_pid", "%d", (int)getpid());
	pf_msg_add(rep, "version", PF_VERSION);
	if (uname(&u) == 0)
		pf_msg_add(rep, "kernel", u.release);
	if (pf_read_file("/sys/kernel/security/lsm", 4096, &lsm, &len) == 0) {
		lsm[strcspn(lsm, "\n")] = '\0';
		pf_msg_add(rep, "lsm", lsm);
		free(lsm);
	}
	status_trees(a, rep);
	status_approvals(a, rep);
	status_health(a, rep);
}

static int change_mode(struct agent *a, int mode, const char *reason, const struct peer *p,
		       char *err, size_t errsz)
{
	struct pf_state ns = a->st;
	char from[16];
	int r;

	ns.mode = mode;
	ns.since = pf_now_ns() / 1000000000LL;
	ns.by_uid = p->uid;
	ns.by_pid = (uint32_t)p->pid;
	snprintf(ns.reason, sizeof(ns.reason), "%s", reason ? reason : "");
	/* Persist first: a state the kernel holds but the disk does not would
	 * be lost on restart. */
	r = pf_state_save(a->state_dir, &ns);
	if (r < 0) {
		snprintf(err, errsz, "saving the freeze state in %s: %s", a->state_dir,
			 strerror(-r));
		return r;
	}
	r = set_mode_kernel(a, mode);
	if (r < 0) {
		snprintf(err, errsz, "setting the kernel mode: %s", strerror(-r));
		pf_state_save(a->state_dir, &a->st);
		return r;
	}
	snprintf(from, sizeof(from), "%s", pf_mode_name((uint32_t)a->st.mode));
	a->st = ns;
	{
		char uid[16];
		snprintf(uid, sizeof(uid), "%u", p->uid);
		log_record(a, "mode-change", "from", from, "by_uid", uid);
	}
	return 0;
}

static void cmd_freeze(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		       const struct peer *p)
{
	const char *m = pf_msg_get(req, "mode");
	const char *reason = pf_msg_get(req, "reason");
	char err[1024];
	int mode = m ? pf_mode_parse(m) : PF_MODE_ENFORCE;

	if (mode != PF_MODE_ENFORCE && mode != PF_MODE_AUDIT) {
		reply_error(rep, "freeze: mode must be enforce or audit, got '%s'", m);
		return;
	}
	if (reason && strlen(reason) > PF_REASON_MAX) {
		reply_error(rep, "freeze: reason longer than %d bytes", PF_REASON_MAX);
		return;
	}
	if (a->st.mode == PF_MODE_ENFORCE && mode == PF_MODE_AUDIT) {
		reply_error(rep, "freeze: the host is frozen in enforce mode; audit would loosen "
				 "it (thaw first)");
		return;
	}
	/* The file system may have changed while thawed (new hard links,
	 * replaced files): resolve again before freezing. */
	if (refresh_rules(a, err, sizeof(err)) < 0) {
		reply_error(rep, "freeze: resolving the policy: %s", err);
		return;
	}
	if (change_mode(a, mode, reason, p, err, sizeof(err)) < 0) {
		reply_error(rep, "freeze: %s", err);
		return;
	}
	pf_msg_add(rep, "status", "ok");
	pf_msg_add(rep, "mode", pf_mode_name((uint32_t)mode));
	pf_msg_addf(rep, "objects", "%zu", a->res->n);
}

/* Lifting a freeze needs a signed token with `ops: thaw` meeting the
 * policy's thaw-approvals; freezing stays open (it only tightens). */
static void cmd_thaw(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		     const struct peer *p)
{
	struct pf_text sigs[PF_TOKEN_MAX_SIGS];
	struct pf_approve_input in = { 0 };
	struct pf_approval *ap = NULL;
	char err[1024], reason[PF_REASON_MAX + 1];
	int r;

	if (request_input(req, &in, sigs, PF_TOKEN_MAX_SIGS) < 0) {
		reply_error(rep, "thaw: a signed thaw token is required (`permafrost thaw TOKEN "
				 "[SIG...]`, token ops: thaw, %u approvals)",
			    a->pol->thaw_approvals);
		return;
	}
	r = verify_token(a, &in, NULL, &ap, err, sizeof(err));
	if (r < 0) {
		reply_error(rep, "thaw: refused: %s", err);
		log_record(a, "thaw-refused", "reason", err, NULL, NULL);
		return;
	}
	if (ap->token->ops != PF_TOKEN_OP_THAW) {
		reply_error(rep, "thaw: token %s is not a thaw token (its ops must be exactly "
				 "'thaw')",
			    ap->token->id);
		pf_approval_free(ap);
		return;
	}
	r = pf_used_add(a->state_dir, &a->used, ap->token->id);
	if (r < 0) {
		reply_error(rep, "thaw: recording token id %s: %s", ap->token->id,
			    r == -EEXIST ? "already used" : strerror(-r));
		pf_approval_free(ap);
		return;
	}
	snprintf(reason, sizeof(reason), "token %s (%s): %s", ap->token->id, ap->token->ticket,
		 ap->token->reason);
	if (change_mode(a, PF_MODE_OFF, reason, p, err, sizeof(err)) < 0) {
		reply_error(rep, "thaw: %s", err);
		pf_approval_free(ap);
		return;
	}
	pf_msg_add(rep, "status", "ok");
	pf_msg_add(rep, "mode", "off");
	pf_msg_add(rep, "token", ap->token->id);
	for (size_t i = 0; i < ap->n_approvers; i++)
		pf_msg_add(rep, "approvers[]", ap->approvers[i]);
	pf_approval_free(ap);
}

static const char *origin_name(uint32_t o)
{
	switch (o) {
	case PF_ORIGIN_RULE:
		return "rule";
	case PF_ORIGIN_TARGET:
		return "symlink-target";
	case PF_ORIGIN_HARDLINK:
		return "hard-link";
	case PF_ORIGIN_SUBMOUNT:
		return "submount";
	case PF_ORIGIN_SELF:
		return "permafrost-self";
	case PF_ORIGIN_LOOP:
		return "loop-device";
	}
	return "unknown";
}

static void cmd_check(struct agent *a, const struct pf_msg *req, struct pf_msg *rep)
{
	const char *path = pf_msg_get(req, "path");
	struct pf_check_result cr;
	int r;

	if (!path || path[0] != '/') {
		reply_error(rep, "check: an absolute path is required");
		return;
	}
	r = pf_resolved_check(a->res, path, &cr);
	if (r < 0) {
		reply_error(rep, "check: %s: %s", path, strerror(-r));
		return;
	}
	pf_msg_add(rep, "status", "ok");
	pf_msg_add(rep, "path", cr.path);
	pf_msg_add(rep, "exists", cr.exists ? "yes" : "no");
	pf_msg_add(rep, "protected", cr.protected_ ? "yes" : "no");
	if (cr.entry && cr.entry->origin == PF_ORIGIN_SELF) {
		pf_msg_add(rep, "rule", "(Permafrost's own object)");
		pf_msg_add(rep, "rule_line", "implicit");
		pf_msg_add(rep, "rule_kind", "protect");
		pf_msg_add(rep, "matched_by", origin_name(cr.entry->origin));
	} else if (cr.entry) {
		const struct pf_policy_rule *rule = &a->pol->rules[cr.entry->rule_id];
		pf_msg_add(rep, "rule", rule->path);
		pf_msg_add(rep, "rule_kind", cr.entry->kind == PF_RULE_PROTECT ? "protect" : "exempt");
		pf_msg_addf(rep, "rule_line", "%s:%u", a->policy_path, rule->line);
		pf_msg_add(rep, "matched_by", origin_name(cr.entry->origin));
	}
	pf_msg_add(rep, "mode", pf_mode_name((uint32_t)a->st.mode));
	pf_msg_add(rep, "write", !cr.protected_ || a->st.mode == PF_MODE_OFF ? "allow"
				 : a->st.mode == PF_MODE_AUDIT		  ? "would-deny"
									  : "deny");
}

static void handle_client(struct agent *a, int fd)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	struct pf_msg req, rep;
	struct peer p;
	char err[256];
	const char *cmd;
	int r;

	pf_msg_init(&req);
	pf_msg_init(&rep);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		reply_error(&rep, "cannot read peer credentials");
		goto send;
	}
	p.uid = cred.uid;
	p.gid = cred.gid;
	p.pid = cred.pid;
	if (p.uid != 0 && !(a->have_gid && peer_in_group(fd, &p, a->pf_gid))) {
		reply_error(&rep, "permission denied: uid %u is neither root nor in the "
				  "'permafrost' group",
			    p.uid);
		goto send;
	}
	r = pf_msg_recv(fd, &req, err, sizeof(err));
	if (r < 0) {
		warnx_("control: bad request from pid %d uid %u: %s", p.pid, p.uid, err);
		reply_error(&rep, "bad request: %s", err);
		goto send;
	}
	cmd = req.n ? req.kv[0].val : NULL;
	if (!req.n || strcmp(req.kv[0].key, "cmd") != 0) {
		reply_error(&rep, "bad request: the first item must be cmd=");
	} else if (strcmp(cmd, "status") == 0) {
		cmd_status(a, &req, &rep);
	} else if (strcmp(cmd, "freeze") == 0) {
		cmd_freeze(a, &req, &rep, &p);
	} else if (strcmp(cmd, "thaw") == 0) {
		cmd_thaw(a, &req, &rep, &p);
	} else if (strcmp(cmd, "check") == 0) {
		cmd_check(a, &req, &rep);
	} else if (strcmp(cmd, "approve") == 0) {
		cmd_approve(a, &req, &rep);
	} else if (strcmp(cmd, "revoke") == 0) {
		cmd_revoke(a, &req, &rep);
	} else {
		reply_error(&rep, "bad request: unknown command '%s'", cmd);
	}
send:
	if (pf_msg_send(fd, &rep) < 0)
		warnx_("control: reply to pid %d failed: %s", p.pid, strerror(errno));
	pf_msg_free(&req);
	pf_msg_free(&rep);
}

static void accept_clients(struct agent *a)
{
	for (;;) {
		int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* Requests are small and bounded by a timeout; serve inline. */
		{
			int fl = fcntl(fd, F_GETFL);
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		}
		handle_client(a, fd);
		close(fd);
	}
}

static int reload_policy(struct agent *a)
{
	struct pf_policy *np = NULL, *old = a->pol;
	struct pf_error perr;
	char err[1024];
	int r;

	r = pf_policy_load(a->policy_path, &np, &perr);
	if (r < 0) {
		warnx_("reload: %s; keeping the current policy", perr.msg);
		return r;
	}
	a->pol = np;
	r = refresh_rules(a, err, sizeof(err));
	if (r < 0) {
		warnx_("reload: %s; keeping the current policy", err);
		a->pol = old;
		pf_policy_free(np);
		return r;
	}
	pf_policy_free(old);
	log_record(a, "policy-reload", "policy", a->policy_path, NULL, NULL);
	return 0;
}

/* --- liveness: heartbeat, downtime, metrics ------------------------------ */

#define HEARTBEAT_NS (5 * 1000000000LL)
#define METRICS_NS (2 * 1000000000LL)

/* STATE_DIR/heartbeat: "v1 BOOT_ID UNIX_NS MODE\n", rewritten every 5 s.
 * On start it bounds how long the previous agent has been gone (the last
 * audit record may be much older than the agent's death). */
static void write_heartbeat(struct agent *a)
{
	char path[PATH_MAX], boot[64] = "unknown", line[160];
	int n, r;

	snprintf(boot, sizeof(boot), "%s", a->boot_id);
	snprintf(path, sizeof(path), "%s/heartbeat", a->state_dir);
	/* the token clock: a wall clock set back does not lower the floor */
	n = snprintf(line, sizeof(line), "v1 %s %lld %s\n", boot, (long long)token_clock_ns(a),
		     pf_mode_name((uint32_t)a->st.mode));
	r = pf_write_file_atomic(path, line, (size_t)n, 0600);
	if (r < 0)
		warnx_("heartbeat %s: %s", path, strerror(-r));
}

struct heartbeat {
	char boot[64];
	int64_t at_ns;
	char mode[16];
};

static int read_heartbeat(struct agent *a, struct heartbeat *hb)
{
	char path[PATH_MAX], fmt[64];
	char *buf = NULL;
	size_t len;
	long long at;
	int r;

	snprintf(path, sizeof(path), "%s/heartbeat", a->state_dir);
	r = pf_read_file(path, 256, &buf, &len);
	if (r < 0)
		return r;
	snprintf(fmt, sizeof(fmt), "v1 %%63s %%lld %%15s");
	r = sscanf(buf, fmt, hb->boot, &at, hb->mode);
	free(buf);
	if (r != 3 || at <= 0) {
		warnx_("heartbeat %s: not \"v1 BOOT_ID UNIX_NS MODE\"; ignored", path);
		return -EINVAL;
	}
	hb->at_ns = at;
	return 0;
}

/* At start, on a log that already has records: a "gap" record says how long
 * the agent was away and what the kernel did meanwhile. @had_pins: a
 * previous agent's programs were still attached when we started. */
static void log_downtime(struct agent *a, int had_pins)
{
	struct heartbeat hb = { 0 };
	int64_t now = pf_now_ns(), from = pf_auditlog_last_time_ns(a->log);
	char boot[64] = "unknown", enf[512], d[64];
	int have_hb = read_heartbeat(a, &hb) == 0;

	if (have_hb)
		/* the clock for tokens starts no earlier than the last heartbeat */
		pf_wallclock_raise(&a->clock, hb.at_ns, boot_now_ns());
	if (have_hb && hb.at_ns > from && hb.at_ns <= now)
		from = hb.at_ns;
	if (from <= 0)
		return; /* a new log: nothing was missed */
	snprintf(boot, sizeof(boot), "%s", a->boot_id);
	pf_auditlog_duration(now - from, d, sizeof(d));
	if (have_hb && strcmp(hb.boot, boot) != 0) {
		char up[64];
		pf_auditlog_duration(boot_now_ns(), up, sizeof(up));
		snprintf(enf, sizeof(enf),
			 "off: the host rebooted (booted %s ago); nothing enforced from the previous "
			 "boot's shutdown until now, at most %s (mode then: %s)", up, d, hb.mode);
	} else if (had_pins) {
		snprintf(enf, sizeof(enf),
			 "continued: the pinned programs kept enforcing (mode %s); kernel events "
			 "beyond the ring buffer's capacity are counted as lost",
			 pf_mode_name((uint32_t)a->st.mode));
	} else if (a->st.mode != PF_MODE_OFF) {
		snprintf(enf, sizeof(enf),
			 "off: no pinned programs were found although the host is in mode %s; "
			 "nothing enforced for at most %s", pf_mode_name((uint32_t)a->st.mode), d);
	} else {
		snprintf(enf, sizeof(enf), "off: the host was thawed (mode off)");
	}
	if (pf_auditlog_gap(a->log, from, now, NULL, enf) < 0) {
		a->log_errors++;
		warnx_("audit log %s: the gap record could not be written: agent down %s; %s",
		       a->log_path, d, enf);
	}
	if (strncmp(enf, "off:", 4) == 0 && strstr(enf, "thawed") == NULL)
		warnx_("enforcement was off: %s", enf + 5);
	if (a->pol->syslog)
		syslog(LOG_WARNING, "gap down=%s enforcement=\"%s\"", d, enf);
}

static void write_metrics(struct agent *a)
{
	struct pf_metrics m = { 0 };
	struct pf_buf b;
	int cfd = bpf_map__fd(a->skel->maps.counters), r;

	m.denials = percpu_sum(cfd, PF_DEC_DENY);
	m.would_denials = percpu_sum(cfd, PF_DEC_WOULD_DENY);
	m.approved = percpu_sum(cfd, PF_DEC_APPROVED);
	m.tamper = percpu_sum(cfd, PF_DEC_TAMPER);
	m.lost = percpu_sum(bpf_map__fd(a->skel->maps.lost), 0);
	m.events_logged = a->events_logged;
	m.log_errors = a->log_errors;
	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		m.live_approvals += a->ap[i].used ? 1 : 0;
	m.mode = a->st.mode;
	m.mode_since_s = a->st.since;
	m.agent_start_s = a->started_ns / 1000000000LL;
	pf_buf_init(&b);
	if (pf_metrics_format(&m, &b) == 0) {
		r = pf_write_file_atomic(a->pol->metrics_file, b.data, b.len, 0644);
		if (r < 0)
			warnx_("metrics-file %s: %s", a->pol->metrics_file, strerror(-r));
	}
	pf_buf_free(&b);
}

/* From the main loop, about once a second. */
static void periodic(struct agent *a)
{
	int64_t now = boot_now_ns();

	if (now >= a->heartbeat_at) {
		write_heartbeat(a);
		a->heartbeat_at = now + HEARTBEAT_NS;
	}
	if (a->pol->metrics_file && now >= a->metrics_at) {
		write_metrics(a);
		a->metrics_at = now + METRICS_NS;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: permafrostd [--policy FILE] [--state-dir DIR] [--log FILE] [--socket PATH] [-v]\n"
		"  --policy FILE     policy (default " DEFAULT_POLICY ")\n"
		"  --state-dir DIR   freeze state (default " DEFAULT_STATE_DIR ")\n"
		"  --log FILE        audit log (default " DEFAULT_LOG ")\n"
		"  --socket PATH     control socket (default " DEFAULT_SOCKET ")\n"
		"  --pin-dir DIR     bpffs directory for the pinned links (default " DEFAULT_PIN_DIR ")\n"
		"  -v, --verbose     libbpf debug output\n"
		"  --version\n"
		"Runs in the foreground. SIGHUP re-reads the policy; SIGTERM stops.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 'S' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct agent a = {
		.policy_path = DEFAULT_POLICY,
		.state_dir = DEFAULT_STATE_DIR,
		.log_path = DEFAULT_LOG,
		.sock_path = DEFAULT_SOCKET,
		.pin_dir = DEFAULT_PIN_DIR,
		.heartbeat_fd = -1,
		.cgroot_fd = -1,
		.listen_fd = -1,
		.sig_fd = -1,
		.epfd = -1,
		.inbox_fd = -1,
	};
	struct pf_error perr;
	struct epoll_event ev;
	struct group *gr;
	char err[1024], mode_kept[256] = "";
	sigset_t mask;
	int c, r, ret = 1, running = 1;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a.policy_path = optarg; break;
		case 's': a.state_dir = optarg; break;
		case 'l': a.log_path = optarg; break;
		case 'S': a.sock_path = optarg; break;
		case 'P': a.pin_dir = optarg; break;
		case 'v': verbose = 1; break;
		case 'V': printf("permafrostd %s\n", PF_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	a.started_ns = pf_now_ns();
	if (gethostname(a.host, sizeof(a.host) - 1) < 0)
		snprintf(a.host, sizeof(a.host), "unknown");
	gr = getgrnam("permafrost");
	if (gr) {
		a.pf_gid = gr->gr_gid;
		a.have_gid = 1;
	}

	r = pf_policy_load(a.policy_path, &a.pol, &perr);
	if (r < 0) {
		warnx_("%s", perr.msg);
		return 2;
	}
	if (check_bpf_lsm(err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	r = pf_mkdir_p(a.state_dir, 0700);
	if (r < 0) {
		warnx_("state dir %s: %s", a.state_dir, strerror(-r));
		goto out;
	}
	r = pf_state_load(a.state_dir, &a.st, err, sizeof(err));
	if (r == -ENOENT) {
		memset(&a.st, 0, sizeof(a.st));
		a.st.mode = a.pol->mode;
		a.st.since = pf_now_ns() / 1000000000LL;
		snprintf(a.st.reason, sizeof(a.st.reason), "initial mode from %s", a.policy_path);
	} else if (r < 0) {
		/* Fail closed: a damaged state on a possibly frozen host. */
		warnx_("%s; starting in enforce mode until an operator thaws", err);
		memset(&a.st, 0, sizeof(a.st));
		a.st.mode = PF_MODE_ENFORCE;
		a.st.since = pf_now_ns() / 1000000000LL;
		snprintf(a.st.reason, sizeof(a.st.reason), "freeze state damaged");
	}
	{
		char *dir = strdup(a.log_path);
		if (dir)
			snprintf(a.log_dir, sizeof(a.log_dir), "%s", dirname(dir));
		r = dir ? pf_mkdir_p(a.log_dir, 0750) : -ENOMEM;
		free(dir);
		if (r < 0) {
			warnx_("audit log directory for %s: %s", a.log_path, strerror(-r));
			goto out;
		}
	}
	{
		char *dir = strdup(a.sock_path);
		r = dir ? pf_mkdir_p(dirname(dir), 0755) : -ENOMEM;
		if (r == 0)
			snprintf(a.boot_id_file, sizeof(a.boot_id_file), "%s/boot-id", dir);
		free(dir);
		r = r < 0 ? r : pf_boot_id(a.boot_id_file, a.boot_id);
		if (r < 0)
			warnx_("boot id (/proc/sys/kernel/random/boot_id, or %s): %s; a reboot "
			       "cannot be told from a restart", a.boot_id_file, strerror(-r));
	}
	/* before the log: a second agent is named as such, not as a writer
	 * holding the log's lock */
	a.self_paths = (struct pf_self_paths){ .policy = a.policy_path, .state_dir = a.state_dir,
					       .log_path = a.log_path, .pin_dir = a.pin_dir,
					       .boot_id_file = a.boot_id_file };
	if (pf_self_init(&a.self, &a.self_paths, err, sizeof(err)) < 0 ||
	    pf_self_check_pinned(&a.self, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	/* A restart never loosens the freeze in force: the pinned config
	 * outranks a state file that says less (a thaw interrupted between
	 * the file and the kernel, or a state file that is not the real one). */
	if (a.self.maps_existed && a.self.pinned_mode > a.st.mode) {
		snprintf(mode_kept, sizeof(mode_kept),
			 "the state file says %s, the freeze in force %s: kept %s",
			 pf_mode_name((uint32_t)a.st.mode), pf_mode_name((uint32_t)a.self.pinned_mode),
			 pf_mode_name((uint32_t)a.self.pinned_mode));
		warnx_("%s", mode_kept);
		a.st.mode = a.self.pinned_mode;
		snprintf(a.st.reason, sizeof(a.st.reason), "%s", mode_kept);
	}
	{
		struct pf_auditlog_opts lo = {
			.host = a.host,
			.max_size = a.pol->log_max_size,
			.keep = a.pol->log_keep,
			.fsync = PF_AUDITLOG_FSYNC_BATCH,
		};
		r = pf_auditlog_open(a.log_path, &lo, &a.log, err, sizeof(err));
		if (r < 0) {
			warnx_("audit log %s: %s", a.log_path, err);
			goto out;
		}
	}
	if (a.pol->syslog)
		openlog("permafrostd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	{
		struct statfs sf;
		a.cgroot_fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (a.cgroot_fd >= 0 && (fstatfs(a.cgroot_fd, &sf) < 0 ||
					 sf.f_type != CGROUP2_SUPER_MAGIC)) {
			close(a.cgroot_fd); /* cgroup v1: no unit names */
			a.cgroot_fd = -1;
		}
	}
	if (find_old_pins(&a, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	log_downtime(&a, a.n_old_sets > 0);
	if (load_bpf(&a, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	if (pf_self_check_own_dir(&a.self, a.skel->obj, "state directory", a.state_dir, err,
				  sizeof(err)) < 0 ||
	    pf_self_check_own_dir(&a.self, a.skel->obj, "log directory", a.log_dir, err,
				  sizeof(err)) < 0) {
		warnx_("%s", err);
		log_record(&a, "tamper", "op", "view", "reason", err);
		goto out;
	}
	if (mode_kept[0])
		log_record(&a, "mode-change", "from", "state file", "reason", mode_kept);
	if (refresh_rules(&a, err, sizeof(err)) < 0) {
		warnx_("resolving %s: %s", a.policy_path, err);
		goto out;
	}
	if (pf_used_load(a.state_dir, &a.used, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	r = set_mode_kernel(&a, a.st.mode);
	if (r < 0) {
		warnx_("setting the kernel mode: %s", strerror(-r));
		goto out;
	}
	scan_log_tail(&a);
	load_lost_reported(&a);
	a.rb = ring_buffer__new(bpf_map__fd(a.skel->maps.events), on_event, &a, NULL);
	if (!a.rb) {
		warnx_("ring buffer: %s", strerror(errno));
		goto out;
	}
	if (adopt_or_attach(&a, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	if (open_socket(&a, err, sizeof(err)) < 0) {
		warnx_("control socket: %s", err);
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a.sig_fd < 0 || a.epfd < 0) {
		warnx_("signalfd/epoll: %s", strerror(errno));
		goto out;
	}
	ev.events = EPOLLIN;
	ev.data.fd = ring_buffer__epoll_fd(a.rb);
	epoll_ctl(a.epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = a.listen_fd;
	epoll_ctl(a.epfd, EPOLL_CTL_ADD, a.listen_fd, &ev);
	ev.data.fd = a.sig_fd;
	epoll_ctl(a.epfd, EPOLL_CTL_ADD, a.sig_fd, &ev);
	if (inbox_init(&a, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	ev.data.fd = a.inbox_fd;
	epoll_ctl(a.epfd, EPOLL_CTL_ADD, a.inbox_fd, &ev);

	if (pf_self_oom_protect(err, sizeof(err)) < 0)
		warnx_("%s; the OOM killer may pick the agent", err);
	if (drop_capabilities(err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	log_record(&a, "agent-start", "version", PF_VERSION, "policy", a.policy_path);
	reload_approvals(&a);
	fprintf(stderr,
		"permafrostd %s: %s mode, %zu objects on %zu filesystems, log %s, socket %s\n",
		PF_VERSION, pf_mode_name((uint32_t)a.st.mode), a.res->n, a.res->n_sbs,
		a.log_path, a.sock_path);
	/* Readiness for supervisors that wait for the socket. */
	fflush(stderr);
	inbox_scan(&a);
	/* systemd (Type=notify): attached, freeze state applied, socket
	 * listening. */
	r = pf_sd_notify("READY=1\nSTATUS=serving the control socket");
	if (r < 0)
		warnx_("sd_notify READY=1 to %s: %s", getenv("NOTIFY_SOCKET"), strerror(-r));

	while (running) {
		struct epoll_event evs[8];
		int n = epoll_wait(a.epfd, evs, 8, 1000);

		if (n < 0 && errno != EINTR) {
			warnx_("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == a.listen_fd) {
				accept_clients(&a);
			} else if (evs[i].data.fd == a.sig_fd) {
				struct signalfd_siginfo si;
				while (read(a.sig_fd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reload_policy(&a);
					else
						running = 0;
				}
			} else if (evs[i].data.fd == a.inbox_fd) {
				inbox_event(&a);
			}
		}
		if (a.inbox_pending || boot_now_ns() >= a.inbox_next)
			inbox_scan(&a);
		/* Always drain: events must not wait behind control traffic. */
		r = ring_buffer__consume(a.rb);
		if (r < 0 && r != -EINTR)
			warnx_("ring buffer: %s", strerror(-r));
		check_lost(&a);
		expire_approvals(&a);
		pf_self_refresh(&a.self, a.skel->obj);
		if (a.refresh_at && boot_now_ns() >= a.refresh_at) {
			/* An approved change replaced a protected object: find
			 * the new one, so it is protected again. */
			a.refresh_at = 0;
			if (refresh_rules(&a, err, sizeof(err)) < 0)
				warnx_("re-resolving after an approved change: %s", err);
		}
		pf_auditlog_sync(a.log);
		periodic(&a);
	}
	pf_sd_notify("STOPPING=1");
	ring_buffer__consume(a.rb);
	check_lost(&a);
	if (a.st.mode == PF_MODE_OFF) {
		remove_pins(a.pin_set);
		pf_self_unpin_maps(&a.self);
		log_record(&a, "agent-stop", "enforcement", "off (thawed): programs detached", NULL,
			   NULL);
	} else {
		log_record(&a, "agent-stop", "enforcement",
			   "continues: the host is frozen and the programs stay pinned", NULL, NULL);
	}
	ret = 0;
out:
	if (ret != 0 && a.n_old_sets > 0)
		/* Ours never took over: the previous set is untouched and
		 * keeps enforcing. (Once ours took over, they stay: fail
		 * closed.) */
		remove_pins(a.pin_set);
	ring_buffer__free(a.rb);
	permafrost_bpf__destroy(a.skel);
	if (a.listen_fd >= 0) {
		unlink(a.sock_path);
		close(a.listen_fd);
	}
	pf_auditlog_close(a.log);
	if (a.heartbeat_fd >= 0)
		close(a.heartbeat_fd);
	if (a.cgroot_fd >= 0)
		close(a.cgroot_fd);
	if (a.pol && a.pol->syslog)
		closelog();
	for (int i = 0; i < PF_MAX_APPROVALS; i++)
		live_free(&a.ap[i]);
	pf_used_free(&a.used);
	if (a.inbox_fd >= 0)
		close(a.inbox_fd);
	free(a.inbox_dir);
	pf_resolved_free(a.res);
	pf_policy_free(a.pol);
	return ret;
}

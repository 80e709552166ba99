/* permafrost: the operator's CLI.
 *
 * Exit codes (scripts may rely on them):
 *   0  success (check: the path is not protected)
 *   1  the agent refused the request, or the input is invalid (a policy
 *      that does not parse)
 *   2  usage error
 *   3  the agent cannot be reached
 *   4  check: the path is protected (see "write" for what a write gets now)
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <pwd.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "permafrost.h"
#include "ctl.h"
#include "event.h"
#include "json.h"
#include "policy.h"
#include "resolve.h"
#include "util.h"
#include "approve.h"
#include "hostid.h"
#include "apstore.h"
#include "signers.h"
#include "token.h"
#include "logcmd.h"
#include "report.h"
#include "cli.h"
#include "doctor.h"
#include "paths.h"
#include "reply.h"
#include "schedule.h"


enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_PROTECTED = 4,
};

static struct {
	int json;
	const char *socket;
} g = { .socket = PF_DEFAULT_SOCKET };

/* Errors go through one printer: human on stderr, or a JSON object on
 * stdout with --json. */
static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf_cli_print_error(g.json, code, msg);
	return code;
}

/* Sends @req, fills @rep. An exit code; when not EXIT_OK, @msg says why. */
static int exchange(const struct pf_msg *req, struct pf_msg *rep, char *msg, size_t msgsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 60 };
	struct pf_err err;
	int fd, r;

	if (strlen(g.socket) >= sizeof(sa.sun_path)) {
		snprintf(msg, msgsz, "socket path too long: %s", g.socket);
		return EXIT_USAGE;
	}
	strcpy(sa.sun_path, g.socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(msg, msgsz, "socket: %s", strerror(errno));
		return EXIT_UNREACHABLE;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = errno;
		close(fd);
		snprintf(msg, msgsz,
			 "cannot reach the agent at %s: %s (is permafrostd running? "
			 "`systemctl status permafrostd`)",
			 g.socket, strerror(r));
		return EXIT_UNREACHABLE;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The agent may answer (a refusal) before reading the whole request:
	 * a failed send is not the end, its reply is what matters. */
	r = pf_msg_send(fd, req);
	if (r == 0 || r == -EPIPE || r == -ECONNRESET)
		r = pf_msg_recv(fd, rep, &err);
	else
		pf_err_set(&err, "%s", strerror(-r));
	close(fd);
	if (r < 0) {
		snprintf(msg, msgsz, "talking to the agent at %s: %s", g.socket, err.msg);
		return EXIT_UNREACHABLE;
	}
	if (!pf_msg_get(rep, "status")) {
		snprintf(msg, msgsz, "the agent sent a reply without a status");
		return EXIT_UNREACHABLE;
	}
	if (strcmp(pf_msg_get(rep, "status"), "ok") != 0) {
		const char *e = pf_msg_get(rep, "error");

		snprintf(msg, msgsz, "%s", e ? e : "the agent refused the request");
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* The same, the failure printed. */
static int call(const struct pf_msg *req, struct pf_msg *rep)
{
	char msg[2048];
	int code = exchange(req, rep, msg, sizeof(msg));

	return code == EXIT_OK ? code : fail(code, "%s", msg);
}

/* The reply as one JSON object, typed by reply.h. */
static void print_json(const struct pf_msg *m)
{
	struct pf_buf b;

	pf_buf_init(&b);
	pf_reply_json(m, &b);
	printf("%s\n", b.data ? b.data : "{}");
	pf_buf_free(&b);
}

static const char *get(const struct pf_msg *m, const char *k)
{
	const char *v = pf_msg_get(m, k);
	return v ? v : "";
}

/* --- commands ------------------------------------------------------------ */

/* Sends @req (and frees it); on success prints the reply: as JSON with
 * --json, else through @show, which also picks the exit code (show may be
 * called with --json too, for the exit code only: it prints nothing then). */
static int send_request(struct pf_msg *req, int (*show)(const struct pf_msg *rep))
{
	struct pf_msg rep;
	int r;

	pf_msg_init(&rep);
	r = call(req, &rep);
	if (r == EXIT_OK) {
		if (g.json)
			print_json(&rep);
		r = show(&rep);
	}
	pf_msg_free(req);
	pf_msg_free(&rep);
	return r;
}

/* "42s", "5m 12s", "3h 04m", "2d 03h": readable at a glance. */
static void fmt_duration(long long s, char *out, size_t outsz)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, outsz, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, outsz, "%lldh %02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, outsz, "%lldm %02llds", s / 60, s % 60);
	else
		snprintf(out, outsz, "%llds", s);
}

/* The @idx-th value of list key @k ("name[]"), or "". */
static const char *item(const struct pf_msg *m, const char *k, size_t idx)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].key, k) == 0 && idx-- == 0)
			return m->kv[i].val;
	return "";
}

static size_t count(const struct pf_msg *m, const char *k)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		n += strcmp(m->kv[i].key, k) == 0;
	return n;
}

/* A list the reply sends as parallel "name[]" keys, as JSON objects. */
struct list_field {
	const char *json, *reply;
	int num;
};

static const struct list_field approval_fields[] = {
	{ "id", "approval_id[]", 0 },	     { "ticket", "approval_ticket[]", 0 },
	{ "paths", "approval_paths[]", 0 },   { "ops", "approval_ops[]", 0 },
	{ "approvers", "approval_approvers[]", 0 }, { "expires_in_s", "approval_left_s[]", 1 },
};

static const struct list_field ai_tree_fields[] = {
	{ "agent", "ai_tree_agent[]", 0 }, { "root_pid", "ai_tree_root_pid[]", 1 },
	{ "since", "ai_tree_since[]", 0 }, { "tasks", "ai_tree_tasks[]", 1 },
	{ "denied", "ai_tree_denied[]", 1 },
};

static void json_list(struct pf_json *j, const struct pf_msg *m, const char *key,
		      const struct list_field *f, size_t nf)
{
	size_t n = count(m, f[0].reply);

	pf_json_key(j, key);
	pf_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		pf_json_obj_begin(j);
		for (size_t k = 0; k < nf; k++) {
			pf_json_key(j, f[k].json);
			if (f[k].num)
				pf_json_uint(j, strtoull(item(m, f[k].reply, i), NULL, 10));
			else
				pf_json_str(j, item(m, f[k].reply, i));
		}
		pf_json_obj_end(j);
	}
	pf_json_arr_end(j);
}

static int is_missing(const struct pf_msg *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].key, "missing[]") == 0 && strcmp(m->kv[i].val, path) == 0)
			return 1;
	return 0;
}

/* status --json: the scalars as in the reply (typed by reply.h), then
 * "missing", "trees" and "approvals" as arrays. */
static void status_json(const struct pf_msg *m)
{
	struct pf_buf b;
	struct pf_json j;
	size_t n;

	pf_buf_init(&b);
	pf_json_init(&j, &b, 1);
	pf_json_obj_begin(&j);
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->kv[i].key;

		if (strchr(k, '['))
			continue;
		pf_json_key(&j, k);
		if (pf_reply_type(k) == PF_REPLY_NUM)
			pf_json_uint(&j, strtoull(m->kv[i].val, NULL, 10));
		else
			pf_json_str(&j, m->kv[i].val);
	}
	pf_json_key(&j, "missing");
	pf_json_arr_begin(&j);
	for (size_t i = 0, nm = count(m, "missing[]"); i < nm; i++)
		pf_json_str(&j, item(m, "missing[]", i));
	pf_json_arr_end(&j);
	pf_json_key(&j, "trees");
	pf_json_arr_begin(&j);
	n = count(m, "tree_path[]");
	for (size_t i = 0; i < n; i++) {
		pf_json_obj_begin(&j);
		pf_json_key(&j, "path");
		pf_json_str(&j, item(m, "tree_path[]", i));
		pf_json_key(&j, "objects");
		pf_json_uint(&j, strtoull(item(m, "tree_objects[]", i), NULL, 10));
		pf_json_key(&j, "missing");
		pf_json_bool(&j, is_missing(m, item(m, "tree_path[]", i)));
		pf_json_obj_end(&j);
	}
	pf_json_arr_end(&j);
	json_list(&j, m, "approvals", approval_fields, PF_ARRAY_SIZE(approval_fields));
	json_list(&j, m, "ai_trees", ai_tree_fields, PF_ARRAY_SIZE(ai_tree_fields));
	pf_json_obj_end(&j);
	printf("%s\n", b.data ? b.data : "{}");
	pf_buf_free(&b);
}

#define LABEL "%-14s"

static int show_status(const struct pf_msg *rep)
{
	int col = pf_cli_colour(g.json);
	const char *mode = get(rep, "mode");
	const char *on = "", *off = col ? "\033[0m" : "";
	size_t n, width = 0;
	char d[32];

	if (col)
		on = strcmp(mode, "enforce") == 0 ? "\033[1;36m" : strcmp(mode, "audit") == 0 ? "\033[1;33m" : "\033[1m";
	printf(LABEL "%s%s%s", "Mode:", on, mode, off);
	if (*get(rep, "manual_mode") && strcmp(mode, get(rep, "manual_mode")) != 0)
		printf(" by schedule; manual mode %s", get(rep, "manual_mode"));
	if (*get(rep, "since")) {
		struct passwd *pw = getpwuid((uid_t)strtoul(get(rep, "by_uid"), NULL, 10));
		time_t since = 0;
		struct tm tm;

		if (strptime(get(rep, "since"), "%Y-%m-%dT%H:%M:%SZ", &tm))
			since = timegm(&tm);
		fmt_duration((long long)(time(NULL) - since), d, sizeof(d));
		if (strcmp(get(rep, "by_pid"), "0") == 0) /* the agent's own start-up state */
			printf(" since %s (%s ago), set by permafrostd at start-up", get(rep, "since"), d);
		else
			printf(" since %s (%s ago) by uid %s%s%s%s, pid %s", get(rep, "since"), d,
			       get(rep, "by_uid"), pw ? " (" : "", pw ? pw->pw_name : "",
			       pw ? ")" : "", get(rep, "by_pid"));
	}
	printf("\n");
	if (*get(rep, "reason"))
		printf(LABEL "%s\n", "Reason:", get(rep, "reason"));
	if (*get(rep, "schedule")) {
		const char *w = get(rep, "schedule_window"), *until = get(rep, "schedule_until");

		if (*get(rep, "schedule_since"))
			printf(LABEL "%s by %s since %s%s%s\n", "Schedule:", get(rep, "schedule"), w,
			       get(rep, "schedule_since"), *until ? " until " : " (no end)", until);
		else if (*get(rep, "schedule_next"))
			printf(LABEL "open; next: %s from %s%s%s\n", "Schedule:", w,
			       get(rep, "schedule_next"), *until ? " until " : " (no end)", until);
		else
			printf(LABEL "open; no window ahead\n", "Schedule:");
		if (*get(rep, "schedule_lifted_until"))
			printf(LABEL "a thaw lifted the schedule until %s (break glass)\n", "",
			       get(rep, "schedule_lifted_until"));
	}
	printf(LABEL "%s: %s rules, %s objects on %s filesystems (%s hard links, %s submounts)\n",
	       "Policy:", get(rep, "policy"), get(rep, "rules"), get(rep, "objects"),
	       get(rep, "filesystems"), get(rep, "hardlinks"), get(rep, "submounts"));
	n = count(rep, "tree_path[]");
	for (size_t i = 0; i < n; i++)
		if (strlen(item(rep, "tree_path[]", i)) > width)
			width = strlen(item(rep, "tree_path[]", i));
	for (size_t i = 0; i < n; i++) {
		const char *p = item(rep, "tree_path[]", i);
		printf(LABEL "%-*s  ", i == 0 ? "Protected:" : "", (int)width, p);
		if (is_missing(rep, p))
			printf("%sMISSING%s (absent on this host: nothing protected)\n",
			       col ? "\033[1;33m" : "", off);
		else
			printf("%s objects\n", item(rep, "tree_objects[]", i));
	}
	if (!n)
		printf(LABEL "nothing (the policy has no protect rule)\n", "Protected:");
	else if (strtoull(get(rep, "trees_total"), NULL, 10) > n)
		printf(LABEL "... and %llu more (all of them: permafrost policy check %s)\n", "",
		       strtoull(get(rep, "trees_total"), NULL, 10) - n, get(rep, "policy"));
	for (size_t i = 0, nm = count(rep, "missing[]"); i < nm; i++) {
		const char *p = item(rep, "missing[]", i);
		int tree = 0;
		for (size_t t = 0; t < n; t++)
			tree |= strcmp(item(rep, "tree_path[]", t), p) == 0;
		if (!tree)
			printf(LABEL "%s (absent on this host)\n", "Missing:", p);
	}
	n = count(rep, "approval_id[]");
	if (!n)
		printf(LABEL "none live\n", "Approvals:");
	for (size_t i = 0; i < n; i++) {
		fmt_duration(strtoll(item(rep, "approval_left_s[]", i), NULL, 10), d, sizeof(d));
		printf(LABEL "%s ticket=%s left=%ss (expires in %s) ops=%s paths=%s approvers=%s\n",
		       "Approval:", item(rep, "approval_id[]", i), item(rep, "approval_ticket[]", i),
		       item(rep, "approval_left_s[]", i), d, item(rep, "approval_ops[]", i),
		       item(rep, "approval_paths[]", i), item(rep, "approval_approvers[]", i));
	}
	n = count(rep, "ai_tree_agent[]");
	for (size_t i = 0; i < n; i++)
		printf(LABEL "%s root pid %s since %s: %s tasks now, %s denied\n", "AI agent:",
		       item(rep, "ai_tree_agent[]", i), item(rep, "ai_tree_root_pid[]", i),
		       item(rep, "ai_tree_since[]", i), item(rep, "ai_tree_tasks[]", i),
		       item(rep, "ai_tree_denied[]", i));
	if (!n && *get(rep, "ai_trees"))
		printf(LABEL "no agent tree running\n", "AI agents:");
	printf(LABEL "%s events: %s denied, %s would-deny, %s approved, %s tamper; %s%s lost%s\n",
	       "Decisions:", get(rep, "events"), get(rep, "denied"), get(rep, "would_deny"),
	       get(rep, "approved"), get(rep, "tamper"),
	       col && strcmp(get(rep, "lost"), "0") != 0 ? "\033[1;31m" : "", get(rep, "lost"), off);
	printf(LABEL "%s (%s events this run)\n", "Audit log:", get(rep, "audit_log"),
	       get(rep, "events_logged"));
	if (get(rep, "log_outage_since")[0])
		printf(LABEL "%sNOT WRITABLE%s since %s (%s): %s records counted, not written (%s); "
			     "retried every second, enforcement continues\n",
		       "Log outage:", col ? "\033[1;31m" : "", off, get(rep, "log_outage_since"),
		       get(rep, "log_outage_error"), get(rep, "log_missed"), get(rep, "log_missed_by"));
	fmt_duration(strtoll(get(rep, "uptime_s"), NULL, 10), d, sizeof(d));
	printf(LABEL "pid %s, version %s, up %s (since %s)\n", "Agent:", get(rep, "agent_pid"),
	       get(rep, "version"), d, get(rep, "started"));
	printf(LABEL "%s, LSMs %s, %s build\n", "Kernel:", get(rep, "kernel"), get(rep, "lsm"),
	       get(rep, "bpf_build"));
	if (get(rep, "unenforced")[0])
		printf(LABEL "%s%s%s: this kernel has no hook our programs fit; those routes are "
			     "NOT enforced\n",
		       "Unenforced:", col ? "\033[1;31m" : "", get(rep, "unenforced"), off);
	printf(LABEL "%s%s of %s%s in %s\n", "Pinned links:",
	       col && strcmp(get(rep, "links_present"), get(rep, "links_expected")) != 0 ? "\033[1;31m" : "",
	       get(rep, "links_present"), get(rep, "links_expected"), off, get(rep, "pin_dir"));
	return EXIT_OK;
}

static int cmd_status(int argc, char **argv)
{
	struct pf_msg req, rep;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "usage: permafrost status");
	pf_msg_init(&req);
	pf_msg_init(&rep);
	pf_msg_add(&req, "cmd", "status");
	r = call(&req, &rep);
	if (r == EXIT_OK) {
		if (g.json)
			status_json(&rep);
		else
			r = show_status(&rep);
	}
	pf_msg_free(&req);
	pf_msg_free(&rep);
	return r;
}

/* Is @path protected, by the agent's own judgement? */
static int agent_says_protected(const char *path)
{
	struct pf_msg req, rep;
	int yes = 0;

	pf_msg_init(&req);
	pf_msg_init(&rep);
	if (pf_msg_add(&req, "cmd", "check") == 0 && pf_msg_add(&req, "path", path) == 0 &&
	    call(&req, &rep) == EXIT_OK)
		yes = strcmp(get(&rep, "protected"), "yes") == 0;
	pf_msg_free(&req);
	pf_msg_free(&rep);
	return yes;
}

#define SHARED_MAP_WARN_MAX 64

/* A writable shared mapping made before the freeze stores into its file
 * through page faults, which reach no LSM hook: the kernel cannot refuse
 * them. After a freeze, name every process that holds one of a protected
 * file, so the operator can restart it. Reads /proc/PID/maps (root). */
static void warn_shared_mappings(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned shown = 0, more = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300], line[4608], last[4096] = "";
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/maps", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char perms[8], file[4096];
			unsigned long long ino;

			/* addr perms offset dev inode path */
			if (sscanf(line, "%*s %7s %*s %*s %llu %4095[^\n]", perms, &ino, file) != 3 ||
			    ino == 0 || perms[1] != 'w' || perms[3] != 's' || file[0] != '/' ||
			    strcmp(file, last) == 0)
				continue;
			snprintf(last, sizeof(last), "%s", file);
			if (!agent_says_protected(file))
				continue;
			if (shown++ < SHARED_MAP_WARN_MAX)
				fprintf(stderr,
					"permafrost: warning: pid %s holds a writable shared mapping of "
					"protected %s: its stores reach the file without a kernel check "
					"until it unmaps it; restart that process\n",
					de->d_name, file);
			else
				more++;
		}
		fclose(f);
	}
	closedir(d);
	if (more)
		fprintf(stderr, "permafrost: warning: ... and %u more such mappings\n", more);
}

static int show_freeze(const struct pf_msg *rep)
{
	if (!g.json)
		printf("Frozen (%s): %s objects protected.\n", get(rep, "mode"), get(rep, "objects"));
	warn_shared_mappings();
	return EXIT_OK;
}

static int cmd_freeze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "audit", no_argument, NULL, 'a' },
		{ "reason", required_argument, NULL, 'r' },
		{ 0 },
	};
	struct pf_msg req;
	const char *reason = NULL;
	int audit = 0, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'a')
			audit = 1;
		else if (c == 'r')
			reason = optarg;
		else
			return fail(EXIT_USAGE, "usage: permafrost freeze [--audit] [--reason TEXT]");
	}
	if (optind != argc)
		return fail(EXIT_USAGE, "usage: permafrost freeze [--audit] [--reason TEXT]");
	pf_msg_init(&req);
	pf_msg_add(&req, "cmd", "freeze");
	pf_msg_add(&req, "mode", audit ? "audit" : "enforce");
	if (reason && pf_msg_add(&req, "reason", reason) < 0) {
		pf_msg_free(&req);
		return fail(EXIT_USAGE, "invalid --reason");
	}
	return send_request(&req, show_freeze);
}

/* Adds the bundle and signature files to a request (read here, verified by
 * the agent: it never opens files on a caller's behalf). */
static int add_token_files(struct pf_msg *req, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char *buf = NULL;
		size_t len;
		int r = pf_read_file(argv[i], PF_BUNDLE_MAX_SIZE, &buf, &len);

		if (r < 0)
			return fail(EXIT_REFUSED, "%s: %s", argv[i],
				    r == -EFBIG ? "larger than a token bundle may be" : strerror(-r));
		if (memchr(buf, 0, len)) {
			free(buf);
			return fail(EXIT_REFUSED, "%s: contains a NUL byte: not a token", argv[i]);
		}
		r = pf_msg_add(req, i == 0 ? "bundle" : "sig[]", buf);
		free(buf);
		if (r < 0)
			return fail(EXIT_REFUSED, "%s: %s", argv[i], strerror(-r));
	}
	return EXIT_OK;
}

static int show_thaw(const struct pf_msg *rep)
{
	if (g.json)
		return EXIT_OK;
	printf("Thawed with token %s: protected paths are writable again.\n", get(rep, "token"));
	if (*get(rep, "schedule"))
		printf("The scheduled freeze in force is lifted (%s).\n", get(rep, "schedule"));
	return EXIT_OK;
}

static int show_approve(const struct pf_msg *rep)
{
	if (!g.json)
		printf("Approved: token %s (%s) by %s for %s; expires in %ss.\n", get(rep, "token"),
		       get(rep, "ticket"), get(rep, "approvers"), get(rep, "paths"),
		       get(rep, "expires_in_s"));
	return EXIT_OK;
}

/* thaw and approve: a request carrying a token bundle and signatures. */
static int token_request(const char *cmd, int argc, char **argv,
			 int (*show)(const struct pf_msg *rep))
{
	struct pf_msg req;
	int r;

	pf_msg_init(&req);
	pf_msg_add(&req, "cmd", cmd);
	r = add_token_files(&req, argc - 1, argv + 1);
	if (r != EXIT_OK) {
		pf_msg_free(&req);
		return r;
	}
	return send_request(&req, show);
}

static int cmd_thaw(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "usage: permafrost thaw TOKEN [SIG...]  (a signed token "
					"with ops: thaw)");
	return token_request("thaw", argc, argv, show_thaw);
}

static int cmd_approve(int argc, char **argv)
{
	if (argc < 2)
		return fail(EXIT_USAGE, "usage: permafrost approve BUNDLE [SIG...]");
	return token_request("approve", argc, argv, show_approve);
}

static int show_revoke(const struct pf_msg *rep)
{
	if (!g.json)
		printf("Revoked %s.\n", get(rep, "token"));
	return EXIT_OK;
}

static int cmd_revoke(int argc, char **argv)
{
	struct pf_msg req;

	if (argc != 2)
		return fail(EXIT_USAGE, "usage: permafrost revoke TOKEN-ID");
	pf_msg_init(&req);
	pf_msg_add(&req, "cmd", "revoke");
	if (pf_msg_add(&req, "token", argv[1]) < 0) {
		pf_msg_free(&req);
		return fail(EXIT_USAGE, "revoke: invalid token id");
	}
	return send_request(&req, show_revoke);
}

static int token_new(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ticket", required_argument, NULL, 't' }, { "requester", required_argument, NULL, 'r' },
		{ "host", required_argument, NULL, 'H' },   { "path", required_argument, NULL, 'p' },
		{ "ops", required_argument, NULL, 'o' },    { "uid", required_argument, NULL, 'u' },
		{ "unit", required_argument, NULL, 'U' },   { "exe", required_argument, NULL, 'e' },
		{ "ttl", required_argument, NULL, 'T' },    { "reason", required_argument, NULL, 'R' },
		{ "thaw", no_argument, NULL, 'z' },	    { "agent", required_argument, NULL, 'A' },
		{ 0 },
	};
	const char *hosts[PF_TOKEN_MAX_HOSTS], *paths[PF_TOKEN_MAX_PATHS];
	struct pf_token_spec spec = { 0 };
	struct pf_err e = { { 0 } };
	char host[256], *body = NULL;
	uint64_t ttl = 3600;
	size_t len;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': spec.ticket = optarg; break;
		case 'r': spec.requester = optarg; break;
		case 'H':
			if (spec.n_hosts >= PF_TOKEN_MAX_HOSTS)
				return fail(EXIT_USAGE, "more than %d --host", PF_TOKEN_MAX_HOSTS);
			hosts[spec.n_hosts++] = optarg;
			break;
		case 'p':
			if (spec.n_paths >= PF_TOKEN_MAX_PATHS)
				return fail(EXIT_USAGE, "more than %d --path", PF_TOKEN_MAX_PATHS);
			paths[spec.n_paths++] = optarg;
			break;
		case 'o': {
			char buf[256], *save = NULL, *tok;
			static const char *const names[] = { "write", "create", "delete", "rename",
							     "metadata", "mount", "thaw" };
			snprintf(buf, sizeof(buf), "%s", optarg);
			for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
				size_t k;
				for (k = 0; k < PF_ARRAY_SIZE(names); k++)
					if (strcmp(tok, names[k]) == 0)
						break;
				if (k == PF_ARRAY_SIZE(names))
					return fail(EXIT_USAGE, "--ops: unknown op '%s' (expected write, "
								"create, delete, rename, metadata, mount or thaw)", tok);
				spec.ops |= 1u << k;
			}
			break;
		}
		case 'u': {
			int r = pf_parse_uid(optarg, &spec.uid);

			if (r == -ENOENT)
				return fail(EXIT_USAGE, "--uid: no user '%s' on this host", optarg);
			if (r < 0)
				return fail(EXIT_USAGE, "--uid: expected a user name or a number from 0 "
							"to 4294967294, got '%s'", optarg);
			spec.has_uid = true;
			break;
		}
		case 'U': spec.unit = optarg; break;
		case 'e': spec.exe = optarg; break;
		case 'A': spec.agent = optarg; break;
		case 'T':
			if (pf_parse_duration(optarg, &ttl) < 0)
				return fail(EXIT_USAGE, "--ttl: expected a duration such as 30m or 2h, got '%s'", optarg);
			break;
		case 'R': spec.reason = optarg; break;
		case 'z': spec.ops = PF_TOKEN_OP_THAW; break;
		default:
			return fail(EXIT_USAGE, "usage: permafrost token new --ticket T --requester R "
						"[--host H]... (--path P... | --thaw) [--ops OPS] [--uid U] "
						"[--unit U] [--exe PATH] [--agent NAME|any] [--ttl D] "
						"--reason TEXT");
		}
	}
	if (!spec.n_hosts) {
		if (gethostname(host, sizeof(host)) < 0)
			return fail(EXIT_USAGE, "--host is required (gethostname failed)");
		hosts[spec.n_hosts++] = host;
	}
	spec.hosts = hosts;
	spec.paths = paths;
	spec.now = pf_now_ns() / 1000000000LL;
	spec.ttl = (int64_t)ttl;
	if (pf_token_new(&spec, &body, &len, &e) < 0)
		return fail(EXIT_REFUSED, "token new: %s", e.msg);
	fwrite(body, 1, len, stdout);
	free(body);
	return EXIT_OK;
}

static int cli_threshold(const char *path, bool subtree, void *data, unsigned *ret,
			 struct pf_err *why)
{
	(void)why;
	return pf_policy_threshold(data, path, subtree, ret);
}

static int cli_used(const char *id, void *data)
{
	return pf_used_has(data, id);
}

static int token_verify(int argc, char **argv)
{
	const char *policy = PF_DEFAULT_POLICY, *state = PF_DEFAULT_STATE_DIR;
	struct pf_text sigs[PF_TOKEN_MAX_SIGS];
	struct pf_approve_input in = { 0 };
	struct pf_approve_ctx ctx = { 0 };
	struct pf_explanation *ex = NULL;
	struct pf_signers *signers = NULL;
	struct pf_used used = { 0 };
	struct pf_policy *pol = NULL;
	struct pf_err perr;
	struct pf_err e = { { 0 } };
	char *bufs[1 + PF_TOKEN_MAX_SIGS] = { 0 };
	struct pf_hostid id;
	struct pf_err err;
	const char *files[1 + PF_TOKEN_MAX_SIGS];
	int nf = 0, r = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy = argv[++i];
		else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			state = argv[++i];
		else if (nf < 1 + PF_TOKEN_MAX_SIGS)
			files[nf++] = argv[i];
		else
			return fail(EXIT_USAGE, "too many signature files");
	}
	if (nf < 1)
		return fail(EXIT_USAGE, "usage: permafrost token verify [--policy FILE] [--state-dir DIR] BUNDLE [SIG...]");
	if (pf_policy_load(policy, &pol, &perr) < 0)
		return fail(EXIT_REFUSED, "%s", perr.msg);
	if (!pol->allowed_signers) {
		r = fail(EXIT_REFUSED, "%s names no allowed-signers file", policy);
		goto out;
	}
	if (pf_signers_load(pol->allowed_signers, &signers, &e) < 0) {
		r = fail(EXIT_REFUSED, "%s", e.msg);
		goto out;
	}
	if (pf_used_load(state, &used, &err) < 0)
		fprintf(stderr, "permafrost: warning: %s (replay not checked)\n", err.msg);
	for (int i = 0; i < nf; i++) {
		size_t len;
		int rr = pf_read_file(files[i], PF_BUNDLE_MAX_SIZE, &bufs[i], &len);
		if (rr < 0) {
			r = fail(EXIT_REFUSED, "%s: %s", files[i], strerror(-rr));
			goto out;
		}
		if (i == 0) {
			in.bundle.data = bufs[0];
			in.bundle.len = len;
		} else {
			sigs[i - 1].data = bufs[i];
			sigs[i - 1].len = len;
		}
	}
	in.sigfiles = sigs;
	in.n_sigfiles = (size_t)nf - 1;
	pf_hostid_read(NULL, &id);
	ctx.signers = signers;
	ctx.ns = PF_APPROVAL_NAMESPACE;
	ctx.hostname = id.hostname;
	ctx.machine_id = id.machine_id[0] ? id.machine_id : NULL;
	ctx.now = pf_now_ns() / 1000000000LL;
	ctx.threshold = cli_threshold;
	ctx.threshold_data = pol;
	ctx.thaw_threshold = pol->thaw_approvals;
	ctx.max_ttl = (int64_t)pol->max_token_ttl_s;
	ctx.requester_signs = pol->requester_signs;
	ctx.is_used = cli_used;
	ctx.used_data = &used;
	if (pf_approve_explain(&ctx, &in, &ex) < 0) {
		r = fail(EXIT_REFUSED, "token verify: out of memory");
		goto out;
	}
	if (g.json) {
		struct pf_buf b;
		struct pf_json j;
		pf_buf_init(&b);
		pf_json_init(&j, &b, 1);
		pf_json_obj_begin(&j);
		pf_json_key(&j, "accepted");
		pf_json_bool(&j, ex->accepted);
		pf_json_key(&j, "rules");
		pf_json_arr_begin(&j);
		for (size_t i = 0; i < ex->n_rules; i++) {
			pf_json_obj_begin(&j);
			pf_json_key(&j, "rule");
			pf_json_str(&j, ex->rules[i].rule);
			pf_json_key(&j, "ok");
			pf_json_bool(&j, ex->rules[i].ok);
			pf_json_key(&j, "message");
			pf_json_str(&j, ex->rules[i].message);
			pf_json_obj_end(&j);
		}
		pf_json_arr_end(&j);
		pf_json_obj_end(&j);
		printf("%s\n", b.data);
		pf_buf_free(&b);
	} else {
		for (size_t i = 0; i < ex->n_rules; i++)
			printf("%-4s %-11s %s\n", ex->rules[i].ok ? "ok" : "FAIL", ex->rules[i].rule,
			       ex->rules[i].message);
		printf("%s\n", ex->accepted ? "accepted: this host would load the token"
					    : "refused: this host would not load the token");
	}
	r = ex->accepted ? EXIT_OK : EXIT_REFUSED;
out:
	pf_explanation_free(ex);
	pf_signers_free(signers);
	pf_used_free(&used);
	pf_policy_free(pol);
	for (int i = 0; i < nf; i++)
		free(bufs[i]);
	return r;
}

static int cmd_token(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "new") == 0)
		return token_new(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return token_verify(argc - 1, argv + 1);
	return fail(EXIT_USAGE, "usage: permafrost token new ... | permafrost token verify BUNDLE [SIG...]");
}

/* Exit code 4 when the path is protected, whatever the output mode. */
static int show_check(const struct pf_msg *rep)
{
	int prot = strcmp(get(rep, "protected"), "yes") == 0;

	if (g.json) {
		/* printed by send_request */
	} else if (pf_msg_get(rep, "rule")) {
		printf("%s: %s by '%s %s' (%s, via %s)\n", get(rep, "path"),
		       prot ? "protected" : "exempt", get(rep, "rule_kind"), get(rep, "rule"),
		       get(rep, "rule_line"), get(rep, "matched_by"));
		printf("mode %s: a write is %s\n", get(rep, "mode"),
		       strcmp(get(rep, "write"), "deny") == 0	      ? "DENIED"
		       : strcmp(get(rep, "write"), "would-deny") == 0 ? "allowed and logged as would-deny"
								      : "allowed");
	} else {
		printf("%s: not protected\n", get(rep, "path"));
	}
	return prot ? EXIT_PROTECTED : EXIT_OK;
}

static int cmd_check(int argc, char **argv)
{
	struct pf_msg req;
	char abs[PATH_MAX];

	if (argc != 2)
		return fail(EXIT_USAGE, "usage: permafrost check PATH");
	if (argv[1][0] == '/') {
		snprintf(abs, sizeof(abs), "%s", argv[1]);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, argv[1]) >= (int)sizeof(abs))
			return fail(EXIT_USAGE, "check: path too long");
	}
	pf_msg_init(&req);
	pf_msg_add(&req, "cmd", "check");
	if (pf_msg_add(&req, "path", abs) < 0) {
		pf_msg_free(&req);
		return fail(EXIT_USAGE, "check: invalid path");
	}
	return send_request(&req, show_check);
}

/* --- schedule ------------------------------------------------------------- */

#define SCHEDULE_DEFAULT_NEXT 10
#define POLICY_CHECK_NEXT 5

/* "2026-03-27 18:00 CET (+01:00)" (human) or "2026-03-27T18:00+01:00" (JSON)
 * of @t in @zone. */
static void fmt_local(const char *zone, int64_t t, int json, char *out, size_t size)
{
	struct pf_civil c;
	char abbr[16];
	long off = 0, a;

	if (pf_tz_from_utc(zone, t, &c, &off, abbr) < 0) {
		snprintf(out, size, "?");
		return;
	}
	a = off < 0 ? -off : off;
	if (json)
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d%c%02ld:%02ld", c.year, c.month, c.day,
			 c.hour, c.minute, off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
	else
		snprintf(out, size, "%04d-%02d-%02d %02d:%02d %s (%c%02ld:%02ld)", c.year, c.month,
			 c.day, c.hour, c.minute, abbr, off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

static void window_json(struct pf_json *j, const struct pf_policy *p, ssize_t idx)
{
	const struct pf_window *w;
	char spec[512];

	if (idx < 0 || (size_t)idx >= p->n_windows) {
		pf_json_null(j);
		return;
	}
	w = &p->windows[idx];
	pf_window_describe(w, spec, sizeof(spec));
	pf_json_obj_begin(j);
	pf_json_key(j, "line");
	pf_json_uint(j, w->line);
	pf_json_key(j, "kind");
	pf_json_str(j, w->kind == PF_WINDOW_CHANGE ? "change" : "freeze");
	pf_json_key(j, "spec");
	pf_json_str(j, spec);
	pf_json_key(j, "zone");
	pf_json_str(j, w->zone);
	pf_json_key(j, "mode");
	pf_json_str(j, w->kind == PF_WINDOW_CHANGE ? "" : w->audit ? "audit" : "enforce");
	pf_json_key(j, "reason");
	pf_json_str(j, w->reason);
	pf_json_obj_end(j);
}

/* The zone a transition is shown in: its window's, else UTC. */
static const char *trans_zone(const struct pf_policy *p, ssize_t idx)
{
	return idx >= 0 && (size_t)idx < p->n_windows ? p->windows[idx].zone : "UTC";
}

static void window_words(const struct pf_policy *p, ssize_t idx, int ended, int outside,
			 char *out, size_t size)
{
	const struct pf_window *w;
	char spec[512];

	if (outside) {
		if (idx >= 0 && (size_t)idx < p->n_windows) {
			pf_window_describe(&p->windows[idx], spec, sizeof(spec));
			snprintf(out, size, "outside every change window (end of %s, line %u)", spec,
				 p->windows[idx].line);
		} else {
			snprintf(out, size, "outside every change window");
		}
		return;
	}
	if (idx < 0 || (size_t)idx >= p->n_windows) {
		snprintf(out, size, "no window");
		return;
	}
	w = &p->windows[idx];
	pf_window_describe(w, spec, sizeof(spec));
	snprintf(out, size, "%s%s (line %u)%s%s", ended ? "end of " : "", spec, w->line,
		 w->reason[0] ? ": " : "", w->reason);
}

/* The schedule's state at @now and its next @n transitions: JSON members
 * "schedule" and "transitions" into the object open in @j, or lines on
 * stdout prefixed by @prefix. 0 or a negative errno. */
static int schedule_report(const struct pf_policy *p, int64_t now, size_t n, struct pf_json *j,
			   const char *prefix)
{
	struct pf_sched_transition *tr = calloc(n ? n : 1, sizeof(*tr));
	char loc[96], u[32], words[800];
	struct pf_sched_at at;
	size_t got = 0;
	int r;

	if (!tr)
		return -ENOMEM;
	r = pf_schedule_at(p->windows, p->n_windows, now, &at);
	if (r == 0)
		r = pf_schedule_next(p->windows, p->n_windows, now, n, tr, &got);
	if (r < 0) {
		free(tr);
		return r;
	}
	if (j) {
		pf_json_key(j, "schedule");
		pf_json_obj_begin(j);
		pf_json_key(j, "now");
		pf_rfc3339(now, u, sizeof(u));
		pf_json_str(j, u);
		pf_json_key(j, "state");
		pf_json_str(j, pf_sched_state_name(at.state));
		pf_json_key(j, "outside_change_windows");
		pf_json_bool(j, at.outside_change);
		pf_json_key(j, "window");
		window_json(j, p, at.window);
		pf_json_key(j, "since");
		if (at.since) {
			pf_rfc3339(at.since, u, sizeof(u));
			pf_json_str(j, u);
		} else {
			pf_json_null(j);
		}
		pf_json_key(j, "until");
		if (at.until) {
			pf_rfc3339(at.until, u, sizeof(u));
			pf_json_str(j, u);
		} else {
			pf_json_null(j);
		}
		pf_json_obj_end(j);
		pf_json_key(j, "transitions");
		pf_json_arr_begin(j);
		for (size_t i = 0; i < got; i++) {
			const char *zone = trans_zone(p, tr[i].window);

			pf_json_obj_begin(j);
			pf_json_key(j, "at");
			pf_rfc3339(tr[i].at, u, sizeof(u));
			pf_json_str(j, u);
			pf_json_key(j, "at_unix");
			pf_json_int(j, tr[i].at);
			pf_json_key(j, "local");
			fmt_local(zone, tr[i].at, 1, loc, sizeof(loc));
			pf_json_str(j, loc);
			pf_json_key(j, "zone");
			pf_json_str(j, zone);
			pf_json_key(j, "state");
			pf_json_str(j, pf_sched_state_name(tr[i].state));
			pf_json_key(j, "outside_change_windows");
			pf_json_bool(j, tr[i].outside_change);
			pf_json_key(j, "window");
			window_json(j, p, tr[i].window);
			pf_json_obj_end(j);
		}
		pf_json_arr_end(j);
	} else {
		pf_rfc3339(now, u, sizeof(u));
		window_words(p, at.window, 0, at.outside_change, words, sizeof(words));
		printf("%snow %s: %s by schedule", prefix, u, pf_sched_state_name(at.state));
		if (at.state != PF_SCHED_OPEN || at.window >= 0)
			printf(" (%s)", words);
		if (at.since) {
			pf_rfc3339(at.since, u, sizeof(u));
			printf(", since %s", u);
		}
		if (at.until) {
			pf_rfc3339(at.until, u, sizeof(u));
			printf(", until %s", u);
		}
		printf("\n");
		if (!got)
			printf("%sno transition ahead\n", prefix);
		for (size_t i = 0; i < got; i++) {
			const char *zone = trans_zone(p, tr[i].window);

			fmt_local(zone, tr[i].at, 0, loc, sizeof(loc));
			pf_rfc3339(tr[i].at, u, sizeof(u));
			window_words(p, tr[i].window,
				     tr[i].state == PF_SCHED_OPEN &&
					     (tr[i].window < 0 ||
					      p->windows[tr[i].window].kind == PF_WINDOW_FREEZE),
				     tr[i].outside_change, words, sizeof(words));
			printf("%s%-34s %s  %-6s  %s\n", prefix, loc, u,
			       pf_sched_state_name(tr[i].state), words);
		}
	}
	free(tr);
	return 0;
}

static int cmd_schedule(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "next", required_argument, NULL, 'n' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	const char *policy = PF_DEFAULT_POLICY;
	unsigned long long n = SCHEDULE_DEFAULT_NEXT;
	struct pf_policy *p = NULL;
	struct pf_err perr;
	int64_t now = pf_now_ns() / 1000000000LL;
	char *end;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			n = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || n < 1 ||
			    n > PF_SCHEDULE_MAX_NEXT)
				return fail(EXIT_USAGE, "--next: expected a number 1..%d, got '%s'",
					    PF_SCHEDULE_MAX_NEXT, optarg);
			break;
		case 'p': policy = optarg; break;
		case 'j': g.json = 1; break;
		default:
			return fail(EXIT_USAGE, "usage: permafrost schedule [--next N] [--json] [--policy FILE]");
		}
	}
	if (optind != argc)
		return fail(EXIT_USAGE, "usage: permafrost schedule [--next N] [--json] [--policy FILE]");
	r = pf_policy_load(policy, &p, &perr);
	if (r < 0)
		return fail(EXIT_REFUSED, "%s", perr.msg);
	if (g.json) {
		struct pf_buf b;
		struct pf_json j;

		pf_buf_init(&b);
		pf_json_init(&j, &b, 1);
		pf_json_obj_begin(&j);
		pf_json_key(&j, "status");
		pf_json_str(&j, "ok");
		pf_json_key(&j, "policy");
		pf_json_str(&j, policy);
		pf_json_key(&j, "windows");
		pf_json_uint(&j, p->n_windows);
		r = schedule_report(p, now, (size_t)n, &j, "");
		pf_json_obj_end(&j);
		if (r == 0)
			printf("%s\n", b.data);
		pf_buf_free(&b);
	} else {
		printf("%s: %zu window%s\n", policy, p->n_windows, p->n_windows == 1 ? "" : "s");
		r = schedule_report(p, now, (size_t)n, NULL, "  ");
	}
	pf_policy_free(p);
	if (r < 0)
		return fail(EXIT_REFUSED, "schedule: %s", strerror(-r));
	return EXIT_OK;
}

static int cmd_policy(int argc, char **argv)
{
	struct pf_policy *p = NULL;
	struct pf_resolved *res = NULL;
	struct pf_err perr;
	struct pf_err err;
	size_t np = 0, ne = 0;
	int r;

	if (argc != 3 || strcmp(argv[1], "check") != 0)
		return fail(EXIT_USAGE, "usage: permafrost policy check FILE");
	r = pf_policy_load(argv[2], &p, &perr);
	if (r < 0)
		return fail(EXIT_REFUSED, "%s", perr.msg);
	for (size_t i = 0; i < p->n_rules; i++) {
		if (p->rules[i].kind == PF_POL_PROTECT)
			np++;
		else
			ne++;
	}
	r = pf_resolve_progress(p, &res, &err,
				!g.json && isatty(STDERR_FILENO) ? pf_cli_resolve_progress : NULL,
				(void *)"permafrost");
	if (r < 0) {
		pf_policy_free(p);
		return fail(EXIT_REFUSED, "%s: %s", argv[2], err.msg);
	}
	if (g.json) {
		struct pf_buf b;
		struct pf_json j;
		pf_buf_init(&b);
		pf_json_init(&j, &b, 1);
		pf_json_obj_begin(&j);
		pf_json_key(&j, "status");
		pf_json_str(&j, "ok");
		pf_json_key(&j, "file");
		pf_json_str(&j, argv[2]);
		pf_json_key(&j, "mode");
		pf_json_str(&j, pf_mode_name((uint32_t)p->mode));
		pf_json_key(&j, "protect");
		pf_json_uint(&j, np);
		pf_json_key(&j, "exempt");
		pf_json_uint(&j, ne);
		pf_json_key(&j, "objects");
		pf_json_uint(&j, res->n);
		pf_json_key(&j, "filesystems");
		pf_json_uint(&j, res->n_sbs);
		pf_json_key(&j, "hardlinks");
		pf_json_uint(&j, res->n_hardlinks);
		pf_json_key(&j, "symlink_targets");
		pf_json_uint(&j, res->n_symlink_targets);
		pf_json_key(&j, "symlinked_dirs_unprotected");
		pf_json_uint(&j, res->n_symlink_dirs);
		pf_json_key(&j, "loop_devices");
		pf_json_uint(&j, res->n_loops);
		pf_json_key(&j, "missing");
		pf_json_arr_begin(&j);
		for (size_t i = 0; i < res->n_missing; i++)
			pf_json_str(&j, res->missing[i]);
		pf_json_arr_end(&j);
		pf_json_key(&j, "windows");
		pf_json_uint(&j, p->n_windows);
		if (p->n_windows)
			r = schedule_report(p, pf_now_ns() / 1000000000LL, POLICY_CHECK_NEXT, &j, "");
		pf_json_obj_end(&j);
		printf("%s\n", b.data);
		pf_buf_free(&b);
	} else {
		printf("%s: OK: %zu protect and %zu exempt rules; on this host %zu objects on %zu "
		       "filesystems; initial mode %s\n",
		       argv[2], np, ne, res->n, res->n_sbs, pf_mode_name((uint32_t)p->mode));
		if (res->n_hardlinks || res->n_symlink_targets || res->n_loops)
			printf("%s: also protected: %zu hard-linked files, %zu files outside the trees "
			       "that symlinks inside point to, %zu loop devices backed by protected "
			       "files\n",
			       argv[2], res->n_hardlinks, res->n_symlink_targets, res->n_loops);
		if (res->n_symlink_dirs)
			printf("%s: warning: %zu symlinks inside protected trees point to directories "
			       "outside them, which are not protected (protect them explicitly if "
			       "their content matters)\n",
			       argv[2], res->n_symlink_dirs);
		for (size_t i = 0; i < res->n_missing; i++)
			printf("%s: warning: %s does not exist on this host (skipped)\n", argv[2],
			       res->missing[i]);
		if (p->n_windows) {
			printf("%s: %zu window%s; the next %d transitions:\n", argv[2], p->n_windows,
			       p->n_windows == 1 ? "" : "s", POLICY_CHECK_NEXT);
			r = schedule_report(p, pf_now_ns() / 1000000000LL, POLICY_CHECK_NEXT, NULL,
					    "  ");
		}
	}
	pf_resolved_free(res);
	pf_policy_free(p);
	if (r < 0)
		return fail(EXIT_REFUSED, "%s: schedule: %s", argv[2], strerror(-r));
	return EXIT_OK;
}

/* The chain head the agent keeps in the kernel, for `log verify`. */
static void chain_head(struct pf_log_head_src *src)
{
	struct pf_msg req, rep;
	const char *seq, *hash, *log;

	pf_msg_init(&req);
	pf_msg_init(&rep);
	pf_msg_add(&req, "cmd", "status");
	if (exchange(&req, &rep, src->why, sizeof(src->why)) == EXIT_OK) {
		seq = pf_msg_get(&rep, "chain_head_seq");
		hash = pf_msg_get(&rep, "chain_head_hash");
		log = pf_msg_get(&rep, "chain_head_log");
		if (!seq || !hash || !log || strlen(hash) != 2 * sizeof(src->head.hash) ||
		    pf_unhex_lower(hash, sizeof(src->head.hash), src->head.hash) < 0) {
			snprintf(src->why, sizeof(src->why), "the agent keeps none");
		} else {
			src->head.seq = strtoull(seq, NULL, 10);
			snprintf(src->log, sizeof(src->log), "%s", log);
			src->have = 1;
		}
	}
	pf_msg_free(&req);
	pf_msg_free(&rep);
}

static int cmd_report(int argc, char **argv)
{
	return pf_cli_report(argc, argv, g.json, PF_DEFAULT_LOG);
}

static int cmd_log(int argc, char **argv)
{
	struct pf_log_head_src src = { 0 };

	/* read before the log: lines written since are fine */
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		chain_head(&src);
	return pf_cli_log(argc, argv, g.json, PF_DEFAULT_LOG, &src);
}

static int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ 0 },
	};
	const char *policy = PF_DEFAULT_POLICY;
	struct pf_doctor_report *rep;
	struct pf_doctor_env env;
	struct pf_buf b;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			policy = optarg;
		else
			return fail(EXIT_USAGE, "usage: permafrost doctor [--policy FILE]");
	}
	if (optind != argc)
		return fail(EXIT_USAGE, "usage: permafrost doctor [--policy FILE]");
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return fail(EXIT_REFUSED, "doctor: out of memory");
	pf_doctor_env_host(&env, policy, g.socket);
	pf_doctor_run(&env, rep);
	pf_buf_init(&b);
	pf_doctor_format(rep, g.json, pf_cli_colour(g.json), &b);
	if (b.oom) {
		r = fail(EXIT_REFUSED, "doctor: out of memory");
	} else {
		fwrite(b.data, 1, b.len, stdout);
		r = rep->n_fail ? EXIT_REFUSED : EXIT_OK;
	}
	pf_buf_free(&b);
	free(rep);
	return r;
}

static int cmd_version(int argc, char **argv)
{
	if (g.json)
		printf("{\"version\": \"%s\"}\n", PF_VERSION);
	else
		printf("permafrost %s\n", PF_VERSION);
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "status", cmd_status, "status                       mode, policy, counters, agent" },
	{ "freeze", cmd_freeze, "freeze [--audit] [--reason TEXT]  freeze the host" },
	{ "thaw", cmd_thaw, "thaw TOKEN [SIG...]          lift the freeze with a signed thaw token" },
	{ "approve", cmd_approve, "approve BUNDLE [SIG...]      load a signed approval for one change" },
	{ "revoke", cmd_revoke, "revoke TOKEN-ID              withdraw a live approval" },
	{ "token", cmd_token, "token new|verify ...         write a token body; explain a bundle rule by rule" },
	{ "check", cmd_check, "check PATH                   is PATH protected; what would a write get" },
	{ "policy", cmd_policy, "policy check FILE            validate a policy and resolve it here" },
	{ "schedule", cmd_schedule, "schedule [--next N] [--policy FILE]  the next freeze-window transitions" },
	{ "log", cmd_log, "log [-f] [filters] | log verify  read or verify the audit log" },
	{ "report", cmd_report, "report [--since T] [--until T]  what changed, was refused, by whom, who signed off" },
	{ "doctor", cmd_doctor, "doctor [--policy FILE]       can this host run Permafrost; each failure with its fix" },
	{ "version", cmd_version, "version" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: permafrost [--json] [--socket PATH] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < PF_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %s\n", commands[i].help);
	fprintf(f, "\nexit codes: 0 ok, 1 refused/invalid (doctor: a check failed), 2 usage, "
		   "3 agent unreachable, 4 check: protected\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	signal(SIGPIPE, SIG_IGN);
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--json") == 0) {
			g.json = 1;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			g.socket = argv[++i];
		} else if (strcmp(argv[i], "--version") == 0) {
			return cmd_version(0, NULL);
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t c = 0; c < PF_ARRAY_SIZE(commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].fn(argc - i, argv + i);
	fail(EXIT_USAGE, "unknown command '%s' (try --help)", argv[i]);
	return EXIT_USAGE;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* permafrostd: the Permafrost agent.
 *
 * Loads and attaches the LSM programs, resolves the policy into the maps,
 * applies the persisted freeze state, serves the control socket and writes
 * every ring-buffer event into the audit log. Runs in the foreground.
 * main() reads as the list of start-up steps; each step is a function
 * that fills @err and returns -errno. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "auditlog.h"
#include "notify.h"
#include "paths.h"
#include "util.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !pf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: permafrostd [--policy FILE] [--state-dir DIR] [--log FILE] [--socket PATH] [-v]\n"
		"  --policy FILE     policy (default " PF_DEFAULT_POLICY ")\n"
		"  --state-dir DIR   freeze state (default " PF_DEFAULT_STATE_DIR ")\n"
		"  --log FILE        audit log (default " PF_DEFAULT_LOG ")\n"
		"  --socket PATH     control socket (default " PF_DEFAULT_SOCKET ")\n"
		"  --pin-dir DIR     bpffs directory for the pinned links (default " PF_DEFAULT_PIN_DIR ")\n"
		"  -v, --verbose     libbpf debug output (twice: the verifier's statistics)\n"
		"  --version\n"
		"Runs in the foreground. SIGHUP re-reads the policy; SIGTERM stops.\n");
}

/* -1: carry on; otherwise the exit status. */
static int parse_args(struct agent *a, int argc, char **argv)
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
	int c;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a->paths.policy = optarg; break;
		case 's': a->paths.state_dir = optarg; break;
		case 'l': a->paths.log = optarg; break;
		case 'S': a->paths.sock = optarg; break;
		case 'P': a->paths.pin_dir = optarg; break;
		case 'v': pf_verbose++; break;
		case 'V': printf("permafrostd %s\n", PF_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Who and where we are: host name and machine-id, the permafrost group. */
static void start_identity(struct agent *a)
{
	struct group *gr = getgrnam("permafrost");

	a->live.started_ns = pf_now_ns();
	pf_hostid_read(NULL, &a->live.id);
	if (gr) {
		a->ctl.pf_gid = gr->gr_gid;
		a->ctl.have_gid = 1;
	}
}

/* The state, log and socket directories; the boot id (its fallback file
 * lives beside the socket). */
static int start_dirs(struct agent *a, struct pf_err *err)
{
	char *dir;
	int r;

	r = pf_mkdir_p(a->paths.state_dir, 0700);
	if (r < 0) {
		pf_err_set(err, "state dir %s: %s", a->paths.state_dir, strerror(-r));
		return r;
	}
	dir = strdup(a->paths.log);
	if (!dir)
		return -ENOMEM;
	snprintf(a->paths.log_dir, sizeof(a->paths.log_dir), "%s", dirname(dir));
	free(dir);
	r = pf_mkdir_p(a->paths.log_dir, 0750);
	if (r < 0) {
		pf_err_set(err, "audit log directory for %s: %s", a->paths.log, strerror(-r));
		return r;
	}
	dir = strdup(a->paths.sock);
	if (!dir)
		return -ENOMEM;
	snprintf(a->paths.boot_id_file, sizeof(a->paths.boot_id_file), "%s/boot-id", dirname(dir));
	r = pf_mkdir_p(dirname(dir), 0755);
	free(dir);
	r = r < 0 ? r : pf_boot_id(a->paths.boot_id_file, a->live.boot_id);
	if (r < 0)
		warnx_("boot id (/proc/sys/kernel/random/boot_id, or %s): %s; a reboot cannot be "
		       "told from a restart", a->paths.boot_id_file, strerror(-r));
	return 0;
}

/* The persisted freeze state. None: the policy's initial mode. Damaged:
 * enforce (fail closed on a possibly frozen host). */
static int start_state(struct agent *a, struct pf_err *err)
{
	struct pf_err why = { "" };
	int r = pf_state_load(a->paths.state_dir, &a->st, &why);

	if (r == 0)
		return 0;
	memset(&a->st, 0, sizeof(a->st));
	a->st.since = pf_now_ns() / 1000000000LL;
	if (r == -ENOENT) {
		a->st.mode = a->pol->mode;
		snprintf(a->st.reason, sizeof(a->st.reason), "initial mode from %s", a->paths.policy);
		return 0;
	}
	warnx_("%s; starting in enforce mode until an operator thaws", why.msg);
	a->st.mode = PF_MODE_ENFORCE;
	snprintf(a->st.reason, sizeof(a->st.reason), "freeze state damaged");
	return 0;
}

/* Self-protection's identity and the pinned state of an earlier agent
 * (before the log: a second agent is named as such, not as a writer
 * holding the log's lock). A restart never loosens the freeze in force:
 * the pinned config outranks a state file that says less (a thaw
 * interrupted between the file and the kernel, or a state file that is
 * not the real one); @ret_kept says so. */
static int start_self(struct agent *a, char *ret_kept, size_t keptsz, struct pf_err *err)
{
	struct pf_self *s = &a->k.self;
	int r;

	a->k.self_paths = (struct pf_self_paths){
		.policy = a->paths.policy,
		.state_dir = a->paths.state_dir,
		.log_path = a->paths.log,
		.pin_dir = a->paths.pin_dir,
		.boot_id_file = a->paths.boot_id_file,
	};
	r = pf_self_init(s, &a->k.self_paths, err);
	if (r == 0)
		r = pf_self_check_pinned(s, err);
	if (r < 0 || !s->maps_existed || s->pinned_mode <= a->st.mode)
		return r;
	snprintf(ret_kept, keptsz, "the state file says %s, the freeze in force %s: kept %s",
		 pf_mode_name((uint32_t)a->st.mode), pf_mode_name((uint32_t)s->pinned_mode),
		 pf_mode_name((uint32_t)s->pinned_mode));
	warnx_("%s", ret_kept);
	a->st.mode = s->pinned_mode;
	snprintf(a->st.reason, sizeof(a->st.reason), "%s", ret_kept);
	return 0;
}

static int start_log(struct agent *a, struct pf_err *err)
{
	struct pf_auditlog_opts lo = {
		.host = a->live.id.hostname,
		.max_size = a->pol->log_max_size,
		.keep = a->pol->log_keep,
		.fsync = PF_AUDITLOG_FSYNC_BATCH,
	};
	struct pf_err why = { "" };
	int r = pf_auditlog_open(a->paths.log, &lo, &a->ev.log, &why);

	if (r < 0) {
		pf_err_set(err, "audit log %s: %s", a->paths.log, why.msg);
		return r;
	}
	if (a->pol->syslog)
		openlog("permafrostd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	return 0;
}

/* A restarted agent sees what the freeze in force protects: its own state
 * and log directories are the pinned rules' (selfprot.h). */
static int start_own_dirs(struct agent *a, struct pf_err *err)
{
	struct bpf_object *obj = a->k.obj;
	int r;

	r = pf_self_check_own_dir(&a->k.self, obj, "state directory", a->paths.state_dir, err);
	if (r == 0)
		r = pf_self_check_own_dir(&a->k.self, obj, "log directory", a->paths.log_dir, err);
	if (r < 0)
		log_record(a, "tamper", F_STR("op", "view"), F_STR("reason", err->msg));
	return r;
}

static int start_used(struct agent *a, struct pf_err *err)
{
	return pf_used_load(a->paths.state_dir, &a->apr.used, err);
}

static int start_mode(struct agent *a, struct pf_err *err)
{
	int r = config_set_mode(a, a->st.mode);

	if (r < 0)
		pf_err_set(err, "setting the kernel mode: %s", strerror(-r));
	return r;
}

static int epoll_add(struct agent *a, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Signals through a signalfd; one epoll set for the ring buffer, the
 * control socket, the signals and the inbox. */
static int start_loop(struct agent *a, struct pf_err *err)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sig_fd < 0 || a->epfd < 0) {
		pf_err_set(err, "signalfd/epoll: %s", strerror(errno));
		return -errno;
	}
	r = epoll_add(a, events_fd(a));
	if (r == 0)
		r = epoll_add(a, a->ctl.listen_fd);
	if (r == 0)
		r = epoll_add(a, a->sig_fd);
	if (r == 0)
		r = epoll_add(a, a->inbox.fd);
	if (r < 0)
		pf_err_set(err, "epoll_ctl: %s", strerror(-r));
	return r;
}

/* Serving: attached, freeze state applied, socket listening. */
static void start_serving(struct agent *a)
{
	int r;

	log_record(a, "agent-start", F_STR("version", PF_VERSION), F_STR("policy", a->paths.policy),
		   F_STR("bpf_build", bpf_build_name(a)), F_STR("unenforced", a->k.unenforced));
	/* the windows in force before anyone is told we are ready */
	schedule_tick(a);
	approvals_reload(a);
	fprintf(stderr, "permafrostd: %u BPF programs loaded (verified) in %.2f s, %s in %.2f s\n",
		a->k.n_loaded, (double)a->k.load_ns / 1e9,
		a->k.adopted ? "the previous agent's links adopted" : "attached and pinned",
		(double)a->k.attach_ns / 1e9);
	fprintf(stderr,
		"permafrostd: policy applied in %.2f s: resolve %.2f s, view %.2f s, rules map "
		"%.2f s (%s), guards %.2f s\n",
		(double)(a->apply.resolve + a->apply.self + a->apply.view + a->apply.rules +
			 a->apply.guards + a->apply.ai) / 1e9,
		(double)a->apply.resolve / 1e9, (double)a->apply.view / 1e9,
		(double)a->apply.rules / 1e9, maps_fill_how(), (double)a->apply.guards / 1e9);
	fprintf(stderr,
		"permafrostd %s: %s mode, %zu objects on %zu filesystems, log %s, socket %s\n",
		PF_VERSION, pf_mode_name((uint32_t)a->st.mode), a->res->n, a->res->n_sbs,
		a->paths.log, a->paths.sock);
	/* Readiness for supervisors that wait for the socket. */
	fflush(stderr);
	inbox_scan(a);
	/* systemd (Type=notify) */
	r = pf_sd_notify("READY=1\nSTATUS=serving the control socket");
	if (r < 0)
		warnx_("sd_notify READY=1 to %s: %s", getenv("NOTIFY_SOCKET"), strerror(-r));
}

/* SIGHUP reloads; any other blocked signal stops. 0 when it is time to stop. */
static int on_signals(struct agent *a)
{
	struct signalfd_siginfo si;
	int running = 1;

	while (read(a->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload_policy(a);
		else
			running = 0;
	}
	return running;
}

/* What the loop does about once a second, and after every wake-up. */
static void housekeeping(struct agent *a)
{
	struct pf_err err = { "" };

	if (a->inbox.pending || boot_now_ns() >= a->inbox.next)
		inbox_scan(a);
	/* Always drain: events must not wait behind control traffic. The
	 * runs of repeats whose window closed first, to be drained too. */
	events_sweep(a);
	events_drain(a);
	events_check_lost(a);
	approvals_expire(a);
	pf_self_refresh(&a->k.self, a->k.obj);
	if (a->ev.refresh_at && boot_now_ns() >= a->ev.refresh_at) {
		/* An approved change replaced a protected object: find the
		 * new one, so it is protected again. */
		a->ev.refresh_at = 0;
		if (refresh_rules(a, &err) < 0)
			warnx_("re-resolving after an approved change: %s", err.msg);
	}
	pf_auditlog_sync(a->ev.log);
	chainhead_publish(a);
	schedule_tick(a);
	liveness_tick(a);
	ai_routes_tick(a);
}

static void run(struct agent *a)
{
	int running = 1;

	while (running) {
		struct epoll_event evs[8];
		int n = epoll_wait(a->epfd, evs, 8, control_expire(a, events_wait_ms(a, 1000)));

		if (n < 0 && errno != EINTR) {
			warnx_("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == a->ctl.listen_fd)
				control_accept(a);
			else if (evs[i].data.fd == a->sig_fd)
				running = on_signals(a);
			else if (evs[i].data.fd == a->inbox.fd)
				inbox_event(a);
			else
				control_client_event(a, evs[i].data.fd, evs[i].events);
		}
		housekeeping(a);
	}
}

/* A thawed stop detaches the programs; a frozen one leaves them pinned
 * and enforcing for the next agent. */
static void stop(struct agent *a)
{
	pf_sd_notify("STOPPING=1");
	events_drain(a);
	events_check_lost(a);
	if (a->st.mode == PF_MODE_OFF && !a->pol->n_windows) {
		remove_pins(a->k.pin_set);
		pf_self_unpin_maps(&a->k.self);
		log_record(a, "agent-stop", F_STR("enforcement", "off (thawed): programs detached"));
	} else {
		log_record(a, "agent-stop",
			   F_STR("enforcement",
				 a->st.mode != PF_MODE_OFF
					 ? "continues: the host is frozen and the programs stay pinned"
					 : "the programs stay pinned: they keep the policy's freeze "
					   "windows"));
	}
	chainhead_publish(a);
}

static void cleanup(struct agent *a, int failed)
{
	if (failed && a->k.n_old_sets > 0)
		/* Ours never took over: the previous set is untouched and
		 * keeps enforcing. (Once ours took over, they stay: fail
		 * closed.) */
		remove_pins(a->k.pin_set);
	events_close(a);
	chainhead_close(a);
	unload_bpf(a);
	control_close(a);
	pf_auditlog_close(a->ev.log);
	if (a->pol && a->pol->syslog)
		closelog();
	approvals_free(a);
	inbox_close(a);
	if (a->sig_fd >= 0)
		close(a->sig_fd);
	if (a->epfd >= 0)
		close(a->epfd);
	pf_resolved_free(a->res);
	free(a->ai_keys);
	pf_policy_free(a->pol);
}

int main(int argc, char **argv)
{
	struct agent a = {
		.paths = { .policy = PF_DEFAULT_POLICY, .state_dir = PF_DEFAULT_STATE_DIR,
			   .log = PF_DEFAULT_LOG, .sock = PF_DEFAULT_SOCKET,
			   .pin_dir = PF_DEFAULT_PIN_DIR },
		.ev = { .cgroot_fd = -1, .chain_fd = -1, .outage_fd = -1 },
		.ctl = { .listen_fd = -1 },
		.inbox = { .fd = -1 },
		.sig_fd = -1,
		.epfd = -1,
	};
	struct pf_err perr;
	char kept[256] = "";
	struct pf_err err = { "" };
	int r;

	r = parse_args(&a, argc, argv);
	if (r >= 0)
		return r;
	libbpf_set_print(libbpf_print);
	start_identity(&a);
	if (pf_policy_load(a.paths.policy, &a.pol, &perr) < 0) {
		warnx_("%s", perr.msg);
		return 2;
	}
	if (check_kernel(&a, &err) < 0 || start_dirs(&a, &err) < 0 ||
	    start_state(&a, &err) < 0 ||
	    start_self(&a, kept, sizeof(kept), &err) < 0 ||
	    start_log(&a, &err) < 0)
		goto failed;
	find_old_pins(&a);
	log_downtime(&a, a.k.n_old_sets > 0);
	if (load_bpf(&a, &err) < 0 || start_own_dirs(&a, &err) < 0)
		goto failed;
	if (chainhead_open(&a, &err) < 0)
		warnx_("%s; `log verify` cannot check the log against it", err.msg);
	if (kept[0])
		log_record(&a, "mode-change", F_STR("from", "state file"), F_STR("reason", kept));
	if (refresh_rules(&a, &err) < 0) {
		warnx_("resolving %s: %s", a.paths.policy, err.msg);
		cleanup(&a, 1);
		return 1;
	}
	if (start_used(&a, &err) < 0 || start_mode(&a, &err) < 0 ||
	    events_open(&a, &err) < 0 || adopt_or_attach(&a, &err) < 0 ||
	    control_open(&a, &err) < 0 || inbox_init(&a, &err) < 0 ||
	    start_loop(&a, &err) < 0)
		goto failed;
	if (pf_self_oom_protect(&err) < 0)
		warnx_("%s; the OOM killer may pick the agent", err.msg);
	if (drop_capabilities(&err) < 0)
		goto failed;
	start_serving(&a);
	run(&a);
	stop(&a);
	cleanup(&a, 0);
	return 0;
failed:
	warnx_("%s", err.msg[0] ? err.msg : strerror(ENOMEM));
	cleanup(&a, 1);
	return 1;
}

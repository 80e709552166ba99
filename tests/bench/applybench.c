/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's apply step on the host's own CPU (no emulation): the policy
 * parsed, resolved and written into freshly created kernel maps by the
 * agent's own code (user/agent/rules.c refresh_rules, maps.c), everything
 * but loading the LSM programs, which this host refuses (map creation and
 * updates work). The tree and policy are the VM bench's: DIR/etc with 10
 * files, DIR/many/f1..fN, "protect DIR/etc" and one "protect" per file.
 * Prints one line "applybench paths=N parse_s=... resolve_s=... self_s=...
 * view_s=... map_create_s=... map_fill_s=... guards_s=... total_s=... total_cpu_s=...
 * entries=E fill=batched|single (REASON)"; "total" is parse + resolve +
 * self + view + fill + guards (what starting the agent adds per rule).
 * Then SIGHUP's reload of the same policy onto the filled maps ("applybench
 * reload: ..."), checked: the map holds exactly the resolution's entries.
 *
 * usage: applybench DIR N */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "util.h"

static double now_s(void)
{
	return (double)pf_clock_ns(CLOCK_MONOTONIC) / 1e9;
}

/* CPU time of the process, user and system: steadier than the wall clock
 * on a busy host. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int die(const char *what, const char *why)
{
	fprintf(stderr, "applybench: %s: %s\n", what, why);
	return 1;
}

static size_t map_count(int fd)
{
	struct pf_key k, next;
	size_t n = 0;

	if (bpf_map_get_next_key(fd, NULL, &next) < 0)
		return 0;
	do {
		k = next;
		n++;
	} while (bpf_map_get_next_key(fd, &k, &next) == 0);
	return n;
}

/* DIR/etc/f1..10, DIR/many/f1..fN (kept between runs), DIR/policy. */
static int make_tree(const char *dir, long n, char *policy, size_t psz)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc", dir);
	if (pf_mkdir_p(path, 0755) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/many", dir);
	if (pf_mkdir_p(path, 0755) < 0)
		return -errno;
	for (long i = 1; i <= n + 10; i++) {
		int fd;

		if (i <= 10)
			snprintf(path, sizeof(path), "%s/etc/f%ld", dir, i);
		else
			snprintf(path, sizeof(path), "%s/many/f%ld", dir, i - 10);
		if (access(path, F_OK) == 0)
			continue;
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/allowed_signers", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fclose(f);
	snprintf(policy, psz, "%s/policy.conf", dir);
	f = fopen(policy, "w");
	if (!f)
		return -errno;
	fprintf(f, "mode off\nallowed-signers %s/allowed_signers\nprotect %s/etc\n", dir, dir);
	for (long i = 1; i <= n; i++)
		fprintf(f, "protect %s/many/f%ld\n", dir, i);
	return fclose(f) ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct agent a = {
		.ev = { .cgroot_fd = -1, .chain_fd = -1, .outage_fd = -1 },
		.ctl = { .listen_fd = -1 },
		.inbox = { .fd = -1 },
		.sig_fd = -1,
		.epfd = -1,
	};
	char policy[PATH_MAX], state[PATH_MAX], log[PATH_MAX];
	struct bpf_program *p;
	struct pf_err err = { "" };
	double t0, c0, parse, create, total, cpu;
	size_t in_map;
	const char *dir;
	long n;
	int r;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0 || argv[1][0] != '/') {
		fprintf(stderr, "usage: applybench /DIR N\n");
		return 2;
	}
	dir = argv[1];
	r = make_tree(dir, n, policy, sizeof(policy));
	if (r < 0)
		return die(dir, strerror(-r));
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(log, sizeof(log), "%s/log/audit.log", dir);
	snprintf(a.paths.log_dir, sizeof(a.paths.log_dir), "%s/log", dir);
	pf_mkdir_p(state, 0700);
	a.paths.policy = policy;
	a.paths.state_dir = state;
	a.paths.log = log;

	c0 = cpu_s();
	t0 = now_s();
	if (pf_policy_load(policy, &a.pol, &err) < 0)
		return die("policy", err.msg);
	parse = now_s() - t0;
	cpu = cpu_s() - c0;

	/* the agent's own object, its programs left out of the load */
	if (check_kernel(&a, &err) < 0)
		fprintf(stderr, "applybench: %s; the main build's maps are used\n", err.msg);
	if (open_bpf(&a, &err) < 0)
		return die("BPF object", err.msg);
	bpf_object__for_each_program(p, a.k.obj)
		bpf_program__set_autoload(p, false);
	t0 = now_s();
	r = bpf_object__load(a.k.obj);
	create = now_s() - t0;
	if (r < 0)
		return die("creating the maps", strerror(-r));

	c0 = cpu_s();
	t0 = now_s();
	r = refresh_rules(&a, &err);
	if (r < 0)
		return die("apply", err.msg);
	total = parse + (now_s() - t0);
	cpu += cpu_s() - c0;
	printf("applybench paths=%ld parse_s=%.3f resolve_s=%.3f self_s=%.3f view_s=%.3f "
	       "map_create_s=%.3f map_fill_s=%.3f guards_s=%.3f total_s=%.3f total_cpu_s=%.3f "
	       "entries=%zu fill=%s\n",
	       n, parse, a.apply.resolve / 1e9, a.apply.self / 1e9, a.apply.view / 1e9, create,
	       a.apply.rules / 1e9, a.apply.guards / 1e9, total, cpu, a.res->n, maps_fill_how());
	/* SIGHUP's reload: the same policy onto the filled maps (every entry
	 * read back to find the stale ones); the map must hold exactly the
	 * resolution */
	t0 = now_s();
	r = refresh_rules(&a, &err);
	if (r < 0)
		return die("reload", err.msg);
	total = now_s() - t0;
	in_map = map_count(bpf_map__fd(a.k.maps.rules));
	printf("applybench reload: resolve_s=%.3f view_s=%.3f map_fill_s=%.3f total_s=%.3f "
	       "entries_in_map=%zu\n",
	       a.apply.resolve / 1e9, a.apply.view / 1e9, a.apply.rules / 1e9, total, in_map);
	if (in_map != a.res->n)
		return die("reload", "the rules map does not hold the resolution's entries");
	unload_bpf(&a);
	pf_resolved_free(a.res);
	free(a.ai_keys);
	pf_policy_free(a.pol);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* AI agents, the agent's half of closing the routes out of their trees
 * (bpf/agentroutes.bpf.h): the Unix sockets their processes may not
 * connect to and sshd's ports from the policy, the host's own addresses
 * (kept up to date every second), and the at/cron spools and systemd's
 * unit directories as objects protected from agents' processes only. */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <limits.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "util.h"

/* Where a process that is not the agent's is started later by a daemon
 * (crond, atd, anacron, PID 1): an agent's process may not write them,
 * whether or not the policy protects them. Absent ones are skipped until
 * the next resolution (freeze or SIGHUP). */
static const char *const ai_only_paths[] = {
	"/var/spool/cron",          /* crontabs, atjobs, atspool (Debian), crontabs (RHEL) */
	"/var/spool/at",            /* at (RHEL) */
	"/var/spool/anacron",
	"/etc/crontab",
	"/etc/cron.d",
	"/etc/cron.hourly",
	"/etc/cron.daily",
	"/etc/cron.weekly",
	"/etc/cron.monthly",
	"/etc/cron.yearly",
	"/etc/anacrontab",
	"/etc/systemd/system",      /* units, timers, drop-ins, .wants links */
	"/etc/systemd/system.control",
	"/etc/systemd/user",
	"/run/systemd/system",
	"/run/systemd/system.control",
	"/run/systemd/transient",   /* systemd-run's units */
	"/run/systemd/generator",
	"/run/systemd/generator.early",
	"/run/systemd/generator.late",
	"/usr/lib/systemd/system",  /* the packages' units (and their .wants links) */
	"/lib/systemd/system",
	"/usr/local/lib/systemd/system",
};

static int map_fd(struct agent *a, const char *name, struct pf_err *err)
{
	struct bpf_map *m = bpf_object__find_map_by_name(a->k.obj, name);

	if (!m) {
		pf_err_set(err, "the BPF object has no map %s", name);
		return -ENOENT;
	}
	return bpf_map__fd(m);
}

/* @n keys of @size bytes into the hash map @fd (value 1), then every other
 * key out of it: no moment without the entries wanted. */
static int sync_keys(int fd, const void *keys, size_t n, size_t size, const char *name,
		     struct pf_err *err)
{
	unsigned char k[sizeof(struct pf_sock_name)], next[sizeof(struct pf_sock_name)];
	uint32_t one = 1;
	int more;

	if (size > sizeof(k))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const char *)keys + i * size, &one, BPF_ANY) < 0) {
			int r = -errno;

			pf_err_set(err, "%s update: %s", name, strerror(-r));
			return r;
		}
	more = bpf_map_get_next_key(fd, NULL, next) == 0;
	while (more) {
		int keep = 0;

		memcpy(k, next, size);
		more = bpf_map_get_next_key(fd, k, next) == 0;
		for (size_t i = 0; i < n && !keep; i++)
			keep = memcmp((const char *)keys + i * size, k, size) == 0;
		if (!keep)
			bpf_map_delete_elem(fd, k);
	}
	return 0;
}

/* The host's own addresses, as the kernel's connect hook compares them. */
static int local_addrs(struct pf_inaddr *out, size_t cap, size_t *ret_n)
{
	struct ifaddrs *ifs, *i;
	size_t n = 0;

	if (getifaddrs(&ifs) < 0)
		return -errno;
	for (i = ifs; i; i = i->ifa_next) {
		struct pf_inaddr k = { { 0 } };
		int dup = 0;

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			k.a[10] = k.a[11] = 0xff;
			memcpy(&k.a[12], &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(k.a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		for (size_t j = 0; j < n && !dup; j++)
			dup = memcmp(&out[j], &k, sizeof(k)) == 0;
		if (dup)
			continue;
		if (n == cap) {
			freeifaddrs(ifs);
			return -E2BIG;
		}
		out[n++] = k;
	}
	freeifaddrs(ifs);
	*ret_n = n;
	return 0;
}

/* Called every second: an address added since is the host's too. */
void ai_routes_tick(struct agent *a)
{
	static struct pf_inaddr addrs[PF_MAX_AI_LOCAL_ADDRS];
	struct pf_err err = { "" };
	size_t n = 0;
	int fd, r;

	if (!a->pol->n_ai || a->pol->ai_mode == PF_MODE_OFF)
		return;
	fd = map_fd(a, "ai_local_addrs", &err);
	if (fd < 0)
		return;
	r = local_addrs(addrs, PF_ARRAY_SIZE(addrs), &n);
	if (r == -E2BIG && !a->ai_addrs_warned) {
		/* the first PF_MAX_AI_LOCAL_ADDRS still count */
		warnx_("the host has more than %d addresses; ssh to the others is not refused "
		       "to AI agents", PF_MAX_AI_LOCAL_ADDRS);
		a->ai_addrs_warned = 1;
		n = PF_ARRAY_SIZE(addrs);
	} else if (r < 0 && r != -E2BIG) {
		if (!a->ai_addrs_warned)
			warnx_("getifaddrs: %s; the host's addresses are not refreshed", strerror(-r));
		a->ai_addrs_warned = 1;
		return;
	}
	if (sync_keys(fd, addrs, n, sizeof(addrs[0]), "ai_local_addrs", &err) < 0)
		warnx_("%s", err.msg);
}

/* The ancestors of every agent-only path that exists (directories up to
 * "/"), for `ai_guards`: an agent's process may not rename them away (and
 * build a new spool under the old name) nor mount over them. */
static size_t ai_ancestors(struct pf_key *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < PF_ARRAY_SIZE(ai_only_paths); i++) {
		char buf[PATH_MAX];
		struct stat st;

		if (lstat(ai_only_paths[i], &st) < 0)
			continue;
		snprintf(buf, sizeof(buf), "%s", ai_only_paths[i]);
		for (char *slash; (slash = strrchr(buf, '/'));) {
			struct pf_key k;
			int dup = 0;

			if (slash == buf)
				slash[1] = 0;
			else
				*slash = 0;
			if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) {
				k = (struct pf_key){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
				for (size_t j = 0; j < n && !dup; j++)
					dup = out[j].dev == k.dev && out[j].ino == k.ino;
				if (!dup && n < cap)
					out[n++] = k;
			}
			if (slash == buf)
				break;
		}
	}
	return n;
}

int ai_routes_apply(struct agent *a, struct pf_err *err)
{
	struct pf_key anc[PF_MAX_AI_GUARDS];
	size_t n_anc = 0;
	const struct pf_policy *p = a->pol;
	struct pf_sock_name names[PF_POLICY_MAX_AI_SOCKETS];
	uint32_t ports[PF_POLICY_MAX_AI_SSH_PORTS];
	int fd, r;

	_Static_assert(PF_POLICY_MAX_AI_SOCKETS == PF_MAX_AI_SOCKETS, "one limit");
	_Static_assert(PF_POLICY_MAX_AI_SSH_PORTS == PF_MAX_AI_SSH_PORTS, "one limit");
	_Static_assert(PF_POLICY_AI_SOCKET_MAX < PF_SOCK_PATH_MAX, "a name and its NUL fit");
	memset(names, 0, sizeof(names));
	for (size_t i = 0; i < p->n_ai_sockets; i++)
		memcpy(names[i].path, p->ai_sockets[i], strlen(p->ai_sockets[i]));
	for (size_t i = 0; i < p->n_ai_ssh_ports; i++)
		ports[i] = p->ai_ssh_ports[i];
	fd = map_fd(a, "ai_sockets", err);
	if (fd < 0)
		return fd;
	r = sync_keys(fd, names, p->n_ai_sockets, sizeof(names[0]), "ai_sockets", err);
	if (r < 0)
		return r;
	fd = map_fd(a, "ai_ssh_ports", err);
	if (fd < 0)
		return fd;
	r = sync_keys(fd, ports, p->n_ai_ssh_ports, sizeof(ports[0]), "ai_ssh_ports", err);
	if (r < 0)
		return r;
	_Static_assert(PF_ARRAY_SIZE(ai_only_paths) * 8 <= PF_MAX_AI_GUARDS,
		       "the ancestors of the agent-only paths fit (8 levels each)");
	if (p->n_ai && p->ai_mode != PF_MODE_OFF)
		n_anc = ai_ancestors(anc, PF_ARRAY_SIZE(anc));
	fd = map_fd(a, "ai_guards", err);
	if (fd < 0)
		return fd;
	r = sync_keys(fd, anc, n_anc, sizeof(anc[0]), "ai_guards", err);
	if (r < 0)
		return r;
	ai_routes_tick(a);
	return 0;
}

int ai_routes_add_rules(struct agent *a, struct pf_resolved *r, struct pf_err *err)
{
	int add[PF_ARRAY_SIZE(ai_only_paths)];
	int rc = 0;

	if (!a->pol->n_ai || a->pol->ai_mode == PF_MODE_OFF)
		return 0;
	/* judged on the policy's own resolution, before any is added: a path
	 * the policy protects is protected from everyone already (an agent-only
	 * entry there would let the others through below it) */
	for (size_t i = 0; i < PF_ARRAY_SIZE(ai_only_paths); i++) {
		struct pf_check_result cr;

		add[i] = pf_resolved_check(r, ai_only_paths[i], &cr) == 0 && cr.exists &&
			 !cr.protected_;
	}
	for (size_t i = 0; rc == 0 && i < PF_ARRAY_SIZE(ai_only_paths); i++)
		if (add[i])
			rc = pf_resolved_add_self(r, ai_only_paths[i], PF_RULEID_AI_ONLY, err);
	return rc;
}

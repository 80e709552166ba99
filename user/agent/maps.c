/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Writing the kernel's maps: the config (one read-modify-write helper for
 * every change of it), the rules and their filesystems, the guards; and
 * reading its counters. Every sync adds the new entries first and removes
 * the stale ones after, so protection never dips during a change. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "util.h"

int pf_config_edit(int fd, void (*edit)(struct pf_config *c, const void *data), const void *data)
{
	struct pf_config c = { 0 };
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &c) < 0)
		return -errno;
	edit(&c, data);
	if (bpf_map_update_elem(fd, &zero, &c, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static int config_fd(struct agent *a)
{
	return bpf_map__fd(a->k.maps.config);
}

/* The mode, this agent as the config's agent, and a new generation: every
 * cached verdict was taken under the old mode. */
static void set_mode(struct pf_config *c, const void *data)
{
	c->mode = *(const uint32_t *)data;
	c->agent_tgid = (uint32_t)getpid();
	c->policy_gen++;
}

int config_set_mode(struct agent *a, int mode)
{
	uint32_t m = (uint32_t)mode;

	return pf_config_edit(config_fd(a), set_mode, &m);
}

static void bump_gen(struct pf_config *c, const void *data)
{
	(void)data;
	c->policy_gen++;
}

int config_bump_gen(struct agent *a)
{
	return pf_config_edit(config_fd(a), bump_gen, NULL);
}

static void set_n_approvals(struct pf_config *c, const void *data)
{
	c->n_approvals = *(const uint32_t *)data;
}

int config_set_n_approvals(struct agent *a, uint32_t n)
{
	return pf_config_edit(config_fd(a), set_n_approvals, &n);
}

uint64_t percpu_sum(int fd, uint32_t key)
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

uint64_t counter(struct agent *a, uint32_t decision)
{
	return percpu_sum(bpf_map__fd(a->k.maps.counters), decision);
}

uint64_t lost_total(struct agent *a)
{
	return percpu_sum(bpf_map__fd(a->k.maps.lost), 0);
}

int maps_rule_of(struct agent *a, uint64_t dev, uint64_t ino, struct pf_rule *ret)
{
	struct pf_key k = { .dev = dev, .ino = ino };

	return bpf_map_lookup_elem(bpf_map__fd(a->k.maps.rules), &k, ret) < 0 ? -errno : 0;
}

/* A growing list of keys (the entries to keep, or to drop). */
struct keys {
	struct pf_key *k;
	size_t n, cap;
};

static int keys_push(struct keys *s, struct pf_key k)
{
	if (PF_ARRAY_GROW(s->k, s->cap, s->n) < 0)
		return -ENOMEM;
	s->k[s->n++] = k;
	return 0;
}

/* The rules map's entries that @r no longer has. */
static int stale_rules(int fd, const struct pf_resolved *r, struct keys *ret)
{
	struct pf_key k, next;

	if (bpf_map_get_next_key(fd, NULL, &next) < 0)
		return 0;
	do {
		k = next;
		if (!pf_resolved_find(r, k.dev, k.ino) && keys_push(ret, k) < 0)
			return -ENOMEM;
	} while (bpf_map_get_next_key(fd, &k, &next) == 0);
	return 0;
}

/* Filesystems (protected_sbs) that @r no longer has: removed. */
static void drop_stale_sbs(int fd, const struct pf_resolved *r)
{
	uint32_t gone[PF_MAX_SBS], dk, dnext;
	size_t ng = 0;

	if (bpf_map_get_next_key(fd, NULL, &dnext) < 0)
		return;
	do {
		size_t j;

		dk = dnext;
		for (j = 0; j < r->n_sbs; j++)
			if (r->sbs[j].dev == dk)
				break;
		if (j == r->n_sbs && ng < PF_MAX_SBS)
			gone[ng++] = dk;
	} while (bpf_map_get_next_key(fd, &dk, &dnext) == 0);
	for (size_t i = 0; i < ng; i++)
		bpf_map_delete_elem(fd, &gone[i]);
}

int maps_apply_rules(struct agent *a, const struct pf_resolved *r, struct pf_err *err)
{
	int rfd = bpf_map__fd(a->k.maps.rules);
	int sfd = bpf_map__fd(a->k.maps.protected_sbs);
	struct keys stale = { 0 };
	int ret;

	for (size_t i = 0; i < r->n_sbs; i++) {
		if (bpf_map_update_elem(sfd, &r->sbs[i].dev, &r->sbs[i].count, BPF_ANY) < 0) {
			ret = -errno;
			pf_err_set(err, "protected_sbs update: %s", strerror(errno));
			return ret;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		struct pf_rule v = { .kind = r->e[i].kind, .rule_id = r->e[i].rule_id };

		if (bpf_map_update_elem(rfd, &r->e[i].key, &v, BPF_ANY) < 0) {
			ret = -errno;
			pf_err_set(err, "rules update (%zu of %zu): %s", i + 1, r->n,
				 strerror(errno));
			return ret;
		}
	}
	ret = stale_rules(rfd, r, &stale);
	for (size_t i = 0; ret == 0 && i < stale.n; i++)
		bpf_map_delete_elem(rfd, &stale.k[i]);
	free(stale.k);
	if (ret < 0) {
		pf_err_set(err, "rules: %s", strerror(-ret));
		return ret;
	}
	drop_stale_sbs(sfd, r);
	/* Cached verdicts were computed against the old rules. */
	ret = config_bump_gen(a);
	if (ret < 0)
		pf_err_set(err, "config update: %s", strerror(-ret));
	return ret;
}

/* Adds every ancestor directory of @path, up to "/", to @want and the
 * guards map (stat() of each prefix gives the top mount's root where
 * something is mounted). */
static int guard_ancestors(int fd, const char *path, struct keys *want, struct pf_err *err)
{
	char buf[PATH_MAX];
	uint32_t one = 1;

	if (strlen(path) >= sizeof(buf))
		return 0;
	strcpy(buf, path);
	for (;;) {
		char *slash = strrchr(buf, '/');
		struct stat st;
		struct pf_key k;

		if (!slash)
			break;
		if (slash == buf)
			slash[1] = '\0'; /* "/" itself */
		else
			*slash = '\0';
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) {
			k = (struct pf_key){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
			if (keys_push(want, k) < 0)
				return -ENOMEM;
			if (bpf_map_update_elem(fd, &k, &one, BPF_ANY) < 0) {
				int r = -errno;

				pf_err_set(err, "guarding %s (an ancestor of protect %s): %s%s", buf,
					 path, strerror(-r),
					 r == -E2BIG ? " (limit: 65,536 ancestor directories)" : "");
				return r;
			}
		}
		if (strcmp(buf, "/") == 0)
			break;
	}
	return 0;
}

/* Do @a and @b (policy paths) lie side by side in one directory? */
static bool same_parent(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');

	return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

int maps_apply_guards(struct agent *a, struct pf_err *err)
{
	int gfd = bpf_map__fd(a->k.maps.guards), r = 0;
	struct keys want = { 0 };
	const char *last = NULL;
	struct pf_key k, next;

	for (size_t i = 0; r == 0 && i < a->pol->n_rules; i++) {
		const struct pf_policy_rule *rule = &a->pol->rules[i];

		if (rule->kind != PF_RULE_PROTECT)
			continue;
		/* rules side by side in one directory (100,000 files) share
		 * their ancestors: walk them once */
		if (last && same_parent(last, rule->path))
			continue;
		last = rule->path;
		r = guard_ancestors(gfd, rule->path, &want, err);
	}
	if (r == 0 && bpf_map_get_next_key(gfd, NULL, &next) == 0) {
		int more;

		do {
			bool keep = false;

			k = next;
			for (size_t i = 0; i < want.n && !keep; i++)
				keep = want.k[i].dev == k.dev && want.k[i].ino == k.ino;
			more = bpf_map_get_next_key(gfd, &k, &next) == 0;
			if (!keep)
				bpf_map_delete_elem(gfd, &k);
		} while (more);
	}
	free(want.k);
	if (r == -ENOMEM)
		pf_err_set(err, "guards: %s", strerror(ENOMEM));
	return r;
}

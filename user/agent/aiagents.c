/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* AI agents, the agent's half: the policy's `agent NAME exe=PATH` files
 * resolved to their identity and loaded into `ai_exes` (exec'ing one
 * marks a process tree in the kernel: bpf/aiagent.bpf.h), its unit=UNIT
 * names into `ai_units`, agent-mode into the config; and back from a mark
 * in an event to the names a record shows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "reply.h"
#include "util.h"

static void set_ai(struct pf_config *c, const void *data)
{
	const uint32_t *v = data;

	c->ai_mode = v[0];
	c->n_ai_exes = v[1];
	/* a new generation: every cgroup's cached answer (ai_cgroups) was
	 * taken under the old units */
	c->flags = (c->flags & ~(uint32_t)PF_CFG_AI_UNITS) | (v[2] ? PF_CFG_AI_UNITS : 0);
	c->policy_gen++;
}

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The policy's unit= names into `ai_units`, as the names of their cgroup
 * directories: new entries first, stale ones after. */
static int ai_apply_units(struct agent *a, struct pf_err *err)
{
	struct bpf_map *m = bpf_object__find_map_by_name(a->k.obj, "ai_units");
	const struct pf_policy *p = a->pol;
	struct pf_unit_key k, next, *keys;
	struct statfs sf;
	int fd, more;

	if (!m) {
		pf_err_set(err, "the BPF object has no map ai_units");
		return -ENOENT;
	}
	fd = bpf_map__fd(m);
	keys = calloc(p->n_ai_units + 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_ai_units; i++) {
		uint32_t idx = (uint32_t)p->ai_units[i].agent;
		int r = pf_unit_cgroup_name(p->ai_units[i].name, keys[i].name, sizeof(keys[i].name));

		if (r == 0 && bpf_map_update_elem(fd, &keys[i], &idx, BPF_ANY) < 0)
			r = -errno;
		if (r < 0) {
			pf_err_set(err, "ai_units update (%s): %s", p->ai_units[i].name, strerror(-r));
			free(keys);
			return r;
		}
	}
	more = bpf_map_get_next_key(fd, NULL, &next) == 0;
	while (more) {
		int keep = 0;

		k = next;
		more = bpf_map_get_next_key(fd, &k, &next) == 0;
		for (size_t i = 0; i < p->n_ai_units && !keep; i++)
			keep = memcmp(&keys[i], &k, sizeof(k)) == 0;
		if (!keep)
			bpf_map_delete_elem(fd, &k);
	}
	free(keys);
	/* the kernel compares the default hierarchy's cgroups (cgroup2):
	 * legacy-only systemd (cgroup v1) puts units elsewhere */
	if (p->n_ai_units &&
	    !(statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) &&
	    !(statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC))
		warnx_("policy: agent unit=: no cgroup2 at /sys/fs/cgroup or "
		       "/sys/fs/cgroup/unified; units are recognised only in the cgroup2 hierarchy");
	return 0;
}

int ai_apply(struct agent *a, struct pf_err *err)
{
	struct bpf_map *m = bpf_object__find_map_by_name(a->k.obj, "ai_exes");
	const struct pf_policy *p = a->pol;
	struct pf_key *keys, k, next;
	uint32_t cfg[3] = { (uint32_t)p->ai_mode, 0, p->n_ai_units > 0 };
	int fd, r, more;

	if (!m) {
		pf_err_set(err, "the BPF object has no map ai_exes");
		return -ENOENT;
	}
	fd = bpf_map__fd(m);
	keys = calloc(p->n_ai_exes + 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* new entries first, stale ones after: no exec goes unmarked */
	for (size_t i = 0; i < p->n_ai_exes; i++) {
		uint32_t idx = (uint32_t)p->ai_exes[i].agent;
		struct stat st;

		/* what exec runs: a symbolic link's target */
		if (stat(p->ai_exes[i].path, &st) < 0) {
			warnx_("policy: agent %s: %s: %s; not recognised until it exists and the "
			       "policy is re-resolved (SIGHUP)",
			       p->ai[idx].name, p->ai_exes[i].path, strerror(errno));
			continue;
		}
		keys[i] = (struct pf_key){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
		if (bpf_map_update_elem(fd, &keys[i], &idx, BPF_ANY) < 0) {
			r = -errno;
			pf_err_set(err, "ai_exes update (%s): %s", p->ai_exes[i].path, strerror(errno));
			free(keys);
			return r;
		}
		cfg[1]++;
	}
	more = bpf_map_get_next_key(fd, NULL, &next) == 0;
	while (more) {
		int keep = 0;

		k = next;
		more = bpf_map_get_next_key(fd, &k, &next) == 0;
		for (size_t i = 0; i < p->n_ai_exes && !keep; i++)
			keep = keys[i].ino && keys[i].dev == k.dev && keys[i].ino == k.ino;
		if (!keep)
			bpf_map_delete_elem(fd, &k);
	}
	free(a->ai_keys);
	a->ai_keys = keys;
	r = ai_apply_units(a, err);
	if (r < 0)
		return r;
	r = pf_config_edit(bpf_map__fd(a->k.maps.config), set_ai, cfg);
	if (r < 0)
		pf_err_set(err, "config update: %s", strerror(-r));
	return r;
}

const char *ai_name(const struct agent *a, uint32_t idx, char *buf, size_t size)
{
	if (idx == PF_AI_NONE)
		return NULL;
	if (idx < a->pol->n_ai)
		return a->pol->ai[idx].name;
	/* the policy that named it was replaced since */
	snprintf(buf, size, "#%u", idx);
	return buf;
}

const char *ai_exe_path(const struct agent *a, uint64_t dev, uint64_t ino, char *buf,
			size_t size)
{
	for (size_t i = 0; a->ai_keys && i < a->pol->n_ai_exes; i++)
		if (a->ai_keys[i].ino == ino && a->ai_keys[i].dev == dev)
			return a->pol->ai_exes[i].path;
	snprintf(buf, size, "%llu:%llu:%llu", (unsigned long long)(dev >> 20),
		 (unsigned long long)(dev & 0xfffff), (unsigned long long)ino);
	return buf;
}

/* --- live trees, for status ------------------------------------------------ */

/* One agent tree: its agent and root, and what this agent saw of it. */
struct ai_tree {
	uint32_t agent, root_pid;
	uint64_t marked_ns;       /* boot ns */
	uint64_t denied, processes;
};

/* Trees remembered for their denials; past this, the oldest is dropped. */
#define AI_TREES_MAX 256

static struct ai_tree *tree(struct agent *a, uint32_t agent, uint32_t root_pid,
			    uint64_t marked_ns, int create)
{
	for (size_t i = 0; i < a->n_ai_trees; i++) {
		struct ai_tree *t = &a->ai_trees[i];

		if (t->agent == agent && t->root_pid == root_pid && t->marked_ns == marked_ns)
			return t;
	}
	if (!create)
		return NULL;
	if (a->n_ai_trees >= AI_TREES_MAX) {
		memmove(a->ai_trees, a->ai_trees + 1, (a->n_ai_trees - 1) * sizeof(*a->ai_trees));
		a->n_ai_trees--;
	}
	if (PF_ARRAY_GROW(a->ai_trees, a->cap_ai_trees, a->n_ai_trees) < 0)
		return NULL;
	a->ai_trees[a->n_ai_trees] = (struct ai_tree){ .agent = agent, .root_pid = root_pid,
						      .marked_ns = marked_ns };
	return &a->ai_trees[a->n_ai_trees++];
}

/* @n denials (a run's repeats: more than one) of @e's tree. */
void ai_count(struct agent *a, const struct pf_event *e, uint64_t n)
{
	struct ai_tree *t = tree(a, e->ai_agent - 1, e->ai_root_pid, e->ai_marked_ns, 1);

	if (t && e->decision == PF_DEC_DENY)
		t->denied += n;
}

/* Tasks in each tree now, as the kernel counts them (`ai_trees`, kept at
 * mark, fork and exit: every process and thread, whoever owns it, seen or
 * not in this agent's /proc). A tree down to 0 is deleted here. */
static void count_live(struct agent *a)
{
	struct bpf_map *m = bpf_object__find_map_by_name(a->k.obj, "ai_trees");
	struct pf_tree_key key, next, *prev = NULL;
	uint64_t n;
	int fd;

	for (size_t i = 0; i < a->n_ai_trees; i++)
		a->ai_trees[i].processes = 0;
	if (!m)
		return;
	fd = bpf_map__fd(m);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &n) < 0)
			continue;
		if (n == 0 || n > (1ULL << 40)) {
			/* no task left: none can come back (only a marked task
			 * forks into a tree) */
			bpf_map_delete_elem(fd, &key);
		} else {
			struct ai_tree *t = tree(a, key.agent, key.root_pid, key.marked_ns, 1);

			if (t)
				t->processes = n;
		}
	}
}

void ai_status(struct agent *a, struct pf_msg *rep)
{
	int64_t now_b = boot_now_ns(), now_w = pf_now_ns();
	size_t w = 0;

	if (!a->pol->n_ai)
		return;
	count_live(a);
	for (size_t i = 0; i < a->n_ai_trees; i++) {
		struct ai_tree *t = &a->ai_trees[i];
		char buf[32], ts[64];
		const char *name;

		if (!t->processes)
			continue; /* ended: its denials stay in the log */
		name = ai_name(a, t->agent, buf, sizeof(buf));
		pf_rfc3339((now_w - (now_b - (int64_t)t->marked_ns)) / 1000000000LL, ts, sizeof(ts));
		pf_reply_str(rep, "ai_tree_agent[]", name ? name : "?");
		pf_reply_num(rep, "ai_tree_root_pid[]", t->root_pid);
		pf_reply_str(rep, "ai_tree_since[]", ts);
		pf_reply_num(rep, "ai_tree_tasks[]", t->processes);
		pf_reply_num(rep, "ai_tree_denied[]", t->denied);
		a->ai_trees[w++] = *t;
	}
	a->n_ai_trees = w; /* trees with no process left are forgotten */
	pf_reply_num(rep, "ai_trees", w);
}

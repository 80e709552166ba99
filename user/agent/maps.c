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

/* --- filling and reading hash maps in batches --------------------------------
 *
 * One BPF_MAP_UPDATE_BATCH / BPF_MAP_LOOKUP_BATCH per FILL_CHUNK entries
 * instead of one system call per entry (hash maps have had them since
 * Linux 5.6: every kernel we run on). A kernel or map type without them
 * answers EINVAL (an unknown command) or ENOTSUPP/EOPNOTSUPP: then single
 * updates, and maps_fill_how() says so with the reason. */

/* Entries per batch call (the kernel takes a batch whole, under
 * cond_resched; this bounds the agent's buffers for a lookup). */
#define FILL_CHUNK 16384
/* The kernel's internal ENOTSUPP, which older kernels let out. */
#define KERNEL_ENOTSUPP 524

static int batch_missing(int e)
{
	return e == EINVAL || e == EOPNOTSUPP || e == KERNEL_ENOTSUPP;
}

/* "batched", or "single (...)": how the last fill wrote its entries. */
static char fill_how[128] = "batched";

const char *maps_fill_how(void)
{
	return fill_how;
}

/* Writes @n entries (@keys, @vals: arrays of @ksz and @vsz bytes each).
 * 0, or -errno with *ret_done the entries written before the failure. */
static int map_fill(int fd, const void *keys, size_t ksz, const void *vals, size_t vsz, size_t n,
		    size_t *ret_done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	const char *k = keys, *v = vals;
	size_t done = 0;
	int batch = 1;

	snprintf(fill_how, sizeof(fill_how), "batched");
	while (batch && done < n) {
		uint32_t c = n - done < FILL_CHUNK ? (uint32_t)(n - done) : FILL_CHUNK;
		int e;

		if (bpf_map_update_batch(fd, k + done * ksz, v + done * vsz, &c, &o) == 0) {
			done += c;
			continue;
		}
		e = errno;
		done += c; /* those the kernel wrote before it failed */
		if (!batch_missing(e)) {
			*ret_done = done;
			return -e;
		}
		snprintf(fill_how, sizeof(fill_how), "single (BPF_MAP_UPDATE_BATCH: %s)",
			 strerror(e == KERNEL_ENOTSUPP ? EOPNOTSUPP : e));
		batch = 0;
	}
	for (; done < n; done++) {
		if (bpf_map_update_elem(fd, k + done * ksz, v + done * vsz, BPF_ANY) < 0) {
			*ret_done = done;
			return -errno;
		}
	}
	*ret_done = done;
	return 0;
}

/* A growing list of keys (a map's, or the entries to keep). */
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

/* Every key of a hash map keyed by pf_key (values of @vsz bytes) into
 * @ret: batched lookups, or one BPF_MAP_GET_NEXT_KEY per key where the
 * kernel has none. */
static int map_keys(int fd, size_t vsz, struct keys *ret)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct pf_key in, out, k, next; /* batch tokens: a bucket index, at most a key */
	void *vals = malloc(FILL_CHUNK * vsz);
	int first = 1, r = 0;

	if (!vals)
		return -ENOMEM;
	for (;;) {
		uint32_t c = FILL_CHUNK;
		int e = 0;

		while (ret->cap < ret->n + FILL_CHUNK)
			if (PF_ARRAY_GROW(ret->k, ret->cap, ret->cap) < 0) {
				free(vals);
				return -ENOMEM;
			}
		if (bpf_map_lookup_batch(fd, first ? NULL : &in, &out, ret->k + ret->n, vals, &c,
					 &o) < 0)
			e = errno;
		if (e && batch_missing(e) && first)
			break; /* no batch lookup here: one key at a time */
		ret->n += c;
		if (e == ENOENT) {
			free(vals);
			return 0; /* the end */
		}
		if (e) {
			free(vals);
			return -e;
		}
		in = out;
		first = 0;
	}
	free(vals);
	if (bpf_map_get_next_key(fd, NULL, &next) < 0)
		return 0;
	do {
		k = next;
		r = keys_push(ret, k);
	} while (r == 0 && bpf_map_get_next_key(fd, &k, &next) == 0);
	return r;
}

/* Nothing in it yet (a map just created): nothing can be stale after a
 * fill, and reading it back is skipped. */
static bool map_empty(int fd)
{
	struct pf_key k;

	return bpf_map_get_next_key(fd, NULL, &k) < 0 && errno == ENOENT;
}

static int key_cmp(const void *x, const void *y)
{
	const struct pf_key *a = x, *b = y;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->ino < b->ino ? -1 : a->ino > b->ino;
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

/* The rules of @r into the map, in batches. */
static int fill_rules(int fd, const struct pf_resolved *r, struct pf_err *err)
{
	struct pf_key *keys = malloc((r->n ? r->n : 1) * sizeof(*keys));
	struct pf_rule *vals = malloc((r->n ? r->n : 1) * sizeof(*vals));
	size_t done = 0;
	int ret = -ENOMEM;

	if (keys && vals) {
		for (size_t i = 0; i < r->n; i++) {
			keys[i] = r->e[i].key;
			vals[i] = (struct pf_rule){ .kind = r->e[i].kind, .rule_id = r->e[i].rule_id };
		}
		ret = map_fill(fd, keys, sizeof(*keys), vals, sizeof(*vals), r->n, &done);
	}
	if (ret < 0)
		pf_err_set(err, "rules update (%zu of %zu written): %s%s", done, r->n, strerror(-ret),
			   ret == -E2BIG ? " (limit: 1,048,576 entries)" : "");
	free(keys);
	free(vals);
	return ret;
}

int maps_apply_rules(struct agent *a, const struct pf_resolved *r, struct pf_err *err)
{
	int rfd = bpf_map__fd(a->k.maps.rules);
	int sfd = bpf_map__fd(a->k.maps.protected_sbs);
	struct keys have = { 0 };
	bool was_empty = map_empty(rfd);
	int ret;

	for (size_t i = 0; i < r->n_sbs; i++) {
		if (bpf_map_update_elem(sfd, &r->sbs[i].dev, &r->sbs[i].count, BPF_ANY) < 0) {
			ret = -errno;
			pf_err_set(err, "protected_sbs update: %s", strerror(errno));
			return ret;
		}
	}
	ret = fill_rules(rfd, r, err);
	if (ret < 0)
		return ret;
	/* the map's entries that @r no longer has */
	ret = was_empty ? 0 : map_keys(rfd, sizeof(struct pf_rule), &have);
	for (size_t i = 0; ret == 0 && i < have.n; i++)
		if (!pf_resolved_find(r, have.k[i].dev, have.k[i].ino))
			bpf_map_delete_elem(rfd, &have.k[i]);
	free(have.k);
	if (ret < 0) {
		pf_err_set(err, "rules: reading the map: %s", strerror(-ret));
		return ret;
	}
	drop_stale_sbs(sfd, r);
	/* Cached verdicts were computed against the old rules. */
	ret = config_bump_gen(a);
	if (ret < 0)
		pf_err_set(err, "config update: %s", strerror(-ret));
	return ret;
}

/* Is @dir ("/a/b") a directory above @path ("/a/b/c"), or "/"? */
static bool is_above(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(dir, path, n) == 0 && path[n] == '/';
}

/* Adds every ancestor directory of @path, up to "/", to @want (stat() of
 * each prefix gives the top mount's root where something is mounted).
 * Those above @prev (the path walked before) were added with it: the walk
 * stops there. */
static int guard_ancestors(const char *path, const char *prev, struct keys *want)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return 0;
	strcpy(buf, path);
	for (;;) {
		char *slash = strrchr(buf, '/');
		struct stat st;

		if (!slash)
			break;
		if (slash == buf)
			slash[1] = '\0'; /* "/" itself */
		else
			*slash = '\0';
		if (prev && is_above(buf, prev))
			break;
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode) &&
		    keys_push(want, (struct pf_key){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino }) < 0)
			return -ENOMEM;
		if (strcmp(buf, "/") == 0)
			break;
	}
	return 0;
}

/* Sorted, each key once. */
static void keys_sort_unique(struct keys *s)
{
	size_t w = 0;

	if (!s->n)
		return;
	qsort(s->k, s->n, sizeof(*s->k), key_cmp);
	for (size_t i = 1; i < s->n; i++)
		if (key_cmp(&s->k[w], &s->k[i]) != 0)
			s->k[++w] = s->k[i];
	s->n = w + 1;
}

int maps_apply_guards(struct agent *a, struct pf_err *err)
{
	int gfd = bpf_map__fd(a->k.maps.guards), r = 0;
	struct keys want = { 0 }, have = { 0 };
	const char *last = NULL;
	uint32_t *ones = NULL;
	bool was_empty = map_empty(gfd);
	size_t done = 0;

	for (size_t i = 0; r == 0 && i < a->pol->n_rules; i++) {
		const struct pf_policy_rule *rule = &a->pol->rules[i];

		if (rule->kind != PF_RULE_PROTECT)
			continue;
		r = guard_ancestors(rule->path, last, &want);
		if (strlen(rule->path) < PATH_MAX)
			last = rule->path; /* walked: its ancestors are in @want */
	}
	keys_sort_unique(&want);
	if (r == 0 && !(ones = malloc((want.n ? want.n : 1) * sizeof(*ones))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < want.n; i++)
		ones[i] = 1;
	if (r == 0) {
		r = map_fill(gfd, want.k, sizeof(*want.k), ones, sizeof(*ones), want.n, &done);
		if (r < 0)
			pf_err_set(err, "guards update (%zu of %zu ancestor directories written): %s%s",
				   done, want.n, strerror(-r),
				   r == -E2BIG ? " (limit: 65,536 ancestor directories)" : "");
	}
	if (r == 0 && !was_empty) {
		r = map_keys(gfd, sizeof(uint32_t), &have);
		for (size_t i = 0; r == 0 && i < have.n; i++)
			if (!bsearch(&have.k[i], want.k, want.n, sizeof(*want.k), key_cmp))
				bpf_map_delete_elem(gfd, &have.k[i]);
		if (r < 0)
			pf_err_set(err, "guards: reading the map: %s", strerror(-r));
	}
	free(ones);
	free(want.k);
	free(have.k);
	if (r == -ENOMEM)
		pf_err_set(err, "guards: %s", strerror(ENOMEM));
	return r;
}

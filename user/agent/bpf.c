/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BPF side of the agent's life: the kernel can run it (BPF LSM
 * active, bpffs, the features of PF_KERNEL_MIN), the build that fits it
 * (kernel.h), the programs whose hook this kernel has in the shape they
 * were written for, loading onto the pinned maps, attaching, and the
 * pinned link sets that keep enforcement alive while no agent runs. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "kernel.h"
#include "permafrost.skel.h"
#include "permafrost_compat.skel.h"
#include "util.h"

#define LSM_LIST "/sys/kernel/security/lsm"
#define BPFFS "/sys/fs/bpf"

/* The two builds of bpf/permafrost.bpf.c (bpf/compat.bpf.h): the same
 * programs, maps and decisions; the compat one walks without bpf_loop. */
struct pf_build {
	const char *name;
	void *(*open)(const struct bpf_object_open_opts *opts);
	void (*destroy)(void *skel);
};

/* Every generated skeleton starts with these two. */
struct skel_head {
	struct bpf_object_skeleton *skeleton;
	struct bpf_object *obj;
};

static void *open_main(const struct bpf_object_open_opts *o)
{
	return permafrost_bpf__open_opts(o);
}

static void destroy_main(void *s)
{
	permafrost_bpf__destroy(s);
}

static void *open_compat(const struct bpf_object_open_opts *o)
{
	return permafrost_compat_bpf__open_opts(o);
}

static void destroy_compat(void *s)
{
	permafrost_compat_bpf__destroy(s);
}

static const struct pf_build build_main = { "main", open_main, destroy_main };
static const struct pf_build build_compat = { "compat", open_compat, destroy_compat };

/* Programs written for one shape of a hook whose arguments changed
 * across the kernels we run on: loaded only where the kernel's
 * bpf_lsm_<hook> has @nargs arguments. */
static const struct variant {
	const char *prog, *hook;
	int nargs;
} variants[] = {
	{ "inode_setattr_v1", "inode_setattr", 2 },         /* < 6.3: no idmap */
	{ "inode_setattr_v2", "inode_setattr", 3 },
	{ "path_rename_v1", "path_rename", 4 },             /* < 5.19: no flags */
	{ "path_rename", "path_rename", 5 },
	{ "inode_setxattr_v1", "inode_setxattr", 5 },       /* < 5.12: no userns */
	{ "inode_setxattr", "inode_setxattr", 6 },
	{ "inode_removexattr_v1", "inode_removexattr", 2 }, /* < 5.12 */
	{ "inode_removexattr", "inode_removexattr", 3 },
};

/* Reads the kernel's BTF and refuses a kernel below PF_KERNEL_MIN with
 * the feature it lacks; keeps the BTF for fit_programs. */
static int probe_kernel(struct agent *a, struct pf_err *err)
{
	struct utsname u;
	const char *missing;

	uname(&u);
	a->k.btf = btf__load_vmlinux_btf();
	if (!a->k.btf) {
		int r = -errno;

		pf_err_set(err, "kernel %s: cannot read its BTF (/sys/kernel/btf/vmlinux: %s); "
				"Permafrost needs Linux " PF_KERNEL_MIN " or newer built with "
				"CONFIG_DEBUG_INFO_BTF=y",
			   u.release, strerror(-r));
		return r;
	}
	pf_kernel_probe(a->k.btf, &a->k.features);
	missing = pf_kernel_missing(&a->k.features);
	if (missing) {
		pf_err_set(err, "kernel %s: Permafrost needs Linux " PF_KERNEL_MIN " or newer; "
				"this kernel lacks %s",
			   u.release, missing);
		return -ENOTSUP;
	}
	return 0;
}

int check_kernel(struct agent *a, struct pf_err *err)
{
	char *buf = NULL, *copy, *tok, *save = NULL;
	int r, found = 0;
	size_t len;

	r = probe_kernel(a, err);
	if (r < 0)
		return r;
	r = pf_read_file(LSM_LIST, 4096, &buf, &len);
	if (r < 0) {
		pf_err_set(err, "cannot read " LSM_LIST " (%s): mount securityfs with "
			 "`mount -t securityfs securityfs /sys/kernel/security`",
			 strerror(-r));
		return r;
	}
	while (len && buf[len - 1] == '\n')
		buf[--len] = 0;
	copy = strdup(buf);
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
		found |= strcmp(tok, "bpf") == 0;
	free(copy);
	if (!found) {
		pf_err_set(err, "BPF LSM is not active (active LSMs: %s). Add bpf to the kernel command "
			 "line, e.g. lsm=%s,bpf, and reboot",
			 buf, buf);
		free(buf);
		return -ENOTSUP;
	}
	free(buf);
	if (access(BPFFS, F_OK) < 0) {
		pf_err_set(err, BPFFS " is missing: mount bpffs with "
					   "`mount -t bpf bpf " BPFFS "`");
		return -ENOENT;
	}
	return 0;
}

/* The programs this kernel gets: a variant where the hook's arguments
 * match it, any other program where its hook exists. Hooks left without
 * a program, other than the covered ones, are named in
 * a->k.unenforced: the agent runs, and says so (status, doctor, the
 * agent-start record). */
static void fit_programs(struct agent *a, struct bpf_object *obj, const struct btf *btf)
{
	char *un = a->k.unenforced;
	struct bpf_program *p;

	un[0] = 0;
	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p), *hook;
		const struct variant *v = NULL;
		int n, load, others = 0;

		if (strncmp(sec, "lsm/", 4) != 0)
			continue;
		hook = sec + 4;
		for (size_t i = 0; i < PF_ARRAY_SIZE(variants); i++) {
			if (strcmp(variants[i].hook, hook) != 0)
				continue;
			others = 1;
			if (strcmp(variants[i].prog, bpf_program__name(p)) == 0)
				v = &variants[i];
		}
		n = pf_kernel_hook_args(btf, &a->k.features, hook);
		load = v ? n == v->nargs : !others && n >= 0;
		bpf_program__set_autoload(p, load);
		if (load)
			continue;
		/* a variant not loaded is fine if a sibling fits */
		if (v) {
			int fits = 0;

			for (size_t i = 0; i < PF_ARRAY_SIZE(variants); i++)
				fits |= strcmp(variants[i].hook, hook) == 0 && variants[i].nargs == n;
			if (fits)
				continue;
		} else {
			if (pf_kernel_covered(hook))
				continue;
		}
		if (strstr(un, hook))
			continue;
		snprintf(un + strlen(un), sizeof(a->k.unenforced) - strlen(un), "%s%s",
			 un[0] ? " " : "", hook);
	}
}

/* The maps by their names in bpf/maps.bpf.h. */
static int find_maps(struct agent *a, struct bpf_object *obj, struct pf_err *err)
{
	static const struct {
		const char *name;
		size_t off;
	} m[] = {
		{ "pf_config_map", offsetof(struct agent_maps, config) },
		{ "rules", offsetof(struct agent_maps, rules) },
		{ "protected_sbs", offsetof(struct agent_maps, protected_sbs) },
		{ "guards", offsetof(struct agent_maps, guards) },
		{ "events", offsetof(struct agent_maps, events) },
		{ "approvals", offsetof(struct agent_maps, approvals) },
		{ "lost", offsetof(struct agent_maps, lost) },
		{ "counters", offsetof(struct agent_maps, counters) },
		{ "schedule", offsetof(struct agent_maps, schedule) },
	};

	for (size_t i = 0; i < PF_ARRAY_SIZE(m); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, m[i].name);

		if (!map) {
			pf_err_set(err, "the BPF object has no map %s", m[i].name);
			return -ENOENT;
		}
		*(struct bpf_map **)((char *)&a->k.maps + m[i].off) = map;
	}
	return 0;
}

/* The config flags that say which programs this kernel got. */
static void set_kernel_flags(struct pf_config *c, const void *data)
{
	const struct bpf_object *obj = data;
	const struct bpf_program *chown = bpf_object__find_program_by_name(obj, "path_chown");

	c->flags = chown && !bpf_program__autoload(chown) ? (c->flags | PF_CFG_SETATTR_IDS)
							   : (c->flags & ~PF_CFG_SETATTR_IDS);
}

int open_bpf(struct agent *a, struct pf_err *err)
{
	/* -vv: the verifier's statistics of every program (time, processed
	 * instructions), through libbpf's debug output */
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kernel_log_level = pf_verbose > 1 ? 4 : 0);
	const struct pf_build *b = pf_kernel_compat(&a->k.features) ? &build_compat : &build_main;
	struct skel_head *s = b->open(&oo);
	int r;

	if (!s) {
		r = -errno;
		pf_err_set(err, "cannot open the BPF object (%s build): %s", b->name, strerror(-r));
		return r;
	}
	fit_programs(a, s->obj, a->k.btf);
	r = find_maps(a, s->obj, err);
	if (r < 0) {
		b->destroy(s);
		memset(&a->k.maps, 0, sizeof(a->k.maps));
		return r;
	}
	bpf_map__set_max_entries(a->k.maps.rules, PF_MAX_ENTRIES);
	bpf_map__set_max_entries(a->k.maps.protected_sbs, PF_MAX_SBS);
	bpf_map__set_max_entries(a->k.maps.events, (uint32_t)a->pol->ringbuf_size);
	a->k.build = b;
	a->k.skel = s;
	a->k.sk = s->skeleton;
	a->k.obj = s->obj;
	return 0;
}

int load_bpf(struct agent *a, struct pf_err *err)
{
	const struct pf_build *b;
	int r = open_bpf(a, err);

	if (r < 0)
		return r;
	b = a->k.build;
	r = pf_self_pin_maps(&a->k.self, a->k.obj, NULL, err);
	if (r < 0)
		goto fail;
	a->k.load_ns = pf_clock_ns(CLOCK_MONOTONIC);
	r = bpf_object__load_skeleton(a->k.sk);
	a->k.load_ns = pf_clock_ns(CLOCK_MONOTONIC) - a->k.load_ns;
	if (r) {
		pf_err_set(err, "cannot load the BPF programs (%s build): %s (run with -v for "
				"the verifier log)",
			   b->name, strerror(-r));
		goto fail;
	}
	btf__free(a->k.btf);
	a->k.btf = NULL;
	a->k.n_loaded = 0;
	for (int i = 0; i < a->k.sk->prog_cnt; i++)
		a->k.n_loaded += bpf_program__autoload(*a->k.sk->progs[i].prog);
	if (a->k.unenforced[0])
		warnx_("this kernel has no hook of the shape our programs need for: %s; "
		       "those routes are NOT enforced (permafrost doctor)",
		       a->k.unenforced);
	r = pf_config_edit(bpf_map__fd(a->k.maps.config), set_kernel_flags, a->k.obj);
	if (r < 0) {
		pf_err_set(err, "config update: %s", strerror(-r));
		return r;
	}
	return pf_self_setup(&a->k.self, a->k.obj, a->pol->lock_kernel, a->pol->self_protect, err);
fail:
	unload_bpf(a);
	a->k.build = NULL;
	return r;
}

void unload_bpf(struct agent *a)
{
	if (a->k.skel)
		a->k.build->destroy(a->k.skel);
	a->k.skel = NULL;
	a->k.sk = NULL;
	a->k.obj = NULL;
	memset(&a->k.maps, 0, sizeof(a->k.maps));
	btf__free(a->k.btf);
	a->k.btf = NULL;
}

const char *bpf_build_name(const struct agent *a)
{
	return a->k.build ? a->k.build->name : "none";
}

/* Links are pinned in bpffs so that enforcement, and the kernel's own
 * approval expiry, outlive the agent: a crash, kill or stop fails closed.
 * A previous agent's link sets are found at start and removed only after
 * ours are attached and the maps filled: no window in which nothing is
 * enforced. */
void find_old_pins(struct agent *a)
{
	DIR *d = opendir(a->paths.pin_dir);
	struct dirent *de;

	a->k.n_old_sets = 0;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "links-", 6) != 0 || a->k.n_old_sets >= PF_MAX_OLD_SETS)
			continue;
		snprintf(a->k.old_sets[a->k.n_old_sets++], sizeof(a->k.old_sets[0]), "%s/%s",
			 a->paths.pin_dir, de->d_name);
	}
	if (d)
		closedir(d);
	/* bpffs refuses dots in names */
	snprintf(a->k.pin_set, sizeof(a->k.pin_set), "%s/links-%d", a->paths.pin_dir, (int)getpid());
}

void remove_pins(const char *dir)
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

static int attach_bpf(struct agent *a, struct pf_err *err)
{
	struct bpf_object_skeleton *sk = a->k.sk;
	int r = bpf_object__attach_skeleton(sk);

	if (r) {
		pf_err_set(err, "cannot attach the LSM programs: %s", strerror(-r));
		return r;
	}
	r = pf_mkdir_p(a->k.pin_set, 0700);
	if (r < 0) {
		pf_err_set(err, "%s: %s (%s)", a->k.pin_set, strerror(-r), pf_self_pin_hint(-r));
		return r;
	}
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_link *l = *sk->progs[i].link;
		char path[600];

		if (!l)
			continue;
		snprintf(path, sizeof(path), "%s/%s", a->k.pin_set, sk->progs[i].name);
		r = bpf_link__pin(l, path);
		if (r) {
			pf_err_set(err, "pinning %s: %s", path, strerror(-r));
			return r;
		}
	}
	/* Ours are in force: the previous sets can go. */
	for (size_t i = 0; i < a->k.n_old_sets; i++)
		remove_pins(a->k.old_sets[i]);
	a->k.n_old_sets = 0;
	return 0;
}

/* A previous agent's complete set of this very build is adopted as it is
 * (no second copy); anything else is replaced by a new, complete set,
 * attached before the old links go. An incomplete set means someone
 * removed pins: reported as tamper, and repaired. */
int adopt_or_attach(struct agent *a, struct pf_err *err)
{
	int64_t t0 = pf_clock_ns(CLOCK_MONOTONIC);
	int r;

	for (size_t i = 0; i < a->k.n_old_sets; i++) {
		int st = pf_self_set_status(&a->k.self, a->k.obj, a->k.old_sets[i]);

		if (st == 1 && a->k.n_old_sets == 1) {
			snprintf(a->k.pin_set, sizeof(a->k.pin_set), "%s", a->k.old_sets[i]);
			a->k.n_old_sets = 0;
			log_record(a, "agent-adopt", F_STR("links", a->k.pin_set),
				   F_STR("maps", a->k.self.maps_dir));
			a->k.adopted = 1;
			a->k.attach_ns = pf_clock_ns(CLOCK_MONOTONIC) - t0;
			return 0;
		}
		if (st < 0) {
			log_record(a, "tamper", F_STR("op", "pins"),
				   F_STR("reason",
					 "pinned link set incomplete; attaching a complete new set"));
			warnx_("%s: pinned link set incomplete (tamper); attaching a complete new set",
			       a->k.old_sets[i]);
		}
	}
	r = attach_bpf(a, err);
	a->k.attach_ns = pf_clock_ns(CLOCK_MONOTONIC) - t0;
	return r;
}

/* Of the programs attached, how many have their link pinned in our set. */
unsigned pinned_links(struct agent *a, unsigned *ret_expected)
{
	struct bpf_object_skeleton *sk = a->k.sk;
	unsigned expected = 0, present = 0;

	for (int i = 0; i < sk->prog_cnt; i++) {
		char path[600];

		if (!*sk->progs[i].link)
			continue;
		expected++;
		snprintf(path, sizeof(path), "%s/%s", a->k.pin_set, sk->progs[i].name);
		if (access(path, F_OK) == 0)
			present++;
	}
	*ret_expected = expected;
	return present;
}

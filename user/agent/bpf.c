/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BPF side of the agent's life: the kernel can run it (BPF LSM
 * active, bpffs), the object fits this kernel (BTF probing of the hooks
 * whose signature or presence differs), loading onto the pinned maps,
 * attaching, and the pinned link sets that keep enforcement alive while no
 * agent runs. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "permafrost.skel.h"
#include "util.h"

#define LSM_LIST "/sys/kernel/security/lsm"
#define BPFFS "/sys/fs/bpf"

int check_bpf_lsm(struct pf_err *err)
{
	char *buf = NULL, *copy, *tok, *save = NULL;
	int r, found = 0;
	size_t len;

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

/* Number of parameters of the kernel's bpf_lsm_<hook>, or -ENOENT. */
static int lsm_hook_params(const struct btf *btf, const char *hook)
{
	const struct btf_type *t;
	char name[128];
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

/* Programs loaded only where the kernel's hook has their signature (or
 * exists at all). */
static int fit_to_kernel(struct permafrost_bpf *s, struct pf_err *err)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int np;

	if (!btf) {
		pf_err_set(err, "cannot load kernel BTF (/sys/kernel/btf/vmlinux): %s; "
				     "the kernel needs CONFIG_DEBUG_INFO_BTF=y",
			 strerror(errno));
		return -errno;
	}
	np = lsm_hook_params(btf, "inode_setattr");
	bpf_program__set_autoload(s->progs.inode_setattr_v1, np == 2);
	bpf_program__set_autoload(s->progs.inode_setattr_v2, np == 3);
	bpf_program__set_autoload(s->progs.file_truncate, lsm_hook_params(btf, "file_truncate") > 0);
	bpf_program__set_autoload(s->progs.inode_set_acl, lsm_hook_params(btf, "inode_set_acl") > 0);
	bpf_program__set_autoload(s->progs.inode_remove_acl,
				  lsm_hook_params(btf, "inode_remove_acl") > 0);
	btf__free(btf);
	if (np != 2 && np != 3) {
		pf_err_set(err, "unsupported kernel: bpf_lsm_inode_setattr has %d parameters",
			 np);
		return -ENOTSUP;
	}
	return 0;
}

int load_bpf(struct agent *a, struct pf_err *err)
{
	/* -vv: the verifier's statistics of every program (time, processed
	 * instructions), through libbpf's debug output */
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kernel_log_level = pf_verbose > 1 ? 4 : 0);
	struct permafrost_bpf *s = permafrost_bpf__open_opts(&oo);
	int r;

	if (!s) {
		r = -errno;
		pf_err_set(err, "cannot open the BPF object: %s", strerror(-r));
		return r;
	}
	r = fit_to_kernel(s, err);
	if (r < 0)
		goto fail;
	bpf_map__set_max_entries(s->maps.rules, PF_MAX_ENTRIES);
	bpf_map__set_max_entries(s->maps.protected_sbs, PF_MAX_SBS);
	bpf_map__set_max_entries(s->maps.events, (uint32_t)a->pol->ringbuf_size);
	r = pf_self_pin_maps(&a->k.self, s->obj, NULL, err);
	if (r < 0)
		goto fail;
	r = permafrost_bpf__load(s);
	if (r) {
		pf_err_set(err, "cannot load the BPF programs: %s (run with -v for the "
				     "verifier log)",
			 strerror(-r));
		goto fail;
	}
	a->k.skel = s;
	return pf_self_setup(&a->k.self, s->obj, a->pol->lock_kernel, a->pol->self_protect, err);
fail:
	permafrost_bpf__destroy(s);
	return r;
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
	struct bpf_object_skeleton *sk = a->k.skel->skeleton;
	int r = permafrost_bpf__attach(a->k.skel);

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
	for (size_t i = 0; i < a->k.n_old_sets; i++) {
		int st = pf_self_set_status(&a->k.self, a->k.skel->obj, a->k.old_sets[i]);

		if (st == 1 && a->k.n_old_sets == 1) {
			snprintf(a->k.pin_set, sizeof(a->k.pin_set), "%s", a->k.old_sets[i]);
			a->k.n_old_sets = 0;
			log_record(a, "agent-adopt", F_STR("links", a->k.pin_set),
				   F_STR("maps", a->k.self.maps_dir));
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
	return attach_bpf(a, err);
}

/* Of the programs attached, how many have their link pinned in our set. */
unsigned pinned_links(struct agent *a, unsigned *ret_expected)
{
	struct bpf_object_skeleton *sk = a->k.skel->skeleton;
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

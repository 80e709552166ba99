/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the running kernel offers; see kernel.h. */
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "kernel.h"

/* Does the enum @type of @btf have the value @name? */
static bool enum_has(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);

		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* Does @proto take an argument that is a struct or union by value
 * (kuid_t in path_chown)? */
static bool struct_arg(const struct btf *btf, const struct btf_type *proto)
{
	const struct btf_param *p = btf_params(proto);

	for (unsigned i = 0; i < btf_vlen(proto); i++, p++) {
		const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, p->type));

		if (t && (btf_is_struct(t) || btf_is_union(t)))
			return true;
	}
	return false;
}

int pf_kernel_hook_args(const struct btf *btf, const struct pf_kernel *k, const char *hook)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "bpf_lsm_%s", hook);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t))
		return -1;
	if (k && !k->struct_args && struct_arg(btf, t))
		return -1;
	return btf_vlen(t);
}

void pf_kernel_probe(const struct btf *btf, struct pf_kernel *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->lsm = pf_kernel_hook_args(btf, NULL, "file_open") >= 0;
	ret->ringbuf = enum_has(btf, "bpf_map_type", "BPF_MAP_TYPE_RINGBUF");
	ret->inode_storage = enum_has(btf, "bpf_map_type", "BPF_MAP_TYPE_INODE_STORAGE");
	ret->boot_ns = enum_has(btf, "bpf_func_id", "BPF_FUNC_ktime_get_boot_ns");
	ret->bpf_loop = enum_has(btf, "bpf_func_id", "BPF_FUNC_loop");
	ret->task_btf = enum_has(btf, "bpf_func_id", "BPF_FUNC_get_current_task_btf");
	/* BPF programs on hooks with struct arguments came with 6.1, like
	 * bpf_user_ringbuf_drain: the helper is the probe */
	ret->struct_args = enum_has(btf, "bpf_func_id", "BPF_FUNC_user_ringbuf_drain");
}

const char *pf_kernel_missing(const struct pf_kernel *k)
{
	if (!k->lsm)
		return "BPF LSM hooks (CONFIG_BPF_LSM, 5.7)";
	if (!k->ringbuf)
		return "the BPF ring buffer (BPF_MAP_TYPE_RINGBUF, 5.8)";
	if (!k->boot_ns)
		return "the boot clock for BPF (bpf_ktime_get_boot_ns, 5.8)";
	if (!k->inode_storage)
		return "BPF inode storage (BPF_MAP_TYPE_INODE_STORAGE, 5.10)";
	return NULL;
}

bool pf_kernel_compat(const struct pf_kernel *k)
{
	return !k->bpf_loop || !k->task_btf;
}

/* Hooks newer than some kernels we run on, whose route goes through an
 * older hook Permafrost also attaches to there: absent, yet nothing goes
 * unchecked. */
static const struct {
	const char *hook, *route, *what;
} covered[] = {
	{ "file_truncate", "path_truncate", "ftruncate(2)" },  /* 6.2 */
	{ "inode_set_acl", "inode_setxattr", "POSIX ACL changes" }, /* 6.2 */
	{ "inode_remove_acl", "inode_removexattr", "POSIX ACL removal" },
	{ "path_chown", "inode_setattr", "chown(2)" }, /* kuid_t by value: 6.1 */
};

const char *pf_kernel_covered(const char *hook)
{
	for (size_t i = 0; i < sizeof(covered) / sizeof(covered[0]); i++)
		if (strcmp(covered[i].hook, hook) == 0)
			return covered[i].route;
	return NULL;
}

void pf_kernel_routes(const struct btf *btf, const struct pf_kernel *k, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(covered) / sizeof(covered[0]) && n < size; i++) {
		if (pf_kernel_hook_args(btf, k, covered[i].hook) >= 0)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%sno usable %s hook: %s checked at %s",
				      n ? ", " : "", covered[i].hook, covered[i].what,
				      covered[i].route);
	}
}

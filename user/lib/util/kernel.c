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

int pf_kernel_hook_args(const struct btf *btf, const char *hook)
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
	return btf_vlen(t);
}

void pf_kernel_probe(const struct btf *btf, struct pf_kernel *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->lsm = pf_kernel_hook_args(btf, "file_open") >= 0;
	ret->ringbuf = enum_has(btf, "bpf_map_type", "BPF_MAP_TYPE_RINGBUF");
	ret->inode_storage = enum_has(btf, "bpf_map_type", "BPF_MAP_TYPE_INODE_STORAGE");
	ret->boot_ns = enum_has(btf, "bpf_func_id", "BPF_FUNC_ktime_get_boot_ns");
	ret->bpf_loop = enum_has(btf, "bpf_func_id", "BPF_FUNC_loop");
	ret->task_btf = enum_has(btf, "bpf_func_id", "BPF_FUNC_get_current_task_btf");
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

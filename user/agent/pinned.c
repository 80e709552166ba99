/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One-entry arrays the agent keeps pinned in its pin directory until
 * reboot, across every stop: the audit chain's head (chainhead.c) and the
 * log's outage (outage.c). Only the agent can get an fd of them, in every
 * mode (PF_OWN_ALWAYS: selfprot.bpf.h, own_map_fd), and no BPF program can
 * write them (BPF_F_RDONLY_PROG). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"

/* An existing pin, if it is an array of this layout: its fd. */
static int open_pinned(const char *path, size_t value_size)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.key_size != 4 || info.value_size != value_size || info.max_entries != 1 ||
	    !(info.map_flags & BPF_F_RDONLY_PROG)) {
		close(fd);
		return -EBADMSG;
	}
	return fd;
}

static int create_pinned(const char *path, const char *mapname, const char *name,
			 size_t value_size, struct pf_err *err)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_RDONLY_PROG);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, mapname, 4, (uint32_t)value_size, 1, &o);

	if (fd < 0) {
		pf_err_set(err, "%s: creating its map: %s", name, strerror(errno));
		return -errno;
	}
	if (bpf_obj_pin(fd, path) < 0) {
		int r = -errno;

		pf_err_set(err, "%s: pinning %s: %s", name, path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

/* Registers the map as ours (PF_OWN_ALWAYS) in own_maps. */
static int register_own(struct agent *a, int fd, const char *name, struct pf_err *err)
{
	struct bpf_map *own = bpf_object__find_map_by_name(a->k.obj, "own_maps");
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), how = PF_OWN_ALWAYS;

	if (!own || bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
	    bpf_map_update_elem(bpf_map__fd(own), &info.id, &how, BPF_ANY) < 0) {
		pf_err_set(err, "%s: registering it in own_maps: %s", name,
			   own ? strerror(errno) : "no such map");
		return -EIO;
	}
	return 0;
}

int pinned_own_open(struct agent *a, const char *file, size_t value_size, struct pf_err *err)
{
	char path[600], mapname[BPF_OBJ_NAME_LEN], name[64];
	int fd, r;

	/* "chain-head": the map pf_chain_head, "chain head" in messages */
	snprintf(path, sizeof(path), "%s/%s", a->paths.pin_dir, file);
	snprintf(mapname, sizeof(mapname), "pf_%s", file);
	snprintf(name, sizeof(name), "%s", file);
	for (char *c = mapname; *c; c++)
		*c = *c == '-' ? '_' : *c;
	for (char *c = name; *c; c++)
		*c = *c == '-' ? ' ' : *c;
	fd = open_pinned(path, value_size);
	if (fd == -EBADMSG) {
		warnx_("%s: %s is not a %s of this version; replacing it", name, path, name);
		unlink(path);
	}
	if (fd < 0)
		fd = create_pinned(path, mapname, name, value_size, err);
	if (fd < 0)
		return fd;
	r = register_own(a, fd, name, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

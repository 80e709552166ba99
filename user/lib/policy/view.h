/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's view of the policy's paths, checked against the freeze in
 * force.
 *
 * The agent resolves paths in its own mount namespace, which systemd
 * builds for it at every start. A drop-in for its unit (BindPaths=,
 * TemporaryFileSystem=, RootDirectory=) or a mount made in that namespace
 * could show it other objects than the host has, and a freeze re-resolved
 * there would protect the stand-ins and drop the real objects. So, while
 * frozen, a re-resolution must find each path where the freeze in force
 * found it: STATE_DIR/view records the (device, inode) of every policy
 * path (and of Permafrost's own files) at each resolution; a path whose
 * object the kernel protects and that now resolves to another object is
 * refused, unless the kernel protects that other object too (an approved
 * replacement: the kernel hands the rule on at the rename, and the agent
 * re-resolves a second later). Paths the kernel does not protect (a policy
 * that does not protect itself, `self-protect no`) may change freely.
 * The agent compares only where a freeze is in force in the kernel: a
 * restart onto pinned maps, or a re-resolution while it runs; not at a
 * boot, where device numbers may have changed. */
#ifndef PF_VIEW_H
#define PF_VIEW_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define PF_VIEW_FILE "view"
/* Caps on what the file may hold: one line per policy rule (the policy
 * holds at most 200,000) plus a few. */
#define PF_VIEW_MAX_ROOTS 250000
#define PF_VIEW_MAX_BYTES (64 << 20)

struct pf_view_root {
	char *path;
	uint64_t dev; /* kernel encoding (pf_kdev) */
	uint64_t ino;
};

struct pf_view {
	char boot_id[64];
	struct pf_view_root *r;
	size_t n, cap;
};

struct pf_view *pf_view_new(const char *boot_id);
void pf_view_free(struct pf_view *v);

/* Adds @path with the identity lstat() gives it here; a path that does
 * not exist is skipped (0). -errno on other errors. */
int pf_view_add(struct pf_view *v, const char *path);
/* Adds @path with an identity already taken by lstat() (the resolution's,
 * pf_resolved.rule_keys): no second system call per policy path. */
int pf_view_add_known(struct pf_view *v, const char *path, uint64_t dev, uint64_t ino);

/* "v1 BOOT_ID\n" then "DEV INO PATH\n" lines; written atomically. */
int pf_view_save(const struct pf_view *v, const char *file);
/* -ENOENT when there is none; -EINVAL (with @err naming the line) when
 * damaged. */
int pf_view_load(const char *file, struct pf_view **ret, struct pf_err *err);

/* Does the kernel protect (dev, ino) already? */
typedef int (*pf_view_known_fn)(uint64_t dev, uint64_t ino, void *data);

/* 0 when @now agrees with @before: every path in both whose old object
 * @known protects has the same identity now, or one @known protects too. Otherwise -ESTALE with @err
 * naming the first path that moved. */
int pf_view_compare(const struct pf_view *before, const struct pf_view *now,
		    pf_view_known_fn known, void *data, struct pf_err *err);

#endif

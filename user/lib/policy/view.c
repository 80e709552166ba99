/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's view of the policy's paths; see view.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "util.h"
#include "view.h"

struct pf_view *pf_view_new(const char *boot_id)
{
	struct pf_view *v = calloc(1, sizeof(*v));

	if (v)
		snprintf(v->boot_id, sizeof(v->boot_id), "%s", boot_id);
	return v;
}

void pf_view_free(struct pf_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->r[i].path);
	free(v->r);
	free(v);
}

static int push(struct pf_view *v, const char *path, uint64_t dev, uint64_t ino)
{
	if (v->n == PF_VIEW_MAX_ROOTS)
		return -E2BIG;
	if (PF_ARRAY_GROW(v->r, v->cap, v->n) < 0)
		return -ENOMEM;
	v->r[v->n].path = strdup(path);
	if (!v->r[v->n].path)
		return -ENOMEM;
	v->r[v->n].dev = dev;
	v->r[v->n].ino = ino;
	v->n++;
	return 0;
}

int pf_view_add(struct pf_view *v, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	return push(v, path, pf_kdev(st.st_dev), st.st_ino);
}

int pf_view_add_known(struct pf_view *v, const char *path, uint64_t dev, uint64_t ino)
{
	return push(v, path, dev, ino);
}

int pf_view_save(const struct pf_view *v, const char *file)
{
	struct pf_buf b;
	int r;

	pf_buf_init(&b);
	pf_buf_printf(&b, "v1 %s\n", v->boot_id);
	for (size_t i = 0; i < v->n; i++)
		pf_buf_printf(&b, "%" PRIu64 " %" PRIu64 " %s\n", v->r[i].dev, v->r[i].ino,
			      v->r[i].path);
	r = b.oom ? -ENOMEM : pf_write_file_atomic(file, b.data, b.len, 0600);
	pf_buf_free(&b);
	return r;
}

int pf_view_load(const char *file, struct pf_view **ret, struct pf_err *err)
{
	char *buf = NULL, *line, *save = NULL, boot[64];
	struct pf_view *v = NULL;
	size_t len, lineno = 1;
	int r;

	r = pf_read_file(file, PF_VIEW_MAX_BYTES, &buf, &len);
	if (r < 0) {
		if (r != -ENOENT)
			pf_err_set(err, "%s: %s", file, strerror(-r));
		return r;
	}
	line = strtok_r(buf, "\n", &save);
	if (!line || sscanf(line, "v1 %63s", boot) != 1) {
		pf_err_set(err, "%s:1: not \"v1 BOOT_ID\"", file);
		r = -EINVAL;
		goto out;
	}
	v = pf_view_new(boot);
	if (!v) {
		r = -ENOMEM;
		goto out;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		uint64_t dev, ino;
		int n = 0;

		lineno++;
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %n", &dev, &ino, &n) != 2 || !n ||
		    line[n] != '/') {
			pf_err_set(err, "%s:%zu: not \"DEV INO /PATH\"", file, lineno);
			r = -EINVAL;
			goto out;
		}
		r = push(v, line + n, dev, ino);
		if (r < 0) {
			pf_err_set(err, "%s:%zu: %s", file, lineno, strerror(-r));
			goto out;
		}
	}
	*ret = v;
	v = NULL;
	r = 0;
out:
	pf_view_free(v);
	free(buf);
	return r;
}

static int root_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pf_view_root *)a)->path, ((const struct pf_view_root *)b)->path);
}

int pf_view_compare(const struct pf_view *before, const struct pf_view *now,
		    pf_view_known_fn known, void *data, struct pf_err *err)
{
	struct pf_view_root *sorted;

	if (!now->n || !before->n)
		return 0;
	sorted = malloc(before->n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, before->r, before->n * sizeof(*sorted));
	qsort(sorted, before->n, sizeof(*sorted), root_cmp);
	for (size_t i = 0; i < now->n; i++) {
		const struct pf_view_root *n = &now->r[i], *b;

		b = bsearch(n, sorted, before->n, sizeof(*sorted), root_cmp);
		if (!b || (b->dev == n->dev && b->ino == n->ino) || !known(b->dev, b->ino, data) ||
		    known(n->dev, n->ino, data))
			continue;
		pf_err_set(err, "%s is %u:%u inode %" PRIu64 " here, but %u:%u inode %" PRIu64
			 " in the freeze in force: this agent's mount namespace shows another "
			 "object (a mount over it, or a drop-in of its unit with BindPaths=, "
			 "TemporaryFileSystem= or RootDirectory=)",
			 n->path, (unsigned)(n->dev >> 20), (unsigned)(n->dev & 0xfffff), n->ino,
			 (unsigned)(b->dev >> 20), (unsigned)(b->dev & 0xfffff), b->ino);
		free(sorted);
		return -ESTALE;
	}
	free(sorted);
	return 0;
}

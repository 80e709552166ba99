/* The agent's view of the policy's paths (view.h): saved and loaded
 * exactly, a path that moved to another object refused with its name,
 * unless the kernel already protects the new object. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tap.h"
#include "util.h"
#include "view.h"

static char dir[64];
static uint64_t vouched_ino;

static uint64_t protected_ino[4];

/* The kernel protects the objects of protected_ino[] and vouched_ino. */
static int known(uint64_t dev, uint64_t ino, void *data)
{
	(void)dev;
	(void)data;
	for (int i = 0; i < 4; i++)
		if (protected_ino[i] && protected_ino[i] == ino)
			return 1;
	return ino == vouched_ino;
}

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		exit(2);
}

static char *path(const char *name)
{
	static char p[4][256];
	static int k;
	char *b = p[k++ % 4];

	snprintf(b, 256, "%s/%s", dir, name);
	return b;
}

int main(void)
{
	struct pf_view *a, *b, *l = NULL;
	struct pf_err err = { "" };
	char file[256];
	struct stat st;
	int r;

	snprintf(dir, sizeof(dir), "/tmp/pf-view-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	put("a.conf", "a");
	put("b.conf", "b");
	a = pf_view_new("boot-1");
	TAP_OK(pf_view_add(a, path("a.conf")) == 0 && pf_view_add(a, path("b.conf")) == 0,
	       "two existing paths recorded");
	TAP_OK(pf_view_add(a, path("missing")) == 0 && a->n == 2, "a missing path is skipped");
	snprintf(file, sizeof(file), "%s/view", dir);
	TAP_OK(pf_view_save(a, file) == 0, "saved");
	r = pf_view_load(file, &l, &err);
	TAP_OK(r == 0 && l && l->n == 2 && !strcmp(l->boot_id, "boot-1") &&
		       !strcmp(l->r[1].path, path("b.conf")) && l->r[1].ino == a->r[1].ino,
	       "loaded back exactly (%s)", err.msg);

	protected_ino[0] = a->r[0].ino;
	protected_ino[1] = a->r[1].ino;
	/* the same objects: agree */
	b = pf_view_new("boot-1");
	pf_view_add(b, path("a.conf"));
	pf_view_add(b, path("b.conf"));
	TAP_OK(pf_view_compare(l, b, known, NULL, &err) == 0, "same objects: agree");
	pf_view_free(b);

	/* b.conf replaced by another inode (what a mount over it shows) */
	put("c.conf", "c");
	if (rename(path("c.conf"), path("b.conf")) < 0 || stat(path("b.conf"), &st) < 0)
		return 2;
	b = pf_view_new("boot-1");
	pf_view_add(b, path("a.conf"));
	pf_view_add(b, path("b.conf"));
	r = pf_view_compare(l, b, known, NULL, &err);
	TAP_OK(r == -ESTALE, "another object at b.conf: refused (%d)", r);
	TAP_OK(strstr(err.msg, path("b.conf")) && strstr(err.msg, "in the freeze in force") &&
		       strstr(err.msg, "mount namespace"),
	       "the message names the path and why: %s", err.msg);
	vouched_ino = st.st_ino;
	TAP_OK(pf_view_compare(l, b, known, NULL, &err) == 0,
	       "the kernel protects the new object (an approved replacement): agree");
	vouched_ino = 0;
	protected_ino[1] = 0;
	TAP_OK(pf_view_compare(l, b, known, NULL, &err) == 0,
	       "the old object was not protected (self-protect no): may change freely");
	protected_ino[1] = l->r[1].ino;
	pf_view_free(b);

	/* a path that is new in the policy: nothing to compare it with */
	b = pf_view_new("boot-2");
	put("d.conf", "d");
	pf_view_add(b, path("a.conf"));
	pf_view_add(b, path("d.conf"));
	TAP_OK(pf_view_compare(l, b, known, NULL, &err) == 0,
	       "a path the freeze in force did not have: not compared");
	pf_view_free(b);

	/* damaged files */
	put("view", "v1 boot-1\n12 34 /x\n12 zz /y\n");
	pf_view_free(l);
	l = NULL;
	r = pf_view_load(file, &l, &err);
	TAP_OK(r == -EINVAL && !l && strstr(err.msg, "view:3:"), "a damaged line is named: %s", err.msg);
	put("view", "v2 x\n");
	r = pf_view_load(file, &l, &err);
	TAP_OK(r == -EINVAL && strstr(err.msg, ":1:"), "an unknown version: %s", err.msg);
	TAP_OK(pf_view_load(path("none"), &l, &err) == -ENOENT, "no file: -ENOENT");

	pf_view_free(a);
	snprintf(file, sizeof(file), "rm -rf %s", dir);
	if (system(file) != 0)
		return 2;
	return TAP_DONE();
}

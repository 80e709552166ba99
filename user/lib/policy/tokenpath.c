/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A token's path judged by its object; see tokenpath.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "tokenpath.h"
#include "util.h"

/* Levels walked up from the object (the kernel's own walk goes as far). */
#define WALK_MAX 4096

/* The same as openat2's RESOLVE_NO_SYMLINKS, one component at a time,
 * where openat2 is refused (a seccomp filter without it). */
static int open_walk(const char *path)
{
	char buf[PATH_MAX], *save = NULL, *c, *next;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%s", path);
	for (c = strtok_r(buf, "/", &save); c; c = next) {
		struct stat st;
		int nfd = openat(fd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		next = strtok_r(NULL, "/", &save);
		close(fd);
		if (nfd < 0)
			return -errno;
		if (next && (fstat(nfd, &st) < 0 || S_ISLNK(st.st_mode))) {
			close(nfd);
			return -ELOOP;
		}
		fd = nfd;
	}
	return fd;
}

/* @path opened without following any symbolic link but a final one. */
static int open_nofollow(const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return open_walk(path);
	return fd < 0 ? -errno : (int)fd;
}

/* The first component of @path that is a symbolic link, into @why. */
static void name_link(const char *path, struct pf_err *why)
{
	char prefix[PATH_MAX], target[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	for (size_t i = 1; i <= n && i < sizeof(prefix); i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		memcpy(prefix, path, i);
		prefix[i] = 0;
		if (lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode)) {
			ssize_t t = readlink(prefix, target, sizeof(target) - 1);

			target[t > 0 ? t : 0] = 0;
			pf_err_set(why, "%s is a symbolic link (to %s): name the object by its own "
					"path", prefix, target);
			return;
		}
	}
	pf_err_set(why, "a component is a symbolic link: name the object by its own path");
}

/* The root, within its filesystem, of mount @id ("/" for a whole
 * filesystem, the subtree for a bind mount) and where it is mounted; ""
 * if not found. */
static void mount_root(uint64_t id, char *root, char *point, size_t size)
{
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	root[0] = point[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long mid;
		char r[4096], m[4096];

		if (sscanf(line, "%llu %*u %*s %4095s %4095s", &mid, r, m) == 3 && mid == id) {
			snprintf(root, size, "%s", r);
			snprintf(point, size, "%s", m);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* A bind mount of a subtree elsewhere on the way: the kernel judges what
 * lies below it by the subtree's own ancestors, which a walk up this path
 * does not see. A directory bound onto itself (systemd's ReadWritePaths=
 * and the like) is no alias. -EXDEV with @why naming it, else 0. */
static int no_bind_mount(const char *path, struct pf_err *why)
{
	char prefix[PATH_MAX], root[4096], point[4096];
	size_t n = strlen(path);

	for (size_t i = 1; i <= n && i < sizeof(prefix); i++) {
		struct statx sx;

		if (path[i] != '/' && path[i] != 0)
			continue;
		memcpy(prefix, path, i);
		prefix[i] = 0;
		if (statx(AT_FDCWD, prefix, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0 ||
		    !(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
		    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || !(sx.stx_mask & STATX_MNT_ID))
			continue;
		mount_root(sx.stx_mnt_id, root, point, sizeof(root));
		if (root[0] && strcmp(root, "/") != 0 && strcmp(root, point) != 0)
			return pf_err(why, -EXDEV, "%s is a bind mount of %s on its filesystem: name "
					     "the object by its own path", prefix, root);
	}
	return 0;
}

int pf_token_path_threshold(const struct pf_resolved *r,
			    const char *path, bool subtree, unsigned *ret, struct pf_err *why)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	unsigned best = 0;
	struct stat st;
	int fd;

	if (n >= sizeof(buf))
		return pf_err(why, -ENAMETOOLONG, "path %s is too long", path);
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	fd = open_nofollow(buf);
	if (fd == -ENOENT && !subtree) {
		/* a name to create: its directory decides */
		char *slash = strrchr(buf, '/');

		if (slash == buf)
			slash[1] = 0;
		else
			*slash = 0;
		fd = open_nofollow(buf);
	}
	if (fd == -ELOOP) {
		name_link(buf, why);
		return -ELOOP;
	}
	if (fd < 0)
		return pf_err(why, fd, "%s: %s", buf, strerror(-fd));
	if (no_bind_mount(buf, why) < 0) {
		close(fd);
		return -EXDEV;
	}
	for (int level = 0; level < WALK_MAX && fstat(fd, &st) == 0; level++) {
		const struct pf_entry *e = pf_resolved_find(r, pf_kdev(st.st_dev), st.st_ino);
		struct stat up;
		int pfd;

		if (e && e->approvals > best)
			best = e->approvals;
		if (S_ISDIR(st.st_mode)) {
			pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		} else {
			/* a file has no "..": its directory, by the path (whose
			 * components were checked for links above) */
			char *slash = strrchr(buf, '/');

			if (slash == buf)
				slash[1] = 0;
			else
				*slash = 0;
			pfd = open_nofollow(buf);
		}
		/* up the tree on the same filesystem, as the kernel's walk,
		 * which stops at the filesystem's root */
		if (pfd < 0 || fstat(pfd, &up) < 0 || up.st_dev != st.st_dev ||
		    (up.st_ino == st.st_ino && S_ISDIR(st.st_mode))) {
			if (pfd >= 0)
				close(pfd);
			break;
		}
		close(fd);
		fd = pfd;
	}
	close(fd);
	*ret = best;
	return 0;
}

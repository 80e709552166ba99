/* The inbox spool directory: see inbox.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "inbox.h"
#include "util.h"

enum pf_inbox_name pf_inbox_classify(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || name[0] == '.')
		return PF_INBOX_SKIP;
	if (n >= 4 && strcmp(name + n - 4, ".tmp") == 0)
		return PF_INBOX_SKIP;
	if (strcmp(name, PF_INBOX_ACCEPTED) == 0 || strcmp(name, PF_INBOX_REJECTED) == 0)
		return PF_INBOX_SKIP;
	if (n > PF_INBOX_NAME_MAX)
		return PF_INBOX_TOOLONG;
	return PF_INBOX_HANDLE;
}

int pf_inbox_dest_name(const char *name, unsigned k, char *out, size_t outsz)
{
	size_t n = strnlen(name, PF_INBOX_NAME_MAX);
	int w;

	if (k == 0)
		w = snprintf(out, outsz, "%.*s", (int)n, name);
	else
		w = snprintf(out, outsz, "%.*s.%u", (int)n, name, k);
	if (w < 0 || (size_t)w >= outsz)
		return -ENAMETOOLONG;
	return 0;
}

static int mkdir_checked(int at, const char *path, const char *shown, struct pf_err *err)
{
	struct stat st;

	if (mkdirat(at, path, 0700) < 0 && errno != EEXIST) {
		pf_err_set(err, "inbox %s: %s", shown, strerror(errno));
		return -errno;
	}
	if (fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		pf_err_set(err, "inbox %s: %s", shown, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		pf_err_set(err, "inbox %s: exists and is not a directory (a symlink is refused)",
			 shown);
		return -ENOTDIR;
	}
	return 0;
}

int pf_inbox_prepare(const char *inbox_dir, struct pf_err *err)
{
	const char *subs[] = { PF_INBOX_ACCEPTED, PF_INBOX_REJECTED };
	int dfd, r;

	r = mkdir_checked(AT_FDCWD, inbox_dir, inbox_dir, err);
	if (r < 0)
		return r;
	dfd = open(inbox_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		pf_err_set(err, "inbox %s: %s", inbox_dir, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < PF_ARRAY_SIZE(subs) && r == 0; i++) {
		char shown[4096];
		snprintf(shown, sizeof(shown), "%s/%s", inbox_dir, subs[i]);
		r = mkdir_checked(dfd, subs[i], shown, err);
	}
	close(dfd);
	return r;
}

static const char *type_name(mode_t m)
{
	if (S_ISLNK(m))
		return "a symlink (not followed)";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* Reads a regular file of the inbox, never following a symlink and never
 * opening anything else. 1: read (*ret_buf), 0: rejected (reason), <0:
 * gone (-ENOENT) or another error. */
static int read_entry(int dfd, const char *name, char **ret_buf, size_t *ret_len, char *reason,
		      size_t reasonsz)
{
	struct stat st, st2;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(reason, reasonsz, "not a regular file: %s", type_name(st.st_mode));
		return 0;
	}
	if ((unsigned long long)st.st_size > PF_INBOX_MAX_FILE) {
		snprintf(reason, reasonsz, "file of %lld bytes is larger than the limit (%d bytes)",
			 (long long)st.st_size, PF_INBOX_MAX_FILE);
		return 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(reason, reasonsz, "cannot open: %s", strerror(errno));
		return 0;
	}
	if (fstat(fd, &st2) < 0 || !S_ISREG(st2.st_mode) || st2.st_ino != st.st_ino ||
	    st2.st_dev != st.st_dev) {
		snprintf(reason, reasonsz, "replaced while being read");
		close(fd);
		return 0;
	}
	buf = malloc(PF_INBOX_MAX_FILE + 2);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, PF_INBOX_MAX_FILE + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(reason, reasonsz, "read: %s", strerror(errno));
			r = 0;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > PF_INBOX_MAX_FILE) {
			snprintf(reason, reasonsz, "file grew beyond the limit (%d bytes)",
				 PF_INBOX_MAX_FILE);
			r = 0;
			goto fail;
		}
	}
	close(fd);
	buf[len] = 0;
	*ret_buf = buf;
	*ret_len = len;
	return 1;
fail:
	free(buf);
	close(fd);
	return r;
}

static int name_free(int sfd, const char *n)
{
	struct stat st;

	return fstatat(sfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* Moves @name into @sub (never replacing anything) and writes its reason
 * file. 0 and @ret_stored, or -errno when it could not be kept. */
static int store(int dfd, const char *name, const char *sub, bool accepted, const char *reason,
		 char *ret_stored, size_t storedsz)
{
	char dest[PF_INBOX_NAME_MAX + 16], rname[PF_INBOX_NAME_MAX + 32];
	int sfd, r = -EEXIST;

	sfd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	for (unsigned k = 0; k <= PF_INBOX_MAX_DUP; k++) {
		if (pf_inbox_dest_name(name, k, dest, sizeof(dest)) < 0)
			break;
		snprintf(rname, sizeof(rname), "%s.reason", dest);
		if (!name_free(sfd, dest) || !name_free(sfd, rname))
			continue;
		if (renameat2(dfd, name, sfd, dest, RENAME_NOREPLACE) < 0) {
			r = -errno;
			if (errno == EEXIST)
				continue;
			break;
		}
		r = 0;
		break;
	}
	if (r == 0) {
		int fd = openat(sfd, rname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (fd >= 0) {
			char line[PF_INBOX_REASON_MAX + 32];
			int n = snprintf(line, sizeof(line), "%s: %s\n",
					 accepted ? "accepted" : "rejected", reason);
			if (n > 0 && (size_t)n >= sizeof(line)) {
				n = (int)sizeof(line) - 1;
				line[n - 1] = '\n';
			}
			if (n > 0)
				pf_write_all(fd, line, (size_t)n);
			fsync(fd);
			close(fd);
		}
		fsync(sfd);
		snprintf(ret_stored, storedsz, "%s/%s", sub, dest);
	}
	close(sfd);
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Handles one entry; 1 handled, 0 vanished before it was looked at. */
static int handle(int dfd, const char *name, pf_inbox_decide_fn decide, pf_inbox_report_fn report,
		  void *data)
{
	char reason[PF_INBOX_REASON_MAX], stored[PF_INBOX_NAME_MAX + 64];
	char *buf = NULL;
	size_t len = 0;
	bool accepted = false;
	int r;

	reason[0] = 0;
	if (pf_inbox_classify(name) == PF_INBOX_TOOLONG) {
		snprintf(reason, sizeof(reason), "name longer than %d bytes", PF_INBOX_NAME_MAX);
	} else {
		r = read_entry(dfd, name, &buf, &len, reason, sizeof(reason));
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			snprintf(reason, sizeof(reason), "cannot read: %s", strerror(-r));
		if (r == 1) {
			accepted = decide(data, name, buf, len, reason, sizeof(reason)) == 1;
			if (!reason[0])
				snprintf(reason, sizeof(reason), "%s", accepted ? "ok" : "refused");
		}
		free(buf);
	}
	/* The reason is one line whatever the decider wrote. */
	for (char *p = reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	r = store(dfd, name, accepted ? PF_INBOX_ACCEPTED : PF_INBOX_REJECTED, accepted, reason,
		  stored, sizeof(stored));
	if (r < 0) {
		struct stat st;
		int isdir = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		/* Not kept: gone from the inbox all the same, so it is never
		 * decided twice (a directory that cannot move stays). */
		unlinkat(dfd, name, isdir ? AT_REMOVEDIR : 0);
		report(data, name, accepted, NULL, reason);
	} else {
		report(data, name, accepted, stored, reason);
	}
	return 1;
}

int pf_inbox_scan(const char *inbox_dir, pf_inbox_decide_fn decide, pf_inbox_report_fn report,
		  void *data, bool *ret_more, struct pf_err *err)
{
	char *names[PF_INBOX_MAX_PER_SCAN];
	size_t n = 0;
	bool more = false;
	struct dirent *de;
	DIR *d;
	int dfd, handled = 0;

	dfd = open(inbox_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		pf_err_set(err, "inbox %s: %s", inbox_dir, strerror(errno));
		return -errno;
	}
	d = fdopendir(dup(dfd));
	if (!d) {
		pf_err_set(err, "inbox %s: %s", inbox_dir, strerror(errno));
		close(dfd);
		return -EIO;
	}
	while ((de = readdir(d))) {
		if (pf_inbox_classify(de->d_name) == PF_INBOX_SKIP)
			continue;
		if (n == PF_INBOX_MAX_PER_SCAN) {
			more = true;
			break;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < n; i++) {
		handled += handle(dfd, names[i], decide, report, data);
		free(names[i]);
	}
	close(dfd);
	if (ret_more)
		*ret_more = more;
	return handled;
}

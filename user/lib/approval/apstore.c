#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apstore.h"
#include "util.h"

static int id_ok(const char *s, size_t n)
{
	return n == 32 && pf_is_lower_hex(s, n);
}

static int push(struct pf_used *u, const char *id)
{
	if (u->n >= PF_USED_MAX)
		return -E2BIG;
	if (PF_ARRAY_GROW(u->ids, u->cap, u->n) < 0)
		return -ENOMEM;
	memcpy(u->ids[u->n], id, 32);
	u->ids[u->n][32] = 0;
	u->n++;
	return 0;
}

int pf_used_load(const char *dir, struct pf_used *ret, struct pf_err *err)
{
	struct pf_used u = { 0 };
	char *path = pf_path_join(dir, PF_USED_FILE), *buf = NULL;
	size_t len, line = 0, pos = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = pf_read_file(path, (size_t)PF_USED_MAX * 33, &buf, &len);
	if (r == -ENOENT) {
		*ret = u;
		free(path);
		return 0;
	}
	if (r < 0) {
		pf_err_set(err, "%s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	while (pos < len) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n;

		line++;
		if (!nl) {
			/* A torn last line (crash mid-append) was never
			 * acknowledged, so its token was not loaded: drop it
			 * so the next append starts on a fresh line. */
			if (truncate(path, (off_t)pos) < 0) {
				r = -errno;
				pf_err_set(err, "%s: truncating a torn last line: %s", path,
					 strerror(errno));
				goto out;
			}
			break;
		}
		n = (size_t)(nl - (buf + pos));
		if (!id_ok(buf + pos, n)) {
			pf_err_set(err, "%s:%zu: expected a 32-hex token id", path, line);
			r = -EINVAL;
			goto out;
		}
		r = push(&u, buf + pos);
		if (r < 0) {
			pf_err_set(err, "%s:%zu: %s", path, line, strerror(-r));
			goto out;
		}
		pos += n + 1;
	}
	*ret = u;
	u.ids = NULL;
	r = 0;
out:
	free(u.ids);
	free(buf);
	free(path);
	return r;
}

int pf_used_has(const struct pf_used *u, const char *id)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->ids[i], id) == 0)
			return 1;
	return 0;
}

int pf_used_add(const char *dir, struct pf_used *u, const char *id)
{
	char *path, line[34];
	int fd, r = 0;

	if (!id_ok(id, strlen(id)))
		return -EINVAL;
	if (pf_used_has(u, id))
		return -EEXIST;
	path = pf_path_join(dir, PF_USED_FILE);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return -errno;
	memcpy(line, id, 32);
	line[32] = '\n';
	if (write(fd, line, 33) != 33 || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	if (r == 0)
		r = push(u, id);
	return r;
}

void pf_used_free(struct pf_used *u)
{
	free(u->ids);
	memset(u, 0, sizeof(*u));
}

#define _XOPEN_SOURCE 700
#include <errno.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "resolve.h"
#include "util.h"

static int key_cmp(const struct pf_key *a, const struct pf_key *b)
{
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pf_entry *x = a, *y = b;
	int c = key_cmp(&x->key, &y->key);

	if (c)
		return c;
	/* Among duplicates, protect sorts first (it wins: fail closed), then
	 * the entry of the earliest rule. */
	if (x->kind != y->kind)
		return x->kind == PF_RULE_PROTECT ? -1 : 1;
	if (x->origin != y->origin) {
		/* Permafrost's own objects keep their implicit rule */
		if (x->origin == PF_ORIGIN_SELF || y->origin == PF_ORIGIN_SELF)
			return x->origin == PF_ORIGIN_SELF ? -1 : 1;
		return x->origin < y->origin ? -1 : 1;
	}
	return x->rule_id < y->rule_id ? -1 : x->rule_id > y->rule_id;
}

static int add_entry(struct pf_resolved *r, const struct stat *st, uint32_t kind,
		     uint32_t rule_id, uint32_t origin)
{
	struct pf_entry *e;

	if (r->n >= PF_MAX_ENTRIES)
		return -E2BIG;
	if (PF_ARRAY_GROW(r->e, r->cap, r->n) < 0)
		return -ENOMEM;
	e = &r->e[r->n++];
	e->key.dev = pf_kdev(st->st_dev);
	e->key.ino = st->st_ino;
	e->kind = kind;
	e->rule_id = rule_id;
	e->origin = origin;
	e->dir = S_ISDIR(st->st_mode);
	e->approvals = kind == PF_RULE_PROTECT && r->pol ? pf_policy_rule_threshold(r->pol, rule_id) : 0;
	return 0;
}

static void sort_dedupe(struct pf_resolved *r)
{
	size_t w = 0;

	qsort(r->e, r->n, sizeof(*r->e), entry_cmp);
	for (size_t i = 0; i < r->n; i++) {
		if (w > 0 && key_cmp(&r->e[w - 1].key, &r->e[i].key) == 0) {
			/* one object, two rules: the strictest threshold stays */
			if (r->e[i].approvals > r->e[w - 1].approvals)
				r->e[w - 1].approvals = r->e[i].approvals;
			continue;
		}
		r->e[w++] = r->e[i];
	}
	r->n = w;
}

const struct pf_entry *pf_resolved_find(const struct pf_resolved *r, uint64_t dev, uint64_t ino)
{
	struct pf_key k = { .dev = dev, .ino = ino };
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&r->e[mid].key, &k);
		if (c == 0)
			return &r->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Filesystems whose content is not something a freeze protects. */
static int pseudo_fs(const char *type)
{
	static const char *const t[] = { "proc",	"sysfs",     "cgroup",	  "cgroup2",
					 "securityfs",	"debugfs",   "tracefs",	  "bpf",
					 "devpts",	"mqueue",    "hugetlbfs", "pstore",
					 "configfs",	"fusectl",   "autofs",	  "binfmt_misc",
					 "efivarfs",	"devtmpfs",  "nsfs",	  "rpc_pipefs" };

	for (size_t i = 0; i < PF_ARRAY_SIZE(t); i++)
		if (strcmp(type, t[i]) == 0)
			return 1;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = 0;
}

static int add_submounts(const struct pf_policy *p, struct pf_resolved *r, struct pf_err *err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;

	if (!f)
		return 0; /* no /proc: nothing to add, nothing lost in the kernel */
	while (getline(&line, &cap, f) > 0) {
		char *fields[12] = { 0 }, *save = NULL, *tok, *type = NULL;
		int nf = 0, after_dash = 0;
		ssize_t idx;
		struct stat st;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			if (after_dash) {
				type = tok;
				break;
			}
			if (strcmp(tok, "-") == 0)
				after_dash = 1;
			else if (nf < 12)
				fields[nf++] = tok;
		}
		if (nf < 5 || !type || pseudo_fs(type))
			continue;
		unescape_octal(fields[4]);
		idx = pf_policy_match(p, fields[4]);
		if (idx < 0 || p->rules[idx].kind != PF_POL_PROTECT)
			continue;
		if (strcmp(p->rules[idx].path, fields[4]) == 0)
			continue; /* the rule's own lstat already names the mounted root */
		if (stat(fields[4], &st) < 0)
			continue; /* raced with an unmount */
		ret = add_entry(r, &st, PF_RULE_PROTECT, (uint32_t)idx, PF_ORIGIN_SUBMOUNT);
		if (ret < 0) {
			pf_err_set(err, "too many entries (limit %d)", PF_MAX_ENTRIES);
			break;
		}
		r->n_submounts++;
	}
	free(line);
	fclose(f);
	return ret;
}

/* A loop device whose backing file is a protected object writes that file
 * underneath every hook on it (6.12 calls the backing file's write_iter
 * directly). Its filesystem's root becomes a protected entry, and the loop
 * device itself a protected block device (an entry with inode 0, which no
 * object has, puts its device number into the kernel's filesystem filter,
 * so opening /dev/loopN for write is refused like the disk under a
 * protected filesystem). Run on the final, sorted set. */
#define SYSFS_READ_MAX 8192 /* sysfs files claim 4096 bytes whatever they hold */

static int add_loops(struct pf_resolved *r, struct pf_err *err)
{
	DIR *d = opendir("/sys/block");
	struct pf_resolved sorted = *r; /* lookups see the sorted set, not what we append */
	struct dirent *de;
	int ret = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && ret == 0) {
		char path[PATH_MAX], back[PATH_MAX], devs[32];
		struct pf_check_result cr;
		unsigned maj, min;
		struct stat st;
		char *buf = NULL;
		size_t len;

		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", de->d_name);
		if (pf_read_file(path, SYSFS_READ_MAX, &buf, &len) < 0)
			continue; /* not attached */
		while (len && (buf[len - 1] == '\n'))
			buf[--len] = 0;
		snprintf(back, sizeof(back), "%.*s", (int)(len < sizeof(back) ? len : sizeof(back) - 1), buf);
		free(buf);
		if (pf_resolved_check(&sorted, back, &cr) < 0 || !cr.protected_)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dev", de->d_name);
		buf = NULL;
		if (pf_read_file(path, SYSFS_READ_MAX, &buf, &len) < 0)
			continue;
		snprintf(devs, sizeof(devs), "%.*s", (int)len, buf);
		free(buf);
		if (sscanf(devs, "%u:%u", &maj, &min) != 2)
			continue;
		memset(&st, 0, sizeof(st));
		st.st_dev = makedev(maj, min);
		st.st_ino = 0;
		{
			uint32_t rule = cr.entry ? cr.entry->rule_id : 0;
			ret = add_entry(r, &st, PF_RULE_PROTECT, rule, PF_ORIGIN_LOOP);
		}
		if (ret == 0)
			r->n_loops++;
	}
	closedir(d);
	if (ret < 0) {
		pf_err_set(err, "too many entries (limit %d)", PF_MAX_ENTRIES);
		return ret;
	}
	return 0;
}

/* Every mount of a loop device found by add_loops(): its root is protected
 * (so its whole tree is). */
static int add_loop_mounts(const struct pf_policy *p, struct pf_resolved *r, struct pf_err *err)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, n_loops = 0;
	int ret = 0;

	(void)p;
	for (size_t i = 0; i < r->n; i++)
		n_loops += r->e[i].origin == PF_ORIGIN_LOOP;
	if (!n_loops || !(f = fopen("/proc/self/mountinfo", "re")))
		return 0;
	while (getline(&line, &cap, f) > 0 && ret == 0) {
		char *fields[12] = { 0 }, *save = NULL, *tok;
		unsigned maj, min;
		int nf = 0;
		struct stat st;

		for (tok = strtok_r(line, " \n", &save); tok && nf < 12; tok = strtok_r(NULL, " \n", &save))
			fields[nf++] = tok;
		if (nf < 5 || sscanf(fields[2], "%u:%u", &maj, &min) != 2)
			continue;
		for (size_t i = 0; i < r->n; i++) {
			if (r->e[i].origin != PF_ORIGIN_LOOP ||
			    r->e[i].key.dev != pf_kdev(makedev(maj, min)))
				continue;
			unescape_octal(fields[4]);
			if (stat(fields[4], &st) == 0 && pf_kdev(st.st_dev) == r->e[i].key.dev)
				ret = add_entry(r, &st, PF_RULE_PROTECT, r->e[i].rule_id,
						PF_ORIGIN_LOOP);
			break;
		}
	}
	free(line);
	fclose(f);
	if (ret < 0)
		pf_err_set(err, "too many entries (limit %d)", PF_MAX_ENTRIES);
	return ret;
}

/* nftw has no user pointer: the scan's state lives here (single-threaded). */
static struct {
	struct pf_resolved *r;
	const struct pf_resolved *snapshot_sorted; /* for exempt lookups */
	uint32_t rule_id;
	int error;
	size_t seen; /* objects walked, for progress */
} scan;

/* Progress of the current pf_resolve_progress() call (single-threaded). */
static pf_resolve_progress_fn progress_fn;
static void *progress_data;

static void progress(const char *phase, size_t done, size_t total)
{
	if (progress_fn)
		progress_fn(phase, done, total, progress_data);
}

/* Filesystems whose files are runtime state, not installed content: a
 * symlink's target there is not protected (/etc/resolv.conf ->
 * /run/systemd/resolve/stub-resolv.conf must keep changing). */
static int volatile_fs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return 1;
	switch ((unsigned long)sf.f_type) {
	case TMPFS_MAGIC: case RAMFS_MAGIC: case PROC_SUPER_MAGIC: case SYSFS_MAGIC:
	case DEVPTS_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC: case CGROUP_SUPER_MAGIC:
	case BPF_FS_MAGIC: case SECURITYFS_MAGIC: case DEBUGFS_MAGIC: case TRACEFS_MAGIC:
		return 1;
	}
	return 0;
}

/* A symlink inside a protected tree whose target is a regular file outside
 * every protected tree (and not exempt): the target is protected too, so
 * that what the tree shows cannot change through it. Directory targets are
 * not followed (a link to a data directory would freeze all of it); they
 * are counted in n_symlink_dirs for `policy check` to report. */
static void scan_symlink(const char *fpath)
{
	struct pf_check_result cr;
	struct stat st;

	if (scan.error || stat(fpath, &st) < 0)
		return; /* dangling: nothing to protect */
	if (S_ISDIR(st.st_mode)) {
		if (pf_resolved_check(scan.snapshot_sorted, fpath, &cr) == 0 && !cr.protected_ &&
		    !cr.entry)
			scan.r->n_symlink_dirs++;
		return;
	}
	if (!S_ISREG(st.st_mode) || volatile_fs(fpath))
		return;
	if (pf_resolved_check(scan.snapshot_sorted, fpath, &cr) < 0 || cr.protected_ || cr.entry)
		return; /* protected already, or exempt on purpose */
	if (add_entry(scan.r, &st, PF_RULE_PROTECT, scan.rule_id, PF_ORIGIN_TARGET) < 0) {
		scan.error = -E2BIG;
		return;
	}
	scan.r->n_symlink_targets++;
}

static int scan_cb(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	if ((++scan.seen & 0xffff) == 0)
		progress("scanning for hard links", scan.seen, 0);
	if (flag == FTW_D) {
		const struct pf_entry *e =
			pf_resolved_find(scan.snapshot_sorted, pf_kdev(st->st_dev), st->st_ino);
		if (ftw->level > 0 && e && e->kind == PF_RULE_EXEMPT)
			return FTW_SKIP_SUBTREE;
		return FTW_CONTINUE;
	}
	if (flag == FTW_SL)
		scan_symlink(fpath);
	if (flag == FTW_F || flag == FTW_SL) {
		const struct pf_entry *e =
			pf_resolved_find(scan.snapshot_sorted, pf_kdev(st->st_dev), st->st_ino);
		if (!S_ISDIR(st->st_mode) && st->st_nlink > 1 && !e) {
			int r = add_entry(scan.r, st, PF_RULE_PROTECT, scan.rule_id,
					  PF_ORIGIN_HARDLINK);
			if (r < 0) {
				scan.error = r;
				return FTW_STOP;
			}
			scan.r->n_hardlinks++;
		}
	}
	return FTW_CONTINUE;
}

static int scan_hardlinks(const struct pf_policy *p, struct pf_resolved *r, struct pf_err *err)
{
	struct pf_resolved snap = *r;
	size_t n_roots = r->n;
	struct pf_entry *roots;
	int ret = 0;

	/* Roots to walk: a copy, since scanning appends to r->e. */
	roots = malloc((n_roots ? n_roots : 1) * sizeof(*roots));
	snap.e = malloc((n_roots ? n_roots : 1) * sizeof(*snap.e));
	if (!roots || !snap.e) {
		free(roots);
		free(snap.e);
		return -ENOMEM;
	}
	memcpy(roots, r->e, n_roots * sizeof(*roots));
	memcpy(snap.e, r->e, n_roots * sizeof(*snap.e));
	snap.n = n_roots;
	for (size_t i = 0; i < n_roots; i++) {
		const char *path;
		char real[PATH_MAX];
		struct stat st;

		if (roots[i].kind != PF_RULE_PROTECT || roots[i].origin == PF_ORIGIN_HARDLINK ||
		    !roots[i].dir)
			continue; /* not a tree: nothing to walk (no system call either) */
		path = p->rules[roots[i].rule_id].path;
		if (!realpath(path, real) || stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (roots[i].origin == PF_ORIGIN_RULE &&
		    (pf_kdev(st.st_dev) != roots[i].key.dev || st.st_ino != roots[i].key.ino))
			continue; /* a symlink rule: its target entry is walked instead */
		if (roots[i].origin == PF_ORIGIN_SUBMOUNT)
			continue; /* walked as part of its own mount point's scan below */
		scan.r = r;
		scan.snapshot_sorted = &snap;
		scan.rule_id = roots[i].rule_id;
		scan.error = 0;
		if (nftw(real, scan_cb, 32, FTW_PHYS | FTW_ACTIONRETVAL) < 0 && !scan.error) {
			/* unreadable subtrees are skipped by nftw itself; a
			 * failure here is about the root */
			continue;
		}
		if (scan.error) {
			ret = scan.error;
			pf_err_set(err, "%s: too many entries while scanning for hard links "
					     "(limit %d)", path, PF_MAX_ENTRIES);
			break;
		}
	}
	free(roots);
	free(snap.e);
	return ret;
}

static int build_sbs(struct pf_resolved *r, struct pf_err *err)
{
	for (size_t i = 0; i < r->n; i++) {
		size_t j;

		if (r->e[i].kind != PF_RULE_PROTECT)
			continue;
		for (j = 0; j < r->n_sbs; j++)
			if (r->sbs[j].dev == r->e[i].key.dev)
				break;
		if (j == r->n_sbs) {
			struct pf_sb *s;
			if (r->n_sbs >= PF_MAX_SBS) {
				pf_err_set(err, "protected objects on more than %d filesystems",
					 PF_MAX_SBS);
				return -E2BIG;
			}
			s = realloc(r->sbs, (r->n_sbs + 1) * sizeof(*s));
			if (!s)
				return -ENOMEM;
			r->sbs = s;
			r->sbs[r->n_sbs].dev = (uint32_t)r->e[i].key.dev;
			r->sbs[r->n_sbs].count = 0;
			r->n_sbs++;
		}
		r->sbs[j].count++;
	}
	return 0;
}

int pf_resolve_progress(const struct pf_policy *p, struct pf_resolved **ret, struct pf_err *err, pf_resolve_progress_fn fn, void *data)
{
	int r;

	progress_fn = fn;
	progress_data = data;
	r = pf_resolve(p, ret, err);
	progress_fn = NULL;
	progress_data = NULL;
	return r;
}

/* The directory of the rule lstat'ed last: rules side by side (100,000
 * files in one directory) are lstat'ed relative to it, so the kernel walks
 * only their last component. */
struct parent_dir {
	int fd; /* -1: none */
	char path[PATH_MAX];
	size_t len;
};

/* lstat() of @path (absolute and normalised: policy.h). */
static int rule_lstat(struct parent_dir *d, const char *path, struct stat *st)
{
	const char *slash = strrchr(path, '/');
	size_t len = (size_t)(slash - path);

	if (len == 0 || len >= sizeof(d->path))
		return lstat(path, st);
	if (d->fd < 0 || d->len != len || memcmp(d->path, path, len) != 0) {
		if (d->fd >= 0)
			close(d->fd);
		memcpy(d->path, path, len);
		d->path[len] = '\0';
		d->len = len;
		d->fd = open(d->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (d->fd < 0)
			return lstat(path, st); /* its errno, as lstat of the path gives it */
	}
	return fstatat(d->fd, slash + 1, st, AT_SYMLINK_NOFOLLOW);
}

int pf_resolve(const struct pf_policy *p, struct pf_resolved **ret, struct pf_err *err)
{
	struct pf_resolved *r = calloc(1, sizeof(*r));
	struct parent_dir dir = { .fd = -1 };
	int rc = 0;

	if (!r)
		return -ENOMEM;
	r->pol = p;
	scan.seen = 0;
	r->rule_keys = calloc(p->n_rules ? p->n_rules : 1, sizeof(*r->rule_keys));
	if (!r->rule_keys) {
		rc = -ENOMEM;
		goto out;
	}
	r->n_rule_keys = p->n_rules;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct pf_policy_rule *rule = &p->rules[i];
		uint32_t kind = rule->kind == PF_POL_PROTECT ? PF_RULE_PROTECT : PF_RULE_EXEMPT;
		struct stat st;

		if ((i & 0x3fff) == 0x3fff)
			progress("rules", i + 1, p->n_rules);

		if (rule_lstat(&dir, rule->path, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR) {
				char **m = realloc(r->missing, (r->n_missing + 1) * sizeof(*m));
				if (!m || !(m[r->n_missing] = strdup(rule->path))) {
					if (m)
						r->missing = m;
					rc = -ENOMEM;
					goto out;
				}
				r->missing = m;
				r->n_missing++;
				continue;
			}
			rc = -errno;
			pf_err_set(err, "%s:%u: %s: %s", p->file ? p->file : "policy",
				 rule->line, rule->path, strerror(errno));
			goto out;
		}
		r->rule_keys[i] = (struct pf_key){ .dev = pf_kdev(st.st_dev), .ino = st.st_ino };
		rc = add_entry(r, &st, kind, (uint32_t)i, PF_ORIGIN_RULE);
		if (rc == 0 && S_ISLNK(st.st_mode) && kind == PF_RULE_PROTECT &&
		    stat(rule->path, &st) == 0)
			rc = add_entry(r, &st, kind, (uint32_t)i, PF_ORIGIN_TARGET);
		if (rc < 0) {
			pf_err_set(err, "too many entries (limit %d)", PF_MAX_ENTRIES);
			goto out;
		}
	}
	if (dir.fd >= 0)
		close(dir.fd);
	dir.fd = -1;
	rc = add_submounts(p, r, err);
	if (rc < 0)
		goto out;
	sort_dedupe(r);
	rc = scan_hardlinks(p, r, err);
	if (rc < 0)
		goto out;
	sort_dedupe(r);
	rc = add_loops(r, err);
	if (rc < 0)
		goto out;
	rc = add_loop_mounts(p, r, err);
	if (rc < 0)
		goto out;
	sort_dedupe(r);
	rc = build_sbs(r, err);
	if (rc < 0)
		goto out;
	progress("done", r->n, r->n);
	r->pol = NULL; /* the caller may free the policy first */
	*ret = r;
	return 0;
out:
	if (dir.fd >= 0)
		close(dir.fd);
	if (rc == -ENOMEM)
		pf_err_set(err, "out of memory");
	pf_resolved_free(r);
	return rc;
}

int pf_resolved_add_self_exempt(struct pf_resolved *r, const char *path, uint32_t rule_id,
				struct pf_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* not there (yet): nothing to carve out */
	if (add_entry(r, &st, PF_RULE_EXEMPT, rule_id, PF_ORIGIN_SELF) < 0) {
		pf_err_set(err, "%s: too many entries (limit %d)", path, PF_MAX_ENTRIES);
		return -E2BIG;
	}
	return 0;
}

int pf_resolved_add_self(struct pf_resolved *r, const char *path, uint32_t rule_id, struct pf_err *err)
{
	struct stat st;
	int rc;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		pf_err_set(err, "%s: %s", path, strerror(errno));
		return -errno;
	}
	rc = add_entry(r, &st, PF_RULE_PROTECT, rule_id, PF_ORIGIN_SELF);
	if (rc == 0 && S_ISLNK(st.st_mode) && stat(path, &st) == 0)
		rc = add_entry(r, &st, PF_RULE_PROTECT, rule_id, PF_ORIGIN_SELF);
	if (rc < 0)
		pf_err_set(err, "%s: too many entries (limit %d)", path, PF_MAX_ENTRIES);
	return rc;
}

int pf_resolved_finish(struct pf_resolved *r, struct pf_err *err)
{
	sort_dedupe(r);
	free(r->sbs);
	r->sbs = NULL;
	r->n_sbs = 0;
	return build_sbs(r, err);
}

void pf_resolved_free(struct pf_resolved *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_missing; i++)
		free(r->missing[i]);
	free(r->missing);
	free(r->rule_keys);
	free(r->sbs);
	free(r->e);
	free(r);
}

int pf_resolved_check(const struct pf_resolved *r, const char *path,
		      struct pf_check_result *ret)
{
	struct pf_check_result res = { 0 };
	char cur[PATH_MAX];
	struct stat st;
	uint32_t dev;

	if (path[0] != '/')
		return -EINVAL;
	if (realpath(path, cur)) {
		res.exists = 1;
	} else {
		/* Not there yet: judge its creation, i.e. its parent. */
		char tmp[PATH_MAX], *slash, parent[PATH_MAX];
		size_t n = strlen(path);

		if (errno != ENOENT || n >= sizeof(tmp))
			return -errno ? -errno : -ENAMETOOLONG;
		memcpy(tmp, path, n + 1);
		while (n > 1 && tmp[n - 1] == '/')
			tmp[--n] = 0;
		slash = strrchr(tmp, '/');
		*slash = 0;
		if (!realpath(tmp[0] ? tmp : "/", parent))
			return -errno;
		if (snprintf(cur, sizeof(cur), "%s/%s", strcmp(parent, "/") ? parent : "",
			     slash + 1) >= (int)sizeof(cur))
			return -ENAMETOOLONG;
	}
	snprintf(res.path, sizeof(res.path), "%s", cur);

	/* The object, or for a new name its parent, fixes the filesystem. */
	if (res.exists) {
		if (lstat(cur, &st) < 0)
			return -errno;
	} else {
		char *slash = strrchr(cur, '/');
		char save = slash[1];
		slash[1] = 0;
		if (lstat(cur, &st) < 0)
			return -errno;
		slash[1] = save;
	}
	dev = pf_kdev(st.st_dev);
	for (;;) {
		char *slash;

		if (lstat(cur, &st) == 0) {
			const struct pf_entry *e;
			if (pf_kdev(st.st_dev) != dev)
				break; /* crossed into another filesystem */
			e = pf_resolved_find(r, dev, st.st_ino);
			if (e) {
				res.entry = e;
				res.protected_ = e->kind == PF_RULE_PROTECT;
				break;
			}
		}
		if (strcmp(cur, "/") == 0)
			break;
		slash = strrchr(cur, '/');
		if (slash == cur)
			cur[1] = 0;
		else
			*slash = 0;
	}
	*ret = res;
	return 0;
}

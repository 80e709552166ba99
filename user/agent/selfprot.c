/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Self-protection, the agent's half; see selfprot.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "permafrost.h"
#include "selfprot.h"
#include "util.h"

/* Files the agent adds as protected when they exist (besides the policy,
 * the allowed signers, its binary and the libraries it has mapped). */
static const char *const fixed_ro[] = {
	"/usr/bin/permafrost",
	"/usr/sbin/permafrostd",
	"/usr/lib/systemd/system/permafrostd.service",
	"/lib/systemd/system/permafrostd.service",
	"/etc/systemd/system/permafrostd.service",
	"/etc/systemd/system/permafrostd.service.d",
	"/etc/ld.so.preload",
	"/etc/ld.so.cache",
	/* the host's identity for tokens (user/lib/approval/hostid.h) */
	"/etc/machine-id",
	"/etc/hostname",
};

#define MAX_MAPPED 64 /* distinct files taken from /proc/self/maps */
#define MAX_OWN_MAPS 64

static uint64_t fnv64(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	h ^= 0xff; /* separator */
	h *= 1099511628211ULL;
	return h;
}

int pf_self_init(struct pf_self *s, const struct pf_self_paths *p, struct pf_err *err)
{
	struct stat st;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	n = readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1);
	if (n < 0 || stat("/proc/self/exe", &st) < 0) {
		pf_err_set(err, "/proc/self/exe: %s (is /proc mounted?)", strerror(errno));
		return -errno;
	}
	s->exe[n] = 0;
	s->exe_dev = pf_kdev(st.st_dev);
	s->exe_ino = st.st_ino;
	s->paths_hash = 14695981039346656037ULL;
	s->paths_hash = fnv64(s->paths_hash, p->policy);
	s->paths_hash = fnv64(s->paths_hash, p->state_dir);
	s->paths_hash = fnv64(s->paths_hash, p->log_path);
	s->paths_hash = fnv64(s->paths_hash, p->pin_dir);
	if (!s->paths_hash)
		s->paths_hash = 1;
	if ((size_t)snprintf(s->maps_dir, sizeof(s->maps_dir), "%s/maps-v%d", p->pin_dir,
			     PF_MAPS_VERSION) >= sizeof(s->maps_dir)) {
		pf_err_set(err, "pin directory %s: path too long (limit %zu bytes)", p->pin_dir,
			 sizeof(s->maps_dir) - 16);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int open_pinned_map(const struct pf_self *s, const char *name, int rdonly)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = rdonly ? BPF_F_RDONLY : 0);
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", s->maps_dir, name);
	return bpf_obj_get_opts(path, &o);
}

int pf_self_check_pinned(struct pf_self *s, struct pf_err *err)
{
	struct pf_config c;
	uint32_t zero = 0;
	int fd = open_pinned_map(s, "pf_config_map", 1);

	s->maps_existed = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		pf_err_set(err, "%s/pf_config_map: %s", s->maps_dir, strerror(errno));
		return -errno;
	}
	s->maps_existed = 1;
	if (bpf_map_lookup_elem(fd, &zero, &c) < 0) {
		pf_err_set(err, "%s/pf_config_map: lookup: %s", s->maps_dir, strerror(errno));
		close(fd);
		return -EIO;
	}
	close(fd);
	s->pinned_mode = (int)c.mode;
	s->pinned_selfprot = !!(c.flags & PF_CFG_SELF_PROTECT);
	if (c.agent_tgid && c.agent_tgid != (uint32_t)getpid() && kill((pid_t)c.agent_tgid, 0) == 0) {
		char exe[64];
		struct stat st;
		int r;

		/* alive: is it the agent binary? (unreadable: assume so) */
		snprintf(exe, sizeof(exe), "/proc/%u/exe", c.agent_tgid);
		r = stat(exe, &st);
		if ((r < 0 && (errno == EACCES || errno == EPERM)) ||
		    (r == 0 && pf_kdev(st.st_dev) == c.agent_exe_dev && st.st_ino == c.agent_exe_ino)) {
			pf_err_set(err, "another permafrostd (pid %u) is running with the pinned maps in %s",
				 c.agent_tgid, s->maps_dir);
			return -EBUSY;
		}
	}
	if (c.mode == PF_MODE_ENFORCE && (c.flags & PF_CFG_SELF_PROTECT) && c.paths_hash &&
	    c.paths_hash != s->paths_hash) {
		pf_err_set(err, "the host is frozen by an agent started with other --policy/--state-dir/"
			 "--log/--pin-dir paths; start permafrostd with the same paths (or thaw "
			 "first)");
		return -EPERM;
	}
	return 0;
}

int pf_self_check_own_dir(const struct pf_self *s, struct bpf_object *obj, const char *what,
			  const char *path, struct pf_err *err)
{
	struct bpf_map *rules = bpf_object__find_map_by_name(obj, "rules");
	struct pf_rule r;
	struct pf_key k;
	struct stat st;

	if (!s->maps_existed || !s->pinned_selfprot || !rules)
		return 0;
	if (stat(path, &st) < 0) {
		pf_err_set(err, "%s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	k.dev = pf_kdev(st.st_dev);
	k.ino = st.st_ino;
	if (bpf_map_lookup_elem(bpf_map__fd(rules), &k, &r) == 0 && r.kind == PF_RULE_PROTECT &&
	    r.rule_id == PF_RULEID_SELF_RW)
		return 0;
	pf_err_set(err, "the %s %s here is not the one the freeze in force protects as Permafrost's "
		 "own: something is mounted over it in this agent's mount namespace (a drop-in "
		 "of its unit with TemporaryFileSystem=, BindPaths= or RootDirectory=?); "
		 "refusing to start (the pinned programs keep enforcing)",
		 what, path);
	return -ESTALE;
}

int pf_self_pin_maps(struct pf_self *s, struct bpf_object *obj, uint64_t *ringbuf_size,
		     struct pf_err *err)
{
	struct bpf_map *m;
	int r = pf_mkdir_p(s->maps_dir, 0700);

	if (r < 0) {
		pf_err_set(err, "%s: %s (%s)", s->maps_dir, strerror(-r), pf_self_pin_hint(-r));
		return r;
	}
	bpf_object__for_each_map(m, obj) {
		char path[700];

		if (bpf_map__is_internal(m))
			continue; /* .bss/.rodata belong to one program set */
		snprintf(path, sizeof(path), "%s/%s", s->maps_dir, bpf_map__name(m));
		if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF) {
			int fd = open_pinned_map(s, bpf_map__name(m), 1);
			struct bpf_map_info info = { 0 };
			uint32_t len = sizeof(info);

			if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
			    info.max_entries && info.max_entries != bpf_map__max_entries(m)) {
				fprintf(stderr,
					"permafrostd: keeping the pinned ring buffer's size %u "
					"(ringbuf-size %u applies after a thawed stop)\n",
					info.max_entries, bpf_map__max_entries(m));
				bpf_map__set_max_entries(m, info.max_entries);
				if (ringbuf_size)
					*ringbuf_size = info.max_entries;
			}
			if (fd >= 0)
				close(fd);
		}
		r = bpf_map__set_pin_path(m, path);
		if (r) {
			pf_err_set(err, "pin path %s: %s", path, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int map_id(int fd, uint32_t *id)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	*id = info.id;
	return 0;
}

static int clear_map(int fd, size_t key_size)
{
	unsigned char k[64], next[64];

	if (key_size > sizeof(k))
		return -E2BIG;
	/* delete the first key until none is left */
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(k, next, key_size);
		if (bpf_map_delete_elem(fd, k) < 0)
			return -errno;
	}
	return 0;
}

#define MAX_CGROUP_DEPTH 64

/* The agent's cgroup (v2) and its ancestors, as cgroupfs inode numbers:
 * new entries first, then the stale ones removed (no empty moment). */
static int record_cgroups(struct pf_self *s, int fd)
{
	char line[4096], mnt[4096] = "", rel[4096] = "";
	uint64_t inos[MAX_CGROUP_DEPTH], k, next;
	size_t n, n_inos = 0;
	FILE *f;

	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(rel, sizeof(rel), "%s", line + 3);
			rel[strcspn(rel, "\n")] = 0;
		}
	if (f)
		fclose(f);
	if (s->cg_known && strcmp(rel, s->cg_rel) == 0)
		return 0; /* unchanged since the last look */
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char mp[4096];

		if (!strstr(line, " - cgroup2 "))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1) {
			snprintf(mnt, sizeof(mnt), "%s", mp);
			break;
		}
	}
	if (f)
		fclose(f);
	if (!mnt[0] || !rel[0])
		return 0; /* no cgroup v2 (yet): nothing to protect */
	/* mnt + each prefix of rel: "/", "/a", "/a/b" */
	n = strlen(rel);
	for (size_t i = 0; i <= n && n_inos < MAX_CGROUP_DEPTH; i++) {
		if (i == n || (rel[i] == '/' && i > 0) || (i == 0 && rel[0] == '/')) {
			char path[8192];
			struct stat st;
			uint32_t one = 1;

			snprintf(path, sizeof(path), "%s%.*s", mnt, (int)(i == 0 ? 0 : i), rel);
			if (stat(path, &st) < 0)
				continue;
			inos[n_inos] = st.st_ino;
			if (bpf_map_update_elem(fd, &inos[n_inos], &one, BPF_ANY) < 0)
				return -errno;
			n_inos++;
		}
	}
	for (int more = bpf_map_get_next_key(fd, NULL, &next) == 0; more;) {
		size_t j;

		k = next;
		more = bpf_map_get_next_key(fd, &k, &next) == 0;
		for (j = 0; j < n_inos; j++)
			if (inos[j] == k)
				break;
		if (j == n_inos)
			bpf_map_delete_elem(fd, &k);
	}
	snprintf(s->cg_rel, sizeof(s->cg_rel), "%s", rel);
	s->cg_known = 1;
	return 0;
}

void pf_self_refresh(struct pf_self *s, struct bpf_object *obj)
{
	struct bpf_map *cgs = bpf_object__find_map_by_name(obj, "agent_cgroups");

	if (cgs)
		record_cgroups(s, bpf_map__fd(cgs));
}

/* What pf_self_setup writes into the config. */
struct identity {
	const struct pf_self *s;
	int lock_kernel, self_protect, clear_approvals;
};

static void set_identity(struct pf_config *c, const void *data)
{
	const struct identity *id = data;

	c->agent_exe_dev = id->s->exe_dev;
	c->agent_exe_ino = id->s->exe_ino;
	c->paths_hash = id->s->paths_hash;
	c->agent_tgid = (uint32_t)getpid();
	c->flags = id->lock_kernel ? (c->flags | PF_CFG_LOCK_KERNEL) : (c->flags & ~PF_CFG_LOCK_KERNEL);
	c->flags = id->self_protect ? (c->flags | PF_CFG_SELF_PROTECT)
				    : (c->flags & ~PF_CFG_SELF_PROTECT);
	if (id->clear_approvals)
		c->n_approvals = 0;
}

int pf_self_setup(struct pf_self *s, struct bpf_object *obj, int lock_kernel, int self_protect,
		  struct pf_err *err)
{
	struct bpf_map *cfgm = bpf_object__find_map_by_name(obj, "pf_config_map");
	struct bpf_map *own = bpf_object__find_map_by_name(obj, "own_maps");
	struct bpf_map *procs = bpf_object__find_map_by_name(obj, "agent_procs");
	struct bpf_map *cgs = bpf_object__find_map_by_name(obj, "agent_cgroups");
	struct bpf_map *aps = bpf_object__find_map_by_name(obj, "approvals");
	struct identity id = { .s = s, .lock_kernel = lock_kernel, .self_protect = self_protect,
			       .clear_approvals = s->maps_existed };
	struct pf_agent_proc ap = { 0 };
	uint32_t tgid = (uint32_t)getpid();
	struct bpf_map *m;
	int r;

	if (!cfgm || !own || !procs || !cgs || !aps) {
		pf_err_set(err, "BPF object lacks a self-protection map");
		return -ENOENT;
	}
	/* Ourselves first: from here on the kernel knows the agent. */
	r = bpf_map_update_elem(bpf_map__fd(procs), &tgid, &ap, BPF_NOEXIST);
	if (r < 0 && errno != EEXIST) {
		pf_err_set(err, "agent_procs: %s", strerror(errno));
		return -errno;
	}
	if (s->maps_existed) {
		/* the agent reinstalls the live approvals from its state */
		r = clear_map(bpf_map__fd(aps), sizeof(struct pf_akey));
		if (r < 0) {
			pf_err_set(err, "clearing the pinned approvals: %s", strerror(-r));
			return r;
		}
	}
	r = pf_config_edit(bpf_map__fd(cfgm), set_identity, &id);
	if (r < 0) {
		pf_err_set(err, "config update: %s", strerror(-r));
		return r;
	}
	bpf_object__for_each_map(m, obj) {
		/* the maps that say who the agent is, the schedule a thawed
		 * host is bound to, and the AI agents' maps (ai_*: files,
		 * marks, routes; they hold on a thawed host too): guarded in
		 * every mode */
		int always = m == cfgm || m == own || m == procs ||
			     strcmp(bpf_map__name(m), "schedule") == 0 ||
			     strncmp(bpf_map__name(m), "ai_", 3) == 0;
		uint32_t mid, how = always ? PF_OWN_ALWAYS : PF_OWN_WHILE_ON;

		if (map_id(bpf_map__fd(m), &mid) < 0 ||
		    bpf_map_update_elem(bpf_map__fd(own), &mid, &how, BPF_ANY) < 0) {
			pf_err_set(err, "own_maps (%s): %s", bpf_map__name(m), strerror(errno));
			return -errno;
		}
	}
	s->cg_known = 0;
	r = record_cgroups(s, bpf_map__fd(cgs));
	if (r < 0) {
		pf_err_set(err, "agent_cgroups: %s", strerror(-r));
		return r;
	}
	return 0;
}

static int add(struct pf_resolved *r, const char *path, uint32_t id, struct pf_err *err)
{
	return path && path[0] == '/' ? pf_resolved_add_self(r, path, id, err) : 0;
}

int pf_self_add_rules(struct pf_resolved *r, const struct pf_self_paths *p,
		      const struct pf_self *s, struct pf_err *err)
{
	char *logdir = NULL, mapped[MAX_MAPPED][512];
	size_t n_mapped = 0;
	char line[4096];
	FILE *f;
	int rc = 0;

	if (!p->enabled)
		return pf_resolved_finish(r, err);
	rc = rc ? rc : add(r, s->exe, PF_RULEID_SELF_RO, err);
	rc = rc ? rc : add(r, p->policy, PF_RULEID_SELF_RO, err);
	rc = rc ? rc : add(r, p->signers, PF_RULEID_SELF_RO, err);
	for (size_t i = 0; rc == 0 && i < PF_ARRAY_SIZE(fixed_ro); i++)
		rc = add(r, fixed_ro[i], PF_RULEID_SELF_RO, err);
	/* the loader and every library mapped into the agent: replacing one
	 * would run foreign code as the agent at its next start */
	f = fopen("/proc/self/maps", "re");
	while (rc == 0 && f && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');
		size_t j;

		if (!path || strstr(line, "(deleted)"))
			continue;
		path[strcspn(path, "\n")] = 0;
		if (strlen(path) >= sizeof(mapped[0]))
			continue;
		for (j = 0; j < n_mapped; j++)
			if (strcmp(mapped[j], path) == 0)
				break;
		if (j < n_mapped)
			continue;
		if (n_mapped == MAX_MAPPED) {
			fprintf(stderr, "permafrostd: more than %d files mapped; the rest are not "
					"protected implicitly\n", MAX_MAPPED);
			break;
		}
		snprintf(mapped[n_mapped++], sizeof(mapped[0]), "%s", path);
		rc = add(r, path, PF_RULEID_SELF_RO, err);
	}
	if (f)
		fclose(f);
	rc = rc ? rc : add(r, p->state_dir, PF_RULEID_SELF_RW, err);
	if (rc == 0 && p->state_dir && p->state_dir[0] == '/') {
		/* the inbox stays writable: tokens are dropped there while
		 * frozen (each is verified; outcomes are in the audit log) */
		char inbox[PATH_MAX];
		if ((size_t)snprintf(inbox, sizeof(inbox), "%s/inbox", p->state_dir) < sizeof(inbox))
			rc = pf_resolved_add_self_exempt(r, inbox, PF_RULEID_SELF_RW, err);
	}
	rc = rc ? rc : add(r, p->pin_dir, PF_RULEID_SELF_RW, err);
	rc = rc ? rc : add(r, p->boot_id_file, PF_RULEID_SELF_RW, err);
	if (rc == 0 && p->log_path) {
		char *slash;

		logdir = strdup(p->log_path);
		if (!logdir)
			return -ENOMEM;
		slash = strrchr(logdir, '/');
		if (slash && slash != logdir) {
			*slash = 0;
			rc = add(r, logdir, PF_RULEID_SELF_RW, err);
		}
		free(logdir);
	}
	if (rc < 0)
		return rc;
	return pf_resolved_finish(r, err);
}

static int prog_info(int fd, struct bpf_prog_info *info, uint32_t *ids, uint32_t n_ids)
{
	uint32_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	info->nr_map_ids = n_ids;
	info->map_ids = (uint64_t)(uintptr_t)ids;
	return bpf_obj_get_info_by_fd(fd, info, &len) < 0 ? -errno : 0;
}

int pf_self_set_status(const struct pf_self *s, struct bpf_object *obj, const char *dir)
{
	uint32_t ours[MAX_OWN_MAPS];
	size_t n_ours = 0;
	struct bpf_program *p;
	struct bpf_map *m;
	int status = 1;

	bpf_object__for_each_map(m, obj)
		if (n_ours < MAX_OWN_MAPS && map_id(bpf_map__fd(m), &ours[n_ours]) == 0)
			n_ours++;
	bpf_object__for_each_program(p, obj) {
		struct bpf_link_info li = { 0 };
		struct bpf_prog_info mine, theirs;
		uint32_t ids[MAX_OWN_MAPS], none[MAX_OWN_MAPS], len = sizeof(li);
		char path[700];
		int lfd, pfd;

		if (!bpf_program__autoload(p))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_program__name(p));
		lfd = bpf_obj_get(path);
		if (lfd < 0)
			return -1;
		if (bpf_obj_get_info_by_fd(lfd, &li, &len) < 0) {
			close(lfd);
			return -1;
		}
		close(lfd);
		pfd = bpf_prog_get_fd_by_id(li.prog_id);
		if (pfd < 0)
			return -1;
		if (prog_info(pfd, &theirs, ids, MAX_OWN_MAPS) < 0 ||
		    prog_info(bpf_program__fd(p), &mine, none, MAX_OWN_MAPS) < 0) {
			close(pfd);
			return -1;
		}
		close(pfd);
		if (memcmp(mine.tag, theirs.tag, sizeof(mine.tag)) != 0) {
			status = 0;
			continue;
		}
		/* the same code must also use the pinned maps, not older ones
		 * (internal .bss/.rodata maps are per set and not compared) */
		for (uint32_t i = 0; i < theirs.nr_map_ids && i < MAX_OWN_MAPS; i++) {
			struct bpf_map_info mi = { 0 };
			uint32_t mlen = sizeof(mi);
			int mfd = bpf_map_get_fd_by_id(ids[i]), found = 0;

			if (mfd >= 0 && bpf_obj_get_info_by_fd(mfd, &mi, &mlen) == 0 &&
			    strchr(mi.name, '.'))
				found = 1; /* internal map */
			if (mfd >= 0)
				close(mfd);
			for (size_t j = 0; !found && j < n_ours; j++)
				if (ours[j] == ids[i])
					found = 1;
			if (!found)
				status = 0;
		}
	}
	return s->maps_existed ? status : (status == 1 ? 0 : status);
}

void pf_self_unpin_maps(const struct pf_self *s)
{
	DIR *d = opendir(s->maps_dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[1024];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->maps_dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(s->maps_dir);
}

const char *pf_self_pin_hint(int err)
{
	switch (err) {
	case EROFS:
		return "bpffs is mounted but read-only in this process's mount namespace: a systemd "
		       "unit's ProtectKernelTunables=yes, or ReadOnlyPaths= over /sys without "
		       "ReadWritePaths=/sys/fs/bpf, does that; the shipped unit has "
		       "ProtectKernelTunables=no, ReadOnlyPaths=/sys, ReadWritePaths=/sys/fs/bpf";
	case ENOENT:
	case ENOTDIR:
		return "is bpffs mounted on /sys/fs/bpf? mount -t bpf bpf /sys/fs/bpf";
	case EACCES:
	case EPERM:
		return "permission denied: the agent runs as root (CAP_BPF, CAP_SYS_ADMIN)";
	default:
		return "bpffs on /sys/fs/bpf";
	}
}

int pf_self_oom_protect(struct pf_err *err)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || pf_write_all(fd, "-1000\n", 6) < 0) {
		pf_err_set(err, "/proc/self/oom_score_adj: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

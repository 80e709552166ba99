/* doctor: host checks for Permafrost (see doctor.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ctl.h"
#include "doctor.h"
#include "event.h"
#include "json.h"
#include "kernel.h"
#include "permafrost.h"
#include "policy.h"
#include "signers.h"
#include "util.h"

#define GRUB_FILE "/etc/default/grub"
#define LSM_FILE "/sys/kernel/security/lsm"
#define LOCKDOWN_FILE "/sys/kernel/security/lockdown"
#define BTF_FILE "/sys/kernel/btf/vmlinux"
#define MOUNTS_FILE "/proc/self/mounts"
#define SECURITYFS_DIR "/sys/kernel/security"
#define BPFFS_DIR "/sys/fs/bpf"
/* Caps on the files read here: all are a line or a few kilobytes. */
#define SMALL_FILE_MAX 4096
#define MOUNTS_MAX (4 << 20)

static void set(struct pf_doctor_check *c, const char *name, int result)
{
	c->name = name;
	c->result = result;
	c->finding[0] = '\0';
	c->fix[0] = '\0';
}

static void finding(struct pf_doctor_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finding(struct pf_doctor_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->finding, sizeof(c->finding), fmt, ap);
	va_end(ap);
}

static void fix(struct pf_doctor_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fix(struct pf_doctor_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fix, sizeof(c->fix), fmt, ap);
	va_end(ap);
}

/* Reads root + @path (a small text file) with trailing newlines removed. */
static int read_small(const struct pf_doctor_env *env, const char *path, size_t cap, char **ret)
{
	char full[PATH_MAX];
	char *buf = NULL;
	size_t len;
	int r;

	if (snprintf(full, sizeof(full), "%s%s", env->root ? env->root : "", path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	r = pf_read_file(full, cap, &buf, &len);
	if (r < 0)
		return r;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	*ret = buf;
	return 0;
}

const char *pf_doctor_result_name(int result)
{
	return result == PF_DOC_OK ? "ok" : result == PF_DOC_WARN ? "warn" : "FAIL";
}

/* --- kernel ---------------------------------------------------------------- */

/* The release's "X.Y", or 0 when it has none. */
static unsigned release_version(const char *rel)
{
	unsigned maj, min;

	return sscanf(rel, "%u.%u", &maj, &min) == 2 ? maj * 1000 + min : 0;
}

/* Feature-based: what the kernel's BTF says it offers (kernel.h), the
 * release only when there is no BTF to read. */
void pf_doctor_kernel(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	const char *rel = env->release ? env->release : "";
	char full[PATH_MAX], routes[512];
	struct pf_kernel k;
	const char *missing;
	struct btf *btf;
	unsigned ver = release_version(rel);

	set(c, "kernel", PF_DOC_FAIL);
	snprintf(full, sizeof(full), "%s%s", env->root ? env->root : "", BTF_FILE);
	{
		/* the finding says it; libbpf's own complaint is noise here */
		libbpf_print_fn_t old = libbpf_set_print(NULL);

		btf = btf__parse(full, NULL);
		libbpf_set_print(old);
	}
	if (!btf) {
		if (ver && ver < 5010)
			finding(c, "%s is older than " PF_KERNEL_MIN ", the oldest kernel Permafrost "
				   "runs on", rel);
		else
			finding(c, "%s: cannot read its BTF (%s), so its BPF features cannot be "
				   "checked (see the btf check)", rel, BTF_FILE);
		fix(c, "install a " PF_KERNEL_MIN " or newer kernel built with "
		       "CONFIG_DEBUG_INFO_BTF=y (Debian: apt install linux-image-amd64) and reboot "
		       "into it");
		return;
	}
	pf_kernel_probe(btf, &k);
	pf_kernel_routes(btf, &k, routes, sizeof(routes));
	btf__free(btf);
	missing = pf_kernel_missing(&k);
	if (missing) {
		finding(c, "%s lacks %s: Permafrost needs Linux " PF_KERNEL_MIN " or newer", rel,
			missing);
		fix(c, "install a " PF_KERNEL_MIN " or newer kernel (Debian: apt install "
		       "linux-image-amd64) and reboot into it");
		return;
	}
	c->result = PF_DOC_OK;
	if (pf_kernel_compat(&k))
		finding(c, "%s: compat build (no %s): path walks of up to %d levels, deeper "
			   "objects on protected filesystems are refused%s%s",
			rel, k.bpf_loop ? "bpf_get_current_task_btf" : "bpf_loop", PF_COMPAT_DEPTH,
			routes[0] ? "; " : "", routes);
	else
		finding(c, "%s: main build (path walks of up to %d levels)%s%s", rel, PF_MAX_DEPTH,
			routes[0] ? "; " : "", routes);
}

void pf_doctor_btf(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	char full[PATH_MAX];
	struct stat st;

	set(c, "btf", PF_DOC_FAIL);
	snprintf(full, sizeof(full), "%s%s", env->root ? env->root : "", BTF_FILE);
	if (stat(full, &st) < 0) {
		finding(c, "%s: %s: the kernel has no BTF, so the CO-RE programs cannot be loaded",
			BTF_FILE, strerror(errno));
		fix(c, "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (the Debian, Ubuntu, Fedora "
		       "and RHEL kernels are)");
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		finding(c, "%s is %s", BTF_FILE, S_ISREG(st.st_mode) ? "empty" : "not a regular file");
		fix(c, "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (the Debian, Ubuntu, Fedora "
		       "and RHEL kernels are)");
		return;
	}
	c->result = PF_DOC_OK;
	finding(c, "%s present (%lld bytes)", BTF_FILE, (long long)st.st_size);
}

/* 1 if a mount of @fstype is at @dir in root + /proc/self/mounts, 0 if not,
 * negative errno if the table cannot be read. */
static int mounted(const struct pf_doctor_env *env, const char *dir, const char *fstype)
{
	char *buf = NULL, *line, *save = NULL;
	int r = read_small(env, MOUNTS_FILE, MOUNTS_MAX, &buf);

	if (r < 0)
		return r;
	r = 0;
	for (line = strtok_r(buf, "\n", &save); line && !r; line = strtok_r(NULL, "\n", &save)) {
		char src[256], mnt[512], type[64];
		if (sscanf(line, "%255s %511s %63s", src, mnt, type) == 3 &&
		    strcmp(mnt, dir) == 0 && strcmp(type, fstype) == 0)
			r = 1;
	}
	free(buf);
	return r;
}

static void mount_check(const struct pf_doctor_env *env, struct pf_doctor_check *c,
			const char *name, const char *dir, const char *fstype, const char *why)
{
	int r = mounted(env, dir, fstype);

	set(c, name, PF_DOC_FAIL);
	if (r < 0) {
		finding(c, "cannot read %s: %s", MOUNTS_FILE, strerror(-r));
		fix(c, "mount /proc: mount -t proc proc /proc");
		return;
	}
	if (r == 0) {
		finding(c, "no %s mounted on %s: %s", fstype, dir, why);
		fix(c, "mount -t %s %s %s (at every boot, /etc/fstab: %s %s %s defaults 0 0)", fstype,
		    fstype, dir, fstype, dir, fstype);
		return;
	}
	c->result = PF_DOC_OK;
	finding(c, "%s mounted on %s", fstype, dir);
}

void pf_doctor_securityfs(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	mount_check(env, c, "securityfs", SECURITYFS_DIR, "securityfs",
		    "the active LSM list and the lockdown state cannot be read");
}

void pf_doctor_bpffs(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	mount_check(env, c, "bpffs", BPFFS_DIR, "bpf",
		    "the agent pins its programs there so that enforcement outlives it");
}

/* The GRUB_CMDLINE_LINUX line of root + /etc/default/grub with every word
 * starting with one of @drop removed and @add appended. An absent file or
 * line counts as empty. */
static void grub_line(const struct pf_doctor_env *env, const char *const *drop, size_t n_drop,
		      const char *add, char *out, size_t outsz)
{
	char *buf = NULL, *line, *save = NULL, cur[PF_DOCTOR_TEXT] = "", res[PF_DOCTOR_TEXT] = "";
	size_t used = 0;

	if (read_small(env, GRUB_FILE, 1 << 20, &buf) == 0) {
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			const char *v;
			size_t l;
			while (*line == ' ' || *line == '\t')
				line++;
			if (strncmp(line, "GRUB_CMDLINE_LINUX=", 19) != 0)
				continue;
			v = line + 19;
			l = strlen(v);
			if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0])
				snprintf(cur, sizeof(cur), "%.*s", (int)(l - 2), v + 1);
			else
				snprintf(cur, sizeof(cur), "%s", v);
		}
		free(buf);
	}
	save = NULL;
	for (char *w = strtok_r(cur, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		int skip = 0;
		for (size_t i = 0; i < n_drop; i++)
			if (strncmp(w, drop[i], strlen(drop[i])) == 0)
				skip = 1;
		if (!skip && used < sizeof(res))
			used += (size_t)snprintf(res + used, sizeof(res) - used, "%s%s", used ? " " : "", w);
	}
	if (used < sizeof(res))
		snprintf(res + used, sizeof(res) - used, "%s%s", used ? " " : "", add);
	snprintf(out, outsz, "set GRUB_CMDLINE_LINUX=\"%s\" in " GRUB_FILE
			     ", then run: update-grub && reboot", res);
}

static int list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && strncmp(p, name, n) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

void pf_doctor_lsm(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	static const char *const drop[] = { "lsm=" };
	char *list = NULL, add[PF_DOCTOR_TEXT / 2];
	int r = read_small(env, LSM_FILE, SMALL_FILE_MAX, &list);

	set(c, "lsm", PF_DOC_FAIL);
	if (r < 0) {
		finding(c, "cannot read %s: %s (is securityfs mounted?)", LSM_FILE, strerror(-r));
		fix(c, "mount -t securityfs securityfs " SECURITYFS_DIR ", then run permafrost doctor again");
		return;
	}
	if (list_has(list, "bpf")) {
		c->result = PF_DOC_OK;
		finding(c, "bpf is in the active LSM list: %s", list);
		free(list);
		return;
	}
	finding(c, "bpf is not in the active LSM list (%s): the kernel runs no BPF LSM program",
		list[0] ? list : "empty");
	snprintf(add, sizeof(add), "lsm=%s%sbpf", list, list[0] ? "," : "");
	grub_line(env, drop, 1, add, c->fix, sizeof(c->fix));
	free(list);
}

void pf_doctor_lockdown(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	static const char *const drop[] = { "lockdown=" };
	char *s = NULL, mode[32] = "";
	const char *a, *b;
	int r = read_small(env, LOCKDOWN_FILE, SMALL_FILE_MAX, &s);

	set(c, "lockdown", PF_DOC_WARN);
	if (r < 0) {
		finding(c, "cannot read %s: %s (lockdown LSM inactive or securityfs not mounted): root "
			   "can change the running kernel under the agent",
			LOCKDOWN_FILE, strerror(-r));
		grub_line(env, drop, 1, "lockdown=integrity", c->fix, sizeof(c->fix));
		return;
	}
	a = strchr(s, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b || (size_t)(b - a - 1) >= sizeof(mode)) {
		finding(c, "%s: unexpected content '%s'", LOCKDOWN_FILE, s);
		grub_line(env, drop, 1, "lockdown=integrity", c->fix, sizeof(c->fix));
		free(s);
		return;
	}
	snprintf(mode, sizeof(mode), "%.*s", (int)(b - a - 1), a + 1);
	free(s);
	if (strcmp(mode, "none") == 0) {
		finding(c, "kernel lockdown is off (none): root can change the running kernel "
			   "(/dev/mem, unsigned modules) under the agent");
		grub_line(env, drop, 1, "lockdown=integrity", c->fix, sizeof(c->fix));
		return;
	}
	c->result = PF_DOC_OK;
	finding(c, "kernel lockdown: %s", mode);
}

void pf_doctor_caps(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
		{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
	};
	char missing[256] = "";
	size_t used = 0;

	set(c, "capabilities", PF_DOC_WARN);
	if (env->euid != 0) {
		finding(c, "running as uid %u, not root: the agent's capabilities were not checked",
			env->euid);
		fix(c, "sudo permafrost doctor");
		return;
	}
	for (size_t i = 0; i < PF_ARRAY_SIZE(need); i++)
		if (!(env->caps_eff & (1ULL << need[i].cap)))
			used += (size_t)snprintf(missing + used, sizeof(missing) - used, "%s%s",
						 used ? ", " : "", need[i].name);
	if (used) {
		c->result = PF_DOC_FAIL;
		finding(c, "root lacks %s in its effective set (a container, or a reduced bounding set?)",
			missing);
		fix(c, "run the agent with CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_DAC_READ_SEARCH: "
		       "CapabilityBoundingSet= of permafrostd.service must list them; a container must "
		       "be privileged");
		return;
	}
	c->result = PF_DOC_OK;
	finding(c, "root with CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN and CAP_DAC_READ_SEARCH");
}

void pf_doctor_clock(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	set(c, "clock", PF_DOC_WARN);
	if (env->clock_rc < 0) {
		finding(c, "adjtimex: %s: clock synchronisation unknown", strerror(-env->clock_rc));
		fix(c, "enable time synchronisation: systemctl enable --now systemd-timesyncd "
		       "(or chrony: systemctl enable --now chrony)");
		return;
	}
	if (env->clock_status & STA_UNSYNC) {
		finding(c, "the clock is not synchronised (adjtimex: STA_UNSYNC): token validity "
			   "and audit-log times depend on it");
		fix(c, "enable time synchronisation: systemctl enable --now systemd-timesyncd "
		       "(or chrony: systemctl enable --now chrony)");
		return;
	}
	c->result = PF_DOC_OK;
	finding(c, "the clock is synchronised (adjtimex)");
}

void pf_doctor_policy(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	struct pf_policy *p = NULL;
	struct pf_err e = { { 0 } };
	size_t np = 0, ne = 0;
	int r = pf_policy_load(env->policy_path, &p, &e);

	set(c, "policy", PF_DOC_FAIL);
	if (r == -ENOENT) {
		finding(c, "%s", e.msg);
		fix(c, "write a policy there (see policy/README.md and policy/example.conf), or name "
		       "yours: permafrost doctor --policy FILE");
		return;
	}
	if (r < 0) {
		finding(c, "%s", e.msg);
		fix(c, "correct the place named above, then check it: permafrost policy check %s",
		    env->policy_path);
		return;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		if (p->rules[i].kind == PF_POL_PROTECT)
			np++;
		else
			ne++;
	}
	c->result = PF_DOC_OK;
	finding(c, "%s: %zu protect and %zu exempt rules, initial mode %s", env->policy_path, np, ne,
		pf_mode_name((uint32_t)p->mode));
	pf_policy_free(p);
}

void pf_doctor_signers(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	struct pf_policy *p = NULL;
	struct pf_signers *s = NULL;
	struct pf_err e = { { 0 } };
	struct pf_err pe = { { 0 } };
	int r;

	set(c, "signers", PF_DOC_FAIL);
	if (pf_policy_load(env->policy_path, &p, &pe) < 0) {
		c->result = PF_DOC_WARN;
		finding(c, "not checked: the policy does not load (see the policy check)");
		fix(c, "fix the policy first");
		return;
	}
	if (!p->allowed_signers) {
		finding(c, "%s names no allowed-signers file: no approval or thaw token can be verified",
			env->policy_path);
		fix(c, "add to %s: allowed-signers /etc/permafrost/allowed_signers", env->policy_path);
		goto out;
	}
	r = pf_signers_load(p->allowed_signers, &s, &e);
	if (r < 0) {
		finding(c, "%s", e.msg);
		if (r == -ENOENT)
			fix(c, "create %s with one line per approver: NAME namespaces=\"permafrost-approval-v1\" "
			       "KEYTYPE BASE64 (the content of their .pub)",
			    p->allowed_signers);
		else
			fix(c, "correct that line of %s; the format is ssh-keygen(1) ALLOWED SIGNERS: "
			       "NAME namespaces=\"permafrost-approval-v1\" KEYTYPE BASE64",
			    p->allowed_signers);
		goto out;
	}
	if (s->n == 0) {
		finding(c, "%s holds no key: no approval or thaw token can be verified",
			p->allowed_signers);
		fix(c, "add one line per approver to %s: NAME namespaces=\"permafrost-approval-v1\" "
		       "KEYTYPE BASE64 (the content of their .pub)",
		    p->allowed_signers);
		goto out;
	}
	c->result = PF_DOC_OK;
	finding(c, "%s: %zu key%s", p->allowed_signers, s->n, s->n == 1 ? "" : "s");
out:
	pf_signers_free(s);
	pf_policy_free(p);
}

void pf_doctor_agent(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PF_DOCTOR_AGENT_TIMEOUT_S };
	struct pf_msg req, rep;
	struct pf_err err;
	const char *v, *le, *lp;
	int fd, r;

	set(c, "agent", PF_DOC_FAIL);
	if (strlen(env->socket_path) >= sizeof(sa.sun_path)) {
		finding(c, "socket path too long: %s", env->socket_path);
		fix(c, "name a shorter one: permafrost --socket PATH doctor");
		return;
	}
	strcpy(sa.sun_path, env->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		finding(c, "socket: %s", strerror(errno));
		fix(c, "check the process's file-descriptor limit (ulimit -n)");
		return;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = errno;
		close(fd);
		finding(c, "cannot reach the agent at %s: %s", env->socket_path, strerror(r));
		if (r == EACCES)
			fix(c, "run as root or as a member of the permafrost group: "
			       "sudo permafrost doctor");
		else
			fix(c, "start it: systemctl start permafrostd (why it stopped: journalctl "
			       "-u permafrostd)");
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pf_msg_init(&req);
	pf_msg_init(&rep);
	pf_msg_add(&req, "cmd", "status");
	r = pf_msg_send(fd, &req);
	if (r == 0 || r == -EPIPE || r == -ECONNRESET)
		r = pf_msg_recv(fd, &rep, &err);
	else
		pf_err_set(&err, "%s", strerror(-r));
	close(fd);
	if (r < 0) {
		finding(c, "the agent at %s does not answer: %s", env->socket_path, err.msg);
		fix(c, "restart it: systemctl restart permafrostd (why: journalctl -u permafrostd)");
		goto out;
	}
	v = pf_msg_get(&rep, "status");
	if (!v || strcmp(v, "ok") != 0) {
		c->result = PF_DOC_WARN;
		v = pf_msg_get(&rep, "error");
		finding(c, "the agent at %s is running but refused the status request: %s",
			env->socket_path, v ? v : "no reason given");
		fix(c, "run as root or as a member of the permafrost group: sudo permafrost doctor");
		goto out;
	}
	le = pf_msg_get(&rep, "links_expected");
	lp = pf_msg_get(&rep, "links_present");
	if (le && lp && strcmp(le, lp) != 0) {
		finding(c, "agent pid %s answers, but only %s of its %s program links are pinned in %s",
			pf_msg_get(&rep, "agent_pid") ?: "?", lp, le,
			pf_msg_get(&rep, "pin_dir") ?: "bpffs");
		fix(c, "restart it so that it pins them again: systemctl restart permafrostd");
		goto out;
	}
	v = pf_msg_get(&rep, "log_outage_since");
	if (v && v[0]) {
		finding(c, "agent pid %s answers, but its audit log cannot be written since %s (%s): "
			   "%s records counted, not written (%s)",
			pf_msg_get(&rep, "agent_pid") ?: "?", v, pf_msg_get(&rep, "log_outage_error") ?: "?",
			pf_msg_get(&rep, "log_missed") ?: "?", pf_msg_get(&rep, "log_missed_by") ?: "");
		fix(c, "free space on the log's filesystem (or fix the disk): the agent retries every "
		       "second and then writes a log-gap record with the counts");
		goto out;
	}
	v = pf_msg_get(&rep, "unenforced");
	if (v && v[0]) {
		c->result = PF_DOC_WARN;
		finding(c, "agent pid %s answers, but this kernel has no hook its programs fit for: "
			   "%s; those routes are NOT enforced",
			pf_msg_get(&rep, "agent_pid") ?: "?", v);
		fix(c, "boot a kernel Permafrost is tested on (README: Kernels)");
		goto out;
	}
	c->result = PF_DOC_OK;
	finding(c, "agent pid %s answers on %s: mode %s, version %s, %s build",
		pf_msg_get(&rep, "agent_pid") ?: "?", env->socket_path,
		pf_msg_get(&rep, "mode") ?: "?", pf_msg_get(&rep, "version") ?: "?",
		pf_msg_get(&rep, "bpf_build") ?: "?");
out:
	pf_msg_free(&req);
	pf_msg_free(&rep);
}

/* --- the systemd unit ----------------------------------------------------- */

#define UNIT_NAME "permafrostd.service"
#define UNIT_FILE_MAX (64 * 1024)
#define UNIT_DROPINS_MAX 64

/* Where systemd looks for a unit and its drop-ins, most important first. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
};

struct unit_view {
	int tunables;  /* ProtectKernelTunables=: 1 yes, 0 no or unset */
	int ro_bpffs;  /* a ReadOnlyPaths= entry covers /sys/fs/bpf */
	int rw_bpffs;  /* a ReadWritePaths= entry covers it */
	size_t n_files;
};

static int unit_bool(const char *v)
{
	return !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on");
}

/* Does the path @w (a ReadOnlyPaths= word) cover /sys/fs/bpf? */
static int covers_bpffs(const char *w)
{
	size_t n = strlen(w);

	while (n > 1 && w[n - 1] == '/')
		n--;
	return n == 1 ? w[0] == '/' : strncmp(BPFFS_DIR, w, n) == 0 &&
						 (BPFFS_DIR[n] == '/' || BPFFS_DIR[n] == '\0');
}

/* One unit file or drop-in: the [Service] settings that decide whether
 * bpffs is writable in the agent's mount namespace. */
static void unit_read(const char *path, struct unit_view *u)
{
	char *buf = NULL, *save = NULL, *line;
	int service = 0;
	size_t len;

	if (pf_read_file(path, UNIT_FILE_MAX, &buf, &len) < 0)
		return;
	u->n_files++;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *v, *w, *wsave = NULL;

		if (line[0] == '[')
			service = strncmp(line, "[Service]", 9) == 0;
		if (!service || !eq || line[0] == '#' || line[0] == ';')
			continue;
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(line, "ProtectKernelTunables")) {
			u->tunables = unit_bool(v);
		} else if (!strcmp(line, "ReadOnlyPaths") || !strcmp(line, "ReadWritePaths")) {
			int ro = line[4] == 'O';

			if (!*v) /* an empty assignment resets the list */
				*(ro ? &u->ro_bpffs : &u->rw_bpffs) = 0;
			for (w = strtok_r(v, " \t", &wsave); w; w = strtok_r(NULL, " \t", &wsave)) {
				while (*w == '-' || *w == '+')
					w++;
				if (ro && covers_bpffs(w))
					u->ro_bpffs = 1;
				if (!ro && covers_bpffs(w))
					u->rw_bpffs = 1;
			}
		}
	}
	free(buf);
}

static int dropin_cmp(const void *a, const void *b)
{
	return strcmp(strrchr(*(char *const *)a, '/'), strrchr(*(char *const *)b, '/'));
}

void pf_doctor_unit(const struct pf_doctor_env *env, struct pf_doctor_check *c)
{
	struct unit_view u = { 0 };
	char unit[PATH_MAX] = "", *dropins[UNIT_DROPINS_MAX];
	size_t n_dropins = 0;

	set(c, "unit", PF_DOC_OK);
	for (size_t i = 0; i < PF_ARRAY_SIZE(unit_dirs) && !unit[0]; i++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s%s/" UNIT_NAME, env->root, unit_dirs[i]);
		if (access(p, F_OK) == 0)
			snprintf(unit, sizeof(unit), "%s", p);
	}
	if (!unit[0]) {
		finding(c, "no " UNIT_NAME " installed: the agent is not run by systemd here");
		return;
	}
	unit_read(unit, &u);
	for (size_t i = 0; i < PF_ARRAY_SIZE(unit_dirs); i++) {
		char d[PATH_MAX];
		struct dirent *de;
		DIR *dir;

		snprintf(d, sizeof(d), "%s%s/" UNIT_NAME ".d", env->root, unit_dirs[i]);
		dir = opendir(d);
		while (dir && (de = readdir(dir)) && n_dropins < UNIT_DROPINS_MAX) {
			size_t n = strlen(de->d_name);

			if (n > 5 && !strcmp(de->d_name + n - 5, ".conf") &&
			    asprintf(&dropins[n_dropins], "%s/%s", d, de->d_name) >= 0)
				n_dropins++;
		}
		if (dir)
			closedir(dir);
	}
	qsort(dropins, n_dropins, sizeof(dropins[0]), dropin_cmp);
	for (size_t i = 0; i < n_dropins; i++) {
		unit_read(dropins[i], &u);
		free(dropins[i]);
	}
	if (u.tunables || (u.ro_bpffs && !u.rw_bpffs)) {
		set(c, "unit", PF_DOC_FAIL);
		finding(c, "%s (and %zu drop-ins) make %s read-only for the agent (%s): it cannot pin "
			   "its programs and never starts", unit + strlen(env->root), n_dropins,
			BPFFS_DIR, u.tunables ? "ProtectKernelTunables=yes" : "ReadOnlyPaths=");
		fix(c, "in the unit or a drop-in: ProtectKernelTunables=no, ReadOnlyPaths=/sys, "
		       "ReadWritePaths=%s (as the shipped unit), then systemctl daemon-reload",
		    BPFFS_DIR);
		return;
	}
	finding(c, "%s (and %zu drop-ins): %s writable for the agent", unit + strlen(env->root),
		n_dropins, BPFFS_DIR);
}

/* --- all of them ------------------------------------------------------------ */

void pf_doctor_env_host(struct pf_doctor_env *env, const char *policy_path,
			const char *socket_path)
{
	static struct utsname u;
	struct timex tx = { 0 };
	cap_t caps;
	const char *root = getenv("PF_DOCTOR_ROOT");

	memset(env, 0, sizeof(*env));
	env->root = root ? root : "";
	env->release = uname(&u) == 0 ? u.release : "";
	env->euid = (unsigned)geteuid();
	caps = cap_get_proc();
	if (caps) {
		for (int i = 0; i <= CAP_LAST_CAP && i < 64; i++) {
			cap_flag_value_t f = CAP_CLEAR;
			if (cap_get_flag(caps, (cap_value_t)i, CAP_EFFECTIVE, &f) == 0 && f == CAP_SET)
				env->caps_eff |= 1ULL << i;
		}
		cap_free(caps);
	}
	env->clock_rc = adjtimex(&tx);
	if (env->clock_rc < 0)
		env->clock_rc = -errno;
	env->clock_status = tx.status;
	env->policy_path = policy_path;
	env->socket_path = socket_path;
}

void pf_doctor_run(const struct pf_doctor_env *env, struct pf_doctor_report *rep)
{
	static void (*const checks[])(const struct pf_doctor_env *, struct pf_doctor_check *) = {
		pf_doctor_kernel,   pf_doctor_btf,  pf_doctor_securityfs, pf_doctor_lsm,
		pf_doctor_bpffs,    pf_doctor_lockdown, pf_doctor_caps,   pf_doctor_clock,
		pf_doctor_policy,   pf_doctor_signers,  pf_doctor_unit,	  pf_doctor_agent,
	};

	memset(rep, 0, sizeof(*rep));
	for (size_t i = 0; i < PF_ARRAY_SIZE(checks) && i < PF_DOCTOR_MAX_CHECKS; i++) {
		struct pf_doctor_check *c = &rep->c[rep->n++];
		checks[i](env, c);
		if (c->result == PF_DOC_OK)
			rep->n_ok++;
		else if (c->result == PF_DOC_WARN)
			rep->n_warn++;
		else
			rep->n_fail++;
	}
}

void pf_doctor_format(const struct pf_doctor_report *rep, int json, int colour,
		      struct pf_buf *out)
{
	if (json) {
		struct pf_json j;
		pf_json_init(&j, out, 1);
		pf_json_obj_begin(&j);
		pf_json_key(&j, "status");
		pf_json_str(&j, rep->n_fail ? "fail" : "ok");
		pf_json_key(&j, "ok");
		pf_json_uint(&j, rep->n_ok);
		pf_json_key(&j, "warn");
		pf_json_uint(&j, rep->n_warn);
		pf_json_key(&j, "fail");
		pf_json_uint(&j, rep->n_fail);
		pf_json_key(&j, "checks");
		pf_json_arr_begin(&j);
		for (size_t i = 0; i < rep->n; i++) {
			const struct pf_doctor_check *c = &rep->c[i];
			pf_json_obj_begin(&j);
			pf_json_key(&j, "check");
			pf_json_str(&j, c->name);
			pf_json_key(&j, "result");
			pf_json_str(&j, c->result == PF_DOC_FAIL ? "fail" : pf_doctor_result_name(c->result));
			pf_json_key(&j, "finding");
			pf_json_str(&j, c->finding);
			if (c->fix[0]) {
				pf_json_key(&j, "fix");
				pf_json_str(&j, c->fix);
			}
			pf_json_obj_end(&j);
		}
		pf_json_arr_end(&j);
		pf_json_obj_end(&j);
		pf_buf_putc(out, '\n');
		return;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct pf_doctor_check *c = &rep->c[i];
		const char *col = !colour ? "" : c->result == PF_DOC_OK ? "\033[32m"
					   : c->result == PF_DOC_WARN	 ? "\033[33m"
									 : "\033[1;31m";
		pf_buf_printf(out, "%s%-4s%s  %-12s  %s\n", col, pf_doctor_result_name(c->result),
			      colour ? "\033[0m" : "", c->name, c->finding);
		if (c->fix[0])
			pf_buf_printf(out, "%-4s  %-12s  fix: %s\n", "", "", c->fix);
	}
	pf_buf_printf(out, "%u ok, %u warnings, %u failed\n", rep->n_ok, rep->n_warn, rep->n_fail);
}

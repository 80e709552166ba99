/* Policy resolution and the user-space decision (`permafrost check`) on a
 * real temporary tree; the freeze state file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "permafrost.h"
#include "policy.h"
#include "resolve.h"
#include "state.h"
#include "tokenpath.h"
#include "util.h"
#include "tap.h"

static char root[256];

struct prog_log {
	size_t calls, rules_calls, last_done, last_total;
	int done_seen, order_ok;
};

static void prog_cb(const char *phase, size_t done, size_t total, void *data)
{
	struct prog_log *l = data;

	l->calls++;
	if (strcmp(phase, "rules") == 0) {
		if (l->rules_calls && done <= l->last_done)
			l->order_ok = 0;
		l->rules_calls++;
		l->last_done = done;
		l->last_total = total;
	} else if (strcmp(phase, "done") == 0) {
		l->done_seen++;
	}
}

static void mk(const char *rel, int dir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (dir) {
		mkdir(p, 0755);
	} else {
		int fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd >= 0)
			close(fd);
	}
}

static const char *P(const char *rel)
{
	static char buf[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", root, rel);
	return buf[i];
}

static int check(const struct pf_resolved *r, const char *rel, struct pf_check_result *cr)
{
	return pf_resolved_check(r, P(rel), cr);
}

/* In a child where openat2 fails with EPERM (a seccomp filter, as a
 * systemd unit's SystemCallFilter may have): the token path checks must
 * give the same answers through their component-by-component walk.
 * Returns a bit per check that failed, 0 when all held. */
static int tokpath_without_openat2(const struct pf_resolved *r,
				   const char *dir)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		char a[600];
		struct pf_err why;
		unsigned th = 0;
		int bad = 0;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(64);
		snprintf(a, sizeof(a), "%s/prot/alias/f", dir);
		bad |= pf_token_path_threshold(r, a, false, &th, &why) != -ELOOP;
		snprintf(a, sizeof(a), "%s/prot/lax/hl", dir);
		bad |= (pf_token_path_threshold(r, a, false, &th, &why) != 0 || th != 3) << 1;
		snprintf(a, sizeof(a), "%s/prot/alias", dir);
		bad |= (pf_token_path_threshold(r, a, false, &th, &why) != 0) << 2;
		snprintf(a, sizeof(a), "%s/prot/strict/new.conf", dir);
		bad |= (pf_token_path_threshold(r, a, false, &th, &why) != 0 || th != 3) << 3;
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 128;
	return WEXITSTATUS(st);
}

int main(void)
{
	struct pf_policy *p = NULL;
	struct pf_resolved *r = NULL;
	struct pf_check_result cr;
	struct pf_err perr;
	struct stat st;
	char pol[4096];
	struct pf_err err;

	snprintf(root, sizeof(root), "/tmp/pf-test-resolve.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	mk("etc", 1); mk("etc/ssh", 1); mk("etc/ssh/cache", 1); mk("etc/ssh/cache/x", 0);
	mk("etc/ssh/sshd_config", 0); mk("etc/other", 0); mk("free", 1); mk("free/file", 0);
	mk("etc/ssh/linked", 0);
	if (link(P("etc/ssh/linked"), P("free/hardlink")) || symlink(P("etc/other"), P("free/sym-to-other")) ||
	    symlink(P("etc/ssh/sshd_config"), P("etc/protected-link")) || symlink("loop", P("loop")))
		return 1;
	snprintf(pol, sizeof(pol),
		 "protect %s %s\nexempt %s\nprotect %s\n", P("etc/ssh"), P("etc/protected-link"),
		 P("etc/ssh/cache"), P("absent"));
	TAP_OK(pf_policy_parse("t.conf", pol, strlen(pol), &p, &perr) == 0, "policy parses (%s)", p ? "" : perr.msg);
	if (!p)
		return TAP_DONE();
	TAP_OK(pf_resolve(p, &r, &err) == 0, "resolves");
	if (!r)
		return TAP_DONE();
	TAP_OK(r->n_missing == 1 && strcmp(r->missing[0], P("absent")) == 0, "the absent path is reported missing");
	TAP_OK(r->n_hardlinks == 1, "one multiply-linked file found in the tree (%zu)", r->n_hardlinks);
	TAP_OK(r->n_sbs == 1, "one filesystem");
	/* etc/ssh, etc/protected-link (the link), its target sshd_config,
	 * exempt cache, the hard-linked file. */
	TAP_OK(r->n == 5, "five kernel entries (%zu)", r->n);
	/* what lstat() gave each rule (the view's identities, taken once) */
	lstat(P("etc/protected-link"), &st);
	TAP_OK(r->n_rule_keys == 4 && r->rule_keys[1].ino == st.st_ino &&
	       r->rule_keys[1].dev == pf_kdev(st.st_dev) && r->rule_keys[3].ino == 0,
	       "rule_keys: the link itself for a symlink rule, 0 for the absent path");
	stat(P("etc/ssh"), &st);
	TAP_OK(r->rule_keys[0].ino == st.st_ino && pf_resolved_find(r, pf_kdev(st.st_dev), st.st_ino)->dir,
	       "rule_keys: etc/ssh; its entry is a directory (a tree to scan)");
	lstat(P("etc/ssh/linked"), &st);
	TAP_OK(pf_resolved_find(r, pf_kdev(st.st_dev), st.st_ino) &&
	       !pf_resolved_find(r, pf_kdev(st.st_dev), st.st_ino)->dir,
	       "the hard-linked file's entry is not a directory");
	stat(P("etc/ssh"), &st);
	TAP_OK(pf_resolved_find(r, pf_kdev(st.st_dev), st.st_ino) != NULL, "etc/ssh is found by identity");
	TAP_OK(r->sbs[0].dev == pf_kdev(st.st_dev) && r->sbs[0].count == 4, "its filesystem counts 4 protect entries (%u)", r->sbs[0].count);

	TAP_OK(check(r, "etc/ssh/sshd_config", &cr) == 0 && cr.protected_ && cr.exists, "a file in the tree is protected");
	TAP_OK(cr.entry && cr.entry->origin == PF_ORIGIN_TARGET, "sshd_config itself is the target entry of the protected symlink");
	TAP_OK(check(r, "etc/ssh/new", &cr) == 0 && cr.protected_ && !cr.exists, "a new name in the tree is protected");
	TAP_OK(check(r, "etc/ssh/cache/x", &cr) == 0 && !cr.protected_ && cr.entry && cr.entry->kind == PF_RULE_EXEMPT, "the exempt subtree is not");
	TAP_OK(check(r, "etc/other", &cr) == 0 && !cr.protected_ && !cr.entry, "a neighbour is not");
	TAP_OK(check(r, "free/hardlink", &cr) == 0 && cr.protected_ && cr.entry->origin == PF_ORIGIN_HARDLINK, "a hard link outside the tree is protected by identity");
	TAP_OK(check(r, "free/sym-to-other", &cr) == 0 && !cr.protected_, "a symlink is judged by its target (unprotected)");
	TAP_STREQ(cr.path, P("etc/other"), "check reports the canonical path");
	TAP_OK(check(r, "free/../etc/ssh/./sshd_config", &cr) == 0 && cr.protected_, "dot-dot paths are canonicalised");
	TAP_OK(check(r, "nope/nope/x", &cr) == -ENOENT, "a path whose parent is missing is ENOENT");
	TAP_OK(pf_resolved_check(r, "relative", &cr) == -EINVAL, "a relative path is EINVAL");

	/* Implicit (self-protection) entries: added, missing ones skipped, and
	 * they replace a policy entry for the same object. */
	TAP_OK(pf_resolved_add_self(r, P("etc/ssh/cache"), PF_RULEID_SELF_RW, &err) == 0 &&
	       pf_resolved_add_self(r, P("free/file"), PF_RULEID_SELF_RO, &err) == 0 &&
	       pf_resolved_add_self(r, P("absent-too"), PF_RULEID_SELF_RO, &err) == 0 &&
	       pf_resolved_finish(r, &err) == 0, "implicit entries added");
	TAP_OK(r->n == 6, "one more entry, the missing path skipped (%zu)", r->n);
	TAP_OK(check(r, "etc/ssh/cache/x", &cr) == 0 && cr.protected_ && cr.entry->origin == PF_ORIGIN_SELF &&
	       cr.entry->rule_id == PF_RULEID_SELF_RW, "an implicit entry replaces the policy's exempt on the same object");
	TAP_OK(check(r, "free/file", &cr) == 0 && cr.protected_ && cr.entry->rule_id == PF_RULEID_SELF_RO, "an implicit entry outside every tree");
	TAP_OK(r->sbs[0].count == 6, "the filesystem counts the implicit entries (%u)", r->sbs[0].count);
	pf_resolved_free(r);
	pf_policy_free(p);

	/* A path that cannot be examined is an error, not "missing". */
	{
		char dpol[512];
		snprintf(dpol, sizeof(dpol), "protect %s\n", P("loop/x"));
		TAP_OK(pf_policy_parse("d.conf", dpol, strlen(dpol), &p, &perr) == 0, "symlink-loop policy parses");
		TAP_OK(pf_resolve(p, &r, &err) == -ELOOP, "a symlink loop is an error, not a missing path");
		TAP_OK(strstr(err.msg, "d.conf:1: ") && strstr(err.msg, "Too many levels of symbolic links"), "naming file:line and the cause (%s)", err.msg);
		pf_policy_free(p);
	}

	/* Progress: every 16384 rules, then "done". */
	{
		size_t n = 40000, len = 0, cap = n * 96;
		char *big = malloc(cap);
		struct prog_log pl = { .order_ok = 1 };
		for (size_t i = 0; big && i < n; i++)
			len += (size_t)snprintf(big + len, cap - len, "protect %s/gone/f%zu\n", root, i);
		TAP_OK(big && pf_policy_parse("big.conf", big, len, &p, &perr) == 0, "40000-rule policy parses");
		TAP_OK(p && pf_resolve_progress(p, &r, &err, prog_cb, &pl) == 0, "resolves with progress");
		TAP_OK(pl.rules_calls == 2 && pl.last_done == 32768 && pl.last_total == 40000 && pl.order_ok,
		       "progress: rules at 16384 and 32768 of 40000 (%zu calls, last %zu/%zu)",
		       pl.rules_calls, pl.last_done, pl.last_total);
		TAP_OK(pl.done_seen == 1, "progress: done once");
		TAP_OK(r && r->n_missing == 40000, "all 40000 reported missing");
		pf_resolved_free(r);
		r = NULL;
		pf_policy_free(p);
		p = NULL;
		free(big);
		memset(&pl, 0, sizeof(pl));
	}

	/* Symlinks inside a protected tree: a regular-file target outside is
	 * protected too; a directory target is counted, not protected; a
	 * target on a volatile filesystem (/proc) and a dangling link are
	 * left alone. Under /var/tmp: /tmp may itself be tmpfs (volatile). */
	{
		char t2[] = "/var/tmp/pf-test-symlink.XXXXXX", pp[4200], a[4200], b[4200];
		char spol[4300];
		if (!mkdtemp(t2)) {
			TAP_OK(0, "mkdtemp %s", t2);
		} else {
			snprintf(pp, sizeof(pp), "%s/prot", t2); mkdir(pp, 0755);
			snprintf(a, sizeof(a), "%s/outside", t2); mkdir(a, 0755);
			snprintf(a, sizeof(a), "%s/outside/d", t2); mkdir(a, 0755);
			snprintf(a, sizeof(a), "%s/outside/f", t2); close(open(a, O_CREAT | O_WRONLY, 0644));
			snprintf(b, sizeof(b), "%s/prot/l1", t2); TAP_OK(symlink("../outside/f", b) == 0, "link to a file outside");
			snprintf(b, sizeof(b), "%s/prot/l2", t2); TAP_OK(symlink("../outside/d", b) == 0, "link to a dir outside");
			snprintf(b, sizeof(b), "%s/prot/l3", t2); TAP_OK(symlink("/proc/self/status", b) == 0, "link into /proc");
			snprintf(b, sizeof(b), "%s/prot/l4", t2); TAP_OK(symlink("../nothing", b) == 0, "dangling link");
			snprintf(spol, sizeof(spol), "protect %s\n", pp);
			p = NULL;
			r = NULL;
			TAP_OK(pf_policy_parse("s.conf", spol, strlen(spol), &p, &perr) == 0 &&
			       pf_resolve(p, &r, &err) == 0, "symlink policy resolves");
			if (r) {
				TAP_OK(r->n_symlink_targets == 1 && r->n_symlink_dirs == 1,
				       "one file target protected, one directory target counted (%zu, %zu)",
				       r->n_symlink_targets, r->n_symlink_dirs);
				snprintf(a, sizeof(a), "%s/outside/f", t2);
				TAP_OK(pf_resolved_check(r, a, &cr) == 0 && cr.protected_ && cr.entry &&
				       cr.entry->origin == PF_ORIGIN_TARGET,
				       "the file outside is protected as a symlink target");
				snprintf(a, sizeof(a), "%s/outside/d/new", t2);
				TAP_OK(pf_resolved_check(r, a, &cr) == 0 && !cr.protected_,
				       "the directory outside is not");
				TAP_OK(r->n == 2, "entries: the tree and the one target (%zu)", r->n);
			}
			pf_resolved_free(r);
			r = NULL;
			pf_policy_free(p);
			p = NULL;
			snprintf(spol, sizeof(spol), "rm -rf '%s'", t2);
			if (system(spol) != 0)
				fprintf(stderr, "cleanup failed\n");
		}
	}

	/* A token path judged by its object (tokenpath.h): no symbolic link on
	 * the way, the highest threshold of the entries on the object and its
	 * ancestors. */
	{
		char t3[] = "/tmp/pf-tokpath-XXXXXX", pol[1024], a[600], b[600];
		struct pf_policy *p = NULL;
		struct pf_resolved *r = NULL;
		struct pf_err perr, why;
		unsigned th = 99;

		if (mkdtemp(t3)) {
			snprintf(a, sizeof(a), "mkdir -p %s/prot/strict %s/prot/lax && echo x > %s/prot/strict/f && "
				 "ln -s strict %s/prot/alias && ln %s/prot/strict/f %s/prot/lax/hl", t3, t3, t3, t3, t3, t3);
			TAP_OK(system(a) == 0, "token path tree made");
			snprintf(pol, sizeof(pol), "approvals 1\nprotect %s/prot\nprotect %s/prot/strict approvals=3\n", t3, t3);
			TAP_OK(pf_policy_parse("tp.conf", pol, strlen(pol), &p, &perr) == 0 && pf_resolve(p, &r, &err) == 0,
			       "token path policy resolves");
			if (p && r) {
				snprintf(a, sizeof(a), "%s/prot/strict/f", t3);
				TAP_OK(pf_token_path_threshold(r, a, false, &th, &why) == 0 && th == 3,
				       "token path: the strict file itself: 3 (got %u)", th);
				snprintf(a, sizeof(a), "%s/prot/strict/", t3);
				TAP_OK(pf_token_path_threshold(r, a, true, &th, &why) == 0 && th == 3,
				       "token path: the strict subtree: 3 (got %u)", th);
				snprintf(a, sizeof(a), "%s/prot/strict/new.conf", t3);
				TAP_OK(pf_token_path_threshold(r, a, false, &th, &why) == 0 && th == 3,
				       "token path: a name to create in the strict tree: 3 (got %u)", th);
				snprintf(a, sizeof(a), "%s/prot/lax/new.conf", t3);
				TAP_OK(pf_token_path_threshold(r, a, false, &th, &why) == 0 && th == 1,
				       "token path: a name to create in the lax tree: 1 (got %u)", th);
				snprintf(a, sizeof(a), "%s/prot/alias/f", t3);
				snprintf(b, sizeof(b), "%s/prot/alias is a symbolic link (to strict): name the object by its own path", t3);
				TAP_OK(pf_token_path_threshold(r, a, false, &th, &why) == -ELOOP,
				       "token path: through a symbolic link: refused");
				TAP_STREQ(why.msg, b, "token path: the link is named");
				snprintf(a, sizeof(a), "%s/prot/alias", t3);
				TAP_OK(pf_token_path_threshold(r, a, false, &th, &why) == 0,
				       "token path: the link itself, as the last component, is an object");
				snprintf(a, sizeof(a), "%s/prot/lax/hl", t3);
				TAP_OK(pf_token_path_threshold(r, a, false, &th, &why) == 0 && th == 3,
				       "token path: a hard link in the lax tree to the strict file: 3 (got %u)", th);
				int failed = tokpath_without_openat2(r, t3);

				/* a bind mount of the strict subtree inside the lax tree */
				snprintf(a, sizeof(a), "mkdir -p %s/prot/lax/bind && mount --bind %s/prot/strict "
					 "%s/prot/lax/bind", t3, t3, t3);
				TAP_OK(system(a) == 0, "token path: bind mount made (needs root)");
				snprintf(a, sizeof(a), "%s/prot/lax/bind/f", t3);
				snprintf(b, sizeof(b), "%s/prot/lax/bind is a bind mount of ", t3);
				TAP_OK(pf_token_path_threshold(r, a, false, &th, &why) == -EXDEV,
				       "token path: through a bind mount of a subtree: refused");
				/* the subtree as its filesystem sees it (/tmp may be its own) */
				TAP_OK(strncmp(why.msg, b, strlen(b)) == 0 &&
				       strstr(why.msg, "/prot/strict on its filesystem: name the object by its own path"),
				       "token path: the bind mount is named (%s)", why.msg);
				snprintf(a, sizeof(a), "umount %s/prot/lax/bind", t3);
				if (system(a) != 0)
					fprintf(stderr, "umount failed\n");

				TAP_OK(failed == 0, "token path: the same answers where openat2 is refused "
						    "(seccomp): failed checks 0x%x", failed);
			}
			pf_resolved_free(r);
			pf_policy_free(p);
			snprintf(a, sizeof(a), "rm -rf '%s'", t3);
			if (system(a) != 0)
				fprintf(stderr, "cleanup failed\n");
		}
	}

	/* Approval thresholds from the policy. */
	{
		static const char tp[] = "approvals 1\nprotect /etc\nprotect /etc/sudoers approvals=2\n"
					 "exempt /etc/cache\nprotect /etc/cache/keep approvals=3\n";
		static const struct { const char *path; int subtree; int ret; unsigned want; } c[] = {
			{ "/etc/hosts", 0, 0, 1 },         { "/etc/sudoers", 0, 0, 2 },
			{ "/etc/", 1, 0, 3 },              { "/etc/cache/x", 0, -ENOENT, 0 },
			{ "/etc/cache/", 1, -ENOENT, 0 },  { "/etc/cache/keep/a", 0, 0, 3 },
			{ "/var/x", 0, -ENOENT, 0 },       { "/", 1, -ENOENT, 0 },
			{ "/etc/cache/keep/", 1, 0, 3 },   { "/etc", 0, 0, 1 },
			{ "/etc/sudoers.d/x", 0, 0, 1 },
		};
		struct pf_policy *tpol = NULL;
		TAP_OK(pf_policy_parse("t.conf", tp, sizeof(tp) - 1, &tpol, &perr) == 0, "threshold policy parses");
		for (size_t i = 0; tpol && i < sizeof(c) / sizeof(c[0]); i++) {
			unsigned t = 0;
			int r = pf_policy_threshold(tpol, c[i].path, c[i].subtree, &t);
			TAP_OK(r == c[i].ret && (r < 0 || t == c[i].want),
			       "threshold of %s: %d/%u (got %d/%u)", c[i].path, c[i].ret, c[i].want, r, t);
		}
		pf_policy_free(tpol);
	}

	/* Freeze state. */
	{
		struct pf_state s = { .mode = PF_MODE_ENFORCE, .since = 1764460000, .by_uid = 0, .by_pid = 7 }, l;
		char sd[512], path[600];
		FILE *f;
		snprintf(s.reason, sizeof(s.reason), "holiday\nfreeze \\ x");
		snprintf(sd, sizeof(sd), "%s/state", root);
		mkdir(sd, 0700);
		TAP_OK(pf_state_load(sd, &l, &err) == -ENOENT, "no state yet: ENOENT");
		TAP_OK(pf_state_save(sd, &s) == 0, "save");
		memset(&l, 0, sizeof(l));
		TAP_OK(pf_state_load(sd, &l, &err) == 0, "load");
		TAP_OK(l.mode == PF_MODE_ENFORCE && l.since == 1764460000 && l.by_pid == 7, "fields survive");
		TAP_STREQ(l.reason, "holiday\nfreeze \\ x", "reason survives");
		snprintf(path, sizeof(path), "%s/freeze", sd);
		f = fopen(path, "w");
		fputs("mode=frozen\nsince=1\nby_uid=0\n", f);
		fclose(f);
		TAP_OK(pf_state_load(sd, &l, &err) == -EINVAL, "an invalid mode is refused");
		TAP_OK(strstr(err.msg, "damaged: missing or invalid 'mode'") != NULL, "naming the field (%s)", err.msg);
		f = fopen(path, "w");
		fputs("mode=off\nsince=-1\nby_uid=0\n", f);
		fclose(f);
		TAP_OK(pf_state_load(sd, &l, &err) == -EINVAL && strstr(err.msg, "'since'"), "a negative since is refused (%s)", err.msg);
		f = fopen(path, "w");
		fputs("garbage", f);
		fclose(f);
		TAP_OK(pf_state_load(sd, &l, &err) == -EINVAL && strstr(err.msg, "missing final newline"), "garbage is refused (%s)", err.msg);
	}
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup failed\n");
	}
	return TAP_DONE();
}

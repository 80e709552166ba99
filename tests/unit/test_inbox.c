/* The inbox spool directory (lib/inbox.c): names, limits, file types,
 * collisions, reason files, per-scan cap. The decision is a stand-in. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "inbox.h"
#include "util.h"
#include "tap.h"

struct rec {
	char name[256], stored[512], reason[1100];
	int accepted;
};
static struct rec recs[256];
static int n_recs, n_decided;

/* Accepts files whose content starts with "GOOD". */
static int decide(void *data, const char *name, const char *bytes, size_t len, char *reason,
		  size_t reasonsz)
{
	(void)data;
	(void)name;
	n_decided++;
	if (len >= 4 && memcmp(bytes, "GOOD", 4) == 0) {
		snprintf(reason, reasonsz, "token %zu bytes", len);
		return 1;
	}
	snprintf(reason, reasonsz, "refused: format\nsecond line");
	return 0;
}

static void report(void *data, const char *name, bool accepted, const char *stored,
		   const char *reason)
{
	struct rec *r = &recs[n_recs++ % 256];

	(void)data;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->stored, sizeof(r->stored), "%s", stored ? stored : "(not kept)");
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->accepted = accepted;
}

static const struct rec *find(const char *name)
{
	for (int i = 0; i < n_recs && i < 256; i++)
		if (strcmp(recs[i].name, name) == 0)
			return &recs[i];
	return NULL;
}

static char dir[256];

static void put(const char *name, const char *text)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	pf_write_file_atomic(p, text, strlen(text), 0600);
}

static int exists(const char *rel)
{
	char p[1024];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static char *slurp(const char *rel)
{
	static char buf[2048];
	char p[1024];
	char *b = NULL;
	size_t n;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	buf[0] = 0;
	if (pf_read_file(p, sizeof(buf) - 1, &b, &n) == 0) {
		memcpy(buf, b, n + 1);
		free(b);
	}
	return buf;
}

static int scan(bool *more)
{
	struct pf_err err;
	n_recs = 0;
	n_decided = 0;
	return pf_inbox_scan(dir, decide, report, NULL, more, &err);
}

int main(void)
{
	char tmpl[] = "/tmp/pf-inbox-test.XXXXXX", out[300], p[1024];
	struct pf_err err;
	char longname[PF_INBOX_NAME_MAX + 2];
	const struct rec *r;
	bool more = true;
	int n;

	/* Names. */
	TAP_OK(pf_inbox_classify("tok1") == PF_INBOX_HANDLE, "plain name is handled");
	TAP_OK(pf_inbox_classify(".hidden") == PF_INBOX_SKIP, "dotfile is skipped");
	TAP_OK(pf_inbox_classify("tok1.tmp") == PF_INBOX_SKIP, "NAME.tmp is skipped (partial)");
	TAP_OK(pf_inbox_classify(".tmp") == PF_INBOX_SKIP, "\".tmp\" is skipped");
	TAP_OK(pf_inbox_classify("tok.tmpx") == PF_INBOX_HANDLE, "NAME.tmpx is handled");
	TAP_OK(pf_inbox_classify("accepted") == PF_INBOX_SKIP, "accepted/ is skipped");
	TAP_OK(pf_inbox_classify("rejected") == PF_INBOX_SKIP, "rejected/ is skipped");
	memset(longname, 'a', PF_INBOX_NAME_MAX);
	longname[PF_INBOX_NAME_MAX] = 0;
	TAP_OK(pf_inbox_classify(longname) == PF_INBOX_HANDLE, "a %d-byte name is handled",
	       PF_INBOX_NAME_MAX);
	longname[PF_INBOX_NAME_MAX] = 'a';
	longname[PF_INBOX_NAME_MAX + 1] = 0;
	TAP_OK(pf_inbox_classify(longname) == PF_INBOX_TOOLONG, "a %d-byte name is too long",
	       PF_INBOX_NAME_MAX + 1);
	TAP_OK(pf_inbox_dest_name("tok", 0, out, sizeof(out)) == 0 && strcmp(out, "tok") == 0,
	       "dest name, attempt 0: NAME");
	TAP_OK(pf_inbox_dest_name("tok", 7, out, sizeof(out)) == 0 && strcmp(out, "tok.7") == 0,
	       "dest name, attempt 7: NAME.7");
	TAP_OK(pf_inbox_dest_name(longname, 0, out, sizeof(out)) == 0 &&
		       strlen(out) == PF_INBOX_NAME_MAX,
	       "dest name of a too-long name is cut to %d bytes", PF_INBOX_NAME_MAX);
	TAP_OK(pf_inbox_dest_name("tok", 99, out, 5) == -ENAMETOOLONG, "dest name: small buffer refused");
	TAP_OK(PF_INBOX_NAME_MAX + 4 + 7 <= 255, "NAME.99.reason fits in NAME_MAX");

	if (!mkdtemp(tmpl)) {
		TAP_OK(0, "mkdtemp");
		return TAP_DONE();
	}
	snprintf(dir, sizeof(dir), "%s/inbox", tmpl);
	TAP_OK(pf_inbox_prepare(dir, &err) == 0, "prepare makes the inbox");
	TAP_OK(exists("accepted") && exists("rejected"), "prepare makes accepted/ and rejected/");
	{
		struct stat st;
		TAP_OK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "inbox is mode 0700");
	}
	TAP_OK(pf_inbox_prepare(dir, &err) == 0, "prepare twice is fine");

	/* A symlinked subdirectory is refused. */
	{
		char bad[512], l[600];
		snprintf(bad, sizeof(bad), "%s/bad", tmpl);
		mkdir(bad, 0700);
		snprintf(l, sizeof(l), "%s/accepted", bad);
		TAP_OK(symlink("/tmp", l) == 0, "symlink made");
		TAP_OK(pf_inbox_prepare(bad, &err) == -ENOTDIR && strstr(err.msg, "accepted"),
		       "prepare refuses accepted/ that is a symlink, naming it (%s)", err.msg);
	}

	/* Empty inbox. */
	TAP_OK(scan(&more) == 0 && !more && n_recs == 0, "empty inbox: nothing handled");

	/* One good, one bad, ignored files. */
	put("good", "GOOD token\n");
	put("bad", "junk\n");
	put("partial.tmp", "GOOD half");
	put(".dot", "GOOD hidden");
	n = scan(&more);
	TAP_OK(n == 2 && !more, "two files handled (got %d)", n);
	r = find("good");
	TAP_OK(r && r->accepted && strcmp(r->stored, "accepted/good") == 0, "good -> accepted/good");
	TAP_STREQ(slurp("accepted/good.reason"), "accepted: token 11 bytes\n", "accepted reason file");
	TAP_STREQ(slurp("accepted/good"), "GOOD token\n", "accepted file content intact");
	r = find("bad");
	TAP_OK(r && !r->accepted && strcmp(r->stored, "rejected/bad") == 0, "bad -> rejected/bad");
	TAP_STREQ(slurp("rejected/bad.reason"), "rejected: refused: format second line\n",
		  "reason file is one line (newline in the reason flattened)");
	TAP_OK(!exists("good") && !exists("bad"), "both left the inbox");
	TAP_OK(exists("partial.tmp") && exists(".dot"), "NAME.tmp and dotfiles stay");

	/* Collisions. */
	put("good", "GOOD again\n");
	put("bad", "junk again\n");
	scan(&more);
	TAP_OK(exists("accepted/good.1") && exists("accepted/good.1.reason"),
	       "collision in accepted/: good.1");
	TAP_OK(exists("rejected/bad.1"), "collision in rejected/: bad.1");
	TAP_STREQ(slurp("accepted/good"), "GOOD token\n", "the first accepted/good is not replaced");
	/* A stale reason file alone also takes the name. */
	put("rejected/x.reason", "old\n");
	put("x", "junk\n");
	scan(&more);
	TAP_OK(exists("rejected/x.1") && !exists("rejected/x"), "an existing NAME.reason makes NAME taken");
	/* All PF_INBOX_MAX_DUP suffixes taken: the file is not kept. */
	put("rejected/full", "x");
	for (int k = 1; k <= PF_INBOX_MAX_DUP; k++) {
		char nm[64];
		snprintf(nm, sizeof(nm), "rejected/full.%d", k);
		put(nm, "x");
	}
	put("full", "junk\n");
	scan(&more);
	r = find("full");
	TAP_OK(r && !r->accepted && strcmp(r->stored, "(not kept)") == 0 && !exists("full"),
	       "all %d suffixes taken: reported as not kept, removed from the inbox", PF_INBOX_MAX_DUP);

	/* File types: never opened, never followed. */
	snprintf(p, sizeof(p), "%s/link", dir);
	TAP_OK(symlink("/etc/passwd", p) == 0, "symlink made");
	snprintf(p, sizeof(p), "%s/fifo", dir);
	mkfifo(p, 0600);
	snprintf(p, sizeof(p), "%s/sub", dir);
	mkdir(p, 0700);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (strlen(dir) + 6 < sizeof(sa.sun_path))
			strcat(strcpy(sa.sun_path, dir), "/sock");
		bind(s, (struct sockaddr *)&sa, sizeof(sa));
		close(s);
	}
	n_decided = 0;
	scan(&more);
	TAP_OK(n_decided == 0, "no decision asked for non-regular files");
	r = find("link");
	TAP_OK(r && !r->accepted && strstr(r->reason, "symlink (not followed)"), "symlink rejected: %s",
	       r ? r->reason : "?");
	{
		struct stat st;
		snprintf(p, sizeof(p), "%s/rejected/link", dir);
		TAP_OK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode), "the symlink itself is moved");
	}
	r = find("fifo");
	TAP_OK(r && !r->accepted && strstr(r->reason, "a FIFO"), "FIFO rejected without blocking");
	r = find("sub");
	TAP_OK(r && !r->accepted && strstr(r->reason, "a directory") && exists("rejected/sub"),
	       "directory rejected and moved");
	r = find("sock");
	TAP_OK(r && !r->accepted && strstr(r->reason, "a socket"), "socket rejected");

	/* Size limit. */
	{
		char *big = malloc(PF_INBOX_MAX_FILE + 2);
		memset(big, 'G', PF_INBOX_MAX_FILE + 1);
		memcpy(big, "GOOD", 4);
		big[PF_INBOX_MAX_FILE + 1] = 0;
		put("big", big);
		big[PF_INBOX_MAX_FILE] = 0;
		put("atlimit", big);
		free(big);
	}
	scan(&more);
	r = find("big");
	TAP_OK(r && !r->accepted && strstr(r->reason, "larger than the limit (458752 bytes)"),
	       "a file one byte over %d bytes is rejected: %s", PF_INBOX_MAX_FILE, r ? r->reason : "?");
	r = find("atlimit");
	TAP_OK(r && r->accepted, "a file of exactly %d bytes is decided", PF_INBOX_MAX_FILE);

	/* Too long a name: rejected, stored under the cut name. */
	longname[PF_INBOX_NAME_MAX + 1] = 0;
	put(longname, "GOOD\n");
	scan(&more);
	r = find(longname);
	TAP_OK(r && !r->accepted && strstr(r->reason, "name longer than 200 bytes") &&
		       strlen(r->stored) == strlen("rejected/") + PF_INBOX_NAME_MAX,
	       "a 201-byte name is rejected, stored cut to 200 bytes");

	/* Per-scan cap. */
	for (int k = 0; k < PF_INBOX_MAX_PER_SCAN + 5; k++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "t%03d", k);
		put(nm, "junk\n");
	}
	n = scan(&more);
	TAP_OK(n == PF_INBOX_MAX_PER_SCAN && more, "a scan stops at %d files and says more remain (got %d)",
	       PF_INBOX_MAX_PER_SCAN, n);
	n = scan(&more);
	TAP_OK(n == 5 && !more, "the next scan takes the remaining 5 (got %d)", n);

	/* An inbox that is gone: an error naming it. */
	{
		char gone[512];
		snprintf(gone, sizeof(gone), "%s/nope", tmpl);
		TAP_OK(pf_inbox_scan(gone, decide, report, NULL, &more, &err) == -ENOENT &&
			       strstr(err.msg, gone),
		       "a missing inbox is an error naming it");
	}

	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup failed\n");
	}
	return TAP_DONE();
}

/* Unit tests: the audit log's compressor (user/lib/log/logzip.c) through
 * the writer: the active file compressed while it grows, rotated files made
 * of 1 MiB gzip members that read back whole, the compressor's threads
 * without capabilities, nothing left behind at close, and a writer killed
 * with SIGKILL at any moment losing no committed line. Temp dirs only. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <zlib.h>

#include "auditlog.h"
#include "json.h"
#include "logfile.h"
#include "logverify.h"
#include "logzip.h"
#include "tap.h"
#include "util.h"

static char dir[64];
static int nlog;

static const char *fresh_log(void)
{
	static char p[512];
	char d[256];

	snprintf(d, sizeof(d), "%s/z%d", dir, ++nlog);
	mkdir(d, 0700);
	snprintf(p, sizeof(p), "%s/audit.log", d);
	return p;
}

static struct pf_auditlog *open_log(const char *path, uint64_t max_size, unsigned keep)
{
	struct pf_auditlog_opts o = { .host = "zip1", .max_size = max_size, .keep = keep };
	struct pf_auditlog *l = NULL;
	struct pf_err err;

	if (pf_auditlog_open(path, &o, &l, &err) < 0)
		printf("# open %s: %s\n", path, err.msg);
	return l;
}

/* @n records of about 1 KiB each, in batches as the agent writes them.
 * 0 or the first failure. */
static int write_records(struct pf_auditlog *l, int n)
{
	static char pad[1001];
	struct pf_buf b;
	struct pf_json j;
	int r = 0;

	memset(pad, 'x', sizeof(pad) - 1);
	pf_buf_init(&b);
	for (int i = 0; i < n && r == 0; i++) {
		if (pf_auditlog_batch_full(l))
			r = pf_auditlog_batch_commit(l);
		pf_auditlog_record_begin(l, &j, &b, "note");
		pf_json_key(&j, "pad");
		pf_json_str(&j, pad + (i % 97));
		pf_json_obj_end(&j);
		pf_buf_putc(&b, '\n');
		if (r == 0)
			r = pf_auditlog_batch_add_own(l, b.data, b.len);
	}
	if (r == 0)
		r = pf_auditlog_batch_commit(l);
	pf_buf_free(&b);
	return r;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The threads of this process but the main one: their count, how many
 * hold any capability (CapPrm or CapEff not zero), and how many would take
 * SIGTERM, SIGHUP or SIGINT (not in SigBlk). */
static void other_threads(int *ret_n, int *ret_capable, int *ret_signalled)
{
	const unsigned long long term = 1ULL << (SIGTERM - 1) | 1ULL << (SIGHUP - 1) |
					1ULL << (SIGINT - 1);
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	*ret_n = *ret_capable = *ret_signalled = 0;
	while (d && (e = readdir(d))) {
		char p[320], line[256];
		FILE *f;

		if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
			continue;
		(*ret_n)++;
		snprintf(p, sizeof(p), "/proc/self/task/%s/status", e->d_name);
		f = fopen(p, "r");
		for (int capable = 0; f && fgets(line, sizeof(line), f);) {
			if ((!strncmp(line, "CapPrm:", 7) || !strncmp(line, "CapEff:", 7)) &&
			    strtoull(line + 7, NULL, 16) != 0 && !capable++)
				(*ret_capable)++;
			if (!strncmp(line, "SigBlk:", 7) &&
			    (strtoull(line + 7, NULL, 16) & term) != term)
				(*ret_signalled)++;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

/* gzip members in @path, each inflated to its end; -1: not gzip. */
static int gzip_members(const char *path, uint64_t *ret_bytes)
{
	FILE *f = fopen(path, "rb");
	static unsigned char in[1 << 16], out[1 << 16];
	z_stream zs;
	int members = 0, r = Z_OK;
	size_t n;

	*ret_bytes = 0;
	memset(&zs, 0, sizeof(zs));
	if (!f || inflateInit2(&zs, 15 + 16) != Z_OK) {
		if (f)
			fclose(f);
		return -1;
	}
	while (r != Z_DATA_ERROR && (zs.avail_in || (n = fread(in, 1, sizeof(in), f)) > 0)) {
		if (!zs.avail_in) {
			zs.next_in = in;
			zs.avail_in = (uInt)n;
		}
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		r = inflate(&zs, Z_NO_FLUSH);
		*ret_bytes += sizeof(out) - zs.avail_out;
		if (r == Z_STREAM_END) {
			members++;
			inflateReset(&zs);
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			members = -1;
			break;
		}
	}
	inflateEnd(&zs);
	fclose(f);
	return members;
}

static void test_follows_the_active_file(void)
{
	const char *p = fresh_log();
	char tmp[600];
	struct pf_auditlog *l = open_log(p, 64ULL << 20, 3);
	int n, capable, signalled;
	long sz = -1;

	snprintf(tmp, sizeof(tmp), "%s.1.gz.tmp", p);
	other_threads(&n, &capable, &signalled);
	TAP_OK(l && n == PF_LOGZIP_THREADS && capable == 0,
	       "an open writer has %d compressor threads, none holding a capability (%d threads, %d "
	       "capable; uid %u)",
	       PF_LOGZIP_THREADS, n, capable, (unsigned)getuid());
	TAP_OK(l && signalled == 0,
	       "they block SIGTERM, SIGHUP and SIGINT (a signal for the process is not theirs to "
	       "take: %d would)", signalled);
	TAP_OK(l && write_records(l, 3000) == 0, "3000 records (about 3 MiB) written, no rotation");
	for (int i = 0; i < 100 && (sz = file_size(tmp)) <= 0; i++)
		poll(NULL, 0, 50);
	TAP_OK(sz > 0 && file_size(p) > 2 * PF_LOGZIP_SEGMENT,
	       "the active file is compressed while it grows: %s holds %ld bytes before any "
	       "rotation", tmp + strlen(dir), sz);
	pf_auditlog_close(l);
	other_threads(&n, &capable, &signalled);
	TAP_OK(file_size(tmp) < 0 && n == 0,
	       "close removes the partial compression and stops the threads (%d left)", n);
}

static void test_rotated_members(void)
{
	const char *p = fresh_log();
	char gz[600], plain[600];
	struct pf_auditlog *l = open_log(p, 3ULL << 20, 9);
	struct pf_log_verify_result v;
	uint64_t bytes = 0;
	int members;

	/* at least two rotations even with every one held back to twice
	 * max-size (a compression behind on a busy machine) */
	TAP_OK(l && write_records(l, 14000) == 0, "14000 records (about 14 MiB) with max-size 3 MiB");
	pf_auditlog_wait(l);
	snprintf(gz, sizeof(gz), "%s.1.gz", p);
	snprintf(plain, sizeof(plain), "%s.1", p);
	members = gzip_members(gz, &bytes);
	TAP_OK(bytes > (3ULL << 20) - 4096 && bytes < 6ULL << 20 &&
	       members == (int)((bytes + PF_LOGZIP_SEGMENT - 1) / PF_LOGZIP_SEGMENT) &&
	       file_size(plain) < 0,
	       "the rotated file is %d gzip members, one per MiB, holding %llu bytes, path.1 gone",
	       members, (unsigned long long)bytes);
	snprintf(gz, sizeof(gz), "%s.2.gz", p);
	TAP_OK(gzip_members(gz, &bytes) >= 3, "so is the one before it");
	pf_auditlog_close(l);
	memset(&v, 0, sizeof(v));
	TAP_OK(pf_log_verify(p, &v) == 0 && v.problem == PF_LOG_OK && v.files >= 3 &&
	       v.records == 14000 + 1 + (v.files - 1),
	       "the chain reads back through the members: intact, %llu records in %u files (%s)",
	       (unsigned long long)v.records, v.files, v.detail);
}

/* A writer killed with SIGKILL after @ms, rotating every 4 MiB: the next
 * open completes what it left, and every line it committed is there. */
static void kill_writer(int ms)
{
	const char *p0 = fresh_log();
	char p[512], tmp[600], plain[600];
	struct pf_log_verify_result v;
	struct pf_auditlog *l;
	uint64_t committed = 0, seq;
	int fds[2], st;
	pid_t pid;

	snprintf(p, sizeof(p), "%s", p0);
	if (pipe(fds) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		l = open_log(p, 4ULL << 20, PF_LOG_MAX_FILES);
		for (;;) {
			if (!l || write_records(l, 300) < 0)
				_exit(1);
			seq = pf_auditlog_next_seq(l) - 1;
			if (write(fds[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(1);
		}
	}
	close(fds[1]);
	poll(NULL, 0, ms);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	while (read(fds[0], &seq, sizeof(seq)) == sizeof(seq))
		committed = seq;
	close(fds[0]);
	l = open_log(p, 4ULL << 20, PF_LOG_MAX_FILES);
	pf_auditlog_wait(l);
	pf_auditlog_close(l);
	snprintf(tmp, sizeof(tmp), "%s.1.gz.tmp", p);
	snprintf(plain, sizeof(plain), "%s.1", p);
	memset(&v, 0, sizeof(v));
	TAP_OK(WIFSIGNALED(st) && committed > 0 && pf_log_verify(p, &v) == 0 &&
	       v.problem == PF_LOG_OK && v.anchored && v.last_seq >= committed &&
	       file_size(tmp) < 0 && file_size(plain) < 0,
	       "SIGKILL after %d ms: intact from its chain start over %u files, seq %llu at or beyond the "
	       "%llu committed, no path.1 or temporary left (%s)",
	       ms, v.files, (unsigned long long)v.last_seq, (unsigned long long)committed,
	       v.detail);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pf-logzip-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_follows_the_active_file();
	test_rotated_members();
	kill_writer(150);
	kill_writer(400);
	kill_writer(900);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return TAP_DONE();
}

/* Unit tests: the audit-log writer (auditlog.c), reader and verifier
 * (logfile.c, logrec.c, logverify.c, logfilter.c, logformat.c, all in
 * user/lib/log/) and `permafrost log` (logcmd.c): the hash chain and each kind
 * of tampering found at the right line, torn-tail recovery, seq across
 * reopen, rotation with gzip and the keep limit, an interrupted rotation,
 * filters, and hostile paths on the terminal. Everything in temp dirs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "auditlog.h"
#include "event.h"
#include "json.h"
#include "logcmd.h"
#include "logread.h"
#include "tap.h"
#include "util.h"

static char dir[64];
static int nlog;

/* A fresh log path in the temp dir. */
static const char *new_path(void)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/l%d/audit.log", dir, ++nlog);
	snprintf(p + 400, 100, "%s/l%d", dir, nlog);
	mkdir(p + 400, 0700);
	return p;
}

static struct pf_auditlog *open_log(const char *path, uint64_t max_size, unsigned keep)
{
	struct pf_auditlog_opts o = { .host = "web1", .max_size = max_size, .keep = keep };
	struct pf_auditlog *l = NULL;
	struct pf_err err;
	int r = pf_auditlog_open(path, &o, &l, &err);

	if (r < 0)
		printf("# open %s: %d %s\n", path, r, err.msg);
	return l;
}

/* An event line as the agent writes it, through pf_event_to_json. */
static int add_event(struct pf_auditlog *l, uint32_t decision, uint32_t op, const char *leaf,
		     size_t leaflen, uint32_t uid, uint32_t pid)
{
	struct pf_event e;
	struct pf_event_ctx ctx = { .boot_to_real_ns = 1764460800LL * 1000000000LL, .host = "web1" };
	struct pf_buf b;
	int r;

	memset(&e, 0, sizeof(e));
	e.ts_boot_ns = 1000000000ULL * pf_auditlog_next_seq(l);
	e.decision = decision;
	e.mode = PF_MODE_ENFORCE;
	e.op = op;
	e.uid = uid;
	e.tgid = pid;
	e.pid = pid;
	e.dev = (254 << 20) | 1;
	e.ino = 42;
	memcpy(e.comm, "vi", 3);
	/* components leaf first: leaf \0 "nginx" \0 "etc" */
	memcpy(e.path, leaf, leaflen);
	memcpy(e.path + leaflen, "\0nginx\0etc", 11);
	e.path_len = (uint32_t)leaflen + 11;
	ctx.seq = pf_auditlog_next_seq(l);
	pf_buf_init(&b);
	r = pf_event_to_json(&e, &ctx, &b);
	if (r == 0)
		r = pf_auditlog_append(l, b.data, b.len);
	pf_buf_free(&b);
	return r;
}

static int add_record(struct pf_auditlog *l, const char *decision)
{
	struct pf_json j;
	struct pf_buf b;
	int r;

	pf_buf_init(&b);
	pf_auditlog_record_begin(l, &j, &b, decision);
	r = pf_auditlog_record_end(l, &j, &b);
	pf_buf_free(&b);
	return r;
}

/* --- file helpers ------------------------------------------------------------ */

struct lines {
	char *l[256];
	size_t n;
};

static void lines_free(struct lines *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->l[i]);
	ls->n = 0;
}

/* Complete lines of a file (each with its '\n'); a torn tail is dropped. */
static void read_lines(const char *path, struct lines *ls)
{
	char *buf = NULL, *p, *nl;
	size_t len = 0;

	ls->n = 0;
	if (pf_read_file(path, 1 << 24, &buf, &len) < 0)
		return;
	p = buf;
	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) && ls->n < 256) {
		ls->l[ls->n++] = strndup(p, (size_t)(nl - p) + 1);
		p = nl + 1;
	}
	free(buf);
}

static void write_lines(const char *path, const struct lines *ls)
{
	FILE *f = fopen(path, "w");

	for (size_t i = 0; i < ls->n; i++)
		fputs(ls->l[i], f);
	fclose(f);
}

static int copy_file(const char *from, const char *to)
{
	char *buf = NULL;
	size_t len;
	FILE *f;

	if (pf_read_file(from, 1 << 24, &buf, &len) < 0)
		return -1;
	f = fopen(to, "w");
	fwrite(buf, 1, len, f);
	fclose(f);
	free(buf);
	return 0;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void sha_hex(const char *s, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int ml = 32;

	EVP_Digest(s, n, md, &ml, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static struct pf_log_verify_result vres;

static enum pf_log_problem verify(const char *path)
{
	memset(&vres, 0, sizeof(vres));
	if (pf_log_verify(path, &vres) < 0)
		return (enum pf_log_problem)-1;
	return vres.problem;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The chain head run_cli passes (NULL: none). */
static const struct pf_log_head_src *cli_head;

/* Runs `permafrost log ARGS` with stdout and stderr captured. */
static int run_cli(int json, const char *def, char *out, size_t outsz, char *err, size_t errsz,
		   int argc, char **argv)
{
	char of[512], ef[512];
	int o, e, so, se, code;
	FILE *f;
	size_t n;

	snprintf(of, sizeof(of), "%s/cli.out", dir);
	snprintf(ef, sizeof(ef), "%s/cli.err", dir);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	o = open(of, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = open(ef, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(o, 1);
	dup2(e, 2);
	code = pf_cli_log(argc, argv, json, def, cli_head);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(o);
	close(e);
	close(so);
	close(se);
	f = fopen(of, "r");
	n = fread(out, 1, outsz - 1, f);
	out[n] = 0;
	fclose(f);
	f = fopen(ef, "r");
	n = fread(err, 1, errsz - 1, f);
	err[n] = 0;
	fclose(f);
	return code;
}

/* A 10-line log: chain-start, 8 denials, agent-stop. */
static void make_ten(const char *path)
{
	struct pf_auditlog *l = open_log(path, 0, 0);

	for (int i = 0; i < 8; i++)
		add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "nginx.conf", 10, 0, 100 + (uint32_t)i);
	add_record(l, "agent-stop");
	pf_auditlog_close(l);
}

/* --- tests --------------------------------------------------------------------- */

/* The head the agent keeps outside the file: a consistent rewrite (an
 * edited line, every later "prev" recomputed) and a cut tail pass the
 * chain but not the head. */
static void test_head(void)
{
	const char *p = new_path();
	struct pf_auditlog *l = open_log(p, 0, 0);
	struct pf_log_head head;
	struct lines ls;
	char h[65];

	for (int i = 0; i < 8; i++)
		add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "nginx.conf", 10, 0, 100 + (uint32_t)i);
	head.seq = pf_auditlog_head(l, head.hash);
	pf_auditlog_close(l);
	TAP_OK(head.seq == 9, "the head is the last line written (seq %llu)", (unsigned long long)head.seq);
	memset(&vres, 0, sizeof(vres));
	TAP_OK(pf_log_verify_head(p, &head, &vres, NULL, NULL) == 0 && vres.problem == PF_LOG_OK &&
	       vres.head == PF_LOG_HEAD_MATCHED, "untouched: intact, the head matched");

	/* rewrite line 4 and recompute the chain after it */
	read_lines(p, &ls);
	ls.l[3][strlen(ls.l[3]) - 80] ^= 1; /* a byte inside the record, not its prev */
	for (size_t i = 4; i < ls.n; i++) {
		size_t n = strlen(ls.l[i]);

		sha_hex(ls.l[i - 1], strlen(ls.l[i - 1]), h);
		memcpy(ls.l[i] + n - 67, h, 64);
	}
	write_lines(p, &ls);
	TAP_OK(verify(p) == PF_LOG_OK, "a consistent rewrite passes the chain alone");
	memset(&vres, 0, sizeof(vres));
	TAP_OK(pf_log_verify_head(p, &head, &vres, NULL, NULL) == 0 && vres.problem == PF_LOG_REWRITTEN &&
	       vres.line == 9, "with the head: rewritten, at the head's line (%s:%llu %s)",
	       base(vres.file), (unsigned long long)vres.line, vres.detail);
	TAP_OK(strstr(vres.detail, "seq 9 is not the line the agent wrote") != NULL, "the detail names the seq");

	/* the newest line cut off (from the untouched log) */
	lines_free(&ls);
	p = new_path();
	l = open_log(p, 0, 0);
	for (int i = 0; i < 8; i++)
		add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "nginx.conf", 10, 0, 100 + (uint32_t)i);
	head.seq = pf_auditlog_head(l, head.hash);
	pf_auditlog_close(l);
	read_lines(p, &ls);
	free(ls.l[--ls.n]);
	write_lines(p, &ls);
	TAP_OK(verify(p) == PF_LOG_OK, "the newest line cut: the chain alone passes");
	memset(&vres, 0, sizeof(vres));
	TAP_OK(pf_log_verify_head(p, &head, &vres, NULL, NULL) == 0 && vres.problem == PF_LOG_DELETED &&
	       vres.line == 8, "with the head: deleted, at the last line left (%llu)", (unsigned long long)vres.line);
	TAP_STREQ(vres.detail, "the log ends at seq 8, but the agent had written seq 9 (the chain head it kept in the kernel): its newest lines were removed (1)", "the detail says how many");
	/* lines written after the head was read are fine */
	head.seq = 5;
	read_lines(p, &ls);
	sha_hex(ls.l[4], strlen(ls.l[4]), h);
	for (int i = 0; i < 32; i++)
		head.hash[i] = (uint8_t)(pf_unhex_digit(h[2 * i]) << 4 | pf_unhex_digit(h[2 * i + 1]));
	memset(&vres, 0, sizeof(vres));
	TAP_OK(pf_log_verify_head(p, &head, &vres, NULL, NULL) == 0 && vres.problem == PF_LOG_OK &&
	       vres.head == PF_LOG_HEAD_MATCHED, "a head behind the file's end: matched at its seq");
	lines_free(&ls);

	/* what `permafrost log verify` says of it */
	{
		struct pf_log_head_src src = { .have = 1, .head = head };
		char out[4096], err[4096], *argv[] = { "log", "verify", "--file", (char *)p, NULL };
		int code;

		snprintf(src.log, sizeof(src.log), "%s", p);
		cli_head = &src;
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 4, argv);
		TAP_OK(code == 0 && strstr(out, "; matches the chain head the agent kept in the kernel (seq 5)\n"), "verify: says the head matched (%d: %s)", code, out);
		snprintf(src.log, sizeof(src.log), "/var/log/other.log");
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 4, argv);
		TAP_OK(code == 0 && strstr(out, "; chain head not checked: the agent keeps the head of /var/log/other.log, not of this file\n"), "verify: another log's head is not applied (%s)", out);
		src.have = 0;
		snprintf(src.why, sizeof(src.why), "cannot reach the agent at /run/x.sock: No such file or directory");
		code = run_cli(1, p, out, sizeof(out), err, sizeof(err), 4, argv);
		TAP_OK(code == 0 && strstr(out, "\"chain_head\":\"not checked\"") && strstr(out, "cannot reach the agent"), "verify --json: not checked, and why (%s)", out);
		src.have = 1;
		snprintf(src.log, sizeof(src.log), "%s", p);
		head.seq = 9;
		src.head = head;
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 4, argv);
		TAP_OK(code == 1 && strstr(err, "its newest lines were removed (1)"), "verify: a cut log fails with the head (%d: %s)", code, err);
		cli_head = NULL;
	}
}

static void test_chain(void)
{
	const char *p = new_path();
	struct pf_auditlog *l = open_log(p, 0, 0);
	struct pf_logrec rec;
	struct lines ls;
	struct pf_buf b;
	char h[65], want[80];
	off_t sz;
	uint64_t v;

	TAP_OK(l != NULL, "open a new log");
	TAP_OK(pf_auditlog_next_seq(l) == 2, "after chain-start the next seq is 2");
	TAP_OK(pf_auditlog_last_time_ns(l) == 0, "a new log has no last time");
	read_lines(p, &ls);
	TAP_OK(ls.n == 1 && pf_logrec_parse(ls.l[0], strlen(ls.l[0]), &rec) == 0,
	       "a new log holds one record");
	TAP_OK(pf_logrec_str_eq(&rec, "decision", "chain-start") &&
	       pf_logrec_str_eq(&rec, "host", "web1") && pf_logrec_u64(&rec, "seq", &v) == 0 &&
	       v == 1 && pf_logrec_u64(&rec, "v", &v) == 0 && v == PF_AUDITLOG_VERSION,
	       "chain-start: decision, host, seq 1, the schema version");
	pf_buf_init(&b);
	TAP_OK(pf_logrec_str(&rec, "chain", &b) == 0 && b.len == 32 && !pf_logrec_find(&rec, "prev"),
	       "chain-start: a 128-bit chain id, no prev");
	TAP_OK(access("/proc/sys/kernel/random/boot_id", R_OK) != 0 ||
	       (pf_buf_reset(&b), pf_logrec_str(&rec, "boot_id", &b) == 0 && b.len == 36),
	       "chain-start: the boot id");
	pf_buf_free(&b);
	lines_free(&ls);

	for (int i = 0; i < 3; i++)
		TAP_OK(add_event(l, PF_DEC_DENY, PF_OP_OPEN_TRUNC, "nginx.conf", 10, 0, 7) == 0,
		       "append event seq %d", i + 2);
	read_lines(p, &ls);
	TAP_OK(ls.n == 4, "four lines");
	sha_hex(ls.l[0], strlen(ls.l[0]), h);
	snprintf(want, sizeof(want), ",\"prev\":\"%s\"}\n", h);
	TAP_OK(strlen(ls.l[1]) > strlen(want) &&
	       strcmp(ls.l[1] + strlen(ls.l[1]) - strlen(want), want) == 0,
	       "line 2 ends with the SHA-256 of line 1 as prev");
	sha_hex(ls.l[2], strlen(ls.l[2]), h);
	TAP_OK(strstr(ls.l[3], h) != NULL, "line 4 carries the SHA-256 of line 3");
	lines_free(&ls);

	/* refusals: nothing is written */
	sz = file_size(p);
#define SEQ5 "{\"seq\":5"
	TAP_OK(pf_auditlog_append(l, "{\"seq\":5}", 9) == -EINVAL, "refused: no final newline");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":5,\n\"a\":1}\n", 17) == -EINVAL, "refused: interior newline");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":5} \n", 11) == -EINVAL, "refused: bytes after the }");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":5}{\"a\":1}\n", 17) == -EINVAL, "refused: two objects");
	TAP_OK(pf_auditlog_append(l, "[5]\n", 4) == -EINVAL, "refused: not an object");
	TAP_OK(pf_auditlog_append(l, "{}\n", 3) == -EINVAL, "refused: empty object");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":5,\"a\":}\n", 15) == -EINVAL, "refused: not JSON");
	TAP_OK(pf_auditlog_append(l, "{\"a\":1}\n", 8) == -EINVAL, "refused: no seq");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":5,\"prev\":\"00\"}\n", 22) == -EINVAL, "refused: has prev");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":5,\"seq\":5}\n", 18) == -EINVAL, "refused: seq twice");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":6}\n", 10) == -EILSEQ, "refused: seq 6 when 5 is next");
	TAP_OK(pf_auditlog_append(l, "{\"seq\":4}\n", 10) == -EILSEQ, "refused: seq 4 again");
	{
		char *big = malloc(PF_LOG_LINE_MAX + 10);
		size_t n = (size_t)snprintf(big, 64, "{\"seq\":5,\"x\":\"");
		memset(big + n, 'a', PF_LOG_LINE_MAX - n - 60);
		n = PF_LOG_LINE_MAX - 60;
		memcpy(big + n, "\"}\n", 3);
		TAP_OK(pf_auditlog_append(l, big, n + 3) == -E2BIG,
		       "refused: a line over 64 KiB once prev is added");
		free(big);
	}
	/* append_own: the same refusals without a full parse */
	TAP_OK(pf_auditlog_append_own(l, "{\"seq\":5}", 9) == -EINVAL, "own: refused: no final newline");
	TAP_OK(pf_auditlog_append_own(l, "{\"seq\":5,\n\"a\":1}\n", 17) == -EINVAL, "own: refused: interior newline");
	TAP_OK(pf_auditlog_append_own(l, "{\"a\":1}\n", 8) == -EINVAL, "own: refused: no seq");
	TAP_OK(pf_auditlog_append_own(l, "{\"seq\":x}\n", 10) == -EINVAL, "own: refused: seq not a number");
	TAP_OK(pf_auditlog_append_own(l, "{\"seq\":5,\"prev\":\"00\"}\n", 22) == -EINVAL, "own: refused: has prev");
	{
		/* "prev" found wherever it is, after other v's; a prev in a
		 * string value (its quotes escaped) is no key */
		static const char *const has[] = {
			"{\"prev\":\"00\",\"seq\":5}\n",
			"{\"seq\":5,\"unit\":\"a.service\",\"v\":2,\"prev\":\"\"}\n",
			"{\"seq\":5,\"vv\":\"v\",\"prev\":1}\n",
		};
		int all = 1;

		for (size_t k = 0; k < sizeof(has) / sizeof(has[0]); k++)
			all &= pf_auditlog_append_own(l, has[k], strlen(has[k])) == -EINVAL;
		TAP_OK(all, "own: refused: has prev (first key, last key, after other v bytes)");
		static const char esc[] = "{\"seq\":6,\"path\":\"\\\"prev\\\":\"}\n";

		TAP_OK(pf_auditlog_append_own(l, esc, strlen(esc)) == -EILSEQ,
		       "own: an escaped \"prev\": in a value is no key (then refused for its seq 6)");
	}
	TAP_OK(pf_auditlog_append_own(l, "{\"seq\":6}\n", 10) == -EILSEQ, "own: refused: seq 6 when 5 is next");
	TAP_OK(pf_auditlog_append_own(l, "{\"seq\":99999999999999999999}\n", 30) == -EINVAL, "own: refused: seq overflows");
	TAP_OK(file_size(p) == sz && pf_auditlog_next_seq(l) == 5, "nothing written by refusals");
	TAP_OK(pf_auditlog_append(l, SEQ5 ",\"decision\":\"x\"}\n", strlen(SEQ5) + 17) == 0, "a minimal record is accepted");
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 5 && vres.first_seq == 1 &&
	       vres.last_seq == 5 && vres.anchored == 1 && vres.clean_end == 0 && vres.files == 1,
	       "verify: intact, 5 records, seq 1..5, anchored, open-ended");
	pf_auditlog_close(l);

	/* seq and chain continue across a reopen */
	l = open_log(p, 0, 0);
	TAP_OK(l && pf_auditlog_next_seq(l) == 6, "reopen: next seq is 6");
	TAP_OK(add_record(l, "agent-start") == 0 && add_record(l, "agent-stop") == 0,
	       "append after reopen");
	pf_auditlog_close(l);
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 7 && vres.last_seq == 7 && vres.clean_end,
	       "verify after reopen: intact, 7 records, ends with agent-stop");
	l = open_log(p, 0, 0);
	{
		struct pf_auditlog *l2 = NULL;
		struct pf_auditlog_opts o = { .host = "x" };
		struct pf_err err;
		TAP_OK(pf_auditlog_open(p, &o, &l2, &err) == -EBUSY &&
		       strstr(err.msg, "another process") != NULL,
		       "a second writer is refused (-EBUSY)");
	}
	{
		int64_t t0 = 1764460800LL * 1000000000LL;
		TAP_OK(pf_auditlog_gap(l, t0, t0 + 3723LL * 1000000000LL, NULL, NULL) == 0, "gap record");
	}
	pf_auditlog_close(l);
	read_lines(p, &ls);
	TAP_OK(ls.n == 8 && ls.l[7] && strstr(ls.l[7], "\"seq\":8,\"decision\":\"gap\",\"from\":\"2025-11-30T00:00:00.000000000Z\","
					       "\"to\":\"2025-11-30T01:02:03.000000000Z\",\"down_ns\":3723000000000,"
					       "\"down\":\"1h2m3s\"") != NULL,
	       "gap: from, to, down_ns, down");
	lines_free(&ls);
	l = open_log(p, 0, 0);
	{
		struct pf_logrec r2;
		int64_t t = 0;
		read_lines(p, &ls);
		if (ls.n < 8)
			ls.l[ls.n++] = strdup("{}\n");
		pf_logrec_parse(ls.l[7], strlen(ls.l[7]), &r2);
		pf_logrec_time(&r2, &t);
		TAP_OK(t != 0 && pf_auditlog_last_time_ns(l) == t,
		       "reopen: last_time_ns is the last record's time");
		lines_free(&ls);
	}
	pf_auditlog_close(l);
}

struct tamper_case {
	const char *name;
	enum pf_log_problem want;
	uint64_t line;
	const char *detail; /* substring, or NULL */
};

static void tamper_check(const char *p, const struct lines *ls, const struct tamper_case *c)
{
	write_lines(p, ls);
	verify(p);
	TAP_OK(vres.problem == c->want && vres.line == c->line &&
	       strcmp(base(vres.file), "audit.log") == 0 &&
	       (!c->detail || strstr(vres.detail, c->detail)),
	       "%s: %s at line %llu (got %s at %s:%llu: %s)", c->name, pf_log_problem_name(c->want),
	       (unsigned long long)c->line, pf_log_problem_name(vres.problem), base(vres.file),
	       (unsigned long long)vres.line, vres.detail);
}

/* append_own takes the first raw "seq": as the key: an escaped one inside
 * a string value comes after it and cannot fool it. */
static void test_own(void)
{
	char p[4200];
	struct pf_auditlog *l;
	const char *line = "{\"seq\":2,\"x\":\"\\\"seq\\\":9 \\\"prev\\\":1\"}\n";

	snprintf(p, sizeof(p), "%s/own.log", dir);
	l = open_log(p, 0, 0);
	TAP_OK(l && pf_auditlog_next_seq(l) == 2, "own: a new log's next seq is 2");
	if (!l)
		return;
	TAP_OK(pf_auditlog_append_own(l, line, strlen(line)) == 0 && pf_auditlog_next_seq(l) == 3,
	       "own: escaped \\\"seq\\\": and \\\"prev\\\": inside a string are not keys");
	pf_auditlog_close(l);
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 2, "own: the log verifies");
}

static void test_tamper(void)
{
	const char *p0 = new_path();
	char p[512], orig[512];
	struct lines ls;
	char *t;

	snprintf(orig, sizeof(orig), "%s", p0);
	make_ten(orig);
	TAP_OK(verify(orig) == PF_LOG_OK && vres.records == 10, "the 10-line log verifies");
	snprintf(p, sizeof(p), "%s", new_path());

	/* a byte changed in line 4's path */
	read_lines(orig, &ls);
	t = strstr(ls.l[3], "nginx.conf");
	t[0] = 'N';
	tamper_check(p, &ls, &(struct tamper_case){ "a byte changed in line 4", PF_LOG_EDITED, 4,
						    "audit.log:5)" });
	lines_free(&ls);

	/* line 4's seq changed */
	read_lines(orig, &ls);
	t = strstr(ls.l[3], "\"seq\":4");
	t[6] = '9';
	tamper_check(p, &ls, &(struct tamper_case){ "line 4's seq changed", PF_LOG_EDITED, 4,
						    "seq is 9" });
	lines_free(&ls);

	/* line 4's prev changed */
	read_lines(orig, &ls);
	t = strstr(ls.l[3], "\"prev\":\"");
	t[8] = t[8] == '0' ? '1' : '0';
	tamper_check(p, &ls, &(struct tamper_case){ "line 4's prev changed", PF_LOG_EDITED, 4, NULL });
	lines_free(&ls);

	/* line 9 (the last but one) changed */
	read_lines(orig, &ls);
	t = strstr(ls.l[8], "\"pid\":107");
	t[8] = '8';
	tamper_check(p, &ls, &(struct tamper_case){ "a byte changed in line 9", PF_LOG_EDITED, 9, NULL });
	lines_free(&ls);

	/* line 5 deleted */
	read_lines(orig, &ls);
	free(ls.l[4]);
	memmove(&ls.l[4], &ls.l[5], (ls.n - 5) * sizeof(char *));
	ls.n--;
	tamper_check(p, &ls, &(struct tamper_case){ "line 5 deleted", PF_LOG_DELETED, 5,
						    "seq jumps from 4 to 6: 1 line missing" });
	lines_free(&ls);

	/* lines 5-7 deleted */
	read_lines(orig, &ls);
	for (int k = 4; k < 7; k++)
		free(ls.l[k]);
	memmove(&ls.l[4], &ls.l[7], (ls.n - 7) * sizeof(char *));
	ls.n -= 3;
	tamper_check(p, &ls, &(struct tamper_case){ "lines 5-7 deleted", PF_LOG_DELETED, 5,
						    "3 lines missing" });
	lines_free(&ls);

	/* the first line deleted */
	read_lines(orig, &ls);
	free(ls.l[0]);
	memmove(&ls.l[0], &ls.l[1], (ls.n - 1) * sizeof(char *));
	ls.n--;
	tamper_check(p, &ls, &(struct tamper_case){ "the first line deleted", PF_LOG_DELETED, 1,
						    "beginning is missing" });
	lines_free(&ls);

	/* a copy of line 3 inserted after line 6 */
	read_lines(orig, &ls);
	memmove(&ls.l[7], &ls.l[6], (ls.n - 6) * sizeof(char *));
	ls.l[6] = strdup(ls.l[2]);
	ls.n++;
	tamper_check(p, &ls, &(struct tamper_case){ "a copy of line 3 inserted as line 7",
						    PF_LOG_INSERTED, 7, "goes back" });
	lines_free(&ls);

	/* a forged line with the right seq inserted as line 5 */
	read_lines(orig, &ls);
	memmove(&ls.l[5], &ls.l[4], (ls.n - 4) * sizeof(char *));
	ls.l[4] = strdup("{\"time\":\"2025-11-30T00:00:05.000000000Z\",\"host\":\"web1\",\"seq\":5,"
			 "\"decision\":\"approved\",\"prev\":\"00000000000000000000000000000000"
			 "00000000000000000000000000000000\"}\n");
	ls.n++;
	tamper_check(p, &ls, &(struct tamper_case){ "a forged line inserted as line 5",
						    PF_LOG_INSERTED, 5, NULL });
	lines_free(&ls);

	/* lines 5 and 6 swapped */
	read_lines(orig, &ls);
	t = ls.l[4];
	ls.l[4] = ls.l[5];
	ls.l[5] = t;
	tamper_check(p, &ls, &(struct tamper_case){ "lines 5 and 6 swapped", PF_LOG_REORDERED, 5,
						    "seq 6 comes before seq 5" });
	lines_free(&ls);

	/* line 3 is not JSON */
	read_lines(orig, &ls);
	free(ls.l[2]);
	ls.l[2] = strdup("hello\n");
	tamper_check(p, &ls, &(struct tamper_case){ "line 3 is not JSON", PF_LOG_MALFORMED, 3,
						    "not a JSON object" });
	lines_free(&ls);

	/* a line appended by hand (no prev) */
	read_lines(orig, &ls);
	ls.l[ls.n++] = strdup("{\"time\":\"2025-11-30T00:10:00Z\",\"host\":\"web1\",\"seq\":11,"
			      "\"decision\":\"approved\"}\n");
	tamper_check(p, &ls, &(struct tamper_case){ "a line appended by hand", PF_LOG_INSERTED, 11,
						    "no \"prev\"" });
	lines_free(&ls);

	/* the last line duplicated, seq bumped by hand (its prev copied) */
	read_lines(orig, &ls);
	ls.l[ls.n] = strdup(ls.l[ls.n - 1]);
	t = strstr(ls.l[ls.n], "\"seq\":10");
	memcpy(t, "\"seq\":11", 8);
	ls.n++;
	tamper_check(p, &ls, &(struct tamper_case){ "a copied line appended with the next seq",
						    PF_LOG_INSERTED, 11, NULL });
	lines_free(&ls);

	/* truncated mid-line */
	read_lines(orig, &ls);
	ls.l[9][strlen(ls.l[9]) - 20] = 0;
	tamper_check(p, &ls, &(struct tamper_case){ "the file truncated mid-line", PF_LOG_TRUNCATED, 10,
						    "without a final newline" });
	lines_free(&ls);

	/* a second chain concatenated: chain-start in mid-log */
	read_lines(orig, &ls);
	{
		struct lines l2;
		read_lines(orig, &l2);
		ls.l[ls.n++] = l2.l[0];
		ls.l[ls.n++] = l2.l[1];
		for (size_t k = 2; k < l2.n; k++)
			free(l2.l[k]);
	}
	tamper_check(p, &ls, &(struct tamper_case){ "a second chain-start in mid-log",
						    PF_LOG_RESTARTED, 11, "new chain starts" });
	lines_free(&ls);

	/* a line over 64 KiB */
	read_lines(orig, &ls);
	free(ls.l[5]);
	ls.l[5] = malloc(PF_LOG_LINE_MAX + 2);
	memset(ls.l[5], 'x', PF_LOG_LINE_MAX);
	ls.l[5][PF_LOG_LINE_MAX] = '\n';
	ls.l[5][PF_LOG_LINE_MAX + 1] = 0;
	tamper_check(p, &ls, &(struct tamper_case){ "a line over 64 KiB", PF_LOG_MALFORMED, 6,
						    "longer than 65536" });
	lines_free(&ls);

	/* empty */
	ls.n = 0;
	tamper_check(p, &ls, &(struct tamper_case){ "an empty log", PF_LOG_TRUNCATED, 1, "empty" });
	unlink(p);
	TAP_OK(verify(p) == (enum pf_log_problem)-1, "no log: verify cannot start (-ENOENT)");
}

static void test_torn(void)
{
	const char *p = new_path();
	struct pf_auditlog *l;
	struct lines ls;
	struct pf_logrec rec;
	struct pf_buf b;
	uint64_t v;
	char h[65];
	FILE *f;
	static const char frag[] = "{\"time\":\"2025-11-30T00:00:09.0000000";

	l = open_log(p, 0, 0);
	for (int i = 0; i < 3; i++)
		add_event(l, PF_DEC_WOULD_DENY, PF_OP_UNLINK, "a", 1, 0, 9);
	pf_auditlog_close(l);
	f = fopen(p, "a");
	fputs(frag, f); /* kill -9 mid-write */
	fclose(f);
	TAP_OK(verify(p) == PF_LOG_TRUNCATED && vres.line == 5, "a torn tail fails verify at line 5");
	l = open_log(p, 0, 0);
	TAP_OK(l && pf_auditlog_next_seq(l) == 6, "reopen after a torn tail: next seq 6");
	pf_auditlog_close(l);
	read_lines(p, &ls);
	TAP_OK(ls.n == 5 && pf_logrec_parse(ls.l[4], strlen(ls.l[4]), &rec) == 0 &&
	       pf_logrec_str_eq(&rec, "decision", "torn-tail") &&
	       pf_logrec_u64(&rec, "bytes", &v) == 0 && v == strlen(frag) &&
	       pf_logrec_u64(&rec, "seq", &v) == 0 && v == 5,
	       "the fragment was cut and a torn-tail record (seq 5, bytes %zu) written", strlen(frag));
	sha_hex(frag, strlen(frag), h);
	pf_buf_init(&b);
	TAP_OK(pf_logrec_str(&rec, "sha256", &b) == 0 && strcmp(b.data, h) == 0,
	       "torn-tail: the SHA-256 of the cut bytes");
	pf_buf_reset(&b);
	TAP_OK(pf_logrec_str(&rec, "data", &b) == 0 && strcmp(b.data, frag) == 0,
	       "torn-tail: the cut bytes themselves");
	pf_buf_free(&b);
	lines_free(&ls);
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 5, "verify passes after recovery");

	/* a file that is only a fragment */
	p = new_path();
	f = fopen(p, "w");
	fputs("{\"time\":", f);
	fclose(f);
	l = open_log(p, 0, 0);
	pf_auditlog_close(l);
	read_lines(p, &ls);
	TAP_OK(ls.n == 2 && strstr(ls.l[0], "\"decision\":\"chain-start\"") &&
	       strstr(ls.l[1], "\"decision\":\"torn-tail\"") && strstr(ls.l[1], "\"bytes\":8"),
	       "only a fragment: chain-start, then torn-tail (8 bytes)");
	lines_free(&ls);
	TAP_OK(verify(p) == PF_LOG_OK, "and it verifies");

	/* not our file: refused, untouched */
	p = new_path();
	f = fopen(p, "w");
	fputs("hello world\n", f);
	fclose(f);
	{
		struct pf_auditlog_opts o = { .host = "web1" };
		struct pf_err err;
		l = NULL;
		TAP_OK(pf_auditlog_open(p, &o, &l, &err) == -EBADMSG &&
		       strstr(err.msg, "not an audit record") && file_size(p) == 12,
		       "a file whose last line is not a record is refused and left as it was");
	}
}

static int gz_write(const char *path, const char *data, size_t n)
{
	gzFile g = gzopen(path, "wb");
	int ok = g && gzwrite(g, data, (unsigned)n) == (int)n;
	return gzclose(g) == Z_OK && ok ? 0 : -1;
}

static void test_rotation(void)
{
	const char *p0 = new_path();
	char p[512], name[600];
	struct pf_auditlog *l;
	struct pf_log_reader *rd;
	struct lines ls;
	const char *line;
	size_t len;
	uint64_t n = 0, seq_ok = 1, want = 1;
	int r;

	snprintf(p, sizeof(p), "%s", p0);
	/* keep everything: the chain runs from chain-start through every file */
	l = open_log(p, 1200, 100);
	for (int i = 0; i < 30; i++)
		add_event(l, PF_DEC_DENY, PF_OP_RENAME, "x", 1, 1000, (uint32_t)i);
	pf_auditlog_close(l);
	snprintf(name, sizeof(name), "%s.1.gz", p);
	TAP_OK(access(name, F_OK) == 0, "rotated: %s exists", base(name));
	TAP_OK(verify(p) == PF_LOG_OK && vres.anchored && vres.files > 3 && vres.first_seq == 1,
	       "verify across %u files: intact from chain-start (%s)", vres.files, vres.detail);
	r = pf_log_reader_open(p, 1, &rd);
	while ((r = pf_log_reader_next(rd, &line, &len)) == 1) {
		struct pf_logrec rec;
		uint64_t s;
		n++;
		if (pf_logrec_parse(line, len, &rec) < 0 || pf_logrec_u64(&rec, "seq", &s) < 0 ||
		    s != want++)
			seq_ok = 0;
	}
	pf_log_reader_close(rd);
	TAP_OK(r == 0 && seq_ok && n == vres.records && n == vres.last_seq,
	       "reading across .gz files: %llu lines, seq 1..%llu without a gap",
	       (unsigned long long)n, (unsigned long long)vres.last_seq);
	read_lines(p, &ls);
	TAP_OK(ls.n >= 1 && strstr(ls.l[0], "\"decision\":\"rotated\",\"v\":2,\"file\":\"audit.log.1.gz\""),
	       "the active file begins with a rotated record naming audit.log.1.gz");
	lines_free(&ls);
	{
		/* every file within twice max_size + one line: a rotation is held
		 * back while the previous file is compressed, up to twice the size */
		char **files;
		size_t nf;
		int ok = 1;
		pf_log_files(p, &files, NULL, &nf);
		for (size_t i = 0; i + 1 < nf; i++) {
			struct pf_log_reader *r1;
			uint64_t bytes = 0;
			pf_log_reader_open(files[i], 0, &r1);
			while (pf_log_reader_next(r1, &line, &len) == 1)
				bytes += len;
			pf_log_reader_close(r1);
			if (bytes > 2 * 1200 + 600 || bytes == 0)
				ok = 0;
		}
		TAP_OK(ok, "every rotated file holds at most twice max_size plus one line");
		pf_log_files_free(files, NULL, nf);
	}

	/* a missing rotated file in the middle */
	snprintf(name, sizeof(name), "%s.2.gz", p);
	{
		char saved[700];
		snprintf(saved, sizeof(saved), "%s.saved", name);
		rename(name, saved);
		verify(p);
		TAP_OK(vres.problem == PF_LOG_DELETED && strcmp(base(vres.file), "audit.log.1.gz") == 0 &&
		       vres.line == 1 && strstr(vres.detail, "rotated file"),
		       "audit.log.2.gz removed: deleted at audit.log.1.gz:1 (%s)", vres.detail);
		rename(saved, name);
	}
	/* a rotated file cut short */
	{
		char saved[700];
		off_t sz = file_size(name);
		snprintf(saved, sizeof(saved), "%s.saved", name);
		copy_file(name, saved);
		TAP_OK(truncate(name, sz / 2) == 0, "cut audit.log.2.gz in half");
		verify(p);
		TAP_OK(vres.problem == PF_LOG_TRUNCATED && strcmp(base(vres.file), "audit.log.2.gz") == 0,
		       "a cut .gz: truncated in audit.log.2.gz (%s:%llu %s)", base(vres.file),
		       (unsigned long long)vres.line, vres.detail);
		rename(saved, name);
	}
	TAP_OK(verify(p) == PF_LOG_OK, "restored: intact again");

	/* keep limit */
	p0 = new_path();
	snprintf(p, sizeof(p), "%s", p0);
	l = open_log(p, 700, 3);
	for (int i = 0; i < 40; i++)
		add_event(l, PF_DEC_DENY, PF_OP_CHMOD, "y", 1, 0, (uint32_t)i);
	{
		char n3[600], n4[600];
		snprintf(n3, sizeof(n3), "%s.3.gz", p);
		snprintf(n4, sizeof(n4), "%s.4.gz", p);
		TAP_OK(access(n3, F_OK) == 0 && access(n4, F_OK) != 0,
		       "keep 3: audit.log.3.gz exists, audit.log.4.gz does not");
		TAP_OK(verify(p) == PF_LOG_OK && vres.files == 4 && vres.anchored == 0,
		       "keep 3: the kept files verify, anchored at a rotated record");
		pf_auditlog_close(l);
		l = open_log(p, 700, 1);
		TAP_OK(pf_auditlog_rotate(l) == 0, "forced rotation with keep 1");
		snprintf(n3, sizeof(n3), "%s.2.gz", p);
		TAP_OK(access(n3, F_OK) != 0 && verify(p) == PF_LOG_OK && vres.files == 2,
		       "keep lowered to 1: only audit.log.1.gz is left, and it verifies");
		pf_auditlog_close(l);
	}

	/* a rotation interrupted after path.1.gz was renamed in place */
	p0 = new_path();
	snprintf(p, sizeof(p), "%s", p0);
	make_ten(p);
	{
		char *buf = NULL, tmp1[600], tmp2[600];
		size_t blen;
		uint64_t s;

		pf_read_file(p, 1 << 20, &buf, &blen);
		snprintf(name, sizeof(name), "%s.1.gz", p);
		gz_write(name, buf, blen);
		free(buf);
		snprintf(tmp1, sizeof(tmp1), "%s.1.gz.tmp", p);
		snprintf(tmp2, sizeof(tmp2), "%s.new.tmp", p);
		fclose(fopen(tmp1, "w"));
		fclose(fopen(tmp2, "w"));
		TAP_OK(verify(p) == PF_LOG_REORDERED || vres.problem != PF_LOG_OK,
		       "before recovery the duplicate lines fail verify (%s)",
		       pf_log_problem_name(vres.problem));
		l = open_log(p, 0, 0);
		s = l ? pf_auditlog_next_seq(l) : 0;
		pf_auditlog_close(l);
		read_lines(p, &ls);
		TAP_OK(ls.n == 1 && strstr(ls.l[0], "\"seq\":11,\"decision\":\"rotated\"") && s == 12,
		       "open completes the rotation: the active file holds only the rotated record");
		lines_free(&ls);
		TAP_OK(access(tmp1, F_OK) != 0 && access(tmp2, F_OK) != 0,
		       "stale rotation temporaries are removed");
		TAP_OK(verify(p) == PF_LOG_OK && vres.records == 11 && vres.anchored,
		       "and the chain verifies: 11 records");
	}
}

static void test_filters(void)
{
	const int64_t now = 1764460800LL * 1000000000LL; /* 2025-11-30T00:00:00Z */
	struct pf_logrec r;
	struct pf_log_filter f;
	int64_t t;
	const char *line =
		"{\"time\":\"2025-11-29T23:30:00.5Z\",\"host\":\"web1\",\"seq\":3,\"decision\":\"deny\","
		"\"op\":\"open-write\",\"path\":\"/etc/nginx/nginx.conf\",\"pid\":906,\"uid\":0,"
		"\"token\":\"t-123\",\"comm\":\"sh\"}\n";

	TAP_OK(pf_log_parse_time("2025-11-30T01:00:00+01:00", now, &t) == 0 && t == now,
	       "time: RFC 3339 with an offset");
	TAP_OK(pf_log_parse_time("2025-11-30T00:00:00.25Z", now, &t) == 0 && t == now + 250000000,
	       "time: with a fraction");
	TAP_OK(pf_log_parse_time("2025-11-30", now, &t) == 0 && t == now, "time: a date");
	TAP_OK(pf_log_parse_time("1h30m", now, &t) == 0 && t == now - 5400LL * 1000000000LL,
	       "time: 1h30m ago");
	TAP_OK(pf_log_parse_time("2d", now, &t) == 0 && t == now - 172800LL * 1000000000LL,
	       "time: 2d ago");
	TAP_OK(pf_log_parse_time("now", now, &t) == 0 && t == now, "time: now");
	TAP_OK(pf_log_parse_time("1x", now, &t) == -EINVAL && pf_log_parse_time("", now, &t) == -EINVAL &&
	       pf_log_parse_time("h", now, &t) == -EINVAL &&
	       pf_log_parse_time("2025-02-30T00:00:00Z", now, &t) == -EINVAL &&
	       pf_log_parse_time("2025-11-30T00:00:00", now, &t) == -EINVAL,
	       "time: refused: 1x, empty, h, Feb 30, no zone");

	TAP_OK(pf_logrec_parse(line, strlen(line), &r) == 0 && r.n == 10, "parse a record: 10 fields");
	memset(&f, 0, sizeof(f));
	TAP_OK(pf_log_filter_match(&f, &r) == 1, "no filter: match");
#define FM(field_init, want, name)                                                  \
	do {                                                                        \
		memset(&f, 0, sizeof(f));                                           \
		field_init;                                                         \
		TAP_OK(pf_log_filter_match(&f, &r) == (want), "filter %s: %s", name, \
		       (want) ? "match" : "no match");                              \
	} while (0)
	FM(f.decision = "deny", 1, "decision deny");
	FM(f.decision = "would-deny,deny", 1, "decision would-deny,deny");
	FM(f.decision = "would-deny", 0, "decision would-deny");
	FM(f.decision = "den", 0, "decision den (no prefix match)");
	FM(f.op = "open-write", 1, "op open-write");
	FM(f.op = "unlink", 0, "op unlink");
	FM(f.path = "/etc/nginx", 1, "path /etc/nginx");
	FM(f.path = "/etc/nginx/", 1, "path /etc/nginx/");
	FM(f.path = "/etc/nginx/nginx.conf", 1, "path the file itself");
	FM(f.path = "/etc/ngin", 0, "path /etc/ngin (component-wise)");
	FM(f.path = "/etc/nginx/nginx.conf.d", 0, "path longer than the record's");
	FM((f.has_uid = 1, f.uid = 0), 1, "uid 0");
	FM((f.has_uid = 1, f.uid = 1000), 0, "uid 1000");
	FM((f.has_pid = 1, f.pid = 906), 1, "pid 906");
	FM((f.has_pid = 1, f.pid = 907), 0, "pid 907");
	FM(f.token = "t-123", 1, "token t-123");
	FM(f.token = "t-12", 0, "token t-12");
	FM((f.has_since = 1, f.since_ns = now - 3600LL * 1000000000LL), 1, "since 1h ago");
	FM((f.has_since = 1, f.since_ns = now - 600LL * 1000000000LL), 0, "since 10m ago");
	FM((f.has_until = 1, f.until_ns = now - 1800LL * 1000000000LL + 500000000), 1,
	   "until the record's exact time");
	FM((f.has_until = 1, f.until_ns = now - 1800LL * 1000000000LL + 499999999), 0,
	   "until 1 ns before it");
	FM((f.decision = "deny", f.has_uid = 1, f.uid = 1), 0, "deny and uid 1");
	FM(f.agent = "none", 1, "agent none: a record without an agent");
	FM(f.agent = "any", 0, "agent any: a record without an agent");
	FM(f.agent = "fakeai", 0, "agent fakeai: a record without an agent");
	{
		static const char ai[] = "{\"seq\":3,\"decision\":\"deny\",\"agent\":\"fakeai\","
					 "\"agent_root_pid\":7}";
		struct pf_logrec *ar = malloc(sizeof(*ar));

		TAP_OK(ar && pf_logrec_parse(ai, strlen(ai), ar) == 0, "parse an agent's record");
		memset(&f, 0, sizeof(f));
		f.agent = "fakeai";
		TAP_OK(ar && pf_log_filter_match(&f, ar) == 1, "filter agent fakeai: match");
		f.agent = "fake";
		TAP_OK(ar && pf_log_filter_match(&f, ar) == 0, "filter agent fake: no match");
		f.agent = "any";
		TAP_OK(ar && pf_log_filter_match(&f, ar) == 1, "filter agent any: match");
		f.agent = "none";
		TAP_OK(ar && pf_log_filter_match(&f, ar) == 0, "filter agent none: no match");
		free(ar);
	}

	/* record parsing edge cases */
	TAP_OK(pf_logrec_parse("{\"a\":1,\"a\":2}", 13, &r) == -EINVAL, "a key twice is refused");
	TAP_OK(pf_logrec_parse("{\"s\\u0065q\":1}", 14, &r) == -EINVAL, "an escaped key is refused");
	TAP_OK(pf_logrec_parse("{\"a\":{\"b\":[1,{\"c\":\"}\"}]},\"seq\":7}\n", 33, &r) == 0 && r.n == 2 &&
	       pf_logrec_u64(&r, "seq", &(uint64_t){ 0 }) == 0,
	       "nested values are skipped whole");
	{
		uint64_t v;
		TAP_OK(pf_logrec_parse("{\"seq\":18446744073709551616}", 28, &r) == 0 &&
		       pf_logrec_u64(&r, "seq", &v) == -ERANGE, "seq 2^64 is out of range");
		TAP_OK(pf_logrec_parse("{\"seq\":1.0}", 11, &r) == 0 &&
		       pf_logrec_u64(&r, "seq", &v) == -EINVAL, "seq 1.0 is not an integer");
	}
	{
		struct pf_buf b;
		pf_buf_init(&b);
		static const char js[] = "{\"p\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\ud800\"}";
		TAP_OK(pf_logrec_parse(js, sizeof(js) - 1, &r) == 0 &&
		       pf_logrec_str(&r, "p", &b) == 0 && b.len == 15 &&
		       memcmp(b.data, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd", 15) == 0,
		       "string unescaping: quote, backslash, newline, U+00E9, a surrogate pair, a lone one");
		pf_buf_free(&b);
	}
}

static void test_hostile(void)
{
	const char *p0 = new_path();
	char p[512], out[8192], err[4096];
	static const char leaf[] = "a\"b\\c\nd\x1b[31mred\x01\x7f\xff\xc2\x9b\xe2\x80\xae.txt";
	struct pf_auditlog *l;
	struct lines ls;
	int code;

	snprintf(p, sizeof(p), "%s", p0);
	l = open_log(p, 0, 0);
	TAP_OK(add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, leaf, sizeof(leaf) - 1, 0, 1) == 0,
	       "a hostile path is logged");
	pf_auditlog_close(l);
	read_lines(p, &ls);
	TAP_OK(ls.n == 2 && pf_json_check(ls.l[1], strlen(ls.l[1]) - 1) == 0 &&
	       strstr(ls.l[1], "\"path_hex\":\""),
	       "it is one valid JSON line, with path_hex for the non-UTF-8 bytes");
	TAP_OK(verify(p) == PF_LOG_OK, "the log verifies");

	{
		char *argv[] = { "log", "--decision", "deny", NULL };
		const char *want_path =
			"/etc/nginx/a\"b\\\\c\\nd\\x1b[31mred\\x01\\x7f\\xff\\u009b\\u202e.txt";
		int ctl = 0;
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 3, argv);
		for (const unsigned char *c = (const unsigned char *)out; *c; c++)
			if ((*c < 0x20 && *c != '\n') || *c == 0x7f)
				ctl = 1;
		TAP_OK(code == 0 && strncmp(out, "TIME ", 5) == 0, "log (human): exit 0, a header");
		TAP_OK(!ctl, "log (human): no control byte reaches the terminal");
		TAP_OK(strstr(out, want_path) != NULL, "log (human): the path shown escaped: %s", want_path);
		TAP_OK(strstr(out, "2025-11-30T00:00:02.000Z deny             open-write   /etc/nginx/a") != NULL &&
		       strstr(out, ".txt       1      0 vi\n") != NULL,
		       "log (human): aligned columns TIME DECISION OP PATH PID UID COMM");
		TAP_OK(strchr(out, '\n') && strchr(strchr(out, '\n') + 1, '\n') &&
		       *(strchr(strchr(out, '\n') + 1, '\n') + 1) == 0,
		       "log (human): exactly two lines (header, record)");
	}
	{
		char *argv[] = { "log", "--json", NULL };
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 2, argv);
		TAP_OK(code == 0 && strlen(out) == strlen(ls.l[0]) + strlen(ls.l[1]) &&
		       strncmp(out, ls.l[0], strlen(ls.l[0])) == 0 &&
		       strcmp(out + strlen(ls.l[0]), ls.l[1]) == 0,
		       "log --json: the raw lines, byte for byte");
	}
	lines_free(&ls);
	{
		struct pf_logrec r;
		struct pf_buf b;
		const char *line = "{\"time\":\"2025-11-30T00:00:00Z\",\"seq\":2,\"decision\":\"deny\",\"op\":\"unlink\",\"path\":\"/x\",\"pid\":1,\"uid\":2,\"comm\":\"rm\"}";
		pf_buf_init(&b);
		pf_logrec_parse(line, strlen(line), &r);
		pf_log_format_human(&r, 1, &b);
		TAP_STREQ(b.data,
			  "2025-11-30T00:00:00.000Z \033[31mdeny\033[0m             unlink       /x                                             1      2 rm\n",
			  "colour: the decision in red, columns still aligned");
		pf_buf_reset(&b);
		line = "{\"time\":\"2025-11-30T00:00:00Z\",\"seq\":2,\"decision\":\"lost\",\"count\":\"5\",\"note\":\"\\u001b]0;x\\u0007\",\"pid\":9}";
		pf_logrec_parse(line, strlen(line), &r);
		pf_log_format_human(&r, 0, &b);
		TAP_STREQ(b.data,
			  "2025-11-30T00:00:00.000Z lost             -            count=5 note=\\x1b]0;x\\x07                      9      - -\n",
			  "a record without a path shows its fields, escaped");
		pf_buf_reset(&b);
		line = "{\"time\":\"2025-11-30T00:00:01Z\",\"seq\":3,\"decision\":\"deny\",\"op\":\"unlink\",\"path\":\"/x\",\"pid\":1,\"uid\":2,\"comm\":\"rm\",\"repeat\":4211,\"first\":\"2025-11-30T00:00:00Z\",\"last\":\"2025-11-30T00:00:01Z\",\"of\":2}";
		pf_logrec_parse(line, strlen(line), &r);
		pf_log_format_human(&r, 0, &b);
		TAP_STREQ(b.data,
			  "2025-11-30T00:00:01.000Z deny             unlink       /x (+4211 repeats)                             1      2 rm\n",
			  "a run's repeats: one line, the count after the path");
		pf_buf_reset(&b);
		line = "{\"time\":\"2025-11-30T00:00:01Z\",\"seq\":3,\"decision\":\"deny\",\"op\":\"unlink\",\"dev\":\"8:1\",\"ino\":12,\"pid\":1,\"tid\":1,\"boot_ns\":5,\"repeat\":7,\"first\":\"2025-11-30T00:00:00Z\",\"last\":\"2025-11-30T00:00:01Z\"}";
		pf_logrec_parse(line, strlen(line), &r);
		pf_log_format_human(&r, 0, &b);
		TAP_STREQ(b.data,
			  "2025-11-30T00:00:01.000Z deny             unlink       dev=8:1 ino=12 (+7 repeats)                    1      - -\n",
			  "a run's repeats without its first line: the object's identity and the count");
		pf_buf_free(&b);
	}
}

static void test_cli(void)
{
	const char *p0 = new_path();
	char p[512], out[8192], err[4096], missing[600];
	struct lines ls;
	int code;

	snprintf(p, sizeof(p), "%s", p0);
	make_ten(p);
	snprintf(missing, sizeof(missing), "%s/nope.log", dir);
	{
		char *argv[] = { "log", "verify", NULL };
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 2, argv);
		TAP_OK(code == 0 && strstr(out, "intact: 10 records in 1 file, seq 1..10") &&
		       strstr(out, "ends with agent-stop"),
		       "log verify: exit 0, intact: 10 records");
		code = run_cli(1, p, out, sizeof(out), err, sizeof(err), 2, argv);
		TAP_OK(code == 0 && strstr(out, "{\"status\":\"ok\",\"intact\":true,") &&
		       strstr(out, "\"records\":10,\"files\":1,\"first_seq\":1,\"last_seq\":10,\"anchored\":true,\"clean_end\":true,\"chain_head\":\"not checked\",\"chain_head_detail\":\"chain head not checked: not asked for\"}\n"),
		       "log verify --json: status ok with the counts");
	}
	read_lines(p, &ls);
	ls.l[6][strlen(ls.l[6]) - 80] ^= 1;
	write_lines(p, &ls);
	lines_free(&ls);
	{
		char *argv[] = { "log", "verify", "--file", p, NULL };
		char want[700];
		code = run_cli(0, missing, out, sizeof(out), err, sizeof(err), 4, argv);
		snprintf(want, sizeof(want), "permafrost: %s:7: edited: ", p);
		TAP_OK(code == 1 && strncmp(err, want, strlen(want)) == 0 && out[0] == 0,
		       "log verify --file: exit 1 naming line 7 on stderr");
		code = run_cli(1, missing, out, sizeof(out), err, sizeof(err), 4, argv);
		TAP_OK(code == 1 && strncmp(out, "{\"status\":\"error\",\"error\":\"", 27) == 0 &&
		       strstr(out, "\"problem\":\"edited\"") && strstr(out, "\"line\":7,"),
		       "log verify --json: a JSON error with problem and line");
	}
	{
		char *argv[] = { "log", "verify", "--bogus", NULL };
		TAP_OK(run_cli(0, p, out, sizeof(out), err, sizeof(err), 3, argv) == 2 &&
		       strstr(err, "usage:"), "log verify --bogus: exit 2 with usage");
	}
	{
		char *argv[] = { "log", "--uid", "abc", NULL };
		TAP_OK(run_cli(0, p, out, sizeof(out), err, sizeof(err), 3, argv) == 2,
		       "log --uid abc: exit 2");
	}
	{
		char *argv[] = { "log", "--since", "yesterday", NULL };
		TAP_OK(run_cli(1, p, out, sizeof(out), err, sizeof(err), 3, argv) == 2 &&
		       strncmp(out, "{\"status\":\"error\"", 17) == 0 && strstr(out, "\"exit_code\":2}"),
		       "log --since yesterday --json: exit 2, JSON error on stdout");
	}
	{
		char *argv[] = { "log", NULL };
		TAP_OK(run_cli(0, missing, out, sizeof(out), err, sizeof(err), 1, argv) == 1 &&
		       strstr(err, "no audit log at"), "log on a missing file: exit 1");
		code = run_cli(1, missing, out, sizeof(out), err, sizeof(err), 1, argv);
		TAP_OK(code == 1 && strstr(out, "\"error\":\"no audit log at"),
		       "log --json on a missing file: JSON error");
	}
	{
		char *argv[] = { "log", "--json", "--pid", "103", NULL };
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 4, argv);
		TAP_OK(code == 0 && strstr(out, "\"seq\":5,") && strchr(out, '\n') &&
		       *(strchr(out, '\n') + 1) == 0,
		       "log --pid 103: exactly the one record (seq 5)");
	}
	{
		char *argv[] = { "log", "--decision=agent-stop,chain-start", "--json", NULL };
		code = run_cli(0, p, out, sizeof(out), err, sizeof(err), 3, argv);
		TAP_OK(code == 0 && strstr(out, "\"seq\":1,") && strstr(out, "\"seq\":10,") &&
		       !strstr(out, "\"seq\":2,"), "log --decision=a,b: both kinds, nothing else");
	}
}

static void test_follow(void)
{
	const char *p0 = new_path();
	char p[512], of[600], *buf = NULL;
	struct pf_auditlog *l;
	size_t len = 0;
	pid_t pid;
	int ok, st;

	snprintf(p, sizeof(p), "%s", p0);
	snprintf(of, sizeof(of), "%s/follow.out", dir);
	l = open_log(p, 1500, 10);
	for (int i = 0; i < 12; i++)
		add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "old", 3, 0, (uint32_t)i);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "log", "-f", "--json", NULL };
		int fd = open(of, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		_exit(pf_cli_log(3, argv, 0, p, NULL));
	}
	poll(NULL, 0, 400);
	/* new lines, across at least one rotation */
	for (int i = 0; i < 12; i++)
		add_event(l, PF_DEC_APPROVED, PF_OP_OPEN_WRITE, "new", 3, 0, 500 + (uint32_t)i);
	poll(NULL, 0, 1000);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	pf_auditlog_close(l);
	pf_read_file(of, 1 << 20, &buf, &len);
	ok = buf != NULL;
	for (int i = 0; ok && i < 12; i++) {
		char want[32];
		snprintf(want, sizeof(want), "\"pid\":%d,", 500 + i);
		if (!strstr(buf, want))
			ok = 0;
	}
	TAP_OK(ok, "log -f: all 12 new records seen within a second, across rotation");
	TAP_OK(buf && !strstr(buf, "\"pid\":0,") && strstr(buf, "\"pid\":11,"),
	       "log -f: history limited to the last 10 records");
	free(buf);
}

/* An event line added to the batch (not written yet). */
static int batch_event(struct pf_auditlog *l, uint32_t decision, uint32_t pid)
{
	struct pf_event e;
	struct pf_event_ctx ctx = { .boot_to_real_ns = 1764460800LL * 1000000000LL, .host = "web1" };
	struct pf_buf b;
	int r;

	memset(&e, 0, sizeof(e));
	e.ts_boot_ns = 1000000000ULL * pf_auditlog_next_seq(l);
	e.decision = decision;
	e.mode = PF_MODE_ENFORCE;
	e.op = PF_OP_OPEN_WRITE;
	e.tgid = e.pid = pid;
	e.dev = (254 << 20) | 1;
	e.ino = 42;
	memcpy(e.comm, "vi", 3);
	memcpy(e.path, "f\0etc", 6);
	e.path_len = 6;
	ctx.seq = pf_auditlog_next_seq(l);
	pf_buf_init(&b);
	r = pf_event_to_json(&e, &ctx, &b);
	if (r == 0)
		r = pf_auditlog_batch_add_own(l, b.data, b.len);
	pf_buf_free(&b);
	return r;
}

static int ends_in_newline(const char *path)
{
	int fd = open(path, O_RDONLY);
	off_t sz = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	char c = 0;

	if (sz > 0)
		if (pread(fd, &c, 1, sz - 1) != 1)
			c = 0;
	if (fd >= 0)
		close(fd);
	return c == '\n';
}

/* Batches: one write for many lines, seq counted ahead, the chain intact. */
static void test_batch(void)
{
	const char *p = new_path();
	struct pf_auditlog *l = open_log(p, 0, 0);
	off_t before = file_size(p);
	int ok = 1;

	for (int i = 0; i < 100; i++)
		ok &= batch_event(l, PF_DEC_DENY, (uint32_t)i) == 0;
	TAP_OK(ok && pf_auditlog_batch_lines(l) == 100 && pf_auditlog_next_seq(l) == 102 &&
	       file_size(p) == before, "100 lines in a batch: seq counted ahead, nothing written yet");
	TAP_OK(pf_auditlog_batch_commit(l) == 0 && pf_auditlog_batch_lines(l) == 0 && file_size(p) > before,
	       "the batch committed");
	TAP_OK(add_record(l, "agent-stop") == 0, "a single append after the batch");
	pf_auditlog_close(l);
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 102 && vres.last_seq == 102,
	       "batched lines verify: 102 records (%s)", vres.detail);
}

/* A write that fails (RLIMIT_FSIZE: EFBIG, the same path as ENOSPC): the
 * whole lines that fit stay, the rest are counted by decision, later lines
 * too, and the first write that works is a log-gap record. */
static void test_outage(void)
{
	const char *p0 = new_path();
	char p[512];
	struct pf_auditlog_outage o;
	struct pf_auditlog *l;
	struct rlimit old, lim;
	struct lines ls;
	off_t sz;
	int r, ok = 1;

	snprintf(p, sizeof(p), "%s", p0);
	signal(SIGXFSZ, SIG_IGN);
	l = open_log(p, 0, 0);
	add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "a", 1, 0, 1);
	sz = file_size(p);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)sz + 500; /* one more line (~330 bytes) and part of the next */
	TAP_OK(setrlimit(RLIMIT_FSIZE, &lim) == 0, "file size limit %lld bytes", (long long)lim.rlim_cur);
	for (int i = 0; i < 6; i++)
		ok &= batch_event(l, PF_DEC_DENY, 10 + (uint32_t)i) == 0;
	for (int i = 0; i < 3; i++)
		ok &= batch_event(l, PF_DEC_APPROVED, 20 + (uint32_t)i) == 0;
	ok &= batch_event(l, PF_DEC_TAMPER, 30) == 0;
	r = pf_auditlog_batch_commit(l);
	TAP_OK(ok && r == -EFBIG, "a batch of 10 past the limit: -EFBIG (got %d)", r);
	TAP_OK(ends_in_newline(p) && file_size(p) <= (off_t)lim.rlim_cur && file_size(p) > sz,
	       "the file keeps the whole line that fit and no fragment");
	TAP_OK(pf_auditlog_outage(l, &o) == 1 && o.missed == 9 && o.err == EFBIG && o.n == 3 &&
	       !strcmp(o.decision[0], "deny") && o.count[0] == 5 && !strcmp(o.decision[1], "approved") &&
	       o.count[1] == 3 && !strcmp(o.decision[2], "tamper") && o.count[2] == 1,
	       "outage: 9 missed (deny 5, approved 3, tamper 1), EFBIG (%llu, %d, %zu %s %llu)",
	       (unsigned long long)o.missed, o.err, o.n, o.decision[0], (unsigned long long)o.count[0]);
	sz = file_size(p);
	TAP_OK(add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "b", 1, 0, 2) == -EFBIG &&
	       add_record(l, "mode-change") == -EFBIG && file_size(p) == sz,
	       "appends in the outage fail and write nothing");
	TAP_OK(setrlimit(RLIMIT_FSIZE, &old) == 0, "limit lifted");
	TAP_OK(add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "c", 1, 0, 3) == -EFBIG && file_size(p) == sz,
	       "within a second of the last try: still counted, not written");
	TAP_OK(pf_auditlog_outage(l, &o) == 1 && o.missed == 12, "12 missed so far");
	usleep(1100 * 1000);
	pf_auditlog_retry(l);
	TAP_OK(pf_auditlog_outage(l, NULL) == 0, "a second later the retry writes: outage over");
	TAP_OK(add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "d", 1, 0, 4) == 0, "appends work again");
	pf_auditlog_close(l);
	read_lines(p, &ls);
	TAP_OK(ls.n == 5 && strstr(ls.l[3], "\"decision\":\"log-gap\"") &&
	       strstr(ls.l[3], "\"missed\":12,\"missed_by_decision\":{\"deny\":7,\"approved\":3,"
			       "\"tamper\":1,\"mode-change\":1},\"error\":\"File too large\""),
	       "the log-gap record: 12 missed: deny 7, approved 3, tamper 1, mode-change 1 (%s)",
	       ls.n > 3 ? ls.l[3] : "");
	lines_free(&ls);
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 5 && vres.last_seq == 5,
	       "the chain verifies, seq without a gap (%s)", vres.detail);

	/* closed during an outage, writable again: the counts are written */
	l = open_log(p, 0, 0);
	sz = file_size(p);
	lim.rlim_cur = (rlim_t)sz + 10;
	setrlimit(RLIMIT_FSIZE, &lim);
	TAP_OK(add_event(l, PF_DEC_TAMPER, PF_OP_OPEN_WRITE, "e", 1, 0, 5) == -EFBIG, "another outage");
	setrlimit(RLIMIT_FSIZE, &old);
	pf_auditlog_close(l);
	read_lines(p, &ls);
	TAP_OK(ls.n == 6 && strstr(ls.l[5], "\"decision\":\"log-gap\"") &&
	       strstr(ls.l[5], "\"missed\":1,\"missed_by_decision\":{\"tamper\":1}"),
	       "closed within the second: the log-gap record is written at close");
	lines_free(&ls);
}

/* An outage kept by an agent killed in it (outage.c): the next writer
 * merges it into its own and writes one log-gap record with the earlier
 * "from" and the counts added; pf_auditlog_take_gap() hands its figures
 * over once (the agent's syslog copy). */
static void test_outage_restore(void)
{
	const char *p0 = new_path();
	char p[512], from[64];
	struct pf_auditlog_outage kept = { 0 }, o;
	struct pf_auditlog_gap_written g;
	struct pf_auditlog *l;
	struct rlimit old, lim;
	struct lines ls;
	uint64_t seq;

	snprintf(p, sizeof(p), "%s", p0);
	signal(SIGXFSZ, SIG_IGN);
	kept.since_ns = pf_now_ns() - 60 * 1000000000LL;
	kept.err = ENOSPC;
	kept.missed = 8;
	kept.n = 2;
	snprintf(kept.decision[0], sizeof(kept.decision[0]), "deny");
	kept.count[0] = 5;
	snprintf(kept.decision[1], sizeof(kept.decision[1]), "agent-start");
	kept.count[1] = 1;
	kept.other = 2;
	l = open_log(p, 0, 0);
	TAP_OK(pf_auditlog_take_gap(l, &g) == 0, "no log-gap written yet: nothing to take");
	/* this writer is in an outage of its own too */
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)file_size(p) + 10;
	setrlimit(RLIMIT_FSIZE, &lim);
	TAP_OK(add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "a", 1, 0, 1) == -EFBIG &&
	       add_event(l, PF_DEC_WOULD_DENY, PF_OP_OPEN_WRITE, "b", 1, 0, 2) == -EFBIG,
	       "an outage of this writer: 2 counted");
	pf_auditlog_outage_restore(l, &kept);
	TAP_OK(pf_auditlog_outage(l, &o) == 1 && o.missed == 10 && o.since_ns == kept.since_ns &&
	       o.err == ENOSPC && o.n == 3 && !strcmp(o.decision[0], "deny") && o.count[0] == 6 &&
	       !strcmp(o.decision[1], "would-deny") && o.count[1] == 1 &&
	       !strcmp(o.decision[2], "agent-start") && o.count[2] == 1 && o.other == 2,
	       "restored: 10 missed (deny 6, would-deny 1, agent-start 1, other 2), since the "
	       "earlier failure (%llu)", (unsigned long long)o.missed);
	setrlimit(RLIMIT_FSIZE, &old);
	seq = pf_auditlog_next_seq(l);
	pf_auditlog_retry(l);
	TAP_OK(pf_auditlog_outage(l, NULL) == 0 &&
	       add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "c", 1, 0, 3) == 0,
	       "the restored outage is tried at once (no second's wait): over; the next line is "
	       "written");
	TAP_OK(pf_auditlog_take_gap(l, &g) == 1 && g.seq == seq && g.o.missed == 10 &&
	       g.o.since_ns == kept.since_ns && g.o.other == 2 && g.to_ns >= kept.since_ns,
	       "take_gap: the record's seq %llu, its figures", (unsigned long long)g.seq);
	TAP_OK(pf_auditlog_take_gap(l, &g) == 0, "taken once");
	pf_auditlog_close(l);
	read_lines(p, &ls);
	pf_rfc3339_ns(kept.since_ns, from, sizeof(from));
	TAP_OK(ls.n == 3 && strstr(ls.l[1], "\"decision\":\"log-gap\"") && strstr(ls.l[1], from) &&
	       strstr(ls.l[1], "\"missed\":10,\"missed_by_decision\":{\"deny\":6,\"would-deny\":1,"
			       "\"agent-start\":1,\"other\":2},\"error\":\"No space left on device\""),
	       "one log-gap record: from the kept outage's start, 10 missed (%s)",
	       ls.n > 1 ? ls.l[1] : "");
	lines_free(&ls);
	TAP_OK(verify(p) == PF_LOG_OK, "the chain verifies (%s)", vres.detail);
}

/* Rotation with compression in a thread, and each interrupted step. */
static void test_rotation_steps(void)
{
	const char *p0 = new_path();
	char p[512], gz[600], plain[600], tmp[600];
	struct pf_auditlog *l;
	struct lines ls;
	char *buf = NULL;
	size_t blen;

	snprintf(p, sizeof(p), "%s", p0);
	snprintf(gz, sizeof(gz), "%s.1.gz", p);
	snprintf(plain, sizeof(plain), "%s.1", p);
	snprintf(tmp, sizeof(tmp), "%s.1.gz.tmp", p);

	/* between steps 3 and 4: path.1 is a hard link of the active file */
	make_ten(p);
	TAP_OK(link(p, plain) == 0, "crash after the link: path.1 is the active file");
	TAP_OK(verify(p) != PF_LOG_OK, "before recovery the lines are there twice");
	l = open_log(p, 0, 0);
	TAP_OK(l && pf_auditlog_next_seq(l) == 12, "open writes the rotated record (next seq 12)");
	pf_auditlog_close(l);
	read_lines(p, &ls);
	TAP_OK(ls.n == 1 && strstr(ls.l[0], "\"seq\":11,\"decision\":\"rotated\",\"v\":2,"
					    "\"file\":\"audit.log.1.gz\",\"lines\":10,"),
	       "the active file holds the rotated record: 10 lines");
	lines_free(&ls);
	TAP_OK(access(gz, F_OK) == 0 && access(plain, F_OK) != 0,
	       "path.1 compressed to path.1.gz in the background, path.1 gone");
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 11 && vres.files == 2, "verifies: 11 records in 2 files");

	/* in step 5: path.1 whole, the compression cut short */
	pf_read_file(gz, 1 << 20, &buf, &blen);
	{
		gzFile g = gzopen(gz, "rb");
		char out[1 << 16];
		int n = g ? gzread(g, out, sizeof(out)) : -1;
		FILE *f = fopen(plain, "w");

		fwrite(out, 1, n > 0 ? (size_t)n : 0, f);
		fclose(f);
		if (g)
			gzclose(g);
	}
	unlink(gz);
	fclose(fopen(tmp, "w"));
	TAP_OK(verify(p) == PF_LOG_OK && vres.files == 2,
	       "readers take path.1 in path.1.gz's place: verifies");
	l = open_log(p, 0, 0);
	pf_auditlog_close(l);
	TAP_OK(access(gz, F_OK) == 0 && access(plain, F_OK) != 0 && access(tmp, F_OK) != 0,
	       "open compresses path.1 again and removes the stale temporary");
	TAP_OK(verify(p) == PF_LOG_OK && vres.records == 11, "and the log verifies");

	/* in step 5, after the rename: path.1 and path.1.gz hold the same */
	{
		FILE *f = fopen(plain, "w");
		gzFile g = gzopen(gz, "rb");
		char out[1 << 16];
		int n = g ? gzread(g, out, sizeof(out)) : -1;

		fwrite(out, 1, n > 0 ? (size_t)n : 0, f);
		fclose(f);
		if (g)
			gzclose(g);
	}
	l = open_log(p, 0, 0);
	TAP_OK(access(plain, F_OK) != 0 && access(gz, F_OK) == 0,
	       "path.1 beside an identical path.1.gz: removed at open");
	pf_auditlog_close(l);
	free(buf);

	/* a compression that fails: path.1 stays, read in its place, and is
	 * compressed before the next rotation */
	p0 = new_path();
	snprintf(p, sizeof(p), "%s", p0);
	snprintf(gz, sizeof(gz), "%s.1.gz", p);
	snprintf(plain, sizeof(plain), "%s.1", p);
	snprintf(tmp, sizeof(tmp), "%s.1.gz.tmp", p);
	l = open_log(p, 0, 0);
	for (int i = 0; i < 5; i++)
		add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "x", 1, 0, (uint32_t)i);
	mkdir(tmp, 0700); /* the compressor cannot create its temporary file */
	{
		struct pf_err e = { "" };

		TAP_OK(pf_auditlog_rotate(l) == 0 && pf_auditlog_take_error(l, &e) == 1 &&
		       strstr(e.msg, "compressing the rotated file failed") && strstr(e.msg, "kept uncompressed"),
		       "compression fails: reported (%s)", e.msg);
	}
	TAP_OK(access(plain, F_OK) == 0 && access(gz, F_OK) != 0, "path.1 stays uncompressed");
	add_event(l, PF_DEC_DENY, PF_OP_OPEN_WRITE, "y", 1, 0, 9);
	TAP_OK(verify(p) == PF_LOG_OK && vres.files == 2 && vres.records == 8,
	       "the chain reads through path.1: intact, 8 records (%s)", vres.detail);
	rmdir(tmp);
	TAP_OK(pf_auditlog_rotate(l) == 0, "the next rotation works");
	pf_auditlog_close(l);
	snprintf(tmp, sizeof(tmp), "%s.2.gz", p);
	TAP_OK(access(plain, F_OK) != 0 && access(gz, F_OK) == 0 && access(tmp, F_OK) == 0,
	       "path.1 compressed first (now .2.gz), then the new .1.gz");
	TAP_OK(verify(p) == PF_LOG_OK && vres.files == 3 && vres.records == 9,
	       "intact across 3 files, 9 records (%s)", vres.detail);

	/* many rotations with compression in the thread; keep 3 */
	p0 = new_path();
	snprintf(p, sizeof(p), "%s", p0);
	l = open_log(p, 4000, 3);
	for (int i = 0; i < 300; i++) {
		if (pf_auditlog_batch_full(l))
			pf_auditlog_batch_commit(l);
		batch_event(l, PF_DEC_DENY, (uint32_t)i);
	}
	pf_auditlog_close(l);
	snprintf(gz, sizeof(gz), "%s.3.gz", p);
	snprintf(plain, sizeof(plain), "%s.4.gz", p);
	TAP_OK(access(gz, F_OK) == 0 && access(plain, F_OK) != 0, "keep 3 with batches: .3.gz, no .4.gz");
	snprintf(plain, sizeof(plain), "%s.1", p);
	TAP_OK(access(plain, F_OK) != 0, "close waited for the compression: no path.1 left");
	TAP_OK(verify(p) == PF_LOG_OK && vres.files == 4 && vres.last_seq > 301,
	       "the kept files verify, last seq 301 + one per rotation (%s %u %llu)", vres.detail, vres.files,
	       (unsigned long long)vres.last_seq);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pf-auditlog-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_chain();
	test_own();
	test_tamper();
	test_torn();
	test_rotation();
	test_filters();
	test_hostile();
	test_cli();
	test_follow();
	test_head();
	test_batch();
	test_outage();
	test_outage_restore();
	test_rotation_steps();
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return TAP_DONE();
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `permafrost log`: see logcmd.h and docs/audit-log.md. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "json.h"
#include "logcmd.h"
#include "cli.h"
#include "logfile.h"
#include "logfilter.h"
#include "logformat.h"
#include "logrec.h"
#include "logverify.h"
#include "util.h"

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2 };

#define FOLLOW_POLL_MS 200
#define FOLLOW_HISTORY 10

static const char usage_text[] =
	"usage: permafrost log [--file PATH] [-f] [--json] [--since T] [--until T]\n"
	"                      [--decision D[,D...]] [--path PREFIX] [--op OP[,OP...]]\n"
	"                      [--uid U] [--pid P] [--token ID] [--agent NAME|any|none]\n"
	"       permafrost log verify [--file PATH] [--json]\n"
	"T: RFC 3339 (2026-11-29T23:00:00Z), a date (2026-11-29), now, or a time ago (90s, 15m, 1h30m, 2d)";

struct cmd {
	int json, colour;
	const char *path;
};

static int fail(const struct cmd *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const struct cmd *c, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf_cli_print_error(c->json, code, msg);
	return code;
}

static int usage(const struct cmd *c, const char *what)
{
	if (what)
		return fail(c, EXIT_USAGE, "log: %s\n%s", what, usage_text);
	return fail(c, EXIT_USAGE, "%s", usage_text);
}

/* Warnings about single lines: stderr in both modes (stdout stays clean). */
static void warn_line(const char *file, uint64_t line, const char *what)
{
	struct pf_buf b;

	pf_buf_init(&b);
	pf_log_escape_term(&b, file, strlen(file));
	fflush(stdout);
	if (line)
		fprintf(stderr, "permafrost: %s:%llu: %s\n", b.data ? b.data : "",
			(unsigned long long)line, what);
	else
		fprintf(stderr, "permafrost: %s: %s\n", b.data ? b.data : "", what);
	pf_buf_free(&b);
}

static int parse_uint(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* --- verify ------------------------------------------------------------------ */

static void progress(uint64_t lines, void *data)
{
	fprintf(stderr, "\rverifying: %llu lines...", (unsigned long long)lines);
	*(int *)data = 1;
}

/* The head applies if it is this log's: NULL and why not otherwise. */
static const struct pf_log_head *head_for(const char *path, const struct pf_log_head_src *src,
					  char *why, size_t whysz)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (!src) {
		snprintf(why, whysz, "not asked for");
		return NULL;
	}
	if (!src->have) {
		snprintf(why, whysz, "%s", src->why);
		return NULL;
	}
	if (!realpath(path, a) || !realpath(src->log, b) || strcmp(a, b) != 0) {
		snprintf(why, whysz, "the agent keeps the head of %s, not of this file", src->log);
		return NULL;
	}
	return &src->head;
}

static int cmd_verify(struct cmd *c, int argc, char **argv, const struct pf_log_head_src *src)
{
	struct pf_log_verify_result *res;
	const struct pf_log_head *head;
	char why[600], headmsg[700];
	int shown = 0, r, code;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--file") == 0 && i + 1 < argc)
			c->path = argv[++i];
		else if (strncmp(a, "--file=", 7) == 0)
			c->path = a + 7;
		else if (strcmp(a, "--json") == 0)
			c->json = 1;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return printf("%s\n", usage_text) < 0 ? EXIT_INVALID : EXIT_OK;
		else
			return usage(c, "verify: unexpected argument");
	}
	res = calloc(1, sizeof(*res));
	if (!res)
		return fail(c, EXIT_INVALID, "out of memory");
	head = head_for(c->path, src, why, sizeof(why));
	r = pf_log_verify_head(c->path, head, res,
			       !c->json && isatty(STDERR_FILENO) ? progress : NULL, &shown);
	if (shown)
		fprintf(stderr, "\r\033[K");
	if (r < 0) {
		free(res);
		if (r == -ENOENT)
			return fail(c, EXIT_INVALID, "no audit log at %s", c->path);
		return fail(c, EXIT_INVALID, "%s: %s", c->path, strerror(-r));
	}
	if (res->problem == PF_LOG_OK) {
		if (res->head == PF_LOG_HEAD_MATCHED)
			snprintf(headmsg, sizeof(headmsg),
				 "matches the chain head the agent kept in the kernel (seq %llu)",
				 (unsigned long long)head->seq);
		else if (res->head == PF_LOG_HEAD_OLDER)
			snprintf(headmsg, sizeof(headmsg),
				 "the chain head the agent kept in the kernel (seq %llu) is older than "
				 "the oldest line kept: not checked",
				 (unsigned long long)head->seq);
		else
			snprintf(headmsg, sizeof(headmsg), "chain head not checked: %s", why);
		if (c->json) {
			struct pf_buf b;
			struct pf_json j;

			pf_buf_init(&b);
			pf_json_init(&j, &b, 0);
			pf_json_obj_begin(&j);
			pf_json_key(&j, "status");
			pf_json_str(&j, "ok");
			pf_json_key(&j, "intact");
			pf_json_bool(&j, 1);
			pf_json_key(&j, "file");
			pf_json_str(&j, c->path);
			pf_json_key(&j, "records");
			pf_json_uint(&j, res->records);
			pf_json_key(&j, "files");
			pf_json_uint(&j, res->files);
			pf_json_key(&j, "first_seq");
			pf_json_uint(&j, res->first_seq);
			pf_json_key(&j, "last_seq");
			pf_json_uint(&j, res->last_seq);
			pf_json_key(&j, "anchored");
			pf_json_bool(&j, res->anchored);
			pf_json_key(&j, "clean_end");
			pf_json_bool(&j, res->clean_end);
			pf_json_key(&j, "chain_head");
			pf_json_str(&j, res->head == PF_LOG_HEAD_MATCHED ? "matched" :
					res->head == PF_LOG_HEAD_OLDER	 ? "older" :
									   "not checked");
			if (head) {
				pf_json_key(&j, "chain_head_seq");
				pf_json_uint(&j, head->seq);
			}
			pf_json_key(&j, "chain_head_detail");
			pf_json_str(&j, headmsg);
			pf_json_obj_end(&j);
			printf("%s\n", b.data ? b.data : "{}");
			pf_buf_free(&b);
		} else {
			struct pf_buf p;

			pf_buf_init(&p);
			pf_log_escape_term(&p, c->path, strlen(c->path));
			printf("%s: intact: %llu records in %u file%s, seq %llu..%llu, %s; %s; %s\n",
			       p.data ? p.data : "", (unsigned long long)res->records, res->files,
			       res->files == 1 ? "" : "s", (unsigned long long)res->first_seq,
			       (unsigned long long)res->last_seq,
			       res->anchored ? "anchored at its chain-start record"
					     : "starts at a rotated record (older files were deleted)",
			       res->clean_end ? "ends with agent-stop"
					      : "open-ended (the agent is running, or stopped without agent-stop)",
			       headmsg);
			pf_buf_free(&p);
		}
		free(res);
		return EXIT_OK;
	}
	if (c->json) {
		struct pf_buf b;
		struct pf_json j;
		char msg[5200];

		snprintf(msg, sizeof(msg), "%s:%llu: %s: %s", res->file, (unsigned long long)res->line,
			 pf_log_problem_name(res->problem), res->detail);
		pf_buf_init(&b);
		pf_json_init(&j, &b, 0);
		pf_json_obj_begin(&j);
		pf_cli_error_members(&j, EXIT_INVALID, msg);
		pf_json_key(&j, "intact");
		pf_json_bool(&j, 0);
		pf_json_key(&j, "problem");
		pf_json_str(&j, pf_log_problem_name(res->problem));
		pf_json_key(&j, "file");
		pf_json_str(&j, res->file);
		pf_json_key(&j, "line");
		pf_json_uint(&j, res->line);
		pf_json_key(&j, "detail");
		pf_json_str(&j, res->detail);
		pf_json_key(&j, "records");
		pf_json_uint(&j, res->records);
		pf_json_obj_end(&j);
		printf("%s\n", b.data ? b.data : "{}");
		pf_buf_free(&b);
		code = EXIT_INVALID;
	} else {
		struct pf_buf f;

		pf_buf_init(&f);
		pf_log_escape_term(&f, res->file, strlen(res->file));
		code = fail(c, EXIT_INVALID, "%s:%llu: %s: %s", f.data ? f.data : "",
			    (unsigned long long)res->line, pf_log_problem_name(res->problem),
			    res->detail);
		pf_buf_free(&f);
	}
	free(res);
	return code;
}

/* --- show and follow --------------------------------------------------------- */

struct shower {
	struct cmd *c;
	struct pf_log_filter f;
	struct pf_buf out;
	/* -f without --since: the last FOLLOW_HISTORY matches are kept here */
	int keep_last;
	struct pf_buf ring[FOLLOW_HISTORY];
	size_t ring_n, ring_i;
	/* the last line seen, to pick up lines rotated away unseen */
	int have_last;
	uint8_t last[PF_SHA256_LEN];
};

/* Renders one line if it passes the filters; 0, or -1 if it is not a record. */
static int show_line(struct shower *s, const char *line, size_t len)
{
	struct pf_logrec *rec = malloc(sizeof(*rec));
	struct pf_buf *dst = &s->out;
	int r = 0;

	if (!rec)
		return -1;
	if (pf_logrec_parse(line, len, rec) < 0) {
		r = -1;
		goto out;
	}
	if (!pf_log_filter_match(&s->f, rec))
		goto out;
	if (s->keep_last) {
		dst = &s->ring[s->ring_i];
		pf_buf_reset(dst);
		s->ring_i = (s->ring_i + 1) % FOLLOW_HISTORY;
		if (s->ring_n < FOLLOW_HISTORY)
			s->ring_n++;
	}
	if (s->c->json)
		pf_buf_putn(dst, line, len); /* the exact bytes, '\n' included */
	else
		pf_log_format_human(rec, s->c->colour, dst);
	if (!s->keep_last) {
		fwrite(dst->data, 1, dst->len, stdout);
		pf_buf_reset(dst);
	}
out:
	free(rec);
	return r;
}

static void flush_ring(struct shower *s)
{
	size_t start = (s->ring_i + FOLLOW_HISTORY - s->ring_n) % FOLLOW_HISTORY;

	for (size_t k = 0; k < s->ring_n; k++) {
		struct pf_buf *b = &s->ring[(start + k) % FOLLOW_HISTORY];
		fwrite(b->data, 1, b->len, stdout);
	}
	s->ring_n = 0;
	s->keep_last = 0;
}

/* Shows the whole chain; @ret_off receives how many bytes of the active file
 * (its complete lines) were read. Returns an exit code. */
static int show_history(struct shower *s, uint64_t *ret_off)
{
	struct pf_log_reader *rd;
	const char *line;
	size_t len;
	uint64_t off = 0;
	int r;

	r = pf_log_reader_open(s->c->path, 1, &rd);
	if (r < 0)
		return fail(s->c, EXIT_INVALID, "%s: %s", s->c->path, strerror(-r));
	while ((r = pf_log_reader_next(rd, &line, &len)) == 1) {
		if (len == 0 || line[len - 1] != '\n') {
			/* a torn last line: being written, or damage for verify */
			continue;
		}
		if (strcmp(pf_log_reader_file(rd), s->c->path) == 0)
			off += len; /* the active file is listed last, by its own name */
		pf_sha256(line, len, s->last);
		s->have_last = 1;
		if (show_line(s, line, len) < 0)
			warn_line(pf_log_reader_file(rd), pf_log_reader_lineno(rd),
				  "not a JSON record; skipped (see `permafrost log verify`)");
	}
	if (r < 0) {
		const char *e = pf_log_reader_error(rd);
		struct pf_buf b;
		int code;

		pf_buf_init(&b);
		pf_log_escape_term(&b, e, strlen(e));
		pf_log_reader_close(rd);
		code = fail(s->c, EXIT_INVALID, "%s", b.data ? b.data : "read error");
		pf_buf_free(&b);
		return code;
	}
	pf_log_reader_close(rd);
	*ret_off = off;
	return EXIT_OK;
}

struct tailer {
	char *buf;
	size_t len;
	int skipping; /* inside a line longer than PF_LOG_LINE_MAX */
};

#define TAIL_BUF (PF_LOG_LINE_MAX + 64 * 1024)

/* Shows the complete lines in t->buf, keeps the partial one. */
static void tail_lines(struct shower *s, struct tailer *t)
{
	char *p = t->buf, *nl;
	size_t left;

	while ((nl = memchr(p, '\n', t->len - (size_t)(p - t->buf)))) {
		size_t len = (size_t)(nl - p) + 1;

		pf_sha256(p, len, s->last);
		s->have_last = 1;
		if (t->skipping)
			t->skipping = 0;
		else if (len > PF_LOG_LINE_MAX)
			warn_line(s->c->path, 0, "line longer than 65536 bytes; skipped");
		else if (show_line(s, p, len) < 0)
			warn_line(s->c->path, 0, "not a JSON record; skipped");
		p = nl + 1;
	}
	left = t->len - (size_t)(p - t->buf);
	if (left >= PF_LOG_LINE_MAX) {
		warn_line(s->c->path, 0, "line longer than 65536 bytes; skipped");
		left = 0;
		t->skipping = 1;
	}
	memmove(t->buf, p, left);
	t->len = left;
}

/* After the active file was replaced: shows the lines that were rotated
 * into path.N.gz after the last line seen (more than one rotation between
 * two polls). Normally the last line seen is the last of path.1.gz and
 * nothing is shown. */
static void catch_up(struct shower *s)
{
	struct pf_log_reader *rd;
	const char *line;
	size_t len, nf = 0, found = 0, i;
	char **files = NULL;
	uint64_t at = 0;

	if (!s->have_last)
		return;
	/* a rotation may be under way: its file may be missing for a moment */
	for (int attempt = 0; attempt < 5 && !found; attempt++) {
		if (attempt)
			poll(NULL, 0, 50);
		pf_log_files_free(files, NULL, nf);
		files = NULL;
		nf = 0;
		if (pf_log_files(s->c->path, &files, NULL, &nf) < 0)
			return;
		/* files: path.N.gz ... path.1.gz, path; look from the newest */
		for (i = nf - 1; i-- > 0 && !found;) {
			uint64_t n = 0;

			if (pf_log_reader_open(files[i], 0, &rd) < 0)
				continue;
			while (pf_log_reader_next(rd, &line, &len) == 1) {
				uint8_t h[PF_SHA256_LEN];
				n++;
				pf_sha256(line, len, h);
				if (memcmp(h, s->last, PF_SHA256_LEN) == 0) {
					found = i + 1;
					at = n;
				}
			}
			pf_log_reader_close(rd);
		}
	}
	if (!found) {
		warn_line(s->c->path, 0, "rotated more than once since the last poll; some lines were not shown");
		pf_log_files_free(files, NULL, nf);
		return;
	}
	for (i = found - 1; i + 1 < nf; i++) {
		uint64_t n = 0;

		if (pf_log_reader_open(files[i], 0, &rd) < 0)
			break;
		while (pf_log_reader_next(rd, &line, &len) == 1) {
			if (i == found - 1 && ++n <= at)
				continue;
			if (len && line[len - 1] == '\n') {
				pf_sha256(line, len, s->last);
				show_line(s, line, len);
			}
		}
		pf_log_reader_close(rd);
	}
	pf_log_files_free(files, NULL, nf);
	fflush(stdout);
}

/* Follows the active file from @off (if it is still the file @dev0/@ino0),
 * across rotation (another file at the path) and truncation. Only returns
 * on an error. */
static int follow(struct shower *s, uint64_t off, dev_t dev0, ino_t ino0)
{
	struct tailer t = { .buf = malloc(TAIL_BUF) };
	int fd = -1, replaced = 0;
	uint64_t pos = 0;
	struct stat st, fst;

	if (!t.buf)
		return fail(s->c, EXIT_INVALID, "out of memory");
	for (;;) {
		ssize_t n;

		if (fd < 0) {
			fd = open(s->c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (fd < 0) {
				poll(NULL, 0, FOLLOW_POLL_MS);
				continue;
			}
			pos = 0;
			if (fstat(fd, &fst) == 0 && fst.st_dev == dev0 && fst.st_ino == ino0 &&
			    (uint64_t)fst.st_size >= off) {
				pos = off;
				lseek(fd, (off_t)pos, SEEK_SET);
			}
			dev0 = 0;
			ino0 = 0;
			t.len = 0;
			t.skipping = 0;
			replaced = 0;
		}
		n = read(fd, t.buf + t.len, TAIL_BUF - t.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			pos += (uint64_t)n;
			t.len += (size_t)n;
			tail_lines(s, &t);
			fflush(stdout);
			continue;
		}
		if (n < 0) {
			int e = errno;
			close(fd);
			free(t.buf);
			return fail(s->c, EXIT_INVALID, "%s: %s", s->c->path, strerror(e));
		}
		/* at the end of the file: drained after a rotation, replaced,
		 * truncated, or nothing new yet */
		if (replaced) {
			close(fd);
			fd = -1;
			catch_up(s);
			continue;
		}
		if (stat(s->c->path, &st) == 0 && fstat(fd, &fst) == 0) {
			if (st.st_ino != fst.st_ino || st.st_dev != fst.st_dev) {
				replaced = 1; /* one more read for what came before the rename */
				continue;
			}
			if ((uint64_t)st.st_size < pos) {
				warn_line(s->c->path, 0, "the file was truncated; reading it from the start");
				lseek(fd, 0, SEEK_SET);
				pos = 0;
				t.len = 0;
				continue;
			}
		}
		poll(NULL, 0, FOLLOW_POLL_MS);
	}
}

static int cmd_show(struct cmd *c, int argc, char **argv)
{
	struct shower s;
	int fflag = 0, code;
	uint64_t off = 0;
	struct stat st0;
	dev_t dev0 = 0;
	ino_t ino0 = 0;
	int64_t now = pf_now_ns();

	memset(&s, 0, sizeof(s));
	s.c = c;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL, *eq;
		char name[32];

		if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0) {
			fflag = 1;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			c->json = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return printf("%s\n", usage_text) < 0 ? EXIT_INVALID : EXIT_OK;
		if (strncmp(a, "--", 2) != 0)
			return usage(c, "unexpected argument");
		eq = strchr(a, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
		if (eq)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return usage(c, "an option is missing its value");
		if (strcmp(name, "--file") == 0) {
			c->path = v;
		} else if (strcmp(name, "--since") == 0 || strcmp(name, "--until") == 0) {
			int64_t t;
			if (pf_log_parse_time(v, now, &t) < 0)
				return usage(c, "--since/--until: not a time (RFC 3339, a date, now, or 15m, 2h, 1d ago)");
			if (name[2] == 's') {
				s.f.has_since = 1;
				s.f.since_ns = t;
			} else {
				s.f.has_until = 1;
				s.f.until_ns = t;
			}
		} else if (strcmp(name, "--decision") == 0) {
			s.f.decision = v;
		} else if (strcmp(name, "--path") == 0) {
			s.f.path = v;
		} else if (strcmp(name, "--op") == 0) {
			s.f.op = v;
		} else if (strcmp(name, "--token") == 0) {
			s.f.token = v;
		} else if (strcmp(name, "--agent") == 0) {
			s.f.agent = v;
		} else if (strcmp(name, "--uid") == 0) {
			if (parse_uint(v, &s.f.uid) < 0)
				return usage(c, "--uid: not a number");
			s.f.has_uid = 1;
		} else if (strcmp(name, "--pid") == 0) {
			if (parse_uint(v, &s.f.pid) < 0)
				return usage(c, "--pid: not a number");
			s.f.has_pid = 1;
		} else {
			return usage(c, "unknown option");
		}
	}
	{
		char **files = NULL;
		size_t n = 0;
		int r = pf_log_files(c->path, &files, NULL, &n);
		int exists = r == 0 && (n > 1 || access(c->path, F_OK) == 0);

		pf_log_files_free(files, NULL, n);
		if (!exists && !fflag)
			return fail(c, EXIT_INVALID, "no audit log at %s (is permafrostd running? another file: --file PATH)",
				    c->path);
	}
	c->colour = pf_cli_colour(c->json);
	if (stat(c->path, &st0) == 0) {
		dev0 = st0.st_dev;
		ino0 = st0.st_ino;
	}
	for (size_t k = 0; k < FOLLOW_HISTORY; k++)
		pf_buf_init(&s.ring[k]);
	pf_buf_init(&s.out);
	s.keep_last = fflag && !s.f.has_since;
	if (!c->json) {
		pf_log_format_header(&s.out);
		fwrite(s.out.data, 1, s.out.len, stdout);
		pf_buf_reset(&s.out);
	}
	code = show_history(&s, &off);
	if (code == EXIT_OK && fflag) {
		flush_ring(&s);
		fflush(stdout);
		code = follow(&s, off, dev0, ino0);
	}
	for (size_t k = 0; k < FOLLOW_HISTORY; k++)
		pf_buf_free(&s.ring[k]);
	pf_buf_free(&s.out);
	fflush(stdout);
	return code;
}

int pf_cli_log(int argc, char **argv, int json, const char *default_path,
	       const struct pf_log_head_src *head)
{
	struct cmd c = { .json = json, .path = default_path };

	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(&c, argc, argv, head);
	return cmd_show(&c, argc, argv);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Policy parser; see policy.h and policy/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "permafrost.h"
#include "policy.h"
#include "util.h"

_Static_assert((int)PF_POL_PROTECT == (int)PF_RULE_PROTECT, "rule kinds differ");
_Static_assert((int)PF_POL_EXEMPT == (int)PF_RULE_EXEMPT, "rule kinds differ");
_Static_assert(PF_POLICY_MAX_AI_UNITS == PF_MAX_AI_UNITS, "unit= limits differ");
_Static_assert(PF_UNIT_NAME_MAX + 2 <= PF_AI_UNIT_KEY, "a unit's cgroup name does not fit the kernel's key");

/* A line of at most PF_POLICY_MAX_LINE bytes holds at most this many tokens
 * (each takes a byte and a separator, an empty quoted one two bytes). */
#define MAX_TOKENS (PF_POLICY_MAX_LINE / 2 + 2)
/* Tokens quoted in messages are cut after this many bytes. */
#define SHOW_BYTES 60
#define SHOW_BUF (SHOW_BYTES * 4 + 8)

#define DEFAULT_APPROVALS 1
#define DEFAULT_THAW_APPROVALS 2
#define DEFAULT_AI_APPROVALS 2
#define DEFAULT_TTL_S (24 * 3600ULL)
#define MAX_TTL_S (30 * 86400ULL)
#define DEFAULT_LOG_MAX_SIZE (64ULL << 20)
#define MIN_LOG_MAX_SIZE (64ULL << 10)
#define MAX_LOG_MAX_SIZE (16ULL << 30)
#define DEFAULT_LOG_KEEP 10
#define MAX_LOG_KEEP 1000
#define DEFAULT_RINGBUF (4ULL << 20)
#define DEFAULT_REPEAT_WINDOW_MS 1000
#define MAX_REPEAT_WINDOW_MS 60000
#define MIN_RINGBUF (64ULL << 10)
#define MAX_RINGBUF (256ULL << 20)

struct tok {
	const char *s; /* unescaped, NUL-terminated */
	size_t len;
	unsigned col;  /* 1-based column of the first byte (the quote if quoted) */
	unsigned end;  /* column just after the last byte */
	int quoted;
	unsigned vcol; /* KEY="VALUE" (window lines only): column of the value's quote */
};

enum {
	D_MODE, D_PROTECT, D_EXEMPT, D_SIGNERS, D_APPROVALS, D_THAW, D_TTL,
	D_LOG_SIZE, D_LOG_KEEP, D_RINGBUF, D_METRICS, D_LOCK, D_SYSLOG, D_SELF, D_REQ_SIGNS,
	D_FREEZE_WIN, D_CHANGE_WIN, D_AI, D_AI_MODE, D_AI_APPROVALS,
	D_AI_SOCKET, D_AI_SSH_PORT, D_REPEAT_WIN,
	D__COUNT
};

static const char *const dir_names[D__COUNT] = {
	[D_MODE] = "mode",
	[D_PROTECT] = "protect",
	[D_EXEMPT] = "exempt",
	[D_SIGNERS] = "allowed-signers",
	[D_APPROVALS] = "approvals",
	[D_THAW] = "thaw-approvals",
	[D_TTL] = "max-token-ttl",
	[D_LOG_SIZE] = "log-max-size",
	[D_LOG_KEEP] = "log-keep",
	[D_RINGBUF] = "ring-buffer-size",
	[D_METRICS] = "metrics-file",
	[D_LOCK] = "lock-kernel",
	[D_SYSLOG] = "syslog",
	[D_SELF] = "self-protect",
	[D_REQ_SIGNS] = "requester-signs",
	[D_FREEZE_WIN] = "freeze-window",
	[D_CHANGE_WIN] = "change-window",
	[D_AI] = "agent",
	[D_AI_MODE] = "agent-mode",
	[D_AI_APPROVALS] = "agent-approvals",
	[D_AI_SOCKET] = "agent-deny-socket",
	[D_AI_SSH_PORT] = "agent-ssh-port",
	[D_REPEAT_WIN] = "event-repeat-window",
};

#define DIR_LIST "mode, protect, exempt, allowed-signers, approvals, " \
		 "thaw-approvals, max-token-ttl, log-max-size, log-keep, " \
		 "ring-buffer-size, metrics-file, lock-kernel, syslog, self-protect, " \
		 "requester-signs, freeze-window, change-window, agent, agent-mode, " \
		 "agent-approvals, agent-deny-socket, agent-ssh-port, event-repeat-window"

struct parser {
	const char *file;
	struct pf_err *err;
	unsigned line;
	struct tok *toks;
	size_t ntok;
	char *scratch;
	struct pf_policy *p;
	size_t rules_cap;
	unsigned *cols;            /* column of each rule's path token */
	size_t cols_cap;
	unsigned seen[D__COUNT];   /* line a scalar directive was set on */
	size_t windows_cap;
	size_t ai_cap, ai_exes_cap, ai_units_cap;
};

/* --- messages --------------------------------------------------------- */

static int perr(struct parser *ps, unsigned col, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr(struct parser *ps, unsigned col, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err)
		return -errnum;
	n = snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%u:%u: ",
		     ps->file, ps->line, col);
	if (n >= 0 && (size_t)n < sizeof(ps->err->msg)) {
		va_start(ap, fmt);
		vsnprintf(ps->err->msg + n, sizeof(ps->err->msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

/* A token as it may be printed: printable ASCII as is, other bytes as \xNN,
 * cut after SHOW_BYTES bytes. */
static const char *show(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, k = 0;

	for (i = 0; i < len && i < SHOW_BYTES; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			buf[k++] = (char)c;
		} else {
			buf[k++] = '\\';
			buf[k++] = 'x';
			buf[k++] = hex[c >> 4];
			buf[k++] = hex[c & 15];
		}
	}
	if (i < len) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

/* --- numbers ---------------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Leading decimal digits of s: 0 and *ret_v, *ret_end; -EINVAL if there
 * are none, -ERANGE on overflow. */
static int parse_digits(const char *s, uint64_t *ret_v, const char **ret_end)
{
	uint64_t v = 0;
	size_t i;

	if (!s || !is_digit(s[0]))
		return -EINVAL;
	for (i = 0; is_digit(s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret_v = v;
	*ret_end = s + i;
	return 0;
}

static int parse_uint(const char *s, uint64_t *ret_v)
{
	const char *end;
	uint64_t v;
	int r;

	r = parse_digits(s, &v, &end);
	if (r < 0)
		return r;
	if (*end)
		return -EINVAL;
	*ret_v = v;
	return 0;
}

int pf_parse_duration(const char *s, uint64_t *ret_seconds)
{
	const char *end;
	uint64_t v, mul;
	int r;

	r = parse_digits(s, &v, &end);
	if (r < 0)
		return r;
	switch (end[0]) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -EINVAL;
	}
	if (end[1])
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ret_seconds = v * mul;
	return 0;
}

int pf_parse_ms(const char *s, uint64_t *ret_ms)
{
	const char *end;
	uint64_t v;
	int r;

	r = parse_digits(s, &v, &end);
	if (r < 0)
		return r;
	if (strcmp(end, "ms") == 0 || (end[0] == '\0' && v == 0)) {
		*ret_ms = v;
		return 0;
	}
	r = pf_parse_duration(s, &v);
	if (r < 0)
		return r;
	if (v > UINT64_MAX / 1000)
		return -ERANGE;
	*ret_ms = v * 1000;
	return 0;
}

int pf_parse_size(const char *s, uint64_t *ret_bytes)
{
	const char *end;
	unsigned shift;
	uint64_t v;
	int r;

	r = parse_digits(s, &v, &end);
	if (r < 0)
		return r;
	switch (end[0]) {
	case '\0': shift = 0; break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: return -EINVAL;
	}
	if (end[0] && end[1])
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret_bytes = v << shift;
	return 0;
}

/* --- tokens ----------------------------------------------------------- */

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The quoted string at line[*i] (its opening quote, at column @col),
 * unescaped onto *out; *i ends just after the closing quote. */
static int quoted_part(struct parser *ps, const char *line, size_t n, size_t *ip, char **outp,
		       unsigned col)
{
	size_t i = *ip + 1;
	char *out = *outp, sh[SHOW_BUF];

	for (;;) {
		unsigned char c;

		if (i >= n)
			return perr(ps, col, EINVAL,
				    "unterminated quoted string (expected a closing '\"')");
		c = (unsigned char)line[i];
		if (c == '"') {
			i++;
			break;
		}
		if (c == '\\') {
			if (i + 1 < n && (line[i + 1] == '"' || line[i + 1] == '\\')) {
				*out++ = line[i + 1];
				i += 2;
				continue;
			}
			return perr(ps, (unsigned)i + 1, EINVAL,
				    "invalid escape '%s' in quoted string (expected \\\" or \\\\)",
				    show(sh, line + i, i + 1 < n ? 2 : 1));
		}
		if (is_ctl(c))
			return perr(ps, (unsigned)i + 1, EINVAL, "control byte 0x%02x is not allowed", c);
		*out++ = (char)c;
		i++;
	}
	*ip = i;
	*outp = out;
	return 0;
}

/* A quoted part ends a token: a space, a tab or the line's end follows. */
static int space_after_quote(struct parser *ps, const char *line, size_t n, size_t i, char *sh)
{
	if (i < n && line[i] != ' ' && line[i] != '\t')
		return perr(ps, (unsigned)i + 1, EINVAL,
			    "expected a space after the closing quote, got '%s'",
			    show(sh, line + i, 1));
	return 0;
}

static int window_dir(const char *s)
{
	return strcmp(s, "freeze-window") == 0 || strcmp(s, "change-window") == 0;
}

static int tokenize(struct parser *ps, const char *line, size_t n)
{
	char *out = ps->scratch, sh[SHOW_BUF];
	size_t i = 0;

	ps->ntok = 0;
	if (n && line[n - 1] == '\r')
		n--; /* CRLF line ending */
	for (;;) {
		struct tok *t;

		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= n || line[i] == '#')
			return 0;
		t = &ps->toks[ps->ntok++];
		t->col = (unsigned)i + 1;
		t->s = out;
		t->quoted = 0;
		t->vcol = 0;
		if (line[i] == '"') {
			int r;

			t->quoted = 1;
			r = quoted_part(ps, line, n, &i, &out, t->col);
			if (r < 0)
				return r;
			r = space_after_quote(ps, line, n, i, sh);
			if (r < 0)
				return r;
		} else {
			while (i < n && line[i] != ' ' && line[i] != '\t') {
				unsigned char c = (unsigned char)line[i];

				if (c == '"' && out > t->s && out[-1] == '=' && ps->ntok > 1 &&
				    window_dir(ps->toks[0].s) && !t->vcol) {
					int r;

					/* reason="weekend freeze" on a window line */
					t->vcol = (unsigned)i + 1;
					r = quoted_part(ps, line, n, &i, &out, t->vcol);
					if (r < 0)
						return r;
					r = space_after_quote(ps, line, n, i, sh);
					if (r < 0)
						return r;
					break;
				}
				if (c == '"')
					return perr(ps, (unsigned)i + 1, EINVAL,
						    "unexpected '\"' inside a token (quote the whole token)");
				if (is_ctl(c))
					return perr(ps, (unsigned)i + 1, EINVAL,
						    "control byte 0x%02x is not allowed", c);
				*out++ = (char)c;
				i++;
			}
		}
		t->len = (size_t)(out - t->s);
		t->end = (unsigned)i + 1;
		*out++ = '\0';
	}
}

/* --- values ----------------------------------------------------------- */

/* The single value of a scalar directive. */
static int scalar(struct parser *ps, int id, const char *what, const struct tok **ret_v)
{
	const struct tok *t = ps->toks;
	char sh[SHOW_BUF];

	if (ps->seen[id])
		return perr(ps, t[0].col, EINVAL, "duplicate '%s' (already set on line %u)",
			    dir_names[id], ps->seen[id]);
	if (ps->ntok < 2)
		return perr(ps, t[0].end, EINVAL, "expected %s after '%s'", what, dir_names[id]);
	if (ps->ntok > 2)
		return perr(ps, t[2].col, EINVAL,
			    "unexpected extra argument '%s' ('%s' takes one value)",
			    show(sh, t[2].s, t[2].len), dir_names[id]);
	ps->seen[id] = ps->line;
	*ret_v = &t[1];
	return 0;
}

static int bad_value(struct parser *ps, const struct tok *v, int id, const char *what)
{
	char sh[SHOW_BUF];

	return perr(ps, v->col, EINVAL, "expected %s after '%s', got '%s'", what,
		    dir_names[id], show(sh, v->s, v->len));
}

/* Absolute and normalised: no empty, "." or ".." component, no trailing
 * '/', no control byte, at most PF_POLICY_MAX_PATH bytes. */
static int check_path(struct parser *ps, const struct tok *t, const char *dir)
{
	const char *s = t->s, *why = NULL;
	size_t n = t->len, i, start;
	char sh[SHOW_BUF];

	if (n == 0 || s[0] != '/')
		return perr(ps, t->col, EINVAL, "expected an absolute path after '%s', got '%s'",
			    dir, show(sh, s, n));
	if (n > PF_POLICY_MAX_PATH)
		return perr(ps, t->col, EINVAL, "path is too long: %zu bytes (limit %d)",
			    n, PF_POLICY_MAX_PATH);
	for (i = 0; i < n; i++)
		if (is_ctl((unsigned char)s[i]))
			return perr(ps, t->col, EINVAL, "path '%s' contains control byte 0x%02x",
				    show(sh, s, n), (unsigned char)s[i]);
	if (n == 1)
		return 0; /* "/" */
	for (start = 1; start <= n; start = i + 1) {
		for (i = start; i < n && s[i] != '/'; i++)
			;
		if (i == start)
			why = i == n ? "it has a trailing '/'" : "it has an empty component ('//')";
		else if (i - start == 1 && s[start] == '.')
			why = "it has a '.' component";
		else if (i - start == 2 && s[start] == '.' && s[start + 1] == '.')
			why = "it has a '..' component";
		if (why)
			return perr(ps, t->col, EINVAL, "path '%s' is not normalised: %s",
				    show(sh, s, n), why);
	}
	return 0;
}

static int path_value(struct parser *ps, int id, char **ret_path)
{
	const struct tok *v;
	char *copy;
	int r;

	r = scalar(ps, id, "an absolute path", &v);
	if (r < 0)
		return r;
	r = check_path(ps, v, dir_names[id]);
	if (r < 0)
		return r;
	copy = strdup(v->s);
	if (!copy)
		return perr(ps, v->col, ENOMEM, "out of memory");
	*ret_path = copy;
	return 0;
}

static int uint_value(struct parser *ps, int id, uint64_t lo, uint64_t hi, unsigned *ret)
{
	const struct tok *v;
	char what[64];
	uint64_t x;
	int r;

	snprintf(what, sizeof(what), "a number %llu..%llu", (unsigned long long)lo,
		 (unsigned long long)hi);
	r = scalar(ps, id, what, &v);
	if (r < 0)
		return r;
	if (parse_uint(v->s, &x) < 0 || x < lo || x > hi)
		return bad_value(ps, v, id, what);
	*ret = (unsigned)x;
	return 0;
}

#define SIZE_WHAT_LOG "a size 64K..16G (e.g. 512K, 64M, 1G)"
#define SIZE_WHAT_RB "a power of two 64K..256M (e.g. 4M)"
#define REPEAT_WHAT "0 (off) or a duration up to 60s, in ms or s (e.g. 1s, 250ms)"
#define TTL_WHAT "a duration 1s..30d (e.g. 90s, 30m, 24h, 7d)"
#define MODE_WHAT "off, audit or enforce"
#define LOCK_WHAT "yes or no"

static int yes_no_value(struct parser *ps, int id, int *ret)
{
	const struct tok *v;
	int r = scalar(ps, id, LOCK_WHAT, &v);

	if (r < 0)
		return r;
	if (strcmp(v->s, "yes") == 0)
		*ret = 1;
	else if (strcmp(v->s, "no") == 0)
		*ret = 0;
	else
		return bad_value(ps, v, id, LOCK_WHAT);
	return 0;
}

/* --- rules ------------------------------------------------------------ */

static int add_rule(struct parser *ps, const struct tok *t, int kind)
{
	struct pf_policy *p = ps->p;
	struct pf_policy_rule *r;
	char *path;

	if (p->n_rules >= PF_POLICY_MAX_RULES)
		return perr(ps, t->col, E2BIG, "too many rules (limit %d paths in protect and exempt)",
			    PF_POLICY_MAX_RULES);
	if (PF_ARRAY_GROW(p->rules, ps->rules_cap, p->n_rules) < 0 ||
	    PF_ARRAY_GROW(ps->cols, ps->cols_cap, p->n_rules) < 0)
		return perr(ps, t->col, ENOMEM, "out of memory");
	path = malloc(t->len + 1);
	if (!path)
		return perr(ps, t->col, ENOMEM, "out of memory");
	memcpy(path, t->s, t->len + 1);
	r = &p->rules[p->n_rules];
	r->path = path;
	r->kind = kind;
	r->approvals = 0;
	r->line = ps->line;
	ps->cols[p->n_rules] = t->col;
	p->n_rules++;
	return 0;
}

static int rules_line(struct parser *ps, int id)
{
	int kind = id == D_PROTECT ? PF_POL_PROTECT : PF_POL_EXEMPT;
	size_t first = ps->p->n_rules, i, npaths = 0;
	unsigned approvals = 0, approvals_col = 0;
	char sh[SHOW_BUF];
	int r;

	for (i = 1; i < ps->ntok; i++) {
		const struct tok *t = &ps->toks[i];

		if (!t->quoted && t->len && t->s[0] != '/' && strchr(t->s, '=')) {
			uint64_t v;

			if (kind == PF_POL_EXEMPT)
				return perr(ps, t->col, EINVAL,
					    "unexpected option '%s' for 'exempt' (exempt takes only paths)",
					    show(sh, t->s, t->len));
			if (strncmp(t->s, "approvals=", 10) != 0)
				return perr(ps, t->col, EINVAL,
					    "unknown option '%s' for 'protect' (expected approvals=N)",
					    show(sh, t->s, t->len));
			if (approvals_col)
				return perr(ps, t->col, EINVAL,
					    "duplicate option 'approvals=' (already given in column %u)",
					    approvals_col);
			if (parse_uint(t->s + 10, &v) < 0 || v < 1 || v > PF_POLICY_MAX_APPROVALS)
				return perr(ps, t->col + 10, EINVAL,
					    "expected a number 1..%d after 'approvals=', got '%s'",
					    PF_POLICY_MAX_APPROVALS, show(sh, t->s + 10, t->len - 10));
			approvals = (unsigned)v;
			approvals_col = t->col;
			continue;
		}
		r = check_path(ps, t, dir_names[id]);
		if (r < 0)
			return r;
		r = add_rule(ps, t, kind);
		if (r < 0)
			return r;
		npaths++;
	}
	if (npaths == 0)
		return perr(ps, ps->toks[ps->ntok - 1].end, EINVAL,
			    "expected at least one path after '%s'", dir_names[id]);
	for (i = first; i < ps->p->n_rules; i++)
		ps->p->rules[i].approvals = approvals;
	return 0;
}

/* --- windows ---------------------------------------------------------- */

#define WIN_FIRST_WHAT "a quoted cron start (\"0 18 * * 5\") or a start YYYY-MM-DDTHH:MM"
#define WIN_DUR_WHAT "a duration 1m..31d (e.g. 30m, 6h, 62h, 1d12h)"

static void show_civil(char *buf, size_t size, const struct pf_civil *c)
{
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d", c->year, c->month, c->day, c->hour,
		 c->minute);
}

/* freeze-window "CRON" DURATION [tz=ZONE] [reason="TEXT"] [mode=audit|enforce]
 * freeze-window START END        [tz=ZONE] [reason="TEXT"] [mode=audit|enforce]
 * change-window the same, without mode=. */
static int window_line(struct parser *ps, int id)
{
	const char *dir = dir_names[id];
	const struct tok *t = ps->toks, *tz = NULL, *reason = NULL, *mode = NULL;
	struct pf_window w = { 0 };
	struct pf_policy *p = ps->p;
	struct pf_err e = { { 0 } };
	char sh[SHOW_BUF], a[32], b[32];
	size_t i, off = 0;
	int r;

	if (p->n_windows >= PF_POLICY_MAX_WINDOWS)
		return perr(ps, t[0].col, E2BIG,
			    "too many windows (limit %d freeze-window and change-window lines)",
			    PF_POLICY_MAX_WINDOWS);
	w.kind = id == D_FREEZE_WIN ? PF_WINDOW_FREEZE : PF_WINDOW_CHANGE;
	w.line = ps->line;
	snprintf(w.zone, sizeof(w.zone), "UTC");
	if (ps->ntok < 2)
		return perr(ps, t[0].end, EINVAL, "expected " WIN_FIRST_WHAT " after '%s'", dir);
	if (t[1].quoted) {
		w.recurring = 1;
		if (t[1].len > PF_CRON_MAX_TEXT)
			return perr(ps, t[1].col, EINVAL,
				    "cron expression is too long: %zu bytes (limit %d)", t[1].len,
				    PF_CRON_MAX_TEXT);
		if (pf_cron_parse(t[1].s, &w.cron, &off, &e) < 0)
			return perr(ps, t[1].col + 1 + (unsigned)off, EINVAL, "%s", e.msg);
		memcpy(w.cron_text, t[1].s, t[1].len + 1);
		if (ps->ntok < 3)
			return perr(ps, t[1].end, EINVAL, "expected " WIN_DUR_WHAT " after the cron start");
		r = pf_window_parse_duration(t[2].s, &w.duration_s);
		if (r < 0 || w.duration_s < PF_WINDOW_MIN_S)
			return perr(ps, t[2].col, EINVAL, "expected " WIN_DUR_WHAT " after the cron start, got '%s'",
				    show(sh, t[2].s, t[2].len));
		if (w.duration_s > PF_WINDOW_MAX_RECURRING_S)
			return perr(ps, t[2].col, EINVAL,
				    "duration '%s' is over the limit of 31d for a recurring window",
				    show(sh, t[2].s, t[2].len));
	} else if (pf_window_parse_local(t[1].s, &w.start_local) == 0) {
		if (ps->ntok < 3)
			return perr(ps, t[1].end, EINVAL, "expected an end YYYY-MM-DDTHH:MM after the start");
		if (t[2].quoted || pf_window_parse_local(t[2].s, &w.end_local) < 0)
			return perr(ps, t[2].col, EINVAL,
				    "expected an end YYYY-MM-DDTHH:MM after the start, got '%s'",
				    show(sh, t[2].s, t[2].len));
	} else {
		return perr(ps, t[1].col, EINVAL, "expected " WIN_FIRST_WHAT " after '%s', got '%s'",
			    dir, show(sh, t[1].s, t[1].len));
	}
	for (i = 3; i < ps->ntok; i++) {
		const struct tok *o = &t[i], **slot;
		const char *eq = o->quoted ? NULL : strchr(o->s, '=');
		size_t klen = eq ? (size_t)(eq - o->s) : 0;

		if (eq && klen == 2 && memcmp(o->s, "tz", 2) == 0)
			slot = &tz;
		else if (eq && klen == 6 && memcmp(o->s, "reason", 6) == 0)
			slot = &reason;
		else if (eq && klen == 4 && memcmp(o->s, "mode", 4) == 0 && id == D_FREEZE_WIN)
			slot = &mode;
		else
			return perr(ps, o->col, EINVAL, "unknown option '%s' for '%s' (expected %s)",
				    show(sh, o->s, o->len), dir,
				    id == D_FREEZE_WIN ? "tz=ZONE, reason=\"TEXT\" or mode=audit|enforce"
						       : "tz=ZONE or reason=\"TEXT\"");
		if (*slot)
			return perr(ps, o->col, EINVAL,
				    "duplicate option '%.*s=' (already given in column %u)", (int)klen,
				    o->s, (*slot)->col);
		*slot = o;
	}
	if (tz) {
		const char *z = tz->s + 3;

		r = pf_tz_check(z, &e);
		if (r < 0)
			return perr(ps, tz->col + 3, EINVAL, "%s", e.msg);
		snprintf(w.zone, sizeof(w.zone), "%s", z);
	}
	if (mode) {
		if (strcmp(mode->s + 5, "audit") == 0)
			w.audit = 1;
		else if (strcmp(mode->s + 5, "enforce") != 0)
			return perr(ps, mode->col + 5, EINVAL,
				    "expected audit or enforce after 'mode=', got '%s'",
				    show(sh, mode->s + 5, mode->len - 5));
	}
	if (reason) {
		size_t n = reason->len - 7;
		unsigned vcol = reason->vcol ? reason->vcol : reason->col + 7;

		if (n == 0)
			return perr(ps, vcol, EINVAL, "empty reason");
		if (n > PF_WINDOW_MAX_REASON)
			return perr(ps, vcol, EINVAL, "reason is too long: %zu bytes (limit %d)", n,
				    PF_WINDOW_MAX_REASON);
		memcpy(w.reason, reason->s + 7, n + 1);
	} else if (id == D_FREEZE_WIN) {
		return perr(ps, t[ps->ntok - 1].end, EINVAL,
			    "expected reason=\"TEXT\" on 'freeze-window' (why the host is frozen)");
	}
	if (!w.recurring) {
		r = pf_tz_to_utc(w.zone, &w.start_local, &w.start);
		if (r == 0)
			r = pf_tz_to_utc(w.zone, &w.end_local, &w.end);
		if (r < 0)
			return perr(ps, t[1].col, EINVAL, "cannot place '%s' in time zone %s",
				    show(sh, t[1].s, t[1].len), w.zone);
		show_civil(a, sizeof(a), &w.start_local);
		show_civil(b, sizeof(b), &w.end_local);
		if (w.end <= w.start)
			return perr(ps, t[2].col, EINVAL, "end %s is not after the start %s (%s)", b, a,
				    w.zone);
		if (w.end - w.start > PF_WINDOW_MAX_ONEOFF_S)
			return perr(ps, t[2].col, EINVAL,
				    "window %s..%s is longer than the limit of 366d for a one-off window",
				    a, b);
	}
	if (PF_ARRAY_GROW(p->windows, ps->windows_cap, p->n_windows) < 0)
		return perr(ps, t[0].col, ENOMEM, "out of memory");
	p->windows[p->n_windows++] = w;
	return 0;
}

/* --- AI agents -------------------------------------------------------- */

#define AI_NAME_WHAT "an agent name (1..32 bytes of a-z 0-9 . _ -, starting with a letter or digit)"

static int ai_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > PF_POLICY_AI_NAME_MAX)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || is_digit(s[0])))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

ssize_t pf_policy_ai_find(const struct pf_policy *p, const char *name)
{
	for (size_t i = 0; p && name && i < p->n_ai; i++)
		if (strcmp(p->ai[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

unsigned pf_policy_ai_threshold(const struct pf_policy *p, unsigned path_threshold)
{
	return p->ai_approvals > path_threshold ? p->ai_approvals : path_threshold;
}

/* Option @o, unit=UNIT, of the agent line that is about to be
 * p->ai[p->n_ai]. */
static int ai_unit_opt(struct parser *ps, const struct tok *o)
{
	struct pf_policy *p = ps->p;
	struct pf_policy_ai_unit *u;
	const char *v = o->s + 5, *why;
	size_t n = o->len - 5;
	char sh[SHOW_BUF];

	why = pf_unit_name_problem(v, n);
	if (why)
		return perr(ps, o->col + 5, EINVAL, "invalid unit name '%s': %s",
			    show(sh, v, n), why);
	for (size_t j = 0; j < p->n_ai_units; j++)
		if (strcmp(p->ai_units[j].name, v) == 0)
			return perr(ps, o->col + 5, EINVAL,
				    "duplicate unit '%s' (already named on line %u)", v,
				    p->ai_units[j].line);
	if (p->n_ai_units >= PF_POLICY_MAX_AI_UNITS)
		return perr(ps, o->col, E2BIG, "too many agent units (limit %d unit= in all)",
			    PF_POLICY_MAX_AI_UNITS);
	if (PF_ARRAY_GROW(p->ai_units, ps->ai_units_cap, p->n_ai_units) < 0)
		return perr(ps, o->col, ENOMEM, "out of memory");
	u = &p->ai_units[p->n_ai_units++];
	memcpy(u->name, v, n + 1);
	u->agent = p->n_ai;
	u->line = ps->line;
	return 0;
}

/* agent NAME OPTION... with OPTION exe=PATH or unit=UNIT */
static int ai_line(struct parser *ps)
{
	const struct tok *t = ps->toks;
	struct pf_policy *p = ps->p;
	struct pf_policy_ai *ai;
	char sh[SHOW_BUF];
	ssize_t dup;
	int r;

	if (ps->ntok < 2)
		return perr(ps, t[0].end, EINVAL, "expected " AI_NAME_WHAT " after 'agent'");
	if (!ai_name_ok(t[1].s, t[1].len) || t[1].quoted)
		return perr(ps, t[1].col, EINVAL, "expected " AI_NAME_WHAT " after 'agent', got '%s'",
			    show(sh, t[1].s, t[1].len));
	if (strcmp(t[1].s, "any") == 0 || strcmp(t[1].s, "none") == 0)
		return perr(ps, t[1].col, EINVAL,
			    "agent name '%s' is reserved (tokens and log filters use it)", t[1].s);
	dup = pf_policy_ai_find(p, t[1].s);
	if (dup >= 0)
		return perr(ps, t[1].col, EINVAL, "duplicate agent '%s' (already named on line %u)",
			    t[1].s, p->ai[dup].line);
	if (p->n_ai >= PF_POLICY_MAX_AI)
		return perr(ps, t[0].col, E2BIG, "too many agents (limit %d agent lines)",
			    PF_POLICY_MAX_AI);
	if (ps->ntok < 3)
		return perr(ps, t[1].end, EINVAL,
			    "expected exe=PATH or unit=UNIT after the agent name");
	for (size_t i = 2; i < ps->ntok; i++) {
		const struct tok *o = &t[i];
		struct pf_policy_ai_exe *x;
		struct tok v;

		if (!o->quoted && strncmp(o->s, "unit=", 5) == 0) {
			r = ai_unit_opt(ps, o);
			if (r < 0)
				return r;
			continue;
		}
		if (o->quoted || strncmp(o->s, "exe=", 4) != 0)
			return perr(ps, o->col, EINVAL,
				    "unknown option '%s' for 'agent' (expected exe=PATH or unit=UNIT)",
				    show(sh, o->s, o->len));
		v = *o;
		v.s += 4;
		v.len -= 4;
		v.col += 4;
		r = check_path(ps, &v, "exe=");
		if (r < 0)
			return r;
		for (size_t j = 0; j < p->n_ai_exes; j++)
			if (strcmp(p->ai_exes[j].path, v.s) == 0)
				return perr(ps, v.col, EINVAL,
					    "duplicate exe '%s' (already named on line %u)",
					    show(sh, v.s, v.len), p->ai_exes[j].line);
		if (p->n_ai_exes >= PF_POLICY_MAX_AI_EXES)
			return perr(ps, o->col, E2BIG,
				    "too many agent files (limit %d exe= in all)",
				    PF_POLICY_MAX_AI_EXES);
		if (PF_ARRAY_GROW(p->ai_exes, ps->ai_exes_cap, p->n_ai_exes) < 0)
			return perr(ps, o->col, ENOMEM, "out of memory");
		x = &p->ai_exes[p->n_ai_exes];
		x->path = strdup(v.s);
		if (!x->path)
			return perr(ps, o->col, ENOMEM, "out of memory");
		x->agent = p->n_ai;
		x->line = ps->line;
		p->n_ai_exes++;
	}
	if (PF_ARRAY_GROW(p->ai, ps->ai_cap, p->n_ai) < 0)
		return perr(ps, t[0].col, ENOMEM, "out of memory");
	ai = &p->ai[p->n_ai++];
	memcpy(ai->name, t[1].s, t[1].len + 1);
	ai->line = ps->line;
	return 0;
}

/* --- AI agents' routes ------------------------------------------------ */

const char *const pf_policy_ai_default_sockets[] = {
	"/run/systemd/private",              /* PID 1: systemctl, systemd-run */
	"/var/run/systemd/private",
	"/run/dbus/system_bus_socket",       /* the system bus: systemd1, machined, run0 */
	"/var/run/dbus/system_bus_socket",
	"/run/user/0/systemd/private",       /* root's user manager */
	"/var/run/user/0/systemd/private",
	"/run/user/0/bus",
	"/var/run/user/0/bus",
	"/run/docker.sock",                  /* container engines */
	"/var/run/docker.sock",
	"/run/containerd/containerd.sock",
	"/var/run/containerd/containerd.sock",
	"/run/podman/podman.sock",
	"/var/run/podman/podman.sock",
	NULL,
};

static size_t ai_socket_find(const struct pf_policy *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->n_ai_sockets; i++)
		if (strcmp(p->ai_sockets[i], path) == 0)
			break;
	return i;
}

/* agent-deny-socket PATH: one more socket, added to the built-in list (a
 * default named again changes nothing). */
static int ai_socket_line(struct parser *ps)
{
	const struct tok *t = ps->toks;
	struct pf_policy *p = ps->p;
	char sh[SHOW_BUF];
	int r;

	if (ps->ntok < 2)
		return perr(ps, t[0].end, EINVAL, "expected an absolute path after '%s'",
			    dir_names[D_AI_SOCKET]);
	if (ps->ntok > 2)
		return perr(ps, t[2].col, EINVAL,
			    "unexpected extra argument '%s' ('%s' takes one path)",
			    show(sh, t[2].s, t[2].len), dir_names[D_AI_SOCKET]);
	r = check_path(ps, &t[1], dir_names[D_AI_SOCKET]);
	if (r < 0)
		return r;
	if (t[1].len > PF_POLICY_AI_SOCKET_MAX)
		return perr(ps, t[1].col, EINVAL,
			    "socket path is too long: %zu bytes (limit %d, a Unix socket's name)",
			    t[1].len, PF_POLICY_AI_SOCKET_MAX);
	if (ai_socket_find(p, t[1].s) < p->n_ai_sockets)
		return 0;
	if (p->n_ai_sockets >= PF_POLICY_MAX_AI_SOCKETS)
		return perr(ps, t[0].col, E2BIG,
			    "too many sockets (limit %d agent-deny-socket paths, the %zu built-in "
			    "included)", PF_POLICY_MAX_AI_SOCKETS,
			    PF_ARRAY_SIZE(pf_policy_ai_default_sockets) - 1);
	memcpy(p->ai_sockets[p->n_ai_sockets++], t[1].s, t[1].len + 1);
	return 0;
}

/* agent-ssh-port PORT [PORT...]: sshd's ports (replacing the default 22). */
static int ai_ssh_port_line(struct parser *ps)
{
	const struct tok *t = ps->toks;
	struct pf_policy *p = ps->p;
	char sh[SHOW_BUF];
	uint64_t x;

	if (ps->seen[D_AI_SSH_PORT])
		return perr(ps, t[0].col, EINVAL, "duplicate '%s' (already set on line %u)",
			    dir_names[D_AI_SSH_PORT], ps->seen[D_AI_SSH_PORT]);
	if (ps->ntok < 2)
		return perr(ps, t[0].end, EINVAL, "expected a port 1..65535 after '%s'",
			    dir_names[D_AI_SSH_PORT]);
	if (ps->ntok - 1 > PF_POLICY_MAX_AI_SSH_PORTS)
		return perr(ps, t[PF_POLICY_MAX_AI_SSH_PORTS + 1].col, E2BIG,
			    "too many ports (limit %d on '%s')", PF_POLICY_MAX_AI_SSH_PORTS,
			    dir_names[D_AI_SSH_PORT]);
	ps->seen[D_AI_SSH_PORT] = ps->line;
	p->n_ai_ssh_ports = 0;
	for (size_t i = 1; i < ps->ntok; i++) {
		if (t[i].quoted || parse_uint(t[i].s, &x) < 0 || x < 1 || x > 65535)
			return perr(ps, t[i].col, EINVAL, "expected a port 1..65535 after '%s', got '%s'",
				    dir_names[D_AI_SSH_PORT], show(sh, t[i].s, t[i].len));
		for (size_t j = 0; j < p->n_ai_ssh_ports; j++)
			if (p->ai_ssh_ports[j] == x)
				return perr(ps, t[i].col, EINVAL, "duplicate port %llu",
					    (unsigned long long)x);
		p->ai_ssh_ports[p->n_ai_ssh_ports++] = (uint16_t)x;
	}
	return 0;
}

/* --- lines ------------------------------------------------------------ */

static int parse_line(struct parser *ps, const char *line, size_t n)
{
	struct pf_policy *p = ps->p;
	const struct tok *v;
	char sh[SHOW_BUF];
	uint64_t x;
	int r, id;

	r = tokenize(ps, line, n);
	if (r < 0 || ps->ntok == 0)
		return r;
	for (id = 0; id < D__COUNT; id++)
		if (strcmp(ps->toks[0].s, dir_names[id]) == 0)
			break;

	switch (id) {
	case D_PROTECT:
	case D_EXEMPT:
		return rules_line(ps, id);
	case D_FREEZE_WIN:
	case D_CHANGE_WIN:
		return window_line(ps, id);
	case D_AI:
		return ai_line(ps);
	case D_AI_SOCKET:
		return ai_socket_line(ps);
	case D_AI_SSH_PORT:
		return ai_ssh_port_line(ps);
	case D_MODE:
	case D_AI_MODE: {
		int m;

		r = scalar(ps, id, MODE_WHAT, &v);
		if (r < 0)
			return r;
		if (strcmp(v->s, "off") == 0)
			m = PF_MODE_OFF;
		else if (strcmp(v->s, "audit") == 0)
			m = PF_MODE_AUDIT;
		else if (strcmp(v->s, "enforce") == 0)
			m = PF_MODE_ENFORCE;
		else
			return bad_value(ps, v, id, MODE_WHAT);
		*(id == D_MODE ? &p->mode : &p->ai_mode) = m;
		return 0;
	}
	case D_AI_APPROVALS:
		return uint_value(ps, id, 1, PF_POLICY_MAX_APPROVALS, &p->ai_approvals);
	case D_SIGNERS:
		return path_value(ps, id, &p->allowed_signers);
	case D_METRICS:
		return path_value(ps, id, &p->metrics_file);
	case D_APPROVALS:
		return uint_value(ps, id, 1, PF_POLICY_MAX_APPROVALS, &p->approvals);
	case D_THAW:
		return uint_value(ps, id, 1, PF_POLICY_MAX_APPROVALS, &p->thaw_approvals);
	case D_LOG_KEEP:
		return uint_value(ps, id, 1, MAX_LOG_KEEP, &p->log_keep);
	case D_TTL:
		r = scalar(ps, id, TTL_WHAT, &v);
		if (r < 0)
			return r;
		if (pf_parse_duration(v->s, &x) < 0 || x < 1 || x > MAX_TTL_S)
			return bad_value(ps, v, id, TTL_WHAT);
		p->max_token_ttl_s = x;
		return 0;
	case D_LOG_SIZE:
		r = scalar(ps, id, SIZE_WHAT_LOG, &v);
		if (r < 0)
			return r;
		if (pf_parse_size(v->s, &x) < 0 || x < MIN_LOG_MAX_SIZE || x > MAX_LOG_MAX_SIZE)
			return bad_value(ps, v, id, SIZE_WHAT_LOG);
		p->log_max_size = x;
		return 0;
	case D_RINGBUF:
		r = scalar(ps, id, SIZE_WHAT_RB, &v);
		if (r < 0)
			return r;
		if (pf_parse_size(v->s, &x) < 0 || x < MIN_RINGBUF || x > MAX_RINGBUF ||
		    (x & (x - 1)))
			return bad_value(ps, v, id, SIZE_WHAT_RB);
		p->ringbuf_size = x;
		return 0;
	case D_REPEAT_WIN:
		r = scalar(ps, id, REPEAT_WHAT, &v);
		if (r < 0)
			return r;
		if (pf_parse_ms(v->s, &x) < 0 || x > MAX_REPEAT_WINDOW_MS)
			return bad_value(ps, v, id, REPEAT_WHAT);
		p->repeat_window_ms = x;
		return 0;
	case D_LOCK:
		return yes_no_value(ps, id, &p->lock_kernel);
	case D_SYSLOG:
		return yes_no_value(ps, id, &p->syslog);
	case D_SELF:
		return yes_no_value(ps, id, &p->self_protect);
	case D_REQ_SIGNS:
		return yes_no_value(ps, id, &p->requester_signs);
	}
	return perr(ps, ps->toks[0].col, EINVAL, "unknown directive '%s' (expected one of: " DIR_LIST ")",
		    show(sh, ps->toks[0].s, ps->toks[0].len));
}

/* --- whole-policy checks ---------------------------------------------- */

struct sent {
	const char *s;
	size_t len;
	size_t idx;
};

static int path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int sent_cmp(const void *a, const void *b)
{
	const struct sent *x = a, *y = b;
	int c = path_cmp(x->s, x->len, y->s, y->len);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int key_cmp(const void *k, const void *e)
{
	const struct sent *x = k, *y = e;

	return path_cmp(x->s, x->len, y->s, y->len);
}

/* Whether a strict ancestor of s is in the sorted array prot. */
static int has_ancestor(const struct sent *prot, size_t n, const char *s, size_t len)
{
	struct sent key = { .s = s };
	size_t k;

	if (!n || len <= 1)
		return 0;
	for (k = len - 1; k > 0; k--) {
		if (s[k] != '/')
			continue;
		key.len = k;
		if (bsearch(&key, prot, n, sizeof(*prot), key_cmp))
			return 1;
	}
	key.len = 1; /* "/" */
	return bsearch(&key, prot, n, sizeof(*prot), key_cmp) != NULL;
}

/* Duplicate paths and exempts outside every protected tree; reports the one
 * that comes first in the file. */
static int check_rules(struct parser *ps)
{
	const struct pf_policy *p = ps->p;
	struct sent *all = NULL, *prot = NULL;
	size_t n = p->n_rules, i, g = 0, np = 0, bad = SIZE_MAX, ref = 0;
	char sh[SHOW_BUF];
	int r = 0;

	if (n == 0)
		return 0;
	all = malloc(n * sizeof(*all));
	prot = malloc(n * sizeof(*prot));
	if (!all || !prot) {
		r = perr(ps, 1, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		all[i].s = p->rules[i].path;
		all[i].len = strlen(p->rules[i].path);
		all[i].idx = i;
	}
	qsort(all, n, sizeof(*all), sent_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && path_cmp(all[i].s, all[i].len, all[g].s, all[g].len) == 0) {
			if (all[i].idx < bad) {
				bad = all[i].idx;
				ref = all[g].idx;
			}
		} else {
			g = i;
		}
		if (p->rules[all[i].idx].kind == PF_POL_PROTECT)
			prot[np++] = all[i];
	}
	if (bad != SIZE_MAX) {
		ps->line = p->rules[bad].line;
		r = perr(ps, ps->cols[bad], EINVAL, "duplicate path '%s' (already listed on line %u)",
			 show(sh, p->rules[bad].path, strlen(p->rules[bad].path)),
			 p->rules[ref].line);
	}
	for (i = 0; i < n && i < bad; i++) {
		if (p->rules[i].kind != PF_POL_EXEMPT)
			continue;
		if (has_ancestor(prot, np, p->rules[i].path, strlen(p->rules[i].path)))
			continue;
		ps->line = p->rules[i].line;
		r = perr(ps, ps->cols[i], EINVAL, "exempt %s is not inside any protected tree",
			 show(sh, p->rules[i].path, strlen(p->rules[i].path)));
		break;
	}
out:
	free(all);
	free(prot);
	return r;
}

/* --- entry points ----------------------------------------------------- */

void pf_policy_free(struct pf_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_rules; i++)
		free(p->rules[i].path);
	free(p->rules);
	free(p->windows);
	for (i = 0; i < p->n_ai_exes; i++)
		free(p->ai_exes[i].path);
	free(p->ai_exes);
	free(p->ai_units);
	free(p->ai);
	free(p->file);
	free(p->allowed_signers);
	free(p->metrics_file);
	free(p);
}

int pf_policy_parse(const char *file, const char *buf, size_t len, struct pf_policy **ret,
		    struct pf_err *err)
{
	struct parser ps = { 0 };
	struct pf_policy *p = NULL;
	size_t pos = 0;
	int r = 0;

	if (err)
		err->msg[0] = '\0';
	ps.file = file ? file : "policy";
	ps.err = err;
	ps.line = 1;
	if (!ret || (!buf && len))
		return perr(&ps, 1, EINVAL, "invalid arguments");
	if (len > PF_POLICY_MAX_FILE)
		return perr(&ps, 1, EFBIG, "file is too large: %zu bytes (limit %zu)", len,
			    PF_POLICY_MAX_FILE);

	p = calloc(1, sizeof(*p));
	ps.toks = malloc(MAX_TOKENS * sizeof(*ps.toks));
	ps.scratch = malloc(PF_POLICY_MAX_LINE + MAX_TOKENS + 1);
	if (!p || !ps.toks || !ps.scratch) {
		r = perr(&ps, 1, ENOMEM, "out of memory");
		goto out;
	}
	ps.p = p;
	p->mode = PF_MODE_OFF;
	p->approvals = DEFAULT_APPROVALS;
	p->thaw_approvals = DEFAULT_THAW_APPROVALS;
	p->ai_mode = PF_MODE_OFF;
	p->ai_approvals = DEFAULT_AI_APPROVALS;
	for (const char *const *d = pf_policy_ai_default_sockets; *d; d++)
		snprintf(p->ai_sockets[p->n_ai_sockets++], sizeof(p->ai_sockets[0]), "%s", *d);
	p->ai_ssh_ports[p->n_ai_ssh_ports++] = 22;
	p->max_token_ttl_s = DEFAULT_TTL_S;
	p->log_max_size = DEFAULT_LOG_MAX_SIZE;
	p->log_keep = DEFAULT_LOG_KEEP;
	p->ringbuf_size = DEFAULT_RINGBUF;
	p->repeat_window_ms = DEFAULT_REPEAT_WINDOW_MS;
	p->lock_kernel = 1;
	p->syslog = 1;
	p->self_protect = 1;
	p->file = strdup(ps.file);
	if (!p->file) {
		r = perr(&ps, 1, ENOMEM, "out of memory");
		goto out;
	}

	while (pos < len) {
		const char *line = buf + pos, *nl, *nul;
		size_t n;

		nl = memchr(line, '\n', len - pos);
		n = nl ? (size_t)(nl - line) : len - pos;
		if (n > PF_POLICY_MAX_LINE) {
			r = perr(&ps, PF_POLICY_MAX_LINE + 1, E2BIG,
				 "line is too long (limit %d bytes)", PF_POLICY_MAX_LINE);
			goto out;
		}
		nul = memchr(line, '\0', n);
		if (nul) {
			r = perr(&ps, (unsigned)(nul - line) + 1, EINVAL, "NUL byte in policy file");
			goto out;
		}
		r = parse_line(&ps, line, n);
		if (r < 0)
			goto out;
		pos += n + (nl ? 1 : 0);
		ps.line++;
	}
	r = check_rules(&ps);
out:
	free(ps.toks);
	free(ps.scratch);
	free(ps.cols);
	if (r < 0) {
		pf_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

static int io_err(struct pf_err *err, const char *path, const char *what, int errnum)
{
	char eb[128];

	if (err)
		snprintf(err->msg, sizeof(err->msg), "%s: %s: %s", path, what,
			 strerror_r(errnum, eb, sizeof(eb)));
	return -errnum;
}

int pf_policy_load(const char *path, struct pf_policy **ret, struct pf_err *err)
{
	struct pf_err tmp;
	size_t len = 0, cap;
	struct stat st;
	char *buf = NULL;
	int fd, r;

	if (!err)
		err = &tmp;
	err->msg[0] = '\0';
	if (!path || !ret)
		return io_err(err, path ? path : "policy", "cannot load", EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return io_err(err, path, "cannot open", errno);
	if (fstat(fd, &st) < 0) {
		r = io_err(err, path, "cannot stat", errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = io_err(err, path, "cannot read", EISDIR);
		goto out;
	}
	if (st.st_size > (off_t)PF_POLICY_MAX_FILE) {
		snprintf(err->msg, sizeof(err->msg), "%s:1:1: file is too large: %lld bytes (limit %zu)",
			 path, (long long)st.st_size, PF_POLICY_MAX_FILE);
		r = -EFBIG;
		goto out;
	}
	/* st_size is a hint (procfs, pipes, a file growing): read to EOF but
	 * never more than the cap plus one byte */
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap);
	if (!buf) {
		r = io_err(err, path, "cannot read", ENOMEM);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > PF_POLICY_MAX_FILE) {
				snprintf(err->msg, sizeof(err->msg),
					 "%s:1:1: file is too large: more than %zu bytes", path,
					 PF_POLICY_MAX_FILE);
				r = -EFBIG;
				goto out;
			}
			cap = cap > PF_POLICY_MAX_FILE / 2 ? PF_POLICY_MAX_FILE + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = io_err(err, path, "cannot read", ENOMEM);
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = io_err(err, path, "cannot read", errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = pf_policy_parse(path, buf, len, ret, err);
out:
	free(buf);
	close(fd);
	return r;
}

ssize_t pf_policy_match(const struct pf_policy *p, const char *path)
{
	size_t plen, i, best_len = 0;
	ssize_t best = -1;

	if (!p || !path || path[0] != '/')
		return -1;
	plen = strlen(path);
	for (i = 0; i < p->n_rules; i++) {
		const char *r = p->rules[i].path;
		size_t rl;

		if (!r || r[0] != '/')
			continue;
		rl = strlen(r);
		if (rl == 1) {
			/* "/" is an ancestor of everything */
		} else if (rl > plen || memcmp(r, path, rl) != 0 ||
			   (path[rl] != '\0' && path[rl] != '/')) {
			continue;
		}
		if (best < 0 || rl > best_len) {
			best = (ssize_t)i;
			best_len = rl;
		}
	}
	return best;
}

static unsigned rule_threshold(const struct pf_policy *p, const struct pf_policy_rule *r)
{
	return r->approvals ? r->approvals : p->approvals;
}

unsigned pf_policy_rule_threshold(const struct pf_policy *p, size_t rule)
{
	return rule < p->n_rules ? rule_threshold(p, &p->rules[rule]) : 0;
}

int pf_policy_threshold(const struct pf_policy *p, const char *path, int subtree,
			unsigned *ret_threshold)
{
	char norm[PF_POLICY_MAX_PATH + 2];
	size_t n = strlen(path);
	unsigned best = 0;
	int found = 0;
	ssize_t idx;

	if (n >= sizeof(norm))
		return -ENAMETOOLONG;
	memcpy(norm, path, n + 1);
	if (n > 1 && norm[n - 1] == '/')
		norm[--n] = 0;
	idx = pf_policy_match(p, norm);
	/* the path itself must lie inside a protected tree (its root counts):
	 * a subtree approval of an ancestor ("/") would unlock every tree
	 * below it — a thaw under another name, at a lower threshold */
	if (idx < 0 || p->rules[idx].kind != PF_POL_PROTECT)
		return -ENOENT;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct pf_policy_rule *r = &p->rules[i];
		size_t rl = strlen(r->path);
		int encloses = strncmp(norm, r->path, rl) == 0 &&
			       (norm[rl] == '/' || norm[rl] == 0 || rl == 1);
		int below = subtree && strncmp(r->path, norm, n) == 0 &&
			    (r->path[n] == '/' || n == 1);

		if (r->kind != PF_POL_PROTECT || !(encloses || below))
			continue;
		found = 1;
		if (rule_threshold(p, r) > best)
			best = rule_threshold(p, r);
	}
	if (!found)
		return -ENOENT;
	*ret_threshold = best;
	return 0;
}

/* Unit tests for the approval token (parser, writer, time helpers) and the
 * verification decision (approve.c): table-driven parser cases and a
 * negative matrix with exact messages, over signatures made at test time
 * by ssh-keygen and cross-checked with ssh-keygen -Y verify. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approve.h"
#include "hostid.h"
#include "signers.h"
#include "sshsig.h"
#include "token.h"
#include "tap.h"

#define NS PF_APPROVAL_NAMESPACE
#define MID "0123456789abcdef0123456789abcdef"
#define NOW 1795000000LL /* 2026-11-18T11:06:40Z */

static char dir[64];

/* ---- helpers ---------------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	static char buf[8][4096];
	static int k;
	va_list ap;

	k = (k + 1) % 8;
	va_start(ap, f);
	vsnprintf(buf[k], sizeof(buf[k]), f, ap);
	va_end(ap);
	return buf[k];
}

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	if (ret_len)
		*ret_len = (size_t)n;
	return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

/* Replaces the first occurrence of from with to (result is allocated). */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t fl = strlen(from), tl = strlen(to), sl = strlen(s);
	char *r;

	if (!p)
		return strdup(s);
	r = malloc(sl - fl + tl + 1);
	memcpy(r, s, (size_t)(p - s));
	memcpy(r + (p - s), to, tl);
	strcpy(r + (p - s) + tl, p + fl);
	return r;
}

static char *cat(const char *a, const char *b)
{
	char *r = malloc(strlen(a) + strlen(b) + 1);

	strcpy(r, a);
	strcat(r, b);
	return r;
}

/* ---- token parser ----------------------------------------------------- */

static const char *base =
	"permafrost-approval v1\n"
	"token-id: 00112233445566778899aabbccddeeff\n"
	"ticket: CHG-1234\n"
	"requester: alice\n"
	"host: web1.example.com\n"
	"host: " MID "\n"
	"path: /etc/nginx/\n"
	"path: /etc/hosts\n"
	"ops: write create rename\n"
	"uid: 0\n"
	"unit: nginx.service\n"
	"exe: /usr/bin/vim\n"
	"not-before: 2026-11-29T09:00:00Z\n"
	"not-after: 2026-11-29T10:00:00Z\n"
	"reason: rotate the TLS certificate\n";

static void parse_bad(const char *body, size_t len, int want_r, const char *want, const char *name)
{
	struct pf_token *t = (void *)1;
	struct pf_err e = { "" };
	int r = pf_token_parse(body, len, &t, &e);

	TAP_OK(r == want_r && t == (void *)1, "token %s: refused (r=%d)", name, r);
	TAP_STREQ(e.msg, want, "token %s: message", name);
}

static void bad_subst(const char *from, const char *to, const char *want, const char *name)
{
	char *b = subst(base, from, to);

	parse_bad(b, strlen(b), -EBADMSG, want, name);
	free(b);
}

static void test_parse(void)
{
	struct pf_token *t = NULL;
	struct pf_err e = { "" };
	char *b;

	TAP_OK(pf_token_parse(base, strlen(base), &t, &e) == 0, "token: full example parses %s", e.msg);
	if (t) {
		TAP_STREQ(t->id, "00112233445566778899aabbccddeeff", "token: id");
		TAP_STREQ(t->ticket, "CHG-1234", "token: ticket");
		TAP_STREQ(t->requester, "alice", "token: requester");
		TAP_OK(t->n_hosts == 2 && strcmp(t->hosts[1], MID) == 0, "token: two hosts");
		TAP_OK(t->n_paths == 2 && t->paths[0].subtree && !t->paths[1].subtree &&
		       strcmp(t->paths[0].path, "/etc/nginx/") == 0, "token: paths and subtree flag");
		TAP_OK(t->ops == (PF_TOKEN_OP_WRITE | PF_TOKEN_OP_CREATE | PF_TOKEN_OP_RENAME) && t->ops_given,
		       "token: ops mask");
		TAP_OK(t->has_uid && t->uid == 0, "token: uid");
		TAP_STREQ(t->unit, "nginx.service", "token: unit");
		TAP_STREQ(t->exe, "/usr/bin/vim", "token: exe");
		TAP_OK(t->not_before == 1795942800 && t->not_after == 1795946400, "token: times as UTC");
		TAP_STREQ(t->reason, "rotate the TLS certificate", "token: reason");
		TAP_OK(t->body_len == strlen(base), "token: body_len");
		pf_token_free(t);
	}

	/* optional fields omitted: default ops */
	b = subst(base, "ops: write create rename\nuid: 0\nunit: nginx.service\nexe: /usr/bin/vim\n", "");
	t = NULL;
	TAP_OK(pf_token_parse(b, strlen(b), &t, &e) == 0 && t->ops == PF_TOKEN_OPS_DEFAULT && !t->ops_given &&
	       !t->has_uid && !t->unit && !t->exe, "token: optional fields absent, default ops");
	pf_token_free(t);
	free(b);
	/* thaw token */
	b = subst(base, "path: /etc/nginx/\npath: /etc/hosts\nops: write create rename\nuid: 0\nunit: nginx.service\nexe: /usr/bin/vim\n",
		  "ops: thaw\n");
	t = NULL;
	TAP_OK(pf_token_parse(b, strlen(b), &t, &e) == 0 && t->ops == PF_TOKEN_OP_THAW && t->n_paths == 0,
	       "token: thaw token without paths %s", e.msg);
	pf_token_free(t);
	free(b);
	/* root subtree and leap day */
	b = subst(base, "path: /etc/nginx/\n", "path: /\n");
	char *b2 = subst(b, "not-after: 2026-11-29T10:00:00Z", "not-after: 2028-02-29T23:59:59Z");
	t = NULL;
	TAP_OK(pf_token_parse(b2, strlen(b2), &t, &e) == 0 && t->paths[0].subtree &&
	       t->not_after == 1835481599, "token: \"/\" subtree and a leap day");
	pf_token_free(t);
	free(b);
	free(b2);

	/* byte-level */
	b = subst(base, "ticket: CHG-1234\n", "ticket: CHG-1234\r\n");
	parse_bad(b, strlen(b), -EBADMSG, "token line 3: carriage return (CRLF line ends are not allowed)", "CRLF");
	free(b);
	bad_subst("reason: rotate", "reason:\trotate", "token line 15: tab character", "tab");
	bad_subst("CHG-1234", "CHG-1234 ", "token line 3: trailing space", "trailing space");
	bad_subst("CHG-1234", "CHG-\xc3\xa9", "token line 3: byte 0xc3 is not printable ASCII", "non-ASCII");
	b = strdup(base);
	b[30] = '\0';
	parse_bad(b, strlen(base), -EBADMSG, "token line 2: byte 0x00 is not printable ASCII", "NUL byte");
	free(b);
	parse_bad(base, strlen(base) - 1, -EBADMSG, "token line 15: missing final newline", "no final LF");
	bad_subst("permafrost-approval v1", "permafrost-approval v3",
		  "token line 1: expected \"permafrost-approval v1\" (or \"permafrost-approval v2\")",
		  "bad magic");
	/* agent: format v2 only, after exe, any or an agent's name */
	bad_subst("exe: /usr/bin/vim\n", "exe: /usr/bin/vim\nagent: claude\n",
		  "token line 13: field \"agent\" needs format v2 (line 1 \"permafrost-approval v2\")",
		  "agent in a v1 token");
	{
		char *v2 = subst(base, "approval v1", "approval v2");
		char *ok = subst(v2, "exe: /usr/bin/vim\n", "exe: /usr/bin/vim\nagent: claude\n");
		char *bad = subst(v2, "exe: /usr/bin/vim\n", "exe: /usr/bin/vim\nagent: Claude\n");
		char *none = subst(v2, "exe: /usr/bin/vim\n", "exe: /usr/bin/vim\nagent: none\n");
		char *order = subst(v2, "uid: 0\n", "agent: any\nuid: 0\n");
		struct pf_token *tk = NULL;

		TAP_OK(pf_token_parse(v2, strlen(v2), &tk, &e) == 0 && tk->version == 2 && !tk->agent,
		       "token v2 without agent parses (%s)", e.msg);
		pf_token_free(tk);
		tk = NULL;
		TAP_OK(pf_token_parse(ok, strlen(ok), &tk, &e) == 0 && tk->agent &&
		       strcmp(tk->agent, "claude") == 0, "token v2 agent: claude (%s)", e.msg);
		pf_token_free(tk);
		parse_bad(bad, strlen(bad), -EBADMSG,
			  "token line 13: invalid agent \"Claude\" (any, or an agent's name: 1..32 bytes of a-z 0-9 . _ -)",
			  "agent upper case");
		parse_bad(none, strlen(none), -EBADMSG,
			  "token line 13: invalid agent \"none\" (any, or an agent's name: 1..32 bytes of a-z 0-9 . _ -)",
			  "agent none");
		parse_bad(order, strlen(order), -EBADMSG,
			  "token line 11: field \"uid\" out of order (must come before \"agent\")",
			  "agent before uid");
		free(v2);
		free(ok);
		free(bad);
		free(none);
		free(order);
	}
	bad_subst("ticket: CHG-1234\n", "ticket: CHG-1234\n\n", "token line 4: empty line", "empty line");
	/* line syntax */
	bad_subst("ticket: CHG", "ticket:  CHG", "token line 3: expected exactly one space after \"ticket:\"",
		  "two spaces");
	bad_subst("ticket: CHG", "ticket:CHG", "token line 3: expected exactly one space after \"ticket:\"",
		  "no space");
	bad_subst("ticket: CHG-1234", "ticket:", "token line 3: empty value for \"ticket\"", "empty value");
	bad_subst("ticket: CHG", "Ticket: CHG", "token line 3: expected \"key: value\"", "uppercase key");
	bad_subst("ticket: CHG-1234\n", "ticket: CHG-1234\ncolor: red\n", "token line 4: unknown field \"color\"",
		  "unknown field");
	bad_subst("ticket: CHG-1234\n", "ticket: CHG-1234\nticket: CHG-9\n", "token line 4: duplicate field \"ticket\"",
		  "duplicate field");
	bad_subst("ticket: CHG-1234\nrequester: alice\n", "requester: alice\nticket: CHG-1234\n",
		  "token line 4: field \"ticket\" out of order (must come before \"requester\")", "out of order");
	/* values */
	bad_subst("token-id: 00112233445566778899aabbccddeeff", "token-id: 00112233445566778899AABBCCDDEEFF",
		  "token line 2: token-id must be 32 lowercase hex digits", "uppercase id");
	bad_subst("token-id: 00112233445566778899aabbccddeeff", "token-id: 0011",
		  "token line 2: token-id must be 32 lowercase hex digits", "short id");
	bad_subst("requester: alice", "requester: al ice", "token line 4: invalid requester (a principal: at most 256 bytes, no spaces or , * ? ! \" ')",
		  "requester with space");
	bad_subst("host: web1.example.com", "host: *.example.com", "token line 5: host \"*.example.com\": wildcards are not allowed",
		  "wildcard host");
	bad_subst("host: web1.example.com", "host: Web1.example.com",
		  "token line 5: invalid host \"Web1.example.com\" (a lowercase hostname or a 32-hex machine-id)",
		  "uppercase host");
	bad_subst("host: web1.example.com", "host: -web1", "token line 5: invalid host \"-web1\" (a lowercase hostname or a 32-hex machine-id)",
		  "host label starts with -");
	bad_subst("host: " MID, "host: web1.example.com", "token line 6: duplicate host \"web1.example.com\"",
		  "duplicate host");
	bad_subst("path: /etc/hosts", "path: etc/hosts", "token line 8: path \"etc/hosts\": not an absolute path",
		  "relative path");
	bad_subst("path: /etc/hosts", "path: /etc/../etc/shadow",
		  "token line 8: path \"/etc/../etc/shadow\": \".\" or \"..\" component (path not normalised)", "dotdot");
	bad_subst("path: /etc/hosts", "path: /etc//hosts", "token line 8: path \"/etc//hosts\": empty path component (\"//\")",
		  "double slash");
	bad_subst("path: /etc/hosts", "path: /etc/nginx/", "token line 8: duplicate path \"/etc/nginx/\"",
		  "duplicate path");
	bad_subst("ops: write create rename", "ops: write chmod", "token line 9: ops: unknown operation \"chmod\"",
		  "unknown op");
	bad_subst("ops: write create rename", "ops: create write",
		  "token line 9: ops: \"write\" out of order (canonical order: write create delete rename metadata mount)",
		  "ops order");
	bad_subst("ops: write create rename", "ops: write write", "token line 9: ops: \"write\" given twice", "ops twice");
	bad_subst("ops: write create rename", "ops: write thaw", "token line 9: ops: \"thaw\" must appear alone",
		  "thaw not alone");
	bad_subst("ops: write create rename", "ops: thaw",
		  "token: a thaw token must not have path, uid, unit, exe or agent fields", "thaw with paths");
	bad_subst("uid: 0", "uid: 01", "token line 10: uid must be a decimal number 0..4294967294", "uid leading zero");
	bad_subst("uid: 0", "uid: 4294967295", "token line 10: uid must be a decimal number 0..4294967294", "uid -1");
	bad_subst("unit: nginx.service", "unit: nginx.target",
		  "token line 11: invalid unit \"nginx.target\" (a systemd unit name ending in .service, .socket, .mount, .swap, .scope or .slice)",
		  "unit suffix");
	bad_subst("exe: /usr/bin/vim", "exe: /usr/bin/", "token line 12: exe \"/usr/bin/\": must name a file, not a directory (no trailing '/')",
		  "exe dir");
	bad_subst("2026-11-29T09:00:00Z", "2026-02-30T09:00:00Z", "token line 13: not-before must be a valid YYYY-MM-DDTHH:MM:SSZ time",
		  "Feb 30");
	bad_subst("2026-11-29T09:00:00Z", "2026-11-29 09:00:00Z", "token line 13: not-before must be a valid YYYY-MM-DDTHH:MM:SSZ time",
		  "time without T");
	bad_subst("2026-11-29T09:00:00Z", "2026-11-29T10:00:00Z", "token: not-after must be later than not-before",
		  "empty window");
	bad_subst("reason: rotate the TLS certificate\n", "", "token: missing field \"reason\"", "missing reason");
	b = subst(base, "path: /etc/nginx/\npath: /etc/hosts\n", "");
	parse_bad(b, strlen(b), -EBADMSG, "token: missing field \"path\"", "missing path");
	free(b);
	/* size */
	b = malloc(PF_TOKEN_MAX_SIZE + 2);
	memset(b, 'a', PF_TOKEN_MAX_SIZE + 1);
	parse_bad(b, PF_TOKEN_MAX_SIZE + 1, -EMSGSIZE, "token body is 65537 bytes, larger than the 65536-byte limit",
		  "oversized");
	free(b);
}

static void test_time(void)
{
	static const char *const v[] = {
		"1970-01-01T00:00:00Z", "2000-02-29T12:34:56Z", "2026-11-29T10:00:00Z",
		"2100-03-01T00:00:00Z", "9999-12-31T23:59:59Z",
	};
	char buf[64];
	int64_t t;
	bool ok = true;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ok &= pf_token_parse_time(v[i], strlen(v[i]), &t) == 0 &&
		      pf_token_format_time(t, buf, sizeof(buf)) == 0 && strcmp(buf, v[i]) == 0;
	TAP_OK(ok, "time: parse/format round trip");
	TAP_OK(pf_token_parse_time("2100-02-29T00:00:00Z", 20, &t) == -EBADMSG, "time: 2100 is not leap");
	TAP_OK(pf_token_parse_time("2026-01-01T00:00:60Z", 20, &t) == -EBADMSG, "time: no leap seconds");
	TAP_OK(pf_token_format_time(NOW, buf, sizeof(buf)) == 0 && strcmp(buf, "2026-11-18T11:06:40Z") == 0,
	       "time: NOW formats");
	TAP_OK(pf_token_format_ops(PF_TOKEN_OPS_DEFAULT, buf, sizeof(buf)) == 0 &&
	       strcmp(buf, "write create delete rename metadata mount") == 0, "ops: default formats canonically");
}

static void test_new(void)
{
	const char *hosts[] = { "web1.example.com", MID };
	const char *paths[] = { "/etc/nginx/", "/etc/hosts" };
	struct pf_token_spec s = {
		.ticket = "CHG-1", .requester = "alice", .hosts = hosts, .n_hosts = 2, .paths = paths,
		.n_paths = 2, .reason = "test", .now = NOW, .ttl = 3600,
	};
	char *b1 = NULL, *b2 = NULL;
	size_t l1, l2;
	struct pf_token *t = NULL;
	struct pf_err e = { "" };

	TAP_OK(pf_token_new(&s, &b1, &l1, &e) == 0 && pf_token_new(&s, &b2, &l2, &e) == 0, "new: writes bodies %s", e.msg);
	TAP_OK(b1 && b2 && memcmp(b1 + 33, b2 + 33, 32) != 0, "new: fresh random token-id each time");
	TAP_OK(b1 && pf_token_parse(b1, l1, &t, &e) == 0 && t->not_before == NOW && t->not_after == NOW + 3600 &&
	       t->ops == PF_TOKEN_OPS_DEFAULT && t->ops_given, "new: parses back with the window");
	TAP_OK(b1 && strstr(b1, "\nops: write create delete rename metadata mount\nnot-before: 2026-11-18T11:06:40Z\n"),
	       "new: canonical text");
	pf_token_free(t);
	free(b1);
	free(b2);
	/* with an agent: format v2, else v1 */
	s.agent = "any";
	b1 = NULL;
	t = NULL;
	TAP_OK(pf_token_new(&s, &b1, &l1, &e) == 0 && strncmp(b1, "permafrost-approval v2\n", 23) == 0 &&
	       strstr(b1, "\nagent: any\nnot-before:") && pf_token_parse(b1, l1, &t, &e) == 0 &&
	       t->agent && strcmp(t->agent, "any") == 0, "new: agent any, format v2 %s", e.msg);
	pf_token_free(t);
	free(b1);
	s.agent = NULL;
	paths[1] = "etc/hosts";
	b1 = NULL;
	TAP_OK(pf_token_new(&s, &b1, &l1, &e) == -EBADMSG && !b1, "new: invalid path refused");
	TAP_STREQ(e.msg, "token line 8: path \"etc/hosts\": not an absolute path", "new: message from the parser");
	s.ttl = 0;
	TAP_OK(pf_token_new(&s, &b1, &l1, &e) == -EINVAL, "new: ttl 0 refused");
}

/* ---- approve ---------------------------------------------------------- */

static char fps[16][PF_SSHKEY_FP_LEN];

enum { ALICE, BOB, BOB2, CAROL, DAVE, ERIN, FRANK, MALLORY, RSA1024, P384, N_KEYS };
static const struct {
	const char *name, *gen;
} keys[N_KEYS] = {
	[ALICE] = { "alice", "-t ed25519" },     [BOB] = { "bob", "-t ecdsa -b 256" },
	[BOB2] = { "bob2", "-t ed25519" },       [CAROL] = { "carol", "-t rsa -b 3072" },
	[DAVE] = { "dave", "-t ed25519" },       [ERIN] = { "erin", "-t ed25519" },
	[FRANK] = { "frank", "-t ed25519" },     [MALLORY] = { "mallory", "-t ed25519" },
	[RSA1024] = { "rsa1024", "-t rsa -b 1024" }, [P384] = { "p384", "-t ecdsa -b 384" },
};

static struct pf_signers *signers;
static const char *used_id;

static int thresh(const char *path, bool subtree, void *data, unsigned *ret, struct pf_err *why)
{
	(void)why;
	if (strcmp(path, "/etc/hosts") == 0)
		*ret = 1;
	else if (strncmp(path, "/etc/", 5) == 0)
		*ret = 2;
	else
		return -ENOENT;
	return 0;
}

static int is_used(const char *id, void *data)
{
	return used_id && strcmp(id, used_id) == 0;
}

static struct pf_approve_ctx ctx(void)
{
	struct pf_approve_ctx c = {
		.signers = signers, .ns = NS, .hostname = "web1.example.com", .machine_id = MID,
		.now = NOW, .threshold = thresh, .thaw_threshold = 2, .max_ttl = 86400, .is_used = is_used,
	};
	return c;
}

/* armored signature of file by key; ns defaults to NS */
static char *sign(int key, const char *file, const char *ns)
{
	char *sig;

	sh("ssh-keygen -Y sign -n %s -f %s/%s < %s > %s/out.sig 2>/dev/null", ns ? ns : NS, dir, keys[key].name,
	   file, dir);
	sig = slurp(fmt("%s/out.sig", dir), NULL);
	return sig;
}

static char *body_file(const char *body)
{
	char *p = fmt("%s/body", dir);

	spit(p, body, strlen(body));
	return p;
}

static char *make_body(const char *const *paths, size_t n_paths, unsigned ops)
{
	const char *hosts[] = { "web1.example.com", MID };
	struct pf_token_spec s = {
		.ticket = "CHG-1", .requester = "alice", .hosts = hosts, .n_hosts = 2, .paths = paths,
		.n_paths = n_paths, .ops = ops, .reason = "rotate certificates", .now = NOW - 60, .ttl = 3600,
	};
	char *b = NULL;
	size_t l;

	pf_token_new(&s, &b, &l, NULL);
	return b;
}

/* body + signatures by the given keys (terminated by -1) */
static char *bundle(const char *body, ...)
{
	char *acc = strdup(body), *bf = strdup(body_file(body));
	va_list ap;
	int k;

	va_start(ap, body);
	while ((k = va_arg(ap, int)) >= 0) {
		char *s = sign(k, bf, NULL), *n = cat(acc, s);

		free(s);
		free(acc);
		acc = n;
	}
	va_end(ap);
	free(bf);
	return acc;
}

static int verify(const struct pf_approve_ctx *c, const char *b, struct pf_approval **ret_a,
		  struct pf_err *e, const char **ret_rule)
{
	struct pf_approve_input in = { .bundle = { b, strlen(b) } };

	e->msg[0] = '\0';
	return pf_approve_verify(c, &in, ret_a, ret_rule, e);
}

static void refused(const struct pf_approve_ctx *c, const char *b, const char *rule, const char *want,
		    const char *name)
{
	struct pf_approval *a = NULL;
	struct pf_err e;
	const char *got_rule = NULL;
	int r = verify(c, b, &a, &e, &got_rule);

	TAP_OK(r == -EACCES && !a && got_rule && strcmp(got_rule, rule) == 0, "approve %s: refused by rule %s (got %s)",
	       name, rule, got_rule ? got_rule : "none");
	TAP_STREQ(e.msg, want, "approve %s: message", name);
	pf_approval_free(a);
}

static void test_approve(void)
{
	const char *paths[] = { "/etc/nginx/", "/etc/hosts" };
	struct pf_approve_ctx c = ctx();
	struct pf_approval *a = NULL;
	struct pf_err e;
	char *body = make_body(paths, 2, 0), *b, *b2, nb[32], na[32];
	struct pf_token *t = NULL;

	pf_token_parse(body, strlen(body), &t, NULL);
	pf_token_format_time(t->not_before, nb, sizeof(nb));
	pf_token_format_time(t->not_after, na, sizeof(na));

	/* accept, and ssh-keygen agrees with every signature */
	b = bundle(body, BOB, CAROL, -1);
	TAP_OK(verify(&c, b, &a, &e, NULL) == 0 && a, "approve: bob+carol accepted %s", e.msg);
	TAP_OK(a && a->n_approvers == 2 && strcmp(a->approvers[0], "bob") == 0 &&
	       strcmp(a->approvers[1], "carol") == 0 && a->required == 2, "approve: approvers bob, carol; 2 required");
	TAP_OK(a && strcmp(a->token->id, t->id) == 0, "approve: token parsed from the verified bytes");
	pf_approval_free(a);
	a = NULL;
	for (int k = BOB; k <= CAROL; k += CAROL - BOB) {
		char *bf = strdup(body_file(body)), *s = sign(k, bf, NULL);

		spit(fmt("%s/x.sig", dir), s, strlen(s));
		TAP_OK(sh("ssh-keygen -Y verify -f %s/allowed -I %s -n " NS " -s %s/x.sig < %s >/dev/null 2>&1", dir,
			  keys[k].name, dir, bf) == 0, "approve: ssh-keygen -Y verify agrees for %s", keys[k].name);
		free(s);
		free(bf);
	}

	/* a token for AI agents needs agent-approvals approvers, never fewer
	 * than its paths ask; a token without agent: is not held to it */
	{
		char *v2 = subst(body, "approval v1", "approval v2");
		char *ab = subst(v2, "not-before: ", "agent: claude\nnot-before: ");
		struct pf_approve_ctx ca = ctx();

		ca.ai_threshold = 3;
		b2 = bundle(ab, BOB, CAROL, -1);
		refused(&ca, b2, "threshold",
			"threshold not met for /etc/nginx/: 2 distinct approvers (bob, carol), 3 required",
			"agent token below agent-approvals");
		free(b2);
		b2 = bundle(body, BOB, CAROL, -1);
		TAP_OK(verify(&ca, b2, &a, &e, NULL) == 0 && a && a->required == 2,
		       "approve: a token without agent: is not held to agent-approvals %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		free(b2);
		ca.ai_threshold = 1;
		b2 = bundle(ab, BOB, CAROL, -1);
		TAP_OK(verify(&ca, b2, &a, &e, NULL) == 0 && a && a->required == 2,
		       "approve: agent-approvals 1 never below the path's own 2 %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		free(b2);
		free(v2);
		free(ab);
	}

	/* a key on two allowed_signers lines, one with verify-required: the
	 * strictest line applies (an ed25519 signature has no user
	 * verification, so it is refused) */
	{
		char *pb = slurp(fmt("%s/%s.pub", dir, keys[BOB].name), NULL);
		char *pc = slurp(fmt("%s/%s.pub", dir, keys[CAROL].name), NULL);
		char *txt = cat(cat(fmt("bob %s", pb), fmt("carol %s", pc)),
				fmt("carol-uv verify-required %s", pc));
		struct pf_signers *uv = NULL;
		struct pf_approve_ctx cu = ctx();

		TAP_OK(pf_signers_parse(txt, strlen(txt), "uv", &uv, &e) == 0 && uv && uv->n == 3,
		       "approve: allowed_signers with carol's key twice parses %s", e.msg);
		cu.signers = uv;
		b2 = bundle(body, BOB, CAROL, -1);
		TAP_OK(verify(&cu, b2, &a, &e, NULL) == -EACCES && !a &&
			       strstr(e.msg, "requires user verification (verify-required)"),
		       "approve: verify-required on one of the key's lines applies (%s)", e.msg);
		pf_approval_free(a);
		a = NULL;
		free(b2);
		pf_signers_free(uv);
		free(pb);
		free(pc);
		e.msg[0] = '\0';
	}

	/* separate signature files */
	{
		char *bf = strdup(body_file(body));
		char *s1 = sign(BOB, bf, NULL), *s2 = sign(CAROL, bf, NULL), *both = cat(s1, s2);
		struct pf_text files[] = { { both, strlen(both) } };
		struct pf_text files2[] = { { s1, strlen(s1) }, { s2, strlen(s2) } };
		struct pf_approve_input in = { .bundle = { body, strlen(body) }, .sigfiles = files, .n_sigfiles = 1 };

		TAP_OK(pf_approve_verify(&c, &in, &a, NULL, &e) == 0, "approve: one .sig file with two signatures %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		in.sigfiles = files2;
		in.n_sigfiles = 2;
		TAP_OK(pf_approve_verify(&c, &in, &a, NULL, &e) == 0, "approve: two .sig files %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		/* body of a bundle is only the bytes before the first signature */
		char *bs = cat(body, s1);
		in.bundle.data = bs;
		in.bundle.len = strlen(bs);
		in.sigfiles = files2 + 1;
		in.n_sigfiles = 1;
		TAP_OK(pf_approve_verify(&c, &in, &a, NULL, &e) == 0, "approve: bundle plus a .sig file %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		free(bs);
		free(s1);
		free(s2);
		free(both);
		free(bf);
	}

	/* explanation lists every rule */
	{
		struct pf_approve_input in = { .bundle = { b, strlen(b) } };
		struct pf_explanation *x = NULL;
		static const char *const want[] = { "format", "signatures", "signatures", "host", "not-before",
						    "not-after", "max-ttl", "replay", "scope", "threshold" };
		bool ok = true;

		TAP_OK(pf_approve_explain(&c, &in, &x) == 0 && x && x->accepted && x->approval, "explain: accepted");
		TAP_OK(x && x->n_rules == 10, "explain: 10 rule results");
		for (size_t i = 0; x && i < x->n_rules && i < 10; i++)
			ok &= x->rules[i].ok && strcmp(x->rules[i].rule, want[i]) == 0;
		TAP_OK(ok, "explain: rules in order, all ok");
		TAP_STREQ(x ? x->rules[9].message : NULL, "2 distinct approvers (bob, carol), 2 required",
			  "explain: threshold message");
		TAP_STREQ(x ? x->rules[1].message : NULL, fmt("signature 1: bob (ecdsa-sha2-nistp256 %s) verified", fps[BOB]),
			  "explain: signature message");
		pf_explanation_free(x);
		x = NULL;
		c.now = t->not_after + 10;
		c.hostname = "db1";
		c.machine_id = NULL;
		TAP_OK(pf_approve_explain(&c, &in, &x) == 0 && x && !x->accepted && !x->approval &&
		       !x->rules[3].ok && !x->rules[5].ok && x->rules[4].ok, "explain: lists every failing rule");
		pf_explanation_free(x);
		c = ctx();
	}

	/* host identity */
	c.hostname = NULL;
	TAP_OK(verify(&c, b, &a, &e, NULL) == 0, "approve: machine-id alone matches");
	pf_approval_free(a);
	a = NULL;
	c = ctx();
	c.hostname = "WEB1.Example.COM";
	c.machine_id = NULL;
	TAP_OK(verify(&c, b, &a, &e, NULL) == 0, "approve: hostname compared case-insensitively");
	pf_approval_free(a);
	a = NULL;
	c = ctx();
	c.hostname = "db1";
	c.machine_id = "ffffffffffffffffffffffffffffffff";
	refused(&c, b, "host", "token is for web1.example.com, " MID ", not this host (hostname db1, machine-id ffffffffffffffffffffffffffffffff)",
		"wrong host");
	c = ctx();

	/* time */
	c.now = t->not_after;
	refused(&c, b, "not-after", fmt("token expired at %s (now %s)", na, na), "expired");
	c.now = t->not_after + 3600;
	pf_token_format_time(c.now, nb + 0, sizeof(nb));
	refused(&c, b, "not-after", fmt("token expired at %s (now %s)", na, nb), "expired an hour ago");
	pf_token_format_time(t->not_before, nb, sizeof(nb));
	c.now = t->not_before - 121;
	char nowb[32];
	pf_token_format_time(c.now, nowb, sizeof(nowb));
	refused(&c, b, "not-before", fmt("token not valid before %s (now %s, 120 s skew allowed)", nb, nowb),
		"not yet valid");
	c.now = t->not_before - 120;
	TAP_OK(verify(&c, b, &a, &e, NULL) == 0, "approve: 120 s skew on not-before accepted");
	pf_approval_free(a);
	a = NULL;
	c = ctx();
	c.max_ttl = 600;
	refused(&c, b, "max-ttl", "token window of 3600 s exceeds max-token-ttl of 600 s", "ttl over max");
	c = ctx();

	/* replay */
	used_id = t->id;
	refused(&c, b, "replay", fmt("token id %s was already used", t->id), "replayed id");
	used_id = NULL;

	/* threshold */
	b2 = bundle(body, BOB, BOB, -1);
	refused(&c, b2, "threshold", "threshold not met for /etc/nginx/: 1 distinct approver (bob), 2 required",
		"one principal signing twice");
	free(b2);
	b2 = bundle(body, BOB, BOB2, -1);
	refused(&c, b2, "threshold", "threshold not met for /etc/nginx/: 1 distinct approver (bob), 2 required",
		"one principal with two keys");
	free(b2);
	b2 = bundle(body, ALICE, BOB, -1);
	refused(&c, b2, "threshold",
		"threshold not met for /etc/nginx/: 1 distinct approver (bob), 2 required; the requester's own signature (alice) does not count",
		"requester self-signing");
	free(b2);
	/* requester-signs yes: four eyes made real. The requester (alice)
	 * must sign, and does not count; a token naming someone who did not
	 * sign is refused whoever else signed. */
	{
		struct pf_approve_ctx cr = ctx();

		cr.requester_signs = true;
		b2 = bundle(body, ALICE, BOB, CAROL, -1);
		TAP_OK(verify(&cr, b2, &a, &e, NULL) == 0 && a && a->n_approvers == 2,
		       "requester-signs: alice (requester) + bob + carol accepted, 2 approvers %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		free(b2);
		b2 = bundle(body, BOB, CAROL, -1);
		refused(&cr, b2, "requester",
			"the requester alice did not sign the token (requester-signs yes: the requester "
			"signs, and the approvers are others)",
			"requester-signs: approvers who name an absent requester");
		free(b2);
		b2 = bundle(body, ALICE, BOB, -1);
		refused(&cr, b2, "threshold",
			"threshold not met for /etc/nginx/: 1 distinct approver (bob), 2 required; the "
			"requester's own signature (alice) does not count",
			"requester-signs: the requester's signature still does not count");
		free(b2);
		e.msg[0] = '\0';
	}
	b2 = bundle(body, -1);
	refused(&c, b2, "signatures", "token has no signatures", "no signatures");
	free(b2);

	/* one flipped byte in the body after signing */
	b2 = strdup(b);
	*strstr(b2, "rotate") = 'R';
	refused(&c, b2, "signatures", fmt("signature 1: key %s (bob): signature does not verify", fps[BOB]),
		"flipped body byte");
	free(b2);
	/* one flipped byte in the signature */
	{
		char *s = sign(BOB, body_file(body), NULL), *arm = NULL, *bb;
		uint8_t *blob = NULL;
		size_t bl, used, al;

		pf_armor_decode(s, strlen(s), "SSH SIGNATURE", PF_SSHSIG_MAX_BLOB, &blob, &bl, &used, NULL);
		blob[bl - 3] ^= 0x40;
		pf_armor_encode(blob, bl, "SSH SIGNATURE", &arm, &al);
		bb = cat(body, arm);
		refused(&c, bb, "signatures", fmt("signature 1: key %s (bob): signature does not verify", fps[BOB]),
			"flipped signature byte");
		/* trailing garbage inside the blob */
		free(arm);
		free(bb);
		blob = realloc(blob, bl + 2);
		blob[bl - 3] ^= 0x40;
		blob[bl] = blob[bl + 1] = 0;
		pf_armor_encode(blob, bl + 2, "SSH SIGNATURE", &arm, &al);
		bb = cat(body, arm);
		refused(&c, bb, "signatures", "signature 1: SSHSIG blob: 2 trailing bytes after the signature",
			"trailing bytes in the signature blob");
		free(arm);
		free(bb);
		free(blob);
		/* trailing garbage after the armored signature */
		b2 = cat(b, "garbage\n");
		refused(&c, b2, "signatures", "unexpected text after signature 2", "trailing garbage after signatures");
		free(b2);
		/* truncated armor */
		b2 = cat(body, s);
		b2[strlen(b2) - 10] = '\0';
		refused(&c, b2, "signatures", "signature 1: truncated armor: missing -----END SSH SIGNATURE-----",
			"truncated armor");
		free(b2);
		free(s);
	}
	/* wrong namespace */
	{
		char *bf = strdup(body_file(body)), *s = sign(BOB, bf, "file"), *s2 = sign(CAROL, bf, NULL);
		char *x = cat(body, s2), *y = cat(x, s);

		refused(&c, y, "signatures", "signature 2: signature namespace is \"file\", expected \"permafrost-approval-v1\"",
			"wrong namespace");
		free(bf);
		free(s);
		free(s2);
		free(x);
		free(y);
	}
	/* untrusted and restricted keys */
	b2 = bundle(body, BOB, MALLORY, -1);
	refused(&c, b2, "signatures", fmt("signature 2: key %s is not in allowed_signers", fps[MALLORY]), "untrusted key");
	free(b2);
	b2 = bundle(body, BOB, DAVE, -1);
	refused(&c, b2, "signatures",
		fmt("signature 2: key %s (dave) is not valid before 2099-01-01T00:00:00Z (valid-after) (%s/allowed:5)",
		    fps[DAVE], dir),
		"key before valid-after");
	free(b2);
	b2 = bundle(body, BOB, ERIN, -1);
	refused(&c, b2, "signatures",
		fmt("signature 2: key %s (erin) is not valid after 2020-01-01T00:00:00Z (valid-before) (%s/allowed:6)",
		    fps[ERIN], dir),
		"key after valid-before");
	free(b2);
	b2 = bundle(body, FRANK, BOB, -1);
	refused(&c, b2, "signatures",
		fmt("signature 1: key %s (frank) is not allowed for namespace \"permafrost-approval-v1\" (%s/allowed:7)",
		    fps[FRANK], dir),
		"key restricted to another namespace");
	free(b2);
	b2 = bundle(body, BOB, RSA1024, -1);
	refused(&c, b2, "signatures", "signature 2: RSA key is 1024 bits, at least 2048 required", "rsa key < 2048 bits");
	free(b2);
	b2 = bundle(body, BOB, P384, -1);
	refused(&c, b2, "signatures", "signature 2: unsupported key type \"ecdsa-sha2-nistp384\"", "unsupported key type");
	free(b2);

	/* format failures through the decision */
	b2 = subst(b, "ticket: CHG-1\n", "ticket: CHG-1\r\n");
	refused(&c, b2, "format", "token line 3: carriage return (CRLF line ends are not allowed)", "CRLF");
	free(b2);
	b2 = subst(b, "ticket: CHG-1\n", "ticket: CHG-1\nticket: CHG-2\n");
	refused(&c, b2, "format", "token line 4: duplicate field \"ticket\"", "duplicate field");
	free(b2);
	b2 = subst(b, "ticket: CHG-1\n", "ticket: CHG-1\npriority: high\n");
	refused(&c, b2, "format", "token line 4: unknown field \"priority\"", "unknown field");
	free(b2);
	{
		size_t n = PF_BUNDLE_MAX_SIZE + 1;
		char *big = malloc(n + 1);

		memset(big, 'x', n);
		big[n] = '\0';
		refused(&c, big, "format", "bundle is 458753 bytes, larger than the 458752-byte limit", "oversized bundle");
		memcpy(big, body, strlen(body));
		big[70000] = '\0';
		refused(&c, big, "format", "token body is 70000 bytes, larger than the 65536-byte limit", "oversized body");
		free(big);
	}

	/* scope */
	{
		const char *p2[] = { "/etc/hosts", "/srv/data/" };
		char *body2 = make_body(p2, 2, 0), *bb = bundle(body2, BOB, CAROL, -1);

		refused(&c, bb, "scope", "path /srv/data/ is outside every protected tree", "path outside protected trees");
		free(bb);
		free(body2);
		/* a lower threshold for a single-file token */
		body2 = make_body(p2, 1, PF_TOKEN_OP_WRITE);
		bb = bundle(body2, BOB, -1);
		TAP_OK(verify(&c, bb, &a, &e, NULL) == 0 && a && a->required == 1, "approve: /etc/hosts needs 1 %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		free(bb);
		free(body2);
	}

	/* thaw */
	{
		char *tb = make_body(NULL, 0, PF_TOKEN_OP_THAW), *bb = bundle(tb, BOB, CAROL, -1);

		TAP_OK(verify(&c, bb, &a, &e, NULL) == 0 && a && a->token->ops == PF_TOKEN_OP_THAW,
		       "approve: thaw token with 2 approvers %s", e.msg);
		pf_approval_free(a);
		a = NULL;
		free(bb);
		bb = bundle(tb, ALICE, BOB, -1);
		refused(&c, bb, "threshold",
			"threshold not met for thaw: 1 distinct approver (bob), 2 required; the requester's own signature (alice) does not count",
			"thaw with too few approvers");
		free(bb);
		free(tb);
	}

	pf_token_free(t);
	free(b);
	free(body);
}

static int setup_keys(void)
{
	FILE *f;

	for (int k = 0; k < N_KEYS; k++) {
		char line[2048];
		struct pf_sshkey *key = NULL;
		char *pub;
		size_t n;

		if (sh("ssh-keygen -q %s -N '' -C %s -f %s/%s", keys[k].gen, keys[k].name, dir, keys[k].name) != 0)
			return -1;
		pub = slurp(fmt("%s/%s.pub", dir, keys[k].name), &n);
		snprintf(line, sizeof(line), "%s", pub);
		free(pub);
		if (pf_sshkey_from_line(line, strcspn(line, "\n"), &key, NULL) == 0) {
			pf_sshkey_fingerprint(key, fps[k], sizeof(fps[k]));
			pf_sshkey_free(key);
		}
	}
	f = fopen(fmt("%s/allowed", dir), "w");
	if (!f)
		return -1;
	fprintf(f, "# approvers\n");
	sh("true");
#define PUB(k) slurp(fmt("%s/%s.pub", dir, keys[k].name), NULL)
	{
		char *p[N_KEYS];

		for (int k = 0; k < N_KEYS; k++)
			p[k] = PUB(k);
		fprintf(f, "alice %s", p[ALICE]);
		fprintf(f, "bob %s", p[BOB]);
		fprintf(f, "carol namespaces=\"" NS ",git\" %s", p[CAROL]);
		fprintf(f, "dave valid-after=\"20990101Z\" %s", p[DAVE]);
		fprintf(f, "erin valid-before=\"20200101Z\" %s", p[ERIN]);
		fprintf(f, "frank namespaces=\"git\" %s", p[FRANK]);
		fprintf(f, "bob %s", p[BOB2]);
		fclose(f);
		/* rsa1024 and p384 cannot be listed: our parser refuses them */
		for (int k = 0; k < N_KEYS; k++)
			free(p[k]);
	}
	return 0;
}

/* Differential: for each key type and each case, Permafrost's verdict on
 * a one-signature token and `ssh-keygen -Y verify` on the same body,
 * signature and allowed_signers file. They agree, but for certificates,
 * which Permafrost does not take (refused, said in the error). */
enum { D_VALID, D_NAMESPACE, D_EXPIRED, D_TWO_PRINCIPALS, D_KEY_TWICE, D_TAMPERED, D_CERT, D__N };

static void test_differential(void)
{
	static const char *const what[D__N] = {
		[D_VALID] = "a valid signature", [D_NAMESPACE] = "the wrong namespace",
		[D_EXPIRED] = "valid-before in the past", [D_TWO_PRINCIPALS] = "one key under two principals",
		[D_KEY_TWICE] = "the same key twice", [D_TAMPERED] = "a tampered body",
		[D_CERT] = "a certificate",
	};
	static const int types[] = { ALICE, BOB, CAROL }; /* ed25519, ecdsa-p256, rsa-3072 */
	const char *paths[] = { "/etc/hosts" };
	char *body = make_body(paths, 1, 0);

	if (sh("ssh-keygen -q -t ed25519 -N '' -C ca -f %s/ca", dir) != 0) {
		TAP_OK(0, "differential: make a CA key");
		free(body);
		return;
	}
	for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
		int k = types[ti];
		char *pub = slurp(fmt("%s/%s.pub", dir, keys[k].name), NULL);
		char *ca = slurp(fmt("%s/ca.pub", dir), NULL);

		for (int c = 0; c < D__N; c++) {
			const char *allowed = NULL, *ns = NS, *signer = fmt("%s/%s", dir, keys[k].name);
			char *bf, *sig, *bundle_text, *tampered = NULL;
			struct pf_signers *ss = NULL;
			struct pf_approve_ctx cx = ctx();
			struct pf_approval *a = NULL;
			struct pf_err e = { "" };
			bool ours, theirs;

			switch (c) {
			case D_VALID: allowed = fmt("p %s", pub); break;
			case D_NAMESPACE: allowed = fmt("p %s", pub); ns = "file"; break;
			case D_EXPIRED: allowed = fmt("p valid-before=\"20200101Z\" %s", pub); break;
			case D_TWO_PRINCIPALS: allowed = fmt("p,q %s", pub); break;
			case D_KEY_TWICE: allowed = fmt("p %sq %s", pub, pub); break;
			case D_TAMPERED: allowed = fmt("p %s", pub); break;
			case D_CERT:
				/* a certificate for the key, signed by the CA, trusted
				 * through cert-authority */
				sh("rm -f %s/cert; cp %s/%s %s/cert && cp %s/%s.pub %s/cert.pub && "
				   "ssh-keygen -q -s %s/ca -I cert -n p %s/cert.pub", dir, dir, keys[k].name, dir, dir,
				   keys[k].name, dir, dir, dir);
				/* ssh-keygen signs with the certificate named by -f,
				 * its private key beside it */
				signer = fmt("%s/cert-cert.pub", dir);
				allowed = fmt("p cert-authority %s", ca);
				break;
			}
			spit(fmt("%s/diff.allowed", dir), allowed, strlen(allowed));
			bf = strdup(body_file(body));
			sh("ssh-keygen -Y sign -n %s -f %s < %s > %s/diff.sig 2>/dev/null", ns, signer, bf, dir);
			sig = slurp(fmt("%s/diff.sig", dir), NULL);
			if (c == D_TAMPERED) {
				tampered = subst(body, "rotate certificates", "rotate certificatez");
				spit(bf, tampered, strlen(tampered));
			}
			theirs = sh("ssh-keygen -Y verify -f %s/diff.allowed -I p -n " NS " -s %s/diff.sig < %s "
				    ">/dev/null 2>&1", dir, dir, bf) == 0;
			bundle_text = cat(tampered ? tampered : body, sig);
			if (pf_signers_parse(allowed, strlen(allowed), "diff.allowed", &ss, &e) == 0) {
				cx.signers = ss;
				ours = verify(&cx, bundle_text, &a, &e, NULL) == 0;
			} else {
				ours = false;
			}
			if (c == D_CERT)
				TAP_OK(theirs && !ours && strstr(e.msg, "cert"),
				       "differential %s, %s: ssh-keygen accepts, Permafrost refuses "
				       "(certificates are not supported: %s)", keys[k].gen, what[c], e.msg);
			else
				TAP_OK(ours == theirs && ours == (c == D_VALID || c == D_TWO_PRINCIPALS ||
								   c == D_KEY_TWICE),
				       "differential %s, %s: Permafrost %s, ssh-keygen %s (%s)", keys[k].gen, what[c],
				       ours ? "accepts" : "refuses", theirs ? "accepts" : "refuses", e.msg);
			pf_approval_free(a);
			pf_signers_free(ss);
			free(bundle_text);
			free(tampered);
			free(sig);
			free(bf);
		}
		free(pub);
		free(ca);
	}
	free(body);
}

/* The machine-id as the agent and `token verify` read it. */
static void test_hostid(void)
{
	static const struct {
		const char *content, *want, *label;
	} c[] = {
		{ "0123456789abcdef0123456789abcdef\n", "0123456789abcdef0123456789abcdef", "with newline" },
		{ "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef", "without newline" },
		{ "0123456789ABCDEF0123456789abcdef\n", "", "upper case refused" },
		{ "0123456789abcdef0123456789abcde\n", "", "31 digits refused" },
		{ "0123456789abcdef0123456789abcdef0\n", "", "33 digits refused" },
		{ "0123456789abcdef0123456789abcdef\nx", "", "junk after the newline refused" },
		{ "uninitialized\n", "", "systemd's 'uninitialized' is no id" },
		{ "", "", "empty" },
	};
	char path[] = "/tmp/pf-machine-id-XXXXXX";
	struct pf_hostid id;
	int fd = mkstemp(path);

	if (fd < 0) {
		TAP_OK(0, "hostid: mkstemp");
		return;
	}
	close(fd);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		FILE *f = fopen(path, "w");

		fputs(c[i].content, f);
		fclose(f);
		pf_hostid_read(path, &id);
		TAP_STREQ(id.machine_id, c[i].want, "hostid: machine-id %s", c[i].label);
		TAP_OK(id.hostname[0] != 0, "hostid: a hostname (%s)", id.hostname);
	}
	unlink(path);
	pf_hostid_read(path, &id);
	TAP_STREQ(id.machine_id, "", "hostid: no machine-id file: none");
}

int main(void)
{
	struct pf_err e = { "" };

	test_hostid();
	test_parse();
	test_time();
	test_new();
	snprintf(dir, sizeof(dir), "/tmp/pf-token-XXXXXX");
	if (!mkdtemp(dir) || sh("command -v ssh-keygen >/dev/null") != 0 || setup_keys() < 0) {
		printf("ok %d - # SKIP approve: ssh-keygen unavailable\n", ++tap_n);
		return TAP_DONE();
	}
	TAP_OK(pf_signers_load(fmt("%s/allowed", dir), &signers, &e) == 0, "allowed_signers loads %s", e.msg);
	if (signers)
		test_approve();
	test_differential();
	pf_signers_free(signers);
	sh("rm -rf %s", dir);
	return TAP_DONE();
}

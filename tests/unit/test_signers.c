/* Unit tests for the allowed_signers parser: table-driven accept/refuse
 * with exact messages, limits, namespace patterns and validity times, and
 * a cross-check that files we accept are accepted by ssh-keygen -Y verify. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signers.h"
#include "sshsig.h"
#include "tap.h"

#define NS "permafrost-approval-v1"

static char dir[64];
static char edkey[256];   /* "ssh-ed25519 AAAA..." without comment */
static char eckey[512];   /* "ecdsa-sha2-nistp256 AAAA..." */
static char edb64[256];

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

static void read_pub(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char *sp;

	out[0] = '\0';
	if (!f)
		return;
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	fclose(f);
	/* keep "type base64" only */
	sp = strchr(out, ' ');
	if (sp && (sp = strchr(sp + 1, ' ')))
		*sp = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	static char buf[4][8192];
	static int k;
	va_list ap;

	k = (k + 1) % 4;
	va_start(ap, f);
	vsnprintf(buf[k], sizeof(buf[k]), f, ap);
	va_end(ap);
	return buf[k];
}

/* parse text; returns r, fills msg */
static int parse(const char *text, struct pf_signers **ret, struct pf_err *e)
{
	struct pf_signers *s = NULL;
	int r;

	e->msg[0] = '\0';
	r = pf_signers_parse(text, strlen(text), "allowed_signers", &s, e);
	if (ret && r == 0)
		*ret = s;
	else
		pf_signers_free(s);
	return r;
}

static void refuse(const char *text, int want_r, const char *want_msg, const char *name)
{
	struct pf_err e;
	struct pf_signers *s = (void *)1;
	int r = parse(text, &s, &e);

	TAP_OK(r == want_r && s == (void *)1, "%s: refused (r=%d)", name, r);
	TAP_STREQ(e.msg, want_msg, "%s: message", name);
}

static void test_accept(void)
{
	struct pf_signers *s = NULL;
	struct pf_err e;
	const struct pf_signer *x;
	char *text;

	text = fmt("# trusted approvers\n\n   \nalice %s alice@laptop\n"
		   "bob,robert namespaces=\"" NS ",git\",valid-after=\"20260101Z\",valid-before=\"20270101120000Z\" %s\n"
		   "\tcarol VERIFY-REQUIRED %s\n"
		   "dave valid-after=\"202603011230Z\" %s",
		   edkey, eckey, edkey, eckey);
	TAP_OK(parse(text, &s, &e) == 0, "accept: mixed file parses %s", e.msg);
	if (!s)
		return;
	TAP_OK(s->n == 4, "accept: 4 entries (comments and blank lines skipped)");
	x = &s->entries[0];
	TAP_OK(x->n_principals == 1 && strcmp(x->principals[0], "alice") == 0 && x->line == 4 &&
	       !x->namespaces && pf_signer_allows_namespace(x, "anything"),
	       "accept: alice, line 4, any namespace");
	x = &s->entries[1];
	TAP_OK(x->n_principals == 2 && pf_signer_has_principal(x, "robert") &&
	       !pf_signer_has_principal(x, "rob"), "accept: two principals, exact match only");
	TAP_OK(x->n_namespaces == 2 && pf_signer_allows_namespace(x, NS) &&
	       !pf_signer_allows_namespace(x, "file"), "accept: namespaces list");
	TAP_OK(x->has_valid_after && x->valid_after == 1767225600 && x->has_valid_before &&
	       x->valid_before == 1798804800, "accept: valid-after/valid-before as UTC");
	TAP_OK(pf_signer_check_time(x, 1767225599) == -1 && pf_signer_check_time(x, 1767225600) == 0 &&
	       pf_signer_check_time(x, 1798804800) == 0 && pf_signer_check_time(x, 1798804801) == 1,
	       "accept: validity bounds inclusive, as OpenSSH");
	TAP_OK(pf_sshkey_type(x->key) == PF_KEY_ECDSA_P256, "accept: ecdsa key");
	TAP_OK(s->entries[2].verify_required, "accept: verify-required (case-insensitive)");
	TAP_OK(s->entries[3].valid_after == 1772368200, "accept: YYYYMMDDHHMMZ");
	TAP_STREQ(s->filename, "allowed_signers", "accept: filename kept for messages");
	pf_signers_free(s);

	TAP_OK(parse("", &s, &e) == 0 && s && s->n == 0, "accept: empty file, zero entries");
	pf_signers_free(s);
}

static void test_refuse(void)
{
	refuse(fmt("*@example.com %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: principal \"*@example.com\": wildcard patterns are not supported, name each approver",
	       "wildcard principal");
	refuse(fmt("alice,b?b %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: principal \"b?b\": wildcard patterns are not supported, name each approver",
	       "? principal");
	refuse(fmt("!mallory %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: principal \"!mallory\": wildcard patterns are not supported, name each approver",
	       "negated principal");
	refuse(fmt("\"alice bob\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: quoted principals are not supported", "quoted principals");
	refuse(fmt("alice,,bob %s\n", edkey), -EBADMSG, "allowed_signers:1: empty principal name",
	       "empty principal");
	refuse(fmt("alice, %s\n", edkey), -EBADMSG, "allowed_signers:1: empty principal name",
	       "trailing comma");
	refuse(fmt("# ok\nalice cert-authority %s\n", edkey), -EOPNOTSUPP,
	       "allowed_signers:2: cert-authority (certificate) entries are not supported in v1",
	       "cert-authority");
	refuse(fmt("alice valid-after=\"20260101\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: valid-after: time must end in Z (UTC); local times are not supported",
	       "local time");
	refuse(fmt("alice valid-before=20260101Z %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: option \"valid-before\": value must be double-quoted", "unquoted value");
	refuse(fmt("alice valid-after=\"20261301Z\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: valid-after: invalid date or time", "bad month");
	refuse(fmt("alice valid-after=\"2026010Z\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: valid-after: expected YYYYMMDD[HHMM[SS]]Z", "short date");
	refuse(fmt("alice valid-after=\"20270101Z\",valid-before=\"20260101Z\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: valid-before is not later than valid-after", "inverted window");
	refuse(fmt("alice namespaces=\"a\",namespaces=\"b\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: option \"namespaces\" given twice", "duplicate option");
	refuse(fmt("alice namespaces=\"!git\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: namespaces: negated patterns (!) are not supported", "negated namespace");
	refuse(fmt("alice namespaces=\"a,,b\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: namespaces: empty namespace", "empty namespace");
	refuse(fmt("alice namespaces=\"git %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: option \"namespaces\": missing closing quote", "unclosed quote");
	refuse(fmt("alice frobnicate=\"1\" %s\n", edkey), -EBADMSG,
	       "allowed_signers:1: unknown option \"frobnicate\"", "unknown option");
	refuse(fmt("alice no-touch-required %s\n", edkey), -EOPNOTSUPP,
	       "allowed_signers:1: unsupported key type \"no-touch-required\"", "unknown flag option");
	refuse("alice\n", -EBADMSG, "allowed_signers:1: missing key after the principals", "no key");
	refuse("alice ssh-ed25519\n", -EBADMSG,
	       "allowed_signers:1: missing base64 key after \"ssh-ed25519\"", "no base64");
	refuse("alice ssh-ed25519 AAAA!AAA\n", -EBADMSG,
	       "allowed_signers:1: invalid base64 in public key", "bad base64");
	refuse(fmt("alice ecdsa-sha2-nistp256 %s\n", edb64), -EBADMSG,
	       "allowed_signers:1: key type \"ecdsa-sha2-nistp256\" does not match the encoded key (ssh-ed25519)",
	       "type mismatch");
	refuse("alice ssh-dss AAAAB3NzaC1kc3M=\n", -EOPNOTSUPP,
	       "allowed_signers:1: unsupported key type \"ssh-dss\"", "ssh-dss");
	refuse(fmt("alice %s\r\nbob %s\n", edkey, edkey), -EBADMSG,
	       "allowed_signers:1: carriage return (CRLF line ends are not allowed)", "CRLF");
	refuse(fmt("alice %s\nbob %s x\nmallory nonsense AAAA\n", edkey, edkey), -EOPNOTSUPP,
	       "allowed_signers:3: unsupported key type \"nonsense\"",
	       "one bad line fails the whole file");
}

static void test_limits(void)
{
	struct pf_err e;
	struct pf_signers *s = NULL;
	size_t ll = strlen(edkey) + 8, n = (size_t)PF_SIGNERS_MAX_ENTRIES + 1;
	char *big, *p;
	int r;

	/* line cap */
	big = malloc(PF_SIGNERS_MAX_LINE + 64);
	memset(big, 'a', PF_SIGNERS_MAX_LINE + 1);
	big[PF_SIGNERS_MAX_LINE + 1] = '\n';
	big[PF_SIGNERS_MAX_LINE + 2] = '\0';
	refuse(big, -EMSGSIZE, "allowed_signers:1: line longer than 16384 bytes", "line cap");
	free(big);

	/* entry cap: 10000 entries accepted, 10001 refused */
	big = malloc(n * ll + 1);
	p = big;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "u%05zu %s\n", i, edkey);
	r = pf_signers_parse(big, (size_t)(p - big) - ll, "allowed_signers", &s, &e);
	TAP_OK(r == 0 && s && s->n == PF_SIGNERS_MAX_ENTRIES, "entry cap: 10000 entries accepted");
	pf_signers_free(s);
	s = NULL;
	TAP_OK(pf_signers_parse(big, (size_t)(p - big), "allowed_signers", &s, &e) == -EMSGSIZE && !s,
	       "entry cap: 10001 refused");
	TAP_STREQ(e.msg, "allowed_signers:10001: more than 10000 entries", "entry cap: message");
	free(big);

	/* file cap */
	big = calloc(1, PF_SIGNERS_MAX_FILE + 2);
	memset(big, '#', PF_SIGNERS_MAX_FILE + 1);
	TAP_OK(pf_signers_parse(big, PF_SIGNERS_MAX_FILE + 1, "allowed_signers", &s, &e) == -EMSGSIZE,
	       "file cap: refused");
	TAP_STREQ(e.msg, "allowed_signers: file is larger than 1048576 bytes", "file cap: message");
	free(big);
}

static void test_patterns(void)
{
	TAP_OK(pf_signers_pattern_match("permafrost-*", NS), "pattern: prefix star");
	TAP_OK(pf_signers_pattern_match("*-v?", NS), "pattern: star and ?");
	TAP_OK(!pf_signers_pattern_match("permafrost", NS), "pattern: no partial match");
	TAP_OK(pf_signers_pattern_match("*", ""), "pattern: star matches empty");
	TAP_OK(!pf_signers_pattern_match("a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	       "pattern: pathological pattern terminates");
}

static void test_load_and_crosscheck(void)
{
	struct pf_signers *s = NULL;
	struct pf_err e;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/allowed", dir);
	f = fopen(path, "w");
	fprintf(f, "# team\nalice namespaces=\"" NS "\",valid-after=\"20200101Z\",valid-before=\"20991231Z\" %s\n",
		edkey);
	fclose(f);
	TAP_OK(pf_signers_load(path, &s, &e) == 0 && s && s->n == 1, "load: file parses %s", e.msg);
	pf_signers_free(s);
	s = NULL;
	/* the same file works with ssh-keygen */
	sh("printf 'hello\\n' > %s/m", dir);
	sh("ssh-keygen -Y sign -n " NS " -f %s/ed < %s/m > %s/m.sig 2>/dev/null", dir, dir, dir);
	TAP_OK(sh("ssh-keygen -Y verify -f %s -I alice -n " NS " -s %s/m.sig < %s/m >/dev/null 2>&1",
		  path, dir, dir) == 0, "cross-check: ssh-keygen -Y verify accepts the file we accept");
	TAP_OK(pf_signers_load("/nonexistent/allowed_signers", &s, &e) == -ENOENT && !s,
	       "load: missing file -> -ENOENT");
	TAP_OK(pf_signers_load(dir, &s, &e) == -EINVAL, "load: directory refused");
	TAP_STREQ(e.msg, fmt("%s: not a regular file", dir), "load: directory message");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pf-signers-XXXXXX");
	if (!mkdtemp(dir) || sh("command -v ssh-keygen >/dev/null") != 0) {
		printf("1..0 # SKIP no temp dir or ssh-keygen\n");
		return 0;
	}
	sh("ssh-keygen -q -t ed25519 -N '' -C alice -f %s/ed", dir);
	sh("ssh-keygen -q -t ecdsa -b 256 -N '' -C bob -f %s/ec", dir);
	read_pub(fmt("%s/ed.pub", dir), edkey, sizeof(edkey));
	read_pub(fmt("%s/ec.pub", dir), eckey, sizeof(eckey));
	snprintf(edb64, sizeof(edb64), "%s", strchr(edkey, ' ') + 1);
	test_accept();
	test_refuse();
	test_limits();
	test_patterns();
	test_load_and_crosscheck();
	sh("rm -rf %s", dir);
	return TAP_DONE();
}

/* signers: strict allowed_signers parser. Format and decisions in
 * signers.h. */
#include "signers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "token.h"

static void entry_clear(struct pf_signer *e)
{
	for (size_t i = 0; i < e->n_principals; i++)
		free(e->principals[i]);
	free(e->principals);
	for (size_t i = 0; i < e->n_namespaces; i++)
		free(e->namespaces[i]);
	free(e->namespaces);
	pf_sshkey_free(e->key);
	memset(e, 0, sizeof(*e));
}

void pf_signers_free(struct pf_signers *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_clear(&s->entries[i]);
	free(s->entries);
	free(s->filename);
	free(s);
}

bool pf_signers_pattern_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* iterative glob: linear backtracking to the last '*' only */
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool pf_signer_allows_namespace(const struct pf_signer *e, const char *ns)
{
	if (!e->namespaces)
		return true;
	for (size_t i = 0; i < e->n_namespaces; i++)
		if (pf_signers_pattern_match(e->namespaces[i], ns))
			return true;
	return false;
}

int pf_signer_check_time(const struct pf_signer *e, int64_t now)
{
	if (e->has_valid_after && now < e->valid_after)
		return -1;
	if (e->has_valid_before && now > e->valid_before)
		return 1;
	return 0;
}

bool pf_signer_has_principal(const struct pf_signer *e, const char *principal)
{
	for (size_t i = 0; i < e->n_principals; i++)
		if (strcmp(e->principals[i], principal) == 0)
			return true;
	return false;
}

/* ---- line parsing ----------------------------------------------------- */

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Checks one item of a comma-separated list, the @count-th of its line.
 * Messages are without the FILE:LINE prefix; the caller adds it. */
typedef int (*item_check_fn)(const char *s, size_t n, size_t count, struct pf_err *err);

/* Appends a copy of every item of the comma-separated list s[0..n) to the
 * vector *@v of *@count, each checked by @check first (an empty item, a
 * trailing comma's included). */
static int parse_list(const char *s, size_t n, item_check_fn check, char ***v, size_t *count,
		      struct pf_err *err)
{
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		char **nv;
		int r;

		while (j < n && s[j] != ',')
			j++;
		r = check(s + i, j - i, *count, err);
		if (r < 0)
			return r;
		nv = realloc(*v, (*count + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		nv[*count] = strndup(s + i, j - i);
		if (!nv[*count])
			return -ENOMEM;
		(*count)++;
		i = j + 1;
	}
	return 0;
}

static int check_principal(const char *s, size_t n, size_t count, struct pf_err *err)
{
	if (n == 0)
		return pf_err(err, -EBADMSG, "empty principal name");
	if (n > PF_SIGNERS_MAX_PRINCIPAL)
		return pf_err(err, -EMSGSIZE, "principal longer than %d bytes",
			      PF_SIGNERS_MAX_PRINCIPAL);
	for (size_t k = 0; k < n; k++) {
		if (s[k] == '*' || s[k] == '?' || s[k] == '!')
			return pf_err(err, -EBADMSG,
				      "principal \"%.*s\": wildcard patterns are not supported, name each approver",
				      (int)(n > 64 ? 64 : n), s);
		if (s[k] <= ' ' || s[k] > '~' || s[k] == '"' || s[k] == '\'')
			return pf_err(err, -EBADMSG, "principal contains an invalid character");
	}
	if (count >= PF_SIGNERS_MAX_PRINCIPALS)
		return pf_err(err, -EMSGSIZE, "more than %d principals on one line",
			      PF_SIGNERS_MAX_PRINCIPALS);
	return 0;
}

static int check_namespace(const char *s, size_t n, size_t count, struct pf_err *err)
{
	if (n == 0)
		return pf_err(err, -EBADMSG, "namespaces: empty namespace");
	if (n > PF_SSHSIG_MAX_NS)
		return pf_err(err, -EMSGSIZE, "namespaces: namespace longer than %d bytes",
			      PF_SSHSIG_MAX_NS);
	for (size_t k = 0; k < n; k++) {
		if (s[k] == '!')
			return pf_err(err, -EBADMSG, "namespaces: negated patterns (!) are not supported");
		if (s[k] <= ' ' || s[k] > '~')
			return pf_err(err, -EBADMSG, "namespaces: invalid character");
	}
	if (count >= PF_SIGNERS_MAX_NAMESPACES)
		return pf_err(err, -EMSGSIZE, "namespaces: more than %d namespaces",
			      PF_SIGNERS_MAX_NAMESPACES);
	return 0;
}

static int parse_principals(struct pf_signer *e, const char *s, size_t n,
			    struct pf_err *err)
{
	if (n > 0 && s[0] == '"')
		return pf_err(err, -EBADMSG, "quoted principals are not supported");
	return parse_list(s, n, check_principal, &e->principals, &e->n_principals, err);
}

static int parse_namespaces(struct pf_signer *e, const char *s, size_t n,
			    struct pf_err *err)
{
	e->namespaces = calloc(1, sizeof(char *)); /* non-NULL even if it fails later */
	if (!e->namespaces)
		return -ENOMEM;
	return parse_list(s, n, check_namespace, &e->namespaces, &e->n_namespaces, err);
}

/* YYYYMMDD[HHMM[SS]]Z */
static int parse_ossh_time(const char *s, size_t n, int64_t *ret, struct pf_err *err,
			   const char *opt)
{
	char iso[PF_TOKEN_TIME_LEN + 1];
	const char *hh = "00", *mm = "00", *ss = "00";

	if (n == 0 || s[n - 1] != 'Z')
		return pf_err(err, -EBADMSG,
			      "%s: time must end in Z (UTC); local times are not supported", opt);
	n--;
	if (n != 8 && n != 12 && n != 14)
		return pf_err(err, -EBADMSG, "%s: expected YYYYMMDD[HHMM[SS]]Z", opt);
	if (n >= 12) {
		hh = s + 8;
		mm = s + 10;
	}
	if (n == 14)
		ss = s + 12;
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s, s + 4, s + 6, hh, mm, ss);
	if (pf_token_parse_time(iso, strlen(iso), ret) < 0)
		return pf_err(err, -EBADMSG, "%s: invalid date or time", opt);
	return 0;
}

/* Options field: opt[="value"] separated by commas, ends at an unquoted
 * blank. *io is the offset in line; advanced past the field. */
static int parse_options(struct pf_signer *e, const char *l, size_t ll, size_t *io,
			 struct pf_err *err)
{
	size_t i = *io;
	bool seen_ns = false;
	int r;

	for (;;) {
		size_t ns = i, vs, ve;
		bool has_val = false;

		while (i < ll && l[i] != '=' && l[i] != ',' && !blank(l[i]))
			i++;
		size_t nl = i - ns;
		vs = ve = i;
		if (i < ll && l[i] == '=') {
			i++;
			if (i >= ll || l[i] != '"')
				return pf_err(err, -EBADMSG, "option \"%.*s\": value must be double-quoted",
					      (int)(nl > 32 ? 32 : nl), l + ns);
			i++;
			vs = i;
			while (i < ll && l[i] != '"')
				i++;
			if (i >= ll)
				return pf_err(err, -EBADMSG, "option \"%.*s\": missing closing quote",
					      (int)(nl > 32 ? 32 : nl), l + ns);
			ve = i++;
			has_val = true;
		}
#define OPT_IS(name) (nl == strlen(name) && strncasecmp(l + ns, name, nl) == 0)
		if (OPT_IS("cert-authority")) {
			return pf_err(err, -EOPNOTSUPP,
				      "cert-authority (certificate) entries are not supported in v1");
		} else if (OPT_IS("verify-required")) {
			if (has_val)
				return pf_err(err, -EBADMSG, "option \"verify-required\" takes no value");
			if (e->verify_required)
				return pf_err(err, -EBADMSG, "option \"verify-required\" given twice");
			e->verify_required = true;
		} else if (OPT_IS("namespaces")) {
			if (!has_val)
				return pf_err(err, -EBADMSG, "option \"namespaces\" needs a value");
			if (seen_ns)
				return pf_err(err, -EBADMSG, "option \"namespaces\" given twice");
			seen_ns = true;
			r = parse_namespaces(e, l + vs, ve - vs, err);
			if (r < 0)
				return r;
		} else if (OPT_IS("valid-after") || OPT_IS("valid-before")) {
			bool after = OPT_IS("valid-after");
			const char *name = after ? "valid-after" : "valid-before";

			if (!has_val)
				return pf_err(err, -EBADMSG, "option \"%s\" needs a value", name);
			if (after ? e->has_valid_after : e->has_valid_before)
				return pf_err(err, -EBADMSG, "option \"%s\" given twice", name);
			r = parse_ossh_time(l + vs, ve - vs, after ? &e->valid_after : &e->valid_before,
					    err, name);
			if (r < 0)
				return r;
			if (after)
				e->has_valid_after = true;
			else
				e->has_valid_before = true;
		} else {
			return pf_err(err, -EBADMSG, "unknown option \"%.*s\"", (int)(nl > 32 ? 32 : nl),
				      l + ns);
		}
#undef OPT_IS
		if (i < ll && l[i] == ',') {
			i++;
			continue;
		}
		if (i < ll && !blank(l[i]))
			return pf_err(err, -EBADMSG, "garbage after option value");
		break;
	}
	if (e->has_valid_after && e->has_valid_before && e->valid_before <= e->valid_after)
		return pf_err(err, -EBADMSG, "valid-before is not later than valid-after");
	*io = i;
	return 0;
}

static bool starts_with_option(const char *s, size_t n)
{
	static const char *const opts[] = {
		"cert-authority", "verify-required", "namespaces=", "valid-after=", "valid-before=",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		size_t ol = strlen(opts[i]);
		bool flag = opts[i][ol - 1] != '=';

		if (n >= ol && strncasecmp(s, opts[i], ol) == 0 &&
		    (!flag || n == ol || s[ol] == ',' || blank(s[ol]) || s[ol] == '='))
			return true;
	}
	return false;
}

/* key types never contain '=', option fields with values always do */
static bool field_has_eq(const char *s, size_t n)
{
	for (size_t i = 0; i < n && !blank(s[i]); i++)
		if (s[i] == '=')
			return true;
	return false;
}

static int parse_line(struct pf_signer *e, const char *l, size_t ll, struct pf_err *err)
{
	size_t i = 0, ps;
	int r;

	while (i < ll && blank(l[i]))
		i++;
	ps = i;
	while (i < ll && !blank(l[i]))
		i++;
	r = parse_principals(e, l + ps, i - ps, err);
	if (r < 0)
		return r;
	while (i < ll && blank(l[i]))
		i++;
	if (i >= ll)
		return pf_err(err, -EBADMSG, "missing key after the principals");
	if (starts_with_option(l + i, ll - i) || field_has_eq(l + i, ll - i)) {
		r = parse_options(e, l, ll, &i, err);
		if (r < 0)
			return r;
		while (i < ll && blank(l[i]))
			i++;
		if (i >= ll)
			return pf_err(err, -EBADMSG, "missing key after the options");
	}
	return pf_sshkey_from_line(l + i, ll - i, &e->key, err);
}

int pf_signers_parse(const char *data, size_t len, const char *filename,
		     struct pf_signers **ret_signers, struct pf_err *err)
{
	struct pf_signers *s;
	const char *fn = filename ? filename : "allowed_signers";
	unsigned line = 0;
	size_t off = 0;
	int r = 0;

	if (len > PF_SIGNERS_MAX_FILE)
		return pf_err(err, -EMSGSIZE, "%.*s: file is larger than %d bytes",
			      PF_SIGNERS_MAX_FILENAME, fn, PF_SIGNERS_MAX_FILE);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->filename = strndup(fn, PF_SIGNERS_MAX_FILENAME);
	if (!s->filename) {
		free(s);
		return -ENOMEM;
	}
	while (off < len) {
		const char *l = data + off, *nl = memchr(l, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - l) : len - off, i = 0;
		struct pf_signer e = { 0 };

		line++;
		off += ll + (nl ? 1 : 0);
		if (ll > PF_SIGNERS_MAX_LINE) {
			r = pf_err(err, -EMSGSIZE, "line longer than %d bytes", PF_SIGNERS_MAX_LINE);
			goto fail;
		}
		if (memchr(l, '\r', ll)) {
			r = pf_err(err, -EBADMSG, "carriage return (CRLF line ends are not allowed)");
			goto fail;
		}
		if (memchr(l, '\0', ll)) {
			r = pf_err(err, -EBADMSG, "NUL byte");
			goto fail;
		}
		while (i < ll && blank(l[i]))
			i++;
		if (i == ll || l[i] == '#')
			continue;
		if (s->n >= PF_SIGNERS_MAX_ENTRIES) {
			r = pf_err(err, -EMSGSIZE, "more than %d entries", PF_SIGNERS_MAX_ENTRIES);
			goto fail;
		}
		e.line = line;
		r = parse_line(&e, l, ll, err);
		if (r < 0) {
			entry_clear(&e);
			goto fail;
		}
		if (s->n % 64 == 0) {
			struct pf_signer *ne = realloc(s->entries, (s->n + 64) * sizeof(*ne));

			if (!ne) {
				entry_clear(&e);
				r = -ENOMEM;
				goto fail;
			}
			s->entries = ne;
		}
		s->entries[s->n++] = e;
	}
	*ret_signers = s;
	return 0;
fail:
	if (r != -ENOMEM)
		pf_err_prefix(err, "%s:%u", s->filename, line);
	else
		pf_err_set(err, "%s:%u: out of memory", s->filename, line);
	pf_signers_free(s);
	return r;
}

int pf_signers_load(const char *path, struct pf_signers **ret_signers,
		    struct pf_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pf_err(err, -errno, "%.*s: cannot open: %s", PF_SIGNERS_MAX_FILENAME, path,
			      strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = pf_err(err, -errno, "%.*s: cannot stat: %s", PF_SIGNERS_MAX_FILENAME, path,
			   strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = pf_err(err, -EINVAL, "%.*s: not a regular file", PF_SIGNERS_MAX_FILENAME, path);
		goto out;
	}
	if (st.st_size > PF_SIGNERS_MAX_FILE) {
		r = pf_err(err, -EMSGSIZE, "%.*s: file is larger than %d bytes",
			   PF_SIGNERS_MAX_FILENAME, path, PF_SIGNERS_MAX_FILE);
		goto out;
	}
	buf = malloc(PF_SIGNERS_MAX_FILE + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	/* read to EOF with the cap, in case the file grows under us */
	for (;;) {
		ssize_t n = read(fd, buf + got, PF_SIGNERS_MAX_FILE + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = pf_err(err, -errno, "%.*s: read error: %s", PF_SIGNERS_MAX_FILENAME,
				   path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > PF_SIGNERS_MAX_FILE) {
			r = pf_err(err, -EMSGSIZE, "%.*s: file is larger than %d bytes",
				   PF_SIGNERS_MAX_FILENAME, path, PF_SIGNERS_MAX_FILE);
			goto out;
		}
	}
	r = pf_signers_parse(buf, got, path, ret_signers, err);
out:
	free(buf);
	close(fd);
	return r;
}

/* token: strict parser and writer for approval token bodies. The format is
 * specified in token.h. */
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "buf.h"
#include "util.h"

enum field {
	F_TOKEN_ID,
	F_TICKET,
	F_REQUESTER,
	F_HOST,
	F_PATH,
	F_OPS,
	F_UID,
	F_UNIT,
	F_EXE,
	F_AGENT,
	F_NOT_BEFORE,
	F_NOT_AFTER,
	F_REASON,
	F_COUNT,
};

static const struct {
	const char *name;
	bool repeat;
	bool required;
} fields[F_COUNT] = {
	[F_TOKEN_ID] = { "token-id", false, true },
	[F_TICKET] = { "ticket", false, true },
	[F_REQUESTER] = { "requester", false, true },
	[F_HOST] = { "host", true, true },
	[F_PATH] = { "path", true, false }, /* required unless thaw: checked */
	[F_OPS] = { "ops", false, false },
	[F_UID] = { "uid", false, false },
	[F_UNIT] = { "unit", false, false },
	[F_EXE] = { "exe", false, false },
	[F_AGENT] = { "agent", false, false }, /* format v2 */
	[F_NOT_BEFORE] = { "not-before", false, true },
	[F_NOT_AFTER] = { "not-after", false, true },
	[F_REASON] = { "reason", false, true },
};

static const char *const op_names[] = {
	"write", "create", "delete", "rename", "metadata", "mount", "thaw",
};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))

void pf_token_free(struct pf_token *t)
{
	if (!t)
		return;
	free(t->ticket);
	free(t->requester);
	for (size_t i = 0; i < t->n_hosts; i++)
		free(t->hosts[i]);
	free(t->hosts);
	for (size_t i = 0; i < t->n_paths; i++)
		free(t->paths[i].path);
	free(t->paths);
	free(t->unit);
	free(t->exe);
	free(t->agent);
	free(t->reason);
	free(t);
}

/* ---- time ------------------------------------------------------------- */

static int digits(const char *s, size_t n, int64_t *ret)
{
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

int pf_token_parse_time(const char *s, size_t len, int64_t *ret_t)
{
	int64_t days, h, mi, se;

	if (len != PF_TOKEN_TIME_LEN || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return -EBADMSG;
	/* a real date, not before 1970 */
	if (pf_parse_date(s, len, &days) < 0 || days < 0)
		return -EBADMSG;
	if (digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &se) < 0)
		return -EBADMSG;
	if (h > 23 || mi > 59 || se > 59)
		return -EBADMSG;
	*ret_t = days * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

int pf_token_format_time(int64_t t, char *buf, size_t len)
{
	if (len < PF_TOKEN_TIME_LEN + 1)
		return -EMSGSIZE;
	if (t < 0 || t > 253402300799LL) /* 9999-12-31T23:59:59Z */
		return -ERANGE;
	pf_rfc3339(t, buf, len);
	return 0;
}

int pf_token_format_ops(unsigned ops, char *buf, size_t len)
{
	char tmp[64]; /* all op names with separators fit */
	size_t o = 0;

	if (!ops || (ops & ~(PF_TOKEN_OPS_DEFAULT | PF_TOKEN_OP_THAW)) ||
	    ((ops & PF_TOKEN_OP_THAW) && ops != PF_TOKEN_OP_THAW))
		return -EINVAL;
	for (size_t i = 0; i < N_OPS; i++) {
		size_t n = strlen(op_names[i]);

		if (!(ops & (1u << i)))
			continue;
		if (o)
			tmp[o++] = ' ';
		memcpy(tmp + o, op_names[i], n);
		o += n;
	}
	tmp[o] = '\0';
	if (o + 1 > len)
		return -EMSGSIZE; /* buf untouched */
	memcpy(buf, tmp, o + 1);
	return 0;
}

/* ---- value checks ----------------------------------------------------- */

static bool valid_principal(const char *s, size_t n)
{
	if (n == 0 || n > PF_TOKEN_MAX_PRINCIPAL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || strchr(",*?!\"'", s[i]))
			return false;
	return true;
}

static bool valid_hostname(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > PF_TOKEN_MAX_HOSTNAME)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return false;
		if (label == 0 && s[i] == '-')
			return false;
		label++;
	}
	return true;
}

/* Absolute, normalised. allow_dir: a trailing '/' is allowed. */
static const char *check_path(const char *s, size_t n, bool allow_dir)
{
	if (n == 0 || s[0] != '/')
		return "not an absolute path";
	if (n > PF_TOKEN_MAX_PATH)
		return "path too long";
	if (!allow_dir && s[n - 1] == '/')
		return "must name a file, not a directory (no trailing '/')";
	for (size_t i = 0; i < n;) {
		size_t j = i + 1, c;

		while (j < n && s[j] != '/')
			j++;
		c = j - i - 1; /* component length after the '/' at i */
		if (c == 0 && j < n)
			return "empty path component (\"//\")";
		if (c == 0 && j == n && n > 1 && s[n - 1] == '/' && i != n - 1)
			return "empty path component";
		if ((c == 1 && s[i + 1] == '.') || (c == 2 && s[i + 1] == '.' && s[i + 2] == '.'))
			return "\".\" or \"..\" component (path not normalised)";
		i = j;
	}
	return NULL;
}

static bool valid_unit(const char *s, size_t n)
{
	static const char *const suffixes[] = {
		".service", ".socket", ".mount", ".swap", ".scope", ".slice",
	};
	bool suffix = false;

	if (n == 0 || n > PF_TOKEN_MAX_UNIT)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(":_.@-\\", s[i])))
			return false;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);

		if (n > sl && memcmp(s + n - sl, suffixes[i], sl) == 0)
			suffix = true;
	}
	return suffix;
}

static int parse_ops(const char *s, size_t n, unsigned *ret_ops, char *why, size_t whylen)
{
	unsigned ops = 0;
	int last = -1;

	for (size_t i = 0; i < n;) {
		size_t j = i;
		int found = -1;

		while (j < n && s[j] != ' ')
			j++;
		if (j == i) {
			snprintf(why, whylen, "ops: two spaces in a row");
			return -EBADMSG;
		}
		for (size_t k = 0; k < N_OPS; k++)
			if (strlen(op_names[k]) == j - i && memcmp(op_names[k], s + i, j - i) == 0)
				found = (int)k;
		if (found < 0) {
			snprintf(why, whylen, "ops: unknown operation \"%.*s\"",
				 (int)(j - i > 32 ? 32 : j - i), s + i);
			return -EBADMSG;
		}
		if (ops & (1u << found)) {
			snprintf(why, whylen, "ops: \"%s\" given twice", op_names[found]);
			return -EBADMSG;
		}
		if (found < last) {
			snprintf(why, whylen,
				 "ops: \"%s\" out of order (canonical order: write create delete rename metadata mount)",
				 op_names[found]);
			return -EBADMSG;
		}
		last = found;
		ops |= 1u << found;
		i = j + 1;
		if (j + 1 == n) { /* trailing space is caught earlier; be safe */
			snprintf(why, whylen, "ops: trailing space");
			return -EBADMSG;
		}
	}
	if ((ops & PF_TOKEN_OP_THAW) && ops != PF_TOKEN_OP_THAW) {
		snprintf(why, whylen, "ops: \"thaw\" must appear alone");
		return -EBADMSG;
	}
	*ret_ops = ops;
	return 0;
}

/* ---- parser ----------------------------------------------------------- */

#define LERR(...) (r = pf_err(err, -EBADMSG, "token line %u: " __VA_ARGS__), (void)0)

/* any, or an agent's name as the policy spells it (policy.c). */
static bool valid_agent(const char *v, size_t vl)
{
	if (vl == 0 || vl > PF_TOKEN_MAX_AGENT)
		return false;
	if (!((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= '0' && v[0] <= '9')))
		return false;
	for (size_t i = 0; i < vl; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '.' ||
		      v[i] == '_' || v[i] == '-'))
			return false;
	return !(vl == 4 && memcmp(v, "none", 4) == 0);
}

int pf_token_parse(const char *body, size_t len, struct pf_token **ret_tok,
		   struct pf_err *err)
{
	struct pf_token *t = NULL;
	unsigned line = 1, seen[F_COUNT] = { 0 };
	size_t off, mlen = strlen(PF_TOKEN_MAGIC);
	int last = -1, r = 0, version = 1;
	char why[160];

	if (len > PF_TOKEN_MAX_SIZE)
		return pf_err(err, -EMSGSIZE, "token body is %zu bytes, larger than the %d-byte limit",
			      len, PF_TOKEN_MAX_SIZE);
	if (len == 0)
		return pf_err(err, -EBADMSG, "token is empty");
	/* byte-level checks first, with line numbers */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c == '\n') {
			if (i + 1 < len)
				line++;
			continue;
		}
		if (c == '\r')
			return pf_err(err, -EBADMSG, "token line %u: carriage return (CRLF line ends are not allowed)", line);
		if (c == '\t')
			return pf_err(err, -EBADMSG, "token line %u: tab character", line);
		if (c < 0x20 || c > 0x7e)
			return pf_err(err, -EBADMSG, "token line %u: byte 0x%02x is not printable ASCII", line, c);
	}
	if (body[len - 1] != '\n')
		return pf_err(err, -EBADMSG, "token line %u: missing final newline", line);
	if (len > mlen && memcmp(body, PF_TOKEN_MAGIC_V2, mlen) == 0 && body[mlen] == '\n')
		version = 2;
	else if (len < mlen + 1 || memcmp(body, PF_TOKEN_MAGIC, mlen) != 0 || body[mlen] != '\n')
		return pf_err(err, -EBADMSG, "token line 1: expected \"%s\" (or \"%s\")",
			      PF_TOKEN_MAGIC, PF_TOKEN_MAGIC_V2);

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ops = PF_TOKEN_OPS_DEFAULT;
	t->version = version;
	line = 1;
	off = mlen + 1;
	while (off < len && r == 0) {
		const char *l = body + off, *nl = memchr(l, '\n', len - off);
		size_t ll = (size_t)(nl - l), kl, vl;
		const char *v, *colon;
		int f = -1;

		line++;
		off += ll + 1;
		if (ll == 0) {
			LERR("empty line", line);
			break;
		}
		colon = memchr(l, ':', ll);
		for (kl = 0; kl < ll && ((l[kl] >= 'a' && l[kl] <= 'z') || l[kl] == '-'); kl++)
			;
		if (!colon || (size_t)(colon - l) != kl || kl == 0) {
			LERR("expected \"key: value\"", line);
			break;
		}
		for (int i = 0; i < F_COUNT; i++)
			if (strlen(fields[i].name) == kl && memcmp(fields[i].name, l, kl) == 0)
				f = i;
		if (f < 0) {
			LERR("unknown field \"%.*s\"", line, (int)(kl > 32 ? 32 : kl), l);
			break;
		}
		if (kl + 1 == ll) {
			LERR("empty value for \"%s\"", line, fields[f].name);
			break;
		}
		if (l[kl + 1] != ' ' || kl + 2 == ll || l[kl + 2] == ' ') {
			LERR("expected exactly one space after \"%s:\"", line, fields[f].name);
			break;
		}
		if (l[ll - 1] == ' ') {
			LERR("trailing space", line);
			break;
		}
		if (f < last) {
			LERR("field \"%s\" out of order (must come before \"%s\")", line,
			     fields[f].name, fields[last].name);
			break;
		}
		if (f == last && !fields[f].repeat) {
			LERR("duplicate field \"%s\"", line, fields[f].name);
			break;
		}
		last = f;
		seen[f]++;
		v = l + kl + 2;
		vl = ll - kl - 2;

		switch (f) {
		case F_TOKEN_ID:
			if (vl != PF_TOKEN_ID_LEN || !pf_is_lower_hex(v, vl)) {
				LERR("token-id must be %d lowercase hex digits", line, PF_TOKEN_ID_LEN);
				break;
			}
			memcpy(t->id, v, vl);
			t->id[vl] = '\0';
			break;
		case F_TICKET:
			if (vl > PF_TOKEN_MAX_TICKET) {
				LERR("ticket longer than %d bytes", line, PF_TOKEN_MAX_TICKET);
				break;
			}
			if (!(t->ticket = strndup(v, vl)))
				r = -ENOMEM;
			break;
		case F_REQUESTER:
			if (!valid_principal(v, vl)) {
				LERR("invalid requester (a principal: at most %d bytes, no spaces or , * ? ! \" ')",
				     line, PF_TOKEN_MAX_PRINCIPAL);
				break;
			}
			if (!(t->requester = strndup(v, vl)))
				r = -ENOMEM;
			break;
		case F_HOST: {
			char **nh;

			if (memchr(v, '*', vl) || memchr(v, '?', vl)) {
				LERR("host \"%.*s\": wildcards are not allowed", line,
				     (int)(vl > 64 ? 64 : vl), v);
				break;
			}
			if (!valid_hostname(v, vl)) {
				LERR("invalid host \"%.*s\" (a lowercase hostname or a 32-hex machine-id)",
				     line, (int)(vl > 64 ? 64 : vl), v);
				break;
			}
			if (t->n_hosts >= PF_TOKEN_MAX_HOSTS) {
				r = pf_err(err, -EMSGSIZE, "token line %u: more than %d host lines",
					   line, PF_TOKEN_MAX_HOSTS);
				break;
			}
			for (size_t i = 0; i < t->n_hosts; i++)
				if (strlen(t->hosts[i]) == vl && memcmp(t->hosts[i], v, vl) == 0)
					LERR("duplicate host \"%s\"", line, t->hosts[i]);
			if (r)
				break;
			nh = realloc(t->hosts, (t->n_hosts + 1) * sizeof(*nh));
			if (!nh) {
				r = -ENOMEM;
				break;
			}
			t->hosts = nh;
			if (!(t->hosts[t->n_hosts] = strndup(v, vl))) {
				r = -ENOMEM;
				break;
			}
			t->n_hosts++;
			break;
		}
		case F_PATH: {
			struct pf_token_path *np;
			const char *bad = check_path(v, vl, true);

			if (bad) {
				LERR("path \"%.*s\": %s", line, (int)(vl > 64 ? 64 : vl), v, bad);
				break;
			}
			if (t->n_paths >= PF_TOKEN_MAX_PATHS) {
				r = pf_err(err, -EMSGSIZE, "token line %u: more than %d path lines",
					   line, PF_TOKEN_MAX_PATHS);
				break;
			}
			for (size_t i = 0; i < t->n_paths; i++)
				if (strlen(t->paths[i].path) == vl &&
				    memcmp(t->paths[i].path, v, vl) == 0)
					LERR("duplicate path \"%.*s\"", line, (int)(vl > 64 ? 64 : vl), v);
			if (r)
				break;
			np = realloc(t->paths, (t->n_paths + 1) * sizeof(*np));
			if (!np) {
				r = -ENOMEM;
				break;
			}
			t->paths = np;
			if (!(t->paths[t->n_paths].path = strndup(v, vl))) {
				r = -ENOMEM;
				break;
			}
			t->paths[t->n_paths].subtree = v[vl - 1] == '/';
			t->n_paths++;
			break;
		}
		case F_OPS:
			if (parse_ops(v, vl, &t->ops, why, sizeof(why)) < 0) {
				LERR("%s", line, why);
				break;
			}
			t->ops_given = true;
			break;
		case F_UID: {
			int64_t u;

			if (vl > 10 || digits(v, vl, &u) < 0 || (vl > 1 && v[0] == '0') ||
			    u > 4294967294LL) {
				LERR("uid must be a decimal number 0..4294967294", line);
				break;
			}
			t->has_uid = true;
			t->uid = (uint32_t)u;
			break;
		}
		case F_UNIT:
			if (!valid_unit(v, vl)) {
				LERR("invalid unit \"%.*s\" (a systemd unit name ending in .service, .socket, .mount, .swap, .scope or .slice)",
				     line, (int)(vl > 64 ? 64 : vl), v);
				break;
			}
			if (!(t->unit = strndup(v, vl)))
				r = -ENOMEM;
			break;
		case F_EXE: {
			const char *bad = check_path(v, vl, false);

			if (bad) {
				LERR("exe \"%.*s\": %s", line, (int)(vl > 64 ? 64 : vl), v, bad);
				break;
			}
			if (!(t->exe = strndup(v, vl)))
				r = -ENOMEM;
			break;
		}
		case F_AGENT:
			if (t->version < 2) {
				LERR("field \"agent\" needs format v2 (line 1 \"%s\")", line,
				     PF_TOKEN_MAGIC_V2);
				break;
			}
			if (!valid_agent(v, vl)) {
				LERR("invalid agent \"%.*s\" (any, or an agent's name: 1..%d bytes of a-z 0-9 . _ -)",
				     line, (int)(vl > 64 ? 64 : vl), v, PF_TOKEN_MAX_AGENT);
				break;
			}
			if (!(t->agent = strndup(v, vl)))
				r = -ENOMEM;
			break;
		case F_NOT_BEFORE:
		case F_NOT_AFTER: {
			int64_t ts;

			if (pf_token_parse_time(v, vl, &ts) < 0) {
				LERR("%s must be a valid YYYY-MM-DDTHH:MM:SSZ time", line, fields[f].name);
				break;
			}
			if (f == F_NOT_BEFORE)
				t->not_before = ts;
			else
				t->not_after = ts;
			break;
		}
		case F_REASON:
			if (vl > PF_TOKEN_MAX_REASON) {
				LERR("reason longer than %d bytes", line, PF_TOKEN_MAX_REASON);
				break;
			}
			if (!(t->reason = strndup(v, vl)))
				r = -ENOMEM;
			break;
		}
	}
	if (r < 0)
		goto fail;
	for (int i = 0; i < F_COUNT; i++)
		if (fields[i].required && !seen[i]) {
			r = pf_err(err, -EBADMSG, "token: missing field \"%s\"", fields[i].name);
			goto fail;
		}
	if (t->ops == PF_TOKEN_OP_THAW) {
		if (t->n_paths || t->has_uid || t->unit || t->exe || t->agent) {
			r = pf_err(err, -EBADMSG, "token: a thaw token must not have path, uid, unit, exe or agent fields");
			goto fail;
		}
	} else if (!t->n_paths) {
		r = pf_err(err, -EBADMSG, "token: missing field \"path\"");
		goto fail;
	}
	if (t->not_after <= t->not_before) {
		r = pf_err(err, -EBADMSG, "token: not-after must be later than not-before");
		goto fail;
	}
	t->body_len = len;
	*ret_tok = t;
	return 0;
fail:
	pf_token_free(t);
	return r;
}

int pf_bundle_body_len(const char *data, size_t len, size_t *ret_body_len,
		       struct pf_err *err)
{
	size_t bl = strlen(PF_SSHSIG_BEGIN);

	if (len > PF_BUNDLE_MAX_SIZE)
		return pf_err(err, -EMSGSIZE, "bundle is %zu bytes, larger than the %d-byte limit",
			      len, PF_BUNDLE_MAX_SIZE);
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (data + off)) : len - off;

		if (ll == bl && memcmp(data + off, PF_SSHSIG_BEGIN, bl) == 0) {
			*ret_body_len = off;
			return 0;
		}
		if (!nl)
			break;
		off += ll + 1;
	}
	*ret_body_len = len;
	return 0;
}

/* ---- writer ----------------------------------------------------------- */

/* The body being written; error is sticky: the first failure. */
struct body {
	struct pf_buf b;
	int error;
};

/* Appends "key: val\n", or "key\n" when @val is empty; a body that would
 * outgrow PF_TOKEN_MAX_SIZE fails with -EMSGSIZE. */
static void body_add(struct body *t, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val);

	if (t->error)
		return;
	if (t->b.len + kl + 2 + vl + 1 > PF_TOKEN_MAX_SIZE) {
		t->error = -EMSGSIZE;
		return;
	}
	pf_buf_putn(&t->b, key, kl);
	if (vl) {
		pf_buf_putn(&t->b, ": ", 2);
		pf_buf_putn(&t->b, val, vl);
	}
	pf_buf_putc(&t->b, '\n');
	if (t->b.oom)
		t->error = -ENOMEM;
}

int pf_token_new(const struct pf_token_spec *s, char **ret_body, size_t *ret_len,
		 struct pf_err *err)
{
	struct body b = { .error = 0 };
	struct pf_token *t = NULL;
	uint8_t rnd[PF_TOKEN_ID_LEN / 2];
	char id[PF_TOKEN_ID_LEN + 1], tb[PF_TOKEN_TIME_LEN + 1], ops[64], uid[16];
	int r;

	if (!s || !s->ticket || !s->requester || !s->reason || (s->n_hosts && !s->hosts) ||
	    (s->n_paths && !s->paths))
		return pf_err(err, -EINVAL, "token: ticket, requester and reason are required");
	if (s->ttl <= 0 || s->now < 0 || s->now > INT64_MAX - s->ttl)
		return pf_err(err, -EINVAL, "token: ttl must be positive");
	r = pf_token_format_ops(s->ops ? s->ops : PF_TOKEN_OPS_DEFAULT, ops, sizeof(ops));
	if (r < 0)
		return pf_err(err, -EINVAL, "token: invalid ops mask 0x%x", s->ops);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return pf_err(err, -EIO, "token: RAND_bytes failed");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);

	/* v1 unless the token needs v2: an older agent still reads it */
	body_add(&b, s->agent ? PF_TOKEN_MAGIC_V2 : PF_TOKEN_MAGIC, "");
	body_add(&b, "token-id", id);
	body_add(&b, "ticket", s->ticket);
	body_add(&b, "requester", s->requester);
	for (size_t i = 0; i < s->n_hosts; i++)
		body_add(&b, "host", s->hosts[i]);
	for (size_t i = 0; i < s->n_paths; i++)
		body_add(&b, "path", s->paths[i]);
	body_add(&b, "ops", ops);
	if (s->has_uid) {
		snprintf(uid, sizeof(uid), "%u", s->uid);
		body_add(&b, "uid", uid);
	}
	if (s->unit)
		body_add(&b, "unit", s->unit);
	if (s->exe)
		body_add(&b, "exe", s->exe);
	if (s->agent)
		body_add(&b, "agent", s->agent);
	if (pf_token_format_time(s->now, tb, sizeof(tb)) < 0 ||
	    (body_add(&b, "not-before", tb), pf_token_format_time(s->now + s->ttl, tb, sizeof(tb)) < 0)) {
		pf_buf_free(&b.b);
		return pf_err(err, -EINVAL, "token: time out of range");
	}
	body_add(&b, "not-after", tb);
	body_add(&b, "reason", s->reason);
	if (b.error) {
		pf_buf_free(&b.b);
		return pf_err(err, b.error, "token: %s", b.error == -EMSGSIZE ?
			      "body would exceed the size limit" : "out of memory");
	}
	/* only valid tokens leave this function */
	r = pf_token_parse(b.b.data, b.b.len, &t, err);
	if (r < 0) {
		pf_buf_free(&b.b);
		return r;
	}
	pf_token_free(t);
	*ret_body = b.b.data;
	*ret_len = b.b.len;
	return 0;
}

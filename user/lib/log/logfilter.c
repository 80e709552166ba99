/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Display filters on audit records; see logfilter.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "logfilter.h"
#include "util.h"

int pf_log_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns)
{
	size_t n;
	int64_t days, total = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	if (strcmp(s, "now") == 0) {
		*ret_ns = now_ns;
		return 0;
	}
	if (n == 10 && pf_parse_date(s, n, &days) == 0) {
		*ret_ns = days * 86400 * 1000000000LL;
		return 0;
	}
	if (n >= 20 && s[4] == '-')
		return pf_parse_rfc3339(s, n, ret_ns);
	/* a duration: 1h30m, 90s, 2d, 1w */
	p = s;
	while (*p) {
		int64_t v = 0, unit;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p - '0');
			if (v > 1000000000LL)
				return -EINVAL;
			p++;
		}
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return -EINVAL;
		}
		p++;
		total += v * unit;
		if (total > 100LL * 366 * 86400)
			return -EINVAL;
	}
	*ret_ns = now_ns - total * 1000000000LL;
	return 0;
}

/* 1 if the string field @key is one of the comma-separated @list. */
static int in_list(const struct pf_logrec *r, const char *key, const char *list)
{
	const struct pf_logrec_field *f = pf_logrec_find(r, key);
	struct pf_buf b;
	const char *p = list;
	int hit = 0;

	if (!f)
		return 0;
	pf_buf_init(&b);
	if (pf_logrec_str(r, key, &b) < 0 || !b.data)
		goto out;
	while (*p && !hit) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		if (l == b.len && memcmp(p, b.data, l) == 0)
			hit = 1;
		p += l + (comma ? 1 : 0);
	}
out:
	pf_buf_free(&b);
	return hit;
}

static int path_match(const struct pf_logrec *r, const char *prefix)
{
	size_t pl = strlen(prefix);
	struct pf_buf b;
	int hit = 0;

	pf_buf_init(&b);
	if (pf_logrec_path(r, &b) == 0 && b.data && b.len >= pl && memcmp(b.data, prefix, pl) == 0)
		hit = b.len == pl || (pl > 0 && prefix[pl - 1] == '/') || b.data[pl] == '/';
	pf_buf_free(&b);
	return hit;
}

/* --agent: "none" passes records without an agent (humans, the agent's
 * own records), "any" those with one, else the agent of that name. */
static int agent_match(const struct pf_logrec *r, const char *want)
{
	int has = pf_logrec_find(r, "agent") != NULL;

	if (strcmp(want, "none") == 0)
		return !has;
	if (strcmp(want, "any") == 0)
		return has;
	return pf_logrec_str_eq(r, "agent", want);
}

int pf_log_filter_match(const struct pf_log_filter *f, const struct pf_logrec *r)
{
	uint64_t v;

	if (f->has_since || f->has_until) {
		int64_t t;
		if (pf_logrec_time(r, &t) < 0)
			return 0;
		if ((f->has_since && t < f->since_ns) || (f->has_until && t > f->until_ns))
			return 0;
	}
	if (f->decision && !in_list(r, "decision", f->decision))
		return 0;
	if (f->op && !in_list(r, "op", f->op))
		return 0;
	if (f->path && !path_match(r, f->path))
		return 0;
	if (f->has_uid && (pf_logrec_u64(r, "uid", &v) < 0 || v != f->uid))
		return 0;
	if (f->has_pid && (pf_logrec_u64(r, "pid", &v) < 0 || v != f->pid))
		return 0;
	if (f->token && !pf_logrec_str_eq(r, "token", f->token) &&
	    !pf_logrec_str_eq(r, "token_id", f->token))
		return 0;
	if (f->agent && !agent_match(r, f->agent))
		return 0;
	return 1;
}

/* libFuzzer target: the policy parser, matcher, duration and size parsers.
 * Besides the sanitizers it checks the parser's promises: all-or-nothing,
 * messages that start with "FILE:", and that every accepted rule is a
 * normalised absolute path which the matcher finds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "permafrost.h"
#include "policy.h"

static int normalised(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PF_POLICY_MAX_PATH || s[0] != '/')
		return 0;
	if (n == 1)
		return 1;
	if (s[n - 1] == '/' || strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../"))
		return 0;
	if ((n >= 2 && strcmp(s + n - 2, "/.") == 0) || (n >= 3 && strcmp(s + n - 3, "/..") == 0))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_policy *p = (struct pf_policy *)&p; /* sentinel */
	struct pf_policy *sentinel = p;
	struct pf_err e;
	char small[65], child[PF_POLICY_MAX_PATH + 8];
	uint64_t v;
	size_t i;
	int r;

	/* numbers on a NUL-terminated prefix */
	memcpy(small, data, size < 64 ? size : 64);
	small[size < 64 ? size : 64] = '\0';
	v = 7;
	if (pf_parse_duration(small, &v) < 0 && v != 7)
		abort();
	v = 7;
	if (pf_parse_size(small, &v) < 0 && v != 7)
		abort();

	r = pf_policy_parse("fuzz.conf", (const char *)data, size, &p, &e);
	if (r < 0) {
		if (p != sentinel || memchr(e.msg, '\0', sizeof(e.msg)) == NULL ||
		    strncmp(e.msg, "fuzz.conf:", 10) != 0)
			abort();
		return 0;
	}
	if (r != 0 || !p || p == sentinel)
		abort();
	if (p->approvals < 1 || p->approvals > 16 || p->thaw_approvals < 1 ||
	    p->thaw_approvals > 16 || p->max_token_ttl_s < 1 || p->max_token_ttl_s > 30 * 86400 ||
	    p->log_keep < 1 || p->log_keep > 1000 || (p->ringbuf_size & (p->ringbuf_size - 1)) ||
	    (p->allowed_signers && !normalised(p->allowed_signers)) ||
	    (p->metrics_file && !normalised(p->metrics_file)))
		abort();
	for (i = 0; i < p->n_rules; i++) {
		const struct pf_policy_rule *ru = &p->rules[i];

		if (!normalised(ru->path) || (ru->kind != PF_POL_PROTECT && ru->kind != PF_POL_EXEMPT) ||
		    ru->approvals > 16 || (ru->kind == PF_POL_EXEMPT && ru->approvals) || ru->line < 1)
			abort();
		if (i >= 64)
			continue; /* the matcher is linear: keep runs fast */
		if (pf_policy_match(p, ru->path) != (ssize_t)i)
			abort();
		snprintf(child, sizeof(child), "%s/x", strcmp(ru->path, "/") ? ru->path : "");
		if (pf_policy_match(p, child) < 0)
			abort();
	}
	/* every agent unit is a valid name whose cgroup name fits the
	 * kernel's key, and belongs to an agent line */
	for (i = 0; i < p->n_ai_units; i++) {
		const struct pf_policy_ai_unit *u = &p->ai_units[i];
		char cg[PF_AI_UNIT_KEY];

		if (pf_unit_name_problem(u->name, strlen(u->name)) || u->agent >= p->n_ai ||
		    pf_unit_cgroup_name(u->name, cg, sizeof(cg)) < 0 ||
		    p->n_ai_units > PF_POLICY_MAX_AI_UNITS)
			abort();
	}
	pf_policy_match(p, "/");
	pf_policy_match(p, small);
	pf_policy_free(p);
	return 0;
}

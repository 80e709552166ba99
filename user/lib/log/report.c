/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `permafrost report`; see report.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "logread.h"
#include "report.h"
#include "util.h"

enum { C_CHANGED, C_REFUSED, C_WOULD, C_TAMPER, C_N };
static const char *const count_names[C_N] = { "changed", "refused", "would_deny", "tamper" };

struct group {
	char *key;
	uint64_t n[C_N];
	/* tickets: the token, its approvers and paths (approval-loaded) */
	char *token, *approvers;
	uint64_t by_agent, by_human; /* tickets: changes made by agents, by humans */
};

struct grouping {
	const char *name; /* "actor", "unit", "path", "ticket" */
	struct group *g;
	size_t n, cap;
	struct group other; /* past PF_REPORT_MAX_GROUPS */
};

struct report {
	struct grouping by[4]; /* actor, unit, path, ticket */
	uint64_t records, events;
	int64_t first_ns, last_ns;
};

static struct group *find(struct grouping *gr, const char *key)
{
	for (size_t i = 0; i < gr->n; i++)
		if (strcmp(gr->g[i].key, key) == 0)
			return &gr->g[i];
	if (gr->n >= PF_REPORT_MAX_GROUPS)
		return &gr->other;
	if (PF_ARRAY_GROW(gr->g, gr->cap, gr->n) < 0)
		return &gr->other;
	memset(&gr->g[gr->n], 0, sizeof(gr->g[0]));
	gr->g[gr->n].key = strdup(key);
	if (!gr->g[gr->n].key)
		return &gr->other;
	return &gr->g[gr->n++];
}

/* A string field into @buf (empty if absent). */
static const char *field(const struct pf_logrec *r, const char *key, struct pf_buf *buf)
{
	pf_buf_reset(buf);
	if (pf_logrec_str(r, key, buf) < 0 || !buf->data) {
		pf_buf_reset(buf);
		pf_buf_puts(buf, "");
	}
	return buf->data ? buf->data : "";
}

static int count_of(const struct pf_logrec *r)
{
	if (pf_logrec_str_eq(r, "decision", "approved"))
		return C_CHANGED;
	if (pf_logrec_str_eq(r, "decision", "deny"))
		return C_REFUSED;
	if (pf_logrec_str_eq(r, "decision", "would-deny"))
		return C_WOULD;
	if (pf_logrec_str_eq(r, "decision", "tamper"))
		return C_TAMPER;
	return -1;
}

/* The decisions a line stands for: one, or a run's repeats (its
 * "repeat": the line of the run's first decision is counted on its own). */
static uint64_t weight_of(const struct pf_logrec *r)
{
	uint64_t n;

	return pf_logrec_u64(r, "repeat", &n) == 0 ? n : 1;
}

static void add(struct report *rp, const struct pf_logrec *r)
{
	struct pf_buf b;
	char actor[300];
	const char *s;
	int c = count_of(r);
	uint64_t w = weight_of(r);

	pf_buf_init(&b);
	if (pf_logrec_str_eq(r, "decision", "approval-loaded")) {
		char tk[600];
		struct group *g;

		snprintf(tk, sizeof(tk), "%s", field(r, "ticket", &b));
		if (tk[0]) {
			g = find(&rp->by[3], tk);
			if (g != &rp->by[3].other) {
				free(g->token);
				g->token = strdup(field(r, "token", &b));
				free(g->approvers);
				g->approvers = strdup(field(r, "approvers", &b));
			}
		}
		pf_buf_free(&b);
		return;
	}
	if (c < 0) {
		pf_buf_free(&b);
		return;
	}
	rp->events += w;
	s = field(r, "agent", &b);
	snprintf(actor, sizeof(actor), s[0] ? "agent %s" : "humans", s);
	find(&rp->by[0], actor)->n[c] += w;
	s = field(r, "unit", &b);
	find(&rp->by[1], s[0] ? s : "(no unit)")->n[c] += w;
	pf_buf_reset(&b);
	if (pf_logrec_path(r, &b) < 0 || !b.data)
		find(&rp->by[2], "(no path)")->n[c] += w;
	else
		find(&rp->by[2], b.data)->n[c] += w;
	if (c == C_CHANGED) {
		s = field(r, "ticket", &b);
		if (s[0]) {
			struct group *g = find(&rp->by[3], s);

			g->n[c] += w;
			if (strncmp(actor, "agent ", 6) == 0)
				g->by_agent += w;
			else
				g->by_human += w;
		}
	}
	pf_buf_free(&b);
}

static uint64_t total(const struct group *g)
{
	uint64_t t = 0;

	for (int i = 0; i < C_N; i++)
		t += g->n[i];
	return t;
}

static int by_total(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	uint64_t ta = total(a), tb = total(b);

	if (ta != tb)
		return ta > tb ? -1 : 1;
	return strcmp(a->key, b->key);
}

static void free_report(struct report *rp)
{
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; i < rp->by[k].n; i++) {
			free(rp->by[k].g[i].key);
			free(rp->by[k].g[i].token);
			free(rp->by[k].g[i].approvers);
		}
		free(rp->by[k].g);
	}
}

static void text_group(const struct grouping *gr, const char *title, size_t top)
{
	struct pf_buf e;
	size_t shown = gr->n < top ? gr->n : top;

	printf("\nBy %s%s\n", title, gr->n > shown ? " (most events first)" : "");
	if (!gr->n)
		printf("  (none)\n");
	pf_buf_init(&e);
	for (size_t i = 0; i < shown; i++) {
		const struct group *g = &gr->g[i];

		pf_buf_reset(&e);
		pf_log_escape_term(&e, g->key, strlen(g->key));
		printf("  %-40s changed %llu, refused %llu, would-deny %llu, tamper %llu\n",
		       e.data ? e.data : "", (unsigned long long)g->n[C_CHANGED],
		       (unsigned long long)g->n[C_REFUSED], (unsigned long long)g->n[C_WOULD],
		       (unsigned long long)g->n[C_TAMPER]);
		if (g->token || g->by_agent || g->by_human) {
			pf_buf_reset(&e);
			if (g->approvers)
				pf_log_escape_term(&e, g->approvers, strlen(g->approvers));
			printf("  %-40s token %s, approved by %s; changes by agents %llu, by humans %llu\n",
			       "", g->token ? g->token : "(not in the period)",
			       e.data && e.len ? e.data : "(not in the period)",
			       (unsigned long long)g->by_agent, (unsigned long long)g->by_human);
		}
	}
	if (gr->n > shown)
		printf("  ... %zu more (--top, or --json for all)\n", gr->n - shown);
	if (total(&gr->other))
		printf("  (other: past %d distinct %ss) %llu events\n", PF_REPORT_MAX_GROUPS, gr->name,
		       (unsigned long long)total(&gr->other));
	pf_buf_free(&e);
}

static void json_group(struct pf_json *j, const struct grouping *gr)
{
	pf_json_arr_begin(j);
	for (size_t i = 0; i <= gr->n; i++) {
		const struct group *g = i < gr->n ? &gr->g[i] : &gr->other;

		if (i == gr->n && !total(g))
			break;
		pf_json_obj_begin(j);
		pf_json_key(j, gr->name);
		pf_json_str(j, i < gr->n ? g->key : "(other)");
		for (int c = 0; c < C_N; c++) {
			pf_json_key(j, count_names[c]);
			pf_json_uint(j, g->n[c]);
		}
		if (!strcmp(gr->name, "ticket")) {
			pf_json_key(j, "token");
			pf_json_str(j, g->token ? g->token : "");
			pf_json_key(j, "approvers");
			pf_json_str(j, g->approvers ? g->approvers : "");
			pf_json_key(j, "changes_by_agents");
			pf_json_uint(j, g->by_agent);
			pf_json_key(j, "changes_by_humans");
			pf_json_uint(j, g->by_human);
		}
		pf_json_obj_end(j);
	}
	pf_json_arr_end(j);
}

static int usage(int json, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "%s\nusage: permafrost report [--file PATH] [--since T] [--until T] [--top N] [--json]",
		 why);
	pf_cli_print_error(json, 2, msg);
	return 2;
}

int pf_cli_report(int argc, char **argv, int json, const char *default_path)
{
	static const char *const titles[4] = { "actor", "unit", "path", "ticket" };
	struct report rp = { 0 };
	struct pf_log_reader *rd = NULL;
	const char *path = default_path, *line;
	int64_t now = pf_now_ns(), since = 0, until = INT64_MAX;
	int has_since = 0, has_until = 0, r;
	unsigned long top = PF_REPORT_TOP_DEFAULT;
	size_t len;
	char ts[64], te[64];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int64_t t;

		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if ((strcmp(a, "--file") == 0 || strcmp(a, "--since") == 0 ||
			    strcmp(a, "--until") == 0 || strcmp(a, "--top") == 0) &&
			   i + 1 < argc) {
			const char *v = argv[++i];

			if (strcmp(a, "--file") == 0) {
				path = v;
			} else if (strcmp(a, "--top") == 0) {
				char *end;

				top = strtoul(v, &end, 10);
				if (*end || !top || top > PF_REPORT_MAX_GROUPS || v[0] == '-')
					return usage(json, "--top: a number 1..10000");
			} else if (pf_log_parse_time(v, now, &t) < 0) {
				return usage(json, "--since/--until: not a time (RFC 3339, a date, now, "
						   "or 15m, 2h, 1d ago)");
			} else if (strcmp(a, "--since") == 0) {
				since = t;
				has_since = 1;
			} else {
				until = t;
				has_until = 1;
			}
		} else {
			char why[300];

			snprintf(why, sizeof(why), "report: unexpected argument '%.200s'", a);
			return usage(json, why);
		}
	}
	r = pf_log_reader_open(path, 1, &rd);
	if (r < 0) {
		char msg[4300];

		snprintf(msg, sizeof(msg), "%s: %s", path,
			 r == -ENOENT ? "no audit log there" : strerror(-r));
		pf_cli_print_error(json, 1, msg);
		return 1;
	}
	for (int k = 0; k < 4; k++) {
		rp.by[k].name = titles[k];
		rp.by[k].other.key = (char *)"(other)";
	}
	while ((r = pf_log_reader_next(rd, &line, &len)) == 1) {
		struct pf_logrec rec;
		int64_t t;

		if (pf_logrec_parse(line, len, &rec) < 0 || pf_logrec_time(&rec, &t) < 0 ||
		    t < since || t > until)
			continue;
		rp.records++;
		if (!rp.first_ns)
			rp.first_ns = t;
		rp.last_ns = t;
		add(&rp, &rec);
	}
	if (r < 0) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "%s", pf_log_reader_error(rd));
		pf_log_reader_close(rd);
		free_report(&rp);
		pf_cli_print_error(json, 1, msg);
		return 1;
	}
	pf_log_reader_close(rd);
	for (int k = 0; k < 4; k++)
		qsort(rp.by[k].g, rp.by[k].n, sizeof(struct group), by_total);
	pf_rfc3339((has_since ? since : rp.first_ns) / 1000000000LL, ts, sizeof(ts));
	pf_rfc3339((has_until ? until : rp.last_ns) / 1000000000LL, te, sizeof(te));
	if (json) {
		struct pf_buf b;
		struct pf_json j;

		pf_buf_init(&b);
		pf_json_init(&j, &b, 0);
		pf_json_obj_begin(&j);
		pf_json_key(&j, "status");
		pf_json_str(&j, "ok");
		pf_json_key(&j, "file");
		pf_json_str(&j, path);
		pf_json_key(&j, "since");
		pf_json_str(&j, rp.records || has_since ? ts : "");
		pf_json_key(&j, "until");
		pf_json_str(&j, rp.records || has_until ? te : "");
		pf_json_key(&j, "records");
		pf_json_uint(&j, rp.records);
		pf_json_key(&j, "decisions");
		pf_json_uint(&j, rp.events);
		for (int k = 0; k < 4; k++) {
			char key[32];

			snprintf(key, sizeof(key), "by_%s", titles[k]);
			pf_json_key(&j, key);
			json_group(&j, &rp.by[k]);
		}
		pf_json_obj_end(&j);
		printf("%s\n", b.data ? b.data : "{}");
		pf_buf_free(&b);
	} else {
		printf("Permafrost report: %s\n", path);
		printf("Period: %s .. %s; %llu records, %llu decisions (changed, refused, would-deny, "
		       "tamper)\n",
		       rp.records || has_since ? ts : "-", rp.records || has_until ? te : "-",
		       (unsigned long long)rp.records, (unsigned long long)rp.events);
		text_group(&rp.by[0], "actor (AI agents by name; humans: no agent mark)", (size_t)-1);
		text_group(&rp.by[1], "systemd unit", top);
		text_group(&rp.by[2], "path", top);
		text_group(&rp.by[3], "ticket (approved changes and who signed off)", (size_t)-1);
	}
	free_report(&rp);
	return 0;
}

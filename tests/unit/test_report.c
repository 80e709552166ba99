/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `permafrost report`: a log with an AI agent's and humans' decisions, an
 * approval with its approvers; the groups, counts and period exactly. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditlog.h"
#include "report.h"
#include "tap.h"

static char dir[64];

/* A record with string fields k1=v1, k2=v2, ... (NULL-terminated). */
static void rec(struct pf_auditlog *l, const char *decision, ...)
{
	struct pf_json j;
	struct pf_buf b;
	va_list ap;
	const char *k;

	pf_buf_init(&b);
	pf_auditlog_record_begin(l, &j, &b, decision);
	va_start(ap, decision);
	while ((k = va_arg(ap, const char *))) {
		pf_json_key(&j, k);
		pf_json_str(&j, va_arg(ap, const char *));
	}
	va_end(ap);
	if (pf_auditlog_record_end(l, &j, &b) < 0)
		printf("# record %s not written\n", decision);
	pf_buf_free(&b);
}

/* A run's repeats line: deny of @path, "repeat":@n. */
static void rec_repeat(struct pf_auditlog *l, const char *path, uint64_t n)
{
	struct pf_json j;
	struct pf_buf b;

	pf_buf_init(&b);
	pf_auditlog_record_begin(l, &j, &b, "deny");
	pf_json_key(&j, "op");
	pf_json_str(&j, "open-write");
	pf_json_key(&j, "path");
	pf_json_str(&j, path);
	pf_json_key(&j, "repeat");
	pf_json_uint(&j, n);
	if (pf_auditlog_record_end(l, &j, &b) < 0)
		printf("# repeat record not written\n");
	pf_buf_free(&b);
}

static int run(int json, const char *path, char *out, size_t outsz, int argc, char **argv)
{
	char of[128];
	int o, so, code;
	FILE *f;
	size_t n;

	snprintf(of, sizeof(of), "%s/out", dir);
	fflush(stdout);
	so = dup(1);
	o = open(of, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(o, 1);
	code = pf_cli_report(argc, argv, json, path);
	fflush(stdout);
	dup2(so, 1);
	close(o);
	close(so);
	f = fopen(of, "r");
	n = fread(out, 1, outsz - 1, f);
	out[n] = 0;
	fclose(f);
	return code;
}

int main(void)
{
	struct pf_auditlog_opts o = { .host = "web1" };
	struct pf_auditlog *l = NULL;
	struct pf_err err;
	char path[128], out[16384];
	char *argv[] = { "report", NULL }, *jargv[] = { "report", "--json", NULL };
	char *bad[] = { "report", "--top", "0", NULL }, *future[] = { "report", "--since", "2099-01-01", NULL };
	int code;

	snprintf(dir, sizeof(dir), "/tmp/pf-report-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	if (pf_auditlog_open(path, &o, &l, &err) < 0) {
		printf("# %s\n", err.msg);
		return 1;
	}
	rec(l, "deny", "op", "open-write", "path", "/etc/nginx/nginx.conf", "agent", "claude",
	    "unit", "session-3.scope", NULL);
	rec(l, "deny", "op", "open-write", "path", "/etc/nginx/nginx.conf", "agent", "claude",
	    "unit", "session-3.scope", NULL);
	rec(l, "deny", "op", "unlink", "path", "/usr/bin/curl", "unit", "deploy.service", NULL);
	rec(l, "approval-loaded", "token", "t0k3n", "ticket", "CHG-7", "approvers", "alice,bob",
	    "paths", "/etc/nginx/nginx.conf", NULL);
	rec(l, "approved", "op", "open-write", "path", "/etc/nginx/nginx.conf", "agent", "claude",
	    "token", "t0k3n", "ticket", "CHG-7", "unit", "session-3.scope", NULL);
	rec(l, "approved", "op", "rename", "path", "/etc/nginx/nginx.conf", "token", "t0k3n",
	    "ticket", "CHG-7", "unit", "session-4.scope", NULL);
	rec(l, "would-deny", "op", "chmod", "path", "/etc/ssh/sshd_config", "agent", "aider", NULL);
	rec(l, "tamper", "op", "bpf-object", NULL);
	pf_auditlog_close(l);

	code = run(0, path, out, sizeof(out), 1, argv);
	TAP_OK(code == 0, "report: exit 0 (%d)", code);
	TAP_OK(strstr(out, "; 9 records, 7 decisions (changed, refused, would-deny, tamper)\n") != NULL,
	       "9 records (chain-start and approval-loaded included), 7 decisions");
	TAP_OK(strstr(out, "  agent claude                             changed 1, refused 2, would-deny 0, tamper 0\n") != NULL,
	       "the agent claude: 1 changed, 2 refused");
	TAP_OK(strstr(out, "  humans                                   changed 1, refused 1, would-deny 0, tamper 1\n") != NULL,
	       "humans: 1 changed, 1 refused, 1 tamper");
	TAP_OK(strstr(out, "  agent aider                              changed 0, refused 0, would-deny 1, tamper 0\n") != NULL,
	       "the agent aider: 1 would-deny");
	TAP_OK(strstr(out, "  /etc/nginx/nginx.conf                    changed 2, refused 2, would-deny 0, tamper 0\n") != NULL,
	       "by path: nginx.conf first (4 events)");
	TAP_OK(strstr(out, "  deploy.service                           changed 0, refused 1, would-deny 0, tamper 0\n") != NULL,
	       "by unit: deploy.service");
	TAP_OK(strstr(out, "  CHG-7                                    changed 2, refused 0, would-deny 0, tamper 0\n"
			   "                                           token t0k3n, approved by alice,bob; changes by agents 1, by humans 1\n") != NULL,
	       "by ticket: CHG-7, its token and approvers, one change by the agent, one by a human");

	code = run(1, path, out, sizeof(out), 2, jargv);
	TAP_OK(code == 0 && strstr(out, "\"records\":9,\"decisions\":7,\"by_actor\":[{\"actor\":\"agent claude\",\"changed\":1,\"refused\":2,\"would_deny\":0,\"tamper\":0},") != NULL,
	       "--json: the counts, the busiest actor first");
	TAP_OK(strstr(out, "{\"ticket\":\"CHG-7\",\"changed\":2,\"refused\":0,\"would_deny\":0,\"tamper\":0,\"token\":\"t0k3n\",\"approvers\":\"alice,bob\",\"changes_by_agents\":1,\"changes_by_humans\":1}") != NULL,
	       "--json: the ticket with its approvers");

	/* a run: its first line, and its repeats line standing for 4211 */
	if (pf_auditlog_open(path, &o, &l, &err) < 0) {
		printf("# %s\n", err.msg);
		return 1;
	}
	rec(l, "deny", "op", "open-write", "path", "/etc/sudoers", NULL);
	rec_repeat(l, "/etc/sudoers", 4211);
	pf_auditlog_close(l);
	code = run(0, path, out, sizeof(out), 1, argv);
	TAP_OK(code == 0 && strstr(out, "  /etc/sudoers                             changed 0, refused 4212, would-deny 0, tamper 0\n") &&
	       strstr(out, "4219 decisions"),
	       "a run's repeats line counts its repeat (1 + 4211 refused)");

	code = run(0, path, out, sizeof(out), 3, future);
	TAP_OK(code == 0 && strstr(out, "; 0 records, 0 decisions") && strstr(out, "Period: 2099-01-01T00:00:00Z .. -"),
	       "--since in the future: an empty period, said (%s)", out);
	code = run(0, path, out, sizeof(out), 3, bad);
	TAP_OK(code == 2, "--top 0: usage error (%d)", code);
	code = run(0, "/nonexistent/audit.log", out, sizeof(out), 1, argv);
	TAP_OK(code == 1, "no log: exit 1 (%d)", code);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return TAP_DONE();
}

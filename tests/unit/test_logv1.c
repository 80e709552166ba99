/* Audit logs of schema version 1 (numbers written as strings in the
 * agent's own records) are still read: `log verify` finds the chain intact,
 * the reader takes a v1 `lost` record's total, the table shows the lines,
 * and a writer of the current schema continues the same chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditlog.h"
#include "json.h"
#include "logread.h"
#include "tap.h"

static char dir[64], path[128];

/* Appends @body (a record without "prev") chained to the previous line. */
static void add(FILE *f, char prev[65], const char *body)
{
	char line[1024];
	uint8_t h[PF_SHA256_LEN];

	if (prev[0])
		snprintf(line, sizeof(line), "%s,\"prev\":\"%s\"}\n", body, prev);
	else
		snprintf(line, sizeof(line), "%s}\n", body);
	fputs(line, f);
	pf_sha256(line, strlen(line), h);
	for (int i = 0; i < PF_SHA256_LEN; i++)
		sprintf(prev + 2 * i, "%02x", h[i]);
}

int main(void)
{
	struct pf_log_verify_result vr;
	struct pf_auditlog_opts o = { .host = "web1" };
	struct pf_auditlog *l = NULL;
	struct pf_logrec rec;
	struct pf_err err;
	char prev[65] = "", cmd[200];
	uint64_t v;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/pf-logv1.XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	f = fopen(path, "w");
	if (!f)
		return 2;
	add(f, prev, "{\"time\":\"2026-11-30T00:00:00.000000000Z\",\"host\":\"web1\",\"seq\":1,"
		     "\"decision\":\"chain-start\",\"v\":1,\"chain\":\"5f5ff10b69a72c958817d89a5cbe32d5\","
		     "\"pid\":10");
	add(f, prev, "{\"time\":\"2026-11-30T00:00:01.000000000Z\",\"host\":\"web1\",\"seq\":2,"
		     "\"decision\":\"mode-change\",\"mode\":\"enforce\",\"from\":\"off\",\"by_uid\":\"0\","
		     "\"pid\":10");
	add(f, prev, "{\"time\":\"2026-11-30T00:00:02.000000000Z\",\"host\":\"web1\",\"seq\":3,"
		     "\"decision\":\"lost\",\"mode\":\"enforce\",\"count\":\"29425\",\"total\":\"29425\","
		     "\"pid\":10");
	fclose(f);

	TAP_OK(pf_log_verify(path, &vr) == 0 && vr.problem == PF_LOG_OK && vr.records == 3 &&
		       vr.anchored,
	       "log verify: a version-1 log is intact (%s)", vr.detail);

	f = fopen(path, "r");
	{
		char line[1024];
		int n = 0;
		while (f && fgets(line, sizeof(line), f))
			if (++n == 3)
				break;
		if (f)
			fclose(f);
		TAP_OK(pf_logrec_parse(line, strlen(line), &rec) == 0 &&
			       pf_logrec_str_eq(&rec, "decision", "lost") &&
			       pf_logrec_u64(&rec, "total", &v) != 0,
		       "a v1 lost record's total is a string, not a number");
		{
			struct pf_buf b;

			pf_buf_init(&b);
			TAP_OK(pf_log_format_human(&rec, 0, &b) == 0 && b.data && strstr(b.data, "lost"),
			       "the log table shows a v1 lost record: %s", b.data ? b.data : "");
			pf_buf_free(&b);
		}
	}

	/* the current writer continues the chain */
	TAP_OK(pf_auditlog_open(path, &o, &l, &err) == 0, "a writer opens a v1 log (%s)", l ? "" : err.msg);
	if (l) {
		struct pf_json j;
		struct pf_buf b;

		pf_buf_init(&b);
		pf_auditlog_record_begin(l, &j, &b, "lost");
		pf_json_key(&j, "count");
		pf_json_uint(&j, 3);
		pf_json_key(&j, "total");
		pf_json_uint(&j, 29428);
		TAP_OK(pf_auditlog_record_end(l, &j, &b) == 0, "a v2 lost record appended");
		pf_buf_free(&b);
		pf_auditlog_close(l);
	}
	TAP_OK(pf_log_verify(path, &vr) == 0 && vr.problem == PF_LOG_OK && vr.records == 4 &&
		       vr.last_seq == 4,
	       "log verify: one chain across versions 1 and 2 (%s)", vr.detail);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 2;
	return TAP_DONE();
}

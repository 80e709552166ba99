/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Prometheus textfile exposition. */
#include <string.h>

#include "tap.h"
#include "metrics.h"
#include "permafrost.h"

static void test_full(void)
{
	struct pf_metrics m = {
		.denials = 3, .would_denials = 4, .approved = 5, .tamper = 6, .lost = 7,
		.events_logged = 18, .log_errors = 0, .live_approvals = 2,
		.log_unwritable = 1, .log_missed = 29,
		.mode = PF_MODE_ENFORCE, .mode_since_s = 1796000000, .agent_start_s = 1795999000,
	};
	static const char *const want[] = {
		"permafrost_denials_total 3\n", "permafrost_would_denials_total 4\n",
		"permafrost_approved_total 5\n", "permafrost_tamper_total 6\n",
		"permafrost_lost_events_total 7\n", "permafrost_events_logged_total 18\n",
		"permafrost_audit_log_errors_total 0\n", "permafrost_live_approvals 2\n",
		"permafrost_audit_log_unwritable 1\n", "permafrost_audit_log_missed_total 29\n",
		"# TYPE permafrost_audit_log_unwritable gauge\n",
		"permafrost_mode{mode=\"off\"} 0\n", "permafrost_mode{mode=\"audit\"} 0\n",
		"permafrost_mode{mode=\"enforce\"} 1\n",
		"permafrost_mode_since_seconds 1796000000\n",
		"permafrost_agent_start_time_seconds 1795999000\n", "permafrost_frozen 1\n",
		"# TYPE permafrost_denials_total counter\n", "# TYPE permafrost_live_approvals gauge\n",
		"# TYPE permafrost_mode gauge\n",
	};
	struct pf_buf b;
	size_t samples = 0;

	pf_buf_init(&b);
	TAP_OK(pf_metrics_format(&m, &b) == 0, "formats");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		TAP_OK(b.data && strstr(b.data, want[i]), "has %.*s", (int)strlen(want[i]) - 1, want[i]);
	/* every line is a comment or "name[{labels}] value", and ends in '\n' */
	for (const char *l = b.data, *nl; l && *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			break;
		if (*l != '#')
			samples++;
	}
	TAP_OK(b.len > 0 && b.data[b.len - 1] == '\n', "ends in a newline");
	TAP_OK(samples == 16, "16 samples (got %zu)", samples);
	TAP_OK(!strstr(b.data, "permafrost_next_transition_seconds"), "no windows: no next transition");
	pf_buf_free(&b);

	m.mode = PF_MODE_OFF;
	pf_buf_init(&b);
	pf_metrics_format(&m, &b);
	TAP_OK(b.data && strstr(b.data, "permafrost_mode{mode=\"off\"} 1\n") &&
	       strstr(b.data, "permafrost_mode{mode=\"enforce\"} 0\n"), "mode off: only off is 1");
	TAP_OK(strstr(b.data, "permafrost_frozen 0\n") != NULL, "mode off: not frozen");
	pf_buf_free(&b);

	m.has_schedule = 1;
	m.next_transition_s = 3600;
	pf_buf_init(&b);
	pf_metrics_format(&m, &b);
	TAP_OK(strstr(b.data, "# TYPE permafrost_next_transition_seconds gauge\npermafrost_next_transition_seconds 3600\n") != NULL,
	       "windows: seconds to the next transition");
	pf_buf_free(&b);
}

int main(void)
{
	test_full();
	return TAP_DONE();
}

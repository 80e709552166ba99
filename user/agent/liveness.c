/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Liveness: the heartbeat (STATE_DIR/heartbeat, every 5 s), the gap record
 * a start writes about the time no agent ran, and the metrics file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent.h"
#include "auditlog.h"
#include "metrics.h"
#include "util.h"

#define HEARTBEAT_NS (5 * 1000000000LL)
#define METRICS_NS (2 * 1000000000LL)

/* "v1 BOOT_ID UNIX_NS MODE\n". On start it bounds how long the previous
 * agent has been gone (the last audit record may be much older than the
 * agent's death). The time is the token clock's: a wall clock set back
 * does not lower the floor. */
static void write_heartbeat(struct agent *a)
{
	char path[PATH_MAX], line[160];
	int n, r;

	snprintf(path, sizeof(path), "%s/heartbeat", a->paths.state_dir);
	n = snprintf(line, sizeof(line), "v1 %s %lld %s\n", a->live.boot_id,
		     (long long)token_clock_ns(a), pf_mode_name((uint32_t)agent_mode(a)));
	r = pf_write_file_atomic(path, line, (size_t)n, 0600);
	if (r < 0)
		warnx_("heartbeat %s: %s", path, strerror(-r));
}

struct heartbeat {
	char boot[64];
	int64_t at_ns;
	char mode[16];
};

static int read_heartbeat(struct agent *a, struct heartbeat *hb)
{
	char path[PATH_MAX], *buf = NULL;
	long long at;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/heartbeat", a->paths.state_dir);
	r = pf_read_file(path, 256, &buf, &len);
	if (r < 0)
		return r;
	r = sscanf(buf, "v1 %63s %lld %15s", hb->boot, &at, hb->mode);
	free(buf);
	if (r != 3 || at <= 0) {
		warnx_("heartbeat %s: not \"v1 BOOT_ID UNIX_NS MODE\"; ignored", path);
		return -EINVAL;
	}
	hb->at_ns = at;
	return 0;
}

/* What the kernel did while no agent ran. */
static void enforcement_then(struct agent *a, const struct heartbeat *hb, int have_hb,
			     int had_pins, const char *down, char *out, size_t outsz)
{
	const char *mode = pf_mode_name((uint32_t)agent_mode(a));
	char up[64];

	if (have_hb && strcmp(hb->boot, a->live.boot_id) != 0) {
		pf_auditlog_duration(boot_now_ns(), up, sizeof(up));
		snprintf(out, outsz,
			 "off: the host rebooted (booted %s ago); nothing enforced from the previous "
			 "boot's shutdown until now, at most %s (mode then: %s)",
			 up, down, hb->mode);
	} else if (had_pins) {
		snprintf(out, outsz,
			 "continued: the pinned programs kept enforcing (mode %s); kernel events "
			 "beyond the ring buffer's capacity are counted as lost",
			 mode);
	} else if (agent_mode(a) != PF_MODE_OFF) {
		snprintf(out, outsz,
			 "off: no pinned programs were found although the host is in mode %s; "
			 "nothing enforced for at most %s",
			 mode, down);
	} else {
		snprintf(out, outsz, "off: the host was thawed (mode off)");
	}
}

void log_downtime(struct agent *a, int had_pins)
{
	struct heartbeat hb = { 0 };
	int64_t now = pf_now_ns(), from = pf_auditlog_last_time_ns(a->ev.log);
	int have_hb = read_heartbeat(a, &hb) == 0;
	char enf[512], d[64];

	if (have_hb)
		/* the clock for tokens starts no earlier than the last heartbeat */
		pf_wallclock_raise(&a->apr.clock, hb.at_ns, boot_now_ns());
	if (have_hb && hb.at_ns > from && hb.at_ns <= now)
		from = hb.at_ns;
	if (from <= 0)
		return; /* a new log: nothing was missed */
	pf_auditlog_duration(now - from, d, sizeof(d));
	enforcement_then(a, &hb, have_hb, had_pins, d, enf, sizeof(enf));
	if (pf_auditlog_gap(a->ev.log, from, now, NULL, enf) < 0) {
		a->ev.log_errors++;
		warnx_("audit log %s: the gap record could not be written: agent down %s; %s",
		       a->paths.log, d, enf);
	}
	if (strncmp(enf, "off:", 4) == 0 && strstr(enf, "thawed") == NULL)
		warnx_("enforcement was off: %s", enf + 5);
	if (a->pol->syslog)
		syslog(LOG_WARNING, "gap down=%s enforcement=\"%s\"", d, enf);
}

static void write_metrics(struct agent *a)
{
	struct pf_metrics m = { 0 };
	struct pf_buf b;
	int r;

	m.denials = counter(a, PF_DEC_DENY);
	m.would_denials = counter(a, PF_DEC_WOULD_DENY);
	m.approved = counter(a, PF_DEC_APPROVED);
	m.tamper = counter(a, PF_DEC_TAMPER);
	m.lost = lost_total(a);
	m.events_logged = a->ev.logged;
	m.log_errors = a->ev.log_errors;
	m.log_unwritable = a->ev.in_outage;
	m.log_missed = events_missed(a);
	m.live_approvals = approvals_live(a);
	m.mode = agent_mode(a);
	m.mode_since_s = a->st.since;
	m.agent_start_s = a->live.started_ns / 1000000000LL;
	m.has_schedule = a->pol->n_windows > 0;
	m.next_transition_s = schedule_next_transition_s(a);
	pf_buf_init(&b);
	if (pf_metrics_format(&m, &b) == 0) {
		r = pf_write_file_atomic(a->pol->metrics_file, b.data, b.len, 0644);
		if (r < 0)
			warnx_("metrics-file %s: %s", a->pol->metrics_file, strerror(-r));
	}
	pf_buf_free(&b);
}

void liveness_tick(struct agent *a)
{
	int64_t now = boot_now_ns();

	if (now >= a->live.heartbeat_at) {
		write_heartbeat(a);
		a->live.heartbeat_at = now + HEARTBEAT_NS;
	}
	if (a->pol->metrics_file && now >= a->live.metrics_at) {
		write_metrics(a);
		a->live.metrics_at = now + METRICS_NS;
	}
}

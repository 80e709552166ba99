/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's per-event work on the host's own CPU (no emulation): N
 * synthetic ring-buffer events, each formatted as an audit line
 * (pf_event_to_json) and appended to a chained audit log (SHA-256, one
 * write per batch, as the agent does; --single: one write per line), with
 * rotation and gzip (the compressor's threads, logzip.c) as the agent does.
 * The time runs until the last rotated file is compressed.
 * Prints "evpipe events=N seconds=S events_per_s=R cpu_s=C ..." (cpu: the
 * process; event_path_cpu: the thread that formats and writes, without the
 * compressor's threads).
 *
 * usage: evpipe DIR N [--single] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "auditlog.h"
#include "event.h"
#include "json.h"
#include "util.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_of(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The whole process (the compression thread included), and the event
 * path's own thread. */
static double cpu_s(void)
{
	return cpu_of(RUSAGE_SELF);
}

static double cpu_main_s(void)
{
	return cpu_of(RUSAGE_THREAD);
}

int main(int argc, char **argv)
{
	struct pf_auditlog_opts o = { .host = "bench", .max_size = 64ULL << 20, .keep = 2 };
	struct pf_auditlog *l;
	struct pf_event e;
	struct pf_buf b;
	char path[4096];
	struct pf_err err;
	double t0, c0, m0, t, c, m;
	int single = argc == 4 && strcmp(argv[3], "--single") == 0;
	unsigned long batches = 0;
	long n;

	if ((argc != 3 && !single) || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: evpipe DIR N [--single]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/audit.log", argv[1]);
	if (pf_auditlog_open(path, &o, &l, &err) < 0) {
		fprintf(stderr, "evpipe: %s\n", err.msg);
		return 1;
	}
	memset(&e, 0, sizeof(e));
	e.ts_boot_ns = 12345000000000ULL;
	e.cgroup_id = 4242;
	e.dev = (254ULL << 20) | 1;
	e.ino = 131;
	e.pid = e.tgid = 1234;
	e.ppid = 1;
	e.op = PF_OP_OPEN_WRITE;
	e.decision = PF_DEC_WOULD_DENY;
	e.mode = PF_MODE_AUDIT;
	e.rule_id = 3;
	memcpy(e.comm, "nginx", 5);
	memcpy(e.path, "nginx.conf\0nginx\0etc\0", 21);
	e.path_len = 21;
	memcpy(e.exe, "nginx\0sbin\0usr\0", 15);
	e.exe_len = 15;
	pf_buf_init(&b);
	t0 = now_s();
	c0 = cpu_s();
	m0 = cpu_main_s();
	for (long i = 0; i < n; i++) {
		struct pf_event_ctx ec = { .boot_to_real_ns = 1700000000000000000LL, .host = "bench",
					   .seq = pf_auditlog_next_seq(l), .unit = "nginx.service" };
		pf_buf_reset(&b);
		e.ts_boot_ns += 1000;
		if (!single && pf_auditlog_batch_full(l)) {
			if (pf_auditlog_batch_commit(l) < 0) {
				fprintf(stderr, "evpipe: batch before event %ld failed\n", i);
				return 1;
			}
			/* the agent syncs once per pass of its loop: after at
			 * most 64 batches (events.c, DRAIN_BATCHES) */
			if (++batches % 64 == 0)
				pf_auditlog_sync(l);
		}
		ec.seq = pf_auditlog_next_seq(l);
		if (pf_event_to_json(&e, &ec, &b) < 0 ||
		    (single ? pf_auditlog_append_own(l, b.data, b.len)
			    : pf_auditlog_batch_add_own(l, b.data, b.len)) < 0) {
			fprintf(stderr, "evpipe: event %ld failed\n", i);
			return 1;
		}
		if (single && (i & 1023) == 1023)
			pf_auditlog_sync(l);
	}
	if (pf_auditlog_batch_commit(l) < 0) {
		fprintf(stderr, "evpipe: the last batch failed\n");
		return 1;
	}
	pf_auditlog_sync(l);
	m = cpu_main_s() - m0;
	pf_auditlog_wait(l);
	t = now_s() - t0;
	c = cpu_s() - c0;
	printf("evpipe events=%ld seconds=%.3f events_per_s=%.0f cpu_s=%.3f cpu_ms_per_100k=%.0f "
	       "event_path_cpu_ms_per_100k=%.0f\n",
	       n, t, (double)n / t, c, c * 1000.0 * 100000.0 / (double)n,
	       m * 1000.0 * 100000.0 / (double)n);
	pf_auditlog_close(l);
	pf_buf_free(&b);
	return 0;
}

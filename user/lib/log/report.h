/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `permafrost report`: what was changed, attempted and refused on this host
 * in a period, from the audit log (every rotated file), grouped by actor
 * (each AI agent, and humans: records without an "agent"), by systemd unit,
 * by path and by ticket, with the approvers of every approved change.
 *
 *   permafrost report [--file PATH] [--since T] [--until T] [--top N] [--json]
 *
 * Counted per group: changed (approved), refused (deny), would-deny,
 * tamper. Limits: PF_REPORT_MAX_GROUPS distinct keys per grouping (the
 * rest are counted under "(other)", said in the output); the text shows the
 * first N units and paths by events (--top, default 20), JSON all kept.
 * Exit codes as `permafrost log`: 0, 1 (an unreadable log), 2 (usage). */
#ifndef PF_REPORT_H
#define PF_REPORT_H

#define PF_REPORT_MAX_GROUPS 10000
#define PF_REPORT_TOP_DEFAULT 20

int pf_cli_report(int argc, char **argv, int json, const char *default_path);

#endif

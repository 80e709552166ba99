/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names of the kernel's enums and the audit-log line for one ring-buffer
 * event. Every field of a struct pf_event comes from the kernel through the
 * ring buffer and is treated as untrusted: unknown enum values get the name
 * "unknown", lengths are clamped to the arrays they describe. */
#ifndef PF_EVENT_H
#define PF_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "permafrost.h"
#include "buf.h"

/* Longest string pf_event_path() can produce, NUL included: every byte of
 * path[] becomes at most one output byte, plus "/..." and the leading '/'. */
#define PF_EVENT_PATH_MAX (PF_PATH_BYTES + 8)

const char *pf_op_name(uint32_t op);             /* "open-write", ..., "unknown" */
const char *pf_decision_name(uint32_t decision); /* "deny", ..., "unknown" */
const char *pf_mode_name(uint32_t mode);         /* "off", "audit", "enforce", "unknown" */
int pf_mode_parse(const char *s);                /* enum pf_mode, or -EINVAL */

/* Joins the event's path components (stored leaf first) into "/a/b/c",
 * NUL-terminated in out. An empty path is "/". With PF_PATH_TRUNCATED the
 * path starts with a "..." component: "/.../b/c". Empty components and a
 * component that is exactly "/" (a root dentry's name) are skipped.
 * Returns the length (without the NUL) or -EINVAL / -ENOBUFS (out is too
 * small; PF_EVENT_PATH_MAX always suffices); out is untouched on failure. */
int pf_event_path(const struct pf_event *e, char *out, size_t outsz);
/* The same for the caller's executable (exe[]); returns 0 and leaves out
 * untouched when the event carries none (exe_len 0: a kernel thread). */
int pf_event_exe(const struct pf_event *e, char *out, size_t outsz);

struct pf_event_ctx {
	int64_t boot_to_real_ns; /* add to ts_boot_ns for wall clock */
	const char *host;        /* omitted from the line when NULL */
	uint64_t seq;
	/* What the agent adds from user space; each omitted when NULL. */
	const char *exe;         /* the caller's executable (/proc/PID/exe) */
	const char *unit;        /* its systemd unit (from its cgroup) */
	const char *token;       /* approved: the approval token's id ... */
	const char *ticket;      /* ... and its ticket */
	/* The AI agent's tree the caller belongs to (e->ai_agent not 0):
	 * its name (NULL: "#INDEX") and the file whose exec
	 * marked it (NULL: "MAJOR:MINOR:INO"). */
	const char *ai_agent;
	const char *ai_root_exe;
	/* A run's repeats (struct pf_repeat, permafrost.h): e is the run's
	 * first decision with ts_boot_ns its last repeat's time; 0: none. */
	uint64_t repeat;         /* the repeats */
	uint64_t first_boot_ns;  /* the run's first decision */
	uint64_t of_seq;         /* the line of that decision; 0: not known
				    (then e has the run's key only: the names,
				    ids and AI agent fields are left out) */
};

/* Appends exactly one JSON object followed by '\n' to out:
 *   {"time":"2026-11-29T23:18:45.123456789Z","host":"h","seq":1,
 *    "decision":"deny","mode":"enforce","op":"open-write","path":"/etc/passwd",
 *    ["path_hex":"...",]["path_truncated":true,]["path_scope":"fs",]
 *    "dev":"254:0","ino":1,"pid":1,"tid":1,"ppid":1,"uid":0,"gid":0,
 *    "comm":"vi","cgroup_id":1[,"exe":"..."][,"unit":"..."]
 *    [,"rule":N|"too-deep"|"blkdev"][,"token":"...","ticket":"..."]
 *    [,"agent":"NAME","agent_root_pid":N,"agent_root_exe":"...",
 *     "agent_age_ms":N]
 *    [,"repeat":N,"first":"TIME","last":"TIME"[,"of":SEQ]]}
 * The agent fields appear for a caller in an AI agent's process tree:
 * the agent, the process that exec'd its file first (the tree's root),
 * that file, and how long before this event it did.
 * The repeat fields appear for a run's repeats (ctx->repeat): N more
 * decisions like the line `of` (the run's first, at "first"), the last at
 * "last" (also the line's "time" and "boot_ns"). Without `of` the first
 * line was not seen (an agent restarted in between): the line has the
 * key only, without path, comm, exe, ppid, uid, gid, cgroup_id, unit or
 * agent.
 * "pid" is the process (tgid), "tid" the thread. "path_hex" (the raw joined
 * path bytes) appears only when the path is not valid UTF-8. A time before
 * the epoch is written as the epoch. Returns 0, or -EINVAL / -ENOMEM; on
 * failure out is left as it was. */
int pf_event_to_json(const struct pf_event *e, const struct pf_event_ctx *ctx,
		     struct pf_buf *out);

/* The same event as one syslog line, key fields only, no time or host (the
 * syslog header has them), NUL-terminated in out and without '\n':
 *   deny op=open-write path="/etc/passwd" dev=254:0 ino=1 pid=1 ppid=1
 *   uid=0 comm="vi" [exe="/usr/bin/vi"] [unit="x.service"]
 *   [token="..." ticket="..."] [agent="claude" agent_root_pid=7]
 *   [repeat=N of=SEQ] seq=1
 * Strings are JSON-escaped and quoted, so a hostile path cannot forge a
 * second line or a field. Returns 0, or -EINVAL / -ENOMEM. */
int pf_event_to_text(const struct pf_event *e, const struct pf_event_ctx *ctx,
		     struct pf_buf *out);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Enum names and the audit-log formatter; see event.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "json.h"

static const char *const op_names[PF_OP__COUNT] = {
	[PF_OP_OPEN_WRITE] = "open-write",
	[PF_OP_OPEN_TRUNC] = "open-trunc",
	[PF_OP_WRITE] = "write",
	[PF_OP_TRUNCATE] = "truncate",
	[PF_OP_MMAP_WRITE] = "mmap-write",
	[PF_OP_CREATE] = "create",
	[PF_OP_MKNOD] = "mknod",
	[PF_OP_MKDIR] = "mkdir",
	[PF_OP_RMDIR] = "rmdir",
	[PF_OP_UNLINK] = "unlink",
	[PF_OP_LINK] = "link",
	[PF_OP_SYMLINK] = "symlink",
	[PF_OP_RENAME] = "rename",
	[PF_OP_CHMOD] = "chmod",
	[PF_OP_CHOWN] = "chown",
	[PF_OP_SETATTR] = "setattr",
	[PF_OP_SETXATTR] = "setxattr",
	[PF_OP_REMOVEXATTR] = "removexattr",
	[PF_OP_SETACL] = "setacl",
	[PF_OP_SETFLAGS] = "setflags",
	[PF_OP_MOUNT] = "mount",
	[PF_OP_UMOUNT] = "umount",
	[PF_OP_REMOUNT] = "remount",
	[PF_OP_BLKDEV_WRITE] = "blkdev-write",
	[PF_OP_BPF_OBJ] = "bpf-object",
	[PF_OP_SIGNAL] = "signal",
	[PF_OP_PTRACE] = "ptrace",
	[PF_OP_MODULE] = "module-load",
	[PF_OP_KEXEC] = "kexec-load",
	[PF_OP_AGENT_EXEC] = "agent-exec",
	[PF_OP_PRCTL_EXE] = "prctl-exe",
	[PF_OP_CGROUP_KILL] = "cgroup-kill",
	[PF_OP_PINS] = "pins",
	[PF_OP_AI_SOCKET] = "agent-socket",
	[PF_OP_AI_SSH] = "agent-ssh",
};

const char *pf_op_name(uint32_t op)
{
	if (op >= PF_OP__COUNT || !op_names[op])
		return "unknown";
	return op_names[op];
}

const char *pf_decision_name(uint32_t decision)
{
	switch (decision) {
	case PF_DEC_DENY: return "deny";
	case PF_DEC_WOULD_DENY: return "would-deny";
	case PF_DEC_APPROVED: return "approved";
	case PF_DEC_TAMPER: return "tamper";
	}
	return "unknown";
}

static const char *const mode_names[] = {
	[PF_MODE_OFF] = "off",
	[PF_MODE_AUDIT] = "audit",
	[PF_MODE_ENFORCE] = "enforce",
};

const char *pf_mode_name(uint32_t mode)
{
	if (mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "unknown";
	return mode_names[mode];
}

int pf_mode_parse(const char *s)
{
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* Joins names stored leaf first in p[0..min(used, size)) (see
 * pf_event_path). */
static int join_names(const char *p, uint32_t used, size_t size, uint32_t flags, char *out,
		      size_t outsz)
{
	char tmp[PF_EVENT_PATH_MAX];
	size_t n, end, start, len = 0, clen;

	n = used > size ? size : used;
	if (flags & PF_PATH_TRUNCATED) {
		memcpy(tmp, "/...", 4);
		len = 4;
	}
	/* Walk components from the root end (the last one) to the leaf (the
	 * first). A component is terminated by a NUL or by the end of the
	 * used bytes. */
	end = n;
	while (end > 0) {
		/* the component ending at end (exclusive) starts after the
		 * previous NUL, if any; skip the NUL that terminates it */
		if (p[end - 1] == '\0') {
			end--;
			if (end == 0)
				break;
			if (p[end - 1] == '\0')
				continue; /* empty component */
		}
		start = end;
		while (start > 0 && p[start - 1] != '\0')
			start--;
		clen = end - start;
		if (!(clen == 1 && p[start] == '/')) {
			/* len + 1 + clen <= 4 + (bytes consumed so far),
			 * bounded by PF_PATH_BYTES + 4 < sizeof(tmp) */
			tmp[len++] = '/';
			memcpy(tmp + len, p + start, clen);
			len += clen;
		}
		end = start;
	}
	if (len == 0)
		tmp[len++] = '/';
	if (len + 1 > outsz)
		return -ENOBUFS;
	memcpy(out, tmp, len);
	out[len] = '\0';
	return (int)len;
}

int pf_event_path(const struct pf_event *e, char *out, size_t outsz)
{
	if (!e || !out)
		return -EINVAL;
	return join_names(e->path, e->path_len, PF_PATH_BYTES, e->path_flags, out, outsz);
}

int pf_event_exe(const struct pf_event *e, char *out, size_t outsz)
{
	if (!e || !out)
		return -EINVAL;
	if (e->exe_len == 0)
		return 0;
	return join_names(e->exe, e->exe_len, PF_EXE_BYTES, e->exe_flags, out, outsz);
}

/* Wall-clock nanoseconds since the epoch, clamped to 0..INT64_MAX. */
static int64_t real_ns(uint64_t ts_boot, int64_t off)
{
	int64_t ts = ts_boot > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)ts_boot;
	int64_t r;

	if (__builtin_add_overflow(ts, off, &r))
		r = off > 0 ? INT64_MAX : 0;
	return r < 0 ? 0 : r;
}

/* The AI agent's name and root file, from the context or made up. */
static const char *ai_name(const struct pf_event *e, const struct pf_event_ctx *ctx, char *buf,
			   size_t size)
{
	if (ctx->ai_agent)
		return ctx->ai_agent;
	snprintf(buf, size, "#%u", e->ai_agent - 1);
	return buf;
}

static const char *ai_root(const struct pf_event *e, const struct pf_event_ctx *ctx, char *buf,
			   size_t size)
{
	if (ctx->ai_root_exe)
		return ctx->ai_root_exe;
	snprintf(buf, size, "%llu:%llu:%llu", (unsigned long long)(e->ai_root_dev >> 20),
		 (unsigned long long)(e->ai_root_dev & 0xfffff), (unsigned long long)e->ai_root_ino);
	return buf;
}

/* @ns as "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ" in @ts. */
static int format_ts(int64_t ns, char ts[64])
{
	time_t secs = (time_t)(ns / 1000000000);
	/* The date and time to the second change once a second: a burst of
	 * events formats them once (single-threaded callers, as the agent). */
	static time_t cached_secs = -1;
	static char cached[48];
	static size_t cached_len;
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	int n;

	if (secs != cached_secs) {
		if (!gmtime_r(&secs, &tm))
			return -EINVAL;
		n = snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec);
		if (n < 0 || (size_t)n >= sizeof(cached))
			return -EINVAL;
		cached_len = (size_t)n;
		cached_secs = secs;
	}
	/* ts (64 bytes) holds the prefix (< 48), '.', 9 digits, 'Z' */
	memcpy(ts, cached, cached_len);
	ts[cached_len] = '.';
	for (size_t i = cached_len + 9; i > cached_len; i--) {
		ts[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	ts[cached_len + 10] = 'Z';
	ts[cached_len + 11] = '\0';
	return 0;
}

/* A formatter's end: on @failed, out is put back as it was (from @start). */
static int finish(struct pf_buf *out, size_t start, int failed)
{
	if (!failed)
		return 0;
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	out->oom = 0;
	return -ENOMEM;
}

/* What both formatters start with: argument checks, the default context,
 * the joined path (its length returned) and the executable (the context's,
 * else the kernel's, else NULL). */
static int event_names(const struct pf_event *e, const struct pf_event_ctx **ctx,
		       const struct pf_buf *out, char path[PF_EVENT_PATH_MAX],
		       char exebuf[PF_EVENT_PATH_MAX], const char **exe)
{
	static const struct pf_event_ctx zero_ctx;
	int plen;

	if (!e || !out)
		return -EINVAL;
	if (out->oom)
		return -ENOMEM;
	if (!*ctx)
		*ctx = &zero_ctx;
	plen = pf_event_path(e, path, PF_EVENT_PATH_MAX);
	if (plen < 0)
		return plen;
	*exe = (*ctx)->exe ? (*ctx)->exe
			   : pf_event_exe(e, exebuf, PF_EVENT_PATH_MAX) > 0 ? exebuf : NULL;
	return plen;
}

int pf_event_to_json(const struct pf_event *e, const struct pf_event_ctx *ctx,
		     struct pf_buf *out)
{
	char path[PF_EVENT_PATH_MAX], exebuf[PF_EVENT_PATH_MAX], ts[64], fts[64] = "", dev[48];
	const char *exe;
	struct pf_buf hex;
	struct pf_json j;
	size_t start;
	int plen, names;

	plen = event_names(e, &ctx, out, path, exebuf, &exe);
	if (plen < 0)
		return plen;
	/* a run's repeats whose first line was not seen: the key only */
	names = !ctx->repeat || ctx->of_seq;
	if (format_ts(real_ns(e->ts_boot_ns, ctx->boot_to_real_ns), ts) < 0)
		return -EINVAL;
	start = out->len;
	pf_json_init(&j, out, 0);
	pf_json_obj_begin(&j);
	PF_JSON_KEY_LIT(&j, "time");
	pf_json_str(&j, ts);
	if (ctx->host) {
		PF_JSON_KEY_LIT(&j, "host");
		pf_json_str(&j, ctx->host);
	}
	PF_JSON_KEY_LIT(&j, "seq");
	pf_json_uint(&j, ctx->seq);
	PF_JSON_KEY_LIT(&j, "decision");
	pf_json_str(&j, pf_decision_name(e->decision));
	PF_JSON_KEY_LIT(&j, "mode");
	pf_json_str(&j, pf_mode_name(e->mode));
	PF_JSON_KEY_LIT(&j, "op");
	pf_json_str(&j, pf_op_name(e->op));
	if (names)
		PF_JSON_KEY_LIT(&j, "path");
	if (names && pf_json_strn(&j, path, (size_t)plen)) {
		pf_buf_init(&hex);
		pf_hex(&hex, path, (size_t)plen);
		PF_JSON_KEY_LIT(&j, "path_hex");
		if (hex.oom)
			out->oom = 1;
		else
			pf_json_strn(&j, hex.data, hex.len);
		pf_buf_free(&hex);
	}
	if (names && (e->path_flags & PF_PATH_TRUNCATED)) {
		PF_JSON_KEY_LIT(&j, "path_truncated");
		pf_json_bool(&j, 1);
	}
	if (names && (e->path_flags & PF_PATH_FSROOT)) {
		PF_JSON_KEY_LIT(&j, "path_scope");
		pf_json_str(&j, "fs");
	}
	PF_JSON_KEY_LIT(&j, "dev");
	{
		/* "MAJOR:MINOR" without printf */
		uint64_t part[2] = { e->dev >> 20, e->dev & 0xfffff };
		size_t dl = 0;

		for (int k = 0; k < 2; k++) {
			char d[24];
			int m = (int)sizeof(d);
			uint64_t v = part[k];

			do {
				d[--m] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			if (k)
				dev[dl++] = ':';
			memcpy(dev + dl, d + m, sizeof(d) - (size_t)m);
			dl += sizeof(d) - (size_t)m;
		}
		pf_json_strn(&j, dev, dl);
	}
	PF_JSON_KEY_LIT(&j, "ino");
	pf_json_uint(&j, e->ino);
	PF_JSON_KEY_LIT(&j, "pid");
	pf_json_uint(&j, e->tgid);
	PF_JSON_KEY_LIT(&j, "tid");
	pf_json_uint(&j, e->pid);
	if (names) {
		PF_JSON_KEY_LIT(&j, "ppid");
		pf_json_uint(&j, e->ppid);
		PF_JSON_KEY_LIT(&j, "uid");
		pf_json_uint(&j, e->uid);
		PF_JSON_KEY_LIT(&j, "gid");
		pf_json_uint(&j, e->gid);
	}
	PF_JSON_KEY_LIT(&j, "boot_ns");
	pf_json_uint(&j, e->ts_boot_ns);
	if (names) {
		PF_JSON_KEY_LIT(&j, "comm");
		pf_json_strn(&j, e->comm, strnlen(e->comm, sizeof(e->comm)));
		PF_JSON_KEY_LIT(&j, "cgroup_id");
		pf_json_uint(&j, e->cgroup_id);
	}
	if (names && exe) {
		PF_JSON_KEY_LIT(&j, "exe");
		pf_json_str(&j, exe);
	}
	if (names && ctx->unit) {
		PF_JSON_KEY_LIT(&j, "unit");
		pf_json_str(&j, ctx->unit);
	}
	if (e->rule_id != PF_RULEID_NONE) {
		PF_JSON_KEY_LIT(&j, "rule");
		if (e->rule_id == PF_RULEID_TOO_DEEP)
			pf_json_str(&j, "too-deep");
		else if (e->rule_id == PF_RULEID_BLKDEV)
			pf_json_str(&j, "blkdev");
		else if (e->rule_id == PF_RULEID_ANCESTOR)
			pf_json_str(&j, "ancestor");
		else if (e->rule_id == PF_RULEID_SELF_RO || e->rule_id == PF_RULEID_SELF_RW)
			pf_json_str(&j, "self-file");
		else if (e->rule_id == PF_RULEID_SELF_FS)
			pf_json_str(&j, "self-fs");
		else if (e->rule_id == PF_RULEID_SELF)
			pf_json_str(&j, "self");
		else if (e->rule_id == PF_RULEID_AI_ONLY)
			pf_json_str(&j, "agent-only");
		else if (e->rule_id == PF_RULEID_AI_ROUTE)
			pf_json_str(&j, "agent-route");
		else
			pf_json_uint(&j, e->rule_id);
	}
	if (ctx->token) {
		PF_JSON_KEY_LIT(&j, "token");
		pf_json_str(&j, ctx->token);
	}
	if (ctx->ticket) {
		PF_JSON_KEY_LIT(&j, "ticket");
		pf_json_str(&j, ctx->ticket);
	}
	if (names && e->ai_agent) {
		char idx[16], root[64];

		pf_json_key(&j, "agent");
		pf_json_str(&j, ai_name(e, ctx, idx, sizeof(idx)));
		pf_json_key(&j, "agent_root_pid");
		pf_json_uint(&j, e->ai_root_pid);
		pf_json_key(&j, "agent_root_exe");
		pf_json_str(&j, ai_root(e, ctx, root, sizeof(root)));
		pf_json_key(&j, "agent_age_ms");
		pf_json_uint(&j, e->ts_boot_ns > e->ai_marked_ns
					 ? (e->ts_boot_ns - e->ai_marked_ns) / 1000000 : 0);
	}
	if (ctx->repeat) {
		PF_JSON_KEY_LIT(&j, "repeat");
		pf_json_uint(&j, ctx->repeat);
		PF_JSON_KEY_LIT(&j, "first");
		if (format_ts(real_ns(ctx->first_boot_ns, ctx->boot_to_real_ns), fts) < 0)
			j.misuse = 1;
		pf_json_str(&j, fts);
		PF_JSON_KEY_LIT(&j, "last");
		pf_json_str(&j, ts);
		if (ctx->of_seq) {
			PF_JSON_KEY_LIT(&j, "of");
			pf_json_uint(&j, ctx->of_seq);
		}
	}
	pf_json_obj_end(&j);
	pf_buf_putc(out, '\n');
	return finish(out, start, out->oom || j.misuse);
}

static void text_str(struct pf_buf *out, const char *key, const char *v, size_t n)
{
	pf_buf_putc(out, ' ');
	pf_buf_puts(out, key);
	pf_buf_putc(out, '=');
	pf_json_escape(out, v, n);
}

int pf_event_to_text(const struct pf_event *e, const struct pf_event_ctx *ctx,
		     struct pf_buf *out)
{
	char path[PF_EVENT_PATH_MAX], exebuf[PF_EVENT_PATH_MAX], num[160];
	const char *exe;
	size_t start;
	int plen;

	plen = event_names(e, &ctx, out, path, exebuf, &exe);
	if (plen < 0)
		return plen;
	start = out->len;
	pf_buf_puts(out, pf_decision_name(e->decision));
	pf_buf_puts(out, " op=");
	pf_buf_puts(out, pf_op_name(e->op));
	if (!ctx->repeat || ctx->of_seq) {
		text_str(out, "path", path, (size_t)plen);
		snprintf(num, sizeof(num), " dev=%llu:%llu ino=%llu pid=%u ppid=%u uid=%u",
			 (unsigned long long)(e->dev >> 20), (unsigned long long)(e->dev & 0xfffff),
			 (unsigned long long)e->ino, e->tgid, e->ppid, e->uid);
		pf_buf_puts(out, num);
		text_str(out, "comm", e->comm, strnlen(e->comm, sizeof(e->comm)));
		if (exe)
			text_str(out, "exe", exe, strlen(exe));
		if (ctx->unit)
			text_str(out, "unit", ctx->unit, strlen(ctx->unit));
	} else {
		/* the key only (see pf_event_to_json) */
		snprintf(num, sizeof(num), " dev=%llu:%llu ino=%llu pid=%u",
			 (unsigned long long)(e->dev >> 20), (unsigned long long)(e->dev & 0xfffff),
			 (unsigned long long)e->ino, e->tgid);
		pf_buf_puts(out, num);
	}
	if (ctx->token)
		text_str(out, "token", ctx->token, strlen(ctx->token));
	if (ctx->ticket)
		text_str(out, "ticket", ctx->ticket, strlen(ctx->ticket));
	if (e->ai_agent) {
		char idx[16];
		const char *n = ai_name(e, ctx, idx, sizeof(idx));

		text_str(out, "agent", n, strlen(n));
		snprintf(num, sizeof(num), " agent_root_pid=%u", e->ai_root_pid);
		pf_buf_puts(out, num);
	}
	if (ctx->repeat) {
		snprintf(num, sizeof(num), " repeat=%llu", (unsigned long long)ctx->repeat);
		pf_buf_puts(out, num);
		if (ctx->of_seq) {
			snprintf(num, sizeof(num), " of=%llu", (unsigned long long)ctx->of_seq);
			pf_buf_puts(out, num);
		}
	}
	snprintf(num, sizeof(num), " seq=%llu", (unsigned long long)ctx->seq);
	pf_buf_puts(out, num);
	return finish(out, start, out->oom);
}

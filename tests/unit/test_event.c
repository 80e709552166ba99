/* Unit tests: user/lib/log/event.c (names, path joining, audit-log lines). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "json.h"
#include "tap.h"

static void test_names(void)
{
	static const char *const ops[PF_OP__COUNT] = {
		"unknown", "open-write", "open-trunc", "write", "truncate", "mmap-write",
		"create", "mknod", "mkdir", "rmdir", "unlink", "link", "symlink", "rename",
		"chmod", "chown", "setattr", "setxattr", "removexattr", "setacl", "setflags",
		"mount", "umount", "remount", "blkdev-write", "bpf-object", "signal", "ptrace",
		"module-load", "kexec-load", "agent-exec", "prctl-exe", "cgroup-kill", "pins",
		"agent-socket", "agent-ssh",
	};
	uint32_t op;

	for (op = 0; op < PF_OP__COUNT; op++)
		TAP_STREQ(pf_op_name(op), ops[op], "op %u name", op);
	TAP_STREQ(pf_op_name(PF_OP__COUNT), "unknown", "op past the end");
	TAP_STREQ(pf_op_name(0xffffffffU), "unknown", "op 0xffffffff");

	TAP_STREQ(pf_decision_name(PF_DEC_DENY), "deny", "decision deny");
	TAP_STREQ(pf_decision_name(PF_DEC_WOULD_DENY), "would-deny", "decision would-deny");
	TAP_STREQ(pf_decision_name(PF_DEC_APPROVED), "approved", "decision approved");
	TAP_STREQ(pf_decision_name(PF_DEC_TAMPER), "tamper", "decision tamper");
	TAP_STREQ(pf_decision_name(0), "unknown", "decision 0");
	TAP_STREQ(pf_decision_name(5), "unknown", "decision 5");

	TAP_STREQ(pf_mode_name(PF_MODE_OFF), "off", "mode off");
	TAP_STREQ(pf_mode_name(PF_MODE_AUDIT), "audit", "mode audit");
	TAP_STREQ(pf_mode_name(PF_MODE_ENFORCE), "enforce", "mode enforce");
	TAP_STREQ(pf_mode_name(3), "unknown", "mode 3");
	TAP_OK(pf_mode_parse("off") == PF_MODE_OFF, "parse off");
	TAP_OK(pf_mode_parse("audit") == PF_MODE_AUDIT, "parse audit");
	TAP_OK(pf_mode_parse("enforce") == PF_MODE_ENFORCE, "parse enforce");
	TAP_OK(pf_mode_parse("Enforce") == -EINVAL, "parse is case-sensitive");
	TAP_OK(pf_mode_parse("") == -EINVAL && pf_mode_parse(NULL) == -EINVAL &&
	       pf_mode_parse("unknown") == -EINVAL, "parse refuses others");
}

static void set_path(struct pf_event *e, const void *p, size_t n, uint32_t len, uint32_t flags)
{
	memset(e->path, 0, sizeof(e->path));
	memcpy(e->path, p, n);
	e->path_len = len;
	e->path_flags = flags;
}

static void path_case(const char *name, const void *p, size_t n, uint32_t len, uint32_t flags,
		      const char *want)
{
	struct pf_event e;
	char out[PF_EVENT_PATH_MAX];
	int r;

	memset(&e, 0, sizeof(e));
	set_path(&e, p, n, len, flags);
	r = pf_event_path(&e, out, sizeof(out));
	TAP_OK(r == (int)strlen(want), "path %s: length %zu (got %d)", name, strlen(want), r);
	TAP_STREQ(r >= 0 ? out : NULL, want, "path %s", name);
}

#define PATH(name, lit, len, flags, want) path_case(name, lit, sizeof(lit) - 1, len, flags, want)

static void test_path(void)
{
	struct pf_event e;
	char out[PF_EVENT_PATH_MAX], want[PF_EVENT_PATH_MAX], small[12];
	size_t i;
	int r;

	PATH("leaf to root", "passwd\0etc\0", 11, 0, "/etc/passwd");
	PATH("three levels", "c\0b\0a\0", 6, 0, "/a/b/c");
	PATH("unterminated last component", "passwd\0etc", 10, 0, "/etc/passwd");
	PATH("path_len cuts a component", "passwd\0etc\0", 5, 0, "/passw");
	PATH("empty", "", 0, 0, "/");
	PATH("only NULs", "\0\0\0", 3, 0, "/");
	PATH("truncated", "c\0b\0", 4, PF_PATH_TRUNCATED, "/.../b/c");
	PATH("truncated and empty", "", 0, PF_PATH_TRUNCATED, "/...");
	PATH("fsroot flag does not change the path", "x\0", 2, PF_PATH_FSROOT, "/x");
	PATH("root dentry name skipped", "a\0/\0", 4, 0, "/a");
	PATH("empty components skipped", "a\0\0b\0", 5, 0, "/b/a");
	PATH("quotes and newline kept", "x\"y\nz\0d\0", 8, 0, "/d/x\"y\nz");
	PATH("bytes after path_len ignored", "a\0b\0", 2, 0, "/a");

	/* path_len beyond the array: clamped; one unterminated 512-byte name */
	memset(&e, 0, sizeof(e));
	memset(e.path, 'a', sizeof(e.path));
	e.path_len = 0xffffffffU;
	r = pf_event_path(&e, out, sizeof(out));
	want[0] = '/';
	memset(want + 1, 'a', PF_PATH_BYTES);
	want[PF_PATH_BYTES + 1] = '\0';
	TAP_OK(r == PF_PATH_BYTES + 1, "path oversized path_len: clamped (%d)", r);
	TAP_STREQ(r > 0 ? out : NULL, want, "path oversized path_len: content");

	/* the longest output: 256 one-byte components, truncated */
	memset(&e, 0, sizeof(e));
	for (i = 0; i < PF_PATH_BYTES; i += 2)
		e.path[i] = 'a';
	e.path_len = PF_PATH_BYTES;
	e.path_flags = PF_PATH_TRUNCATED;
	r = pf_event_path(&e, out, sizeof(out));
	TAP_OK(r == 4 + PF_PATH_BYTES && (size_t)r < PF_EVENT_PATH_MAX,
	       "path longest case fits PF_EVENT_PATH_MAX (%d)", r);

	/* output buffer too small: -ENOBUFS, untouched */
	set_path(&e, "passwd\0etc\0", 11, 11, 0);
	memset(small, 'Z', sizeof(small));
	r = pf_event_path(&e, small, 11);
	TAP_OK(r == -ENOBUFS && small[0] == 'Z', "path: buffer of 11 too small, untouched");
	r = pf_event_path(&e, small, 12);
	TAP_OK(r == 11 && strcmp(small, "/etc/passwd") == 0, "path: buffer of exactly 12");
	TAP_OK(pf_event_path(NULL, out, sizeof(out)) == -EINVAL &&
	       pf_event_path(&e, NULL, 10) == -EINVAL, "path: NULL arguments");
}

static void base_event(struct pf_event *e)
{
	memset(e, 0, sizeof(*e));
	e->ts_boot_ns = 12345123456789ULL; /* 12345.123456789 s after boot */
	e->cgroup_id = 77;
	e->dev = (254ULL << 20) | 3;
	e->ino = 131;
	e->pid = 1235;
	e->tgid = 1234;
	e->ppid = 1;
	e->uid = 0;
	e->gid = 0;
	e->op = PF_OP_OPEN_WRITE;
	e->decision = PF_DEC_DENY;
	e->mode = PF_MODE_ENFORCE;
	e->rule_id = 3;
	memcpy(e->comm, "vi", 2);
	set_path(e, "passwd\0etc\0", 11, 11, 0);
}

/* 2026-11-29T23:18:45Z is 1795994325 s after the epoch. */
static const struct pf_event_ctx base_ctx = {
	.boot_to_real_ns = (1795994325LL - 12345) * 1000000000LL,
	.host = "web-1",
	.seq = 42,
};

#define HEAD "{\"time\":\"2026-11-29T23:18:45.123456789Z\",\"host\":\"web-1\",\"seq\":42,"
#define TAIL_IDS "\"dev\":\"254:3\",\"ino\":131,\"pid\":1234,\"tid\":1235,\"ppid\":1,\"uid\":0,\"gid\":0,\"boot_ns\":12345123456789,"

static void line_case(const char *name, const struct pf_event *e, const struct pf_event_ctx *ctx,
		      const char *want)
{
	struct pf_buf b;
	int r;

	pf_buf_init(&b);
	r = pf_event_to_json(e, ctx, &b);
	TAP_OK(r == 0, "line %s: returns 0 (%d)", name, r);
	TAP_STREQ(b.data, want, "line %s", name);
	TAP_OK(b.len > 0 && pf_json_check(b.data, b.len - 1) == 0, "line %s: valid JSON", name);
	pf_buf_free(&b);
}

static void test_lines(void)
{
	struct pf_event e;
	struct pf_event_ctx ctx = base_ctx;
	struct pf_buf b;
	int r;

	base_event(&e);
	line_case("fully specified", &e, &base_ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3}\n");

	base_event(&e);
	e.rule_id = 0xffffffffU;
	e.decision = PF_DEC_WOULD_DENY;
	e.mode = PF_MODE_AUDIT;
	e.op = PF_OP_RENAME;
	line_case("no rule", &e, &base_ctx,
		  HEAD "\"decision\":\"would-deny\",\"mode\":\"audit\",\"op\":\"rename\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77}\n");

	base_event(&e);
	e.rule_id = PF_RULEID_TOO_DEEP;
	e.path_flags = PF_PATH_TRUNCATED | PF_PATH_FSROOT;
	line_case("too deep, truncated, fs scope", &e, &base_ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/.../etc/passwd\",\"path_truncated\":true,\"path_scope\":\"fs\","
		  TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":\"too-deep\"}\n");

	base_event(&e);
	e.rule_id = PF_RULEID_BLKDEV;
	e.op = PF_OP_BLKDEV_WRITE;
	e.decision = PF_DEC_TAMPER;
	memcpy(e.comm, "abcdefghijklmnop", 16); /* no NUL */
	line_case("blkdev, comm of 16 bytes", &e, &base_ctx,
		  HEAD "\"decision\":\"tamper\",\"mode\":\"enforce\",\"op\":\"blkdev-write\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS
		  "\"comm\":\"abcdefghijklmnop\",\"cgroup_id\":77,\"rule\":\"blkdev\"}\n");

	base_event(&e);
	e.rule_id = PF_RULEID_SELF_RW;
	e.op = PF_OP_UNLINK;
	e.decision = PF_DEC_TAMPER;
	line_case("tamper on an own file", &e, &base_ctx,
		  HEAD "\"decision\":\"tamper\",\"mode\":\"enforce\",\"op\":\"unlink\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":\"self-file\"}\n");

	base_event(&e);
	e.rule_id = PF_RULEID_SELF;
	e.op = PF_OP_SIGNAL;
	e.decision = PF_DEC_TAMPER;
	line_case("tamper: signal to the agent", &e, &base_ctx,
		  HEAD "\"decision\":\"tamper\",\"mode\":\"enforce\",\"op\":\"signal\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":\"self\"}\n");

	base_event(&e);
	e.rule_id = PF_RULEID_SELF_FS;
	e.op = PF_OP_UMOUNT;
	e.decision = PF_DEC_TAMPER;
	line_case("tamper: bpffs umount", &e, &base_ctx,
		  HEAD "\"decision\":\"tamper\",\"mode\":\"enforce\",\"op\":\"umount\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":\"self-fs\"}\n");

	base_event(&e);
	e.op = 999;
	e.decision = 0;
	e.mode = 7;
	e.dev = 0xffffffffffffffffULL;
	line_case("unknown enums, huge dev", &e, &base_ctx,
		  HEAD "\"decision\":\"unknown\",\"mode\":\"unknown\",\"op\":\"unknown\","
		  "\"path\":\"/etc/passwd\",\"dev\":\"17592186044415:1048575\",\"ino\":131,"
		  "\"pid\":1234,\"tid\":1235,\"ppid\":1,\"uid\":0,\"gid\":0,\"boot_ns\":12345123456789,"
		  "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3}\n");

	/* quotes, newline and invalid UTF-8 in the path and comm */
	base_event(&e);
	set_path(&e, "a\"b\nc\xff\0d\\ir\0", 12, 12, 0);
	memcpy(e.comm, "x\ty\xc3", 4);
	line_case("hostile path", &e, &base_ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/d\\\\ir/a\\\"b\\nc\\ufffd\",\"path_hex\":\"2f645c69722f6122620a63ff\","
		  TAIL_IDS "\"comm\":\"x\\ty\\ufffd\",\"cgroup_id\":77,\"rule\":3}\n");

	/* valid UTF-8 path: no path_hex */
	base_event(&e);
	set_path(&e, "caf\xc3\xa9\0", 6, 6, 0);
	line_case("UTF-8 path", &e, &base_ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/caf\xc3\xa9\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3}\n");

	/* times: before the epoch clamps to it, overflow clamps to the max */
	base_event(&e);
	ctx.boot_to_real_ns = INT64_MIN;
	ctx.host = NULL;
	ctx.seq = UINT64_MAX;
	line_case("time before epoch, no host", &e, &ctx,
		  "{\"time\":\"1970-01-01T00:00:00.000000000Z\",\"seq\":18446744073709551615,"
		  "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3}\n");
	e.ts_boot_ns = UINT64_MAX;
	ctx.boot_to_real_ns = INT64_MAX;
	ctx.seq = 0;
	line_case("time overflow", &e, &ctx,
		  "{\"time\":\"2262-04-11T23:47:16.854775807Z\",\"seq\":0,"
		  "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," "\"dev\":\"254:3\",\"ino\":131,\"pid\":1234,\"tid\":1235,\"ppid\":1,\"uid\":0,\"gid\":0,\"boot_ns\":18446744073709551615," "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3}\n");
	e.ts_boot_ns = 5;
	line_case("NULL ctx", &e, NULL,
		  "{\"time\":\"1970-01-01T00:00:00.000000005Z\",\"seq\":0,"
		  "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," "\"dev\":\"254:3\",\"ino\":131,\"pid\":1234,\"tid\":1235,\"ppid\":1,\"uid\":0,\"gid\":0,\"boot_ns\":5," "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3}\n");

	/* an AI agent's process: named by the context, or by index and
	 * identity without one; the text line names the agent too */
	base_event(&e);
	e.ai_agent = 2; /* index 1 */
	e.ai_root_pid = 4321;
	e.ai_root_dev = (254ULL << 20) | 3;
	e.ai_root_ino = 77;
	e.ai_marked_ns = e.ts_boot_ns - 2500000000ULL;
	ctx = base_ctx;
	ctx.ai_agent = "fakeai";
	ctx.ai_root_exe = "/opt/fakeai/cli.sh";
	line_case("AI agent", &e, &ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3,"
		  "\"agent\":\"fakeai\",\"agent_root_pid\":4321,"
		  "\"agent_root_exe\":\"/opt/fakeai/cli.sh\",\"agent_age_ms\":2500}\n");
	line_case("AI agent without names", &e, &base_ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3,"
		  "\"agent\":\"#1\",\"agent_root_pid\":4321,"
		  "\"agent_root_exe\":\"254:3:77\",\"agent_age_ms\":2500}\n");
	e.ai_marked_ns = e.ts_boot_ns + 1;
	pf_buf_init(&b);
	r = pf_event_to_text(&e, &ctx, &b);
	TAP_OK(r == 0 && strstr(b.data, " agent=\"fakeai\" agent_root_pid=4321 seq=42"),
	       "AI agent: text line (%s)", b.data ? b.data : "");
	pf_buf_reset(&b);
	r = pf_event_to_json(&e, &ctx, &b);
	TAP_OK(r == 0 && strstr(b.data, "\"agent_age_ms\":0}"), "AI agent: marked after the event: age 0");
	pf_buf_free(&b);
	ctx = base_ctx;

	/* appends one line to what is there; failures leave the buffer alone */
	base_event(&e);
	pf_buf_init(&b);
	pf_buf_puts(&b, "previous\n");
	r = pf_event_to_json(&e, &base_ctx, &b);
	TAP_OK(r == 0 && strncmp(b.data, "previous\n{\"time\"", 16) == 0 &&
	       b.data[b.len - 1] == '\n' && strchr(b.data + 9, '\n') == b.data + b.len - 1,
	       "appends exactly one line");
	b.oom = 1;
	r = pf_event_to_json(&e, &base_ctx, &b);
	TAP_OK(r == -ENOMEM && b.len > 9 && b.oom, "oom buffer: -ENOMEM");
	TAP_OK(pf_event_to_json(NULL, &base_ctx, &b) == -EINVAL &&
	       pf_event_to_json(&e, &base_ctx, NULL) == -EINVAL, "NULL arguments");
	pf_buf_free(&b);
}

/* Random events: every line is one valid JSON object ending in one '\n';
 * a sample also goes through python3's json module when it is there. */
static void test_random(void)
{
	char tmpl[] = "/tmp/pf-test-event-XXXXXX";
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	struct pf_event e;
	struct pf_event_ctx ctx = { 0 };
	struct pf_buf b, all;
	int bad = 0, fd, st, i;
	size_t k;
	char cmd[1024];
	FILE *f;

	pf_buf_init(&b);
	pf_buf_init(&all);
	for (i = 0; i < 5000; i++) {
		unsigned char *p = (unsigned char *)&e;

		for (k = 0; k < sizeof(e); k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[k] = (unsigned char)x;
		}
		/* make some fields plausible so that more paths are covered */
		if (i % 2)
			e.path_len %= PF_PATH_BYTES + 2;
		if (i % 3 == 0)
			for (k = 0; k < sizeof(e.path); k++)
				if ((unsigned char)e.path[k] < 0x40)
					e.path[k] = 0;
		ctx.boot_to_real_ns = (int64_t)x;
		ctx.seq = (uint64_t)i;
		ctx.host = i % 5 ? "h\"ost\n\xff" : NULL;
		pf_buf_reset(&b);
		if (pf_event_to_json(&e, &ctx, &b) < 0 || b.len == 0 || b.data[b.len - 1] != '\n' ||
		    memchr(b.data, '\n', b.len - 1) || pf_json_check(b.data, b.len - 1) < 0 ||
		    b.data[0] != '{') {
			bad++;
			continue;
		}
		if (i < 500)
			pf_buf_putn(&all, b.data, b.len);
	}
	TAP_OK(bad == 0, "5000 random events give valid single-line JSON (%d bad)", bad);

	fd = mkstemp(tmpl);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		TAP_OK(0, "temp file");
		goto out;
	}
	fwrite(all.data, 1, all.len, f);
	/* and the hostile-path line, with its decoded fields checked */
	base_event(&e);
	set_path(&e, "a\"b\nc\xff\0d\\ir\0", 12, 12, 0);
	pf_buf_reset(&b);
	pf_event_to_json(&e, &base_ctx, &b);
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "L=open(sys.argv[1],\"rb\").read().decode(\"utf-8\").split(\"\\n\")\n"
		 "assert L[-1]==\"\"\n"
		 "D=[json.loads(l) for l in L[:-1]]\n"
		 "assert D[-1][\"path\"]==\"/d\\\\ir/a\\\"b\\nc\\ufffd\", D[-1]\n"
		 "assert bytes.fromhex(D[-1][\"path_hex\"])==b\"/d\\\\ir/a\\\"b\\nc\\xff\"\n"
		 "' %s 2>&1",
		 tmpl);
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		printf("ok %d - python3 json check # SKIP python3 not found\n", ++tap_n);
	} else {
		st = system(cmd);
		TAP_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "python3 json.loads accepts 501 lines");
	}
	unlink(tmpl);
out:
	pf_buf_free(&b);
	pf_buf_free(&all);
}

/* Agent-side fields in the JSON line, and the syslog text line: hostile
 * strings stay inside their quotes. */
static void test_enriched(void)
{
	struct pf_event e;
	struct pf_event_ctx ctx = base_ctx;
	struct pf_buf b;
	int r;

	base_event(&e);
	e.decision = PF_DEC_APPROVED;
	ctx.exe = "/usr/bin/v\"i\n";
	ctx.unit = "nginx.service";
	ctx.token = "0123456789abcdef0123456789abcdef";
	ctx.ticket = "CHG-1 \x01";
	line_case("exe, unit, token, ticket", &e, &ctx,
		  HEAD "\"decision\":\"approved\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,"
		  "\"exe\":\"/usr/bin/v\\\"i\\n\",\"unit\":\"nginx.service\",\"rule\":3,"
		  "\"token\":\"0123456789abcdef0123456789abcdef\",\"ticket\":\"CHG-1 \\u0001\"}\n");

	pf_buf_init(&b);
	r = pf_event_to_text(&e, &ctx, &b);
	TAP_OK(r == 0, "text: formats");
	TAP_STREQ(b.data ? b.data : "",
		  "approved op=open-write path=\"/etc/passwd\" dev=254:3 ino=131 pid=1234 ppid=1 "
		  "uid=0 comm=\"vi\" exe=\"/usr/bin/v\\\"i\\n\" unit=\"nginx.service\" "
		  "token=\"0123456789abcdef0123456789abcdef\" ticket=\"CHG-1 \\u0001\" seq=42",
		  "text: every key field, escaped, one line");
	TAP_OK(b.data && !strchr(b.data, '\n'), "text: no newline");

	base_event(&e);
	set_path(&e, "a\nb\0etc\0", 9, 9, 0);
	pf_buf_reset(&b);
	r = pf_event_to_text(&e, &base_ctx, &b);
	TAP_OK(r == 0 && b.data && !strchr(b.data, '\n') &&
	       strstr(b.data, "path=\"/etc/a\\nb\""), "text: a newline in a path is escaped: %s",
	       b.data ? b.data : "");
	TAP_OK(pf_event_to_text(NULL, NULL, &b) == -EINVAL, "text: NULL event is -EINVAL");

	/* the kernel's exe, leaf first like path; a name cut at
	 * PF_EXE_NAME_MAX makes it truncated */
	base_event(&e);
	memcpy(e.exe, "vim\0bin\0usr\0", 13);
	e.exe_len = 13;
	pf_buf_reset(&b);
	TAP_OK(pf_event_to_text(&e, &base_ctx, &b) == 0 && b.data &&
	       strstr(b.data, " exe=\"/usr/bin/vim\" "), "text: the kernel's exe: %s", b.data ? b.data : "");
	e.exe_flags = PF_PATH_TRUNCATED;
	pf_buf_reset(&b);
	TAP_OK(pf_event_to_json(&e, &base_ctx, &b) == 0 && b.data &&
	       strstr(b.data, ",\"exe\":\"/.../usr/bin/vim\","), "json: truncated exe: %s",
	       b.data ? b.data : "");
	e.exe_len = 100000;
	e.exe_flags = 0;
	memset(e.exe, 'x', sizeof(e.exe));
	pf_buf_reset(&b);
	TAP_OK(pf_event_to_json(&e, &base_ctx, &b) == 0, "json: exe_len beyond the array is clamped");
	pf_buf_free(&b);
}

/* A run's repeats: the first decision's line with repeat, first, last,
 * of; or, the first not seen, the key only. */
static void test_repeat(void)
{
	struct pf_event e;
	struct pf_event_ctx ctx = base_ctx;
	struct pf_buf b;
	int r;

	base_event(&e);
	ctx.repeat = 4211;
	ctx.first_boot_ns = e.ts_boot_ns - 999000000ULL; /* 0.999 s before the last */
	ctx.of_seq = 40;
	line_case("a run's repeats, joined to its first line", &e, &ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"path\":\"/etc/passwd\"," TAIL_IDS "\"comm\":\"vi\",\"cgroup_id\":77,\"rule\":3,"
		  "\"repeat\":4211,\"first\":\"2026-11-29T23:18:44.124456789Z\","
		  "\"last\":\"2026-11-29T23:18:45.123456789Z\",\"of\":40}\n");

	pf_buf_init(&b);
	r = pf_event_to_text(&e, &ctx, &b);
	TAP_OK(r == 0, "repeat text: formats");
	TAP_STREQ(b.data ? b.data : "",
		  "deny op=open-write path=\"/etc/passwd\" dev=254:3 ino=131 pid=1234 ppid=1 "
		  "uid=0 comm=\"vi\" repeat=4211 of=40 seq=42",
		  "repeat text: the count and its first line");

	/* an agent restarted between the run's first decision and its end:
	 * the kernel's key, nothing made up */
	memset(&e, 0, sizeof(e));
	e.ts_boot_ns = 12345123456789ULL;
	e.dev = (254ULL << 20) | 3;
	e.ino = 131;
	e.pid = 1235;
	e.tgid = 1234;
	e.op = PF_OP_OPEN_WRITE;
	e.decision = PF_DEC_DENY;
	e.mode = PF_MODE_ENFORCE;
	e.rule_id = 3;
	ctx.of_seq = 0;
	ctx.unit = "x.service"; /* left out with the other names */
	line_case("a run's repeats, its first line not seen", &e, &ctx,
		  HEAD "\"decision\":\"deny\",\"mode\":\"enforce\",\"op\":\"open-write\","
		  "\"dev\":\"254:3\",\"ino\":131,\"pid\":1234,\"tid\":1235,\"boot_ns\":12345123456789,"
		  "\"rule\":3,\"repeat\":4211,\"first\":\"2026-11-29T23:18:44.124456789Z\","
		  "\"last\":\"2026-11-29T23:18:45.123456789Z\"}\n");
	pf_buf_reset(&b);
	r = pf_event_to_text(&e, &ctx, &b);
	TAP_OK(r == 0, "repeat text, first not seen: formats");
	TAP_STREQ(b.data ? b.data : "",
		  "deny op=open-write dev=254:3 ino=131 pid=1234 repeat=4211 seq=42",
		  "repeat text, first not seen: the key only");
	pf_buf_free(&b);
	TAP_OK(sizeof(struct pf_repeat) != sizeof(struct pf_event) && sizeof(struct pf_repeat) == 72,
	       "a pf_repeat (72 bytes) is told from a pf_event by its size");
}

int main(void)
{
	test_names();
	test_repeat();
	test_path();
	test_lines();
	test_enriched();
	test_random();
	return TAP_DONE();
}

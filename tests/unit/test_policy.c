/* Unit tests: user/lib/policy/policy.c (policy parser, matcher, durations, sizes). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "permafrost.h"
#include "policy.h"
#include "tap.h"

#define DIRS "(expected one of: mode, protect, exempt, allowed-signers, approvals, " \
	     "thaw-approvals, max-token-ttl, log-max-size, log-keep, ring-buffer-size, " \
	     "metrics-file, lock-kernel, syslog, self-protect, requester-signs, freeze-window, " \
	     "change-window, agent, agent-mode, agent-approvals, agent-deny-socket, " \
	     "agent-ssh-port, event-repeat-window)"
#define TTL "a duration 1s..30d (e.g. 90s, 30m, 24h, 7d)"
#define LOGSZ "a size 64K..16G (e.g. 512K, 64M, 1G)"
#define RBSZ "a power of two 64K..256M (e.g. 4M)"
#define RPT "0 (off) or a duration up to 60s, in ms or s (e.g. 1s, 250ms)"

static struct pf_policy *const SENTINEL = (struct pf_policy *)1;

/* Parses in[0..len) and expects the error errnum with exactly msg. */
static void err_case(const char *name, const char *in, size_t len, int errnum, const char *msg)
{
	struct pf_policy *p = SENTINEL;
	struct pf_err e;
	int r;

	memset(&e, 'X', sizeof(e));
	r = pf_policy_parse("p.conf", in, len, &p, &e);
	TAP_OK(r == -errnum, "%s: returns -%d (got %d)", name, errnum, r);
	TAP_STREQ(e.msg, msg, "%s: message", name);
	TAP_OK(p == SENTINEL, "%s: nothing returned", name);
	if (r == 0 && p != SENTINEL)
		pf_policy_free(p);
}

struct ecase {
	const char *name, *in;
	int err;
	const char *msg;
};

static const struct ecase ecases[] = {
	/* directives */
	{ "unknown directive", "mode off\n\nprotekt /a\n", EINVAL,
	  "p.conf:3:1: unknown directive 'protekt' " DIRS },
	{ "unknown directive indented", "  \tMode off", EINVAL,
	  "p.conf:1:4: unknown directive 'Mode' " DIRS },
	{ "unknown directive quoted token shown escaped", "\"\xff\"", EINVAL,
	  "p.conf:1:1: unknown directive '\\xff' " DIRS },
	/* mode */
	{ "mode bad value", "mode on", EINVAL,
	  "p.conf:1:6: expected off, audit or enforce after 'mode', got 'on'" },
	{ "mode missing value", "mode", EINVAL,
	  "p.conf:1:5: expected off, audit or enforce after 'mode'" },
	{ "mode missing value before comment", "mode     # enforce", EINVAL,
	  "p.conf:1:5: expected off, audit or enforce after 'mode'" },
	{ "mode extra value", "mode off audit", EINVAL,
	  "p.conf:1:10: unexpected extra argument 'audit' ('mode' takes one value)" },
	{ "mode twice", "mode off\nmode audit\n", EINVAL,
	  "p.conf:2:1: duplicate 'mode' (already set on line 1)" },
	{ "mode comment glued to value", "mode off#x", EINVAL,
	  "p.conf:1:6: expected off, audit or enforce after 'mode', got 'off#x'" },
	/* approvals, thaw-approvals, log-keep */
	{ "approvals not a number", "approvals x", EINVAL,
	  "p.conf:1:11: expected a number 1..16 after 'approvals', got 'x'" },
	{ "approvals 0", "approvals 0", EINVAL,
	  "p.conf:1:11: expected a number 1..16 after 'approvals', got '0'" },
	{ "approvals 17", "approvals\t17", EINVAL,
	  "p.conf:1:11: expected a number 1..16 after 'approvals', got '17'" },
	{ "approvals negative", "approvals -1", EINVAL,
	  "p.conf:1:11: expected a number 1..16 after 'approvals', got '-1'" },
	{ "approvals overflow", "approvals 99999999999999999999999", EINVAL,
	  "p.conf:1:11: expected a number 1..16 after 'approvals', got '99999999999999999999999'" },
	{ "approvals trailing junk", "approvals 2x", EINVAL,
	  "p.conf:1:11: expected a number 1..16 after 'approvals', got '2x'" },
	{ "approvals missing", "approvals", EINVAL,
	  "p.conf:1:10: expected a number 1..16 after 'approvals'" },
	{ "approvals twice", "approvals 1\n# x\napprovals 1", EINVAL,
	  "p.conf:3:1: duplicate 'approvals' (already set on line 1)" },
	{ "thaw-approvals 17", "thaw-approvals 17", EINVAL,
	  "p.conf:1:16: expected a number 1..16 after 'thaw-approvals', got '17'" },
	{ "thaw-approvals twice", "thaw-approvals 2\nthaw-approvals 3", EINVAL,
	  "p.conf:2:1: duplicate 'thaw-approvals' (already set on line 1)" },
	{ "log-keep 0", "log-keep 0", EINVAL,
	  "p.conf:1:10: expected a number 1..1000 after 'log-keep', got '0'" },
	{ "log-keep 1001", "log-keep 1001", EINVAL,
	  "p.conf:1:10: expected a number 1..1000 after 'log-keep', got '1001'" },
	{ "log-keep twice", "log-keep 1\nlog-keep 2", EINVAL,
	  "p.conf:2:1: duplicate 'log-keep' (already set on line 1)" },
	/* max-token-ttl */
	{ "ttl without unit", "max-token-ttl 24", EINVAL,
	  "p.conf:1:15: expected " TTL " after 'max-token-ttl', got '24'" },
	{ "ttl zero", "max-token-ttl 0s", EINVAL,
	  "p.conf:1:15: expected " TTL " after 'max-token-ttl', got '0s'" },
	{ "ttl 31d", "max-token-ttl 31d", EINVAL,
	  "p.conf:1:15: expected " TTL " after 'max-token-ttl', got '31d'" },
	{ "ttl 30d+1s", "max-token-ttl 2592001s", EINVAL,
	  "p.conf:1:15: expected " TTL " after 'max-token-ttl', got '2592001s'" },
	{ "ttl unknown unit", "max-token-ttl 1w", EINVAL,
	  "p.conf:1:15: expected " TTL " after 'max-token-ttl', got '1w'" },
	{ "ttl overflow", "max-token-ttl 99999999999999999999d", EINVAL,
	  "p.conf:1:15: expected " TTL " after 'max-token-ttl', got '99999999999999999999d'" },
	{ "ttl missing", "max-token-ttl", EINVAL,
	  "p.conf:1:14: expected " TTL " after 'max-token-ttl'" },
	{ "ttl twice", "max-token-ttl 1h\nmax-token-ttl 2h", EINVAL,
	  "p.conf:2:1: duplicate 'max-token-ttl' (already set on line 1)" },
	/* log-max-size */
	{ "log-max-size too small", "log-max-size 63K", EINVAL,
	  "p.conf:1:14: expected " LOGSZ " after 'log-max-size', got '63K'" },
	{ "log-max-size too big", "log-max-size 17G", EINVAL,
	  "p.conf:1:14: expected " LOGSZ " after 'log-max-size', got '17G'" },
	{ "log-max-size bad unit", "log-max-size 1X", EINVAL,
	  "p.conf:1:14: expected " LOGSZ " after 'log-max-size', got '1X'" },
	{ "log-max-size KB", "log-max-size 100KB", EINVAL,
	  "p.conf:1:14: expected " LOGSZ " after 'log-max-size', got '100KB'" },
	{ "log-max-size twice", "log-max-size 1M\nlog-max-size 1M", EINVAL,
	  "p.conf:2:1: duplicate 'log-max-size' (already set on line 1)" },
	/* ring-buffer-size */
	{ "ring-buffer-size not a power of two", "ring-buffer-size 3M", EINVAL,
	  "p.conf:1:18: expected " RBSZ " after 'ring-buffer-size', got '3M'" },
	{ "ring-buffer-size too small", "ring-buffer-size 32K", EINVAL,
	  "p.conf:1:18: expected " RBSZ " after 'ring-buffer-size', got '32K'" },
	{ "ring-buffer-size too big", "ring-buffer-size 512M", EINVAL,
	  "p.conf:1:18: expected " RBSZ " after 'ring-buffer-size', got '512M'" },
	/* event-repeat-window */
	{ "event-repeat-window over 60s", "event-repeat-window 61s", EINVAL,
	  "p.conf:1:21: expected " RPT " after 'event-repeat-window', got '61s'" },
	{ "event-repeat-window without a unit", "event-repeat-window 5", EINVAL,
	  "p.conf:1:21: expected " RPT " after 'event-repeat-window', got '5'" },
	{ "event-repeat-window negative", "event-repeat-window -1s", EINVAL,
	  "p.conf:1:21: expected " RPT " after 'event-repeat-window', got '-1s'" },
	{ "ring-buffer-size twice", "ring-buffer-size 4M\nring-buffer-size 4M", EINVAL,
	  "p.conf:2:1: duplicate 'ring-buffer-size' (already set on line 1)" },
	/* lock-kernel */
	{ "lock-kernel bad", "lock-kernel true", EINVAL,
	  "p.conf:1:13: expected yes or no after 'lock-kernel', got 'true'" },
	{ "lock-kernel twice", "lock-kernel yes\nlock-kernel no", EINVAL,
	  "p.conf:2:1: duplicate 'lock-kernel' (already set on line 1)" },
	/* syslog */
	{ "syslog bad", "syslog on", EINVAL,
	  "p.conf:1:8: expected yes or no after 'syslog', got 'on'" },
	{ "syslog twice", "syslog no\nsyslog no", EINVAL,
	  "p.conf:2:1: duplicate 'syslog' (already set on line 1)" },
	{ "self-protect bad", "self-protect off", EINVAL,
	  "p.conf:1:14: expected yes or no after 'self-protect', got 'off'" },
	{ "requester-signs bad", "requester-signs maybe", EINVAL,
	  "p.conf:1:17: expected yes or no after 'requester-signs', got 'maybe'" },
	{ "self-protect twice", "self-protect no\nself-protect no", EINVAL,
	  "p.conf:2:1: duplicate 'self-protect' (already set on line 1)" },
	/* allowed-signers, metrics-file */
	{ "allowed-signers relative", "allowed-signers keys", EINVAL,
	  "p.conf:1:17: expected an absolute path after 'allowed-signers', got 'keys'" },
	{ "allowed-signers missing", "allowed-signers", EINVAL,
	  "p.conf:1:16: expected an absolute path after 'allowed-signers'" },
	{ "allowed-signers two", "allowed-signers /a /b", EINVAL,
	  "p.conf:1:20: unexpected extra argument '/b' ('allowed-signers' takes one value)" },
	{ "allowed-signers twice", "allowed-signers /a\nallowed-signers /a", EINVAL,
	  "p.conf:2:1: duplicate 'allowed-signers' (already set on line 1)" },
	{ "metrics-file trailing slash", "metrics-file /var/lib/", EINVAL,
	  "p.conf:1:14: path '/var/lib/' is not normalised: it has a trailing '/'" },
	{ "metrics-file twice", "metrics-file /a\nmetrics-file /b", EINVAL,
	  "p.conf:2:1: duplicate 'metrics-file' (already set on line 1)" },
	/* protect and exempt */
	{ "protect without path", "protect", EINVAL,
	  "p.conf:1:8: expected at least one path after 'protect'" },
	{ "protect only an option", "protect approvals=2 # c", EINVAL,
	  "p.conf:1:20: expected at least one path after 'protect'" },
	{ "exempt without path", "protect /a\nexempt  ", EINVAL,
	  "p.conf:2:7: expected at least one path after 'exempt'" },
	{ "protect approvals=0", "protect /a approvals=0", EINVAL,
	  "p.conf:1:22: expected a number 1..16 after 'approvals=', got '0'" },
	{ "protect approvals=17", "protect /a approvals=17", EINVAL,
	  "p.conf:1:22: expected a number 1..16 after 'approvals=', got '17'" },
	{ "protect approvals=x", "protect /a approvals=x", EINVAL,
	  "p.conf:1:22: expected a number 1..16 after 'approvals=', got 'x'" },
	{ "protect approvals= empty", "protect /a approvals=", EINVAL,
	  "p.conf:1:22: expected a number 1..16 after 'approvals=', got ''" },
	{ "protect approvals twice", "protect /a approvals=2 approvals=3", EINVAL,
	  "p.conf:1:24: duplicate option 'approvals=' (already given in column 12)" },
	{ "protect unknown option", "protect /a approval=2", EINVAL,
	  "p.conf:1:12: unknown option 'approval=2' for 'protect' (expected approvals=N)" },
	{ "exempt with option", "protect /a\nexempt /a/b approvals=2", EINVAL,
	  "p.conf:2:13: unexpected option 'approvals=2' for 'exempt' (exempt takes only paths)" },
	{ "protect relative path", "protect /a etc", EINVAL,
	  "p.conf:1:12: expected an absolute path after 'protect', got 'etc'" },
	{ "protect empty quoted path", "protect \"\"", EINVAL,
	  "p.conf:1:9: expected an absolute path after 'protect', got ''" },
	{ "exempt relative path", "exempt ./x", EINVAL,
	  "p.conf:1:8: expected an absolute path after 'exempt', got './x'" },
	{ "path empty component", "protect /a//b", EINVAL,
	  "p.conf:1:9: path '/a//b' is not normalised: it has an empty component ('//')" },
	{ "path double slash root", "protect //", EINVAL,
	  "p.conf:1:9: path '//' is not normalised: it has an empty component ('//')" },
	{ "path dot component", "protect /a/./b", EINVAL,
	  "p.conf:1:9: path '/a/./b' is not normalised: it has a '.' component" },
	{ "path trailing dot", "protect /a/.", EINVAL,
	  "p.conf:1:9: path '/a/.' is not normalised: it has a '.' component" },
	{ "path dotdot component", "protect /a/../b", EINVAL,
	  "p.conf:1:9: path '/a/../b' is not normalised: it has a '..' component" },
	{ "path trailing dotdot", "protect /..", EINVAL,
	  "p.conf:1:9: path '/..' is not normalised: it has a '..' component" },
	{ "path trailing slash", "protect /etc/", EINVAL,
	  "p.conf:1:9: path '/etc/' is not normalised: it has a trailing '/'" },
	{ "path with tab inside quotes", "protect \"/a\tb\"", EINVAL,
	  "p.conf:1:12: control byte 0x09 is not allowed" },
	{ "control byte in token", "protect /a\x01z", EINVAL,
	  "p.conf:1:11: control byte 0x01 is not allowed" },
	{ "DEL in token", "protect /a\x7f", EINVAL,
	  "p.conf:1:11: control byte 0x7f is not allowed" },
	{ "carriage return inside a line", "protect /a\r/b", EINVAL,
	  "p.conf:1:11: control byte 0x0d is not allowed" },
	/* dotted names that are fine: ".a", "..b", "a." */
	/* duplicates and exempt placement */
	{ "duplicate protect", "protect /a\nprotect /b /a\n", EINVAL,
	  "p.conf:2:12: duplicate path '/a' (already listed on line 1)" },
	{ "duplicate on one line", "protect /a /b /a", EINVAL,
	  "p.conf:1:15: duplicate path '/a' (already listed on line 1)" },
	{ "protect and exempt same path", "protect /a\nexempt /a", EINVAL,
	  "p.conf:2:8: duplicate path '/a' (already listed on line 1)" },
	{ "first duplicate in file order wins", "protect /b /a\nprotect /a\nprotect /b", EINVAL,
	  "p.conf:2:9: duplicate path '/a' (already listed on line 1)" },
	{ "exempt outside protect", "protect /a\nexempt /b/c", EINVAL,
	  "p.conf:2:8: exempt /b/c is not inside any protected tree" },
	{ "exempt sibling with common prefix", "protect /a\nexempt /ab", EINVAL,
	  "p.conf:2:8: exempt /ab is not inside any protected tree" },
	{ "exempt under exempt only", "protect /x\nexempt /a /a/b", EINVAL,
	  "p.conf:2:8: exempt /a is not inside any protected tree" },
	{ "exempt root", "protect /a\nexempt /", EINVAL,
	  "p.conf:2:8: exempt / is not inside any protected tree" },
	{ "orphan exempt before a later duplicate", "protect /a\nexempt /x\nprotect /a", EINVAL,
	  "p.conf:2:8: exempt /x is not inside any protected tree" },
	{ "duplicate before a later orphan exempt", "protect /a /a\nexempt /x", EINVAL,
	  "p.conf:1:12: duplicate path '/a' (already listed on line 1)" },
	/* quoting */
	{ "unterminated quote", "protect /a \"/b c", EINVAL,
	  "p.conf:1:12: unterminated quoted string (expected a closing '\"')" },
	{ "bad escape", "protect \"/a\\n\"", EINVAL,
	  "p.conf:1:12: invalid escape '\\n' in quoted string (expected \\\" or \\\\)" },
	{ "backslash at end of line", "protect \"/a\\", EINVAL,
	  "p.conf:1:12: invalid escape '\\' in quoted string (expected \\\" or \\\\)" },
	{ "text after closing quote", "protect \"/a\"x", EINVAL,
	  "p.conf:1:13: expected a space after the closing quote, got 'x'" },
	{ "comment glued to closing quote", "protect \"/a\"#c", EINVAL,
	  "p.conf:1:13: expected a space after the closing quote, got '#'" },
	{ "quote inside a token", "protect /a\"b\"", EINVAL,
	  "p.conf:1:11: unexpected '\"' inside a token (quote the whole token)" },
	/* freeze-window and change-window */
	{ "window bad cron field", "freeze-window \"0 18 * * 8\" 62h reason=x", EINVAL,
	  "p.conf:1:25: cron day-of-week: 8 is out of range 0..7" },
	{ "window cron never matches", "freeze-window \"0 0 31 2 *\" 1h reason=x", EINVAL,
	  "p.conf:1:20: cron: never matches (no month listed has such a day of the month)" },
	{ "window cron four fields", "change-window \"0 10 * *\" 6h", EINVAL,
	  "p.conf:1:24: cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4" },
	{ "window unquoted cron", "freeze-window 0 18 * * 5 62h", EINVAL,
	  "p.conf:1:15: expected a quoted cron start (\"0 18 * * 5\") or a start YYYY-MM-DDTHH:MM "
	  "after 'freeze-window', got '0'" },
	{ "window nothing", "freeze-window", EINVAL,
	  "p.conf:1:14: expected a quoted cron start (\"0 18 * * 5\") or a start YYYY-MM-DDTHH:MM "
	  "after 'freeze-window'" },
	{ "window missing duration", "freeze-window \"0 18 * * 5\"", EINVAL,
	  "p.conf:1:27: expected a duration 1m..31d (e.g. 30m, 6h, 62h, 1d12h) after the cron start" },
	{ "window bad duration", "freeze-window \"0 18 * * 5\" 62 reason=x", EINVAL,
	  "p.conf:1:28: expected a duration 1m..31d (e.g. 30m, 6h, 62h, 1d12h) after the cron start, got '62'" },
	{ "window duration over the limit", "freeze-window \"0 18 * * 5\" 31d1m reason=x", EINVAL,
	  "p.conf:1:28: duration '31d1m' is over the limit of 31d for a recurring window" },
	{ "window unknown zone", "freeze-window \"0 18 * * 5\" 62h tz=Mars/Olympus reason=x", EINVAL,
	  "p.conf:1:35: unknown time zone 'Mars/Olympus' (no /usr/share/zoneinfo/Mars/Olympus)" },
	{ "window zone with ..", "freeze-window \"0 18 * * 5\" 62h tz=../../etc/passwd reason=x", EINVAL,
	  "p.conf:1:35: '../../etc/passwd' is not a time zone name (expected an IANA name such as Europe/Berlin)" },
	{ "window unknown option", "freeze-window \"0 18 * * 5\" 62h reason=x zone=UTC", EINVAL,
	  "p.conf:1:41: unknown option 'zone=UTC' for 'freeze-window' (expected tz=ZONE, "
	  "reason=\"TEXT\" or mode=audit|enforce)" },
	{ "change window has no mode", "change-window \"0 10 * * 2\" 6h mode=audit", EINVAL,
	  "p.conf:1:31: unknown option 'mode=audit' for 'change-window' (expected tz=ZONE or reason=\"TEXT\")" },
	{ "window bad mode", "freeze-window \"0 18 * * 5\" 62h reason=x mode=off", EINVAL,
	  "p.conf:1:46: expected audit or enforce after 'mode=', got 'off'" },
	{ "window option twice", "freeze-window \"0 18 * * 5\" 62h tz=UTC reason=x tz=UTC", EINVAL,
	  "p.conf:1:48: duplicate option 'tz=' (already given in column 32)" },
	{ "freeze window without reason", "freeze-window \"0 18 * * 5\" 62h tz=UTC", EINVAL,
	  "p.conf:1:38: expected reason=\"TEXT\" on 'freeze-window' (why the host is frozen)" },
	{ "window reason unterminated", "freeze-window \"0 18 * * 5\" 62h reason=\"weekend", EINVAL,
	  "p.conf:1:39: unterminated quoted string (expected a closing '\"')" },
	{ "window reason glued", "freeze-window \"0 18 * * 5\" 62h reason=\"a\"b", EINVAL,
	  "p.conf:1:42: expected a space after the closing quote, got 'b'" },
	{ "window empty reason", "freeze-window \"0 18 * * 5\" 62h reason=\"\"", EINVAL,
	  "p.conf:1:39: empty reason" },
	{ "one-off end before start",
	  "freeze-window 2026-12-20T00:00 2026-12-19T23:59 tz=Europe/Berlin reason=x", EINVAL,
	  "p.conf:1:32: end 2026-12-19T23:59 is not after the start 2026-12-20T00:00 (Europe/Berlin)" },
	{ "one-off end equals start", "freeze-window 2026-12-20T00:00 2026-12-20T00:00 reason=x", EINVAL,
	  "p.conf:1:32: end 2026-12-20T00:00 is not after the start 2026-12-20T00:00 (UTC)" },
	{ "one-off over the limit", "freeze-window 2026-01-01T00:00 2027-01-02T00:01 reason=x", EINVAL,
	  "p.conf:1:32: window 2026-01-01T00:00..2027-01-02T00:01 is longer than the limit of 366d "
	  "for a one-off window" },
	{ "one-off bad end", "freeze-window 2026-12-20T00:00 2027-02-30T00:00 reason=x", EINVAL,
	  "p.conf:1:32: expected an end YYYY-MM-DDTHH:MM after the start, got '2027-02-30T00:00'" },
	{ "quote in a token on a protect line is still refused", "protect /a reason=\"x\"", EINVAL,
	  "p.conf:1:19: unexpected '\"' inside a token (quote the whole token)" },
	/* errors stop at the first one */
	{ "first error reported", "mode x\nprotekt", EINVAL,
	  "p.conf:1:6: expected off, audit or enforce after 'mode', got 'x'" },
	{ "long token cut in message",
	  "mode aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", EINVAL,
	  "p.conf:1:6: expected off, audit or enforce after 'mode', got "
	  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'" },
};

static void test_errors(void)
{
	size_t i;

	for (i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++)
		err_case(ecases[i].name, ecases[i].in, strlen(ecases[i].in), ecases[i].err,
			 ecases[i].msg);

	/* NUL bytes anywhere, comments included */
	err_case("NUL in a path", "mode off\nprotect /a\0b\n", 21, EINVAL,
		 "p.conf:2:11: NUL byte in policy file");
	err_case("NUL in a comment", "# a\0b\n", 6, EINVAL, "p.conf:1:4: NUL byte in policy file");
	err_case("NUL alone", "\0", 1, EINVAL, "p.conf:1:1: NUL byte in policy file");
}

static void test_valid(void)
{
	static const char full[] =
		"# Permafrost policy\n"
		"\n"
		"mode            enforce\n"
		"protect /usr/bin /usr/sbin   # trailing comment\n"
		"  protect\t\"/srv/my app\" /etc/sudoers approvals=2\n"
		"protect approvals=16 /boot\n"
		"exempt /usr/bin/local \"/srv/my app/cache\"\n"
		"allowed-signers /etc/permafrost/allowed_signers\n"
		"approvals 2\n"
		"thaw-approvals 3\n"
		"max-token-ttl 7d\n"
		"log-max-size 512K\n"
		"log-keep 1000\n"
		"ring-buffer-size 256M\n"
		"metrics-file /var/lib/permafrost/metrics.prom\n"
		"lock-kernel no\n"
		"syslog no\n"
		"# end";
	struct pf_policy *p = NULL;
	struct pf_err e;
	int r;

	r = pf_policy_parse("full.conf", full, strlen(full), &p, &e);
	TAP_OK(r == 0, "full policy parses (%d: %s)", r, r ? e.msg : "");
	if (r)
		return;
	TAP_STREQ(p->file, "full.conf", "full: file");
	TAP_OK(p->mode == PF_MODE_ENFORCE, "full: mode enforce");
	TAP_OK(p->n_rules == 7, "full: 7 rules (%zu)", p->n_rules);
	if (p->n_rules == 7) {
		static const struct { const char *path; int kind; unsigned appr, line; } want[] = {
			{ "/usr/bin", PF_POL_PROTECT, 0, 4 },
			{ "/usr/sbin", PF_POL_PROTECT, 0, 4 },
			{ "/srv/my app", PF_POL_PROTECT, 2, 5 },
			{ "/etc/sudoers", PF_POL_PROTECT, 2, 5 },
			{ "/boot", PF_POL_PROTECT, 16, 6 },
			{ "/usr/bin/local", PF_POL_EXEMPT, 0, 7 },
			{ "/srv/my app/cache", PF_POL_EXEMPT, 0, 7 },
		};
		for (size_t i = 0; i < 7; i++) {
			const struct pf_policy_rule *ru = &p->rules[i];

			TAP_OK(strcmp(ru->path, want[i].path) == 0 && ru->kind == want[i].kind &&
			       ru->approvals == want[i].appr && ru->line == want[i].line,
			       "full: rule %zu is %s kind %d approvals %u line %u", i, want[i].path,
			       want[i].kind, want[i].appr, want[i].line);
		}
	}
	TAP_STREQ(p->allowed_signers, "/etc/permafrost/allowed_signers", "full: allowed-signers");
	TAP_OK(p->approvals == 2 && p->thaw_approvals == 3, "full: approvals 2, thaw 3");
	TAP_OK(p->max_token_ttl_s == 7 * 86400, "full: ttl 7d");
	TAP_OK(p->log_max_size == 512 * 1024, "full: log-max-size 512K");
	TAP_OK(p->log_keep == 1000, "full: log-keep 1000");
	TAP_OK(p->ringbuf_size == 256u << 20, "full: ring-buffer-size 256M");
	TAP_STREQ(p->metrics_file, "/var/lib/permafrost/metrics.prom", "full: metrics-file");
	TAP_OK(p->lock_kernel == 0, "full: lock-kernel no");
	TAP_OK(p->syslog == 0, "full: syslog no");
	pf_policy_free(p);
}

static void test_valid_small(void)
{
	struct pf_policy *p = NULL;
	struct pf_err e;
	const char *s;
	int r;

	r = pf_policy_parse(NULL, "", 0, &p, &e);
	TAP_OK(r == 0 && p, "empty policy parses");
	if (!r) {
		TAP_STREQ(p->file, "policy", "empty: default file name");
		TAP_OK(p->mode == PF_MODE_OFF && p->n_rules == 0 && !p->allowed_signers &&
		       p->approvals == 1 && p->thaw_approvals == 2 && p->max_token_ttl_s == 86400 &&
		       p->log_max_size == 64u << 20 && p->log_keep == 10 &&
		       p->ringbuf_size == 4u << 20 && !p->metrics_file && p->lock_kernel == 1 &&
		       p->syslog == 1 && p->self_protect == 1 && p->requester_signs == 0 &&
		       p->repeat_window_ms == 1000,
		       "empty: all defaults");
		pf_policy_free(p);
	}
	p = NULL;
	s = "requester-signs yes\n";
	r = pf_policy_parse(NULL, s, strlen(s), &p, &e);
	TAP_OK(r == 0 && p && p->requester_signs == 1, "requester-signs yes parses");
	pf_policy_free(p);
	{
		static const struct {
			const char *in;
			uint64_t ms;
		} rw[] = { { "0", 0 }, { "0s", 0 }, { "0ms", 0 }, { "250ms", 250 },
			   { "1s", 1000 }, { "1m", 60000 }, { "60000ms", 60000 } };
		char line[64];

		for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
			p = NULL;
			snprintf(line, sizeof(line), "event-repeat-window %s\n", rw[i].in);
			r = pf_policy_parse(NULL, line, strlen(line), &p, &e);
			TAP_OK(r == 0 && p && p->repeat_window_ms == rw[i].ms,
			       "event-repeat-window %s is %llu ms", rw[i].in,
			       (unsigned long long)rw[i].ms);
			pf_policy_free(p);
		}
	}
	p = NULL;
	s = "self-protect no\n";
	r = pf_policy_parse(NULL, s, strlen(s), &p, &e);
	TAP_OK(r == 0 && p && p->self_protect == 0, "self-protect no parses");
	if (!r)
		pf_policy_free(p);
	p = NULL;
	r = pf_policy_parse("x", NULL, 0, &p, NULL);
	TAP_OK(r == 0 && p && p->n_rules == 0, "NULL buffer of length 0 parses, err may be NULL");
	pf_policy_free(p);

	s = "# only comments\n   # indented\n\t\n\n";
	p = NULL;
	r = pf_policy_parse("c", s, strlen(s), &p, &e);
	TAP_OK(r == 0 && p && p->n_rules == 0, "comments and blank lines only");
	pf_policy_free(p);

	s = "mode audit\r\nprotect /a\r\nlock-kernel yes\r\n";
	p = NULL;
	r = pf_policy_parse("crlf", s, strlen(s), &p, &e);
	TAP_OK(r == 0 && p && p->mode == PF_MODE_AUDIT && p->n_rules == 1 &&
	       strcmp(p->rules[0].path, "/a") == 0 && p->lock_kernel == 1, "CRLF line endings");
	pf_policy_free(p);

	s = "protect \"/srv/a \\\"b\\\" \\\\c\" \"/a#b\" /c#d # comment \"unterminated\n"
	    "protect \"/with  two\tspaces\"x\n";
	p = NULL;
	r = pf_policy_parse("q", s, strlen(s), &p, &e);
	TAP_OK(r == -EINVAL, "tab inside quotes is refused");
	s = "protect \"/srv/a \\\"b\\\" \\\\c\" \"/a#b\" /c#d # comment \"unterminated\n"
	    "protect \"/sp  ace\" \"/\"";
	p = NULL;
	r = pf_policy_parse("q", s, strlen(s), &p, &e);
	TAP_OK(r == 0 && p && p->n_rules == 5, "quoting: parses (%d %s)", r, r ? e.msg : "");
	if (r == 0 && p->n_rules == 5) {
		TAP_STREQ(p->rules[0].path, "/srv/a \"b\" \\c", "quoting: escapes");
		TAP_STREQ(p->rules[1].path, "/a#b", "quoting: # inside quotes");
		TAP_STREQ(p->rules[2].path, "/c#d", "quoting: # inside a token is not a comment");
		TAP_STREQ(p->rules[3].path, "/sp  ace", "quoting: spaces kept");
		TAP_STREQ(p->rules[4].path, "/", "quoting: root");
	}
	pf_policy_free(p);

	s = "protect /etc /.a /..b /c. /d.. /\xc3\xa9t\xc3\xa9 /x/...\nexempt /etc/x\n"
	    "exempt /etc/x/y\nmode \"off\"\nmax-token-ttl 30d\nlog-max-size 16G\n"
	    "ring-buffer-size 64K\nlog-keep 1\nthaw-approvals 16\n";
	p = NULL;
	r = pf_policy_parse("d", s, strlen(s), &p, &e);
	TAP_OK(r == 0 && p && p->n_rules == 9, "dotted names, UTF-8, nested exempts, bounds (%d %s)",
	       r, r ? e.msg : "");
	if (!r)
		TAP_OK(p->max_token_ttl_s == 30 * 86400ULL && p->log_max_size == 16ULL << 30 &&
		       p->ringbuf_size == 65536 && p->log_keep == 1 && p->thaw_approvals == 16,
		       "upper and lower bounds accepted");
	pf_policy_free(p);

	s = "exempt /a/b\nprotect /a\n";
	p = NULL;
	r = pf_policy_parse("o", s, strlen(s), &p, &e);
	TAP_OK(r == 0, "exempt may come before its protect");
	pf_policy_free(p);

	s = "protect /srv\nexempt /srv/data\nprotect /srv/data/schema\n";
	p = NULL;
	r = pf_policy_parse("o", s, strlen(s), &p, &e);
	TAP_OK(r == 0 && pf_policy_match(p, "/srv/data/schema/t1") == 2 &&
	       pf_policy_match(p, "/srv/data/x") == 1 && pf_policy_match(p, "/srv/y") == 0,
	       "protect inside an exempt tree");
	pf_policy_free(p);

	s = "protect /\nexempt /tmp\n";
	p = NULL;
	r = pf_policy_parse("o", s, strlen(s), &p, &e);
	TAP_OK(r == 0, "exempt under protect /");
	pf_policy_free(p);
}

static void test_limits(void)
{
	struct pf_policy *p = NULL;
	struct pf_err e;
	char *buf, msg[256];
	size_t i, n, cap;
	int r;

	/* line length: 8192 bytes is fine, 8193 is not */
	buf = malloc(3 * 8200);
	memset(buf, ' ', 8192);
	memcpy(buf, "mode off #", 10);
	r = pf_policy_parse("l", buf, 8192, &p, &e);
	TAP_OK(r == 0, "line of 8192 bytes accepted (%s)", r ? e.msg : "");
	pf_policy_free(p);
	p = NULL;
	memcpy(buf + 8192, "\n", 1);
	r = pf_policy_parse("l", buf, 8193, &p, &e);
	TAP_OK(r == 0, "line of 8192 bytes plus newline accepted");
	pf_policy_free(p);
	buf[8192] = ' ';
	memcpy(buf + 8193, "\nmode on", 8);
	err_case("line too long", buf, 8193 + 8, E2BIG,
		 "p.conf:1:8193: line is too long (limit 8192 bytes)");
	memcpy(buf, "mode off\n", 9);
	memset(buf + 9, '#', 8193);
	err_case("second line too long", buf, 9 + 8193, E2BIG,
		 "p.conf:2:8193: line is too long (limit 8192 bytes)");

	/* path length: 4095 fine, 4096 not */
	memcpy(buf, "protect /", 9);
	memset(buf + 9, 'a', 4094);
	p = NULL;
	r = pf_policy_parse("l", buf, 9 + 4094, &p, &e);
	TAP_OK(r == 0 && p && strlen(p->rules[0].path) == 4095, "path of 4095 bytes accepted");
	pf_policy_free(p);
	buf[9 + 4094] = 'a';
	err_case("path too long", buf, 9 + 4095, EINVAL,
		 "p.conf:1:9: path is too long: 4096 bytes (limit 4095)");
	free(buf);

	/* rules: 200000 fine, 200001 not; 10 paths per line */
	cap = 200010 * 16;
	buf = malloc(cap);
	n = 0;
	for (i = 0; i < 200000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s/r/%zu%s", i % 10 ? " " : "protect ",
				      i, i % 10 == 9 ? "\n" : "");
	p = NULL;
	r = pf_policy_parse("big", buf, n, &p, &e);
	TAP_OK(r == 0 && p && p->n_rules == 200000, "200000 rules accepted (%s)", r ? e.msg : "");
	if (!r)
		TAP_OK(pf_policy_match(p, "/r/199999/x") == 199999, "match among 200000 rules");
	pf_policy_free(p);
	n += (size_t)snprintf(buf + n, cap - n, "exempt /r/5/x /r/5/y\n");
	snprintf(msg, sizeof(msg),
		 "p.conf:20001:8: too many rules (limit 200000 paths in protect and exempt)");
	err_case("too many rules", buf, n, E2BIG, msg);
	free(buf);

	/* file size: 16 MiB fine (of comments), one more byte not */
	n = (size_t)16 << 20;
	buf = malloc(n + 1);
	for (i = 0; i < n; i += 4096) {
		memset(buf + i, '#', 4095);
		buf[i + 4095] = '\n';
	}
	p = NULL;
	r = pf_policy_parse("big", buf, n, &p, &e);
	TAP_OK(r == 0, "16 MiB policy accepted");
	pf_policy_free(p);
	buf[n] = '\n';
	err_case("file too large", buf, n + 1, EFBIG,
		 "p.conf:1:1: file is too large: 16777217 bytes (limit 16777216)");
	free(buf);
}

static void test_load(void)
{
	char dir[] = "/tmp/pf-test-policy-XXXXXX", path[128], want[256];
	struct pf_policy *p = NULL;
	struct pf_err e;
	FILE *f;
	int r;

	if (!mkdtemp(dir)) {
		TAP_OK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	f = fopen(path, "w");
	fputs("mode audit\nprotect /etc\n", f);
	fclose(f);
	r = pf_policy_load(path, &p, &e);
	TAP_OK(r == 0 && p && p->mode == PF_MODE_AUDIT && p->n_rules == 1, "load: parses a file");
	if (!r)
		TAP_STREQ(p->file, path, "load: file name kept");
	pf_policy_free(p);

	f = fopen(path, "w");
	fputs("mode audit\nprotect etc\n", f);
	fclose(f);
	p = SENTINEL;
	r = pf_policy_load(path, &p, &e);
	snprintf(want, sizeof(want), "%s:2:9: expected an absolute path after 'protect', got 'etc'",
		 path);
	TAP_OK(r == -EINVAL && p == SENTINEL, "load: parse error returned");
	TAP_STREQ(e.msg, want, "load: error names the file");

	r = truncate(path, ((off_t)16 << 20) + 1);
	snprintf(want, sizeof(want), "%s:1:1: file is too large: 16777217 bytes (limit 16777216)",
		 path);
	r = pf_policy_load(path, &p, &e);
	TAP_OK(r == -EFBIG && p == SENTINEL, "load: too large refused before reading");
	TAP_STREQ(e.msg, want, "load: too large message");
	unlink(path);

	r = pf_policy_load(path, &p, &e);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	TAP_OK(r == -ENOENT && p == SENTINEL, "load: missing file is -ENOENT");
	TAP_STREQ(e.msg, want, "load: missing file message");

	r = pf_policy_load(dir, &p, &e);
	TAP_OK(r == -EISDIR && p == SENTINEL, "load: directory is -EISDIR");
	rmdir(dir);
}

static void test_match(void)
{
	static const char s[] =
		"protect /usr /usr/bin /etc/ssh\n"
		"exempt /usr/bin/local /etc/ssh/ssh_known_hosts\n";
	struct pf_policy *p = NULL, *root = NULL;
	struct pf_err e;
	int r;

	r = pf_policy_parse("m", s, sizeof(s) - 1, &p, &e);
	TAP_OK(r == 0, "match: policy parses");
	if (r)
		return;
	TAP_OK(pf_policy_match(p, "/usr") == 0, "match: /usr itself");
	TAP_OK(pf_policy_match(p, "/usr/lib/x") == 0, "match: under /usr");
	TAP_OK(pf_policy_match(p, "/usr/bin") == 1, "match: /usr/bin itself");
	TAP_OK(pf_policy_match(p, "/usr/bin/ls") == 1, "match: nearest is /usr/bin");
	TAP_OK(pf_policy_match(p, "/usr/binx") == 0, "match: /usr/binx is under /usr only");
	TAP_OK(pf_policy_match(p, "/usr/bin/local") == 3, "match: exempt itself");
	TAP_OK(pf_policy_match(p, "/usr/bin/local/x/y") == 3, "match: under exempt");
	TAP_OK(pf_policy_match(p, "/usr/bin/localx") == 1, "match: exempt prefix is not ancestor");
	TAP_OK(pf_policy_match(p, "/etc/ssh/ssh_known_hosts") == 4, "match: exempt file");
	TAP_OK(pf_policy_match(p, "/etc/ssh/sshd_config") == 2, "match: protected file");
	TAP_OK(pf_policy_match(p, "/etc") == -1, "match: parent of a rule is not matched");
	TAP_OK(pf_policy_match(p, "/var/log") == -1, "match: unrelated path");
	TAP_OK(pf_policy_match(p, "/") == -1, "match: root");
	TAP_OK(pf_policy_match(p, "usr/bin") == -1, "match: relative path");
	TAP_OK(pf_policy_match(p, "") == -1, "match: empty path");
	TAP_OK(pf_policy_match(p, NULL) == -1 && pf_policy_match(NULL, "/usr") == -1,
	       "match: NULL arguments");
	r = pf_policy_parse("m", "protect /\nexempt /tmp", 21, &root, &e);
	TAP_OK(r == 0, "match: root policy parses");
	if (!r) {
		TAP_OK(pf_policy_match(root, "/") == 0, "match: / rule matches /");
		TAP_OK(pf_policy_match(root, "/var") == 0, "match: / rule matches /var");
		TAP_OK(pf_policy_match(root, "/tmp/x") == 1, "match: exempt under /");
	}
	pf_policy_free(root);
	pf_policy_free(p);
}

static void test_numbers(void)
{
	static const struct { const char *s; int r; uint64_t v; } dur[] = {
		{ "90s", 0, 90 }, { "30m", 0, 1800 }, { "24h", 0, 86400 }, { "7d", 0, 604800 },
		{ "0s", 0, 0 }, { "007m", 0, 420 }, { "18446744073709551615s", 0, UINT64_MAX },
		{ "", -EINVAL, 0 }, { "s", -EINVAL, 0 }, { "5", -EINVAL, 0 }, { "5x", -EINVAL, 0 },
		{ "5ss", -EINVAL, 0 }, { "-5s", -EINVAL, 0 }, { " 5s", -EINVAL, 0 },
		{ "5s ", -EINVAL, 0 }, { "5S", -EINVAL, 0 }, { "1h30m", -EINVAL, 0 },
		{ "18446744073709551616s", -ERANGE, 0 }, { "213503982334602d", -ERANGE, 0 },
	};
	static const struct { const char *s; int r; uint64_t v; } sz[] = {
		{ "4096", 0, 4096 }, { "0", 0, 0 }, { "512K", 0, 512 << 10 }, { "64M", 0, 64 << 20 },
		{ "1G", 0, 1 << 30 }, { "2T", 0, 2ULL << 40 }, { "1k", 0, 1024 }, { "3m", 0, 3 << 20 },
		{ "16777215T", 0, 16777215ULL << 40 },
		{ "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "1KB", -EINVAL, 0 }, { "1P", -EINVAL, 0 },
		{ "1.5M", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "16777216T", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(dur) / sizeof(dur[0]); i++) {
		v = 12345;
		int r = pf_parse_duration(dur[i].s, &v);

		TAP_OK(r == dur[i].r && v == (r ? 12345 : dur[i].v), "duration '%s' -> %d %llu", dur[i].s,
		       dur[i].r, (unsigned long long)dur[i].v);
	}
	TAP_OK(pf_parse_duration(NULL, &v) == -EINVAL, "duration NULL");
	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		v = 12345;
		int r = pf_parse_size(sz[i].s, &v);

		TAP_OK(r == sz[i].r && v == (r ? 12345 : sz[i].v), "size '%s' -> %d %llu", sz[i].s,
		       sz[i].r, (unsigned long long)sz[i].v);
	}
	TAP_OK(pf_parse_size(NULL, &v) == -EINVAL, "size NULL");
}

/* policy/example.conf, when the test runs from the source tree */
static void test_example(void)
{
	struct pf_policy *p = NULL;
	struct pf_err e;
	int r;

	r = pf_policy_load("policy/example.conf", &p, &e);
	if (r == -ENOENT) {
		printf("ok %d - example.conf parses # SKIP not run from the source tree\n", ++tap_n);
		return;
	}
	TAP_OK(r == 0, "example.conf parses (%s)", r ? e.msg : "");
	if (r)
		return;
	TAP_OK(p->mode == PF_MODE_OFF, "example.conf: mode off (a fresh install never enforces)");
	TAP_OK(pf_policy_match(p, "/etc/sudoers") >= 0 &&
	       p->rules[pf_policy_match(p, "/etc/sudoers")].approvals == 2,
	       "example.conf: /etc/sudoers needs 2 approvals");
	TAP_OK(p->rules[pf_policy_match(p, "/etc/ssh/ssh_known_hosts")].kind == PF_POL_EXEMPT,
	       "example.conf: known hosts exempt");
	pf_policy_free(p);
}

static void test_windows(void)
{
	static const char in[] =
		"freeze-window \"0 18 * * 5\" 62h tz=Europe/Berlin reason=\"weekend freeze\"\n"
		"freeze-window 2026-12-20T00:00 2027-01-04T08:00 tz=America/New_York "
		"reason=\"holiday freeze CHG-2211\" mode=audit\n"
		"change-window \"0 10 * * 2,4\" 6h tz=Europe/Berlin\n";
	struct pf_policy *p = NULL;
	struct pf_err e = { { 0 } };
	char big[PF_POLICY_MAX_WINDOWS * 40 + 64];
	size_t k = 0;
	int r;

	r = pf_policy_parse("p.conf", in, strlen(in), &p, &e);
	TAP_OK(r == 0 && p && p->n_windows == 3, "windows: three parsed (%s)", e.msg);
	if (r == 0) {
		const struct pf_window *w = p->windows;

		TAP_OK(w[0].kind == PF_WINDOW_FREEZE && w[0].recurring && w[0].duration_s == 223200 &&
		       !w[0].audit && w[0].line == 1, "windows: weekend freeze, 62h, line 1");
		TAP_STREQ(w[0].zone, "Europe/Berlin", "windows: weekend zone");
		TAP_STREQ(w[0].reason, "weekend freeze", "windows: weekend reason unquoted");
		TAP_STREQ(w[0].cron_text, "0 18 * * 5", "windows: cron kept");
		/* 2026-12-20T00:00 New York = 05:00Z; 2027-01-04T08:00 = 13:00Z */
		TAP_OK(!w[1].recurring && w[1].audit && w[1].start == 1797742800 &&
		       w[1].end == 1799067600, "windows: holiday one-off, audit, exact instants");
		TAP_STREQ(w[1].reason, "holiday freeze CHG-2211", "windows: holiday reason");
		TAP_OK(w[2].kind == PF_WINDOW_CHANGE && w[2].duration_s == 21600 && !w[2].reason[0],
		       "windows: change window, no reason needed");
		pf_policy_free(p);
	}
	for (int i = 0; i <= PF_POLICY_MAX_WINDOWS; i++)
		k += (size_t)snprintf(big + k, sizeof(big) - k, "change-window \"0 %d * * *\" 1h\n",
				      i % 24);
	p = NULL;
	r = pf_policy_parse("p.conf", big, k, &p, &e);
	TAP_OK(r == -E2BIG && !p, "windows: more than %d refused (got %d)", PF_POLICY_MAX_WINDOWS, r);
	TAP_STREQ(e.msg, "p.conf:65:1: too many windows (limit 64 freeze-window and change-window lines)",
		  "windows: limit message");
}

#define AINAME "an agent name (1..32 bytes of a-z 0-9 . _ -, starting with a letter or digit)"

static const struct ecase ai_ecases[] = {
	{ "agent without name", "agent", EINVAL, "p.conf:1:6: expected " AINAME " after 'agent'" },
	{ "agent bad name", "agent Claude exe=/a", EINVAL,
	  "p.conf:1:7: expected " AINAME " after 'agent', got 'Claude'" },
	{ "agent name too long", "agent aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa exe=/a", EINVAL,
	  "p.conf:1:7: expected " AINAME " after 'agent', got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'" },
	{ "agent name starts with a dash", "agent -x exe=/a", EINVAL,
	  "p.conf:1:7: expected " AINAME " after 'agent', got '-x'" },
	{ "agent name any is reserved", "agent any exe=/a", EINVAL,
	  "p.conf:1:7: agent name 'any' is reserved (tokens and log filters use it)" },
	{ "agent name none is reserved", "agent none exe=/a", EINVAL,
	  "p.conf:1:7: agent name 'none' is reserved (tokens and log filters use it)" },
	{ "agent without exe", "agent claude   # no file", EINVAL,
	  "p.conf:1:13: expected exe=PATH or unit=UNIT after the agent name" },
	{ "agent unknown option", "agent claude exe=/a cmd=/b", EINVAL,
	  "p.conf:1:21: unknown option 'cmd=/b' for 'agent' (expected exe=PATH or unit=UNIT)" },
	{ "agent bare path", "agent claude /usr/bin/claude", EINVAL,
	  "p.conf:1:14: unknown option '/usr/bin/claude' for 'agent' (expected exe=PATH or unit=UNIT)" },
	{ "agent relative exe", "agent claude exe=bin/claude", EINVAL,
	  "p.conf:1:18: expected an absolute path after 'exe=', got 'bin/claude'" },
	{ "agent exe not normalised", "agent claude exe=/usr//bin/claude", EINVAL,
	  "p.conf:1:18: path '/usr//bin/claude' is not normalised: it has an empty component ('//')" },
	{ "agent duplicate name", "agent a exe=/a\n\nagent a exe=/b", EINVAL,
	  "p.conf:3:7: duplicate agent 'a' (already named on line 1)" },
	{ "agent duplicate exe", "agent a exe=/x\nagent b exe=/y exe=/x", EINVAL,
	  "p.conf:2:20: duplicate exe '/x' (already named on line 1)" },
	{ "agent unit without suffix", "agent bot unit=deploy-bot", EINVAL,
	  "p.conf:1:16: invalid unit name 'deploy-bot': it does not end in .service, .scope or "
	  ".slice (the units that hold processes in a cgroup of their own)" },
	{ "agent unit of a type without processes", "agent bot unit=deploy.timer", EINVAL,
	  "p.conf:1:16: invalid unit name 'deploy.timer': it does not end in .service, .scope or "
	  ".slice (the units that hold processes in a cgroup of their own)" },
	{ "agent unit empty", "agent bot unit=", EINVAL, "p.conf:1:16: invalid unit name '': it is empty" },
	{ "agent unit suffix only", "agent bot unit=.service", EINVAL,
	  "p.conf:1:16: invalid unit name '.service': it has no name before its suffix" },
	{ "agent unit bad character", "agent bot unit=deploy/bot.service", EINVAL,
	  "p.conf:1:16: invalid unit name 'deploy/bot.service': it has a character outside "
	  "A-Z a-z 0-9 : - _ . \\ @" },
	{ "agent unit template", "agent bot unit=deploy@.service", EINVAL,
	  "p.conf:1:16: invalid unit name 'deploy@.service': it is a template (no instance after "
	  "'@'): name an instance, e.g. foo@1.service" },
	{ "agent unit starting with @", "agent bot unit=@x.service", EINVAL,
	  "p.conf:1:16: invalid unit name '@x.service': it has no name before its suffix" },
	{ "agent unit root slice", "agent bot unit=-.slice", EINVAL,
	  "p.conf:1:16: invalid unit name '-.slice': -.slice is the root of every cgroup (every "
	  "process would be an agent's)" },
	{ "agent unit init.scope", "agent bot unit=init.scope", EINVAL,
	  "p.conf:1:16: invalid unit name 'init.scope': init.scope is PID 1's (every process it "
	  "starts would be an agent's)" },
	{ "agent unit quoted", "agent bot \"unit=a.service\"", EINVAL,
	  "p.conf:1:11: unknown option 'unit=a.service' for 'agent' (expected exe=PATH or unit=UNIT)" },
	{ "agent unit duplicate", "agent a unit=x.service\nagent b exe=/b unit=x.service", EINVAL,
	  "p.conf:2:21: duplicate unit 'x.service' (already named on line 1)" },
	{ "agent unit typo in key", "agent a units=x.service", EINVAL,
	  "p.conf:1:9: unknown option 'units=x.service' for 'agent' (expected exe=PATH or unit=UNIT)" },
	{ "agent-mode bad value", "agent-mode on", EINVAL,
	  "p.conf:1:12: expected off, audit or enforce after 'agent-mode', got 'on'" },
	{ "agent-mode duplicate", "agent-mode audit\nagent-mode enforce", EINVAL,
	  "p.conf:2:1: duplicate 'agent-mode' (already set on line 1)" },
	{ "agent-approvals zero", "agent-approvals 0", EINVAL,
	  "p.conf:1:17: expected a number 1..16 after 'agent-approvals', got '0'" },
	{ "agent-approvals missing", "agent-approvals", EINVAL,
	  "p.conf:1:16: expected a number 1..16 after 'agent-approvals'" },
	{ "agent-deny-socket missing", "agent-deny-socket", EINVAL,
	  "p.conf:1:18: expected an absolute path after 'agent-deny-socket'" },
	{ "agent-deny-socket relative", "agent-deny-socket run/x.sock", EINVAL,
	  "p.conf:1:19: expected an absolute path after 'agent-deny-socket', got 'run/x.sock'" },
	{ "agent-deny-socket two paths", "agent-deny-socket /a /b", EINVAL,
	  "p.conf:1:22: unexpected extra argument '/b' ('agent-deny-socket' takes one path)" },
	{ "agent-deny-socket too long",
	  "agent-deny-socket /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  EINVAL, "p.conf:1:19: socket path is too long: 108 bytes (limit 107, a Unix socket's name)" },
	{ "agent-ssh-port missing", "agent-ssh-port", EINVAL,
	  "p.conf:1:15: expected a port 1..65535 after 'agent-ssh-port'" },
	{ "agent-ssh-port zero", "agent-ssh-port 22 0", EINVAL,
	  "p.conf:1:19: expected a port 1..65535 after 'agent-ssh-port', got '0'" },
	{ "agent-ssh-port too big", "agent-ssh-port 65536", EINVAL,
	  "p.conf:1:16: expected a port 1..65535 after 'agent-ssh-port', got '65536'" },
	{ "agent-ssh-port duplicate port", "agent-ssh-port 22 2222 22", EINVAL,
	  "p.conf:1:24: duplicate port 22" },
	{ "agent-ssh-port twice", "agent-ssh-port 22\nagent-ssh-port 2222", EINVAL,
	  "p.conf:2:1: duplicate 'agent-ssh-port' (already set on line 1)" },
	{ "agent-ssh-port too many", "agent-ssh-port 1 2 3 4 5 6 7 8 9", E2BIG,
	  "p.conf:1:32: too many ports (limit 8 on 'agent-ssh-port')" },
};

/* agent-deny-socket and agent-ssh-port: the built-in list, additions, the
 * limit. */
static void test_ai_routes(void)
{
	static const char in[] = "agent-deny-socket /run/ci-runner.sock\n"
				 "agent-deny-socket /run/docker.sock\n"
				 "agent-ssh-port 22 2222\n";
	struct pf_policy *p = NULL;
	struct pf_err e;
	size_t nd = 0, k = 0;
	char big[PF_POLICY_MAX_AI_SOCKETS * 32];
	int r;

	while (pf_policy_ai_default_sockets[nd])
		nd++;
	r = pf_policy_parse("p.conf", "", 0, &p, &e);
	TAP_OK(r == 0 && p->n_ai_sockets == nd && nd == 14 &&
	       strcmp(p->ai_sockets[0], "/run/systemd/private") == 0 &&
	       p->n_ai_ssh_ports == 1 && p->ai_ssh_ports[0] == 22,
	       "agent routes: defaults (14 sockets, port 22)");
	if (r == 0)
		pf_policy_free(p);
	p = NULL;
	r = pf_policy_parse("p.conf", in, strlen(in), &p, &e);
	TAP_OK(r == 0, "agent routes: parse (%s)", r ? e.msg : "");
	if (r == 0) {
		TAP_OK(p->n_ai_sockets == nd + 1, "agent routes: one added, a default named again "
		       "changes nothing");
		TAP_STREQ(p->ai_sockets[nd], "/run/ci-runner.sock", "agent routes: the added path");
		TAP_OK(p->n_ai_ssh_ports == 2 && p->ai_ssh_ports[0] == 22 &&
		       p->ai_ssh_ports[1] == 2222, "agent routes: ports 22 2222");
		pf_policy_free(p);
	}
	for (size_t i = 0; i + nd <= PF_POLICY_MAX_AI_SOCKETS; i++)
		k += (size_t)snprintf(big + k, sizeof(big) - k, "agent-deny-socket /s%zu\n", i);
	p = NULL;
	r = pf_policy_parse("p.conf", big, k, &p, &e);
	TAP_OK(r == -E2BIG && !p, "agent routes: more than %d sockets refused (got %d)",
	       PF_POLICY_MAX_AI_SOCKETS, r);
	TAP_STREQ(e.msg, "p.conf:51:1: too many sockets (limit 64 agent-deny-socket paths, the "
		  "14 built-in included)", "agent routes: limit message");
}

static void test_ai(void)
{
	static const char in[] =
		"agent claude exe=/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js\n"
		"# aider as a pip install and as a pipx one\n"
		"agent aider exe=/usr/bin/aider exe=/usr/local/bin/aider\n"
		"agent-mode enforce\n"
		"agent-approvals 3\n";
	struct pf_policy *p = NULL;
	struct pf_err e;
	char big[PF_POLICY_MAX_AI * 40 + 64];
	size_t k = 0;
	int r;

	for (size_t i = 0; i < sizeof(ai_ecases) / sizeof(ai_ecases[0]); i++)
		err_case(ai_ecases[i].name, ai_ecases[i].in, strlen(ai_ecases[i].in),
			 ai_ecases[i].err, ai_ecases[i].msg);

	r = pf_policy_parse("p.conf", in, strlen(in), &p, &e);
	TAP_OK(r == 0, "agents: parse (%s)", r ? e.msg : "");
	if (r == 0) {
		TAP_OK(p->n_ai == 2 && p->n_ai_exes == 3, "agents: 2 agents, 3 files");
		TAP_STREQ(p->ai[0].name, "claude", "agents: first name");
		TAP_STREQ(p->ai[1].name, "aider", "agents: second name");
		TAP_OK(p->ai[1].line == 3, "agents: line of the second");
		TAP_OK(p->ai_exes[1].agent == 1 && p->ai_exes[2].agent == 1 &&
		       p->ai_exes[0].agent == 0, "agents: files map to their agent");
		TAP_STREQ(p->ai_exes[2].path, "/usr/local/bin/aider", "agents: third file");
		TAP_OK(p->ai_mode == PF_MODE_ENFORCE && p->ai_approvals == 3,
		       "agents: agent-mode enforce, agent-approvals 3");
		TAP_OK(pf_policy_ai_find(p, "aider") == 1 && pf_policy_ai_find(p, "any") == -1,
		       "agents: find by name");
		TAP_OK(pf_policy_ai_threshold(p, 1) == 3 && pf_policy_ai_threshold(p, 5) == 5,
		       "agents: agent-approvals, never below the path's own");
		pf_policy_free(p);
	}
	p = NULL;
	r = pf_policy_parse("p.conf", "", 0, &p, &e);
	TAP_OK(r == 0 && p->n_ai == 0 && p->ai_mode == PF_MODE_OFF && p->ai_approvals == 2,
	       "agents: defaults agent-mode off, agent-approvals 2");
	if (r == 0)
		pf_policy_free(p);
	for (int i = 0; i <= PF_POLICY_MAX_AI; i++)
		k += (size_t)snprintf(big + k, sizeof(big) - k, "agent a%d exe=/x%d\n", i, i);
	p = NULL;
	r = pf_policy_parse("p.conf", big, k, &p, &e);
	TAP_OK(r == -E2BIG && !p, "agents: more than %d refused (got %d)", PF_POLICY_MAX_AI, r);
	TAP_STREQ(e.msg, "p.conf:65:1: too many agents (limit 64 agent lines)",
		  "agents: limit message");
}

/* agent NAME unit=UNIT: the units kept, their agent, the cgroup names
 * systemd gives them, and the limit. */
static void test_ai_units(void)
{
	static const char in[] =
		"agent claude exe=/usr/bin/claude\n"
		"agent ci-bot unit=deploy-bot.service unit=getty@tty1.service\n"
		"agent aider unit=run-u42.scope exe=/usr/bin/aider unit=ci.slice\n";
	static const struct { const char *unit, *cg; } esc[] = {
		{ "deploy-bot.service", "deploy-bot.service" },
		{ "cpu.service", "_cpu.service" },
		{ "memory.slice", "_memory.slice" },
		{ "cpuset-x.service", "cpuset-x.service" },
		{ "_x.service", "__x.service" },
		{ "cgroup.scope", "_cgroup.scope" },
		{ "io.x.service", "_io.x.service" },
		{ "iox.service", "iox.service" },
	};
	char big[PF_POLICY_MAX_AI_UNITS * 40 + 64], cg[PF_UNIT_NAME_MAX + 2], name[300];
	struct pf_policy *p = NULL;
	struct pf_err e;
	size_t k = 0;
	int r;

	r = pf_policy_parse("p.conf", in, strlen(in), &p, &e);
	TAP_OK(r == 0, "agent units: parse (%s)", r ? e.msg : "");
	if (r == 0) {
		TAP_OK(p->n_ai == 3 && p->n_ai_units == 4 && p->n_ai_exes == 2,
		       "agent units: 3 agents, 4 units, 2 files");
		TAP_STREQ(p->ai_units[0].name, "deploy-bot.service", "agent units: first");
		TAP_STREQ(p->ai_units[1].name, "getty@tty1.service", "agent units: an instance");
		TAP_STREQ(p->ai_units[3].name, "ci.slice", "agent units: a slice");
		TAP_OK(p->ai_units[0].agent == 1 && p->ai_units[1].agent == 1 &&
		       p->ai_units[2].agent == 2 && p->ai_units[3].agent == 2,
		       "agent units: each to its agent");
		TAP_OK(p->ai_units[2].line == 3 && p->ai_exes[1].agent == 2,
		       "agent units: line, and the exe= beside them");
		pf_policy_free(p);
	}
	for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		r = pf_unit_cgroup_name(esc[i].unit, cg, sizeof(cg));
		TAP_OK(r == 0 && strcmp(cg, esc[i].cg) == 0, "unit %s: cgroup %s (got %s)",
		       esc[i].unit, esc[i].cg, r ? "error" : cg);
	}
	memset(name, 'a', PF_UNIT_NAME_MAX - 8);
	memcpy(name + PF_UNIT_NAME_MAX - 8, ".service", 9);
	TAP_OK(!pf_unit_name_problem(name, strlen(name)), "unit name of 255 bytes is valid");
	TAP_OK(pf_unit_cgroup_name(name, cg, sizeof(cg)) == 0 && strlen(cg) == 255,
	       "unit name of 255 bytes: its cgroup name");
	name[0] = '_';
	TAP_OK(pf_unit_cgroup_name(name, cg, sizeof(cg)) == 0 && strlen(cg) == 256,
	       "unit name of 255 bytes that needs a '_': 256 bytes");
	TAP_OK(pf_unit_cgroup_name(name, cg, 256) == -ENAMETOOLONG,
	       "cgroup name longer than its buffer: -ENAMETOOLONG");
	name[0] = 'a';
	memmove(name + 1, name, strlen(name) + 1);
	TAP_STREQ(pf_unit_name_problem(name, strlen(name)), "it is longer than 255 bytes",
		  "unit name of 256 bytes refused");
	for (int i = 0; i <= PF_POLICY_MAX_AI_UNITS; i++)
		k += (size_t)snprintf(big + k, sizeof(big) - k, "agent a%d unit=u%d.service\n", i, i);
	p = NULL;
	r = pf_policy_parse("p.conf", big, k, &p, &e);
	TAP_OK(r == -E2BIG && !p, "agent units: more than %d refused (got %d)",
	       PF_POLICY_MAX_AI_UNITS, r);
	TAP_STREQ(e.msg, "p.conf:65:1: too many agents (limit 64 agent lines)",
		  "agent units: the agents' limit comes first here");
	k = 0;
	k += (size_t)snprintf(big + k, sizeof(big) - k, "agent a");
	for (int i = 0; i <= PF_POLICY_MAX_AI_UNITS; i++)
		k += (size_t)snprintf(big + k, sizeof(big) - k, " unit=u%d.service", i);
	p = NULL;
	r = pf_policy_parse("p.conf", big, k, &p, &e);
	TAP_OK(r == -E2BIG && !p, "agent units: more than %d on one line refused (got %d)",
	       PF_POLICY_MAX_AI_UNITS, r);
	TAP_STREQ(e.msg, "p.conf:1:1087: too many agent units (limit 64 unit= in all)",
		  "agent units: limit message");
}

int main(void)
{
	test_errors();
	test_ai();
	test_ai_routes();
	test_ai_units();
	test_windows();
	test_valid();
	test_valid_small();
	test_limits();
	test_load();
	test_match();
	test_numbers();
	test_example();
	return TAP_DONE();
}

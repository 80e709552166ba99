/* Unit tests: user/lib/util/util.c (growable arrays, hex, paths, dates). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

struct item {
	uint32_t a, b;
};

static void test_array(void)
{
	struct item *v = NULL;
	size_t n = 0, cap = 0;
	int ok = 1;

	TAP_OK(PF_ARRAY_GROW(v, cap, n) == 0 && v && cap == 16, "array: the first growth holds 16");
	for (uint32_t i = 0; i < 1000; i++) {
		if (PF_ARRAY_GROW(v, cap, n) < 0) {
			ok = 0;
			break;
		}
		v[n].a = i;
		v[n].b = ~i;
		n++;
	}
	for (uint32_t i = 0; ok && i < 1000; i++)
		ok = v[i].a == i && v[i].b == ~i;
	TAP_OK(ok && n == 1000 && cap == 1024, "array: 1000 items kept through doublings (cap 1024)");
	{
		struct item *before = v;
		size_t c = cap;

		TAP_OK(PF_ARRAY_GROW(v, cap, 10) == 0 && v == before && cap == c,
		       "array: room already there: nothing moves");
	}
	free(v);
	{
		char *big = NULL;
		size_t bcap = SIZE_MAX / 2 + 1;

		TAP_OK(PF_ARRAY_GROW(big, bcap, bcap) == -ENOMEM && !big && bcap == SIZE_MAX / 2 + 1,
		       "array: a capacity that cannot double: -ENOMEM, nothing changed");
	}
}

static void test_hex(void)
{
	static const char digits[] = "0123456789abcdefABCDEF";
	int ok = 1;

	for (int c = 0; c < 256; c++) {
		const char *p = c ? memchr(digits, c, sizeof(digits) - 1) : NULL;
		int want = !p ? -1 : (c <= '9' ? c - '0' : c <= 'F' ? c - 'A' + 10 : c - 'a' + 10);

		ok &= pf_unhex_digit((char)c) == want;
	}
	TAP_OK(ok, "hex: every byte decodes to its digit value or -1");
	TAP_OK(pf_is_lower_hex("0123456789abcdef", 16) == 1 && pf_is_lower_hex("", 0) == 1,
	       "hex: lowercase digits pass");
	TAP_OK(pf_is_lower_hex("00A0", 4) == 0 && pf_is_lower_hex("0g", 2) == 0 &&
	       pf_is_lower_hex("0 ", 2) == 0,
	       "hex: uppercase, g and space fail");
}

static void dir_case(const char *path, const char *want)
{
	char *d = pf_path_dir(path);

	TAP_STREQ(d, want, "path_dir \"%s\"", path);
	free(d);
}

static void test_paths(void)
{
	char *j;

	dir_case("/var/log/permafrost/audit.log", "/var/log/permafrost");
	dir_case("/audit.log", "/");
	dir_case("audit.log", ".");
	dir_case("log/audit.log", "log");
	dir_case("/var/log/", "/var/log");
	j = pf_path_join("/var/lib/permafrost//", "/freeze");
	TAP_STREQ(j, "/var/lib/permafrost/freeze", "path_join: one '/' between");
	free(j);
}

static void test_dates(void)
{
	int64_t d = 0, ns = 0;

	TAP_OK(pf_parse_date("1970-01-01", 10, &d) == 0 && d == 0, "date: the epoch is day 0");
	TAP_OK(pf_parse_date("1969-12-31", 10, &d) == 0 && d == -1, "date: the day before is -1");
	TAP_OK(pf_parse_date("2000-02-29", 10, &d) == 0 && d == 11016, "date: 2000-02-29 is day 11016");
	TAP_OK(pf_parse_date("9999-12-31T", 11, &d) == 0 && d == 2932896,
	       "date: 9999-12-31 is day 2932896 (what follows is not looked at)");
	TAP_OK(pf_parse_date("2100-02-29", 10, &d) == -EINVAL, "date: 2100 is not a leap year");
	TAP_OK(pf_parse_date("2026-04-31", 10, &d) == -EINVAL, "date: April has 30 days");
	TAP_OK(pf_parse_date("2026-13-01", 10, &d) == -EINVAL && pf_parse_date("2026-00-01", 10, &d) == -EINVAL,
	       "date: months 1..12");
	TAP_OK(pf_parse_date("2026-1-01", 9, &d) == -EINVAL && pf_parse_date("2026/01/01", 10, &d) == -EINVAL,
	       "date: two-digit fields, '-' separators");
	TAP_OK(pf_parse_rfc3339("2026-11-29T23:18:45.5Z", 22, &ns) == 0 &&
	       ns == 1795994325500000000LL, "rfc3339: fraction");
	TAP_OK(pf_parse_rfc3339("2026-11-30T01:18:45+02:00", 25, &ns) == 0 &&
	       ns == 1795994325000000000LL, "rfc3339: offset");
	TAP_OK(pf_parse_rfc3339("2263-01-01T00:00:00Z", 20, &ns) == -ERANGE,
	       "rfc3339: beyond int64 nanoseconds: -ERANGE");
	TAP_OK(pf_parse_rfc3339("2026-11-29T23:18:45", 19, &ns) == -EINVAL, "rfc3339: zone required");
}

static void test_uid(void)
{
	uint32_t u = 7;

	TAP_OK(pf_parse_uid("0", &u) == 0 && u == 0, "uid: 0");
	TAP_OK(pf_parse_uid("1000", &u) == 0 && u == 1000, "uid: 1000");
	TAP_OK(pf_parse_uid("4294967294", &u) == 0 && u == 4294967294U, "uid: 4294967294, the largest");
	u = 7;
	TAP_OK(pf_parse_uid("4294967295", &u) == -EINVAL && u == 7, "uid: (uid_t)-1 refused, nothing set");
	TAP_OK(pf_parse_uid("4294967296", &u) == -EINVAL && u == 7, "uid: 2^32 refused, not wrapped to 0");
	TAP_OK(pf_parse_uid("99999999999999999999999", &u) == -EINVAL, "uid: far out of range refused");
	TAP_OK(pf_parse_uid("", &u) == -EINVAL, "uid: empty refused");
	TAP_OK(pf_parse_uid("12ab", &u) == -EINVAL, "uid: digits then letters refused");
	TAP_OK(pf_parse_uid("-1", &u) == -ENOENT, "uid: -1 is no number and no user");
	TAP_OK(pf_parse_uid("root", &u) == 0 && u == 0, "uid: the user root is 0");
	TAP_OK(pf_parse_uid("pf-no-such-user", &u) == -ENOENT && u == 0, "uid: an unknown name refused");
}

int main(void)
{
	test_uid();
	test_array();
	test_hex();
	test_paths();
	test_dates();
	{
		const uint8_t in[3] = { 0x00, 0xab, 0xff };
		uint8_t back[3] = { 1, 1, 1 };
		char hx[7];

		pf_hex_str(in, 3, hx);
		TAP_STREQ(hx, "00abff", "pf_hex_str: lowercase, NUL-terminated");
		TAP_OK(pf_unhex_lower(hx, 3, back) == 0 && memcmp(back, in, 3) == 0, "pf_unhex_lower: the bytes back");
		TAP_OK(pf_unhex_lower("00ABff", 3, back) == -EINVAL && memcmp(back, in, 3) == 0,
		       "pf_unhex_lower: uppercase refused, nothing written");
	}
	return TAP_DONE();
}

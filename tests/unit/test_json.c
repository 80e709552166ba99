/* Unit tests: user/lib/util/buf.c, utf8.c and json.c (buffer, UTF-8,
 * escaping, writer, checker). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"
#include "tap.h"

/* Escapes n bytes with pf_json_escape and compares with want (quotes
 * included) and the lossy flag. */
static void esc_case(const char *name, const char *in, size_t n, const char *want, int want_lossy)
{
	struct pf_buf b;
	int lossy;

	pf_buf_init(&b);
	lossy = pf_json_escape(&b, in, n);
	TAP_STREQ(b.data, want, "escape %s", name);
	TAP_OK(lossy == want_lossy, "escape %s: lossy=%d", name, want_lossy);
	TAP_OK(pf_json_check(b.data, b.len) == 0, "escape %s: output is valid JSON", name);
	pf_buf_free(&b);
}

#define ESC(name, lit, want, lossy) esc_case(name, lit, sizeof(lit) - 1, want, lossy)

static void test_escaping(void)
{
	static const char *const ctl[32] = {
		"\"\\u0000\"", "\"\\u0001\"", "\"\\u0002\"", "\"\\u0003\"",
		"\"\\u0004\"", "\"\\u0005\"", "\"\\u0006\"", "\"\\u0007\"",
		"\"\\b\"", "\"\\t\"", "\"\\n\"", "\"\\u000b\"",
		"\"\\f\"", "\"\\r\"", "\"\\u000e\"", "\"\\u000f\"",
		"\"\\u0010\"", "\"\\u0011\"", "\"\\u0012\"", "\"\\u0013\"",
		"\"\\u0014\"", "\"\\u0015\"", "\"\\u0016\"", "\"\\u0017\"",
		"\"\\u0018\"", "\"\\u0019\"", "\"\\u001a\"", "\"\\u001b\"",
		"\"\\u001c\"", "\"\\u001d\"", "\"\\u001e\"", "\"\\u001f\"",
	};
	char name[32], c;
	int i;

	ESC("empty", "", "\"\"", 0);
	ESC("plain", "hello /etc/passwd", "\"hello /etc/passwd\"", 0);
	ESC("quote", "a\"b", "\"a\\\"b\"", 0);
	ESC("backslash", "a\\b", "\"a\\\\b\"", 0);
	ESC("newline", "a\nb", "\"a\\nb\"", 0);
	ESC("slash is not escaped", "/", "\"/\"", 0);
	for (i = 0; i < 32; i++) {
		c = (char)i;
		snprintf(name, sizeof(name), "control 0x%02x", i);
		esc_case(name, &c, 1, ctl[i], 0);
	}
	ESC("DEL", "\x7f", "\"\\u007f\"", 0);
	ESC("space and tilde", " ~", "\" ~\"", 0);

	/* valid UTF-8 passes through, including the boundaries */
	ESC("U+0080", "\xc2\x80", "\"\xc2\x80\"", 0);
	ESC("U+00E9", "caf\xc3\xa9", "\"caf\xc3\xa9\"", 0);
	ESC("U+07FF", "\xdf\xbf", "\"\xdf\xbf\"", 0);
	ESC("U+0800", "\xe0\xa0\x80", "\"\xe0\xa0\x80\"", 0);
	ESC("U+20AC", "\xe2\x82\xac", "\"\xe2\x82\xac\"", 0);
	ESC("U+D7FF", "\xed\x9f\xbf", "\"\xed\x9f\xbf\"", 0);
	ESC("U+E000", "\xee\x80\x80", "\"\xee\x80\x80\"", 0);
	ESC("U+FFFF", "\xef\xbf\xbf", "\"\xef\xbf\xbf\"", 0);
	ESC("U+10000", "\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"", 0);
	ESC("U+1D11E", "\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"", 0);
	ESC("U+10FFFF", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", 0);

	/* invalid UTF-8: each maximal ill-formed subpart becomes one U+FFFD */
	ESC("stray continuation", "a\x80z", "\"a\\ufffdz\"", 1);
	ESC("overlong 2-byte C0 80", "\xc0\x80", "\"\\ufffd\\ufffd\"", 1);
	ESC("overlong 2-byte C1 BF", "\xc1\xbf", "\"\\ufffd\\ufffd\"", 1);
	ESC("overlong 3-byte", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", 1);
	ESC("overlong 4-byte", "\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", 1);
	ESC("surrogate D800", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", 1);
	ESC("surrogate DFFF", "\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"", 1);
	ESC("above U+10FFFF (F4 90)", "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", 1);
	ESC("F5 lead", "\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", 1);
	ESC("FE and FF", "\xfe\xff", "\"\\ufffd\\ufffd\"", 1);
	ESC("truncated 2-byte at end", "x\xc3", "\"x\\ufffd\"", 1);
	ESC("truncated 3-byte at end", "\xe2\x82", "\"\\ufffd\"", 1);
	ESC("truncated 4-byte at end", "\xf0\x9f\x98", "\"\\ufffd\"", 1);
	ESC("truncated 3-byte before ASCII", "\xe2\x82z", "\"\\ufffdz\"", 1);
	ESC("truncated before a quote", "\xe2\"", "\"\\ufffd\\\"\"", 1);
	ESC("valid after invalid", "\xff\xc3\xa9", "\"\\ufffd\xc3\xa9\"", 1);

	TAP_OK(pf_utf8_valid("caf\xc3\xa9", 5) == 1, "pf_utf8_valid: valid");
	TAP_OK(pf_utf8_valid("\xed\xa0\x80", 3) == 0, "pf_utf8_valid: surrogate");
	TAP_OK(pf_utf8_valid("\xc3", 1) == 0, "pf_utf8_valid: truncated");
	TAP_OK(pf_utf8_valid("", 0) == 1, "pf_utf8_valid: empty");
}

static void test_buf(void)
{
	struct pf_buf b;
	unsigned char bytes[] = { 0x00, 0x01, 0xab, 0xff };
	char big[1000];

	pf_buf_init(&b);
	TAP_OK(b.data == NULL && b.len == 0 && !b.oom, "buf: init is empty");
	TAP_OK(pf_buf_putc(&b, 'x') == 0 && pf_buf_puts(&b, "yz") == 0 &&
	       pf_buf_putn(&b, "12345", 3) == 0, "buf: appends succeed");
	TAP_STREQ(b.data, "xyz123", "buf: content NUL-terminated");
	TAP_OK(pf_buf_printf(&b, "-%d-%s", 42, "ok") == 0, "buf: printf");
	TAP_STREQ(b.data, "xyz123-42-ok", "buf: printf content");
	pf_buf_reset(&b);
	TAP_OK(b.len == 0 && b.data && b.data[0] == '\0', "buf: reset empties");
	pf_hex(&b, bytes, sizeof(bytes));
	TAP_STREQ(b.data, "0001abff", "hex: lowercase");
	pf_buf_reset(&b);
	memset(big, 'a', sizeof(big));
	pf_hex(&b, big, sizeof(big));
	TAP_OK(b.len == 2000 && b.data[1999] == '1', "hex: long input (%zu)", b.len);
	pf_buf_reset(&b);
	memset(big, 'b', sizeof(big));
	pf_buf_putn(&b, big, sizeof(big));
	pf_buf_printf(&b, "%s", "END");
	TAP_OK(b.len == 1003 && strcmp(b.data + 1000, "END") == 0, "buf: grows across printf");
	b.oom = 1;
	TAP_OK(pf_buf_putc(&b, 'x') == -ENOMEM && b.len == 1003, "buf: oom is sticky");
	pf_buf_free(&b);
	TAP_OK(b.data == NULL && b.len == 0 && b.cap == 0, "buf: free resets");
}

static void test_writer(void)
{
	struct pf_buf b;
	struct pf_json j;

	pf_buf_init(&b);
	pf_json_init(&j, &b, 0);
	pf_json_obj_begin(&j);
	pf_json_key(&j, "a");
	pf_json_uint(&j, 18446744073709551615ULL);
	pf_json_key(&j, "b");
	pf_json_int(&j, -9223372036854775807LL - 1);
	pf_json_key(&j, "c");
	pf_json_arr_begin(&j);
	pf_json_bool(&j, 1);
	pf_json_bool(&j, 0);
	pf_json_null(&j);
	pf_json_str(&j, "x\"y");
	pf_json_obj_begin(&j);
	pf_json_obj_end(&j);
	pf_json_arr_begin(&j);
	pf_json_arr_end(&j);
	pf_json_arr_end(&j);
	pf_json_key(&j, "d\n");
	pf_json_obj_begin(&j);
	pf_json_key(&j, "e");
	pf_json_str(&j, NULL);
	pf_json_obj_end(&j);
	pf_json_obj_end(&j);
	TAP_STREQ(b.data,
		  "{\"a\":18446744073709551615,\"b\":-9223372036854775808,"
		  "\"c\":[true,false,null,\"x\\\"y\",{},[]],\"d\\n\":{\"e\":null}}",
		  "writer: compact nesting and commas");
	TAP_OK(j.depth == 0 && !j.misuse && !b.oom, "writer: balanced");
	TAP_OK(pf_json_check(b.data, b.len) == 0, "writer: compact output is valid JSON");

	pf_buf_reset(&b);
	pf_json_init(&j, &b, 1);
	pf_json_obj_begin(&j);
	pf_json_key(&j, "a");
	pf_json_arr_begin(&j);
	pf_json_uint(&j, 1);
	pf_json_uint(&j, 2);
	pf_json_arr_end(&j);
	pf_json_key(&j, "b");
	pf_json_obj_begin(&j);
	pf_json_obj_end(&j);
	pf_json_obj_end(&j);
	TAP_STREQ(b.data, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}",
		  "writer: pretty output");
	TAP_OK(pf_json_check(b.data, b.len) == 0, "writer: pretty output is valid JSON");

	pf_buf_reset(&b);
	pf_json_init(&j, &b, 0);
	pf_json_uint(&j, 1);
	pf_json_str(&j, "two");
	TAP_STREQ(b.data, "1\n\"two\"", "writer: top-level values one per line");

	pf_buf_reset(&b);
	pf_json_init(&j, &b, 0);
	pf_json_arr_begin(&j);
	TAP_OK(pf_json_strn(&j, "a\xff", 2) == 1, "writer: strn reports lossy");
	TAP_OK(pf_json_strn(&j, "a\0b", 3) == 0, "writer: strn with NUL is not lossy");
	TAP_OK(pf_json_str(&j, "\xc3\xa9") == 0, "writer: str valid UTF-8 not lossy");
	pf_json_arr_end(&j);
	TAP_STREQ(b.data, "[\"a\\ufffd\",\"a\\u0000b\",\"\xc3\xa9\"]", "writer: strn output");

	pf_buf_reset(&b);
	pf_json_init(&j, &b, 0);
	pf_json_obj_end(&j);
	TAP_OK(j.misuse == 1 && b.len == 0, "writer: unbalanced end flagged");
	pf_json_init(&j, &b, 0);
	pf_json_key(&j, "k");
	TAP_OK(j.misuse == 1, "writer: key outside an object flagged");
	pf_json_init(&j, &b, 0);
	for (int i = 0; i < PF_JSON_MAX_DEPTH + 1; i++)
		pf_json_arr_begin(&j);
	TAP_OK(j.misuse == 1 && j.depth == PF_JSON_MAX_DEPTH, "writer: depth cap flagged");
	pf_buf_free(&b);
}

/* Numbers (two digits a division) and literal keys (one copy with their
 * separator) against printf and pf_json_key. */
static void test_numbers_and_keys(void)
{
	static const uint64_t edge[] = { 0, 9, 10, 99, 100, 101, 1000, 1005, 99999, 100000,
					 4294967295ULL, 10000000000000000000ULL,
					 18446744073709551615ULL };
	struct pf_buf b, ref;
	struct pf_json j, r;
	char want[64];
	int bad = 0;

	pf_buf_init(&b);
	for (uint64_t v = 0; v <= 120000; v++) {
		pf_buf_reset(&b);
		pf_json_init(&j, &b, 0);
		pf_json_uint(&j, v);
		snprintf(want, sizeof(want), "%" PRIu64, v);
		bad += strcmp(b.data, want) != 0;
	}
	for (size_t k = 0; k < sizeof(edge) / sizeof(edge[0]); k++) {
		pf_buf_reset(&b);
		pf_json_init(&j, &b, 0);
		pf_json_uint(&j, edge[k]);
		snprintf(want, sizeof(want), "%" PRIu64, edge[k]);
		bad += strcmp(b.data, want) != 0;
		pf_buf_reset(&b);
		pf_json_init(&j, &b, 0);
		pf_json_int(&j, -(int64_t)(edge[k] >> 1));
		snprintf(want, sizeof(want), "%" PRId64, -(int64_t)(edge[k] >> 1));
		bad += strcmp(b.data, want) != 0;
	}
	TAP_OK(bad == 0, "numbers: 0..120000 and the edges as printf writes them");

	pf_buf_init(&ref);
	for (int pretty = 0; pretty < 2; pretty++) {
		pf_buf_reset(&b);
		pf_buf_reset(&ref);
		pf_json_init(&j, &b, pretty);
		pf_json_init(&r, &ref, pretty);
		pf_json_obj_begin(&j);
		pf_json_obj_begin(&r);
		PF_JSON_KEY_LIT(&j, "first");
		pf_json_key(&r, "first");
		pf_json_uint(&j, 1);
		pf_json_uint(&r, 1);
		PF_JSON_KEY_LIT(&j, "second");
		pf_json_key(&r, "second");
		pf_json_obj_begin(&j);
		pf_json_obj_begin(&r);
		PF_JSON_KEY_LIT(&j, "in");
		pf_json_key(&r, "in");
		pf_json_str(&j, "x");
		pf_json_str(&r, "x");
		pf_json_obj_end(&j);
		pf_json_obj_end(&r);
		pf_json_obj_end(&j);
		pf_json_obj_end(&r);
		TAP_OK(!j.misuse && !r.misuse && strcmp(b.data, ref.data) == 0,
		       pretty ? "literal keys: as pf_json_key writes them (pretty)"
			      : "literal keys: as pf_json_key writes them (compact)");
	}
	pf_buf_reset(&b);
	pf_json_init(&j, &b, 0);
	PF_JSON_KEY_LIT(&j, "top");
	TAP_OK(j.misuse, "literal keys: a key outside an object is misuse");
	pf_json_init(&j, &b, 0);
	pf_json_obj_begin(&j);
	PF_JSON_KEY_LIT(&j, "a");
	PF_JSON_KEY_LIT(&j, "b");
	TAP_OK(j.misuse, "literal keys: a key after a key is misuse");
	pf_buf_free(&ref);
	pf_buf_free(&b);
}

static void test_check(void)
{
	static const char *const good[] = {
		"0", "-0", "1.5e+10", "-12.25E-3", "true", "false", "null", "\"\"",
		" {\"a\" : [1, 2, {\"b\":null}]} ", "\"\\u00e9\\n\\/\"", "[]", "{}",
		"\"\xf0\x9d\x84\x9e\"",
	};
	static const char *const bad[] = {
		"", " ", "01", "1.", ".5", "+1", "1e", "-", "tru", "nul", "[1,]", "{,}",
		"{\"a\"}", "{\"a\":1,}", "{1:2}", "[1 2]", "\"abc", "\"\\x\"", "\"\\u12g4\"",
		"\"a\nb\"", "\"\xff\"", "\"\xed\xa0\x80\"", "1 2", "[", "]", "{\"a\":1}}",
		"'a'", "\"\\u12\"",
	};
	char deep[600];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		TAP_OK(pf_json_check(good[i], strlen(good[i])) == 0, "check accepts %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TAP_OK(pf_json_check(bad[i], strlen(bad[i])) == -EINVAL, "check refuses bad[%zu]", i);
	TAP_OK(pf_json_check("[1]\0", 4) == -EINVAL, "check refuses trailing NUL");
	memset(deep, '[', 300);
	memset(deep + 300, ']', 300);
	TAP_OK(pf_json_check(deep, 600) == -EINVAL, "check refuses nesting 300");
	TAP_OK(pf_json_check(deep + 100, 400) == 0, "check accepts nesting 200");
}

/* Collects "key=value;" for each member; stops with -ENOSPC at key "stop". */
static int collect(const struct pf_json_member *m, void *data)
{
	struct pf_buf *b = data;

	if (m->key_len == 4 && memcmp(m->key, "stop", 4) == 0)
		return -ENOSPC;
	pf_buf_printf(b, "%.*s=%.*s;", (int)m->key_len, m->key, (int)m->val_len, m->val);
	return 0;
}

static void scan_case(const char *doc, int want_r, const char *want)
{
	struct pf_buf b;
	int r;

	pf_buf_init(&b);
	r = pf_json_scan_object(doc, strlen(doc), collect, &b);
	TAP_OK(r == want_r, "scan %s: returns %d", doc, want_r);
	TAP_STREQ(b.data ? b.data : "", want, "scan %s: members", doc);
	pf_buf_free(&b);
}

static void test_scan(void)
{
	scan_case("{}", 0, "");
	scan_case(" { \"a\" : 1 , \"b\":\"x\\\"y\" } ", 0, "a=1;b=\"x\\\"y\";");
	scan_case("{\"o\":{\"in\":[1,{\"d\":2}]},\"t\":true}", 0, "o={\"in\":[1,{\"d\":2}]};t=true;");
	scan_case("{\"k\\u0065y\":null}", 0, "k\\u0065y=null;");
	scan_case("{\"a\":1,\"stop\":2,\"c\":3}", -ENOSPC, "a=1;");
	scan_case("[1,2]", -EINVAL, "");
	scan_case("\"{}\"", -EINVAL, "");
	scan_case("{\"a\":1,}", -EINVAL, "a=1;");
	scan_case("{\"a\":1} x", -EINVAL, "a=1;");
	TAP_OK(pf_json_scan_object(NULL, 0, collect, NULL) == -EINVAL, "scan NULL: -EINVAL");
}

static void unescape_case(const char *tok, int want_r, const char *want, size_t want_len)
{
	struct pf_buf b;
	int r;

	pf_buf_init(&b);
	r = pf_json_unescape(tok, strlen(tok), &b);
	TAP_OK(r == want_r && b.len == want_len && (!want_len || memcmp(b.data, want, want_len) == 0),
	       "unescape %s", tok);
	pf_buf_free(&b);
}

static void test_unescape(void)
{
	unescape_case("\"\"", 0, "", 0);
	unescape_case("\"plain\"", 0, "plain", 5);
	unescape_case("\"a\\nb\\t\\\"\\\\\\/\"", 0, "a\nb\t\"\\/", 7);
	unescape_case("\"\\u00e9\\u20AC\"", 0, "\xc3\xa9\xe2\x82\xac", 5);
	unescape_case("\"\\ud834\\udd1e\"", 0, "\xf0\x9d\x84\x9e", 4);
	unescape_case("\"\\ud834x\"", 0, "\xef\xbf\xbdx", 4);
	unescape_case("\"\\udd1e\"", 0, "\xef\xbf\xbd", 3);
	unescape_case("\"a\\u0000b\"", 0, "a\0b", 3);
	unescape_case("12", -EINVAL, "", 0);
	unescape_case("\"", -EINVAL, "", 0);
}

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len, bad;
		unsigned cp;
	} t[] = {
		{ "A", 1, 0, 0x41 },
		{ "\xc2\x80", 2, 0, 0x80 },
		{ "\xdf\xbf", 2, 0, 0x7ff },
		{ "\xe0\xa0\x80", 3, 0, 0x800 },
		{ "\xef\xbf\xbd", 3, 0, 0xfffd },
		{ "\xf0\x90\x80\x80", 4, 0, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 0, 0x10ffff },
		{ "\xc0\x80", 0, 1, 0 },     /* overlong */
		{ "\xe0\x80\x80", 0, 1, 0 }, /* overlong: E0 needs A0..BF */
		{ "\xed\xa0\x80", 0, 1, 0 }, /* surrogate */
		{ "\xf4\x90\x80\x80", 0, 1, 0 }, /* above U+10FFFF */
		{ "\xe2\x82", 0, 2, 0 },     /* truncated */
		{ "\x80", 0, 1, 0 },         /* lone continuation */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned cp = 0;
		size_t bad = 0, k = pf_utf8_next((const unsigned char *)t[i].s, strlen(t[i].s), &cp,
						 &bad);

		TAP_OK(k == t[i].len && (k ? cp == t[i].cp : bad == t[i].bad),
		       "utf8_next case %zu: length %zu, %s %#x", i, t[i].len, k ? "code point" : "bad",
		       k ? t[i].cp : (unsigned)t[i].bad);
	}
	for (unsigned cp = 0; cp <= 0x10ffff; cp += cp < 0x800 ? 1 : 97) {
		struct pf_buf b;
		unsigned back = 0;

		if (cp >= 0xd800 && cp < 0xe000)
			continue;
		pf_buf_init(&b);
		pf_utf8_put(&b, cp);
		if (pf_utf8_next((const unsigned char *)b.data, b.len, &back, NULL) != b.len ||
		    back != cp) {
			TAP_OK(0, "utf8_put/next round trip of %#x", cp);
			pf_buf_free(&b);
			return;
		}
		pf_buf_free(&b);
	}
	TAP_OK(1, "utf8_put/next round trip of every 97th code point");
}

int main(void)
{
	test_escaping();
	test_buf();
	test_writer();
	test_numbers_and_keys();
	test_check();
	test_scan();
	test_unescape();
	test_utf8();
	return TAP_DONE();
}

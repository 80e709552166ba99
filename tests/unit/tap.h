/* Minimal TAP test helpers shared by the unit tests.
 * Each test program prints "ok N - name" / "not ok N - name # detail"
 * lines; tests/run-all.sh counts them. A program that exits non-zero
 * without printing "not ok" is counted as one failure by the runner. */
#ifndef PF_TAP_H
#define PF_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)                                                    \
	do {                                                                 \
		int _c = !!(cond);                                           \
		tap_n++;                                                     \
		if (!_c)                                                     \
			tap_failed++;                                        \
		printf("%sok %d - ", _c ? "" : "not ", tap_n);               \
		printf(__VA_ARGS__);                                         \
		if (!_c)                                                     \
			printf(" # failed at %s:%d: %s", __FILE__, __LINE__, \
			       #cond);                                       \
		printf("\n");                                                \
	} while (0)

#define TAP_STREQ(got, want, ...)                                            \
	do {                                                                 \
		const char *_g = (got), *_w = (want);                        \
		int _c = _g && _w && strcmp(_g, _w) == 0;                    \
		tap_n++;                                                     \
		if (!_c)                                                     \
			tap_failed++;                                        \
		printf("%sok %d - ", _c ? "" : "not ", tap_n);               \
		printf(__VA_ARGS__);                                         \
		if (!_c)                                                     \
			printf(" # got \"%s\", want \"%s\"", _g ? _g : "(null)", \
			       _w ? _w : "(null)");                          \
		printf("\n");                                                \
	} while (0)

#define TAP_DONE() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif

/* libFuzzer target: the audit-log formatter and the JSON string escaper.
 * The input is a raw ring-buffer record (short inputs are zero-padded)
 * followed by bytes for the context (boot_to_real, seq, then a run's
 * repeat, first and of, or a host). Every output must be exactly one line
 * holding one valid JSON object. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "json.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_event e;
	struct pf_event_ctx ctx = { 0 };
	struct pf_buf b;
	char path[PF_EVENT_PATH_MAX];
	size_t n = size < sizeof(e) ? size : sizeof(e), rest = size - n, k;
	int r, lossy;

	memset(&e, 0, sizeof(e));
	memcpy(&e, data, n);
	if (rest >= sizeof(ctx.boot_to_real_ns))
		memcpy(&ctx.boot_to_real_ns, data + n, sizeof(ctx.boot_to_real_ns));
	if (rest >= 16)
		memcpy(&ctx.seq, data + n + 8, sizeof(ctx.seq));
	if (rest >= 40) {
		/* a run's repeats line, joined (of) or not */
		memcpy(&ctx.repeat, data + n + 16, sizeof(ctx.repeat));
		memcpy(&ctx.first_boot_ns, data + n + 24, sizeof(ctx.first_boot_ns));
		memcpy(&ctx.of_seq, data + n + 32, sizeof(ctx.of_seq));
	}
	if (rest > 16 && data[size - 1] == '\0')
		ctx.host = (const char *)data + n + 16; /* NUL-terminated tail */

	pf_buf_init(&b);
	pf_buf_puts(&b, "x");
	r = pf_event_to_json(&e, &ctx, &b);
	if (r < 0 || b.len < 3 || b.data[1] != '{' || b.data[b.len - 1] != '\n' ||
	    memchr(b.data + 1, '\n', b.len - 2) || pf_json_check(b.data + 1, b.len - 2) < 0)
		abort();

	/* the path alone, with output buffers around its size */
	r = pf_event_path(&e, path, sizeof(path));
	if (r < 1 || (size_t)r >= sizeof(path) || path[0] != '/' || strlen(path) != (size_t)r)
		abort();
	for (k = 0; k < 4; k++) {
		static const size_t delta[4] = { 0, 1, 2, 3 };
		size_t sz = (size_t)r + 2 > delta[k] ? (size_t)r + 2 - delta[k] : 0;
		char out[PF_EVENT_PATH_MAX];
		int r2 = pf_event_path(&e, out, sz);

		if ((sz > (size_t)r && (r2 != r || memcmp(out, path, (size_t)r + 1))) ||
		    (sz <= (size_t)r && r2 != -ENOBUFS))
			abort();
	}

	/* the whole input as a JSON string */
	pf_buf_reset(&b);
	lossy = pf_json_escape(&b, data, size);
	if (b.oom || pf_json_check(b.data, b.len) < 0 || lossy != !pf_utf8_valid(data, size))
		abort();
	pf_buf_free(&b);
	return 0;
}

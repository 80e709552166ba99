/* libFuzzer target: the control-socket message decoder (bytes from any
 * local client in the permafrost group). Decoding must never crash, and a
 * message that decodes must re-encode and decode to the same items. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_msg m, m2;
	struct pf_buf b;
	struct pf_err err;

	pf_msg_init(&m);
	if (pf_msg_decode((const char *)data, size, &m, &err) != 0)
		return 0;
	pf_buf_init(&b);
	if (pf_msg_encode(&m, &b) == 0) {
		pf_msg_init(&m2);
		if (pf_msg_decode(b.data, b.len, &m2, &err) != 0 || m2.n != m.n)
			abort();
		for (size_t i = 0; i < m.n; i++)
			if (strcmp(m.kv[i].key, m2.kv[i].key) || strcmp(m.kv[i].val, m2.kv[i].val))
				abort();
		pf_msg_free(&m2);
	}
	pf_buf_free(&b);
	pf_msg_free(&m);
	return 0;
}

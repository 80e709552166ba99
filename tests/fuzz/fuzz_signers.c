/* libFuzzer target: the allowed_signers parser and its matchers.
 * Built by tests/fuzz/run.sh, whose TARGETS list names its sources. */
#include <stddef.h>
#include <stdint.h>

#include "signers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_signers *s = NULL;

	if (pf_signers_parse((const char *)data, size, "fuzz", &s, NULL) == 0) {
		for (size_t i = 0; i < s->n; i++) {
			pf_signer_allows_namespace(&s->entries[i], "permafrost-approval-v1");
			pf_signer_check_time(&s->entries[i], 1795000000);
			pf_signer_has_principal(&s->entries[i], "alice");
		}
		pf_signers_free(s);
	}
	return 0;
}

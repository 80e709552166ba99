/* libFuzzer target: the approval token parser, the bundle splitter and the
 * whole verification walk (armor, SSHSIG blobs, rules) against an empty
 * allowed_signers set.
 * Built by tests/fuzz/run.sh, whose TARGETS list names its sources. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "approve.h"
#include "signers.h"
#include "token.h"

static int thresh(const char *path, bool subtree, void *data, unsigned *ret, struct pf_err *why)
{
	(void)why;
	if (path[1] == 't') /* "/t..." is outside every tree */
		return -ENOENT;
	*ret = subtree ? 2 : 1;
	return 0;
}

static int used(const char *id, void *data)
{
	return id[0] == 'f';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pf_signers *signers;
	const char *text = (const char *)data;
	struct pf_token *t = NULL;
	struct pf_explanation *x = NULL;
	size_t body_len;

	if (!signers && pf_signers_parse("", 0, "empty", &signers, NULL) < 0)
		return 0;
	if (pf_token_parse(text, size, &t, NULL) == 0)
		pf_token_free(t);
	if (pf_bundle_body_len(text, size, &body_len, NULL) == 0 && body_len <= size) {
		struct pf_approve_ctx c = {
			.signers = signers, .ns = PF_APPROVAL_NAMESPACE, .hostname = "web1",
			.machine_id = "0123456789abcdef0123456789abcdef", .now = 1795000000,
			.threshold = thresh, .thaw_threshold = 2, .max_ttl = 86400, .is_used = used,
		};
		struct pf_text sig = { text + body_len, size - body_len };
		struct pf_approve_input in = { .bundle = { text, size }, .sigfiles = &sig, .n_sigfiles = 1 };

		if (pf_approve_explain(&c, &in, &x) == 0)
			pf_explanation_free(x);
	}
	return 0;
}

/* libFuzzer target: SSHSIG blobs (raw and armored), public key blobs and
 * one-line public keys; parsed signatures are verified over a fixed
 * message so the EVP paths run too.
 * Built by tests/fuzz/run.sh, whose TARGETS list names its sources. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sshbuf.h"
#include "sshsig.h"

#define NS "permafrost-approval-v1"

static void try_sig(struct pf_sshsig *s)
{
	static const char msg[] = "permafrost-approval v1\n";
	char fp[PF_SSHKEY_FP_LEN];
	uint8_t flags;

	pf_sshkey_fingerprint(pf_sshsig_key(s), fp, sizeof(fp));
	pf_sshsig_verify(s, msg, sizeof(msg) - 1, &flags, NULL);
	pf_sshsig_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_sshsig *s = NULL;
	struct pf_sshkey *k = NULL, *k2 = NULL;
	size_t used;

	if (pf_sshsig_from_blob(data, size, NS, &s, NULL) == 0)
		try_sig(s);
	s = NULL;
	if (pf_sshsig_from_armor((const char *)data, size, NS, &s, &used, NULL) == 0)
		try_sig(s);
	if (pf_sshkey_from_blob(data, size, &k, NULL) == 0) {
		char fp[PF_SSHKEY_FP_LEN];

		pf_sshkey_fingerprint(k, fp, sizeof(fp));
		pf_sshkey_free(k);
	}
	if (pf_sshkey_from_line((const char *)data, size, &k2, NULL) == 0)
		pf_sshkey_free(k2);
	return 0;
}

/* approve: the decision whether this host accepts a signed approval token.
 *
 * Input: the token bundle (body + armored SSHSIG signatures, see token.h)
 * and optionally separate signature files, the allowed_signers entries, the
 * namespace constant, the host identity, the current time (read ONCE by
 * the caller), the policy callbacks and limits.
 *
 * Rules, evaluated in this order; the decision is the first that fails:
 *   format      the body parses (token.h); bundle and signature files
 *               within their size limits
 *   signatures  at least one signature, at most PF_TOKEN_MAX_SIGS, and
 *               EVERY signature must be good: armor and SSHSIG blob well
 *               formed, namespace == ctx->ns, signature verifies over the
 *               exact body bytes, the key is in allowed_signers with an
 *               entry that allows the namespace, is valid now
 *               (valid-after <= now <= valid-before) and, with
 *               verify-required, a FIDO user-verified flag. A bundle
 *               carrying any bad or untrusted signature is refused whole.
 *   host        a host line equals ctx->hostname (ASCII case-insensitive)
 *               or ctx->machine_id
 *   not-before  now + PF_APPROVE_SKEW >= not-before (skew on this only)
 *   not-after   now < not-after
 *   max-ttl     not-after - not-before <= ctx->max_ttl
 *   replay      ctx->is_used(token-id) says it was never used
 *   scope       every path is inside a protected tree: ctx->threshold()
 *               returns 0; -ENOENT means outside every tree -> refused
 *   threshold   the number of distinct approvers reaches, for every path,
 *               the threshold the policy returns for it (for a thaw
 *               token: ctx->thaw_threshold; for a token with an agent
 *               field, at least ctx->ai_threshold); a threshold below 1
 *               counts as 1.
 *
 * Distinct approvers: each good signature stands for the union of the
 * principals of its key's usable allowed_signers entries. Signatures whose
 * principals include the token's requester do not count. The remaining
 * signatures are grouped so that any two sharing a key or a principal are
 * one approver (one person with two keys, one key signing twice, or a key
 * listed for several principals each count once). The display name of an
 * approver is its principals, sorted, joined by ','.
 *
 * Nothing here changes state: recording the token id is the caller's job
 * after acceptance. Nothing prints.
 */
#ifndef PF_APPROVE_H
#define PF_APPROVE_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signers.h"
#include "sshbuf.h"
#include "token.h"

#define PF_APPROVAL_NAMESPACE "permafrost-approval-v1"
/* Clock skew tolerated on not-before only, seconds. */
#define PF_APPROVE_SKEW 120
/* Longest rule name, including NUL. */
#define PF_RULE_NAME_MAX 16

/* Policy: highest `approvals` of any protected tree the path touches (a
 * path with subtree=true touches every tree below it). Returns 0 and sets
 * *ret_threshold, -ENOENT if the path is outside every protected tree, or
 * another negative errno on failure, saying why in @why when it can. */
typedef int (*pf_threshold_fn)(const char *path, bool subtree, void *data,
			       unsigned *ret_threshold, struct pf_err *why);
/* Replay store: 1 if token_id was already used, 0 if not, <0 on error. */
typedef int (*pf_used_fn)(const char *token_id, void *data);

struct pf_approve_ctx {
	const struct pf_signers *signers;
	const char *ns;           /* normally PF_APPROVAL_NAMESPACE */
	const char *hostname;     /* may be NULL */
	const char *machine_id;   /* 32 lowercase hex, may be NULL */
	int64_t now;              /* Unix seconds, read once */
	pf_threshold_fn threshold;
	void *threshold_data;
	unsigned thaw_threshold;
	unsigned ai_threshold;    /* policy agent-approvals: the least a token with
				     an agent field needs for every path */
	int64_t max_ttl;          /* seconds */
	bool requester_signs;     /* policy requester-signs: the requester must sign */
	pf_used_fn is_used;
	void *used_data;
};

/* One input text: a bundle or a signature file. */
struct pf_text {
	const char *data;
	size_t len;
};

struct pf_approve_input {
	struct pf_text bundle;          /* body, optionally followed by signatures */
	const struct pf_text *sigfiles; /* each: one or more armored signatures */
	size_t n_sigfiles;
};

struct pf_approval {
	struct pf_token *token;   /* parsed from the verified body bytes */
	char **approvers;         /* distinct approvers that counted, sorted */
	size_t n_approvers;
	unsigned required;        /* highest threshold over the token's scope */
};

void pf_approval_free(struct pf_approval *a);

/* The decision. 0 and *ret_approval on acceptance; -EACCES with the first
 * failing rule's message in err on refusal (e.g. "token expired at
 * 2026-11-29T10:00:00Z (now 2026-11-29T11:00:00Z)"); -ENOMEM or -EINVAL
 * (bad ctx) otherwise. ret_rule, if not NULL, receives the failing rule's
 * name on refusal (static string). */
int pf_approve_verify(const struct pf_approve_ctx *ctx, const struct pf_approve_input *in,
		      struct pf_approval **ret_approval, const char **ret_rule,
		      struct pf_err *err);

/* Rule-by-rule explanation for `permafrost token verify`. */
struct pf_rule_result {
	char rule[PF_RULE_NAME_MAX]; /* "format", "signatures", "host", ... */
	bool ok;
	char message[PF_ERR_MAX];
};

struct pf_explanation {
	struct pf_rule_result *rules; /* in evaluation order */
	size_t n_rules;
	bool accepted;                /* every rule ok */
	struct pf_approval *approval; /* set when accepted, else NULL */
};

/* Evaluates every rule that can be evaluated (after a format failure
 * nothing else can) and lists one result per rule, one per signature for
 * "signatures". Returns 0 whether or not the token is accepted; negative
 * errno only for -ENOMEM / -EINVAL. */
int pf_approve_explain(const struct pf_approve_ctx *ctx, const struct pf_approve_input *in,
		       struct pf_explanation **ret_expl);
void pf_explanation_free(struct pf_explanation *e);

#endif

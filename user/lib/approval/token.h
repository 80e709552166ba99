/* token: the Permafrost approval token, a small canonical text document
 * whose exact bytes approvers sign with `ssh-keygen -Y sign -n
 * permafrost-approval-v1`.
 *
 * Format (every rule is enforced; anything else is refused):
 *
 *   permafrost-approval v2
 *   token-id: 0123456789abcdef0123456789abcdef
 *   ticket: CHG-1234
 *   requester: alice
 *   host: web1.example.com
 *   host: 0123456789abcdef0123456789abcdef
 *   path: /etc/nginx/
 *   path: /etc/hosts
 *   ops: write create
 *   uid: 0
 *   unit: nginx.service
 *   exe: /usr/bin/vim
 *   agent: claude
 *   not-before: 2026-11-29T09:00:00Z
 *   not-after: 2026-11-29T10:00:00Z
 *   reason: rotate the TLS certificate
 *
 * - Bytes: printable ASCII 0x20..0x7e and LF only. No CR, tab or other
 *   control byte, no NUL. The body ends with an LF; no empty lines.
 * - Size: at most PF_TOKEN_MAX_SIZE bytes.
 * - Line 1 is exactly "permafrost-approval v1" or "permafrost-approval v2".
 *   Format v2 adds the field agent; a v1 token cannot have it.
 * - Every other line is `key: value`: the key, a colon, exactly one space,
 *   and a non-empty value that neither starts nor ends with a space.
 * - Fields appear in the order shown above. Required: token-id, ticket,
 *   requester, host (1..PF_TOKEN_MAX_HOSTS lines), not-before, not-after,
 *   reason; path (1..PF_TOKEN_MAX_PATHS lines) is required unless ops is
 *   "thaw". Optional: ops, uid, unit, exe, agent. Only host and path repeat; an
 *   unknown, repeated or out-of-order field is refused.
 * - token-id: exactly 32 lowercase hex digits (128 bits).
 * - ticket: 1..PF_TOKEN_MAX_TICKET bytes; reason: 1..PF_TOKEN_MAX_REASON.
 * - requester: a principal as in allowed_signers: 1..PF_TOKEN_MAX_PRINCIPAL
 *   bytes of printable ASCII, no space, no , * ? ! " or '.
 * - host: a lowercase hostname (labels of a-z 0-9 -, 1..63 bytes each, not
 *   starting or ending with '-', total <= 253, no trailing dot) or a 32-hex
 *   machine-id (which is also a valid label). No wildcards. No duplicates.
 * - path: absolute and normalised: starts with '/', no empty, "." or ".."
 *   component; a trailing '/' means the whole subtree ("/" alone is the
 *   whole file system), no trailing '/' means exactly that file. At most
 *   PF_TOKEN_MAX_PATH bytes. No duplicates. Forbidden with ops thaw.
 * - ops: space-separated, in the canonical order
 *   write create delete rename metadata mount, each at most once; or
 *   "thaw" alone. Absent means every op except thaw.
 * - uid: decimal 0..4294967294 without leading zeros.
 * - unit: a systemd unit name, 1..PF_TOKEN_MAX_UNIT bytes of
 *   [A-Za-z0-9:_.@\-], ending in .service .socket .mount .swap .scope or
 *   .slice (units with a cgroup).
 * - exe: an absolute normalised path naming a file (no trailing '/').
 * - agent (v2): "any", or the name of one of the policy's `agent` lines
 *   (1..PF_TOKEN_MAX_AGENT bytes of a-z 0-9 . _ -, starting with a letter
 *   or digit; not "none"). Only a token with it applies to the processes
 *   of an AI agent's tree (while agent-mode is not off), and only with
 *   agent-approvals distinct approvers (never fewer than the paths ask).
 * - uid, unit, exe and agent are forbidden with ops thaw.
 * - not-before / not-after: YYYY-MM-DDTHH:MM:SSZ (UTC, a real date, no
 *   leap seconds, year 1970..9999), not-after strictly later.
 *
 * A bundle is the body followed by any number of armored SSH signatures:
 * the body is every byte before the first line that is exactly
 * "-----BEGIN SSH SIGNATURE-----", and those are the bytes that are both
 * verified and parsed (never re-serialised). At most PF_TOKEN_MAX_SIGS
 * signatures, PF_BUNDLE_MAX_SIZE bytes in all.
 *
 * Errors: -EBADMSG malformed (message "token line N: ..."), -EMSGSIZE
 * over a limit, -ENOMEM, -EINVAL bad arguments to pf_token_new.
 */
#ifndef PF_TOKEN_H
#define PF_TOKEN_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sshbuf.h"
#include "sshsig.h"

/* ---- limits ----------------------------------------------------------- */
#define PF_TOKEN_MAGIC          "permafrost-approval v1"
#define PF_TOKEN_MAGIC_V2       "permafrost-approval v2"
#define PF_TOKEN_MAX_AGENT      32     /* an agent's name, bytes */
#define PF_TOKEN_MAX_SIZE       65536  /* body, bytes */
#define PF_TOKEN_MAX_HOSTS      64
#define PF_TOKEN_MAX_PATHS      256
#define PF_TOKEN_MAX_PATH       4095   /* path / exe value, bytes */
#define PF_TOKEN_MAX_TICKET     128
#define PF_TOKEN_MAX_PRINCIPAL  256
#define PF_TOKEN_MAX_REASON     1024
#define PF_TOKEN_MAX_HOSTNAME   253
#define PF_TOKEN_MAX_UNIT       255
#define PF_TOKEN_MAX_SIGS       32
#define PF_BUNDLE_MAX_SIZE      (PF_TOKEN_MAX_SIZE + PF_TOKEN_MAX_SIGS * PF_SSHSIG_MAX_ARMOR)
#define PF_TOKEN_ID_LEN         32     /* hex digits */
#define PF_TOKEN_TIME_LEN       20     /* "YYYY-MM-DDTHH:MM:SSZ" */

/* ---- operations ------------------------------------------------------- */
#define PF_TOKEN_OP_WRITE    (1u << 0)
#define PF_TOKEN_OP_CREATE   (1u << 1)
#define PF_TOKEN_OP_DELETE   (1u << 2)
#define PF_TOKEN_OP_RENAME   (1u << 3)
#define PF_TOKEN_OP_METADATA (1u << 4)
#define PF_TOKEN_OP_MOUNT    (1u << 5)
#define PF_TOKEN_OP_THAW     (1u << 6)
#define PF_TOKEN_OPS_DEFAULT 0x3fu /* everything except thaw */

struct pf_token_path {
	char *path;   /* as written, including a trailing '/' for subtrees */
	bool subtree; /* path ends with '/' */
};

struct pf_token {
	char id[PF_TOKEN_ID_LEN + 1];
	char *ticket;
	char *requester;
	char **hosts;
	size_t n_hosts;
	struct pf_token_path *paths;
	size_t n_paths;
	unsigned ops;      /* PF_TOKEN_OP_* mask; PF_TOKEN_OPS_DEFAULT if absent */
	bool ops_given;
	bool has_uid;
	uint32_t uid;
	char *unit;        /* NULL if absent */
	char *exe;         /* NULL if absent */
	char *agent;       /* NULL if absent (v2: "any" or an agent's name) */
	int version;       /* 1 or 2, from line 1 */
	int64_t not_before; /* Unix seconds, UTC */
	int64_t not_after;
	char *reason;
	size_t body_len;   /* bytes of the body that were parsed */
};

/* Parses a token body (exactly the body, no signatures). */
int pf_token_parse(const char *body, size_t len, struct pf_token **ret_tok,
		   struct pf_err *err);
void pf_token_free(struct pf_token *tok);

/* Finds where the body of a bundle ends: the offset of the first line that
 * is exactly PF_SSHSIG_BEGIN, or len if there is none. -EMSGSIZE if the
 * bundle exceeds PF_BUNDLE_MAX_SIZE. */
int pf_bundle_body_len(const char *data, size_t len, size_t *ret_body_len,
		       struct pf_err *err);

/* What pf_token_new writes. hosts/paths as in the format; ops 0 means the
 * default (written out explicitly). */
struct pf_token_spec {
	const char *ticket;
	const char *requester;
	const char *const *hosts;
	size_t n_hosts;
	const char *const *paths;
	size_t n_paths;
	unsigned ops;
	bool has_uid;
	uint32_t uid;
	const char *unit;  /* NULL: none */
	const char *exe;   /* NULL: none */
	const char *agent; /* NULL: none (else the body is format v2) */
	const char *reason;
	int64_t now;       /* not-before */
	int64_t ttl;       /* seconds, > 0; not-after = now + ttl */
};

/* Writes a canonical body with a fresh random token-id (RAND_bytes), then
 * parses it back so that only valid tokens come out. *ret_body is
 * NUL-terminated and allocated (caller frees). */
int pf_token_new(const struct pf_token_spec *spec, char **ret_body,
		 size_t *ret_len, struct pf_err *err);

/* ---- helpers ---------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SSZ" <-> Unix seconds. buf needs PF_TOKEN_TIME_LEN+1. */
int pf_token_format_time(int64_t t, char *buf, size_t len);
int pf_token_parse_time(const char *s, size_t len, int64_t *ret_t);
/* Space-separated op names for a mask, canonical order ("thaw" alone). */
int pf_token_format_ops(unsigned ops, char *buf, size_t len);

#endif

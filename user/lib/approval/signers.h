/* signers: the OpenSSH allowed_signers file (ssh-keygen(1) "ALLOWED
 * SIGNERS"), the trust root for approval tokens.
 *
 *   principals [options] keytype base64 [comment]
 *
 * - Blank lines and lines whose first non-blank character is '#' are
 *   ignored. Fields are separated by spaces or tabs. LF line ends; a CR or
 *   NUL anywhere fails the file. The last line may lack its LF.
 * - principals: comma-separated principal names, each 1..
 *   PF_SIGNERS_MAX_PRINCIPAL bytes of printable ASCII other than space and
 *   , " ' . Wildcard patterns (* ?) and negation (!) are REFUSED: every
 *   approver must be named, because approvals are counted per distinct
 *   principal and a pattern names no one in particular. Quoted principal
 *   lists are refused too.
 * - options (optional, comma-separated, names case-insensitive, each at
 *   most once):
 *     namespaces="a,b"     the signature namespace must match one of the
 *                          comma-separated patterns (* and ? wildcards are
 *                          allowed here, as in OpenSSH; ! negation is
 *                          refused). Absent: any namespace.
 *     valid-after="YYYYMMDD[HHMM[SS]]Z"
 *     valid-before="YYYYMMDD[HHMM[SS]]Z"
 *                          the key is trusted when valid-after <= now <=
 *                          valid-before (OpenSSH's rule). Times must end in
 *                          Z (UTC); a time without Z (host-local in
 *                          OpenSSH) is refused, so trust never depends on
 *                          the host's time zone.
 *     verify-required      FIDO signatures must carry the user-verified
 *                          flag (0x04).
 *     cert-authority       refused in v1 (certificates are not supported).
 *   Option values must be double-quoted, as OpenSSH requires.
 * - keytype base64 [comment]: a public key as in sshsig.h
 *   (pf_sshkey_from_line); unsupported key types are refused by name.
 *
 * Any malformed line fails the whole file with "FILE:LINE: message".
 * Errors: -EBADMSG, -EMSGSIZE (a limit), -EOPNOTSUPP (cert-authority,
 * unsupported key), -ENOMEM, or the errno of reading the file.
 */
#ifndef PF_SIGNERS_H
#define PF_SIGNERS_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sshbuf.h"
#include "sshsig.h"

/* ---- limits ----------------------------------------------------------- */
#define PF_SIGNERS_MAX_FILE       (1024 * 1024) /* bytes */
#define PF_SIGNERS_MAX_LINE       (16 * 1024)   /* bytes, without LF */
#define PF_SIGNERS_MAX_ENTRIES    10000
#define PF_SIGNERS_MAX_PRINCIPALS 256  /* per line */
#define PF_SIGNERS_MAX_PRINCIPAL  256  /* bytes per principal */
#define PF_SIGNERS_MAX_NAMESPACES 64   /* per line */
#define PF_SIGNERS_MAX_FILENAME   256  /* bytes of FILE kept for messages */

struct pf_signer {
	char **principals;
	size_t n_principals;
	char **namespaces;      /* patterns; NULL/0 when the option is absent */
	size_t n_namespaces;
	bool has_valid_after, has_valid_before;
	int64_t valid_after;    /* Unix seconds, UTC */
	int64_t valid_before;
	bool verify_required;
	struct pf_sshkey *key;
	unsigned line;          /* line number in the file, for messages */
};

struct pf_signers {
	struct pf_signer *entries;
	size_t n;
	char *filename;
};

/* Parses an allowed_signers file held in memory; filename is only used in
 * messages. An empty file gives zero entries. */
int pf_signers_parse(const char *data, size_t len, const char *filename,
		     struct pf_signers **ret_signers, struct pf_err *err);
/* Reads path (a regular file of at most PF_SIGNERS_MAX_FILE bytes) and
 * parses it. */
int pf_signers_load(const char *path, struct pf_signers **ret_signers,
		    struct pf_err *err);
void pf_signers_free(struct pf_signers *s);

/* Whether the entry allows signatures in namespace ns. */
bool pf_signer_allows_namespace(const struct pf_signer *e, const char *ns);
/* 0 if the entry is valid at now, -1 if before valid-after, 1 if after
 * valid-before. */
int pf_signer_check_time(const struct pf_signer *e, int64_t now);
bool pf_signer_has_principal(const struct pf_signer *e, const char *principal);

/* Glob match used for namespaces: '*' any run, '?' one character. */
bool pf_signers_pattern_match(const char *pattern, const char *s);

#endif

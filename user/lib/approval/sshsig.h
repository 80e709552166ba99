/* sshsig: OpenSSH public keys and SSHSIG signatures (PROTOCOL.sshsig),
 * verified with OpenSSL 3 libcrypto through EVP only.
 *
 * Supported key types, anything else refused by name:
 *   ssh-ed25519
 *   ecdsa-sha2-nistp256            (point validated on the curve)
 *   ssh-rsa                        (>= PF_RSA_MIN_BITS; signatures must be
 *                                   rsa-sha2-256 or rsa-sha2-512, SHA-1
 *                                   "ssh-rsa" signatures are refused)
 *   sk-ssh-ed25519@openssh.com     (FIDO; user-presence flag required)
 *   sk-ecdsa-sha2-nistp256@openssh.com
 *
 * An SSHSIG blob is parsed strictly: magic "SSHSIG", version 1, public
 * key, namespace equal to the caller's constant, empty reserved field,
 * hash "sha256" or "sha512", signature; no trailing bytes in the blob, the
 * key or the signature. The signature is checked over
 *     "SSHSIG" || string(namespace) || string("") || string(hashalg) ||
 *     string(H(message))
 * and, for sk- keys, over the FIDO data
 *     SHA256(application) || flags || u32 counter || SHA256(that blob).
 *
 * Errors: -EBADMSG malformed, -EMSGSIZE over a limit, -EOPNOTSUPP
 * unsupported algorithm or key, -EKEYREJECTED refused key (too small,
 * invalid point), -EBADE signature does not verify, -EPERM FIDO
 * user-presence missing, -ENOMEM. A message is left in the struct pf_err.
 */
#ifndef PF_SSHSIG_H
#define PF_SSHSIG_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sshbuf.h"

/* ---- limits ----------------------------------------------------------- */
#define PF_SSHKEY_MAX_BLOB    4096  /* wire public key blob, bytes */
#define PF_SSHKEY_MAX_LINE    16384 /* one-line "type base64 comment" */
#define PF_SSHKEY_MAX_TYPE    64    /* key / signature type name */
#define PF_SSHKEY_MAX_APP     256   /* FIDO application string */
#define PF_RSA_MIN_BITS       2048
#define PF_RSA_MAX_BITS       16384
#define PF_RSA_MAX_E_BYTES    8     /* public exponent, bytes */
#define PF_SSHSIG_MAX_BLOB    8192  /* decoded SSHSIG blob, bytes */
#define PF_SSHSIG_MAX_NS      256   /* namespace, bytes */
#define PF_SSHSIG_MAX_ARMOR   12288 /* one armored signature, bytes */
/* "SHA256:" + 43 unpadded base64 characters + NUL */
#define PF_SSHKEY_FP_LEN      51

#define PF_SSHSIG_ARMOR_LABEL "SSH SIGNATURE"
#define PF_SSHSIG_BEGIN       "-----BEGIN SSH SIGNATURE-----"

/* FIDO authenticator flags in sk- signatures */
#define PF_SK_USER_PRESENT  0x01
#define PF_SK_USER_VERIFIED 0x04

enum pf_keytype {
	PF_KEY_ED25519 = 1,
	PF_KEY_ECDSA_P256,
	PF_KEY_RSA,
	PF_KEY_SK_ED25519,
	PF_KEY_SK_ECDSA_P256,
};

struct pf_sshkey; /* opaque */

/* Parses a wire-format public key blob (as in SSHSIG and authorized_keys
 * base64). Trailing bytes are refused. */
int pf_sshkey_from_blob(const void *blob, size_t len, struct pf_sshkey **ret_key,
			struct pf_err *err);
/* Parses "type base64 [comment]" (one line, no LF; single spaces or tabs
 * between fields). The type must name the same key type as the blob. */
int pf_sshkey_from_line(const char *line, size_t len, struct pf_sshkey **ret_key,
			struct pf_err *err);
void pf_sshkey_free(struct pf_sshkey *key);

enum pf_keytype pf_sshkey_type(const struct pf_sshkey *key);
/* "ssh-ed25519", "ecdsa-sha2-nistp256", ... */
const char *pf_sshkey_type_name(const struct pf_sshkey *key);
/* Size of the key in bits (256 for the curves, modulus bits for RSA). */
unsigned pf_sshkey_bits(const struct pf_sshkey *key);
/* FIDO application string of an sk- key, NULL for others. */
const char *pf_sshkey_application(const struct pf_sshkey *key);
/* Equal when the canonical wire blobs are byte-for-byte equal. */
bool pf_sshkey_equal(const struct pf_sshkey *a, const struct pf_sshkey *b);
/* "SHA256:<unpadded base64 of SHA-256(blob)>" as ssh-keygen -l prints.
 * buf needs PF_SSHKEY_FP_LEN bytes. */
int pf_sshkey_fingerprint(const struct pf_sshkey *key, char *buf, size_t len);

/* ---- SSHSIG ----------------------------------------------------------- */

struct pf_sshsig; /* opaque */

/* Parses a decoded SSHSIG blob; namespace must equal ns exactly. */
int pf_sshsig_from_blob(const void *blob, size_t len, const char *ns,
			struct pf_sshsig **ret_sig, struct pf_err *err);
/* Parses one armored "-----BEGIN SSH SIGNATURE-----" block at the start of
 * text (at most PF_SSHSIG_MAX_ARMOR bytes of it are looked at); *ret_used
 * is the number of bytes consumed including the END line's LF. */
int pf_sshsig_from_armor(const char *text, size_t len, const char *ns,
			 struct pf_sshsig **ret_sig, size_t *ret_used,
			 struct pf_err *err);
void pf_sshsig_free(struct pf_sshsig *sig);

const struct pf_sshkey *pf_sshsig_key(const struct pf_sshsig *sig);
/* "sha256" or "sha512" */
const char *pf_sshsig_hashalg(const struct pf_sshsig *sig);

/* Verifies sig over msg[0..len). On success *ret_sk_flags (may be NULL)
 * receives the FIDO flags for sk- keys, 0 otherwise. */
int pf_sshsig_verify(const struct pf_sshsig *sig, const void *msg, size_t len,
		     uint8_t *ret_sk_flags, struct pf_err *err);

#endif

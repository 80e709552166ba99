/* sshsig: OpenSSH public keys and SSHSIG verification through OpenSSL EVP.
 * Written from PROTOCOL.sshsig, PROTOCOL.u2f and RFC 4253/5656/8332/8709;
 * see sshsig.h for the accepted formats. */
#include "sshsig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#define ED25519_PUB_LEN 32
#define ED25519_SIG_LEN 64
#define P256_POINT_LEN  65 /* uncompressed: 0x04 || X || Y */
#define P256_SCALAR_LEN 32

struct pf_sshkey {
	enum pf_keytype type;
	uint8_t *blob;
	size_t blob_len;
	EVP_PKEY *pkey;
	char *application; /* sk- only */
	unsigned bits;
};

struct pf_sshsig {
	struct pf_sshkey *key;
	char hashalg[8];
	const EVP_MD *sig_md;   /* digest of the outer signature (ecdsa/rsa) */
	uint8_t *raw;           /* ed25519 raw signature / DER ecdsa / rsa bytes */
	size_t raw_len;
	uint8_t sk_flags;
	uint32_t sk_counter;
	char *ns;
};

static const struct {
	const char *name;
	enum pf_keytype type;
} key_names[] = {
	{ "ssh-ed25519", PF_KEY_ED25519 },
	{ "ecdsa-sha2-nistp256", PF_KEY_ECDSA_P256 },
	{ "ssh-rsa", PF_KEY_RSA },
	{ "sk-ssh-ed25519@openssh.com", PF_KEY_SK_ED25519 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", PF_KEY_SK_ECDSA_P256 },
};

/* Copies an untrusted name into out for messages, escaping anything that
 * is not printable ASCII and truncating long names. */
static const char *printable(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += snprintf(out + o, outlen - o, "\\x%02x", p[i]);
	}
	if (o + 5 >= outlen && o >= 3)
		memcpy(out + o - 3, "...", 3);
	out[o] = '\0';
	return out;
}

static bool name_eq(const uint8_t *p, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(p, want, n) == 0;
}

void pf_sshkey_free(struct pf_sshkey *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->blob);
	free(key->application);
	free(key);
}

/* ---- key construction (EVP_PKEY_fromdata) ------------------------------ */

static int pkey_fromdata(const char *alg, OSSL_PARAM *params, EVP_PKEY **ret)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *pkey = NULL;
	int r = -EKEYREJECTED;

	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1) {
		*ret = pkey;
		r = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int make_ed25519(const uint8_t *pub, EVP_PKEY **ret)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
					ED25519_PUB_LEN),
		OSSL_PARAM_END,
	};

	return pkey_fromdata("ED25519", params, ret);
}

static int make_p256(const uint8_t *point, size_t len, EVP_PKEY **ret)
{
	char group[] = "prime256v1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, len),
		OSSL_PARAM_END,
	};
	EVP_PKEY_CTX *chk;
	EVP_PKEY *pkey = NULL;
	int r;

	if (len != P256_POINT_LEN || point[0] != 0x04)
		return -EKEYREJECTED;
	r = pkey_fromdata("EC", params, &pkey);
	if (r < 0)
		return r;
	/* explicit validation: on the curve, not infinity, right order */
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!chk) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	if (EVP_PKEY_public_check(chk) != 1) {
		EVP_PKEY_CTX_free(chk);
		EVP_PKEY_free(pkey);
		return -EKEYREJECTED;
	}
	EVP_PKEY_CTX_free(chk);
	*ret = pkey;
	return 0;
}

static int make_rsa(const uint8_t *e, size_t elen, const uint8_t *n, size_t nlen,
		    EVP_PKEY **ret)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	int r = -ENOMEM;

	bn_n = BN_bin2bn(n, (int)nlen, NULL);
	bn_e = BN_bin2bn(e, (int)elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn_n || !bn_e || !bld)
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	r = pkey_fromdata("RSA", params, ret);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return r;
}

/* ---- key parsing ------------------------------------------------------ */

static int parse_key(struct pf_sshbuf *b, struct pf_sshkey *k, struct pf_err *err)
{
	const uint8_t *tp, *p, *q;
	size_t tn, n, qn;
	char tmp[96];
	int r;

	r = pf_sshbuf_get_string(b, PF_SSHKEY_MAX_TYPE, &tp, &tn);
	if (r == -EMSGSIZE)
		return pf_err(err, -EOPNOTSUPP, "unsupported key type (name longer than %d bytes)", PF_SSHKEY_MAX_TYPE);
	if (r < 0)
		return pf_err(err, r, "public key: truncated key type");
	k->type = 0;
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (name_eq(tp, tn, key_names[i].name))
			k->type = key_names[i].type;
	if (!k->type)
		return pf_err(err, -EOPNOTSUPP, "unsupported key type \"%s\"",
			      printable(tp, tn, tmp, sizeof(tmp)));

	switch (k->type) {
	case PF_KEY_ED25519:
	case PF_KEY_SK_ED25519:
		r = pf_sshbuf_get_string(b, ED25519_PUB_LEN, &p, &n);
		if (r < 0 || n != ED25519_PUB_LEN)
			return pf_err(err, -EBADMSG, "ed25519 public key: bad length");
		r = make_ed25519(p, &k->pkey);
		if (r < 0)
			return pf_err(err, r, "ed25519 public key rejected by libcrypto");
		k->bits = 256;
		break;
	case PF_KEY_ECDSA_P256:
	case PF_KEY_SK_ECDSA_P256:
		if (pf_sshbuf_expect_cstring(b, "nistp256") < 0)
			return pf_err(err, -EBADMSG, "ecdsa public key: curve is not nistp256");
		r = pf_sshbuf_get_string(b, P256_POINT_LEN, &p, &n);
		if (r < 0 || n != P256_POINT_LEN || p[0] != 0x04)
			return pf_err(err, -EBADMSG, "ecdsa public key: not an uncompressed nistp256 point");
		r = make_p256(p, n, &k->pkey);
		if (r == -EKEYREJECTED)
			return pf_err(err, r, "ecdsa public key: point is not on the nistp256 curve");
		if (r < 0)
			return pf_err(err, r, "ecdsa public key: out of memory");
		k->bits = 256;
		break;
	case PF_KEY_RSA:
		r = pf_sshbuf_get_mpint(b, PF_RSA_MAX_E_BYTES, &q, &qn);
		if (r < 0)
			return pf_err(err, -EBADMSG, "rsa public key: bad exponent");
		if (qn == 0 || !(q[qn - 1] & 1) || (qn == 1 && q[0] < 3))
			return pf_err(err, -EKEYREJECTED, "rsa public key: exponent must be odd and at least 3");
		r = pf_sshbuf_get_mpint(b, PF_RSA_MAX_BITS / 8, &p, &n);
		if (r == -EMSGSIZE)
			return pf_err(err, -EKEYREJECTED, "RSA key larger than %d bits", PF_RSA_MAX_BITS);
		if (r < 0 || n == 0)
			return pf_err(err, -EBADMSG, "rsa public key: bad modulus");
		k->bits = (unsigned)(n * 8);
		for (uint8_t top = p[0]; !(top & 0x80); top <<= 1)
			k->bits--;
		if (k->bits < PF_RSA_MIN_BITS)
			return pf_err(err, -EKEYREJECTED, "RSA key is %u bits, at least %d required",
				      k->bits, PF_RSA_MIN_BITS);
		if (!(p[n - 1] & 1))
			return pf_err(err, -EKEYREJECTED, "rsa public key: even modulus");
		r = make_rsa(q, qn, p, n, &k->pkey);
		if (r < 0)
			return pf_err(err, r, "rsa public key rejected by libcrypto");
		break;
	}
	if (k->type == PF_KEY_SK_ED25519 || k->type == PF_KEY_SK_ECDSA_P256) {
		r = pf_sshbuf_get_cstring(b, PF_SSHKEY_MAX_APP, &k->application);
		if (r < 0)
			return pf_err(err, -EBADMSG, "FIDO public key: bad application string");
	}
	if (pf_sshbuf_expect_end(b) < 0)
		return pf_err(err, -EBADMSG, "public key: %zu trailing bytes", pf_sshbuf_remaining(b));
	return 0;
}

int pf_sshkey_from_blob(const void *blob, size_t len, struct pf_sshkey **ret_key,
			struct pf_err *err)
{
	struct pf_sshkey *k;
	struct pf_sshbuf b;
	int r;

	if (len > PF_SSHKEY_MAX_BLOB)
		return pf_err(err, -EMSGSIZE, "public key larger than %d bytes", PF_SSHKEY_MAX_BLOB);
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	pf_sshbuf_init(&b, blob, len);
	r = parse_key(&b, k, err);
	if (r < 0)
		goto fail;
	k->blob = malloc(len ? len : 1);
	if (!k->blob) {
		r = -ENOMEM;
		goto fail;
	}
	memcpy(k->blob, blob, len);
	k->blob_len = len;
	*ret_key = k;
	return 0;
fail:
	pf_sshkey_free(k);
	return r;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int pf_sshkey_from_line(const char *line, size_t len, struct pf_sshkey **ret_key,
			struct pf_err *err)
{
	size_t i = 0, ts, tl, bs, bl, dl;
	struct pf_sshkey *k = NULL;
	uint8_t *blob;
	char tmp[96];
	int r;

	if (len > PF_SSHKEY_MAX_LINE)
		return pf_err(err, -EMSGSIZE, "public key line longer than %d bytes", PF_SSHKEY_MAX_LINE);
	if (memchr(line, '\n', len) || memchr(line, '\0', len))
		return pf_err(err, -EBADMSG, "public key line contains a newline or NUL");
	while (i < len && is_blank(line[i]))
		i++;
	ts = i;
	while (i < len && !is_blank(line[i]))
		i++;
	tl = i - ts;
	while (i < len && is_blank(line[i]))
		i++;
	bs = i;
	while (i < len && !is_blank(line[i]))
		i++;
	bl = i - bs;
	/* whatever follows is a comment */
	if (tl == 0)
		return pf_err(err, -EBADMSG, "missing key type");
	if (bl == 0)
		return pf_err(err, -EBADMSG, "missing base64 key after \"%s\"",
			      printable((const uint8_t *)line + ts, tl, tmp, sizeof(tmp)));
	{
		bool known = false;

		for (size_t k = 0; k < sizeof(key_names) / sizeof(key_names[0]); k++)
			if (name_eq((const uint8_t *)line + ts, tl, key_names[k].name))
				known = true;
		if (!known)
			return pf_err(err, -EOPNOTSUPP, "unsupported key type \"%s\"",
				      printable((const uint8_t *)line + ts, tl, tmp, sizeof(tmp)));
	}
	if (bl / 4 * 3 > PF_SSHKEY_MAX_BLOB + 3)
		return pf_err(err, -EMSGSIZE, "public key larger than %d bytes", PF_SSHKEY_MAX_BLOB);
	blob = malloc(bl / 4 * 3 + 1);
	if (!blob)
		return -ENOMEM;
	r = pf_base64_decode(line + bs, bl, blob, bl / 4 * 3 + 1, &dl);
	if (r < 0) {
		free(blob);
		return pf_err(err, -EBADMSG, "invalid base64 in public key");
	}
	r = pf_sshkey_from_blob(blob, dl, &k, err);
	free(blob);
	if (r < 0)
		return r;
	if (strlen(pf_sshkey_type_name(k)) != tl ||
	    memcmp(pf_sshkey_type_name(k), line + ts, tl) != 0) {
		r = pf_err(err, -EBADMSG, "key type \"%s\" does not match the encoded key (%s)",
			   printable((const uint8_t *)line + ts, tl, tmp, sizeof(tmp)),
			   pf_sshkey_type_name(k));
		pf_sshkey_free(k);
		return r;
	}
	*ret_key = k;
	return 0;
}

enum pf_keytype pf_sshkey_type(const struct pf_sshkey *key)
{
	return key->type;
}

const char *pf_sshkey_type_name(const struct pf_sshkey *key)
{
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (key_names[i].type == key->type)
			return key_names[i].name;
	return "unknown";
}

unsigned pf_sshkey_bits(const struct pf_sshkey *key)
{
	return key->bits;
}

const char *pf_sshkey_application(const struct pf_sshkey *key)
{
	return key->application;
}

bool pf_sshkey_equal(const struct pf_sshkey *a, const struct pf_sshkey *b)
{
	return a && b && a->blob_len == b->blob_len &&
	       memcmp(a->blob, b->blob, a->blob_len) == 0;
}

int pf_sshkey_fingerprint(const struct pf_sshkey *key, char *buf, size_t len)
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (len < PF_SSHKEY_FP_LEN)
		return -EMSGSIZE;
	if (EVP_Digest(key->blob, key->blob_len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md))
		return -EIO;
	memcpy(buf, "SHA256:", 7);
	return pf_base64_encode(md, sizeof(md), false, buf + 7, len - 7);
}

/* ---- SSHSIG ----------------------------------------------------------- */

void pf_sshsig_free(struct pf_sshsig *sig)
{
	if (!sig)
		return;
	pf_sshkey_free(sig->key);
	free(sig->raw);
	free(sig->ns);
	free(sig);
}

const struct pf_sshkey *pf_sshsig_key(const struct pf_sshsig *sig)
{
	return sig->key;
}

const char *pf_sshsig_hashalg(const struct pf_sshsig *sig)
{
	return sig->hashalg;
}

static int dup_raw(struct pf_sshsig *s, const uint8_t *p, size_t n)
{
	s->raw = malloc(n ? n : 1);
	if (!s->raw)
		return -ENOMEM;
	memcpy(s->raw, p, n);
	s->raw_len = n;
	return 0;
}

/* ECDSA signature blob: mpint r || mpint s -> DER for EVP. */
static int ecdsa_to_der(struct pf_sshbuf *b, struct pf_sshsig *s, struct pf_err *err)
{
	const uint8_t *rp, *sp;
	size_t rn, sn;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	int derlen, r;

	if (pf_sshbuf_get_mpint(b, P256_SCALAR_LEN, &rp, &rn) < 0 ||
	    pf_sshbuf_get_mpint(b, P256_SCALAR_LEN, &sp, &sn) < 0)
		return pf_err(err, -EBADMSG, "ecdsa signature: bad r or s");
	if (pf_sshbuf_expect_end(b) < 0)
		return pf_err(err, -EBADMSG, "ecdsa signature: trailing bytes");
	if (rn == 0 || sn == 0)
		return pf_err(err, -EBADMSG, "ecdsa signature: zero r or s");
	es = ECDSA_SIG_new();
	br = BN_bin2bn(rp, (int)rn, NULL);
	bs = BN_bin2bn(sp, (int)sn, NULL);
	if (!es || !br || !bs || ECDSA_SIG_set0(es, br, bs) != 1) {
		BN_free(br);
		BN_free(bs);
		ECDSA_SIG_free(es);
		return -ENOMEM;
	}
	derlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (derlen <= 0)
		return -ENOMEM;
	r = dup_raw(s, der, (size_t)derlen);
	OPENSSL_free(der);
	return r;
}

static int parse_signature(struct pf_sshbuf *b, struct pf_sshsig *s, struct pf_err *err)
{
	const uint8_t *tp, *p;
	size_t tn, n;
	struct pf_sshbuf inner;
	enum pf_keytype kt = s->key->type;
	char tmp[96];
	const char *want = NULL;
	int r;

	r = pf_sshbuf_get_string(b, PF_SSHKEY_MAX_TYPE, &tp, &tn);
	if (r == -EMSGSIZE)
		return pf_err(err, -EOPNOTSUPP, "unsupported signature type (name longer than %d bytes)", PF_SSHKEY_MAX_TYPE);
	if (r < 0)
		return pf_err(err, -EBADMSG, "signature: truncated type");
	printable(tp, tn, tmp, sizeof(tmp));

	switch (kt) {
	case PF_KEY_ED25519:
		want = "ssh-ed25519";
		break;
	case PF_KEY_ECDSA_P256:
		want = "ecdsa-sha2-nistp256";
		break;
	case PF_KEY_SK_ED25519:
		want = "sk-ssh-ed25519@openssh.com";
		break;
	case PF_KEY_SK_ECDSA_P256:
		want = "sk-ecdsa-sha2-nistp256@openssh.com";
		break;
	case PF_KEY_RSA:
		if (name_eq(tp, tn, "rsa-sha2-256"))
			s->sig_md = EVP_sha256();
		else if (name_eq(tp, tn, "rsa-sha2-512"))
			s->sig_md = EVP_sha512();
		else if (name_eq(tp, tn, "ssh-rsa"))
			return pf_err(err, -EOPNOTSUPP, "RSA signature type \"ssh-rsa\" (SHA-1) refused: use rsa-sha2-256 or rsa-sha2-512");
		else
			return pf_err(err, -EOPNOTSUPP, "unsupported signature type \"%s\" for an ssh-rsa key", tmp);
		break;
	}
	if (want && !name_eq(tp, tn, want))
		return pf_err(err, -EOPNOTSUPP, "unsupported signature type \"%s\" for a %s key",
			      tmp, pf_sshkey_type_name(s->key));

	switch (kt) {
	case PF_KEY_ED25519:
	case PF_KEY_SK_ED25519:
		r = pf_sshbuf_get_string(b, ED25519_SIG_LEN, &p, &n);
		if (r < 0 || n != ED25519_SIG_LEN)
			return pf_err(err, -EBADMSG, "ed25519 signature: bad length");
		r = dup_raw(s, p, n);
		if (r < 0)
			return r;
		break;
	case PF_KEY_ECDSA_P256:
	case PF_KEY_SK_ECDSA_P256:
		s->sig_md = EVP_sha256();
		r = pf_sshbuf_get_sub(b, 2 * (4 + P256_SCALAR_LEN + 1), &inner);
		if (r < 0)
			return pf_err(err, -EBADMSG, "ecdsa signature: bad length");
		r = ecdsa_to_der(&inner, s, err);
		if (r < 0)
			return r;
		break;
	case PF_KEY_RSA:
		r = pf_sshbuf_get_string(b, PF_RSA_MAX_BITS / 8, &p, &n);
		if (r < 0 || n == 0 || n > (s->key->bits + 7) / 8)
			return pf_err(err, -EBADMSG, "rsa signature: bad length");
		/* left-pad to the modulus size as EVP expects */
		s->raw_len = (s->key->bits + 7) / 8;
		s->raw = calloc(1, s->raw_len);
		if (!s->raw)
			return -ENOMEM;
		memcpy(s->raw + s->raw_len - n, p, n);
		break;
	}
	if (kt == PF_KEY_SK_ED25519 || kt == PF_KEY_SK_ECDSA_P256) {
		if (pf_sshbuf_get_u8(b, &s->sk_flags) < 0 ||
		    pf_sshbuf_get_u32(b, &s->sk_counter) < 0)
			return pf_err(err, -EBADMSG, "FIDO signature: missing flags or counter");
	}
	if (pf_sshbuf_expect_end(b) < 0)
		return pf_err(err, -EBADMSG, "signature: %zu trailing bytes", pf_sshbuf_remaining(b));
	return 0;
}

int pf_sshsig_from_blob(const void *blob, size_t len, const char *ns,
			struct pf_sshsig **ret_sig, struct pf_err *err)
{
	struct pf_sshbuf b, kb, sb;
	struct pf_sshsig *s = NULL;
	const uint8_t *p;
	size_t n;
	uint32_t version;
	char tmp[96];
	int r;

	if (len > PF_SSHSIG_MAX_BLOB)
		return pf_err(err, -EMSGSIZE, "SSHSIG blob larger than %d bytes", PF_SSHSIG_MAX_BLOB);
	pf_sshbuf_init(&b, blob, len);
	if (pf_sshbuf_get_bytes(&b, 6, &p) < 0 || memcmp(p, "SSHSIG", 6) != 0)
		return pf_err(err, -EBADMSG, "not an SSHSIG blob (bad magic)");
	if (pf_sshbuf_get_u32(&b, &version) < 0)
		return pf_err(err, -EBADMSG, "SSHSIG blob truncated");
	if (version != 1)
		return pf_err(err, -EOPNOTSUPP, "unsupported SSHSIG version %u", version);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = pf_sshbuf_get_sub(&b, PF_SSHKEY_MAX_BLOB, &kb);
	if (r < 0) {
		r = pf_err(err, -EBADMSG, "SSHSIG blob: bad public key field");
		goto fail;
	}
	r = pf_sshkey_from_blob(kb.p, kb.len, &s->key, err);
	if (r < 0)
		goto fail;
	r = pf_sshbuf_get_string(&b, PF_SSHSIG_MAX_NS, &p, &n);
	if (r < 0) {
		r = pf_err(err, -EBADMSG, "SSHSIG blob: bad namespace field");
		goto fail;
	}
	if (!name_eq(p, n, ns)) {
		r = pf_err(err, -EBADMSG, "signature namespace is \"%s\", expected \"%s\"",
			   printable(p, n, tmp, sizeof(tmp)), ns);
		goto fail;
	}
	s->ns = strdup(ns);
	if (!s->ns) {
		r = -ENOMEM;
		goto fail;
	}
	r = pf_sshbuf_get_string(&b, 0, NULL, NULL);
	if (r < 0) {
		r = pf_err(err, -EBADMSG, "SSHSIG blob: reserved field is not empty");
		goto fail;
	}
	r = pf_sshbuf_get_string(&b, 16, &p, &n);
	if (r < 0 || !(name_eq(p, n, "sha256") || name_eq(p, n, "sha512"))) {
		r = pf_err(err, -EOPNOTSUPP, "unsupported SSHSIG hash algorithm \"%s\"",
			   r < 0 ? "?" : printable(p, n, tmp, sizeof(tmp)));
		goto fail;
	}
	memcpy(s->hashalg, p, n);
	s->hashalg[n] = '\0';
	r = pf_sshbuf_get_sub(&b, PF_SSHSIG_MAX_BLOB, &sb);
	if (r < 0) {
		r = pf_err(err, -EBADMSG, "SSHSIG blob: bad signature field");
		goto fail;
	}
	r = parse_signature(&sb, s, err);
	if (r < 0)
		goto fail;
	if (pf_sshbuf_expect_end(&b) < 0) {
		r = pf_err(err, -EBADMSG, "SSHSIG blob: %zu trailing bytes after the signature",
			   pf_sshbuf_remaining(&b));
		goto fail;
	}
	*ret_sig = s;
	return 0;
fail:
	pf_sshsig_free(s);
	return r;
}

int pf_sshsig_from_armor(const char *text, size_t len, const char *ns,
			 struct pf_sshsig **ret_sig, size_t *ret_used,
			 struct pf_err *err)
{
	uint8_t *blob = NULL;
	size_t bl, used;
	int r;

	if (len > PF_SSHSIG_MAX_ARMOR) {
		/* only the first block matters; cap what we look at */
		const char *end = memmem(text, PF_SSHSIG_MAX_ARMOR, "-----END SSH SIGNATURE-----\n",
					 28);
		if (!end)
			return pf_err(err, -EMSGSIZE, "armored signature larger than %d bytes",
				      PF_SSHSIG_MAX_ARMOR);
		len = PF_SSHSIG_MAX_ARMOR;
	}
	r = pf_armor_decode(text, len, PF_SSHSIG_ARMOR_LABEL, PF_SSHSIG_MAX_BLOB, &blob, &bl,
			    &used, err);
	if (r < 0)
		return r;
	r = pf_sshsig_from_blob(blob, bl, ns, ret_sig, err);
	free(blob);
	if (r < 0)
		return r;
	*ret_used = used;
	return 0;
}

/* The bytes the key actually signs (PROTOCOL.sshsig "signed data"). */
static int signed_data(const struct pf_sshsig *s, const void *msg, size_t len,
		       uint8_t **ret, size_t *ret_len)
{
	const EVP_MD *md = strcmp(s->hashalg, "sha512") == 0 ? EVP_sha512() : EVP_sha256();
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	struct pf_sshbuf_w w;

	if (EVP_Digest(msg, len, h, &hl, md, NULL) != 1)
		return -EIO;
	pf_sshbuf_w_init(&w);
	pf_sshbuf_w_put(&w, "SSHSIG", 6);
	pf_sshbuf_w_cstring(&w, s->ns);
	pf_sshbuf_w_string(&w, "", 0);
	pf_sshbuf_w_cstring(&w, s->hashalg);
	pf_sshbuf_w_string(&w, h, hl);
	return pf_sshbuf_w_finish(&w, ret, ret_len);
}

/* 1 valid, 0 invalid, <0 error */
static int evp_verify(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *sig, size_t siglen,
		      const uint8_t *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) != 1) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

int pf_sshsig_verify(const struct pf_sshsig *sig, const void *msg, size_t len,
		     uint8_t *ret_sk_flags, struct pf_err *err)
{
	const struct pf_sshkey *k = sig->key;
	bool sk = k->type == PF_KEY_SK_ED25519 || k->type == PF_KEY_SK_ECDSA_P256;
	const EVP_MD *md = k->type == PF_KEY_ED25519 || k->type == PF_KEY_SK_ED25519 ? NULL : sig->sig_md;
	uint8_t *data = NULL, fido[32 + 1 + 4 + 32];
	const uint8_t *tbs;
	size_t dlen, tbslen;
	int r;

	r = signed_data(sig, msg, len, &data, &dlen);
	if (r < 0)
		return r;
	tbs = data;
	tbslen = dlen;
	if (sk) {
		unsigned int hl = 0;

		if (EVP_Digest(k->application, strlen(k->application), fido, &hl,
			       EVP_sha256(), NULL) != 1) {
			r = -EIO;
			goto out;
		}
		fido[32] = sig->sk_flags;
		fido[33] = sig->sk_counter >> 24;
		fido[34] = sig->sk_counter >> 16;
		fido[35] = sig->sk_counter >> 8;
		fido[36] = sig->sk_counter;
		if (EVP_Digest(data, dlen, fido + 37, &hl, EVP_sha256(), NULL) != 1) {
			r = -EIO;
			goto out;
		}
		tbs = fido;
		tbslen = sizeof(fido);
	}
	r = evp_verify(k->pkey, md, sig->raw, sig->raw_len, tbs, tbslen);
	if (r < 0)
		goto out;
	if (r == 0) {
		r = pf_err(err, -EBADE, "signature does not verify");
		goto out;
	}
	if (sk && !(sig->sk_flags & PF_SK_USER_PRESENT)) {
		r = pf_err(err, -EPERM, "FIDO signature lacks the user-presence flag (flags 0x%02x)",
			   sig->sk_flags);
		goto out;
	}
	if (ret_sk_flags)
		*ret_sk_flags = sk ? sig->sk_flags : 0;
	r = 0;
out:
	free(data);
	return r;
}

/* Unit tests for sshbuf (reader, base64, armor) and sshsig (keys, SSHSIG
 * parsing and verification). Vectors are generated at test time with
 * ssh-keygen and cross-checked with `ssh-keygen -Y verify`; FIDO (sk-)
 * signatures are built here with OpenSSL over the FIDO signed data. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "sshbuf.h"
#include "sshsig.h"
#include "tap.h"

#define NS "permafrost-approval-v1"

static char dir[64];

/* ---- helpers ---------------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (ret_len)
		*ret_len = (size_t)n;
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

static char *pathf(const char *name)
{
	static char buf[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* ssh-keygen -lf's "SHA256:..." for a .pub file */
static void keygen_fp(const char *pub, char *out, size_t len)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -lf %s | cut -d' ' -f2", pub);
	p = popen(cmd, "r");
	out[0] = '\0';
	if (p) {
		if (!fgets(out, (int)len, p))
			out[0] = '\0';
		pclose(p);
	}
	out[strcspn(out, "\n")] = '\0';
}

static uint8_t *sig_blob(const char *sigfile, size_t *ret_len)
{
	size_t n, used;
	char *t = slurp(sigfile, &n);
	uint8_t *blob = NULL;

	if (!t)
		return NULL;
	if (pf_armor_decode(t, n, "SSH SIGNATURE", PF_SSHSIG_MAX_BLOB, &blob, ret_len, &used, NULL) < 0)
		blob = NULL;
	free(t);
	return blob;
}

static const char *msg = "permafrost-approval v1\ntoken-id: 0123\n";

/* ---- sshbuf ----------------------------------------------------------- */

static void test_reader(void)
{
	const uint8_t d[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 9, 'x' };
	struct pf_sshbuf b;
	const uint8_t *p;
	size_t n;
	uint32_t v = 77;
	char *s = NULL;

	pf_sshbuf_init(&b, d, sizeof(d));
	TAP_OK(pf_sshbuf_get_string(&b, 2, &p, &n) == -EMSGSIZE, "reader: string over cap refused");
	TAP_OK(b.off == 0, "reader: failed get leaves offset");
	TAP_OK(pf_sshbuf_get_cstring(&b, 3, &s) == 0 && strcmp(s, "abc") == 0, "reader: cstring");
	free(s);
	s = NULL;
	TAP_OK(pf_sshbuf_get_string(&b, 100, &p, &n) == -EBADMSG, "reader: length past end refused");
	TAP_OK(pf_sshbuf_expect_end(&b) == -EBADMSG, "reader: trailing bytes detected");
	TAP_OK(pf_sshbuf_get_u32(&b, &v) == 0 && v == 9, "reader: u32");
	TAP_OK(pf_sshbuf_get_u32(&b, &v) == -EBADMSG && v == 9, "reader: short u32 leaves output");

	const uint8_t nul[] = { 0, 0, 0, 2, 'a', 0 };
	pf_sshbuf_init(&b, nul, sizeof(nul));
	TAP_OK(pf_sshbuf_get_cstring(&b, 10, &s) == -EBADMSG && !s, "reader: NUL inside cstring refused");

	const uint8_t mp_ok[] = { 0, 0, 0, 2, 0x00, 0x80 };
	const uint8_t mp_neg[] = { 0, 0, 0, 1, 0x80 };
	const uint8_t mp_pad[] = { 0, 0, 0, 2, 0x00, 0x7f };
	pf_sshbuf_init(&b, mp_ok, sizeof(mp_ok));
	TAP_OK(pf_sshbuf_get_mpint(&b, 1, &p, &n) == 0 && n == 1 && p[0] == 0x80, "mpint: sign byte stripped");
	pf_sshbuf_init(&b, mp_neg, sizeof(mp_neg));
	TAP_OK(pf_sshbuf_get_mpint(&b, 4, &p, &n) == -EBADMSG, "mpint: negative refused");
	pf_sshbuf_init(&b, mp_pad, sizeof(mp_pad));
	TAP_OK(pf_sshbuf_get_mpint(&b, 4, &p, &n) == -EBADMSG, "mpint: non-minimal refused");
}

static void test_base64(void)
{
	uint8_t out[16];
	size_t n = 99;
	char enc[32];

	TAP_OK(pf_base64_decode("aGk=", 4, out, sizeof(out), &n) == 0 && n == 2 &&
	       memcmp(out, "hi", 2) == 0, "base64: decode with padding");
	TAP_OK(pf_base64_decode("aGl=", 4, out, sizeof(out), &n) == -EBADMSG,
	       "base64: non-canonical trailing bits refused");
	TAP_OK(pf_base64_decode("aGk", 3, out, sizeof(out), &n) == -EBADMSG, "base64: unpadded refused");
	TAP_OK(pf_base64_decode("a=Gk", 4, out, sizeof(out), &n) == -EBADMSG, "base64: '=' inside refused");
	TAP_OK(pf_base64_decode("aG k", 4, out, sizeof(out), &n) == -EBADMSG, "base64: space refused");
	TAP_OK(pf_base64_decode("aGVsbG8h", 8, out, 5, &n) == -EMSGSIZE, "base64: output cap");
	TAP_OK(pf_base64_encode((const uint8_t *)"hi", 2, false, enc, sizeof(enc)) == 0 &&
	       strcmp(enc, "aGk") == 0, "base64: unpadded encode");
}

static void test_armor(void)
{
	const char *good = "-----BEGIN SSH SIGNATURE-----\naGk=\n-----END SSH SIGNATURE-----\nrest";
	const char *crlf = "-----BEGIN SSH SIGNATURE-----\naGk=\r\n-----END SSH SIGNATURE-----\n";
	const char *trunc = "-----BEGIN SSH SIGNATURE-----\naGk=\n-----END SSH SIG";
	const char *noend = "-----BEGIN SSH SIGNATURE-----\naGk=\n";
	struct pf_err e = { "" };
	uint8_t *blob = NULL;
	size_t n, used;

	TAP_OK(pf_armor_decode(good, strlen(good), "SSH SIGNATURE", 10, &blob, &n, &used, &e) == 0 &&
	       n == 2 && used == strlen(good) - 4, "armor: decode one block, consumed up to END LF");
	free(blob);
	TAP_OK(pf_armor_decode(crlf, strlen(crlf), "SSH SIGNATURE", 10, &blob, &n, &used, &e) == -EBADMSG,
	       "armor: CR refused");
	TAP_STREQ(e.msg, "armor: CR in line (LF line ends only)", "armor: CR message");
	pf_armor_decode(trunc, strlen(trunc), "SSH SIGNATURE", 10, &blob, &n, &used, &e);
	TAP_STREQ(e.msg, "truncated armor: missing -----END SSH SIGNATURE-----", "armor: truncated END");
	pf_armor_decode(noend, strlen(noend), "SSH SIGNATURE", 10, &blob, &n, &used, &e);
	TAP_STREQ(e.msg, "truncated armor: missing -----END SSH SIGNATURE-----", "armor: no END");
	TAP_OK(pf_armor_decode(good, strlen(good), "SSH SIGNATURE", 1, &blob, &n, &used, &e) == -EMSGSIZE,
	       "armor: payload cap");
}

/* ---- keys and signatures from ssh-keygen ------------------------------ */

struct kind {
	const char *name, *keygen, *type;
	unsigned bits;
};

static const struct kind kinds[] = {
	{ "ed25519", "-t ed25519", "ssh-ed25519", 256 },
	{ "ecdsa", "-t ecdsa -b 256", "ecdsa-sha2-nistp256", 256 },
	{ "rsa", "-t rsa -b 3072", "ssh-rsa", 3072 },
};

static void test_keygen_vectors(void)
{
	spit(pathf("msg"), msg, strlen(msg));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		char fp[128], ourfp[PF_SSHKEY_FP_LEN], keyf[64];
		struct pf_sshkey *pk = NULL;
		size_t n;
		char *pub;

		snprintf(keyf, sizeof(keyf), "%s", pathf(k->name));
		TAP_OK(sh("ssh-keygen -q %s -N '' -C %s@test -f %s", k->keygen, k->name, keyf) == 0,
		       "%s: ssh-keygen generates a key", k->name);
		pub = slurp(pathf(strcat(strcpy(fp, k->name), ".pub")), &n);
		TAP_OK(pub && pf_sshkey_from_line(pub, strcspn(pub, "\n"), &pk, NULL) == 0,
		       "%s: public key line parses", k->name);
		if (!pk) {
			free(pub);
			continue;
		}
		TAP_STREQ(pf_sshkey_type_name(pk), k->type, "%s: key type name", k->name);
		TAP_OK(pf_sshkey_bits(pk) == k->bits, "%s: key bits %u", k->name, pf_sshkey_bits(pk));
		keygen_fp(pathf(fp), fp, sizeof(fp));
		pf_sshkey_fingerprint(pk, ourfp, sizeof(ourfp));
		TAP_STREQ(ourfp, fp, "%s: fingerprint matches ssh-keygen -l", k->name);
		sh("(printf 'tester '; cat %s.pub) > %s", keyf, pathf("allowed"));

		for (int h = 0; h < 2; h++) {
			const char *alg = h ? "sha256" : "sha512";
			char sigf[128];
			struct pf_sshsig *sig = NULL;
			struct pf_err e = { "" };
			uint8_t *blob;
			size_t bl;

			snprintf(sigf, sizeof(sigf), "%s.%s.sig", keyf, alg);
			TAP_OK(sh("ssh-keygen -Y sign -n " NS " %s -f %s < %s > %s 2>/dev/null",
				  h ? "-O hashalg=sha256" : "", keyf, pathf("msg"), sigf) == 0,
			       "%s/%s: ssh-keygen -Y sign", k->name, alg);
			TAP_OK(sh("ssh-keygen -Y verify -f %s -I tester -n " NS " -s %s < %s >/dev/null 2>&1",
				  pathf("allowed"), sigf, pathf("msg")) == 0,
			       "%s/%s: ssh-keygen -Y verify accepts", k->name, alg);
			blob = sig_blob(sigf, &bl);
			TAP_OK(blob && pf_sshsig_from_blob(blob, bl, NS, &sig, &e) == 0,
			       "%s/%s: SSHSIG parses %s", k->name, alg, e.msg);
			if (!sig) {
				free(blob);
				continue;
			}
			TAP_STREQ(pf_sshsig_hashalg(sig), alg, "%s/%s: hash algorithm", k->name, alg);
			TAP_OK(pf_sshkey_equal(pf_sshsig_key(sig), pk), "%s/%s: embedded key equals .pub",
			       k->name, alg);
			TAP_OK(pf_sshsig_verify(sig, msg, strlen(msg), NULL, &e) == 0,
			       "%s/%s: verifies %s", k->name, alg, e.msg);

			/* one flipped byte in the message */
			char *m2 = strdup(msg);
			m2[5] ^= 1;
			TAP_OK(pf_sshsig_verify(sig, m2, strlen(m2), NULL, &e) == -EBADE,
			       "%s/%s: flipped message byte refused", k->name, alg);
			TAP_STREQ(e.msg, "signature does not verify", "%s/%s: flipped message message",
				  k->name, alg);
			free(m2);
			pf_sshsig_free(sig);
			sig = NULL;

			/* one flipped byte in the signature (last byte of the blob
			 * is inside the signature value) */
			blob[bl - 1] ^= 0x01;
			TAP_OK(pf_sshsig_from_blob(blob, bl, NS, &sig, &e) == 0, "%s/%s: flipped sig parses",
			       k->name, alg);
			if (sig) {
				TAP_OK(pf_sshsig_verify(sig, msg, strlen(msg), NULL, &e) == -EBADE,
				       "%s/%s: flipped signature byte refused", k->name, alg);
				TAP_STREQ(e.msg, "signature does not verify",
					  "%s/%s: flipped signature message", k->name, alg);
				pf_sshsig_free(sig);
				sig = NULL;
			}
			blob[bl - 1] ^= 0x01;

			/* trailing garbage after the signature field */
			uint8_t *big = malloc(bl + 1);
			memcpy(big, blob, bl);
			big[bl] = 0;
			TAP_OK(pf_sshsig_from_blob(big, bl + 1, NS, &sig, &e) == -EBADMSG && !sig,
			       "%s/%s: trailing byte refused", k->name, alg);
			TAP_STREQ(e.msg, "SSHSIG blob: 1 trailing bytes after the signature",
				  "%s/%s: trailing byte message", k->name, alg);
			free(big);
			/* namespace compared with the caller's constant */
			TAP_OK(pf_sshsig_from_blob(blob, bl, "git", &sig, &e) == -EBADMSG,
			       "%s/%s: other namespace refused", k->name, alg);
			TAP_STREQ(e.msg, "signature namespace is \"permafrost-approval-v1\", expected \"git\"",
				  "%s/%s: namespace message", k->name, alg);
			free(blob);
		}
		pf_sshkey_free(pk);
		free(pub);
	}
}

static void test_wrong_namespace(void)
{
	struct pf_sshsig *sig = NULL;
	struct pf_err e = { "" };
	size_t n, used;
	char *t;

	sh("ssh-keygen -Y sign -n file -f %s < %s > %s 2>/dev/null", pathf("ed25519"), pathf("msg"),
	   pathf("file.sig"));
	t = slurp(pathf("file.sig"), &n);
	TAP_OK(t && pf_sshsig_from_armor(t, n, NS, &sig, &used, &e) == -EBADMSG && !sig,
	       "namespace: signature made for \"file\" refused");
	TAP_STREQ(e.msg, "signature namespace is \"file\", expected \"permafrost-approval-v1\"",
		  "namespace: message");
	free(t);
}

/* rsa 1024, unsupported key types, SHA-1 RSA signatures, off-curve point */
static void test_refused_keys(void)
{
	struct pf_sshkey *k = NULL;
	struct pf_sshsig *sig = NULL;
	struct pf_err e = { "" };
	char *pub;
	size_t n;

	TAP_OK(sh("ssh-keygen -q -t rsa -b 1024 -N '' -f %s", pathf("rsa1024")) == 0, "rsa1024 generated");
	pub = slurp(pathf("rsa1024.pub"), &n);
	TAP_OK(pub && pf_sshkey_from_line(pub, strcspn(pub, "\n"), &k, &e) == -EKEYREJECTED && !k,
	       "rsa 1024: refused");
	TAP_STREQ(e.msg, "RSA key is 1024 bits, at least 2048 required", "rsa 1024: message");
	free(pub);
	/* the same through an SSHSIG made by ssh-keygen */
	sh("ssh-keygen -Y sign -n " NS " -f %s < %s > %s 2>/dev/null", pathf("rsa1024"), pathf("msg"),
	   pathf("rsa1024.sig"));
	pub = slurp(pathf("rsa1024.sig"), &n);
	TAP_OK(pub && pf_sshsig_from_armor(pub, n, NS, &sig, &n, &e) == -EKEYREJECTED,
	       "rsa 1024: signature refused");
	TAP_STREQ(e.msg, "RSA key is 1024 bits, at least 2048 required", "rsa 1024: signature message");
	free(pub);

	TAP_OK(sh("ssh-keygen -q -t ecdsa -b 384 -N '' -f %s", pathf("p384")) == 0, "p384 generated");
	pub = slurp(pathf("p384.pub"), &n);
	TAP_OK(pub && pf_sshkey_from_line(pub, strcspn(pub, "\n"), &k, &e) == -EOPNOTSUPP,
	       "unsupported key type: refused");
	TAP_STREQ(e.msg, "unsupported key type \"ecdsa-sha2-nistp384\"", "unsupported key type: message");
	free(pub);
	if (sh("ssh-keygen -q -t dsa -N '' -f %s 2>/dev/null", pathf("dsa")) == 0) {
		pub = slurp(pathf("dsa.pub"), &n);
		TAP_OK(pub && pf_sshkey_from_line(pub, strcspn(pub, "\n"), &k, &e) == -EOPNOTSUPP,
		       "ssh-dss: refused");
		TAP_STREQ(e.msg, "unsupported key type \"ssh-dss\"", "ssh-dss: message");
		free(pub);
	}

	/* ssh-rsa (SHA-1) signature type inside an otherwise valid SSHSIG */
	{
		size_t bl;
		uint8_t *blob = sig_blob(pathf("rsa.sha512.sig"), &bl), *nb = NULL;
		struct pf_sshbuf b, kb, sb;
		const uint8_t *p, *nsp, *hp, *sp;
		size_t nsl, hl, sl, nbl;
		struct pf_sshbuf_w w;

		pf_sshbuf_init(&b, blob, bl);
		pf_sshbuf_get_bytes(&b, 10, &p);
		pf_sshbuf_get_sub(&b, 4096, &kb);
		pf_sshbuf_get_string(&b, 256, &nsp, &nsl);
		pf_sshbuf_get_string(&b, 0, NULL, NULL);
		pf_sshbuf_get_string(&b, 16, &hp, &hl);
		pf_sshbuf_get_sub(&b, 8192, &sb);
		pf_sshbuf_get_string(&sb, 64, NULL, NULL);
		pf_sshbuf_get_string(&sb, 4096, &sp, &sl);
		pf_sshbuf_w_init(&w);
		pf_sshbuf_w_put(&w, blob, 10);
		pf_sshbuf_w_string(&w, kb.p, kb.len);
		pf_sshbuf_w_string(&w, nsp, nsl);
		pf_sshbuf_w_string(&w, "", 0);
		pf_sshbuf_w_string(&w, hp, hl);
		pf_sshbuf_w_u32(&w, (uint32_t)(4 + 7 + 4 + sl));
		pf_sshbuf_w_cstring(&w, "ssh-rsa");
		pf_sshbuf_w_string(&w, sp, sl);
		TAP_OK(blob && pf_sshbuf_w_finish(&w, &nb, &nbl) == 0, "ssh-rsa sig: blob rebuilt");
		TAP_OK(nb && pf_sshsig_from_blob(nb, nbl, NS, &sig, &e) == -EOPNOTSUPP,
		       "ssh-rsa (SHA-1) signature refused");
		TAP_STREQ(e.msg, "RSA signature type \"ssh-rsa\" (SHA-1) refused: use rsa-sha2-256 or rsa-sha2-512",
			  "ssh-rsa signature: message");
		free(nb);
		free(blob);
	}

	/* ecdsa point not on the curve */
	{
		size_t bl, dl;
		char *line = slurp(pathf("ecdsa.pub"), &n), *sp;
		uint8_t blob[512];

		sp = line ? strchr(line, ' ') + 1 : NULL;
		if (sp && pf_base64_decode(sp, strcspn(sp, " \n"), blob, sizeof(blob), &dl) == 0) {
			blob[dl - 1] ^= 0x01; /* last byte of Y */
			bl = dl;
			TAP_OK(pf_sshkey_from_blob(blob, bl, &k, &e) == -EKEYREJECTED,
			       "ecdsa: off-curve point refused");
			TAP_STREQ(e.msg, "ecdsa public key: point is not on the nistp256 curve",
				  "ecdsa: off-curve message");
		}
		free(line);
	}
}

/* ---- FIDO sk- signatures built with OpenSSL ---------------------------- */

static EVP_PKEY *gen(const char *alg)
{
	EVP_PKEY *pk = NULL;

	if (strcmp(alg, "EC") == 0)
		pk = EVP_EC_gen("P-256");
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	return pk;
}

/* Builds the wire public key blob of an sk- key. */
static void sk_pub(EVP_PKEY *pk, bool ec, const char *app, struct pf_sshbuf_w *w)
{
	uint8_t pub[128];
	size_t pl = sizeof(pub);

	if (ec) {
		EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &pl);
		pf_sshbuf_w_cstring(w, "sk-ecdsa-sha2-nistp256@openssh.com");
		pf_sshbuf_w_cstring(w, "nistp256");
		pf_sshbuf_w_string(w, pub, pl);
	} else {
		EVP_PKEY_get_raw_public_key(pk, pub, &pl);
		pf_sshbuf_w_cstring(w, "sk-ssh-ed25519@openssh.com");
		pf_sshbuf_w_string(w, pub, pl);
	}
	pf_sshbuf_w_cstring(w, app);
}

/* Returns an SSHSIG blob over m signed by an sk- key with the given flags. */
static uint8_t *sk_sign(EVP_PKEY *pk, bool ec, const char *app, uint8_t flags, uint32_t counter,
			const char *m, size_t *ret_len)
{
	struct pf_sshbuf_w w, sd, kw, sw;
	uint8_t h[64], fido[69], sig[128], *sdp, *kp, *out, *swp;
	size_t sdl, kl, siglen = sizeof(sig), ol, swl;
	unsigned int hl;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();

	/* signed data per PROTOCOL.sshsig */
	EVP_Digest(m, strlen(m), h, &hl, EVP_sha512(), NULL);
	pf_sshbuf_w_init(&sd);
	pf_sshbuf_w_put(&sd, "SSHSIG", 6);
	pf_sshbuf_w_cstring(&sd, NS);
	pf_sshbuf_w_string(&sd, "", 0);
	pf_sshbuf_w_cstring(&sd, "sha512");
	pf_sshbuf_w_string(&sd, h, hl);
	pf_sshbuf_w_finish(&sd, &sdp, &sdl);
	/* FIDO data per PROTOCOL.u2f */
	EVP_Digest(app, strlen(app), fido, &hl, EVP_sha256(), NULL);
	fido[32] = flags;
	fido[33] = counter >> 24;
	fido[34] = counter >> 16;
	fido[35] = counter >> 8;
	fido[36] = counter;
	EVP_Digest(sdp, sdl, fido + 37, &hl, EVP_sha256(), NULL);
	EVP_DigestSignInit(mctx, NULL, ec ? EVP_sha256() : NULL, NULL, pk);
	EVP_DigestSign(mctx, sig, &siglen, fido, sizeof(fido));
	EVP_MD_CTX_free(mctx);

	pf_sshbuf_w_init(&kw);
	sk_pub(pk, ec, app, &kw);
	pf_sshbuf_w_finish(&kw, &kp, &kl);
	pf_sshbuf_w_init(&sw);
	if (ec) {
		const unsigned char *dp = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &dp, (long)siglen);
		uint8_t r[32], s[32];
		struct pf_sshbuf_w rs;
		uint8_t *rsp;
		size_t rsl;

		BN_bn2binpad(ECDSA_SIG_get0_r(es), r, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), s, 32);
		ECDSA_SIG_free(es);
		pf_sshbuf_w_init(&rs);
		pf_sshbuf_w_mpint(&rs, r, 32);
		pf_sshbuf_w_mpint(&rs, s, 32);
		pf_sshbuf_w_finish(&rs, &rsp, &rsl);
		pf_sshbuf_w_cstring(&sw, "sk-ecdsa-sha2-nistp256@openssh.com");
		pf_sshbuf_w_string(&sw, rsp, rsl);
		free(rsp);
	} else {
		pf_sshbuf_w_cstring(&sw, "sk-ssh-ed25519@openssh.com");
		pf_sshbuf_w_string(&sw, sig, siglen);
	}
	pf_sshbuf_w_u8(&sw, flags);
	pf_sshbuf_w_u32(&sw, counter);
	pf_sshbuf_w_finish(&sw, &swp, &swl);

	pf_sshbuf_w_init(&w);
	pf_sshbuf_w_put(&w, "SSHSIG", 6);
	pf_sshbuf_w_u32(&w, 1);
	pf_sshbuf_w_string(&w, kp, kl);
	pf_sshbuf_w_cstring(&w, NS);
	pf_sshbuf_w_string(&w, "", 0);
	pf_sshbuf_w_cstring(&w, "sha512");
	pf_sshbuf_w_string(&w, swp, swl);
	pf_sshbuf_w_finish(&w, &out, &ol);
	free(sdp);
	free(kp);
	free(swp);
	*ret_len = ol;
	return out;
}

static void test_sk(void)
{
	for (int ec = 0; ec < 2; ec++) {
		const char *name = ec ? "sk-ecdsa" : "sk-ed25519";
		EVP_PKEY *pk = gen(ec ? "EC" : "ED25519");
		struct pf_sshsig *sig = NULL;
		struct pf_err e = { "" };
		uint8_t *blob, *kb, flags = 0;
		size_t bl, kl;
		struct pf_sshbuf_w kw;

		blob = sk_sign(pk, ec, "ssh:", PF_SK_USER_PRESENT, 42, msg, &bl);
		TAP_OK(pf_sshsig_from_blob(blob, bl, NS, &sig, &e) == 0, "%s: SSHSIG parses %s", name, e.msg);
		TAP_OK(sig && pf_sshsig_verify(sig, msg, strlen(msg), &flags, &e) == 0 &&
		       flags == PF_SK_USER_PRESENT, "%s: verifies with user presence %s", name, e.msg);
		TAP_STREQ(sig ? pf_sshkey_application(pf_sshsig_key(sig)) : NULL, "ssh:",
			  "%s: application string", name);
		/* cross-check with ssh-keygen -Y verify */
		{
			char *arm, line[2048], b64[1024];
			size_t al;

			pf_sshbuf_w_init(&kw);
			sk_pub(pk, ec, "ssh:", &kw);
			pf_sshbuf_w_finish(&kw, &kb, &kl);
			pf_base64_encode(kb, kl, true, b64, sizeof(b64));
			snprintf(line, sizeof(line), "sk-tester %s %s\n",
				 ec ? "sk-ecdsa-sha2-nistp256@openssh.com" : "sk-ssh-ed25519@openssh.com", b64);
			spit(pathf("sk_allowed"), line, strlen(line));
			pf_armor_encode(blob, bl, "SSH SIGNATURE", &arm, &al);
			spit(pathf("sk.sig"), arm, al);
			free(arm);
			TAP_OK(sh("ssh-keygen -Y verify -f %s -I sk-tester -n " NS " -s %s < %s >/dev/null 2>&1",
				  pathf("sk_allowed"), pathf("sk.sig"), pathf("msg")) == 0,
			       "%s: ssh-keygen -Y verify accepts our FIDO signature", name);
			{
				struct pf_sshkey *k2 = NULL;

				TAP_OK(pf_sshkey_from_line(line + 10, strlen(line) - 11, &k2, &e) == 0 &&
				       sig && pf_sshkey_equal(k2, pf_sshsig_key(sig)),
				       "%s: key line parses and equals", name);
				pf_sshkey_free(k2);
			}
			free(kb);
		}
		pf_sshsig_free(sig);
		sig = NULL;
		free(blob);

		/* no user presence */
		blob = sk_sign(pk, ec, "ssh:", 0x00, 43, msg, &bl);
		TAP_OK(pf_sshsig_from_blob(blob, bl, NS, &sig, &e) == 0, "%s: no-UP signature parses", name);
		TAP_OK(sig && pf_sshsig_verify(sig, msg, strlen(msg), &flags, &e) == -EPERM,
		       "%s: signature without user presence refused", name);
		TAP_STREQ(e.msg, "FIDO signature lacks the user-presence flag (flags 0x00)",
			  "%s: no-UP message", name);
		pf_sshsig_free(sig);
		sig = NULL;
		free(blob);

		/* flags forged after signing */
		blob = sk_sign(pk, ec, "ssh:", 0x00, 44, msg, &bl);
		blob[bl - 5] = PF_SK_USER_PRESENT;
		pf_sshsig_from_blob(blob, bl, NS, &sig, &e);
		TAP_OK(sig && pf_sshsig_verify(sig, msg, strlen(msg), &flags, &e) == -EBADE,
		       "%s: forged flags do not verify", name);
		pf_sshsig_free(sig);
		sig = NULL;
		free(blob);
		EVP_PKEY_free(pk);
	}
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pf-sshsig-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_reader();
	test_base64();
	test_armor();
	if (sh("command -v ssh-keygen >/dev/null") != 0) {
		printf("ok %d - # SKIP ssh-keygen not installed\n", ++tap_n);
	} else {
		test_keygen_vectors();
		test_wrong_namespace();
		test_refused_keys();
	}
	test_sk();
	sh("rm -rf %s", dir);
	return TAP_DONE();
}

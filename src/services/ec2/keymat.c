/*
 * keymat.c - key pair generation, private key file formats, public key
 * parsing and EC2 fingerprints. See keymat.h for the contract.
 *
 * The CreateKeyPair and ImportKeyPair handlers are the callers; this file
 * does no I/O and keeps no state. OpenSSL's libcrypto does the arithmetic
 * (key generation, digests, DER, the PKCS#1 PEM writer). The SSH encodings
 * libcrypto does not know are written here: the public key blob (RFC 4253
 * 6.6, RFC 8709), the openssh-key-v1 private key file (OpenSSH's
 * PROTOCOL.key), PuTTY's .ppk version 2 (PuTTY manual, appendix C), and the
 * parsers for the OpenSSH one-line and RFC 4716 public key files.
 *
 * Secrets are only ever assembled in fixed-size stack buffers (struct wire
 * never reallocates, so no stale copy is left on the heap) and wiped before
 * they go out of scope; the one heap copy, the finished KeyMaterial, is
 * wiped by keymat_clear().
 */
#include "keymat.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/b64.h"
#include "common/err.h"

/* What EC2 answers for any public key material it cannot use. */
#define ERR_FORMAT "InvalidKey.Format"
#define MSG_FORMAT "Key is not in valid OpenSSH public key format"

#define BLOB_MAX     2048 /* an SSH public blob, private blob or MAC input */
#define TEXT_MAX     8192 /* a whole private key file or public key line */
#define MPINT_MAX    (KEYMAT_IMPORT_RSA_MAX_BITS / 8) /* bytes of magnitude */
#define ED25519_LEN  32
#define PPK_LINE     64 /* PuTTY's base64 line width */
#define OPENSSH_LINE 70 /* OpenSSH's base64 line width */

#define RFC4716_BEGIN	"---- BEGIN SSH2 PUBLIC KEY ----"
#define RFC4716_END	"---- END SSH2 PUBLIC KEY ----"
#define RFC4716_TAG_MAX 64

/*
 * A bounded byte writer over caller-provided storage. Like struct buf it
 * has a sticky failure flag checked once at the end, but it never grows:
 * that is what lets private key bytes be wiped reliably.
 */
struct wire {
	unsigned char *data;
	size_t len;
	size_t cap;
	int failed;
};

/* A cursor over an SSH wire encoding being parsed. */
struct reader {
	const unsigned char *p;
	size_t left;
};

static void
wire_init(struct wire *w, unsigned char *storage, size_t cap)
{
	w->data = storage;
	w->len = 0;
	w->cap = cap;
	w->failed = 0;
}

static void
wire_add(struct wire *w, const void *p, size_t n)
{
	if (w->failed || n > w->cap - w->len) {
		w->failed = 1;
		return;
	}
	if (n)
		memcpy(w->data + w->len, p, n);
	w->len += n;
}

static void
wire_text(struct wire *w, const char *s)
{
	wire_add(w, s, strlen(s));
}

static void
wire_u32(struct wire *w, uint32_t v)
{
	unsigned char b[4];

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
	wire_add(w, b, sizeof(b));
}

/* An SSH "string": a 32-bit big-endian length, then the bytes. */
static void
wire_string(struct wire *w, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		w->failed = 1;
		return;
	}
	wire_u32(w, (uint32_t)n);
	wire_add(w, p, n);
}

static void
wire_cstring(struct wire *w, const char *s)
{
	wire_string(w, s, strlen(s));
}

/* An SSH "mpint" (RFC 4251 5): big-endian, 0x00 first if the top bit is set. */
static void
wire_mpint(struct wire *w, const BIGNUM *bn)
{
	unsigned char tmp[MPINT_MAX + 1];
	int n = bn ? BN_num_bytes(bn) : -1;
	size_t skip;

	if (n < 0 || (size_t)n > MPINT_MAX || BN_is_negative(bn)) {
		w->failed = 1;
		return;
	}
	tmp[0] = 0;
	BN_bn2bin(bn, tmp + 1);
	skip = (n > 0 && (tmp[1] & 0x80)) ? 0 : 1;
	wire_string(w, tmp + skip, (size_t)n + 1 - skip);
	OPENSSL_cleanse(tmp, sizeof(tmp));
}

/* Append the base64 of p on one line (no line break). */
static void
wire_base64(struct wire *w, const unsigned char *p, size_t n)
{
	size_t need = 4 * ((n + 2) / 3);

	/* EVP_EncodeBlock also writes a NUL after the text. */
	if (w->failed || n > INT_MAX / 2 || need >= w->cap - w->len) {
		w->failed = 1;
		return;
	}
	EVP_EncodeBlock(w->data + w->len, p, (int)n);
	w->len += need;
}

static size_t
base64_line_count(size_t n, size_t width)
{
	return (4 * ((n + 2) / 3) + width - 1) / width;
}

/* Append the base64 of p as lines of width characters, each ending "\n". */
static void
wire_base64_lines(struct wire *w, const unsigned char *p, size_t n,
		  size_t width)
{
	unsigned char storage[TEXT_MAX];
	struct wire b64;
	size_t off, take;

	wire_init(&b64, storage, sizeof(storage));
	wire_base64(&b64, p, n);
	if (b64.failed)
		w->failed = 1;
	for (off = 0; !b64.failed && off < b64.len; off += take) {
		take = b64.len - off < width ? b64.len - off : width;
		wire_add(w, storage + off, take);
		wire_add(w, "\n", 1);
	}
	OPENSSL_cleanse(storage, sizeof(storage));
}

/* Lowercase hex, with ':' between bytes when colons is set. */
static void
wire_hex(struct wire *w, const unsigned char *p, size_t n, int colons)
{
	static const char digits[] = "0123456789abcdef";
	char pair[2];
	size_t i;

	for (i = 0; i < n; i++) {
		if (colons && i > 0)
			wire_add(w, ":", 1);
		pair[0] = digits[p[i] >> 4];
		pair[1] = digits[p[i] & 0x0f];
		wire_add(w, pair, sizeof(pair));
	}
}

/* "Label: count\n", the PPK line-count headers. */
static void
wire_count_header(struct wire *w, const char *label, size_t count)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s: %zu\n", label, count);

	if (n < 0 || (size_t)n >= sizeof(line)) {
		w->failed = 1;
		return;
	}
	wire_add(w, line, (size_t)n);
}

/* What was written, as a new NUL-terminated string; NULL on failure. */
static char *
wire_strdup(const struct wire *w)
{
	char *s;

	if (w->failed)
		return NULL;
	s = malloc(w->len + 1);
	if (!s)
		return NULL;
	memcpy(s, w->data, w->len);
	s[w->len] = '\0';
	return s;
}

static int
read_u32(struct reader *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int
read_string(struct reader *r, const unsigned char **s, size_t *n)
{
	uint32_t len;

	if (read_u32(r, &len) < 0 || len > r->left)
		return -1;
	*s = r->p;
	*n = len;
	r->p += len;
	r->left -= len;
	return 0;
}

static int
bytes_are(const void *p, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

static const char *
ssh_type_name(enum keymat_type t)
{
	return t == KEYMAT_RSA ? "ssh-rsa" : "ssh-ed25519";
}

/* Ed25519's 32-byte public key and, when seed is not NULL, private seed. */
static int
ed25519_raw(EVP_PKEY *pkey, unsigned char *seed, unsigned char *pub)
{
	size_t n = ED25519_LEN;

	if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 || n != ED25519_LEN)
		return -1;
	if (!seed)
		return 0;
	n = ED25519_LEN;
	if (EVP_PKEY_get_raw_private_key(pkey, seed, &n) != 1 ||
	    n != ED25519_LEN)
		return -1;
	return 0;
}

/* "ssh-rsa" blob: string type, mpint e, mpint n (RFC 4253 6.6). */
static void
wire_rsa_public_blob(struct wire *w, EVP_PKEY *pkey)
{
	BIGNUM *n = NULL, *e = NULL;

	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		w->failed = 1;
	wire_cstring(w, "ssh-rsa");
	wire_mpint(w, e);
	wire_mpint(w, n);
	BN_free(n);
	BN_free(e);
}

/* "ssh-ed25519" blob: string type, string 32-byte key (RFC 8709 4). */
static void
wire_ed25519_public_blob(struct wire *w, EVP_PKEY *pkey)
{
	unsigned char pub[ED25519_LEN];

	if (ed25519_raw(pkey, NULL, pub) < 0)
		w->failed = 1;
	wire_cstring(w, "ssh-ed25519");
	wire_string(w, pub, sizeof(pub));
}

static void
wire_public_blob(struct wire *w, EVP_PKEY *pkey, enum keymat_type t)
{
	if (t == KEYMAT_RSA)
		wire_rsa_public_blob(w, pkey);
	else
		wire_ed25519_public_blob(w, pkey);
}

/* "ssh-ed25519 AAAA...": the authorized_keys line, without a comment. */
static char *
openssh_public_line(EVP_PKEY *pkey, enum keymat_type t)
{
	unsigned char blob_storage[BLOB_MAX], text_storage[TEXT_MAX];
	struct wire blob, text;

	wire_init(&blob, blob_storage, sizeof(blob_storage));
	wire_public_blob(&blob, pkey, t);
	wire_init(&text, text_storage, sizeof(text_storage));
	text.failed = blob.failed;
	wire_text(&text, ssh_type_name(t));
	wire_text(&text, " ");
	wire_base64(&text, blob.data, blob.len);
	return wire_strdup(&text);
}

static char *
fingerprint_hex(const EVP_MD *md, const unsigned char *p, size_t n)
{
	unsigned char dg[EVP_MAX_MD_SIZE], storage[3 * EVP_MAX_MD_SIZE];
	unsigned int dg_len;
	struct wire w;

	if (EVP_Digest(p, n, dg, &dg_len, md, NULL) != 1)
		return NULL;
	wire_init(&w, storage, sizeof(storage));
	wire_hex(&w, dg, dg_len, 1);
	return wire_strdup(&w);
}

/*
 * Created RSA: SHA-1 of the DER PKCS#8 PrivateKeyInfo, what EC2's guide
 * checks with `openssl pkcs8 -topk8 -nocrypt -outform DER | openssl sha1 -c`.
 */
static char *
fingerprint_rsa_created(EVP_PKEY *pkey)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
	unsigned char *der = NULL;
	char *fp = NULL;
	int n;

	if (!p8)
		return NULL;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	if (n > 0)
		fp = fingerprint_hex(EVP_sha1(), der, (size_t)n);
	OPENSSL_clear_free(der, n > 0 ? (size_t)n : 0);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return fp;
}

/*
 * Imported RSA: MD5 of the DER SubjectPublicKeyInfo, as
 * `openssl pkey -pubout -outform DER | openssl md5 -c`. (The API reference
 * says "RFC 4716 section 4", i.e. MD5 of the SSH blob; EC2 does not do
 * that, its user guide and observed answers agree on the DER form.)
 */
static char *
fingerprint_rsa_imported(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	char *fp = NULL;
	int n = i2d_PUBKEY(pkey, &der);

	if (n > 0)
		fp = fingerprint_hex(EVP_md5(), der, (size_t)n);
	OPENSSL_free(der);
	return fp;
}

/*
 * Ed25519, created or imported: SHA-256 of the SSH public blob in base64,
 * like `ssh-keygen -l` but keeping the '=' and without "SHA256:".
 */
static char *
fingerprint_ed25519(EVP_PKEY *pkey)
{
	unsigned char blob_storage[BLOB_MAX], dg[EVP_MAX_MD_SIZE];
	unsigned char text_storage[4 * EVP_MAX_MD_SIZE];
	unsigned int dg_len;
	struct wire blob, text;

	wire_init(&blob, blob_storage, sizeof(blob_storage));
	wire_ed25519_public_blob(&blob, pkey);
	if (blob.failed || EVP_Digest(blob.data, blob.len, dg, &dg_len,
				      EVP_sha256(), NULL) != 1)
		return NULL;
	wire_init(&text, text_storage, sizeof(text_storage));
	wire_base64(&text, dg, dg_len);
	return wire_strdup(&text);
}

/* PKCS#1 "BEGIN RSA PRIVATE KEY", as EC2 returns for RSA + pem. */
static char *
rsa_private_pem(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL, *pem = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL,
						 NULL) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			pem = malloc((size_t)n + 1);
		if (pem) {
			memcpy(pem, data, (size_t)n);
			pem[n] = '\0';
		}
	}
	BIO_free(bio); /* a secmem BIO wipes its buffer */
	return pem;
}

/*
 * The private section of openssh-key-v1: a repeated random check word, the
 * key, the comment, and padding 1, 2, 3... to the "none" cipher's 8-byte
 * block. Ed25519's private key is the 32-byte seed followed by the public
 * key (PROTOCOL.key; sshkey_private_serialize in OpenSSH).
 */
static void
wire_openssh_private_section(struct wire *w, EVP_PKEY *pkey,
			     const char *comment)
{
	unsigned char pair[2 * ED25519_LEN];
	unsigned char check[4];
	unsigned char pad = 1;

	if (ed25519_raw(pkey, pair, pair + ED25519_LEN) < 0 ||
	    RAND_bytes(check, sizeof(check)) != 1)
		w->failed = 1;
	wire_add(w, check, sizeof(check));
	wire_add(w, check, sizeof(check));
	wire_cstring(w, "ssh-ed25519");
	wire_string(w, pair + ED25519_LEN, ED25519_LEN);
	wire_string(w, pair, sizeof(pair));
	wire_cstring(w, comment);
	while (!w->failed && w->len % 8)
		wire_add(w, &pad, 1), pad++;
	OPENSSL_cleanse(pair, sizeof(pair));
}

/* "-----BEGIN OPENSSH PRIVATE KEY-----", as EC2 returns for ed25519 + pem. */
static char *
openssh_private_ed25519(EVP_PKEY *pkey, const char *comment)
{
	static const char magic[] = "openssh-key-v1"; /* written with its NUL */
	unsigned char pub_storage[BLOB_MAX], sect_storage[BLOB_MAX];
	unsigned char file_storage[BLOB_MAX], text_storage[TEXT_MAX];
	struct wire pub, sect, file, text;
	char *s;

	wire_init(&pub, pub_storage, sizeof(pub_storage));
	wire_ed25519_public_blob(&pub, pkey);
	wire_init(&sect, sect_storage, sizeof(sect_storage));
	wire_openssh_private_section(&sect, pkey, comment);

	wire_init(&file, file_storage, sizeof(file_storage));
	file.failed = pub.failed || sect.failed;
	wire_add(&file, magic, sizeof(magic));
	wire_cstring(&file, "none"); /* cipher */
	wire_cstring(&file, "none"); /* kdf */
	wire_string(&file, "", 0);   /* kdf options */
	wire_u32(&file, 1);	     /* number of keys */
	wire_string(&file, pub.data, pub.len);
	wire_string(&file, sect.data, sect.len);

	wire_init(&text, text_storage, sizeof(text_storage));
	text.failed = file.failed;
	wire_text(&text, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	wire_base64_lines(&text, file.data, file.len, OPENSSH_LINE);
	wire_text(&text, "-----END OPENSSH PRIVATE KEY-----\n");
	s = wire_strdup(&text);

	OPENSSL_cleanse(sect_storage, sizeof(sect_storage));
	OPENSSL_cleanse(file_storage, sizeof(file_storage));
	OPENSSL_cleanse(text_storage, sizeof(text_storage));
	return s;
}

/*
 * PPK's RSA private blob: mpint d, p, q, iqmp, with p > q and
 * iqmp = q^-1 mod p, the order PuTTY itself writes and puts keys into.
 */
static void
wire_ppk_rsa_private(struct wire *w, EVP_PKEY *pkey)
{
	BIGNUM *d = NULL, *p = NULL, *q = NULL, *iqmp = NULL, *tmp;
	BN_CTX *ctx = BN_CTX_secure_new();

	if (ctx &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) == 1 &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) == 1 &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, &q) == 1) {
		if (BN_cmp(p, q) < 0) {
			tmp = p;
			p = q;
			q = tmp;
		}
		BN_set_flags(q, BN_FLG_CONSTTIME);
		iqmp = BN_mod_inverse(NULL, q, p, ctx);
	}
	wire_mpint(w, d); /* a NULL (failed) number fails the wire */
	wire_mpint(w, p);
	wire_mpint(w, q);
	wire_mpint(w, iqmp);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(iqmp);
	BN_CTX_free(ctx);
}

/* PPK's Ed25519 private blob: the 32-byte seed as a string. */
static void
wire_ppk_ed25519_private(struct wire *w, EVP_PKEY *pkey)
{
	unsigned char seed[ED25519_LEN], pub[ED25519_LEN];

	if (ed25519_raw(pkey, seed, pub) < 0)
		w->failed = 1;
	wire_string(w, seed, sizeof(seed));
	OPENSSL_cleanse(seed, sizeof(seed));
}

/*
 * PPK version 2's Private-MAC: HMAC-SHA-1 keyed with
 * SHA-1("putty-private-key-file-mac-key" || passphrase), the passphrase
 * being empty for "Encryption: none", over the algorithm, encryption,
 * comment, public blob and private blob, each as an SSH string.
 */
static int
ppk_mac(const char *alg, const char *comment, const struct wire *pub,
	const struct wire *priv, unsigned char *mac, unsigned int *mac_len)
{
	static const char label[] = "putty-private-key-file-mac-key";
	unsigned char key[EVP_MAX_MD_SIZE], storage[2 * BLOB_MAX];
	unsigned int key_len;
	struct wire data;
	int ret = -1;

	wire_init(&data, storage, sizeof(storage));
	wire_cstring(&data, alg);
	wire_cstring(&data, "none");
	wire_cstring(&data, comment);
	wire_string(&data, pub->data, pub->len);
	wire_string(&data, priv->data, priv->len);
	if (!data.failed &&
	    EVP_Digest(label, strlen(label), key, &key_len, EVP_sha1(), NULL) ==
		1 &&
	    HMAC(EVP_sha1(), key, (int)key_len, data.data, data.len, mac,
		 mac_len) != NULL)
		ret = 0;
	OPENSSL_cleanse(storage, sizeof(storage));
	return ret;
}

/*
 * "PuTTY-User-Key-File-2", unencrypted, for KeyFormat ppk. EC2's documents
 * do not name the PPK version; version 2 is the one every PuTTY, WinSCP
 * and FileZilla release reads (0.75's version 3 is not), and this output
 * is byte for byte what `puttygen --ppk-param version=2` writes.
 */
static char *
ppk_private(EVP_PKEY *pkey, enum keymat_type t, const char *comment)
{
	unsigned char pub_storage[BLOB_MAX], priv_storage[BLOB_MAX];
	unsigned char text_storage[TEXT_MAX], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	const char *alg = ssh_type_name(t);
	struct wire pub, priv, text;
	char *s;

	wire_init(&pub, pub_storage, sizeof(pub_storage));
	wire_public_blob(&pub, pkey, t);
	wire_init(&priv, priv_storage, sizeof(priv_storage));
	if (t == KEYMAT_RSA)
		wire_ppk_rsa_private(&priv, pkey);
	else
		wire_ppk_ed25519_private(&priv, pkey);

	wire_init(&text, text_storage, sizeof(text_storage));
	text.failed = pub.failed || priv.failed ||
		      ppk_mac(alg, comment, &pub, &priv, mac, &mac_len) < 0;
	wire_text(&text, "PuTTY-User-Key-File-2: ");
	wire_text(&text, alg);
	wire_text(&text, "\nEncryption: none\nComment: ");
	wire_text(&text, comment);
	wire_text(&text, "\n");
	wire_count_header(&text, "Public-Lines",
			  base64_line_count(pub.len, PPK_LINE));
	wire_base64_lines(&text, pub.data, pub.len, PPK_LINE);
	wire_count_header(&text, "Private-Lines",
			  base64_line_count(priv.len, PPK_LINE));
	wire_base64_lines(&text, priv.data, priv.len, PPK_LINE);
	wire_text(&text, "Private-MAC: ");
	wire_hex(&text, mac, mac_len, 0);
	wire_text(&text, "\n");
	s = wire_strdup(&text);

	OPENSSL_cleanse(priv_storage, sizeof(priv_storage));
	OPENSSL_cleanse(text_storage, sizeof(text_storage));
	return s;
}

static char *
private_key_text(EVP_PKEY *pkey, enum keymat_type t, enum keymat_format f,
		 const char *comment)
{
	if (f == KEYMAT_PPK)
		return ppk_private(pkey, t, comment);
	if (t == KEYMAT_RSA)
		return rsa_private_pem(pkey);
	return openssh_private_ed25519(pkey, comment);
}

/* The key name goes into one-line comment fields: printable ASCII only. */
static int
name_is_valid(const char *name)
{
	size_t i, n;

	if (!name)
		return 0;
	n = strnlen(name, KEYMAT_NAME_MAX + 1);
	if (n == 0 || n > KEYMAT_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x20 ||
		    (unsigned char)name[i] > 0x7e)
			return 0;
	}
	return 1;
}

static EVP_PKEY *
generate_pkey(enum keymat_type t)
{
	if (t == KEYMAT_RSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
					 (size_t)KEYMAT_RSA_BITS);
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

int
keymat_generate(enum keymat_type t, enum keymat_format f, const char *name,
		struct keymat *out, struct err *e)
{
	struct keymat k = {.type = t};
	EVP_PKEY *pkey;
	int ret = 0;

	if (t != KEYMAT_RSA && t != KEYMAT_ED25519)
		return err_set(e, "InvalidParameterValue", "Invalid key type");
	if (f != KEYMAT_PEM && f != KEYMAT_PPK)
		return err_set(e, "InvalidParameterValue",
			       "Invalid key format");
	if (!name_is_valid(name))
		return err_set(e, "InvalidParameterValue",
			       "Key name must be 1 to %d printable ASCII "
			       "characters",
			       KEYMAT_NAME_MAX);

	pkey = generate_pkey(t);
	if (pkey) {
		k.public_openssh = openssh_public_line(pkey, t);
		k.fingerprint = t == KEYMAT_RSA ? fingerprint_rsa_created(pkey)
						: fingerprint_ed25519(pkey);
		k.private_key = private_key_text(pkey, t, f, name);
	}
	if (!k.public_openssh || !k.fingerprint || !k.private_key) {
		keymat_clear(&k);
		ret = err_set(e, "InternalError",
			      "An internal error has occurred");
	} else {
		*out = k;
	}
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ret;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
only_space(const char *p, size_t n)
{
	while (n > 0 && is_space(*p))
		p++, n--;
	return n == 0;
}

/* Append the line [p, p+n) to out at *io_len; b64_decode_to skips spaces. */
static void
base64_gather(const char *p, size_t n, char *out, size_t *io_len)
{
	memcpy(out + *io_len, p, n);
	*io_len += n;
}

/* An RSA parameter: a positive mpint (zero or negative is no RSA key). */
static BIGNUM *
bn_from_mpint(const unsigned char *p, size_t n)
{
	if (n == 0 || n > INT_MAX || (p[0] & 0x80))
		return NULL;
	return BN_bin2bn(p, (int)n, NULL);
}

static EVP_PKEY *
rsa_from_mpints(const unsigned char *ep, size_t elen, const unsigned char *np,
		size_t nlen)
{
	BIGNUM *e = bn_from_mpint(ep, elen), *n = bn_from_mpint(np, nlen);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if (!e || !n || !bld || !ctx ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
out:
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return pkey;
}

/* The rest of an "ssh-rsa" blob: mpint e, mpint n, nothing after. */
static EVP_PKEY *
parse_rsa_blob(struct reader *r)
{
	const unsigned char *e, *n;
	size_t elen, nlen;

	if (read_string(r, &e, &elen) < 0 || read_string(r, &n, &nlen) < 0 ||
	    r->left != 0)
		return NULL;
	return rsa_from_mpints(e, elen, n, nlen);
}

/* The rest of an "ssh-ed25519" blob: a 32-byte string, nothing after. */
static EVP_PKEY *
parse_ed25519_blob(struct reader *r)
{
	const unsigned char *pub;
	size_t len;

	if (read_string(r, &pub, &len) < 0 || len != ED25519_LEN ||
	    r->left != 0)
		return NULL;
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, len);
}

/* An SSH public key blob of a type EC2 takes (RSA or Ed25519), or NULL. */
static EVP_PKEY *
parse_ssh_blob(const unsigned char *blob, size_t len,
	       enum keymat_type *ret_type)
{
	struct reader r = {blob, len};
	const unsigned char *name;
	size_t name_len;

	if (read_string(&r, &name, &name_len) < 0)
		return NULL;
	if (bytes_are(name, name_len, "ssh-rsa")) {
		*ret_type = KEYMAT_RSA;
		return parse_rsa_blob(&r);
	}
	if (bytes_are(name, name_len, "ssh-ed25519")) {
		*ret_type = KEYMAT_ED25519;
		return parse_ed25519_blob(&r);
	}
	return NULL;
}

/*
 * Decode strict base64 (b64_decode_to's flags: B64_SPACE for text that
 * came in lines) and parse the SSH blob inside.
 */
static EVP_PKEY *
parse_base64_blob(const char *b64, size_t n, int flags,
		  enum keymat_type *ret_type)
{
	size_t max = b64_decoded_max(n), len;
	unsigned char *blob = malloc(max + 1);
	EVP_PKEY *pkey = NULL;

	if (blob && b64_decode_to(b64, n, flags, blob, max, &len) == 0)
		pkey = parse_ssh_blob(blob, len, ret_type);
	free(blob);
	return pkey;
}

/* A comment may hold any text but control characters (tab is fine). */
static int
comment_is_clean(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return 0;
	}
	return 1;
}

static size_t
span(const char *p, size_t n, int want_space)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t') == want_space)
		i++;
	return i;
}

/*
 * "ssh-rsa AAAA... [comment]" on a single line (trailing whitespace and
 * blank lines after it are fine). Leading authorized_keys options, other
 * key types, or a second key fail on the type check or the trailing check.
 */
static EVP_PKEY *
parse_openssh_line(const char *text, size_t len, enum keymat_type *ret_type)
{
	const char *nl = memchr(text, '\n', len);
	size_t line = nl ? (size_t)(nl - text) : len;
	size_t type_len, gap, b64_len, off;
	enum keymat_type want, got;
	EVP_PKEY *pkey;

	if (!only_space(text + line, len - line))
		return NULL;
	while (line > 0 && is_space(text[line - 1]))
		line--;
	type_len = span(text, line, 0);
	if (bytes_are(text, type_len, "ssh-rsa"))
		want = KEYMAT_RSA;
	else if (bytes_are(text, type_len, "ssh-ed25519"))
		want = KEYMAT_ED25519;
	else
		return NULL;
	gap = span(text + type_len, line - type_len, 1);
	off = type_len + gap;
	b64_len = span(text + off, line - off, 0);
	if (gap == 0 ||
	    !comment_is_clean(text + off + b64_len, line - off - b64_len))
		return NULL;
	pkey = parse_base64_blob(text + off, b64_len, 0, &got);
	if (pkey && got != want) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	*ret_type = want;
	return pkey;
}

/* DER SubjectPublicKeyInfo or PKCS#1 RSAPublicKey, with no trailing bytes. */
static EVP_PKEY *
rsa_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	if (len > LONG_MAX)
		return NULL;
	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (!pkey || p != der + len) {
		EVP_PKEY_free(pkey);
		p = der;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	if (pkey && (p != der + len || !EVP_PKEY_is_a(pkey, "RSA"))) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

/* Base64 text (any line breaks) of an RSA public key in DER. */
static EVP_PKEY *
parse_der_base64(const char *text, size_t len, enum keymat_type *ret_type)
{
	size_t max = b64_decoded_max(len), der_len;
	unsigned char *der = malloc(max + 1);
	EVP_PKEY *pkey = NULL;

	if (der && b64_decode_to(text, len, B64_SPACE, der, max, &der_len) == 0)
		pkey = rsa_from_der(der, der_len);
	free(der);
	*ret_type = KEYMAT_RSA;
	return pkey;
}

/* The next line of *p (without CR, LF or CRLF), advancing past it. */
static int
next_line(const char **p, size_t *left, const char **line, size_t *line_len)
{
	size_t i = 0;

	if (*left == 0)
		return -1;
	while (i < *left && (*p)[i] != '\n' && (*p)[i] != '\r')
		i++;
	*line = *p;
	*line_len = i;
	if (i < *left) {
		if ((*p)[i] == '\r' && i + 1 < *left && (*p)[i + 1] == '\n')
			i++;
		i++;
	}
	*p += i;
	*left -= i;
	return 0;
}

/* "Tag: value" (RFC 4716 3.3): a 1..64-byte tag of printable ASCII. */
static int
rfc4716_is_header(const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	size_t i, tag;

	if (!colon)
		return 0;
	tag = (size_t)(colon - line);
	if (tag == 0 || tag > RFC4716_TAG_MAX)
		return -1;
	for (i = 0; i < tag; i++) {
		if (line[i] <= ' ' || line[i] > '~')
			return -1;
	}
	return 1;
}

enum rfc4716_state {
	RFC4716_START,
	RFC4716_HEADERS,
	RFC4716_BODY,
	RFC4716_DONE
};

/* Feed one line to the RFC 4716 reader; base64 goes to b64 at *n. */
static int
rfc4716_line(enum rfc4716_state *st, int *continued, const char *line,
	     size_t len, char *b64, size_t *n)
{
	int header;

	while (len > 0 && is_space(line[len - 1]))
		len--;
	switch (*st) {
	case RFC4716_START:
		*st = RFC4716_HEADERS;
		return bytes_are(line, len, RFC4716_BEGIN) ? 0 : -1;
	case RFC4716_HEADERS:
		header = *continued ? 1 : rfc4716_is_header(line, len);
		if (header < 0)
			return -1;
		if (header) {
			*continued = len > 0 && line[len - 1] == '\\';
			return 0;
		}
		*st = RFC4716_BODY;
		/* fall through */
	case RFC4716_BODY:
		if (bytes_are(line, len, RFC4716_END)) {
			*st = RFC4716_DONE;
			return 0;
		}
		base64_gather(line, len, b64, n);
		return 0;
	case RFC4716_DONE:
		return len == 0 ? 0 : -1;
	}
	return -1;
}

/*
 * An RFC 4716 "SSH2 PUBLIC KEY" block: BEGIN line, headers (a trailing
 * backslash continues one), base64 body, END line, then only blank lines.
 * EC2 takes this form for RSA keys only.
 */
static EVP_PKEY *
parse_rfc4716(const char *text, size_t len, enum keymat_type *ret_type)
{
	enum rfc4716_state st = RFC4716_START;
	char *b64 = malloc(len);
	const char *line;
	size_t line_len, n = 0;
	int continued = 0, bad = !b64;
	EVP_PKEY *pkey = NULL;

	while (!bad && next_line(&text, &len, &line, &line_len) == 0)
		bad = rfc4716_line(&st, &continued, line, line_len, b64, &n);
	if (!bad && st == RFC4716_DONE)
		pkey = parse_base64_blob(b64, n, B64_SPACE, ret_type);
	free(b64);
	if (pkey && *ret_type != KEYMAT_RSA) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

/* True when the first word is all base64: the bare DER form. */
static int
starts_with_base64(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !is_space(p[i]); i++) {
		if (p[i] != '=' && b64_value((unsigned char)p[i]) < 0)
			return 0;
	}
	return 1;
}

static EVP_PKEY *
parse_public(const char *text, size_t len, enum keymat_type *ret_type)
{
	size_t begin_len = strlen(RFC4716_BEGIN);

	while (len > 0 && is_space(*text))
		text++, len--;
	if (len >= begin_len && memcmp(text, RFC4716_BEGIN, begin_len) == 0)
		return parse_rfc4716(text, len, ret_type);
	if (starts_with_base64(text, len))
		return parse_der_base64(text, len, ret_type);
	return parse_openssh_line(text, len, ret_type);
}

/*
 * EC2 documents RSA lengths of 1024, 2048 and 4096 and takes the sizes in
 * between (ssh-keygen's default 3072 imports fine); an even modulus or
 * exponent is no RSA key at all.
 */
static int
rsa_check_import(EVP_PKEY *pkey, struct err *e)
{
	int bits = EVP_PKEY_get_bits(pkey), ok;
	BIGNUM *n = NULL, *ex = NULL;

	if (bits < KEYMAT_IMPORT_RSA_MIN_BITS ||
	    bits > KEYMAT_IMPORT_RSA_MAX_BITS)
		return err_set(e, ERR_FORMAT,
			       "%s: RSA keys must be %d to %d bits, not %d",
			       MSG_FORMAT, KEYMAT_IMPORT_RSA_MIN_BITS,
			       KEYMAT_IMPORT_RSA_MAX_BITS, bits);
	ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	     EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &ex) == 1 &&
	     BN_is_odd(n) && BN_is_odd(ex) && !BN_is_one(ex);
	BN_free(n);
	BN_free(ex);
	return ok ? 0 : err_set(e, ERR_FORMAT, "%s", MSG_FORMAT);
}

int
keymat_import(const void *material, size_t len, struct keymat *out,
	      struct err *e)
{
	struct keymat k = {.type = KEYMAT_RSA};
	EVP_PKEY *pkey = NULL;
	int ret;

	if (material && len > 0 && len <= KEYMAT_MATERIAL_MAX &&
	    !memchr(material, '\0', len))
		pkey = parse_public(material, len, &k.type);
	if (!pkey)
		ret = err_set(e, ERR_FORMAT, "%s", MSG_FORMAT);
	else if (k.type == KEYMAT_RSA)
		ret = rsa_check_import(pkey, e);
	else
		ret = 0;
	if (ret == 0) {
		k.public_openssh = openssh_public_line(pkey, k.type);
		k.fingerprint = k.type == KEYMAT_RSA
				    ? fingerprint_rsa_imported(pkey)
				    : fingerprint_ed25519(pkey);
		if (!k.public_openssh || !k.fingerprint) {
			keymat_clear(&k);
			ret = err_set(e, "InternalError",
				      "An internal error has occurred");
		} else {
			*out = k;
		}
	}
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ret;
}

void
keymat_clear(struct keymat *k)
{
	if (!k)
		return;
	if (k->private_key) {
		OPENSSL_cleanse(k->private_key, strlen(k->private_key));
		free(k->private_key);
	}
	free(k->public_openssh);
	free(k->fingerprint);
	k->private_key = NULL;
	k->public_openssh = NULL;
	k->fingerprint = NULL;
}

int
keymat_type_parse(const char *s, enum keymat_type *ret_type)
{
	if (s && strcmp(s, "rsa") == 0)
		*ret_type = KEYMAT_RSA;
	else if (s && strcmp(s, "ed25519") == 0)
		*ret_type = KEYMAT_ED25519;
	else
		return -1;
	return 0;
}

const char *
keymat_type_name(enum keymat_type t)
{
	return t == KEYMAT_ED25519 ? "ed25519" : "rsa";
}

int
keymat_format_parse(const char *s, enum keymat_format *ret_format)
{
	if (s && strcmp(s, "pem") == 0)
		*ret_format = KEYMAT_PEM;
	else if (s && strcmp(s, "ppk") == 0)
		*ret_format = KEYMAT_PPK;
	else
		return -1;
	return 0;
}

const char *
keymat_format_name(enum keymat_format f)
{
	return f == KEYMAT_PPK ? "ppk" : "pem";
}

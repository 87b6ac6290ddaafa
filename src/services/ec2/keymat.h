/*
 * keymat.h - SSH key material for CreateKeyPair and ImportKeyPair.
 *
 * keymat makes new key pairs (RSA 2048 or Ed25519) and writes the private
 * key the way EC2 hands it out (PEM or PuTTY .ppk), and it reads the public
 * key material ImportKeyPair accepts. Either way it yields the OpenSSH
 * one-line public key (for the metadata service and authorized_keys) and
 * the KeyFingerprint EC2 shows, which depends on who made the key:
 *
 *   created RSA      SHA-1 of the DER PKCS#8 private key, "aa:bb:..."
 *   imported RSA     MD5 of the DER SubjectPublicKeyInfo, "aa:bb:..."
 *   Ed25519 (both)   SHA-256 of the SSH public key blob, base64 with its
 *                    '=' padding and no "SHA256:" prefix
 *
 * Everything here is pure (no files, no store); the caller owns what it
 * gets back and releases it with keymat_clear().
 */
#ifndef EC2D_SERVICES_EC2_KEYMAT_H
#define EC2D_SERVICES_EC2_KEYMAT_H

#include <stddef.h>

struct err;

/* Largest ImportKeyPair PublicKeyMaterial accepted, after base64 decoding. */
#define KEYMAT_MATERIAL_MAX (16u * 1024)
/* Longest key name used as the private key's comment (EC2's KeyName limit). */
#define KEYMAT_NAME_MAX 255
/* CreateKeyPair always makes RSA keys of this size. */
#define KEYMAT_RSA_BITS 2048
/* Modulus sizes ImportKeyPair accepts for RSA, inclusive. */
#define KEYMAT_IMPORT_RSA_MIN_BITS 1024
#define KEYMAT_IMPORT_RSA_MAX_BITS 4096

enum keymat_type { KEYMAT_RSA, KEYMAT_ED25519 };
enum keymat_format { KEYMAT_PEM, KEYMAT_PPK };

/* All strings are NUL-terminated, owned, and freed by keymat_clear(). */
struct keymat {
	enum keymat_type type;
	char *private_key; /* CreateKeyPair KeyMaterial; NULL when imported */
	char *public_openssh; /* "ssh-ed25519 AAAA..." with no comment */
	char *fingerprint;    /* KeyFingerprint exactly as EC2 shows it */
};

/*
 * Make a new key pair of type t and write its private key in format f:
 *   RSA + PEM      "-----BEGIN RSA PRIVATE KEY-----" (PKCS#1)
 *   Ed25519 + PEM  "-----BEGIN OPENSSH PRIVATE KEY-----" (openssh-key-v1)
 *   either + PPK   "PuTTY-User-Key-File-2: ..." (unencrypted, version 2)
 * name (printable ASCII, at most KEYMAT_NAME_MAX bytes) becomes the key's
 * comment. On success fills *out and returns 0; on failure leaves *out
 * untouched and returns err_set(e, ...): InvalidParameterValue for bad
 * arguments, InternalError when the crypto library fails.
 */
int keymat_generate(enum keymat_type t, enum keymat_format f, const char *name,
		    struct keymat *out, struct err *e);

/*
 * Read ImportKeyPair's PublicKeyMaterial: len raw bytes (the caller has
 * already undone the API's base64), at most KEYMAT_MATERIAL_MAX. Accepted,
 * as EC2 documents it:
 *   - an OpenSSH public key line, "ssh-rsa AAAA... [comment]" or
 *     "ssh-ed25519 AAAA... [comment]" (no authorized_keys options);
 *   - RSA only: base64 text of a DER SubjectPublicKeyInfo or PKCS#1
 *     RSAPublicKey, line breaks allowed;
 *   - RSA only: an RFC 4716 "---- BEGIN SSH2 PUBLIC KEY ----" block.
 * RSA moduli must be KEYMAT_IMPORT_RSA_MIN_BITS..KEYMAT_IMPORT_RSA_MAX_BITS;
 * DSA, ECDSA and security-key types are refused. On success fills *out
 * (private_key NULL) and returns 0; otherwise leaves *out untouched and
 * returns err_set(e, "InvalidKey.Format", ...).
 */
int keymat_import(const void *material, size_t len, struct keymat *out,
		  struct err *e);

/* Free (and wipe the private key of) k's strings; k may be zeroed or NULL. */
void keymat_clear(struct keymat *k);

/* "rsa" / "ed25519" (EC2's KeyType values, case-sensitive); 0 or -1. */
int keymat_type_parse(const char *s, enum keymat_type *ret_type);
const char *keymat_type_name(enum keymat_type t);

/* "pem" / "ppk" (EC2's KeyFormat values, case-sensitive); 0 or -1. */
int keymat_format_parse(const char *s, enum keymat_format *ret_format);
const char *keymat_format_name(enum keymat_format f);

#endif

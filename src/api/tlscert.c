/*
 * tlscert.c - self-signed certificate generation with OpenSSL. See
 * tlscert.h. Runs once at start, never on a request.
 */
#include "tlscert.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ids.h"

static int
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int
write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		 : PEM_write_X509(f, cert);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int
tlscert_ensure(const char *cert_path, const char *key_path, const char *host,
	       char *msg, size_t msgsize)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[512];
	int rc = -1;

	if (access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0)
		return 0;
	key = EVP_EC_gen("P-256");
	cert = X509_new();
	if (!key || !cert)
		goto fail;
	id_random(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)))
		goto fail;
	X509_set_version(cert, 2);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"ec2d", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	if (strspn(host, "0123456789.") == strlen(host) || strchr(host, ':'))
		snprintf(san, sizeof(san),
			 "DNS:localhost,IP:127.0.0.1,IP:::1,IP:%s", host);
	else
		snprintf(san, sizeof(san),
			 "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:%s", host);
	if (add_ext(cert, NID_subject_alt_name, san) < 0 ||
	    add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(cert, NID_key_usage,
		    "critical,digitalSignature,keyCertSign") < 0 ||
	    add_ext(cert, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(cert, NID_subject_key_identifier, "hash") < 0 ||
	    !X509_sign(cert, key, EVP_sha256()))
		goto fail;
	if (write_pem(key_path, key, NULL) < 0 ||
	    write_pem(cert_path, NULL, cert) < 0) {
		snprintf(msg, msgsize, "cannot write %s or %s", cert_path,
			 key_path);
		goto out;
	}
	rc = 0;
	goto out;
fail:
	snprintf(msg, msgsize, "cannot make a self-signed certificate");
out:
	BN_free(bn);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

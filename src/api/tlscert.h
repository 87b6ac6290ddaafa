/*
 * tlscert.h - a self-signed certificate for HTTPS when the operator gives
 * none: an ECDSA P-256 key and a certificate for localhost, 127.0.0.1, ::1
 * and the listen host, valid ten years. Clients trust it with
 * `--ca-bundle DIR/tls/cert.pem` (AWS_CA_BUNDLE).
 */
#ifndef EC2D_API_TLSCERT_H
#define EC2D_API_TLSCERT_H

#include <stddef.h>

/*
 * Write cert_path and key_path (0600) unless both exist. host is added
 * to the subjectAltName. Returns 0, or -1 with a sentence in msg.
 */
int tlscert_ensure(const char *cert_path, const char *key_path,
		   const char *host, char *msg, size_t msgsize);

#endif

/*
 * imds_token.c - minting and checking IMDSv2 tokens. See imds_token.h.
 * Pure apart from OpenSSL's HMAC; called by imds.c.
 */
#include "agent/imds/imds_token.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"

#define TOKEN_VERSION 1
#define HEAD_LEN      9 /* version + expiry */
#define MAC_LEN	      32
#define RAW_LEN	      (HEAD_LEN + MAC_LEN)

static void
token_mac(const unsigned char key[IMDS_TOKEN_KEY_LEN],
	  const unsigned char head[HEAD_LEN], const char *instance_id,
	  unsigned char out[MAC_LEN])
{
	size_t idlen = strlen(instance_id);
	unsigned char msg[HEAD_LEN + 64];
	unsigned int len = MAC_LEN;

	if (idlen > sizeof(msg) - HEAD_LEN)
		idlen = sizeof(msg) - HEAD_LEN;
	memcpy(msg, head, HEAD_LEN);
	memcpy(msg + HEAD_LEN, instance_id, idlen);
	if (!HMAC(EVP_sha256(), key, IMDS_TOKEN_KEY_LEN, msg, HEAD_LEN + idlen,
		  out, &len))
		abort(); /* SHA-256 always exists in libcrypto */
}

void
imds_token_mint(const unsigned char key[IMDS_TOKEN_KEY_LEN],
		const char *instance_id, time_t expires,
		char out[IMDS_TOKEN_LEN + 1])
{
	unsigned char raw[RAW_LEN];
	uint64_t x = (uint64_t)expires;

	raw[0] = TOKEN_VERSION;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)(x >> (56 - 8 * i));
	token_mac(key, raw, instance_id, raw + HEAD_LEN);
	b64_encode(raw, RAW_LEN, out);
}

int
imds_token_check(const unsigned char key[IMDS_TOKEN_KEY_LEN],
		 const char *instance_id, const char *token, time_t now,
		 long *ret_left)
{
	unsigned char mac[MAC_LEN], *raw;
	uint64_t expires = 0;
	size_t len;
	int rc = -EINVAL;

	if (!token || strlen(token) != IMDS_TOKEN_LEN)
		return -EINVAL;
	raw = b64_decode(token, IMDS_TOKEN_LEN, &len);
	if (!raw)
		return -EINVAL;
	if (len == RAW_LEN && raw[0] == TOKEN_VERSION) {
		token_mac(key, raw, instance_id, mac);
		if (CRYPTO_memcmp(mac, raw + HEAD_LEN, MAC_LEN) == 0)
			rc = 0;
		for (int i = 0; i < 8; i++)
			expires = expires << 8 | raw[1 + i];
	}
	free(raw);
	if (rc < 0)
		return rc;
	if (expires <= (uint64_t)now)
		return -ETIME;
	*ret_left = (long)(expires - (uint64_t)now);
	return 0;
}

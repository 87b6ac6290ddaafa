/*
 * b64.h - standard base64 (RFC 4648 section 4, with padding), strict on
 * decoding: wrong characters, bad padding or stray bits are refused, so a
 * value has one spelling. Clients send blobs (UserData,
 * PublicKeyMaterial) this way.
 */
#ifndef EC2D_COMMON_B64_H
#define EC2D_COMMON_B64_H

#include <stddef.h>

/* Encoded length of n bytes, without the NUL. */
size_t b64_encoded_len(size_t n);
/* Encode into out (b64_encoded_len(n) + 1 bytes). */
void b64_encode(const void *in, size_t n, char *out);
/* Decode into a new buffer (NUL-terminated for convenience); NULL if bad. */
unsigned char *b64_decode(const char *in, size_t len, size_t *ret_len);

#endif

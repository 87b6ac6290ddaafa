/*
 * b64.h - standard base64 (RFC 4648 section 4, with padding), strict on
 * decoding: wrong characters, bad padding or stray bits are refused, so a
 * value has one spelling. Clients send blobs (UserData,
 * PublicKeyMaterial) this way; key files carry it in lines.
 */
#ifndef EC2D_COMMON_B64_H
#define EC2D_COMMON_B64_H

#include <stddef.h>

/* Encoded length of n bytes, without the NUL. */
size_t b64_encoded_len(size_t n);
/* Encode into out (b64_encoded_len(n) + 1 bytes). */
void b64_encode(const void *in, size_t n, char *out);

/* The value (0..63) of one alphabet character; -1 for anything else. */
int b64_value(int c);

/* The most bytes len characters of base64 decode to. */
size_t b64_decoded_max(size_t len);

/* b64_decode_to() flags. */
#define B64_SPACE 1 /* skip ' ', '\t', '\r', '\n' anywhere (key files) */

/*
 * Decode in[0..len) into out[0..size). Returns 0 with the length in
 * *ret_len, -EINVAL when the text is not strict base64 (after dropping
 * whitespace, with B64_SPACE), or -ENOSPC when the result would not fit
 * in size bytes (b64_decoded_max(len) always fits). out is not
 * NUL-terminated; on failure its contents are unspecified.
 */
int b64_decode_to(const char *in, size_t len, int flags, void *out, size_t size,
		  size_t *ret_len);

/* Decode into a new buffer (NUL-terminated for convenience); NULL if bad. */
unsigned char *b64_decode(const char *in, size_t len, size_t *ret_len);

#endif

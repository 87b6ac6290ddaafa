/*
 * b64.c - base64. See b64.h.
 */
#include "b64.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
b64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

static int
val(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

unsigned char *
b64_decode(const char *in, size_t len, size_t *ret_len)
{
	unsigned char *out;
	size_t o = 0;

	if (len % 4 != 0)
		return NULL;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 4) {
		int d[4];
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				d[k] = 0;
				pad++;
			} else if (pad || (d[k] = val(in[i + k])) < 0) {
				goto bad;
			}
		}
		unsigned v = (unsigned)d[0] << 18 | (unsigned)d[1] << 12 |
			     (unsigned)d[2] << 6 | (unsigned)d[3];
		/* Bits under the padding must be zero (one spelling). */
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			goto bad;
		out[o++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)v;
	}
	out[o] = '\0';
	*ret_len = o;
	return out;
bad:
	free(out);
	return NULL;
}

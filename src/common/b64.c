/*
 * b64.c - base64, the project's one encoder and one strict decoder. The
 * decoder reads four characters at a time; '=' may only fill the last one
 * or two places of the last group, and the bits it covers must be zero.
 * See b64.h.
 */
#include "b64.h"

#include <errno.h>
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

int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

size_t
b64_decoded_max(size_t len)
{
	return len / 4 * 3;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Writes the 1..3 bytes of one group; -ENOSPC past size. */
static int
put_group(unsigned v, int pad, unsigned char *out, size_t size, size_t *o)
{
	int n = 3 - pad;

	if (size - *o < (size_t)n)
		return -ENOSPC;
	out[(*o)++] = (unsigned char)(v >> 16);
	if (n > 1)
		out[(*o)++] = (unsigned char)(v >> 8);
	if (n > 2)
		out[(*o)++] = (unsigned char)v;
	return 0;
}

int
b64_decode_to(const char *in, size_t len, int flags, void *out, size_t size,
	      size_t *ret_len)
{
	unsigned v = 0;
	size_t o = 0;
	int k = 0, pad = 0, rc;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i], d;

		if ((flags & B64_SPACE) && is_space(c))
			continue;
		if (pad && c != '=')
			return -EINVAL; /* after the padding: nothing */
		if (c == '=') {
			if (k < 2)
				return -EINVAL;
			pad++;
			d = 0;
		} else if ((d = b64_value(c)) < 0) {
			return -EINVAL;
		}
		v = v << 6 | (unsigned)d;
		if (++k < 4)
			continue;
		/* Bits under the padding must be zero (one spelling). */
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			return -EINVAL;
		rc = put_group(v, pad, out, size, &o);
		if (rc < 0)
			return rc;
		v = 0;
		k = 0;
	}
	if (k != 0)
		return -EINVAL; /* not a whole number of groups */
	*ret_len = o;
	return 0;
}

unsigned char *
b64_decode(const char *in, size_t len, size_t *ret_len)
{
	size_t max = b64_decoded_max(len);
	unsigned char *out = malloc(max + 1);

	if (!out)
		return NULL;
	if (b64_decode_to(in, len, 0, out, max, ret_len) < 0) {
		free(out);
		return NULL;
	}
	out[*ret_len] = '\0';
	return out;
}

/*
 * query.c - form decoding for the Query protocol. See query.h.
 */
#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

char *
query_unescape(const char *src, size_t len, size_t *ret_len)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '+') {
			out[o++] = ' ';
		} else if (src[i] == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				free(out);
				return NULL;
			}
			hi = hex_digit(src[i + 1]);
			lo = hex_digit(src[i + 2]);
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = src[i];
		}
	}
	out[o] = '\0';
	if (ret_len)
		*ret_len = o;
	return out;
}

int
query_text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
			    c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond Unicode, U+FFFE/F. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
		    cp == 0xffff)
			return 0;
		i += n + 1;
	}
	return 1;
}

int
query_decode(const char *text, size_t len, struct param *root,
	     int skip_presign, struct err *e)
{
	size_t count = 0, i = 0;

	while (i < len) {
		const char *amp = memchr(text + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - text) : len;
		const char *eq = memchr(text + i, '=', end - i);
		size_t name_end = eq ? (size_t)(eq - text) : end;
		char *name, *value;
		size_t nlen, vlen;
		int rc;

		if (end == i) {		/* "a=1&&b=2": tolerate empty pairs */
			i = end + 1;
			continue;
		}
		if (++count > PARAMS_MAX_COUNT)
			return err_set(e, "InvalidParameterValue",
				       "The request has more than %d "
				       "parameters.", PARAMS_MAX_COUNT);
		name = query_unescape(text + i, name_end - i, &nlen);
		value = eq ? query_unescape(eq + 1, end - name_end - 1, &vlen)
			   : strdup("");
		if (!eq)
			vlen = 0;
		if (!name || !value) {
			free(name);
			free(value);
			return err_set(e, "InvalidParameterValue",
				       "The request body has a malformed "
				       "percent-encoding.");
		}
		if (nlen == 0 || nlen > QUERY_MAX_NAME ||
		    strlen(name) != nlen || strlen(value) != vlen ||
		    !query_text_ok(name, nlen) || !query_text_ok(value, vlen)) {
			rc = err_set(e, "InvalidParameterValue",
				     "The parameter '%.100s' has a name or "
				     "value that is not valid UTF-8 or holds "
				     "a control character.", name);
		} else if (skip_presign && strncmp(name, "X-Amz-", 6) == 0) {
			rc = 0;
		} else {
			rc = params_set(root, name, value, e);
		}
		free(name);
		free(value);
		if (rc < 0)
			return -1;
		i = end + 1;
	}
	return 0;
}

/*
 * query.c - form decoding for the Query protocol: one strict, bounded
 * percent-decoder, the split into pairs that both the SigV4 verifier and
 * the parameter tree read, and the checks on parameter text. See query.h.
 */
#include "query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

int
query_unescape(const char *src, size_t len, char *out, size_t *ret_len,
	       size_t *bad_at)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (src[i] != '%') {
			out[o++] = src[i] == '+' ? ' ' : src[i];
			continue;
		}
		hi = len - i > 2 ? hex_digit((unsigned char)src[i + 1]) : -1;
		lo = len - i > 2 ? hex_digit((unsigned char)src[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			*bad_at = i;
			return -EINVAL;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	*ret_len = o;
	return 0;
}

static int
printable(int c)
{
	return c > ' ' && c < 0x7f;
}

/* Decodes src into the arena at *used, NUL-terminated. */
static int
unescape_into(const char *src, size_t len, char *arena, size_t *used,
	      const char **ret, size_t *ret_len, const char *code,
	      const char *what, struct err *e)
{
	char *out = arena + *used;
	size_t bad;

	if (query_unescape(src, len, out, ret_len, &bad) < 0) {
		if (len - bad < 3)
			return err_set(e, code,
				       "Incomplete trailing escape %% "
				       "sequence in the %s.",
				       what);
		if (printable(src[bad + 1]) && printable(src[bad + 2]))
			return err_set(e, code,
				       "Illegal hex character in escape %% "
				       "pattern: %%%c%c",
				       src[bad + 1], src[bad + 2]);
		return err_set(e, code,
			       "Illegal hex character in escape %% pattern "
			       "in the %s.",
			       what);
	}
	out[*ret_len] = '\0';
	*used += *ret_len + 1;
	*ret = out;
	return 0;
}

void
query_list_free(struct query_list *l)
{
	if (!l)
		return;
	free(l->v);
	free(l->arena);
	memset(l, 0, sizeof(*l));
}

int
query_split(const char *text, size_t len, size_t max_pairs, const char *code,
	    const char *what, struct query_list *ret, struct err *e)
{
	struct query_list l = {0};
	size_t count = 0, used = 0, i, end;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < len; i = end + 1) {
		const char *amp = memchr(text + i, '&', len - i);

		end = amp ? (size_t)(amp - text) : len;
		count += end > i;
	}
	if (count > max_pairs)
		return err_set(e, code, "The %s has more than %zu parameters.",
			       what, max_pairs);
	/* Decoding never lengthens: len bytes, plus a NUL per element. */
	l.arena = malloc(len + 2 * count + 1);
	l.v = calloc(count ? count : 1, sizeof(*l.v));
	if (!l.arena || !l.v) {
		query_list_free(&l);
		return err_set(e, "InternalError", "Out of memory.");
	}
	for (i = 0; i < len; i = end + 1) {
		const char *amp = memchr(text + i, '&', len - i), *eq;
		struct query_pair *p;
		size_t name_end;

		end = amp ? (size_t)(amp - text) : len;
		if (end == i)
			continue;
		eq = memchr(text + i, '=', end - i);
		name_end = eq ? (size_t)(eq - text) : end;
		p = &l.v[l.n++];
		if (unescape_into(text + i, name_end - i, l.arena, &used,
				  &p->name, &p->name_len, code, what, e) < 0 ||
		    unescape_into(eq ? eq + 1 : "", eq ? end - name_end - 1 : 0,
				  l.arena, &used, &p->value, &p->value_len,
				  code, what, e) < 0) {
			query_list_free(&l);
			return -1;
		}
	}
	*ret = l;
	return 0;
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
query_params(const struct query_list *l, struct param *root, int skip_presign,
	     struct err *e)
{
	if (l->n > PARAMS_MAX_COUNT)
		return err_set(e, "InvalidParameterValue",
			       "The request has more than %d parameters.",
			       PARAMS_MAX_COUNT);
	for (size_t i = 0; i < l->n; i++) {
		const struct query_pair *p = &l->v[i];

		if (p->name_len == 0 || p->name_len > QUERY_MAX_NAME)
			return err_set(e, "InvalidParameterValue",
				       "A parameter name is empty or longer "
				       "than %d bytes.",
				       QUERY_MAX_NAME);
		/* query_text_ok() refuses NUL, so no name hides a tail. */
		if (!query_text_ok(p->name, p->name_len))
			return err_set(e, "InvalidParameterValue",
				       "A parameter name is not valid UTF-8 "
				       "or holds a control character.");
		if (!query_text_ok(p->value, p->value_len))
			return err_set(e, "InvalidParameterValue",
				       "The parameter '%s' has a value that "
				       "is not valid UTF-8 or holds a control "
				       "character.",
				       p->name);
		if (skip_presign && strncmp(p->name, "X-Amz-", 6) == 0)
			continue;
		if (params_set(root, p->name, p->value, e) < 0)
			return -1;
	}
	return 0;
}

int
query_decode(const char *text, size_t len, struct param *root, int skip_presign,
	     struct err *e)
{
	struct query_list l;
	int rc;

	if (query_split(text, len, PARAMS_MAX_COUNT, "InvalidParameterValue",
			"request body", &l, e) < 0)
		return -1;
	rc = query_params(&l, root, skip_presign, e);
	query_list_free(&l);
	return rc;
}

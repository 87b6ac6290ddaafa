/*
 * paginate.c - EC2 pagination tokens. See paginate.h.
 */
#include "paginate.h"

#include <stdio.h>
#include <string.h>

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define TOKEN_PREFIX "ec2d1:"

int
page_token_encode(const char *scope, const char *key, char *out, size_t size)
{
	char text[PAGE_KEY_MAX + 80];
	size_t len, o = 0;
	int n =
	    snprintf(text, sizeof(text), TOKEN_PREFIX "%.63s:%s", scope, key);

	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	len = (size_t)n;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)text[i] << 16;
		size_t chunk = len - i < 3 ? len - i : 3;

		if (chunk > 1)
			v |= (unsigned char)text[i + 1] << 8;
		if (chunk > 2)
			v |= (unsigned char)text[i + 2];
		if (o + 5 > size)
			return -1;
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (chunk > 1)
			out[o++] = b64url[(v >> 6) & 63];
		if (chunk > 2)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	return 0;
}

static int
b64url_val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;

	return p ? (int)(p - b64url) : -1;
}

int
page_token_decode(const char *token, const char *scope, char *key, size_t size)
{
	char text[PAGE_KEY_MAX + 80];
	size_t plen;
	size_t len = strlen(token), o = 0;

	if (len == 0 || len % 4 == 1 || len > (sizeof(text) - 1) / 3 * 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		size_t chunk = len - i < 4 ? len - i : 4;
		unsigned v = 0;

		for (size_t k = 0; k < 4; k++) {
			int d = k < chunk ? b64url_val(token[i + k]) : 0;

			if (d < 0)
				return -1;
			v = v << 6 | (unsigned)d;
		}
		text[o++] = (char)(v >> 16);
		if (chunk > 2)
			text[o++] = (char)(v >> 8);
		if (chunk > 3)
			text[o++] = (char)v;
	}
	text[o] = '\0';
	plen = strlen(TOKEN_PREFIX) + strlen(scope);
	if (strlen(text) != o ||
	    strncmp(text, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
	    strncmp(text + strlen(TOKEN_PREFIX), scope, strlen(scope)) != 0 ||
	    text[plen] != ':' || text[plen + 1] == '\0')
		return -1;
	if (snprintf(key, size, "%s", text + plen + 1) >= (int)size)
		return -1;
	/* Re-encoding must give the same token: no alternative spellings. */
	{
		char again[sizeof(text) * 2];

		if (page_token_encode(scope, key, again, sizeof(again)) < 0 ||
		    strcmp(again, token) != 0)
			return -1;
	}
	return 0;
}

int
page_parse(const struct param *req, const char *scope, long long min,
	   long long max, struct page *p, struct err *e)
{
	const char *token = NULL;
	const char *ms = NULL;

	memset(p, 0, sizeof(*p));
	p->scope = scope;
	if (param_str(req, "MaxResults", false, 0, &ms, e) < 0 ||
	    param_str(req, "NextToken", false, 2 * PAGE_KEY_MAX, &token, e) < 0)
		return -1;
	if (ms && parse_ll(ms, min, max, &p->max) < 0)
		return err_set(e, "InvalidParameterValue",
			       "Value ( %.40s ) for parameter maxResults is "
			       "invalid. Expecting a value greater than or "
			       "equal to %lld and smaller than or equal to "
			       "%lld.",
			       ms, min, max);
	if (token && *token &&
	    page_token_decode(token, scope, p->after, sizeof(p->after)) < 0)
		return err_set(e, "InvalidPaginationToken",
			       "The specified pagination token is not valid or "
			       "is expired.");
	return 0;
}

bool
page_take(struct page *p, const char *key)
{
	if (p->after[0] && strcmp(key, p->after) <= 0)
		return false;
	if (p->max && p->taken >= p->max) {
		p->more = true;
		return false;
	}
	p->taken++;
	snprintf(p->last, sizeof(p->last), "%s", key);
	return true;
}

void
page_stop_at(struct page *p, const char *key)
{
	p->more = true;
	snprintf(p->last, sizeof(p->last), "%s", key);
}

void
page_write_token(const struct page *p, struct out *o, const char *name)
{
	char token[PAGE_KEY_MAX * 2];

	if (p->more &&
	    page_token_encode(p->scope, p->last, token, sizeof(token)) == 0)
		out_str(o, name, token);
}

/*
 * httpframe.c - refusing ambiguous request framing. See httpframe.h.
 * Pure: called by http.c on the first handler call of each request, and by
 * tests/unit/test_httpframe.c.
 */
#include "httpframe.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2: token = 1*tchar. */
static bool
is_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (c && strchr(extra, c))))
			return false;
	}
	return true;
}

static bool
all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* "chunked", allowing the optional whitespace around a field value. */
static bool
is_chunked(const char *v)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 7 && strncasecmp(v, "chunked", 7) == 0;
}

struct seen {
	size_t cl, te, host, auth;
	const char *te_value;
	bool cl_bad;
};

static int
refuse(int status, const char *why, const char **ret_reason)
{
	*ret_reason = why;
	return status;
}

int
httpframe_check(const char *version, const struct sigv4_header *h, size_t n,
		const char **ret_reason)
{
	struct seen s = {0};
	bool http11 = version && strcmp(version, "HTTP/1.0") != 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = h[i].name, *v = h[i].value ? h[i].value : "";

		if (!name || !is_token(name))
			return refuse(400, "A header name is not a token.",
				      ret_reason);
		if (strcasecmp(name, "Content-Length") == 0) {
			s.cl++;
			s.cl_bad |= !all_digits(v);
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			s.te++;
			s.te_value = v;
		} else if (strcasecmp(name, "Host") == 0) {
			s.host++;
		} else if (strcasecmp(name, "Authorization") == 0) {
			s.auth++;
		}
	}
	if (s.cl && s.te)
		return refuse(400,
			      "Content-Length and Transfer-Encoding together.",
			      ret_reason);
	if (s.cl > 1 || s.te > 1 || s.host > 1 || s.auth > 1)
		return refuse(400,
			      s.cl > 1	   ? "More than one Content-Length."
			      : s.te > 1   ? "More than one Transfer-Encoding."
			      : s.host > 1 ? "More than one Host."
					   : "More than one Authorization.",
			      ret_reason);
	if (s.cl_bad)
		return refuse(400, "The Content-Length is not a number.",
			      ret_reason);
	if (s.te && !http11)
		return refuse(400, "Transfer-Encoding on HTTP/1.0.",
			      ret_reason);
	if (s.te && !is_chunked(s.te_value))
		return refuse(501,
			      "Only the chunked transfer coding is "
			      "implemented.",
			      ret_reason);
	if (http11 && !s.host)
		return refuse(400, "An HTTP/1.1 request without Host.",
			      ret_reason);
	*ret_reason = NULL;
	return 0;
}

/*
 * query.h - application/x-www-form-urlencoded text (a POST body or a GET
 * query string): the project's one percent-decoder, the split into decoded
 * name=value pairs, and the parameter tree of common/params.h built from
 * them.
 *
 * A query string is split and decoded once: the router hands the pairs to
 * the SigV4 verifier (which re-encodes them the AWS way for the canonical
 * request) and then turns the same pairs into parameters.
 *
 * Parameter names and values must be valid UTF-8 without control
 * characters other than tab, CR and LF; anything else is
 * InvalidParameterValue, so no later layer can emit broken XML.
 */
#ifndef EC2D_API_QUERY_H
#define EC2D_API_QUERY_H

#include <stddef.h>

#include "common/err.h"
#include "common/params.h"

#define QUERY_MAX_NAME 256

/*
 * Strict percent-decoding of src[0..len) into out, which must hold len
 * bytes (decoding never lengthens): "%XX" with two hex digits is one byte,
 * '+' is a space, any other byte is itself. Returns 0 with the decoded
 * length in *ret_len, or -EINVAL with *bad_at the offset of the '%' that
 * does not start a complete escape. out is not NUL-terminated.
 */
int query_unescape(const char *src, size_t len, char *out, size_t *ret_len,
		   size_t *bad_at);

/*
 * One name=value pair, both decoded, NUL-terminated and in the list's
 * arena. A decoded "%00" is kept: the lengths, not strlen, are the truth.
 */
struct query_pair {
	const char *name;
	const char *value;
	size_t name_len;
	size_t value_len;
};

struct query_list {
	struct query_pair *v; /* in the order received */
	size_t n;
	char *arena;
};

/*
 * Split text[0..len) on '&' and decode each name and value. Empty pairs
 * ("a=1&&b=2") are skipped; a name without '=' has the value "". More than
 * max_pairs pairs, or a broken escape, fail with the error code `code`
 * (the message names `what`, "query string" or "request body"). On
 * success the caller frees *ret with query_list_free(); on failure *ret
 * is empty and needs no freeing (freeing it is harmless).
 */
int query_split(const char *text, size_t len, size_t max_pairs,
		const char *code, const char *what, struct query_list *ret,
		struct err *e);
void query_list_free(struct query_list *l);

/*
 * Insert the pairs into root. skip_presign: leave out the X-Amz-*
 * parameters of a presigned request (they are the signature, not the
 * request).
 */
int query_params(const struct query_list *l, struct param *root,
		 int skip_presign, struct err *e);

/* query_split() then query_params(), with InvalidParameterValue errors. */
int query_decode(const char *text, size_t len, struct param *root,
		 int skip_presign, struct err *e);

/* True if s[0..len) is UTF-8 with no control characters but \t \r \n. */
int query_text_ok(const char *s, size_t len);

#endif

/*
 * query.h - decoding application/x-www-form-urlencoded text (a POST body or
 * a GET query string) into the parameter tree of common/params.h.
 *
 * Names and values are percent-decoded ('+' is a space) and must be valid
 * UTF-8 without control characters other than tab, CR and LF; anything else
 * is InvalidParameterValue, so no later layer can emit broken XML.
 */
#ifndef EC2D_API_QUERY_H
#define EC2D_API_QUERY_H

#include <stddef.h>

#include "common/err.h"
#include "common/params.h"

#define QUERY_MAX_NAME 256

/*
 * Decode text into root. skip_presign: leave out the X-Amz-* parameters of
 * a presigned request (they are the signature, not the request).
 */
int query_decode(const char *text, size_t len, struct param *root,
		 int skip_presign, struct err *e);

/* Percent-decode src[0..len) into a new string; NULL on bad escapes. */
char *query_unescape(const char *src, size_t len, size_t *ret_len);

/* True if s[0..len) is UTF-8 with no control characters but \t \r \n. */
int query_text_ok(const char *s, size_t len);

#endif

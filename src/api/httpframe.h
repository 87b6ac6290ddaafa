/*
 * httpframe.h - is a request's framing unambiguous? A pure check of the
 * request's HTTP version and header list, as libmicrohttpd hands them over
 * (raw names, duplicates kept, in order), before any of its body is read.
 *
 * libmicrohttpd 0.9.75 frames leniently: with both Content-Length and
 * Transfer-Encoding chunked wins, of several Content-Lengths the first
 * wins, "Transfer-Encoding :" is a header of another name, and an unknown
 * coding reads until the peer closes. A proxy in front that frames the
 * other way would see a different request boundary (request smuggling),
 * so every such request is refused and its connection closed.
 */
#ifndef EC2D_API_HTTPFRAME_H
#define EC2D_API_HTTPFRAME_H

#include <stddef.h>

#include "api/sigv4.h"

/*
 * httpframe_check - 0 when the request may be served; else the HTTP status
 * to answer (400, or 501 for a transfer coding other than chunked) and a
 * sentence in *ret_reason. version is "HTTP/1.1" or "HTTP/1.0".
 *
 * Refused: a header name that is not an RFC 9110 token (whitespace before
 * the colon, or a folded line at the start), Content-Length and
 * Transfer-Encoding together, more than one Content-Length,
 * Transfer-Encoding, Host or Authorization, a Content-Length that is not
 * digits, Transfer-Encoding on HTTP/1.0, and HTTP/1.1 without Host.
 */
int httpframe_check(const char *version, const struct sigv4_header *h, size_t n,
		    const char **ret_reason);

#endif

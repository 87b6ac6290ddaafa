/*
 * sigv4.h - AWS Signature Version 4 verification, server side.
 *
 * sigv4_verify() decides whether an HTTP request was signed with SigV4
 * (HMAC-SHA256) by the holder of a secret the caller knows, either in the
 * Authorization header or as a presigned URL (X-Amz-* query parameters).
 * It is a pure function of the request, the clock value it is handed and
 * the secret lookup: no I/O, no globals, no clock reads.
 *
 * Ownership: the request is only read; nothing handed in is kept after the
 * call returns. The secret is copied into a local buffer and wiped.
 *
 * The verifier does not know which region or service it serves: it returns
 * the credential scope in struct sigv4_result and the caller compares it
 * with its own (EC2 answers SignatureDoesNotMatch "Credential should be
 * scoped to a valid region" when they differ).
 */
#ifndef EC2D_API_SIGV4_H
#define EC2D_API_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "api/query.h"
#include "common/err.h"

/* How far X-Amz-Date may be from the server clock, either way. */
#define SIGV4_MAX_SKEW_SECONDS (15 * 60)
/* Largest X-Amz-Expires of a presigned URL: seven days. */
#define SIGV4_MAX_EXPIRES 604800

/* Limits on what a client controls; going past one rejects the request. */
#define SIGV4_MAX_HEADER_VALUE	 8192 /* a signed or auth header's value */
#define SIGV4_MAX_HEADERS	 256  /* headers in one request */
#define SIGV4_MAX_SIGNED_HEADERS 64   /* names in SignedHeaders */
#define SIGV4_MAX_HEADER_NAME	 128  /* one name in SignedHeaders */
#define SIGV4_MAX_PATH		 8192 /* raw request path */
#define SIGV4_MAX_QUERY		 (256 * 1024) /* raw query string */
#define SIGV4_MAX_QUERY_PARAMS	 4096 /* parameters in the query string */
#define SIGV4_MAX_SECRET	 256  /* secret access key */
#define SIGV4_MAX_KEY_ID	 128  /* access key id */
#define SIGV4_MAX_SCOPE_NAME	 63   /* region or service in the scope */

#define SIGV4_KEY_LEN 32 /* an HMAC-SHA256 key or digest */

struct sigv4_header {
	const char *name;  /* as received, any case; may repeat */
	const char *value; /* as received, untrimmed */
};

struct sigv4_request {
	const char *method; /* "POST" */
	const char *path;   /* raw path as received, e.g. "/" */
	const char *query;  /* raw query after '?', "" when none */
	const struct sigv4_header *headers;
	size_t nheaders;
	const void *body;
	size_t body_len;
	/*
	 * The query split and decoded by sigv4_query_split(), so the caller
	 * can reuse it for its parameters; NULL: the verifier splits query.
	 */
	const struct query_list *decoded;
};

/*
 * Looks up the secret access key of access_key_id. Returns 0 with the
 * NUL-terminated secret in secret[secret_size], or -1 when the key is
 * unknown (or the secret does not fit).
 */
typedef int (*sigv4_secret_fn)(void *ctx, const char *access_key_id,
			       char *secret, size_t secret_size);

/* Who signed, and for which scope. Written only on success. */
struct sigv4_result {
	char access_key_id[SIGV4_MAX_KEY_ID + 1];
	char region[SIGV4_MAX_SCOPE_NAME + 1];
	char service[SIGV4_MAX_SCOPE_NAME + 1];
};

/*
 * Returns 0 when r carries a valid SigV4 signature at time `now` (seconds
 * since the epoch) by a key that `lookup` knows, and fills *res. Otherwise
 * returns -1 with e set to the EC2 error code and an explanatory message:
 * MissingAuthenticationToken, IncompleteSignature, MalformedQueryString,
 * RequestExpired, AuthFailure or SignatureDoesNotMatch (InternalFailure
 * only when called without a request or out of memory).
 */
int sigv4_verify(const struct sigv4_request *r, time_t now,
		 sigv4_secret_fn lookup, void *ctx, struct sigv4_result *res,
		 struct err *e);

/*
 * Splits and decodes a raw query string the way sigv4_verify() reads it,
 * within SIGV4_MAX_QUERY and SIGV4_MAX_QUERY_PARAMS. A bad escape or a
 * limit gives MalformedQueryString. Free *ret with query_list_free().
 */
int sigv4_query_split(const char *query, struct query_list *ret, struct err *e);

/*
 * Derives the SigV4 signing key into out:
 *   k = HMAC("AWS4" secret, date); k = HMAC(k, region);
 *   k = HMAC(k, service); out = HMAC(k, "aws4_request").
 * date is the scope date, YYYYMMDD. The key depends only on these
 * four strings, so a caller may cache it per (key id, date, region, service).
 * Returns 0, or -1 when secret is longer than SIGV4_MAX_SECRET or OpenSSL
 * fails.
 */
int sigv4_signing_key(const char *secret, const char *date, const char *region,
		      const char *service, unsigned char out[SIGV4_KEY_LEN]);

#endif

/*
 * signed_call.h - for unit tests that drive the whole request path: build
 * a Query POST the way an SDK does (form-encoded body, SigV4 in the
 * Authorization header, signed now), and hand it to api_handle().
 *
 * Header-only (each unit test is one .c file): include it once.
 */
#ifndef EC2D_TESTS_SIGNED_CALL_H
#define EC2D_TESTS_SIGNED_CALL_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/router.h"
#include "api/sigv4.h"
#include "common/buf.h"

#define SIGNED_CALL_HOST "127.0.0.1:8799"
#define SIGNED_CALL_TYPE "application/x-www-form-urlencoded; charset=utf-8"

/* What the client signs with. */
struct signed_key {
	const char *id;
	const char *secret;
	const char *region;
};

static void
signed_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
signed_sha256(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	signed_hex(md, sizeof(md), out);
}

/* AWS URI encoding of s (unreserved characters stay) onto b. */
static void
signed_encode(struct buf *b, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3] = {'%', digits[c >> 4], digits[c & 15]};

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			buf_addc(b, (char)c);
		else
			buf_add(b, esc, 3);
	}
}

/* kv: name, value, ..., NULL, as a form body into b. */
static void
signed_form(struct buf *b, const char *const *kv)
{
	for (size_t i = 0; kv[i] && kv[i + 1]; i += 2) {
		if (i)
			buf_addc(b, '&');
		signed_encode(b, kv[i]);
		buf_addc(b, '=');
		signed_encode(b, kv[i + 1]);
	}
}

/*
 * POST kv to a as key, signed at the current time; the reply into *rep
 * (free it with api_reply_free()). Returns the HTTP status, or -1 when
 * the request could not be built.
 */
static int
signed_call(struct api *a, const struct signed_key *key, const char *const *kv,
	    struct api_reply *rep)
{
	char amz_date[17], day[9], body_hash[65], canon_hash[65];
	char scope[128], sts[512], auth[512], sig[65];
	unsigned char skey[SIGV4_KEY_LEN], mac[32];
	unsigned int maclen = 0;
	time_t now = time(NULL);
	struct tm tm;
	struct buf body, canon;
	int n, status = -1;

	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	buf_init(&body, 0);
	buf_init(&canon, 0);
	signed_form(&body, kv);
	signed_sha256(body.data ? body.data : "", body.len, body_hash);
	buf_adds(&canon, "POST\n/\n\ncontent-type:" SIGNED_CALL_TYPE
			 "\nhost:" SIGNED_CALL_HOST "\nx-amz-date:");
	buf_adds(&canon, amz_date);
	buf_adds(&canon, "\n\ncontent-type;host;x-amz-date\n");
	buf_adds(&canon, body_hash);
	if (buf_failed(&body) || buf_failed(&canon))
		goto out;
	signed_sha256(canon.data, canon.len, canon_hash);
	snprintf(scope, sizeof(scope), "%s/%s/ec2/aws4_request", day,
		 key->region);
	n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date,
		     scope, canon_hash);
	if (n < 0 || (size_t)n >= sizeof(sts) ||
	    sigv4_signing_key(key->secret, day, key->region, "ec2", skey) < 0 ||
	    !HMAC(EVP_sha256(), skey, sizeof(skey), (unsigned char *)sts,
		  (size_t)n, mac, &maclen))
		goto out;
	signed_hex(mac, maclen, sig);
	snprintf(auth, sizeof(auth),
		 "AWS4-HMAC-SHA256 Credential=%s/%s, "
		 "SignedHeaders=content-type;host;x-amz-date, Signature=%s",
		 key->id, scope, sig);
	{
		const struct sigv4_header h[] = {
		    {"Host", SIGNED_CALL_HOST},
		    {"Content-Type", SIGNED_CALL_TYPE},
		    {"X-Amz-Date", amz_date},
		    {"Authorization", auth},
		};
		const struct api_request r = {
		    .method = "POST",
		    .path = "/",
		    .query = "",
		    .headers = h,
		    .nheaders = sizeof(h) / sizeof(h[0]),
		    .body = body.data ? body.data : "",
		    .body_len = body.len,
		};

		api_handle(a, &r, rep);
		status = rep->status;
	}
out:
	buf_free(&body);
	buf_free(&canon);
	return status;
}

#endif

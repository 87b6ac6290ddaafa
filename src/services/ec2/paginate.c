/*
 * paginate.c - EC2 pagination tokens. See paginate.h.
 *
 * A token is base64url(MAC[16] | key), MAC = HMAC-SHA256(secret, "ec2d2" |
 * bind | key) cut to 16 bytes, bind = SHA-256 of the listing's name and
 * the request's other parameters. Pure apart from OpenSSL's hashes and the
 * one meta read of page_parse().
 */
#include "paginate.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "store/meta.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define TOKEN_VERSION "ec2d2"
#define MAC_LEN	      16
#define RAW_MAX	      (MAC_LEN + PAGE_KEY_MAX)

static int
b64url_encode(const unsigned char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		size_t chunk = len - i < 3 ? len - i : 3;

		if (chunk > 1)
			v |= (unsigned)in[i + 1] << 8;
		if (chunk > 2)
			v |= in[i + 2];
		if (o + 5 > size)
			return -1;
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (chunk > 1)
			out[o++] = b64url[(v >> 6) & 63];
		if (chunk > 2)
			out[o++] = b64url[v & 63];
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

static int
b64url_val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;

	return p ? (int)(p - b64url) : -1;
}

/* Into out[size]; the length, or -1 when it is not base64url. */
static long
b64url_decode(const char *in, unsigned char *out, size_t size)
{
	size_t len = strlen(in), o = 0;

	if (len == 0 || len % 4 == 1 || len / 4 * 3 + 3 > size)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		size_t chunk = len - i < 4 ? len - i : 4;
		unsigned v = 0;

		for (size_t k = 0; k < 4; k++) {
			int d = k < chunk ? b64url_val(in[i + k]) : 0;

			if (d < 0)
				return -1;
			v = v << 6 | (unsigned)d;
		}
		out[o++] = (unsigned char)(v >> 16);
		if (chunk > 2)
			out[o++] = (unsigned char)(v >> 8);
		if (chunk > 3)
			out[o++] = (unsigned char)v;
	}
	return (long)o;
}

static void
token_mac(const struct page *p, const char *key, size_t klen,
	  unsigned char out[MAC_LEN])
{
	unsigned char
	    msg[sizeof(TOKEN_VERSION) + PAGE_DIGEST_LEN + PAGE_KEY_MAX];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = sizeof(mac);
	size_t n = sizeof(TOKEN_VERSION);

	memcpy(msg, TOKEN_VERSION, n);
	memcpy(msg + n, p->bind, PAGE_DIGEST_LEN);
	n += PAGE_DIGEST_LEN;
	memcpy(msg + n, key, klen);
	n += klen;
	if (!HMAC(EVP_sha256(), p->secret, PAGE_SECRET_LEN, msg, n, mac, &len))
		memset(mac, 0, sizeof(mac)); /* matches no token */
	memcpy(out, mac, MAC_LEN);
}

int
page_token_encode(const struct page *p, const char *key, char *out, size_t size)
{
	unsigned char raw[RAW_MAX];
	size_t klen = strlen(key);

	if (klen == 0 || klen >= PAGE_KEY_MAX)
		return -1;
	token_mac(p, key, klen, raw);
	memcpy(raw + MAC_LEN, key, klen);
	return b64url_encode(raw, MAC_LEN + klen, out, size);
}

int
page_token_decode(const struct page *p, const char *token, char *key,
		  size_t size)
{
	unsigned char raw[RAW_MAX + 3], mac[MAC_LEN];
	long n = b64url_decode(token, raw, sizeof(raw));
	size_t klen;

	if (n <= MAC_LEN)
		return -1;
	klen = (size_t)n - MAC_LEN;
	if (klen >= size || memchr(raw + MAC_LEN, '\0', klen))
		return -1;
	token_mac(p, (const char *)raw + MAC_LEN, klen, mac);
	if (CRYPTO_memcmp(mac, raw, MAC_LEN) != 0)
		return -1;
	memcpy(key, raw + MAC_LEN, klen);
	key[klen] = '\0';
	return 0;
}

/* ---- the binding: the listing and every other parameter ---- */

/* Skipped at the top: the page's own parameters. */
static bool
unbound(const struct param *kid, int depth)
{
	return depth == 0 && (strcmp(kid->name, "NextToken") == 0 ||
			      strcmp(kid->name, "MaxResults") == 0);
}

/* Depth first, in the tree's order: each value as "path\0value\0". */
static void
bind_walk(EVP_MD_CTX *md, const struct param *p, char *path, size_t plen,
	  size_t size, int depth)
{
	if (p->value) {
		EVP_DigestUpdate(md, path, plen + 1);
		EVP_DigestUpdate(md, p->value, strlen(p->value) + 1);
	}
	for (size_t i = 0; i < p->nkids; i++) {
		const struct param *kid = p->kids[i];
		int n;

		if (unbound(kid, depth))
			continue;
		n = snprintf(path + plen, size - plen, "%s%s", plen ? "." : "",
			     kid->name);
		if (n < 0 || (size_t)n >= size - plen)
			continue; /* deeper than params.h allows: not sent */
		bind_walk(md, kid, path, plen + (size_t)n, size, depth + 1);
		path[plen] = '\0';
	}
}

static int
bind_digest(const struct param *req, const char *scope,
	    unsigned char out[PAGE_DIGEST_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char path[2048] = "";
	unsigned int len = PAGE_DIGEST_LEN;
	int ok;

	if (!md)
		return -1;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(md, scope, strlen(scope) + 1);
	if (ok && req)
		bind_walk(md, req, path, 0, sizeof(path), 0);
	ok = ok && EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* ---- parsing ---- */

static int
bad_token(struct err *e)
{
	return err_set(e, "InvalidPaginationToken",
		       "The specified pagination token is not valid or is "
		       "expired.");
}

int
page_parse_keyed(const struct param *req,
		 const unsigned char secret[PAGE_SECRET_LEN], const char *scope,
		 long long min, long long max, struct page *p, struct err *e)
{
	const char *token = NULL;
	const char *ms = NULL;

	memset(p, 0, sizeof(*p));
	p->scope = scope;
	memcpy(p->secret, secret, PAGE_SECRET_LEN);
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
	if (bind_digest(req, scope, p->bind) < 0)
		return err_set(e, "InternalError", "Cannot hash the request.");
	if (token && *token &&
	    page_token_decode(p, token, p->after, sizeof(p->after)) < 0)
		return bad_token(e);
	return 0;
}

/* The deployment's secret: PAGE_SECRET_LEN bytes, as hex in meta. */
static int
secret_load(struct store_tx *tx, unsigned char out[PAGE_SECRET_LEN],
	    struct err *e)
{
	char hex[2 * PAGE_SECRET_LEN + 2];
	int rc = store_meta_get(tx, PAGE_SECRET_META, hex, sizeof(hex), e);

	if (rc < 0)
		return -1;
	if (rc == 1 || strlen(hex) != 2 * PAGE_SECRET_LEN)
		return err_set(e, "InternalError",
			       "The store has no pagination key.");
	for (size_t i = 0; i < PAGE_SECRET_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return err_set(e, "InternalError",
				       "The store's pagination key is bad.");
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
page_parse(const struct action_ctx *c, const char *scope, long long min,
	   long long max, struct page *p, struct err *e)
{
	unsigned char secret[PAGE_SECRET_LEN];
	int rc;

	if (secret_load(c->tx, secret, e) < 0)
		return -1;
	rc = page_parse_keyed(c->req, secret, scope, min, max, p, e);
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
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

	if (p->more && page_token_encode(p, p->last, token, sizeof(token)) == 0)
		out_str(o, name, token);
}

/*
 * paginate.h - MaxResults and NextToken for EC2 Describe calls.
 *
 * A listing walks its items in a stable key order (ids or names). The token
 * names the last key a page returned, so the next page starts after it and
 * items added or removed in between neither repeat nor shift the rest.
 *
 * The token is opaque to clients and authenticated: base64url of a MAC and
 * the key, the MAC being HMAC-SHA256 under the deployment's secret (the
 * store's meta "page_token_key", made once by store_open) over the key and
 * a digest of the listing's name and every other parameter of the request
 * (all but NextToken and MaxResults, in the request tree's canonical
 * order). So a token only continues the listing, with the same filters,
 * that issued it, in the deployment that issued it; anything else (forged,
 * tampered, other filters, other listing, other deployment) is
 * InvalidPaginationToken, EC2's code for a token it does not accept. The
 * last page has no token, so client loops end.
 */
#ifndef EC2D_SERVICES_EC2_PAGINATE_H
#define EC2D_SERVICES_EC2_PAGINATE_H

#include <stdbool.h>

#include "common/err.h"
#include "common/out.h"
#include "common/params.h"
#include "services/action.h"

#define PAGE_KEY_MAX	 1024 /* a resource id and a 128-character key */
#define PAGE_SECRET_LEN	 32   /* bytes of the HMAC key */
#define PAGE_DIGEST_LEN	 32   /* SHA-256 of the request's other params */
#define PAGE_SECRET_META "page_token_key" /* its hex in the store's meta */

struct page {
	const char *scope;	  /* the listing: "DescribeTags" */
	long long max;		  /* items per page; 0: no limit */
	char after[PAGE_KEY_MAX]; /* start after this key ("" from the start) */
	long long taken;
	bool more; /* an item beyond this page exists */
	char last[PAGE_KEY_MAX];
	unsigned char secret[PAGE_SECRET_LEN];
	unsigned char bind[PAGE_DIGEST_LEN]; /* scope and the other params */
};

/*
 * Read MaxResults (min..max; absent: every item) and NextToken from the
 * request, with the deployment's secret from the store (c->tx).
 */
int page_parse(const struct action_ctx *c, const char *scope, long long min,
	       long long max, struct page *p, struct err *e);

/* The same with the secret given (the unit tests, the fuzz target). */
int page_parse_keyed(const struct param *req,
		     const unsigned char secret[PAGE_SECRET_LEN],
		     const char *scope, long long min, long long max,
		     struct page *p, struct err *e);

/*
 * Offer the next matching item, in key order. True when it belongs on this
 * page; false when it comes before the token or the page is full (then
 * p->more is set).
 */
bool page_take(struct page *p, const char *key);

/*
 * End the page early, after key (the last item looked at, matching or
 * not): the listing looked at as many items as it may for one page. The
 * next page starts after key. EC2 too may answer fewer than MaxResults
 * items with a token.
 */
void page_stop_at(struct page *p, const char *key);

/* Write <nextToken> when another page exists. */
void page_write_token(const struct page *p, struct out *o, const char *name);

/* Exposed for tests: p's secret and bind (from page_parse_keyed). */
int page_token_encode(const struct page *p, const char *key, char *out,
		      size_t size);
int page_token_decode(const struct page *p, const char *token, char *key,
		      size_t size);

#endif

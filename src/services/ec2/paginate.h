/*
 * paginate.h - MaxResults and NextToken for EC2 Describe calls.
 *
 * A listing walks its items in a stable key order (ids or names). The token
 * names the last key a page returned, so the next page starts after it and
 * items added or removed in between neither repeat nor shift the rest. The
 * token is opaque to clients (base64url of a versioned text naming the
 * listing it belongs to) and checked: anything that does not decode, or
 * that another listing issued, is InvalidPaginationToken. The last page has
 * no token, so client loops end.
 */
#ifndef EC2D_SERVICES_EC2_PAGINATE_H
#define EC2D_SERVICES_EC2_PAGINATE_H

#include <stdbool.h>

#include "common/err.h"
#include "common/out.h"
#include "common/params.h"

#define PAGE_KEY_MAX 1024 /* a resource id and a 128-character key */

struct page {
	const char *scope;	  /* the listing: "DescribeTags" */
	long long max;		  /* items per page; 0: no limit */
	char after[PAGE_KEY_MAX]; /* start after this key ("" from the start) */
	long long taken;
	bool more; /* an item beyond this page exists */
	char last[PAGE_KEY_MAX];
};

/*
 * Read MaxResults (min..max; absent: every item) and NextToken from req.
 */
int page_parse(const struct param *req, const char *scope, long long min,
	       long long max, struct page *p, struct err *e);

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

/* Exposed for tests. */
int page_token_encode(const char *scope, const char *key, char *out,
		      size_t size);
int page_token_decode(const char *token, const char *scope, char *key,
		      size_t size);

#endif

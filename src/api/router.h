/*
 * router.h - one API request in, one EC2 reply out.
 *
 * api_handle() does everything generic, in this order: SigV4 (and the
 * credential scope), the rate limit, decoding the Query parameters,
 * Action and Version, the action lookup (InvalidAction), unknown parameters
 * (UnknownParameter), ClientToken replay, then runs the action in one store
 * transaction, DryRun rolling it back. It knows the HTTP status of every
 * EC2 error code. It never blocks on anything but the store.
 */
#ifndef EC2D_API_ROUTER_H
#define EC2D_API_ROUTER_H

#include <stddef.h>

#include "api/sigv4.h"
#include "common/config.h"
#include "common/err.h"
#include "services/action.h"
#include "store/access_keys.h"
#include "store/store.h"

struct api;

struct api_request {
	const char *method;
	const char *path;
	const char *query; /* raw, after '?'; "" when none */
	const struct sigv4_header *headers;
	size_t nheaders;
	const char *body;
	size_t body_len;
};

struct api_reply {
	int status;
	char *body; /* owned; free with api_reply_free */
	size_t len;
	char request_id[37];
	char action[64];	 /* for the log; "" when unknown */
	char code[ERR_CODE_MAX]; /* the error code, "" on success */
};

struct api *api_new(const struct config *cfg, struct store *s);
/* The same with another action table (name-sorted): for tests. */
struct api *api_new_table(const struct config *cfg, struct store *s,
			  const struct action *table, size_t n);
void api_free(struct api *a);

/* Called after every committed write, to wake the reconcilers. */
void api_set_notify(struct api *a, void (*fn)(void *ctx), void *ctx);

void api_handle(struct api *a, const struct api_request *r,
		struct api_reply *rep);
void api_reply_free(struct api_reply *rep);

/*
 * The part of api_handle() after authentication and decoding: Action,
 * Version, lookup, parameters, ClientToken, DryRun, the transaction. The
 * caller keeps root. Exposed so tests can drive it without signing.
 */
void api_run(struct api *a, const struct access_key *who,
	     const struct param *root, struct api_reply *rep);

/* An error reply without a request (an HTTP-level refusal). */
void api_error_reply(const struct err *e, struct api_reply *rep);

/* The HTTP status EC2 gives an error code. */
int api_status_for(const char *code);

/*
 * The action table of service i (0 .. api_service_count() - 1), for the
 * generated coverage document and its test. NULL past the end.
 */
size_t api_service_count(void);
const struct action *api_service_actions(size_t i, const char **ret_name,
					 size_t *ret_count);

#endif

/*
 * idem.h - ClientToken idempotency: the answer given to (key, action,
 * token), with a hash of the request's parameters to spot a reuse with
 * other parameters.
 *
 * EC2 keeps a client token for at least 24 hours, and a RunInstances
 * token for at least 24 hours after its instances end. ec2d keeps each for
 * STORE_IDEM_KEEP_SECONDS (24 h) from its use, and while an instance
 * launched with it exists; deleting (reaping) such an instance restarts
 * the 24 hours. A put prunes a bounded number of expired rows; a get
 * ignores an expired row, so the token may be used afresh.
 */
#ifndef EC2D_STORE_IDEM_H
#define EC2D_STORE_IDEM_H

#include "store.h"

#define STORE_IDEM_KEEP_SECONDS (24 * 3600)
#define STORE_IDEM_PRUNE_MAX	100 /* expired rows deleted per put */

/* A row older than the keep time is absent. */
int store_idem_get(struct store_tx *tx, const char *access_key,
		   const char *action, const char *token, char **ret_hash,
		   char **ret_body, struct err *e);
int store_idem_put(struct store_tx *tx, const char *access_key,
		   const char *action, const char *token, const char *hash,
		   const char *body, struct err *e);
/*
 * Delete up to max rows created before now - STORE_IDEM_KEEP_SECONDS;
 * *ret_n (optional) says how many went.
 */
int store_idem_prune(struct store_tx *tx, time_t now, int max, size_t *ret_n,
		     struct err *e);

#endif

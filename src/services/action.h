/*
 * action.h - what every service action is and gets.
 *
 * A service exports a table of struct action sorted by name. api/router.c
 * does the generic work once, before run() is called (Redis' rule):
 * authentication, action lookup (InvalidAction), unknown parameters
 * (UnknownParameter), DryRun, ClientToken idempotency, rate limits, and the
 * store transaction. run() validates its own parameters, makes its reads and
 * writes through c->tx, and describes its answer through o. It never does
 * slow work (no child process, no sleep): reconcilers do that.
 *
 * A run() that returns -1 must have filled e; its writes are rolled back.
 * DryRun runs the action and rolls it back, answering DryRunOperation when
 * it would have succeeded, so a dry run checks exactly what a real one does.
 */
#ifndef EC2D_SERVICES_ACTION_H
#define EC2D_SERVICES_ACTION_H

#include <stddef.h>
#include <time.h>

#include "common/config.h"
#include "common/err.h"
#include "common/out.h"
#include "common/params.h"
#include "store/store.h"

struct action_ctx {
	const struct config *cfg;
	struct store_tx *tx;
	const struct param *req;
	const char *access_key;
	const char *account;
	const char *request_id;
	time_t now;
	void *prepared; /* what the action's prepare() made */
};

enum action_flags {
	ACTION_WRITE = 1 << 0,	      /* runs in a write transaction */
	ACTION_DRY_RUN = 1 << 1,      /* accepts DryRun */
	ACTION_CLIENT_TOKEN = 1 << 2, /* ClientToken makes it idempotent */
};

struct action {
	const char *name;
	int (*run)(struct action_ctx *c, struct out *o, struct err *e);
	unsigned flags;
	/* Top-level parameter names it takes (NULL-terminated); the router
	 * answers UnknownParameter for any other. Action, Version, DryRun and
	 * ClientToken are handled by the router. */
	const char *const *params;
	/* Optional: slow work done before the transaction begins (an RSA
	 * key), so no write lock waits on it. It reads c->req and sets
	 * c->prepared for run(); release() frees that after run(), however
	 * the call ended. A failing prepare() frees what it made. */
	int (*prepare)(struct action_ctx *c, struct err *e);
	void (*release)(struct action_ctx *c);
};

/* bsearch in a name-sorted table. */
const struct action *action_find(const struct action *table, size_t n,
				 const char *name);

#endif

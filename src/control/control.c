/*
 * control.c - the reconciler thread. See control.h. A pass runs every
 * reconciler in turn; a wake that arrives during a pass makes another pass
 * follow at once, so no change is missed between "read" and "sleep".
 */
#include "control.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "images.h"

struct control {
	const struct config *cfg;
	struct store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool woken;
	bool stopping;
};

void
control_run_once(const struct config *cfg, struct store *s)
{
	images_reconcile(cfg, s);
}

static void *
control_main(void *arg)
{
	struct control *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec until;

		c->woken = false;
		pthread_mutex_unlock(&c->lock);
		control_run_once(c->cfg, c->store);
		pthread_mutex_lock(&c->lock);
		if (c->woken || c->stopping)
			continue;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CONTROL_PERIOD_MS / 1000;
		while (!c->woken && !c->stopping &&
		       pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int
control_start(const struct config *cfg, struct store *s,
	      struct control **ret, struct err *e)
{
	struct control *c = calloc(1, sizeof(*c));

	if (!c)
		return err_set(e, "InternalError", "Out of memory.");
	c->cfg = cfg;
	c->store = s;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return err_set(e, "InternalError",
			       "Cannot start the control thread.");
	}
	*ret = c;
	return 0;
}

void
control_wake(struct control *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->woken = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void
control_stop(struct control *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

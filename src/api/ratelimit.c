/*
 * ratelimit.c - token buckets in a fixed open-addressing table. See
 * ratelimit.h. The table is bounded (RL_SLOTS keys); when it is full the
 * bucket that was idle longest is reused, since an idle bucket is full and
 * a fresh one is too, so nothing is lost.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RL_SLOTS   4096
#define RL_KEY_MAX 129

struct bucket {
	char key[RL_KEY_MAX];
	double tokens;
	double last;
};

struct ratelimit {
	pthread_mutex_t lock;
	double rate, burst;
	struct bucket slots[RL_SLOTS];
};

struct ratelimit *
ratelimit_new(double rate, double burst)
{
	struct ratelimit *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->rate = rate;
	r->burst = burst < 1 ? 1 : burst;
	return r;
}

void
ratelimit_free(struct ratelimit *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct bucket *
bucket_for(struct ratelimit *r, const char *key, double now)
{
	unsigned start = hash(key) % RL_SLOTS;
	struct bucket *oldest = NULL;

	for (unsigned i = 0; i < 64; i++) {
		struct bucket *b = &r->slots[(start + i) % RL_SLOTS];

		if (strcmp(b->key, key) == 0)
			return b;
		if (!b->key[0] || !oldest || b->last < oldest->last)
			oldest = b;
		if (!b->key[0])
			break;
	}
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	oldest->tokens = r->burst;
	oldest->last = now;
	return oldest;
}

bool
ratelimit_take(struct ratelimit *r, const char *key, double now)
{
	struct bucket *b;
	bool ok;

	if (!r || r->rate <= 0)
		return true;
	pthread_mutex_lock(&r->lock);
	b = bucket_for(r, key, now);
	if (now > b->last) {
		b->tokens += (now - b->last) * r->rate;
		if (b->tokens > r->burst)
			b->tokens = r->burst;
		b->last = now;
	}
	ok = b->tokens >= 1;
	if (ok)
		b->tokens -= 1;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

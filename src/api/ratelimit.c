/*
 * ratelimit.c - token buckets in a fixed open-addressing table. See
 * ratelimit.h. The table is bounded (RL_SLOTS keys); when it is full the
 * bucket that was idle longest is reused, since an idle bucket is full and
 * a fresh one is too, so nothing is lost.
 *
 * Refusals are counted and logged once per RL_REPORT_S seconds (the first
 * at once), since a flood would otherwise be a flood of log lines.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define RL_SLOTS    4096
#define RL_KEY_MAX  129
#define RL_REPORT_S 10.0

struct bucket {
	char key[RL_KEY_MAX];
	double tokens;
	double last;
};

struct ratelimit {
	pthread_mutex_t lock;
	double rate, burst;
	struct bucket slots[RL_SLOTS];
	uint64_t refused; /* since the last report */
	double report_at; /* no report before this time */
	char last_key[RL_KEY_MAX];
};

struct report {
	uint64_t count;
	char key[RL_KEY_MAX];
};

static void
report_log(const struct report *rep)
{
	log_msg(LOG_WARN, "requests throttled",
		"count=%llu interval_s=%g last_key=%s",
		(unsigned long long)rep->count, RL_REPORT_S, rep->key);
}

/* Count one refusal; fill rep when it is time to log. Under the lock. */
static bool
note_refused(struct ratelimit *r, const char *key, double now,
	     struct report *rep)
{
	r->refused++;
	snprintf(r->last_key, sizeof(r->last_key), "%s", key);
	if (now < r->report_at)
		return false;
	rep->count = r->refused;
	memcpy(rep->key, r->last_key, sizeof(rep->key));
	r->refused = 0;
	r->report_at = now + RL_REPORT_S;
	return true;
}

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
	if (r->refused) {
		struct report rep = {.count = r->refused};

		memcpy(rep.key, r->last_key, sizeof(rep.key));
		report_log(&rep);
	}
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
	struct report rep;
	bool ok, report = false;

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
	else
		report = note_refused(r, key, now, &rep);
	pthread_mutex_unlock(&r->lock);
	if (report)
		report_log(&rep);
	return ok;
}

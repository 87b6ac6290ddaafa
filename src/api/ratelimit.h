/*
 * ratelimit.h - a token bucket per access key, as EC2 throttles per account:
 * each request takes a token; tokens refill at `rate` per second up to
 * `burst`. An empty bucket means RequestLimitExceeded (HTTP 503), which
 * AWS clients retry with back-off. Rate 0 turns limiting off.
 * Refusals are logged as one WARN line per interval with their count.
 */
#ifndef EC2D_API_RATELIMIT_H
#define EC2D_API_RATELIMIT_H

#include <stdbool.h>

struct ratelimit;

struct ratelimit *ratelimit_new(double rate, double burst);
void ratelimit_free(struct ratelimit *r);

/* Take one token for key at time now (seconds); false when empty. */
bool ratelimit_take(struct ratelimit *r, const char *key, double now);

#endif

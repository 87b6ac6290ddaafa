/*
 * conntab.c - open connections, their deadlines and who may come in. See
 * conntab.h. A list in accept order under one mutex; the victim search at
 * the limit sorts the addresses (a few thousand entries at most), which
 * is cheap next to the accept it guards. Used by http.c; tested by
 * tests/unit/test_conntab.c with a recording drop callback.
 */
#include "conntab.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An IPv4 address, or the /64 of an IPv6 one (one host's usual share). */
struct addr_key {
	uint8_t b[8];
	uint8_t len;
};

struct conn {
	struct conn *prev, *next;
	struct addr_key key;
	int fd;
	enum conn_phase phase;
	double since;  /* when the current deadline started */
	bool dropped;  /* shut down; waiting for conntab_remove */
	bool reserved; /* admitted; conntab_add has not claimed it yet */
};

/* A reservation the HTTP library never claimed (it failed to set the
 * connection up after admitting it) is forgotten after this long. */
#define RESERVE_S 5.0

struct conntab {
	pthread_mutex_t lock;
	struct conntab_limits lim;
	conntab_drop_fn drop;
	void *ctx;
	struct conn *head, *tail;
	unsigned n, dropped;
	struct conntab_counts counts;
};

static void
addr_key(const struct sockaddr *sa, struct addr_key *k)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0,    0,
					     0, 0, 0, 0, 0xff, 0xff};

	memset(k, 0, sizeof(*k));
	if (sa && sa->sa_family == AF_INET) {
		memcpy(k->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		k->len = 4;
	} else if (sa && sa->sa_family == AF_INET6) {
		const uint8_t *a =
		    ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, v4mapped, 12) == 0) {
			memcpy(k->b, a + 12, 4);
			k->len = 4;
		} else {
			memcpy(k->b, a, 8);
			k->len = 8;
		}
	}
}

static int
key_cmp(const struct addr_key *a, const struct addr_key *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

struct conntab *
conntab_new(const struct conntab_limits *lim, conntab_drop_fn drop, void *ctx)
{
	struct conntab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->lim = *lim;
	t->drop = drop;
	t->ctx = ctx;
	return t;
}

void
conntab_free(struct conntab *t)
{
	if (!t)
		return;
	while (t->head) {
		struct conn *c = t->head;

		t->head = c->next;
		free(c);
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Under the lock. */
static void
drop(struct conntab *t, struct conn *c)
{
	if (c->dropped)
		return;
	c->dropped = true;
	t->dropped++;
	t->drop(t->ctx, c->fd);
}

static unsigned
live(const struct conntab *t)
{
	return t->n - t->dropped;
}

static unsigned
count_addr(const struct conntab *t, const struct addr_key *k)
{
	unsigned n = 0;

	for (const struct conn *c = t->head; c; c = c->next)
		if (!c->dropped && key_cmp(&c->key, k) == 0)
			n++;
	return n;
}

/* 0 for connections that are waiting on their client, 1 for a body
 * upload (only when nothing else can go), 2 for those being served. */
static int
evict_class(const struct conn *c)
{
	switch (c->phase) {
	case CONN_NEW:
	case CONN_HEAD:
	case CONN_IDLE:
		return 0;
	case CONN_BODY:
		return 1;
	default:
		return 2;
	}
}

static int
key_qsort_cmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

/* How many live connections share c's address, from the sorted keys. */
static unsigned
addr_weight(const struct addr_key *sorted, unsigned n, const struct conn *c)
{
	const struct addr_key *hit =
	    bsearch(&c->key, sorted, n, sizeof(*sorted), key_qsort_cmp);
	const struct addr_key *lo = hit, *hi = hit;

	if (!hit)
		return 0;
	while (lo > sorted && key_cmp(lo - 1, &c->key) == 0)
		lo--;
	while (hi + 1 < sorted + n && key_cmp(hi + 1, &c->key) == 0)
		hi++;
	return (unsigned)(hi - lo + 1);
}

static bool
better_victim(const struct conn *c, unsigned w, const struct conn *best,
	      unsigned best_w)
{
	if (!best)
		return true;
	if (w != best_w)
		return w > best_w;
	if (evict_class(c) != evict_class(best))
		return evict_class(c) < evict_class(best);
	return c->since < best->since;
}

/*
 * The connection to evict at the limit: one not being served, from the
 * address with the most connections (so a flood evicts itself, not the
 * client with one connection), waiting on its client rather than
 * uploading, the oldest first. NULL when every connection is busy.
 */
static struct conn *
pick_victim(struct conntab *t)
{
	struct addr_key *keys = malloc((t->n + 1) * sizeof(*keys));
	struct conn *best = NULL;
	unsigned n = 0, best_w = 0;

	if (!keys)
		return NULL;
	for (struct conn *c = t->head; c; c = c->next)
		if (!c->dropped)
			keys[n++] = c->key;
	qsort(keys, n, sizeof(*keys), key_qsort_cmp);
	for (struct conn *c = t->head; c; c = c->next) {
		unsigned w;

		if (c->dropped || c->reserved || evict_class(c) == 2)
			continue;
		w = addr_weight(keys, n, c);
		if (better_victim(c, w, best, best_w)) {
			best = c;
			best_w = w;
		}
	}
	free(keys);
	return best;
}

/* Under the lock. */
static void
link_tail(struct conntab *t, struct conn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
	t->n++;
}

static void
unlink_conn(struct conntab *t, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	t->n--;
	if (c->dropped)
		t->dropped--;
}

/*
 * An admitted connection counts at once, as a reservation, so that worker
 * threads accepting at the same moment cannot each see room for one more.
 */
static bool
reserve(struct conntab *t, const struct addr_key *k, double now)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return false;
	c->key = *k;
	c->fd = -1;
	c->phase = CONN_NEW;
	c->since = now;
	c->reserved = true;
	link_tail(t, c);
	return true;
}

bool
conntab_admit(struct conntab *t, const struct sockaddr *sa, double now)
{
	struct addr_key k;
	struct conn *victim;
	bool ok = true;

	addr_key(sa, &k);
	pthread_mutex_lock(&t->lock);
	if (t->lim.per_addr && count_addr(t, &k) >= t->lim.per_addr) {
		ok = false;
	} else if (live(t) >= t->lim.max) {
		victim = pick_victim(t);
		if (victim) {
			drop(t, victim);
			t->counts.evicted++;
		}
		ok = victim != NULL;
	}
	if (ok)
		ok = reserve(t, &k, now);
	if (!ok)
		t->counts.refused++;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/* The oldest reservation for k, under the lock. */
static struct conn *
find_reserved(struct conntab *t, const struct addr_key *k)
{
	for (struct conn *c = t->head; c; c = c->next)
		if (c->reserved && key_cmp(&c->key, k) == 0)
			return c;
	return NULL;
}

struct conn *
conntab_add(struct conntab *t, int fd, const struct sockaddr *sa, double now)
{
	struct addr_key k;
	struct conn *c;

	addr_key(sa, &k);
	pthread_mutex_lock(&t->lock);
	c = find_reserved(t, &k);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (c) {
			c->key = k;
			link_tail(t, c);
		}
	}
	if (c) {
		c->reserved = false;
		c->fd = fd;
		c->phase = CONN_NEW;
		c->since = now;
	}
	pthread_mutex_unlock(&t->lock);
	return c;
}

void
conntab_phase(struct conntab *t, struct conn *c, enum conn_phase p, double now)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	/* The first request's headers are due header_s after the accept,
	 * however slowly its request line came. */
	if (!(c->phase == CONN_NEW && p == CONN_HEAD))
		c->since = now;
	c->phase = p;
	pthread_mutex_unlock(&t->lock);
}

void
conntab_remove(struct conntab *t, struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	unlink_conn(t, c);
	pthread_mutex_unlock(&t->lock);
	free(c);
}

/* Seconds c may stay in its phase; < 0: no deadline. */
static double
allowance(const struct conntab *t, const struct conn *c, bool near)
{
	switch (c->phase) {
	case CONN_NEW:
	case CONN_HEAD:
		return t->lim.header_s;
	case CONN_BODY:
		return t->lim.body_s;
	case CONN_IDLE:
		return near ? t->lim.idle_short_s : t->lim.idle_s;
	default:
		return -1;
	}
}

unsigned
conntab_sweep(struct conntab *t, double now)
{
	unsigned n = 0;
	bool near;

	pthread_mutex_lock(&t->lock);
	near = (unsigned long)live(t) * 100 >=
	       (unsigned long)t->lim.max * CONNTAB_NEAR_PCT;
	for (struct conn *c = t->head, *next; c; c = next) {
		double a = allowance(t, c, near);

		next = c->next;
		if (c->reserved) {
			if (now - c->since >= RESERVE_S) {
				unlink_conn(t, c);
				free(c);
			}
			continue;
		}
		if (c->dropped || a < 0 || now - c->since < a)
			continue;
		drop(t, c);
		n++;
	}
	t->counts.expired += n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

unsigned
conntab_live(struct conntab *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = live(t);
	pthread_mutex_unlock(&t->lock);
	return n;
}

void
conntab_take_counts(struct conntab *t, struct conntab_counts *ret)
{
	pthread_mutex_lock(&t->lock);
	*ret = t->counts;
	memset(&t->counts, 0, sizeof(t->counts));
	pthread_mutex_unlock(&t->lock);
}

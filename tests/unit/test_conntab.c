/*
 * test_conntab.c - the connection table's admission, eviction and
 * deadlines, with a drop callback that records the fds it was given.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "api/conntab.h"
#include "unit.h"

struct dropped {
	int fds[64];
	int n;
};

static void
record(void *ctx, int fd)
{
	struct dropped *d = ctx;

	if (d->n < 64)
		d->fds[d->n++] = fd;
}

/* A parsed address; each call gets its own of 8 rotating buffers. */
static const struct sockaddr *
SA(const char *text)
{
	static struct sockaddr_storage ring[8];
	static unsigned next;
	struct sockaddr_storage *ss = &ring[next++ % 8];

	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, text, &s4->sin_addr);
	}
	return (const struct sockaddr *)ss;
}

static const struct conntab_limits lim = {
    .max = 4,
    .per_addr = 2,
    .header_s = 10,
    .body_s = 30,
    .idle_s = 60,
    .idle_short_s = 2,
};

static struct conn *
join(struct conntab *t, const char *a, int fd, double now)
{
	if (!conntab_admit(t, SA(a), now))
		return NULL;
	return conntab_add(t, fd, SA(a), now);
}

static void
test_per_address(void)
{
	struct dropped d = {0};
	struct conntab *t = conntab_new(&lim, record, &d);

	CHECK(join(t, "10.0.0.1", 1, 0), "first from A");
	CHECK(join(t, "10.0.0.1", 2, 0), "second from A");
	CHECK(!conntab_admit(t, SA("10.0.0.1"), 0), "third from A refused");
	CHECK(!conntab_admit(t, SA("::ffff:10.0.0.1"), 0),
	      "A as a v4-mapped address is A");
	CHECK(join(t, "2001:db8::1", 3, 0), "first from a /64");
	CHECK(join(t, "2001:db8::2", 4, 0), "second from the /64");
	CHECK(!conntab_admit(t, SA("2001:db8::3"), 0), "the /64 is full");
	CHECK(d.n == 0, "nothing dropped for the per-address limit");
	{
		struct conntab_counts n;

		conntab_take_counts(t, &n);
		CHECK(n.refused == 3 && !n.evicted && !n.expired,
		      "counted: %lu refused", n.refused);
		conntab_take_counts(t, &n);
		CHECK(n.refused == 0, "taking the counts resets them");
	}
	conntab_free(t);
}

/* Admitted connections count before they are added: two threads
 * accepting at once cannot both take the last place. */
static void
test_reservations(void)
{
	struct dropped d = {0};
	struct conntab *t = conntab_new(&lim, record, &d);
	struct conn *c;

	CHECK(conntab_admit(t, SA("10.0.0.1"), 0), "first admitted");
	CHECK(conntab_admit(t, SA("10.0.0.1"), 0), "second admitted");
	CHECK(!conntab_admit(t, SA("10.0.0.1"), 0), "third: 2 reserved");
	c = conntab_add(t, 5, SA("10.0.0.1"), 1);
	CHECK(c && conntab_live(t) == 2, "add claims a reservation");
	CHECK(conntab_sweep(t, 5.5) == 0 && conntab_live(t) == 1,
	      "an unclaimed reservation lapses, dropping nothing");
	CHECK(d.n == 0, "no fd dropped for a reservation");
	conntab_free(t);
}

static void
test_eviction(void)
{
	struct dropped d = {0};
	struct conntab *t = conntab_new(&lim, record, &d);
	struct conn *a1, *a2, *b1, *c1;

	a1 = join(t, "10.0.0.1", 11, 1);
	a2 = join(t, "10.0.0.1", 12, 2);
	b1 = join(t, "10.0.0.2", 21, 0);
	c1 = join(t, "10.0.0.3", 31, 0);
	CHECK(a1 && a2 && b1 && c1, "four fit");
	conntab_phase(t, a1, CONN_IDLE, 5);
	conntab_phase(t, a2, CONN_NEW, 3);
	/* Full: the address with the most pays, its oldest first. */
	CHECK(conntab_admit(t, SA("10.0.0.9"), 6), "a fifth at the limit");
	CHECK(d.n == 1 && d.fds[0] == 12, "evicted fd %d", d.n ? d.fds[0] : -1);
	/* Three left and the newcomer's reservation. */
	CHECK(conntab_live(t) == 4, "live %u", conntab_live(t));
	/* Dropped but not closed yet: not picked again. */
	conntab_add(t, 91, SA("10.0.0.9"), 6);
	CHECK(conntab_admit(t, SA("10.0.0.8"), 7), "a sixth");
	CHECK(d.n == 2 && d.fds[1] != 12, "a second victim, not the first");
	conntab_remove(t, a2);
	CHECK(conntab_live(t) == 4, "removing a dropped one keeps live");
	conntab_free(t);
}

static void
test_busy_not_evicted(void)
{
	struct dropped d = {0};
	struct conntab_limits l = lim;
	struct conntab *t;
	struct conn *x, *y;

	l.max = 2;
	t = conntab_new(&l, record, &d);
	x = join(t, "10.0.0.1", 1, 0);
	y = join(t, "10.0.0.2", 2, 0);
	conntab_phase(t, x, CONN_BUSY, 0);
	conntab_phase(t, y, CONN_BODY, 0);
	CHECK(conntab_admit(t, SA("10.0.0.3"), 1),
	      "an upload goes when nothing else can");
	CHECK(d.n == 1 && d.fds[0] == 2, "the upload was dropped");
	conntab_remove(t, y);
	conntab_add(t, 3, SA("10.0.0.3"), 1);
	conntab_phase(t, NULL, CONN_BUSY, 0); /* untracked: ignored */
	conntab_remove(t, NULL);
	conntab_free(t);
	t = conntab_new(&l, record, &d);
	x = join(t, "10.0.0.1", 1, 0);
	y = join(t, "10.0.0.2", 2, 0);
	conntab_phase(t, x, CONN_BUSY, 0);
	conntab_phase(t, y, CONN_BUSY, 0);
	CHECK(!conntab_admit(t, SA("10.0.0.3"), 1), "all busy: refused");
	conntab_free(t);
}

static void
test_deadlines(void)
{
	struct dropped d = {0};
	struct conntab_limits l = lim;
	struct conntab *t;
	struct conn *fresh, *slow, *body, *busy, *idle, *again;

	l.max = 100;
	l.per_addr = 0;
	t = conntab_new(&l, record, &d);
	fresh = conntab_add(t, 1, SA("10.0.0.1"), 0);
	slow = conntab_add(t, 2, SA("10.0.0.1"), 0);
	body = conntab_add(t, 3, SA("10.0.0.1"), 0);
	busy = conntab_add(t, 4, SA("10.0.0.1"), 0);
	idle = conntab_add(t, 5, SA("10.0.0.1"), 0);
	again = conntab_add(t, 6, SA("10.0.0.1"), 0);
	conntab_phase(t, slow, CONN_HEAD, 9);  /* still due at 10 */
	conntab_phase(t, body, CONN_BODY, 5);  /* due at 35 */
	conntab_phase(t, busy, CONN_BUSY, 1);  /* never */
	conntab_phase(t, idle, CONN_IDLE, 1);  /* due at 61 */
	conntab_phase(t, again, CONN_IDLE, 1); /* then a request line */
	conntab_phase(t, again, CONN_HEAD, 8); /* due at 18 */
	CHECK(conntab_sweep(t, 9.9) == 0, "nothing due before 10");
	CHECK(conntab_sweep(t, 10) == 2, "fresh and slow at 10");
	CHECK(d.n == 2 && d.fds[0] == 1 && d.fds[1] == 2, "fds 1, 2");
	CHECK(conntab_sweep(t, 17) == 0, "kept-alive request line resets");
	CHECK(conntab_sweep(t, 18) == 1 && d.fds[2] == 6, "then due");
	CHECK(conntab_sweep(t, 35) == 1 && d.fds[3] == 3, "body at 35");
	CHECK(conntab_sweep(t, 60) == 0, "idle not yet");
	CHECK(conntab_sweep(t, 61) == 1 && d.fds[4] == 5, "idle at 61");
	CHECK(conntab_sweep(t, 1e6) == 0, "busy never");
	{
		struct conntab_counts n;

		conntab_take_counts(t, &n);
		CHECK(n.expired == 5 && !n.evicted, "counted: %lu expired",
		      n.expired);
	}
	(void)fresh;
	conntab_free(t);
}

static void
test_short_idle_near_the_limit(void)
{
	struct dropped d = {0};
	struct conntab_limits l = lim;
	struct conntab *t;
	struct conn *c[10];

	l.max = 10;
	l.per_addr = 0;
	t = conntab_new(&l, record, &d);
	for (int i = 0; i < 8; i++) {
		c[i] = conntab_add(t, i, SA("10.0.0.1"), 0);
		conntab_phase(t, c[i], CONN_IDLE, 0);
	}
	CHECK(conntab_sweep(t, 3) == 0, "80%% in use: the long idle time");
	c[8] = conntab_add(t, 8, SA("10.0.0.2"), 0);
	conntab_phase(t, c[8], CONN_BUSY, 0);
	CHECK(conntab_sweep(t, 3) == 8, "90%% in use: the short one");
	conntab_free(t);
}

int
main(void)
{
	test_per_address();
	test_reservations();
	test_eviction();
	test_busy_not_evicted();
	test_deadlines();
	test_short_idle_near_the_limit();
	return UNIT_DONE();
}

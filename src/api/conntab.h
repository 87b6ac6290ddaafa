/*
 * conntab.h - the table of open HTTP connections and the policy that keeps
 * the API reachable under a flood of idle or slow ones.
 *
 * http.c reports each connection's life (accepted, request line seen,
 * headers done, body done, reply sent, closed); the table gives each phase
 * a deadline (conntab_sweep drops what is past it) and decides at accept
 * (conntab_admit) whether a new connection may come in: not past the
 * per-address limit, and at the global limit only by evicting a connection
 * that is not being served, from the address holding the most.
 *
 * Dropping is the caller's drop callback (http.c: shutdown(2) of the
 * socket, never close: the HTTP library closes it after it has told
 * conntab_remove, which takes the same lock). Thread-safe.
 */
#ifndef EC2D_API_CONNTAB_H
#define EC2D_API_CONNTAB_H

#include <stdbool.h>
#include <sys/socket.h>

enum conn_phase {
	CONN_NEW,  /* accepted; no request line yet */
	CONN_HEAD, /* request line seen; headers not finished */
	CONN_BODY, /* headers in; body being received */
	CONN_BUSY, /* request being served or its reply sent */
	CONN_IDLE, /* keep-alive, between requests */
};

struct conntab_limits {
	unsigned max;	     /* connections at once */
	unsigned per_addr;   /* from one IPv4 address or IPv6 /64 */
	double header_s;     /* request line + headers, from accept (or from
			      the request line on a kept-alive connection) */
	double body_s;	     /* the body, from the end of the headers */
	double idle_s;	     /* keep-alive between requests */
	double idle_short_s; /* the same when CONNTAB_NEAR_PCT are in use */
};

#define CONNTAB_NEAR_PCT 90

struct conntab;
struct conn;

typedef void (*conntab_drop_fn)(void *ctx, int fd);

struct conntab *conntab_new(const struct conntab_limits *lim,
			    conntab_drop_fn drop, void *ctx);
/* Forgets what is left (the caller has closed its connections). */
void conntab_free(struct conntab *t);

/*
 * conntab_admit - may a connection from sa come in at time now? False when
 * its address is at the per-address limit, or when the table is full and
 * no connection can be evicted; at the limit it drops one first.
 */
bool conntab_admit(struct conntab *t, const struct sockaddr *sa, double now);

/* Track an accepted connection; NULL without memory (then untracked). */
struct conn *conntab_add(struct conntab *t, int fd, const struct sockaddr *sa,
			 double now);
/* c may be NULL (untracked): these then do nothing. */
void conntab_phase(struct conntab *t, struct conn *c, enum conn_phase p,
		   double now);
void conntab_remove(struct conntab *t, struct conn *c);

/* Drop every connection past its phase's deadline; how many. */
unsigned conntab_sweep(struct conntab *t, double now);

/* Connections tracked and not yet dropped. */
unsigned conntab_live(struct conntab *t);

/* What the policy did since the last call (for one log line a while). */
struct conntab_counts {
	unsigned long refused; /* not admitted */
	unsigned long evicted; /* dropped to admit another */
	unsigned long expired; /* dropped past a deadline */
};

void conntab_take_counts(struct conntab *t, struct conntab_counts *ret);

#endif

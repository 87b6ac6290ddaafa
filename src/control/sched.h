/*
 * sched.h - the scheduler: which host of which zone an instance runs on.
 *
 * Pure: plain structs in and out, no store, no agent, no clock, so the
 * EC2 handlers (RunInstances, StartInstances) and control's reconcilers
 * share it. The caller describes each host (its capacity and what the
 * instances that hold room on it use: every instance not stopped or
 * terminated) and the instance type's size; the scheduler answers with
 * host indexes or EC2's InsufficientInstanceCapacity.
 *
 * Placement, as EC2 does it for one RunInstances call:
 *  - all instances of a call land in one zone (one subnet);
 *  - with no zone asked for, the zone is the one with the fewest
 *    instances among those where at least MinCount fit (ties: the
 *    earlier zone), so launches spread over the region;
 *  - inside the zone each instance takes the first available host with
 *    room, in the hosts' order: a host is filled before the next;
 *  - between MinCount and MaxCount are placed, as many as fit; fewer than
 *    MinCount is InsufficientInstanceCapacity and nothing is placed.
 */
#ifndef EC2D_CONTROL_SCHED_H
#define EC2D_CONTROL_SCHED_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* What an instance type takes from a host, or what a host has. */
struct sched_size {
	unsigned vcpus;
	unsigned long long memory_mib;
	unsigned gpus;
};

struct sched_host {
	const char *id;
	const char *zone;
	bool available; /* new instances may land here */
	struct sched_size capacity;
	struct sched_size used; /* by the instances holding room here */
	unsigned instances;	/* how many hold room here */
};

/* One RunInstances call's instances: all of one type. */
struct sched_request {
	const char *type; /* its name, for the error message */
	struct sched_size size;
	unsigned min, max; /* 1 <= min <= max */
	/* The zone asked for (Placement, or the subnet's), or NULL. */
	const char *zone;
	/* The zones the region offers for this call, in order: the
	 * candidates when zone is NULL (and the ones the error suggests). */
	const char *const *zones;
	size_t nzones;
};

/* A stopped instance that StartInstances wants to run again on its own
 * host, where its root disk lives. */
struct sched_start {
	const char *host_id;
	const char *type; /* for the error message */
	const char *zone;
	struct sched_size size;
};

/* Has h (available or not) room for one more of size s? */
bool sched_fits(const struct sched_host *h, const struct sched_size *s);
/* Count one more of size s against h. */
void sched_take(struct sched_host *h, const struct sched_size *s);

/*
 * Place r's instances (above). ret_hosts has room for r->max entries and
 * gets each placed instance's host index; *ret_n is how many were placed
 * (min..max) and *ret_zone the zone (r->zone or one of r->zones). The
 * hosts' used sizes and counts include the placed ones afterwards.
 * -1 with InsufficientInstanceCapacity (hosts unchanged) when fewer than
 * r->min fit, or when no zone is asked for and none is offered.
 */
int sched_place(struct sched_host *hosts, size_t nhosts,
		const struct sched_request *r, size_t *ret_hosts, size_t *ret_n,
		const char **ret_zone, struct err *e);

/*
 * Do the n starts fit on their own hosts, counted together? A host that
 * is unknown or not available has no room. 0 with the hosts' use
 * grown, or -1 with InsufficientInstanceCapacity naming the first that
 * does not fit.
 */
int sched_admit(struct sched_host *hosts, size_t nhosts,
		const struct sched_start *v, size_t n, struct err *e);

#endif

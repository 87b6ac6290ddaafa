/*
 * events.h - the event log: every state change of a resource (from, to,
 * why, when), oldest first. DescribeInstances' StateTransitionReason is the
 * latest event's reason; status checks read the rest.
 *
 * The instance store functions record an instance's events themselves, in
 * the same transaction as the change, so no caller can forget one. A
 * resource keeps its latest STORE_EVENTS_KEEP events; deleting it deletes
 * them.
 */
#ifndef EC2D_STORE_EVENTS_H
#define EC2D_STORE_EVENTS_H

#include "store.h"

#define STORE_EVENTS_KEEP 50

struct event_row {
	long long seq; /* increases with every event */
	char resource_id[32];
	char from[16]; /* "" for the first */
	char to[16];
	char reason[128];
	time_t time;
};

int store_event_add(struct store_tx *tx, const char *resource_id,
		    const char *from, const char *to, const char *reason,
		    time_t when, struct err *e);
/* The resource's events, oldest first; free with free(). */
int store_event_list(struct store_tx *tx, const char *resource_id,
		     struct event_row **ret, size_t *ret_n, struct err *e);
int store_events_delete(struct store_tx *tx, const char *resource_id,
			struct err *e);

#endif

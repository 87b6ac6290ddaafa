/*
 * instances.h - the instance reconciler: store rows in, host wants out,
 * host observations back into EC2's states.
 *
 *   pending       + host RUNNING            -> running
 *   pending       + host FAILED             -> terminated
 *                                              (Server.InternalError)
 *   running       + guest powered off       -> stopped, or shutting-down when
 *                                              its shutdown behaviour is
 *                                              terminate
 *   stopping      + host STOPPED or ABSENT  -> stopped
 *   shutting-down + host ABSENT             -> terminated
 *   terminated for an hour                  -> deleted
 * Each instance's tap is plugged before its QEMU starts and unplugged when
 * it is stopped or terminated (a stopped instance keeps its address and
 * MAC in the store, not a tap and a bridge port); its metadata is republished to IMDS every pass. The
 * status check is ok once this boot's init finished and the guest has
 * read its metadata.
 * Each change is checked against the row as it is inside the writing
 * transaction, so a user's action in between is never overwritten.
 */
#ifndef EC2D_CONTROL_INSTANCES_H
#define EC2D_CONTROL_INSTANCES_H

#include "agent/host.h"
#include "common/config.h"
#include "store/store.h"

#define TERMINATED_VISIBLE_SECONDS 3600

struct fabric;

/* Ports (by number) this run of ec2d has plugged, with their taps, or
 * unplugged: sorted, grown as needed (a deployment may hold tens of
 * thousands of instances). */
struct port_set {
	struct port_entry {
		int port;
		char tap[16];
	} * v;
	size_t n, cap;
};

struct agents {
	struct host *hosts[CONFIG_MAX_HOSTS]; /* cloud.h's numbering */
	char ids[CONFIG_MAX_HOSTS][HOST_ID_MAX];
	size_t n;
	struct fabric *fabric;	   /* NULL: instances get no network */
	struct port_set plugged;   /* taps this run plugged */
	struct port_set unplugged; /* ports this run unplugged */
};

void instances_reconcile(const struct config *cfg, struct store *s,
			 struct agents *ag);
/* Free the port sets (the taps themselves are the fabric's). */
void instances_forget_ports(struct agents *ag);

#endif

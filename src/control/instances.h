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
 * it is terminated; its metadata is republished to IMDS every pass. The
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

#define PLUGGED_MAX 4096

struct agents {
	struct host *hosts[CONFIG_MAX_HOSTS]; /* cloud.h's numbering */
	char ids[CONFIG_MAX_HOSTS][HOST_ID_MAX];
	size_t n;
	struct fabric *fabric; /* NULL: instances get no network */
	struct {
		int port;
		char tap[16];
	} plugged[PLUGGED_MAX]; /* ports plugged by this run */
	size_t nplugged;
	int unplugged[PLUGGED_MAX]; /* ports unplugged by this run */
	size_t nunplugged;
};

void instances_reconcile(const struct config *cfg, struct store *s,
			 struct agents *ag);

#endif

/*
 * fabric.h - the network the control plane hands its hosts, and the
 * metadata service, in store terms: the deployment's tag and IMDS key
 * (kept in the store's meta), each VPC with its subnets, each instance's
 * port. What crosses to the agent is host.h's data (struct host_vpc,
 * struct host_port, struct host_metadata); the agent's copy of each
 * instance's metadata is republished by the instance reconciler every
 * pass, so IMDS keeps answering while the store is busy.
 */
#ifndef EC2D_CONTROL_FABRIC_H
#define EC2D_CONTROL_FABRIC_H

#include <stdbool.h>

#include "agent/host.h"
#include "common/config.h"
#include "common/err.h"
#include "store/instances.h"
#include "store/store.h"
#include "store/vpcs.h"

struct fabric;

/* Open (or take over) the deployment's network and start IMDS. */
int fabric_open(const struct config *cfg, struct store *s, struct fabric **ret,
		struct err *e);
/* destroy: remove every namespace and device (guests are gone). */
void fabric_close(struct fabric *f, bool destroy);

/* The namespace of host h (cloud.h's numbering; "" when none). */
const char *fabric_host_netns(const struct fabric *f, size_t h);

/* Make sure vpc (with its subnets) exists and IMDS listens in it. */
int fabric_vpc(struct fabric *f, const struct vpc_row *v,
	       const struct subnet_row *subnets, size_t n, struct err *e);

/* Plug (idempotent) i's tap on host h; its name into tap[16]. */
int fabric_plug(struct fabric *f, size_t h, int vpc_no,
		const struct instance *i, char tap[16], struct err *e);
int fabric_unplug(struct fabric *f, size_t h, int vpc_no,
		  const struct instance *i, struct err *e);

/* Replace the metadata IMDS serves (a copy is taken). */
void fabric_publish(struct fabric *f, const struct host_metadata *md, size_t n);

/* The instances that read their metadata (host_net_reads). */
size_t fabric_reads(struct fabric *f, struct host_read *out, size_t max);

/* Called when a guest read its metadata. */
void fabric_set_notify(struct fabric *f, void (*fn)(void *), void *ctx);

#endif

/*
 * fabric.h - the network the control plane hands its hosts, and the
 * metadata service: per deployment a tag (so two ec2d never collide), per
 * zone's host a network namespace (QEMU runs there), per VPC a router
 * namespace with the gateways, dnsmasq and the IMDS socket, per instance a
 * tap with its address. IMDS answers from the agent's copy of each
 * instance's metadata, which the instance reconciler republishes every
 * pass, so it keeps answering while the store is busy.
 */
#ifndef EC2D_CONTROL_FABRIC_H
#define EC2D_CONTROL_FABRIC_H

#include <stdbool.h>

#include "agent/imds/imds.h"
#include "common/config.h"
#include "common/err.h"
#include "store/instances.h"
#include "store/store.h"
#include "store/vpcs.h"

struct fabric;

/* Open (or take over) the deployment's network and start IMDS. */
int fabric_open(const struct config *cfg, struct store *s,
		struct fabric **ret, struct err *e);
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
void fabric_publish(struct fabric *f, const struct imds_metadata *md,
		    unsigned *vpc_of, size_t n);

/* Has instance id read its metadata since fabric_forget(id)? */
bool fabric_was_read(struct fabric *f, const char *id);
void fabric_forget(struct fabric *f, const char *id);

/* Called when a guest read its metadata. */
void fabric_set_notify(struct fabric *f, void (*fn)(void *), void *ctx);

#endif

/*
 * imds_server.h - the metadata service on 169.254.169.254:80 of every VPC.
 *
 * One listening socket per VPC, opened inside the VPC's router namespace
 * (where net_vpc_ensure put 169.254.169.254/32 on lo): the socket names
 * the VPC, the peer address names the instance, no NAT. Each VPC has a
 * libmicrohttpd daemon with its own epoll thread; a request is answered
 * by imds_handle() with the metadata the caller's lookup returns.
 *
 * The callbacks run on those threads, concurrently: they must be
 * thread-safe and must not block (copy from the agent's memory; the
 * service must answer while the control plane is away).
 */
#ifndef EC2D_AGENT_IMDS_IMDS_SERVER_H
#define EC2D_AGENT_IMDS_IMDS_SERVER_H

#include "agent/imds/imds.h"
#include "common/err.h"

#define IMDS_PORT		80
#define IMDS_CONNECTIONS_MAX	256 /* per VPC */
#define IMDS_CONNECTIONS_PER_IP 16  /* one busy instance cannot starve */
#define IMDS_TIMEOUT_S		10

/* Fill *out for the instance at peer_ip in VPC vpc: 0, or -ENOENT. */
typedef int (*imds_lookup_fn)(void *ctx, unsigned vpc, const char *peer_ip,
			      struct host_metadata *out);
/* The instance has read its metadata (the status check may turn ok).
 * Called on every successful read: keep it cheap. */
typedef void (*imds_read_fn)(void *ctx, unsigned vpc, const char *instance_id);

struct imds_server_config {
	imds_lookup_fn lookup;
	imds_read_fn on_read; /* may be NULL */
	void *ctx;
	/* IMDS_TOKEN_KEY_LEN bytes; NULL: random (tokens end with ec2d). */
	const unsigned char *token_key;
	unsigned port; /* 0: IMDS_PORT (tests may move it) */
};

struct imds_server;

int imds_server_new(const struct imds_server_config *cfg,
		    struct imds_server **ret, struct err *e);

/*
 * Serve VPC vpc from inside netns. Idempotent: when a socket for vpc
 * already exists in that very namespace nothing happens; when the
 * namespace was made anew (its router was recreated) the old listener is
 * replaced.
 */
int imds_server_listen(struct imds_server *s, unsigned vpc, const char *netns,
		       struct err *e);
/* Stop serving a VPC (no-op when it is not served). */
void imds_server_unlisten(struct imds_server *s, unsigned vpc);

/* Stop every listener and free. */
void imds_server_free(struct imds_server *s);

#endif

/*
 * host_net.c - the agent's network and metadata service behind host.h:
 * host namespaces, VPC routers, ports (net.h) and IMDS (imds_server.h),
 * driven by plain data from the control plane.
 *
 * Keeps the metadata last published (host_net_publish) and the instances
 * that read theirs since; IMDS's threads look both up under one mutex, so
 * the service answers while the control plane is away.
 */
#include "agent/host.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/imds/imds_server.h"
#include "agent/net/net.h"
#include "agent/registry.h"
#include "common/log.h"

#define READS_MAX 4096
#define VPCS_MAX  64

struct host_net {
	struct net *net;
	struct imds_server *imds;
	unsigned vpcs_listening[VPCS_MAX];
	size_t nvpcs;
	unsigned char token_key[IMDS_TOKEN_KEY_LEN];
	int registry_fd; /* holds the registry entry; -1: none */
	char tag[8];

	pthread_mutex_t lock; /* guards what follows */
	struct host_metadata *md;
	size_t nmd;
	char (*read)[32]; /* instances that read metadata */
	size_t nread;
	void (*notify)(void *);
	void *notify_ctx;
};

_Static_assert(HOST_IMDS_KEY_LEN == IMDS_TOKEN_KEY_LEN, "IMDS key length");

static int
lookup(void *ctx, unsigned vpc, const char *peer, struct host_metadata *out)
{
	struct host_net *n = ctx;
	int rc = -1;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->nmd; i++)
		if (n->md[i].vpc == vpc &&
		    strcmp(n->md[i].local_ipv4, peer) == 0) {
			*out = n->md[i];
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&n->lock);
	return rc;
}

static void
on_read(void *ctx, unsigned vpc, const char *id)
{
	struct host_net *n = ctx;
	bool known = false;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->nread; i++)
		known = known || strcmp(n->read[i], id) == 0;
	if (!known && n->nread < READS_MAX)
		snprintf(n->read[n->nread++], sizeof(n->read[0]), "%s", id);
	pthread_mutex_unlock(&n->lock);
	if (!known && n->notify)
		n->notify(n->notify_ctx);
}

static int
key_of(const char *hex, unsigned char key[IMDS_TOKEN_KEY_LEN], struct err *e)
{
	if (strlen(hex) != 2 * IMDS_TOKEN_KEY_LEN)
		return err_set(e, "InvalidParameterValue",
			       "host: the IMDS key must be %d hex digits",
			       2 * IMDS_TOKEN_KEY_LEN);
	for (size_t i = 0; i < IMDS_TOKEN_KEY_LEN; i++) {
		unsigned b = 0;

		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			unsigned v;

			if (c >= '0' && c <= '9')
				v = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v = (unsigned)(c - 'A' + 10);
			else
				return err_set(e, "InvalidParameterValue",
					       "host: the IMDS key is not hex");
			b = b * 16 + v;
		}
		key[i] = (unsigned char)b;
	}
	return 0;
}

/* The machine's registry entry of the tag, held while the network is. */
static int
registry_enter(struct host_net *n, const struct host_net_config *cfg,
	       struct err *e)
{
	int rc = registry_hold(REGISTRY_DIR, cfg->tag, cfg->data_dir,
			       &n->registry_fd);

	if (rc == -EBUSY)
		return err_set(e, "InternalError",
			       "deployment %s is held by another process "
			       "(ec2d down or ec2d gc)",
			       cfg->tag);
	if (rc < 0)
		return err_set(e, "InternalError",
			       "cannot register deployment %s in %s: %s",
			       cfg->tag, REGISTRY_DIR, strerror(-rc));
	return 0;
}

int
host_net_open(const struct host_net_config *cfg, struct host_net **ret,
	      struct host_net_info *info, struct err *e)
{
	struct host_net *n;
	struct net_config nc = {.tag = ""};
	struct imds_server_config ic = {.lookup = lookup, .on_read = on_read};

	memset(info, 0, sizeof(*info));
	if (cfg->nhosts > HOST_NET_HOSTS_MAX)
		return err_set(e, "InvalidParameterValue",
			       "host: at most %d hosts", HOST_NET_HOSTS_MAX);
	n = calloc(1, sizeof(*n));
	if (!n)
		return err_set(e, "InternalError", "Out of memory.");
	pthread_mutex_init(&n->lock, NULL);
	n->registry_fd = -1;
	n->read = calloc(READS_MAX, sizeof(*n->read));
	if (!n->read) {
		err_set(e, "InternalError", "Out of memory.");
		goto fail;
	}
	if (key_of(cfg->imds_key, n->token_key, e) < 0)
		goto fail;
	if (strlen(cfg->tag) > NET_TAG_MAX) {
		err_set(e, "InvalidParameterValue", "host: tag too long");
		goto fail;
	}
	snprintf(nc.tag, sizeof(nc.tag), "%.6s", cfg->tag);
	snprintf(n->tag, sizeof(n->tag), "%.6s", cfg->tag);
	/* Registered before anything exists, so gc can find all of it. */
	if (cfg->data_dir[0] && registry_enter(n, cfg, e) < 0)
		goto fail;
	if (net_open(&nc, &n->net, e) < 0)
		goto fail;
	for (size_t h = 0; h < cfg->nhosts; h++)
		if (net_host_ensure(n->net, cfg->hosts[h], info->netns[h], e) <
		    0)
			goto fail;
	info->nhosts = cfg->nhosts;
	ic.ctx = n;
	ic.token_key = n->token_key;
	if (imds_server_new(&ic, &n->imds, e) < 0)
		goto fail;
	log_msg(LOG_INFO, "network open", "tag=%s hosts=%zu", nc.tag,
		cfg->nhosts);
	*ret = n;
	return 0;
fail:
	host_net_close(n, false);
	return -1;
}

void
host_net_close(struct host_net *n, bool destroy)
{
	struct err e = {"", ""};

	if (!n)
		return;
	imds_server_free(n->imds);
	if (n->net && destroy && net_destroy(n->net, &e) < 0) {
		log_msg(LOG_WARN, "network destroy failed", "error=\"%s\"",
			e.message);
		destroy = false; /* the entry stays: gc can finish it */
	}
	if (destroy && n->registry_fd >= 0)
		registry_drop(REGISTRY_DIR, n->tag, n->registry_fd);
	else if (n->registry_fd >= 0)
		close(n->registry_fd);
	net_close(n->net);
	free(n->md);
	free(n->read);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

int
host_net_vpc(struct host_net *n, const struct host_vpc *v, struct err *e)
{
	const char *cidrs[HOST_VPC_SUBNETS_MAX];
	struct net_vpc nv = {.no = v->no, .cidr = v->cidr};
	char ns[NET_NSNAME_SIZE];

	if (v->nsubnets > HOST_VPC_SUBNETS_MAX)
		return err_set(e, "InvalidParameterValue",
			       "host: at most %d subnets in a VPC",
			       HOST_VPC_SUBNETS_MAX);
	for (size_t i = 0; i < v->nsubnets; i++)
		cidrs[i] = v->subnets[i];
	nv.subnets = cidrs;
	nv.nsubnets = v->nsubnets;
	if (net_vpc_ensure(n->net, &nv, ns, e) < 0)
		return -1;
	for (size_t i = 0; i < n->nvpcs; i++)
		if (n->vpcs_listening[i] == nv.no)
			return 0;
	if (n->nvpcs == VPCS_MAX)
		return err_set(e, "InternalError", "Too many VPCs.");
	if (imds_server_listen(n->imds, nv.no, ns, e) < 0)
		return -1;
	n->vpcs_listening[n->nvpcs++] = nv.no;
	return 0;
}

static void
port_of(const struct host_port *hp, struct net_port *p)
{
	memset(p, 0, sizeof(*p));
	p->host = hp->host;
	p->vpc = hp->vpc;
	p->port = hp->port;
	p->mac = hp->mac;
	p->ip = hp->ip;
	p->kind = NET_PORT_TAP;
	/* Root's alone: QEMU gets its tap open (launch.c), so no other
	 * QEMU running as the same user can attach to it. */
	p->owner_uid = p->owner_gid = -1;
	p->instance_id = hp->instance_id;
}

int
host_net_plug(struct host_net *n, const struct host_port *hp, char tap[16],
	      struct err *e)
{
	struct net_port p;

	port_of(hp, &p);
	return net_port_plug(n->net, &p, tap, e);
}

int
host_net_unplug(struct host_net *n, const struct host_port *hp, struct err *e)
{
	struct net_port p;

	port_of(hp, &p);
	return net_port_unplug(n->net, &p, e);
}

/* Mutex held: forget that id read its metadata. */
static void
forget(struct host_net *n, size_t i)
{
	memmove(n->read[i], n->read[i + 1],
		(n->nread - i - 1) * sizeof(n->read[0]));
	n->nread--;
}

void
host_net_publish(struct host_net *n, const struct host_metadata *md,
		 size_t count)
{
	struct host_metadata *copy =
	    malloc((count ? count : 1) * sizeof(*copy));

	if (!copy)
		return;
	memcpy(copy, md, count * sizeof(*copy));
	pthread_mutex_lock(&n->lock);
	free(n->md);
	n->md = copy;
	n->nmd = count;
	/* Remember reads only of instances still served (bounded), and
	 * not those of an earlier launch of a fresh one. */
	for (size_t i = 0; i < n->nread;) {
		bool live = false, fresh = false;

		for (size_t k = 0; k < count && !live; k++)
			if (strcmp(copy[k].instance_id, n->read[i]) == 0) {
				live = true;
				fresh = copy[k].fresh;
			}
		if (live && !fresh)
			i++;
		else
			forget(n, i);
	}
	pthread_mutex_unlock(&n->lock);
}

size_t
host_net_reads(struct host_net *n, struct host_read *out, size_t max)
{
	size_t k = 0;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->nread && k < max; i++, k++)
		snprintf(out[k].instance_id, sizeof(out[k].instance_id), "%s",
			 n->read[i]);
	pthread_mutex_unlock(&n->lock);
	return k;
}

void
host_net_set_notify(struct host_net *n, void (*fn)(void *), void *ctx)
{
	n->notify = fn;
	n->notify_ctx = ctx;
}

/*
 * fabric.c - the deployment's network and metadata service, from store
 * rows to host.h's data. See fabric.h.
 *
 * The tag and the IMDS token key live in the store (meta), so a restarted
 * ec2d takes over the same namespaces and keeps honouring tokens it gave.
 */
#include "fabric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "common/log.h"
#include "store/meta.h"

struct fabric {
	struct host_net *net;
	struct host_net_info info;
	unsigned host_no[CONFIG_MAX_HOSTS];
};

_Static_assert(CONFIG_MAX_HOSTS <= HOST_NET_HOSTS_MAX, "hosts");

int
fabric_open(const struct config *cfg, struct store *s, struct fabric **ret,
	    struct err *e)
{
	struct fabric *f = calloc(1, sizeof(*f));
	struct host_net_config nc = {.tag = ""};

	if (!f)
		return err_set(e, "InternalError", "Out of memory.");
	if (store_meta_once(s, "net_tag", nc.tag, sizeof(nc.tag), 5, true, e) <
		0 ||
	    store_meta_once(s, "imds_token_key", nc.imds_key,
			    sizeof(nc.imds_key), HOST_IMDS_KEY_LEN, false,
			    e) < 0)
		goto fail;
	/* The registry names it absolutely: gc runs from anywhere. */
	{
		char *abs = realpath(cfg->data_dir, NULL);

		snprintf(nc.data_dir, sizeof(nc.data_dir), "%s",
			 abs ? abs : cfg->data_dir);
		free(abs);
	}
	nc.nhosts = cloud_nhosts(cfg);
	for (size_t h = 0; h < nc.nhosts; h++)
		nc.hosts[h] = f->host_no[h] = cloud_host_no(cfg, h);
	if (host_net_open(&nc, &f->net, &f->info, e) < 0)
		goto fail;
	*ret = f;
	return 0;
fail:
	fabric_close(f, false);
	return -1;
}

void
fabric_close(struct fabric *f, bool destroy)
{
	if (!f)
		return;
	host_net_close(f->net, destroy);
	free(f);
}

const char *
fabric_host_netns(const struct fabric *f, size_t h)
{
	return f && h < f->info.nhosts ? f->info.netns[h] : "";
}

int
fabric_vpc(struct fabric *f, const struct vpc_row *v,
	   const struct subnet_row *subnets, size_t n, struct err *e)
{
	struct host_vpc *hv = calloc(1, sizeof(*hv));
	int rc;

	if (!hv)
		return err_set(e, "InternalError", "Out of memory.");
	hv->no = (unsigned)v->vni;
	snprintf(hv->cidr, sizeof(hv->cidr), "%s", v->cidr);
	for (size_t i = 0; i < n && hv->nsubnets < HOST_VPC_SUBNETS_MAX; i++)
		if (strcmp(subnets[i].vpc_id, v->id) == 0)
			snprintf(hv->subnets[hv->nsubnets++],
				 sizeof(hv->subnets[0]), "%s", subnets[i].cidr);
	rc = host_net_vpc(f->net, hv, e);
	free(hv);
	return rc;
}

static void
port_of(const struct fabric *f, const struct instance *i, size_t h, int vpc_no,
	struct host_port *p)
{
	memset(p, 0, sizeof(*p));
	p->host = h < CONFIG_MAX_HOSTS ? f->host_no[h] : 0;
	p->vpc = (unsigned)vpc_no;
	p->port = (unsigned)i->port_no;
	snprintf(p->mac, sizeof(p->mac), "%s", i->mac);
	snprintf(p->ip, sizeof(p->ip), "%s", i->private_ip);
	snprintf(p->instance_id, sizeof(p->instance_id), "%s", i->id);
}

int
fabric_plug(struct fabric *f, size_t h, int vpc_no, const struct instance *i,
	    char tap[16], struct err *e)
{
	struct host_port p;

	port_of(f, i, h, vpc_no, &p);
	return host_net_plug(f->net, &p, tap, e);
}

int
fabric_unplug(struct fabric *f, size_t h, int vpc_no, const struct instance *i,
	      struct err *e)
{
	struct host_port p;

	port_of(f, i, h, vpc_no, &p);
	return host_net_unplug(f->net, &p, e);
}

void
fabric_publish(struct fabric *f, const struct host_metadata *md, size_t n)
{
	host_net_publish(f->net, md, n);
}

size_t
fabric_reads(struct fabric *f, struct host_read *out, size_t max)
{
	return host_net_reads(f->net, out, max);
}

void
fabric_set_notify(struct fabric *f, void (*fn)(void *), void *ctx)
{
	host_net_set_notify(f->net, fn, ctx);
}

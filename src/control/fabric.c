/*
 * fabric.c - the deployment's network and metadata service. See fabric.h.
 *
 * The tag and the IMDS token key live in the store (meta), so a restarted
 * ec2d takes over the same namespaces and keeps honouring tokens it gave.
 */
#include "fabric.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/imds/imds_server.h"
#include "agent/net/net.h"
#include "cloud.h"
#include "common/ids.h"
#include "common/log.h"
#include "store/meta.h"

#define READS_MAX 4096

struct fabric {
	const struct config *cfg;
	struct net *net;
	struct imds_server *imds;
	char host_ns[CONFIG_MAX_HOSTS][NET_NSNAME_SIZE];
	unsigned host_no[CONFIG_MAX_HOSTS];
	unsigned vpcs_listening[64];
	size_t nvpcs;
	unsigned char token_key[IMDS_TOKEN_KEY_LEN];

	pthread_mutex_t lock;		/* guards what follows */
	struct imds_metadata *md;
	unsigned *md_vpc;
	size_t nmd;
	char (*read)[32];		/* instances that read metadata */
	size_t nread;
	void (*notify)(void *);
	void *notify_ctx;
};

/* A meta value made once: n random bytes as hex, or text when text. */
static int
meta_once(struct store *s, const char *key, char *val, size_t size,
	  size_t n, bool text, struct err *e)
{
	struct store_tx *tx = store_begin(s, true, e);
	int rc;

	if (!tx)
		return -1;
	rc = store_meta_get(tx, key, val, size, e);
	if (rc == 1) {
		if (text) {
			id_random_text(val, n, 0);
			for (char *p = val; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
		} else {
			unsigned char r[64];

			id_random(r, n);
			for (size_t i = 0; i < n; i++)
				snprintf(val + 2 * i, 3, "%02x", r[i]);
		}
		rc = store_meta_set(tx, key, val, e);
	}
	if (rc < 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx, e);
}

static int
lookup(void *ctx, unsigned vpc, const char *peer, struct imds_metadata *out)
{
	struct fabric *f = ctx;
	int rc = -1;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nmd; i++)
		if (f->md_vpc[i] == vpc && strcmp(f->md[i].local_ipv4, peer) == 0) {
			*out = f->md[i];
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static void
on_read(void *ctx, unsigned vpc, const char *id)
{
	struct fabric *f = ctx;
	bool known = false;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nread; i++)
		known = known || strcmp(f->read[i], id) == 0;
	if (!known && f->nread < READS_MAX)
		snprintf(f->read[f->nread++], sizeof(f->read[0]), "%s", id);
	pthread_mutex_unlock(&f->lock);
	if (!known && f->notify)
		f->notify(f->notify_ctx);
}

int
fabric_open(const struct config *cfg, struct store *s, struct fabric **ret,
	    struct err *e)
{
	struct fabric *f = calloc(1, sizeof(*f));
	struct net_config nc = { .tag = "" };
	char keyhex[2 * IMDS_TOKEN_KEY_LEN + 1];
	struct imds_server_config ic = { .lookup = lookup,
					 .on_read = on_read };

	if (!f)
		return err_set(e, "InternalError", "Out of memory.");
	pthread_mutex_init(&f->lock, NULL);
	f->cfg = cfg;
	f->read = calloc(READS_MAX, sizeof(*f->read));
	if (!f->read ||
	    meta_once(s, "net_tag", nc.tag, sizeof(nc.tag), 5, true, e) < 0 ||
	    meta_once(s, "imds_token_key", keyhex, sizeof(keyhex),
		      IMDS_TOKEN_KEY_LEN, false, e) < 0)
		goto fail;
	for (size_t i = 0; i < IMDS_TOKEN_KEY_LEN; i++) {
		unsigned b = 0;

		sscanf(keyhex + 2 * i, "%2x", &b);
		f->token_key[i] = (unsigned char)b;
	}
	if (net_open(&nc, &f->net, e) < 0)
		goto fail;
	for (size_t h = 0; h < cloud_nhosts(cfg); h++) {
		f->host_no[h] = cloud_host_no(cfg, h);
		if (net_host_ensure(f->net, f->host_no[h], f->host_ns[h], e) <
		    0)
			goto fail;
	}
	ic.ctx = f;
	ic.token_key = f->token_key;
	if (imds_server_new(&ic, &f->imds, e) < 0)
		goto fail;
	log_msg(LOG_INFO, "network open", "tag=%s hosts=%zu", nc.tag,
		cloud_nhosts(cfg));
	*ret = f;
	return 0;
fail:
	fabric_close(f, false);
	return -1;
}

void
fabric_close(struct fabric *f, bool destroy)
{
	struct err e = { "", "" };

	if (!f)
		return;
	imds_server_free(f->imds);
	if (f->net && destroy && net_destroy(f->net, &e) < 0)
		log_msg(LOG_WARN, "network destroy failed", "error=\"%s\"",
			e.message);
	net_close(f->net);
	free(f->md);
	free(f->md_vpc);
	free(f->read);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

const char *
fabric_host_netns(const struct fabric *f, size_t h)
{
	return f && h < CONFIG_MAX_HOSTS ? f->host_ns[h] : "";
}

int
fabric_vpc(struct fabric *f, const struct vpc_row *v,
	   const struct subnet_row *subnets, size_t n, struct err *e)
{
	const char *cidrs[CONFIG_MAX_ZONES * 4];
	struct net_vpc nv = { .no = (unsigned)v->vni, .cidr = v->cidr };
	char ns[NET_NSNAME_SIZE];

	for (size_t i = 0; i < n && nv.nsubnets < sizeof(cidrs) / sizeof(*cidrs);
	     i++)
		if (strcmp(subnets[i].vpc_id, v->id) == 0)
			cidrs[nv.nsubnets++] = subnets[i].cidr;
	nv.subnets = cidrs;
	if (net_vpc_ensure(f->net, &nv, ns, e) < 0)
		return -1;
	for (size_t i = 0; i < f->nvpcs; i++)
		if (f->vpcs_listening[i] == nv.no)
			return 0;
	if (f->nvpcs == sizeof(f->vpcs_listening) / sizeof(unsigned))
		return err_set(e, "InternalError", "Too many VPCs.");
	if (imds_server_listen(f->imds, nv.no, ns, e) < 0)
		return -1;
	f->vpcs_listening[f->nvpcs++] = nv.no;
	return 0;
}

static void
port_of(const struct fabric *f, const struct instance *i, size_t h,
	int vpc_no, struct net_port *p)
{
	memset(p, 0, sizeof(*p));
	p->host = h < CONFIG_MAX_HOSTS ? f->host_no[h] : 0;
	p->vpc = (unsigned)vpc_no;
	p->port = (unsigned)i->port_no;
	p->mac = i->mac;
	p->ip = i->private_ip;
	p->kind = NET_PORT_TAP;
	/* Root's alone: QEMU gets its tap open (launch.c), so no other
	 * QEMU running as the same user can attach to it. */
	p->owner_uid = p->owner_gid = -1;
	p->instance_id = i->id;
}

int
fabric_plug(struct fabric *f, size_t h, int vpc_no, const struct instance *i,
	    char tap[16], struct err *e)
{
	struct net_port p;

	port_of(f, i, h, vpc_no, &p);
	return net_port_plug(f->net, &p, tap, e);
}

int
fabric_unplug(struct fabric *f, size_t h, int vpc_no,
	      const struct instance *i, struct err *e)
{
	struct net_port p;

	port_of(f, i, h, vpc_no, &p);
	return net_port_unplug(f->net, &p, e);
}

void
fabric_publish(struct fabric *f, const struct imds_metadata *md,
	       unsigned *vpc_of, size_t n)
{
	struct imds_metadata *copy = malloc((n ? n : 1) * sizeof(*copy));
	unsigned *vpcs = malloc((n ? n : 1) * sizeof(*vpcs));

	if (!copy || !vpcs) {
		free(copy);
		free(vpcs);
		return;
	}
	memcpy(copy, md, n * sizeof(*copy));
	memcpy(vpcs, vpc_of, n * sizeof(*vpcs));
	pthread_mutex_lock(&f->lock);
	free(f->md);
	free(f->md_vpc);
	f->md = copy;
	f->md_vpc = vpcs;
	f->nmd = n;
	/* Remember reads only of instances still served: bounded. */
	for (size_t i = 0; i < f->nread;) {
		bool live = false;

		for (size_t k = 0; k < n && !live; k++)
			live = strcmp(copy[k].instance_id, f->read[i]) == 0;
		if (live) {
			i++;
			continue;
		}
		memmove(f->read[i], f->read[i + 1],
			(f->nread - i - 1) * sizeof(f->read[0]));
		f->nread--;
	}
	pthread_mutex_unlock(&f->lock);
}

bool
fabric_was_read(struct fabric *f, const char *id)
{
	bool hit = false;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nread && !hit; i++)
		hit = strcmp(f->read[i], id) == 0;
	pthread_mutex_unlock(&f->lock);
	return hit;
}

void
fabric_forget(struct fabric *f, const char *id)
{
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nread; i++)
		if (strcmp(f->read[i], id) == 0) {
			memmove(f->read[i], f->read[i + 1],
				(f->nread - i - 1) * sizeof(f->read[0]));
			f->nread--;
			break;
		}
	pthread_mutex_unlock(&f->lock);
}

void
fabric_set_notify(struct fabric *f, void (*fn)(void *), void *ctx)
{
	f->notify = fn;
	f->notify_ctx = ctx;
}

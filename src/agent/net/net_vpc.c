/*
 * net_vpc.c - a VPC's router namespace and its dnsmasq. See net.h
 * (net_vpc_ensure, net_vpc_remove).
 *
 * The router holds one bridge with every subnet's gateway, the metadata
 * address on lo and a dnsmasq whose configuration is rendered from the
 * subnets; dnsmasq restarts only when that text changes, and reloads
 * (SIGHUP) when a port's host line changes (net_port.c).
 */
#include "agent/net/net.h"
#include "agent/net/net_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/net/net_dhcp.h"
#include "agent/net/net_file.h"
#include "agent/net/net_render.h"
#include "agent/net/netns.h"
#include "common/log.h"

/* Parse and check the VPC: AWS's sizes, subnets inside, no overlap. */
static int
vpc_parse(const struct net_vpc *v, struct ipv4_cidr *ret_vpc,
	  struct ipv4_cidr *subnets, struct err *e)
{
	if (v->no < 1 || v->no > NET_NUM_MAX)
		return err_set(e, "InvalidParameterValue", "VPC number %u",
			       v->no);
	if (ipv4_cidr_parse(v->cidr, ret_vpc) < 0 ||
	    ret_vpc->prefix < IPV4_VPC_PREFIX_MIN ||
	    ret_vpc->prefix > IPV4_VPC_PREFIX_MAX)
		return err_set(e, "InvalidParameterValue",
			       "VPC CIDR block %s: a /%d to /%d network",
			       v->cidr ? v->cidr : "(none)",
			       IPV4_VPC_PREFIX_MIN, IPV4_VPC_PREFIX_MAX);
	if (v->nsubnets > NET_SUBNETS_MAX)
		return err_set(e, "InvalidParameterValue",
			       "%zu subnets: at most %d", v->nsubnets,
			       NET_SUBNETS_MAX);
	for (size_t i = 0; i < v->nsubnets; i++) {
		if (ipv4_cidr_parse(v->subnets[i], &subnets[i]) < 0 ||
		    !ipv4_cidr_within(&subnets[i], ret_vpc) ||
		    subnets[i].prefix > IPV4_VPC_PREFIX_MAX)
			return err_set(e, "InvalidParameterValue",
				       "subnet %s: a /%d or larger network "
				       "inside %s",
				       v->subnets[i], IPV4_VPC_PREFIX_MAX,
				       v->cidr);
		for (size_t j = 0; j < i; j++)
			if (ipv4_cidr_overlap(&subnets[i], &subnets[j]))
				return err_set(e, "InvalidParameterValue",
					       "subnets %s and %s overlap",
					       v->subnets[j], v->subnets[i]);
	}
	return 0;
}

static int
router_ensure(struct net *n, const struct net_vpc *v, const char *ns,
	      const struct ipv4_cidr *subnets, struct err *e)
{
	struct net_router_spec spec = {
	    .tag = n->cfg.tag,
	    .vpc = v->no,
	    .subnets = subnets,
	    .nsubnets = v->nsubnets,
	};
	struct net_observed o;
	struct buf batch;
	int rc = -1;

	net_observed_init(&o);
	buf_init(&batch, NET_BATCH_MAX);
	if (net_ns_ensure(n, ns, NET_NS_ROUTER, e) < 0 ||
	    net_observe(ns, &o, e) < 0)
		goto out;
	if (net_render_router(&spec, &o, &batch) < 0) {
		err_set(e, "InternalError", "router batch of VPC %u", v->no);
		goto out;
	}
	rc = net_ip_batch(n, ns, &batch, "configure the VPC router", e);
out:
	buf_free(&batch);
	net_observed_free(&o);
	return rc;
}

/* Write dnsmasq's configuration; 1 when it changed. */
static int
dhcp_configure(struct net *n, const struct net_vpc *v,
	       const struct ipv4_cidr *subnets, const struct vpc_paths *p,
	       struct err *e)
{
	char br[NET_IFNAME_SIZE];
	struct net_dhcp_spec spec = {
	    .iface = br,
	    .pid_file = p->pid,
	    .hosts_dir = p->hosts,
	    .log_file = p->log,
	    .subnets = subnets,
	    .nsubnets = v->nsubnets,
	};
	struct buf conf;
	int rc;

	net_name_dev(n->cfg.tag, NET_DEV_ROUTER_BRIDGE, v->no, br);
	rc = net_file_mkdir_p(p->hosts, 0755);
	if (rc < 0)
		return net_fail(e, "make the DHCP folder", rc, NULL);
	buf_init(&conf, NET_BATCH_MAX);
	if (net_render_dnsmasq_conf(&spec, &conf) < 0 || buf_failed(&conf)) {
		buf_free(&conf);
		return err_set(e, "InternalError",
			       "dnsmasq configuration of VPC %u", v->no);
	}
	rc = net_file_replace(p->conf, buf_cstr(&conf));
	buf_free(&conf);
	if (rc < 0)
		return net_fail(e, "write the dnsmasq configuration", rc, NULL);
	return rc;
}

int
net_dhcp_ensure(struct net *n, unsigned vpc, int reload, struct err *e)
{
	char ns[NET_NSNAME_SIZE];
	struct vpc_paths p;
	struct buf out;
	struct stat st;
	pid_t pid;
	int rc;

	net_name_vpc_ns(n->cfg.tag, vpc, ns);
	net_vpc_paths(n, vpc, &p);
	/* dnsmasq appends (O_APPEND): emptying the file under it is safe. */
	if (stat(p.log, &st) == 0 && st.st_size > NET_DHCP_LOG_MAX)
		truncate(p.log, 0);
	pid = net_dhcp_pid(p.pid, p.conf, ns);
	if (pid > 0) {
		rc = reload ? net_dhcp_reload(pid, p.conf, ns) : 0;
		if (rc != -ESRCH)
			return rc < 0 ? net_fail(e, "reload dnsmasq", rc, NULL)
				      : 0;
	}
	if (access(p.conf, R_OK) < 0)
		return err_set(e, "InternalError",
			       "VPC %u has no DHCP configuration", vpc);
	buf_init(&out, NET_RUN_OUTPUT_MAX + 1);
	rc = net_dhcp_start(n->cfg.dnsmasq_bin, p.conf, ns, &out);
	if (rc < 0)
		net_fail(e, "start dnsmasq", rc, &out);
	else
		log_msg(LOG_INFO, "dnsmasq started", "vpc=%u netns=%s", vpc,
			ns);
	buf_free(&out);
	return rc < 0 ? -1 : 0;
}

int
net_vpc_ensure(struct net *n, const struct net_vpc *v,
	       char ret_ns[NET_NSNAME_SIZE], struct err *e)
{
	struct ipv4_cidr vpc, *subnets;
	char ns[NET_NSNAME_SIZE];
	struct vpc_paths p;
	int rc = -1, changed;
	pid_t pid;

	subnets = calloc(v->nsubnets ? v->nsubnets : 1, sizeof(*subnets));
	if (!subnets)
		return err_set(e, "InternalError", "out of memory");
	if (vpc_parse(v, &vpc, subnets, e) < 0) {
		free(subnets);
		return -1;
	}
	net_name_vpc_ns(n->cfg.tag, v->no, ns);
	net_vpc_paths(n, v->no, &p);
	pthread_mutex_lock(&n->lock);
	if (router_ensure(n, v, ns, subnets, e) < 0)
		goto out;
	changed = dhcp_configure(n, v, subnets, &p, e);
	if (changed < 0)
		goto out;
	pid = net_dhcp_pid(p.pid, p.conf, ns);
	if (pid > 0 && changed) {
		/* New subnets: dnsmasq reads dhcp-range only at start. */
		rc = net_dhcp_stop(pid, p.conf, ns);
		if (rc < 0) {
			net_fail(e, "stop dnsmasq", rc, NULL);
			goto out;
		}
	}
	rc = net_dhcp_ensure(n, v->no, 0, e);
	if (rc == 0)
		memcpy(ret_ns, ns, sizeof(ns));
out:
	pthread_mutex_unlock(&n->lock);
	free(subnets);
	return rc;
}

/* Delete the VPC's bridge and uplink from one host namespace. */
static int
host_forget_vpc(struct net *n, const char *host_ns, unsigned vpc, struct err *e)
{
	char br[NET_IFNAME_SIZE], up[NET_IFNAME_SIZE];
	struct net_observed o;
	struct buf batch;
	int rc;

	net_name_dev(n->cfg.tag, NET_DEV_BRIDGE, vpc, br);
	net_name_dev(n->cfg.tag, NET_DEV_UPLINK, vpc, up);
	net_observed_init(&o);
	buf_init(&batch, NET_BATCH_MAX);
	rc = net_observe(host_ns, &o, e);
	if (rc == 0) {
		if (strlist_contains(&o.links, up))
			buf_addf(&batch, "link del %s\n", up);
		if (strlist_contains(&o.links, br))
			buf_addf(&batch, "link del %s\n", br);
		rc = net_ip_batch(n, host_ns, &batch, "remove a VPC bridge", e);
	}
	buf_free(&batch);
	net_observed_free(&o);
	return rc;
}

int
net_vpc_remove(struct net *n, unsigned vpc, struct err *e)
{
	char ns[NET_NSNAME_SIZE], prefix[NET_NSNAME_SIZE + 2];
	struct strlist hosts;
	struct vpc_paths p;
	int rc;
	pid_t pid;

	if (net_name_vpc_ns(n->cfg.tag, vpc, ns) < 0)
		return err_set(e, "InvalidParameterValue", "VPC number %u",
			       vpc);
	net_vpc_paths(n, vpc, &p);
	/* Host namespaces: "ec2d-<tag>-h..." */
	snprintf(prefix, sizeof(prefix), NET_PREFIX "-%s-h", n->cfg.tag);
	strlist_init(&hosts);
	pthread_mutex_lock(&n->lock);
	pid = net_dhcp_pid(p.pid, p.conf, ns);
	rc = pid > 0 ? net_dhcp_stop(pid, p.conf, ns) : 0;
	if (rc < 0) {
		net_fail(e, "stop dnsmasq", rc, NULL);
		goto out;
	}
	rc = netns_list(prefix, &hosts);
	if (rc < 0) {
		net_fail(e, "list host namespaces", rc, NULL);
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < hosts.n; i++)
		rc = host_forget_vpc(n, hosts.v[i], vpc, e);
	if (rc < 0)
		goto out;
	rc = net_ns_delete(n, ns, e);
	if (rc == 0 && (rc = net_file_remove_tree(p.dir)) < 0)
		net_fail(e, "remove the VPC's files", rc, NULL);
out:
	pthread_mutex_unlock(&n->lock);
	strlist_free(&hosts);
	return rc < 0 ? -1 : 0;
}

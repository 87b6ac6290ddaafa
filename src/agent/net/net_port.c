/*
 * net_port.c - plugging an instance's interface into its VPC. See net.h
 * (net_port_plug, net_port_unplug).
 *
 * A plug is: observe the host namespace, one `ip -batch` for what is
 * missing (VPC bridge, uplink to the router, the tap), a second one in
 * the router the first time this host joins the VPC, and the port's
 * DHCP host line in RUN/vpc<V>/hosts/<tap> with a SIGHUP to dnsmasq
 * when it changed.
 *
 * Measured: the first port of a host in a VPC passes traffic only ~1 s
 * after the plug. The kernel's link watcher delays a carrier change by
 * up to a second unless it deems it urgent, and a veth whose peer has
 * the same ifindex (both ends are the 3rd device of a fresh namespace)
 * is not; the same holds for a tap when QEMU opens it. A guest asks for
 * DHCP seconds later, so nothing is done about it.
 */
#include "agent/net/net.h"
#include "agent/net/net_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/net/net_file.h"
#include "agent/net/net_render.h"
#include "agent/net/netns.h"
#include "common/log.h"
#include "common/mac.h"

static int
port_check(const struct net *n, const struct net_port *p, uint32_t *ret_ip,
	   struct err *e)
{
	char name[NET_NSNAME_SIZE];

	if (net_name_host_ns(n->cfg.tag, p->host, name) < 0 ||
	    net_name_vpc_ns(n->cfg.tag, p->vpc, name) < 0 ||
	    net_name_dev(n->cfg.tag, NET_DEV_TAP, p->port, name) < 0)
		return err_set(e, "InvalidParameterValue",
			       "host %u, VPC %u, port %u: numbers are 1..%u",
			       p->host, p->vpc, p->port, NET_NUM_MAX);
	if (ret_ip && (!p->ip || ipv4_parse(p->ip, ret_ip) < 0))
		return err_set(e, "InvalidParameterValue", "address %s",
			       p->ip ? p->ip : "(none)");
	if (ret_ip && !mac_valid(p->mac))
		return err_set(e, "InvalidParameterValue",
			       "MAC %s: six lowercase hex pairs, unicast",
			       p->mac ? p->mac : "(none)");
	if (ret_ip && p->kind == NET_PORT_VETH && !netns_exists(p->peer_ns))
		return err_set(e, "InvalidParameterValue",
			       "peer namespace %s does not exist",
			       p->peer_ns ? p->peer_ns : "(none)");
	return 0;
}

/* Bridge, uplink and tap in the host; the downlink in the router. */
static int
plug_devices(struct net *n, const struct net_port *p, const char *host_ns,
	     const char *router_ns, struct err *e)
{
	struct net_port_spec spec = {
	    .tag = n->cfg.tag,
	    .host = p->host,
	    .vpc = p->vpc,
	    .port = p->port,
	    .kind = p->kind,
	    .mac = p->mac,
	    .peer_ns = p->peer_ns,
	    .owner_uid = p->owner_uid,
	    .owner_gid = p->owner_gid,
	};
	struct net_observed o;
	struct buf batch;
	int rc = -1, new_uplink = 0;

	net_observed_init(&o);
	buf_init(&batch, NET_BATCH_MAX);
	if (net_observe(host_ns, &o, e) < 0)
		goto out;
	if (net_render_host_port(&spec, &o, &batch, &new_uplink) < 0) {
		err_set(e, "InvalidParameterValue", "port %u", p->port);
		goto out;
	}
	if (net_ip_batch(n, host_ns, &batch, "plug the port", e) < 0)
		goto out;
	buf_reset(&batch);
	if (new_uplink) {
		net_render_downlink(n->cfg.tag, p->host, p->vpc, &batch);
		if (net_ip_batch(n, router_ns, &batch, "link host to router",
				 e) < 0)
			goto out;
	}
	if (p->kind == NET_PORT_VETH) {
		char peer[NET_IFNAME_SIZE];
		const char *args[] = {"-n", p->peer_ns, "link", "set",
				      peer, "up",	NULL};

		net_name_dev(n->cfg.tag, NET_DEV_PEER, p->port, peer);
		if (net_run_ip(n, args, NULL, "bring the veth peer up", e) < 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&batch);
	net_observed_free(&o);
	return rc;
}

/*
 * The host's port guard (net_render.h) with this port in or out of it.
 * Plugging also (re)applies the guard's rules: a host namespace made by a
 * plug has them too.
 */
static int
guard_port(struct net *n, const char *host_ns, const char *dev, const char *mac,
	   uint32_t ip, bool add, struct err *e)
{
	struct buf script;
	int rc;

	buf_init(&script, NET_BATCH_MAX);
	if (add)
		net_render_guard_base(&script);
	rc = net_render_guard_port(dev, mac, ip, add, &script);
	if (rc == 0)
		rc = net_nft(n, host_ns, &script,
			     add ? "guard the port" : "unguard the port", e);
	else
		rc = err_set(e, "InvalidParameterValue", "MAC %s", mac);
	buf_free(&script);
	return rc;
}

/* The port's DHCP host line; reload dnsmasq when it changed. */
static int
plug_dhcp(struct net *n, const struct net_port *p, uint32_t ip, const char *dev,
	  struct err *e)
{
	char path[NET_PATH_MAX + 128];
	struct vpc_paths vp;
	struct buf line;
	int rc;

	net_vpc_paths(n, p->vpc, &vp);
	snprintf(path, sizeof(path), "%s/%s", vp.hosts, dev);
	buf_init(&line, 256);
	net_render_dhcp_host(p->mac, ip, &line);
	rc = net_file_replace(path, buf_cstr(&line));
	buf_free(&line);
	if (rc < 0)
		return net_fail(e, "write the DHCP host line", rc, NULL);
	/* dnsmasq's directory watch reads a new file by itself; a changed
	 * one would keep its old entry too until a SIGHUP. */
	return net_dhcp_ensure(n, p->vpc, rc == 1, e);
}

int
net_port_plug(struct net *n, const struct net_port *p,
	      char ret_dev[NET_IFNAME_SIZE], struct err *e)
{
	char host_ns[NET_NSNAME_SIZE], router_ns[NET_NSNAME_SIZE];
	char dev[NET_IFNAME_SIZE];
	long long t0 = net_now_us();
	uint32_t ip;
	int rc = -1;

	if (port_check(n, p, &ip, e) < 0)
		return -1;
	net_name_host_ns(n->cfg.tag, p->host, host_ns);
	net_name_vpc_ns(n->cfg.tag, p->vpc, router_ns);
	net_name_dev(n->cfg.tag, NET_DEV_TAP, p->port, dev);
	pthread_mutex_lock(&n->lock);
	if (!netns_exists(router_ns)) {
		err_set(e, "InvalidParameterValue",
			"VPC %u has no router (net_vpc_ensure it first)",
			p->vpc);
		goto out;
	}
	if (net_ns_ensure(n, host_ns, NET_NS_HOST, e) < 0 ||
	    guard_port(n, host_ns, dev, p->mac, ip, true, e) < 0 ||
	    plug_devices(n, p, host_ns, router_ns, e) < 0 ||
	    plug_dhcp(n, p, ip, dev, e) < 0)
		goto out;
	memcpy(ret_dev, dev, sizeof(dev));
	log_msg(LOG_INFO, "port plugged",
		"instance=%s dev=%s netns=%s ip=%s mac=%s us=%lld",
		p->instance_id ? p->instance_id : "-", dev, host_ns, p->ip,
		p->mac, net_now_us() - t0);
	rc = 0;
out:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

int
net_port_unplug(struct net *n, const struct net_port *p, struct err *e)
{
	char host_ns[NET_NSNAME_SIZE], dev[NET_IFNAME_SIZE];
	char path[NET_PATH_MAX + 128];
	struct net_observed o;
	struct vpc_paths vp;
	uint32_t ip;
	int rc = 0;

	if (port_check(n, p, NULL, e) < 0)
		return -1;
	net_name_host_ns(n->cfg.tag, p->host, host_ns);
	net_name_dev(n->cfg.tag, NET_DEV_TAP, p->port, dev);
	net_vpc_paths(n, p->vpc, &vp);
	snprintf(path, sizeof(path), "%s/%s", vp.hosts, dev);
	net_observed_init(&o);
	pthread_mutex_lock(&n->lock);
	if (netns_exists(host_ns)) {
		rc = net_observe(host_ns, &o, e);
		if (rc == 0 && strlist_contains(&o.links, dev)) {
			const char *args[] = {"-n",  host_ns, "link",
					      "del", dev,     NULL};

			rc = net_run_ip(n, args, NULL, "remove the port", e);
		}
		/* Its MAC and address leave the guard (a later port of the
		 * same number must not inherit them). */
		if (rc == 0 && p->mac && p->ip && ipv4_parse(p->ip, &ip) == 0 &&
		    mac_valid(p->mac))
			rc = guard_port(n, host_ns, dev, p->mac, ip, false, e);
	}
	if (rc == 0 && unlink(path) == 0) {
		char router_ns[NET_NSNAME_SIZE];

		/* dnsmasq forgets a host line only on SIGHUP. */
		net_name_vpc_ns(n->cfg.tag, p->vpc, router_ns);
		if (netns_exists(router_ns))
			rc = net_dhcp_ensure(n, p->vpc, 1, e);
	} else if (rc == 0 && errno != ENOENT) {
		rc = net_fail(e, "remove the DHCP host line", -errno, NULL);
	}
	pthread_mutex_unlock(&n->lock);
	net_observed_free(&o);
	if (rc == 0)
		log_msg(LOG_INFO, "port unplugged", "dev=%s netns=%s", dev,
			host_ns);
	return rc;
}

/*
 * net_render.c - dnsmasq configuration and ip batches as text. See
 * net_render.h. Pure: no system calls; called by net.c and the unit tests.
 */
#include "agent/net/net_render.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "agent/net/net_name.h"
#include "common/mac.h"

#define DEFAULT_LEASE_SECONDS 3600

void
net_observed_init(struct net_observed *o)
{
	strlist_init(&o->links);
	strlist_init(&o->addrs);
}

void
net_observed_free(struct net_observed *o)
{
	strlist_free(&o->links);
	strlist_free(&o->addrs);
}

static bool
has_link(const struct net_observed *o, const char *name)
{
	return o && strlist_contains(&o->links, name);
}

static bool
is_wanted_gateway(const struct net_router_spec *s, const char *addr)
{
	uint32_t ip;
	unsigned prefix;

	if (ipv4_ifaddr_parse(addr, &ip, &prefix) < 0)
		return false;
	for (size_t i = 0; i < s->nsubnets; i++)
		if (ip == ipv4_subnet_gateway(&s->subnets[i]) &&
		    prefix == s->subnets[i].prefix)
			return true;
	return false;
}

/* Every observed address on dev that is not a wanted gateway goes. */
static void
render_stale_addrs(const struct net_router_spec *s,
		   const struct net_observed *o, const char *dev,
		   struct buf *out)
{
	size_t n = strlen(dev);

	for (size_t i = 0; o && i < o->addrs.n; i++) {
		const char *a = o->addrs.v[i];

		if (strncmp(a, dev, n) == 0 && a[n] == ' ' &&
		    !is_wanted_gateway(s, a + n + 1))
			buf_addf(out, "address del %s dev %s\n", a + n + 1,
				 dev);
	}
}

int
net_render_router(const struct net_router_spec *s, const struct net_observed *o,
		  struct buf *out)
{
	char br[NET_IFNAME_SIZE], down[NET_IFNAME_SIZE];
	size_t n;

	if (net_name_dev(s->tag, NET_DEV_ROUTER_BRIDGE, s->vpc, br) < 0 ||
	    net_name_dev(s->tag, NET_DEV_DOWNLINK, 1, down) < 0)
		return -EINVAL;
	if (!has_link(o, br))
		buf_addf(out, "link add %s type bridge\n", br);
	buf_adds(out, "link set lo up\n");
	buf_addf(out, "link set %s up\n", br);
	buf_addf(out, "address replace %s/32 dev lo\n", IPV4_IMDS_ADDR);
	for (size_t i = 0; i < s->nsubnets; i++) {
		char gw[IPV4_STRLEN];

		ipv4_format(ipv4_subnet_gateway(&s->subnets[i]), gw);
		buf_addf(out, "address replace %s/%u dev %s\n", gw,
			 s->subnets[i].prefix, br);
	}
	render_stale_addrs(s, o, br, out);

	/* Downlinks made by earlier plugs stay attached ("e<tag>h" + hex). */
	n = strlen(down) - 1;
	for (size_t i = 0; o && i < o->links.n; i++)
		if (strncmp(o->links.v[i], down, n) == 0)
			buf_addf(out, "link set %s master %s up\n",
				 o->links.v[i], br);
	return 0;
}

static int
render_port_dev(const struct net_port_spec *p, const char *dev, const char *br,
		const struct net_observed *o, struct buf *out)
{
	char peer[NET_IFNAME_SIZE];

	if (!has_link(o, dev)) {
		if (p->kind == NET_PORT_TAP) {
			buf_addf(out, "tuntap add dev %s mode tap", dev);
			if (p->owner_uid >= 0)
				buf_addf(out, " user %ld", p->owner_uid);
			if (p->owner_gid >= 0)
				buf_addf(out, " group %ld", p->owner_gid);
			buf_addc(out, '\n');
		} else {
			if (!p->peer_ns || !*p->peer_ns ||
			    strpbrk(p->peer_ns, " \n/") || !mac_valid(p->mac) ||
			    net_name_dev(p->tag, NET_DEV_PEER, p->port, peer))
				return -EINVAL;
			buf_addf(out,
				 "link add %s type veth peer name %s "
				 "address %s netns %s\n",
				 dev, peer, p->mac, p->peer_ns);
		}
	}
	buf_addf(out, "link set %s master %s up\n", dev, br);
	return 0;
}

int
net_render_host_port(const struct net_port_spec *p,
		     const struct net_observed *o, struct buf *out,
		     int *ret_new_uplink)
{
	char br[NET_IFNAME_SIZE], up[NET_IFNAME_SIZE], down[NET_IFNAME_SIZE];
	char dev[NET_IFNAME_SIZE], router_ns[NET_NSNAME_SIZE];
	int new_uplink;

	if (net_name_dev(p->tag, NET_DEV_BRIDGE, p->vpc, br) < 0 ||
	    net_name_dev(p->tag, NET_DEV_UPLINK, p->vpc, up) < 0 ||
	    net_name_dev(p->tag, NET_DEV_DOWNLINK, p->host, down) < 0 ||
	    net_name_dev(p->tag, NET_DEV_TAP, p->port, dev) < 0 ||
	    net_name_vpc_ns(p->tag, p->vpc, router_ns) < 0 ||
	    (p->kind != NET_PORT_TAP && p->kind != NET_PORT_VETH))
		return -EINVAL;
	if (!has_link(o, br))
		buf_addf(out, "link add %s type bridge\n", br);
	/*
	 * Link-local frames (01:80:c2:00:00:0x: LLDP, 802.1X, ...) bypass
	 * netfilter, and the bridge would learn their source MAC: a guest
	 * could move the router's MAC onto its own port. Other frames are
	 * learned only once the port guard let them in.
	 */
	buf_addf(out, "link set %s type bridge no_linklocal_learn 1\n", br);
	buf_addf(out, "link set %s up\n", br);
	new_uplink = !has_link(o, up);
	if (new_uplink)
		buf_addf(out, "link add %s type veth peer name %s netns %s\n",
			 up, down, router_ns);
	buf_addf(out, "link set %s master %s up\n", up, br);
	if (render_port_dev(p, dev, br, o, out) < 0)
		return -EINVAL;
	*ret_new_uplink = new_uplink;
	return 0;
}

int
net_render_downlink(const char *tag, unsigned host, unsigned vpc,
		    struct buf *out)
{
	char br[NET_IFNAME_SIZE], down[NET_IFNAME_SIZE];

	if (net_name_dev(tag, NET_DEV_ROUTER_BRIDGE, vpc, br) < 0 ||
	    net_name_dev(tag, NET_DEV_DOWNLINK, host, down) < 0)
		return -EINVAL;
	buf_addf(out, "link set %s master %s up\n", down, br);
	return 0;
}

/* A path dnsmasq reads from a "key=value" line: absolute, one line. */
static bool
conf_path_ok(const char *p)
{
	return p && p[0] == '/' && !strpbrk(p, "\n\r");
}

int
net_render_dnsmasq_conf(const struct net_dhcp_spec *s, struct buf *out)
{
	unsigned lease =
	    s->lease_seconds ? s->lease_seconds : DEFAULT_LEASE_SECONDS;

	if (!s->iface || !*s->iface || strpbrk(s->iface, " \n\r,") ||
	    !conf_path_ok(s->pid_file) || !conf_path_ok(s->hosts_dir) ||
	    !conf_path_ok(s->log_file))
		return -EINVAL;
	buf_adds(out, "# ec2d: DHCP of one VPC. Generated; edits are lost.\n"
		      "port=0\n");
	buf_addf(out, "interface=%s\n", s->iface);
	buf_adds(out, "bind-interfaces\n"
		      "no-resolv\n"
		      "no-hosts\n"
		      "leasefile-ro\n"
		      "dhcp-authoritative\n"
		      "quiet-dhcp\n");
	buf_addf(out, "pid-file=%s\n", s->pid_file);
	buf_addf(out, "log-facility=%s\n", s->log_file);
	buf_addf(out, "dhcp-hostsdir=%s\n", s->hosts_dir);
	for (size_t i = 0; i < s->nsubnets; i++) {
		const struct ipv4_cidr *c = &s->subnets[i];
		char net[IPV4_STRLEN], mask[IPV4_STRLEN], gw[IPV4_STRLEN];

		ipv4_format(c->addr, net);
		ipv4_format(ipv4_prefix_mask(c->prefix), mask);
		ipv4_format(ipv4_subnet_gateway(c), gw);
		buf_addf(out, "dhcp-range=set:s%zu,%s,static,%s,%u\n", i, net,
			 mask, lease);
		buf_addf(out, "dhcp-option=tag:s%zu,option:router,%s\n", i, gw);
		buf_addf(out,
			 "dhcp-option=tag:s%zu,option:classless-static-route,"
			 "%s/32,%s,0.0.0.0/0,%s\n",
			 i, IPV4_IMDS_ADDR, gw, gw);
	}
	return 0;
}

int
net_render_dhcp_host(const char *mac, uint32_t ip, struct buf *out)
{
	char addr[IPV4_STRLEN], name[IPV4_HOSTNAME_STRLEN];

	if (!mac_valid(mac))
		return -EINVAL;
	ipv4_format(ip, addr);
	ipv4_hostname(ip, name);
	buf_addf(out, "%s,%s,%s\n", mac, addr, name);
	return 0;
}

void
net_render_guard_base(struct buf *out)
{
	static const char *const rules[] = {
	    "iifname != @ports accept",
	    "iifname . ether saddr != @port_mac drop",
	    /* A guest must not answer DHCP for the others, from any port. */
	    "ether type ip udp sport 67 drop",
	    "ether type ip udp dport 68 drop",
	    "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 "
	    "udp dport 67 accept",
	    "iifname . ether saddr . ip saddr @port_ip accept",
	    /* Address probes (RFC 5227) from 0.0.0.0, with its own MAC. */
	    "arp operation request arp saddr ip 0.0.0.0 "
	    "iifname . arp saddr ether @port_mac accept",
	    "iifname . arp saddr ether . arp saddr ip @port_ip accept",
	    "drop",
	};
	const char *t = "bridge " NET_GUARD_TABLE;

	buf_addf(out, "add table %s\n", t);
	buf_addf(out, "add set %s ports { type ifname; }\n", t);
	buf_addf(out, "add set %s port_mac { type ifname . ether_addr; }\n", t);
	buf_addf(out,
		 "add set %s port_ip "
		 "{ type ifname . ether_addr . ipv4_addr; }\n",
		 t);
	buf_addf(out,
		 "add chain %s prerouting { type filter hook prerouting "
		 "priority -200; policy accept; }\n",
		 t);
	buf_addf(out, "flush chain %s prerouting\n", t);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		buf_addf(out, "add rule %s prerouting %s\n", t, rules[i]);
}

static void
guard_elements(struct buf *out, const char *verb, const char *dev,
	       const char *mac, const char *addr)
{
	const char *t = "bridge " NET_GUARD_TABLE;

	buf_addf(out, "%s element %s ports { \"%s\" }\n", verb, t, dev);
	buf_addf(out, "%s element %s port_mac { \"%s\" . %s }\n", verb, t, dev,
		 mac);
	buf_addf(out, "%s element %s port_ip { \"%s\" . %s . %s }\n", verb, t,
		 dev, mac, addr);
}

int
net_render_guard_port(const char *dev, const char *mac, uint32_t ip, bool add,
		      struct buf *out)
{
	char addr[IPV4_STRLEN];

	if (!mac_valid(mac) || !dev || !dev[0] || strpbrk(dev, "\" \n"))
		return -EINVAL;
	ipv4_format(ip, addr);
	if (!add) /* first, so that the delete cannot fail */
		guard_elements(out, "add", dev, mac, addr);
	guard_elements(out, add ? "add" : "delete", dev, mac, addr);
	return 0;
}

/*
 * net_render.h - the network layer's configuration as text.
 *
 * Pure functions from a description (and, for "ensure" steps, what was
 * observed in a namespace) to the text a tool reads: dnsmasq's
 * configuration and host lines, and `ip -batch` scripts. net.c only runs
 * what these return, so the unit tests see exactly what the kernel and
 * dnsmasq are told. Later layers (security groups, network ACLs, NAT)
 * add their own renderers beside these, e.g. nftables rulesets.
 *
 * Batches are level-triggered: an object that the observation shows is
 * not created again, and every "set" is repeated (it is idempotent), so
 * running a batch twice, or after a crash half-way, converges.
 * All renderers append to out and return 0, or -EINVAL for input that
 * would not be safe in the text (a newline in a path, a bad name); out's
 * own overflow is sticky (buf_failed).
 */
#ifndef EC2D_AGENT_NET_NET_RENDER_H
#define EC2D_AGENT_NET_NET_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/ipv4.h"
#include "common/strlist.h"

/* What a namespace holds, as net_observe() (net.c) reads it. */
struct net_observed {
	struct strlist links; /* device names */
	struct strlist addrs; /* IPv4 addresses: "DEV A.B.C.D/P" */
};

void net_observed_init(struct net_observed *o);
void net_observed_free(struct net_observed *o);

/* One VPC router namespace. */
struct net_router_spec {
	const char *tag;
	unsigned vpc;
	const struct ipv4_cidr *subnets;
	size_t nsubnets;
};

/*
 * The router's `ip -batch`: lo up with 169.254.169.254/32, the router
 * bridge up with each subnet's gateway (base+1, the subnet's prefix),
 * addresses of removed subnets deleted, and every downlink found
 * attached to the bridge.
 */
int net_render_router(const struct net_router_spec *s,
		      const struct net_observed *o, struct buf *out);

enum net_port_kind {
	NET_PORT_TAP,  /* a tap that QEMU opens (-netdev tap,ifname=) */
	NET_PORT_VETH, /* a veth whose peer is born in peer_ns (tests) */
};

/* One instance interface in a host namespace. */
struct net_port_spec {
	const char *tag;
	unsigned host;
	unsigned vpc;
	unsigned port; /* names the tap: e<tag>t<port> */
	enum net_port_kind kind;
	const char *mac;     /* the guest's MAC (the veth peer's) */
	const char *peer_ns; /* NET_PORT_VETH: namespace of the peer */
	long owner_uid;	     /* NET_PORT_TAP: who may open it; -1: root */
	long owner_gid;
};

/*
 * The host's `ip -batch` for a port: the VPC bridge, the uplink veth to
 * the router (its far end born in the router namespace), and the port,
 * all up and attached. *ret_new_uplink says the uplink is created by
 * this batch, so its router end still needs net_render_downlink().
 */
int net_render_host_port(const struct net_port_spec *p,
			 const struct net_observed *o, struct buf *out,
			 int *ret_new_uplink);

/* The router's `ip -batch` attaching one new downlink to its bridge. */
int net_render_downlink(const char *tag, unsigned host, unsigned vpc,
			struct buf *out);

/* One VPC's dnsmasq. */
struct net_dhcp_spec {
	const char *iface; /* the router bridge */
	const char *pid_file;
	const char *hosts_dir; /* one file of host lines per port */
	const char *log_file;
	const struct ipv4_cidr *subnets;
	size_t nsubnets;
	unsigned lease_seconds; /* 0: 3600 */
};

/*
 * dnsmasq's configuration file: DHCP only (port=0, no DNS), on the router
 * bridge only, static addresses only (an unknown MAC gets nothing), no
 * lease file; per subnet a range with its router and the classless
 * static routes (option 121) 169.254.169.254/32 and 0.0.0.0/0, both via
 * the subnet's gateway.
 */
int net_render_dnsmasq_conf(const struct net_dhcp_spec *s, struct buf *out);

/* A dhcp-hosts line: "MAC,IP,ip-a-b-c-d\n". */
int net_render_dhcp_host(const char *mac, uint32_t ip, struct buf *out);

/*
 * The port guard of a host namespace (nft -f input; ARCHITECTURE.md 5):
 * table bridge NET_GUARD_TABLE, whose prerouting chain lets a frame in
 * from an instance port only with that port's MAC, and then only IPv4
 * from its address (or a DHCP request from 0.0.0.0) and ARP for its
 * address (or a request probing from 0.0.0.0); it drops DHCP server
 * traffic (udp sport 67 or dport 68) from ports and everything else
 * (IPv6, VLAN tags included). Frames from the uplink to the router pass.
 * Link-local frames bypass netfilter: the host's VPC bridges do not learn
 * from them (no_linklocal_learn, net_render_host_port). One transaction, safe
 * to apply again: the sets (the ports) are kept, the chain is flushed and
 * refilled.
 */
#define NET_GUARD_TABLE "ec2d_guard"
void net_render_guard_base(struct buf *out);

/*
 * Add (or, with add false, remove) port dev with its MAC and address to
 * the guard's sets. Removing adds first, so it never fails on an
 * absent element. -EINVAL for a bad MAC.
 */
int net_render_guard_port(const char *dev, const char *mac, uint32_t ip,
			  bool add, struct buf *out);

#endif

/*
 * net.h - the instance network of one ec2d deployment.
 *
 * Shape (ARCHITECTURE.md section 5), all in namespaces named by net_name.h
 * and nothing in the root namespace:
 *
 *   host namespace ec2d-<tag>-h<H>          VPC router ec2d-<tag>-vpc<V>
 *   +-----------------------------+         +---------------------------+
 *   | tap e<tag>t<P> --+          |  veth   | e<tag>h<H> --+            |
 *   | tap ...        --+ bridge  -+---------+-             + bridge     |
 *   |                  e<tag>b<V> | e<tag>u<V>             e<tag>r<V>   |
 *   +-----------------------------+         |  gateways .1 of each subnet|
 *     QEMU runs here, its tap handed open   |  lo: 169.254.169.254/32    |
 *                                           |  dnsmasq (DHCP only)       |
 *                                           |  IMDS socket (imds_server) |
 *                                           +---------------------------+
 *
 * Each host has one bridge per VPC with a veth to the VPC's router, whose
 * own bridge joins all hosts: one L2 segment per VPC (VXLAN between real
 * machines replaces the host-router veths later), the router routes
 * between subnets. DHCP hands each MAC the address the control plane
 * chose, with option 121 routes to 169.254.169.254 and the default route
 * via the subnet's gateway.
 *
 * Every call is level-triggered and idempotent ("make it so"): it
 * observes the namespace and creates only what is missing. Nothing is
 * kept in memory, so after an ec2d restart net_open() with the same tag
 * adopts the existing namespaces, devices and dnsmasq processes.
 * Runtime files (dnsmasq configuration, host lines, pid files) live in
 * RUN = /run/ec2d-<tag>, beside the namespaces in /run/netns, so both
 * vanish together at reboot.
 *
 * Calls are serialised by a mutex; each costs a few forks of `ip`.
 * Errors: -1 with e filled (InvalidParameterValue for bad input,
 * InternalError with the tool's own words otherwise).
 *
 * Each host namespace has a port guard (net_render.h, nft bridge table
 * ec2d_guard): a frame from an instance port must carry that port's MAC
 * and, for IPv4 and ARP, its address; DHCP server replies and anything
 * else from ports are dropped. The ports are set elements, added at plug
 * and removed at unplug.
 *
 * Not here yet (their issue): security groups (stateful filtering per
 * port in the host namespace), network ACLs (chains in the router on the
 * bridge), Elastic IPs and the internet gateway (NAT maps and a link in
 * the router), VXLAN between machines. Each is a renderer beside
 * net_render.c plus a step in the ensure calls.
 */
#ifndef EC2D_AGENT_NET_NET_H
#define EC2D_AGENT_NET_NET_H

#include <stddef.h>

#include "agent/net/net_name.h"
#include "agent/net/net_render.h"
#include "common/err.h"
#include "common/ipv4.h"
#include "common/mac.h"

#define NET_PATH_MAX	512
#define NET_SUBNETS_MAX 200 /* AWS's default quota per VPC */

struct net_config {
	char tag[NET_TAG_MAX + 1];	/* 4-6 of [a-z0-9]; see net_name.h */
	char run_dir[NET_PATH_MAX];	/* "": /run/ec2d-<tag> */
	char ip_bin[NET_PATH_MAX];	/* "": /usr/sbin/ip */
	char dnsmasq_bin[NET_PATH_MAX]; /* "": /usr/sbin/dnsmasq */
	char nft_bin[NET_PATH_MAX];	/* "": /usr/sbin/nft */
};

struct net_vpc {
	unsigned no;		    /* 1..NET_NUM_MAX, names its objects */
	const char *cidr;	    /* "172.31.0.0/16" */
	const char *const *subnets; /* CIDRs inside it, not overlapping */
	size_t nsubnets;
};

/* One network interface of an instance. */
struct net_port {
	unsigned host;		 /* 1..NET_NUM_MAX: where the instance runs */
	unsigned vpc;		 /* 1..NET_NUM_MAX */
	unsigned port;		 /* 1..NET_NUM_MAX, unique in the deployment */
	const char *mac;	 /* the guest's, "0e:..", unicast */
	const char *ip;		 /* the control plane's choice (IPAM) */
	enum net_port_kind kind; /* NET_PORT_TAP for QEMU */
	const char *peer_ns;	 /* NET_PORT_VETH only */
	long owner_uid;		 /* tap: who may open it; -1: root only */
	long owner_gid;
	const char *instance_id; /* for the log only; may be NULL */
};

struct net;

/* Check the tools and the tag, make RUN. Creates nothing in the kernel. */
int net_open(const struct net_config *cfg, struct net **ret, struct err *e);
/* Free memory only: namespaces, devices and dnsmasq keep running. */
void net_close(struct net *n);

/* The host's namespace, made when missing. QEMU of the host runs there. */
int net_host_ensure(struct net *n, unsigned host, char ret_ns[NET_NSNAME_SIZE],
		    struct err *e);
/* Remove a host's namespace (its instances must be stopped first). */
int net_host_remove(struct net *n, unsigned host, struct err *e);

/*
 * The VPC's router namespace with its bridge, gateways, 169.254.169.254
 * on lo, forwarding on, and its dnsmasq (restarted only when the subnets
 * changed). ret_ns is where imds_server_listen() opens its socket.
 */
int net_vpc_ensure(struct net *n, const struct net_vpc *v,
		   char ret_ns[NET_NSNAME_SIZE], struct err *e);
/* Stop its dnsmasq, delete its router and its bridges in every host. */
int net_vpc_remove(struct net *n, unsigned vpc, struct err *e);

/*
 * Plug an interface: the VPC's bridge in the host (with its link to the
 * router), the tap (or veth) attached and up, and the DHCP host line
 * MAC -> IP, hostname ip-a-b-c-d. The VPC must have been ensured. ret_dev
 * is the tap's name (struct host_instance's tap).
 */
int net_port_plug(struct net *n, const struct net_port *p,
		  char ret_dev[NET_IFNAME_SIZE], struct err *e);
/* Remove the tap (or veth) and the DHCP host line. Uses host, vpc, port. */
int net_port_unplug(struct net *n, const struct net_port *p, struct err *e);

/*
 * Remove everything of the tag: dnsmasq processes, every namespace named
 * ec2d-<tag>-*, and RUN. Processes of others still inside a namespace
 * (QEMU, which the caller must stop first) are named in the error; the
 * namespaces are removed anyway and the kernel frees them when those end.
 */
int net_destroy(struct net *n, struct err *e);

#endif

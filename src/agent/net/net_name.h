/*
 * net_name.h - the names of everything the network layer creates.
 *
 * Every namespace and device carries "ec2d" and the deployment's tag, so
 * two ec2d with different data directories on one machine never touch
 * each other's objects, and everything of one deployment can be found
 * and removed by name. A tag is 4-6 characters of [a-z0-9], chosen by the
 * caller once per data directory.
 *
 *   namespaces (no length limit)       devices (IFNAMSIZ: 15 characters)
 *   ec2d-<tag>-h<host>   a host         e<tag>b<vpc>   VPC bridge    (host ns)
 *   ec2d-<tag>-vpc<vpc>  a VPC router   e<tag>u<vpc>   uplink veth   (host ns)
 *                                       e<tag>t<port>  instance tap  (host ns)
 *                                       e<tag>r<vpc>   router bridge (router
 * ns) e<tag>h<host>  downlink veth (router ns) e<tag>p<port>  veth peer of a
 * port (the port's own ns)
 *
 * Namespace numbers are decimal; device numbers are lowercase hex without
 * leading zeros, at most 7 digits, so the longest device name is
 * 1 + 6 + 1 + 7 = 15 characters. Numbers (host, VPC, port) are chosen by
 * the control plane, are 1..NET_NUM_MAX and are never reused for another
 * object while the first one exists (a store row id does).
 */
#ifndef EC2D_AGENT_NET_NET_NAME_H
#define EC2D_AGENT_NET_NET_NAME_H

#include <stdbool.h>

#define NET_PREFIX	"ec2d"
#define NET_TAG_MIN	4
#define NET_TAG_MAX	6
#define NET_IFNAME_SIZE 16 /* IFNAMSIZ: 15 characters and the NUL */
#define NET_NSNAME_SIZE 64
#define NET_NUM_MAX	0xfffffffu /* 7 hex digits */

enum net_dev {
	NET_DEV_BRIDGE,	       /* 'b': a VPC's bridge in a host */
	NET_DEV_UPLINK,	       /* 'u': host end of the host-router veth */
	NET_DEV_TAP,	       /* 't': an instance's interface in its host */
	NET_DEV_ROUTER_BRIDGE, /* 'r': the bridge holding the gateways */
	NET_DEV_DOWNLINK,      /* 'h': router end of the host-router veth */
	NET_DEV_PEER,	       /* 'p': the far end of a veth port */
};

/* 4-6 characters of [a-z0-9]. */
bool net_tag_valid(const char *tag);

/* "ec2d-<tag>-h<host>"; 0, or -EINVAL for a bad tag or number. */
int net_name_host_ns(const char *tag, unsigned host, char out[NET_NSNAME_SIZE]);
/* "ec2d-<tag>-vpc<vpc>". */
int net_name_vpc_ns(const char *tag, unsigned vpc, char out[NET_NSNAME_SIZE]);
/* "e<tag><kind><hex n>". */
int net_name_dev(const char *tag, enum net_dev kind, unsigned n,
		 char out[NET_IFNAME_SIZE]);

/* "ec2d-<tag>-": the start of every namespace of the deployment. */
int net_name_ns_prefix(const char *tag, char out[NET_NSNAME_SIZE]);
/* True when name is one of the deployment's namespaces. */
bool net_name_ns_is_ours(const char *tag, const char *name);

#endif

/*
 * net_addr.h - IPv4 addresses, CIDR blocks and MACs as a VPC uses them.
 *
 * Pure functions. Addresses are uint32_t in host byte order. Parsing is
 * strict: one spelling per value ("172.31.0.0/20", never "172.31.0.1/20"
 * or "172.031.0.0/20"), so two spellings never name one subnet.
 *
 * AWS's rules, which the control plane's IPAM and the network layer share:
 * a subnet's first four addresses and its last are reserved (network, VPC
 * router at +1, DNS at +2, future use at +3, broadcast), so instances get
 * base+4 .. broadcast-1; the default VPC is 172.31.0.0/16 with one /20
 * default subnet per zone, in zone order.
 */
#ifndef EC2D_AGENT_NET_NET_ADDR_H
#define EC2D_AGENT_NET_NET_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define NET_IP_STRLEN	    16 /* "255.255.255.255" and the NUL */
#define NET_CIDR_STRLEN	    19 /* "255.255.255.255/32" and the NUL */
#define NET_MAC_STRLEN	    18 /* "02:00:00:00:00:01" and the NUL */
#define NET_HOSTNAME_STRLEN 32 /* "ip-255-255-255-255" and the NUL */

#define NET_DEFAULT_VPC_CIDR	  "172.31.0.0/16"
#define NET_DEFAULT_SUBNET_PREFIX 20
#define NET_DEFAULT_SUBNETS_MAX	  16 /* /20s in a /16 */
#define NET_VPC_PREFIX_MIN	  16 /* AWS: a VPC block is /16../28 */
#define NET_VPC_PREFIX_MAX	  28

#define NET_IMDS_ADDR "169.254.169.254"

struct net_cidr {
	uint32_t addr;	 /* the network address */
	unsigned prefix; /* 0..32 */
};

/* "a.b.c.d" (no leading zeros); 0 or -EINVAL. */
int net_ip_parse(const char *s, uint32_t *ret);
void net_ip_format(uint32_t ip, char out[NET_IP_STRLEN]);

/* "a.b.c.d/p" with no host bits set; 0 or -EINVAL. */
int net_cidr_parse(const char *s, struct net_cidr *ret);
void net_cidr_format(const struct net_cidr *c, char out[NET_CIDR_STRLEN]);
uint32_t net_prefix_mask(unsigned prefix);
uint32_t net_cidr_broadcast(const struct net_cidr *c);
bool net_cidr_contains(const struct net_cidr *c, uint32_t ip);
/* inner lies entirely in outer. */
bool net_cidr_within(const struct net_cidr *inner,
		     const struct net_cidr *outer);
bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b);

/* The VPC router's address in a subnet: base + 1. */
uint32_t net_subnet_gateway(const struct net_cidr *subnet);
/* May an instance have ip in this subnet (base+4 .. broadcast-1)? */
bool net_subnet_usable(const struct net_cidr *subnet, uint32_t ip);

/* The default subnet of the zone with this index (0 = the first zone):
 * 172.31.0.0/20, 172.31.16.0/20, ...; -EINVAL past the sixteenth. */
int net_default_subnet(unsigned zone_index, struct net_cidr *ret);

/* "02:ab:..": six lowercase hex pairs, unicast (bit 0 of the first octet
 * clear). */
bool net_mac_valid(const char *mac);

/* The name EC2 gives an address: 172.31.0.4 -> "ip-172-31-0-4". */
void net_ip_hostname(uint32_t ip, char out[NET_HOSTNAME_STRLEN]);

#endif

/*
 * ipv4.h - IPv4 addresses and CIDR blocks as a VPC uses them.
 *
 * Pure functions, shared by the EC2 handlers (address allocation), the
 * control plane (the default VPC) and the agent's network layer.
 * Addresses are uint32_t in host byte order. Parsing is strict: one
 * spelling per value ("172.31.0.0/20", never "172.31.0.1/20",
 * "172.031.0.0/20" or "172.31.0.0/020"), so two spellings never name one
 * subnet or one address.
 *
 * AWS's rules live here once: a subnet's first four addresses and its
 * last are reserved (network, VPC router at +1, DNS at +2, future use at
 * +3, broadcast), so instances get base+4 .. broadcast-1; a VPC block is
 * /16../28; the default VPC is 172.31.0.0/16 with one /20 default subnet
 * per zone, in zone order.
 */
#ifndef EC2D_COMMON_IPV4_H
#define EC2D_COMMON_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPV4_STRLEN	     16 /* "255.255.255.255" and the NUL */
#define IPV4_CIDR_STRLEN     19 /* "255.255.255.255/32" and the NUL */
#define IPV4_HOSTNAME_STRLEN 32 /* "ip-255-255-255-255" and the NUL */

#define IPV4_VPC_PREFIX_MIN	 16 /* AWS: a VPC block is /16../28 */
#define IPV4_VPC_PREFIX_MAX	 28
#define IPV4_SUBNET_RESERVED_LOW 4 /* network, router, DNS, future use */

#define IPV4_DEFAULT_VPC_CIDR	   "172.31.0.0/16"
#define IPV4_DEFAULT_SUBNET_PREFIX 20
#define IPV4_DEFAULT_SUBNETS_MAX   16 /* /20s in a /16 */

#define IPV4_IMDS_ADDR "169.254.169.254"

struct ipv4_cidr {
	uint32_t addr;	 /* the network address: no host bits set */
	unsigned prefix; /* 0..32 */
};

/* "a.b.c.d", each part 0..255 without leading zeros; 0 or -EINVAL. */
int ipv4_parse(const char *s, uint32_t *ret);
void ipv4_format(uint32_t ip, char out[IPV4_STRLEN]);

/* "a.b.c.d/p", p 0..32 without leading zeros, no host bits set; 0 or
 * -EINVAL. */
int ipv4_cidr_parse(const char *s, struct ipv4_cidr *ret);
void ipv4_cidr_format(const struct ipv4_cidr *c, char out[IPV4_CIDR_STRLEN]);

/* "a.b.c.d/p" with host bits allowed: an interface's address, as `ip
 * addr` shows it. 0 or -EINVAL. */
int ipv4_ifaddr_parse(const char *s, uint32_t *ret_ip, unsigned *ret_prefix);

uint32_t ipv4_prefix_mask(unsigned prefix);
uint32_t ipv4_cidr_network(const struct ipv4_cidr *c);
uint32_t ipv4_cidr_broadcast(const struct ipv4_cidr *c);
/* How many addresses the block spans: 2^(32 - prefix). */
uint64_t ipv4_cidr_size(const struct ipv4_cidr *c);
bool ipv4_cidr_contains(const struct ipv4_cidr *c, uint32_t ip);
/* inner lies entirely in outer. */
bool ipv4_cidr_within(const struct ipv4_cidr *inner,
		      const struct ipv4_cidr *outer);
bool ipv4_cidr_overlap(const struct ipv4_cidr *a, const struct ipv4_cidr *b);
/* The block's address number n (0 = the network address); -ERANGE past
 * its end. */
int ipv4_cidr_nth(const struct ipv4_cidr *c, uint64_t n, uint32_t *ret);

/* The VPC router's address in a subnet: base + 1. */
uint32_t ipv4_subnet_gateway(const struct ipv4_cidr *subnet);
/* One of AWS's five: the first four addresses of subnet and its last. */
bool ipv4_subnet_reserved(const struct ipv4_cidr *subnet, uint32_t ip);
/* May an instance have ip in this subnet (base+4 .. broadcast-1)? A
 * /29../32 has nothing left after AWS's five. */
bool ipv4_subnet_usable(const struct ipv4_cidr *subnet, uint32_t ip);
/*
 * The lowest usable address of subnet that is not in used[0..n) (any
 * order, duplicates and addresses outside the subnet allowed; sorted in
 * place). 0, or -ENOSPC when every usable address is taken.
 */
int ipv4_subnet_next_free(const struct ipv4_cidr *subnet, uint32_t *used,
			  size_t n, uint32_t *ret);
/* The same for up to want addresses at once: the lowest free ones, in
 * ascending order, into out. Returns how many there were (0..want). */
size_t ipv4_subnet_free(const struct ipv4_cidr *subnet, uint32_t *used,
			size_t n, uint32_t *out, size_t want);

/* The default subnet of the zone with this index (0 = the first zone):
 * 172.31.0.0/20, 172.31.16.0/20, ...; -EINVAL past the sixteenth. */
int ipv4_default_subnet(unsigned zone_index, struct ipv4_cidr *ret);
/* The default VPC's block, 172.31.0.0/16. */
void ipv4_default_vpc(struct ipv4_cidr *ret);

/* The name EC2 gives an address: 172.31.0.4 -> "ip-172-31-0-4". */
void ipv4_hostname(uint32_t ip, char out[IPV4_HOSTNAME_STRLEN]);

#endif

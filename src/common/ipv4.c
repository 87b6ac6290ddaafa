/*
 * ipv4.c - IPv4 addresses and CIDR blocks, strictly parsed, and AWS's
 * address rules for subnets and the default VPC. See ipv4.h.
 *
 * Pure: no allocation, no system call. The agent's network layer renders
 * gateways and DHCP hosts with it; RunInstances allocates addresses with
 * ipv4_subnet_next_free(); control makes the default VPC with
 * ipv4_default_vpc() and ipv4_default_subnet().
 */
#include "common/ipv4.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ipv4_parse(const char *s, uint32_t *ret)
{
	uint32_t ip = 0;
	int parts = 0;

	if (!s)
		return -EINVAL;
	while (parts < 4) {
		unsigned v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			if (digits > 0 && v == 0)
				return -EINVAL; /* leading zero */
			v = v * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
		}
		if (digits == 0)
			return -EINVAL;
		ip = ip << 8 | v;
		if (++parts < 4 && *s++ != '.')
			return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;
	*ret = ip;
	return 0;
}

void
ipv4_format(uint32_t ip, char out[IPV4_STRLEN])
{
	snprintf(out, IPV4_STRLEN, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255,
		 ip >> 8 & 255, ip & 255);
}

uint32_t
ipv4_prefix_mask(unsigned prefix)
{
	return prefix == 0    ? 0
	       : prefix >= 32 ? 0xffffffffu
			      : ~(0xffffffffu >> prefix);
}

/* "0".."32", no sign, no leading zero, nothing after. */
static int
prefix_parse(const char *s, unsigned *ret)
{
	unsigned prefix = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 2)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		prefix = prefix * 10 + (unsigned)(*s - '0');
	}
	if (prefix > 32)
		return -EINVAL;
	*ret = prefix;
	return 0;
}

int
ipv4_ifaddr_parse(const char *s, uint32_t *ret_ip, unsigned *ret_prefix)
{
	char ip[IPV4_STRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	unsigned prefix;
	uint32_t addr;
	size_t n;

	if (!slash || (n = (size_t)(slash - s)) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (prefix_parse(slash + 1, &prefix) < 0 || ipv4_parse(ip, &addr) < 0)
		return -EINVAL;
	*ret_ip = addr;
	*ret_prefix = prefix;
	return 0;
}

int
ipv4_cidr_parse(const char *s, struct ipv4_cidr *ret)
{
	unsigned prefix;
	uint32_t addr;

	if (ipv4_ifaddr_parse(s, &addr, &prefix) < 0 ||
	    (addr & ~ipv4_prefix_mask(prefix)) != 0)
		return -EINVAL;
	ret->addr = addr;
	ret->prefix = prefix;
	return 0;
}

void
ipv4_cidr_format(const struct ipv4_cidr *c, char out[IPV4_CIDR_STRLEN])
{
	char ip[IPV4_STRLEN];

	ipv4_format(c->addr, ip);
	snprintf(out, IPV4_CIDR_STRLEN, "%s/%u", ip, c->prefix);
}

uint32_t
ipv4_cidr_network(const struct ipv4_cidr *c)
{
	return c->addr & ipv4_prefix_mask(c->prefix);
}

uint32_t
ipv4_cidr_broadcast(const struct ipv4_cidr *c)
{
	return ipv4_cidr_network(c) | ~ipv4_prefix_mask(c->prefix);
}

uint64_t
ipv4_cidr_size(const struct ipv4_cidr *c)
{
	return (uint64_t)1 << (32 - (c->prefix > 32 ? 32 : c->prefix));
}

bool
ipv4_cidr_contains(const struct ipv4_cidr *c, uint32_t ip)
{
	return (ip & ipv4_prefix_mask(c->prefix)) == ipv4_cidr_network(c);
}

bool
ipv4_cidr_within(const struct ipv4_cidr *inner, const struct ipv4_cidr *outer)
{
	return inner->prefix >= outer->prefix &&
	       ipv4_cidr_contains(outer, inner->addr);
}

bool
ipv4_cidr_overlap(const struct ipv4_cidr *a, const struct ipv4_cidr *b)
{
	return ipv4_cidr_within(a, b) || ipv4_cidr_within(b, a);
}

int
ipv4_cidr_nth(const struct ipv4_cidr *c, uint64_t n, uint32_t *ret)
{
	if (n >= ipv4_cidr_size(c))
		return -ERANGE;
	*ret = ipv4_cidr_network(c) + (uint32_t)n;
	return 0;
}

uint32_t
ipv4_subnet_gateway(const struct ipv4_cidr *subnet)
{
	return ipv4_cidr_network(subnet) + 1;
}

bool
ipv4_subnet_reserved(const struct ipv4_cidr *subnet, uint32_t ip)
{
	uint32_t base = ipv4_cidr_network(subnet);

	return ipv4_cidr_contains(subnet, ip) &&
	       (ip - base < IPV4_SUBNET_RESERVED_LOW ||
		ip == ipv4_cidr_broadcast(subnet));
}

bool
ipv4_subnet_usable(const struct ipv4_cidr *subnet, uint32_t ip)
{
	return subnet->prefix <= 28 && ipv4_cidr_contains(subnet, ip) &&
	       !ipv4_subnet_reserved(subnet, ip);
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t
ipv4_subnet_free(const struct ipv4_cidr *subnet, uint32_t *used, size_t n,
		 uint32_t *out, size_t want)
{
	uint32_t ip, last;
	size_t k = 0, got = 0;

	if (subnet->prefix > 28)
		return 0;
	ip = ipv4_cidr_network(subnet) + IPV4_SUBNET_RESERVED_LOW;
	last = ipv4_cidr_broadcast(subnet) - 1;
	if (n > 1)
		qsort(used, n, sizeof(*used), u32_cmp);
	/* Walk the candidates and the sorted used set side by side. */
	for (; ip <= last && got < want; ip++) {
		while (k < n && used[k] < ip)
			k++;
		if (k == n || used[k] != ip)
			out[got++] = ip;
	}
	return got;
}

int
ipv4_subnet_next_free(const struct ipv4_cidr *subnet, uint32_t *used, size_t n,
		      uint32_t *ret)
{
	return ipv4_subnet_free(subnet, used, n, ret, 1) == 1 ? 0 : -ENOSPC;
}

void
ipv4_default_vpc(struct ipv4_cidr *ret)
{
	/* IPV4_DEFAULT_VPC_CIDR, which the unit test parses to this. */
	ret->addr = 172u << 24 | 31u << 16;
	ret->prefix = 16;
}

int
ipv4_default_subnet(unsigned zone_index, struct ipv4_cidr *ret)
{
	struct ipv4_cidr vpc;

	if (zone_index >= IPV4_DEFAULT_SUBNETS_MAX)
		return -EINVAL;
	ipv4_default_vpc(&vpc);
	ret->addr =
	    vpc.addr + (zone_index << (32 - IPV4_DEFAULT_SUBNET_PREFIX));
	ret->prefix = IPV4_DEFAULT_SUBNET_PREFIX;
	return 0;
}

void
ipv4_hostname(uint32_t ip, char out[IPV4_HOSTNAME_STRLEN])
{
	snprintf(out, IPV4_HOSTNAME_STRLEN, "ip-%u-%u-%u-%u", ip >> 24,
		 ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

/*
 * net_addr.c - IPv4, CIDR and MAC helpers. See net_addr.h.
 */
#include "agent/net/net_addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
net_ip_parse(const char *s, uint32_t *ret)
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
net_ip_format(uint32_t ip, char out[NET_IP_STRLEN])
{
	snprintf(out, NET_IP_STRLEN, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255,
		 ip >> 8 & 255, ip & 255);
}

uint32_t
net_prefix_mask(unsigned prefix)
{
	return prefix == 0    ? 0
	       : prefix >= 32 ? 0xffffffffu
			      : ~(0xffffffffu >> prefix);
}

int
net_cidr_parse(const char *s, struct net_cidr *ret)
{
	char ip[NET_IP_STRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	unsigned prefix = 0;
	uint32_t addr;
	size_t n;

	if (!slash || (n = (size_t)(slash - s)) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	s = slash + 1;
	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 2)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		prefix = prefix * 10 + (unsigned)(*s - '0');
	}
	if (prefix > 32 || net_ip_parse(ip, &addr) < 0 ||
	    (addr & ~net_prefix_mask(prefix)) != 0)
		return -EINVAL;
	ret->addr = addr;
	ret->prefix = prefix;
	return 0;
}

void
net_cidr_format(const struct net_cidr *c, char out[NET_CIDR_STRLEN])
{
	char ip[NET_IP_STRLEN];

	net_ip_format(c->addr, ip);
	snprintf(out, NET_CIDR_STRLEN, "%s/%u", ip, c->prefix);
}

uint32_t
net_cidr_broadcast(const struct net_cidr *c)
{
	return c->addr | ~net_prefix_mask(c->prefix);
}

bool
net_cidr_contains(const struct net_cidr *c, uint32_t ip)
{
	return (ip & net_prefix_mask(c->prefix)) == c->addr;
}

bool
net_cidr_within(const struct net_cidr *inner, const struct net_cidr *outer)
{
	return inner->prefix >= outer->prefix &&
	       net_cidr_contains(outer, inner->addr);
}

bool
net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b)
{
	return net_cidr_within(a, b) || net_cidr_within(b, a);
}

uint32_t
net_subnet_gateway(const struct net_cidr *subnet)
{
	return subnet->addr + 1;
}

bool
net_subnet_usable(const struct net_cidr *subnet, uint32_t ip)
{
	/* A /29../32 has no address left after AWS's five. */
	if (subnet->prefix > 28 || !net_cidr_contains(subnet, ip))
		return false;
	return ip >= subnet->addr + 4 && ip < net_cidr_broadcast(subnet);
}

int
net_default_subnet(unsigned zone_index, struct net_cidr *ret)
{
	struct net_cidr vpc;

	if (zone_index >= NET_DEFAULT_SUBNETS_MAX ||
	    net_cidr_parse(NET_DEFAULT_VPC_CIDR, &vpc) < 0)
		return -EINVAL;
	ret->addr = vpc.addr + (zone_index << (32 - NET_DEFAULT_SUBNET_PREFIX));
	ret->prefix = NET_DEFAULT_SUBNET_PREFIX;
	return 0;
}

static bool
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool
net_mac_valid(const char *mac)
{
	if (!mac || strlen(mac) != NET_MAC_STRLEN - 1)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? mac[i] != ':' : !is_lower_hex(mac[i]))
			return false;
	/* The first octet's low bit marks a multicast address. */
	return (mac[1] >= 'a' ? mac[1] - 'a' + 10 : mac[1] - '0') % 2 == 0;
}

void
net_ip_hostname(uint32_t ip, char out[NET_HOSTNAME_STRLEN])
{
	snprintf(out, NET_HOSTNAME_STRLEN, "ip-%u-%u-%u-%u", ip >> 24,
		 ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

/*
 * net_name.c - naming of namespaces and devices. See net_name.h.
 *
 * Pure: no system call. Everything else in net/ gets its names here, so
 * the length limit is checked in one place and by the unit tests.
 */
#include "agent/net/net_name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool
net_tag_valid(const char *tag)
{
	size_t n = tag ? strlen(tag) : 0;

	if (n < NET_TAG_MIN || n > NET_TAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((tag[i] >= 'a' && tag[i] <= 'z') ||
		      (tag[i] >= '0' && tag[i] <= '9')))
			return false;
	return true;
}

static bool
num_valid(unsigned n)
{
	return n >= 1 && n <= NET_NUM_MAX;
}

int
net_name_host_ns(const char *tag, unsigned host, char out[NET_NSNAME_SIZE])
{
	if (!net_tag_valid(tag) || !num_valid(host))
		return -EINVAL;
	snprintf(out, NET_NSNAME_SIZE, NET_PREFIX "-%s-h%u", tag, host);
	return 0;
}

int
net_name_vpc_ns(const char *tag, unsigned vpc, char out[NET_NSNAME_SIZE])
{
	if (!net_tag_valid(tag) || !num_valid(vpc))
		return -EINVAL;
	snprintf(out, NET_NSNAME_SIZE, NET_PREFIX "-%s-vpc%u", tag, vpc);
	return 0;
}

int
net_name_dev(const char *tag, enum net_dev kind, unsigned n,
	     char out[NET_IFNAME_SIZE])
{
	static const char letters[] = {
	    [NET_DEV_BRIDGE] = 'b',   [NET_DEV_UPLINK] = 'u',
	    [NET_DEV_TAP] = 't',      [NET_DEV_ROUTER_BRIDGE] = 'r',
	    [NET_DEV_DOWNLINK] = 'h', [NET_DEV_PEER] = 'p',
	};
	int len;

	if (!net_tag_valid(tag) || !num_valid(n) ||
	    (unsigned)kind >= sizeof(letters))
		return -EINVAL;
	len = snprintf(out, NET_IFNAME_SIZE, "e%s%c%x", tag, letters[kind], n);
	/* Cannot happen with the limits above; kept as the one check. */
	if (len < 0 || len >= NET_IFNAME_SIZE)
		return -ENAMETOOLONG;
	return 0;
}

int
net_name_ns_prefix(const char *tag, char out[NET_NSNAME_SIZE])
{
	if (!net_tag_valid(tag))
		return -EINVAL;
	snprintf(out, NET_NSNAME_SIZE, NET_PREFIX "-%s-", tag);
	return 0;
}

bool
net_name_ns_is_ours(const char *tag, const char *name)
{
	char prefix[NET_NSNAME_SIZE];
	size_t n;

	if (net_name_ns_prefix(tag, prefix) < 0 || !name)
		return false;
	n = strlen(prefix);
	return strncmp(name, prefix, n) == 0 && name[n] != '\0' &&
	       !strchr(name + n, '/');
}

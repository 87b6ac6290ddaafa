/*
 * mac.c - interface MACs: the one spelling and a random local one. See
 * mac.h.
 */
#include "common/mac.h"

#include <stdio.h>
#include <string.h>

#include "common/ids.h"

static bool
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool
mac_valid(const char *mac)
{
	if (!mac || strlen(mac) != MAC_STRLEN - 1)
		return false;
	for (int i = 0; i < MAC_STRLEN - 1; i++)
		if (i % 3 == 2 ? mac[i] != ':' : !is_lower_hex(mac[i]))
			return false;
	/* The first octet's low bit marks a multicast address. */
	return (mac[1] >= 'a' ? mac[1] - 'a' + 10 : mac[1] - '0') % 2 == 0;
}

void
mac_random(char out[MAC_STRLEN])
{
	unsigned char r[5];

	id_random(r, sizeof(r));
	/* 0e: the locally administered bit set, the multicast bit clear. */
	snprintf(out, MAC_STRLEN, "0e:%02x:%02x:%02x:%02x:%02x", r[0], r[1],
		 r[2], r[3], r[4]);
}

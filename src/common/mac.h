/*
 * mac.h - the MAC address of an instance's network interface.
 *
 * RunInstances makes one with mac_random(); the agent's network layer
 * checks it with mac_valid() before it reaches a DHCP host line or the
 * port guard. One spelling: six lowercase hex pairs joined by ':'.
 */
#ifndef EC2D_COMMON_MAC_H
#define EC2D_COMMON_MAC_H

#include <stdbool.h>

#define MAC_STRLEN 18 /* "02:00:00:00:00:01" and the NUL */

/* Six lowercase hex pairs, unicast (bit 0 of the first octet clear). */
bool mac_valid(const char *mac);
/* "0e:xx:xx:xx:xx:xx": locally administered, unicast, random. */
void mac_random(char out[MAC_STRLEN]);

#endif

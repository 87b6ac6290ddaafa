/*
 * ids.h - identifiers as EC2 spells them, from the kernel's random source.
 */
#ifndef EC2D_COMMON_IDS_H
#define EC2D_COMMON_IDS_H

#include <stddef.h>

#define ID_MAX 32

/* prefix "i" -> "i-0123456789abcdef0" (17 hex digits). */
void id_new(const char *prefix, char out[ID_MAX]);
/* A request id: a random UUID (version 4). */
void id_request(char out[37]);
/* Fill p with n random bytes (getrandom; aborts if the kernel cannot). */
void id_random(void *p, size_t n);
/* Random characters from [A-Za-z0-9] (plus "/+" when secret). */
void id_random_text(char *out, size_t len, int secret);

/*
 * An instance's private DNS name as EC2 spells it for its region:
 * ip-172-31-5-10.ec2.internal (us-east-1), else
 * ip-172-31-5-10.REGION.compute.internal.
 */
void id_dns_name(const char *region, const char *ip, char *out, size_t size);

#endif

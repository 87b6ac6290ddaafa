/*
 * ids.c - random identifiers. See ids.h.
 */
#include "ids.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void
id_random(void *p, size_t n)
{
	unsigned char *b = p;

	while (n > 0) {
		ssize_t got = getrandom(b, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* no randomness: no safe ids or keys */
		}
		b += got;
		n -= (size_t)got;
	}
}

void
id_new(const char *prefix, char out[ID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[17];
	char digits[18];

	id_random(r, sizeof(r));
	for (int i = 0; i < 17; i++)
		digits[i] = hex[r[i] & 15];
	digits[17] = '\0';
	snprintf(out, ID_MAX, "%s-%s", prefix, digits);
}

void
id_request(char out[37])
{
	unsigned char r[16];

	id_random(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
}

void
id_random_text(char *out, size_t len, int secret)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static const char full[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "abcdefghijklmnopqrstuvwxyz0123456789/+";
	const char *set = secret ? full : plain;
	size_t setlen = secret ? sizeof(full) - 1 : sizeof(plain) - 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char r;

		/* Rejection sampling keeps the characters uniform. */
		do
			id_random(&r, 1);
		while (r >= 256 - 256 % setlen);
		out[i] = set[r % setlen];
	}
	out[len] = '\0';
}

void
id_dns_name(const char *region, const char *ip, char *out, size_t size)
{
	char dashed[16];

	snprintf(dashed, sizeof(dashed), "%s", ip);
	for (char *p = dashed; *p; p++)
		if (*p == '.')
			*p = '-';
	if (strcmp(region, "us-east-1") == 0)
		snprintf(out, size, "ip-%s.ec2.internal", dashed);
	else
		snprintf(out, size, "ip-%s.%.40s.compute.internal", dashed,
			 region);
}

/*
 * test_mac.c - common/mac: the one spelling of an interface MAC, and
 * that the MACs RunInstances makes are ones the network layer accepts.
 */
#include <stdio.h>
#include <string.h>

#include "common/mac.h"
#include "unit.h"

static void
test_valid(void)
{
	static const struct {
		const char *mac;
		bool ok;
	} cases[] = {
	    {"02:00:00:00:00:01", true},
	    {"0e:ab:cd:ef:01:23", true},
	    {"00:00:00:00:00:00", true},
	    {"01:00:5e:00:00:01", false}, /* multicast */
	    {"ff:ff:ff:ff:ff:ff", false}, /* broadcast */
	    {"0E:AB:CD:EF:01:23", false}, /* upper case */
	    {"02:00:00:00:00", false},
	    {"02:00:00:00:00:01:02", false},
	    {"02-00-00-00-00-01", false},
	    {"02:00:00:00:00:01\n", false},
	    {"02:00:00:00:00:0g", false},
	    {"020:00:00:00:00:1", false},
	    {"", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(mac_valid(cases[i].mac) == cases[i].ok, "mac \"%s\"",
		      cases[i].mac);
	CHECK(!mac_valid(NULL), "NULL");
}

static void
test_random(void)
{
	char a[MAC_STRLEN], b[MAC_STRLEN];
	int same = 0;

	for (int i = 0; i < 64; i++) {
		mac_random(a);
		mac_random(b);
		CHECK(mac_valid(a) && strncmp(a, "0e:", 3) == 0, "made %s", a);
		same += strcmp(a, b) == 0;
	}
	/* 40 random bits: a repeat in 64 pairs means no randomness. */
	CHECK(same == 0, "%d repeats", same);
}

int
main(void)
{
	test_valid();
	test_random();
	return UNIT_DONE();
}

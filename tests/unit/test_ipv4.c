/*
 * test_ipv4.c - common/ipv4: strict parsing of addresses and CIDR blocks
 * (one spelling per value), block arithmetic, AWS's reserved addresses,
 * allocation of the next free address, and the default VPC's layout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipv4.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		uint32_t ip;
	} cases[] = {
	    {"172.31.0.4", 1, 0xac1f0004},
	    {"0.0.0.0", 1, 0},
	    {"255.255.255.255", 1, 0xffffffff},
	    {"10.0.0.10", 1, 0x0a00000a},
	    {"1.2.3.100", 1, 0x01020364},
	    /* Leading zeros: "010" is octal to inet_aton. */
	    {"172.031.0.4", 0, 0},
	    {"01.2.3.4", 0, 0},
	    {"1.2.3.00", 0, 0},
	    {"1.2.3.0010", 0, 0},
	    /* Out of range. */
	    {"256.1.1.1", 0, 0},
	    {"1.2.3.999", 0, 0},
	    {"1.2.3.1000", 0, 0},
	    {"4294967295", 0, 0},
	    /* Shape. */
	    {"172.31.0", 0, 0},
	    {"172.31.0.4.5", 0, 0},
	    {"1..2.3", 0, 0},
	    {".1.2.3", 0, 0},
	    {"1.2.3.", 0, 0},
	    {"", 0, 0},
	    {"a.b.c.d", 0, 0},
	    {"0x1.2.3.4", 0, 0},
	    {"+1.2.3.4", 0, 0},
	    {"-1.2.3.4", 0, 0},
	    /* Trailing and leading junk. */
	    {"1.2.3.4 ", 0, 0},
	    {" 1.2.3.4", 0, 0},
	    {"1.2.3.4\n", 0, 0},
	    {"1.2.3.4/32", 0, 0},
	    {"1.2.3.4x", 0, 0},
	};

	for (size_t i = 0; i < N(cases); i++) {
		uint32_t ip = 0xdeadbeef;
		int rc = ipv4_parse(cases[i].s, &ip);

		CHECK(cases[i].ok ? rc == 0 && ip == cases[i].ip
				  : rc == -EINVAL && ip == 0xdeadbeef,
		      "ip \"%s\": rc %d", cases[i].s, rc);
	}
	CHECK(ipv4_parse(NULL, &(uint32_t){0}) == -EINVAL, "ip NULL");
}

static void
test_format(void)
{
	static const struct {
		uint32_t ip;
		const char *s, *host;
	} cases[] = {
	    {0, "0.0.0.0", "ip-0-0-0-0"},
	    {0xac1f1004, "172.31.16.4", "ip-172-31-16-4"},
	    {0xffffffff, "255.255.255.255", "ip-255-255-255-255"},
	};

	for (size_t i = 0; i < N(cases); i++) {
		char s[IPV4_STRLEN], h[IPV4_HOSTNAME_STRLEN];
		uint32_t back;

		ipv4_format(cases[i].ip, s);
		ipv4_hostname(cases[i].ip, h);
		CHECK_STR(s, cases[i].s);
		CHECK_STR(h, cases[i].host);
		CHECK(ipv4_parse(s, &back) == 0 && back == cases[i].ip,
		      "round trip %s", s);
	}
}

static void
test_cidr_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		uint32_t addr;
		unsigned prefix;
	} cases[] = {
	    {"172.31.0.0/16", 1, 0xac1f0000, 16},
	    {"172.31.16.0/20", 1, 0xac1f1000, 20},
	    {"0.0.0.0/0", 1, 0, 0},
	    {"10.0.0.5/32", 1, 0x0a000005, 32},
	    {"10.0.0.0/8", 1, 0x0a000000, 8},
	    /* Host bits set: one spelling per block. */
	    {"172.31.0.1/20", 0, 0, 0},
	    {"10.0.0.5/31", 0, 0, 0},
	    {"1.0.0.0/0", 0, 0, 0},
	    /* Prefix out of range or misspelt. */
	    {"172.31.0.0/33", 0, 0, 0},
	    {"172.31.0.0/99", 0, 0, 0},
	    {"172.31.0.0/100", 0, 0, 0},
	    {"172.31.0.0/020", 0, 0, 0},
	    {"172.31.0.0/00", 0, 0, 0},
	    {"172.31.0.0/-1", 0, 0, 0},
	    {"172.31.0.0/+8", 0, 0, 0},
	    {"172.31.0.0/", 0, 0, 0},
	    {"172.31.0.0", 0, 0, 0},
	    {"/16", 0, 0, 0},
	    /* Address misspelt. */
	    {"172.031.0.0/16", 0, 0, 0},
	    {"256.0.0.0/8", 0, 0, 0},
	    {"172.31.0/16", 0, 0, 0},
	    {"255.255.255.2555/32", 0, 0, 0},
	    /* Trailing junk. */
	    {"172.31.0.0/2x", 0, 0, 0},
	    {"172.31.0.0/16 ", 0, 0, 0},
	    {"172.31.0.0/16/16", 0, 0, 0},
	    {"172.31.0.0 /16", 0, 0, 0},
	    {"", 0, 0, 0},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ipv4_cidr c = {0xdeadbeef, 99};
		int rc = ipv4_cidr_parse(cases[i].s, &c);

		CHECK(cases[i].ok ? rc == 0 && c.addr == cases[i].addr &&
					c.prefix == cases[i].prefix
				  : rc == -EINVAL && c.addr == 0xdeadbeef,
		      "cidr \"%s\": rc %d", cases[i].s, rc);
		if (cases[i].ok) {
			char s[IPV4_CIDR_STRLEN];

			ipv4_cidr_format(&c, s);
			CHECK_STR(s, cases[i].s);
		}
	}
	CHECK(ipv4_cidr_parse(NULL, &(struct ipv4_cidr){0}) == -EINVAL,
	      "cidr NULL");
}

static void
test_ifaddr(void)
{
	static const struct {
		const char *s;
		int ok;
		uint32_t ip;
		unsigned prefix;
	} cases[] = {
	    {"172.31.16.1/20", 1, 0xac1f1001, 20},
	    {"169.254.169.254/32", 1, 0xa9fea9fe, 32},
	    {"172.31.16.1/33", 0, 0, 0},
	    {"172.31.16.1/020", 0, 0, 0},
	    {"172.31.16.1", 0, 0, 0},
	    {"172.31.16.01/20", 0, 0, 0},
	};

	for (size_t i = 0; i < N(cases); i++) {
		uint32_t ip = 0;
		unsigned prefix = 0;
		int rc = ipv4_ifaddr_parse(cases[i].s, &ip, &prefix);

		CHECK(cases[i].ok ? rc == 0 && ip == cases[i].ip &&
					prefix == cases[i].prefix
				  : rc == -EINVAL,
		      "ifaddr \"%s\": rc %d", cases[i].s, rc);
	}
}

static void
test_arithmetic(void)
{
	static const struct {
		const char *cidr;
		const char *network, *broadcast, *mask, *gateway;
		uint64_t size;
	} cases[] = {
	    {"172.31.16.0/20", "172.31.16.0", "172.31.31.255", "255.255.240.0",
	     "172.31.16.1", 4096},
	    {"10.0.0.0/28", "10.0.0.0", "10.0.0.15", "255.255.255.240",
	     "10.0.0.1", 16},
	    {"0.0.0.0/0", "0.0.0.0", "255.255.255.255", "0.0.0.0", "0.0.0.1",
	     1ull << 32},
	    {"10.0.0.5/32", "10.0.0.5", "10.0.0.5", "255.255.255.255",
	     "10.0.0.6", 1},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ipv4_cidr c;
		char net[IPV4_STRLEN], bc[IPV4_STRLEN], mask[IPV4_STRLEN],
		    gw[IPV4_STRLEN];

		CHECK(ipv4_cidr_parse(cases[i].cidr, &c) == 0, "%s",
		      cases[i].cidr);
		ipv4_format(ipv4_cidr_network(&c), net);
		ipv4_format(ipv4_cidr_broadcast(&c), bc);
		ipv4_format(ipv4_prefix_mask(c.prefix), mask);
		ipv4_format(ipv4_subnet_gateway(&c), gw);
		CHECK_STR(net, cases[i].network);
		CHECK_STR(bc, cases[i].broadcast);
		CHECK_STR(mask, cases[i].mask);
		CHECK_STR(gw, cases[i].gateway);
		CHECK(ipv4_cidr_size(&c) == cases[i].size, "%s size",
		      cases[i].cidr);
	}
}

static void
test_contains(void)
{
	static const struct {
		const char *a, *b;
		int b_in_a, a_in_b, overlap;
	} cases[] = {
	    {"172.31.0.0/16", "172.31.16.0/20", 1, 0, 1},
	    {"172.31.16.0/20", "172.31.16.128/25", 1, 0, 1},
	    {"172.31.16.0/20", "172.31.32.0/20", 0, 0, 0},
	    {"172.31.16.0/20", "172.31.16.0/20", 1, 1, 1},
	    {"0.0.0.0/0", "10.0.0.5/32", 1, 0, 1},
	    {"172.31.0.0/16", "172.32.0.0/16", 0, 0, 0},
	};
	static const struct {
		const char *cidr, *ip;
		int in;
	} ips[] = {
	    {"172.31.16.0/20", "172.31.16.0", 1},
	    {"172.31.16.0/20", "172.31.31.255", 1},
	    {"172.31.16.0/20", "172.31.32.0", 0},
	    {"172.31.16.0/20", "172.31.15.255", 0},
	    {"0.0.0.0/0", "255.255.255.255", 1},
	    {"10.0.0.5/32", "10.0.0.5", 1},
	    {"10.0.0.5/32", "10.0.0.4", 0},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ipv4_cidr a, b;

		ipv4_cidr_parse(cases[i].a, &a);
		ipv4_cidr_parse(cases[i].b, &b);
		CHECK(ipv4_cidr_within(&b, &a) == cases[i].b_in_a &&
			  ipv4_cidr_within(&a, &b) == cases[i].a_in_b &&
			  ipv4_cidr_overlap(&a, &b) == cases[i].overlap &&
			  ipv4_cidr_overlap(&b, &a) == cases[i].overlap,
		      "%s vs %s", cases[i].a, cases[i].b);
	}
	for (size_t i = 0; i < N(ips); i++) {
		struct ipv4_cidr c;
		uint32_t ip;

		ipv4_cidr_parse(ips[i].cidr, &c);
		ipv4_parse(ips[i].ip, &ip);
		CHECK(ipv4_cidr_contains(&c, ip) == ips[i].in, "%s in %s",
		      ips[i].ip, ips[i].cidr);
	}
}

static void
test_nth(void)
{
	static const struct {
		const char *cidr;
		uint64_t n;
		int rc;
		const char *ip;
	} cases[] = {
	    {"172.31.16.0/20", 0, 0, "172.31.16.0"},
	    {"172.31.16.0/20", 4, 0, "172.31.16.4"},
	    {"172.31.16.0/20", 300, 0, "172.31.17.44"},
	    {"172.31.16.0/20", 4095, 0, "172.31.31.255"},
	    {"172.31.16.0/20", 4096, -ERANGE, NULL},
	    {"10.0.0.5/32", 0, 0, "10.0.0.5"},
	    {"10.0.0.5/32", 1, -ERANGE, NULL},
	    {"0.0.0.0/0", 0xffffffffull, 0, "255.255.255.255"},
	    {"0.0.0.0/0", 1ull << 32, -ERANGE, NULL},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ipv4_cidr c;
		uint32_t ip = 0;
		char s[IPV4_STRLEN];
		int rc;

		ipv4_cidr_parse(cases[i].cidr, &c);
		rc = ipv4_cidr_nth(&c, cases[i].n, &ip);
		CHECK(rc == cases[i].rc, "%s #%llu: rc %d", cases[i].cidr,
		      (unsigned long long)cases[i].n, rc);
		if (rc == 0 && cases[i].ip) {
			ipv4_format(ip, s);
			CHECK_STR(s, cases[i].ip);
		}
	}
}

/* AWS keeps .0-.3 and the broadcast address of every subnet. */
static void
test_reserved(void)
{
	static const struct {
		const char *cidr, *ip;
		int reserved, usable;
	} cases[] = {
	    {"172.31.16.0/20", "172.31.16.0", 1, 0},
	    {"172.31.16.0/20", "172.31.16.1", 1, 0},
	    {"172.31.16.0/20", "172.31.16.2", 1, 0},
	    {"172.31.16.0/20", "172.31.16.3", 1, 0},
	    {"172.31.16.0/20", "172.31.16.4", 0, 1},
	    {"172.31.16.0/20", "172.31.17.0", 0, 1},
	    {"172.31.16.0/20", "172.31.31.254", 0, 1},
	    {"172.31.16.0/20", "172.31.31.255", 1, 0},
	    {"172.31.16.0/20", "172.31.32.4", 0, 0},
	    {"172.31.16.0/20", "172.31.15.255", 0, 0},
	    {"10.0.0.0/28", "10.0.0.4", 0, 1},
	    {"10.0.0.0/28", "10.0.0.14", 0, 1},
	    {"10.0.0.0/28", "10.0.0.15", 1, 0},
	    /* Nothing usable left in a /29 or smaller. */
	    {"10.0.0.0/29", "10.0.0.4", 0, 0},
	    {"10.0.0.0/29", "10.0.0.6", 0, 0},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ipv4_cidr c;
		uint32_t ip;

		ipv4_cidr_parse(cases[i].cidr, &c);
		ipv4_parse(cases[i].ip, &ip);
		CHECK(ipv4_subnet_reserved(&c, ip) == cases[i].reserved &&
			  ipv4_subnet_usable(&c, ip) == cases[i].usable,
		      "%s in %s", cases[i].ip, cases[i].cidr);
	}
}

static void
test_next_free(void)
{
	static const struct {
		const char *cidr;
		const char *used[8];
		int rc;
		const char *want;
	} cases[] = {
	    {"172.31.16.0/20", {NULL}, 0, "172.31.16.4"},
	    {"172.31.16.0/20", {"172.31.16.4"}, 0, "172.31.16.5"},
	    /* Any order, duplicates, holes: the lowest hole wins. */
	    {"172.31.16.0/20",
	     {"172.31.16.6", "172.31.16.4", "172.31.16.4", "172.31.16.5",
	      "172.31.16.8"},
	     0,
	     "172.31.16.7"},
	    /* Addresses elsewhere do not count. */
	    {"172.31.16.0/20", {"172.31.0.4", "10.0.0.4"}, 0, "172.31.16.4"},
	    /* A reserved address in the set changes nothing. */
	    {"172.31.16.0/20",
	     {"172.31.16.1", "172.31.16.3"},
	     0,
	     "172.31.16.4"},
	    /* A /28 has eleven: .4 .. .14. */
	    {"10.0.0.0/28",
	     {"10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8",
	      "10.0.0.9", "10.0.0.10", "10.0.0.11"},
	     0,
	     "10.0.0.12"},
	    {"10.0.0.0/29", {NULL}, -ENOSPC, NULL},
	    {"255.255.255.240/28", {NULL}, 0, "255.255.255.244"},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ipv4_cidr c;
		uint32_t used[8], ip = 0;
		size_t n = 0;
		int rc;

		ipv4_cidr_parse(cases[i].cidr, &c);
		for (; n < N(cases[i].used) && cases[i].used[n]; n++)
			ipv4_parse(cases[i].used[n], &used[n]);
		rc = ipv4_subnet_next_free(&c, used, n, &ip);
		CHECK(rc == cases[i].rc, "next free in %s: rc %d",
		      cases[i].cidr, rc);
		if (rc == 0) {
			char s[IPV4_STRLEN];

			ipv4_format(ip, s);
			CHECK_STR(s, cases[i].want);
		}
	}
}

/* A /28 fills up: eleven addresses, then -ENOSPC. */
static void
test_next_free_full(void)
{
	struct ipv4_cidr c;
	uint32_t used[16], ip;
	size_t n = 0;

	ipv4_cidr_parse("10.0.0.16/28", &c);
	while (n < 16 && ipv4_subnet_next_free(&c, used, n, &ip) == 0) {
		CHECK(ipv4_subnet_usable(&c, ip), "allocated a usable one");
		used[n++] = ip;
	}
	CHECK(n == 11, "a /28 holds %zu, want 11", n);
	CHECK(ipv4_subnet_next_free(&c, used, n, &ip) == -ENOSPC, "full");
}

/* Several at once: the lowest holes, ascending, as many as there are. */
static void
test_free_many(void)
{
	static const struct {
		const char *cidr;
		const char *used[4];
		size_t want;
		const char *got[8]; /* NULL-terminated */
	} cases[] = {
	    {"172.31.16.0/20",
	     {NULL},
	     3,
	     {"172.31.16.4", "172.31.16.5", "172.31.16.6"}},
	    {"172.31.16.0/20",
	     {"172.31.16.5", "172.31.16.7"},
	     3,
	     {"172.31.16.4", "172.31.16.6", "172.31.16.8"}},
	    {"10.0.0.0/28",
	     {"10.0.0.4", "10.0.0.14", "10.0.0.6", "10.0.0.8"},
	     9,
	     {"10.0.0.5", "10.0.0.7", "10.0.0.9", "10.0.0.10", "10.0.0.11",
	      "10.0.0.12", "10.0.0.13", NULL}},
	    {"10.0.0.0/30", {NULL}, 2, {NULL}},
	    {"172.31.16.0/20", {NULL}, 0, {NULL}},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ipv4_cidr c;
		uint32_t used[4], out[16];
		size_t n = 0, got, want_n = 0;

		ipv4_cidr_parse(cases[i].cidr, &c);
		for (; n < N(cases[i].used) && cases[i].used[n]; n++)
			ipv4_parse(cases[i].used[n], &used[n]);
		while (want_n < N(cases[i].got) && cases[i].got[want_n])
			want_n++;
		got = ipv4_subnet_free(&c, used, n, out, cases[i].want);
		CHECK(got == want_n, "free in %s: %zu, want %zu", cases[i].cidr,
		      got, want_n);
		for (size_t k = 0; k < got && k < want_n; k++) {
			char s[IPV4_STRLEN];

			ipv4_format(out[k], s);
			CHECK_STR(s, cases[i].got[k]);
		}
	}
}

static void
test_default_vpc(void)
{
	static const char *const want[] = {
	    "172.31.0.0/20",   "172.31.16.0/20",  "172.31.32.0/20",
	    "172.31.48.0/20",  "172.31.64.0/20",  "172.31.80.0/20",
	    "172.31.96.0/20",  "172.31.112.0/20", "172.31.128.0/20",
	    "172.31.144.0/20", "172.31.160.0/20", "172.31.176.0/20",
	    "172.31.192.0/20", "172.31.208.0/20", "172.31.224.0/20",
	    "172.31.240.0/20",
	};
	struct ipv4_cidr vpc, parsed, c;
	char s[IPV4_CIDR_STRLEN];

	ipv4_default_vpc(&vpc);
	CHECK(ipv4_cidr_parse(IPV4_DEFAULT_VPC_CIDR, &parsed) == 0 &&
		  parsed.addr == vpc.addr && parsed.prefix == vpc.prefix,
	      "ipv4_default_vpc is IPV4_DEFAULT_VPC_CIDR");
	ipv4_cidr_format(&vpc, s);
	CHECK_STR(s, "172.31.0.0/16");
	CHECK(N(want) == IPV4_DEFAULT_SUBNETS_MAX, "sixteen zones");
	for (unsigned i = 0; i < N(want); i++) {
		CHECK(ipv4_default_subnet(i, &c) == 0, "zone %u", i);
		ipv4_cidr_format(&c, s);
		CHECK_STR(s, want[i]);
		CHECK(ipv4_cidr_within(&c, &vpc), "zone %u inside", i);
		for (unsigned j = 0; j < i; j++) {
			struct ipv4_cidr d;

			ipv4_default_subnet(j, &d);
			CHECK(!ipv4_cidr_overlap(&c, &d), "%u and %u", i, j);
		}
	}
	CHECK(ipv4_default_subnet(IPV4_DEFAULT_SUBNETS_MAX, &c) == -EINVAL,
	      "no seventeenth");
}

int
main(void)
{
	test_parse();
	test_format();
	test_cidr_parse();
	test_ifaddr();
	test_arithmetic();
	test_contains();
	test_nth();
	test_reserved();
	test_next_free();
	test_next_free_full();
	test_free_many();
	test_default_vpc();
	return UNIT_DONE();
}

/*
 * test_net_render.c - the network layer's pure parts: names within
 * Linux's 15-character limit and the exact text given to ip and dnsmasq,
 * including what an "ensure" leaves out when the object exists (the
 * address rules are test_ipv4.c's). The port guard's nft input is
 * compared byte for byte with golden files, tests/data/nft/NAME.nft
 * (UPDATE_GOLDEN=1 rewrites them; review the diff in git).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/net/net_name.h"
#include "agent/net/net_render.h"
#include "common/buf.h"
#include "common/ipv4.h"
#include "unit.h"

#include "golden.h"

#define NFT_GOLDEN_DIR "../data/nft/"

static void
test_tags(void)
{
	static const struct {
		const char *tag;
		bool ok;
	} cases[] = {
	    {"ab12", true},  {"abcdef", true},	 {"0000", true},
	    {"abc", false},  {"abcdefg", false}, {"AB12", false},
	    {"ab-1", false}, {"ab 1", false},	 {"", false},
	    {"ab/1", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(net_tag_valid(cases[i].tag) == cases[i].ok, "tag \"%s\"",
		      cases[i].tag);
	CHECK(!net_tag_valid(NULL), "NULL tag");
}

static void
test_names(void)
{
	char ns[NET_NSNAME_SIZE], dev[NET_IFNAME_SIZE];
	static const struct {
		enum net_dev kind;
		unsigned n;
		const char *want;
	} devs[] = {
	    {NET_DEV_BRIDGE, 1, "eab12cdb1"},
	    {NET_DEV_UPLINK, 0x2a, "eab12cdu2a"},
	    {NET_DEV_TAP, NET_NUM_MAX, "eab12cdtfffffff"},
	    {NET_DEV_ROUTER_BRIDGE, 3, "eab12cdr3"},
	    {NET_DEV_DOWNLINK, 10, "eab12cdha"},
	    {NET_DEV_PEER, 255, "eab12cdpff"},
	};

	CHECK(net_name_host_ns("ab12", 1, ns) == 0, "host ns");
	CHECK_STR(ns, "ec2d-ab12-h1");
	CHECK(net_name_vpc_ns("ab12", 42, ns) == 0, "vpc ns");
	CHECK_STR(ns, "ec2d-ab12-vpc42");
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		CHECK(net_name_dev("ab12cd", devs[i].kind, devs[i].n, dev) == 0,
		      "dev %zu", i);
		CHECK_STR(dev, devs[i].want);
	}
	/* The longest name there can be fits in IFNAMSIZ. */
	CHECK(net_name_dev("zzzzzz", NET_DEV_TAP, NET_NUM_MAX, dev) == 0 &&
		  strlen(dev) == 15,
	      "longest name %s", dev);
	CHECK(net_name_dev("ab12", NET_DEV_TAP, 0, dev) == -EINVAL, "port 0");
	CHECK(net_name_dev("ab12", NET_DEV_TAP, NET_NUM_MAX + 1, dev) ==
		  -EINVAL,
	      "port too large");
	CHECK(net_name_dev("AB12", NET_DEV_TAP, 1, dev) == -EINVAL, "bad tag");
	CHECK(net_name_dev("ab12", (enum net_dev)99, 1, dev) == -EINVAL,
	      "bad kind");
	CHECK(net_name_host_ns("ab12", 0, ns) == -EINVAL, "host 0");

	CHECK(net_name_ns_is_ours("ab12", "ec2d-ab12-h1"), "ours");
	CHECK(net_name_ns_is_ours("ab12", "ec2d-ab12-vpc7"), "ours vpc");
	CHECK(!net_name_ns_is_ours("ab12", "ec2d-ab123-h1"), "other tag");
	CHECK(!net_name_ns_is_ours("ab12", "ec2d-ab1-h1"), "prefix tag");
	CHECK(!net_name_ns_is_ours("ab12", "ec2d-ab12-"), "empty rest");
	CHECK(!net_name_ns_is_ours("ab12", "ec2dqa"), "unrelated");
}

static struct ipv4_cidr subnets3[3];

static void
default_subnets(void)
{
	for (unsigned i = 0; i < 3; i++)
		ipv4_default_subnet(i, &subnets3[i]);
}

static void
test_router_batch(void)
{
	struct net_router_spec spec = {
	    .tag = "ab12",
	    .vpc = 1,
	    .subnets = subnets3,
	    .nsubnets = 3,
	};
	struct net_observed o;
	struct buf b;

	buf_init(&b, 1 << 16);
	CHECK(net_render_router(&spec, NULL, &b) == 0, "fresh router");
	CHECK_STR(buf_cstr(&b), "link add eab12r1 type bridge\n"
				"link set lo up\n"
				"link set eab12r1 up\n"
				"address replace 169.254.169.254/32 dev lo\n"
				"address replace 172.31.0.1/20 dev eab12r1\n"
				"address replace 172.31.16.1/20 dev eab12r1\n"
				"address replace 172.31.32.1/20 dev eab12r1\n");

	/* After a restart: bridge present, a subnet gone, two downlinks. */
	net_observed_init(&o);
	strlist_add(&o.links, "lo");
	strlist_add(&o.links, "eab12r1");
	strlist_add(&o.links, "eab12h1");
	strlist_add(&o.links, "eab12h2");
	strlist_add(&o.addrs, "lo 127.0.0.1/8");
	strlist_add(&o.addrs, "lo 169.254.169.254/32");
	strlist_add(&o.addrs, "eab12r1 172.31.0.1/20");
	strlist_add(&o.addrs, "eab12r1 172.31.48.1/20");
	strlist_add(&o.addrs, "eab12r1 172.31.16.1/24");
	spec.nsubnets = 2;
	buf_reset(&b);
	CHECK(net_render_router(&spec, &o, &b) == 0, "router again");
	CHECK_STR(buf_cstr(&b), "link set lo up\n"
				"link set eab12r1 up\n"
				"address replace 169.254.169.254/32 dev lo\n"
				"address replace 172.31.0.1/20 dev eab12r1\n"
				"address replace 172.31.16.1/20 dev eab12r1\n"
				"address del 172.31.48.1/20 dev eab12r1\n"
				"address del 172.31.16.1/24 dev eab12r1\n"
				"link set eab12h1 master eab12r1 up\n"
				"link set eab12h2 master eab12r1 up\n");
	net_observed_free(&o);
	buf_free(&b);
}

static void
test_port_batch(void)
{
	struct net_port_spec tap = {
	    .tag = "ab12",
	    .host = 2,
	    .vpc = 1,
	    .port = 0x1f,
	    .kind = NET_PORT_TAP,
	    .mac = "02:00:00:00:00:05",
	    .owner_uid = 1000,
	    .owner_gid = 1000,
	};
	struct net_port_spec veth = tap;
	struct net_observed o;
	struct buf b;
	int fresh = -1;

	buf_init(&b, 1 << 16);
	CHECK(net_render_host_port(&tap, NULL, &b, &fresh) == 0 && fresh == 1,
	      "first port on the host");
	CHECK_STR(buf_cstr(&b),
		  "link add eab12b1 type bridge\n"
		  "link set eab12b1 type bridge no_linklocal_learn 1\n"
		  "link set eab12b1 up\n"
		  "link add eab12u1 type veth peer name eab12h2 netns "
		  "ec2d-ab12-vpc1\n"
		  "link set eab12u1 master eab12b1 up\n"
		  "tuntap add dev eab12t1f mode tap user 1000 group 1000\n"
		  "link set eab12t1f master eab12b1 up\n");

	/* Plugged before: only the idempotent "set"s are repeated. */
	net_observed_init(&o);
	strlist_add(&o.links, "eab12b1");
	strlist_add(&o.links, "eab12u1");
	strlist_add(&o.links, "eab12t1f");
	buf_reset(&b);
	tap.owner_uid = tap.owner_gid = -1;
	CHECK(net_render_host_port(&tap, &o, &b, &fresh) == 0 && fresh == 0,
	      "port again");
	CHECK_STR(buf_cstr(&b),
		  "link set eab12b1 type bridge no_linklocal_learn 1\n"
		  "link set eab12b1 up\n"
		  "link set eab12u1 master eab12b1 up\n"
		  "link set eab12t1f master eab12b1 up\n");

	veth.kind = NET_PORT_VETH;
	veth.peer_ns = "ec2d-ab12-i1";
	buf_reset(&b);
	CHECK(net_render_host_port(&veth, &o, &b, &fresh) == 0 &&
		  strstr(buf_cstr(&b), "eab12t1f master") != NULL,
	      "veth port present");
	strlist_clear(&o.links);
	buf_reset(&b);
	CHECK(net_render_host_port(&veth, &o, &b, &fresh) == 0, "veth port");
	CHECK(strstr(buf_cstr(&b),
		     "link add eab12t1f type veth peer name eab12p1f address "
		     "02:00:00:00:00:05 netns ec2d-ab12-i1\n") != NULL,
	      "veth line: %s", buf_cstr(&b));

	veth.mac = "01:00:00:00:00:05";
	CHECK(net_render_host_port(&veth, &o, &b, &fresh) == -EINVAL,
	      "multicast MAC refused");
	veth.mac = "02:00:00:00:00:05";
	veth.peer_ns = "x y";
	CHECK(net_render_host_port(&veth, &o, &b, &fresh) == -EINVAL,
	      "bad peer namespace refused");
	tap.port = 0;
	CHECK(net_render_host_port(&tap, &o, &b, &fresh) == -EINVAL,
	      "port 0 refused");

	buf_reset(&b);
	CHECK(net_render_downlink("ab12", 2, 1, &b) == 0, "downlink");
	CHECK_STR(buf_cstr(&b), "link set eab12h2 master eab12r1 up\n");
	net_observed_free(&o);
	buf_free(&b);
}

static void
test_dnsmasq_conf(void)
{
	struct net_dhcp_spec spec = {
	    .iface = "eab12r1",
	    .pid_file = "/run/ec2d-ab12/vpc1/dnsmasq.pid",
	    .hosts_dir = "/run/ec2d-ab12/vpc1/hosts",
	    .log_file = "/run/ec2d-ab12/vpc1/dnsmasq.log",
	    .subnets = subnets3,
	    .nsubnets = 2,
	};
	struct buf b;
	uint32_t ip;

	buf_init(&b, 1 << 16);
	CHECK(net_render_dnsmasq_conf(&spec, &b) == 0, "conf");
	CHECK_STR(buf_cstr(&b),
		  "# ec2d: DHCP of one VPC. Generated; edits are lost.\n"
		  "port=0\n"
		  "interface=eab12r1\n"
		  "bind-interfaces\n"
		  "no-resolv\n"
		  "no-hosts\n"
		  "leasefile-ro\n"
		  "dhcp-authoritative\n"
		  "quiet-dhcp\n"
		  "pid-file=/run/ec2d-ab12/vpc1/dnsmasq.pid\n"
		  "log-facility=/run/ec2d-ab12/vpc1/dnsmasq.log\n"
		  "dhcp-hostsdir=/run/ec2d-ab12/vpc1/hosts\n"
		  "dhcp-range=set:s0,172.31.0.0,static,255.255.240.0,3600\n"
		  "dhcp-option=tag:s0,option:router,172.31.0.1\n"
		  "dhcp-option=tag:s0,option:classless-static-route,"
		  "169.254.169.254/32,172.31.0.1,0.0.0.0/0,172.31.0.1\n"
		  "dhcp-range=set:s1,172.31.16.0,static,255.255.240.0,3600\n"
		  "dhcp-option=tag:s1,option:router,172.31.16.1\n"
		  "dhcp-option=tag:s1,option:classless-static-route,"
		  "169.254.169.254/32,172.31.16.1,0.0.0.0/0,172.31.16.1\n");

	spec.hosts_dir = "/run/x\nserver=1.2.3.4";
	CHECK(net_render_dnsmasq_conf(&spec, &b) == -EINVAL,
	      "newline in a path refused");
	spec.hosts_dir = "relative/hosts";
	CHECK(net_render_dnsmasq_conf(&spec, &b) == -EINVAL,
	      "relative path refused");

	buf_reset(&b);
	ipv4_parse("172.31.16.4", &ip);
	CHECK(net_render_dhcp_host("02:00:00:00:00:05", ip, &b) == 0, "host");
	CHECK_STR(buf_cstr(&b),
		  "02:00:00:00:00:05,172.31.16.4,ip-172-31-16-4\n");
	CHECK(net_render_dhcp_host("02:00:00:00:00:05\n", ip, &b) == -EINVAL,
	      "bad MAC refused");
	buf_free(&b);
}

static void
test_guard(void)
{
	struct buf b;
	uint32_t ip;

	buf_init(&b, 1 << 16);
	net_render_guard_base(&b);
	/* Idempotent: sets added (kept), the chain flushed and refilled. */
	CHECK(strstr(buf_cstr(&b), "add table bridge ec2d_guard\n") &&
		  strstr(buf_cstr(&b), "flush chain bridge ec2d_guard "
				       "prerouting\n"),
	      "guard base: %s", buf_cstr(&b));
	CHECK(strstr(buf_cstr(&b),
		     "add rule bridge ec2d_guard prerouting iifname . ether "
		     "saddr . ip saddr @port_ip accept\n") &&
		  strstr(buf_cstr(&b), "ether type ip udp sport 67 drop") &&
		  strstr(buf_cstr(&b), "prerouting drop\n"),
	      "guard rules: %s", buf_cstr(&b));
	buf_reset(&b);
	ipv4_parse("172.31.0.4", &ip);
	CHECK(net_render_guard_port("eabcdt1", "02:ec:2d:00:00:04", ip, true,
				    &b) == 0,
	      "guard add");
	CHECK_STR(buf_cstr(&b),
		  "add element bridge ec2d_guard ports { \"eabcdt1\" }\n"
		  "add element bridge ec2d_guard port_mac { \"eabcdt1\" . "
		  "02:ec:2d:00:00:04 }\n"
		  "add element bridge ec2d_guard port_ip { \"eabcdt1\" . "
		  "02:ec:2d:00:00:04 . 172.31.0.4 }\n");
	buf_reset(&b);
	CHECK(net_render_guard_port("eabcdt1", "02:ec:2d:00:00:04", ip, false,
				    &b) == 0,
	      "guard delete");
	/* Added first, then deleted: a missing element is no error. */
	CHECK(strstr(buf_cstr(&b), "add element") <
		      strstr(buf_cstr(&b), "delete element") &&
		  strstr(buf_cstr(&b), "add element"),
	      "guard delete: %s", buf_cstr(&b));
	CHECK(net_render_guard_port("a\"b", "02:ec:2d:00:00:04", ip, true,
				    &b) == -EINVAL &&
		  net_render_guard_port("x", "ff:ff:ff:ff:ff:ff", ip, true,
					&b) == -EINVAL,
	      "bad device or MAC refused");
	buf_free(&b);
}

/* One port of a golden: named as net_port.c names it. */
struct guard_port {
	const char *tag;
	unsigned port;
	const char *mac, *ip;
	bool add;
};

/* base (as a plug sends it) and then each port, into one nft input. */
static void
guard_golden(const char *name, bool base, const struct guard_port *ports,
	     size_t n)
{
	char path[128], dev[NET_IFNAME_SIZE];
	struct buf b;
	uint32_t ip;

	buf_init(&b, 1 << 16);
	if (base)
		net_render_guard_base(&b);
	for (size_t i = 0; i < n; i++) {
		CHECK(net_name_dev(ports[i].tag, NET_DEV_TAP, ports[i].port,
				   dev) == 0 &&
			  ipv4_parse(ports[i].ip, &ip) == 0,
		      "%s: port %zu", name, i);
		CHECK(net_render_guard_port(dev, ports[i].mac, ip, ports[i].add,
					    &b) == 0,
		      "%s: render port %s", name, dev);
	}
	CHECK(!buf_failed(&b), "%s: too long", name);
	snprintf(path, sizeof(path), NFT_GOLDEN_DIR "%s.nft", name);
	golden_check(path, buf_cstr(&b), b.len);
	buf_free(&b);
}

/*
 * The guard's nft inputs, byte for byte: a host namespace set up (the
 * base alone), one port plugged (base and port, as net_port.c sends it)
 * and unplugged, and several ports of two VPCs (two subnets in one) with
 * one removed, in one script.
 */
static void
test_guard_goldens(void)
{
	static const struct guard_port one[] = {
	    {"ab12", 1, "02:ec:2d:00:00:01", "172.31.0.4", true},
	};
	static const struct guard_port one_gone[] = {
	    {"ab12", 1, "02:ec:2d:00:00:01", "172.31.0.4", false},
	};
	static const struct guard_port several[] = {
	    {"ab12", 1, "02:ec:2d:00:00:01", "172.31.0.4", true},
	    {"ab12", 2, "02:ec:2d:00:00:02", "172.31.16.9", true},
	    {"ab12", 0x1f, "02:ec:2d:00:01:1f", "10.0.1.20", true},
	    {"ab12", 0xabcdef1, "02:ec:2d:ab:cd:ef", "10.0.2.254", true},
	    {"ab12", 2, "02:ec:2d:00:00:02", "172.31.16.9", false},
	};

	guard_golden("guard-base", true, NULL, 0);
	guard_golden("guard-plug-one", true, one, 1);
	guard_golden("guard-unplug-one", false, one_gone, 1);
	guard_golden("guard-several", true, several,
		     sizeof(several) / sizeof(several[0]));
}

int
main(void)
{
	default_subnets();
	test_tags();
	test_names();
	test_router_batch();
	test_port_batch();
	test_dnsmasq_conf();
	test_guard();
	test_guard_goldens();
	return UNIT_DONE();
}

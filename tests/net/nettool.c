/*
 * nettool.c - a command-line face of src/agent/net and src/agent/imds for
 * the integration tests (tests/net/test_net.py), which drive the real
 * library calls one process at a time:
 *
 *   nettool TAG host H                      net_host_ensure
 *   nettool TAG vpc V CIDR SUBNET...        net_vpc_ensure
 *   nettool TAG vpc-remove V                net_vpc_remove
 *   nettool TAG plug H V P MAC IP KIND      net_port_plug (KIND: tap,
 *                                           veth:NETNS); prints the device
 *   nettool TAG unplug H V P                net_port_unplug
 *   nettool TAG destroy                     net_destroy
 *   nettool TAG bench H V N                 N tap plugs then unplugs;
 *                                           prints per-plug milliseconds
 *   nettool TAG imds FILE                   imds_server per FILE (JSON,
 *                                           see test_net.py) until stdin
 *                                           closes; prints "ready", then
 *                                           "read VPC INSTANCE" once per
 *                                           instance that read metadata
 *
 * Exit status 0 on success, 1 with the error on stderr.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/imds/imds_server.h"
#include "agent/net/net.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/params.h"

#define INSTANCES_MAX 64

static unsigned
num(const char *s)
{
	long long v;

	if (parse_ll(s, 1, NET_NUM_MAX, &v) < 0) {
		fprintf(stderr, "nettool: bad number %s\n", s);
		exit(2);
	}
	return (unsigned)v;
}

static int
die(const struct err *e)
{
	fprintf(stderr, "nettool: %s: %s\n", e->code, e->message);
	return 1;
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- imds ---------------------------------------------------------------- */

struct inst {
	unsigned vpc;
	struct host_metadata md;
	int reported;
};

static struct inst insts[INSTANCES_MAX];
static size_t ninsts;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int
lookup(void *ctx, unsigned vpc, const char *ip, struct host_metadata *out)
{
	for (size_t i = 0; i < ninsts; i++)
		if (insts[i].vpc == vpc &&
		    strcmp(insts[i].md.local_ipv4, ip) == 0) {
			*out = insts[i].md;
			return 0;
		}
	return -ENOENT;
}

static void
on_read(void *ctx, unsigned vpc, const char *id)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ninsts; i++)
		if (insts[i].vpc == vpc &&
		    strcmp(insts[i].md.instance_id, id) == 0 &&
		    !insts[i].reported) {
			insts[i].reported = 1;
			printf("read %u %s\n", vpc, id);
			fflush(stdout);
		}
	pthread_mutex_unlock(&lock);
}

static void
copy(json_t *o, const char *key, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(out, size, "%s", s ? s : "");
}

static void
load_instance(json_t *o, struct inst *in)
{
	struct host_metadata *md = &in->md;
	const char *ud = json_string_value(json_object_get(o, "user_data"));
	const char *tokens =
	    json_string_value(json_object_get(o, "http_tokens"));

	in->vpc = (unsigned)json_integer_value(json_object_get(o, "vpc"));
	copy(o, "instance_id", md->instance_id, sizeof(md->instance_id));
	copy(o, "image_id", md->image_id, sizeof(md->image_id));
	copy(o, "instance_type", md->instance_type, sizeof(md->instance_type));
	copy(o, "account_id", md->account_id, sizeof(md->account_id));
	copy(o, "region", md->region, sizeof(md->region));
	copy(o, "zone", md->zone, sizeof(md->zone));
	copy(o, "ip", md->local_ipv4, sizeof(md->local_ipv4));
	copy(o, "mac", md->mac, sizeof(md->mac));
	copy(o, "key_name", md->key_name, sizeof(md->key_name));
	copy(o, "openssh_key", md->openssh_key, sizeof(md->openssh_key));
	snprintf(md->architecture, sizeof(md->architecture), "x86_64");
	id_dns_name(md->region, md->local_ipv4, md->hostname,
		    sizeof(md->hostname));
	memcpy(md->local_hostname, md->hostname, sizeof(md->hostname));
	if (ud && strlen(ud) <= HOST_USER_DATA_MAX) {
		md->has_user_data = true;
		md->user_data_len = strlen(ud);
		memcpy(md->user_data, ud, md->user_data_len);
	}
	md->http_tokens_required = tokens && strcmp(tokens, "required") == 0;
	md->hop_limit = 1;
	md->pending_time = time(NULL);
}

static int
cmd_imds(const char *file)
{
	struct imds_server_config cfg = {.lookup = lookup, .on_read = on_read};
	struct imds_server *s;
	json_error_t je;
	json_t *root = json_load_file(file, 0, &je), *v;
	struct err e = {0};
	size_t i;
	char c;

	if (!root) {
		fprintf(stderr, "nettool: %s: %s\n", file, je.text);
		return 1;
	}
	json_array_foreach(json_object_get(root, "instances"), i,
			   v) if (ninsts < INSTANCES_MAX)
	    load_instance(v, &insts[ninsts++]);
	cfg.port = (unsigned)json_integer_value(json_object_get(root, "port"));
	if (imds_server_new(&cfg, &s, &e) < 0)
		return die(&e);
	json_array_foreach(json_object_get(root, "listen"), i, v)
	{
		unsigned vpc =
		    (unsigned)json_integer_value(json_object_get(v, "vpc"));
		const char *ns = json_string_value(json_object_get(v, "netns"));

		/* Twice: the second must be a no-op (idempotent). */
		if (imds_server_listen(s, vpc, ns ? ns : "", &e) < 0 ||
		    imds_server_listen(s, vpc, ns ? ns : "", &e) < 0) {
			imds_server_free(s);
			return die(&e);
		}
	}
	json_decref(root);
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	imds_server_free(s);
	return 0;
}

/* --- network ----------------------------------------------------------- */

static int
cmd_plug(struct net *n, char **argv, struct err *e)
{
	char dev[NET_IFNAME_SIZE];
	struct net_port p = {
	    .host = num(argv[0]),
	    .vpc = num(argv[1]),
	    .port = num(argv[2]),
	    .mac = argv[3],
	    .ip = argv[4],
	    .kind = NET_PORT_TAP,
	    .owner_uid = -1,
	    .owner_gid = -1,
	};
	long long t0 = now_us();

	if (strncmp(argv[5], "veth:", 5) == 0) {
		p.kind = NET_PORT_VETH;
		p.peer_ns = argv[5] + 5;
	}
	if (net_port_plug(n, &p, dev, e) < 0)
		return -1;
	printf("%s\n", dev);
	fprintf(stderr, "nettool: plug %.1f ms\n", (now_us() - t0) / 1000.0);
	return 0;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* N plugs and unplugs of taps on ports 0x100000.. (never the tests'). */
static int
cmd_bench(struct net *n, unsigned host, unsigned vpc, unsigned count,
	  struct err *e)
{
	long long *plug;
	long long *unplug;
	char dev[NET_IFNAME_SIZE], mac[MAC_STRLEN], ip[IPV4_STRLEN];
	int rc = 0;

	if (count > 1000)
		count = 1000; /* the addresses below stay in 172.31.8-12.x */
	plug = calloc(count, sizeof(*plug));
	unplug = calloc(count, sizeof(*unplug));
	for (unsigned i = 0; plug && unplug && i < count && rc == 0; i++) {
		struct net_port p = {
		    .host = host,
		    .vpc = vpc,
		    .port = 0x100000 + i,
		    .mac = mac,
		    .ip = ip,
		    .kind = NET_PORT_TAP,
		    .owner_uid = -1,
		    .owner_gid = -1,
		};
		long long t0 = now_us();

		snprintf(mac, sizeof(mac), "02:be:00:00:%02x:%02x",
			 (i >> 8) & 255u, i & 255u);
		snprintf(ip, sizeof(ip), "172.31.%u.%u", (8 + i / 250) & 255u,
			 (4 + i % 250) & 255u);
		rc = net_port_plug(n, &p, dev, e);
		plug[i] = now_us() - t0;
		t0 = now_us();
		if (rc == 0)
			rc = net_port_unplug(n, &p, e);
		unplug[i] = now_us() - t0;
	}
	if (rc == 0 && plug && unplug) {
		qsort(plug, count, sizeof(*plug), cmp_ll);
		qsort(unplug, count, sizeof(*unplug), cmp_ll);
		printf("plug median %.1f ms max %.1f ms; unplug median %.1f "
		       "ms (%u ports)\n",
		       plug[count / 2] / 1000.0, plug[count - 1] / 1000.0,
		       unplug[count / 2] / 1000.0, count);
	}
	free(plug);
	free(unplug);
	return rc;
}

static int
run(struct net *n, int argc, char **argv, struct err *e)
{
	char ns[NET_NSNAME_SIZE];
	const char *cmd = argv[0];

	if (strcmp(cmd, "host") == 0 && argc == 2) {
		if (net_host_ensure(n, num(argv[1]), ns, e) < 0)
			return -1;
		printf("%s\n", ns);
	} else if (strcmp(cmd, "vpc") == 0 && argc >= 3) {
		struct net_vpc v = {
		    .no = num(argv[1]),
		    .cidr = argv[2],
		    .subnets = (const char *const *)argv + 3,
		    .nsubnets = (size_t)argc - 3,
		};

		if (net_vpc_ensure(n, &v, ns, e) < 0)
			return -1;
		printf("%s\n", ns);
	} else if (strcmp(cmd, "vpc-remove") == 0 && argc == 2) {
		return net_vpc_remove(n, num(argv[1]), e);
	} else if (strcmp(cmd, "plug") == 0 && argc == 7) {
		return cmd_plug(n, argv + 1, e);
	} else if (strcmp(cmd, "unplug") == 0 && argc == 4) {
		struct net_port p = {.host = num(argv[1]),
				     .vpc = num(argv[2]),
				     .port = num(argv[3])};

		return net_port_unplug(n, &p, e);
	} else if (strcmp(cmd, "destroy") == 0 && argc == 1) {
		return net_destroy(n, e);
	} else if (strcmp(cmd, "bench") == 0 && argc == 4) {
		return cmd_bench(n, num(argv[1]), num(argv[2]), num(argv[3]),
				 e);
	} else {
		fprintf(stderr, "nettool: bad command (see nettool.c)\n");
		exit(2);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct net_config cfg = {0};
	struct err e = {0};
	struct net *n;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: nettool TAG COMMAND ARGS...\n");
		return 2;
	}
	/* NETTOOL_LOG=debug|info shows the library's log on stderr. */
	log_set_level(LOG_WARN);
	if (getenv("NETTOOL_LOG")) {
		enum log_level l;

		if (log_level_parse(getenv("NETTOOL_LOG"), &l) == 0)
			log_set_level(l);
	}
	if (strcmp(argv[2], "imds") == 0 && argc == 4)
		return cmd_imds(argv[3]);
	snprintf(cfg.tag, sizeof(cfg.tag), "%s", argv[1]);
	if (getenv("NETTOOL_RUN_DIR"))
		snprintf(cfg.run_dir, sizeof(cfg.run_dir), "%s",
			 getenv("NETTOOL_RUN_DIR"));
	if (net_open(&cfg, &n, &e) < 0)
		return die(&e);
	rc = run(n, argc - 2, argv + 2, &e);
	net_close(n);
	return rc < 0 ? die(&e) : 0;
}

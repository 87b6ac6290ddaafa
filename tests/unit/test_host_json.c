/*
 * test_host_json.c - every struct that crosses host.h survives JSON.
 *
 * Each struct is filled by hand with a non-zero value in every field (the
 * longest strings the field holds, bytes with NULs and high bits, the
 * largest numbers), encoded, decoded and compared byte for byte with the
 * original: a field the codec forgot comes back zero and fails. Then the
 * list forms, and the rejections: text that is no JSON, too big, not an
 * object, a member missing, unknown or twice, a wrong type, a number out
 * of range, a string too long or with a NUL, an unknown enum name, bad
 * base64, too many bytes or items, each with an error naming the member.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/host_json.h"
#include "unit.h"

/* The field filled to its last byte with c (and its NUL). */
#define FILL(field, c)                                                         \
	do {                                                                   \
		memset((field), (c), sizeof(field) - 1);                       \
		(field)[sizeof(field) - 1] = '\0';                             \
	} while (0)

static void
fill_config(struct host_config *c)
{
	memset(c, 0, sizeof(*c));
	FILL(c->id, 'h');
	snprintf(c->zone, sizeof(c->zone), "us-east-1a");
	FILL(c->state_dir, '/');
	snprintf(c->qemu, sizeof(c->qemu), "/usr/bin/qemu-system-x86_64");
	snprintf(c->qemu_img, sizeof(c->qemu_img), "/usr/bin/qemu-img");
	c->accel = ACCEL_TCG;
	c->tsc_khz = 2995200;
	c->tb_size_mib = 32;
	snprintf(c->netns, sizeof(c->netns), "ec2d-abcde-h1");
	snprintf(c->cgroup, sizeof(c->cgroup), "ec2d-abcde-h1");
	c->run_uid = UINT_MAX;
	c->run_gid = 65534;
	c->stop_timeout_ms = 30000;
}

static void
fill_instance(struct host_instance *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "i-0123456789abcdef0");
	w->want = HOST_WANT_GONE;
	w->force_stop = true;
	w->boot = 7;
	w->vcpus = 96;
	w->memory_mib = 1179648;
	snprintf(w->kernel, sizeof(w->kernel), "/d/images/x/vmlinux");
	snprintf(w->initrd, sizeof(w->initrd), "/d/images/x/initrd.img");
	snprintf(w->cmdline, sizeof(w->cmdline),
		 "console=ttyS0 \"quoted\" back\\slash\ttab \xc3\xa9");
	snprintf(w->base_disk, sizeof(w->base_disk), "/d/images/x/root.qcow2");
	w->root_gib = 8;
	w->store_disks = 2;
	w->store_gb = 237;
	w->keep_root = true;
	FILL(w->tap, 't');
	snprintf(w->mac, sizeof(w->mac), "0e:00:00:00:00:01");
}

static void
fill_status(struct host_instance_status *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "i-0123456789abcdef0");
	s->state = HOST_FAILED;
	s->boot = 3;
	s->guest_ready = true;
	s->guest_halted = true;
	FILL(s->reason, 'r');
	s->since = (time_t)1765000000;
}

static void
fill_console(struct host_console_tail *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "i-0123456789abcdef0");
	t->len = sizeof(t->data);
	for (size_t i = 0; i < t->len; i++)
		t->data[i] = (unsigned char)(i * 7);
}

static void
fill_accel_ask(struct host_accel_ask *a)
{
	memset(a, 0, sizeof(*a));
	a->mode = ACCEL_AUTO;
	snprintf(a->qemu, sizeof(a->qemu), "/usr/bin/qemu-system-x86_64");
	snprintf(a->probe_kernel, sizeof(a->probe_kernel), "/i/vmlinux");
	snprintf(a->probe_initrd, sizeof(a->probe_initrd), "/i/probe.img");
}

static void
fill_accel(struct host_accel *a)
{
	memset(a, 0, sizeof(*a));
	a->accel = ACCEL_KVM;
	a->tsc_khz = 1;
	a->probe_ms = -1;
	snprintf(a->reason, sizeof(a->reason), "marker seen, exit 0");
}

static void
fill_user_ask(struct host_user_ask *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "auto");
	snprintf(u->reach, sizeof(u->reach), "/var/lib/ec2d");
}

static void
fill_user(struct host_user *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "ec2d-qemu");
	u->uid = 998;
	u->gid = 997;
}

static void
fill_net_config(struct host_net_config *n)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->tag, sizeof(n->tag), "abcde");
	FILL(n->imds_key, 'f');
	n->nhosts = HOST_NET_HOSTS_MAX;
	for (size_t i = 0; i < n->nhosts; i++)
		n->hosts[i] = (unsigned)(i + 1) * 0x100001u;
}

static void
fill_net_info(struct host_net_info *n)
{
	memset(n, 0, sizeof(*n));
	n->nhosts = 3;
	for (size_t i = 0; i < n->nhosts; i++)
		snprintf(n->netns[i], sizeof(n->netns[i]), "ec2d-abcde-h%zu",
			 i + 1);
}

static void
fill_vpc(struct host_vpc *v)
{
	memset(v, 0, sizeof(*v));
	v->no = 0xfffffff;
	snprintf(v->cidr, sizeof(v->cidr), "172.31.0.0/16");
	v->nsubnets = HOST_VPC_SUBNETS_MAX;
	for (size_t i = 0; i < v->nsubnets; i++)
		snprintf(v->subnets[i], sizeof(v->subnets[i]), "172.31.%u.0/24",
			 (unsigned)(i % 256));
}

static void
fill_port(struct host_port *p)
{
	memset(p, 0, sizeof(*p));
	p->host = 2;
	p->vpc = 1;
	p->port = 4097;
	snprintf(p->mac, sizeof(p->mac), "0e:12:34:56:78:9a");
	FILL(p->ip, '9');
	snprintf(p->instance_id, sizeof(p->instance_id), "i-0123456789abcdef0");
}

static void
fill_metadata(struct host_metadata *m)
{
	memset(m, 0, sizeof(*m));
	m->vpc = 1;
	snprintf(m->local_ipv4, sizeof(m->local_ipv4), "172.31.16.4");
	m->fresh = true;
	snprintf(m->instance_id, sizeof(m->instance_id), "i-0123456789abcdef0");
	snprintf(m->image_id, sizeof(m->image_id), "ami-0123456789abcdef0");
	snprintf(m->instance_type, sizeof(m->instance_type), "t3.micro");
	snprintf(m->architecture, sizeof(m->architecture), "x86_64");
	snprintf(m->account_id, sizeof(m->account_id), "123456789012");
	snprintf(m->reservation_id, sizeof(m->reservation_id), "r-0123");
	snprintf(m->region, sizeof(m->region), "us-east-1");
	snprintf(m->zone, sizeof(m->zone), "us-east-1a");
	snprintf(m->zone_id, sizeof(m->zone_id), "use1-az1");
	FILL(m->hostname, 'n');
	FILL(m->local_hostname, 'l');
	snprintf(m->mac, sizeof(m->mac), "0e:12:34:56:78:9a");
	snprintf(m->interface_id, sizeof(m->interface_id), "eni-0123");
	snprintf(m->subnet_id, sizeof(m->subnet_id), "subnet-0123");
	snprintf(m->subnet_cidr, sizeof(m->subnet_cidr), "172.31.16.0/20");
	snprintf(m->vpc_id, sizeof(m->vpc_id), "vpc-0123");
	snprintf(m->vpc_cidr, sizeof(m->vpc_cidr), "172.31.0.0/16");
	FILL(m->key_name, 'k');
	FILL(m->openssh_key, 's');
	m->has_user_data = true;
	m->user_data_len = sizeof(m->user_data);
	for (size_t i = 0; i < m->user_data_len; i++)
		m->user_data[i] = (unsigned char)(255 - i % 256);
	m->pending_time = (time_t)INT32_MAX + 10;
	m->http_tokens_required = true;
	m->hop_limit = 64;
}

static void
fill_read(struct host_read *r)
{
	memset(r, 0, sizeof(*r));
	FILL(r->instance_id, 'i');
}

typedef void (*fill_fn)(void *);

static const fill_fn fills[HOST_JSON_KINDS] = {
    [HOST_JSON_CONFIG] = (fill_fn)fill_config,
    [HOST_JSON_INSTANCE] = (fill_fn)fill_instance,
    [HOST_JSON_STATUS] = (fill_fn)fill_status,
    [HOST_JSON_CONSOLE] = (fill_fn)fill_console,
    [HOST_JSON_ACCEL_ASK] = (fill_fn)fill_accel_ask,
    [HOST_JSON_ACCEL] = (fill_fn)fill_accel,
    [HOST_JSON_USER_ASK] = (fill_fn)fill_user_ask,
    [HOST_JSON_USER] = (fill_fn)fill_user,
    [HOST_JSON_NET_CONFIG] = (fill_fn)fill_net_config,
    [HOST_JSON_NET_INFO] = (fill_fn)fill_net_info,
    [HOST_JSON_VPC] = (fill_fn)fill_vpc,
    [HOST_JSON_PORT] = (fill_fn)fill_port,
    [HOST_JSON_METADATA] = (fill_fn)fill_metadata,
    [HOST_JSON_READ] = (fill_fn)fill_read,
};

/* encode -> decode -> the same bytes; encode again -> the same text. */
static void
test_round_trip(void)
{
	for (int k = 0; k < HOST_JSON_KINDS; k++) {
		size_t size = host_json_kind_size(k);
		unsigned char *a = malloc(size), *b = malloc(size);
		struct err e = {"", ""};
		char *text, *again;
		int rc;

		CHECK(fills[k] != NULL, "kind %d has no fill", k);
		if (!fills[k] || !a || !b) {
			free(a);
			free(b);
			continue;
		}
		fills[k](a);
		memset(b, 0xa5, size);
		text = host_json_encode(k, a);
		CHECK(text != NULL, "%s: encode", host_json_kind_name(k));
		rc = text ? host_json_decode(k, text, strlen(text), b, &e) : -1;
		CHECK(rc == 0, "%s: decode: %s", host_json_kind_name(k),
		      e.message);
		CHECK(rc == 0 && memcmp(a, b, size) == 0,
		      "%s: not the same after a round trip",
		      host_json_kind_name(k));
		again = rc == 0 ? host_json_encode(k, b) : NULL;
		CHECK(again && text && strcmp(again, text) == 0,
		      "%s: encodes differently the second time",
		      host_json_kind_name(k));
		free(text);
		free(again);
		free(a);
		free(b);
	}
}

/* A zeroed struct is valid too (empty strings, empty arrays, false). */
static void
test_zero(void)
{
	for (int k = 0; k < HOST_JSON_KINDS; k++) {
		size_t size = host_json_kind_size(k);
		unsigned char *a = calloc(1, size), *b = malloc(size);
		struct err e = {"", ""};
		char *text = a ? host_json_encode(k, a) : NULL;

		CHECK(text && b &&
			  host_json_decode(k, text, strlen(text), b, &e) == 0 &&
			  memcmp(a, b, size) == 0,
		      "%s: zero round trip: %s", host_json_kind_name(k),
		      e.message);
		free(text);
		free(a);
		free(b);
	}
}

static void
test_list(void)
{
	struct host_instance w[3];
	struct host_instance *got = NULL;
	struct err e = {"", ""};
	size_t n = 99;
	char *text;

	for (size_t i = 0; i < 3; i++) {
		fill_instance(&w[i]);
		w[i].boot = (unsigned)i;
		w[i].want = (enum host_want)i;
	}
	text = host_json_encode_list(HOST_JSON_INSTANCE, w, 3);
	CHECK(text &&
		  host_json_decode_list(HOST_JSON_INSTANCE, text, strlen(text),
					10, (void **)&got, &n, &e) == 0,
	      "list decode: %s", e.message);
	CHECK(got && n == 3 && memcmp(got, w, sizeof(w)) == 0,
	      "list round trip (n %zu)", n);
	free(got);
	got = NULL;
	CHECK(text &&
		  host_json_decode_list(HOST_JSON_INSTANCE, text, strlen(text),
					2, (void **)&got, &n, &e) < 0 &&
		  !got && n == 0 && strstr(e.message, "more than 2"),
	      "a list longer than max: %s", e.message);
	free(text);

	text = host_json_encode_list(HOST_JSON_READ, NULL, 0);
	CHECK_STR(text, "[]");
	CHECK(text &&
		  host_json_decode_list(HOST_JSON_READ, text, strlen(text), 10,
					(void **)&got, &n, &e) == 0 &&
		  n == 0,
	      "empty list: %s", e.message);
	free(got);
	free(text);

	e = (struct err){"", ""};
	CHECK(host_json_decode_list(HOST_JSON_READ, "{}", 2, 10, (void **)&got,
				    &n, &e) < 0 &&
		  strstr(e.message, "expected a JSON array"),
	      "a list that is an object: %s", e.message);
	e = (struct err){"", ""};
	CHECK(host_json_decode_list(HOST_JSON_READ, "[{\"instance_id\":1}]", 19,
				    10, (void **)&got, &n, &e) < 0 &&
		  !got && strstr(e.message, "host_read.instance_id"),
	      "a bad item in a list: %s", e.message);
}

/* Decoding text must fail with an error message containing want. */
static void
reject(enum host_json_kind k, const char *text, const char *want)
{
	size_t size = host_json_kind_size(k);
	void *out = malloc(size);
	struct err e = {"", ""};
	int rc = out ? host_json_decode(k, text, strlen(text), out, &e) : 0;

	CHECK(rc < 0 && strstr(e.message, want),
	      "%s: %.80s: rc %d, error \"%s\", want \"%s\"",
	      host_json_kind_name(k), text, rc, e.message, want);
	free(out);
}

/* The valid text of a kind's filled struct, with from replaced by to. */
static char *
edited(enum host_json_kind k, const char *from, const char *to)
{
	size_t size = host_json_kind_size(k);
	void *v = malloc(size);
	char *text, *at, *out;

	if (!v)
		return NULL;
	fills[k](v);
	text = host_json_encode(k, v);
	free(v);
	at = text ? strstr(text, from) : NULL;
	if (!at) {
		CHECK(0, "%s: no \"%s\" in the text", host_json_kind_name(k),
		      from);
		free(text);
		return NULL;
	}
	out = malloc(strlen(text) + strlen(to) + 1);
	if (out) {
		size_t head = (size_t)(at - text), tl = strlen(to);
		const char *rest = at + strlen(from);

		memcpy(out, text, head);
		memcpy(out + head, to, tl);
		memcpy(out + head + tl, rest, strlen(rest) + 1);
	}
	free(text);
	return out;
}

static void
reject_edit(enum host_json_kind k, const char *from, const char *to,
	    const char *want)
{
	char *text = edited(k, from, to);

	if (text)
		reject(k, text, want);
	free(text);
}

static void
test_reject(void)
{
	char *big;

	reject(HOST_JSON_READ, "", "not JSON");
	reject(HOST_JSON_READ, "{", "not JSON");
	reject(HOST_JSON_READ, "{\"instance_id\":\"i-1\"} x", "not JSON");
	reject(HOST_JSON_READ, "[]", "host_read: expected a JSON object");
	reject(HOST_JSON_READ, "\"i-1\"", "not JSON: '[' or '{' expected");
	reject(HOST_JSON_READ, "{}", "host_read.instance_id: missing");
	reject(HOST_JSON_READ,
	       "{\"instance_id\":\"i-1\",\"instance_id\":\"i-2\"}",
	       "duplicate");
	reject(HOST_JSON_READ, "{\"instance_id\":\"i-1\",\"extra\":1}",
	       "unknown member \"extra\"");
	reject(HOST_JSON_READ, "{\"instance_id\":\"i-\\u0000x\"}", "not JSON");
	reject(HOST_JSON_READ, "{\"instance_id\":null}",
	       "host_read.instance_id: expected a string of at most 31");
	/* 32 characters do not fit char[32] with its NUL. */
	reject(HOST_JSON_READ,
	       "{\"instance_id\":\"0123456789abcdef0123456789abcdef\"}",
	       "at most 31 bytes");

	reject_edit(HOST_JSON_INSTANCE, "\"boot\":7", "\"boot\":-1",
		    "host_instance.boot: expected an integer 0..4294967295");
	reject_edit(HOST_JSON_INSTANCE, "\"boot\":7", "\"boot\":4294967296",
		    "host_instance.boot: expected an integer");
	reject_edit(HOST_JSON_INSTANCE, "\"boot\":7", "\"boot\":\"7\"",
		    "host_instance.boot: expected an integer");
	reject_edit(HOST_JSON_INSTANCE, "\"boot\":7", "\"boot\":7.5",
		    "host_instance.boot: expected an integer");
	reject_edit(HOST_JSON_INSTANCE, "\"want\":\"gone\"",
		    "\"want\":\"deleted\"",
		    "host_instance.want: not one of the names");
	reject_edit(HOST_JSON_INSTANCE, "\"want\":\"gone\"", "\"want\":2",
		    "host_instance.want: not one of the names");
	reject_edit(HOST_JSON_INSTANCE, "\"keep_root\":true", "\"keep_root\":1",
		    "host_instance.keep_root: expected true or false");
	reject_edit(HOST_JSON_STATUS, "\"since\":1765000000", "\"since\":-5",
		    "host_instance_status.since: expected seconds");
	reject_edit(HOST_JSON_ACCEL, "\"probe_ms\":-1",
		    "\"probe_ms\":2147483648",
		    "host_accel.probe_ms: expected a 32-bit integer");
	reject_edit(HOST_JSON_CONSOLE, "\"data\":\"", "\"data\":\"!",
		    "host_console_tail.data:");
	reject_edit(HOST_JSON_CONSOLE, "\"data\":\"", "\"data\":\"AAAA",
		    "host_console_tail.data: more than 65536 bytes");
	reject_edit(HOST_JSON_METADATA, "\"user_data\":\"/",
		    "\"user_data\":\"*",
		    "host_metadata.user_data: not strict base64");
	reject_edit(HOST_JSON_VPC, "\"subnets\":[", "\"subnets\":[\"x\",",
		    "host_vpc.subnets: more than 200 items");
	reject_edit(HOST_JSON_VPC, "\"172.31.0.0/24\"", "5",
		    "host_vpc.subnets: item 0: expected a string");
	reject_edit(HOST_JSON_VPC, "\"subnets\":[", "\"subnets\":{\"a\":[",
		    "not JSON");
	reject_edit(HOST_JSON_NET_CONFIG, "\"hosts\":[", "\"hosts\":[-1,",
		    "host_net_config.hosts: more than 32 items");
	reject_edit(HOST_JSON_NET_INFO, "\"netns\":[\"ec2d-abcde-h1\"",
		    "\"netns\":[true",
		    "host_net_info.netns: item 0: expected a string");

	/* Bigger than HOST_JSON_MAX: refused before it is parsed. */
	big = malloc(HOST_JSON_MAX + 2);
	if (big) {
		struct host_read r;
		struct err e = {"", ""};

		memset(big, ' ', HOST_JSON_MAX + 1);
		big[HOST_JSON_MAX + 1] = '\0';
		big[0] = '{';
		big[HOST_JSON_MAX] = '}';
		CHECK(host_json_decode(HOST_JSON_READ, big, HOST_JSON_MAX + 1,
				       &r, &e) < 0 &&
			  strstr(e.message, "more than"),
		      "oversized: %s", e.message);
		free(big);
	}
}

/* JSON carries text: a string that is not UTF-8 goes as '?'. */
static void
test_not_utf8(void)
{
	struct host_instance_status s, back;
	struct err e = {"", ""};
	char *text;

	fill_status(&s);
	snprintf(s.reason, sizeof(s.reason), "qemu: \xff\xfe bad");
	text = host_json_encode(HOST_JSON_STATUS, &s);
	CHECK(text && host_json_decode(HOST_JSON_STATUS, text, strlen(text),
				       &back, &e) == 0,
	      "not UTF-8: %s", e.message);
	CHECK_STR(back.reason, "qemu: ?? bad");
	free(text);
}

int
main(void)
{
	test_round_trip();
	test_zero();
	test_list();
	test_reject();
	test_not_utf8();
	return UNIT_DONE();
}

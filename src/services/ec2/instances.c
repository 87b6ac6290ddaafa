/*
 * instances.c - RunInstances and DescribeInstances.
 *
 * RunInstances reads as parse (run_args_parse), check (run_refs_check),
 * place (run_place: hosts from control/sched, the subnet; run_addresses:
 * addresses from common/ipv4) and write (run_write: the instances as
 * `pending`, in the action's one transaction). Booting is the instance
 * reconciler's work. The state actions (stop, start, reboot, terminate)
 * are in instance_state.c; StartInstances' room check is
 * instances_fit_hosts() here, on the same scheduler.
 */
#include "ec2.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/ids.h"
#include "common/ipv4.h"
#include "common/mac.h"
#include "control/sched.h"
#include "store/hosts.h"
#include "store/images.h"
#include "store/keypairs.h"
#include "store/vpcs.h"
#include "filter.h"
#include "instances.h"
#include "catalog/itypes.h"
#include "paginate.h"
#include "reserve.h"
#include "tags.h"

#define USER_DATA_MAX 16384 /* bytes, after base64 decoding */
#define RUN_MAX_COUNT 100   /* instances one call may launch */

int
instance_state_code(const char *state)
{
	static const struct {
		const char *name;
		int code;
	} codes[] = {
	    {"pending", 0},	{"running", 16},  {"shutting-down", 32},
	    {"terminated", 48}, {"stopping", 64}, {"stopped", 80},
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].name, state) == 0)
			return codes[i].code;
	return -1;
}

int
instance_id_check(const char *id, struct err *e)
{
	size_t n = strncmp(id, "i-", 2) == 0 ? strlen(id + 2) : 0;
	bool ok = n == 8 || n == 17;

	for (const char *p = id + 2; ok && *p; p++)
		ok = isxdigit((unsigned char)*p) && !isupper((unsigned char)*p);
	if (!ok)
		return err_set(e, "InvalidInstanceID.Malformed",
			       "Invalid id: \"%.100s\"", id);
	return 0;
}

int
instances_load(struct store_tx *tx, const struct strlist *ids,
	       struct instance **ret, size_t *ret_n, struct err *e)
{
	struct instance *v = calloc(ids->n ? ids->n : 1, sizeof(*v));
	char missing[512] = "";
	size_t n = 0, nmissing = 0, off = 0;

	if (!v)
		return err_set(e, "InternalError", "Out of memory.");
	for (size_t i = 0; i < ids->n; i++) {
		bool dup = false;
		int rc;

		if (instance_id_check(ids->v[i], e) < 0)
			goto fail;
		for (size_t k = 0; k < n; k++)
			dup = dup || strcmp(v[k].id, ids->v[i]) == 0;
		if (dup)
			continue;
		rc = store_instance_get(tx, ids->v[i], &v[n], e);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			n++;
			continue;
		}
		nmissing++;
		if (off < sizeof(missing)) {
			int w = snprintf(missing + off, sizeof(missing) - off,
					 "%s%s", off ? ", " : "", ids->v[i]);
			off += w > 0 ? (size_t)w : 0;
		}
	}
	if (nmissing) {
		err_set(e, "InvalidInstanceID.NotFound",
			nmissing == 1 ? "The instance ID '%s' does not exist"
				      : "The instance IDs '%s' do not exist",
			missing);
		goto fail;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	instances_free(v, n);
	return -1;
}

void
instance_state_change_write(struct out *o, const char *id, const char *before,
			    const char *after)
{
	out_item(o);
	out_str(o, "instanceId", id);
	out_open(o, "currentState");
	out_int(o, "code", instance_state_code(after));
	out_str(o, "name", after);
	out_close(o);
	out_open(o, "previousState");
	out_int(o, "code", instance_state_code(before));
	out_str(o, "name", before);
	out_close(o);
	out_item_end(o);
}

/* Writing an instance. */

static void
state_write(struct out *o, const char *name, const char *state)
{
	out_open(o, name);
	out_int(o, "code", instance_state_code(state));
	out_str(o, "name", state);
	out_close(o);
}

static void
instance_write(struct out *o, const struct action_ctx *c,
	       const struct instance *i, const struct tags *tags)
{
	const struct itype *t = itype_find(i->type);
	bool live = strcmp(i->state, "terminated") != 0;
	char dns[96] = "";

	if (live)
		id_dns_name(c->cfg->region, i->private_ip, dns, sizeof(dns));
	out_str(o, "instanceId", i->id);
	out_str(o, "imageId", i->image_id);
	state_write(o, "instanceState", i->state);
	out_str(o, "privateDnsName", dns);
	out_str(o, "dnsName", "");
	out_str(o, "reason", i->transition_reason);
	if (i->key_name[0])
		out_str(o, "keyName", i->key_name);
	out_int(o, "amiLaunchIndex", i->launch_index);
	out_list(o, "productCodes");
	out_list_end(o);
	out_str(o, "instanceType", i->type);
	out_time(o, "launchTime", i->launch_time);
	out_open(o, "placement");
	out_str(o, "availabilityZone", i->zone);
	out_str(o, "groupName", "");
	out_str(o, "tenancy", "default");
	out_close(o);
	out_open(o, "monitoring");
	out_str(o, "state", "disabled");
	out_close(o);
	if (live) {
		out_str(o, "subnetId", i->subnet_id);
		out_str(o, "vpcId", i->vpc_id);
		out_str(o, "privateIpAddress", i->private_ip);
	}
	out_bool(o, "sourceDestCheck", true);
	out_list(o, "groupSet");
	out_list_end(o);
	if (i->reason_code[0]) {
		out_open(o, "stateReason");
		out_str(o, "code", i->reason_code);
		out_str(o, "message", i->reason_message);
		out_close(o);
	}
	out_str(o, "architecture", t ? t->arch : "x86_64");
	out_str(o, "rootDeviceType", "ebs");
	out_str(o, "rootDeviceName", "/dev/xvda");
	out_str(o, "virtualizationType", "hvm");
	if (i->client_token[0])
		out_str(o, "clientToken", i->client_token);
	tags_write(o, tags);
	out_str(o, "hypervisor", "xen");
	out_bool(o, "ebsOptimized", false);
	out_bool(o, "enaSupport", true);
	if (t) {
		out_open(o, "cpuOptions");
		out_int(o, "coreCount", t->cores);
		out_int(o, "threadsPerCore", t->threads_per_core);
		out_close(o);
	}
	out_open(o, "metadataOptions");
	out_str(o, "state",
		strcmp(i->state, "pending") == 0 ? "pending" : "applied");
	out_str(o, "httpTokens", i->http_tokens);
	out_int(o, "httpPutResponseHopLimit", i->hop_limit);
	out_str(o, "httpEndpoint", i->http_endpoint);
	out_str(o, "httpProtocolIpv6", "disabled");
	out_str(o, "instanceMetadataTags", "disabled");
	out_close(o);
	out_str(o, "bootMode", "legacy-bios");
	out_str(o, "platformDetails", "Linux/UNIX");
	out_str(o, "usageOperation", "RunInstances");
	out_open(o, "privateDnsNameOptions");
	out_str(o, "hostnameType", "ip-name");
	out_bool(o, "enableResourceNameDnsARecord", false);
	out_bool(o, "enableResourceNameDnsAAAARecord", false);
	out_close(o);
	out_str(o, "currentInstanceBootMode", "legacy-bios");
}

/* The fleet: hosts as the scheduler sees them (with the room their
 * instances hold, summed in SQL, never by reading every row), subnets. */

struct fleet {
	struct host_row *hosts;
	struct sched_host *sched; /* one per host row, pointing into it */
	size_t nhosts;
	struct subnet_row *subnets;
	size_t nsubnets;
};

static void
fleet_free(struct fleet *f)
{
	free(f->hosts);
	free(f->sched);
	free(f->subnets);
}

static struct sched_size
type_size(const struct itype *t)
{
	return (struct sched_size){
	    .vcpus = t->vcpus, .memory_mib = t->memory_mib, .gpus = t->gpus};
}

static unsigned
nonneg(int v)
{
	return v > 0 ? (unsigned)v : 0;
}

/* Every host with what the instances holding room on it use. */
static int
fleet_load(struct store_tx *tx, struct fleet *f, struct err *e)
{
	struct instance_load *load = NULL;
	size_t nload = 0;

	memset(f, 0, sizeof(*f));
	if (store_host_list(tx, &f->hosts, &f->nhosts, e) < 0 ||
	    store_subnet_list(tx, &f->subnets, &f->nsubnets, e) < 0 ||
	    store_instance_load(tx, &load, &nload, e) < 0)
		return -1;
	f->sched = calloc(f->nhosts + 1, sizeof(*f->sched));
	if (!f->sched) {
		free(load);
		return err_set(e, "InternalError", "Out of memory.");
	}
	for (size_t h = 0; h < f->nhosts; h++) {
		const struct host_row *hr = &f->hosts[h];

		f->sched[h] = (struct sched_host){
		    .id = hr->id,
		    .zone = hr->zone,
		    .available = strcmp(hr->state, "available") == 0,
		    .capacity = {.vcpus = nonneg(hr->vcpus),
				 .memory_mib = nonneg(hr->memory_mib),
				 .gpus = nonneg(hr->gpus)},
		};
	}
	/* Instances hold their host's room unless stopped or terminated. */
	for (size_t i = 0; i < nload; i++) {
		const struct itype *t = itype_find(load[i].type);
		struct sched_size s;

		if (!t)
			continue;
		s = type_size(t);
		for (size_t h = 0; h < f->nhosts; h++)
			if (strcmp(f->hosts[h].id, load[i].host_id) == 0)
				for (unsigned k = 0; k < load[i].count; k++)
					sched_take(&f->sched[h], &s);
	}
	free(load);
	return 0;
}

int
instances_fit_hosts(struct store_tx *tx, const struct instance *v, size_t n,
		    struct err *e)
{
	struct sched_start *starts = calloc(n + 1, sizeof(*starts));
	struct fleet f;
	size_t k = 0;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	if (!starts) {
		err_set(e, "InternalError", "Out of memory.");
		goto out;
	}
	if (fleet_load(tx, &f, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct itype *t = itype_find(v[i].type);

		if (strcmp(v[i].state, "stopped") != 0 || !t)
			continue;
		starts[k++] = (struct sched_start){.host_id = v[i].host_id,
						   .type = v[i].type,
						   .zone = v[i].zone,
						   .size = type_size(t)};
	}
	rc = sched_admit(f.sched, f.nhosts, starts, k, e);
out:
	free(starts);
	fleet_free(&f);
	return rc;
}

/* RunInstances: parse, check, place, write. */

struct run_args {
	const char *image_id, *type, *key_name, *subnet_id, *zone, *ip;
	const char *user_data, *shutdown, *tokens, *endpoint, *client_token;
	long long min, max, hop;
	bool no_terminate, no_stop;
	uint32_t ip_addr; /* ip, parsed */
	struct tags tags;
};

/* What the checks and the scheduler decided. */
struct run_plan {
	const struct itype *type;
	struct image image;
	char *public_key; /* owned; NULL without a key pair */
	const struct subnet_row *subnet;
	const char *zone;
	size_t *hosts; /* per instance: an index into the fleet's hosts */
	uint32_t *ips; /* per instance: its private address */
	size_t n;      /* MinCount..MaxCount */
};

/* Security groups: none exist yet, so any named one is unknown. */
static int
run_groups_parse(const struct param *req, struct err *e)
{
	struct strlist groups;
	int rc;

	strlist_init(&groups);
	rc = param_strlist(req, "SecurityGroupId", 16, &groups, e);
	if (rc == 0 && groups.n)
		rc = err_set(e, "InvalidGroup.NotFound",
			     "The security group '%.64s' does not exist",
			     groups.v[0]);
	strlist_clear(&groups);
	if (rc == 0)
		rc = param_strlist(req, "SecurityGroup", 16, &groups, e);
	if (rc == 0 && groups.n)
		rc = err_set(e, "InvalidGroup.NotFound",
			     "The security group '%.64s' does not exist in the "
			     "default VPC",
			     groups.v[0]);
	strlist_free(&groups);
	return rc;
}

static int
run_user_data_check(const char *user_data, struct err *e)
{
	size_t len;
	unsigned char *raw;

	if (!user_data)
		return 0;
	raw = b64_decode(user_data, strlen(user_data), &len);
	if (!raw)
		return err_set(e, "InvalidUserData.Malformed",
			       "User data must be base64 encoded.");
	free(raw);
	if (len > USER_DATA_MAX)
		return err_set(e, "InvalidParameterValue",
			       "User data is limited to %d bytes.",
			       USER_DATA_MAX);
	return 0;
}

/* The counts as EC2 takes them: MinCount within the limit, MaxCount cut
 * down to it. */
static int
run_counts_check(struct run_args *a, struct err *e)
{
	if (a->min > a->max)
		return err_set(e, "InvalidParameterValue",
			       "MinCount (%lld) must be less than or equal to "
			       "MaxCount (%lld).",
			       a->min, a->max);
	if (a->min > RUN_MAX_COUNT)
		return err_set(e, "InstanceLimitExceeded",
			       "You have requested more instances (%lld) than "
			       "your current instance limit of %d allows.",
			       a->min, RUN_MAX_COUNT);
	if (a->max > RUN_MAX_COUNT)
		a->max = RUN_MAX_COUNT;
	if (a->ip && a->max > 1)
		return err_set(e, "InvalidParameterCombination",
			       "PrivateIpAddress can only be used when "
			       "launching one instance.");
	if (a->ip && ipv4_parse(a->ip, &a->ip_addr) < 0)
		return err_set(e, "InvalidParameterValue",
			       "Invalid private IP address %.40s.", a->ip);
	return 0;
}

static int
run_args_parse(const struct param *req, struct run_args *a, struct err *e)
{
	static const char *const shutdowns[] = {"stop", "terminate", NULL};
	static const char *const tokens[] = {"optional", "required", NULL};
	static const char *const endpoints[] = {"enabled", "disabled", NULL};

	memset(a, 0, sizeof(*a));
	a->type = "t3.micro";
	a->shutdown = "stop";
	a->tokens = "optional";
	a->endpoint = "enabled";
	a->hop = 1;
	a->client_token = param_value(req, "ClientToken");
	if (param_str(req, "ImageId", true, 64, &a->image_id, e) < 0 ||
	    param_str(req, "InstanceType", false, 64, &a->type, e) < 0 ||
	    param_int(req, "MinCount", true, 1, 1000000, &a->min, e) < 0 ||
	    param_int(req, "MaxCount", true, 1, 1000000, &a->max, e) < 0 ||
	    param_str(req, "KeyName", false, 255, &a->key_name, e) < 0 ||
	    param_str(req, "SubnetId", false, 64, &a->subnet_id, e) < 0 ||
	    param_str(req, "Placement.AvailabilityZone", false, 64, &a->zone,
		      e) < 0 ||
	    param_str(req, "PrivateIpAddress", false, 40, &a->ip, e) < 0 ||
	    param_str(req, "UserData", false, b64_encoded_len(USER_DATA_MAX),
		      &a->user_data, e) < 0 ||
	    param_enum(req, "InstanceInitiatedShutdownBehavior", false,
		       shutdowns, &a->shutdown, e) < 0 ||
	    param_bool(req, "DisableApiTermination", &a->no_terminate, e) < 0 ||
	    param_bool(req, "DisableApiStop", &a->no_stop, e) < 0 ||
	    param_enum(req, "MetadataOptions.HttpTokens", false, tokens,
		       &a->tokens, e) < 0 ||
	    param_enum(req, "MetadataOptions.HttpEndpoint", false, endpoints,
		       &a->endpoint, e) < 0 ||
	    param_int(req, "MetadataOptions.HttpPutResponseHopLimit", false, 1,
		      64, &a->hop, e) < 0 ||
	    run_counts_check(a, e) < 0 || run_groups_parse(req, e) < 0 ||
	    run_user_data_check(a->user_data, e) < 0)
		return -1;
	return tagspec_parse(req, "instance", &a->tags, e);
}

/* The image exists and is available. */
static int
run_image_check(struct store_tx *tx, const char *id, struct image *ret,
		struct err *e)
{
	int rc;

	if (strncmp(id, "ami-", 4) != 0)
		return err_set(e, "InvalidAMIID.Malformed",
			       "Invalid id: \"%.64s\" (expecting \"ami-...\")",
			       id);
	rc = store_image_get(tx, id, ret, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return err_set(e, "InvalidAMIID.NotFound",
			       "The image id '[%.64s]' does not exist", id);
	if (strcmp(ret->state, "available") != 0)
		return err_set(e, "InvalidAMIID.Unavailable",
			       "The image id '[%s]' is not available (%s).",
			       ret->id, ret->state);
	return 0;
}

/* The key pair exists; its public key goes into the instance. */
static int
run_key_check(struct store_tx *tx, const char *name, char **ret_public_key,
	      struct err *e)
{
	struct keypair k = {0};
	int rc;

	if (!name)
		return 0;
	rc = store_keypair_get(tx, name, NULL, &k, e);
	if (rc == 0) {
		*ret_public_key = k.public_key;
		k.public_key = NULL;
	}
	keypair_clear(&k);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return err_set(e, "InvalidKeyPair.NotFound",
			       "The key pair '%.255s' does not exist", name);
	return 0;
}

/* The zone and subnet asked for exist and agree. */
static int
run_where_check(const struct config *cfg, const struct run_args *a,
		const struct fleet *f, struct run_plan *p, struct err *e)
{
	p->zone = a->zone;
	if (a->zone) {
		bool known = false;

		for (size_t z = 0; z < cfg->nzones; z++)
			known =
			    known || strcmp(cfg->zones[z].name, a->zone) == 0;
		if (!known)
			return err_set(e, "InvalidParameterValue",
				       "Invalid availability zone: [%.64s]",
				       a->zone);
	}
	if (!a->subnet_id)
		return 0;
	for (size_t s = 0; s < f->nsubnets; s++)
		if (strcmp(f->subnets[s].id, a->subnet_id) == 0)
			p->subnet = &f->subnets[s];
	if (!p->subnet)
		return err_set(e, "InvalidSubnetID.NotFound",
			       "The subnet ID '%.64s' does not exist",
			       a->subnet_id);
	if (a->zone && strcmp(a->zone, p->subnet->zone) != 0)
		return err_set(e, "InvalidParameterCombination",
			       "The subnet %s is in %s, not in the requested "
			       "zone %s.",
			       a->subnet_id, p->subnet->zone, a->zone);
	p->zone = p->subnet->zone;
	return 0;
}

/* Check the names a request refers to exist and are usable. */
static int
run_refs_check(struct action_ctx *c, const struct run_args *a,
	       const struct fleet *f, struct run_plan *p, struct err *e)
{
	p->type = itype_find(a->type);
	if (!p->type)
		return err_set(e, "InvalidParameterValue",
			       "Invalid value '%.64s' for InstanceType.",
			       a->type);
	if (run_image_check(c->tx, a->image_id, &p->image, e) < 0 ||
	    run_key_check(c->tx, a->key_name, &p->public_key, e) < 0)
		return -1;
	return run_where_check(c->cfg, a, f, p, e);
}

static const struct subnet_row *
default_subnet(const struct fleet *f, const char *zone)
{
	for (size_t s = 0; s < f->nsubnets; s++)
		if (f->subnets[s].default_for_az &&
		    strcmp(f->subnets[s].zone, zone) == 0)
			return &f->subnets[s];
	return NULL;
}

/*
 * Hosts for the instances (control/sched.h), and the subnet: without
 * one, EC2 takes the default subnet of the zone, so the zones it may
 * choose from are those that have one.
 */
static int
run_place(const struct config *cfg, const struct run_args *a, struct fleet *f,
	  struct run_plan *p, struct err *e)
{
	const char *zones[CONFIG_MAX_ZONES];
	struct sched_request r = {
	    .type = a->type,
	    .size = type_size(p->type),
	    .min = (unsigned)a->min,
	    .max = (unsigned)a->max,
	    .zone = p->zone,
	    .zones = zones,
	};

	for (size_t z = 0; z < cfg->nzones && z < CONFIG_MAX_ZONES; z++)
		if (default_subnet(f, cfg->zones[z].name))
			zones[r.nzones++] = cfg->zones[z].name;
	if (!p->subnet && (p->zone ? !default_subnet(f, p->zone) : !r.nzones))
		return err_set(e, "MissingInput",
			       "No subnets found for the default VPC in %s. "
			       "Please specify a subnet.",
			       p->zone ? p->zone : cfg->zones[0].name);
	p->hosts = calloc((size_t)a->max, sizeof(*p->hosts));
	p->ips = calloc((size_t)a->max, sizeof(*p->ips));
	if (!p->hosts || !p->ips)
		return err_set(e, "InternalError", "Out of memory.");
	if (sched_place(f->sched, f->nhosts, &r, p->hosts, &p->n, &p->zone, e) <
	    0)
		return -1;
	if (!p->subnet)
		p->subnet = default_subnet(f, p->zone);
	return 0;
}

/*
 * An address for each instance: the one asked for (usable in the subnet
 * and free), else the lowest free ones; fewer than MaxCount when the
 * subnet runs short, as with capacity. A terminated instance keeps its
 * address until its row is reaped an hour later: DHCP servers (and
 * guests' ARP caches) still remember it, and EC2 does not hand an
 * address straight back either.
 */
static int
run_addresses(struct store_tx *tx, const struct run_args *a, struct run_plan *p,
	      struct err *e)
{
	struct ipv4_cidr net;
	struct instance_addr *held = NULL;
	uint32_t *used;
	size_t nheld = 0, nused = 0;
	int rc = -1;

	if (ipv4_cidr_parse(p->subnet->cidr, &net) < 0)
		return err_set(e, "InternalError", "Bad subnet CIDR %s.",
			       p->subnet->cidr);
	if (store_instance_addresses(tx, p->subnet->id, &held, &nheld, e) < 0)
		return -1;
	used = calloc(nheld + 1, sizeof(*used));
	if (!used) {
		free(held);
		return err_set(e, "InternalError", "Out of memory.");
	}
	for (size_t i = 0; i < nheld; i++)
		if (ipv4_parse(held[i].ip, &used[nused]) == 0)
			nused++;
	free(held);
	if (a->ip) {
		bool taken = false;

		for (size_t i = 0; i < nused; i++)
			taken = taken || used[i] == a->ip_addr;
		if (!ipv4_subnet_usable(&net, a->ip_addr))
			err_set(e, "InvalidParameterValue",
				"Address %s does not fall within the subnet's "
				"usable address range (%s).",
				a->ip, p->subnet->cidr);
		else if (taken)
			err_set(e, "InvalidIPAddress.InUse",
				"Address %s is in use.", a->ip);
		else
			rc = 0;
		p->ips[0] = a->ip_addr;
		goto out;
	}
	p->n = ipv4_subnet_free(&net, used, nused, p->ips, p->n);
	if (p->n < (size_t)a->min) {
		err_set(e, "InsufficientFreeAddressesInSubnet",
			"There are not enough free addresses in subnet '%s' to "
			"satisfy the requested number of instances.",
			p->subnet->id);
		goto out;
	}
	rc = 0;
out:
	free(used);
	return rc;
}

/* Instance k of the plan, pending; it borrows a's strings and the key. */
static void
run_instance_fill(const struct action_ctx *c, const struct run_args *a,
		  const struct fleet *f, const struct run_plan *p, size_t k,
		  const char *reservation, int port, struct instance *i)
{
	const struct image *im = &p->image;

	id_new("i", i->id);
	snprintf(i->reservation_id, sizeof(i->reservation_id), "%s",
		 reservation);
	i->launch_index = (int)k;
	snprintf(i->owner, sizeof(i->owner), "%s", c->account);
	snprintf(i->image_id, sizeof(i->image_id), "%s", a->image_id);
	snprintf(i->type, sizeof(i->type), "%s", a->type);
	snprintf(i->key_name, sizeof(i->key_name), "%s",
		 a->key_name ? a->key_name : "");
	snprintf(i->zone, sizeof(i->zone), "%s", p->zone);
	snprintf(i->host_id, sizeof(i->host_id), "%s",
		 f->hosts[p->hosts[k]].id);
	snprintf(i->vpc_id, sizeof(i->vpc_id), "%s", p->subnet->vpc_id);
	snprintf(i->subnet_id, sizeof(i->subnet_id), "%s", p->subnet->id);
	ipv4_format(p->ips[k], i->private_ip);
	mac_random(i->mac);
	i->port_no = port;
	snprintf(i->state, sizeof(i->state), "pending");
	i->launch_time = i->state_time = c->now;
	i->user_data = (char *)(a->user_data ? a->user_data : "");
	i->no_terminate = a->no_terminate;
	i->no_stop = a->no_stop;
	snprintf(i->shutdown_behavior, sizeof(i->shutdown_behavior), "%s",
		 a->shutdown);
	snprintf(i->http_tokens, sizeof(i->http_tokens), "%s", a->tokens);
	i->hop_limit = (int)a->hop;
	snprintf(i->http_endpoint, sizeof(i->http_endpoint), "%s", a->endpoint);
	snprintf(i->client_token, sizeof(i->client_token), "%s",
		 a->client_token ? a->client_token : "");
	i->console = (char *)"";
	snprintf(i->kernel, sizeof(i->kernel), "%s", im->kernel);
	snprintf(i->initrd, sizeof(i->initrd), "%s", im->initrd);
	snprintf(i->base_disk, sizeof(i->base_disk), "%s", im->root);
	snprintf(i->cmdline, sizeof(i->cmdline), "%s", im->cmdline);
	i->root_gib = im->root_size_gib;
	i->public_key = p->public_key ? p->public_key : (char *)"";
}

/* The plan's instances as rows, pending, with their tags. */
static int
run_write(struct action_ctx *c, const struct run_args *a, const struct fleet *f,
	  const struct run_plan *p, const char *reservation,
	  struct instance *made, struct err *e)
{
	/* Port numbers name network devices: never reused while a row is. */
	int port;

	if (store_instance_port_max(c->tx, &port, e) < 0)
		return -1;
	port++;
	for (size_t k = 0; k < p->n; k++) {
		run_instance_fill(c, a, f, p, k, reservation, port++, &made[k]);
		if (store_instance_insert(c->tx, &made[k], e) < 0 ||
		    tags_put(c->tx, made[k].id, &a->tags, e) < 0)
			return -1;
	}
	return 0;
}

static void
run_reply(struct out *o, const struct action_ctx *c, const char *reservation,
	  const struct instance *made, size_t n, const struct tags *tags)
{
	out_str(o, "reservationId", reservation);
	out_str(o, "ownerId", c->account);
	out_list(o, "groupSet");
	out_list_end(o);
	out_list(o, "instancesSet");
	for (size_t k = 0; k < n; k++) {
		out_item(o);
		instance_write(o, c, &made[k], tags);
		out_item_end(o);
	}
	out_list_end(o);
}

int
ec2_run_instances(struct action_ctx *c, struct out *o, struct err *e)
{
	struct run_args a;
	struct run_plan p = {0};
	struct fleet f = {0};
	struct instance *made = NULL;
	char reservation[ID_MAX];
	int rc = -1;

	if (run_args_parse(c->req, &a, e) < 0 || fleet_load(c->tx, &f, e) < 0 ||
	    run_refs_check(c, &a, &f, &p, e) < 0 ||
	    reserve_check(c->cfg, e) < 0 ||
	    run_place(c->cfg, &a, &f, &p, e) < 0 ||
	    run_addresses(c->tx, &a, &p, e) < 0)
		goto out;
	made = calloc(p.n, sizeof(*made));
	if (!made) {
		err_set(e, "InternalError", "Out of memory.");
		goto out;
	}
	id_new("r", reservation);
	if (run_write(c, &a, &f, &p, reservation, made, e) < 0)
		goto out;
	run_reply(o, c, reservation, made, p.n, &a.tags);
	rc = 0;
out:
	/* made[] borrows user_data, console and public_key. */
	free(made);
	free(p.public_key);
	free(p.hosts);
	free(p.ips);
	free(a.tags.v);
	fleet_free(&f);
	return rc;
}

/* DescribeInstances. */

struct instance_view {
	const struct instance *i;
	struct tags tags;
	const char *region;
};

#define INST(res) (((const struct instance_view *)(res))->i)

static void
f_iid(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->id);
}
static void
f_state(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->state);
}
static void
f_code(const void *r, struct strlist *o)
{
	strlist_addf(o, "%d", instance_state_code(INST(r)->state));
}
static void
f_type(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->type);
}
static void
f_image(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->image_id);
}
static void
f_zone(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->zone);
}
static void
f_ip(const void *r, struct strlist *o)
{
	if (strcmp(INST(r)->state, "terminated") != 0)
		strlist_add(o, INST(r)->private_ip);
}
static void
f_dns(const void *r, struct strlist *o)
{
	char dns[96];

	if (strcmp(INST(r)->state, "terminated") == 0)
		return;
	id_dns_name(((const struct instance_view *)r)->region,
		    INST(r)->private_ip, dns, sizeof(dns));
	strlist_add(o, dns);
}
static void
f_key(const void *r, struct strlist *o)
{
	if (INST(r)->key_name[0])
		strlist_add(o, INST(r)->key_name);
}
static void
f_res(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->reservation_id);
}
static void
f_subnet(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->subnet_id);
}
static void
f_vpc(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->vpc_id);
}
static void
f_owner(const void *r, struct strlist *o)
{
	strlist_add(o, INST(r)->owner);
}
static void
f_arch(const void *r, struct strlist *o)
{
	strlist_add(o, "x86_64");
}
static void
f_token(const void *r, struct strlist *o)
{
	if (INST(r)->client_token[0])
		strlist_add(o, INST(r)->client_token);
}
static void
f_index(const void *r, struct strlist *o)
{
	strlist_addf(o, "%d", INST(r)->launch_index);
}
static void
f_reason(const void *r, struct strlist *o)
{
	if (INST(r)->reason_code[0])
		strlist_add(o, INST(r)->reason_code);
}

static const struct tags *
instance_tags(const void *r)
{
	return &((const struct instance_view *)r)->tags;
}

static const struct filter_field instance_fields[] = {
    {"ami-launch-index", f_index},
    {"architecture", f_arch},
    {"availability-zone", f_zone},
    {"client-token", f_token},
    {"image-id", f_image},
    {"instance-id", f_iid},
    {"instance-state-code", f_code},
    {"instance-state-name", f_state},
    {"instance-type", f_type},
    {"key-name", f_key},
    {"network-interface.addresses.private-ip-address", f_ip},
    {"owner-id", f_owner},
    {"placement-availability-zone", f_zone},
    {"private-dns-name", f_dns},
    {"private-ip-address", f_ip},
    {"reservation-id", f_res},
    {"state-reason-code", f_reason},
    {"subnet-id", f_subnet},
    {"vpc-id", f_vpc},
};

static const struct filter_spec instance_filters = {
    .fields = instance_fields,
    .nfields = sizeof(instance_fields) / sizeof(instance_fields[0]),
    .tags = instance_tags,
};

/* Reservations group instances; the listing walks them in id order. */
static int
reservation_cmp(const void *a, const void *b)
{
	const struct instance *x = a, *y = b;
	int c = strcmp(x->reservation_id, y->reservation_id);

	return c ? c : x->launch_index - y->launch_index;
}

/* A listing's rows are read this many beyond a page at a time... */
#define LIST_BATCH_MIN 100
/* ...and no more than this many for one page, when filters SQL cannot
 * match skip most rows: the page then ends early, with a token. */
#define LIST_SCAN_MAX	 20000
#define LIST_TAG_FILTERS 8

/* The page key of a DescribeInstances row. */
static void
reservation_key(const struct instance *i, char *key, size_t size)
{
	snprintf(key, size, "%s\x01%06d", i->reservation_id, i->launch_index);
}

/* The reservation_key() text back into its parts; false if it is not. */
static bool
reservation_key_parse(const char *key, char *res, size_t size, int *index)
{
	const char *sep = strchr(key, '\x01');
	long long v;

	if (!sep || (size_t)(sep - key) >= size ||
	    parse_ll(sep + 1, 0, 999999, &v) < 0)
		return false;
	memcpy(res, key, (size_t)(sep - key));
	res[sep - key] = '\0';
	*index = (int)v;
	return true;
}

/* The filters SQL matches exactly narrow the query; all still apply. */
static void
instance_query_narrow(const struct filter_set *fs, struct instance_query *q,
		      struct store_tag_match *tags, size_t max)
{
	filter_literal(fs, "instance-id", &q->ids);
	filter_literal(fs, "instance-state-name", &q->states);
	if (!filter_literal(fs, "availability-zone", &q->zones))
		filter_literal(fs, "placement-availability-zone", &q->zones);
	filter_literal(fs, "vpc-id", &q->vpcs);
	filter_literal(fs, "subnet-id", &q->subnets);
	q->tags = tags;
	q->ntags = filter_tag_literals(fs, tags, max);
}

struct listing {
	struct action_ctx *c;
	struct out *o;
	const struct filter_set *fs;
	struct page *pg;
	char open[32]; /* the reservation being written */
};

/* Offer one instance to the page; write it when it belongs there. */
static int
listing_offer(struct listing *l, const struct instance *i, struct err *e)
{
	struct instance_view iv = {.i = i, .region = l->c->cfg->region};
	char key[PAGE_KEY_MAX];
	bool show;

	if (store_tags_get(l->c->tx, i->id, &iv.tags, e) < 0)
		return -1;
	reservation_key(i, key, sizeof(key));
	show = filters_match(l->fs, &instance_filters, &iv) &&
	       page_take(l->pg, key);
	if (show) {
		if (strcmp(l->open, i->reservation_id) != 0) {
			if (l->open[0]) {
				out_list_end(l->o);
				out_item_end(l->o);
			}
			out_item(l->o);
			out_str(l->o, "reservationId", i->reservation_id);
			out_str(l->o, "ownerId", i->owner);
			out_list(l->o, "groupSet");
			out_list_end(l->o);
			out_list(l->o, "instancesSet");
			snprintf(l->open, sizeof(l->open), "%s",
				 i->reservation_id);
		}
		out_item(l->o);
		instance_write(l->o, l->c, i, &iv.tags);
		out_item_end(l->o);
	}
	tags_free(&iv.tags);
	return 0;
}

/*
 * Walk the instances the filters may match in key order, a batch at a
 * time from the page's token on, until the page is full and one more
 * matching row shows another page exists.
 */
static int
listing_walk(struct listing *l, struct err *e)
{
	struct store_tag_match tags[LIST_TAG_FILTERS];
	struct instance_query q = {.order = INSTANCE_BY_RESERVATION};
	char after[32] = "", last[PAGE_KEY_MAX];
	size_t scanned = 0;

	instance_query_narrow(l->fs, &q, tags, LIST_TAG_FILTERS);
	if (l->pg->after[0] &&
	    !reservation_key_parse(l->pg->after, after, sizeof(after),
				   &q.after_index))
		return err_set(e, "InvalidPaginationToken",
			       "The specified pagination token is not valid "
			       "or is expired.");
	q.after_reservation = after;
	q.limit = (size_t)l->pg->max + 1;
	if (q.limit < LIST_BATCH_MIN)
		q.limit = LIST_BATCH_MIN;
	for (;;) {
		struct instance *v = NULL;
		size_t n = 0;

		if (store_instance_query(l->c->tx, &q, &v, &n, e) < 0)
			return -1;
		for (size_t i = 0; i < n && !l->pg->more; i++)
			if (listing_offer(l, &v[i], e) < 0) {
				instances_free(v, n);
				return -1;
			}
		scanned += n;
		if (n) {
			snprintf(after, sizeof(after), "%s",
				 v[n - 1].reservation_id);
			q.after_index = v[n - 1].launch_index;
			reservation_key(&v[n - 1], last, sizeof(last));
		}
		instances_free(v, n);
		if (l->pg->more || n < q.limit)
			return 0;
		if (l->pg->max && scanned >= LIST_SCAN_MAX) {
			page_stop_at(l->pg, last);
			return 0;
		}
	}
}

int
ec2_describe_instances(struct action_ctx *c, struct out *o, struct err *e)
{
	struct strlist ids;
	struct filter_set fs = {0};
	struct instance *v = NULL;
	struct page pg;
	struct listing l = {.c = c, .o = o, .fs = &fs, .pg = &pg};
	size_t n = 0;
	int rc = -1;

	strlist_init(&ids);
	if (param_strlist(c->req, "InstanceId", 1000, &ids, e) < 0 ||
	    page_parse(c, "DescribeInstances", 5, 1000, &pg, e) < 0 ||
	    filters_parse(c->req, &instance_filters, &fs, e) < 0)
		goto out;
	if (ids.n && pg.max) {
		err_set(e, "InvalidParameterCombination",
			"The parameter instancesSet cannot be used with the "
			"parameter maxResults");
		goto out;
	}
	if (ids.n && instances_load(c->tx, &ids, &v, &n, e) < 0)
		goto out;
	if (n > 1)
		qsort(v, n, sizeof(*v), reservation_cmp);
	out_list(o, "reservationSet");
	if (ids.n) {
		for (size_t i = 0; i < n; i++)
			if (listing_offer(&l, &v[i], e) < 0)
				goto out;
	} else if (listing_walk(&l, e) < 0) {
		goto out;
	}
	if (l.open[0]) {
		out_list_end(o);
		out_item_end(o);
	}
	out_list_end(o);
	page_write_token(&pg, o, "nextToken");
	rc = 0;
out:
	instances_free(v, n);
	filters_free(&fs);
	strlist_free(&ids);
	return rc;
}

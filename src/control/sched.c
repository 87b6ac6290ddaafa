/*
 * sched.c - placement on hosts and zones, and the room check of a start.
 * See sched.h for the rules.
 *
 * Pure and allocation-free: the callers (services/ec2's RunInstances and
 * StartInstances) load hosts and instances from the store, size them
 * with the instance-type catalogue, and hand plain arrays in. Room is
 * counted per dimension (vCPUs, memory, GPUs); a host with room for k
 * instances of a size in every dimension takes k.
 */
#include "control/sched.h"

#include <stdio.h>
#include <string.h>

#define ZONE_LIST_MAX 256 /* the zones an error message suggests */

bool
sched_fits(const struct sched_host *h, const struct sched_size *s)
{
	return h->used.vcpus + (unsigned long long)s->vcpus <=
		   h->capacity.vcpus &&
	       h->used.memory_mib + s->memory_mib <= h->capacity.memory_mib &&
	       h->used.gpus + (unsigned long long)s->gpus <= h->capacity.gpus;
}

void
sched_take(struct sched_host *h, const struct sched_size *s)
{
	h->used.vcpus += s->vcpus;
	h->used.memory_mib += s->memory_mib;
	h->used.gpus += s->gpus;
	h->instances++;
}

/* How many more of size s one dimension has room for, at most cap. */
static unsigned long long
dim_room(unsigned long long capacity, unsigned long long used,
	 unsigned long long size, unsigned long long cap)
{
	unsigned long long k;

	if (used > capacity)
		return 0;
	if (size == 0)
		return cap;
	k = (capacity - used) / size;
	return k < cap ? k : cap;
}

/* How many more of size s fit on h, at most cap. */
static unsigned long long
host_room(const struct sched_host *h, const struct sched_size *s,
	  unsigned long long cap)
{
	if (!h->available)
		return 0;
	cap = dim_room(h->capacity.vcpus, h->used.vcpus, s->vcpus, cap);
	cap = dim_room(h->capacity.memory_mib, h->used.memory_mib,
		       s->memory_mib, cap);
	return dim_room(h->capacity.gpus, h->used.gpus, s->gpus, cap);
}

/* How many of size s fit in zone, at most cap. */
static unsigned long long
zone_room(const struct sched_host *hosts, size_t nhosts, const char *zone,
	  const struct sched_size *s, unsigned long long cap)
{
	unsigned long long room = 0;

	for (size_t h = 0; h < nhosts && room < cap; h++)
		if (strcmp(hosts[h].zone, zone) == 0)
			room += host_room(&hosts[h], s, cap - room);
	return room;
}

static unsigned long long
zone_instances(const struct sched_host *hosts, size_t nhosts, const char *zone)
{
	unsigned long long n = 0;

	for (size_t h = 0; h < nhosts; h++)
		if (strcmp(hosts[h].zone, zone) == 0)
			n += hosts[h].instances;
	return n;
}

/*
 * The quietest of r's zones where r->min fit; when none has room, the
 * quietest of all (the zone the error names). NULL when r offers none.
 */
static const char *
zone_choose(const struct sched_host *hosts, size_t nhosts,
	    const struct sched_request *r)
{
	const char *best = NULL, *quiet = NULL;
	unsigned long long best_n = 0, quiet_n = 0;

	for (size_t z = 0; z < r->nzones; z++) {
		const char *zone = r->zones[z];
		unsigned long long n = zone_instances(hosts, nhosts, zone);

		if (!quiet || n < quiet_n) {
			quiet = zone;
			quiet_n = n;
		}
		if ((!best || n < best_n) &&
		    zone_room(hosts, nhosts, zone, &r->size, r->min) >=
			r->min) {
			best = zone;
			best_n = n;
		}
	}
	return best ? best : quiet;
}

/* EC2's words, and the other zones where the request would fit. */
static int
capacity_error(const struct sched_host *hosts, size_t nhosts,
	       const struct sched_request *r, const char *zone, struct err *e)
{
	char others[ZONE_LIST_MAX] = "";
	size_t off = 0;

	for (size_t z = 0; z < r->nzones; z++) {
		int w;

		if (strcmp(r->zones[z], zone) == 0 ||
		    zone_room(hosts, nhosts, r->zones[z], &r->size, r->min) <
			r->min)
			continue;
		w = snprintf(others + off, sizeof(others) - off, "%s%s",
			     off ? ", " : "", r->zones[z]);
		if (w < 0 || (size_t)w >= sizeof(others) - off)
			break;
		off += (size_t)w;
	}
	if (off)
		return err_set(
		    e, "InsufficientInstanceCapacity",
		    "We currently do not have sufficient %s "
		    "capacity in the Availability Zone you requested "
		    "(%s). Our system will be working on "
		    "provisioning additional capacity. You can "
		    "currently get %s capacity by not specifying an "
		    "Availability Zone in your request or choosing "
		    "%s.",
		    r->type, zone, r->type, others);
	return err_set(e, "InsufficientInstanceCapacity",
		       "We currently do not have sufficient %s capacity in the "
		       "Availability Zone you requested (%s). Our system will "
		       "be working on provisioning additional capacity.",
		       r->type, zone);
}

int
sched_place(struct sched_host *hosts, size_t nhosts,
	    const struct sched_request *r, size_t *ret_hosts, size_t *ret_n,
	    const char **ret_zone, struct err *e)
{
	const char *zone = r->zone ? r->zone : zone_choose(hosts, nhosts, r);
	unsigned long long room;
	size_t n = 0;

	if (!zone)
		return err_set(e, "InsufficientInstanceCapacity",
			       "Insufficient capacity.");
	room = zone_room(hosts, nhosts, zone, &r->size, r->max);
	if (room < r->min)
		return capacity_error(hosts, nhosts, r, zone, e);
	/* First fit in the hosts' order: room >= n keeps this finite. */
	for (size_t h = 0; h < nhosts && n < room; h++) {
		if (strcmp(hosts[h].zone, zone) != 0)
			continue;
		while (n < room && host_room(&hosts[h], &r->size, 1) == 1) {
			sched_take(&hosts[h], &r->size);
			ret_hosts[n++] = h;
		}
	}
	*ret_n = n;
	*ret_zone = zone;
	return 0;
}

int
sched_admit(struct sched_host *hosts, size_t nhosts,
	    const struct sched_start *v, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		struct sched_host *h = NULL;

		for (size_t k = 0; k < nhosts && !h; k++)
			if (strcmp(hosts[k].id, v[i].host_id) == 0)
				h = &hosts[k];
		if (!h || host_room(h, &v[i].size, 1) == 0)
			return err_set(e, "InsufficientInstanceCapacity",
				       "We currently do not have sufficient %s "
				       "capacity in the Availability Zone you "
				       "requested (%s).",
				       v[i].type, v[i].zone);
		sched_take(h, &v[i].size);
	}
	return 0;
}

/*
 * test_sched.c - control/sched: placement (one zone per call, the
 * quietest zone with room when none is asked for, first fit in host
 * order, MinCount/MaxCount) and the room check of StartInstances, each
 * a table of hosts and requests with the expected hosts or EC2 error.
 */
#include <stdio.h>
#include <string.h>

#include "control/sched.h"
#include "unit.h"

#define N(a)	  (sizeof(a) / sizeof((a)[0]))
#define HOSTS_MAX 6
#define END	  ((size_t)-1)

/* A t3.micro (2 vCPUs, 1 GiB), a t3.xlarge (4, 16 GiB), a p4d.24xlarge. */
#define MICRO                                                                  \
	{                                                                      \
		2, 1024, 0                                                     \
	}
#define XLARGE                                                                 \
	{                                                                      \
		4, 16384, 0                                                    \
	}
#define GPU8                                                                   \
	{                                                                      \
		96, 1179648, 8                                                 \
	}
/* A host: 8 vCPUs, 32 GiB, no GPU unless said. */
#define HOST(id, zone, used_vcpus, used_mib, n)                                \
	{                                                                      \
		id, zone, true, {8, 32768, 0}, {used_vcpus, used_mib, 0}, n    \
	}
#define DOWN(id, zone)                                                         \
	{                                                                      \
		id, zone, false, {8, 32768, 0}, {0, 0, 0}, 0                   \
	}

static const char *const zones3[] = {"z-a", "z-b", "z-c"};

static const struct {
	const char *name;
	struct sched_host hosts[HOSTS_MAX];
	size_t nhosts;
	struct sched_size size;
	unsigned min, max;
	const char *zone; /* asked for; NULL: choose */
	size_t nzones;	  /* of zones3 offered */
	/* Expected: the zone and hosts (END-terminated), or an error. */
	const char *want_zone;
	size_t want_hosts[12];
	const char *want_msg; /* a part of the message; NULL: success */
} place_cases[] = {
    {"one in the asked zone",
     {HOST("a1", "z-a", 0, 0, 0), HOST("b1", "z-b", 0, 0, 0)},
     2,
     MICRO,
     1,
     1,
     "z-b",
     3,
     "z-b",
     {1, END},
     NULL},
    {"fills the first host before the next",
     {HOST("a1", "z-a", 0, 0, 0), HOST("a2", "z-a", 0, 0, 0)},
     2,
     MICRO,
     5,
     5,
     "z-a",
     1,
     "z-a",
     {0, 0, 0, 0, 1, END},
     NULL},
    {"counts what is already used",
     {HOST("a1", "z-a", 6, 3072, 3), HOST("a2", "z-a", 0, 0, 0)},
     2,
     MICRO,
     2,
     2,
     "z-a",
     1,
     "z-a",
     {0, 1, END},
     NULL},
    {"memory is a limit too",
     {HOST("a1", "z-a", 0, 0, 0), HOST("a2", "z-a", 0, 0, 0)},
     2,
     XLARGE,
     3,
     3,
     "z-a",
     1,
     "z-a",
     {0, 0, 1, END},
     NULL},
    {"an unavailable host takes nothing",
     {DOWN("a1", "z-a"), HOST("a2", "z-a", 0, 0, 0)},
     2,
     MICRO,
     1,
     1,
     "z-a",
     1,
     "z-a",
     {1, END},
     NULL},
    {"as many as fit between MinCount and MaxCount",
     {HOST("a1", "z-a", 4, 0, 2)},
     1,
     MICRO,
     1,
     9,
     "z-a",
     1,
     "z-a",
     {0, 0, END},
     NULL},
    {"fewer than MinCount fit: none",
     {HOST("a1", "z-a", 4, 0, 2), HOST("b1", "z-b", 0, 0, 0)},
     2,
     MICRO,
     3,
     3,
     "z-a",
     1,
     NULL,
     {END},
     "sufficient t3.micro capacity in the Availability Zone you "
     "requested (z-a). Our system will be working on provisioning "
     "additional capacity."},
    {"the error suggests the zones with room",
     {HOST("a1", "z-a", 8, 0, 4), HOST("b1", "z-b", 0, 0, 0),
      HOST("c1", "z-c", 0, 0, 0)},
     3,
     MICRO,
     1,
     1,
     "z-a",
     3,
     NULL,
     {END},
     "(z-a). Our system will be working on provisioning additional "
     "capacity. You can currently get t3.micro capacity by not "
     "specifying an Availability Zone in your request or choosing "
     "z-b, z-c."},
    {"no GPU host: no GPU instance",
     {HOST("a1", "z-a", 0, 0, 0)},
     1,
     GPU8,
     1,
     1,
     NULL,
     1,
     NULL,
     {END},
     "sufficient p4d.24xlarge capacity in the Availability Zone you "
     "requested (z-a)."},
    {"no zone asked: the one with the fewest instances",
     {HOST("a1", "z-a", 2, 0, 1), HOST("b1", "z-b", 2, 0, 1),
      HOST("c1", "z-c", 0, 0, 0)},
     3,
     MICRO,
     1,
     1,
     NULL,
     3,
     "z-c",
     {2, END},
     NULL},
    {"no zone asked, a tie: the earlier zone",
     {HOST("a1", "z-a", 2, 0, 1), HOST("b1", "z-b", 0, 0, 0),
      HOST("c1", "z-c", 0, 0, 0)},
     3,
     MICRO,
     1,
     1,
     NULL,
     3,
     "z-b",
     {1, END},
     NULL},
    {"no zone asked: a zone without room for MinCount is passed over",
     {HOST("a1", "z-a", 6, 0, 0), HOST("b1", "z-b", 0, 0, 5)},
     2,
     MICRO,
     2,
     2,
     NULL,
     2,
     "z-b",
     {1, 1, END},
     NULL},
    {"no zone asked, room nowhere: the quietest zone is named",
     {HOST("a1", "z-a", 8, 0, 4), HOST("b1", "z-b", 8, 0, 2)},
     2,
     MICRO,
     1,
     1,
     NULL,
     2,
     NULL,
     {END},
     "requested (z-b)"},
    {"only the offered zones are candidates",
     {HOST("a1", "z-a", 2, 0, 1), HOST("c1", "z-c", 0, 0, 0)},
     2,
     MICRO,
     1,
     1,
     NULL,
     1,
     "z-a",
     {0, END},
     NULL},
    {"no zone offered",
     {HOST("a1", "z-a", 0, 0, 0)},
     1,
     MICRO,
     1,
     1,
     NULL,
     0,
     NULL,
     {END},
     "Insufficient capacity."},
    {"over capacity already: no room, no wrap-around",
     {HOST("a1", "z-a", 10, 0, 5)},
     1,
     MICRO,
     1,
     1,
     "z-a",
     1,
     NULL,
     {END},
     "(z-a)"},
};

static const char *
type_of(const struct sched_size *s)
{
	return s->gpus	       ? "p4d.24xlarge"
	       : s->vcpus == 4 ? "t3.xlarge"
			       : "t3.micro";
}

static void
test_place(void)
{
	for (size_t i = 0; i < N(place_cases); i++) {
		struct sched_host hosts[HOSTS_MAX], before[HOSTS_MAX];
		struct sched_request r = {
		    .type = type_of(&place_cases[i].size),
		    .size = place_cases[i].size,
		    .min = place_cases[i].min,
		    .max = place_cases[i].max,
		    .zone = place_cases[i].zone,
		    .zones = zones3,
		    .nzones = place_cases[i].nzones,
		};
		struct err e;
		size_t got[16], n = 99, want_n = 0;
		const char *zone = NULL;
		int rc;

		memset(&e, 0, sizeof(e));
		memcpy(hosts, place_cases[i].hosts, sizeof(hosts));
		memcpy(before, hosts, sizeof(before));
		rc = sched_place(hosts, place_cases[i].nhosts, &r, got, &n,
				 &zone, &e);
		if (place_cases[i].want_msg) {
			CHECK(rc == -1 &&
				  strcmp(e.code,
					 "InsufficientInstanceCapacity") == 0 &&
				  strstr(e.message, place_cases[i].want_msg),
			      "%s: rc %d %s: %s", place_cases[i].name, rc,
			      e.code, e.message);
			CHECK(memcmp(hosts, before, sizeof(hosts)) == 0,
			      "%s: hosts unchanged", place_cases[i].name);
			continue;
		}
		while (place_cases[i].want_hosts[want_n] != END)
			want_n++;
		CHECK(rc == 0 && n == want_n && zone &&
			  strcmp(zone, place_cases[i].want_zone) == 0,
		      "%s: rc %d n %zu zone %s (%s)", place_cases[i].name, rc,
		      n, zone ? zone : "-", e.message);
		if (rc < 0 || n != want_n)
			continue;
		for (size_t k = 0; k < n; k++)
			CHECK(got[k] == place_cases[i].want_hosts[k],
			      "%s: #%zu on %zu", place_cases[i].name, k,
			      got[k]);
		/* The hosts count what was placed. */
		for (size_t h = 0; h < place_cases[i].nhosts; h++) {
			unsigned placed = 0;

			for (size_t k = 0; k < n; k++)
				placed += got[k] == h;
			CHECK(hosts[h].instances ==
				      before[h].instances + placed &&
				  hosts[h].used.vcpus ==
				      before[h].used.vcpus +
					  placed * r.size.vcpus,
			      "%s: host %zu counts %u", place_cases[i].name, h,
			      placed);
		}
	}
}

static const struct {
	const char *name;
	struct sched_host hosts[HOSTS_MAX];
	size_t nhosts;
	struct sched_start starts[4];
	size_t nstarts;
	const char *want_msg; /* NULL: admitted */
} admit_cases[] = {
    {"room on its host",
     {HOST("a1", "z-a", 6, 0, 3)},
     1,
     {{"a1", "t3.micro", "z-a", MICRO}},
     1,
     NULL},
    {"its host is full, another is not: still no",
     {HOST("a1", "z-a", 8, 0, 4), HOST("a2", "z-a", 0, 0, 0)},
     2,
     {{"a1", "t3.micro", "z-a", MICRO}},
     1,
     "sufficient t3.micro capacity in the Availability Zone you "
     "requested (z-a)."},
    {"counted together",
     {HOST("a1", "z-a", 4, 0, 2)},
     1,
     {{"a1", "t3.micro", "z-a", MICRO},
      {"a1", "t3.micro", "z-a", MICRO},
      {"a1", "t3.xlarge", "z-a", XLARGE}},
     3,
     "sufficient t3.xlarge capacity"},
    {"a GPU type on a host without GPUs",
     {HOST("a1", "z-a", 0, 0, 0)},
     1,
     {{"a1", "p4d.24xlarge", "z-a", GPU8}},
     1,
     "sufficient p4d.24xlarge capacity"},
    {"its host is unavailable",
     {DOWN("a1", "z-a")},
     1,
     {{"a1", "t3.micro", "z-a", MICRO}},
     1,
     "(z-a)"},
    {"its host is gone",
     {HOST("a2", "z-a", 0, 0, 0)},
     1,
     {{"a1", "t3.micro", "z-a", MICRO}},
     1,
     "(z-a)"},
    {"nothing to start", {HOST("a1", "z-a", 8, 0, 4)}, 1, {{0}}, 0, NULL},
};

static void
test_admit(void)
{
	for (size_t i = 0; i < N(admit_cases); i++) {
		struct sched_host hosts[HOSTS_MAX];
		struct err e;
		int rc;

		memset(&e, 0, sizeof(e));
		memcpy(hosts, admit_cases[i].hosts, sizeof(hosts));
		rc = sched_admit(hosts, admit_cases[i].nhosts,
				 admit_cases[i].starts, admit_cases[i].nstarts,
				 &e);
		if (!admit_cases[i].want_msg)
			CHECK(rc == 0, "%s: %s", admit_cases[i].name,
			      e.message);
		else
			CHECK(rc == -1 &&
				  strcmp(e.code,
					 "InsufficientInstanceCapacity") == 0 &&
				  strstr(e.message, admit_cases[i].want_msg),
			      "%s: rc %d %s", admit_cases[i].name, rc,
			      e.message);
	}
}

static void
test_fits(void)
{
	static const struct {
		struct sched_host h;
		struct sched_size s;
		bool fits;
	} cases[] = {
	    {HOST("a", "z", 6, 31744, 1), MICRO, true},
	    {HOST("a", "z", 7, 0, 1), MICRO, false},
	    {HOST("a", "z", 0, 32000, 1), MICRO, false},
	    {HOST("a", "z", 0, 0, 0), GPU8, false},
	    {{"g", "z", true, {96, 1179648, 8}, {0, 0, 0}, 0}, GPU8, true},
	    /* Room is room, available or not: sched_admit checks that. */
	    {DOWN("a", "z"), MICRO, true},
	};

	for (size_t i = 0; i < N(cases); i++)
		CHECK(sched_fits(&cases[i].h, &cases[i].s) == cases[i].fits,
		      "fits #%zu", i);
}

int
main(void)
{
	test_place();
	test_admit();
	test_fits();
	return UNIT_DONE();
}

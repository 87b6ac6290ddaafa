/*
 * test_diskfree.c - the disk reserve's syntax, its size on a file system,
 * and the probe on a real one.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/config.h"
#include "common/diskfree.h"
#include "unit.h"

static const struct {
	const char *text;
	unsigned long long bytes;
	double percent;
} good[] = {
    {"0", 0, 0},
    {"1048576", 1048576, 0},
    {"1G", 1ULL << 30, 0},
    {"1g", 1ULL << 30, 0},
    {"512M", 512ULL << 20, 0},
    {"512MiB", 512ULL << 20, 0},
    {"64k", 64ULL << 10, 0},
    {"64KB", 64ULL << 10, 0},
    {"2T", 2ULL << 40, 0},
    {"1.5G", 3ULL << 29, 0},
    {"100B", 100, 0},
    {"5%", 0, 5},
    {"0.5%", 0, 0.5},
    /* Read back exactly: %g made these 100% and 1e-07% (refused) and
     * 12.3457% (another threshold). */
    {"99.9999999%", 0, 99.9999999},
    {"0.0000001%", 0, 0.0000001},
    {"12.3456789%", 0, 12.3456789},
};

static const char *const bad[] = {
    "",	    "G",   "-1G", "1X",	 "1GG",	 "1 G", "0%",  "100%",
    "1e99", "nan", "inf", "1G%", "0x10", "1Gi", " 1G", "16384P",
};

static void
test_parse(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct disk_reserve r = {7, 7};
		char text[DISKFREE_TEXT_MAX], again[DISKFREE_TEXT_MAX];
		struct disk_reserve back;

		CHECK(diskfree_parse(good[i].text, &r) == 0, "%s",
		      good[i].text);
		CHECK(r.bytes == good[i].bytes && r.percent == good[i].percent,
		      "%s: %llu %g", good[i].text, r.bytes, r.percent);
		/* Its text reads back as the same reserve. */
		diskfree_text(&r, text, sizeof(text));
		CHECK(diskfree_parse(text, &back) == 0 &&
			  back.bytes == r.bytes && back.percent == r.percent,
		      "%s -> %s", good[i].text, text);
		diskfree_text(&back, again, sizeof(again));
		CHECK_STR(again, text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct disk_reserve r = {7, 0};

		CHECK(diskfree_parse(bad[i], &r) == -EINVAL && r.bytes == 7,
		      "'%s' accepted", bad[i]);
	}
}

static void
test_need_and_short(void)
{
	struct disk_reserve pct = {.percent = 10}, bytes = {.bytes = 4096};
	struct disk_reserve huge = {.bytes = ~0ULL}, none = {0};
	struct disk_space s = {.avail = 50, .total = 1000}, got;
	unsigned long long need = 0;
	char human[32];

	CHECK(diskfree_need(&pct, &s) == 100, "10%% of 1000");
	CHECK(diskfree_need(&bytes, &s) == 4096, "bytes");
	/* The probe on a real file system: this folder's. */
	CHECK(diskfree_probe(".", &got) == 0 && got.total > 0 &&
		  got.avail <= got.total,
	      "probe .");
	CHECK(!diskfree_short(".", &none, NULL, NULL), "no reserve");
	CHECK(diskfree_short(".", &huge, &got, &need) && need == ~0ULL,
	      "2^64-1 bytes are never free");
	/* What cannot be probed is not short. */
	CHECK(diskfree_probe("/nonexistent/ec2d", &got) == -ENOENT, "ENOENT");
	CHECK(!diskfree_short("/nonexistent/ec2d", &huge, NULL, NULL),
	      "unprobed");
	diskfree_human(512, human, sizeof(human));
	CHECK_STR(human, "512 bytes");
	diskfree_human(12ULL << 20, human, sizeof(human));
	CHECK_STR(human, "12.0 MiB");
	diskfree_human(3ULL << 29, human, sizeof(human));
	CHECK_STR(human, "1.5 GiB");
}

static void
test_config(void)
{
	struct config c;
	char msg[256];

	config_defaults(&c);
	CHECK(c.disk_reserve.bytes == 1ULL << 30 && c.disk_reserve.percent == 0,
	      "default 1 GiB");
	CHECK(config_set(&c, "disk-reserve", "5%", msg, sizeof(msg)) == 0 &&
		  c.disk_reserve.percent == 5,
	      "5%%");
	CHECK(config_set(&c, "disk-reserve", "12Q", msg, sizeof(msg)) < 0 &&
		  strstr(msg, "disk-reserve") && c.disk_reserve.percent == 5,
	      "bad value: %s", msg);
}

int
main(void)
{
	test_parse();
	test_need_and_short();
	test_config();
	return UNIT_DONE();
}

/*
 * diskfree.c - free space and the disk reserve. See diskfree.h.
 *
 * One statvfs() per question: cheap enough for an API handler, so the
 * answer is always the file system's, never a cached guess.
 */
#include "common/diskfree.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>

/* The multiplier a unit suffix names (after the number), or 0. */
static unsigned long long
unit_of(const char *s)
{
	static const struct {
		char letter;
		unsigned shift;
	} units[] = {{'k', 10}, {'m', 20}, {'g', 30}, {'t', 40}};

	if (!*s)
		return 1;
	if (strcasecmp(s, "b") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (tolower((unsigned char)s[0]) != units[i].letter)
			continue;
		if (!s[1] || strcasecmp(s + 1, "b") == 0 ||
		    strcasecmp(s + 1, "ib") == 0)
			return 1ULL << units[i].shift;
	}
	return 0;
}

/* How long the "123" or "1.5" at the start of s is. */
static size_t
decimal_len(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (s[n] == '.' && isdigit((unsigned char)s[n + 1]))
		n += 1 + strspn(s + n + 1, "0123456789");
	return n;
}

int
diskfree_parse(const char *s, struct disk_reserve *ret)
{
	unsigned long long unit;
	char *end;
	double v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* Digits with maybe a fraction: no hex, exponent or infinity. */
	if (errno || end != s + decimal_len(s))
		return -EINVAL;
	if (strcmp(end, "%") == 0) {
		if (v <= 0 || v >= 100)
			return -EINVAL;
		*ret = (struct disk_reserve){.percent = v};
		return 0;
	}
	unit = unit_of(end);
	/* Below 2^64 bytes, and whole bytes. */
	if (!unit || v * (double)unit >= 18446744073709551616.0)
		return -EINVAL;
	*ret = (struct disk_reserve){
	    .bytes = (unsigned long long)(v * (double)unit + 0.5)};
	return 0;
}

void
diskfree_text(const struct disk_reserve *r, char *buf, size_t size)
{
	char num[DISKFREE_TEXT_MAX];
	size_t n;

	if (!(r->percent > 0)) {
		snprintf(buf, size, "%llu", r->bytes);
		return;
	}
	/* Enough decimals to read back as the same double (%g rounds, and
	 * may write an exponent, which diskfree_parse refuses), then the
	 * trailing zeros go. */
	snprintf(num, sizeof(num), "%.30f", r->percent);
	n = strlen(num);
	while (n > 0 && num[n - 1] == '0')
		n--;
	if (n > 0 && num[n - 1] == '.')
		n--;
	snprintf(buf, size, "%.*s%%", (int)n, num);
}

int
diskfree_probe(const char *path, struct disk_space *ret)
{
	struct statvfs st;

	if (statvfs(path, &st) < 0)
		return -errno;
	ret->avail = (unsigned long long)st.f_bavail * st.f_frsize;
	ret->total = (unsigned long long)st.f_blocks * st.f_frsize;
	return 0;
}

unsigned long long
diskfree_need(const struct disk_reserve *r, const struct disk_space *s)
{
	if (r->percent > 0)
		return (unsigned long long)((double)s->total * r->percent /
					    100.0);
	return r->bytes;
}

bool
diskfree_short(const char *path, const struct disk_reserve *r,
	       struct disk_space *ret_space, unsigned long long *ret_need)
{
	struct disk_space s;
	unsigned long long need;

	if (diskfree_probe(path, &s) < 0)
		return false;
	need = diskfree_need(r, &s);
	if (ret_space)
		*ret_space = s;
	if (ret_need)
		*ret_need = need;
	return s.avail < need;
}

void
diskfree_human(unsigned long long bytes, char *buf, size_t size)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu bytes", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

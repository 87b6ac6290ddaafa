/*
 * test_registry.c - the machine's deployment registry (agent/registry.h)
 * in a temporary folder: an entry held by a serving ec2d cannot be locked
 * by down or gc, a released one can, and is read back and dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/registry.h"
#include "tmpdir.h"
#include "unit.h"

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-registry-XXXXXX", reg[64], data[96];
	struct registry_entry e;
	char(*tags)[8] = NULL;
	size_t n = 0;
	struct stat st;
	int held = -1, fd = -1;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(reg, sizeof(reg), "%s/reg", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	mkdir(data, 0700);
	stat(data, &st);
	CHECK(registry_lock(reg, "abcde", &e, &fd) == -ENOENT, "no entry");
	CHECK(registry_hold(reg, "ABC", data, &held) == -EINVAL, "bad tag");
	CHECK(registry_hold(reg, "abcde", "/no/such/dir", &held) == -EINVAL,
	      "a data directory that is not there");
	CHECK(registry_hold(reg, "abcde", data, &held) == 0, "hold");
	CHECK(registry_lock(reg, "abcde", &e, &fd) == -EBUSY &&
		  e.pid == (long)getpid() && strcmp(e.data_dir, data) == 0,
	      "held: busy, and says by whom (%ld %s)", e.pid, e.data_dir);
	CHECK(registry_hold(reg, "abcde", data, &fd) == -EBUSY,
	      "a second holder");
	CHECK(registry_hold(reg, "fghij", data, &fd) == 0, "another tag");
	close(fd);
	CHECK(registry_tags(reg, &tags, &n) == 0 && n == 2 &&
		  strcmp(tags[0], "abcde") == 0 &&
		  strcmp(tags[1], "fghij") == 0,
	      "tags, sorted: %zu", n);
	free(tags);
	close(held); /* the ec2d ended */
	CHECK(registry_lock(reg, "abcde", &e, &fd) == 0 &&
		  strcmp(e.tag, "abcde") == 0 &&
		  strcmp(e.data_dir, data) == 0 &&
		  e.dev == (unsigned long long)st.st_dev &&
		  e.ino == (unsigned long long)st.st_ino,
	      "released: locked and read back");
	CHECK(registry_hold(reg, "abcde", data, &held) == -EBUSY,
	      "no serve while down or gc holds it");
	registry_drop(reg, "abcde", fd);
	CHECK(registry_lock(reg, "abcde", &e, &fd) == -ENOENT, "dropped");
	CHECK(registry_lock(reg, "fghij", &e, &fd) == 0, "the other stays");
	registry_drop(reg, "fghij", fd);
	rmdir(data);
	rm_dir(reg);
	rmdir(dir);
	return UNIT_DONE();
}

/*
 * registry.c - the machine's deployment registry. See registry.h.
 *
 * Called by host_net.c (hold, at network open) and teardown.c (lock,
 * drop, list). Entries are tiny text files, "key=value" lines, written
 * in place under the lock.
 */
#include "agent/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/net/net_file.h"
#include "agent/net/net_name.h"
#include "common/params.h"

#define HOLD_WAIT_MS  2000
#define HOLD_RETRY_MS 50

static int
entry_path(const char *dir, const char *tag, char *out, size_t size)
{
	if (!net_tag_valid(tag))
		return -EINVAL;
	return snprintf(out, size, "%s/%s", dir, tag) >= (int)size
		   ? -ENAMETOOLONG
		   : 0;
}

/*
 * Open and lock path; a file removed by the lock's previous holder is
 * opened again, so a lock is never held on an unlinked entry.
 */
static int
open_locked(const char *path, bool create, int *ret_fd)
{
	for (int tries = 0; tries < 8; tries++) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0),
			      0644);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int rc = errno == EWOULDBLOCK ? -EBUSY : -errno;

			close(fd);
			return rc;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			*ret_fd = fd;
			return 0;
		}
		close(fd);
		if (!create)
			return -ENOENT;
	}
	return -EAGAIN;
}

int
registry_hold(const char *dir, const char *tag, const char *data_dir,
	      int *ret_fd)
{
	char path[REGISTRY_PATH_MAX + 16], text[REGISTRY_PATH_MAX + 128];
	struct stat st;
	int fd = -1, rc, n;

	rc = entry_path(dir, tag, path, sizeof(path));
	if (rc == 0 && (strchr(data_dir, '\n') || stat(data_dir, &st) < 0))
		rc = -EINVAL;
	if (rc == 0)
		rc = net_file_mkdir_p(dir, 0755);
	/* gc holds an entry for a moment to look at it: wait that out,
	 * bounded; a removal under way takes longer and wins. */
	for (int tries = 0; rc == 0 || rc == -EBUSY; tries++) {
		struct timespec pause = {0, HOLD_RETRY_MS * 1000000L};

		rc = open_locked(path, true, &fd);
		if (rc != -EBUSY || tries * HOLD_RETRY_MS >= HOLD_WAIT_MS)
			break;
		nanosleep(&pause, NULL);
	}
	if (rc < 0)
		return rc;
	n = snprintf(text, sizeof(text),
		     "data_dir=%s\ndev=%llu\nino=%llu\npid=%ld\n", data_dir,
		     (unsigned long long)st.st_dev,
		     (unsigned long long)st.st_ino, (long)getpid());
	if (n >= (int)sizeof(text) || ftruncate(fd, 0) < 0 ||
	    pwrite(fd, text, (size_t)n, 0) != n) {
		close(fd);
		return n >= (int)sizeof(text) ? -ENAMETOOLONG : -EIO;
	}
	*ret_fd = fd;
	return 0;
}

static void
parse_line(struct registry_entry *e, char *line)
{
	char *eq = strchr(line, '=');
	long long v = 0;

	if (!eq)
		return;
	*eq++ = '\0';
	if (strcmp(line, "data_dir") == 0)
		snprintf(e->data_dir, sizeof(e->data_dir), "%s", eq);
	else if (parse_ll(eq, 0, INT64_MAX, &v) < 0)
		return;
	else if (strcmp(line, "dev") == 0)
		e->dev = (unsigned long long)v;
	else if (strcmp(line, "ino") == 0)
		e->ino = (unsigned long long)v;
	else if (strcmp(line, "pid") == 0)
		e->pid = (long)v;
}

static void
read_entry(int fd, const char *tag, struct registry_entry *e)
{
	char text[REGISTRY_PATH_MAX + 128], *save = NULL;
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	memset(e, 0, sizeof(*e));
	snprintf(e->tag, sizeof(e->tag), "%s", tag);
	text[n > 0 ? n : 0] = '\0';
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		parse_line(e, l);
}

int
registry_lock(const char *dir, const char *tag, struct registry_entry *e,
	      int *ret_fd)
{
	char path[REGISTRY_PATH_MAX + 16];
	int fd, rc = entry_path(dir, tag, path, sizeof(path));

	if (rc == 0)
		rc = open_locked(path, false, ret_fd);
	if (rc == -EBUSY) {
		/* Read it without the lock: only to say who holds it. */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			read_entry(fd, tag, e);
			close(fd);
		}
	} else if (rc == 0) {
		read_entry(*ret_fd, tag, e);
	}
	return rc;
}

void
registry_drop(const char *dir, const char *tag, int fd)
{
	char path[REGISTRY_PATH_MAX + 16];

	if (entry_path(dir, tag, path, sizeof(path)) == 0)
		unlink(path);
	if (fd >= 0)
		close(fd);
}

static int
cmp_tag(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
registry_tags(const char *dir, char (**ret)[8], size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char(*v)[8] = NULL;
	size_t n = 0, cap = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!net_tag_valid(de->d_name))
			continue;
		if (n == cap) {
			char(*nv)[8] =
			    realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		snprintf(v[n++], sizeof(v[0]), "%.6s", de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_tag);
	*ret = v;
	*ret_n = n;
	return 0;
}

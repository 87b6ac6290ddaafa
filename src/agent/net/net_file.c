/*
 * net_file.c - the network layer's files under RUN. See net_file.h.
 */
#include "agent/net/net_file.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"

#define FILE_MAX (64u << 10)

int
net_file_mkdir_p(const char *path, mode_t mode)
{
	char tmp[NET_FILE_PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) == 0)
		/* Not the umask's choice: dnsmasq, as nobody, reads below. */
		return chmod(tmp, mode) < 0 ? -errno : 0;
	return errno == EEXIST ? 0 : -errno;
}

/* The whole file into b (bounded); -errno when it cannot be read. */
static int
read_all(const char *path, struct buf *b)
{
	char chunk[4096];
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(b, chunk, (size_t)got);
	close(fd);
	return got < 0 ? -EIO : buf_failed(b) ? -EFBIG : 0;
}

/*
 * Replace path with text by renaming a dot-file from the same folder
 * (dnsmasq's directory watch skips dot-files). 2 when the file is new, 1
 * when it changed, 0 when it already held text, -errno.
 */
int
net_file_replace(const char *path, const char *text)
{
	char tmp[NET_FILE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct buf old;
	size_t len = strlen(text), done = 0;
	int fd, rc, changed;

	buf_init(&old, FILE_MAX);
	rc = read_all(path, &old);
	if (rc == 0 && old.len == len && memcmp(buf_cstr(&old), text, len) == 0)
		changed = 0;
	else
		changed = rc == -ENOENT ? 2 : 1;
	buf_free(&old);
	if (changed == 0)
		return 0;
	if (!slash ||
	    snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp", (int)(slash - path),
		     path, slash + 1) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0644); /* readable by dnsmasq (nobody), whatever umask */
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno != EINTR) {
			rc = -errno;
			close(fd);
			unlink(tmp);
			return rc;
		}
		done += w > 0 ? (size_t)w : 0;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return changed;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int
net_file_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno
								      : 0;
}

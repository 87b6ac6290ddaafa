/*
 * instdir.c - the files of one instance. See instdir.h for the layout.
 *
 * Small file operations the host code runs while it owns an instance
 * (never under the host's lock): disks, pid and state files, console
 * reads. The only child process is qemu-img, run through spawn_run().
 */
#include "agent/instdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/spawn.h"

#define QEMU_IMG_TIMEOUT_MS 60000
#define QEMU_IMG_OUTPUT_MAX 4096 /* its last line is the reason */
#define SMALL_FILE_MAX	    256
#define SCAN_PER_CALL	    (1 << 20) /* bytes read per call, at most */
#define TRIM_CHUNK	    65536

bool
instdir_id_valid(const char *id)
{
	size_t n;

	if (!id || strncmp(id, "i-", 2) != 0)
		return false;
	n = strlen(id + 2);
	if (n != 8 && n != 17)
		return false;
	for (size_t i = 2; i < n + 2; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

int
instdir_file(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool
instdir_exists(const char *dir, const char *name)
{
	char p[INSTDIR_PATH_MAX];

	return instdir_file(p, sizeof(p), dir, name) == 0 &&
	       access(p, F_OK) == 0;
}

int
instdir_make(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Also a folder an earlier ec2d gave to QEMU's user: back to root. */
	if (chown(dir, 0, 0) < 0 || chmod(dir, 0700) < 0)
		return -errno;
	return 0;
}

/* The last non-empty line of text, in place; control bytes become '?'. */
static void
last_line(const char *text, char *out, size_t size)
{
	size_t end = strlen(text), start, n;

	while (end && (text[end - 1] == '\n' || text[end - 1] == '\r' ||
		       text[end - 1] == ' '))
		end--;
	start = end;
	while (start && text[start - 1] != '\n')
		start--;
	n = end - start < size - 1 ? end - start : size - 1;
	for (size_t i = 0; i < n; i++) {
		char c = text[start + i];

		out[i] = (c < 0x20 || c > 0x7e) ? '?' : c;
	}
	out[n] = '\0';
}

int
instdir_create_root(const char *dir, const char *qemu_img, const char *base,
		    unsigned gib, char *reason, size_t reason_size)
{
	char root[INSTDIR_PATH_MAX], tmp[INSTDIR_PATH_MAX], size[32];
	char real_base[PATH_MAX];
	char *argv[12];
	struct spawn_opts o;
	struct spawn_result r;
	struct buf out;
	int rc, n = 0;

	reason[0] = '\0';
	if (instdir_file(root, sizeof(root), dir, INSTDIR_ROOT) ||
	    instdir_file(tmp, sizeof(tmp), dir, INSTDIR_ROOT ".tmp"))
		return -ENAMETOOLONG;
	if (access(root, F_OK) == 0)
		return 0;
	/* qemu-img reads a relative backing path from the overlay's folder. */
	if (!realpath(base, real_base)) {
		rc = -errno;
		snprintf(reason, reason_size, "image disk %.200s: %s", base,
			 strerror(-rc));
		return rc;
	}
	snprintf(size, sizeof(size), "%uG", gib);
	argv[n++] = (char *)qemu_img;
	argv[n++] = "create";
	argv[n++] = "-q";
	argv[n++] = "-f";
	argv[n++] = "qcow2";
	argv[n++] = "-F";
	argv[n++] = "qcow2";
	argv[n++] = "-b";
	argv[n++] = real_base;
	argv[n++] = tmp;
	if (gib)
		argv[n++] = size;
	argv[n] = NULL;
	unlink(tmp);
	buf_init(&out, QEMU_IMG_OUTPUT_MAX);
	spawn_opts_init(&o, argv);
	o.out = o.err = &out;
	o.timeout_ms = QEMU_IMG_TIMEOUT_MS;
	rc = spawn_run(&o, &r);
	if (rc == 0 && spawn_exit_code(r.status) != 0) {
		char how[64], line[160];

		spawn_describe_status(r.status, how, sizeof(how));
		last_line(buf_cstr(&out), line, sizeof(line));
		snprintf(reason, reason_size, "qemu-img %s: %s", how, line);
		rc = -EIO;
	} else if (rc) {
		snprintf(reason, reason_size, "qemu-img: %s", strerror(-rc));
	}
	buf_free(&out);
	if (rc == 0 && chmod(tmp, 0640) < 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, root) < 0)
		rc = -errno;
	if (rc) {
		if (!reason[0])
			snprintf(reason, reason_size, "root disk: %s",
				 strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

static int
store_name(char *out, size_t size, unsigned i)
{
	int n = snprintf(out, size, "store%u.img", i);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* store<N>.img, N decimal: the files instdir_reset_store makes. */
static bool
is_store_name(const char *name)
{
	const char *p = name + 5;

	if (strncmp(name, "store", 5) != 0 || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, ".img") == 0;
}

void
instdir_remove_store(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (is_store_name(de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int
instdir_reset_store(const char *dir, unsigned n, unsigned gb)
{
	char name[32], path[INSTDIR_PATH_MAX];

	instdir_remove_store(dir);
	for (unsigned i = 0; i < n; i++) {
		int fd, rc = 0;

		if (store_name(name, sizeof(name), i) ||
		    instdir_file(path, sizeof(path), dir, name))
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)gb * 1000000000) < 0)
			rc = -errno;
		close(fd);
		if (rc)
			return rc;
	}
	return 0;
}

void
instdir_remove_runtime(const char *dir)
{
	char p[INSTDIR_PATH_MAX];

	if (instdir_file(p, sizeof(p), dir, INSTDIR_PIDFILE) == 0)
		unlink(p);
	if (instdir_file(p, sizeof(p), dir, INSTDIR_QMP) == 0)
		unlink(p);
}

int
instdir_remove(const char *dir, bool keep_root)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[INSTDIR_PATH_MAX];
	int fd;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (keep_root && strcmp(de->d_name, INSTDIR_ROOT) == 0)
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	if (!keep_root)
		return rmdir(dir) < 0 ? -errno : 0;
	if (instdir_file(p, sizeof(p), dir, INSTDIR_TERMINATED))
		return -ENAMETOOLONG;
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Replace dir/name with text, through a temporary file and rename. */
static int
write_small(const char *dir, const char *name, const char *text)
{
	char p[INSTDIR_PATH_MAX], tmp[INSTDIR_PATH_MAX];
	size_t len = strlen(text);
	int fd, rc = 0;

	if (instdir_file(p, sizeof(p), dir, name) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", p) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, p) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int
read_small(const char *dir, const char *name, char *out, size_t size)
{
	char p[INSTDIR_PATH_MAX];
	ssize_t n;
	int fd;

	if (instdir_file(p, sizeof(p), dir, name))
		return -ENAMETOOLONG;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	out[n] = '\0';
	return 0;
}

/* A decimal number at s, up to max; the end in *end. */
static int
parse_number(const char *s, long long max, long long *ret, const char **end)
{
	long long v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = v;
	*end = s;
	return 0;
}

int
instdir_write_pid(const char *dir, pid_t pid, unsigned long long start)
{
	char text[64];

	snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start);
	return write_small(dir, INSTDIR_PIDFILE, text);
}

int
instdir_read_pid(const char *dir, pid_t *ret, unsigned long long *ret_start)
{
	char text[SMALL_FILE_MAX];
	const char *end;
	long long v, start = 0;
	int rc = read_small(dir, INSTDIR_PIDFILE, text, sizeof(text));

	if (rc)
		return rc;
	if (parse_number(text, INT_MAX, &v, &end) || v <= 1)
		return -EINVAL;
	/* "PID START": an older agent wrote the pid alone (start 0). */
	if (*end == ' ' &&
	    parse_number(end + 1, LLONG_MAX / 10, &start, &end) < 0)
		return -EINVAL;
	if (*end != '\n' && *end != '\0')
		return -EINVAL;
	*ret = (pid_t)v;
	*ret_start = (unsigned long long)start;
	return 0;
}

int
instdir_write_state(const char *dir, unsigned boot, long long console)
{
	char text[64];

	snprintf(text, sizeof(text), "boot=%u console=%lld\n", boot, console);
	return write_small(dir, INSTDIR_STATE, text);
}

int
instdir_read_state(const char *dir, unsigned *ret_boot, long long *ret_console)
{
	char text[SMALL_FILE_MAX];
	const char *p;
	long long boot, console;
	int rc = read_small(dir, INSTDIR_STATE, text, sizeof(text));

	if (rc)
		return rc;
	if (strncmp(text, "boot=", 5) != 0 ||
	    parse_number(text + 5, UINT_MAX, &boot, &p) ||
	    strncmp(p, " console=", 9) != 0 ||
	    parse_number(p + 9, LLONG_MAX / 10, &console, &p))
		return -EINVAL;
	*ret_boot = (unsigned)boot;
	*ret_console = console;
	return 0;
}

static int
open_console(const char *dir, int flags)
{
	char p[INSTDIR_PATH_MAX];

	if (instdir_file(p, sizeof(p), dir, INSTDIR_CONSOLE))
		return -ENAMETOOLONG;
	return open(p, flags | O_CLOEXEC);
}

long long
instdir_console_size(const char *dir)
{
	struct stat st;
	int fd = open_console(dir, O_RDONLY);
	long long size = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0)
		size = (long long)st.st_size;
	close(fd);
	return size;
}

int
instdir_console_trim(const char *dir, long long max, long long keep)
{
	char p[INSTDIR_PATH_MAX], tmp[INSTDIR_PATH_MAX];
	char chunk[TRIM_CHUNK];
	struct stat st;
	int in = -1, out = -1, rc = 0;
	off_t pos;

	in = open_console(dir, O_RDONLY);
	if (in < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(in, &st) < 0 || st.st_size <= max)
		goto out;
	if (instdir_file(p, sizeof(p), dir, INSTDIR_CONSOLE) ||
	    instdir_file(tmp, sizeof(tmp), dir, INSTDIR_CONSOLE ".tmp")) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0) {
		rc = -errno;
		goto out;
	}
	if (fchown(out, st.st_uid, st.st_gid) < 0) {
		rc = -errno;
		goto out;
	}
	for (pos = st.st_size - keep; pos < st.st_size;) {
		ssize_t n = pread(in, chunk, sizeof(chunk), pos);

		if (n <= 0 || write(out, chunk, (size_t)n) != n) {
			rc = -EIO;
			goto out;
		}
		pos += n;
	}
	if (rename(tmp, p) < 0)
		rc = -errno;
out:
	if (out >= 0) {
		close(out);
		if (rc)
			unlink(tmp);
	}
	close(in);
	return rc;
}

int
instdir_console_tail(const char *dir, char *buf, size_t size, size_t *ret_len)
{
	struct stat st;
	size_t len = 0;
	off_t start;
	int fd = open_console(dir, O_RDONLY);

	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret_len = 0;
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -EIO;
	}
	start = st.st_size > (off_t)size ? st.st_size - (off_t)size : 0;
	while (len < size) {
		ssize_t n =
		    pread(fd, buf + len, size - len, start + (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*ret_len = len;
	return 0;
}

void
instdir_scan_start(struct instdir_scan *s, long long pos)
{
	memset(s, 0, sizeof(*s));
	s->pos = pos;
}

int
instdir_console_find(const char *dir, struct instdir_scan *s,
		     const char *marker)
{
	const size_t mlen = strlen(marker);
	char chunk[4096 + sizeof(s->tail)];
	struct stat st;
	long long budget = SCAN_PER_CALL;
	int fd = open_console(dir, O_RDONLY), found = 0;

	if (fd < 0 || mlen == 0 || mlen >= sizeof(s->tail))
		goto out;
	/* Shorter than where we were: someone cut it; read it again. */
	if (fstat(fd, &st) == 0 && (long long)st.st_size < s->pos)
		instdir_scan_start(s, 0);
	while (budget > 0 && !found) {
		ssize_t n = pread(fd, chunk + s->tail_len, 4096, (off_t)s->pos);
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		memcpy(chunk, s->tail, s->tail_len);
		len = s->tail_len + (size_t)n;
		s->pos += n;
		budget -= n;
		found = memmem(chunk, len, marker, mlen) != NULL;
		s->tail_len = len < mlen - 1 ? len : mlen - 1;
		memcpy(s->tail, chunk + len - s->tail_len, s->tail_len);
	}
out:
	if (fd >= 0)
		close(fd);
	return found;
}

void
instdir_last_line(const char *dir, const char *name, char *out, size_t size)
{
	char p[INSTDIR_PATH_MAX], text[2048];
	struct stat st;
	ssize_t n;
	off_t start;
	int fd;

	out[0] = '\0';
	if (instdir_file(p, sizeof(p), dir, name))
		return;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	start = 0;
	if (fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(text) - 1)
		start = st.st_size - (off_t)sizeof(text) + 1;
	n = pread(fd, text, sizeof(text) - 1, start);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	/* A NUL inside would end the text early: harmless. */
	last_line(text, out, size);
}

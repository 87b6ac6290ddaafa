/*
 * perm.c - can QEMU's user reach a file? See perm.h.
 */
#include "agent/perm.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Does the mode grant `want` (R_OK|W_OK|X_OK) to uid/gid? */
static bool
mode_grants(const struct stat *st, uid_t uid, gid_t gid, int want)
{
	unsigned shift = st->st_uid == uid ? 6 : st->st_gid == gid ? 3 : 0;
	unsigned bits = (st->st_mode >> shift) & 7;

	return (bits & (unsigned)want) == (unsigned)want;
}

int
perm_user_can(const char *path, uid_t uid, gid_t gid, int want, char *why,
	      size_t why_size)
{
	char p[PATH_MAX];
	struct stat st;
	size_t len;

	if (uid == 0)
		return 0;
	if (!path || path[0] != '/' || (len = strlen(path)) >= sizeof(p)) {
		snprintf(why, why_size, "%s: not an absolute path",
			 path ? path : "(null)");
		return -EINVAL;
	}
	memcpy(p, path, len + 1);
	/* Each folder on the way, "/a", "/a/b", ... must be searchable. */
	for (size_t i = 1; i < len; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (stat(p, &st) < 0) {
			snprintf(why, why_size, "%s: %s", p, strerror(errno));
			return -errno;
		}
		if (!mode_grants(&st, uid, gid, X_OK)) {
			snprintf(why, why_size,
				 "folder %s (mode %03o) cannot be searched by "
				 "uid %u",
				 p, (unsigned)(st.st_mode & 0777),
				 (unsigned)uid);
			return -EACCES;
		}
		p[i] = '/';
	}
	if (stat(path, &st) < 0) {
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!mode_grants(&st, uid, gid, want)) {
		snprintf(why, why_size, "%s (mode %03o) cannot be %s by uid %u",
			 path, (unsigned)(st.st_mode & 0777),
			 want & W_OK   ? "written"
			 : want & R_OK ? "read"
				       : "searched",
			 (unsigned)uid);
		return -EACCES;
	}
	return 0;
}

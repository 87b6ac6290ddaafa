/*
 * lockfile.c - process-owned exclusive locks. See lockfile.h.
 */
#include "common/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
lockfile_try(int fd)
{
	struct flock l = {
	    .l_type = F_WRLCK,
	    .l_whence = SEEK_SET,
	    .l_start = 0,
	    .l_len = 0, /* to the end, however long it grows */
	};

	if (fcntl(fd, F_SETLK, &l) == 0)
		return 0;
	return errno == EACCES || errno == EAGAIN ? -EBUSY : -errno;
}

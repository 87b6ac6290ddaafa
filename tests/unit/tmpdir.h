/*
 * tmpdir.h - remove a test's temporary folder of plain files (a store's
 * database, its WAL and shared-memory files): one level, no recursion.
 */
#ifndef EC2D_TESTS_TMPDIR_H
#define EC2D_TESTS_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

static void
rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

#endif

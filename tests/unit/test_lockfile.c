/*
 * test_lockfile.c - common/lockfile.h: another process is refused the
 * lock, and a child left behind by a killed holder (as a QEMU held before
 * exec is when ec2d dies) does not keep it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/lockfile.h"
#include "unit.h"

/* In a child: can this path's lock be taken? The exit status says. */
static int
try_in_child(const char *path)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		_exit(fd < 0 ? 3 : lockfile_try(fd) == 0 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-lockfile-XXXXXX", path[64];
	int fd, ready[2], hold[2], status;
	pid_t holder;
	char c;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && lockfile_try(fd) == 0, "locked");
	CHECK(try_in_child(path) == 1, "another process is refused");
	close(fd);
	CHECK(try_in_child(path) == 0, "free once its holder closed it");

	/* A holder forks a child that keeps the fd (it has not exec'd),
	 * then is killed; the child lives on. */
	CHECK(pipe(ready) == 0 && pipe(hold) == 0, "pipes");
	holder = fork();
	if (holder == 0) {
		int lfd = open(path, O_RDWR | O_CLOEXEC);

		if (lfd < 0 || lockfile_try(lfd) < 0)
			_exit(1);
		if (fork() == 0) {
			close(hold[1]);
			close(ready[0]);
			(void)!write(ready[1], "x", 1);
			(void)!read(hold[0], &c, 1); /* until the test ends */
			_exit(0);
		}
		pause();
		_exit(0);
	}
	close(hold[0]);
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1, "the holder's child runs");
	kill(holder, SIGKILL);
	CHECK(waitpid(holder, &status, 0) == holder && WIFSIGNALED(status),
	      "holder killed");
	CHECK(try_in_child(path) == 0,
	      "free while the killed holder's child still has the fd");
	close(hold[1]); /* the orphan reads EOF and exits */
	close(ready[0]);
	unlink(path);
	rmdir(dir);
	return UNIT_DONE();
}

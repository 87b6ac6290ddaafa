/*
 * test_fault.c - fault injection (src/common/fault.c): the table (unique
 * names, known operations), and EC2D_FAULT as a process sees it, each
 * case in a forked child since it is read once: refused names and
 * counts, no effect unset or elsewhere, SIGKILL at the first hit or at
 * the Nth.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fault.h"
#include "unit.h"

#define POINT "launch.after-exec"

static void
test_table(void)
{
	static const char *const ops[] = {"run", "start", "stop", "forcestop",
					  "terminate"};
	size_t n;
	const struct fault_def *t = fault_table(&n);

	CHECK(n >= 20, "%zu points", n);
	for (size_t i = 0; i < n; i++) {
		char list[64], *tok, *save = NULL;

		CHECK(t[i].name && strchr(t[i].name, '.') &&
			  !strchr(t[i].name, ' ') && !strchr(t[i].name, ':'),
		      "point %zu has a dotted name without blanks", i);
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(t[i].name, t[k].name) != 0, "%s twice",
			      t[i].name);
		snprintf(list, sizeof(list), "%s", t[i].ops);
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			bool known = false;

			for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]);
			     k++)
				known |= strcmp(tok, ops[k]) == 0;
			CHECK(known, "%s: operation %s", t[i].name, tok);
		}
		CHECK(t[i].what && t[i].what[0], "%s: what", t[i].name);
	}
}

/*
 * A child with EC2D_FAULT=value (NULL: unset) that calls fault_init,
 * then reaches `point` `hits` times and exits 0. Its wait status; an
 * init that refuses exits 2.
 */
static int
child(const char *value, const char *point, int hits)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		if (value)
			setenv("EC2D_FAULT", value, 1);
		else
			unsetenv("EC2D_FAULT");
		if (fault_init(NULL) < 0)
			_exit(2);
		for (int i = 0; i < hits; i++)
			fault_point(point);
		_exit(fault_armed() ? 0 : 3);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	return status;
}

static bool
exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static bool
killed(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static void
test_env(void)
{
	CHECK(exited(child(NULL, POINT, 5), 3), "unset: nothing armed");
	CHECK(exited(child("", POINT, 5), 3), "empty: nothing armed");
	CHECK(exited(child("launch.nope", POINT, 1), 2), "unknown refused");
	CHECK(exited(child(POINT ":0", POINT, 1), 2), "count 0 refused");
	CHECK(exited(child(POINT ":x", POINT, 1), 2), "bad count refused");
	CHECK(exited(child(POINT ":", POINT, 1), 2), "empty count refused");
	CHECK(exited(child(POINT, "launch.after-pid", 5), 0),
	      "another point: no effect");
	CHECK(exited(child(POINT, POINT, 0), 0), "armed, not reached");
	CHECK(killed(child(POINT, POINT, 1)), "first hit: SIGKILL");
	CHECK(killed(child(POINT ":1", POINT, 1)), ":1 is the first hit");
	CHECK(exited(child(POINT ":3", POINT, 2), 0), ":3, two hits: alive");
	CHECK(killed(child(POINT ":3", POINT, 3)), ":3, third hit: SIGKILL");
}

int
main(void)
{
	test_table();
	test_env();
	return UNIT_DONE();
}

/*
 * fault.h - fault injection: a crash at a named step, for the crash tests.
 *
 * fault_point("launch.after-exec") is a no-op unless the environment
 * variable EC2D_FAULT names that point when ec2d starts: then the Nth time
 * the point is reached (EC2D_FAULT=NAME or NAME:N, N from 1, default 1),
 * the whole process is killed with SIGKILL, as a `kill -9` would: no
 * atexit, no cleanup, no flush. Hits are counted across threads (the API
 * handlers and the reconciler reach different points).
 *
 * Every point is in one table (fault.c), with the operations that reach
 * it; `ec2d faults` prints it and tests/api/test_crash_steps.py crashes
 * at each in turn, so a point added to the table is tested by itself.
 * A name outside the table never fires; fault_init() refuses one.
 */
#ifndef EC2D_COMMON_FAULT_H
#define EC2D_COMMON_FAULT_H

#include <stddef.h>
#include <stdio.h>

struct fault_def {
	const char *name; /* "launch.after-exec" */
	const char *ops;  /* operations that reach it: "run,start" */
	const char *what; /* the state a crash there leaves */
};

/* The table: n entries. */
const struct fault_def *fault_table(size_t *n);

/*
 * Read EC2D_FAULT (once; later calls return the first answer). 0, or -1
 * with a message on err when it names no point of the table or has a bad
 * count.
 */
int fault_init(FILE *err);

/* Is a point armed at all (the cheap test before building a name)? */
int fault_armed(void);

/* The step `name` is reached: SIGKILL ourselves when it is armed. */
void fault_point(const char *name);

/* Print the table: "NAME OPS WHAT" lines (`ec2d faults`). */
void fault_print(FILE *out);

#endif

/*
 * fault.c - fault injection at named steps. See fault.h.
 *
 * EC2D_FAULT is parsed once (pthread_once); the hit counter is atomic, so
 * the Nth hit is exactly one thread's. The kill is raise-free: kill(2) of
 * our own pid with SIGKILL takes every thread at once.
 */
#include "common/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keep in the order an operation reaches them. */
static const struct fault_def table[] = {
    /* The API handler's transaction (router.c): written, not committed;
     * committed, not answered (nor the reconciler woken). */
    {"api.RunInstances.before-commit", "run", "rows written, no commit"},
    {"api.RunInstances.after-commit", "run", "pending, not answered"},
    {"api.StartInstances.before-commit", "start", "no commit"},
    {"api.StartInstances.after-commit", "start", "pending, not answered"},
    {"api.StopInstances.before-commit", "stop", "no commit"},
    {"api.StopInstances.after-commit", "stop", "stopping, not answered"},
    {"api.TerminateInstances.before-commit", "terminate", "no commit"},
    {"api.TerminateInstances.after-commit", "terminate",
     "shutting-down, not answered"},
    /* The reconciler (control/instances.c). */
    {"control.after-plug", "run,start", "tap made, no QEMU asked for"},
    /* The launch (agent/launch.c). */
    {"launch.after-folder", "run,start", "instance folder, no disk"},
    {"launch.after-overlay", "run,start", "root overlay, no QEMU"},
    {"launch.after-cgroup", "run,start", "cgroup made, no process"},
    {"launch.before-pid", "run,start",
     "QEMU forked, held before exec, pid not on disk"},
    {"launch.after-pid", "run,start",
     "pid on disk, QEMU still held before exec"},
    {"launch.after-exec", "run,start", "QEMU runs the guest"},
    {"control.before-record-running", "run,start",
     "guest running, the store says pending"},
    /* A stop (agent/vm.c, agent/host.c). */
    {"vm.after-powerdown", "stop,terminate", "ACPI power-down sent"},
    {"vm.after-quit", "forcestop", "QMP quit sent"},
    {"host.after-reap", "stop,forcestop,terminate",
     "QEMU reaped, its cgroup and runtime files not yet removed"},
    {"host.after-remove-files", "terminate",
     "instance folder removed, cgroup not"},
    {"control.before-record-stopped", "stop,forcestop",
     "QEMU gone, the store says stopping"},
    {"control.before-record-terminated", "terminate",
     "QEMU and folder gone, the store says shutting-down"},
    {"control.after-unplug", "stop,forcestop,terminate",
     "tap removed, the port still counted as plugged"},
};

#define NPOINTS (sizeof(table) / sizeof(table[0]))

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *armed;	/* a table name, or NULL */
static unsigned long armed_nth; /* fire at this hit */
static atomic_ulong hits;	/* of the armed point */
static char bad[160];		/* why EC2D_FAULT was refused */

static void
parse(void)
{
	const char *v = getenv("EC2D_FAULT"), *colon;
	size_t len;
	char *end;

	if (!v || !v[0])
		return;
	colon = strchr(v, ':');
	len = colon ? (size_t)(colon - v) : strlen(v);
	armed_nth = 1;
	if (colon) {
		armed_nth = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || armed_nth == 0) {
			snprintf(bad, sizeof(bad),
				 "EC2D_FAULT=%.100s: bad count", v);
			return;
		}
	}
	for (size_t i = 0; i < NPOINTS; i++)
		if (strlen(table[i].name) == len &&
		    strncmp(table[i].name, v, len) == 0)
			armed = table[i].name;
	if (!armed)
		snprintf(bad, sizeof(bad),
			 "EC2D_FAULT=%.100s: no such point (ec2d faults)", v);
}

const struct fault_def *
fault_table(size_t *n)
{
	*n = NPOINTS;
	return table;
}

int
fault_init(FILE *err)
{
	pthread_once(&once, parse);
	if (bad[0]) {
		if (err)
			fprintf(err, "ec2d: %s\n", bad);
		return -1;
	}
	if (armed && err)
		fprintf(err, "ec2d: fault armed at %s (hit %lu)\n", armed,
			armed_nth);
	return 0;
}

int
fault_armed(void)
{
	pthread_once(&once, parse);
	return armed != NULL;
}

void
fault_point(const char *name)
{
	static const char msg[] = "ec2d: fault point reached: SIGKILL\n";

	if (!fault_armed() || strcmp(name, armed) != 0)
		return;
	if (atomic_fetch_add(&hits, 1) + 1 != armed_nth)
		return;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do: we die either way */
	}
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

void
fault_print(FILE *out)
{
	for (size_t i = 0; i < NPOINTS; i++)
		fprintf(out, "%s %s %s\n", table[i].name, table[i].ops,
			table[i].what);
}

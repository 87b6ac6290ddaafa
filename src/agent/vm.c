/*
 * vm.c - one instance's QEMU, driven through its pid and QMP. See vm.h.
 *
 * Each vm_step() does, without waiting for the guest: read QMP (events;
 * or connect, the greeting being awaited in the caller's poll()), notice
 * QEMU's exit (waitpid for our children, the pidfd for QEMUs adopted from
 * an earlier agent), then act toward the goal (power-down, quit, SIGKILL;
 * or system_reset for a new boot counter), ask query-status until the
 * vCPUs run, and scan the console for this boot's ready marker. QMP
 * commands take at most QMP_TIMEOUT_MS: a hung QEMU delays the caller by
 * that, not forever. Called by host.c.
 */
#include "agent/vm.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/compute/qmp.h"
#include "agent/spawn.h"
#include "common/fault.h"
#include "common/log.h"

#define QMP_TIMEOUT_MS	    2000
#define ADOPT_TIMEOUT_MS    1000
#define CONNECT_RETRY_MS    50
#define STATUS_RETRY_MS	    100
#define CONSOLE_POLL_MS	    100
#define POWERDOWN_REPEAT_MS 2000 /* a press before acpid ran is lost */
#define ALIVE_CHECK_MS	    500	 /* adopted QEMU without a pidfd */
#define RETRY_MS	    1000 /* a failed reset */
#define IO_RETRY_MS	    1000 /* paused on a disk error: room again? */

static long long
min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

void
vm_init(struct vm *vm, const char *id, const char *dir)
{
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->id, sizeof(vm->id), "%.31s", id);
	snprintf(vm->dir, sizeof(vm->dir), "%s", dir);
	vm->phase = VM_ENDED;
	vm->pidfd = vm->conn_fd = -1;
}

/* Forget the previous run's bookkeeping. */
static void
reset_run(struct vm *vm)
{
	vm->next_connect_ms = vm->next_status_ms = vm->next_scan_ms = 0;
	vm->next_reset_ms = 0;
	vm->ever_running = vm->guest_shutdown = false;
	vm->quit_sent = vm->killed = false;
	vm->stop_start_ms = vm->powerdown_ms = vm->quit_ms = 0;
	vm->ready = false;
	vm->end = VM_END_ASKED;
	vm->end_reason[0] = '\0';
	vm->io_paused = vm->io_check = false;
	vm->io_reason[0] = '\0';
	vm->next_io_ms = 0;
}

void
vm_start(struct vm *vm, pid_t pid, unsigned boot, long long console)
{
	reset_run(vm);
	vm->pid = pid;
	vm->pidfd = spawn_pidfd_open(pid);
	vm->boot = boot;
	vm->phase = VM_STARTING;
	instdir_scan_start(&vm->scan, console);
}

void
vm_adopt(struct vm *vm, pid_t pid, unsigned boot, long long console)
{
	char path[INSTDIR_PATH_MAX], status[32];
	int running = 0;

	vm_start(vm, pid, boot, console);
	vm->ready = instdir_console_find(vm->dir, &vm->scan, VM_READY_MARKER);
	if (instdir_file(path, sizeof(path), vm->dir, INSTDIR_QMP) == 0 &&
	    qmp_connect(path, ADOPT_TIMEOUT_MS, &vm->qmp) == 0 &&
	    qmp_query_status(vm->qmp, QMP_TIMEOUT_MS, status, sizeof(status),
			     &running, NULL) == 0 &&
	    (running || strcmp(status, "io-error") == 0)) {
		vm->phase = VM_RUNNING;
		vm->ever_running = true;
		vm->io_check = !running; /* check_io() takes it from here */
	}
	log_msg(LOG_INFO, "instance adopted", "instance=%s pid=%d qmp=%d",
		vm->id, (int)pid, vm->qmp != NULL);
}

int
vm_fds(const struct vm *vm, int fds[2])
{
	int n = 0;

	if (vm->pidfd >= 0)
		fds[n++] = vm->pidfd;
	if (vm->qmp)
		fds[n++] = qmp_fd(vm->qmp);
	else if (vm->conn_fd >= 0)
		fds[n++] = vm->conn_fd;
	return n;
}

static void
close_handles(struct vm *vm)
{
	qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (vm->conn_fd >= 0)
		close(vm->conn_fd);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	vm->conn_fd = vm->pidfd = -1;
}

void
vm_release(struct vm *vm)
{
	close_handles(vm);
	vm->pid = 0;
	vm->phase = VM_ENDED;
}

/* QEMU leads its own session: its group is QEMU and its helpers. */
static void
signal_qemu(const struct vm *vm, int sig)
{
	if (getpgid(vm->pid) == vm->pid)
		kill(-vm->pid, sig);
	else
		kill(vm->pid, sig);
}

void
vm_kill(struct vm *vm)
{
	if (vm->pid) {
		signal_qemu(vm, SIGKILL);
		/* Ours: reap it, bounded (ECHILD at once when it is not). */
		if (spawn_wait(vm->pid, SPAWN_REAP_MS, NULL) == -ETIMEDOUT)
			log_msg(LOG_WARN, "qemu survives SIGKILL",
				"instance=%s pid=%d", vm->id, (int)vm->pid);
	}
	vm_release(vm);
}

/* A new boot starts at the console's current end. */
static void
mark_boot(struct vm *vm, unsigned boot)
{
	long long console = instdir_console_size(vm->dir);

	instdir_scan_start(&vm->scan, console);
	instdir_write_state(vm->dir, boot, console);
	vm->boot = boot;
	vm->ready = false;
}

/* Paused or not, and why: logged once a pause, once a resume. */
static void
io_paused_set(struct vm *vm, bool paused)
{
	if (!paused) {
		if (vm->io_paused)
			log_msg(LOG_INFO, "instance resumed after a disk error",
				"instance=%s", vm->id);
		/* Also the reason of an error that did not pause it. */
		vm->io_paused = false;
		vm->io_reason[0] = '\0';
		return;
	}
	if (vm->io_paused)
		return;
	vm->io_paused = true;
	if (!vm->io_reason[0])
		snprintf(vm->io_reason, sizeof(vm->io_reason),
			 "QEMU paused the guest on a disk error");
	log_msg(LOG_WARN, "instance paused by a disk error",
		"instance=%s reason=\"%s\"", vm->id, vm->io_reason);
}

/* BLOCK_IO_ERROR: why, kept for the pause that follows (action "stop";
 * "report" and "ignore" leave the guest running, it sees the error). */
static void
io_error_event(struct vm *vm, json_t *data)
{
	const char *action = json_string_value(json_object_get(data, "action"));
	const char *node =
	    json_string_value(json_object_get(data, "node-name"));
	const char *op = json_string_value(json_object_get(data, "operation"));
	const char *why = json_string_value(json_object_get(data, "reason"));
	bool nospace = json_is_true(json_object_get(data, "nospace"));

	if (!action || strcmp(action, "stop") != 0 || vm->io_paused)
		return;
	snprintf(vm->io_reason, sizeof(vm->io_reason),
		 "disk %s: %s failed: %s%s", node ? node : "?", op ? op : "I/O",
		 why ? why : "I/O error",
		 nospace ? " (the host's disk is full)" : "");
}

static void
handle_event(struct vm *vm, const struct qmp_event *ev)
{
	bool guest = json_is_true(json_object_get(ev->data, "guest"));

	if (strcmp(ev->name, "BLOCK_IO_ERROR") == 0)
		io_error_event(vm, ev->data);
	/* Paused or resumed: query-status says whether by an error. */
	if (strcmp(ev->name, "BLOCK_IO_ERROR") == 0 ||
	    strcmp(ev->name, "STOP") == 0 || strcmp(ev->name, "RESUME") == 0)
		vm->io_check = true;

	if (strcmp(ev->name, "SHUTDOWN") == 0 && guest)
		vm->guest_shutdown = true;
	/* The guest rebooted itself: same boot counter, a new console. */
	if (strcmp(ev->name, "RESET") == 0 && guest)
		mark_boot(vm, vm->boot);
}

/* Connect without blocking; the handshake once the greeting is there. */
static void
qmp_try_connect(struct vm *vm, long long now)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd p;
	char path[INSTDIR_PATH_MAX];
	int fd, rc;

	if (vm->conn_fd < 0) {
		if (now < vm->next_connect_ms ||
		    instdir_file(path, sizeof(path), vm->dir, INSTDIR_QMP) ||
		    strlen(path) >= sizeof(sa.sun_path))
			return;
		vm->next_connect_ms = now + CONNECT_RETRY_MS;
		memcpy(sa.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0)
			return;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd); /* not listening yet: try again */
			return;
		}
		vm->conn_fd = fd;
	}
	/* QEMU greets once its main loop runs: the caller's poll() waits. */
	p = (struct pollfd){.fd = vm->conn_fd, .events = POLLIN};
	if (poll(&p, 1, 0) <= 0)
		return;
	rc = qmp_open_fd(vm->conn_fd, QMP_TIMEOUT_MS, &vm->qmp);
	vm->conn_fd = -1;
	if (rc) {
		vm->qmp = NULL;
		log_msg(LOG_DEBUG, "qmp handshake failed", "instance=%s rc=%d",
			vm->id, rc);
		return;
	}
	vm->next_status_ms = now;
	vm->io_check = true; /* events may have been missed meanwhile */
}

/* Read QMP: events, or connect when there is no connection yet. */
static void
qmp_service(struct vm *vm, long long now)
{
	struct qmp_event ev;
	int rc;

	if (!vm->qmp) {
		qmp_try_connect(vm, now);
		return;
	}
	rc = qmp_pump(vm->qmp);
	while (qmp_next_event(vm->qmp, &ev) == 0) {
		handle_event(vm, &ev);
		qmp_event_clear(&ev);
	}
	if (rc) {
		qmp_free(vm->qmp);
		vm->qmp = NULL;
		vm->next_connect_ms = now + CONNECT_RETRY_MS;
	}
}

/* Has QEMU gone? *ret_known: *ret_status is its wait status. */
static bool
qemu_exited(const struct vm *vm, int *ret_status, bool *ret_known)
{
	struct pollfd p = {.fd = vm->pidfd, .events = POLLIN};
	pid_t w = waitpid(vm->pid, ret_status, WNOHANG);

	*ret_known = false;
	if (w == vm->pid) {
		*ret_known = true;
		return true;
	}
	if (w == 0)
		return false; /* our child, alive */
	/* Not our child: adopted from an earlier agent. */
	if (vm->pidfd >= 0)
		return poll(&p, 1, 0) > 0;
	return kill(vm->pid, 0) < 0 && errno == ESRCH;
}

/* "qemu exited with status 1: <its last line>" */
static void
describe_exit(const struct vm *vm, int status, bool known, char *out,
	      size_t size)
{
	char how[64], line[160];

	if (known)
		spawn_describe_status(status, how, sizeof(how));
	else
		snprintf(how, sizeof(how), "ended");
	instdir_last_line(vm->dir, INSTDIR_QEMU_LOG, line, sizeof(line));
	snprintf(out, size, "qemu %s%s%s", how, line[0] ? ": " : "", line);
}

/* QEMU is gone: why, for the owner, and its runtime files with it. */
static void
qemu_ended(struct vm *vm, int status, bool known)
{
	bool clean_exit =
	    known && WIFEXITED(status) && WEXITSTATUS(status) == 0;

	vm->end_reason[0] = '\0';
	if (vm->phase == VM_STOPPING) {
		vm->end = VM_END_ASKED;
	} else if (vm->guest_shutdown || clean_exit) {
		vm->end = VM_END_HALTED;
		snprintf(vm->end_reason, sizeof(vm->end_reason),
			 "the guest powered itself off");
	} else {
		vm->end = vm->ever_running ? VM_END_DIED : VM_END_FAILED;
		describe_exit(vm, status, known, vm->end_reason,
			      sizeof(vm->end_reason));
	}
	log_msg(vm->end == VM_END_FAILED ? LOG_WARN : LOG_INFO,
		"instance ended", "instance=%s pid=%d end=%d reason=\"%s\"",
		vm->id, (int)vm->pid, (int)vm->end, vm->end_reason);
	close_handles(vm);
	instdir_remove_runtime(vm->dir);
	vm->pid = 0;
	vm->ready = false;
	vm->io_paused = false;
	vm->io_reason[0] = '\0';
	vm->phase = VM_ENDED;
}

/* Quit through QMP, else SIGTERM (QEMU quits cleanly on it too). */
static void
send_quit(struct vm *vm)
{
	if (vm->qmp && qmp_quit(vm->qmp, QMP_TIMEOUT_MS, NULL) == 0)
		return;
	signal_qemu(vm, SIGTERM);
}

/* ACPI power-down, repeated; quit at the timeout (or at once when
 * forced); SIGKILL when quitting does not end it. Returns the next due. */
static long long
drive_stop(struct vm *vm, const struct vm_goal *g, long long now)
{
	long long timeout = g->stop_timeout_ms;
	long long due;

	if (vm->killed)
		return now + RETRY_MS; /* its pidfd wakes us sooner */
	if (vm->quit_sent) {
		if (now - vm->quit_ms >= VM_QUIT_GRACE_MS) {
			log_msg(LOG_WARN, "instance killed", "instance=%s",
				vm->id);
			signal_qemu(vm, SIGKILL);
			vm->killed = true;
			return now + RETRY_MS;
		}
		return vm->quit_ms + VM_QUIT_GRACE_MS;
	}
	/* A guest paused on a disk error cannot hear the power button. */
	if (g->force || vm->io_paused || now - vm->stop_start_ms >= timeout) {
		send_quit(vm);
		fault_point("vm.after-quit");
		vm->quit_sent = true;
		vm->quit_ms = now;
		return now + VM_QUIT_GRACE_MS;
	}
	if (vm->qmp && (vm->powerdown_ms == 0 ||
			now - vm->powerdown_ms >= POWERDOWN_REPEAT_MS)) {
		qmp_system_powerdown(vm->qmp, QMP_TIMEOUT_MS, NULL);
		fault_point("vm.after-powerdown");
		vm->powerdown_ms = now;
	}
	due = vm->stop_start_ms + timeout;
	if (vm->qmp)
		due = min_ll(due, vm->powerdown_ms + POWERDOWN_REPEAT_MS);
	return due;
}

static long long
drive_reset(struct vm *vm, unsigned boot, long long now)
{
	if (now < vm->next_reset_ms)
		return vm->next_reset_ms;
	if (qmp_system_reset(vm->qmp, QMP_TIMEOUT_MS, NULL) < 0) {
		vm->next_reset_ms = now + RETRY_MS;
		return vm->next_reset_ms;
	}
	log_msg(LOG_INFO, "instance rebooted", "instance=%s boot=%u", vm->id,
		boot);
	mark_boot(vm, boot);
	return LLONG_MAX;
}

static long long
check_running(struct vm *vm, long long now)
{
	char status[32];
	int running = 0;

	if (vm->phase != VM_STARTING || !vm->qmp)
		return LLONG_MAX;
	if (now >= vm->next_status_ms) {
		if (qmp_query_status(vm->qmp, QMP_TIMEOUT_MS, status,
				     sizeof(status), &running, NULL) == 0 &&
		    running) {
			vm->phase = VM_RUNNING;
			vm->ever_running = true;
			return LLONG_MAX;
		}
		vm->next_status_ms = now + STATUS_RETRY_MS;
	}
	return vm->next_status_ms;
}

static long long
check_ready(struct vm *vm, long long now)
{
	if (vm->ready || vm->phase == VM_STOPPING)
		return LLONG_MAX;
	if (now >= vm->next_scan_ms) {
		vm->ready =
		    instdir_console_find(vm->dir, &vm->scan, VM_READY_MARKER);
		if (vm->ready)
			return LLONG_MAX;
		vm->next_scan_ms = now + CONSOLE_POLL_MS;
	}
	return vm->next_scan_ms;
}

/*
 * A running guest that QEMU paused on a disk error: learn it from
 * query-status after an event, and resume it (cont: QEMU retries the
 * failed writes) once the goal says there is room, looking every
 * IO_RETRY_MS meanwhile.
 */
static long long
check_io(struct vm *vm, const struct vm_goal *g, long long now)
{
	char status[32];

	if (vm->phase != VM_RUNNING || !vm->qmp)
		return LLONG_MAX;
	if (vm->io_check) {
		vm->io_check = false;
		if (qmp_query_status(vm->qmp, QMP_TIMEOUT_MS, status,
				     sizeof(status), NULL, NULL) == 0)
			io_paused_set(vm, strcmp(status, "io-error") == 0);
	}
	if (!vm->io_paused)
		return LLONG_MAX;
	if (now < vm->next_io_ms)
		return vm->next_io_ms;
	vm->next_io_ms = now + IO_RETRY_MS;
	if (g->space_ok &&
	    qmp_execute(vm->qmp, "cont", NULL, QMP_TIMEOUT_MS, NULL, NULL) == 0)
		vm->io_check = true; /* running now, or paused again */
	return vm->io_check ? now : vm->next_io_ms;
}

long long
vm_step(struct vm *vm, const struct vm_goal *g, long long now)
{
	long long due = LLONG_MAX;
	int status = 0;
	bool known;

	if (vm->phase == VM_ENDED)
		return LLONG_MAX;
	qmp_service(vm, now);
	if (qemu_exited(vm, &status, &known)) {
		/* What QEMU said before it went: its SHUTDOWN event. */
		if (vm->qmp)
			qmp_service(vm, now);
		qemu_ended(vm, status, known);
		return LLONG_MAX;
	}
	/* A stop, once begun, is seen through: a guest cannot un-shut. */
	if (g->stop && vm->phase != VM_STOPPING) {
		vm->phase = VM_STOPPING;
		vm->stop_start_ms = now;
	}
	if (vm->phase == VM_STOPPING)
		due = drive_stop(vm, g, now);
	else if (vm->phase == VM_RUNNING && vm->qmp && g->boot != vm->boot)
		due = drive_reset(vm, g->boot, now);
	due = min_ll(due, check_running(vm, now));
	due = min_ll(due, check_ready(vm, now));
	due = min_ll(due, check_io(vm, g, now));
	if (!vm->qmp && vm->conn_fd < 0)
		due = min_ll(due, vm->next_connect_ms);
	if (vm->pidfd < 0)
		due = min_ll(due, now + ALIVE_CHECK_MS);
	return due;
}

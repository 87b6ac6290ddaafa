/*
 * vm.h - one instance's QEMU process, from its start to its end.
 *
 * A struct vm holds what the agent has of a running QEMU: its pid (and a
 * pidfd), its QMP connection, the console scan for the guest's ready
 * marker and the steps of a stop in progress. vm_step() looks at all of
 * it without blocking on the guest (QMP commands are bounded by a short
 * timeout) and moves it toward a goal: keep running, reboot to a new boot
 * counter, or stop (ACPI power-down, then quit at the stop timeout, then
 * SIGKILL). It never restarts anything: once QEMU is gone the vm is
 * VM_ENDED and says why. A guest QEMU paused on a disk error (a full
 * disk: QEMU's default werror=enospc) is io_paused, logged once, and
 * resumed when the goal says the disk has room again.
 *
 * Not thread-safe: one thread at a time (host.c's busy owner). The files
 * it reads and writes are the instance folder's (instdir.h): qmp.sock,
 * qemu.pid, console.log, qemu.log, host.state.
 */
#ifndef EC2D_AGENT_VM_H
#define EC2D_AGENT_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include "agent/instdir.h"

struct qmp;

#define VM_READY_MARKER	 "ec2d-init: ready"
#define VM_QUIT_GRACE_MS 3000 /* after quit or SIGTERM: SIGKILL */

enum vm_phase {
	VM_ENDED,    /* no QEMU (never started, or gone: see end) */
	VM_STARTING, /* QEMU runs; QMP has not said "running" yet */
	VM_RUNNING,  /* query-status said running */
	VM_STOPPING, /* a stop is under way */
};

enum vm_end {
	VM_END_ASKED,  /* stopped as the goal asked */
	VM_END_HALTED, /* the guest powered itself off */
	VM_END_FAILED, /* QEMU ended before its vCPUs ever ran */
	VM_END_DIED,   /* QEMU ended unasked (crash, killed) */
};

struct vm_goal {
	bool stop;     /* power it off */
	bool force;    /* ... without the ACPI grace */
	unsigned boot; /* a value other than vm.boot: reset */
	unsigned stop_timeout_ms;
	/* For a guest paused on a disk error: the disk has room again, so
	 * resume it (QMP cont). */
	bool space_ok;
};

struct vm {
	/* What the owner reads after each vm_step(). */
	enum vm_phase phase;
	pid_t pid;	      /* 0 once ended */
	unsigned boot;	      /* the boot counter the guest runs */
	bool ready;	      /* this boot printed VM_READY_MARKER */
	enum vm_end end;      /* when VM_ENDED after a run */
	char end_reason[256]; /* "" for VM_END_ASKED */
	/* QEMU paused the guest on a disk error (BLOCK_IO_ERROR, action
	 * stop; query-status "io-error"); phase stays VM_RUNNING. */
	bool io_paused;
	char io_reason[160]; /* why, while io_paused */

	/* Private. */
	char id[32];
	char dir[INSTDIR_PATH_MAX];
	int pidfd;
	int conn_fd; /* QMP connected, greeting not yet read */
	struct qmp *qmp;
	long long next_connect_ms, next_status_ms, next_scan_ms;
	long long next_reset_ms;
	bool ever_running;
	bool guest_shutdown; /* QMP SHUTDOWN with guest: true */
	bool quit_sent, killed;
	bool io_check; /* ask query-status: paused on an error or not */
	long long next_io_ms;
	long long stop_start_ms, powerdown_ms, quit_ms;
	struct instdir_scan scan;
};

/* An ended vm for instance id with folder dir. */
void vm_init(struct vm *vm, const char *id, const char *dir);

/* QEMU was just started as pid for boot; its console from offset on. */
void vm_start(struct vm *vm, pid_t pid, unsigned boot, long long console);

/*
 * A QEMU left by an earlier agent (pid checked by the caller): connect to
 * its QMP (bounded) and take it as it runs, RUNNING when it says so.
 */
void vm_adopt(struct vm *vm, pid_t pid, unsigned boot, long long console);

/*
 * Look at the QEMU and act toward g. Returns when it wants to be looked at
 * again (CLOCK_MONOTONIC ms; LLONG_MAX: only when one of its fds, see
 * vm_fds, turns readable). Never blocks on the guest.
 */
long long vm_step(struct vm *vm, const struct vm_goal *g, long long now);

/* The fds to poll for readability (pidfd, QMP): returns how many (<= 2). */
int vm_fds(const struct vm *vm, int fds[2]);

/* Forget the QEMU without touching it: it runs on (agent shutdown). */
void vm_release(struct vm *vm);

/* SIGKILL the QEMU's process group, reap it if it is ours, release. */
void vm_kill(struct vm *vm);

#endif

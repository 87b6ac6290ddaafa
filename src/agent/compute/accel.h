/*
 * accel.h - choosing the accelerator QEMU runs guests with: KVM or TCG.
 *
 * The only trustworthy test of KVM is a guest that boots. Some machines
 * expose a /dev/kvm that cannot run a stock kernel (nested or paravirtual
 * KVM: QEMU aborts on an MSR with -cpu host, or the guest crawls and dies
 * with "KVM internal error"), so accel_probe() boots a tiny guest under KVM
 * with a deadline and answers TCG unless that guest printed the marker and
 * powered off cleanly. It runs once when the agent starts; the operator's
 * --accel kvm|tcg|auto is parsed by accel_parse() and only "auto" probes.
 *
 * The probe initrd contract: its /init writes a line containing
 * ACCEL_PROBE_MARKER to the console (ttyS0) and powers off at once
 * (busybox "poweroff -f"). Nothing else is needed from it.
 */
#ifndef EC2D_AGENT_COMPUTE_ACCEL_H
#define EC2D_AGENT_COMPUTE_ACCEL_H

/* enum accel_mode (auto, kvm, tcg) is host.h's: the choice crosses it. */
#include "agent/host.h"

#define ACCEL_PROBE_MARKER "EC2D-ACCEL-PROBE-OK"

/* A probe that takes longer than this is a broken KVM, not a slow one. */
#define ACCEL_PROBE_TIMEOUT_MS_DEFAULT 15000

/* "auto", "kvm" or "tcg" -> *ret; -EINVAL (and *ret untouched) otherwise. */
int accel_parse(const char *s, enum accel_mode *ret);

/* "auto", "kvm", "tcg" (a static string). */
const char *accel_name(enum accel_mode m);

struct accel_boot_result {
	int marker_seen;  /* the console showed ACCEL_PROBE_MARKER */
	int exited;	  /* QEMU exited by itself before the deadline */
	int exit_status;  /* its waitpid status when exited */
	int timed_out;	  /* killed at the deadline */
	int elapsed_ms;	  /* spawn to exit (or kill) */
	int marker_ms;	  /* spawn to marker, -1 when never seen */
	char detail[256]; /* first line of QEMU's stderr, or "" */
};

/*
 * accel_test_boot - boot kernel+initrd once under `mode` (KVM or TCG) on
 * `machine` ("q35" or "microvm"), wait at most timeout_ms, kill the QEMU
 * process group if it is still running then, and describe what happened.
 * tsc_khz > 0 adds tsc_early_khz= (needed by microvm under TCG).
 * Returns 0 when QEMU was started (whatever the guest did), -errno when it
 * could not be (missing file, no temporary directory, spawn failure).
 * Blocks the calling thread for up to timeout_ms plus a little. The
 * caller must not reap children behind its back (SIGCHLD ignored, or a
 * waitpid(-1) elsewhere): the probe would then report a timeout.
 */
int accel_test_boot(const char *qemu_binary, const char *kernel,
		    const char *initrd, enum accel_mode mode,
		    const char *machine, unsigned tsc_khz, int timeout_ms,
		    struct accel_boot_result *ret);

struct accel_probe_result {
	enum accel_mode accel; /* ACCEL_KVM or ACCEL_TCG */
	int elapsed_ms;
	char reason[320]; /* why, for the log and DescribeHosts */
};

/*
 * accel_probe - decide KVM or TCG by test-booting the probe initrd under
 * KVM (-cpu host). KVM only when the marker appeared and QEMU exited with
 * status 0 within timeout_ms; no /dev/kvm answers TCG without booting.
 * Returns 0 with *ret filled when a decision was made (TCG is a decision),
 * -errno when the probe could not run at all (the kernel, the initrd or
 * QEMU is missing: the host cannot run guests either way).
 */
int accel_probe(const char *qemu_binary, const char *kernel, const char *initrd,
		int timeout_ms, struct accel_probe_result *ret);

/*
 * accel_host_tsc_khz - the host's TSC frequency in kHz as the kernel's
 * "cpu MHz" in /proc/cpuinfo shows it, for tsc_early_khz=. 0 when unknown.
 */
unsigned accel_host_tsc_khz(void);

#endif

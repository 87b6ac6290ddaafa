/*
 * accel.c - the acceleration probe. See accel.h for the contract.
 *
 * Boots the probe guest once (argv from qemu_argv_build_probe) through
 * spawn_start() (its own session and process group), its console going to
 * a file in a private temporary directory and its stderr to another, and
 * watches both the child (spawn_wait, which wakes at once when QEMU exits)
 * and the console (polled every POLL_MS for the marker) against a
 * monotonic deadline. At the deadline the whole group is killed and reaped: the
 * probe never leaves a QEMU behind and never waits past its deadline by
 * more than the time a SIGKILLed process takes to die. Called once by the
 * agent at start, before any instance runs.
 */
#include "agent/compute/accel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/compute/qemu_argv.h"
#include "agent/spawn.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strlist.h"

#define POLL_MS		 50
#define PROBE_MEMORY_MIB 256
#define PROBE_MACHINE	 "q35"	    /* through SeaBIOS: real mode too */
#define CONSOLE_SCAN_MAX (1u << 20) /* stop scanning a chatty guest */

int
accel_parse(const char *s, enum accel_mode *ret)
{
	static const enum accel_mode modes[] = {ACCEL_AUTO, ACCEL_KVM,
						ACCEL_TCG};

	for (size_t i = 0; s && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(s, accel_name(modes[i])) == 0) {
			*ret = modes[i];
			return 0;
		}
	return -EINVAL;
}

const char *
accel_name(enum accel_mode m)
{
	switch (m) {
	case ACCEL_AUTO:
		return "auto";
	case ACCEL_KVM:
		return "kvm";
	case ACCEL_TCG:
		return "tcg";
	}
	return "unknown";
}

/* "cpu MHz\t\t: 2596.130" -> 2596130; digits only, checked. */
static unsigned
parse_mhz_as_khz(const char *s)
{
	unsigned long khz = 0;
	unsigned frac_digits = 0;
	int seen_digit = 0, in_frac = 0;

	for (; *s == ' ' || *s == '\t' || *s == ':'; s++)
		;
	for (; *s && *s != '\n'; s++) {
		if (*s == '.' && !in_frac) {
			in_frac = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return 0;
		if (in_frac && frac_digits == 3)
			continue;
		khz = khz * 10 + (unsigned long)(*s - '0');
		if (khz > 100000000UL)
			return 0;
		frac_digits += in_frac;
		seen_digit = 1;
	}
	if (!seen_digit)
		return 0;
	for (; frac_digits < 3; frac_digits++)
		khz *= 10;
	return khz > 100000000UL ? 0 : (unsigned)khz;
}

unsigned
accel_host_tsc_khz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	unsigned khz = 0;

	if (!f)
		return 0;
	while (!khz && fgets(line, sizeof(line), f))
		if (strncmp(line, "cpu MHz", 7) == 0)
			khz = parse_mhz_as_khz(line + 7);
	fclose(f);
	return khz;
}

/*
 * Scan what the console gained since the last call for the marker. tail
 * keeps the last bytes of the previous chunk so a marker split across two
 * reads is still found.
 */
struct console_scan {
	int fd;
	size_t scanned;
	char tail[sizeof(ACCEL_PROBE_MARKER)];
	size_t tail_len;
};

static int
console_has_marker(struct console_scan *c)
{
	const size_t mlen = sizeof(ACCEL_PROBE_MARKER) - 1;
	char chunk[4096 + sizeof(ACCEL_PROBE_MARKER)];

	while (c->scanned < CONSOLE_SCAN_MAX) {
		ssize_t n = read(c->fd, chunk + c->tail_len, 4096);
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		memcpy(chunk, c->tail, c->tail_len);
		len = c->tail_len + (size_t)n;
		c->scanned += (size_t)n;
		if (memmem(chunk, len, ACCEL_PROBE_MARKER, mlen))
			return 1;
		c->tail_len = len < mlen - 1 ? len : mlen - 1;
		memcpy(c->tail, chunk + len - c->tail_len, c->tail_len);
	}
	return 0;
}

/* The first line of QEMU's stderr, printable, for the reason. */
static void
read_detail(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t i = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0)
		return;
	out[n] = '\0';
	/* It goes into a quoted log value: no control bytes, no '"'. */
	for (i = 0; out[i] && out[i] != '\n'; i++)
		if (out[i] < 0x20 || out[i] > 0x7e || out[i] == '"')
			out[i] = '?';
	out[i] = '\0';
}

/*
 * Wait for pid until the deadline, watching the console meanwhile; kill
 * its process group at the deadline.
 */
static void
watch_guest(pid_t pid, struct console_scan *con, long long start,
	    long long deadline, struct accel_boot_result *r)
{
	int status;

	for (;;) {
		long long left = deadline - clock_now_ms();
		int rc;

		if (!r->marker_seen && console_has_marker(con)) {
			r->marker_seen = 1;
			r->marker_ms = (int)(clock_now_ms() - start);
		}
		if (left <= 0) {
			spawn_kill(pid, NULL);
			r->timed_out = 1;
			break;
		}
		/* Wakes at once when QEMU exits (a pidfd). */
		rc = spawn_wait(pid, left < POLL_MS ? (int)left : POLL_MS,
				&status);
		if (rc == 0) {
			r->exited = 1;
			r->exit_status = status;
			break;
		}
		if (rc != -ETIMEDOUT) { /* not ours any more: reaped */
			r->timed_out = 1;
			break;
		}
	}
	/* The last console bytes may have landed just before the exit. */
	if (!r->marker_seen && console_has_marker(con)) {
		r->marker_seen = 1;
		r->marker_ms = (int)(clock_now_ms() - start);
	}
	r->elapsed_ms = (int)(clock_now_ms() - start);
}

/*
 * Start the probe's QEMU: stdout and stderr to err_path, everything else
 * as spawn.h does it (its own session, default signals, an empty
 * environment).
 */
static int
start_qemu(const struct strlist *argv, const char *err_path, pid_t *ret_pid)
{
	struct spawn_opts o;
	char **v = spawn_argv(argv);
	int fd, rc;

	if (!v)
		return -ENOMEM;
	fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		free(v);
		return rc;
	}
	spawn_opts_init(&o, v);
	o.stdout_fd = o.stderr_fd = fd;
	rc = spawn_start(&o, ret_pid);
	close(fd);
	free(v);
	return rc;
}

int
accel_test_boot(const char *qemu_binary, const char *kernel, const char *initrd,
		enum accel_mode mode, const char *machine, unsigned tsc_khz,
		int timeout_ms, struct accel_boot_result *ret)
{
	char dir[] = "/tmp/ec2d-accel-XXXXXX";
	char console_path[64], err_path[64];
	struct qemu_probe_spec spec = {
	    .qemu_binary = qemu_binary,
	    .accel = mode,
	    .tsc_khz = tsc_khz,
	    .memory_mib = PROBE_MEMORY_MIB,
	    .kernel = kernel,
	    .initrd = initrd,
	    .console_log = console_path,
	};
	struct accel_boot_result r = {.marker_ms = -1};
	struct console_scan con = {.fd = -1};
	struct strlist argv;
	struct err e = {{0}, {0}};
	long long start;
	pid_t pid;
	int rc;

	strlist_init(&argv);
	if (qemu_machine_parse(machine, &spec.machine) < 0)
		return -EINVAL;
	if (access(qemu_binary, X_OK) < 0 || access(kernel, R_OK) < 0 ||
	    access(initrd, R_OK) < 0)
		return -errno;
	if (!mkdtemp(dir))
		return -errno;
	snprintf(console_path, sizeof(console_path), "%s/console.log", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr.log", dir);

	/* Ours before QEMU's: QEMU truncates it, our fd reads on. */
	con.fd =
	    open(console_path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (con.fd < 0) {
		rc = -errno;
		goto out;
	}
	if (qemu_argv_build_probe(&spec, &argv, &e) < 0) {
		log_msg(LOG_ERROR, "accel probe: bad argv", "error=\"%s\"",
			e.message);
		rc = -EINVAL;
		goto out;
	}
	start = clock_now_ms();
	rc = start_qemu(&argv, err_path, &pid);
	if (rc)
		goto out;
	watch_guest(pid, &con, start, start + timeout_ms, &r);
	read_detail(err_path, r.detail, sizeof(r.detail));
	*ret = r;
	rc = 0;
out:
	if (con.fd >= 0)
		close(con.fd);
	unlink(console_path);
	unlink(err_path);
	rmdir(dir);
	strlist_free(&argv);
	return rc;
}

static void
explain(const struct accel_boot_result *b, int timeout_ms,
	struct accel_probe_result *r)
{
	const char *sep = b->detail[0] ? ": " : "";

	if (b->timed_out && b->marker_seen)
		snprintf(r->reason, sizeof(r->reason),
			 "KVM guest booted but "
			 "did not power off within %d ms",
			 timeout_ms);
	else if (b->timed_out)
		snprintf(r->reason, sizeof(r->reason),
			 "KVM guest did not boot "
			 "within %d ms%s%s",
			 timeout_ms, sep, b->detail);
	else if (WIFSIGNALED(b->exit_status))
		snprintf(r->reason, sizeof(r->reason),
			 "QEMU killed by signal "
			 "%d under KVM%s%s",
			 WTERMSIG(b->exit_status), sep, b->detail);
	else if (WEXITSTATUS(b->exit_status) != 0)
		snprintf(r->reason, sizeof(r->reason),
			 "QEMU exited with status "
			 "%d under KVM%s%s",
			 WEXITSTATUS(b->exit_status), sep, b->detail);
	else
		snprintf(r->reason, sizeof(r->reason),
			 "KVM guest ended without "
			 "the probe marker%s%s",
			 sep, b->detail);
}

int
accel_probe(const char *qemu_binary, const char *kernel, const char *initrd,
	    int timeout_ms, struct accel_probe_result *ret)
{
	struct accel_probe_result r = {.accel = ACCEL_TCG};
	struct accel_boot_result b;
	long long start = clock_now_ms();
	int rc;

	if (access(qemu_binary, X_OK) < 0 || access(kernel, R_OK) < 0 ||
	    access(initrd, R_OK) < 0)
		return -errno;
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		snprintf(r.reason, sizeof(r.reason), "no usable /dev/kvm (%s)",
			 strerror(errno));
		goto decided;
	}
	rc = accel_test_boot(qemu_binary, kernel, initrd, ACCEL_KVM,
			     PROBE_MACHINE, 0, timeout_ms, &b);
	if (rc)
		return rc;
	if (b.marker_seen && b.exited && WIFEXITED(b.exit_status) &&
	    WEXITSTATUS(b.exit_status) == 0) {
		r.accel = ACCEL_KVM;
		snprintf(r.reason, sizeof(r.reason),
			 "KVM guest booted and "
			 "powered off in %d ms",
			 b.elapsed_ms);
	} else {
		explain(&b, timeout_ms, &r);
	}
decided:
	r.elapsed_ms = (int)(clock_now_ms() - start);
	log_msg(LOG_INFO, "acceleration probed",
		"accel=%s elapsed_ms=%d "
		"reason=\"%s\"",
		accel_name(r.accel), r.elapsed_ms, r.reason);
	*ret = r;
	return 0;
}

/*
 * test_accel.c - accel_parse, and the acceleration probe run for real.
 *
 * The boot tests need a guest kernel: EC2D_TEST_KERNEL names it (Debian's
 * cloud vmlinuz). When it is unset they are skipped with a SKIP line;
 * when it is set, anything missing is a failure, not a skip. Optional:
 *   EC2D_TEST_QEMU     QEMU binary (default /usr/bin/qemu-system-x86_64)
 *   EC2D_TEST_INITRD   a probe initrd (see accel.h); default: one built
 *                      here from EC2D_TEST_BUSYBOX (default /bin/busybox)
 *   EC2D_TEST_EXPECT_ACCEL  kvm or tcg: what the probe must conclude
 *                      (tcg on the project's nested-KVM machines)
 * Positive control: the probe guest boots under TCG and the marker is
 * seen. Negative controls: a deadline shorter than any boot kills QEMU in
 * time; a missing file is -ENOENT. Boot times are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/compute/accel.h"
#include "common/buf.h"
#include "unit.h"

#define BOOT_TIMEOUT_MS 60000 /* a TCG boot on a loaded 2-core host */
#define SLACK_MS	3000

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_parse(void)
{
	static const struct {
		const char *in;
		int rc;
		enum accel_mode want;
	} cases[] = {
	    {"auto", 0, ACCEL_AUTO},	{"kvm", 0, ACCEL_KVM},
	    {"tcg", 0, ACCEL_TCG},	{"KVM", -EINVAL, ACCEL_TCG},
	    {"", -EINVAL, ACCEL_TCG},	{"kvm ", -EINVAL, ACCEL_TCG},
	    {NULL, -EINVAL, ACCEL_TCG},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum accel_mode m = ACCEL_TCG;
		int rc = accel_parse(cases[i].in, &m);

		CHECK(rc == cases[i].rc && m == cases[i].want,
		      "accel_parse(%s): rc %d mode %d",
		      cases[i].in ? cases[i].in : "NULL", rc, (int)m);
	}
	CHECK_STR(accel_name(ACCEL_KVM), "kvm");
	CHECK_STR(accel_name(ACCEL_TCG), "tcg");
	CHECK_STR(accel_name(ACCEL_AUTO), "auto");
	CHECK(accel_host_tsc_khz() > 100000, "host TSC %u kHz",
	      accel_host_tsc_khz());
}

/* cpio "newc" (what the kernel unpacks as an initramfs), in memory. */
static void
cpio_entry(struct buf *b, const char *name, unsigned mode, unsigned rdev_major,
	   unsigned rdev_minor, const void *data, size_t size)
{
	static unsigned ino = 1;
	size_t namesize = strlen(name) + 1;

	buf_addf(b,
		 "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X"
		 "%08zX%08X",
		 ino++, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, rdev_major,
		 rdev_minor, namesize, 0u);
	buf_add(b, name, namesize);
	while (b->len % 4)
		buf_addc(b, '\0');
	if (size)
		buf_add(b, data, size);
	while (b->len % 4)
		buf_addc(b, '\0');
}

/* The probe initrd of accel.h's contract, with busybox as its shell. */
static int
build_probe_initrd(const char *busybox, const char *out)
{
	static const char init[] = "#!/bin/busybox sh\n"
				   "echo " ACCEL_PROBE_MARKER "\n"
				   "/bin/busybox poweroff -f\n";
	struct buf bb, img;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(busybox, "re");
	int rc = -1;

	buf_init(&bb, 64u << 20);
	buf_init(&img, 64u << 20);
	if (!f)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&bb, chunk, n);
	fclose(f);
	cpio_entry(&img, "bin", S_IFDIR | 0755, 0, 0, NULL, 0);
	cpio_entry(&img, "dev", S_IFDIR | 0755, 0, 0, NULL, 0);
	cpio_entry(&img, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	cpio_entry(&img, "bin/busybox", S_IFREG | 0755, 0, 0, bb.data, bb.len);
	cpio_entry(&img, "init", S_IFREG | 0755, 0, 0, init, sizeof(init) - 1);
	cpio_entry(&img, "TRAILER!!!", 0, 0, 0, NULL, 0);
	if (buf_failed(&bb) || buf_failed(&img) || bb.len == 0)
		goto out;
	f = fopen(out, "we");
	if (!f)
		goto out;
	if (fwrite(img.data, 1, img.len, f) == img.len)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
out:
	buf_free(&bb);
	buf_free(&img);
	return rc;
}

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

static void
test_tcg_boot(const char *qemu, const char *kernel, const char *initrd,
	      const char *machine)
{
	struct accel_boot_result b;
	long long t0 = now_ms();
	int rc = accel_test_boot(qemu, kernel, initrd, ACCEL_TCG, machine,
				 accel_host_tsc_khz(), BOOT_TIMEOUT_MS, &b);

	CHECK(rc == 0, "tcg %s: %s", machine, strerror(-rc));
	if (rc)
		return;
	CHECK(b.marker_seen, "tcg %s: no marker (%s)", machine, b.detail);
	CHECK(b.exited && WIFEXITED(b.exit_status) &&
		  WEXITSTATUS(b.exit_status) == 0,
	      "tcg %s: QEMU did not exit cleanly (status %#x, %s)", machine,
	      b.exit_status, b.detail);
	CHECK(!b.timed_out, "tcg %s: timed out", machine);
	printf("tcg %s: marker after %d ms, QEMU gone after %d ms "
	       "(call %lld ms)\n",
	       machine, b.marker_ms, b.elapsed_ms, now_ms() - t0);
}

/* A deadline no boot can meet: QEMU must be killed on time. */
static void
test_deadline(const char *qemu, const char *kernel, const char *initrd)
{
	struct accel_boot_result b;
	long long t0 = now_ms();
	int rc =
	    accel_test_boot(qemu, kernel, initrd, ACCEL_TCG, "q35", 0, 300, &b);

	CHECK(rc == 0, "deadline: %s", strerror(-rc));
	if (rc)
		return;
	CHECK(b.timed_out && !b.exited && !b.marker_seen,
	      "deadline: timed_out %d exited %d marker %d", b.timed_out,
	      b.exited, b.marker_seen);
	CHECK(now_ms() - t0 < 300 + SLACK_MS, "deadline: took %lld ms",
	      now_ms() - t0);
}

static void
test_missing_files(const char *qemu, const char *kernel, const char *initrd)
{
	struct accel_probe_result r = {.accel = ACCEL_AUTO};
	struct accel_boot_result b = {.marker_ms = 7};

	CHECK(accel_probe(qemu, kernel, "/nonexistent/initrd", 1000, &r) ==
		  -ENOENT,
	      "probe without initrd");
	CHECK(accel_probe("/nonexistent/qemu", kernel, initrd, 1000, &r) ==
		  -ENOENT,
	      "probe without qemu");
	CHECK(r.accel == ACCEL_AUTO, "result written on failure");
	CHECK(accel_test_boot(qemu, "/nonexistent/kernel", initrd, ACCEL_TCG,
			      "q35", 0, 1000, &b) == -ENOENT,
	      "boot without kernel");
	CHECK(accel_test_boot(qemu, kernel, initrd, ACCEL_TCG, "pc", 0, 1000,
			      &b) == -EINVAL,
	      "boot on an unknown machine");
	CHECK(b.marker_ms == 7, "boot result written on failure");
}

static void
test_probe(const char *qemu, const char *kernel, const char *initrd)
{
	struct accel_probe_result r;
	const char *expect = getenv("EC2D_TEST_EXPECT_ACCEL");
	long long t0 = now_ms();
	int rc = accel_probe(qemu, kernel, initrd,
			     ACCEL_PROBE_TIMEOUT_MS_DEFAULT, &r);
	long long took = now_ms() - t0;

	CHECK(rc == 0, "probe: %s", strerror(-rc));
	if (rc)
		return;
	printf("probe: %s in %lld ms: %s\n", accel_name(r.accel), took,
	       r.reason);
	CHECK(r.accel == ACCEL_KVM || r.accel == ACCEL_TCG, "probe answer");
	CHECK(took < ACCEL_PROBE_TIMEOUT_MS_DEFAULT + SLACK_MS,
	      "probe took %lld ms", took);
	if (expect)
		CHECK_STR(accel_name(r.accel), expect);
}

int
main(void)
{
	const char *kernel = getenv("EC2D_TEST_KERNEL");
	const char *qemu =
	    env_or("EC2D_TEST_QEMU", "/usr/bin/qemu-system-x86_64");
	const char *initrd = getenv("EC2D_TEST_INITRD");
	char dir[] = "/tmp/ec2d-test-accel-XXXXXX";
	char built[64] = "";

	test_parse();
	if (!kernel || !*kernel) {
		printf("SKIP: no kernel at $EC2D_TEST_KERNEL (unset): "
		       "the probe boot tests did not run\n");
		return UNIT_DONE();
	}
	CHECK(access(kernel, R_OK) == 0, "EC2D_TEST_KERNEL=%s: %s", kernel,
	      strerror(errno));
	CHECK(access(qemu, X_OK) == 0, "%s: %s", qemu, strerror(errno));
	if (!initrd) {
		const char *busybox =
		    env_or("EC2D_TEST_BUSYBOX", "/bin/busybox");

		CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
		snprintf(built, sizeof(built), "%s/probe.cpio", dir);
		CHECK(build_probe_initrd(busybox, built) == 0,
		      "cannot build a probe initrd from %s", busybox);
		initrd = built;
	}
	if (unit_failed == 0) {
		test_missing_files(qemu, kernel, initrd);
		test_tcg_boot(qemu, kernel, initrd, "microvm");
		test_tcg_boot(qemu, kernel, initrd, "q35");
		test_deadline(qemu, kernel, initrd);
		test_probe(qemu, kernel, initrd);
	}
	if (built[0]) {
		unlink(built);
		rmdir(dir);
	}
	return UNIT_DONE();
}

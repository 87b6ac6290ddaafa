/*
 * hostctl.c - boot one real guest through the host interface (host.h),
 * as the control plane would, and check each step; tests/host/test_boot.sh
 * builds and runs it.
 *
 *   hostctl STATE_DIR IMAGE_DIR [--reboot]
 *
 * Opens a host on STATE_DIR (QEMU under TCG, or EC2D_ACCEL=kvm; in the
 * network namespace EC2D_NETNS and as the user EC2D_RUN_AS=UID:GID when
 * set), applies
 * RUNNING for one instance of the image in IMAGE_DIR (vmlinux or vmlinuz,
 * initrd.img, root.qcow2, image.json's "cmdline"), waits for RUNNING and
 * (closing the host, QEMU left running, and opening a new one that must
 * adopt it without a restart), for guest_ready, prints the console's tail
 * and the times; --reboot bumps
 * the boot counter and waits for the new boot's ready; then STOPPED (ACPI
 * power-down), GONE, and checks that the folder and every QEMU of the
 * instance are gone. Exit status 0 when every step passed.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/compute/accel.h"
#include "agent/host.h"
#include "agent/spawn.h"

#define ID "i-0123456789abcdef0"
#define READY_TIMEOUT_MS                                                       \
	120000 /* a TCG boot + the image's 30 s                                \
		  metadata retry, on a loaded host */
#define STEP_TIMEOUT_MS 60000
#define TAIL		1500

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static unsigned long seq;
static int failures;

static void
on_notify(void *ctx)
{
	pthread_mutex_lock(&mu);
	seq++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
state_name(enum host_instance_state s)
{
	static const char *const names[] = {"ABSENT",	"STARTING", "RUNNING",
					    "STOPPING", "STOPPED",  "FAILED"};

	return (unsigned)s <= HOST_FAILED ? names[s] : "?";
}

static void
check(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

static bool
observe(struct host *h, struct host_instance_status *ret)
{
	struct host_instance_status st[4];
	size_t n = host_observe(h, st, 4);

	for (size_t i = 0; i < n; i++)
		if (strcmp(st[i].id, ID) == 0) {
			*ret = st[i];
			return true;
		}
	memset(ret, 0, sizeof(*ret));
	ret->state = HOST_ABSENT;
	return false;
}

/* Wait until pred holds for the instance (woken by notify, bounded). */
static bool
wait_until(struct host *h,
	   bool (*pred)(const struct host_instance_status *, unsigned),
	   unsigned arg, int timeout_ms, struct host_instance_status *st)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct timespec ts;
		unsigned long seen;

		pthread_mutex_lock(&mu);
		seen = seq;
		pthread_mutex_unlock(&mu);
		observe(h, st);
		if (pred(st, arg))
			return true;
		if (st->state == HOST_FAILED || now_ms() >= deadline)
			return false;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_mutex_lock(&mu);
		while (seq == seen &&
		       pthread_cond_timedwait(&cond, &mu, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&mu);
	}
}

static bool
is_state(const struct host_instance_status *st, unsigned s)
{
	return st->state == (enum host_instance_state)s;
}

static bool
is_ready_for(const struct host_instance_status *st, unsigned boot)
{
	return st->state == HOST_RUNNING && st->guest_ready && st->boot == boot;
}

static int
image_want(const char *dir, struct host_instance *w)
{
	char path[1100];
	json_error_t je;
	json_t *img;
	const char *cmdline;

	snprintf(path, sizeof(path), "%s/image.json", dir);
	img = json_load_file(path, 0, &je);
	cmdline = json_string_value(json_object_get(img, "cmdline"));
	if (!cmdline) {
		fprintf(stderr, "hostctl: %s: no cmdline\n", path);
		json_decref(img);
		return -1;
	}
	memset(w, 0, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "%s", ID);
	w->want = HOST_WANT_RUNNING;
	w->vcpus = 1;
	w->memory_mib = 256;
	w->root_gib = 2;
	w->store_disks = 1;
	w->store_gb = 1;
	snprintf(w->cmdline, sizeof(w->cmdline), "%.500s", cmdline);
	snprintf(w->kernel, sizeof(w->kernel), "%.1000s/vmlinux", dir);
	if (access(w->kernel, R_OK) < 0)
		snprintf(w->kernel, sizeof(w->kernel), "%.1000s/vmlinuz", dir);
	snprintf(w->initrd, sizeof(w->initrd), "%.1000s/initrd.img", dir);
	snprintf(w->base_disk, sizeof(w->base_disk), "%.1000s/root.qcow2", dir);
	json_decref(img);
	return 0;
}

/* Any process whose command line names the instance's QEMU? */
static bool
qemu_left(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end == '\0' && pid > 0)
			found = spawn_cmdline_has((pid_t)pid, "guest=" ID);
	}
	if (d)
		closedir(d);
	return found;
}

static void
print_console(struct host *h)
{
	char buf[TAIL];
	size_t len = 0;

	if (host_console(h, ID, buf, sizeof(buf), &len) == 0) {
		printf("---- console tail ----\n");
		fwrite(buf, 1, len, stdout);
		printf("\n---- end ----\n");
	}
}

static pid_t
qemu_pid(const char *state_dir)
{
	char path[1200];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%.1000s/instances/%s/qemu.pid", state_dir,
		 ID);
	f = fopen(path, "r");
	if (f && fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	if (f)
		fclose(f);
	return (pid_t)pid;
}

/* An agent restart: the new host must keep the QEMU as it runs. */
static void
restart_host(struct host **h, const struct host_config *cfg)
{
	struct host_instance_status st;
	struct err e = {"", ""};
	pid_t pid = qemu_pid(cfg->state_dir);
	long long t0 = now_ms();

	host_close(*h, false);
	*h = NULL;
	if (host_open(cfg, h, &e) < 0) {
		fprintf(stderr, "hostctl: reopen: %s\n", e.message);
		exit(1);
	}
	host_set_notify(*h, on_notify, NULL);
	printf("host reopened in %lld ms\n", now_ms() - t0);
	check(observe(*h, &st) && st.state == HOST_RUNNING && pid > 0 &&
		  qemu_pid(cfg->state_dir) == pid && kill(pid, 0) == 0,
	      "adopted the running QEMU (no restart)");
}

static void
boot_and_stop(struct host **hp, const struct host_config *cfg,
	      struct host_instance *w, bool reboot)
{
	struct host_instance_status st;
	long long t0 = now_ms();
	struct host *h = *hp;
	bool ok;

	host_apply(h, w, 1);
	ok = wait_until(h, is_state, HOST_RUNNING, STEP_TIMEOUT_MS, &st);
	printf("apply -> RUNNING: %lld ms\n", now_ms() - t0);
	check(ok, "RUNNING");
	if (ok) {
		restart_host(hp, cfg);
		h = *hp;
		host_apply(h, w, 1);
	}
	ok = ok && wait_until(h, is_ready_for, 0, READY_TIMEOUT_MS, &st);
	printf("apply -> guest_ready: %lld ms\n", now_ms() - t0);
	check(ok, "guest_ready (console printed \"ec2d-init: ready\")");
	if (!ok)
		printf("state %s reason \"%s\"\n", state_name(st.state),
		       st.reason);
	print_console(h);

	if (ok && reboot) {
		t0 = now_ms();
		w->boot = 1;
		host_apply(h, w, 1);
		ok = wait_until(h, is_ready_for, 1, READY_TIMEOUT_MS, &st);
		printf("reboot -> guest_ready: %lld ms\n", now_ms() - t0);
		check(ok, "rebooted and ready again, boot 1");
	}

	t0 = now_ms();
	w->want = HOST_WANT_STOPPED;
	host_apply(h, w, 1);
	ok = wait_until(h, is_state, HOST_STOPPED, STEP_TIMEOUT_MS, &st);
	printf("apply STOPPED -> STOPPED: %lld ms\n", now_ms() - t0);
	check(ok && !st.guest_halted, "stopped by ACPI power-down");
}

int
main(int argc, char **argv)
{
	struct host_config cfg = {
	    .id = "hostctl",
	    .zone = "local",
	    .qemu = "/usr/bin/qemu-system-x86_64",
	    .qemu_img = "/usr/bin/qemu-img",
	    .accel = ACCEL_TCG,
	    .tb_size_mib = 64,
	    .stop_timeout_ms = 30000,
	};
	struct host_instance w;
	struct host_instance_status st;
	struct err e = {"", ""};
	struct host *h = NULL;
	char dir[1200];
	const char *accel = getenv("EC2D_ACCEL");
	const char *netns = getenv("EC2D_NETNS");
	const char *run_as = getenv("EC2D_RUN_AS");
	bool reboot = argc > 3 && strcmp(argv[3], "--reboot") == 0;

	if (argc < 3 || argv[1][0] != '/' || argv[2][0] != '/') {
		fprintf(stderr, "usage: hostctl /STATE_DIR /IMAGE_DIR "
				"[--reboot]\n");
		return 2;
	}
	if (accel && accel_parse(accel, &cfg.accel) < 0) {
		fprintf(stderr, "hostctl: EC2D_ACCEL=%s?\n", accel);
		return 2;
	}
	if (run_as) {
		unsigned uid, gid;

		if (sscanf(run_as, "%u:%u", &uid, &gid) != 2) {
			fprintf(stderr, "hostctl: EC2D_RUN_AS=UID:GID\n");
			return 2;
		}
		cfg.run_uid = uid;
		cfg.run_gid = gid;
	}
	if (netns)
		snprintf(cfg.netns, sizeof(cfg.netns), "%.60s", netns);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%.1000s", argv[1]);
	cfg.tsc_khz = accel_host_tsc_khz();
	if (image_want(argv[2], &w) < 0)
		return 1;
	if (host_open(&cfg, &h, &e) < 0) {
		fprintf(stderr, "hostctl: %s\n", e.message);
		return 1;
	}
	host_set_notify(h, on_notify, NULL);

	boot_and_stop(&h, &cfg, &w, reboot);

	w.want = HOST_WANT_GONE;
	host_apply(h, &w, 1);
	check(wait_until(h, is_state, HOST_ABSENT, STEP_TIMEOUT_MS, &st),
	      "GONE -> ABSENT");
	host_close(h, true);
	snprintf(dir, sizeof(dir), "%.1000s/instances/%s", argv[1], ID);
	check(access(dir, F_OK) < 0 && errno == ENOENT,
	      "instance folder removed");
	check(!qemu_left(), "no QEMU of the instance left");
	printf("%s\n", failures ? "FAILED" : "PASSED");
	return failures ? 1 : 0;
}

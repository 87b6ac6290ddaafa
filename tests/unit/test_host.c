/*
 * test_host.c - the host's instance lifecycle, driven against a fake QEMU.
 *
 * tests/host/fake-qemu (python3) stands in for qemu-system-x86_64: it
 * reads the argv host.c builds, writes the pidfile, prints the default
 * image's console markers and serves a small QMP; its behaviour is chosen
 * per instance by "fake.*" words on the kernel command line (see the
 * script). tests/host/fake-qemu-img makes the root overlay. Every wait
 * is for an observed state, woken by the host's notify callback and
 * bounded by a deadline; nothing sleeps to synchronise.
 *
 * Covered: start -> STARTING -> RUNNING -> guest_ready; the same wants
 * again change nothing; ACPI stop; forced stop; stop timeout -> quit;
 * quit ignored -> SIGKILL; a stop before QMP is up; reboot bumps boot and
 * readiness is per boot; a guest reboot; a guest that powers itself off is not
 * restarted until the control plane says so; a crash; a guest paused on a
 * full disk (impaired with the reason, quit at once on stop, resumed when
 * there is room); start failures (kernel,
 * base disk, an unrunnable QEMU, QEMU exiting at once) are FAILED with a reason
 * and not retried; GONE removes the files (the root disk kept on request); the
 * root disk survives stop/start and the instance store does not; adoption by a
 * second host after the first closed; stale pidfiles; host_console;
 * host_close(stop_guests); host_console_tail; the acceleration decision
 * without a probe guest; QEMU's user resolved and checked; no fd, child
 * or zombie left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/host.h"
#include "agent/spawn.h"
#include "unit.h"

#define WAIT_MS 10000
#define ID_A	"i-0000000000000000a"
#define ID_B	"i-0000000000000000b"
#define ID_C	"i-0000000000000000c"
#define ID_D	"i-0000000000000000d"
#define ID_E	"i-0000000000000000e"
#define ID_F	"i-0000000000000000f"

#define TP 200 /* test paths: short, so every host field takes them */

static char tmp[TP];
static char fake_qemu[TP], fake_img[TP];
static char kernel[TP], base[TP];

/* ---- notify: the waits below wake on it ---- */

static pthread_mutex_t nmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ncond = PTHREAD_COND_INITIALIZER;
static unsigned long nseq;

static void
on_notify(void *ctx)
{
	pthread_mutex_lock(&nmu);
	nseq++;
	pthread_cond_broadcast(&ncond);
	pthread_mutex_unlock(&nmu);
}

static unsigned long
notify_seq(void)
{
	unsigned long s;

	pthread_mutex_lock(&nmu);
	s = nseq;
	pthread_mutex_unlock(&nmu);
	return s;
}

/* Until a notify after seq, at most ms (a state may change unnotified:
 * an instance forgotten). */
static void
wait_notify(unsigned long seq, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&nmu);
	while (nseq == seq &&
	       pthread_cond_timedwait(&ncond, &nmu, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&nmu);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- observing ---- */

static bool
status_of(struct host *h, const char *id, struct host_instance_status *ret)
{
	struct host_instance_status st[16];
	size_t n = host_observe(h, st, 16);

	for (size_t i = 0; i < n; i++)
		if (strcmp(st[i].id, id) == 0) {
			*ret = st[i];
			return true;
		}
	return false;
}

/* What to wait for; -1: any. */
struct expect {
	int state, ready, halted, boot;
};

static bool
matches(const struct host_instance_status *s, const struct expect *x)
{
	return (x->state < 0 || (int)s->state == x->state) &&
	       (x->ready < 0 || (int)s->guest_ready == x->ready) &&
	       (x->halted < 0 || (int)s->guest_halted == x->halted) &&
	       (x->boot < 0 || (int)s->boot == x->boot);
}

static const char *
state_name(int s)
{
	static const char *const names[] = {"ABSENT",	"STARTING", "RUNNING",
					    "STOPPING", "STOPPED",  "FAILED"};

	return s >= 0 && s <= HOST_FAILED ? names[s] : "?";
}

/* Wait for id to match x; the last status in *ret (state -1: unknown). */
static bool
wait_for(struct host *h, const char *id, struct expect x, int ms,
	 struct host_instance_status *ret)
{
	long long deadline = now_ms() + ms;
	struct host_instance_status st;

	for (;;) {
		unsigned long seq = notify_seq();

		memset(&st, 0, sizeof(st));
		st.state = (enum host_instance_state) - 1;
		if (status_of(h, id, &st) && matches(&st, &x))
			break;
		if (now_ms() >= deadline) {
			if (ret)
				*ret = st;
			return false;
		}
		wait_notify(seq, 50);
	}
	if (ret)
		*ret = st;
	return true;
}

/* Wait for state/ready/halted/boot (-1: any), a failure if it never
 * comes, saying what was seen instead. */
#define WAIT(h, id, st, rd, ht, bt)                                            \
	do {                                                                   \
		struct host_instance_status got_;                              \
		CHECK(wait_for(h, id, (struct expect){st, rd, ht, bt},         \
			       WAIT_MS, &got_),                                \
		      "%s: wanted %s ready=%d halted=%d boot=%d, have %s "     \
		      "ready=%d halted=%d boot=%u reason \"%s\"",              \
		      id, state_name(st), rd, ht, bt,                          \
		      state_name((int)got_.state), got_.guest_ready,           \
		      got_.guest_halted, got_.boot, got_.reason);              \
	} while (0)

/* ---- the world ---- */

static void
path_join(char *out, const char *a, const char *b)
{
	snprintf(out, TP, "%.100s/%.90s", a, b);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The whole file (up to 1 MiB) as a string; "" when absent. */
static char *
read_file(const char *path)
{
	char *buf = calloc(1, 1 << 20);
	FILE *f = fopen(path, "r");

	if (buf && f)
		buf[fread(buf, 1, (1 << 20) - 1, f)] = '\0';
	if (f)
		fclose(f);
	return buf;
}

static int
count_substr(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* QEMUs started for id on the host in state_dir (the fake logs them). */
static int
spawns(const char *state_dir, const char *id)
{
	char p[PATH_MAX], pat[64], *log;
	int n;

	snprintf(p, sizeof(p), "%s/fake-spawns.log", state_dir);
	log = read_file(p);
	snprintf(pat, sizeof(pat), "guest=%s ", id);
	n = log ? count_substr(log, pat) : -1;
	free(log);
	return n;
}

static void
inst_file(char *out, const char *state_dir, const char *id, const char *name)
{
	snprintf(out, PATH_MAX, "%s/instances/%s/%s", state_dir, id, name);
}

static bool
exists(const char *state_dir, const char *id, const char *name)
{
	char p[PATH_MAX];

	inst_file(p, state_dir, id, name);
	return access(p, F_OK) == 0;
}

static pid_t
pid_of(const char *state_dir, const char *id)
{
	char p[PATH_MAX], *text;
	long v;

	inst_file(p, state_dir, id, "qemu.pid");
	text = read_file(p);
	v = text ? strtol(text, NULL, 10) : 0;
	free(text);
	return (pid_t)v;
}

/* Gone and reaped: a zombie still answers kill(pid, 0). */
static bool
process_gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static struct host *
open_host_reserve(const char *name, unsigned stop_timeout_ms, char *state_dir,
		  const char *disk_reserve)
{
	struct host_config cfg = {
	    .id = "test-h1",
	    .zone = "test-1a",
	    .accel = ACCEL_TCG,
	    .stop_timeout_ms = stop_timeout_ms,
	};
	struct err e = {"", ""};
	struct host *h = NULL;

	path_join(state_dir, tmp, name);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state_dir);
	snprintf(cfg.qemu, sizeof(cfg.qemu), "%s", fake_qemu);
	snprintf(cfg.qemu_img, sizeof(cfg.qemu_img), "%s", fake_img);
	snprintf(cfg.disk_reserve, sizeof(cfg.disk_reserve), "%s",
		 disk_reserve);
	CHECK(host_open(&cfg, &h, &e) == 0, "host_open: %s", e.message);
	if (h)
		host_set_notify(h, on_notify, NULL);
	return h;
}

static struct host *
open_host(const char *name, unsigned stop_timeout_ms, char *state_dir)
{
	return open_host_reserve(name, stop_timeout_ms, state_dir, "");
}

static struct host_instance
want_of(const char *id, enum host_want w, const char *knobs)
{
	struct host_instance x = {
	    .want = w,
	    .vcpus = 1,
	    .memory_mib = 128,
	    .root_gib = 2,
	    .store_disks = 2,
	    .store_gb = 1,
	};

	snprintf(x.id, sizeof(x.id), "%s", id);
	snprintf(x.kernel, sizeof(x.kernel), "%s", kernel);
	snprintf(x.base_disk, sizeof(x.base_disk), "%s", base);
	snprintf(x.cmdline, sizeof(x.cmdline), "root=/dev/vda %s", knobs);
	return x;
}

static void
apply1(struct host *h, const struct host_instance *w)
{
	host_apply(h, w, 1);
}

/* ---- the cases ---- */

/* Start, files, idempotence, stop, restart (root kept, store wiped),
 * reboot, GONE. */
static void
test_lifecycle(void)
{
	char dir[TP], p[PATH_MAX], *text;
	struct host_instance w = want_of(ID_A, HOST_WANT_RUNNING, "");
	struct host_instance_status st;
	struct stat sb;
	struct host *h = open_host("life", 5000, dir);
	long long t0;
	pid_t pid;
	int fd;

	if (!h)
		return;
	t0 = now_ms();
	apply1(h, &w);
	CHECK(now_ms() - t0 < 2000, "host_apply took %lld ms", now_ms() - t0);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_STARTING,
	      "STARTING right after apply, got %s (%s)", state_name(st.state),
	      st.reason);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	printf("  start to running+ready: %lld ms (fake qemu)\n",
	       now_ms() - t0);

	inst_file(p, dir, ID_A, "root.qcow2");
	text = read_file(p);
	CHECK(text && strstr(text, "QFI fake overlay") && strstr(text, base) &&
		  strstr(text, "size=2G"),
	      "root overlay made by qemu-img: %s", text ? text : "-");
	free(text);
	for (int i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "store%d.img", i);
		inst_file(p, dir, ID_A, name);
		CHECK(stat(p, &sb) == 0 && sb.st_size == 1000000000LL &&
			  sb.st_blocks == 0,
		      "%s: 1 GB, sparse", name);
	}
	CHECK(!exists(dir, ID_A, "store2.img"), "only 2 store disks");
	pid = pid_of(dir, ID_A);
	CHECK(pid > 0 && kill(pid, 0) == 0, "qemu.pid names a live QEMU");

	/* The same wants again: nothing new. */
	apply1(h, &w);
	apply1(h, &w);
	CHECK(spawns(dir, ID_A) == 1, "one spawn, got %d", spawns(dir, ID_A));
	CHECK(pid_of(dir, ID_A) == pid, "same QEMU");

	/* Data on both disks: the root's must survive a stop, the store's
	 * must not. */
	inst_file(p, dir, ID_A, "root.qcow2");
	fd = open(p, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "ROOT-DATA\n", 10) == 10, "write root");
	if (fd >= 0)
		close(fd);
	inst_file(p, dir, ID_A, "store0.img");
	fd = open(p, O_WRONLY);
	CHECK(fd >= 0 && write(fd, "STORE-DATA", 10) == 10, "write store");
	if (fd >= 0)
		close(fd);

	/* ACPI stop. */
	t0 = now_ms();
	w.want = HOST_WANT_STOPPED;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_STOPPED, 0, 0, -1);
	printf("  ACPI stop: %lld ms\n", now_ms() - t0);
	CHECK(process_gone(pid), "QEMU %d gone and reaped", (int)pid);
	CHECK(!exists(dir, ID_A, "qmp.sock") && !exists(dir, ID_A, "qemu.pid"),
	      "runtime files removed");
	CHECK(exists(dir, ID_A, "root.qcow2") &&
		  exists(dir, ID_A, "console.log"),
	      "root disk and console kept");

	/* Start again. */
	w.want = HOST_WANT_RUNNING;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	CHECK(spawns(dir, ID_A) == 2, "second spawn, got %d",
	      spawns(dir, ID_A));
	inst_file(p, dir, ID_A, "root.qcow2");
	text = read_file(p);
	CHECK(text && strstr(text, "ROOT-DATA"), "root disk kept");
	free(text);
	inst_file(p, dir, ID_A, "store0.img");
	text = read_file(p);
	CHECK(text && text[0] == '\0' && stat(p, &sb) == 0 &&
		  sb.st_size == 1000000000LL,
	      "instance store empty again");
	free(text);
	inst_file(p, dir, ID_A, "console.log");
	text = read_file(p);
	CHECK(text && count_substr(text, "ec2d-init: ready") == 2,
	      "console appended across boots");
	free(text);

	/* Reboot. */
	pid = pid_of(dir, ID_A);
	w.boot = 1;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 1);
	CHECK(pid_of(dir, ID_A) == pid && spawns(dir, ID_A) == 2,
	      "reboot is a reset, not a new QEMU");
	inst_file(p, dir, ID_A, "console.log");
	text = read_file(p);
	CHECK(text && strstr(text, "fake boot 2") &&
		  count_substr(text, "ec2d-init: ready") == 3,
	      "rebooted");
	free(text);

	/* Terminate. */
	w.want = HOST_WANT_GONE;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_ABSENT, 0, -1, -1);
	inst_file(p, dir, ID_A, "");
	CHECK(access(p, F_OK) < 0 && errno == ENOENT, "instance folder gone");
	CHECK(process_gone(pid), "QEMU gone");
	/* Still listed as GONE: reported ABSENT; unlisted: forgotten. */
	apply1(h, &w);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_ABSENT,
	      "listed GONE instance reported ABSENT");
	host_apply(h, NULL, 0);
	CHECK(!status_of(h, ID_A, &st), "unlisted ABSENT instance forgotten");
	host_close(h, true);
}

/* guest_ready counts only this boot's marker. */
static void
test_ready_per_boot(void)
{
	char dir[TP], p[PATH_MAX], *text = NULL;
	struct host_instance w =
	    want_of(ID_A, HOST_WANT_RUNNING, "fake.noready_reset");
	struct host_instance_status st;
	struct host *h = open_host("ready", 5000, dir);
	long long deadline;

	if (!h)
		return;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	w.boot = 7;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, -1, 0, 7);
	CHECK(status_of(h, ID_A, &st) && !st.guest_ready,
	      "not ready right after the reboot");
	/* The fake has printed its second boot's lines (without ready):
	 * the host has scanned them and must still say not ready. */
	inst_file(p, dir, ID_A, "console.log");
	deadline = now_ms() + WAIT_MS;
	while (now_ms() < deadline) {
		unsigned long seq = notify_seq();

		free(text);
		text = read_file(p);
		if (text && strstr(text, "fake boot 2"))
			break;
		wait_notify(seq, 20);
	}
	CHECK(text && strstr(text, "fake boot 2"), "second boot printed");
	free(text);
	CHECK(!wait_for(h, ID_A, (struct expect){-1, 1, -1, -1}, 500, &st),
	      "the first boot's marker does not make the second ready");

	/* The guest reboots itself: same boot counter, ready again. */
	host_close(h, true);
}

/* A guest rebooting by itself: not ready until it says so again. */
static void
test_guest_reboot(void)
{
	char dir[TP];
	struct host_instance w = want_of(ID_A, HOST_WANT_RUNNING,
					 "fake.guest_reset_ms=400 "
					 "fake.noready_reset");
	struct host *h = open_host("greboot", 5000, dir);

	if (!h)
		return;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	WAIT(h, ID_A, HOST_RUNNING, 0, 0, 0);
	host_close(h, true);
}

/* Forced stop: no ACPI grace, even from a guest that ignores ACPI. */
static void
test_force_stop(void)
{
	char dir[TP];
	struct host_instance w =
	    want_of(ID_A, HOST_WANT_RUNNING, "fake.ignore_powerdown");
	struct host *h = open_host("force", 60000, dir);
	long long t0;
	pid_t pid;

	if (!h)
		return;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	pid = pid_of(dir, ID_A);
	t0 = now_ms();
	w.want = HOST_WANT_STOPPED;
	w.force_stop = true;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_STOPPED, 0, 0, -1);
	printf("  forced stop: %lld ms\n", now_ms() - t0);
	CHECK(now_ms() - t0 < 5000, "forced stop did not wait for ACPI");
	CHECK(process_gone(pid), "QEMU gone");
	host_close(h, true);
}

/* ACPI ignored: quit at the stop timeout; quit ignored: SIGKILL. */
static void
test_stop_timeout(void)
{
	char dir[TP];
	struct host_instance a =
	    want_of(ID_A, HOST_WANT_RUNNING, "fake.ignore_powerdown");
	struct host_instance b = want_of(ID_B, HOST_WANT_RUNNING,
					 "fake.ignore_powerdown "
					 "fake.ignore_quit");
	struct host_instance both[2];
	struct host_instance_status st;
	struct host *h = open_host("timeout", 400, dir);
	long long t0;
	pid_t pa, pb;

	if (!h)
		return;
	both[0] = a;
	both[1] = b;
	host_apply(h, both, 2);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	WAIT(h, ID_B, HOST_RUNNING, 1, 0, 0);
	pa = pid_of(dir, ID_A);
	pb = pid_of(dir, ID_B);
	t0 = now_ms();
	both[0].want = both[1].want = HOST_WANT_STOPPED;
	host_apply(h, both, 2);
	CHECK(wait_for(h, ID_A, (struct expect){HOST_STOPPING, -1, -1, -1},
		       WAIT_MS, &st) ||
		  st.state == HOST_STOPPED,
	      "STOPPING while it powers down");
	WAIT(h, ID_A, HOST_STOPPED, 0, 0, -1);
	printf("  stop, ACPI ignored: %lld ms (timeout 400)\n", now_ms() - t0);
	CHECK(now_ms() - t0 >= 400, "waited for the stop timeout");
	WAIT(h, ID_B, HOST_STOPPED, 0, 0, -1);
	printf("  stop, ACPI and quit ignored: %lld ms\n", now_ms() - t0);
	CHECK(process_gone(pa) && process_gone(pb), "both QEMUs gone");
	host_close(h, true);
}

/* A stop asked before QMP answers: power-down once it does. */
static void
test_stop_while_starting(void)
{
	char dir[TP];
	struct host_instance w =
	    want_of(ID_A, HOST_WANT_RUNNING, "fake.qmp_delay_ms=300");
	struct host_instance_status st;
	struct host *h = open_host("early", 5000, dir);
	pid_t pid;

	if (!h)
		return;
	apply1(h, &w);
	w.want = HOST_WANT_STOPPED;
	apply1(h, &w);
	CHECK(status_of(h, ID_A, &st) &&
		  (st.state == HOST_STARTING || st.state == HOST_STOPPING),
	      "still starting: %s", state_name(st.state));
	WAIT(h, ID_A, HOST_STOPPED, 0, 0, 0);
	CHECK(status_of(h, ID_A, &st) && st.reason[0] == '\0',
	      "a plain stop: \"%s\"", st.reason);
	pid = pid_of(dir, ID_A);
	CHECK(pid == 0, "no pidfile left");
	host_close(h, true);
}

/* Powered off from inside: STOPPED + halted, no restart until the
 * control plane moves the boot counter or stops it first. */
static void
test_guest_halt(void)
{
	char dir[TP];
	struct host_instance w =
	    want_of(ID_A, HOST_WANT_RUNNING, "fake.halt_ms=300");
	struct host_instance_status st;
	struct host *h = open_host("halt", 5000, dir);

	if (!h)
		return;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_STOPPED, 0, 1, 0);
	CHECK(status_of(h, ID_A, &st) && strstr(st.reason, "powered"),
	      "reason: %s", st.reason);
	apply1(h, &w);
	apply1(h, &w);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_STOPPED &&
		  spawns(dir, ID_A) == 1,
	      "not restarted on its own (%d spawns)", spawns(dir, ID_A));

	w.boot = 1; /* the control plane restarts it */
	apply1(h, &w);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_STARTING &&
		  !st.guest_halted && st.boot == 1,
	      "restarted for boot 1: %s", state_name(st.state));
	WAIT(h, ID_A, HOST_STOPPED, 0, 1, 1); /* and it halts again */

	w.want = HOST_WANT_STOPPED; /* stop, then start: restarts */
	apply1(h, &w);
	w.want = HOST_WANT_RUNNING;
	apply1(h, &w);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_STARTING,
	      "started after STOPPED then RUNNING: %s", state_name(st.state));
	WAIT(h, ID_A, HOST_STOPPED, 0, 1, 1);
	CHECK(spawns(dir, ID_A) == 3, "3 starts, got %d", spawns(dir, ID_A));
	w.want = HOST_WANT_GONE;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_ABSENT, -1, -1, -1);
	host_close(h, true);
}

/* QEMU dies: STOPPED with a reason, not halted, not restarted. */
static void
test_crash(void)
{
	char dir[TP];
	struct host_instance w =
	    want_of(ID_A, HOST_WANT_RUNNING, "fake.crash_ms=400");
	struct host_instance_status st;
	struct host *h = open_host("crash", 5000, dir);

	if (!h)
		return;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, -1, 0, 0);
	WAIT(h, ID_A, HOST_STOPPED, 0, 0, 0);
	CHECK(status_of(h, ID_A, &st) && strstr(st.reason, "status 3"),
	      "crash reason: %s", st.reason);
	apply1(h, &w);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_STOPPED &&
		  spawns(dir, ID_A) == 1,
	      "a crashed QEMU is not restarted");
	host_close(h, true);
}

/* Wait until id's impaired reason does (want) or does not contain text. */
static bool
wait_impaired(struct host *h, const char *id, const char *text, bool want)
{
	long long deadline = now_ms() + WAIT_MS;
	struct host_instance_status st;

	for (;;) {
		unsigned long seq = notify_seq();

		if (status_of(h, id, &st) && st.state == HOST_RUNNING &&
		    (strstr(st.impaired, text) != NULL) == want)
			return true;
		if (now_ms() >= deadline)
			return false;
		wait_notify(seq, 50);
	}
}

/* A guest paused on a full disk: RUNNING and impaired with why; with no
 * room (a reserve no disk has) it stays so and a stop quits it at once
 * (no ACPI grace: it cannot hear the button); with room it is resumed
 * (QMP cont) and no longer impaired. */
static void
test_io_error(void)
{
	char dir[TP], log[PATH_MAX], *text;
	struct host_instance w =
	    want_of(ID_A, HOST_WANT_RUNNING, "fake.io_error_ms=300");
	struct host_instance_status st;
	struct host *h;
	long long t0;

	h = open_host_reserve("ioerr-full", 20000, dir, "16000000T");
	if (!h)
		return;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, -1, 0, 0);
	CHECK(wait_impaired(h, ID_A, "No space left on device", true),
	      "impaired with the reason");
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_RUNNING &&
		  strstr(st.impaired, "disk root: write failed"),
	      "still running, impaired: \"%s\"", st.impaired);
	w.want = HOST_WANT_STOPPED;
	t0 = now_ms();
	apply1(h, &w);
	WAIT(h, ID_A, HOST_STOPPED, 0, 0, 0);
	CHECK(now_ms() - t0 < 10000, "a paused guest is quit, not waited for");
	CHECK(status_of(h, ID_A, &st) && !st.impaired[0],
	      "stopped: not impaired");
	snprintf(log, sizeof(log), "%s/fake-spawns.log", dir);
	text = read_file(log);
	CHECK(text && !strstr(text, "cont "), "no room: never resumed");
	free(text);
	host_close(h, true);

	h = open_host_reserve("ioerr-room", 5000, dir, "0");
	if (!h)
		return;
	w.want = HOST_WANT_RUNNING;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, -1, 0, 0);
	snprintf(log, sizeof(log), "%s/fake-spawns.log", dir);
	for (t0 = now_ms(); now_ms() - t0 < WAIT_MS;) {
		unsigned long seq = notify_seq();

		text = read_file(log);
		if (text && strstr(text, "cont guest=" ID_A))
			break;
		free(text);
		text = NULL;
		wait_notify(seq, 50);
	}
	CHECK(text != NULL, "room: resumed with cont");
	free(text);
	CHECK(wait_impaired(h, ID_A, "No space", false), "no longer impaired");
	host_close(h, true);
}

/* Start failures: FAILED with a reason, synchronously where possible. */
static void
test_failures(void)
{
	char dir[TP], bad_qemu[TP];
	struct host_instance a = want_of(ID_A, HOST_WANT_RUNNING, "");
	struct host_instance b = want_of(ID_B, HOST_WANT_RUNNING, "");
	struct host_instance c =
	    want_of(ID_C, HOST_WANT_RUNNING, "fake.exit_early");
	struct host_instance_status st;
	struct host_config cfg = {.accel = ACCEL_TCG};
	struct err e = {"", ""};
	struct host *h = open_host("fail", 5000, dir), *h2 = NULL;

	if (!h)
		return;
	snprintf(a.kernel, sizeof(a.kernel), "%s/no-such-kernel", tmp);
	snprintf(b.base_disk, sizeof(b.base_disk), "%s/no-such-disk", tmp);
	apply1(h, &a);
	apply1(h, &b);
	apply1(h, &c);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_FAILED &&
		  strstr(st.reason, "kernel") && strstr(st.reason, "no-such"),
	      "bad kernel: %s %s", state_name(st.state), st.reason);
	CHECK(status_of(h, ID_B, &st) && st.state == HOST_FAILED &&
		  strstr(st.reason, "no-such-disk"),
	      "bad base disk: %s", st.reason);
	WAIT(h, ID_C, HOST_FAILED, 0, 0, -1);
	CHECK(status_of(h, ID_C, &st) &&
		  strstr(st.reason, "fake failure requested") &&
		  strstr(st.reason, "status 1"),
	      "QEMU exits at once: %s", st.reason);
	apply1(h, &c);
	CHECK(spawns(dir, ID_C) == 1, "FAILED is not retried (%d)",
	      spawns(dir, ID_C));
	c.want = HOST_WANT_GONE;
	apply1(h, &c);
	WAIT(h, ID_C, HOST_ABSENT, -1, -1, -1);
	host_close(h, true);

	/* An unrunnable QEMU binary: the exec error comes back. */
	path_join(bad_qemu, tmp, "bad-qemu");
	write_file(bad_qemu, "not a program\n");
	chmod(bad_qemu, 0755);
	path_join(cfg.state_dir, tmp, "fail2");
	snprintf(cfg.qemu, sizeof(cfg.qemu), "%s", bad_qemu);
	snprintf(cfg.qemu_img, sizeof(cfg.qemu_img), "%s", fake_img);
	CHECK(host_open(&cfg, &h2, &e) == 0, "host_open: %s", e.message);
	if (!h2)
		return;
	apply1(h2, &a);
	a = want_of(ID_A, HOST_WANT_RUNNING, "");
	apply1(h2, &a); /* same boot: still FAILED, no retry */
	CHECK(status_of(h2, ID_A, &st) && st.state == HOST_FAILED &&
		  strstr(st.reason, "kernel"),
	      "not retried: %s", st.reason);
	a.boot = 1; /* a new boot: tried again */
	apply1(h2, &a);
	CHECK(status_of(h2, ID_A, &st) && st.state == HOST_FAILED &&
		  strstr(st.reason, "cannot run") &&
		  strstr(st.reason, "Exec format error"),
	      "exec failure: %s", st.reason);
	host_close(h2, true);

	/* A config the host cannot use. */
	cfg.accel = ACCEL_AUTO;
	CHECK(host_open(&cfg, &h2, &e) < 0 && strstr(e.message, "accel"),
	      "ACCEL_AUTO refused: %s", e.message);
}

/* A second host on the same folder keeps what the first left running. */
/*
 * A child of this test, waiting, recorded as instance id's QEMU in its
 * pidfile with its start time (plus skew) and a root disk: what a crash
 * between launch.c's record_pid and the exec leaves.
 */
static pid_t
pidfile_child(const char *dir, const char *id, unsigned long long skew)
{
	char p[PATH_MAX], text[64];
	unsigned long long start = 0;
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (pid < 0 || spawn_proc_start(pid, &start) < 0)
		return -1;
	inst_file(p, dir, id, "");
	mkdir(p, 0750);
	inst_file(p, dir, id, "root.qcow2");
	write_file(p, "disk");
	inst_file(p, dir, id, "qemu.pid");
	snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start + skew);
	write_file(p, text);
	return pid;
}

static void
test_adoption(void)
{
	char dir[TP], p[PATH_MAX], text[64];
	struct host_instance w[2] = {
	    want_of(ID_A, HOST_WANT_RUNNING, ""),
	    want_of(ID_B, HOST_WANT_RUNNING, ""),
	};
	struct host_instance_status st;
	struct host *h = open_host("adopt", 5000, dir);
	pid_t pa, held, other;
	int status = 0;

	if (!h)
		return;
	w[0].boot = 2;
	host_apply(h, w, 2);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 2);
	WAIT(h, ID_B, HOST_RUNNING, 1, 0, 0);
	w[1].want = HOST_WANT_STOPPED;
	host_apply(h, w, 2);
	WAIT(h, ID_B, HOST_STOPPED, 0, 0, -1);
	pa = pid_of(dir, ID_A);
	host_close(h, false);
	CHECK(kill(pa, 0) == 0, "QEMU left running by host_close(false)");

	/* A dead QEMU's leftovers: a pidfile naming a process that is not
	 * its QEMU (this test), a socket file. */
	inst_file(p, dir, ID_C, "");
	mkdir(p, 0750);
	inst_file(p, dir, ID_C, "root.qcow2");
	write_file(p, "disk");
	inst_file(p, dir, ID_C, "qemu.pid");
	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	write_file(p, text);
	inst_file(p, dir, ID_C, "qmp.sock");
	write_file(p, "");
	/* A launch that died between recording its QEMU and the exec: the
	 * pidfile names the process, start time and all, but it never
	 * became a QEMU. It goes. Another with a start time that is not
	 * its process's is someone else's: left alone. */
	held = pidfile_child(dir, ID_E, 0);
	other = pidfile_child(dir, ID_F, 1);
	/* A root disk kept after termination is not an instance. */
	inst_file(p, dir, ID_D, "");
	mkdir(p, 0750);
	inst_file(p, dir, ID_D, "root.qcow2");
	write_file(p, "disk");
	inst_file(p, dir, ID_D, "terminated");
	write_file(p, "");

	h = open_host("adopt", 5000, dir);
	if (!h)
		return;
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_RUNNING &&
		  st.guest_ready && st.boot == 2,
	      "adopted RUNNING, ready, boot 2 at once: %s ready=%d boot=%u",
	      state_name(st.state), st.guest_ready, st.boot);
	CHECK(status_of(h, ID_B, &st) && st.state == HOST_STOPPED,
	      "stopped one is STOPPED");
	CHECK(status_of(h, ID_C, &st) && st.state == HOST_STOPPED,
	      "stale pidfile: STOPPED");
	CHECK(!exists(dir, ID_C, "qemu.pid") && !exists(dir, ID_C, "qmp.sock"),
	      "stale pidfile and socket removed");
	CHECK(!status_of(h, ID_D, &st), "terminated root disk not adopted");
	CHECK(held > 0 && waitpid(held, &status, 0) == held &&
		  WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "a recorded process that never exec'd QEMU is killed");
	CHECK(status_of(h, ID_E, &st) && st.state == HOST_STOPPED &&
		  !exists(dir, ID_E, "qemu.pid"),
	      "its instance: STOPPED, no pidfile");
	CHECK(other > 0 && kill(other, 0) == 0,
	      "a process with another start time is left alone");
	if (other > 0) {
		kill(other, SIGKILL);
		waitpid(other, NULL, 0);
	}
	/* The control plane's wants, unchanged: nothing restarts. */
	w[1].want = HOST_WANT_STOPPED;
	host_apply(h, w, 2);
	CHECK(status_of(h, ID_A, &st) && st.state == HOST_RUNNING &&
		  spawns(dir, ID_A) == 1 && pid_of(dir, ID_A) == pa,
	      "no new QEMU for the adopted one");
	CHECK(
	    wait_for(h, ID_A, (struct expect){HOST_RUNNING, 1, 0, 2}, 10, NULL),
	    "still running");

	/* The adopted QEMU dies. */
	kill(pa, SIGKILL);
	WAIT(h, ID_A, HOST_STOPPED, 0, 0, 2);
	CHECK(status_of(h, ID_A, &st) && st.reason[0], "died: %s", st.reason);
	CHECK(process_gone(pa), "and was reaped");
	host_close(h, true);
}

/* GONE with keep_root: only the root disk stays, marked terminated. */
static void
test_keep_root(void)
{
	char dir[TP], p[PATH_MAX];
	struct host_instance w = want_of(ID_A, HOST_WANT_RUNNING, "");
	struct host *h = open_host("keep", 5000, dir);
	struct dirent *de;
	int files = 0;
	DIR *d;

	if (!h)
		return;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	w.want = HOST_WANT_GONE;
	w.keep_root = true;
	apply1(h, &w);
	WAIT(h, ID_A, HOST_ABSENT, -1, -1, -1);
	inst_file(p, dir, ID_A, "");
	d = opendir(p);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			files++;
	if (d)
		closedir(d);
	CHECK(files == 2 && exists(dir, ID_A, "root.qcow2") &&
		  exists(dir, ID_A, "terminated"),
	      "root kept alone (%d files)", files);
	host_close(h, true);
}

static void
test_console(void)
{
	char dir[TP], buf[4096];
	struct host_instance w = want_of(ID_A, HOST_WANT_RUNNING, "");
	struct host *h = open_host("console", 5000, dir);
	struct host_console_tail *tail;
	size_t len = 99;
	pid_t pid;

	if (!h)
		return;
	CHECK(host_console(h, ID_A, buf, sizeof(buf), &len) == -ENOENT,
	      "unknown instance");
	CHECK(host_console(h, "../../etc", buf, sizeof(buf), &len) == -EINVAL,
	      "bad id");
	apply1(h, &w);
	WAIT(h, ID_A, HOST_RUNNING, 1, 0, 0);
	CHECK(host_console(h, ID_A, buf, sizeof(buf), &len) == 0 && len > 0 &&
		  memmem(buf, len, "ec2d-init: ready", 16),
	      "console tail");
	CHECK(host_console(h, ID_A, buf, 8, &len) == 0 && len == 8 &&
		  memcmp(buf + 1, "ready\r\n", 7) == 0,
	      "bounded tail, the last 8 bytes: %.*s", (int)len, buf);
	tail = malloc(sizeof(*tail));
	CHECK(tail && host_console_tail(h, ID_A, tail) == 0 &&
		  strcmp(tail->id, ID_A) == 0 && tail->len > 0 &&
		  memmem(tail->data, tail->len, "ec2d-init: ready", 16),
	      "host_console_tail: the same tail as data");
	CHECK(tail && host_console_tail(h, ID_B, tail) == -ENOENT &&
		  tail->len == 0,
	      "host_console_tail of an unknown instance");
	free(tail);
	pid = pid_of(dir, ID_A);
	host_close(h, true); /* stop_guests: nothing left running */
	CHECK(process_gone(pid), "host_close(true) stopped QEMU");
}

/* ---- acceleration and QEMU's user, as data ---- */

static void
test_accel(void)
{
	struct host_accel_ask ask = {.mode = ACCEL_KVM};
	struct host_accel a;
	enum accel_mode m = ACCEL_KVM;

	host_accel_decide(&ask, &a);
	CHECK(a.accel == ACCEL_KVM && a.probe_ms == -1 &&
		  strcmp(a.reason, "configured") == 0,
	      "configured kvm: %d %s", (int)a.accel, a.reason);
	ask.mode = ACCEL_TCG;
	host_accel_decide(&ask, &a);
	CHECK(a.accel == ACCEL_TCG && a.probe_ms == -1, "configured tcg");
	/* auto without a probe guest: TCG, and why. */
	ask.mode = ACCEL_AUTO;
	snprintf(ask.qemu, sizeof(ask.qemu), "%s", fake_qemu);
	snprintf(ask.probe_kernel, sizeof(ask.probe_kernel), "%s", kernel);
	path_join(ask.probe_initrd, tmp, "no-probe.img");
	host_accel_decide(&ask, &a);
	CHECK(a.accel == ACCEL_TCG && a.probe_ms == -1 &&
		  strstr(a.reason, "no probe guest at") &&
		  strstr(a.reason, "no-probe.img"),
	      "auto without a probe guest: %d %s", (int)a.accel, a.reason);
	CHECK(host_accel_parse("tcg", &m) == 0 && m == ACCEL_TCG, "parse tcg");
	CHECK(host_accel_parse("fast", &m) < 0 && m == ACCEL_TCG,
	      "parse refuses, leaves the mode");
}

static void
test_user(void)
{
	struct host_user_ask ask = {.name = "root"};
	struct host_user u;
	struct err e = {"", ""};
	char locked[TP];

	snprintf(ask.reach, sizeof(ask.reach), "%s", tmp);
	CHECK(host_user_resolve(&ask, &u, &e) == 0 && u.uid == 0 &&
		  u.gid == 0 && strcmp(u.name, "root") == 0,
	      "root: %s", e.message);
	ask.name[0] = '\0';
	CHECK(host_user_resolve(&ask, &u, &e) == 0 && u.uid == 0,
	      "\"\" is root: %s", e.message);
	snprintf(ask.name, sizeof(ask.name), "ec2d-no-such-user");
	CHECK(host_user_resolve(&ask, &u, &e) < 0 &&
		  strstr(e.message, "no user 'ec2d-no-such-user'"),
	      "unknown user: %s", e.message);
	if (getuid() != 0)
		return; /* the reach check needs a user other than us */
	snprintf(ask.name, sizeof(ask.name), "nobody");
	snprintf(ask.reach, sizeof(ask.reach), "/");
	e = (struct err){"", ""};
	CHECK(host_user_resolve(&ask, &u, &e) == 0 && u.uid != 0 &&
		  strcmp(u.name, "nobody") == 0,
	      "nobody reaches /: %s", e.message);
	path_join(locked, tmp, "locked");
	mkdir(locked, 0700);
	path_join(ask.reach, locked, "data");
	mkdir(ask.reach, 0755);
	CHECK(host_user_resolve(&ask, &u, &e) < 0 &&
		  strstr(e.message, "cannot reach the data directory") &&
		  strstr(e.message, "(mode 700) cannot be searched"),
	      "a folder nobody cannot search: %s", e.message);
	rmdir(ask.reach);
	rmdir(locked);
}

/* ---- setup ---- */

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n++;
	if (d)
		closedir(d);
	return n;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* tests/host/NAME, absolute (QEMU's path must be), from tests/unit or
 * from the top of the repository. */
static bool
find_tool(char *out, const char *name)
{
	static const char *const dirs[] = {"../host", "tests/host"};
	char p[TP], *real;

	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dirs[i], name);
		real = realpath(p, NULL);
		if (real && strlen(real) < TP) {
			snprintf(out, TP, "%s", real);
			free(real);
			return true;
		}
		free(real);
	}
	return false;
}

int
main(void)
{
	int fds_before;

	signal(SIGPIPE, SIG_IGN);
	if (!find_tool(fake_qemu, "fake-qemu") ||
	    !find_tool(fake_img, "fake-qemu-img")) {
		fprintf(stderr, "tests/host/fake-qemu not found\n");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/ec2d-test-host-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	path_join(kernel, tmp, "vmlinux");
	path_join(base, tmp, "base.qcow2");
	write_file(kernel, "kernel");
	write_file(base, "base");
	fds_before = count_fds();

	test_lifecycle();
	test_ready_per_boot();
	test_guest_reboot();
	test_force_stop();
	test_stop_timeout();
	test_stop_while_starting();
	test_guest_halt();
	test_crash();
	test_io_error();
	test_failures();
	test_adoption();
	test_keep_root();
	test_console();
	test_accel();
	test_user();

	CHECK(count_fds() == fds_before, "fds: %d before, %d after", fds_before,
	      count_fds());
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	      "no child process left (zombie or alive)");
	CHECK(notify_seq() > 0, "notify callback called");
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_DONE();
}

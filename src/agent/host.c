/*
 * host.c - one hypervisor host: QEMU guests made to match the control
 * plane's wants. See host.h for the contract.
 *
 * Owns a table of instances, one worker thread and one mutex. Each
 * instance is reconciled by inst_step(), run by whichever thread marked it
 * `busy` under the mutex: host_apply() for a start or a removal (so the
 * control plane sees STARTING or FAILED at once), the worker for the rest.
 * A running QEMU is a struct vm (vm.c: QMP, exit, stop, reboot, console);
 * starting one is launch.c's; the files are instdir.c's. Here: which of
 * those to do, the state the control plane sees, and when to look again.
 * Slow work (qemu-img, fork, QMP) runs with the mutex released:
 * host_observe() only ever waits for a copy.
 *
 * Fields of struct inst:
 *   - the wants (want .. kick): written by host_apply() under the mutex,
 *     read by the busy thread under it; `hold` also by the busy thread;
 *   - the observed state (state .. pid): written by the busy thread under
 *     the mutex; read by it freely and by everyone else under the mutex;
 *   - due_ms and vm: the busy thread's alone; the worker reads them for
 *     idle instances only, under the mutex, to build its poll().
 *
 * The worker polls an eventfd (host_apply and host_close wake it) and each
 * idle QEMU's pidfd and QMP socket, with a timeout at the earliest due_ms.
 *
 * At host_open(): each instance folder's QEMU is adopted when its
 * pidfile names a live process with the recorded start time that runs
 * guest=ID; one recorded but never exec'd (the agent died in launch.c's
 * record_pid window) is killed; then every other process in an instance
 * cgroup, and every guest in the host's namespace, that no folder
 * accounts for is killed (reclaim_orphans), before any launch.
 *
 * The no-restart hold: a QEMU that ended without being asked (the guest
 * powered off, QEMU crashed, or never started) is not started again while
 * the want stays RUNNING with the same boot counter; the control plane
 * decides (StopInstances, TerminateInstances, or a new boot).
 */
#include "agent/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cgroup.h"
#include "agent/compute/accel.h"
#include "agent/instdir.h"
#include "agent/launch.h"
#include "agent/perm.h"
#include "agent/spawn.h"
#include "agent/vm.h"
#include "common/clock.h"
#include "common/diskfree.h"
#include "common/fault.h"
#include "common/log.h"

#define RETRY_MS		1000 /* a failed removal */
#define CGROUP_ROOT		"/sys/fs/cgroup"
#define STOP_TIMEOUT_DEFAULT_MS 30000
#define CLOSE_SLACK_MS		5000
#define FOREVER			LLONG_MAX

struct inst {
	unsigned long serial; /* poll-set key; never reused */
	char id[32];
	char dir[INSTDIR_PATH_MAX];

	/* Wants. */
	struct host_instance want;
	bool has_want;	    /* adopted and not yet in any apply: false */
	bool listed;	    /* in the last host_apply() */
	bool hold;	    /* no restart while the want ... */
	unsigned hold_boot; /* ... keeps this boot counter */
	bool kick;	    /* the worker should look at it now */
	bool busy;	    /* a thread works on it unlocked */

	/* Observed. */
	enum host_instance_state state;
	time_t since;
	char reason[256];
	unsigned boot;
	bool ready;
	bool halted;
	char impaired[160]; /* vm.io_reason while it is io_paused */
	pid_t pid;	    /* 0: no QEMU */

	/* The busy thread's. */
	long long due_ms; /* next look by the worker */
	struct vm vm;
};

struct host {
	struct host_config cfg;
	struct disk_reserve reserve; /* cfg.disk_reserve */
	struct cgroups *cg;
	char inst_root[INSTDIR_PATH_MAX];
	pthread_mutex_t mu;
	pthread_cond_t round_done; /* the worker finished a round */
	struct inst **v;
	size_t n, cap;
	unsigned long next_serial;
	int wake_fd;
	pthread_t worker;
	bool worker_running;
	bool quit;
	bool changed; /* since the last notify */
	void (*notify)(void *ctx);
	void *notify_ctx;
};

static long long
min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

static void
lock(struct host *h)
{
	pthread_mutex_lock(&h->mu);
}

static void
unlock(struct host *h)
{
	pthread_mutex_unlock(&h->mu);
}

static void
wake_worker(struct host *h)
{
	uint64_t one = 1;

	if (write(h->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARN, "host: cannot wake the worker", "errno=%d",
			errno);
}

/* Call the notify callback if something changed; mutex held, dropped
 * around the call (the callback may observe). */
static void
notify_locked(struct host *h)
{
	void (*fn)(void *) = h->notify;
	void *ctx = h->notify_ctx;

	if (!h->changed || !fn)
		return;
	h->changed = false;
	unlock(h);
	fn(ctx);
	lock(h);
}

/* Mutex held. reason NULL keeps the current one. */
static void
set_state(struct host *h, struct inst *in, enum host_instance_state s,
	  const char *reason)
{
	if (in->state != s) {
		in->state = s;
		in->since = time(NULL);
	}
	if (reason)
		snprintf(in->reason, sizeof(in->reason), "%s", reason);
	h->changed = true;
}

/* ---- the table ---- */

static struct inst *
inst_find(struct host *h, const char *id)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->v[i]->id, id) == 0)
			return h->v[i];
	return NULL;
}

static struct inst *
inst_new(struct host *h, const char *id)
{
	struct inst *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	if (instdir_file(in->dir, sizeof(in->dir), h->inst_root, id)) {
		free(in);
		return NULL;
	}
	snprintf(in->id, sizeof(in->id), "%.31s", id);
	in->serial = ++h->next_serial;
	in->state = HOST_ABSENT;
	in->since = time(NULL);
	in->due_ms = FOREVER;
	vm_init(&in->vm, in->id, in->dir);
	return in;
}

/* Mutex held (or no worker yet). */
static int
inst_add(struct host *h, struct inst *in)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct inst **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = in;
	return 0;
}

/* A QEMU still running is left to run. */
static void
inst_free(struct inst *in)
{
	if (!in)
		return;
	vm_release(&in->vm);
	free(in);
}

/* ---- with no QEMU: start, remove, settle ---- */

/* Mutex held: would inst_idle() do anything? */
static bool
idle_work(const struct inst *in)
{
	const struct host_instance *w = &in->want;

	if (in->pid || !in->has_want)
		return false;
	switch (w->want) {
	case HOST_WANT_RUNNING:
		return !in->hold && in->state != HOST_STARTING &&
		       in->state != HOST_RUNNING;
	case HOST_WANT_STOPPED:
		return in->state == HOST_FAILED;
	case HOST_WANT_GONE:
		return in->state != HOST_ABSENT;
	}
	return false;
}

static void
inst_start(struct host *h, struct inst *in, const struct host_instance *w)
{
	struct launch_ctx l = {&h->cfg, in->id, in->dir, h->cg};
	char reason[256];
	long long console = 0;
	pid_t pid;
	int rc;

	rc = launch_qemu(&l, w, &pid, &console, reason, sizeof(reason));
	if (rc) {
		log_msg(LOG_WARN, "instance failed to start",
			"instance=%s reason=\"%s\"", in->id, reason);
		lock(h);
		in->hold = true;
		in->hold_boot = w->boot;
		in->ready = in->halted = false;
		set_state(h, in, HOST_FAILED, reason);
		unlock(h);
		return;
	}
	vm_start(&in->vm, pid, w->boot, console);
	log_msg(LOG_INFO, "instance started", "instance=%s pid=%d boot=%u",
		in->id, (int)pid, w->boot);
	lock(h);
	in->pid = pid;
	in->boot = w->boot;
	in->ready = in->halted = false;
	set_state(h, in, HOST_STARTING, "");
	unlock(h);
}

static void
inst_remove(struct host *h, struct inst *in, bool keep_root)
{
	char reason[128];
	int rc = instdir_remove(in->dir, keep_root);

	fault_point("host.after-remove-files");
	cgroup_remove(h->cg, in->id);
	if (rc == 0)
		log_msg(LOG_INFO, "instance removed",
			"instance=%s keep_root=%d", in->id, (int)keep_root);
	else
		in->due_ms = clock_now_ms() + RETRY_MS;
	snprintf(reason, sizeof(reason), "cannot remove files: %s",
		 strerror(-rc));
	lock(h);
	if (rc == 0)
		set_state(h, in, HOST_ABSENT, "");
	else
		set_state(h, in, in->state, reason);
	unlock(h);
}

/* No QEMU runs: make the files match the want. Busy thread. */
static void
inst_idle(struct host *h, struct inst *in)
{
	struct host_instance w;
	bool work, root;

	lock(h);
	work = idle_work(in);
	w = in->want;
	unlock(h);
	if (!work)
		return;
	if (w.want == HOST_WANT_RUNNING) {
		inst_start(h, in, &w);
	} else if (w.want == HOST_WANT_GONE) {
		inst_remove(h, in, w.keep_root);
	} else {
		root = instdir_exists(in->dir, INSTDIR_ROOT);
		lock(h);
		set_state(h, in, root ? HOST_STOPPED : HOST_ABSENT, NULL);
		unlock(h);
	}
}

/* ---- with a QEMU ---- */

/* Mutex held: what the vm should do for the want. */
static struct vm_goal
goal_of(const struct host *h, const struct inst *in)
{
	struct vm_goal g = {
	    .boot = in->vm.boot, /* no want yet: no reboot */
	    .stop_timeout_ms = h->cfg.stop_timeout_ms,
	};

	if (in->has_want) {
		g.stop = in->want.want != HOST_WANT_RUNNING;
		g.force = g.stop && in->want.force_stop;
		g.boot = in->want.boot;
	}
	return g;
}

/* Mutex held: the vm's news, for observers. */
static void
publish(struct host *h, struct inst *in)
{
	enum host_instance_state s = HOST_STARTING;
	const char *why;

	if (in->vm.phase == VM_RUNNING)
		s = HOST_RUNNING;
	else if (in->vm.phase == VM_STOPPING)
		s = HOST_STOPPING;
	if (s != in->state)
		set_state(h, in, s, "");
	if (in->ready != in->vm.ready || in->boot != in->vm.boot) {
		in->ready = in->vm.ready;
		in->boot = in->vm.boot;
		h->changed = true;
	}
	why = in->vm.io_paused ? in->vm.io_reason : "";
	if (strcmp(in->impaired, why) != 0) {
		snprintf(in->impaired, sizeof(in->impaired), "%s", why);
		h->changed = true;
	}
}

/* Room again for a guest paused on a full disk? One statvfs(). */
static bool
space_ok(const struct host *h)
{
	return !diskfree_short(h->cfg.state_dir, &h->reserve, NULL, NULL);
}

/*
 * QEMU is gone: stopped as asked; the guest powered itself off (halted);
 * it never ran (FAILED); it died. All but the first hold a RUNNING want.
 */
static void
inst_ended(struct host *h, struct inst *in)
{
	enum host_instance_state s = HOST_STOPPED;
	bool root;

	fault_point("host.after-reap");
	instdir_remove_store(in->dir); /* EC2: instance store lost on stop */
	cgroup_remove(h->cg, in->id);  /* QEMU is reaped: it is empty */
	root = instdir_exists(in->dir, INSTDIR_ROOT);
	if (in->vm.end == VM_END_FAILED)
		s = HOST_FAILED;
	else if (!root)
		s = HOST_ABSENT;
	lock(h);
	in->pid = 0;
	in->ready = false;
	in->impaired[0] = '\0';
	in->halted = in->vm.end == VM_END_HALTED;
	if (in->vm.end != VM_END_ASKED && in->has_want &&
	    in->want.want == HOST_WANT_RUNNING) {
		in->hold = true;
		in->hold_boot = in->want.boot;
	}
	set_state(h, in, s, in->vm.end_reason);
	unlock(h);
}

/* Reconcile one instance. The caller marked it busy; mutex not held. */
static void
inst_step(struct host *h, struct inst *in)
{
	long long now = clock_now_ms();
	struct vm_goal g;

	in->due_ms = FOREVER;
	if (in->vm.phase != VM_ENDED) {
		lock(h);
		g = goal_of(h, in);
		unlock(h);
		g.space_ok = in->vm.io_paused && space_ok(h);
		in->due_ms = vm_step(&in->vm, &g, now);
		if (in->vm.phase == VM_ENDED) {
			inst_ended(h, in);
		} else {
			lock(h);
			publish(h, in);
			unlock(h);
		}
	}
	if (in->vm.phase == VM_ENDED)
		inst_idle(h, in);
	if (in->due_ms <= now)
		in->due_ms = now + 1;
}

/* ---- the worker ---- */

struct poll_set {
	struct pollfd *fds;
	unsigned long *serials;
	size_t n, cap;
};

static int
poll_add(struct poll_set *ps, int fd, unsigned long serial)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 32;
		struct pollfd *f = realloc(ps->fds, cap * sizeof(*f));
		unsigned long *s;

		if (!f)
			return -ENOMEM;
		ps->fds = f;
		s = realloc(ps->serials, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		ps->serials = s;
		ps->cap = cap;
	}
	ps->fds[ps->n] = (struct pollfd){.fd = fd, .events = POLLIN};
	ps->serials[ps->n++] = serial;
	return 0;
}

/* Mutex held: the fds of idle instances and the earliest deadline. */
static int
poll_build(struct host *h, struct poll_set *ps, long long now)
{
	long long due = FOREVER;

	ps->n = 0;
	poll_add(ps, h->wake_fd, 0);
	for (size_t i = 0; i < h->n; i++) {
		struct inst *in = h->v[i];
		int fds[2], n;

		if (in->busy)
			continue;
		n = vm_fds(&in->vm, fds);
		for (int k = 0; k < n; k++)
			poll_add(ps, fds[k], in->serial);
		due = min_ll(due, in->due_ms);
	}
	if (due == FOREVER)
		return -1;
	return due <= now ? 0 : (int)min_ll(due - now, 60000);
}

/* Mutex held: kick the instances whose fds turned readable. */
static void
poll_kick(struct host *h, const struct poll_set *ps)
{
	uint64_t count;

	if (ps->n && ps->fds[0].revents &&
	    read(h->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARN, "host: wake read failed", "errno=%d", errno);
	for (size_t k = 1; k < ps->n; k++) {
		if (!ps->fds[k].revents)
			continue;
		for (size_t i = 0; i < h->n; i++)
			if (h->v[i]->serial == ps->serials[k])
				h->v[i]->kick = true;
	}
}

/* Mutex held: mark what is due busy, into jobs (h->n slots). */
static size_t
take_jobs(struct host *h, struct inst **jobs, long long now)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n; i++) {
		struct inst *in = h->v[i];

		if (in->busy || (!in->kick && in->due_ms > now))
			continue;
		in->busy = true;
		in->kick = false;
		jobs[n++] = in;
	}
	return n;
}

static void *
worker_main(void *arg)
{
	struct host *h = arg;
	struct poll_set ps = {0};
	struct inst **jobs = NULL;
	size_t jobs_cap = 0;

	lock(h);
	while (!h->quit) {
		size_t n = 0;
		int timeout;

		if (jobs_cap < h->n) {
			struct inst **j = realloc(jobs, h->cap * sizeof(*j));

			if (j) {
				jobs = j;
				jobs_cap = h->cap;
			}
		}
		if (jobs_cap >= h->n)
			n = take_jobs(h, jobs, clock_now_ms());
		if (n) {
			unlock(h);
			for (size_t i = 0; i < n; i++)
				inst_step(h, jobs[i]);
			lock(h);
			for (size_t i = 0; i < n; i++)
				jobs[i]->busy = false;
			pthread_cond_broadcast(&h->round_done);
			notify_locked(h);
			continue;
		}
		pthread_cond_broadcast(&h->round_done);
		timeout = poll_build(h, &ps, clock_now_ms());
		unlock(h);
		if (poll(ps.fds, ps.n, timeout) < 0 && errno != EINTR)
			poll(NULL, 0, 100); /* ENOMEM: breathe, retry */
		lock(h);
		poll_kick(h, &ps);
	}
	unlock(h);
	free(ps.fds);
	free(ps.serials);
	free(jobs);
	return NULL;
}

/* ---- adoption ---- */

/*
 * Kill a process that is no instance's QEMU any more (its group: QEMU
 * leads one) and wait, bounded, until it is gone: the tap and the disks
 * it holds are free when this returns.
 */
static void
reclaim_pid(pid_t pid, const char *id, const char *why)
{
	int pidfd = spawn_pidfd_open(pid);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	log_msg(LOG_WARN, "process reclaimed",
		"instance=%s pid=%d reason=\"%s\"", id, (int)pid, why);
	if (getpgid(pid) == pid)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	if (pidfd >= 0) {
		if (poll(&p, 1, SPAWN_REAP_MS) <= 0)
			log_msg(LOG_WARN, "process survives SIGKILL",
				"instance=%s pid=%d", id, (int)pid);
		close(pidfd);
	}
}

enum pid_kind {
	PID_NONE, /* no such process (or another one got the pid) */
	PID_QEMU, /* the instance's QEMU */
	PID_HELD, /* started by a launch, never exec'd: not a QEMU */
};

/* What the process of a pidfile is (launch.c writes it before exec). */
static enum pid_kind
pid_kind(pid_t pid, unsigned long long start, const char *id)
{
	unsigned long long now;
	char opt[48];

	snprintf(opt, sizeof(opt), "guest=%s", id);
	if (spawn_proc_start(pid, &now) < 0 || (start && now != start))
		return PID_NONE;
	if (spawn_cmdline_has(pid, opt))
		return PID_QEMU;
	/* A pidfile without a start time (an older agent): not ours. */
	return start ? PID_HELD : PID_NONE;
}

/* One folder under instances/ at host_open(). No worker runs yet. */
static void
adopt_dir(struct host *h, const char *id)
{
	struct inst *in;
	long long console = 0;
	unsigned long long start = 0;
	enum pid_kind kind = PID_NONE;
	pid_t pid = 0;

	in = inst_new(h, id);
	if (!in)
		return;
	/* A root disk kept past termination: no instance any more. */
	if (instdir_exists(in->dir, INSTDIR_TERMINATED)) {
		inst_free(in);
		return;
	}
	if (instdir_read_state(in->dir, &in->boot, &console) < 0)
		console = 0;
	if (instdir_read_pid(in->dir, &pid, &start) == 0)
		kind = pid_kind(pid, start, in->id);
	/* The agent died between recording it and its exec. */
	if (kind == PID_HELD)
		reclaim_pid(pid, in->id, "launched, never ran");
	if (kind == PID_QEMU) {
		/* A QEMU from an earlier agent: kept as it runs. */
		vm_adopt(&in->vm, pid, in->boot, console);
		in->pid = pid;
		in->ready = in->vm.ready;
		in->state =
		    in->vm.phase == VM_RUNNING ? HOST_RUNNING : HOST_STARTING;
		in->due_ms = 0; /* the worker takes it from here */
	} else {
		instdir_remove_runtime(in->dir);
		in->state = instdir_exists(in->dir, INSTDIR_ROOT) ? HOST_STOPPED
								  : HOST_ABSENT;
	}
	if (inst_add(h, in) < 0)
		inst_free(in);
}

static int
adopt_all(struct host *h)
{
	DIR *d = opendir(h->inst_root);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (instdir_id_valid(de->d_name))
			adopt_dir(h, de->d_name);
	closedir(d);
	return 0;
}

/* Is pid the QEMU of an instance adopted? No worker runs yet. */
static bool
pid_adopted(const struct host *h, pid_t pid)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i]->pid == pid)
			return true;
	return false;
}

/* A process in an instance cgroup that is not its adopted QEMU. */
static void
reclaim_cgroup_proc(const char *id, pid_t pid, void *ctx)
{
	if (!pid_adopted(ctx, pid))
		reclaim_pid(pid, id, "in its cgroup, not its recorded QEMU");
}

/* Every QEMU in the host's network namespace that was not adopted. */
static void
reclaim_netns(struct host *h)
{
	char path[128], id[32];
	struct stat ns, st;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/run/netns/%s", h->cfg.netns);
	if (!h->cfg.netns[0] || stat(path, &ns) < 0 || !(d = opendir("/proc")))
		return;
	while ((de = readdir(d))) {
		long pid = strtol(de->d_name, NULL, 10);

		if (pid <= 1 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) < 0 || st.st_ino != ns.st_ino ||
		    st.st_dev != ns.st_dev ||
		    spawn_cmdline_value((pid_t)pid, "guest", id, sizeof(id)) ||
		    pid_adopted(h, (pid_t)pid))
			continue;
		reclaim_pid((pid_t)pid, id,
			    "in the host's namespace, no record");
	}
	closedir(d);
}

/*
 * After adoption: a QEMU of this host that no instance folder records
 * (in an instance cgroup, or a guest in the host's namespace) is killed,
 * and the cgroups left empty go. "A running instance has exactly one
 * QEMU" holds from the first host_apply() on.
 */
static void
reclaim_orphans(struct host *h)
{
	cgroup_each_proc(h->cg, reclaim_cgroup_proc, h);
	reclaim_netns(h);
	cgroup_sweep(h->cg);
}

/* ---- the interface ---- */

static int
check_config(const struct host_config *cfg, struct err *e)
{
	if (cfg->state_dir[0] != '/')
		return err_set(e, "InvalidParameterValue",
			       "host: state_dir must be an absolute path");
	if (cfg->qemu[0] != '/' || cfg->qemu_img[0] != '/')
		return err_set(
		    e, "InvalidParameterValue",
		    "host: qemu and qemu_img must be absolute paths");
	if (cfg->accel != ACCEL_KVM && cfg->accel != ACCEL_TCG)
		return err_set(e, "InvalidParameterValue",
			       "host: accel must be kvm or tcg (probe first)");
	if (strchr(cfg->netns, '/') || strcmp(cfg->netns, "..") == 0 ||
	    strcmp(cfg->netns, ".") == 0)
		return err_set(e, "InvalidParameterValue",
			       "host: bad network namespace name");
	return 0;
}

static void
host_free(struct host *h)
{
	for (size_t i = 0; i < h->n; i++)
		inst_free(h->v[i]);
	free(h->v);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	cgroup_close(h->cg);
	pthread_cond_destroy(&h->round_done);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

static int
host_init(struct host *h, const struct host_config *cfg, struct err *e)
{
	pthread_condattr_t ca;

	h->cfg = *cfg;
	if (!h->cfg.stop_timeout_ms)
		h->cfg.stop_timeout_ms = STOP_TIMEOUT_DEFAULT_MS;
	h->wake_fd = -1;
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->round_done, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->disk_reserve[0] &&
	    diskfree_parse(cfg->disk_reserve, &h->reserve) < 0)
		return err_set(e, "InvalidParameterValue",
			       "host: bad disk reserve '%s'",
			       cfg->disk_reserve);
	if (instdir_file(h->inst_root, sizeof(h->inst_root), cfg->state_dir,
			 "instances"))
		return err_set(e, "InvalidParameterValue",
			       "host: state_dir is too long");
	/* 0711: QEMU's user reaches its own folder, lists nobody's. */
	if ((mkdir(cfg->state_dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(h->inst_root, 0711) < 0 && errno != EEXIST))
		return err_set(e, "InternalError", "host: cannot create %s: %s",
			       h->inst_root, strerror(errno));
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wake_fd < 0)
		return err_set(e, "InternalError", "host: eventfd: %s",
			       strerror(errno));
	h->cg = cgroup_open(CGROUP_ROOT, cfg->cgroup);
	if (!h->cg)
		return err_set(e, "InternalError", "host: out of memory");
	if (adopt_all(h) < 0)
		return err_set(e, "InternalError", "host: cannot read %s: %s",
			       h->inst_root, strerror(errno));
	reclaim_orphans(h);
	return 0;
}

int
host_open(const struct host_config *cfg, struct host **ret, struct err *e)
{
	struct host *h;
	int rc;

	if (check_config(cfg, e))
		return -1;
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(e, "InternalError", "host: out of memory");
	if (host_init(h, cfg, e)) {
		host_free(h);
		return -1;
	}
	rc = pthread_create(&h->worker, NULL, worker_main, h);
	if (rc) {
		host_free(h);
		return err_set(e, "InternalError", "host: no worker thread: %s",
			       strerror(rc));
	}
	h->worker_running = true;
	log_msg(LOG_INFO, "host open", "host=%s instances=%zu accel=%s",
		cfg->id, h->n, accel_name(cfg->accel));
	*ret = h;
	return 0;
}

/* Mutex held: any QEMU left? */
static bool
any_qemu(const struct host *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i]->pid)
			return true;
	return false;
}

/* Power every guest off through the worker; bounded. Mutex held. */
static void
stop_all(struct host *h)
{
	long long deadline = clock_now_ms() + h->cfg.stop_timeout_ms +
			     VM_QUIT_GRACE_MS + CLOSE_SLACK_MS;
	struct timespec ts;

	for (size_t i = 0; i < h->n; i++) {
		struct inst *in = h->v[i];

		if (!in->pid)
			continue;
		if (!in->has_want)
			in->want = (struct host_instance){.boot = in->boot};
		if (in->want.want == HOST_WANT_RUNNING)
			in->want.want = HOST_WANT_STOPPED;
		in->has_want = true;
		in->kick = true;
	}
	wake_worker(h);
	while (any_qemu(h) && clock_now_ms() < deadline) {
		ts.tv_sec = deadline / 1000;
		ts.tv_nsec = (deadline % 1000) * 1000000;
		pthread_cond_timedwait(&h->round_done, &h->mu, &ts);
	}
}

void
host_close(struct host *h, bool stop_guests)
{
	if (!h)
		return;
	lock(h);
	if (stop_guests)
		stop_all(h);
	h->quit = true;
	unlock(h);
	wake_worker(h);
	if (h->worker_running)
		pthread_join(h->worker, NULL);
	for (size_t i = 0; stop_guests && i < h->n; i++) {
		struct inst *in = h->v[i];

		if (!in->pid)
			continue;
		/* It outlived every deadline: no QEMU is left behind. */
		log_msg(LOG_WARN, "instance killed at close", "instance=%s",
			in->id);
		vm_kill(&in->vm);
	}
	if (stop_guests) /* no QEMU is left in them */
		cgroup_destroy(h->cg);
	host_free(h);
}

/* Mutex held: take a want; a new one may lift the no-restart hold. */
static void
take_want(struct inst *in, const struct host_instance *w)
{
	if (w->want != HOST_WANT_RUNNING ||
	    (in->hold && w->boot != in->hold_boot))
		in->hold = false;
	in->want = *w;
	in->has_want = true;
	in->listed = true;
	in->kick = true;
}

/* Mutex held: forget ABSENT instances nobody asks about any more. */
static void
prune(struct host *h)
{
	size_t k = 0;

	for (size_t i = 0; i < h->n; i++) {
		struct inst *in = h->v[i];

		if (!in->listed && !in->busy && !in->pid &&
		    in->state == HOST_ABSENT)
			inst_free(in);
		else
			h->v[k++] = in;
	}
	h->n = k;
}

void
host_apply(struct host *h, const struct host_instance *want, size_t n)
{
	struct inst **mine = calloc(n ? n : 1, sizeof(*mine));
	size_t nm = 0;

	lock(h);
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->listed = false;
	for (size_t i = 0; i < n; i++) {
		struct inst *in;

		if (!instdir_id_valid(want[i].id)) {
			log_msg(LOG_WARN, "host: bad instance id ignored",
				"id_len=%zu", strnlen(want[i].id, 32));
			continue;
		}
		in = inst_find(h, want[i].id);
		if (!in) {
			in = inst_new(h, want[i].id);
			if (!in || inst_add(h, in) < 0) {
				inst_free(in);
				continue;
			}
		}
		take_want(in, &want[i]);
		/* Starts and removals now, so the caller sees them. */
		if (mine && !in->busy && idle_work(in)) {
			in->busy = true;
			mine[nm++] = in;
		}
	}
	prune(h);
	unlock(h);

	for (size_t i = 0; i < nm; i++)
		inst_step(h, mine[i]);

	lock(h);
	for (size_t i = 0; i < nm; i++)
		mine[i]->busy = false;
	notify_locked(h);
	unlock(h);
	wake_worker(h);
	free(mine);
}

size_t
host_observe(struct host *h, struct host_instance_status *out, size_t max)
{
	size_t n = 0;

	lock(h);
	for (size_t i = 0; i < h->n && n < max; i++) {
		const struct inst *in = h->v[i];
		struct host_instance_status *s = &out[n++];

		memset(s, 0, sizeof(*s));
		snprintf(s->id, sizeof(s->id), "%s", in->id);
		s->state = in->state;
		s->boot = in->boot;
		s->guest_ready = in->ready;
		s->guest_halted = in->halted;
		snprintf(s->impaired, sizeof(s->impaired), "%s", in->impaired);
		snprintf(s->reason, sizeof(s->reason), "%s", in->reason);
		s->since = in->since;
	}
	unlock(h);
	return n;
}

#define CONSOLE_RUN_MAX	 (8LL << 20) /* a running guest's console cap */
#define CONSOLE_RUN_KEEP (64 << 10)  /* what is kept when it is hit */

/*
 * A guest printing without end must not fill the host's disk. QEMU writes
 * the console with O_APPEND, so cutting the file in place is safe while it
 * runs: keep the last CONSOLE_RUN_KEEP bytes (what GetConsoleOutput shows)
 * and let QEMU append after them. The ready-marker scan starts over on a
 * shorter file.
 */
static void
console_cap(const char *dir)
{
	char path[INSTDIR_PATH_MAX + 32];
	static char keep[CONSOLE_RUN_KEEP];
	static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;
	struct stat st;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, INSTDIR_CONSOLE) >=
	    (int)sizeof(path))
		return;
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > CONSOLE_RUN_MAX) {
		pthread_mutex_lock(&keep_lock);
		n = pread(fd, keep, sizeof(keep),
			  st.st_size - (off_t)sizeof(keep));
		if (n > 0 && ftruncate(fd, 0) == 0 &&
		    write(fd, keep, (size_t)n) != n)
			log_msg(LOG_WARN, "console cap", "dir=%s", dir);
		pthread_mutex_unlock(&keep_lock);
	}
	close(fd);
}

int
host_console(struct host *h, const char *id, char *buf, size_t size,
	     size_t *ret_len)
{
	char dir[INSTDIR_PATH_MAX];
	struct inst *in;

	if (!instdir_id_valid(id))
		return -EINVAL;
	lock(h);
	in = inst_find(h, id);
	if (in)
		snprintf(dir, sizeof(dir), "%s", in->dir);
	unlock(h);
	if (!in)
		return -ENOENT;
	console_cap(dir);
	return instdir_console_tail(dir, buf, size, ret_len);
}

int
host_console_tail(struct host *h, const char *id, struct host_console_tail *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%.31s", id);
	return host_console(h, id, (char *)out->data, sizeof(out->data),
			    &out->len);
}

void
host_set_notify(struct host *h, void (*fn)(void *ctx), void *ctx)
{
	lock(h);
	h->notify = fn;
	h->notify_ctx = ctx;
	unlock(h);
}

/* ---- acceleration ---- */

static void
accel_said(struct host_accel *ret, enum accel_mode m, int ms,
	   const char *reason)
{
	ret->accel = m;
	ret->probe_ms = ms;
	snprintf(ret->reason, sizeof(ret->reason), "%.300s", reason);
	log_msg(m == ACCEL_TCG && ms < 0 ? LOG_WARN : LOG_INFO, "acceleration",
		"accel=%s probe_ms=%d reason=\"%s\"", accel_name(m), ms,
		reason);
}

int
host_accel_parse(const char *s, enum accel_mode *ret)
{
	return accel_parse(s, ret);
}

void
host_accel_decide(const struct host_accel_ask *ask, struct host_accel *ret)
{
	struct accel_probe_result r;
	char why[300];

	memset(ret, 0, sizeof(*ret));
	ret->tsc_khz = accel_host_tsc_khz();
	if (ask->mode == ACCEL_KVM || ask->mode == ACCEL_TCG) {
		ret->accel = ask->mode;
		ret->probe_ms = -1;
		snprintf(ret->reason, sizeof(ret->reason), "configured");
		log_msg(LOG_INFO, "acceleration", "accel=%s reason=configured",
			accel_name(ask->mode));
		return;
	}
	if (!ask->probe_kernel[0] || !ask->probe_initrd[0] ||
	    access(ask->probe_kernel, R_OK) != 0 ||
	    access(ask->probe_initrd, R_OK) != 0) {
		snprintf(why, sizeof(why), "no probe guest at %.270s",
			 ask->probe_initrd);
		accel_said(ret, ACCEL_TCG, -1, why);
		return;
	}
	if (accel_probe(ask->qemu, ask->probe_kernel, ask->probe_initrd,
			ACCEL_PROBE_TIMEOUT_MS_DEFAULT, &r) < 0) {
		accel_said(ret, ACCEL_TCG, -1, "the probe could not run");
		return;
	}
	accel_said(ret, r.accel, r.elapsed_ms, r.reason);
}

/* ---- QEMU's user ---- */

/* QEMU's user when the name is "auto": ours when installed, else nobody. */
static const char *const auto_users[] = {"ec2d-qemu", "nobody"};

int
host_user_resolve(const struct host_user_ask *ask, struct host_user *ret,
		  struct err *e)
{
	struct passwd pw, *res = NULL;
	const char *name = ask->name;
	char buf[4096], why[400];

	memset(ret, 0, sizeof(*ret));
	if (!name[0] || strcmp(name, "root") == 0) {
		snprintf(ret->name, sizeof(ret->name), "root");
		log_msg(LOG_WARN, "QEMU runs as root", "run_as=root");
		return 0;
	}
	for (size_t i = 0; strcmp(ask->name, "auto") == 0 &&
			   i < sizeof(auto_users) / sizeof(auto_users[0]);
	     i++) {
		name = auto_users[i];
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res)
			break;
	}
	if (!res &&
	    (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res))
		return err_set(e, "InternalError",
			       "--run-as: no user '%s' on this machine.", name);
	if (pw.pw_uid == 0)
		return err_set(e, "InternalError",
			       "--run-as: '%s' is root; say root.", name);
	if (perm_user_can(ask->reach, pw.pw_uid, pw.pw_gid, X_OK, why,
			  sizeof(why)) < 0)
		return err_set(e, "InternalError",
			       "QEMU's user %s (--run-as) cannot reach the "
			       "data directory: %s. Make the folders on the "
			       "way searchable (chmod o+x), choose another "
			       "--data-dir, or --run-as root.",
			       name, why);
	snprintf(ret->name, sizeof(ret->name), "%.63s", name);
	ret->uid = pw.pw_uid;
	ret->gid = pw.pw_gid;
	log_msg(LOG_INFO, "QEMU's user", "run_as=%s uid=%u", name,
		(unsigned)pw.pw_uid);
	return 0;
}

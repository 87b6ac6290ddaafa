/*
 * launch.c - start one instance's QEMU. See launch.h.
 *
 * In order: check the inputs (a missing kernel is a reason, not a QEMU
 * error to decode), the instance folder, the root overlay (only when
 * missing: it is the instance's disk), fresh instance-store files, the
 * console (bounded, appended to), the argv from qemu_argv_build() (run
 * as built: launch_argv() gives the same one to the golden tests), then
 * fork through spawn_start() with QEMU's output in qemu.log; QEMU execs
 * only once its pid is in qemu.pid (record_pid), so a crash at any step
 * leaves either no QEMU or one a restarted agent finds. Runs in the
 * thread that owns the instance, without the host's lock.
 */
#include "agent/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/cgroup.h"
#include "agent/compute/qemu_argv.h"
#include "agent/instdir.h"
#include "agent/net/netns.h"
#include "agent/perm.h"
#include "agent/spawn.h"
#include "common/fault.h"
#include "common/strlist.h"

#define ROOT_PORTS   4		 /* hot-plug slots per guest (q35) */
#define CONSOLE_MAX  (8LL << 20) /* trimmed before a start ... */
#define CONSOLE_KEEP (1LL << 20) /* ... to its last MiB */

/*
 * QEMU gets every file of its instance open (spawn.h's pass_fds, as fds
 * 3, 4, ... in this order): its tap, its QMP socket, already listening,
 * its console, its disks. Its folder stays root's, 0700: a QEMU that
 * escaped its guest reaches no other instance's disks or monitor.
 */
struct fd_plan {
	int tap; /* -1: no network */
	int qmp, console, root;
	int store[HOST_STORE_DISKS_MAX];
	size_t n; /* fds in all */
};

static void
plan_fds(const struct host_instance *w, struct fd_plan *f)
{
	int next = 3;

	f->tap = w->tap[0] ? next++ : -1;
	f->qmp = next++;
	f->console = next++;
	f->root = next++;
	for (unsigned i = 0; i < w->store_disks && i < HOST_STORE_DISKS_MAX;
	     i++)
		f->store[i] = next++;
	f->n = (size_t)(next - 3);
}

/* Paths of one start, owned here, borrowed by the qemu_spec. */
struct start_paths {
	char root[INSTDIR_PATH_MAX];
	char store[HOST_STORE_DISKS_MAX][INSTDIR_PATH_MAX];
	char console[INSTDIR_PATH_MAX];
	char qmp[INSTDIR_PATH_MAX];
};

static int
fill_paths(const struct launch_ctx *l, unsigned n_store, struct start_paths *p)
{
	char name[32];

	if (instdir_file(p->root, sizeof(p->root), l->dir, INSTDIR_ROOT) ||
	    instdir_file(p->console, sizeof(p->console), l->dir,
			 INSTDIR_CONSOLE) ||
	    instdir_file(p->qmp, sizeof(p->qmp), l->dir, INSTDIR_QMP))
		return -ENAMETOOLONG;
	for (unsigned i = 0; i < n_store; i++) {
		snprintf(name, sizeof(name), "store%u.img", i);
		if (instdir_file(p->store[i], sizeof(p->store[i]), l->dir,
				 name))
			return -ENAMETOOLONG;
	}
	return 0;
}

/* The QEMU command line for want; reason filled on failure. */
static int
build_argv(const struct launch_ctx *l, const struct host_instance *w,
	   const struct start_paths *p, const struct fd_plan *f,
	   struct strlist *argv, char *reason, size_t reason_size)
{
	struct qemu_disk store[HOST_STORE_DISKS_MAX];
	struct qemu_nic nic = {.tap = w->tap, .fd = f->tap, .mac = w->mac};
	struct qemu_spec spec = {
	    .qemu_binary = l->cfg->qemu,
	    .instance_id = l->id,
	    .vcpus = w->vcpus,
	    .memory_mib = w->memory_mib,
	    .machine = QEMU_MACHINE_Q35,
	    .accel = l->cfg->accel,
	    .tb_size_mib = l->cfg->tb_size_mib,
	    .tsc_khz = l->cfg->tsc_khz,
	    .kernel = w->kernel,
	    .initrd = w->initrd[0] ? w->initrd : NULL,
	    .cmdline = w->cmdline[0] ? w->cmdline : NULL,
	    .root = {.path = p->root, .format = QEMU_DISK_QCOW2, .fd = f->root},
	    .instance_store = store,
	    .n_instance_store = w->store_disks,
	    .root_ports = ROOT_PORTS,
	    .nics = &nic,
	    .n_nics = w->tap[0] ? 1 : 0,
	    .console_log = p->console,
	    .console_fd = f->console,
	    /* EC2 keeps a console's history across stops and reboots. */
	    .console_append = true,
	    .qmp_socket = p->qmp,
	    .qmp_fd = f->qmp,
	};
	struct err e = {"", ""};

	for (unsigned i = 0; i < w->store_disks; i++)
		store[i] =
		    (struct qemu_disk){p->store[i], QEMU_DISK_RAW, f->store[i]};
	if (qemu_argv_build(&spec, argv, &e) < 0) {
		snprintf(reason, reason_size, "%.200s", e.message);
		return -EINVAL;
	}
	return 0;
}

/* The files QEMU needs: a missing one is a clear reason, not a crash. */
static int
check_inputs(const struct launch_ctx *l, const struct host_instance *w,
	     char *reason, size_t reason_size)
{
	const char *what = NULL, *path = NULL;

	if (access(l->cfg->qemu, X_OK) < 0)
		what = "qemu", path = l->cfg->qemu;
	else if (access(w->kernel, R_OK) < 0)
		what = "kernel", path = w->kernel;
	else if (w->initrd[0] && access(w->initrd, R_OK) < 0)
		what = "initrd", path = w->initrd;
	if (what) {
		snprintf(reason, reason_size, "%s %.200s: %s", what, path,
			 strerror(errno));
		return -ENOENT;
	}
	/* QEMU opens them as its own user: say so now if it cannot. */
	for (int i = 0; i < 3; i++) {
		const char *f = i == 0	 ? w->kernel
				: i == 1 ? w->initrd
					 : w->base_disk;
		char why[400];

		if (f[0] && perm_user_can(f, l->cfg->run_uid, l->cfg->run_gid,
					  R_OK, why, sizeof(why)) < 0) {
			snprintf(reason, reason_size,
				 "QEMU's user cannot read its %s: %.300s",
				 i == 0	  ? "kernel"
				 : i == 1 ? "initrd"
					  : "disk",
				 why);
			return -EACCES;
		}
	}
	if (w->store_disks > HOST_STORE_DISKS_MAX) {
		snprintf(reason, reason_size,
			 "%u instance-store disks (at most %d)", w->store_disks,
			 HOST_STORE_DISKS_MAX);
		return -EINVAL;
	}
	return 0;
}

static int
open_netns(const struct launch_ctx *l, int *ret_fd)
{
	char path[128];

	*ret_fd = -1;
	if (!l->cfg->netns[0])
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", l->cfg->netns);
	*ret_fd = open(path, O_RDONLY | O_CLOEXEC);
	return *ret_fd < 0 ? -errno : 0;
}

/* A unix socket listening at path (a stale one replaced); -errno. */
static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * The fds of plan f, open, in its order (pass[0] is fd 3 in QEMU). 0, or
 * -errno with reason filled and nothing left open.
 */
static int
open_fds(const struct launch_ctx *l, const struct host_instance *w,
	 const struct start_paths *p, const struct fd_plan *f, int *pass,
	 char *reason, size_t reason_size)
{
	size_t k = 0;
	int fd, rc = 0;
	const char *what = "";

	if (f->tap >= 0) {
		fd = netns_tap_open(l->cfg->netns, w->tap);
		if (fd < 0) {
			snprintf(reason, reason_size, "tap %s: %s", w->tap,
				 strerror(-fd));
			return fd;
		}
		pass[k++] = fd;
	}
	what = "QMP socket";
	if ((fd = listen_unix(p->qmp)) < 0)
		goto fail;
	pass[k++] = fd;
	what = "console";
	fd = open(p->console, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0 && (fd = -errno))
		goto fail;
	pass[k++] = fd;
	what = "root disk";
	if ((fd = open(p->root, O_RDWR | O_CLOEXEC)) < 0 && (fd = -errno))
		goto fail;
	pass[k++] = fd;
	what = "instance store";
	for (unsigned i = 0; i < w->store_disks; i++) {
		if ((fd = open(p->store[i], O_RDWR | O_CLOEXEC)) < 0 &&
		    (fd = -errno))
			goto fail;
		pass[k++] = fd;
	}
	return 0;
fail:
	rc = fd;
	snprintf(reason, reason_size, "%s: %s", what, strerror(-rc));
	while (k)
		close(pass[--k]);
	return rc;
}

/*
 * spawn.h's hold: QEMU is forked and waits before exec while its pid and
 * start time go to qemu.pid. A crash before this returns leaves no QEMU
 * (the child sees the pipe close and exits); after it, a restarted agent
 * finds the QEMU by its pidfile (host.c adopts it).
 */
static int
record_pid(pid_t pid, void *ctx)
{
	const char *dir = ctx;
	unsigned long long start;
	int rc;

	fault_point("launch.before-pid");
	rc = spawn_proc_start(pid, &start);
	if (rc == 0)
		rc = instdir_write_pid(dir, pid, start);
	if (rc == 0)
		fault_point("launch.after-pid");
	return rc;
}

/*
 * Fork QEMU with argv; its stdout and stderr go to qemu.log. Every file
 * it needs is opened here, as root, and handed over (fd_plan): QEMU may
 * run as a user who can open none of them. QEMU joins its cgroup before
 * exec, and execs only once its pid is on disk (record_pid).
 */
static int
spawn_qemu(const struct launch_ctx *l, const struct host_instance *w,
	   const struct start_paths *p, const struct fd_plan *f, char **argv,
	   pid_t *ret_pid, char *reason, size_t reason_size)
{
	char log_path[INSTDIR_PATH_MAX];
	int cg_fds[CGROUP_FDS_MAX], pass[SPAWN_PASS_FDS_MAX];
	struct spawn_opts o;
	int log_fd = -1, rc;
	unsigned long long mem =
	    ((unsigned long long)w->memory_mib + QEMU_OVERHEAD_MIB) << 20;

	spawn_opts_init(&o, argv);
	o.uid = l->cfg->run_uid;
	o.gid = l->cfg->run_gid;
	o.join_fds = cg_fds;
	o.pass_fds = pass;
	o.hold = record_pid;
	o.hold_ctx = (void *)l->dir;
	if (f->n > SPAWN_PASS_FDS_MAX) {
		snprintf(reason, reason_size, "%zu files for QEMU (at most %d)",
			 f->n, SPAWN_PASS_FDS_MAX);
		return -EINVAL;
	}
	rc = open_netns(l, &o.netns_fd);
	if (rc) {
		snprintf(reason, reason_size, "network namespace %s: %s",
			 l->cfg->netns, strerror(-rc));
		return rc;
	}
	instdir_remove_runtime(l->dir);
	rc = open_fds(l, w, p, f, pass, reason, reason_size);
	if (rc)
		goto out;
	o.n_pass_fds = f->n;
	rc = cgroup_prepare(l->cg, l->id, w->vcpus, mem, cg_fds, &o.n_join_fds);
	if (rc) {
		snprintf(reason, reason_size, "cgroup: %s", strerror(-rc));
		goto out;
	}
	fault_point("launch.after-cgroup");
	if (instdir_file(log_path, sizeof(log_path), l->dir,
			 INSTDIR_QEMU_LOG) == 0)
		log_fd = open(log_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	o.stdout_fd = o.stderr_fd = log_fd;
	rc = spawn_start(&o, ret_pid);
	if (rc) {
		snprintf(reason, reason_size, "cannot run %.200s: %s",
			 l->cfg->qemu, strerror(-rc));
		cgroup_remove(l->cg, l->id);
	}
out:
	for (size_t i = 0; i < o.n_join_fds; i++)
		close(cg_fds[i]);
	for (size_t i = 0; i < o.n_pass_fds; i++)
		close(pass[i]);
	if (log_fd >= 0)
		close(log_fd);
	if (o.netns_fd >= 0)
		close(o.netns_fd);
	return rc;
}

/*
 * The plan of one start: its paths, its fds and the argv built from them.
 * launch_argv() and launch_qemu() both come here: the argv a test sees is
 * the argv QEMU runs.
 */
static int
plan_start(const struct launch_ctx *l, const struct host_instance *w,
	   struct start_paths *p, struct fd_plan *f, struct strlist *argv,
	   char *reason, size_t reason_size)
{
	int rc;

	if (w->store_disks > HOST_STORE_DISKS_MAX) {
		snprintf(reason, reason_size,
			 "%u instance-store disks (at most %d)", w->store_disks,
			 HOST_STORE_DISKS_MAX);
		return -EINVAL;
	}
	plan_fds(w, f);
	rc = fill_paths(l, w->store_disks, p);
	if (rc) {
		snprintf(reason, reason_size, "instance folder: %s",
			 strerror(-rc));
		return rc;
	}
	return build_argv(l, w, p, f, argv, reason, reason_size);
}

int
launch_argv(const struct launch_ctx *l, const struct host_instance *w,
	    struct strlist *ret_argv, char *reason, size_t reason_size)
{
	struct start_paths *p = calloc(1, sizeof(*p));
	struct fd_plan f;
	int rc;

	if (!p) {
		snprintf(reason, reason_size, "out of memory");
		return -ENOMEM;
	}
	rc = plan_start(l, w, p, &f, ret_argv, reason, reason_size);
	free(p);
	return rc;
}

int
launch_qemu(const struct launch_ctx *l, const struct host_instance *w,
	    pid_t *ret_pid, long long *ret_console, char *reason,
	    size_t reason_size)
{
	struct start_paths *p = calloc(1, sizeof(*p));
	struct fd_plan f;
	struct strlist argv;
	char **vec = NULL;
	int rc;

	strlist_init(&argv);
	if (!p) {
		snprintf(reason, reason_size, "out of memory");
		return -ENOMEM;
	}
	rc = check_inputs(l, w, reason, reason_size);
	if (rc == 0)
		rc = plan_start(l, w, p, &f, &argv, reason, reason_size);
	if (rc)
		goto out;
	rc = instdir_make(l->dir);
	if (rc) {
		snprintf(reason, reason_size, "instance folder: %s",
			 strerror(-rc));
		goto out;
	}
	fault_point("launch.after-folder");
	rc = instdir_create_root(l->dir, l->cfg->qemu_img, w->base_disk,
				 w->root_gib, reason, reason_size);
	if (rc)
		goto out;
	fault_point("launch.after-overlay");
	rc = instdir_reset_store(l->dir, w->store_disks, w->store_gb);
	if (rc == 0)
		instdir_console_trim(l->dir, CONSOLE_MAX, CONSOLE_KEEP);
	if (rc) {
		snprintf(reason, reason_size, "instance files: %s",
			 strerror(-rc));
		goto out;
	}
	/* The console is appended to (qemu_spec.console_append): this boot's
	 * output starts at its present end. */
	*ret_console = instdir_console_size(l->dir);
	vec = spawn_argv(&argv);
	if (!vec) {
		snprintf(reason, reason_size, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	/* The boot an adopted QEMU runs: on disk before it can run. */
	rc = instdir_write_state(l->dir, w->boot, *ret_console);
	if (rc) {
		snprintf(reason, reason_size, "instance files: %s",
			 strerror(-rc));
		goto out;
	}
	/* Its pid is on disk before it execs (record_pid). */
	rc = spawn_qemu(l, w, p, &f, vec, ret_pid, reason, reason_size);
	if (rc)
		goto out;
	fault_point("launch.after-exec");
out:
	free(vec);
	strlist_free(&argv);
	free(p);
	return rc;
}

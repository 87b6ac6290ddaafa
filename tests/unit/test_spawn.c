/*
 * test_spawn.c - the one spawner (src/agent/spawn.c), table-driven.
 *
 * A table of spawn_run cases against real programs (/bin/sh, /bin/cat,
 * /usr/bin/env, /bin/sleep): exit codes and signals, stdout and stderr
 * apart and merged, the output cap, stdin text, the environment, the
 * timeout, a missing or non-executable program. Then what the jailer
 * order promises, seen from inside a child that is this very binary run
 * again ("--child MODE", argv[0] from /proc/self/exe): no fd leaks beyond
 * 0 1 2 and the passed ones, its own session, default signals, an empty
 * mask, the cgroup join write, the uid drop (as root). The timeout test
 * checks that a grandchild dies with its group; every wait is on a pidfd
 * or a bounded spawn_wait, never a sleep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/spawn.h"
#include "common/buf.h"
#include "unit.h"

#define SH	 "/bin/sh"
#define SLACK_MS 3000 /* a loaded 2-core machine */

static char self_exe[4096];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the child side: this binary run with --child MODE ---------------- */

/* Every open fd but the directory's own, one number per line. */
static int
child_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char own[16];

	if (!d)
		return 2;
	snprintf(own, sizeof(own), "%d", dirfd(d));
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, own) != 0)
			printf("%s\n", de->d_name);
	closedir(d);
	return 0;
}

static int
child_main(const char *mode)
{
	if (strcmp(mode, "fds") == 0)
		return child_fds();
	if (strcmp(mode, "session") == 0) {
		printf("%s\n", getsid(0) == getpid() && getpgid(0) == getpid()
				   ? "leader"
				   : "member");
		return 0;
	}
	if (strcmp(mode, "signals") == 0) {
		struct sigaction sa;
		sigset_t mask;
		int blocked = 0, ignored = 0;

		sigprocmask(SIG_SETMASK, NULL, &mask);
		for (int sig = 1; sig < 32; sig++) {
			if (sig == SIGKILL || sig == SIGSTOP)
				continue;
			blocked += sigismember(&mask, sig) == 1;
			if (sigaction(sig, NULL, &sa) == 0 &&
			    sa.sa_handler == SIG_IGN)
				ignored++;
		}
		printf("blocked=%d ignored=%d\n", blocked, ignored);
		return 0;
	}
	return 100;
}

/* --- spawn_run cases ---------------------------------------------------- */

#define ANY_EXIT (-1000)

struct run_case {
	const char *name;
	const char *argv[6];
	const char *envp[4]; /* {NULL}: an empty environment */
	int use_env;
	const char *input;
	size_t out_max, err_max; /* 0: not captured */
	int merge;		 /* stderr into out */
	int timeout_ms;
	int want_rc;
	int want_exit; /* spawn_exit_code, or ANY_EXIT */
	int want_signal;
	const char *want_out, *want_err; /* NULL: not checked */
	int want_truncated;
	size_t want_out_len; /* 0: not checked */
	int max_ms;	     /* 0: SLACK_MS */
};

static const struct run_case run_cases[] = {
    {.name = "exit 0",
     .argv = {"/bin/true"},
     .timeout_ms = 5000,
     .want_exit = 0},
    {.name = "exit 3",
     .argv = {SH, "-c", "exit 3"},
     .timeout_ms = 5000,
     .want_exit = 3},
    {.name = "killed by a signal",
     .argv = {SH, "-c", "kill -9 $$"},
     .timeout_ms = 5000,
     .want_exit = -ECHILD,
     .want_signal = 9},
    {.name = "stdout and stderr apart",
     .argv = {SH, "-c", "echo out; echo err >&2; echo out2"},
     .out_max = 100,
     .err_max = 100,
     .timeout_ms = 5000,
     .want_exit = 0,
     .want_out = "out\nout2\n",
     .want_err = "err\n"},
    {.name = "stdout and stderr merged in order",
     .argv = {SH, "-c", "echo one; echo two >&2; echo three"},
     .out_max = 100,
     .merge = 1,
     .timeout_ms = 5000,
     .want_exit = 0,
     .want_out = "one\ntwo\nthree\n"},
    {.name = "stderr only, stdout dropped",
     .argv = {SH, "-c", "echo lost; echo kept >&2"},
     .err_max = 100,
     .timeout_ms = 5000,
     .want_exit = 0,
     .want_err = "kept\n"},
    {.name = "output capped, child not blocked",
     .argv = {SH, "-c", "yes 0123456789 | head -c 300000"},
     .out_max = 1000,
     .timeout_ms = 10000,
     .want_exit = 0,
     .want_truncated = 1,
     .want_out_len = 1000},
    {.name = "stdin text",
     .argv = {"/bin/cat"},
     .input = "hello\nworld\n",
     .out_max = 100,
     .timeout_ms = 5000,
     .want_exit = 0,
     .want_out = "hello\nworld\n"},
    {.name = "no stdin text: /dev/null",
     .argv = {"/bin/cat"},
     .out_max = 100,
     .timeout_ms = 5000,
     .want_exit = 0,
     .want_out = ""},
    {.name = "environment given",
     .argv = {"/usr/bin/env"},
     .envp = {"A=1", "B=two", NULL},
     .use_env = 1,
     .out_max = 100,
     .timeout_ms = 5000,
     .want_exit = 0,
     .want_out = "A=1\nB=two\n"},
    {.name = "environment empty by default",
     .argv = {"/usr/bin/env"},
     .out_max = 100,
     .timeout_ms = 5000,
     .want_exit = 0,
     .want_out = ""},
    {.name = "a hung child is killed at the timeout",
     .argv = {"/bin/sleep", "30"},
     .timeout_ms = 300,
     .want_rc = -ETIMEDOUT,
     .want_exit = ANY_EXIT},
    {.name = "output kept up to the timeout",
     .argv = {SH, "-c", "echo before; exec sleep 30"},
     .out_max = 100,
     .timeout_ms = 300,
     .want_rc = -ETIMEDOUT,
     .want_exit = ANY_EXIT,
     .want_out = "before\n"},
    {.name = "missing program",
     .argv = {"/nonexistent/ec2d-no-such-tool"},
     .out_max = 100,
     .timeout_ms = 5000,
     .want_rc = -ENOENT,
     .want_exit = ANY_EXIT,
     .want_out = ""},
    {.name = "not executable",
     .argv = {"/dev/null"},
     .timeout_ms = 5000,
     .want_rc = -EACCES,
     .want_exit = ANY_EXIT},
    {.name = "relative program",
     .argv = {"sh", "-c", "true"},
     .timeout_ms = 5000,
     .want_rc = -EINVAL,
     .want_exit = ANY_EXIT},
    {.name = "no timeout is refused",
     .argv = {"/bin/true"},
     .timeout_ms = 0,
     .want_rc = -EINVAL,
     .want_exit = ANY_EXIT},
};

static void
run_one(const struct run_case *c)
{
	struct spawn_opts o;
	struct spawn_result r;
	struct buf out, err;
	long long t0 = now_ms();
	int rc, max_ms = c->max_ms ? c->max_ms : c->timeout_ms + SLACK_MS;

	buf_init(&out, c->out_max ? c->out_max : 1);
	buf_init(&err, c->err_max ? c->err_max : 1);
	spawn_opts_init(&o, (char *const *)c->argv);
	if (c->use_env)
		o.envp = (char *const *)c->envp;
	o.input = c->input;
	o.out = c->out_max ? &out : NULL;
	o.err = c->merge ? o.out : c->err_max ? &err : NULL;
	o.timeout_ms = c->timeout_ms;
	rc = spawn_run(&o, &r);
	CHECK(rc == c->want_rc, "%s: rc %d (%s), want %d", c->name, rc,
	      strerror(-rc), c->want_rc);
	if (rc == 0 && c->want_exit != ANY_EXIT)
		CHECK(spawn_exit_code(r.status) == c->want_exit,
		      "%s: exit code %d, want %d", c->name,
		      spawn_exit_code(r.status), c->want_exit);
	if (rc == 0 && c->want_signal)
		CHECK(WIFSIGNALED(r.status) &&
			  WTERMSIG(r.status) == c->want_signal,
		      "%s: wait status %d", c->name, r.status);
	if (c->want_out)
		CHECK(strcmp(buf_cstr(&out), c->want_out) == 0,
		      "%s: out \"%s\", want \"%s\"", c->name, buf_cstr(&out),
		      c->want_out);
	if (c->want_err)
		CHECK(strcmp(buf_cstr(&err), c->want_err) == 0,
		      "%s: err \"%s\", want \"%s\"", c->name, buf_cstr(&err),
		      c->want_err);
	if (c->want_out_len)
		CHECK(out.len == c->want_out_len && !buf_failed(&out),
		      "%s: out %zu bytes, want %zu", c->name, out.len,
		      c->want_out_len);
	if (c->want_out_len && c->want_truncated)
		CHECK(strncmp(buf_cstr(&out), "0123456789\n0123", 15) == 0,
		      "%s: the kept bytes are the first ones", c->name);
	if (rc == 0 || rc == -ETIMEDOUT)
		CHECK(r.truncated == c->want_truncated, "%s: truncated %d",
		      c->name, r.truncated);
	CHECK(now_ms() - t0 <= max_ms, "%s: took %lld ms (at most %d)", c->name,
	      now_ms() - t0, max_ms);
	if (rc == -ETIMEDOUT)
		CHECK(r.elapsed_ms >= c->timeout_ms,
		      "%s: killed after %d ms, before its %d ms", c->name,
		      r.elapsed_ms, c->timeout_ms);
	buf_free(&out);
	buf_free(&err);
}

/* No child of ours is left behind (reaped, or never made). */
static void
check_no_children(const char *when)
{
	pid_t w = waitpid(-1, NULL, WNOHANG);

	CHECK(w < 0 && errno == ECHILD, "%s: a child left behind (%d)", when,
	      (int)w);
}

static void
test_run_table(void)
{
	for (size_t i = 0; i < sizeof(run_cases) / sizeof(run_cases[0]); i++) {
		run_one(&run_cases[i]);
		check_no_children(run_cases[i].name);
	}
}

/* Large stdin through cat and back: neither side can block the other. */
static void
test_large_stdin(void)
{
	size_t n = 1u << 20;
	char *text = malloc(n + 1);
	const char *argv[] = {"/bin/cat", NULL};
	struct spawn_opts o;
	struct spawn_result r;
	struct buf out;

	if (!text) {
		CHECK(0, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		text[i] = (char)('a' + i % 26);
	text[n] = '\0';
	buf_init(&out, n);
	spawn_opts_init(&o, (char *const *)argv);
	o.input = text;
	o.out = &out;
	o.timeout_ms = 20000;
	CHECK(spawn_run(&o, &r) == 0 && spawn_exit_code(r.status) == 0,
	      "cat of 1 MiB");
	CHECK(out.len == n && memcmp(out.data, text, n) == 0 && !r.truncated,
	      "1 MiB back unchanged (%zu bytes)", out.len);
	buf_free(&out);
	free(text);
}

/* Wait (bounded) for a process that is not our child to be gone. */
static int
gone_within(pid_t pid, int ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc;

	if (fd < 0)
		return errno == ESRCH;
	rc = poll(&p, 1, ms) == 1;
	close(fd);
	return rc;
}

/*
 * The grandchild of a hung child dies with it: the timeout kills the
 * whole process group, not just the child.
 */
static void
test_timeout_kills_group(void)
{
	const char *argv[] = {SH, "-c", "sleep 30 & echo $!; wait", NULL};
	struct spawn_opts o;
	struct spawn_result r;
	struct buf out;
	long long gpid = 0;

	buf_init(&out, 64);
	spawn_opts_init(&o, (char *const *)argv);
	o.out = &out;
	o.timeout_ms = 500;
	CHECK(spawn_run(&o, &r) == -ETIMEDOUT, "hung shell not timed out");
	CHECK(sscanf(buf_cstr(&out), "%lld", &gpid) == 1 && gpid > 1,
	      "grandchild pid in \"%s\"", buf_cstr(&out));
	if (gpid > 1)
		CHECK(gone_within((pid_t)gpid, 5000),
		      "grandchild %lld survived the timeout", gpid);
	check_no_children("group kill");
	buf_free(&out);
}

/*
 * A child that leaves a daemon holding its stdout: spawn_run returns when
 * the child exits, not when the pipe closes (dnsmasq does this).
 */
static void
test_daemon_keeps_pipe(void)
{
	const char *argv[] = {SH, "-c", "sleep 30 & echo $!", NULL};
	struct spawn_opts o;
	struct spawn_result r;
	struct buf out;
	long long t0 = now_ms(), gpid = 0;

	buf_init(&out, 64);
	spawn_opts_init(&o, (char *const *)argv);
	o.out = &out;
	o.timeout_ms = 10000;
	CHECK(spawn_run(&o, &r) == 0 && spawn_exit_code(r.status) == 0,
	      "shell with a daemon");
	CHECK(now_ms() - t0 < 5000, "waited %lld ms for the daemon's pipe",
	      now_ms() - t0);
	CHECK(sscanf(buf_cstr(&out), "%lld", &gpid) == 1 && gpid > 1,
	      "daemon pid in \"%s\"", buf_cstr(&out));
	if (gpid > 1) {
		kill((pid_t)gpid, SIGKILL);
		CHECK(gone_within((pid_t)gpid, 5000), "daemon not killed");
	}
	buf_free(&out);
}

/* Run this binary as "--child mode" (spawn_run); its stdout. */
static int
run_self(const char *mode, struct spawn_opts *o, struct buf *out)
{
	const char *argv[] = {self_exe, "--child", mode, NULL};
	struct spawn_result r;
	int rc;

	o->argv = (char *const *)argv;
	o->out = out;
	o->timeout_ms = 10000;
	rc = spawn_run(o, &r);
	return rc < 0 ? rc : spawn_exit_code(r.status);
}

/*
 * Only 0 1 2 reach the child, whatever the parent has open without
 * O_CLOEXEC; with passed fds, those too at 3, 4, ... in their order.
 */
static void
test_fds(void)
{
	struct spawn_opts o;
	struct buf out;
	int leak = dup2(STDERR_FILENO, 57); /* dup2: not close-on-exec */
	int pipefd[2], pass[2];
	const char *argv[] = {self_exe, "--child", "fds", NULL};
	pid_t pid;
	char want[64];

	CHECK(leak == 57, "dup2 to 57");
	buf_init(&out, 256);
	spawn_opts_init(&o, NULL);
	CHECK(run_self("fds", &o, &out) == 0, "child fds ran");
	CHECK_STR(buf_cstr(&out), "0\n1\n2\n");
	buf_free(&out);

	/* spawn_start: pass_fds at 3 and 4, stdout a pipe we read. */
	CHECK(pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
	pass[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pass[1] = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	spawn_opts_init(&o, (char *const *)argv);
	o.stdout_fd = pipefd[1];
	o.pass_fds = pass;
	o.n_pass_fds = 2;
	CHECK(spawn_start(&o, &pid) == 0, "start with pass_fds");
	close(pipefd[1]);
	{
		char text[256];
		size_t len = 0;
		ssize_t n;
		int status = -1;

		while (len < sizeof(text) - 1 &&
		       (n = read(pipefd[0], text + len,
				 sizeof(text) - 1 - len)) > 0)
			len += (size_t)n;
		text[len] = '\0';
		snprintf(want, sizeof(want), "0\n1\n2\n3\n4\n");
		CHECK_STR(text, want);
		CHECK(spawn_wait(pid, 10000, &status) == 0 &&
			  spawn_exit_code(status) == 0,
		      "fds child exit %d", status);
	}
	close(pipefd[0]);
	close(pass[0]);
	close(pass[1]);
	close(leak);
	check_no_children("fds");
}

/* A session of its own; default dispositions and an empty mask. */
static void
test_session_and_signals(void)
{
	struct spawn_opts o;
	struct buf out;
	sigset_t usr1, old;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_term;

	buf_init(&out, 256);
	spawn_opts_init(&o, NULL);
	CHECK(run_self("session", &o, &out) == 0, "child session ran");
	CHECK_STR(buf_cstr(&out), "leader\n");
	buf_reset(&out);

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	sigaction(SIGTERM, &ign, &old_term);
	spawn_opts_init(&o, NULL);
	CHECK(run_self("signals", &o, &out) == 0, "child signals ran");
	CHECK_STR(buf_cstr(&out), "blocked=0 ignored=0\n");
	sigaction(SIGTERM, &old_term, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	buf_free(&out);
}

/* join_fds get "0" from the child (cgroup.procs), before the exec. */
static void
test_join_fds(void)
{
	const char *argv[] = {"/bin/true", NULL};
	struct spawn_opts o;
	struct spawn_result r;
	int pipefd[2], join[1];
	char got[8] = "";
	ssize_t n;

	CHECK(pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
	join[0] = pipefd[1];
	spawn_opts_init(&o, (char *const *)argv);
	o.join_fds = join;
	o.n_join_fds = 1;
	o.timeout_ms = 5000;
	CHECK(spawn_run(&o, &r) == 0, "join run");
	close(pipefd[1]);
	n = read(pipefd[0], got, sizeof(got) - 1);
	CHECK(n == 1 && got[0] == '0', "join fd got %zd bytes \"%s\"", n, got);
	close(pipefd[0]);
}

/* As root: the uid, gid and groups are dropped before the exec. */
static void
test_uid_drop(void)
{
	const char *argv[] = {SH, "-c", "id -u; id -g; id -G", NULL};
	struct spawn_opts o;
	struct spawn_result r;
	struct buf out;

	if (geteuid() != 0) {
		printf("SKIP uid drop: not root\n");
		return;
	}
	buf_init(&out, 256);
	spawn_opts_init(&o, (char *const *)argv);
	o.uid = 65534;
	o.gid = 65534;
	o.out = &out;
	o.timeout_ms = 5000;
	CHECK(spawn_run(&o, &r) == 0 && spawn_exit_code(r.status) == 0,
	      "id ran");
	CHECK_STR(buf_cstr(&out), "65534\n65534\n65534\n");
	buf_free(&out);
}

/* spawn_start, then spawn_wait (bounded) and spawn_kill. */
static void
test_start_wait_kill(void)
{
	const char *sleep_argv[] = {"/bin/sleep", "30", NULL};
	const char *missing[] = {"/nonexistent/ec2d-qemu", NULL};
	struct spawn_opts o;
	long long t0;
	pid_t pid = 0;
	int status = 0;

	spawn_opts_init(&o, (char *const *)sleep_argv);
	CHECK(spawn_start(&o, &pid) == 0 && pid > 0, "start sleep");
	t0 = now_ms();
	CHECK(spawn_wait(pid, 0, &status) == -ETIMEDOUT, "running: look");
	CHECK(spawn_wait(pid, 200, &status) == -ETIMEDOUT, "running: 200 ms");
	CHECK(now_ms() - t0 >= 200 && now_ms() - t0 < SLACK_MS,
	      "spawn_wait 200 ms took %lld ms", now_ms() - t0);
	t0 = now_ms();
	CHECK(spawn_kill(pid, &status) == 0 && WIFSIGNALED(status) &&
		  WTERMSIG(status) == SIGKILL,
	      "killed: status %d", status);
	/* A pidfd wakes the reaper at the exit, not a poll period later. */
	CHECK(now_ms() - t0 < 900, "spawn_kill took %lld ms", now_ms() - t0);
	CHECK(spawn_wait(pid, 0, NULL) == -ECHILD, "reaped already");

	spawn_opts_init(&o, (char *const *)missing);
	pid = 0;
	CHECK(spawn_start(&o, &pid) == -ENOENT && pid == 0, "missing qemu");
	check_no_children("start/wait/kill");
}

static void
test_helpers(void)
{
	struct strlist l;
	char **v, how[64];

	strlist_init(&l);
	strlist_add(&l, "/bin/true");
	strlist_add(&l, "x");
	v = spawn_argv(&l);
	CHECK(v && v[0] == l.v[0] && v[1] == l.v[1] && v[2] == NULL,
	      "spawn_argv");
	free(v);
	strlist_free(&l);
	spawn_describe_status(3 << 8, how, sizeof(how));
	CHECK_STR(how, "exited with status 3");
	spawn_describe_status(9, how, sizeof(how));
	CHECK_STR(how, "killed by signal 9");
	CHECK(spawn_exit_code(3 << 8) == 3 && spawn_exit_code(9) == -ECHILD,
	      "spawn_exit_code");
}

/* --- hold: the pid recorded before exec (launch.c's qemu.pid) --------- */

struct hold_seen {
	pid_t pid;
	bool before_exec; /* the child still ran this binary */
	int rc;		  /* what hold returns */
	int report_fd;	  /* >= 0: write the pid there and _exit (crash) */
};

static int
hold_cb(pid_t pid, void *ctx)
{
	struct hold_seen *h = ctx;
	char exe[4096];
	ssize_t n;
	char path[64];

	h->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	h->before_exec = n > 0 && (exe[n] = '\0', strcmp(exe, self_exe) == 0);
	if (h->report_fd >= 0) {
		/* The parent dies here, as ec2d under kill -9 would. */
		if (write(h->report_fd, &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		_exit(0);
	}
	return h->rc;
}

static bool
file_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static void
test_hold(void)
{
	char marker[64], script[128];
	const char *argv[] = {SH, "-c", script, NULL};
	struct hold_seen h = {.report_fd = -1};
	struct spawn_opts o;
	unsigned long long st1 = 0, st2 = 0;
	int status = 0, p[2];
	pid_t pid = 0, helper, held = 0;

	snprintf(marker, sizeof(marker), "/tmp/ec2d-test-hold-%d", getpid());
	snprintf(script, sizeof(script), "touch %s", marker);
	unlink(marker);

	/* Recorded, then released: it runs, and was held until then. */
	spawn_opts_init(&o, (char *const *)argv);
	o.hold = hold_cb;
	o.hold_ctx = &h;
	CHECK(spawn_start(&o, &pid) == 0 && pid == h.pid, "held start");
	CHECK(h.before_exec, "hold ran before the exec");
	CHECK(spawn_wait(pid, 5000, &status) == 0 && status == 0 &&
		  file_exists(marker),
	      "released: it ran");
	unlink(marker);

	/* hold fails: it never runs, the error comes back, no child. */
	h = (struct hold_seen){.rc = -EIO, .report_fd = -1};
	pid = 0;
	CHECK(spawn_start(&o, &pid) == -EIO && pid == 0, "hold error");
	CHECK(!file_exists(marker), "a failed hold runs nothing");
	check_no_children("hold error");

	/* The parent dies in hold: the child sees it and never execs. A
	 * subreaper inherits it here, so its end can be seen. */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "subreaper");
	CHECK(pipe(p) == 0, "pipe");
	helper = fork();
	if (helper == 0) {
		close(p[0]);
		h = (struct hold_seen){.report_fd = p[1]};
		spawn_start(&o, &pid);
		_exit(2); /* not reached: hold_cb exits */
	}
	close(p[1]);
	CHECK(read(p[0], &held, sizeof(held)) == sizeof(held) && held > 0,
	      "held child's pid");
	close(p[0]);
	CHECK(waitpid(helper, &status, 0) == helper && WIFEXITED(status) &&
		  WEXITSTATUS(status) == 0,
	      "parent died in hold");
	CHECK(held > 0 && spawn_wait(held, 5000, &status) == 0 &&
		  WIFEXITED(status) && WEXITSTATUS(status) == 127,
	      "orphaned held child exits 127 (status %d)", status);
	CHECK(!file_exists(marker), "an orphaned held child never runs");
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	check_no_children("hold orphan");

	/* Start times tell a process from a later one with its pid. */
	CHECK(spawn_proc_start(getpid(), &st1) == 0 && st1 > 0 &&
		  spawn_proc_start(getpid(), &st2) == 0 && st1 == st2,
	      "own start time");
	CHECK(held <= 0 || spawn_proc_start(held, &st2) == -ESRCH,
	      "a reaped pid has no start time");
	unlink(marker);
}

/* spawn_cmdline_value: QEMU's "-name guest=ID,..." read back. */
static void
test_cmdline_value(void)
{
	const char *argv[] = {SH, "-c", "sleep 30", "guest=i-0abc,debug=on",
			      NULL};
	struct spawn_opts o;
	char v[32];
	pid_t pid = 0;

	spawn_opts_init(&o, (char *const *)argv);
	CHECK(spawn_start(&o, &pid) == 0, "start sh");
	CHECK(spawn_cmdline_value(pid, "guest", v, sizeof(v)) == 0 &&
		  strcmp(v, "i-0abc") == 0,
	      "guest value");
	CHECK(spawn_cmdline_value(pid, "gues", v, sizeof(v)) == -ENOENT,
	      "a prefix of a key is not the key");
	CHECK(spawn_cmdline_value(pid, "guest", v, 4) == -ENAMETOOLONG,
	      "too long");
	CHECK(spawn_cmdline_has(pid, "guest=i-0abc") &&
		  !spawn_cmdline_has(pid, "guest=i-0ab"),
	      "cmdline_has");
	spawn_kill(pid, NULL);
	CHECK(spawn_cmdline_value(pid, "guest", v, sizeof(v)) == -ESRCH,
	      "gone");
	check_no_children("cmdline value");
}

int
main(int argc, char **argv)
{
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return child_main(argv[2]);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	CHECK(n > 0, "readlink /proc/self/exe");
	if (n <= 0)
		return UNIT_DONE();
	self_exe[n] = '\0';
	test_run_table();
	test_large_stdin();
	test_timeout_kills_group();
	test_daemon_keeps_pipe();
	test_fds();
	test_session_and_signals();
	test_join_fds();
	test_uid_drop();
	test_start_wait_kill();
	test_hold();
	test_cmdline_value();
	test_helpers();
	return UNIT_DONE();
}

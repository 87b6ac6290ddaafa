/*
 * test_qmp.c - the QMP client against a fake monitor replaying recorded
 * transcripts (tests/data/qemu/NAME.qmp), in the manner of libvirt's
 * qemumonitortest.
 *
 * A transcript is a list of lines:
 *   S: {json}     the monitor sends this line (ending "\r\n", as QEMU does)
 *   C: {json}     the monitor reads one client line; it must equal this
 *                 apart from the "id" value, which must be a string. The
 *                 id seen is remembered: an S line carrying the
 *                 transcript's id gets the client's id instead, so
 *                 recordings stay valid whatever ids the client makes up.
 *   PARTIAL: txt  send txt with no line end
 *   RAW: txt      send txt as a line, unparsed
 *   FLOOD: n      send n bytes of 'x', no line end
 *   EVENTS: n     send n events TEST_EVENT with data {"n": i}
 *   CLOSE         close the connection now
 *   WAIT-EOF      read until the client closes (a monitor that hangs)
 *   # ...         a comment
 * At the end of the transcript the monitor waits for the client to close
 * and fails if it sends anything more. Every wait is bounded.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/compute/qmp.h"
#include "unit.h"

#define DATA	     "../data/qemu/"
#define FAKE_WAIT_MS 10000 /* the monitor never waits longer */
#define T	     2000  /* client timeout when an answer is due */

struct fake {
	char transcript[256];
	int fd;		     /* the monitor's end; -1 once closed */
	int listen_fd;	     /* accept one client first, or -1 */
	char failure[512];   /* "" when the client did as recorded */
	char ids[64][2][32]; /* transcript id -> client id */
	size_t n_ids;
	pthread_t thread;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
send_text(struct fake *f, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(f->fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1; /* the client went away: its test says */
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one line from the client within FAKE_WAIT_MS; 1 line, 0 EOF, -1. */
static int
read_line(struct fake *f, char *line, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		char c;
		ssize_t r;

		if (poll(&p, 1, FAKE_WAIT_MS) != 1)
			return -1;
		r = read(f->fd, &c, 1);
		if (r == 0)
			return 0;
		if (r < 0)
			return -1;
		if (c == '\n') {
			line[n] = '\0';
			return 1;
		}
		line[n++] = c;
	}
	return -1;
}

static const char *
client_id_for(struct fake *f, const char *id)
{
	for (size_t i = 0; i < f->n_ids; i++)
		if (strcmp(f->ids[i][0], id) == 0)
			return f->ids[i][1];
	return NULL;
}

static int
expect_client(struct fake *f, const char *want_text)
{
	char line[4096];
	json_t *want = json_loads(want_text, 0, NULL);
	json_t *got = NULL;
	const char *want_id, *got_id;
	int rc = -1;

	if (read_line(f, line, sizeof(line)) != 1) {
		snprintf(f->failure, sizeof(f->failure),
			 "client sent nothing; expected %.400s", want_text);
		goto out;
	}
	got = json_loads(line, 0, NULL);
	want_id = json_string_value(json_object_get(want, "id"));
	got_id = json_string_value(json_object_get(got, "id"));
	if (!want || !want_id || !got || !got_id) {
		snprintf(f->failure, sizeof(f->failure),
			 "bad or id-less message: %.400s", line);
		goto out;
	}
	if (f->n_ids < 64) {
		snprintf(f->ids[f->n_ids][0], 32, "%s", want_id);
		snprintf(f->ids[f->n_ids][1], 32, "%s", got_id);
		f->n_ids++;
	}
	json_object_del(want, "id");
	json_object_del(got, "id");
	if (!json_equal(want, got)) {
		snprintf(f->failure, sizeof(f->failure),
			 "client sent %.240s, expected %.240s", line,
			 want_text);
		goto out;
	}
	rc = 0;
out:
	json_decref(want);
	json_decref(got);
	return rc;
}

static int
send_server_line(struct fake *f, const char *text)
{
	json_t *msg = json_loads(text, 0, NULL);
	const char *id = json_string_value(json_object_get(msg, "id"));
	const char *mapped = id ? client_id_for(f, id) : NULL;
	char *out = NULL;
	int rc;

	if (!msg) {
		snprintf(f->failure, sizeof(f->failure), "bad S line: %.400s",
			 text);
		return -1;
	}
	if (mapped) {
		json_object_set_new(msg, "id", json_string(mapped));
		out = json_dumps(msg, JSON_COMPACT);
		text = out;
	}
	rc = send_text(f, text, strlen(text));
	if (rc == 0)
		rc = send_text(f, "\r\n", 2);
	free(out);
	json_decref(msg);
	return rc;
}

static void
send_raw_line(struct fake *f, const char *text)
{
	if (send_text(f, text, strlen(text)) == 0)
		send_text(f, "\r\n", 2);
}

/* Read until EOF; with quiet, what the client says is not a failure. */
static int
wait_eof(struct fake *f, int quiet)
{
	char line[4096];
	int r;

	while ((r = read_line(f, line, sizeof(line))) == 1)
		if (!quiet && !f->failure[0])
			snprintf(f->failure, sizeof(f->failure),
				 "unexpected client message: %.400s", line);
	if (r < 0 && !f->failure[0])
		snprintf(f->failure, sizeof(f->failure),
			 "client neither spoke nor closed in %d ms",
			 FAKE_WAIT_MS);
	return 1;
}

static void
flood(struct fake *f, long n)
{
	char chunk[65536];

	memset(chunk, 'x', sizeof(chunk));
	while (n > 0) {
		size_t k = n > (long)sizeof(chunk) ? sizeof(chunk) : (size_t)n;

		if (send_text(f, chunk, k))
			return;
		n -= (long)k;
	}
}

static void
send_events(struct fake *f, long n)
{
	char line[160];

	for (long i = 0; i < n; i++) {
		int len =
		    snprintf(line, sizeof(line),
			     "{\"timestamp\": {\"seconds\": 1, "
			     "\"microseconds\": %ld}, \"event\": "
			     "\"TEST_EVENT\", \"data\": {\"n\": %ld}}\r\n",
			     i, i);

		if (send_text(f, line, (size_t)len))
			return;
	}
}

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	char line[8192];
	FILE *t = fopen(f->transcript, "re");
	int closed = 0;

	if (!t) {
		snprintf(f->failure, sizeof(f->failure), "cannot open %s",
			 f->transcript);
		goto out;
	}
	if (f->listen_fd >= 0) {
		struct pollfd p = {.fd = f->listen_fd, .events = POLLIN};

		if (poll(&p, 1, FAKE_WAIT_MS) != 1 ||
		    (f->fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC)) <
			0) {
			snprintf(f->failure, sizeof(f->failure),
				 "no client connected");
			goto out;
		}
	}
	while (!closed && !f->failure[0] && fgets(line, sizeof(line), t)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "S: ", 3) == 0)
			send_server_line(f, line + 3);
		else if (strncmp(line, "C: ", 3) == 0)
			expect_client(f, line + 3);
		else if (strncmp(line, "PARTIAL: ", 9) == 0)
			send_text(f, line + 9, strlen(line + 9));
		else if (strncmp(line, "RAW: ", 5) == 0)
			send_raw_line(f, line + 5);
		else if (strncmp(line, "FLOOD: ", 7) == 0)
			flood(f, strtol(line + 7, NULL, 10));
		else if (strncmp(line, "EVENTS: ", 8) == 0)
			send_events(f, strtol(line + 8, NULL, 10));
		else if (strcmp(line, "CLOSE") == 0)
			closed = 1;
		else if (strcmp(line, "WAIT-EOF") == 0)
			closed = wait_eof(f, 1);
		else
			snprintf(f->failure, sizeof(f->failure),
				 "bad transcript line: %.400s", line);
	}
	if (!closed)
		wait_eof(f, 0);
out:
	if (t)
		fclose(t);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	return NULL;
}

/* Start the monitor thread on fd or, when fd is -1, on listen_fd. */
static int
fake_spawn(struct fake *f, const char *name, int fd, int listen_fd)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->transcript, sizeof(f->transcript), DATA "%s.qmp", name);
	f->fd = fd;
	f->listen_fd = listen_fd;
	return pthread_create(&f->thread, NULL, fake_run, f) == 0 ? 0 : -1;
}

/* A monitor for transcript NAME on a socketpair: the client's end or -1. */
static int
fake_start(struct fake *f, const char *name)
{
	int sv[2] = {-1, -1};

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (fake_spawn(f, name, sv[1], -1) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	return sv[0];
}

/* Join the monitor and report whether the client followed the script. */
static void
fake_finish(struct fake *f, const char *name)
{
	pthread_join(f->thread, NULL);
	CHECK(f->failure[0] == '\0', "%s: monitor: %s", name, f->failure);
}

static struct qmp *
open_session(struct fake *f, const char *name)
{
	struct qmp *q = NULL;
	int fd = fake_start(f, name);
	int rc;

	CHECK(fd >= 0, "%s: cannot start the fake monitor", name);
	if (fd < 0)
		return NULL;
	rc = qmp_open_fd(fd, T, &q);
	CHECK(rc == 0, "%s: handshake: %s", name, strerror(-rc));
	return q;
}

static void
test_recorded_session(void)
{
	struct fake f;
	struct qmp *q = open_session(&f, "session-q35");
	struct qmp_error qe;
	struct qmp_event ev;
	char status[32];
	int running = -1, major, minor, micro;
	const char *path;

	if (!q)
		goto out;
	qmp_version(q, &major, &minor, &micro);
	CHECK(major == 7 && minor == 2 && micro == 22, "version %d.%d.%d",
	      major, minor, micro);
	CHECK(qmp_query_status(q, T, status, sizeof(status), &running, NULL) ==
		  0,
	      "query-status");
	CHECK_STR(status, "running");
	CHECK(running == 1, "running flag");
	CHECK(qmp_blockdev_add_qcow2(q, "hp0", "/tmp/rs/hp0.qcow2", T, NULL) ==
		  0,
	      "blockdev-add");
	CHECK(qmp_device_add_virtio_blk(q, "hpdisk0", "hp0", "rp1", T, NULL) ==
		  0,
	      "device_add");
	CHECK(qmp_device_del(q, "hpdisk0", T, NULL) == 0, "device_del");
	/* The device's event, not the backend's that comes first. */
	CHECK(qmp_wait_event(q, "DEVICE_DELETED", "device", "hpdisk0", T,
			     &ev) == 0,
	      "DEVICE_DELETED hpdisk0");
	CHECK_STR(json_string_value(json_object_get(ev.data, "path")),
		  "/machine/peripheral/hpdisk0");
	CHECK(ev.ts_sec == 1796039121 && ev.ts_usec == 97238, "timestamp");
	qmp_event_clear(&ev);
	CHECK(qmp_blockdev_del(q, "hp0", T, NULL) == 0, "blockdev-del");
	CHECK(qmp_device_del(q, "nope", T, &qe) == -EREMOTEIO, "device_del");
	CHECK_STR(qe.class_name, "DeviceNotFound");
	CHECK_STR(qe.desc, "Device 'nope' not found");
	CHECK(qmp_execute(q, "stop", NULL, T, NULL, NULL) == 0, "stop");
	CHECK(qmp_wait_event(q, "STOP", NULL, NULL, 0, NULL) == 0, "STOP");
	CHECK(qmp_query_status(q, T, status, sizeof(status), &running, NULL) ==
		  0,
	      "query-status");
	CHECK_STR(status, "paused");
	CHECK(running == 0, "paused flag");
	CHECK(qmp_execute(q, "cont", NULL, T, NULL, NULL) == 0, "cont");
	CHECK(qmp_wait_event(q, "RESUME", NULL, NULL, 0, NULL) == 0, "RESUME");
	CHECK(qmp_system_powerdown(q, T, NULL) == 0, "system_powerdown");
	CHECK(qmp_wait_event(q, "POWERDOWN", NULL, NULL, 0, NULL) == 0,
	      "POWERDOWN");
	CHECK(qmp_quit(q, T, NULL) == 0, "quit");
	CHECK(qmp_wait_event(q, "SHUTDOWN", "reason", "host-qmp-quit", T,
			     NULL) == 0,
	      "SHUTDOWN");
	/* Left: the backend's DEVICE_DELETED, which nobody asked for. */
	CHECK(qmp_next_event(q, &ev) == 0, "backend event kept");
	path = json_string_value(json_object_get(ev.data, "path"));
	CHECK(path && strstr(path, "virtio-backend"), "backend path");
	qmp_event_clear(&ev);
	CHECK(qmp_next_event(q, &ev) == -EAGAIN, "queue empty");
	CHECK(qmp_query_status(q, T, status, sizeof(status), NULL, NULL) ==
		  -ECONNRESET,
	      "after quit");
	qmp_free(q);
out:
	fake_finish(&f, "session-q35");
}

static void
test_interleaved_device_del(void)
{
	struct fake f;
	struct qmp *q = open_session(&f, "device-del-interleaved");
	struct qmp_event ev;

	if (!q)
		goto out;
	CHECK(qmp_device_del(q, "hpdisk0", T, NULL) == 0, "device_del");
	/* Already queued while waiting for the answer: no wait needed. */
	CHECK(qmp_wait_event(q, "DEVICE_DELETED", "device", "hpdisk0", 0,
			     NULL) == 0,
	      "DEVICE_DELETED queued");
	CHECK(qmp_wait_event(q, "DEVICE_DELETED", "device", "hpdisk0", 50,
			     NULL) == -ETIMEDOUT,
	      "taken only once");
	CHECK(qmp_next_event(q, &ev) == 0, "first left");
	CHECK_STR(ev.name, "DEVICE_DELETED");
	CHECK(json_object_get(ev.data, "device") == NULL, "backend first");
	qmp_event_clear(&ev);
	CHECK(qmp_next_event(q, &ev) == 0, "second left");
	CHECK_STR(ev.name, "RTC_CHANGE");
	qmp_event_clear(&ev);
	CHECK(qmp_blockdev_del(q, "hp0", T, NULL) == 0, "blockdev-del");
	qmp_free(q);
out:
	fake_finish(&f, "device-del-interleaved");
}

static void
test_error_reply(void)
{
	struct fake f;
	struct qmp *q = open_session(&f, "error-reply");
	struct qmp_error qe;
	char status[32];

	if (!q)
		goto out;
	CHECK(qmp_device_add_virtio_blk(q, "hpdisk1", "hp1", "rp9", T, &qe) ==
		  -EREMOTEIO,
	      "device_add refused");
	CHECK_STR(qe.class_name, "GenericError");
	CHECK_STR(qe.desc, "Bus 'rp9' not found");
	CHECK(qmp_system_reset(q, T, &qe) == -EREMOTEIO, "id-less error");
	CHECK_STR(qe.desc, "JSON parse error, expecting value");
	CHECK(qmp_query_status(q, T, status, sizeof(status), NULL, NULL) == 0,
	      "usable after errors");
	CHECK_STR(status, "running");
	qmp_free(q);
out:
	fake_finish(&f, "error-reply");
}

static void
test_closed_mid_command(void)
{
	struct fake f;
	struct qmp *q = open_session(&f, "closed-mid-command");
	char status[32];
	long long t0;
	int rc;

	if (!q)
		goto out;
	t0 = now_ms();
	rc = qmp_query_status(q, 5000, status, sizeof(status), NULL, NULL);
	CHECK(rc == -ECONNRESET, "closed: %s", strerror(-rc));
	CHECK(now_ms() - t0 < 1000, "closed: took %lld ms", now_ms() - t0);
	/* What arrived before the end is still delivered. */
	CHECK(qmp_wait_event(q, "SHUTDOWN", "reason", "guest-shutdown", 0,
			     NULL) == 0,
	      "SHUTDOWN kept");
	CHECK(qmp_wait_event(q, "STOP", NULL, NULL, 5000, NULL) == -ECONNRESET,
	      "wait on a dead monitor");
	CHECK(qmp_system_powerdown(q, 5000, NULL) == -ECONNRESET,
	      "dead stays dead");
	CHECK(now_ms() - t0 < 1000, "dead calls: took %lld ms", now_ms() - t0);
	qmp_free(q);
out:
	fake_finish(&f, "closed-mid-command");
}

static void
test_timeout_then_late_answer(void)
{
	struct fake f;
	struct qmp *q = open_session(&f, "stuck-then-late");
	char status[32] = "";
	long long t0, took;
	int rc;

	if (!q)
		goto out;
	t0 = now_ms();
	rc = qmp_query_status(q, 200, status, sizeof(status), NULL, NULL);
	took = now_ms() - t0;
	CHECK(rc == -ETIMEDOUT, "stuck: %s", strerror(-rc));
	CHECK(took >= 190 && took < 1000, "stuck: took %lld ms", took);
	/* The answer to the abandoned command arrives first: ignored. */
	CHECK(qmp_query_status(q, T, status, sizeof(status), NULL, NULL) == 0,
	      "second query-status");
	CHECK_STR(status, "running");
	t0 = now_ms();
	CHECK(qmp_query_status(q, 100, status, sizeof(status), NULL, NULL) ==
		  -ETIMEDOUT,
	      "hung monitor");
	CHECK(now_ms() - t0 < 1000, "hung: took %lld ms", now_ms() - t0);
	qmp_free(q);
out:
	fake_finish(&f, "stuck-then-late");
}

static void
test_handshake_failures(void)
{
	static const struct {
		const char *name;
		int timeout_ms, want;
	} cases[] = {
	    {"bad-greeting", T, -EPROTO},
	    {"no-greeting", 200, -ETIMEDOUT},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct qmp *q = (struct qmp *)&f; /* must stay untouched */
		int fd = fake_start(&f, cases[i].name);
		long long t0 = now_ms();
		int rc = qmp_open_fd(fd, cases[i].timeout_ms, &q);

		CHECK(rc == cases[i].want, "%s: got %s", cases[i].name,
		      strerror(-rc));
		CHECK(q == (struct qmp *)&f, "%s: ret_q written",
		      cases[i].name);
		CHECK(now_ms() - t0 < cases[i].timeout_ms + 500,
		      "%s: took %lld ms", cases[i].name, now_ms() - t0);
		fake_finish(&f, cases[i].name);
	}
}

static void
test_oversized_line(void)
{
	struct fake f;
	struct qmp *q = open_session(&f, "oversized-line");
	char status[32];
	int rc;

	if (!q)
		goto out;
	rc = qmp_query_status(q, 10000, status, sizeof(status), NULL, NULL);
	CHECK(rc == -EMSGSIZE, "oversized: %s", strerror(-rc));
	qmp_free(q);
out:
	fake_finish(&f, "oversized-line");
}

static void
test_event_flood(void)
{
	struct fake f;
	struct qmp *q = open_session(&f, "event-flood");
	struct qmp_event ev;
	char status[32];
	size_t n = 0;
	long long first = -1, last = -1;

	if (!q)
		goto out;
	CHECK(qmp_query_status(q, T, status, sizeof(status), NULL, NULL) == 0,
	      "query-status after a flood");
	CHECK(qmp_events_dropped(q) == 300 - QMP_EVENT_QUEUE_MAX, "dropped %lu",
	      qmp_events_dropped(q));
	while (qmp_next_event(q, &ev) == 0) {
		long long k = json_integer_value(json_object_get(ev.data, "n"));

		if (first < 0)
			first = k;
		CHECK(last < 0 || k == last + 1, "order: %lld after %lld", k,
		      last);
		last = k;
		n++;
		qmp_event_clear(&ev);
	}
	CHECK(n == QMP_EVENT_QUEUE_MAX, "kept %zu", n);
	CHECK(first == 300 - QMP_EVENT_QUEUE_MAX && last == 299,
	      "kept %lld..%lld", first, last);
	qmp_free(q);
out:
	fake_finish(&f, "event-flood");
}

static void
test_connect(void)
{
	char dir[] = "/tmp/ec2d-test-qmp-XXXXXX";
	char path[128];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct fake f;
	struct qmp *q = NULL;
	long long t0;
	int rc, lfd = -1;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);

	/* Nobody ever listens: bounded retry, then -ETIMEDOUT. */
	t0 = now_ms();
	rc = qmp_connect(path, 300, &q);
	CHECK(rc == -ETIMEDOUT, "no socket: %s", strerror(-rc));
	CHECK(now_ms() - t0 >= 290 && now_ms() - t0 < 1000,
	      "no socket: took %lld ms", now_ms() - t0);
	CHECK(q == NULL, "ret_q written on failure");

	/* A listening monitor on a real path. */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		  listen(lfd, 1) == 0,
	      "listen: %s", strerror(errno));
	if (lfd >= 0 && fake_spawn(&f, "error-reply", -1, lfd) == 0) {
		struct qmp_error qe;
		char status[32];

		rc = qmp_connect(path, T, &q);
		CHECK(rc == 0, "connect: %s", strerror(-rc));
		if (rc == 0) {
			qmp_device_add_virtio_blk(q, "hpdisk1", "hp1", "rp9", T,
						  &qe);
			qmp_system_reset(q, T, &qe);
			CHECK(qmp_query_status(q, T, status, sizeof(status),
					       NULL, NULL) == 0,
			      "query-status over connect");
			qmp_free(q);
		}
		fake_finish(&f, "connect");
	}
	close(lfd);
	unlink(path);
	rmdir(dir);
	CHECK(qmp_connect("/tmp/this/path/is/much/too/long/for/a/unix/socket/"
			  "address/because/sun_path/holds/only/one/hundred/"
			  "and/eight/bytes",
			  100, &q) == -ENAMETOOLONG,
	      "long path");
}

int
main(void)
{
	test_recorded_session();
	test_interleaved_device_del();
	test_error_reply();
	test_closed_mid_command();
	test_timeout_then_late_answer();
	test_handshake_failures();
	test_oversized_line();
	test_event_flood();
	test_connect();
	return UNIT_DONE();
}

/*
 * qmp.c - the QMP client. See qmp.h for the contract.
 *
 * Owns one socket, a bounded input buffer of not yet complete lines, the
 * one answer it is waiting for, and the queue of events. Everything that
 * reads goes through qmp_pump(), which drains the socket without blocking
 * and dispatches each complete line: greeting, answer or event. The
 * blocking calls poll() the socket against a monotonic deadline between
 * pumps. Called by the compute driver (one qmp per running QEMU) and, for
 * hot-plug, by the volume attachment code.
 */
#include "agent/compute/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"

#define READ_CHUNK	 65536
#define CONNECT_RETRY_MS 20
#define ID_MAX		 32

struct qmp {
	int fd;
	int dead; /* 0, or the -errno every call now returns */
	int greeted;
	int version[3];
	struct buf in; /* bytes after the last complete line */
	unsigned long next_id;
	char pending_id[ID_MAX]; /* "" when no command is waiting */
	json_t *answer;		 /* the pending command's answer, once here */
	struct qmp_event events[QMP_EVENT_QUEUE_MAX];
	size_t n_events;
	unsigned long dropped;
};

static int
ms_left(long long deadline)
{
	long long left = deadline - clock_now_ms();

	if (left < 0)
		return 0;
	return left > 1000000 ? 1000000 : (int)left;
}

static int
fail(struct qmp *q, int err)
{
	if (!q->dead)
		q->dead = err;
	return q->dead;
}

static const char *
member_string(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

void
qmp_event_clear(struct qmp_event *ev)
{
	if (!ev)
		return;
	json_decref(ev->data);
	memset(ev, 0, sizeof(*ev));
}

static void
queue_event(struct qmp *q, json_t *msg)
{
	struct qmp_event ev;
	json_t *ts = json_object_get(msg, "timestamp");
	json_t *data = json_object_get(msg, "data");

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.name, sizeof(ev.name), "%s", member_string(msg, "event"));
	ev.data = json_is_object(data) ? json_incref(data) : NULL;
	ev.ts_sec = json_integer_value(json_object_get(ts, "seconds"));
	ev.ts_usec = json_integer_value(json_object_get(ts, "microseconds"));
	if (q->n_events == QMP_EVENT_QUEUE_MAX) {
		qmp_event_clear(&q->events[0]);
		memmove(&q->events[0], &q->events[1],
			(q->n_events - 1) * sizeof(q->events[0]));
		q->n_events--;
		q->dropped++;
	}
	q->events[q->n_events++] = ev;
}

static void
read_greeting(struct qmp *q, json_t *greeting)
{
	json_t *v =
	    json_object_get(json_object_get(greeting, "version"), "qemu");

	q->version[0] = (int)json_integer_value(json_object_get(v, "major"));
	q->version[1] = (int)json_integer_value(json_object_get(v, "minor"));
	q->version[2] = (int)json_integer_value(json_object_get(v, "micro"));
	q->greeted = 1;
}

/*
 * An answer belongs to the pending command when its id matches. QEMU
 * leaves the id out only when it could not parse our message at all:
 * with one command in flight, that error is the pending command's.
 */
static void
take_answer(struct qmp *q, json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "id"));
	int mine;

	if (!q->pending_id[0]) {
		mine = 0;
	} else if (id) {
		mine = strcmp(id, q->pending_id) == 0;
	} else {
		/* No id at all (not merely a non-string one), and an error. */
		mine = json_object_get(msg, "error") != NULL &&
		       !json_object_get(msg, "id");
	}
	if (!mine) {
		log_msg(LOG_DEBUG, "qmp: discarding a stale answer", "id=%s",
			id ? id : "-");
		return;
	}
	json_decref(q->answer);
	q->answer = json_incref(msg);
}

/* One complete line: returns 0 or -EPROTO. */
static int
dispatch_line(struct qmp *q, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg;
	json_t *greeting;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	msg = json_loadb(line, len, 0, &jerr);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return -EPROTO;
	}
	greeting = json_object_get(msg, "QMP");
	if (json_is_string(json_object_get(msg, "event")))
		queue_event(q, msg);
	else if (json_object_get(msg, "return") ||
		 json_is_object(json_object_get(msg, "error")))
		take_answer(q, msg);
	else if (json_is_object(greeting) && !q->greeted)
		read_greeting(q, greeting);
	else
		log_msg(LOG_DEBUG, "qmp: ignoring an unknown message",
			"len=%zu", len);
	json_decref(msg);
	return 0;
}

/* Dispatch every complete line in q->in and keep the incomplete tail. */
static int
dispatch_lines(struct qmp *q)
{
	size_t start = 0;
	int rc = 0;

	while (start < q->in.len) {
		char *nl = memchr(q->in.data + start, '\n', q->in.len - start);

		if (!nl)
			break;
		rc = dispatch_line(q, q->in.data + start,
				   (size_t)(nl - (q->in.data + start)));
		start = (size_t)(nl - q->in.data) + 1;
		if (rc)
			return rc;
	}
	if (start) {
		memmove(q->in.data, q->in.data + start, q->in.len - start);
		q->in.len -= start;
		q->in.data[q->in.len] = '\0';
	}
	if (q->in.len > QMP_LINE_MAX)
		return -EMSGSIZE;
	return 0;
}

int
qmp_pump(struct qmp *q)
{
	char chunk[READ_CHUNK];
	int eof = 0;

	if (q->dead)
		return q->dead;
	for (;;) {
		ssize_t n = read(q->fd, chunk, sizeof(chunk));
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return fail(q, -errno);
		if (n == 0) {
			eof = 1;
			break;
		}
		buf_add(&q->in, chunk, (size_t)n);
		if (buf_failed(&q->in))
			return fail(q, q->in.len >= q->in.max ? -EMSGSIZE
							      : -ENOMEM);
		/* Dispatch as we go so the buffer holds at most one line. */
		rc = dispatch_lines(q);
		if (rc)
			return fail(q, rc);
	}
	/* Lines that arrived before EOF count: "quit" answers, then closes. */
	if (eof)
		return fail(q, -ECONNRESET);
	return 0;
}

/*
 * Pump until ready(q, arg) holds, the connection dies or the deadline
 * passes. A ready condition wins over a dead connection: what arrived
 * before EOF is still delivered.
 */
static int
wait_for(struct qmp *q, long long deadline,
	 int (*ready)(struct qmp *q, const void *arg), const void *arg)
{
	for (;;) {
		struct pollfd p = {.fd = q->fd, .events = POLLIN};
		int rc = qmp_pump(q);
		int n;

		if (ready(q, arg))
			return 0;
		if (rc)
			return rc;
		if (ms_left(deadline) == 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, ms_left(deadline));
		if (n < 0 && errno != EINTR)
			return fail(q, -errno);
	}
}

static int
greeted(struct qmp *q, const void *arg)
{
	return q->greeted;
}

static int
answered(struct qmp *q, const void *arg)
{
	return q->answer != NULL;
}

/* Write all of s, or fail the connection: a half-sent command poisons it. */
static int
send_all(struct qmp *q, const char *s, size_t len, long long deadline)
{
	while (len) {
		struct pollfd p = {.fd = q->fd, .events = POLLOUT};
		ssize_t n = send(q->fd, s, len, MSG_NOSIGNAL);

		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(q, errno == EPIPE ? -ECONNRESET : -errno);
		if (ms_left(deadline) == 0)
			return fail(q, -ETIMEDOUT);
		if (poll(&p, 1, ms_left(deadline)) < 0 && errno != EINTR)
			return fail(q, -errno);
	}
	return 0;
}

static void
fill_error(const json_t *err, struct qmp_error *ret_error)
{
	if (!ret_error)
		return;
	snprintf(ret_error->class_name, sizeof(ret_error->class_name), "%s",
		 member_string(err, "class"));
	snprintf(ret_error->desc, sizeof(ret_error->desc), "%s",
		 member_string(err, "desc"));
}

int
qmp_execute(struct qmp *q, const char *cmd, json_t *args, int timeout_ms,
	    json_t **ret_return, struct qmp_error *ret_error)
{
	long long deadline = clock_now_ms() + timeout_ms;
	json_t *msg = NULL;
	json_t *err;
	char *text = NULL;
	int rc;

	if (q->dead)
		return q->dead;
	snprintf(q->pending_id, sizeof(q->pending_id), "ec2d-%lu",
		 ++q->next_id);
	json_decref(q->answer);
	q->answer = NULL;
	msg = json_pack("{s:s, s:s}", "execute", cmd, "id", q->pending_id);
	if (msg && args && json_object_set(msg, "arguments", args) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	if (!text) {
		rc = -ENOMEM;
		goto out;
	}
	rc = send_all(q, text, strlen(text), deadline);
	if (rc == 0)
		rc = send_all(q, "\n", 1, deadline);
	if (rc == 0)
		rc = wait_for(q, deadline, answered, NULL);
	if (rc)
		goto out;
	err = json_object_get(q->answer, "error");
	if (err) {
		fill_error(err, ret_error);
		rc = -EREMOTEIO;
		goto out;
	}
	if (ret_return)
		*ret_return = json_incref(json_object_get(q->answer, "return"));
out:
	q->pending_id[0] = '\0';
	json_decref(q->answer);
	q->answer = NULL;
	json_decref(msg);
	free(text);
	return rc;
}

int
qmp_open_fd(int fd, int timeout_ms, struct qmp **ret_q)
{
	long long deadline = clock_now_ms() + timeout_ms;
	struct qmp *q = calloc(1, sizeof(*q));
	int flags, rc;

	if (!q) {
		close(fd);
		return -ENOMEM;
	}
	q->fd = fd;
	buf_init(&q->in, QMP_LINE_MAX + READ_CHUNK + 1);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = wait_for(q, deadline, greeted, NULL);
	if (rc == 0)
		rc = qmp_execute(q, "qmp_capabilities", NULL, ms_left(deadline),
				 NULL, NULL);
	if (rc == -EREMOTEIO)
		rc = -EPROTO;
	if (rc)
		goto fail;
	*ret_q = q;
	return 0;
fail:
	qmp_free(q);
	return rc;
}

int
qmp_connect(const char *path, int timeout_ms, struct qmp **ret_q)
{
	long long deadline = clock_now_ms() + timeout_ms;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = -1;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		struct timespec pause = {0, CONNECT_RETRY_MS * 1000000L};

		/* Non-blocking: a full backlog (another client holds the
		 * monitor) answers EAGAIN instead of blocking past the
		 * deadline. */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		rc = -errno;
		close(fd);
		fd = -1;
		/* QEMU has not created the socket or is not listening yet. */
		if (rc != -ENOENT && rc != -ECONNREFUSED && rc != -EAGAIN)
			return rc;
		if (ms_left(deadline) == 0)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
	return qmp_open_fd(fd, ms_left(deadline), ret_q);
}

void
qmp_free(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	for (size_t i = 0; i < q->n_events; i++)
		qmp_event_clear(&q->events[i]);
	json_decref(q->answer);
	buf_free(&q->in);
	free(q);
}

void
qmp_version(const struct qmp *q, int *major, int *minor, int *micro)
{
	*major = q->version[0];
	*minor = q->version[1];
	*micro = q->version[2];
}

int
qmp_fd(const struct qmp *q)
{
	return q->fd;
}

unsigned long
qmp_events_dropped(const struct qmp *q)
{
	return q->dropped;
}

struct event_match {
	const char *name, *key, *value;
};

static long
find_event(const struct qmp *q, const struct event_match *m)
{
	for (size_t i = 0; i < q->n_events; i++) {
		const struct qmp_event *ev = &q->events[i];
		const char *v;

		if (strcmp(ev->name, m->name) != 0)
			continue;
		if (!m->key)
			return (long)i;
		v = json_string_value(json_object_get(ev->data, m->key));
		if (v && strcmp(v, m->value) == 0)
			return (long)i;
	}
	return -1;
}

static int
event_queued(struct qmp *q, const void *arg)
{
	return find_event(q, arg) >= 0;
}

static void
take_event(struct qmp *q, size_t i, struct qmp_event *ret_ev)
{
	if (ret_ev)
		*ret_ev = q->events[i];
	else
		qmp_event_clear(&q->events[i]);
	memmove(&q->events[i], &q->events[i + 1],
		(q->n_events - i - 1) * sizeof(q->events[0]));
	q->n_events--;
}

int
qmp_wait_event(struct qmp *q, const char *name, const char *key,
	       const char *value, int timeout_ms, struct qmp_event *ret_ev)
{
	struct event_match m = {name, key, value ? value : ""};
	int rc;

	/* Queued events are delivered even after the connection died. */
	if (find_event(q, &m) < 0) {
		rc = wait_for(q, clock_now_ms() + timeout_ms, event_queued, &m);
		if (rc)
			return rc;
	}
	take_event(q, (size_t)find_event(q, &m), ret_ev);
	return 0;
}

int
qmp_next_event(struct qmp *q, struct qmp_event *ret_ev)
{
	if (q->n_events == 0)
		return -EAGAIN;
	take_event(q, 0, ret_ev);
	return 0;
}

int
qmp_query_status(struct qmp *q, int timeout_ms, char *ret_status,
		 size_t status_size, int *ret_running,
		 struct qmp_error *ret_error)
{
	json_t *ret = NULL;
	const char *status;
	int rc;

	rc = qmp_execute(q, "query-status", NULL, timeout_ms, &ret, ret_error);
	if (rc)
		return rc;
	status = json_string_value(json_object_get(ret, "status"));
	if (!status) {
		rc = -EPROTO;
		goto out;
	}
	snprintf(ret_status, status_size, "%s", status);
	if (ret_running)
		*ret_running = json_is_true(json_object_get(ret, "running"));
out:
	json_decref(ret);
	return rc;
}

/* Run cmd with args (consumed), whose answer is {}; NULL args: -EINVAL
 * (json_pack refuses a NULL string). */
static int
execute_simple(struct qmp *q, const char *cmd, json_t *args, int timeout_ms,
	       struct qmp_error *ret_error)
{
	int rc;

	if (!args)
		return -EINVAL;
	rc = qmp_execute(q, cmd, args, timeout_ms, NULL, ret_error);
	json_decref(args);
	return rc;
}

int
qmp_system_powerdown(struct qmp *q, int timeout_ms, struct qmp_error *ret_error)
{
	return qmp_execute(q, "system_powerdown", NULL, timeout_ms, NULL,
			   ret_error);
}

int
qmp_system_reset(struct qmp *q, int timeout_ms, struct qmp_error *ret_error)
{
	return qmp_execute(q, "system_reset", NULL, timeout_ms, NULL,
			   ret_error);
}

int
qmp_quit(struct qmp *q, int timeout_ms, struct qmp_error *ret_error)
{
	return qmp_execute(q, "quit", NULL, timeout_ms, NULL, ret_error);
}

int
qmp_blockdev_add_qcow2(struct qmp *q, const char *node_name, const char *path,
		       int timeout_ms, struct qmp_error *ret_error)
{
	json_t *args = json_pack("{s:s, s:s, s:{s:s, s:s}}", "driver", "qcow2",
				 "node-name", node_name, "file", "driver",
				 "file", "filename", path);

	return execute_simple(q, "blockdev-add", args, timeout_ms, ret_error);
}

int
qmp_device_add_virtio_blk(struct qmp *q, const char *id, const char *node_name,
			  const char *bus, int timeout_ms,
			  struct qmp_error *ret_error)
{
	json_t *args =
	    json_pack("{s:s, s:s, s:s, s:s}", "driver", "virtio-blk-pci", "id",
		      id, "drive", node_name, "bus", bus);

	return execute_simple(q, "device_add", args, timeout_ms, ret_error);
}

int
qmp_device_del(struct qmp *q, const char *id, int timeout_ms,
	       struct qmp_error *ret_error)
{
	json_t *args = json_pack("{s:s}", "id", id);

	return execute_simple(q, "device_del", args, timeout_ms, ret_error);
}

int
qmp_blockdev_del(struct qmp *q, const char *node_name, int timeout_ms,
		 struct qmp_error *ret_error)
{
	json_t *args = json_pack("{s:s}", "node-name", node_name);

	return execute_simple(q, "blockdev-del", args, timeout_ms, ret_error);
}

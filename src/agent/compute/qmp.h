/*
 * qmp.h - a client for QEMU's monitor protocol (QMP) on a unix socket.
 *
 * One struct qmp per QEMU process, used by one thread at a time. QMP is
 * newline-separated JSON: a greeting, then our {"execute", "arguments",
 * "id"} commands answered by {"return"|"error", "id"}, with asynchronous
 * {"event"} messages arriving at any moment, also between a command and
 * its answer. Every answer is matched to its command by the id this
 * client adds; events are kept, in order, in a bounded queue
 * (QMP_EVENT_QUEUE_MAX, the oldest dropped first) until taken with
 * qmp_wait_event() or qmp_next_event().
 *
 * The socket is non-blocking: an event loop can poll qmp_fd() and call
 * qmp_pump() when it is readable. The blocking calls below are built on
 * the same machinery and always take a timeout: nothing here waits
 * forever. Once the connection fails (EOF, bad JSON, an oversized line)
 * the qmp is dead and every later call returns the same -errno.
 *
 * Errors are -errno: -ETIMEDOUT, -ECONNRESET (QEMU went away), -EPROTO
 * (not QMP), -EMSGSIZE (a line above QMP_LINE_MAX), -ENOMEM, and
 * -EREMOTEIO for an {"error"} answer, described in struct qmp_error.
 */
#ifndef EC2D_AGENT_COMPUTE_QMP_H
#define EC2D_AGENT_COMPUTE_QMP_H

#include <jansson.h>
#include <stddef.h>

#define QMP_LINE_MAX	    (8u << 20) /* query-qmp-schema is ~200 KiB */
#define QMP_EVENT_QUEUE_MAX 256
#define QMP_NAME_MAX	    64

struct qmp;

/* An {"error": {"class", "desc"}} answer. */
struct qmp_error {
	char class_name[QMP_NAME_MAX]; /* "GenericError", "DeviceNotFound" */
	char desc[512];
};

/* One asynchronous event; owned by whoever took it from the queue. */
struct qmp_event {
	char name[QMP_NAME_MAX];   /* "SHUTDOWN", "DEVICE_DELETED", ... */
	json_t *data;		   /* its "data" object, or NULL */
	long long ts_sec, ts_usec; /* QEMU's timestamp */
};

void qmp_event_clear(struct qmp_event *ev);

/*
 * qmp_connect - connect to the socket at path, retrying while it does not
 * exist yet or refuses (QEMU is starting) until timeout_ms is spent, then
 * read the greeting and negotiate capabilities. 0 and *ret_q, or -errno
 * (-ETIMEDOUT when QEMU never listened).
 */
int qmp_connect(const char *path, int timeout_ms, struct qmp **ret_q);

/*
 * qmp_open_fd - the same handshake on an already connected stream socket,
 * which the qmp takes over (closed by qmp_free, or here on failure).
 */
int qmp_open_fd(int fd, int timeout_ms, struct qmp **ret_q);

/* Close the socket and drop queued events. NULL is fine. */
void qmp_free(struct qmp *q);

/* QEMU's version from the greeting, e.g. 7, 2, 22. */
void qmp_version(const struct qmp *q, int *major, int *minor, int *micro);

/* The socket, for poll/epoll (POLLIN), and a non-blocking read of what is
 * there: events are queued. 0, or -errno once the connection is dead. */
int qmp_fd(const struct qmp *q);
int qmp_pump(struct qmp *q);

/*
 * qmp_execute - send {"execute": cmd, "arguments": args} and wait up to
 * timeout_ms for its answer, queueing events that arrive meanwhile. args
 * is borrowed (may be NULL). On 0, *ret_return (when not NULL) gets a
 * new reference to the "return" value. On -EREMOTEIO, *ret_error (when
 * not NULL) describes QEMU's refusal; the connection stays usable.
 * After -ETIMEDOUT waiting for the answer the connection stays usable
 * too: a late answer to the abandoned command is recognised by its id and
 * discarded (a command that could not even be sent kills it).
 */
int qmp_execute(struct qmp *q, const char *cmd, json_t *args, int timeout_ms,
		json_t **ret_return, struct qmp_error *ret_error);

/*
 * qmp_wait_event - take the first queued event called name whose
 * data.<key> is the string value (key NULL: any data), waiting up to
 * timeout_ms for one to arrive. Other events stay queued in order.
 * 0 and *ret_ev (may be NULL to discard), or -ETIMEDOUT / -errno.
 */
int qmp_wait_event(struct qmp *q, const char *name, const char *key,
		   const char *value, int timeout_ms, struct qmp_event *ret_ev);

/* Take the oldest queued event without waiting: 0, or -EAGAIN if none. */
int qmp_next_event(struct qmp *q, struct qmp_event *ret_ev);

/* Events dropped because the queue was full (for the log). */
unsigned long qmp_events_dropped(const struct qmp *q);

/*
 * The commands the compute driver uses. All return 0 / -errno as
 * qmp_execute does, with ret_error filled on -EREMOTEIO when not NULL.
 */

/* query-status: "running", "paused", "shutdown", "inmigrate", ... */
int qmp_query_status(struct qmp *q, int timeout_ms, char *ret_status,
		     size_t status_size, int *ret_running,
		     struct qmp_error *ret_error);
int qmp_system_powerdown(struct qmp *q, int timeout_ms,
			 struct qmp_error *ret_error);
int qmp_system_reset(struct qmp *q, int timeout_ms,
		     struct qmp_error *ret_error);
/* quit: QEMU answers, then closes the socket and exits. */
int qmp_quit(struct qmp *q, int timeout_ms, struct qmp_error *ret_error);

/*
 * Disk hot-plug on q35 (PLATFORM.md's verified sequence): blockdev-add a
 * qcow2 node on a file, device_add virtio-blk-pci on a free root port;
 * to unplug, device_del, wait for DEVICE_DELETED with data.device = the
 * device id (the first one is the virtio backend's: skipped by the key
 * match), then blockdev-del.
 */
int qmp_blockdev_add_qcow2(struct qmp *q, const char *node_name,
			   const char *path, int timeout_ms,
			   struct qmp_error *ret_error);
int qmp_device_add_virtio_blk(struct qmp *q, const char *id,
			      const char *node_name, const char *bus,
			      int timeout_ms, struct qmp_error *ret_error);
int qmp_device_del(struct qmp *q, const char *id, int timeout_ms,
		   struct qmp_error *ret_error);
int qmp_blockdev_del(struct qmp *q, const char *node_name, int timeout_ms,
		     struct qmp_error *ret_error);

#endif

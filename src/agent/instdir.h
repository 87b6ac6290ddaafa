/*
 * instdir.h - the folder of one instance on a host, STATE/instances/<id>/.
 *
 *   root.qcow2    root disk: a qcow2 overlay on the image's disk; kept
 *                 across stop/start, kept on terminate when asked
 *   store<N>.img  instance store N: sparse raw, re-created empty at start
 *   console.log   serial console, appended to across boots
 *   qemu.log      QEMU's stdout and stderr of the current run
 *   qemu.pid      QEMU's pid and start time, on disk before it execs;
 *                 qmp.sock its monitor socket
 *   host.state    "boot=N console=OFFSET": the boot counter the guest runs
 *                 and where that boot's console output starts, so that an
 *                 agent restarted while the guest runs carries on
 *   terminated    left beside a kept root.qcow2: not an instance any more
 *
 * File operations only, all returning 0 or -errno; no locking (the caller
 * serialises work on one instance). Used by host.c.
 */
#ifndef EC2D_AGENT_INSTDIR_H
#define EC2D_AGENT_INSTDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define INSTDIR_PATH_MAX 1152 /* HOST_PATH_MAX + instances/<id>/<file> */

#define INSTDIR_ROOT	   "root.qcow2"
#define INSTDIR_CONSOLE	   "console.log"
#define INSTDIR_QEMU_LOG   "qemu.log"
#define INSTDIR_PIDFILE	   "qemu.pid"
#define INSTDIR_QMP	   "qmp.sock"
#define INSTDIR_STATE	   "host.state"
#define INSTDIR_TERMINATED "terminated"

/* "i-" and 8 or 17 lowercase hex digits: safe as a file name. */
bool instdir_id_valid(const char *id);

/* dir/name into out; -ENAMETOOLONG when it does not fit. */
int instdir_file(char *out, size_t size, const char *dir, const char *name);

/* Create dir if missing; root's, 0700 (QEMU gets its files open). */
int instdir_make(const char *dir);

bool instdir_exists(const char *dir, const char *name);

/*
 * The root overlay: `qemu-img create -f qcow2 -F qcow2 -b BASE root.qcow2
 * SIZE` (no size when gib is 0), through a temporary name so a crash never
 * leaves half a disk. Does nothing when root.qcow2 exists. On failure the
 * reason (qemu-img's last line) is in reason.
 */
int instdir_create_root(const char *dir, const char *qemu_img, const char *base,
			unsigned gib, char *reason, size_t reason_size);

/* Remove every store<N>.img, then create n empty sparse ones of gib GiB. */
int instdir_reset_store(const char *dir, unsigned n, unsigned gb);
void instdir_remove_store(const char *dir);

/* Remove qemu.pid and qmp.sock (a QEMU that is gone). */
void instdir_remove_runtime(const char *dir);

/*
 * Remove the instance's files; with keep_root, root.qcow2 stays and the
 * `terminated` marker is left beside it, else the folder goes too.
 */
int instdir_remove(const char *dir, bool keep_root);

/*
 * qemu.pid is "PID START\n": START is the process's start time
 * (spawn_proc_start), so a pid the kernel gave to another process since
 * is never taken for the QEMU. Written before QEMU may exec (launch.c).
 */
int instdir_write_pid(const char *dir, pid_t pid, unsigned long long start);
int instdir_read_pid(const char *dir, pid_t *ret,
		     unsigned long long *ret_start);
int instdir_write_state(const char *dir, unsigned boot, long long console);
int instdir_read_state(const char *dir, unsigned *ret_boot,
		       long long *ret_console);

/* The console's size (0 when absent). */
long long instdir_console_size(const char *dir);

/*
 * Keep the console bounded: when it is over max bytes, keep its last keep
 * bytes. Only while no QEMU writes it (before a start).
 */
int instdir_console_trim(const char *dir, long long max, long long keep);

/* The last size bytes of the console; *ret_len 0 when there is none. */
int instdir_console_tail(const char *dir, char *buf, size_t size,
			 size_t *ret_len);

/* An incremental search of the console for a marker. */
struct instdir_scan {
	long long pos; /* next byte to read */
	char tail[64]; /* end of the last read: a split marker */
	size_t tail_len;
};

void instdir_scan_start(struct instdir_scan *s, long long pos);

/* 1 when marker (< 64 bytes) appeared since the last call, else 0. */
int instdir_console_find(const char *dir, struct instdir_scan *s,
			 const char *marker);

/* The last non-empty line of dir/name, printable, for a reason. */
void instdir_last_line(const char *dir, const char *name, char *out,
		       size_t size);

#endif

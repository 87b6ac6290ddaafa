#!/usr/bin/python3
"""Chaos test: random API calls from several clients while ec2d is killed
with SIGKILL at random moments and restarted, then invariant checks.

Run:  /usr/bin/python3 tests/chaos/chaos.py
  EC2D_BIN              the binary [build/ec2d]
  EC2D_CHAOS_SECONDS    how long the chaos phase runs [150]
  EC2D_CHAOS_SEED       the seed (printed at start) to replay a run's
                        choices; thread timing still varies
  EC2D_CHAOS_CLIENTS    client threads [4]
  EC2D_CHAOS_MAX_LIVE   instances alive at once, at most [5]
  EC2D_CHAOS_KEEP=1     keep the work directory (logs) even when clean
  EC2D_IMAGES           image root with default/image.json
                        [build/images]; built when missing

What it does. One ec2d (--stop-instances-on-exit true, guests under TCG)
on a port picked at the first start and passed explicitly at every
restart, so clients keep their endpoint. Client threads (boto3, no
retries, short timeouts) each own their instances, key pairs and tags, and
run random RunInstances (with a ClientToken and tags), Stop, Start,
Reboot, Terminate, CreateTags/DeleteTags, CreateKeyPair/ImportKeyPair/
DeleteKeyPair and Describe* calls. A killer thread sends SIGKILL at a
random moment: after a random time, just after a client sent a
state-changing call (the steps of a launch or a stop), or as ec2d
starts a QEMU (the window before its pid is on disk). It restarts
ec2d with the same data directory and port, pauses the clients, and
checks:

  (a) once DescribeInstances shows no pending/stopping/shutting-down
      instance (polled, with a deadline): a running instance has exactly
      one QEMU, a stopped or terminated one none, and no QEMU of this
      deployment (its fds under the data directory, or in one of its
      network namespaces) lacks a non-terminated instance; a violation
      must persist for a grace period (the reconciler may be mid-pass);
      a guest no call stopped, started or rebooted since the last check
      runs in the same QEMU process (adopted, not booted again);
  (b) every acknowledged write is in the store: per instance, tag and key
      pair the test keeps the set of states the store may hold, from the
      last acknowledged call plus any call whose outcome is unknown (its
      connection broke); the observed state must be in that set;
  (c) no answer was a 5xx other than throttling (RequestLimitExceeded,
      503) and InsufficientInstanceCapacity (500 on EC2 too). Refused
      connections (ec2d down) are not answers; a broken connection or a
      timeout is an unknown outcome, tracked as such.

ec2d exiting by itself (not killed) is a violation too.

Reads check (b) on the fly too (an acknowledged instance is never
NotFound; an instance nobody terminated is never terminated). At the end:
the same checks, then SIGTERM (guests power off), and nothing of the run
may remain: no QEMU, no process holding the data directory, no ec2d-TAG-*
namespace or cgroup. Leftovers are reported, then removed.

On a violation the report names the kind, the instance, the calls on it
(from ops.log, with the server life "gen" each was sent in) and ec2d's log
lines about it, and keeps the work directory's logs. The last line:

  chaos: seed=S ops=N acked=A unknown=U refused=F throttled=T capacity=I
  adopted=D crashes=C restarts=R invariant_checks=K violations=V

(acked: answered, 2xx or error; adopted: guests seen in the same QEMU
across a restart). Exit 1 on any violation, 2 when the harness could not
start (ec2d would not start the first time), 130 when interrupted.
"""
import glob
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("EC2D_BIN", "build/ec2d"))
IMAGES = os.environ.get("EC2D_IMAGES", os.path.join(ROOT, "build", "images"))
SECONDS = float(os.environ.get("EC2D_CHAOS_SECONDS", "150"))
CLIENTS = int(os.environ.get("EC2D_CHAOS_CLIENTS", "4"))
MAX_LIVE = int(os.environ.get("EC2D_CHAOS_MAX_LIVE", "5"))
KEEP = os.environ.get("EC2D_CHAOS_KEEP") == "1"
REGION = "us-east-1"

STOP_TIMEOUT_MS = 8000      # ACPI grace before ec2d forces a stop
SETTLE_TIMEOUT = 180        # no transitional state within this: violation
GRACE = 20                  # a process violation must last this long
START_TIMEOUT = 60          # ec2d's "ready at" line
TRANSITIONAL = ("pending", "stopping", "shutting-down")
MUTATING = ("RunInstances", "StartInstances", "StopInstances",
            "TerminateInstances", "RebootInstances")
TAG_KEYS = ("k0", "k1", "k2")
ABSENT = None               # a tag or key pair that is not there


def now():
    return time.monotonic()


class Violations:
    """Every violation once (by kind and subject), with its detail."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}
        self.list = []
        self.log = None             # the ops log, which gets them too

    def add(self, kind, subject, detail, ids=()):
        with self.lock:
            key = (kind, subject)
            if key in self.seen:
                return
            self.seen[key] = True
            self.list.append({"kind": kind, "subject": subject,
                              "detail": detail, "ids": list(ids)})
        if self.log:
            self.log("VIOLATION %s %s: %s" % (kind, subject, detail))
        print("chaos: VIOLATION %s %s: %s" % (kind, subject, detail),
              flush=True)


class Server:
    """The ec2d under test: started, killed, restarted on one port."""

    def __init__(self, work, manifest):
        self.work = work
        self.data_dir = os.path.join(work, "data")
        os.mkdir(self.data_dir)
        self.log_path = os.path.join(work, "ec2d.log")
        self.out_path = os.path.join(work, "ec2d.out")
        self.manifest = manifest
        self.port = 0
        self.proc = None
        self.url = None
        self.tag = None

    def args(self):
        return [BIN, "serve", "--data-dir", self.data_dir,
                "--listen", "127.0.0.1:%d" % self.port,
                "--stop-instances-on-exit", "true",
                "--image-root", IMAGES, "--default-image", self.manifest,
                "--accel", "tcg", "--stop-timeout-ms", str(STOP_TIMEOUT_MS)]

    def start(self):
        """Start and wait for "ready at URL"; False (and why) if it exits
        or does not get there in time."""
        log = open(self.log_path, "ab")
        out = open(self.out_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.PIPE,
                                     stderr=log)
        log.close()
        deadline = now() + START_TIMEOUT
        got = b""
        fd = self.proc.stdout.fileno()
        while b"ready at " not in got or not got.endswith(b"\n"):
            left = deadline - now()
            if left <= 0:
                out.write(got)
                out.close()
                return False, "no ready line in %ds" % START_TIMEOUT
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                out.write(got)
                out.close()
                rc = self.proc.wait()
                self.proc.stdout.close()
                self.proc = None
                return False, "exited with %r before ready" % rc
            got += chunk
        out.write(got)
        out.close()
        line = got[got.index(b"ready at "):].split(b"\n")[0].decode()
        url = line.split()[2]
        port = int(url.rsplit(":", 1)[1])
        if self.port and port != self.port:
            return False, "ready at %s, not on port %d" % (url, self.port)
        self.port = port
        self.url = url
        # Nothing more is read from stdout: keep the pipe drained.
        threading.Thread(target=self._drain, args=(self.proc.stdout,),
                         daemon=True).start()
        if self.tag is None:
            self.tag = self._net_tag()
        return True, ""

    def _drain(self, pipe):
        with open(self.out_path, "ab") as out:
            for chunk in iter(lambda: pipe.read1(4096), b""):
                out.write(chunk)

    def _net_tag(self):
        """The deployment tag ec2d logged when it opened its network."""
        for line in self.log_text().splitlines():
            if 'msg="network open"' in line:
                return line.split("tag=")[1].split()[0]
        return None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        self.proc = None

    def stop(self, timeout=120):
        """SIGTERM; the exit status."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            rc = "timeout"
        self.proc = None
        return rc

    def credentials(self):
        out = subprocess.run([BIN, "env", "--data-dir", self.data_dir],
                             check=True, capture_output=True,
                             text=True).stdout
        env = dict(line[len("export "):].split("=", 1)
                   for line in out.splitlines())
        return env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]

    def netns_inodes(self):
        out = {}
        if not self.tag:
            return out
        for name in self.netns_names():
            try:
                out[os.stat("/run/netns/" + name).st_ino] = name
            except OSError:
                pass
        return out

    def netns_names(self):
        try:
            names = os.listdir("/run/netns")
        except OSError:
            return []
        return [n for n in names if n.startswith("ec2d-%s-" % self.tag)]

    def cgroups(self):
        pattern = "ec2d-%s-*" % self.tag
        return glob.glob("/sys/fs/cgroup/" + pattern) + glob.glob(
            "/sys/fs/cgroup/*/**/" + pattern, recursive=True)


def proc_argv(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace").split("\0")
    except OSError:
        return []


def holds_dir(pid, d):
    """Whether pid has a file under d open (or as its cwd)."""
    prefix = d.rstrip("/") + "/"
    try:
        fds = os.listdir("/proc/%s/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%s/fd/%s" % (pid, fd)).startswith(prefix):
                return True
        except OSError:
            pass
    return False


def deployment_processes(server, known_ids=()):
    """{pid: (instance id or None, argv)} of every process of this run
    (ec2d itself excluded): a process in one of its namespaces or holding
    a file of its data directory; and any QEMU named after one of
    known_ids."""
    inodes = server.netns_inodes()
    own = server.proc.pid if server.proc else None
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) in (own, os.getpid()):
            continue
        argv = proc_argv(pid)
        if not argv or not argv[0]:
            continue
        iid = None
        for a in argv:
            if a.startswith("guest="):
                iid = a[len("guest="):].split(",")[0]
        ours = iid is not None and iid in known_ids
        if not ours:
            try:
                ours = os.stat("/proc/%s/ns/net" % pid).st_ino in inodes
            except OSError:
                continue
        if not ours:
            ours = holds_dir(pid, server.data_dir)
        if ours:
            out[int(pid)] = (iid, argv)
    return out


def qemus(server, known_ids=()):
    """{instance id: [pid, ...]} of this run's QEMU processes."""
    out = {}
    for pid, (iid, argv) in deployment_processes(server, known_ids).items():
        if iid is not None and "qemu" in os.path.basename(argv[0]):
            out.setdefault(iid, []).append(pid)
    return out


class Inst:
    """What the store may hold for one instance: states, tags."""

    def __init__(self, iid, owner, token):
        self.id = iid
        self.owner = owner
        self.token = token
        self.expect = {"running"}
        self.floating = []          # (target, gen) of unknown outcomes
        self.tags = {}              # key -> set of values (ABSENT too)
        self.tag_floating = []      # (key, value, gen)
        self.acked = True           # RunInstances answered 200
        self.touched = False        # a state call since the last check


class Key:
    """What the store may hold for one key pair name."""

    def __init__(self, name):
        self.name = name
        self.expect = {ABSENT}
        self.floating = []
        self.fp = None              # fingerprint of the last acked create


class Chaos:
    def __init__(self, seed):
        self.seed = seed
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.v = Violations()
        self.gen = 0                # bumped at each kill
        self.counts = dict(ops=0, acked=0, unknown=0, refused=0, crashes=0,
                           restarts=0, invariant_checks=0, throttled=0,
                           capacity=0, adopted=0)
        self.insts = {}
        self.keys = {}
        self.tokens = {}            # unresolved ClientToken -> (owner, n)
        self.per_action = {}        # action -> {outcome: count}
        self.pids = {}              # iid -> its QEMU at the last check
        self.ops_log = None
        self.t0 = now()
        self.stop = threading.Event()       # the chaos phase is over
        self.abort = threading.Event()      # interrupted: no more checks
        self.up = threading.Event()         # ec2d answers
        self.sent_mutation = threading.Event()
        self.gate = Gate()
        self.server = None
        self.creds = None
        self.ami = None
        self.pubkeys = []

    # -- bookkeeping ---------------------------------------------------

    def count(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def log_op(self, thread, gen, action, args, outcome):
        line = "%8.3f gen=%d %s %s %s -> %s\n" % (
            now() - self.t0, gen, thread, action, args, outcome)
        with self.lock:
            self.ops_log.write(line)
            self.ops_log.flush()

    def note(self, msg):
        print("chaos: %7.1fs %s" % (now() - self.t0, msg), flush=True)
        self.log_line("---- " + msg)

    def log_line(self, msg):
        with self.lock:
            self.ops_log.write("%8.3f %s\n" % (now() - self.t0, msg))
            self.ops_log.flush()

    def client(self):
        cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                     connect_timeout=3, read_timeout=30,
                     max_pool_connections=2)
        session = boto3.session.Session()
        return session.client("ec2", endpoint_url=self.server.url,
                              region_name=REGION,
                              aws_access_key_id=self.creds[0],
                              aws_secret_access_key=self.creds[1],
                              config=cfg)

    def live(self):
        """Instances that may be alive, and launches of unknown outcome."""
        with self.lock:
            n = sum(1 for i in self.insts.values()
                    if i.expect != {"terminated"})
            return n + sum(c for _, c in self.tokens.values())

    # -- the expected-state model (called with self.lock held) ---------

    def settle_expect(self, expect, floating, target, gen):
        """An acknowledged move to target at gen: the store holds target,
        or what a call of unknown outcome of the same server life did
        after it."""
        floating[:] = [f for f in floating if f[-1] >= gen]
        expect.clear()
        expect.add(target)
        for f in floating:
            expect.add(f[-2])

    def inst_ack(self, inst, target, gen):
        self.settle_expect(inst.expect, inst.floating, target, gen)

    def inst_unknown(self, inst, target, gen):
        inst.expect.add(target)
        inst.floating.append((target, gen))

    def tag_ack(self, inst, key, value, gen):
        fl = [f for f in inst.tag_floating if f[0] == key]
        inst.tag_floating = [f for f in inst.tag_floating
                             if f[0] != key or f[2] >= gen]
        exp = {value}
        for k, v, g in fl:
            if g >= gen:
                exp.add(v)
        inst.tags[key] = exp

    def tag_unknown(self, inst, key, value, gen):
        inst.tags.setdefault(key, {ABSENT}).add(value)
        inst.tag_floating.append((key, value, gen))

    def key_ack(self, k, present, gen, fp=None):
        self.settle_expect(k.expect, k.floating,
                           "present" if present else ABSENT, gen)
        if not present:
            k.fp = None
        elif fp is not None:
            k.fp = fp
        if k.floating:
            k.fp = None

    def key_unknown(self, k, present, gen):
        k.expect.add("present" if present else ABSENT)
        k.floating.append(("present" if present else ABSENT, gen))
        k.fp = None

    # -- the final and per-restart checks ------------------------------

    def describe_all(self, c):
        out = []
        for page in c.get_paginator("describe_instances").paginate(
                PaginationConfig={"PageSize": 100}):
            for r in page["Reservations"]:
                out.extend(r["Instances"])
        return out

    def settle(self, c, label):
        """Poll DescribeInstances until nothing is in a transitional state
        (or the deadline); the instances then."""
        deadline = now() + SETTLE_TIMEOUT
        wait = threading.Event()
        while True:
            insts = self.describe_all(c)
            busy = [(i["InstanceId"], i["State"]["Name"]) for i in insts
                    if i["State"]["Name"] in TRANSITIONAL]
            if not busy or self.abort.is_set():
                return insts
            if now() > deadline:
                for iid, st in busy:
                    self.v.add("stuck", iid, "%s: still %s after %ds" % (
                        label, st, SETTLE_TIMEOUT), [iid])
                return insts
            wait.wait(0.5)

    def process_problems(self, insts):
        """(kind, subject, detail, ids) for every break of invariant (a)."""
        states = {i["InstanceId"]: i for i in insts}
        running = qemus(self.server, states.keys())
        out = []
        for iid, i in states.items():
            st = i["State"]["Name"]
            n = len(running.get(iid, []))
            want = 1 if st == "running" else 0
            if st in TRANSITIONAL:
                continue
            if n != want:
                reason = i.get("StateReason", {}).get("Code", "")
                out.append(("qemu-count", iid,
                            "%s (%s) has %d QEMU (pids %s), wants %d" % (
                                st, reason, n, running.get(iid, []), want),
                            [iid]))
        for iid, pids in running.items():
            if iid not in states:
                out.append(("qemu-orphan", iid,
                            "QEMU %s of an instance the store does not "
                            "know" % pids, [iid]))
        return out

    def check_adopted(self, insts, label):
        """A guest nobody stopped, started or rebooted since the last
        check runs in the same QEMU: a restarted ec2d adopts it."""
        running = qemus(self.server, [i["InstanceId"] for i in insts])
        pids = {}
        for i in insts:
            iid = i["InstanceId"]
            got = running.get(iid, [])
            if i["State"]["Name"] != "running" or len(got) != 1:
                continue
            pids[iid] = got[0]
            inst = self.insts.get(iid)
            before = self.pids.get(iid)
            if inst and not inst.touched and before == got[0]:
                self.counts["adopted"] += 1
            if inst and not inst.touched and before and before != got[0]:
                self.v.add("guest-restarted", iid, "%s: QEMU %d replaced "
                           "by %d with no stop, start or reboot" % (
                               label, before, got[0]), [iid])
        self.pids = pids
        for inst in self.insts.values():
            inst.touched = False

    def check_processes(self, c, insts, label):
        deadline = now() + GRACE
        wait = threading.Event()
        while True:
            problems = self.process_problems(insts)
            known = all((p[0], p[1]) in self.v.seen for p in problems)
            if known or now() > deadline or self.abort.is_set():
                break           # (nothing new is not worth the grace)
            wait.wait(0.5)
            insts = self.describe_all(c)
        if self.abort.is_set():
            return insts
        for kind, subject, detail, ids in problems:
            self.v.add(kind, subject, "%s: %s" % (label, detail), ids)
        return insts

    def adopt_unknown_launches(self, insts):
        """Instances of a launch whose answer was lost: known from now on
        (they were never acknowledged, so nothing is expected of them)."""
        by_token = {}
        for i in insts:
            by_token.setdefault(i.get("ClientToken", ""), []).append(i)
        for token, (owner, n) in list(self.tokens.items()):
            got = by_token.get(token, [])
            for i in got:
                inst = Inst(i["InstanceId"], owner, token)
                inst.acked = False
                inst.expect = {"running", "stopped", "terminated"}
                inst.tags["owner"] = {owner}
                self.insts[inst.id] = inst
            if got:
                del self.tokens[token]
            if len(got) > n:
                self.v.add("idempotency", token,
                           "ClientToken %s has %d instances, %d asked" % (
                               token, len(got), n),
                           [i["InstanceId"] for i in got])
        for token, got in by_token.items():
            ids = [i["InstanceId"] for i in got]
            tracked = [x for x in ids if x in self.insts]
            if len(tracked) != len(ids):
                self.v.add("untracked-instance", token or "-",
                           "instances %s (token %r) that no tracked launch "
                           "made" % ([x for x in ids if x not in self.insts],
                                     token), ids)

    def check_model(self, c, insts, label):
        """Invariant (b) against the settled store, then the model becomes
        what was observed (nothing is in flight)."""
        seen = {i["InstanceId"]: i for i in insts}
        for inst in self.insts.values():
            i = seen.get(inst.id)
            if i is None:
                if inst.acked:
                    self.v.add("lost-instance", inst.id,
                               "%s: acknowledged launch is not in "
                               "DescribeInstances" % label, [inst.id])
                continue
            st = i["State"]["Name"]
            if st not in inst.expect:
                reason = i.get("StateReason", {})
                self.v.add("lost-write", inst.id,
                           "%s: state %s, expected one of %s (reason %s: "
                           "%s)" % (label, st, sorted(inst.expect),
                                    reason.get("Code"),
                                    reason.get("Message")), [inst.id])
            inst.expect = {st}
            inst.floating = []
            tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
            for key, exp in inst.tags.items():
                got = tags.get(key, ABSENT)
                if got not in exp:
                    self.v.add("lost-tag", "%s/%s" % (inst.id, key),
                               "%s: tag %s=%r, expected one of %s" % (
                                   label, key, got, sorted(
                                       exp, key=str)), [inst.id])
                inst.tags[key] = {got}
            inst.tag_floating = []
        pairs = {k["KeyName"]: k for k in c.describe_key_pairs()["KeyPairs"]}
        for k in self.keys.values():
            got = "present" if k.name in pairs else ABSENT
            if got not in k.expect:
                self.v.add("lost-key", k.name, "%s: key pair %s, expected "
                           "one of %s" % (label, got or "absent",
                                          sorted(k.expect, key=str)))
            elif got and k.fp and k.expect == {"present"} and \
                    pairs[k.name]["KeyFingerprint"] != k.fp:
                self.v.add("key-fingerprint", k.name, "%s: fingerprint %s, "
                           "acknowledged %s" % (
                               label, pairs[k.name]["KeyFingerprint"], k.fp))
            k.expect = {got}
            k.floating = []
            k.fp = pairs[k.name]["KeyFingerprint"] if got else None

    def checkpoint(self, label):
        """Invariants (a) and (b) with the clients paused and ec2d up."""
        self.count("invariant_checks")
        c = self.client()
        wait = threading.Event()
        deadline = now() + 60
        while True:
            try:
                insts = self.settle(c, label)
                if self.abort.is_set():
                    return      # interrupted: unsettled, nothing to judge
                insts = self.check_processes(c, insts, label)
                if self.abort.is_set():
                    return
                with self.lock:
                    self.adopt_unknown_launches(insts)
                    self.check_model(c, insts, label)
                    self.check_adopted(insts, label)
                break
            except (ClientError, EndpointConnectionError, OSError) as e:
                # ec2d is up and nothing else runs: every call answers.
                if self.abort.is_set():
                    return
                if now() > deadline:
                    self.v.add("check-failed", label, repr(e))
                    return
                wait.wait(0.5)
        states = {}
        for i in insts:
            states[i["State"]["Name"]] = states.get(i["State"]["Name"], 0) + 1
        self.note("check %s: %s" % (label, states))

    # -- ec2d ------------------------------------------------------------

    def start_server(self, label):
        deadline = now() + 60
        wait = threading.Event()
        while True:
            ok, why = self.server.start()
            if ok:
                self.up.set()
                return True
            # The port may still be held for a moment; anything else is
            # ec2d failing to come back.
            if "Address already in use" not in self.server.log_text()[-2000:] \
                    or now() > deadline:
                self.v.add("restart-failed", label, "%s\n%s" % (
                    why, self.server.log_text()[-3000:]))
                return False
            wait.wait(0.5)


class Gate:
    """Lets the killer pause the clients between two calls."""

    def __init__(self):
        self.cv = threading.Condition()
        self.paused = False
        self.active = 0

    def enter(self, stop):
        with self.cv:
            while self.paused and not stop.is_set():
                self.cv.wait(1)
            self.active += 1

    def leave(self):
        with self.cv:
            self.active -= 1
            self.cv.notify_all()

    def pause(self, timeout=120):
        with self.cv:
            self.paused = True
            return self.cv.wait_for(lambda: self.active == 0, timeout)

    def resume(self):
        with self.cv:
            self.paused = False
            self.cv.notify_all()


class Outcome:
    def __init__(self, kind, resp=None, code=None, status=None, msg=""):
        self.kind = kind            # ok, error, unknown, refused
        self.resp = resp
        self.code = code
        self.status = status
        self.msg = msg

    def __str__(self):
        if self.kind == "error":
            return "error %s %s" % (self.status, self.code)
        if self.kind in ("unknown", "refused"):
            return "%s (%s)" % (self.kind, self.msg)
        return "ok"


EXPECTED_CODES = {"IncorrectInstanceState", "InvalidKeyPair.Duplicate",
                  "InvalidKeyPair.NotFound", "InvalidInstanceID.NotFound",
                  "InsufficientInstanceCapacity", "RequestLimitExceeded"}


class Worker:
    """One client: owns its instances, tags and key pair names."""

    def __init__(self, chaos, n):
        self.ch = chaos
        self.name = "T%d" % n
        self.rng = random.Random(chaos.seed * 1000 + n)
        self.c = None
        self.keynames = ["chaos-%s-%d" % (self.name, k) for k in range(3)]
        for k in self.keynames:
            chaos.keys[k] = Key(k)

    def call(self, action, args, **kw):
        ch = self.ch
        gen = ch.gen
        if action in MUTATING:
            ch.sent_mutation.set()
        ch.count("ops")
        fn = getattr(self.c, _snake(action))
        try:
            out = Outcome("ok", resp=fn(**kw))
        except ClientError as e:
            meta = e.response.get("ResponseMetadata", {})
            err = e.response.get("Error", {})
            out = Outcome("error", code=err.get("Code"),
                          status=meta.get("HTTPStatusCode"),
                          msg=err.get("Message", ""))
        except EndpointConnectionError as e:
            out = Outcome("refused", msg=type(e).__name__)
        except Exception as e:  # broken connection, timeout, bad answer
            out = Outcome("unknown", msg="%s: %s" % (type(e).__name__,
                                                     str(e)[:120]))
        if out.kind in ("ok", "error"):
            ch.count("acked")
        else:
            ch.count(out.kind)
        if out.kind == "error":
            throttled = out.status == 503 or \
                out.code == "RequestLimitExceeded"
            if throttled:
                ch.count("throttled")
            elif out.code == "InsufficientInstanceCapacity":
                # EC2 answers it with 500: a capacity (or disk reserve)
                # refusal, not a failure.
                ch.count("capacity")
            elif out.status and out.status >= 500:
                ch.v.add("5xx", "%s %s" % (action, args),
                         "HTTP %s %s: %s" % (out.status, out.code, out.msg))
            elif out.code not in EXPECTED_CODES:
                ch.v.add("unexpected-error", "%s %s" % (action, out.code),
                         "%s %s: HTTP %s %s: %s" % (
                             action, args, out.status, out.code, out.msg))
        if out.kind == "unknown":
            # The call may still take effect on any server life up to
            # now (an answer came from one no later than its sending).
            gen = ch.gen
        ch.log_op(self.name, gen, action, args, out)
        with ch.lock:
            k = out.code if out.kind == "error" else out.kind
            per = ch.per_action.setdefault(action, {})
            per[k] = per.get(k, 0) + 1
        return out, gen

    def run(self):
        try:
            self.loop()
        except Exception as e:
            import traceback
            traceback.print_exc()
            self.ch.v.add("harness", self.name, repr(e))

    def loop(self):
        ch = self.ch
        self.c = ch.client()
        wait = threading.Event()
        while not ch.stop.is_set():
            ch.gate.enter(ch.stop)
            try:
                if ch.stop.is_set():
                    break
                refused = self.step()
            finally:
                ch.gate.leave()
            if refused:
                ch.up.wait(5)
            else:
                wait.wait(self.rng.uniform(0, 0.15))

    def mine(self, alive=True):
        with self.ch.lock:
            return [i for i in self.ch.insts.values()
                    if i.owner == self.name and
                    (not alive or i.expect != {"terminated"})]

    def step(self):
        """One random call; True when ec2d refused the connection."""
        ch = self.ch
        with ch.lock:
            mine_tokens = [t for t, (o, _) in ch.tokens.items()
                           if o == self.name]
            live = ch.live()
        if mine_tokens:
            out = self.op_run(mine_tokens[0])
            return out.kind == "refused"
        ops = [("describe", 14), ("keys", 12), ("tags", 10),
               ("describe_other", 6)]
        if live < MAX_LIVE:
            ops.append(("run", 6))
        if self.mine():
            ops += [("stop", 8), ("start", 8), ("reboot", 4),
                    ("terminate", 3 if live < MAX_LIVE else 8)]
        op = self.rng.choices([o for o, _ in ops], [w for _, w in ops])[0]
        out = getattr(self, "op_" + op)()
        return out is not None and out.kind == "refused"

    # -- instances -----------------------------------------------------

    def op_run(self, token=None):
        ch = self.ch
        if token is None:
            token = "chaos-%s-%s" % (self.name, uuid.UUID(
                int=self.rng.getrandbits(128)).hex[:16])
            n = 1 if self.rng.random() < 0.8 or ch.live() + 2 > MAX_LIVE \
                else 2
            with ch.lock:
                ch.tokens[token] = (self.name, n)
        else:
            with ch.lock:
                n = ch.tokens[token][1]
        itype = self.rng.choice(["t3.nano", "t3.micro"])
        out, gen = self.call(
            "RunInstances", "token=%s n=%d %s" % (token, n, itype),
            ImageId=ch.ami, MinCount=n, MaxCount=n, InstanceType=itype,
            ClientToken=token,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [
                {"Key": "owner", "Value": self.name}]}])
        if out.kind != "ok":
            if out.kind == "error":
                with ch.lock:
                    ch.tokens.pop(token, None)
            return out
        ids = [i["InstanceId"] for i in out.resp["Instances"]]
        ch.log_op(self.name, gen, "  launched", token, ids)
        with ch.lock:
            ch.tokens.pop(token, None)
            if len(ids) != n:
                ch.v.add("run-count", token, "asked %d, got %s" % (n, ids),
                         ids)
            for iid in ids:
                if iid in ch.insts:
                    continue
                inst = Inst(iid, self.name, token)
                inst.tags["owner"] = {self.name}
                ch.insts[iid] = inst
        return out

    def pick(self):
        mine = self.mine()
        if self.rng.random() < 0.05:
            mine = self.mine(alive=False) or mine
        return self.rng.choice(mine) if mine else None

    def state_op(self, action, target, fn_kw=None):
        ch = self.ch
        inst = self.pick()
        if inst is None:
            return None
        with ch.lock:
            inst.touched = True
        out, gen = self.call(action, inst.id, InstanceIds=[inst.id],
                             **(fn_kw or {}))
        with ch.lock:
            if out.kind == "ok":
                if target:
                    ch.inst_ack(inst, target, gen)
            elif out.kind == "unknown":
                if target:
                    ch.inst_unknown(inst, target, gen)
            elif out.kind == "error":
                self.judge_error(action, inst, out)
        return out

    def judge_error(self, action, inst, out):
        """An error answer about an instance of ours: is it possible?"""
        ch = self.ch
        if out.code == "InvalidInstanceID.NotFound" and inst.acked:
            ch.v.add("lost-instance", inst.id, "%s answered %s for an "
                     "acknowledged instance" % (action, out.code), [inst.id])
        if out.code != "IncorrectInstanceState":
            return
        # Stop and reboot refuse only shutting-down or terminated; start
        # also stopping.
        if action in ("StopInstances", "RebootInstances") and \
                "terminated" not in inst.expect:
            ch.v.add("lost-write", inst.id, "%s: %s, but no terminate was "
                     "sent (expected %s)" % (action, out.code,
                                             sorted(inst.expect)), [inst.id])
        if action == "StartInstances" and inst.expect == {"running"}:
            ch.v.add("lost-write", inst.id, "%s: %s, but the instance "
                     "should be running" % (action, out.code), [inst.id])

    def op_stop(self):
        return self.state_op("StopInstances", "stopped",
                             {"Force": self.rng.random() < 0.2})

    def op_start(self):
        return self.state_op("StartInstances", "running")

    def op_reboot(self):
        return self.state_op("RebootInstances", None)

    def op_terminate(self):
        return self.state_op("TerminateInstances", "terminated")

    def op_describe(self):
        """DescribeInstances of our own: each is there, none terminated
        that nobody terminated."""
        ch = self.ch
        mine = self.mine(alive=False)
        if not mine:
            return self.op_describe_other()
        pick = self.rng.sample(mine, min(len(mine), self.rng.randint(1, 4)))
        out, gen = self.call("DescribeInstances", [i.id for i in pick],
                             InstanceIds=[i.id for i in pick])
        if out.kind == "error":
            for inst in pick:
                self.judge_error("DescribeInstances", inst, out)
        if out.kind != "ok":
            return out
        got = {i["InstanceId"]: i for r in out.resp["Reservations"]
               for i in r["Instances"]}
        with ch.lock:
            for inst in pick:
                i = got.get(inst.id)
                if i is None:
                    if inst.acked:
                        ch.v.add("lost-instance", inst.id, "missing from "
                                 "DescribeInstances", [inst.id])
                    continue
                st = i["State"]["Name"]
                if st in ("shutting-down", "terminated") and \
                        "terminated" not in inst.expect:
                    reason = i.get("StateReason", {})
                    ch.v.add("lost-write", inst.id, "%s, but no terminate "
                             "was sent (reason %s: %s)" % (
                                 st, reason.get("Code"),
                                 reason.get("Message")), [inst.id])
        return out

    def op_describe_other(self):
        r = self.rng.random()
        if r < 0.25:
            return self.call("DescribeInstances", "all")[0]
        if r < 0.4:
            return self.call("DescribeInstances", "filter", Filters=[
                {"Name": "instance-state-name",
                 "Values": ["running", "stopped"]},
                {"Name": "tag:owner", "Values": [self.name]}])[0]
        if r < 0.6:
            return self.call("DescribeInstanceStatus", "all",
                             IncludeAllInstances=True)[0]
        if r < 0.75:
            return self.call("DescribeTags", "instances", Filters=[
                {"Name": "resource-type", "Values": ["instance"]}])[0]
        if r < 0.9:
            return self.call("DescribeKeyPairs", "all")[0]
        return self.call("DescribeImages", "all")[0]

    # -- tags ----------------------------------------------------------

    def op_tags(self):
        ch = self.ch
        inst = self.pick()
        if inst is None or inst.expect == {"terminated"}:
            return self.op_describe_other()
        key = self.rng.choice(TAG_KEYS)
        if self.rng.random() < 0.65:
            value = "v%d" % self.rng.randrange(1000)
            out, gen = self.call("CreateTags", "%s %s=%s" % (
                inst.id, key, value), Resources=[inst.id],
                Tags=[{"Key": key, "Value": value}])
        else:
            value = ABSENT
            out, gen = self.call("DeleteTags", "%s %s" % (inst.id, key),
                                 Resources=[inst.id], Tags=[{"Key": key}])
        with ch.lock:
            if out.kind == "ok":
                ch.tag_ack(inst, key, value, gen)
            elif out.kind == "unknown":
                ch.tag_unknown(inst, key, value, gen)
            elif out.kind == "error":
                self.judge_error("CreateTags", inst, out)
        return out

    # -- key pairs -----------------------------------------------------

    def op_keys(self):
        ch = self.ch
        k = ch.keys[self.rng.choice(self.keynames)]
        r = self.rng.random()
        if r < 0.3:
            out, gen = self.call("CreateKeyPair", k.name, KeyName=k.name,
                                 KeyType=self.rng.choice(["rsa",
                                                          "ed25519"]))
            present = True
        elif r < 0.5:
            out, gen = self.call("ImportKeyPair", k.name, KeyName=k.name,
                                 PublicKeyMaterial=self.rng.choice(
                                     ch.pubkeys))
            present = True
        elif r < 0.75:
            out, gen = self.call("DeleteKeyPair", k.name, KeyName=k.name)
            present = False
        else:
            return self.describe_key(k)
        with ch.lock:
            if out.kind == "ok":
                ch.key_ack(k, present, gen,
                           out.resp.get("KeyFingerprint") if present
                           else None)
            elif out.kind == "unknown":
                ch.key_unknown(k, present, gen)
            elif out.kind == "error" and \
                    out.code == "InvalidKeyPair.Duplicate":
                if "present" not in k.expect:
                    ch.v.add("lost-write", k.name, "%s: Duplicate, but its "
                             "delete was acknowledged" % k.name)
                fp = k.fp if k.expect == {"present"} else None
                ch.key_ack(k, True, gen, fp)
                k.fp = fp if not k.floating else None
            elif out.kind == "error" and \
                    out.code == "InvalidKeyPair.NotFound":
                if ABSENT not in k.expect:
                    ch.v.add("lost-key", k.name, "DeleteKeyPair: NotFound, "
                             "but its create was acknowledged")
                ch.key_ack(k, False, gen)
        return out

    def describe_key(self, k):
        ch = self.ch
        out, gen = self.call("DescribeKeyPairs", k.name, KeyNames=[k.name])
        with ch.lock:
            if out.kind == "ok":
                if "present" not in k.expect:
                    ch.v.add("lost-write", k.name, "DescribeKeyPairs: "
                             "present, but its delete was acknowledged")
                got = out.resp["KeyPairs"][0]["KeyFingerprint"]
                if k.fp and k.expect == {"present"} and got != k.fp:
                    ch.v.add("key-fingerprint", k.name, "fingerprint %s, "
                             "acknowledged %s" % (got, k.fp))
            elif out.kind == "error" and \
                    out.code == "InvalidKeyPair.NotFound" and \
                    ABSENT not in k.expect:
                ch.v.add("lost-key", k.name, "DescribeKeyPairs: NotFound, "
                         "but its create was acknowledged")
        return out


def _snake(action):
    out = ""
    for ch in action:
        if ch.isupper() and out:
            out += "_"
        out += ch.lower()
    return out


class Killer:
    """SIGKILLs ec2d at random moments, restarts it, checks."""

    def __init__(self, chaos):
        self.ch = chaos
        self.rng = random.Random(chaos.seed)

    def children(self):
        """ec2d's child processes (QEMU, dnsmasq, ...), by pid."""
        out = set()
        pid = self.ch.server.proc.pid
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            return out
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    out.update(f.read().split())
            except OSError:
                pass
        return out

    def wait_spawn(self, timeout):
        """Wait for ec2d to start a new QEMU or qemu-img (the window
        between a QEMU's start and its pid on disk); "PID NAME" or None."""
        before = self.children()
        deadline = now() + timeout
        tick = threading.Event()
        while now() < deadline and not self.ch.stop.is_set():
            for pid in self.children() - before:
                name = os.path.basename((proc_argv(pid) or [""])[0])
                if name.startswith("qemu"):
                    return "%s %s" % (pid, name)
                if name and name != os.path.basename(BIN):
                    before.add(pid)     # exec'd, and not a QEMU
            tick.wait(0.003)
        return None

    def run(self):
        try:
            self.loop()
        except Exception as e:
            import traceback
            traceback.print_exc()
            self.ch.v.add("harness", "killer", repr(e))
            self.ch.stop.set()

    def loop(self):
        ch = self.ch
        wait = threading.Event()
        while not ch.stop.is_set():
            r = self.rng.random()
            if r < 0.4:
                mode = "random"
                ch.stop.wait(self.rng.uniform(1, 10))
            elif r < 0.7:
                mode = "after a state change"
                ch.sent_mutation.clear()
                ch.sent_mutation.wait(10)
                wait.wait(self.rng.uniform(0, 0.4))
            else:
                child = self.wait_spawn(10)
                mode = "as ec2d starts %s" % child if child \
                    else "no QEMU started in 10 s"
                wait.wait(self.rng.uniform(0, 0.05))
            if ch.stop.is_set():
                break
            ch.up.clear()
            with ch.lock:
                ch.gen += 1
            rc = ch.server.proc.poll()
            if rc is not None:
                ch.v.add("ec2d-exited", "gen %d" % ch.gen, "ec2d exited by "
                         "itself with %r:\n%s" % (
                             rc, ch.server.log_text()[-3000:]))
            ch.server.kill9()
            ch.count("crashes")
            ch.note("kill -9 #%d (%s)" % (ch.counts["crashes"], mode))
            # Down for a moment: clients are refused meanwhile.
            wait.wait(self.rng.uniform(0, 1.5))
            if not ch.start_server("restart %d" % (ch.counts["crashes"])):
                ch.stop.set()
                break
            ch.count("restarts")
            if not ch.gate.pause():
                ch.v.add("harness", "pause", "clients did not pause")
            try:
                ch.checkpoint("after restart %d" % ch.counts["restarts"])
            finally:
                ch.gate.resume()


def ensure_image():
    manifest = os.path.join(IMAGES, "default", "image.json")
    if not os.path.exists(manifest):
        subprocess.run([os.path.join(ROOT, "scripts", "build-image"),
                        os.path.dirname(manifest)], check=True,
                       capture_output=True)
    return manifest


def make_pubkeys(work):
    out = []
    for kind in ("ed25519", "rsa"):
        path = os.path.join(work, "key-" + kind)
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f",
                        path], check=True, capture_output=True)
        with open(path + ".pub") as f:
            out.append(f.read().strip())
    return out


def leftovers(ch, known):
    """Processes, namespaces and cgroups of this run still there."""
    s = ch.server
    procs = deployment_processes(s, known)
    return procs, s.netns_names(), s.cgroups()


def remove_leftovers(procs, names, cgroups):
    """SIGKILL the processes and wait for them to go, then remove the
    namespaces and the cgroups (their children first)."""
    for pid in procs:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = now() + 30
    wait = threading.Event()
    # Gone means reaped: a zombie still counts in its cgroup.
    while any(os.path.exists("/proc/%d" % p) for p in procs) and \
            now() < deadline:
        wait.wait(0.1)
    deadline = now() + 15
    for name in names:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)
    # A cgroup stays busy for a moment after its last process exited.
    for top in cgroups:
        for d, _, _ in os.walk(top, topdown=False):
            while True:
                try:
                    os.rmdir(d)
                    break
                except OSError as e:
                    if now() > deadline:
                        print("chaos: cannot remove cgroup %s: %s" % (d, e))
                        break
                    wait.wait(0.1)


def report(ch, work):
    """Each violation with the calls on its instances and ec2d's lines."""
    if not ch.v.list:
        return
    ops_path = os.path.join(work, "ops.log")
    with open(ops_path) as f:
        ops = f.read().splitlines()
    log = ch.server.log_text().splitlines()
    print("chaos: %d violation(s) (%s); seed %d; logs in %s" % (
        len(ch.v.list), ", ".join(sorted({v["kind"] for v in ch.v.list})),
        ch.seed, work))
    print("chaos: again (the same choices; thread timing varies): "
          "EC2D_CHAOS_SEED=%d EC2D_CHAOS_SECONDS=%g EC2D_BIN=%s "
          "/usr/bin/python3 tests/chaos/chaos.py" % (ch.seed, SECONDS, BIN))
    for v in ch.v.list:
        print("== %s %s\n   %s" % (v["kind"], v["subject"], v["detail"]))
        for iid in v["ids"][:3]:
            print("   calls on %s (from its launch):" % iid)
            first = next((n for n, x in enumerate(ops) if iid in x),
                         len(ops))
            lines = [x for x in ops[first:] if iid in x or "----" in x]
            if len(lines) > 60:
                lines = lines[:30] + ["..."] + lines[-29:]
            for line in lines:
                print("     " + line)
            print("   ec2d about %s:" % iid)
            for line in [x for x in log if iid in x][-25:]:
                print("     " + line)


def main():
    seed = os.environ.get("EC2D_CHAOS_SEED")
    seed = int(seed) if seed else random.SystemRandom().randrange(1 << 31)
    print("chaos: seed=%d seconds=%g clients=%d max_live=%d bin=%s" % (
        seed, SECONDS, CLIENTS, MAX_LIVE, BIN), flush=True)
    ch = Chaos(seed)
    manifest = ensure_image()
    work = tempfile.mkdtemp(prefix="ec2d-chaos-")
    os.chmod(work, 0o711)       # QEMU's user opens files below it
    ch.ops_log = open(os.path.join(work, "ops.log"), "w")
    ch.v.log = ch.log_line
    ch.server = Server(work, manifest)
    ch.pubkeys = make_pubkeys(work)
    known = set()
    rc = 0
    killer = None
    stopped = False
    try:
        ok, why = ch.server.start()
        if not ok:
            print("chaos: ec2d did not start: %s\n%s" % (
                why, ch.server.log_text()[-3000:]))
            return 2
        ch.up.set()
        ch.creds = ch.server.credentials()
        c = ch.client()
        deadline = now() + 60
        wait = threading.Event()
        while True:
            images = c.describe_images(Filters=[
                {"Name": "state", "Values": ["available"]}])["Images"]
            if images:
                break
            if now() > deadline:
                print("chaos: the default image never became available")
                return 2
            wait.wait(0.2)
        ch.ami = images[0]["ImageId"]
        ch.note("ec2d at %s, data %s, tag %s" % (
            ch.server.url, ch.server.data_dir, ch.server.tag))

        workers = [Worker(ch, n) for n in range(CLIENTS)]
        threads = [threading.Thread(target=w.run, name=w.name, daemon=True)
                   for w in workers]
        killer = threading.Thread(target=Killer(ch).run, daemon=True)
        for t in threads:
            t.start()
        killer.start()
        ch.stop.wait(SECONDS)
        ch.stop.set()
        ch.sent_mutation.set()
        ch.gate.resume()
        killer.join(SETTLE_TIMEOUT + GRACE + 300)
        for t in threads:
            t.join(120)
        if killer.is_alive() or any(t.is_alive() for t in threads):
            ch.v.add("harness", "join", "a thread did not finish")
        ch.note("chaos phase over")

        if ch.server.proc is not None and ch.server.proc.poll() is not None:
            ch.v.add("ec2d-exited", "final", "ec2d exited by itself with "
                     "%r" % ch.server.proc.returncode)
            ch.server.proc = None
        if ch.server.proc is None and not ch.start_server("final start"):
            raise RuntimeError("ec2d did not come back")
        ch.checkpoint("final")
        known = set(ch.insts)
        rc_stop = ch.server.stop()
        stopped = True
        if rc_stop != 0:
            ch.v.add("exit-status", "SIGTERM", "ec2d exited with %r:\n%s" % (
                rc_stop, ch.server.log_text()[-3000:]))
        procs, names, cgroups = leftovers(ch, known)
        if procs or names or cgroups:
            ch.v.add("leftovers", "after SIGTERM", "processes %s, "
                     "namespaces %s, cgroups %s" % (
                         {p: " ".join(a[:3]) for p, (_, a) in procs.items()},
                         names, cgroups))
        ch.count("invariant_checks")
    except KeyboardInterrupt:
        print("chaos: interrupted; cleaning up", flush=True)
        ch.abort.set()
        rc = 130
    except Exception as e:
        import traceback
        traceback.print_exc()
        ch.v.add("harness", "exception", repr(e))
    finally:
        ch.stop.set()
        ch.abort.set()
        ch.gate.resume()
        ch.sent_mutation.set()
        if killer is not None:
            killer.join(120)    # it may be restarting ec2d
        if not stopped and ch.server.proc is None and ch.server.url:
            ch.server.start()   # ec2d powers its guests off as it stops
        if ch.server.proc is not None:
            ch.server.stop()
        procs, names, cgroups = leftovers(ch, known | set(ch.insts))
        if procs or names or cgroups:
            print("chaos: removing leftovers: pids %s, namespaces %s, "
                  "cgroups %s" % (sorted(procs), names, cgroups))
        remove_leftovers(procs, names, cgroups)
        ch.ops_log.close()
        report(ch, work)
        if ch.v.list or KEEP:
            shutil.rmtree(ch.server.data_dir, ignore_errors=True)
            print("chaos: kept %s (ops.log, ec2d.log)" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
        for action, per in sorted(ch.per_action.items()):
            print("chaos: %-24s %s" % (action, " ".join(
                "%s=%d" % kv for kv in sorted(per.items()))))
        n = ch.counts
        print("chaos: seed=%d ops=%d acked=%d unknown=%d refused=%d "
              "throttled=%d capacity=%d adopted=%d crashes=%d restarts=%d "
              "invariant_checks=%d violations=%d" % (
                  seed, n["ops"], n["acked"], n["unknown"], n["refused"],
                  n["throttled"], n["capacity"], n["adopted"], n["crashes"],
                  n["restarts"], n["invariant_checks"], len(ch.v.list)),
              flush=True)
        rc = 1 if ch.v.list else rc
    return rc


def on_sigterm(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    sys.exit(main())

"""Crash at every step of RunInstances, StartInstances, StopInstances and
TerminateInstances: for each point of `ec2d faults` (src/common/fault.c)
and each operation that reaches it, ec2d is started with EC2D_FAULT naming
the point, the operation is asked for, ec2d dies of SIGKILL at that step
(as `kill -9` there would), and is started again without the fault.

Then, once the instance has settled: the operation took effect, or it was
not answered and a retry makes it so (RunInstances through its
ClientToken, so a retry never launches twice); and the host matches the
store exactly: a running instance has one QEMU, a cgroup, a folder and a
tap; a stopped one a folder only; a terminated one nothing; and no QEMU,
tap, cgroup or folder belongs to no instance.

One ec2d (one data directory) serves every case: each crash restarts it.
One guest at a time, its states chained so that every case starts from
the one before (run, terminate, run, ...; stop, start, stop, ...).
"""
import glob
import os
import signal
import subprocess
import time
import uuid

from botocore.exceptions import BotoCoreError, ClientError

from conftest import BIN
from test_crash import kill9
from test_instances import start_cloud, wait_for

SETTLE = 180  # 2 shared cores, TCG: generous, never slept


def fault_cases():
    """(point, op) for every point of `ec2d faults` and its operations;
    EC2D_CRASH_POINTS (comma-separated names) narrows it, by hand."""
    out = subprocess.run([BIN, "faults"], check=True, capture_output=True,
                         text=True).stdout
    only = [p for p in os.environ.get("EC2D_CRASH_POINTS", "").split(",")
            if p]
    cases = []
    for line in out.splitlines():
        name, ops = line.split()[:2]
        if not only or name in only:
            cases += [(name, op) for op in ops.split(",")]
    return cases


def events(s):
    """The end of ec2d's log without the request lines."""
    return "\n".join(line for line in s.log().splitlines()
                     if 'msg="request"' not in line)[-3000:]


def start(s, fault=None):
    """(Re)start ec2d, killed first if it runs, EC2D_FAULT=fault."""
    if s.proc:
        kill9(s)
    saved = os.environ.pop("EC2D_FAULT", None)
    if fault:
        os.environ["EC2D_FAULT"] = fault
    try:
        s.start()
    finally:
        os.environ.pop("EC2D_FAULT", None)
        if saved is not None:
            os.environ["EC2D_FAULT"] = saved
    return s.client(read_timeout=60, connect_timeout=10)


def wait_sigkill(s, point, timeout=SETTLE):
    try:
        rc = s.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("%s: never reached\n%s" % (point, events(s)))
    assert rc == -signal.SIGKILL, (point, rc, events(s))
    s.proc.stdout.close()
    s.stderr.close()
    s.proc = None


class World:
    """What exists on the machine for one deployment."""

    def __init__(self, s):
        self.s = s
        self.tag = s.net_tag()
        assert self.tag
        self.cgroup_dirs = set(glob.glob(
            "/sys/fs/cgroup/*/**/ec2d-%s-h*" % self.tag, recursive=True))

    def netns_inodes(self):
        out = set()
        for ns in os.listdir("/run/netns"):
            if ns.startswith("ec2d-%s-h" % self.tag):
                st = os.stat("/run/netns/" + ns)
                out.add((st.st_dev, st.st_ino))
        return out

    def qemus(self):
        """[instance id] of every QEMU in the deployment's host
        namespaces (zombies have no command line: not counted)."""
        return sorted(iid for _, iid in self.qemu_pids())

    def qemu_pids(self):
        inodes = self.netns_inodes()
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().decode(errors="replace").split("\0")
                st = os.stat("/proc/%s/ns/net" % pid)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in inodes:
                continue
            for a in argv:
                if a.startswith("guest=i-"):
                    found.append((int(pid), a[len("guest="):].split(",")[0]))
        return found

    def clean(self):
        """After ec2d stopped: what a failing case left (a QEMU nobody
        knows, its cgroup) goes, so a failure leaks nothing."""
        for pid, iid in self.strays:
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if b"guest=" + iid.encode() in f.read():
                        os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 10
        for d in self.cgroup_dirs:
            for sub in glob.glob(d + "/i-*") + [d]:
                while os.path.exists(sub) and time.monotonic() < deadline:
                    try:
                        os.rmdir(sub)
                    except OSError:
                        time.sleep(0.1)  # a killed QEMU still exiting

    def folders(self):
        return sorted(os.path.basename(p) for p in glob.glob(
            os.path.join(self.s.data_dir, "hosts", "*", "instances", "i-*")))

    def cgroups(self):
        ids = set()
        for d in self.cgroup_dirs:
            ids |= {os.path.basename(p) for p in glob.glob(d + "/i-*")}
        return sorted(ids)

    def taps(self):
        n = 0
        for ns in os.listdir("/run/netns"):
            if not ns.startswith("ec2d-%s-h" % self.tag):
                continue
            out = subprocess.run(["ip", "-n", ns, "-o", "link", "show"],
                                 capture_output=True, text=True, timeout=30)
            for line in out.stdout.splitlines():
                name = line.split(":")[1].strip().split("@")[0]
                n += name.startswith("e%st" % self.tag)
        return n

    def snapshot(self, c):
        states = {}
        for r in c.describe_instances()["Reservations"]:
            for i in r["Instances"]:
                states[i["InstanceId"]] = i
        return states

    def check(self, c, point, timeout=SETTLE):
        """Wait (bounded) until every instance settled and the host
        matches the store; fail with what differs."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.snapshot(c)
            names = {i: v["State"]["Name"] for i, v in states.items()}
            running = sorted(i for i, n in names.items() if n == "running")
            stopped = sorted(i for i, n in names.items() if n == "stopped")
            diff = []
            unsettled = {i: n for i, n in names.items()
                         if n not in ("running", "stopped", "terminated")}
            if unsettled:
                diff.append("unsettled %s" % unsettled)
            if self.qemus() != running:
                diff.append("QEMUs %s, running %s" % (self.qemus(), running))
            if self.folders() != sorted(running + stopped):
                diff.append("folders %s" % self.folders())
            if self.cgroups() != running:
                diff.append("cgroups %s" % self.cgroups())
            if self.taps() != len(running):
                diff.append("%d taps for %d running" % (self.taps(),
                                                        len(running)))
            if not diff:
                return states
            assert time.monotonic() < deadline, "%s: %s; states %s\n%s" % (
                point, "; ".join(diff), {
                    i: (v["State"]["Name"],
                        v.get("StateReason", {}).get("Message"))
                    for i, v in states.items()}, events(self.s))
            time.sleep(0.25)


def answered(call):
    """call(); None when ec2d died before answering."""
    try:
        return call()
    except (BotoCoreError, ClientError) as e:
        if isinstance(e, ClientError) and \
                e.response["Error"]["Code"] != "InternalError":
            raise
        return None


class Cases:
    def __init__(self, s):
        self.s = s
        self.c = s.client()
        self.world = World(s)
        self.iid = None  # the one guest the cases share
        self.checked = 0

    # Getting the guest into a case's starting state, no fault armed.

    def run_one(self, c=None, token=None):
        r = (c or self.c).run_instances(ImageId=self.s.ami, MinCount=1,
                                        MaxCount=1,
                                        ClientToken=token or str(
                                            uuid.uuid4()))
        return r["Instances"][0]["InstanceId"]

    def need(self, state):
        c = self.c
        if state == "none":
            assert self.iid is None
            return
        if self.iid is None:
            self.iid = self.run_one()
            wait_for(c, self.iid, "running", SETTLE)
        cur = self.world.snapshot(c)[self.iid]["State"]["Name"]
        if state == "running" and cur == "stopped":
            c.start_instances(InstanceIds=[self.iid])
        if state == "stopped" and cur == "running":
            c.stop_instances(InstanceIds=[self.iid], Force=True)
        wait_for(c, self.iid, state, SETTLE)

    # One case.

    def crash(self, point, op):
        before = {"run": "none", "start": "stopped"}.get(op, "running")
        self.need(before)
        c = start(self.s, point)
        token = str(uuid.uuid4())
        ops = {
            "run": lambda: c.run_instances(
                ImageId=self.s.ami, MinCount=1, MaxCount=1,
                ClientToken=token),
            "start": lambda: c.start_instances(InstanceIds=[self.iid]),
            "stop": lambda: c.stop_instances(InstanceIds=[self.iid]),
            "forcestop": lambda: c.stop_instances(InstanceIds=[self.iid],
                                                  Force=True),
            "terminate": lambda: c.terminate_instances(
                InstanceIds=[self.iid]),
        }
        reply = answered(ops[op])
        wait_sigkill(self.s, point)
        self.c = c = start(self.s)
        if reply is None:
            # Not answered: the retry is safe (same ClientToken).
            c = self.c
            reply = ops[op]()
        if op == "run":
            self.iid = reply["Instances"][0]["InstanceId"]
        want = {"run": "running", "start": "running", "stop": "stopped",
                "forcestop": "stopped", "terminate": "terminated"}[op]
        states = self.world.check(self.c, point)
        got = states[self.iid]
        assert got["State"]["Name"] == want, (point, op, got["State"],
                                              got.get("StateReason"))
        if op == "run":  # the retry found the first launch
            same = [i for i, v in states.items()
                    if v.get("ClientToken") == token]
            assert same == [self.iid], (point, same)
        if want == "terminated":
            self.iid = None
        self.checked += 1


def schedule(cases):
    """Chain the cases: run/terminate alternate, as do stop/start."""
    by = {op: [p for p, o in cases if o == op]
          for op in ("run", "terminate", "stop", "forcestop", "start")}
    stops = [(p, "stop") for p in by["stop"]] + \
        [(p, "forcestop") for p in by["forcestop"]]
    out = []
    runs, terms = by["run"], by["terminate"]
    for k in range(max(len(runs), len(terms))):
        if k < len(runs):
            out.append((runs[k], "run"))
        out.append((terms[k], "terminate") if k < len(terms) else
                   ("", "cleanup"))
    starts = by["start"]
    for k in range(max(len(stops), len(starts))):
        if k < len(stops):
            out.append(stops[k])
        if k < len(starts):
            out.append((starts[k], "start"))
    return out


def test_crash_at_every_step():
    cases = fault_cases()
    assert cases
    # The test guest ignores ACPI: a stop is quit at the timeout.
    s = start_cloud("--stop-timeout-ms", "2000")
    t0 = time.monotonic()
    k = None
    try:
        k = Cases(s)
        for point, op in schedule(cases):
            if op == "cleanup":
                if k.iid:
                    k.c.terminate_instances(InstanceIds=[k.iid])
                    wait_for(k.c, k.iid, "terminated", SETTLE)
                    k.iid = None
                continue
            k.crash(point, op)
        if k.iid:
            k.c.terminate_instances(InstanceIds=[k.iid])
            wait_for(k.c, k.iid, "terminated", SETTLE)
        k.world.check(k.c, "the end")
        assert k.checked == len(cases)
        print("crash steps: %d points, %d cases checked in %.0f s" % (
            len({p for p, _ in cases}), k.checked, time.monotonic() - t0))
    finally:
        if k:
            if s.proc is None:
                start(s)
            k.world.strays = k.world.qemu_pids()
        try:
            s.close()
        finally:
            if k:
                k.world.clean()

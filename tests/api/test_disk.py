"""Disk space (issue 8): a data directory whose file system has less free
than --disk-reserve refuses RunInstances and StartInstances with EC2's
InsufficientInstanceCapacity (HTTP 500) and writes nothing; a guest whose
QEMU pauses on a full disk is impaired in DescribeInstanceStatus, with
the reason, logged once, and resumed when space is back.

Real small file systems: a tmpfs (mount -t tmpfs -o size=...) as the data
directory, or as its hosts/ folder where the instances' disks grow (the
store then stays on the big disk, so it can record the impairment while
the guests' file system is full). Every mount is undone, also on failure.
The guest writes to its root disk from its user-data (the image's init
runs a "#!" script once): a fresh 1 MiB file, synced, every tick, each
tick counted on its serial console.
"""
import errno
import glob
import os
import re
import subprocess
import tempfile
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BIN, Server, error_code
from test_instances import BOOT_TIMEOUT, console, ensure_image, \
    IMAGES, wait_console, wait_for

MiB = 1 << 20

WRITER = """#!/bin/sh
# New data on the root disk every tick: each file a fresh MiB, synced.
(
n=0
while :; do
	n=$((n + 1))
	head -c 1048576 /dev/zero | tr '\\0' x >/var/tmp/disk-fill.$n
	sync
	echo "disk-tick $n"
done
) </dev/null >/dev/ttyS0 2>&1 &
"""


def mount_tmpfs(path, size):
    subprocess.run(["mount", "-t", "tmpfs", "-o",
                    "size=%d,mode=0711" % size, "ec2d-test-disk", path],
                   check=True, capture_output=True)


def unmount(path):
    if subprocess.run(["umount", path], capture_output=True).returncode:
        subprocess.run(["umount", "-l", path], capture_output=True)


class DiskServer(Server):
    """An ec2d with the default image whose data directory (mount="")
    or one of its folders (mount="hosts") is a tmpfs of size bytes,
    mounted before it starts."""

    def __init__(self, mount, size, *extra):
        self.data_dir = tempfile.mkdtemp(prefix="ec2d-test-disk-")
        self.mnt = os.path.join(self.data_dir, mount) if mount \
            else self.data_dir
        os.makedirs(self.mnt, exist_ok=True)
        mount_tmpfs(self.mnt, size)
        manifest = ensure_image()
        self.args = [BIN, "serve", "--data-dir", self.data_dir,
                     "--listen", "127.0.0.1:0",
                     "--stop-instances-on-exit", "true",
                     "--rate-limit", "0", "--stop-timeout-ms", "5000",
                     "--image-root", IMAGES,
                     "--default-image", manifest, "--accel", "tcg", *extra]
        self.proc = None
        try:
            self.start()
            env = subprocess.run([BIN, "env", "--data-dir", self.data_dir],
                                 check=True, capture_output=True,
                                 text=True).stdout
        except BaseException:
            if self.proc:
                self.proc.kill()
                self.proc.wait()
            unmount(self.mnt)
            raise
        self.env = dict(line[len("export "):].split("=", 1)
                        for line in env.splitlines())
        self.key = self.env["AWS_ACCESS_KEY_ID"]
        self.secret = self.env["AWS_SECRET_ACCESS_KEY"]
        ec2 = self.client()
        deadline = time.monotonic() + 60
        while True:
            images = ec2.describe_images(Filters=[
                {"Name": "state", "Values": ["available"]}])["Images"]
            if images:
                break
            assert time.monotonic() < deadline, "no image"
            time.sleep(0.1)
        self.ami = images[0]["ImageId"]

    def close(self):
        try:
            super().close()
        finally:
            unmount(self.mnt)
            subprocess.run(["rm", "-rf", self.data_dir])

    def fill(self, leave):
        """Take the tmpfs's free space but leave bytes (a guest may be
        writing meanwhile: take what there is); the file's path."""
        path = os.path.join(self.mnt, "filler")
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            off = 0
            chunk = self.free() - leave
            while chunk >= 4096:
                try:
                    os.posix_fallocate(fd, off, chunk)
                    off += chunk
                    chunk = self.free() - leave
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
                    chunk //= 2
        finally:
            os.close(fd)
        assert self.free() <= leave + 4096
        return path

    def free(self):
        st = os.statvfs(self.mnt)
        return st.f_bavail * st.f_frsize


def instance_ids(c):
    return sorted(i["InstanceId"]
                  for r in c.describe_instances()["Reservations"]
                  for i in r["Instances"])


def instance_folders(s):
    return sorted(glob.glob(os.path.join(s.data_dir, "hosts", "*",
                                         "instances", "*")))


def run(c, ami, **kw):
    return c.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                           InstanceType="t3.micro", **kw)


def refused(c, call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert error_code(e) == "InsufficientInstanceCapacity", e.value
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "reserve" in e.value.response["Error"]["Message"]


@pytest.fixture
def small_data_dir():
    s = DiskServer("", 64 * MiB, "--disk-reserve", "32M")
    yield s
    s.close()


def test_below_reserve_refuses_run_and_start(small_data_dir):
    """The whole data directory on a 64 MiB tmpfs with a 32 MiB reserve:
    once less than that is free, RunInstances and StartInstances are
    refused and write nothing; freeing space lets them through again."""
    s = small_data_dir
    c = s.client()
    iid = run(c, s.ami)["Instances"][0]["InstanceId"]
    c.stop_instances(InstanceIds=[iid], Force=True)
    wait_for(c, iid, "stopped")
    before = instance_ids(c)
    folders = instance_folders(s)
    filler = s.fill(leave=16 * MiB)
    assert s.free() < 32 * MiB
    refused(c, c.run_instances, ImageId=s.ami, MinCount=1, MaxCount=1,
            InstanceType="t3.micro")
    refused(c, c.start_instances, InstanceIds=[iid])
    # Nothing written: no instance, no folder, the stopped one stays so.
    assert instance_ids(c) == before
    assert instance_folders(s) == folders
    assert wait_for(c, iid, "stopped", timeout=1)
    # With room again, both go through.
    os.unlink(filler)
    assert s.free() > 32 * MiB
    c.start_instances(InstanceIds=[iid])
    iid2 = run(c, s.ami)["Instances"][0]["InstanceId"]
    c.terminate_instances(InstanceIds=[iid, iid2])
    for i in (iid, iid2):
        wait_for(c, i, "terminated")


def ticks(text):
    return max([int(n) for n in re.findall(r"disk-tick (\d+)", text)] or [0])


class RawStatus:
    """The body of the last DescribeInstanceStatus answer (boto3 drops
    elements its model does not know, such as impairedReason)."""

    def __init__(self, c):
        self.body = ""
        c.meta.events.register("after-call.ec2.DescribeInstanceStatus",
                               self.hook)

    def hook(self, http_response, **kw):
        self.body = http_response.text


def status_of(c, iid):
    st = c.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"]
    assert len(st) == 1, st
    return st[0]


def wait_status(c, iid, status, timeout):
    deadline = time.monotonic() + timeout
    while True:
        st = status_of(c, iid)
        if st["InstanceStatus"]["Status"] == status:
            return st
        assert time.monotonic() < deadline, \
            "%s: status %s, wanted %s" % (iid, st, status)
        time.sleep(0.25)


@pytest.fixture
def small_hosts_dir():
    s = DiskServer("hosts", 96 * MiB, "--disk-reserve", "16M")
    yield s
    s.close()


def test_guest_paused_on_full_disk_is_impaired_then_resumed(small_hosts_dir):
    """The guests' folder on a 96 MiB tmpfs: the guest writes to its root
    disk; the host fills the file system; QEMU pauses the guest on the
    failed write. DescribeInstanceStatus shows it impaired with the
    reason, the log says so once, and launches are refused. Once the
    space is freed the guest runs on (its console counts on) and its
    status is ok again."""
    s = small_hosts_dir
    c = s.client()
    raw = RawStatus(c)
    iid = run(c, s.ami, UserData=WRITER)["Instances"][0]["InstanceId"]
    wait_for(c, iid, "running")
    wait_console(c, iid, "ec2d-init: ready")
    wait_console(c, iid, "disk-tick 3")
    wait_status(c, iid, "ok", BOOT_TIMEOUT)
    before = instance_ids(c)

    filler = s.fill(leave=0)
    st = wait_status(c, iid, "impaired", 120)
    paused_at = ticks(console(c, iid))
    assert st["InstanceState"]["Name"] == "running"
    for check in ("InstanceStatus", "SystemStatus"):
        assert st[check]["Status"] == "impaired", st
        (d,) = st[check]["Details"]
        assert d["Name"] == "reachability" and d["Status"] == "failed", st
        assert "ImpairedSince" in d, st
    reason = re.search(r"<impairedReason>([^<]*)</impairedReason>",
                       raw.body)
    assert reason and "No space left on device" in reason.group(1), raw.body
    # The filters see it too.
    assert [x["InstanceId"] for x in c.describe_instance_status(
        Filters=[{"Name": "instance-status.reachability",
                  "Values": ["failed"]}])["InstanceStatuses"]] == [iid]
    # No new guest while the guests' file system is full.
    refused(c, c.run_instances, ImageId=s.ami, MinCount=1, MaxCount=1,
            InstanceType="t3.micro")
    assert instance_ids(c) == before

    os.unlink(filler)
    st = wait_status(c, iid, "ok", 120)
    assert st["SystemStatus"]["Status"] == "ok"
    assert "impairedReason" not in raw.body
    # Still alive: the guest counts on past where it stopped.
    deadline = time.monotonic() + 120
    while ticks(console(c, iid)) <= paused_at + 1:
        assert time.monotonic() < deadline, console(c, iid)[-2000:]
        time.sleep(0.25)
    paused = [line for line in s.log().splitlines()
              if 'msg="instance paused by a disk error"' in line]
    assert len(paused) == 1, paused
    assert "instance=%s" % iid in paused[0]
    assert "No space left on device" in paused[0]
    assert any('msg="instance resumed after a disk error"' in line and
               iid in line for line in s.log().splitlines())
    c.terminate_instances(InstanceIds=[iid])
    wait_for(c, iid, "terminated")

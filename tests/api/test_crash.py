"""Crash safety: kill -9 of ec2d while guests run and while a launch is
half-way. After a restart every instance is in a true state, running
guests are adopted (the same QEMU process, not a new boot), and once all
are terminated nothing is left: no QEMU, no instance files."""
import glob
import os
import signal
import subprocess
import time

from conftest import Server
from test_instances import IMAGES, ensure_image, wait_console, wait_for


def qemu_pid(iid):
    p = subprocess.run(["pgrep", "-f", "guest=%s" % iid],
                       capture_output=True, text=True)
    pids = p.stdout.split()
    return int(pids[0]) if len(pids) == 1 else None


def kill9(s):
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=30)
    s.proc.stdout.close()
    s.stderr.close()
    s.proc = None


def default_ami(c):
    """The default image's id, once it is available (polled, bounded)."""
    deadline = time.monotonic() + 60
    while not c.describe_images(Filters=[{"Name": "state",
                                          "Values": ["available"]}])[
            "Images"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return c.describe_images()["Images"][0]["ImageId"]


def test_kill9_while_running_and_mid_launch():
    manifest = ensure_image()
    s = Server("--rate-limit", "0", "--image-root", IMAGES,
               "--default-image", manifest, "--accel", "tcg")
    try:
        c = s.client()
        ami = default_ami(c)
        first = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1)[
            "Instances"][0]["InstanceId"]
        wait_for(c, first, "running")
        wait_console(c, first, "ec2d-init: ready")
        pid = qemu_pid(first)
        assert pid

        # kill -9 with a guest running: it runs on and is adopted.
        kill9(s)
        assert qemu_pid(first) == pid, "the guest died with ec2d"
        s.start()
        c = s.client()
        assert wait_for(c, first, "running")["State"]["Name"] == "running"
        assert qemu_pid(first) == pid, "the guest was restarted"
        assert c.describe_instance_status(InstanceIds=[first])[
            "InstanceStatuses"][0]["InstanceStatus"]["Status"] in (
                "ok", "initializing")

        # kill -9 half-way through a launch: pending in the store, its
        # QEMU perhaps started, perhaps not.
        second = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1)[
            "Instances"][0]["InstanceId"]
        kill9(s)
        s.start()
        c = s.client()
        wait_for(c, second, "running")
        wait_console(c, second, "ec2d-init: ready")
        assert qemu_pid(second), "not exactly one QEMU for the launch"
        assert qemu_pid(first) == pid

        # Terminate everything: nothing of them remains on the host.
        c.terminate_instances(InstanceIds=[first, second])
        for iid in (first, second):
            wait_for(c, iid, "terminated")
            assert qemu_pid(iid) is None
        left = glob.glob(os.path.join(s.data_dir, "hosts", "*",
                                      "instances", "*"))
        assert left == [], left
    finally:
        s.close()


def test_restart_reclaims_what_no_record_accounts_for():
    """What a crash before this fix could leave: a QEMU whose pid was
    never recorded (it held the tap, so the relaunch failed and it ran on
    forever), and an instance folder the store does not know. A restart
    kills the first and launches the instance once; the folder goes."""
    manifest = ensure_image()
    s = Server("--rate-limit", "0", "--image-root", IMAGES,
               "--default-image", manifest, "--accel", "tcg",
               "--stop-timeout-ms", "2000")
    stray = None
    try:
        c = s.client()
        ami = default_ami(c)
        iid = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1)[
            "Instances"][0]["InstanceId"]
        wait_for(c, iid, "running")
        stray = qemu_pid(iid)
        assert stray
        kill9(s)
        folder, = glob.glob(os.path.join(s.data_dir, "hosts", "*",
                                         "instances", iid))
        os.unlink(os.path.join(folder, "qemu.pid"))
        unknown = os.path.join(os.path.dirname(folder),
                               "i-0123456789abcdef0")
        os.mkdir(unknown)
        with open(os.path.join(unknown, "root.qcow2"), "w") as f:
            f.write("not a disk")

        s.start()
        c = s.client()
        # The unrecorded QEMU is gone before anything launches.
        assert not os.path.exists("/proc/%d" % stray) or \
            "guest=%s" % iid not in open("/proc/%d/cmdline" % stray).read()
        stray = None
        wait_for(c, iid, "running")
        deadline = time.monotonic() + 60
        while qemu_pid(iid) is None or os.path.exists(unknown):
            assert time.monotonic() < deadline, (qemu_pid(iid), unknown)
            time.sleep(0.1)
        i = c.describe_instances(InstanceIds=[iid])["Reservations"][0][
            "Instances"][0]
        assert i["State"]["Name"] == "running", i.get("StateReason")
        c.terminate_instances(InstanceIds=[iid])
        wait_for(c, iid, "terminated")
        assert qemu_pid(iid) is None
        left = glob.glob(os.path.join(s.data_dir, "hosts", "*",
                                      "instances", "*"))
        assert left == [], left
    finally:
        if stray:  # a failure leaves no QEMU behind
            try:
                os.kill(stray, signal.SIGKILL)
            except OSError:
                pass
        s.close()

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


def test_kill9_while_running_and_mid_launch():
    manifest = ensure_image()
    s = Server("--rate-limit", "0", "--image-root", IMAGES,
               "--default-image", manifest, "--accel", "tcg")
    try:
        c = s.client()
        deadline = time.monotonic() + 60
        while not c.describe_images(Filters=[{"Name": "state",
                                              "Values": ["available"]}])[
                "Images"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        ami = c.describe_images()["Images"][0]["ImageId"]
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

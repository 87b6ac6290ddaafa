"""Removing deployments: `ec2d down --data-dir DIR` powers off the guests
an ec2d left running (stopped without --stop-instances-on-exit, so they
were kept for adoption) and removes every namespace, process, cgroup, run
directory and registry entry of the deployment, keeping the data; `ec2d
gc` finds deployments whose data directory is gone and, with --yes,
removes them, never touching one that a running ec2d serves."""
import glob
import os
import shutil
import subprocess
import time

from conftest import BIN, Server
from test_instances import IMAGES, ensure_image, wait_console, wait_for
from test_crash import kill9, qemu_pid

REGISTRY = "/run/ec2d/deployments"


def namespaces(tag):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True,
                         text=True).stdout.split()
    return sorted(n for n in out if n.startswith("ec2d-%s-" % tag))


def cgroups(tag):
    pattern = "ec2d-%s-*" % tag
    return sorted(glob.glob("/sys/fs/cgroup/" + pattern) + glob.glob(
        "/sys/fs/cgroup/*/**/" + pattern, recursive=True))


def processes(tag):
    """Processes in the deployment's namespaces (QEMU, dnsmasq)."""
    inodes = {os.stat("/run/netns/" + n).st_ino for n in namespaces(tag)}
    found = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.stat(
                    "/proc/%s/ns/net" % pid).st_ino in inodes:
                found.append(int(pid))
        except OSError:
            pass
    return found


def everything(tag):
    """What the deployment has on the machine, by kind."""
    return {"namespaces": namespaces(tag), "cgroups": cgroups(tag),
            "processes": processes(tag),
            "run": glob.glob("/run/ec2d-%s" % tag),
            "registry": glob.glob("%s/%s" % (REGISTRY, tag))}


def nothing_of(tag):
    return {k: v for k, v in everything(tag).items() if v}


def ec2d(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True,
                          timeout=300)


def cloud_with_guest():
    """An ec2d that keeps its guests when stopped, one guest running."""
    s = Server("--rate-limit", "0", "--image-root", IMAGES,
               "--default-image", ensure_image(), "--accel", "tcg",
               "--stop-instances-on-exit", "false")
    c = s.client()
    ami = None
    for _ in range(600):   # bounded: the image settles in a few steps
        images = c.describe_images(Filters=[{"Name": "state",
                                             "Values": ["available"]}])
        if images["Images"]:
            ami = images["Images"][0]["ImageId"]
            break
        time.sleep(0.1)
    assert ami, "the default image never settled"
    s.iid = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1)[
        "Instances"][0]["InstanceId"]
    s.tag = s.net_tag()
    return s


def test_down_removes_what_a_stopped_deployment_left():
    s = cloud_with_guest()
    try:
        c = s.client()
        wait_for(c, s.iid, "running")
        wait_console(c, s.iid, "ec2d-init: ready")
        pid = qemu_pid(s.iid)
        assert pid

        # Served: refused, nothing touched.
        before = everything(s.tag)
        p = ec2d("down", "--data-dir", s.data_dir)
        assert p.returncode == 1
        assert "served by a running ec2d" in p.stderr
        assert everything(s.tag) == before
        assert qemu_pid(s.iid) == pid

        # Stopped without --stop-instances-on-exit: all of it stays.
        assert s.stop() == 0, s.log()
        assert qemu_pid(s.iid) == pid
        left = everything(s.tag)
        assert len(left["namespaces"]) == 4, left   # 3 hosts, 1 VPC
        assert pid in left["processes"] and left["registry"], left

        p = ec2d("down", "--data-dir", s.data_dir, "--stop-timeout-ms",
                 "15000")
        assert p.returncode == 0, p.stderr
        assert p.stdout == ("ec2d: deployment %s of %s removed from this "
                            "machine; its data directory stays\n" %
                            (s.tag, s.data_dir))
        assert qemu_pid(s.iid) is None
        assert nothing_of(s.tag) == {}
        # The data stays: the store and the instance's root disk.
        assert os.path.exists(os.path.join(s.data_dir, "ec2d.db"))
        assert glob.glob(os.path.join(s.data_dir, "hosts", "*", "instances",
                                      s.iid, "root.qcow2"))
        # A second down finds nothing to do and says so the same way.
        p = ec2d("down", "--data-dir", s.data_dir)
        assert p.returncode == 0, p.stderr
        assert nothing_of(s.tag) == {}
    finally:
        if s.proc:
            s.stop()
        ec2d("down", "--data-dir", s.data_dir)
        shutil.rmtree(s.data_dir, ignore_errors=True)


def gc_lines(*args):
    p = ec2d("gc", *args)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def test_gc_removes_deployments_whose_data_directory_is_gone():
    gone = cloud_with_guest()
    live = Server("--rate-limit", "0")
    live.tag = live.net_tag()
    try:
        c = gone.client()
        wait_for(c, gone.iid, "running")
        pid = qemu_pid(gone.iid)
        assert pid
        kill9(gone)
        path = os.path.realpath(gone.data_dir)
        shutil.rmtree(gone.data_dir)
        left = everything(gone.tag)
        assert pid in left["processes"], left
        live_before = everything(live.tag)
        assert live_before["registry"] and live_before["namespaces"]

        want = "gone %s %s namespaces=%d processes=%d cgroups=%d" % (
            gone.tag, path, len(left["namespaces"]), len(left["processes"]),
            len(left["cgroups"]))
        lines = gc_lines()
        assert want in lines, lines
        assert not [ln for ln in lines if " %s " % live.tag in ln], lines
        # Listing removes nothing.
        assert everything(gone.tag) == left

        p = ec2d("gc", "--orphans")
        assert p.returncode == 2 and "--orphans goes with --yes" in p.stderr

        lines = gc_lines("--yes")
        assert "removed %s" % gone.tag in lines, lines
        assert qemu_pid(gone.iid) is None
        assert nothing_of(gone.tag) == {}
        # The live deployment is untouched and still answers.
        assert everything(live.tag) == live_before
        assert live.client().describe_regions()["Regions"]
        assert not [ln for ln in gc_lines() if gone.tag in ln]
    finally:
        if gone.proc:
            kill9(gone)
        shutil.rmtree(gone.data_dir, ignore_errors=True)
        ec2d("gc", "--yes")
        live.close()


def test_orphans_are_listed_and_kept_without_orphans():
    """A deployment without a registry entry (an ec2d older than the
    registry made it) is an orphan: listed, and --yes alone keeps it."""
    s = Server("--rate-limit", "0", "--stop-instances-on-exit", "false")
    tag = s.net_tag()
    entry = os.path.join(REGISTRY, tag)
    try:
        kill9(s)
        shutil.rmtree(s.data_dir)
        os.unlink(entry)
        left = everything(tag)
        assert left["namespaces"] and left["processes"], left
        want = "orphan %s - namespaces=%d processes=%d cgroups=%d" % (
            tag, len(left["namespaces"]), len(left["processes"]),
            len(left["cgroups"]))
        assert want in gc_lines()
        assert "removed %s" % tag not in gc_lines("--yes")
        assert everything(tag) == left
    finally:
        if s.proc:
            kill9(s)
        shutil.rmtree(s.data_dir, ignore_errors=True)
        # Registered again as gone (whatever else runs on the machine,
        # --orphans could be refused), so plain --yes removes it.
        if everything(tag)["namespaces"] and not os.path.exists(entry):
            with open(entry, "w") as f:
                f.write("data_dir=/nonexistent/ec2d-test\n")
        ec2d("gc", "--yes")
        assert nothing_of(tag) == {}

"""Instances: RunInstances and its errors, placement and capacity,
ClientToken idempotency, DescribeInstances filters and pagination, and real
guests under TCG: pending -> running, the console, status checks, reboot,
stop/start, terminate, and instance-initiated shutdown.

The default image is built into build/images/default when missing (the
first build takes ~10 s). Guests boot under TCG (--accel tcg): a few
seconds each on these machines.
"""
import base64
import glob
import os
import shutil
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT, Server, error_code

IMAGES = os.environ.get("EC2D_IMAGES", os.path.join(ROOT, "build", "images"))
BOOT_TIMEOUT = 180          # generous: 2 shared cores, TCG


def ensure_image():
    out = os.path.join(IMAGES, "default")
    subprocess.run([os.path.join(ROOT, "scripts", "build-image"), out],
                   check=True, capture_output=True)
    return os.path.join(out, "image.json")


def start_cloud(*extra):
    """An ec2d with the default image (built when missing) available; its
    id in .ami. Guests under TCG."""
    manifest = ensure_image()
    s = Server("--rate-limit", "0", "--image-root", IMAGES,
               "--default-image", manifest, "--accel", "tcg", *extra)
    ec2 = s.client()
    deadline = time.monotonic() + 60
    while True:
        images = ec2.describe_images(
            Filters=[{"Name": "state", "Values": ["available"]}])["Images"]
        if images:
            break
        assert time.monotonic() < deadline, "the default image never settled"
        time.sleep(0.1)
    s.ami = images[0]["ImageId"]
    return s


def wait_available(c, ami, timeout=30):
    deadline = time.monotonic() + timeout
    while c.describe_images(ImageIds=[ami])["Images"][0]["State"] != \
            "available":
        assert time.monotonic() < deadline, "%s never available" % ami
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cloud():
    s = start_cloud("--stop-timeout-ms", "15000", "--host-vcpus", "16")
    yield s
    s.close()


@pytest.fixture
def c(cloud):
    return cloud.client()


def wait_for(ec2, iid, state, timeout=BOOT_TIMEOUT):
    """Poll DescribeInstances until iid is in state (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        i = ec2.describe_instances(InstanceIds=[iid])[
            "Reservations"][0]["Instances"][0]
        if i["State"]["Name"] == state:
            return i
        assert time.monotonic() < deadline, \
            "%s: still %s, wanted %s" % (iid, i["State"]["Name"], state)
        time.sleep(0.25)


def qemu_pid(iid):
    """The pid of the QEMU whose -name is guest=iid, and its argv."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().decode().split("\0")
        except OSError:
            continue
        if "guest=%s,debug-threads=on" % iid in argv:
            return int(pid), argv
    raise AssertionError("no QEMU runs for %s" % iid)


def qemu_status(pid):
    """/proc/PID/status as a dict."""
    with open("/proc/%d/status" % pid) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


def qemu_cgroup(pid):
    """{"cpu": dir, "memory": dir} of pid's cgroups (v1 or v2)."""
    out = {}
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctls, path = line.rstrip("\n").split(":", 2)
            for ctl in ctls.split(","):
                if ctl in ("cpu", "memory"):
                    out[ctl] = "/sys/fs/cgroup/%s%s" % (ctl, path)
            if ctls == "" and os.path.exists(
                    "/sys/fs/cgroup/cgroup.controllers"):
                out.setdefault("v2", "/sys/fs/cgroup" + path)
    if "cpu" in out and "memory" in out:
        return {"cpu": out["cpu"], "memory": out["memory"], "v": 1}
    return {"cpu": out["v2"], "memory": out["v2"], "v": 2}


def read(path):
    with open(path) as f:
        return f.read().strip()


def check_confined(iid, data_dir=None):
    """QEMU runs unprivileged (ec2d-qemu or nobody: --run-as auto), under
    its seccomp sandbox, with no capabilities, in a cgroup of its own that
    bounds its CPU to its vCPUs + 1/2 and its memory to the guest's + 384
    MiB.
    Its files are handed to it open: its folder is root's, 0700, and its
    QMP socket root's, 0600, so another QEMU reaches neither. Returns the
    cgroup folders."""
    pid, argv = qemu_pid(iid)
    if data_dir:
        (d,) = glob.glob(os.path.join(data_dir, "hosts", "*", "instances",
                                      iid))
        st = os.stat(d)
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o700), oct(st.st_mode)
        st = os.stat(os.path.join(d, "qmp.sock"))
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600), oct(st.st_mode)
        opened = {os.readlink("/proc/%d/fd/%s" % (pid, fd))
                  for fd in os.listdir("/proc/%d/fd" % pid)}
        assert os.path.join(d, "root.qcow2") in opened
        assert not any(a.startswith(d) for a in argv), argv
    st = qemu_status(pid)
    uids = st["Uid"].split()
    assert uids[0] != "0" and len(set(uids)) == 1, st["Uid"]
    assert st["Seccomp"] == "2"
    assert int(st["CapEff"], 16) == 0
    vcpus = int(argv[argv.index("-smp") + 1])
    mem_mib = int(argv[argv.index("-m") + 1].rstrip("M"))
    cg = qemu_cgroup(pid)
    assert cg["memory"].endswith("/" + iid), cg
    assert os.path.basename(os.path.dirname(cg["memory"])).startswith(
        "ec2d-")
    limit = (mem_mib + 384) << 20
    if cg["v"] == 1:
        assert int(read(cg["memory"] + "/memory.limit_in_bytes")) == limit
        assert int(read(cg["cpu"] + "/cpu.cfs_quota_us")) * 2 == \
            (2 * vcpus + 1) * int(read(cg["cpu"] + "/cpu.cfs_period_us"))
    else:
        assert int(read(cg["memory"] + "/memory.max")) == limit
        quota, period = read(cg["cpu"] + "/cpu.max").split()
        assert int(quota) * 2 == (2 * vcpus + 1) * int(period)
    return cg


def console(ec2, iid):
    out = ec2.get_console_output(InstanceId=iid).get("Output", "")
    # boto3 decodes the base64 for us.
    return out


def wait_console(ec2, iid, text, count=1, timeout=BOOT_TIMEOUT):
    deadline = time.monotonic() + timeout
    while console(ec2, iid).count(text) < count:
        assert time.monotonic() < deadline, \
            "%s: console never showed %r %d times:\n%s" % (
                iid, text, count, console(ec2, iid)[-2000:])
        time.sleep(0.25)


def run(c, ami, **kw):
    kw.setdefault("MinCount", 1)
    kw.setdefault("MaxCount", 1)
    kw.setdefault("InstanceType", "t3.micro")
    return c.run_instances(ImageId=ami, **kw)


# Validation: nothing boots.

@pytest.mark.parametrize("kwargs,code", [
    (dict(ImageId="ami-0123456789abcdef0"), "InvalidAMIID.NotFound"),
    (dict(ImageId="nope"), "InvalidAMIID.Malformed"),
    (dict(InstanceType="t9.huge"), "InvalidParameterValue"),
    (dict(MinCount=3, MaxCount=2), "InvalidParameterValue"),
    (dict(KeyName="no-such-key"), "InvalidKeyPair.NotFound"),
    (dict(SubnetId="subnet-0123456789abcdef0"), "InvalidSubnetID.NotFound"),
    (dict(SecurityGroupIds=["sg-0123456789abcdef0"]), "InvalidGroup.NotFound"),
    (dict(Placement={"AvailabilityZone": "us-east-1z"}),
     "InvalidParameterValue"),
    (dict(UserData="x" * 17000), "InvalidParameterValue"),
    (dict(InstanceType="p4d.24xlarge"), "InsufficientInstanceCapacity"),
    (dict(InstanceType="c6i.32xlarge"), "InsufficientInstanceCapacity"),
    (dict(MinCount=9, MaxCount=9, InstanceType="t3.xlarge",
          Placement={"AvailabilityZone": "us-east-1a"}),
     "InsufficientInstanceCapacity"),
])
def test_run_errors(cloud, c, kwargs, code):
    before = len(c.describe_instances()["Reservations"])
    args = dict(ImageId=cloud.ami, MinCount=1, MaxCount=1,
                InstanceType="t3.micro")
    args.update(kwargs)
    with pytest.raises(ClientError) as e:
        c.run_instances(**args)
    assert error_code(e) == code, e.value.response["Error"]
    assert len(c.describe_instances()["Reservations"]) == before


def test_run_dry_run_launches_nothing(cloud, c):
    before = len(c.describe_instances()["Reservations"])
    with pytest.raises(ClientError) as e:
        run(c, cloud.ami, DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert len(c.describe_instances()["Reservations"]) == before


def test_unknown_instance_errors(c):
    for call, kw in [(c.describe_instances, {}), (c.stop_instances, {}),
                     (c.start_instances, {}), (c.terminate_instances, {}),
                     (c.reboot_instances, {})]:
        with pytest.raises(ClientError) as e:
            call(InstanceIds=["i-0123456789abcdef0"], **kw)
        assert error_code(e) == "InvalidInstanceID.NotFound"
        with pytest.raises(ClientError) as e:
            call(InstanceIds=["instance-1"], **kw)
        assert error_code(e) == "InvalidInstanceID.Malformed"


# Guests.

def test_lifecycle(cloud, c):
    """Launch two with MinCount/MaxCount, see them run and their consoles,
    status ok, reboot, stop/start, terminate; terminated stays visible."""
    r = run(c, cloud.ami, MinCount=2, MaxCount=2,
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "Name", "Value": "web"}]}])
    ids = [i["InstanceId"] for i in r["Instances"]]
    assert len(ids) == 2
    assert [i["State"]["Name"] for i in r["Instances"]] == ["pending"] * 2
    assert sorted(i["AmiLaunchIndex"] for i in r["Instances"]) == [0, 1]
    for i in r["Instances"]:
        assert i["PrivateIpAddress"].startswith("172.31.")
        assert i["Tags"] == [{"Key": "Name", "Value": "web"}]
    # The waiter aws-cli's `ec2 wait instance-running` uses, polled fast.
    c.get_waiter("instance_running").wait(
        InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 180})
    # One RunInstances call lands in one subnet, so one zone, as in EC2.
    zones = {i["Placement"]["AvailabilityZone"] for r in
             c.describe_instances(InstanceIds=ids)["Reservations"]
             for i in r["Instances"]}
    assert len(zones) == 1
    for iid in ids:
        wait_console(c, iid, "ec2d-init: booting")
        wait_console(c, iid, "ec2d-init: ready")
    st = c.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    assert {s["InstanceStatus"]["Status"] for s in st} <= {"ok",
                                                           "initializing"}
    # Confined, yet the guest has its network (it read its metadata):
    # the agent handed QEMU its tap, open.
    cgroups = [check_confined(iid, cloud.data_dir) for iid in ids]
    for iid in ids:
        assert "metadata ok instance-id=%s" % iid in console(c, iid)
    # Reboot: a second boot shows on the console.
    c.reboot_instances(InstanceIds=[ids[0]])
    wait_console(c, ids[0], "ec2d-init: booting", count=2)
    # Stop and start the first.
    resp = c.stop_instances(InstanceIds=[ids[0]])
    ch = resp["StoppingInstances"][0]
    assert ch["PreviousState"]["Name"] == "running"
    assert ch["CurrentState"]["Name"] == "stopping"
    stopped = wait_for(c, ids[0], "stopped")
    assert stopped["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    # The type changes only while stopped.
    with pytest.raises(ClientError) as e:
        c.modify_instance_attribute(InstanceId=ids[1],
                                    InstanceType={"Value": "t3.small"})
    assert error_code(e) == "IncorrectInstanceState"
    c.modify_instance_attribute(InstanceId=ids[0],
                                InstanceType={"Value": "t3.small"})
    c.start_instances(InstanceIds=[ids[0]])
    i = wait_for(c, ids[0], "running")
    assert i["InstanceType"] == "t3.small"
    # Terminate both; they stay visible as terminated.
    resp = c.terminate_instances(InstanceIds=ids)
    assert {x["CurrentState"]["Name"] for x in
            resp["TerminatingInstances"]} == {"shutting-down"}
    for iid in ids:
        wait_for(c, iid, "terminated")
    for cg in cgroups:      # QEMU's cgroups went with it
        assert not os.path.exists(cg["cpu"]), cg
        assert not os.path.exists(cg["memory"]), cg
    with pytest.raises(ClientError) as e:
        c.stop_instances(InstanceIds=[ids[0]])
    assert error_code(e) == "IncorrectInstanceState"
    gone = c.describe_instances(
        Filters=[{"Name": "instance-state-name",
                  "Values": ["terminated"]}])["Reservations"]
    assert set(ids) <= {i["InstanceId"] for r in gone
                        for i in r["Instances"]}


def test_protected_instance(cloud, c):
    iid = run(c, cloud.ami, DisableApiTermination=True,
              DisableApiStop=True)["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as e:
        c.terminate_instances(InstanceIds=[iid])
    assert error_code(e) == "OperationNotPermitted"
    with pytest.raises(ClientError) as e:
        c.stop_instances(InstanceIds=[iid])
    assert error_code(e) == "OperationNotPermitted"
    attr = c.describe_instance_attribute(InstanceId=iid,
                                         Attribute="disableApiTermination")
    assert attr["DisableApiTermination"]["Value"] is True
    c.modify_instance_attribute(InstanceId=iid,
                                DisableApiTermination={"Value": False})
    c.terminate_instances(InstanceIds=[iid])
    wait_for(c, iid, "terminated")


def test_client_token(cloud, c):
    """Same token, same request: the same reservation, nothing new.
    Same token, other parameters: IdempotentParameterMismatch."""
    a = run(c, cloud.ami, ClientToken="tok-lifecycle-1")
    b = run(c, cloud.ami, ClientToken="tok-lifecycle-1")
    assert a["ReservationId"] == b["ReservationId"]
    assert [i["InstanceId"] for i in a["Instances"]] == \
        [i["InstanceId"] for i in b["Instances"]]
    with pytest.raises(ClientError) as e:
        run(c, cloud.ami, ClientToken="tok-lifecycle-1",
            InstanceType="t3.small")
    assert error_code(e) == "IdempotentParameterMismatch"
    iid = a["Instances"][0]["InstanceId"]
    got = c.describe_instances(
        Filters=[{"Name": "client-token",
                  "Values": ["tok-lifecycle-1"]}])["Reservations"]
    assert [i["InstanceId"] for r in got for i in r["Instances"]] == [iid]
    c.terminate_instances(InstanceIds=[iid])
    wait_for(c, iid, "terminated")


def test_shutdown_behaviour_and_user_data_attributes(cloud, c):
    script = b"#!/bin/sh\necho hello\n"
    # boto3 base64-encodes RunInstances' UserData itself.
    iid = run(c, cloud.ami, InstanceInitiatedShutdownBehavior="terminate",
              UserData=script.decode())["Instances"][0]["InstanceId"]
    attr = c.describe_instance_attribute(
        InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior")
    assert attr["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"
    ud_attr = c.describe_instance_attribute(InstanceId=iid,
                                            Attribute="userData")
    assert base64.b64decode(ud_attr["UserData"]["Value"]) == script
    c.terminate_instances(InstanceIds=[iid])
    wait_for(c, iid, "terminated")


def test_describe_filters_and_pages(cloud, c):
    r = run(c, cloud.ami, MinCount=3, MaxCount=3,
            Placement={"AvailabilityZone": "us-east-1b"},
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "batch", "Value": "p"}]}])
    ids = sorted(i["InstanceId"] for i in r["Instances"])
    assert {i["Placement"]["AvailabilityZone"] for i in r["Instances"]} == \
        {"us-east-1b"}
    f = [{"Name": "tag:batch", "Values": ["p"]}]
    got = sorted(i["InstanceId"] for res in
                 c.describe_instances(Filters=f)["Reservations"]
                 for i in res["Instances"])
    assert got == ids
    seen = []
    for page in c.get_paginator("describe_instances").paginate(
            Filters=f, PaginationConfig={"PageSize": 5}):
        seen += [i["InstanceId"] for res in page["Reservations"]
                 for i in res["Instances"]]
    assert sorted(seen) == ids
    with pytest.raises(ClientError) as e:
        c.describe_instances(InstanceIds=ids, MaxResults=5)
    assert error_code(e) == "InvalidParameterCombination"
    ips = {i["PrivateIpAddress"] for i in r["Instances"]}
    assert len(ips) == 3 and all(ip.startswith("172.31.1") for ip in ips)
    c.terminate_instances(InstanceIds=ids)
    for iid in ids:
        wait_for(c, iid, "terminated")


# What the guest itself sees.

def router_ns(cloud):
    """The default VPC's router namespace: its tag is in ec2d's log."""
    for line in cloud.log().splitlines():
        if 'msg="network open"' in line:
            tag = line.split("tag=")[1].split()[0]
            return "ec2d-%s-vpc1" % tag
    raise AssertionError("no network tag in the log")


def taps(cloud):
    """The instance taps in every host namespace of this deployment."""
    tag = router_ns(cloud).split("-")[1]
    found = set()
    for ns in os.listdir("/run/netns"):
        if not ns.startswith("ec2d-%s-h" % tag):
            continue
        out = subprocess.run(["ip", "-n", ns, "-o", "link", "show"],
                             capture_output=True, text=True, timeout=30)
        for line in out.stdout.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name.startswith("e%st" % tag):
                found.add(name)
    return found


def wait_taps(cloud, want, timeout=60):
    """Wait (bounded) until the deployment's taps are exactly want."""
    deadline = time.monotonic() + timeout
    while taps(cloud) != want:
        assert time.monotonic() < deadline, (taps(cloud), want)
        time.sleep(0.25)


def ssh(cloud, key_path, ip, command, timeout=60):
    """ssh from the VPC router's namespace; retried while dropbear starts."""
    deadline = time.monotonic() + timeout
    while True:
        p = subprocess.run(
            ["ip", "netns", "exec", router_ns(cloud), "ssh", "-i", key_path,
             "-o", "StrictHostKeyChecking=no", "-o",
             "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o",
             "ConnectTimeout=5", "root@" + ip, command],
            capture_output=True, text=True, timeout=30)
        if p.returncode == 0 or time.monotonic() > deadline:
            return p
        time.sleep(0.5)


def test_user_data_metadata_and_ssh(cloud, c, tmp_path):
    """Two guests run their user-data, which prints a marker and the
    instance id the metadata service gives it; SSH works with the
    generated key; a root-disk file survives stop/start."""
    key = c.create_key_pair(KeyName="guest-key")
    key_path = str(tmp_path / "guest-key.pem")
    with open(key_path, "w") as f:
        f.write(key["KeyMaterial"])
    os.chmod(key_path, 0o600)
    script = ("#!/bin/sh\necho GUEST-MARKER-42\n"
              "echo \"MYID=$(wget -qO- "
              "http://169.254.169.254/latest/meta-data/instance-id)\"\n")
    r = run(c, cloud.ami, MinCount=2, MaxCount=2, KeyName="guest-key",
            UserData=script)
    ids = [i["InstanceId"] for i in r["Instances"]]
    for iid in ids:
        wait_console(c, iid, "ec2d-init: ready")
        out = console(c, iid)
        assert "GUEST-MARKER-42" in out, out[-2000:]
        assert "MYID=%s" % iid in out, out[-2000:]
        assert "metadata ok instance-id=%s" % iid in out
    st = c.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    assert {s["InstanceStatus"]["Status"] for s in st} == {"ok"}
    inst = c.describe_instances(InstanceIds=[ids[0]])[
        "Reservations"][0]["Instances"][0]
    ip = inst["PrivateIpAddress"]
    p = ssh(cloud, key_path, ip, "hostname; echo kept > /root/kept; sync")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] == inst["PrivateDnsName"]
    # A stopped instance keeps its address, not its tap (nor the bridge
    # port it holds); starting it plugs the same tap again.
    plugged = taps(cloud)
    assert len(plugged) == 2, plugged
    c.stop_instances(InstanceIds=[ids[0]])
    wait_for(c, ids[0], "stopped")
    deadline = time.monotonic() + 60
    while len(taps(cloud)) != 1:
        assert time.monotonic() < deadline, taps(cloud)
        time.sleep(0.25)
    c.start_instances(InstanceIds=[ids[0]])
    wait_for(c, ids[0], "running")
    wait_taps(cloud, plugged)
    wait_console(c, ids[0], "ec2d-init: ready", count=2)
    p = ssh(cloud, key_path, ip, "cat /root/kept")
    assert p.returncode == 0 and p.stdout.strip() == "kept", p.stderr
    c.terminate_instances(InstanceIds=ids)
    for iid in ids:
        wait_for(c, iid, "terminated")


def test_instance_store_lost_on_stop(cloud, c, tmp_path):
    """c6id.large has one 118 GB NVMe instance-store disk: the guest sees
    it at its size (as /dev/vdb: ec2d's guests use virtio), data written
    there survives a reboot and is gone after stop/start, while the root
    disk keeps its file."""
    key = c.create_key_pair(KeyName="store-key")
    key_path = str(tmp_path / "store-key.pem")
    with open(key_path, "w") as f:
        f.write(key["KeyMaterial"])
    os.chmod(key_path, 0o600)
    iid = run(c, cloud.ami, InstanceType="c6id.large",
              KeyName="store-key")["Instances"][0]["InstanceId"]
    wait_console(c, iid, "ec2d-init: ready")
    ip = wait_for(c, iid, "running")["PrivateIpAddress"]
    read_mark = "dd if=/dev/vdb bs=512 count=1 2>/dev/null | head -c 13"
    p = ssh(cloud, key_path, ip,
            "cat /sys/block/vdb/size; "
            "echo STORE-MARK-7 | dd of=/dev/vdb conv=fsync 2>/dev/null; "
            "echo kept > /root/kept; sync; " + read_mark)
    assert p.returncode == 0, p.stderr
    sectors, mark = p.stdout.split("\n", 1)
    assert int(sectors) * 512 == 118 * 10**9
    assert mark == "STORE-MARK-7\n"
    # A reboot keeps instance store, as in EC2.
    c.reboot_instances(InstanceIds=[iid])
    wait_console(c, iid, "ec2d-init: ready", count=2)
    p = ssh(cloud, key_path, ip, read_mark)
    assert p.returncode == 0 and p.stdout == "STORE-MARK-7\n", p.stderr
    # A stop loses it; the root disk keeps its file.
    c.stop_instances(InstanceIds=[iid])
    wait_for(c, iid, "stopped")
    c.start_instances(InstanceIds=[iid])
    wait_for(c, iid, "running")
    wait_console(c, iid, "ec2d-init: ready", count=3)
    p = ssh(cloud, key_path, ip,
            read_mark + " | od -An -c | tr -d ' \\n'; echo; cat /root/kept")
    assert p.returncode == 0, p.stderr
    zeros, kept = p.stdout.split("\n")[:2]
    assert zeros == "\\0" * 13, p.stdout
    assert kept == "kept"
    c.terminate_instances(InstanceIds=[iid])
    wait_for(c, iid, "terminated")


def test_instance_outlives_its_image(cloud, c):
    """An instance keeps running, stopping and starting after its AMI is
    deregistered: its boot files were fixed at launch, as in EC2."""
    src = os.path.join(IMAGES, "default", "image.json")
    copy = os.path.join(IMAGES, "default", "copy-for-test.json")
    with open(src) as f:
        manifest = f.read().replace('"ec2d-debian-12-minimal"',
                                    '"ec2d-test-copy"')
    with open(copy, "w") as f:
        f.write(manifest)
    try:
        ami = c.register_image(Name="ec2d-test-copy",
                               ImageLocation=copy)["ImageId"]
        wait_available(c, ami)
        iid = run(c, ami)["Instances"][0]["InstanceId"]
        wait_for(c, iid, "running")
        c.deregister_image(ImageId=ami)
        c.stop_instances(InstanceIds=[iid])
        wait_for(c, iid, "stopped")
        c.start_instances(InstanceIds=[iid])
        wait_for(c, iid, "running")
        c.terminate_instances(InstanceIds=[iid])
        wait_for(c, iid, "terminated")
    finally:
        os.unlink(copy)


def test_start_checks_capacity_on_its_host(cloud, c):
    """Changing a stopped instance to a GPU type its host cannot run makes
    StartInstances fail with InsufficientInstanceCapacity; it stays
    stopped and starts again with a type that fits."""
    iid = run(c, cloud.ami)["Instances"][0]["InstanceId"]
    wait_for(c, iid, "running")
    c.stop_instances(InstanceIds=[iid])
    wait_for(c, iid, "stopped")
    c.modify_instance_attribute(InstanceId=iid,
                                InstanceType={"Value": "p4d.24xlarge"})
    with pytest.raises(ClientError) as e:
        c.start_instances(InstanceIds=[iid])
    assert error_code(e) == "InsufficientInstanceCapacity"
    assert wait_for(c, iid, "stopped")["InstanceType"] == "p4d.24xlarge"
    c.modify_instance_attribute(InstanceId=iid,
                                InstanceType={"Value": "t3.micro"})
    c.start_instances(InstanceIds=[iid])
    wait_for(c, iid, "running")
    c.terminate_instances(InstanceIds=[iid])
    wait_for(c, iid, "terminated")


def test_image_qemu_cannot_read(cloud, c):
    """An image whose kernel only root may read: the launch fails with a
    reason that says so (QEMU runs unprivileged), not QEMU's exit code."""
    d = os.path.join(IMAGES, "private-for-test")
    os.makedirs(d, exist_ok=True)
    try:
        src = os.path.join(IMAGES, "default")
        for f in ("initrd.img", "root.qcow2"):
            os.symlink(os.path.join(src, f), os.path.join(d, f))
        shutil.copy(os.path.join(src, "image.json"), d)
        kernel = os.path.join(d, "vmlinux")
        with open(os.path.join(src, "vmlinux"), "rb") as a, \
                open(kernel, "wb") as b:
            b.write(a.read())
        os.chmod(kernel, 0o600)
        ami = c.register_image(Name="ec2d-test-private",
                               ImageLocation=os.path.join(d, "image.json"))[
            "ImageId"]
        wait_available(c, ami)
        iid = run(c, ami)["Instances"][0]["InstanceId"]
        i = wait_for(c, iid, "terminated", timeout=30)
        assert i["StateReason"]["Code"] == "Server.InternalError"
        assert "QEMU's user cannot read its kernel" in \
            i["StateReason"]["Message"], i["StateReason"]
        assert "(mode 600)" in i["StateReason"]["Message"]
        c.deregister_image(ImageId=ami)
    finally:
        shutil.rmtree(d)

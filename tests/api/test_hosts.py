"""Several simulated hosts in a zone (--hosts-per-zone): placement fills
them by capacity, each host's guests run in that host's namespace, and
guests on two hosts of one subnet reach each other over the VPC."""
import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import BIN, error_code
from test_instances import (qemu_pid, router_ns, run, ssh, start_cloud,
                            wait_console, wait_for)


@pytest.fixture(scope="module")
def two_hosts():
    # One zone, two hosts that each fit one t3.micro (2 vCPUs).
    s = start_cloud("--zones", "us-east-1a", "--hosts-per-zone", "2",
                    "--host-vcpus", "2")
    yield s
    s.close()


def netns_of(pid):
    """The /run/netns name whose namespace pid is in."""
    want = os.stat("/proc/%d/ns/net" % pid).st_ino
    for name in os.listdir("/run/netns"):
        if os.stat("/run/netns/" + name).st_ino == want:
            return name
    return None


def test_two_hosts_in_one_zone(two_hosts, tmp_path):
    c = two_hosts.client()
    key = c.create_key_pair(KeyName="hosts-key")
    key_path = str(tmp_path / "hosts-key.pem")
    with open(key_path, "w") as f:
        f.write(key["KeyMaterial"])
    os.chmod(key_path, 0o600)
    r = run(c, two_hosts.ami, MinCount=2, MaxCount=2, KeyName="hosts-key")
    ids = [i["InstanceId"] for i in r["Instances"]]
    # Both hosts are full now: a third does not fit.
    with pytest.raises(ClientError) as e:
        run(c, two_hosts.ami)
    assert error_code(e) == "InsufficientInstanceCapacity"
    ips = {}
    for iid in ids:
        wait_console(c, iid, "ec2d-init: ready")
        ips[iid] = wait_for(c, iid, "running")["PrivateIpAddress"]
    # Each QEMU in its own host's namespace: ec2d-TAG-h1 and -h9 (zone 1,
    # hosts 1 and 2: numbers z + 1 + k * 8).
    tag = router_ns(two_hosts).split("-")[1]
    spaces = sorted(netns_of(qemu_pid(iid)[0]) for iid in ids)
    assert spaces == ["ec2d-%s-h1" % tag, "ec2d-%s-h9" % tag], spaces
    # One subnet across the two hosts: each guest pings the other.
    a, b = ids
    for src, dst in ((a, b), (b, a)):
        p = ssh(two_hosts, key_path, ips[src],
                "ping -c 1 -W 5 %s >/dev/null && echo reached" % ips[dst])
        assert p.returncode == 0 and p.stdout.strip() == "reached", \
            (p.stdout, p.stderr)
    # The port guard: a guest sending from an address that is not its
    # own is dropped at its host's bridge (neither b nor the metadata
    # service answers), its own address goes on working.
    foreign = "172.31.0.99"
    p = ssh(two_hosts, key_path, ips[a],
            "ip addr add %s/20 dev eth0; "
            "ping -c 2 -W 2 -I %s %s >/dev/null && echo leaked || "
            "echo dropped; "
            "curl -s -m 3 -o /dev/null -w '%%{http_code}\\n' --interface %s "
            "http://169.254.169.254/latest/meta-data/; "
            "ip addr del %s/20 dev eth0; "
            "ping -c 1 -W 5 %s >/dev/null && echo own-ok"
            % (foreign, foreign, ips[b], foreign, foreign, ips[b]))
    assert p.stdout.split() == ["dropped", "000", "own-ok"], \
        (p.stdout, p.stderr)
    c.terminate_instances(InstanceIds=ids)
    for iid in ids:
        wait_for(c, iid, "terminated")
    # Room again.
    iid = run(c, two_hosts.ami)["Instances"][0]["InstanceId"]
    c.terminate_instances(InstanceIds=[iid])
    wait_for(c, iid, "terminated")


def test_fewer_hosts_refused_while_in_use(two_hosts):
    """Lowering --hosts-per-zone while the dropped host still has an
    instance (stopped with ec2d here) is refused at start, naming the host
    and the instance: no agent would run it. With the hosts back it
    starts, and the instance can be terminated."""
    c = two_hosts.client()
    ids = [i["InstanceId"] for i in run(c, two_hosts.ami, MinCount=2,
                                         MaxCount=2)["Instances"]]
    for iid in ids:
        wait_for(c, iid, "running")
    assert two_hosts.stop() == 0, two_hosts.log()[-3000:]
    args = list(two_hosts.args)
    args[args.index("--hosts-per-zone") + 1] = "1"
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr[-3000:]
    assert "host use1-az1-h2 is no longer configured" in p.stderr, p.stderr
    assert "terminate them first" in p.stderr
    two_hosts.start()
    c = two_hosts.client()
    c.terminate_instances(InstanceIds=ids)
    for iid in ids:
        wait_for(c, iid, "terminated")


def test_hosts_per_zone_bounds():
    for bad in ("0", "5", "x"):
        p = subprocess.run([BIN, "serve", "--hosts-per-zone", bad,
                            "--data-dir", "/nonexistent-ec2d"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0
        assert "hosts-per-zone" in p.stderr, p.stderr

#!/usr/bin/python3
"""The instance network and the metadata service, end to end, as root.

Run:  /usr/bin/python3 tests/net/test_net.py      (prints N passed, N failed)
  EC2D_NET_GUEST=0     skip the QEMU guest (SSH with the key pair)
  EC2D_IMAGE_DIR       the guest image [build/images/default]
  EC2D_NETTOOL         a prebuilt nettool (e.g. a sanitizer build) instead
                       of building build/tests/net/nettool

Builds tests/net/nettool.c against build/libec2d.a and drives the real
library through it: a deployment with a random tag, two hosts, the default
VPC 172.31.0.0/16 with three default subnets, two fake instances (network
namespaces whose interface is a veth plugged like a tap) on different
hosts and subnets. Each gets its address and the 169.254.169.254 route by
DHCP (busybox udhcpc -O staticroutes), reads ITS OWN metadata with
IMDSv2 and IMDSv1 through curl, and pings the other. Then: a tap port,
idempotent re-runs (same dnsmasq pid: adoption), a subnet change, a
second deployment with the same addresses (no collision), a QEMU guest
booted from the default image on a tap that fetches its key from the
metadata service and accepts SSH with it, a plumbing benchmark, and
destroy, after which nothing carrying the tags may remain.

Everything created carries the prefix ec2d-<tag> (the fake instances'
namespaces too); cleanup runs on success, failure and SIGINT/SIGTERM.
Needs: iproute2, dnsmasq-base, busybox(-static), curl; for the guest
qemu-system-x86, qemu-utils, openssh-client. Standard library only.
"""

import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE_DIR = os.environ.get("EC2D_IMAGE_DIR", os.path.join(TOP, "build/images/default"))
NETTOOL = os.environ.get("EC2D_NETTOOL", os.path.join(TOP, "build/tests/net/nettool"))
STEP_TIMEOUT = 30       # s, any single command
BOOT_TIMEOUT = 150      # s, QEMU exec -> "ec2d-init: ready" (TCG)
IMDS = "http://169.254.169.254"

passed = failed = 0


def log(msg):
    print("test_net: " + msg, flush=True)


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        log("FAIL " + what)
    return cond


class Fatal(Exception):
    pass


def run(args, timeout=STEP_TIMEOUT, input=None, ok=True):
    r = subprocess.run(args, input=input, capture_output=True, text=True, timeout=timeout)
    if ok and r.returncode != 0:
        raise Fatal("%s: rc %d: %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def in_ns(ns, args, **kw):
    return run(["ip", "netns", "exec", ns] + args, **kw)


def new_tag():
    return "t" + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5))


# --- building --------------------------------------------------------------

def build_nettool():
    run(["make", "-s", "-C", TOP, "build/libec2d.a"], timeout=600)
    pk = run(["pkg-config", "--cflags", "--libs", "libmicrohttpd", "sqlite3",
              "libcrypto", "jansson"]).stdout.split()
    os.makedirs(os.path.dirname(NETTOOL), exist_ok=True)
    run(["cc", "-std=c11", "-D_GNU_SOURCE", "-pthread", "-O2", "-g", "-Wall", "-Wextra",
         "-Wno-unused-parameter", "-Werror", "-I" + os.path.join(TOP, "src"), "-o", NETTOOL,
         os.path.join(TOP, "tests/net/nettool.c"), os.path.join(TOP, "build/libec2d.a")] +
        pk + ["-pthread"], timeout=120)


# --- one deployment ----------------------------------------------------------

class Deployment:
    """A tag, and everything the test started for it (to end on cleanup)."""

    def __init__(self, workdir):
        self.tag = new_tag()
        self.dir = os.path.join(workdir, self.tag)
        os.makedirs(self.dir)
        self.procs = []         # Popen objects we started, ended by pid
        self.imds = None

    def ns(self, kind):
        return "ec2d-%s-%s" % (self.tag, kind)

    def tool(self, *args, **kw):
        return run([NETTOOL, self.tag] + [str(a) for a in args], **kw)

    def add_instance_ns(self, name):
        ns = self.ns(name)
        run(["ip", "netns", "add", ns])
        in_ns(ns, ["ip", "link", "set", "lo", "up"])
        return ns

    def start_imds(self, listen, instances):
        path = os.path.join(self.dir, "imds.json")
        with open(path, "w") as f:
            json.dump({"listen": listen, "instances": instances}, f)
        self.imds = ImdsProcess([NETTOOL, self.tag, "imds", path])
        self.procs.append(self.imds.proc)
        if not self.imds.wait_line(r"^ready$", 10):
            raise Fatal("metadata service did not start: %s" % self.imds.lines)

    def cleanup(self):
        if self.imds:
            self.imds.stop()
            self.imds = None
        for p in self.procs:
            if p.poll() is None:
                p.kill()            # by pid: only what this test started
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        self.procs = []
        if os.path.exists(NETTOOL):
            r = self.tool("destroy", ok=False)
            if r.returncode != 0:
                log("destroy %s: %s" % (self.tag, r.stderr.strip()))
        # Last resort, should the library have failed: by exact name.
        for ns in os.listdir("/run/netns") if os.path.isdir("/run/netns") else []:
            if ns.startswith("ec2d-%s-" % self.tag):
                run(["ip", "netns", "del", ns], ok=False)
        shutil.rmtree("/run/ec2d-%s" % self.tag, ignore_errors=True)


class ImdsProcess:
    """nettool imds: stdin kept open (closing it stops the server)."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()

    def stop(self):
        """Close stdin (a clean exit: sanitizers report then); anything it
        printed besides "ready" and "read ..." is a failure."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        with self.cv:
            odd = [l for l in self.lines if l != "ready" and not l.startswith("read ")]
        check(not odd, "metadata service output: %s" % "\n".join(odd[:40]))

    def wait_line(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cv:
            while not any(rx.search(l) for l in self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return False
                self.cv.wait(left)
        return True


# --- what an instance does ---------------------------------------------------

UDHCPC_SCRIPT = r"""#!/bin/sh
# Records what DHCP said in $OUT and applies address and option 121 routes.
case "$1" in
deconfig) ip link set "$interface" up; ip -4 addr flush dev "$interface" ;;
bound|renew)
	ip -4 addr add "$ip/$mask" dev "$interface"
	set -- $staticroutes
	while [ $# -ge 2 ]; do
		d=$1; [ "$d" = 0.0.0.0/0 ] && d=default
		ip -4 route replace $d via $2 dev "$interface"
		shift 2
	done
	env | grep -E '^(ip|mask|router|staticroutes|hostname|dns|lease)=' | sort >"$OUT"
	;;
esac
exit 0
"""


def dhcp(d, ns, dev):
    script = os.path.join(d.dir, "udhcpc.sh")
    if not os.path.exists(script):
        with open(script, "w") as f:
            f.write(UDHCPC_SCRIPT)
        os.chmod(script, 0o755)
    out = os.path.join(d.dir, ns + ".dhcp")
    t0 = time.monotonic()
    in_ns(ns, ["env", "OUT=" + out, "busybox", "udhcpc", "-i", dev, "-s", script,
               "-O", "staticroutes", "-t", "10", "-T", "1", "-n", "-q", "-f"])
    with open(out) as f:
        env = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
    return env, time.monotonic() - t0


def curl(ns, path, method="GET", headers=(), timeout=5):
    """(status, body) of one request from inside ns."""
    args = ["curl", "-s", "-m", str(timeout), "-X", method, "-w", "\n%{http_code}"]
    for h in headers:
        args += ["-H", h]
    r = in_ns(ns, args + [IMDS + path], ok=False)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def token(ns, ttl="60", extra=()):
    return curl(ns, "/latest/api/token", "PUT",
                ["X-aws-ec2-metadata-token-ttl-seconds: " + ttl] + list(extra))


def ping(ns, ip):
    return in_ns(ns, ["busybox", "ping", "-c", "1", "-W", "2", ip], ok=False).returncode == 0


# --- the steps -----------------------------------------------------------------

SUBNETS = ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]
I1 = dict(vpc=1, ip="172.31.0.4", mac="02:ec:2d:00:00:04", instance_id="i-0aaaaaaaaaaaaaaa1",
          image_id="ami-0123456789abcdef0", instance_type="t3.micro", region="us-east-1",
          zone="us-east-1a", account_id="123456789012", user_data="#!/bin/sh\necho one\n",
          key_name="k1", openssh_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake k1")
I2 = dict(vpc=1, ip="172.31.16.4", mac="02:ec:2d:00:10:04", instance_id="i-0bbbbbbbbbbbbbbb2",
          image_id="ami-0123456789abcdef0", instance_type="c6i.large", region="us-east-1",
          zone="us-east-1b", account_id="123456789012", http_tokens="required")


def plug(d, host, port, inst, kind):
    r = d.tool("plug", host, inst["vpc"], port, inst["mac"], inst["ip"], kind)
    return r.stdout.strip()


def links(ns):
    r = run(["ip", "-n", ns, "-o", "link", "show"])
    return sorted(re.findall(r"^\d+: ([^:@]+)", r.stdout, re.M))


def dnsmasq_pid(d, vpc=1):
    try:
        with open("/run/ec2d-%s/vpc%d/dnsmasq.pid" % (d.tag, vpc)) as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def step_network(d):
    for h in (1, 2):
        check(d.tool("host", h).stdout.strip() == d.ns("h%d" % h), "host %d namespace" % h)
    r = d.tool("vpc", 1, "172.31.0.0/16", *SUBNETS)
    check(r.stdout.strip() == d.ns("vpc1"), "router namespace")
    pid = dnsmasq_pid(d)
    check(pid > 0 and os.path.exists("/proc/%d" % pid), "dnsmasq runs")

    i1, i2 = d.add_instance_ns("i1"), d.add_instance_ns("i2")
    dev1 = plug(d, 1, 1, I1, "veth:" + i1)
    dev2 = plug(d, 2, 2, I2, "veth:" + i2)
    check(dev1 == "e%st1" % d.tag and dev2 == "e%st2" % d.tag, "device names %s %s" % (dev1, dev2))
    for dev in (dev1, dev2):
        check(len(dev) <= 15, "%s fits IFNAMSIZ" % dev)
    check(dev1 in links(d.ns("h1")) and dev2 in links(d.ns("h2")), "ports in their hosts")

    for ns, peer, inst, gw in ((i1, "e%sp1" % d.tag, I1, "172.31.0.1"),
                               (i2, "e%sp2" % d.tag, I2, "172.31.16.1")):
        env, secs = dhcp(d, ns, peer)
        log("%s: DHCP lease in %.2f s: %s" % (ns, secs, env))
        check(env.get("ip") == inst["ip"], "%s DHCP address %s" % (ns, env.get("ip")))
        check(env.get("mask") == "20", "%s mask" % ns)
        check(env.get("router") == gw, "%s router" % ns)
        check(env.get("staticroutes") == "169.254.169.254/32 %s 0.0.0.0/0 %s" % (gw, gw),
              "%s option 121: %s" % (ns, env.get("staticroutes")))
        check(env.get("hostname") == "ip-" + inst["ip"].replace(".", "-"), "%s hostname" % ns)
        route = in_ns(ns, ["ip", "route", "get", "169.254.169.254"]).stdout
        check(("via %s" % gw) in route, "%s route to the metadata service: %s" % (ns, route))
    return i1, i2


def step_imds(d, i1, i2):
    d.start_imds([{"vpc": 1, "netns": d.ns("vpc1")}], [I1, I2])
    for ns, inst in ((i1, I1), (i2, I2)):
        code, tok = token(ns, "21600")
        check(code == 200 and len(tok) == 56, "%s IMDSv2 token (%d)" % (ns, code))
        code, body = curl(ns, "/latest/meta-data/instance-id",
                          headers=["X-aws-ec2-metadata-token: " + tok])
        check((code, body) == (200, inst["instance_id"]),
              "%s IMDSv2 sees its own instance-id: %d %s" % (ns, code, body))
        inst["token"] = tok
    # v1: allowed for i1, refused for i2 (HttpTokens required).
    check(curl(i1, "/latest/meta-data/instance-id") == (200, I1["instance_id"]), "i1 IMDSv1")
    check(curl(i2, "/latest/meta-data/instance-id")[0] == 401, "i2 IMDSv1 refused (required)")
    # Tokens are bound to their instance.
    check(curl(i2, "/latest/meta-data/instance-id",
               headers=["X-aws-ec2-metadata-token: " + I1["token"]])[0] == 401,
          "i1's token refused for i2")
    check(curl(i1, "/latest/meta-data/instance-id",
               headers=["X-aws-ec2-metadata-token: garbage"])[0] == 401, "bad token: 401")
    check(token(i1, "0")[0] == 400 and token(i1, "21601")[0] == 400, "TTL bounds: 400")
    check(token(i1, "60", ["X-Forwarded-For: 10.0.0.1"])[0] == 403, "X-Forwarded-For: 403")

    h1 = ["X-aws-ec2-metadata-token: " + I1["token"]]
    want = {
        "ami-id": I1["image_id"], "instance-id": I1["instance_id"],
        "instance-type": I1["instance_type"], "local-ipv4": I1["ip"], "mac": I1["mac"],
        "hostname": "ip-172-31-0-4.ec2.internal", "local-hostname": "ip-172-31-0-4.ec2.internal",
        "placement/availability-zone": "us-east-1a", "placement/region": "us-east-1",
        "public-keys/0/openssh-key": I1["openssh_key"],
    }
    for key, value in want.items():
        got = curl(i1, "/latest/meta-data/" + key, headers=h1)
        check(got == (200, value), "i1 %s: %s" % (key, got))
    code, listing = curl(i1, "/latest/meta-data/", headers=h1)
    check(code == 200 and {"instance-id", "placement/", "public-keys/"} <= set(listing.split("\n")),
          "listing: %s" % listing.replace("\n", " "))
    check(curl(i1, "/latest/meta-data/public-keys/", headers=h1) == (200, "0=k1"), "key listing")
    check(curl(i1, "/latest/meta-data/nope", headers=h1)[0] == 404, "unknown key: 404")
    check(curl(i1, "/latest/user-data", headers=h1) == (200, I1["user_data"]), "user-data")
    h2 = ["X-aws-ec2-metadata-token: " + I2["token"]]
    check(curl(i2, "/latest/user-data", headers=h2)[0] == 404, "no user-data: 404")
    code, doc = curl(i2, "/latest/dynamic/instance-identity/document", headers=h2)
    try:
        doc = json.loads(doc)
    except ValueError:
        doc = {}
    check(code == 200 and doc.get("instanceId") == I2["instance_id"] and
          doc.get("privateIp") == I2["ip"] and doc.get("availabilityZone") == "us-east-1b" and
          doc.get("region") == "us-east-1" and doc.get("accountId") == "123456789012" and
          doc.get("instanceType") == "c6i.large" and doc.get("version") == "2017-09-30" and
          doc.get("architecture") == "x86_64" and "pendingTime" in doc,
          "identity document: %s" % doc)
    for inst in (I1, I2):
        check(d.imds.wait_line(r"^read 1 %s$" % inst["instance_id"], 5),
              "metadata read reported for %s" % inst["instance_id"])


def step_ping(d, i1, i2):
    check(ping(i1, I2["ip"]), "i1 (h1, subnet a) pings i2 (h2, subnet b): routed")
    check(ping(i2, I1["ip"]), "i2 pings i1")
    check(ping(i1, "172.31.16.1"), "i1 pings the other subnet's gateway")
    # Same subnet, other host: switched through the router's bridge.
    i3 = d.add_instance_ns("i3")
    plug(d, 2, 5, dict(I1, ip="172.31.0.5", mac="02:ec:2d:00:00:05"), "veth:" + i3)
    env, _ = dhcp(d, i3, "e%sp5" % d.tag)
    check(env.get("ip") == "172.31.0.5", "i3 address")
    check(ping(i3, I1["ip"]), "i3 (h2, subnet a) pings i1 (h1, subnet a)")


def ping_retry(ns, ip, tries=3):
    """A ping that may need a fresh ARP first."""
    return any(ping(ns, ip) for _ in range(tries))


def step_spoof(d, i1):
    """The port guard: i1 sending from an address that is not its own (one
    nobody holds, so that without the guard the answers would come back to
    it) gets no answer from the metadata service or from i2, a changed MAC
    cuts it off, and its own address and MAC work again afterwards."""
    dev = "e%sp1" % d.tag
    rules = in_ns(d.ns("h1"), ["nft", "list", "table", "bridge", "ec2d_guard"])
    check('"e%st1" . %s . %s' % (d.tag, I1["mac"], I1["ip"]) in rules.stdout,
          "h1's guard holds i1's port, MAC and address")
    in_ns(i1, ["ip", "addr", "add", "172.31.0.99/20", "dev", dev])
    r = in_ns(i1, ["curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}",
                   "--interface", "172.31.0.99", IMDS + "/latest/meta-data/"],
              ok=False)
    check(r.stdout == "000", "metadata service from a foreign address: no "
          "answer at all (HTTP %s)" % r.stdout)
    r = in_ns(i1, ["busybox", "ping", "-c", "2", "-W", "2", "-I", "172.31.0.99",
                   I2["ip"]], ok=False)
    check(r.returncode != 0, "ping from a foreign address gets no reply")
    in_ns(i1, ["ip", "addr", "del", "172.31.0.99/20", "dev", dev])
    code, body = curl(i1, "/latest/meta-data/instance-id")
    check(code == 200 and body == I1["instance_id"], "its own address still works")
    # A link-local frame (LLDP) from the gateway's MAC: it skips the
    # bridge's prerouting hook, but must not teach the bridge that the
    # gateway is behind i1's port.
    check(ping(i1, "172.31.0.1"), "i1 pings its gateway")
    neigh = in_ns(i1, ["ip", "neigh", "show", "172.31.0.1"]).stdout.split()
    gw_mac = neigh[neigh.index("lladdr") + 1] if "lladdr" in neigh else ""
    check(bool(gw_mac), "the gateway's MAC: %s" % neigh)
    frame = ("bytes.fromhex('0180c200000e' + '%s' + '88cc') + bytes(46)"
             % gw_mac.replace(":", ""))
    in_ns(i1, ["python3", "-c",
               "import socket; s = socket.socket(socket.AF_PACKET, "
               "socket.SOCK_RAW); s.bind(('%s', 0)); "
               "[s.send(%s) for _ in range(3)]" % (dev, frame)])
    fdb = run(["bridge", "-n", d.ns("h1"), "fdb", "show"]).stdout
    stolen = [l for l in fdb.splitlines()
              if l.startswith(gw_mac) and " e%st1 " % d.tag in l + " "]
    check(not stolen, "an LLDP frame from the gateway's MAC moves nothing "
          "onto i1's port: %s" % stolen)
    check(ping(i1, "172.31.0.1"), "i1 still pings its gateway")
    in_ns(i1, ["ip", "link", "set", dev, "address", "02:ec:2d:00:00:99"])
    check(not ping(i1, I2["ip"]), "a changed MAC is cut off")
    in_ns(i1, ["ip", "link", "set", dev, "address", I1["mac"]])
    check(ping_retry(i1, I2["ip"]), "its own MAC works again")


def step_idempotent(d):
    before = {ns: links(ns) for ns in (d.ns("h1"), d.ns("h2"), d.ns("vpc1"))}
    pid = dnsmasq_pid(d)
    d.tool("host", 1)
    d.tool("vpc", 1, "172.31.0.0/16", *SUBNETS)
    plug(d, 1, 1, I1, "veth:" + d.ns("i1"))
    after = {ns: links(ns) for ns in before}
    check(before == after, "re-running host/vpc/plug changes no device")
    check(dnsmasq_pid(d) == pid, "dnsmasq adopted, not restarted (pid %d)" % pid)
    # A tap port (what QEMU opens), then unplugged: gone with its host line.
    dev = plug(d, 2, 3, dict(I1, ip="172.31.32.9", mac="02:ec:2d:00:20:09"), "tap")
    info = run(["ip", "-n", d.ns("h2"), "-d", "link", "show", dev]).stdout
    check("tun type tap" in info and "master e%sb1" % d.tag in info, "tap on the bridge: %s" % info)
    hosts = "/run/ec2d-%s/vpc1/hosts/%s" % (d.tag, dev)
    check(os.path.exists(hosts), "DHCP host line written")
    d.tool("unplug", 2, 1, 3)
    check(dev not in links(d.ns("h2")) and not os.path.exists(hosts), "unplug removes tap and line")
    d.tool("unplug", 2, 1, 3)   # again: nothing to do, no error
    # New subnets: dnsmasq restarts, gateways follow; then back.
    d.tool("vpc", 1, "172.31.0.0/16", *(SUBNETS + ["172.31.48.0/20"]))
    addrs = run(["ip", "-n", d.ns("vpc1"), "-o", "-4", "addr"]).stdout
    check("172.31.48.1/20" in addrs and dnsmasq_pid(d) not in (0, pid), "subnet added")
    d.tool("vpc", 1, "172.31.0.0/16", *SUBNETS)
    addrs = run(["ip", "-n", d.ns("vpc1"), "-o", "-4", "addr"]).stdout
    check("172.31.48.1" not in addrs, "subnet removed")
    r = d.tool("vpc", 1, "172.31.0.0/16", "172.31.0.0/20", "172.31.8.0/21", ok=False)
    check(r.returncode != 0 and "overlap" in r.stderr, "overlapping subnets refused")
    r = d.tool("plug", 1, 1, 9, "01:00:00:00:00:01", "172.31.0.9", "tap", ok=False)
    check(r.returncode != 0 and "MAC" in r.stderr, "multicast MAC refused")


def step_second_deployment(workdir, d, i1):
    """Same VPC, same addresses, another tag: no collision, own answers."""
    d2 = Deployment(workdir)
    try:
        d2.tool("host", 1)
        d2.tool("vpc", 1, "172.31.0.0/16", *SUBNETS)
        j1 = d2.add_instance_ns("i1")
        other = dict(I1, instance_id="i-0ccccccccccccccc3")
        plug(d2, 1, 1, other, "veth:" + j1)
        env, _ = dhcp(d2, j1, "e%sp1" % d2.tag)
        check(env.get("ip") == I1["ip"], "second deployment: same address")
        d2.start_imds([{"vpc": 1, "netns": d2.ns("vpc1")}], [other])
        check(curl(j1, "/latest/meta-data/instance-id") == (200, other["instance_id"]),
              "second deployment answers its own instance")
        check(curl(i1, "/latest/meta-data/instance-id") == (200, I1["instance_id"]),
              "first deployment unaffected")
    finally:
        d2.cleanup()
    check(not [n for n in os.listdir("/run/netns") if n.startswith("ec2d-%s-" % d2.tag)],
          "second deployment gone")
    check(ping(i1, I2["ip"]), "first deployment still works after the second's destroy")


def step_guest(d, workdir):
    """A QEMU guest on a tap: DHCP, metadata (its key), SSH with that key."""
    if os.environ.get("EC2D_NET_GUEST") == "0":
        log("guest: skipped (EC2D_NET_GUEST=0)")
        return
    manifest = os.path.join(IMAGE_DIR, "image.json")
    if not (os.path.exists(manifest) and shutil.which("qemu-system-x86_64") and
            shutil.which("qemu-img") and shutil.which("ssh")):
        log("guest: skipped (no image in %s, or no QEMU/ssh)" % IMAGE_DIR)
        return
    with open(manifest) as f:
        image = json.load(f)
    gdir = os.path.join(d.dir, "guest")
    os.makedirs(gdir)
    key = os.path.join(gdir, "key")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "k3", "-f", key])
    with open(key + ".pub") as f:
        pub = f.read().strip()
    g = dict(vpc=1, ip="172.31.32.4", mac="02:ec:2d:00:20:04", instance_id="i-0ddddddddddddddd4",
             image_id="ami-0123456789abcdef0", instance_type="t3.micro", region="us-east-1",
             zone="us-east-1c", account_id="123456789012", key_name="k3", openssh_key=pub,
             http_tokens="required")
    tap = plug(d, 2, 4, g, "tap")
    # Restart the metadata service with the guest added (a new process:
    # the old one's listener goes away with it).
    d.imds.stop()
    d.start_imds([{"vpc": 1, "netns": d.ns("vpc1")}], [I1, I2, g])

    overlay = os.path.join(gdir, "root.qcow2")
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", os.path.join(IMAGE_DIR, image["root"]),
         "-F", "qcow2", overlay])
    console = os.path.join(gdir, "console.log")
    args = ["ip", "netns", "exec", d.ns("h2"),  # QEMU runs in its host's namespace
            "qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "256", "-nodefaults",
            "-no-user-config", "-display", "none", "-serial", "file:" + console,
            "-kernel", os.path.join(IMAGE_DIR, image["kernel"]),
            "-initrd", os.path.join(IMAGE_DIR, image["initrd"]),
            "-append", image["cmdline"],
            "-drive", "file=%s,if=none,id=d0,format=qcow2" % overlay,
            "-device", "virtio-blk-pci,drive=d0", "-device", "virtio-rng-pci",
            "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no" % tap,
            "-device", "virtio-net-pci,netdev=n0,mac=%s" % g["mac"]]
    t0 = time.monotonic()
    with open(os.path.join(gdir, "qemu.out"), "w") as out:
        qemu = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    d.procs.append(qemu)

    def text():
        try:
            with open(console, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    deadline = t0 + BOOT_TIMEOUT
    while not re.search(r"^ec2d-init: ready$", text(), re.M):
        if qemu.poll() is not None or time.monotonic() > deadline:
            check(False, "guest ready within %d s; console:\n%s" % (BOOT_TIMEOUT, text()[-3000:]))
            return
        time.sleep(0.2)     # polling the console file, bounded by the deadline
    log("guest: exec -> ready %.1f s" % (time.monotonic() - t0))
    con = text()
    check("ec2d-init: network up %s" % g["ip"] in con, "guest got its address by DHCP")
    check("ec2d-init: metadata ok instance-id=%s" % g["instance_id"] in con,
          "guest read its instance-id (IMDSv2, tokens required)")
    check(d.imds.wait_line(r"^read 1 %s$" % g["instance_id"], 5), "guest's read reported")
    ssh = ["ssh", "-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
           "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
           "root@" + g["ip"], "cat /run/ec2d/instance-id; hostname"]
    for ns in (d.ns("vpc1"), d.ns("i1")):
        r = in_ns(ns, ssh, ok=False, timeout=60)
        check(r.returncode == 0 and r.stdout.split() == [g["instance_id"], "ip-172-31-32-4.ec2.internal"],
              "SSH with the key pair from %s: rc %d %s %s" % (ns, r.returncode, r.stdout, r.stderr))
    other = in_ns(d.ns("i1"), ssh[:2] + [os.path.join(gdir, "nokey")] + ssh[3:], ok=False, timeout=60)
    check(other.returncode != 0, "SSH without the key refused")
    qemu.kill()
    qemu.wait(timeout=10)


def step_bench(d):
    r = d.tool("bench", 1, 1, 30, timeout=120)
    log("per-port plumbing (tap + bridge + DHCP line), 30 ports: " + r.stdout.strip())


def step_destroy(d):
    pid = dnsmasq_pid(d)
    d.cleanup()
    left = [n for n in os.listdir("/run/netns") if d.tag in n] if os.path.isdir("/run/netns") else []
    check(not left, "no namespace left: %s" % left)
    check(not os.path.exists("/run/ec2d-" + d.tag), "run directory gone")
    procs = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if d.tag.encode() in f.read():
                    procs.append(p)
        except OSError:
            pass
    check(not procs, "no process of the tag left: %s" % procs)
    check(not os.path.exists("/proc/%d/cmdline" % pid) or
          open("/proc/%d/cmdline" % pid, "rb").read() == b"", "dnsmasq %d ended" % pid)
    root_links = run(["ip", "-o", "link", "show"]).stdout
    check("e%s" % d.tag not in root_links, "no device of the tag in the root namespace")


def main():
    if os.geteuid() != 0:
        log("needs root")
        return 2
    for tool in ("ip", "dnsmasq", "nft", "busybox", "curl", "cc", "make",
                 "pkg-config"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            log("missing %s (apt-get install iproute2 dnsmasq-base nftables "
                "busybox-static curl)" % tool)
            return 2
    if "EC2D_NETTOOL" not in os.environ:
        build_nettool()
    workdir = tempfile.mkdtemp(prefix="ec2d-net-")
    d = Deployment(workdir)
    log("tag %s" % d.tag)

    def on_signal(sig, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_signal)
    t0 = time.monotonic()
    try:
        i1, i2 = step_network(d)
        step_imds(d, i1, i2)
        step_ping(d, i1, i2)
        step_spoof(d, i1)
        step_idempotent(d)
        step_second_deployment(workdir, d, i1)
        step_guest(d, workdir)
        step_bench(d)
        step_destroy(d)
    except (Fatal, subprocess.TimeoutExpired, KeyboardInterrupt) as e:
        check(False, "aborted: %s" % e)
    finally:
        d.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    log("%.1f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The API under connection floods (src/api/conntab.h): idle and slow
connections from many addresses may not lock a signed client out, and
every phase of a connection has a deadline.

The flood comes from 127.0.0.2..; the signed client from 127.0.0.1, the
address the server listens on. Only the signed request is timed.
"""
import errno
import http.client
import resource
import select
import socket
import time

import pytest

from conftest import Server
from test_auth import VERSION, host_port, parse_reply, sign

DESCRIBE = {"Action": "DescribeRegions", "Version": VERSION}
FLOOD_ADDRS = ["127.0.0.%d" % i for i in range(2, 22)]     # 20 addresses
LIMIT = 1000        # --max-connections by default
SLOW_HEADER = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000)


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft >= need, "RLIMIT_NOFILE %d; this test needs %d" % (
        soft, need)


def closed_by_peer(s):
    """True when the server has closed s (EOF or reset); reads what it
    sent before that."""
    timeout = s.gettimeout()
    s.setblocking(False)
    try:
        while True:
            if not s.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.settimeout(timeout)


class Flood:
    """Connections from FLOOD_ADDRS: idle ones send nothing, slow ones one
    header byte per trickle(). Closed ones are counted and reopened by
    fill(), so the server stays at its limit for every measurement."""

    def __init__(self, server, addrs, idle, slow):
        self.target = host_port(server)
        self.want = [(a, k) for a in addrs
                     for k in ["idle"] * idle + ["slow"] * slow]
        self.socks = {}         # index in want -> [socket, bytes sent]
        self.closed = 0         # closed by the server, over the test

    def fill(self, timeout=20):
        pending = {}
        for i, (addr, _) in enumerate(self.want):
            if i in self.socks:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((addr, 0))
            rc = s.connect_ex(self.target)
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                continue
            pending[s.fileno()] = (i, s)
        poller = select.poll()
        for fd in pending:
            poller.register(fd, select.POLLOUT)
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for fd, ev in poller.poll(200):
                i, s = pending.pop(fd)
                poller.unregister(fd)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    s.close()
                else:
                    self.socks[i] = [s, 0]
        for i, s in pending.values():   # never connected: not counted
            s.close()

    def reap(self):
        """Forget (and count) what the server closed."""
        for i in [i for i, (s, _) in self.socks.items()
                  if closed_by_peer(s)]:
            self.socks.pop(i)[0].close()
            self.closed += 1

    def settle(self, limit, timeout=10):
        """Wait (bounded) until the server has taken in what fill() opened:
        the connections it accepts beyond its limit evict others, so it
        has caught up once no more than about limit are left open. (Until
        then a new client waits behind the flood in the accept queue.) A
        server that does not evict never gets there."""
        deadline = time.monotonic() + timeout
        while len(self.socks) > limit * 1.05 and \
                time.monotonic() < deadline:
            self.trickle()
            select.select([], [], [], 0.1)
            self.reap()

    def trickle(self):
        for i, entry in list(self.socks.items()):
            if self.want[i][1] != "slow" or entry[1] >= len(SLOW_HEADER):
                continue
            try:
                entry[0].send(SLOW_HEADER[entry[1]:entry[1] + 1])
                entry[1] += 1
            except OSError:
                self.socks.pop(i)[0].close()
                self.closed += 1

    def close(self):
        for s, _ in self.socks.values():
            s.close()
        self.socks.clear()


def timed_signed_request(server, source="127.0.0.1", timeout=5):
    """Seconds from connect to the whole reply of a signed DescribeRegions,
    or None when it is not answered within timeout."""
    p = sign(server, DESCRIBE)
    conn = http.client.HTTPConnection(*host_port(server), timeout=timeout,
                                      source_address=(source, 0))
    t0 = time.monotonic()
    try:
        conn.request("POST", "/", body=p.body, headers=dict(p.headers))
        resp = conn.getresponse()
        body = resp.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    elapsed = time.monotonic() - t0
    assert (resp.status, parse_reply(body)[0]) == (200, None), body[:300]
    return elapsed


@pytest.fixture
def flood_server():
    raise_fd_limit(4096)
    s = Server("--rate-limit", "0")
    yield s
    s.close()


def test_signed_request_answered_under_flood(flood_server):
    """1,000 idle and 1,000 slow connections (the server's limit is 1,000)
    from 20 addresses, topped up before each of five signed requests from
    another address: each is answered within a second."""
    flood = Flood(flood_server, FLOOD_ADDRS, idle=50, slow=50)
    times = []
    t0 = time.monotonic()
    try:
        for _ in range(5):
            flood.reap()
            flood.fill()
            flood.trickle()
            assert len(flood.socks) >= 1500, len(flood.socks)
            flood.settle(LIMIT)
            times.append(timed_signed_request(flood_server, timeout=3))
            flood.trickle()
        flood.reap()
    finally:
        flood.close()
    print("signed request under flood: %s s; server closed %d flood "
          "connections" % (times, flood.closed))
    assert None not in times, times
    assert max(times) < 1.0, times
    # The flood was over the limit: the server had to evict some of it.
    assert flood.closed >= 500, flood.closed
    # And said so in a line every 10 s, not a line per connection.
    lines = flood_server.log().count('msg="connections dropped"')
    assert lines <= 2 + (time.monotonic() - t0) // 10, lines


def wait_closed(s, limit):
    """Seconds until the server closes s (polling), or None after limit."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        r, _, _ = select.select([s], [], [], 0.1)
        if r and closed_by_peer(s):
            return time.monotonic() - t0
    return None


def trickle_until_closed(s, pieces):
    """Send pieces one by one (0.2 s apart at most) until ec2d closes the
    connection; the seconds that took, or None if it never did."""
    t0 = time.monotonic()
    for piece in pieces:
        try:
            s.send(piece)
        except OSError:
            return time.monotonic() - t0
        if wait_closed(s, 0.2) is not None:
            return time.monotonic() - t0
    return None


@pytest.fixture(scope="module")
def short_deadlines():
    s = Server("--rate-limit", "0", "--header-timeout", "2",
               "--body-timeout", "2", "--idle-timeout", "3")
    yield s
    s.close()


def test_idle_connection_closed_at_header_deadline(short_deadlines):
    with socket.create_connection(host_port(short_deadlines),
                                  timeout=5) as s:
        t = wait_closed(s, 10)
    assert t is not None and 1.5 <= t <= 6, t


def test_slow_headers_closed_at_header_deadline(short_deadlines):
    """A byte every 0.2 s keeps a connection busy for any inactivity
    timeout; the deadline counts from the accept."""
    with socket.create_connection(host_port(short_deadlines),
                                  timeout=5) as s:
        closed = trickle_until_closed(
            s, [SLOW_HEADER[i:i + 1] for i in range(50)])
    assert closed is not None and 1.5 <= closed <= 6, closed


def test_slow_body_closed_at_body_deadline(short_deadlines):
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n"
            b"\r\n")
    with socket.create_connection(host_port(short_deadlines),
                                  timeout=5) as s:
        s.sendall(head)
        closed = trickle_until_closed(s, [b"x"] * 50)
    assert closed is not None and 1.5 <= closed <= 6, closed


def test_keep_alive_idle_closed(short_deadlines):
    conn = http.client.HTTPConnection(*host_port(short_deadlines),
                                      timeout=10)
    try:
        p = sign(short_deadlines, DESCRIBE)
        conn.request("POST", "/", body=p.body, headers=dict(p.headers))
        assert conn.getresponse().read()
        t = wait_closed(conn.sock, 10)
    finally:
        conn.close()
    assert t is not None and 2.5 <= t <= 7, t


def test_per_address_limit():
    s = Server("--rate-limit", "0", "--max-connections-per-address", "5")
    socks = []
    try:
        for _ in range(5):
            socks.append(socket.create_connection(
                host_port(s), timeout=5, source_address=("127.0.0.2", 0)))
        sixth = socket.create_connection(
            host_port(s), timeout=5, source_address=("127.0.0.2", 0))
        socks.append(sixth)
        assert wait_closed(sixth, 5) is not None, "a sixth was kept"
        assert not any(closed_by_peer(x) for x in socks[:5])
        assert timed_signed_request(s, source="127.0.0.3") is not None
    finally:
        for x in socks:
            x.close()
        s.close()


def test_eviction_at_the_limit():
    """At the limit a new client gets in by evicting a waiting connection
    of the address that holds the most; the evicted is one of those."""
    s = Server("--rate-limit", "0", "--max-connections", "10")
    heavy, light = [], []
    try:
        for _ in range(7):
            heavy.append(socket.create_connection(
                host_port(s), timeout=5, source_address=("127.0.0.2", 0)))
        for _ in range(3):
            light.append(socket.create_connection(
                host_port(s), timeout=5, source_address=("127.0.0.3", 0)))
        assert timed_signed_request(s, timeout=3) is not None
        deadline = time.monotonic() + 5
        while not any(closed_by_peer(x) for x in heavy):
            assert time.monotonic() < deadline, "nothing was evicted"
            time.sleep(0.05)
        assert not any(closed_by_peer(x) for x in light)
    finally:
        for x in heavy + light:
            x.close()
        s.close()


def test_short_idle_near_the_limit():
    """Kept-alive connections idle only 2 s once 90% of the connections are
    in use (the idle time is 60 s otherwise)."""
    s = Server("--rate-limit", "0", "--max-connections", "20")
    conn = http.client.HTTPConnection(*host_port(s), timeout=10)
    others = []
    try:
        p = sign(s, DESCRIBE)
        conn.request("POST", "/", body=p.body, headers=dict(p.headers))
        assert conn.getresponse().read()
        for _ in range(18):
            others.append(socket.create_connection(
                host_port(s), timeout=5, source_address=("127.0.0.2", 0)))
        t = wait_closed(conn.sock, 10)
        assert t is not None and t <= 7, t
    finally:
        conn.close()
        for x in others:
            x.close()
        s.close()

"""The Query protocol around the actions: Action, Version, parameters,
DryRun, ClientToken, and HTTP robustness (garbage, big bodies, keep-alive).
"""
import concurrent.futures
import http.client
import socket
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import error_code
from test_auth import (VERSION, alive, call, host_port, parse_reply, send,
                       sign)


def q(action, **params):
    return {"Action": action, "Version": VERSION, **params}


def status_of(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


# Action and Version.

@pytest.mark.parametrize("action", ["DescribeFoo", "CreateVolume",
                                    "describeregions", "CreateQueue"])
def test_unknown_action(server, action):
    status, code, msg, _ = call(server, q(action))
    assert (status, code) == (400, "InvalidAction")
    assert action in msg


def test_missing_action(server):
    """EC2's common error for a request without an action."""
    status, code, msg, _ = call(server, {"Version": VERSION})
    assert (status, code) == (400, "MissingAction")
    assert msg == "The request must contain the parameter Action."


def test_empty_action(server):
    """An Action that is there but names nothing is not a valid action."""
    status, code, _, _ = call(server, q(""))
    assert (status, code) == (400, "InvalidAction")


@pytest.mark.parametrize("version", ["2010-05-08", "2016-11-16", "latest",
                                     ""])
def test_wrong_version(server, version):
    status, code, msg, _ = call(server, {"Action": "DescribeRegions",
                                         "Version": version})
    assert (status, code) == (400, "NoSuchVersion")
    assert "(%s)" % version in msg


def test_missing_version(server):
    status, code, msg, _ = call(server, {"Action": "DescribeRegions"})
    assert (status, code) == (400, "MissingParameter")
    assert "Version" in msg


def test_get_with_query_string(server):
    """Query parameters work on a header-signed GET as well as in a body."""
    req = AWSRequest(method="GET", url=server.url + "/?" +
                     urllib.parse.urlencode(q("DescribeAvailabilityZones")))
    SigV4Auth(Credentials(server.key, server.secret), "ec2",
              "us-east-1").add_auth(req)
    status, code, _, body = send(server, req.prepare())
    assert (status, code) == (200, None), body
    assert body.count(b"<zoneName>") == 3


# Parameters.

@pytest.mark.parametrize("params,unknown", [
    (q("DescribeRegions", Foo="bar"), "Foo"),
    (q("DescribeRegions", KeyName="x"), "KeyName"),
    (q("DescribeKeyPairs", MaxResults="5"), "MaxResults"),
    (q("CreateKeyPair", KeyName="unknown-param-kp", Bogus="1"), "Bogus"),
    (q("DescribeTags", **{"Filter.1.Name": "key", "Filter.1.Value.1": "x",
                          "ResourceId.1": "key-0123456789abcdef0"}),
     "ResourceId"),
])
def test_unknown_parameter(server, ec2, params, unknown):
    status, code, msg, _ = call(server, params)
    assert (status, code) == (400, "UnknownParameter")
    assert unknown in msg
    assert not ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": ["unknown-param-kp"]}])["KeyPairs"]


def test_client_token_not_accepted_yet(server, ec2):
    """No action in the table takes ClientToken yet (RunInstances will), so
    it is an unknown parameter everywhere, and nothing is created."""
    name = "ct-" + uuid.uuid4().hex[:8]
    status, code, msg, _ = call(server, q("CreateKeyPair", KeyName=name,
                                          ClientToken="tok-1"))
    assert (status, code) == (400, "UnknownParameter")
    assert "ClientToken" in msg
    assert ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": [name]}])["KeyPairs"] == []
    for action in ("DescribeRegions", "CreateTags", "ImportKeyPair"):
        status, code, _, _ = call(server, q(action, ClientToken="tok-2"))
        assert (status, code) == (400, "UnknownParameter"), action


def test_max_results_below_minimum(server):
    nv = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as e:
        nv.describe_instance_types(MaxResults=3)
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400


@pytest.mark.parametrize("value", ["abc", "5.5", "", "-5", "1e2", " 5",
                                   "99999999999999999999999"])
def test_max_results_not_a_number(server, value):
    status, code, _, _ = call(server, q("DescribeInstanceTypes",
                                        MaxResults=value))
    assert (status, code) == (400, "InvalidParameterValue")


@pytest.mark.parametrize("params", [
    q("DescribeKeyPairs", IncludePublicKey="maybe"),
    q("DescribeKeyPairs", IncludePublicKey="1"),
    q("DescribeRegions", AllRegions="yes"),
    q("DescribeAvailabilityZones", AllAvailabilityZones=""),
    q("DescribeRegions", DryRun="on"),
])
def test_bad_boolean(server, params):
    status, code, _, _ = call(server, params)
    assert (status, code) == (400, "InvalidParameterValue")


def test_boolean_false_is_accepted(server):
    status, code, _, _ = call(server, q("DescribeRegions", DryRun="false",
                                        AllRegions="false"))
    assert (status, code) == (200, None)


@pytest.mark.parametrize("params", [
    q("CreateKeyPair", KeyName="enum-kp", KeyType="dsa"),
    q("CreateKeyPair", KeyName="enum-kp", KeyType="RSA"),
    q("CreateKeyPair", KeyName="enum-kp", KeyFormat="der"),
    q("DescribeInstanceTypeOfferings", LocationType="planet"),
])
def test_bad_enum(server, ec2, params):
    status, code, _, _ = call(server, params)
    assert (status, code) == (400, "InvalidParameterValue")
    assert not ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": ["enum-kp"]}])["KeyPairs"]


def test_repeated_parameter(server):
    body = "Action=DescribeRegions&Version=%s&RegionName.1=us-east-1" \
           "&RegionName.1=us-east-1" % VERSION
    status, code, _, _ = send(server, sign(server, None, body=body))
    assert (status, code) == (400, "InvalidParameterValue")


@pytest.mark.parametrize("name", ["RegionName.0", "RegionName.x",
                                  "RegionName.01"])
def test_bad_list_index(server, name):
    status, code, msg, _ = call(server, q("DescribeRegions",
                                          **{name: "us-east-1"}))
    assert (status, code) == (400, "InvalidParameterValue")
    assert name in msg


def test_missing_required_parameter(server):
    status, code, msg, _ = call(server, q("CreateKeyPair"))
    assert (status, code) == (400, "MissingParameter")
    assert "KeyName" in msg


# DryRun.

READ_ACTIONS = {
    "describe_regions": {},
    "describe_availability_zones": {},
    "describe_account_attributes": {},
    "describe_instance_types": {},
    "describe_instance_type_offerings": {},
    "describe_key_pairs": {},
    "describe_tags": {},
}


@pytest.mark.parametrize("method", sorted(READ_ACTIONS))
def test_dry_run_read_actions(ec2, method):
    with pytest.raises(ClientError) as e:
        getattr(ec2, method)(DryRun=True, **READ_ACTIONS[method])
    assert error_code(e) == "DryRunOperation"
    assert status_of(e) == 412
    assert e.value.response["Error"]["Message"] == \
        "Request would have succeeded, but DryRun flag is set."


@pytest.mark.parametrize("method", sorted(READ_ACTIONS))
def test_dry_run_false_runs(ec2, method):
    r = getattr(ec2, method)(DryRun=False, **READ_ACTIONS[method])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_dry_run_raw_status(server):
    status, code, _, _ = call(server, q("DescribeTags", DryRun="true"))
    assert (status, code) == (412, "DryRunOperation")


def test_dry_run_create_key_pair_creates_nothing(ec2):
    name = "dry-" + uuid.uuid4().hex[:8]
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName=name, DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert status_of(e) == 412
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyNames=[name])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    # The name is still free, and a real create works.
    ec2.create_key_pair(KeyName=name)
    # The parameters are checked before the dry run answers: a taken
    # name is an error even with DryRun.
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName=name, DryRun=True)
    assert error_code(e) == "InvalidKeyPair.Duplicate"
    ec2.delete_key_pair(KeyName=name)


def test_dry_run_writes_change_nothing(ec2):
    name = "dry-w-" + uuid.uuid4().hex[:8]
    kp = ec2.create_key_pair(KeyName=name, KeyType="ed25519",
                             TagSpecifications=[{
                                 "ResourceType": "key-pair",
                                 "Tags": [{"Key": "keep", "Value": "1"}]}])
    kid = kp["KeyPairId"]
    writes = [
        lambda: ec2.create_tags(Resources=[kid],
                                Tags=[{"Key": "new", "Value": "x"}],
                                DryRun=True),
        lambda: ec2.delete_tags(Resources=[kid], DryRun=True),
        lambda: ec2.delete_key_pair(KeyName=name, DryRun=True),
        lambda: ec2.delete_key_pair(KeyPairId=kid, DryRun=True),
        lambda: ec2.import_key_pair(
            KeyName=name + "-imp", DryRun=True,
            PublicKeyMaterial=b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmd"
                              b"Vn0+2eLnZa9Eo2Hw9Yy1CJrO0zlKOp+qg5k0vEQK"),
    ]
    for w in writes:
        with pytest.raises(ClientError) as e:
            w()
        assert error_code(e) == "DryRunOperation"
        assert status_of(e) == 412
    r = ec2.describe_key_pairs(KeyPairIds=[kid])["KeyPairs"]
    assert [(k["KeyName"], k["Tags"]) for k in r] == [
        (name, [{"Key": "keep", "Value": "1"}])]
    assert not ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": [name + "-imp"]}])["KeyPairs"]
    ec2.delete_key_pair(KeyPairId=kid)


def test_dry_run_validates_first(ec2):
    """A request that would fail answers its own error, not 412."""
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName="x" * 256, DryRun=True)
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(InstanceTypes=["t9.nano"], DryRun=True)
    assert error_code(e) == "InvalidInstanceType"
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=["key-0123456789abcdef0"],
                        Tags=[{"Key": "a", "Value": "b"}], DryRun=True)
    assert error_code(e) == "InvalidKeyPair.NotFound"


def test_cli_dry_run(aws, ec2):
    """aws --dry-run on reads and on a write (which creates nothing); the
    boto3 tests above cover every read action."""
    name = "cli-dry-" + uuid.uuid4().hex[:8]
    cmds = [("describe-key-pairs",), ("describe-instance-types",),
            ("describe-availability-zones",),
            ("create-key-pair", "--key-name", name)]
    with concurrent.futures.ThreadPoolExecutor(len(cmds)) as pool:
        results = list(pool.map(
            lambda cmd: aws(*cmd, "--dry-run", expect_ok=False), cmds))
    for cmd, (rc, _, err) in zip(cmds, results):
        assert rc != 0, cmd
        assert "(DryRunOperation)" in err, (cmd, err)
    assert not ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": [name]}])["KeyPairs"]


# HTTP robustness.

def read_reply(sock):
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    return resp.status, resp.read()


# Requests with an HTTP request line that is wrong: a 4xx reply.
MALFORMED = [
    b"a b c d\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Content-Length: 7\r\n\r\nabcde",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\nhello\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nBad Header Line\r\n\r\n",
    b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100000 + b"\r\n\r\n",
]

# Bytes that are no HTTP request line at all. libmicrohttpd 0.9.75
# (Debian 12) closes such a connection without a reply, or for NUL bytes
# waits for more until its idle timeout; later releases answer 400. What
# must hold either way: no 2xx or 5xx, no crash, and the server keeps
# serving others meanwhile.
NOT_HTTP = [
    b"GARBAGE\r\n\r\n",
    b"\x00\x01\x02\xff\xfe\r\n\r\n",
    b"\xde\xad\xbe\xef" * 64 + b"\r\n\r\n",
]


@pytest.mark.parametrize("data", MALFORMED,
                         ids=["m%d" % i for i in range(len(MALFORMED))])
def test_malformed_http(server, data):
    """A broken request gets an HTTP 4xx reply (not a silent close, not a
    hang, not a 5xx), and the server keeps serving."""
    with socket.create_connection(host_port(server), timeout=5) as s:
        try:
            s.sendall(data)
            status, _ = read_reply(s)
        except (OSError, http.client.HTTPException) as e:
            status = repr(e)
    assert alive(server)
    assert isinstance(status, int) and 400 <= status < 500, status


@pytest.mark.parametrize("data", NOT_HTTP,
                         ids=["n%d" % i for i in range(len(NOT_HTTP))])
def test_not_http(server, data):
    with socket.create_connection(host_port(server), timeout=2) as s:
        s.sendall(data)
        try:
            status, _ = read_reply(s)
        except (OSError, http.client.HTTPException):
            status = None           # closed, or still waiting: allowed
        assert alive(server)        # while that connection is open
    assert status is None or 400 <= status < 500, status


def test_unsupported_http_version(server):
    with socket.create_connection(host_port(server), timeout=5) as s:
        s.sendall(b"POST / HTTP/9.9\r\nHost: x\r\n\r\n")
        status, _ = read_reply(s)
    assert status == 505            # HTTP Version Not Supported
    assert alive(server)


def test_http_10_request(server):
    p = sign(server, {"Action": "DescribeRegions", "Version": VERSION})
    head = "POST / HTTP/1.0\r\nHost: %s:%d\r\n" % host_port(server) + "".join(
        "%s: %s\r\n" % kv for kv in p.headers.items()) + "\r\n"
    with socket.create_connection(host_port(server), timeout=10) as s:
        s.sendall(head.encode() + p.body.encode())
        status, body = read_reply(s)
    assert status == 200, body


def test_too_many_headers(server):
    p = sign(server, {"Action": "DescribeRegions", "Version": VERSION})
    for i in range(140):
        p.headers["X-Extra-%d" % i] = "v"
    status, code, _, _ = send(server, p)
    assert 400 <= status < 500
    assert alive(server)


BODY_MAX = 512 << 10      # src/api/http.h HTTP_BODY_MAX


def test_body_over_the_limit(server):
    body = b"Action=DescribeRegions&Version=2016-11-15&Pad=" + \
        b"x" * BODY_MAX
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        conn.request("POST", "/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        reply = resp.read()
    finally:
        conn.close()
    assert resp.status == 413
    assert parse_reply(reply)[0] == "RequestEntityTooLarge"
    assert alive(server)


def test_chunked_body_over_the_limit(server):
    """Unsigned and chunked (no Content-Length, so nothing says it is too
    large up front): refused as unauthenticated, none of it kept."""
    def chunks():
        for _ in range(9):
            yield b"y" * 65536
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        conn.request("POST", "/", body=chunks(), encode_chunked=True,
                     headers={"Content-Type":
                              "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        reply = resp.read()
    finally:
        conn.close()
    assert (resp.status, parse_reply(reply)[0]) == (
        403, "MissingAuthenticationToken")
    assert alive(server)


def test_body_just_under_the_limit_is_read(server):
    """A signed body under the limit reaches the router (not 413)."""
    body = b"Action=DescribeRegions&Version=2016-11-15&Pad=" + \
        b"x" * (BODY_MAX - 100)
    status, code, _, _ = send(server, sign(server, None,
                                           body=body.decode()))
    assert (status, code) == (400, "UnknownParameter")


def test_keep_alive(server):
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        conn.connect()
        local = conn.sock.getsockname()
        for i in range(60):
            if i % 3 == 0:
                params = {"Action": "DescribeRegions", "Version": VERSION}
                want = (200, None)
            elif i % 3 == 1:
                params = {"Action": "DescribeNothing", "Version": VERSION}
                want = (400, "InvalidAction")
            else:
                params = {"Action": "DescribeTags", "Version": VERSION,
                          "DryRun": "true"}
                want = (412, "DryRunOperation")
            status, code, _, _ = send(server, sign(server, params), conn)
            assert (status, code) == want, i
            assert conn.sock is not None and \
                conn.sock.getsockname() == local, "reconnected at %d" % i
    finally:
        conn.close()


def test_unsigned_garbage_does_not_stop_others(server):
    """Garbage on one connection while another keeps working."""
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        for _ in range(3):
            with socket.create_connection(host_port(server),
                                          timeout=10) as s:
                s.sendall(b"\xde\xad\xbe\xef" * 64 + b"\r\n\r\n")
            status, code, _, _ = send(server, sign(server, {
                "Action": "DescribeRegions", "Version": VERSION}), conn)
            assert (status, code) == (200, None)
    finally:
        conn.close()


def test_wrong_content_type(server):
    req = AWSRequest(method="POST", url=server.url + "/",
                     data="Action=DescribeRegions&Version=" + VERSION,
                     headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(server.key, server.secret), "ec2",
              "us-east-1").add_auth(req)
    status, code, _, _ = send(server, req.prepare())
    assert (status, code) == (400, "InvalidParameterValue")


# Reply envelopes.

def test_error_envelope(server):
    p = sign(server, q("DescribeFoo"))
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        conn.request("POST", "/", body=p.body, headers=dict(p.headers))
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 400
    assert resp.getheader("Content-Type").startswith("text/xml")
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body)
    assert root.tag == "Response"          # no namespace on errors
    assert [c.tag for c in root] == ["Errors", "RequestID"]
    assert root.findtext("Errors/Error/Code") == "InvalidAction"
    assert root.findtext("RequestID") == resp.getheader("x-amzn-RequestId")


def test_success_envelope(server):
    p = sign(server, q("DescribeRegions"))
    conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        conn.request("POST", "/", body=p.body, headers=dict(p.headers))
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 200
    ns = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
    root = ET.fromstring(body)
    assert root.tag == ns + "DescribeRegionsResponse"
    assert root[0].tag == ns + "requestId"
    assert root[0].text == resp.getheader("x-amzn-RequestId")


def test_request_ids_are_unique(ec2):
    ids = {ec2.describe_regions()["ResponseMetadata"]["RequestId"]
           for _ in range(20)}
    assert len(ids) == 20


# Strict framing: a request whose boundary another HTTP parser could see
# elsewhere is refused and its connection closed, so nothing after it is
# ever run as a request of its own (request smuggling).

def raw_signed(server, params, extra=()):
    """The bytes of a signed POST of params, with extra header lines."""
    p = sign(server, params)
    head = "POST / HTTP/1.1\r\nHost: %s:%d\r\n" % host_port(server)
    head += "".join("%s: %s\r\n" % kv for kv in p.headers.items())
    head += "".join(line + "\r\n" for line in extra)
    body = p.body if isinstance(p.body, bytes) else p.body.encode()
    return head.encode() + b"\r\n" + body


def smuggled_key(server):
    """A signed CreateKeyPair whose effect the tests look for."""
    name = "smuggled-" + uuid.uuid4().hex[:8]
    return name, raw_signed(server, q("CreateKeyPair", KeyName=name))


def key_exists(ec2, name):
    return bool(ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": [name]}])["KeyPairs"])


def exchange(server, data, timeout=5):
    """Send data; return (status of the first reply, whether the server then
    closed the connection within timeout, everything read after that)."""
    with socket.create_connection(host_port(server), timeout=30) as s:
        s.sendall(data)
        resp = http.client.HTTPResponse(s)
        resp.begin()
        resp.read()
        s.settimeout(timeout)
        rest, closed = b"", False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                rest += chunk
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
    return resp.status, closed, rest


HOST = b"Host: x\r\n"


def smuggle_cl_te(inner):
    return (b"POST / HTTP/1.1\r\n" + HOST +
            b"Content-Length: %d\r\n" % (len(inner) + 5) +
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + inner)


def smuggle_te_cl(inner):
    return (b"POST / HTTP/1.1\r\n" + HOST +
            b"Transfer-Encoding: chunked\r\n" +
            b"Content-Length: %d\r\n\r\n0\r\n\r\n" % (len(inner) + 5) + inner)


def smuggle_two_cl(inner):
    return (b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\n" +
            b"Content-Length: %d\r\n\r\n" % len(inner) + inner)


def smuggle_two_equal_cl(inner):
    return (b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\n" +
            b"Content-Length: 0\r\n\r\n" + inner)


def smuggle_te_space(inner):
    """A proxy that reads "Transfer-Encoding :" as chunked sees one
    request with the inner one as its chunk data."""
    return (b"POST / HTTP/1.1\r\n" + HOST +
            b"Transfer-Encoding : chunked\r\n\r\n" + inner)


def smuggle_unknown_coding(inner):
    return (b"POST / HTTP/1.1\r\n" + HOST +
            b"Transfer-Encoding: gzip\r\n\r\n" + inner)


SMUGGLE = [
    (smuggle_cl_te, 400),
    (smuggle_te_cl, 400),
    (smuggle_two_cl, 400),
    (smuggle_two_equal_cl, 400),
    (smuggle_te_space, 400),
    (smuggle_unknown_coding, 501),
]


@pytest.mark.parametrize("build,want", SMUGGLE,
                         ids=[f.__name__ for f, _ in SMUGGLE])
def test_ambiguous_framing_refused(server, ec2, build, want):
    name, inner = smuggled_key(server)
    status, closed, rest = exchange(server, build(inner))
    assert not key_exists(ec2, name), "the smuggled request ran"
    assert status == want
    assert closed, "the connection stayed open"
    assert rest == b"", rest[:200]
    assert alive(server)


def test_duplicate_authorization_refused(server, ec2):
    """The first Authorization is the valid one: a server that reads only
    the first would run the request."""
    name = "dup-auth-" + uuid.uuid4().hex[:8]
    data = raw_signed(server, q("CreateKeyPair", KeyName=name),
                      extra=["Authorization: AWS4-HMAC-SHA256 Credential=x"])
    status, closed, _ = exchange(server, data)
    assert status == 400
    assert closed
    assert not key_exists(ec2, name)


def test_http11_without_host(server, ec2):
    name = "no-host-" + uuid.uuid4().hex[:8]
    data = raw_signed(server, q("CreateKeyPair", KeyName=name))
    data = data.replace(b"Host: %s:%d\r\n" % (
        host_port(server)[0].encode(), host_port(server)[1]), b"", 1)
    assert b"Host:" not in data
    status, closed, _ = exchange(server, data)
    assert status == 400
    assert closed
    assert not key_exists(ec2, name)


def test_raw_signed_request_runs(server, ec2):
    """The control for the tests above: the same bytes, framed plainly,
    do run (so their absence above is the refusal, not a bad request)."""
    name, data = smuggled_key(server)
    status, closed, _ = exchange(server, data, timeout=1)
    assert status == 200
    assert not closed           # keep-alive as usual
    assert key_exists(ec2, name)
    ec2.delete_key_pair(KeyName=name)


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 (Debian 12) "
                   "appends a folded line to the header's name "
                   "(\"Content-Length: 0\\r\\n 5\" arrives as "
                   "\"Content-Length5: 0\"), which no check of what it "
                   "hands over can tell from a real header; 1.0 refuses "
                   "obsolete line folding itself")
def test_folded_content_length_refused(server, ec2):
    name, inner = smuggled_key(server)
    data = (b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\n" +
            b" %d\r\n\r\n" % len(inner) + inner)
    status, closed, _ = exchange(server, data)
    assert not key_exists(ec2, name), "the smuggled request ran"
    assert (status, closed) == (400, True)

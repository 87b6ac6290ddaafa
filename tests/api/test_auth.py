"""SigV4 authentication: header-signed requests, presigned URLs, replays.

The helpers at the top (signed requests sent by hand, a clock moved for
botocore's signer, error-body parsing) are also used by test_protocol.py.
"""
import contextlib
import datetime
import glob
import http.client
import os
import socket
import types
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import FIXTURES, REGION, error_code

VERSION = "2016-11-15"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


# Helpers.

def host_port(server):
    u = urllib.parse.urlsplit(server.url)
    return u.hostname, u.port


def parse_reply(body):
    """(code, message) of an EC2 error body, or (None, None) on success."""
    root = ET.fromstring(body)
    if root.tag != "Response":
        return None, None
    err = root.find("./Errors/Error")
    return err.findtext("Code"), err.findtext("Message")


@contextlib.contextmanager
def clock(offset):
    """Move the clock botocore.auth signs with by `offset` (a timedelta)."""
    real = datetime.datetime

    class Shifted(real):
        @classmethod
        def utcnow(cls):
            return real.utcnow() + offset

        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + offset

    fake = types.SimpleNamespace(**{k: getattr(datetime, k)
                                    for k in dir(datetime)
                                    if not k.startswith("__")})
    fake.datetime = Shifted
    # botocore signs with botocore.auth, or botocore.crt.auth when awscrt
    # is installed (boto3 clients then use the CRT signer).
    with contextlib.ExitStack() as stack:
        for mod in signer_modules():
            stack.enter_context(mock.patch.object(mod, "datetime", fake))
        yield


def signer_modules():
    mods = [botocore.auth]
    try:
        from botocore.crt import auth as crt_auth
        mods.append(crt_auth)
    except ImportError:
        pass
    return mods


def sign(server, params, key=None, secret=None, region=REGION,
         service="ec2", body=None):
    """A prepared, SigV4-signed POST of params (or of a raw body)."""
    if body is None:
        body = urllib.parse.urlencode(params)
    req = AWSRequest(method="POST", url=server.url + "/", data=body,
                     headers={"Content-Type": FORM})
    creds = Credentials(key or server.key, secret or server.secret)
    SigV4Auth(creds, service, region).add_auth(req)
    return req.prepare()


def send(server, prepared, conn=None):
    """Send a prepared request; return (status, code, message, body)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(*host_port(server), timeout=30)
    try:
        path = urllib.parse.urlsplit(prepared.url)
        target = path.path + ("?" + path.query if path.query else "")
        conn.request(prepared.method, target, body=prepared.body,
                     headers=dict(prepared.headers.items()))
        resp = conn.getresponse()
        body = resp.read()
    finally:
        if own:
            conn.close()
    code, message = parse_reply(body)
    return resp.status, code, message, body


def call(server, params, **kw):
    """Sign and send params with the server's own key by default."""
    return send(server, sign(server, params, **kw))


def raw_exchange(server, data, timeout=10):
    """Write raw bytes to a fresh connection; return (status, body) of the
    first reply."""
    with socket.create_connection(host_port(server), timeout=timeout) as s:
        s.sendall(data)
        resp = http.client.HTTPResponse(s)
        resp.begin()
        return resp.status, resp.read()


def alive(server):
    """The server still answers a normal signed request."""
    status, code, _, _ = call(server, {"Action": "DescribeRegions",
                                       "Version": VERSION})
    return status == 200 and code is None


DESCRIBE_REGIONS = {"Action": "DescribeRegions", "Version": VERSION}


# Header-signed requests.

def test_good_signature(server):
    status, code, _, body = call(server, DESCRIBE_REGIONS)
    assert (status, code) == (200, None), body
    assert b"<regionName>us-east-1</regionName>" in body


def test_wrong_secret(server):
    status, code, msg, _ = call(server, DESCRIBE_REGIONS,
                                secret="x" * 40)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert "signature" in msg.lower()


def test_wrong_secret_boto3(server):
    ec2 = server.client(secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    with pytest.raises(ClientError) as e:
        ec2.describe_regions()
    assert error_code(e) == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_access_key(server):
    status, code, msg, _ = call(server, DESCRIBE_REGIONS,
                                key="AKIDEXAMPLE", secret="s" * 40)
    assert (status, code) == (401, "AuthFailure")
    assert msg == ("AWS was not able to validate the provided access "
                   "credentials")


def test_unknown_access_key_boto3(server):
    ec2 = server.client(key="AKIAIOSFODNN7EXAMPLE")
    with pytest.raises(ClientError) as e:
        ec2.describe_availability_zones()
    assert error_code(e) == "AuthFailure"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


def test_no_authorization(server):
    p = sign(server, DESCRIBE_REGIONS)
    del p.headers["Authorization"]
    status, code, _, _ = send(server, p)
    assert (status, code) == (403, "MissingAuthenticationToken")


def test_no_authorization_plain_urllib(server):
    req = urllib.request.Request(
        server.url + "/", data=urllib.parse.urlencode(
            DESCRIBE_REGIONS).encode(), headers={"Content-Type": FORM})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 403
    assert parse_reply(e.value.read())[0] == "MissingAuthenticationToken"


@pytest.mark.parametrize("minutes", [-20, 20])
def test_request_expired(server, minutes):
    with clock(datetime.timedelta(minutes=minutes)):
        p = sign(server, DESCRIBE_REGIONS)
    assert p.headers["X-Amz-Date"] != sign(
        server, DESCRIBE_REGIONS).headers["X-Amz-Date"]
    status, code, _, _ = send(server, p)
    assert (status, code) == (400, "RequestExpired")


def test_small_skew_is_accepted(server):
    with clock(datetime.timedelta(minutes=-5)):
        p = sign(server, DESCRIBE_REGIONS)
    status, code, _, _ = send(server, p)
    assert (status, code) == (200, None)


def test_request_expired_boto3(server):
    ec2 = server.client()
    with clock(datetime.timedelta(minutes=-20)):
        with pytest.raises(ClientError) as e:
            ec2.describe_regions()
    assert error_code(e) == "RequestExpired"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("auth", [
    "AWS4-HMAC-SHA256 Credential=%(key)s/%(date)s/us-east-1/ec2/aws4_request",
    "AWS4-HMAC-SHA256 Credential=%(key)s/%(date)s/us-east-1/ec2/aws4_request,"
    " SignedHeaders=host;x-amz-date",
    "AWS4-HMAC-SHA256 Credential=%(key)s/%(date)s/us-east-1/ec2/aws4_request,"
    " SignedHeaders=host;x-amz-date, Signature",
    "AWS4-HMAC-SHA256 Credential=%(key)s/us-east-1/ec2/aws4_request,"
    " SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA1 Credential=%(key)s/%(date)s/us-east-1/ec2/aws4_request,"
    " SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    "garbage",
])
def test_malformed_authorization(server, auth):
    p = sign(server, DESCRIBE_REGIONS)
    date = p.headers["X-Amz-Date"][:8]
    p.headers["Authorization"] = auth % {"key": server.key, "date": date}
    status, code, _, _ = send(server, p)
    assert (status, code) == (400, "IncompleteSignature")


def test_missing_date_header(server):
    p = sign(server, DESCRIBE_REGIONS)
    del p.headers["X-Amz-Date"]
    status, code, _, _ = send(server, p)
    assert (status, code) == (400, "IncompleteSignature")


def test_wrong_region_in_scope(server):
    status, code, msg, _ = call(server, DESCRIBE_REGIONS, region="eu-west-1")
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert "eu-west-1" in msg


def test_wrong_region_boto3(server):
    ec2 = boto3.client("ec2", endpoint_url=server.url,
                       region_name="eu-west-1",
                       aws_access_key_id=server.key,
                       aws_secret_access_key=server.secret,
                       config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        ec2.describe_regions()
    assert error_code(e) == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_service_in_scope(server):
    status, code, _, _ = call(server, DESCRIBE_REGIONS, service="s3")
    assert (status, code) == (403, "SignatureDoesNotMatch")


def test_body_altered_after_signing(server):
    p = sign(server, DESCRIBE_REGIONS)
    p.body = urllib.parse.urlencode({"Action": "DescribeAvailabilityZones",
                                     "Version": VERSION})
    p.headers["Content-Length"] = str(len(p.body))
    status, code, _, _ = send(server, p)
    assert (status, code) == (403, "SignatureDoesNotMatch")


def test_signed_header_altered(server):
    p = sign(server, DESCRIBE_REGIONS)
    p.headers["Content-Type"] = "application/x-www-form-urlencoded"
    status, code, _, _ = send(server, p)
    assert (status, code) == (403, "SignatureDoesNotMatch")


# Presigned URLs.

def presign(server, params, expires=300, secret=None):
    req = AWSRequest(method="GET", url=server.url + "/?" +
                     urllib.parse.urlencode(params))
    creds = Credentials(server.key, secret or server.secret)
    SigV4QueryAuth(creds, "ec2", REGION, expires=expires).add_auth(req)
    return req.prepare().url


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_presigned_get(server):
    url = presign(server, DESCRIBE_REGIONS)
    assert "X-Amz-Signature=" in url and "Authorization" not in url
    status, body = get(url)
    assert status == 200, body
    assert parse_reply(body) == (None, None)
    assert b"<regionName>us-east-1</regionName>" in body


def test_presigned_get_other_action(server):
    url = presign(server, {"Action": "DescribeAvailabilityZones",
                           "Version": VERSION})
    status, body = get(url)
    assert status == 200, body
    assert body.count(b"<zoneName>") == 3


@pytest.mark.parametrize("change", [
    ("Action=DescribeRegions", "Action=DescribeAvailabilityZones"),
    ("X-Amz-Expires=300", "X-Amz-Expires=600"),
    ("X-Amz-Signature=", "X-Amz-Signature=0"),
])
def test_presigned_get_altered(server, change):
    url = presign(server, DESCRIBE_REGIONS)
    assert change[0] in url
    bad = url.replace(change[0], change[1])
    if change[1].startswith("X-Amz-Signature"):
        # Same length, one digit changed.
        i = bad.index("X-Amz-Signature=") + len("X-Amz-Signature=")
        bad = bad[:i] + ("1" if url[i] == "0" else "0") + url[i + 1:]
    status, body = get(bad)
    assert status == 403, body
    assert parse_reply(body)[0] == "SignatureDoesNotMatch"


def test_presigned_get_extra_parameter(server):
    url = presign(server, DESCRIBE_REGIONS) + "&RegionName.1=us-east-1"
    status, body = get(url)
    assert status == 403, body
    assert parse_reply(body)[0] == "SignatureDoesNotMatch"


def test_presigned_get_wrong_secret(server):
    status, body = get(presign(server, DESCRIBE_REGIONS, secret="x" * 40))
    assert status == 403
    assert parse_reply(body)[0] == "SignatureDoesNotMatch"


def test_presigned_get_expired(server):
    with clock(datetime.timedelta(hours=-2)):
        url = presign(server, DESCRIBE_REGIONS, expires=3600)
    status, body = get(url)
    assert status == 400, body
    assert parse_reply(body)[0] == "RequestExpired"


def test_presigned_and_header_together(server):
    url = presign(server, DESCRIBE_REGIONS)
    p = sign(server, DESCRIBE_REGIONS)
    req = urllib.request.Request(url, headers={
        "Authorization": p.headers["Authorization"],
        "X-Amz-Date": p.headers["X-Amz-Date"]})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code in (400, 403)
    assert parse_reply(e.value.read())[0] in ("SignatureDoesNotMatch",
                                              "IncompleteSignature")


# Replays of requests real clients signed with AKIDEXAMPLE.

def fixture_requests():
    out = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.txt"))):
        with open(path, "rb") as f:
            data = f.read()
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            continue
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        out.append((os.path.basename(path), head + sep + rest[:length]))
    return out


REPLAYS = fixture_requests()


def test_fixtures_present():
    """The captures ship with the tests: none missing means none skipped."""
    names = [n for n, _ in REPLAYS]
    assert len(names) >= 50, FIXTURES
    assert "awscli2-describe-regions.txt" in names
    assert "boto3-1.26-create-tags-special-chars.txt" in names


@pytest.mark.parametrize("name", [n for n, _ in REPLAYS
                                  if "describe-regions" in n or
                                  "special-chars" in n])
def test_fixture_replay_rejected(server, name):
    request = dict(REPLAYS)[name]
    assert b"Credential=AKIDEXAMPLE/" in request
    status, body = raw_exchange(server, request)
    code, _ = parse_reply(body)
    assert (status, code) in [(400, "RequestExpired"), (401, "AuthFailure")]
    assert alive(server)


def test_every_fixture_replay_rejected(server):
    """No captured request, whatever its action, gets past authentication."""
    for name, request in REPLAYS:
        status, body = raw_exchange(server, request)
        assert (status, parse_reply(body)[0]) in [
            (400, "RequestExpired"), (401, "AuthFailure")], name


# Session tokens and HTTP methods.

def test_session_token_not_issued_here(server):
    """ec2d issues no temporary credentials yet, so a correctly signed
    request carrying a session token is refused, as AWS refuses a token
    it did not issue."""
    body = urllib.parse.urlencode(DESCRIBE_REGIONS)
    req = AWSRequest(method="POST", url=server.url + "/", data=body,
                     headers={"Content-Type": FORM})
    creds = Credentials(server.key, server.secret, "FwoGZXIvYXdzEXAMPLE")
    SigV4Auth(creds, "ec2", REGION).add_auth(req)
    status, code, msg, _ = send(server, req.prepare())
    assert (status, code) == (401, "AuthFailure"), msg
    assert "security token" in msg


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
def test_only_get_and_post(server, method):
    body = urllib.parse.urlencode(DESCRIBE_REGIONS)
    req = AWSRequest(method=method, url=server.url + "/", data=body,
                     headers={"Content-Type": FORM})
    SigV4Auth(Credentials(server.key, server.secret), "ec2",
              REGION).add_auth(req)
    status, code, _, _ = send(server, req.prepare())
    assert (status, code) == (400, "UnsupportedOperation")

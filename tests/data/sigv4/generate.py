#!/usr/bin/env python3
"""Regenerates the botocore-signed golden requests in this folder.

Each *.txt written here is one raw HTTP/1.1 request (CRLF line ends, body
after the blank line, Content-Length when there is a body), signed by the
installed botocore with the test credentials below at a fixed time, so
test_sigv4.c can check that sigv4_verify() accepts exactly what a real SDK
signs. Run it from anywhere: python3 tests/data/sigv4/generate.py
"""
import datetime
import hashlib
import os
import sys
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:8799"
NOW = datetime.datetime(2026, 11, 30, 10, 0, 0)
HERE = os.path.dirname(os.path.abspath(__file__))
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def write(name, method, url, headers, body=b""):
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = [f"{method} {target} HTTP/1.1"]
    if not any(k.lower() == "host" for k, _ in headers):
        lines.append(f"Host: {parts.netloc}")
    lines += [f"{k}: {v}" for k, v in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(raw)
    print(f"wrote {name}")


def presign_ec2(name, operation, params, expires):
    client = boto3.client(
        "ec2", region_name=REGION, endpoint_url=ENDPOINT,
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    url = client.generate_presigned_url(
        operation, Params=params, ExpiresIn=expires, HttpMethod="GET")
    write(name, "GET", url, [("Accept-Encoding", "identity")])


def sign(name, auth_class, method, url, headers, body=b"", **kwargs):
    creds = Credentials(KEY_ID, SECRET)
    req = AWSRequest(method=method, url=url, data=body)
    for k, v in headers:
        req.headers[k] = v          # HTTPHeaders keeps repeated names
    auth_class(creds, "ec2", REGION, **kwargs).add_auth(req)
    prepared = req.prepare()
    write(name, method, prepared.url, list(req.headers.items()), body)


def main():
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        presign_ec2("presign-describe-instances.txt", "describe_instances",
                    {"InstanceIds": ["i-1", "i-2"],
                     "Filters": [{"Name": "tag:Name",
                                  "Values": ["web server"]}]}, 300)
        presign_ec2("presign-create-tags-special.txt", "create_tags",
                    {"Resources": ["i-1"],
                     "Tags": [{"Key": "k sp", "Value": "a+b/c&d=e~f*g%h:j"},
                              {"Key": "\u00fc", "Value": "\u65e5\u672c"}]},
                    3600)
        presign_ec2("presign-max-expires.txt", "describe_regions", {},
                    604800)
        sign("presign-unsigned-payload.txt", SigV4QueryAuth, "GET",
             ENDPOINT + "/?Action=DescribeRegions&Version=2016-11-15",
             [("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")], expires=60)
        body = b"Action=DescribeRegions&Version=2016-11-15"
        sign("header-date-fallback.txt", SigV4Auth, "POST", ENDPOINT + "/",
             [("Content-Type", FORM), ("Date", "set by the signer")], body)
        sign("header-content-sha256.txt", SigV4Auth, "POST", ENDPOINT + "/",
             [("Content-Type", FORM),
              ("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())],
             body)
        sign("header-repeated-spaced.txt", SigV4Auth, "POST", ENDPOINT + "/",
             [("Content-Type", FORM), ("X-Ec2d-Multi", "  one   two  "),
              ("X-Ec2d-Multi", "three"), ("x-ec2d-MULTI", "four\t five")],
             body)
        sign("header-path-query.txt", SigV4Auth, "GET",
             ENDPOINT + "/a/./b/../c%20d//e/?z=%E6%97%A5&a=x%2Fy&a=b&empty=",
             [])
    print(f"botocore {botocore.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()

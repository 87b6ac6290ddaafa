"""Per-access-key rate limiting on a private server (1 request/s, burst 3)."""
import math
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, Server, error_code
from test_auth import VERSION, call

DESCRIBE = {"Action": "DescribeRegions", "Version": VERSION}


@pytest.fixture(scope="module")
def limited():
    s = Server("--rate-limit", "1", "--rate-burst", "3")
    yield s
    s.close()


def no_retry_client(server):
    """A client that never retries. (conftest's Server.client() passes
    retries max_attempts=1, which botocore reads as one *retry*.)"""
    return boto3.client("ec2", endpoint_url=server.url, region_name=REGION,
                        aws_access_key_id=server.key,
                        aws_secret_access_key=server.secret,
                        config=Config(retries={"total_max_attempts": 1,
                                               "mode": "standard"}))


def test_burst_then_request_limit_exceeded(limited):
    t0 = time.monotonic()
    results = [call(limited, {"Action": "DescribeRegions",
                              "Version": VERSION})[:2] for _ in range(12)]
    elapsed = time.monotonic() - t0
    ok = [r for r in results if r == (200, None)]
    limited_ = [r for r in results if r == (503, "RequestLimitExceeded")]
    assert len(ok) + len(limited_) == len(results), results
    # The burst passes, then the bucket is empty; at most one more request
    # per second elapsed (plus one for rounding) gets through.
    assert results[:3] == [(200, None)] * 3, results
    assert len(ok) <= 3 + math.ceil(elapsed) + 1, (results, elapsed)
    assert limited_, results


def test_boto3_without_retries_sees_the_code(limited):
    ec2 = no_retry_client(limited)
    seen = None
    for _ in range(10):
        try:
            ec2.describe_availability_zones()
        except ClientError as e:
            seen = e
            break
    assert seen is not None, "ten calls at once were never throttled"
    assert seen.response["Error"]["Code"] == "RequestLimitExceeded"
    assert seen.response["Error"]["Message"].startswith(
        "Request limit exceeded")
    assert seen.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert seen.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_bucket_refills(limited):
    """Drain the bucket, then wait (polling, bounded) for the refill."""
    for _ in range(10):
        if call(limited, {"Action": "DescribeRegions",
                          "Version": VERSION})[1] == "RequestLimitExceeded":
            break
    else:
        pytest.fail("never throttled")
    deadline = time.monotonic() + 5
    while True:
        status, code, _, _ = call(limited, {"Action": "DescribeRegions",
                                            "Version": VERSION})
        if status == 200:
            break
        assert (status, code) == (503, "RequestLimitExceeded")
        assert time.monotonic() < deadline, "the bucket never refilled"
        time.sleep(0.1)


def test_unauthenticated_requests_are_not_counted(limited):
    """A bad signature answers its own error even while throttled."""
    for _ in range(10):
        if call(limited, {"Action": "DescribeRegions",
                          "Version": VERSION})[1] == "RequestLimitExceeded":
            break
    else:
        pytest.fail("ten requests at once were never throttled")
    status, code, _, _ = call(limited, {"Action": "DescribeRegions",
                                        "Version": VERSION},
                              secret="x" * 40)
    assert (status, code) == (403, "SignatureDoesNotMatch")


def test_dry_run_counts_too(limited):
    ec2 = no_retry_client(limited)
    codes = []
    for _ in range(10):
        with pytest.raises(ClientError) as e:
            ec2.describe_regions(DryRun=True)
        codes.append(error_code(e))
    assert set(codes) <= {"DryRunOperation", "RequestLimitExceeded"}
    assert "RequestLimitExceeded" in codes



def test_throttling_is_logged_once_per_interval():
    """Forty refusals make at most two WARN lines, not forty: the first
    refusal is logged at once, the rest counted into the line of the next
    10 s interval or, at the latest, into one at shutdown. The counts add
    up to the refusals."""
    s = Server("--rate-limit", "1", "--rate-burst", "3")
    try:
        refused = 0
        t0 = time.monotonic()
        while refused < 40:
            if call(s, DESCRIBE)[1] == "RequestLimitExceeded":
                refused += 1
            assert time.monotonic() - t0 < 60, "never throttled"
        elapsed = time.monotonic() - t0
    finally:
        rc = s.stop()
        log = s.log()
        s.stop = lambda: rc         # close() stops it again
        s.close()
    lines = log.splitlines()
    warns = [l for l in lines if "level=warn" in l and (
        "RequestLimitExceeded" in l or "throttled" in l)]
    throttled = [l for l in warns if 'msg="requests throttled"' in l]
    assert len(warns) == len(throttled), warns[:5]
    assert 1 <= len(throttled) <= 2 + int(elapsed // 10), throttled
    counts = [int(l.split("count=")[1].split()[0]) for l in throttled]
    assert counts[0] == 1 and sum(counts) == refused, throttled
    # Every refusal is still in the request log, at info.
    assert sum("code=RequestLimitExceeded" in l for l in lines) == refused

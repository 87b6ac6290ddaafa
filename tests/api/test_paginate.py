"""NextToken is authenticated and bound to the request that issued it:
the same listing, with the same filters, in the same deployment. A forged,
tampered or rebound token is InvalidPaginationToken (EC2's code for a
pagination token it does not accept)."""
import base64

import pytest
from botocore.exceptions import ClientError

from conftest import error_code

C6I = [{"Name": "instance-type", "Values": ["c6i.*"]}]
R6I = [{"Name": "instance-type", "Values": ["r6i.*"]}]


def first_page(ec2, filters):
    r = ec2.describe_instance_types(MaxResults=5, Filters=filters)
    assert len(r["InstanceTypes"]) == 5 and "NextToken" in r
    return r


def refused(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert error_code(e) == "InvalidPaginationToken"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_token_continues_its_own_listing(ec2):
    r = first_page(ec2, C6I)
    seen = [t["InstanceType"] for t in r["InstanceTypes"]]
    while "NextToken" in r:
        r = ec2.describe_instance_types(MaxResults=5, Filters=C6I,
                                        NextToken=r["NextToken"])
        seen += [t["InstanceType"] for t in r["InstanceTypes"]]
    assert seen and all(s.startswith("c6i.") for s in seen)
    assert len(seen) == len(set(seen))


def test_token_with_other_filters_is_refused(ec2):
    token = first_page(ec2, C6I)["NextToken"]
    refused(ec2.describe_instance_types, MaxResults=5, Filters=R6I,
            NextToken=token)
    refused(ec2.describe_instance_types, MaxResults=5, NextToken=token)


def test_page_size_may_change(ec2):
    token = first_page(ec2, C6I)["NextToken"]
    r = ec2.describe_instance_types(MaxResults=6, Filters=C6I,
                                    NextToken=token)
    assert r["InstanceTypes"]


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_forged_and_tampered_tokens_are_refused(ec2):
    # The old format, plain base64url of "ec2d1:LISTING:KEY", is no token.
    refused(ec2.describe_instance_types, MaxResults=5, Filters=C6I,
            NextToken=b64url(b"ec2d1:DescribeInstanceTypes:c6i.large"))
    token = first_page(ec2, C6I)["NextToken"]
    raw = unb64url(token)
    # Another key behind the same MAC, and one bit of the MAC flipped.
    refused(ec2.describe_instance_types, MaxResults=5, Filters=C6I,
            NextToken=b64url(raw[:16] + b"c6i.xlarge"))
    refused(ec2.describe_instance_types, MaxResults=5, Filters=C6I,
            NextToken=b64url(bytes([raw[0] ^ 1]) + raw[1:]))


def test_token_of_another_deployment_is_refused(ec2, tmp_server):
    token = first_page(ec2, C6I)["NextToken"]
    refused(tmp_server.client().describe_instance_types, MaxResults=5,
            Filters=C6I, NextToken=token)


@pytest.fixture
def tmp_server():
    from conftest import Server
    s = Server("--rate-limit", "0")
    yield s
    s.close()

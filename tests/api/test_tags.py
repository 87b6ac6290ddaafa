"""Tags: CreateTags, DeleteTags, DescribeTags on key pairs."""
import concurrent.futures
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code
from test_auth import VERSION, call, send, sign


def status_of(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def tags_of(ec2, rid):
    r = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [rid]}])
    return {t["Key"]: t["Value"] for t in r["Tags"]}


@pytest.fixture
def kp(ec2):
    """A fresh key pair; yields its id."""
    r = ec2.create_key_pair(KeyName="tags-" + uuid.uuid4().hex[:10],
                            KeyType="ed25519")
    yield r["KeyPairId"]
    ec2.delete_key_pair(KeyPairId=r["KeyPairId"])


@pytest.fixture
def kp2(ec2):
    r = ec2.create_key_pair(KeyName="tags2-" + uuid.uuid4().hex[:10],
                            KeyType="ed25519")
    yield r["KeyPairId"]
    ec2.delete_key_pair(KeyPairId=r["KeyPairId"])


def test_create_and_describe(ec2, kp):
    r = ec2.create_tags(Resources=[kp], Tags=[{"Key": "Name", "Value": "x"},
                                              {"Key": "env", "Value": "dev"}])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = ec2.describe_tags(Filters=[{"Name": "resource-id",
                                      "Values": [kp]}])["Tags"]
    assert sorted(got, key=lambda t: t["Key"]) == [
        {"ResourceId": kp, "ResourceType": "key-pair", "Key": "Name",
         "Value": "x"},
        {"ResourceId": kp, "ResourceType": "key-pair", "Key": "env",
         "Value": "dev"}]
    kps = ec2.describe_key_pairs(KeyPairIds=[kp])["KeyPairs"]
    assert sorted(kps[0]["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "Name", "Value": "x"}, {"Key": "env", "Value": "dev"}]


def test_create_overwrites_value(ec2, kp):
    ec2.create_tags(Resources=[kp], Tags=[{"Key": "k", "Value": "1"}])
    ec2.create_tags(Resources=[kp], Tags=[{"Key": "k", "Value": "2"}])
    assert tags_of(ec2, kp) == {"k": "2"}


def test_create_on_two_resources(ec2, kp, kp2):
    ec2.create_tags(Resources=[kp, kp2], Tags=[{"Key": "both",
                                                "Value": "yes"}])
    assert tags_of(ec2, kp) == {"both": "yes"}
    assert tags_of(ec2, kp2) == {"both": "yes"}


def test_describe_tags_filters(ec2, kp, kp2):
    p = "f" + uuid.uuid4().hex[:8]
    ec2.create_tags(Resources=[kp], Tags=[
        {"Key": p + "-color", "Value": "red"},
        {"Key": p + "-size", "Value": "large"}])
    ec2.create_tags(Resources=[kp2], Tags=[
        {"Key": p + "-color", "Value": "blue"},
        {"Key": p + "-shape", "Value": "round"}])

    def rows(*filters):
        r = ec2.describe_tags(Filters=list(filters))["Tags"]
        return sorted((t["ResourceId"], t["Key"], t["Value"]) for t in r)

    mine = {"Name": "key", "Values": [p + "-*"]}
    assert len(rows(mine)) == 4
    assert rows({"Name": "key", "Values": [p + "-color"]}) == sorted([
        (kp, p + "-color", "red"), (kp2, p + "-color", "blue")])
    assert rows(mine, {"Name": "value", "Values": ["r*"]}) == sorted([
        (kp, p + "-color", "red"), (kp2, p + "-shape", "round")])
    assert rows(mine, {"Name": "value", "Values": ["bl?e", "larg?"]}) == \
        sorted([(kp2, p + "-color", "blue"), (kp, p + "-size", "large")])
    assert rows(mine, {"Name": "resource-id", "Values": [kp2]}) == sorted([
        (kp2, p + "-color", "blue"), (kp2, p + "-shape", "round")])
    assert rows(mine, {"Name": "resource-id",
                       "Values": [kp[:6] + "*"]})[0][0].startswith(kp[:6])
    assert len(rows(mine, {"Name": "resource-type",
                           "Values": ["key-pair"]})) == 4
    assert rows(mine, {"Name": "resource-type", "Values": ["instance"]}) \
        == []
    assert rows(mine, {"Name": "key", "Values": [p + "-s*"]},
                {"Name": "value", "Values": ["round"]}) == [
        (kp2, p + "-shape", "round")]
    assert rows({"Name": "tag:" + p + "-color", "Values": ["blue"]}) == [
        (kp2, p + "-color", "blue")]
    assert rows({"Name": "key", "Values": [p.upper() + "-*"]}) == []


def test_describe_tags_unknown_filter(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_tags(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400


SPECIAL = [
    ("k sp", "a b+c&d=e/f~g*h%i:j"),     # from the boto3/aws-cli captures
    ("\u00fc", "\u65e5\u672c"),
    ("empty", ""),
    ("<xml>&amp;", "</tagSet><value>\"it's\"</value>"),
    ("quote\"s", "'single' \"double\" `back`"),
    ("a=b", "c=d&e=f"),
    ("  lead and trail  ", "  spaces  "),
    ("emoji \U0001F600", "\U0001F680 \u00e9\u00e8 \u4e2d\u6587"),
    ("tab", "a\tb"),
    ("plus+percent%", "100%+1"),
]


def test_special_characters_round_trip(ec2, kp):
    ec2.create_tags(Resources=[kp],
                    Tags=[{"Key": k, "Value": v} for k, v in SPECIAL])
    assert tags_of(ec2, kp) == dict(SPECIAL)
    kps = ec2.describe_key_pairs(KeyPairIds=[kp])["KeyPairs"]
    assert {t["Key"]: t["Value"] for t in kps[0]["Tags"]} == dict(SPECIAL)
    # Filters match the exact strings too.
    for k, v in SPECIAL:
        if "*" in v or "?" in v or "\\" in v:
            continue
        r = ec2.describe_tags(Filters=[
            {"Name": "resource-id", "Values": [kp]},
            {"Name": "key", "Values": [k]}])["Tags"]
        assert [(t["Key"], t["Value"]) for t in r] == [(k, v)], k


def test_special_characters_cli(aws, ec2, kp):
    k, v = "cli \u00fc&<\"=", "\u65e5\u672c a+b%c/'d'"
    aws("create-tags", "--resources", kp, "--tags",
        json.dumps([{"Key": k, "Value": v}]))
    assert tags_of(ec2, kp) == {k: v}


def test_fifty_tags_then_limit(ec2, kp):
    ec2.create_tags(Resources=[kp], Tags=[{"Key": "k%02d" % i, "Value": "v"}
                                          for i in range(49)])
    before = tags_of(ec2, kp)
    # 51 tags would result: nothing of the call is applied, not even the
    # change to an existing tag's value.
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp], Tags=[
            {"Key": "k00", "Value": "changed"},
            {"Key": "new1", "Value": "x"}, {"Key": "new2", "Value": "y"}])
    assert error_code(e) == "TagLimitExceeded"
    assert status_of(e) == 400
    assert tags_of(ec2, kp) == before
    # The 50th is fine, and so is overwriting when full.
    ec2.create_tags(Resources=[kp], Tags=[{"Key": "new1", "Value": "x"}])
    ec2.create_tags(Resources=[kp], Tags=[{"Key": "k00", "Value": "w"}])
    assert len(tags_of(ec2, kp)) == 50
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp], Tags=[{"Key": "new2", "Value": "y"}])
    assert error_code(e) == "TagLimitExceeded"
    assert len(tags_of(ec2, kp)) == 50


def test_limit_on_one_resource_applies_to_none(ec2, kp, kp2):
    ec2.create_tags(Resources=[kp2], Tags=[{"Key": "f%02d" % i, "Value": "v"}
                                           for i in range(50)])
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp, kp2], Tags=[{"Key": "extra",
                                                    "Value": "1"}])
    assert error_code(e) == "TagLimitExceeded"
    assert tags_of(ec2, kp) == {}
    assert "extra" not in tags_of(ec2, kp2)


def test_single_call_over_fifty(ec2, kp):
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp], Tags=[{"Key": "k%d" % i, "Value": ""}
                                              for i in range(51)])
    assert error_code(e) == "TagLimitExceeded"
    assert tags_of(ec2, kp) == {}


@pytest.mark.parametrize("key", ["aws:x", "aws:cloudformation:stack-name"])
def test_aws_prefix_reserved(ec2, kp, key):
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp], Tags=[{"Key": "ok", "Value": "1"},
                                              {"Key": key, "Value": "v"}])
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400
    assert tags_of(ec2, kp) == {}


def test_key_and_value_lengths(ec2, kp):
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp], Tags=[{"Key": "k" * 129,
                                               "Value": "v"}])
    assert error_code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp], Tags=[{"Key": "k",
                                               "Value": "v" * 257}])
    assert error_code(e) == "InvalidParameterValue"
    assert tags_of(ec2, kp) == {}
    # The limits count characters, not bytes.
    long_key, long_value = "\u00e9" * 128, "\u65e5" * 256
    ec2.create_tags(Resources=[kp], Tags=[{"Key": long_key,
                                           "Value": long_value}])
    ec2.create_tags(Resources=[kp], Tags=[{"Key": "k" * 128,
                                           "Value": "v" * 256}])
    assert tags_of(ec2, kp) == {long_key: long_value, "k" * 128: "v" * 256}


def test_empty_key(ec2, kp):
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp], Tags=[{"Key": "", "Value": "v"}])
    assert error_code(e) == "InvalidParameterValue"


def test_unknown_resource(ec2, kp):
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=["key-0123456789abcdef0"],
                        Tags=[{"Key": "a", "Value": "b"}])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    assert status_of(e) == 400
    assert "key-0123456789abcdef0" in e.value.response["Error"]["Message"]
    # With a real one in the same call: nothing is tagged.
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp, "key-0123456789abcdef0"],
                        Tags=[{"Key": "a", "Value": "b"}])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    assert tags_of(ec2, kp) == {}


@pytest.mark.parametrize("rid,code", [
    ("i-0123456789abcdef0", "InvalidInstanceID.NotFound"),
    ("vol-01234567", "InvalidVolume.NotFound"),
])
def test_unknown_resource_of_other_types(ec2, rid, code):
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "b"}])
    assert error_code(e) == code


@pytest.mark.parametrize("rid", ["foo", "i-1", "key-XYZ", "1.2.3.4",
                                 "key-0123456789ABCDEF0", "key-",
                                 "key-0123456789abcdef0x"])
def test_malformed_resource_id(ec2, kp, rid):
    with pytest.raises(ClientError) as e:
        ec2.create_tags(Resources=[kp, rid], Tags=[{"Key": "a",
                                                    "Value": "b"}])
    assert error_code(e) == "InvalidID"
    assert status_of(e) == 400
    assert tags_of(ec2, kp) == {}
    with pytest.raises(ClientError) as e:
        ec2.delete_tags(Resources=[rid])
    assert error_code(e) == "InvalidID"


def test_create_tags_needs_tags(server, kp):
    status, code, _, _ = call(server, {"Action": "CreateTags",
                                       "Version": VERSION,
                                       "ResourceId.1": kp})
    assert (status, code) == (400, "MissingParameter")


def test_delete_tags(ec2, kp):
    ec2.create_tags(Resources=[kp], Tags=[
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"},
        {"Key": "c", "Value": ""}, {"Key": "d", "Value": "4"},
        {"Key": "e", "Value": "5"}])
    # With a value: deleted only if it matches.
    ec2.delete_tags(Resources=[kp], Tags=[{"Key": "a", "Value": "wrong"}])
    assert "a" in tags_of(ec2, kp)
    ec2.delete_tags(Resources=[kp], Tags=[{"Key": "a", "Value": "1"}])
    assert "a" not in tags_of(ec2, kp)
    # Without a value: deleted whatever the value.
    ec2.delete_tags(Resources=[kp], Tags=[{"Key": "b"}])
    assert "b" not in tags_of(ec2, kp)
    # An empty value matches only the empty value.
    ec2.delete_tags(Resources=[kp], Tags=[{"Key": "d", "Value": ""}])
    assert "d" in tags_of(ec2, kp)
    ec2.delete_tags(Resources=[kp], Tags=[{"Key": "c", "Value": ""}])
    assert tags_of(ec2, kp) == {"d": "4", "e": "5"}
    # A key that is not there is fine.
    r = ec2.delete_tags(Resources=[kp], Tags=[{"Key": "zzz"}])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    # No Tag at all: every tag goes.
    ec2.delete_tags(Resources=[kp])
    assert tags_of(ec2, kp) == {}


def test_delete_tags_on_two_resources(ec2, kp, kp2):
    ec2.create_tags(Resources=[kp, kp2], Tags=[{"Key": "x", "Value": "1"},
                                               {"Key": "y", "Value": "2"}])
    ec2.delete_tags(Resources=[kp, kp2], Tags=[{"Key": "x"}])
    assert tags_of(ec2, kp) == tags_of(ec2, kp2) == {"y": "2"}


def test_delete_tags_unknown_resource(ec2):
    with pytest.raises(ClientError) as e:
        ec2.delete_tags(Resources=["key-0123456789abcdef0"])
    assert error_code(e) == "InvalidKeyPair.NotFound"


# Pagination.

@pytest.fixture
def many_tags(ec2):
    """23 tags over 3 key pairs; yields (prefix, ids, expected rows)."""
    p = "pg" + uuid.uuid4().hex[:8]
    ids = [ec2.create_key_pair(KeyName="%s-%d" % (p, i),
                               KeyType="ed25519")["KeyPairId"]
           for i in range(3)]
    rows = set()
    for n in range(23):
        rid = ids[n % 3]
        ec2.create_tags(Resources=[rid], Tags=[{"Key": "%s-%02d" % (p, n),
                                                "Value": str(n)}])
        rows.add((rid, "%s-%02d" % (p, n), str(n)))
    yield p, ids, rows
    for rid in ids:
        ec2.delete_key_pair(KeyPairId=rid)


def test_paginator(ec2, many_tags):
    p, _, want = many_tags
    pages = list(ec2.get_paginator("describe_tags").paginate(
        Filters=[{"Name": "key", "Values": [p + "-*"]}],
        PaginationConfig={"PageSize": 5}))
    sizes = [len(pg["Tags"]) for pg in pages]
    assert sizes == [5, 5, 5, 5, 3]
    assert all("NextToken" in pg for pg in pages[:-1])
    assert "NextToken" not in pages[-1] or not pages[-1]["NextToken"]
    seen = [(t["ResourceId"], t["Key"], t["Value"])
            for pg in pages for t in pg["Tags"]]
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == want


def test_pagination_by_hand(ec2, many_tags):
    p, _, want = many_tags
    seen, token, calls = [], None, 0
    while True:
        kw = {"NextToken": token} if token else {}
        r = ec2.describe_tags(MaxResults=6, Filters=[
            {"Name": "key", "Values": [p + "-*"]}], **kw)
        calls += 1
        assert len(r["Tags"]) <= 6
        seen += [(t["ResourceId"], t["Key"], t["Value"]) for t in r["Tags"]]
        token = r.get("NextToken")
        if not token:
            break
        assert calls < 10
    assert calls == 4
    assert len(seen) == 23 and set(seen) == want


def test_pagination_exact_multiple(ec2, many_tags):
    """20 matching rows in pages of 5: each seen once (a last, empty page
    is allowed, as EC2 sometimes sends one)."""
    p, _, _ = many_tags
    pages = list(ec2.get_paginator("describe_tags").paginate(
        Filters=[{"Name": "key", "Values": ["%s-0*" % p, "%s-1*" % p]}],
        PaginationConfig={"PageSize": 5}))
    seen = [t["Key"] for pg in pages for t in pg["Tags"]]
    assert len(seen) == len(set(seen)) == 20
    assert len(pages) in (4, 5)


def test_no_max_results_returns_all(ec2, many_tags):
    p, _, want = many_tags
    r = ec2.describe_tags(Filters=[{"Name": "key", "Values": [p + "-*"]}])
    assert len(r["Tags"]) == 23
    assert "NextToken" not in r


def test_cli_paginates(aws, ec2, many_tags):
    p, ids, want = many_tags
    k, v = "\u00fc <&>\"'=", "\u65e5\u672c a+b%c"
    ec2.create_tags(Resources=[ids[0]], Tags=[{"Key": p + "-" + k,
                                               "Value": v}])
    want = want | {(ids[0], p + "-" + k, v)}
    _, data, _ = aws("describe-tags", "--page-size", "5", "--filters",
                     "Name=key,Values=%s-*" % p)
    seen = [(t["ResourceId"], t["Key"], t["Value"]) for t in data["Tags"]]
    assert len(seen) == 24 and set(seen) == want


@pytest.mark.parametrize("token", ["garbage", "!!!!", "ZWMyZDE6eA==",
                                   "x" * 500])
def test_bad_next_token(ec2, token):
    with pytest.raises(ClientError) as e:
        ec2.describe_tags(NextToken=token)
    assert error_code(e) == "InvalidPaginationToken"
    assert status_of(e) == 400


@pytest.mark.parametrize("n", [4, 0, -1, 1001])
def test_max_results_out_of_range(server, n):
    nv = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as e:
        nv.describe_tags(MaxResults=n)
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400


@pytest.mark.parametrize("n", [5, 1000])
def test_max_results_bounds_accepted(ec2, n):
    r = ec2.describe_tags(MaxResults=n)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(r["Tags"]) <= n


def test_control_characters_and_bad_utf8(server, ec2, kp):
    ok = "line1\r\nline2\ttab"
    ec2.create_tags(Resources=[kp], Tags=[{"Key": "crlf", "Value": ok}])
    assert tags_of(ec2, kp) == {"crlf": ok}
    for raw in ("%01", "%00", "%FF", "%C3", "%ED%A0%80", "%C0%80"):
        for field in ("Key", "Value"):
            other = "Value" if field == "Key" else "Key"
            body = ("Action=CreateTags&Version=%s&ResourceId.1=%s"
                    "&Tag.1.%s=a%sb&Tag.1.%s=x" %
                    (VERSION, kp, field, raw, other))
            status, code, _, _ = send(server, sign(server, None, body=body))
            assert (status, code) == (400, "InvalidParameterValue"), \
                (raw, field)
    assert tags_of(ec2, kp) == {"crlf": ok}


def test_concurrent_create_tags_respect_the_limit(server, kp):
    """Ten racing calls of six new tags each on one key pair: the result
    never passes 50, and every call is all or nothing."""
    def add(n):
        try:
            server.client().create_tags(Resources=[kp], Tags=[
                {"Key": "c%d-%d" % (n, i), "Value": "v"} for i in range(6)])
            return n
        except ClientError as e:
            return e.response["Error"]["Code"]
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(add, range(10)))
    won = [r for r in results if isinstance(r, int)]
    assert set(results) - set(won) <= {"TagLimitExceeded"}, results
    assert len(won) == 8, results
    got = tags_of(server.client(), kp)
    assert sorted(got) == sorted("c%d-%d" % (n, i) for n in won
                                 for i in range(6))


def test_next_token_of_another_action(ec2):
    """Tokens are opaque and belong to the call that made them: a
    DescribeInstanceTypes token is no DescribeTags token."""
    token = ec2.describe_instance_types(MaxResults=5)["NextToken"]
    with pytest.raises(ClientError) as e:
        ec2.describe_tags(NextToken=token)
    assert error_code(e) == "InvalidPaginationToken"
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_type_offerings(NextToken=token)
    assert error_code(e) == "InvalidPaginationToken"

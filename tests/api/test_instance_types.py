"""DescribeInstanceTypes and DescribeInstanceTypeOfferings."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_code

# vCPUs and MiB of memory, as AWS publishes them.
FIGURES = {
    "t3.nano": (2, 512), "t3.micro": (2, 1024), "t3.small": (2, 2048),
    "t3.medium": (2, 4096), "t3.large": (2, 8192), "t3.xlarge": (4, 16384),
    "t3.2xlarge": (8, 32768),
    "c6i.large": (2, 4096), "c6i.xlarge": (4, 8192),
    "c6i.2xlarge": (8, 16384), "c6i.4xlarge": (16, 32768),
    "c6i.8xlarge": (32, 65536), "c6i.12xlarge": (48, 98304),
    "c6i.16xlarge": (64, 131072), "c6i.24xlarge": (96, 196608),
    "c6i.32xlarge": (128, 262144), "c6i.metal": (128, 262144),
    "r6i.large": (2, 16384), "r6i.xlarge": (4, 32768),
    "r6i.2xlarge": (8, 65536), "r6i.4xlarge": (16, 131072),
    "r6i.8xlarge": (32, 262144), "r6i.12xlarge": (48, 393216),
    "r6i.16xlarge": (64, 524288), "r6i.24xlarge": (96, 786432),
    "r6i.32xlarge": (128, 1048576), "r6i.metal": (128, 1048576),
    "p4d.24xlarge": (96, 1179648),
}
# The "d" variants: the same figures, plus local NVMe disks.
FIGURES.update({n.replace("6i.", "6id."): v for n, v in FIGURES.items()
                if n.startswith(("c6i.", "r6i."))})
N_TYPES = 48
ZONES = {"us-east-1a": "use1-az1", "us-east-1b": "use1-az2",
         "us-east-1c": "use1-az3"}


def status_of(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def all_types(server):
    r = server.client().describe_instance_types()
    assert "NextToken" not in r
    return {t["InstanceType"]: t for t in r["InstanceTypes"]}


def names(ec2, **kw):
    out = []
    for page in ec2.get_paginator("describe_instance_types").paginate(**kw):
        out += [t["InstanceType"] for t in page["InstanceTypes"]]
    return sorted(out)


def test_all_types(all_types):
    assert len(all_types) == len(FIGURES) == N_TYPES
    assert {n.split(".")[0] for n in all_types} == {
        "t3", "c6i", "c6id", "r6i", "r6id", "p4d"}
    assert sorted(all_types) == sorted(FIGURES)


def test_vcpus_and_memory(all_types):
    got = {n: (t["VCpuInfo"]["DefaultVCpus"], t["MemoryInfo"]["SizeInMiB"])
           for n, t in all_types.items()}
    assert got == FIGURES


def test_t3_micro(ec2):
    r = ec2.describe_instance_types(InstanceTypes=["t3.micro"])
    (t,) = r["InstanceTypes"]
    assert t["InstanceType"] == "t3.micro"
    assert t["VCpuInfo"]["DefaultVCpus"] == 2
    assert t["MemoryInfo"]["SizeInMiB"] == 1024
    assert t["BurstablePerformanceSupported"] is True
    assert t["FreeTierEligible"] is True
    assert t["InstanceStorageSupported"] is False
    assert "InstanceStorageInfo" not in t
    assert "GpuInfo" not in t
    assert t["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64"]
    assert t["CurrentGeneration"] is True
    assert t["Hypervisor"] == "nitro"


def test_p4d_24xlarge(ec2):
    (t,) = ec2.describe_instance_types(
        InstanceTypes=["p4d.24xlarge"])["InstanceTypes"]
    assert t["VCpuInfo"]["DefaultVCpus"] == 96
    assert t["MemoryInfo"]["SizeInMiB"] == 1179648
    assert t["BurstablePerformanceSupported"] is False
    assert t["FreeTierEligible"] is False
    (gpu,) = t["GpuInfo"]["Gpus"]
    assert (gpu["Name"], gpu["Manufacturer"], gpu["Count"]) == \
        ("A100", "NVIDIA", 8)
    assert gpu["MemoryInfo"]["SizeInMiB"] == 40960
    assert t["GpuInfo"]["TotalGpuMemoryInMiB"] == 8 * 40960
    assert t["InstanceStorageSupported"] is True
    storage = t["InstanceStorageInfo"]
    assert storage["TotalSizeInGB"] == 8000
    assert [(d["Count"], d["SizeInGB"], d["Type"])
            for d in storage["Disks"]] == [(8, 1000, "ssd")]


@pytest.mark.parametrize("name,disks", [
    ("c6id.large", (1, 118)), ("c6id.12xlarge", (2, 1425)),
    ("r6id.metal", (4, 1900)), ("r6id.xlarge", (1, 237))])
def test_instance_store_types(all_types, name, disks):
    """The d types carry NVMe instance store, always encrypted; they lose
    auto recovery."""
    t = all_types[name]
    assert t["InstanceStorageSupported"] is True
    st = t["InstanceStorageInfo"]
    assert [(d["Count"], d["SizeInGB"], d["Type"]) for d in st["Disks"]] == \
        [disks + ("ssd",)]
    assert st["TotalSizeInGB"] == disks[0] * disks[1]
    assert (st["NvmeSupport"], st["EncryptionSupport"]) == \
        ("required", "required")
    assert t["AutoRecoverySupported"] is False
    plain = all_types[name.replace("6id.", "6i.")]
    assert plain["InstanceStorageSupported"] is False
    assert plain["AutoRecoverySupported"] is True
    assert t["CurrentGeneration"] is True


def test_two_types_at_once(ec2):
    r = ec2.describe_instance_types(InstanceTypes=["r6i.large", "t3.nano",
                                                   "r6i.large"])
    assert sorted(t["InstanceType"] for t in r["InstanceTypes"]) == \
        ["r6i.large", "t3.nano"]


def test_burstable_only_t3(all_types):
    for n, t in all_types.items():
        assert t["BurstablePerformanceSupported"] is n.startswith("t3."), n
        if not n.startswith("t3."):
            assert t["FreeTierEligible"] is False, n


def test_free_tier_filter(ec2):
    got = names(ec2, Filters=[{"Name": "free-tier-eligible",
                               "Values": ["true"]}])
    assert "t3.micro" in got
    assert all(n.startswith("t3.") for n in got), got


@pytest.mark.parametrize("bad", ["t3.mega", "t9.micro", "T3.MICRO", "",
                                 "t3.*"])
def test_unknown_type(ec2, bad):
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(InstanceTypes=["t3.micro", bad])
    assert error_code(e) in ("InvalidInstanceType",)
    assert status_of(e) == 400


@pytest.mark.parametrize("filters,want", [
    ([("vcpu-info.default-vcpus", ["2"])],
     ["c6i.large", "c6id.large", "r6i.large", "r6id.large", "t3.large",
      "t3.medium", "t3.micro", "t3.nano", "t3.small"]),
    ([("vcpu-info.default-vcpus", ["96", "128"])],
     ["c6i.24xlarge", "c6i.32xlarge", "c6i.metal", "c6id.24xlarge",
      "c6id.32xlarge", "c6id.metal", "p4d.24xlarge", "r6i.24xlarge",
      "r6i.32xlarge", "r6i.metal", "r6id.24xlarge", "r6id.32xlarge",
      "r6id.metal"]),
    ([("memory-info.size-in-mib", ["1024"])], ["t3.micro"]),
    ([("memory-info.size-in-mib", ["1048576", "1179648"])],
     ["p4d.24xlarge", "r6i.32xlarge", "r6i.metal", "r6id.32xlarge",
      "r6id.metal"]),
    ([("instance-storage-supported", ["true"]),
      ("instance-type", ["r6id.*", "p4d.*"])],
     ["p4d.24xlarge", "r6id.12xlarge", "r6id.16xlarge", "r6id.24xlarge",
      "r6id.2xlarge", "r6id.32xlarge", "r6id.4xlarge", "r6id.8xlarge",
      "r6id.large", "r6id.metal", "r6id.xlarge"]),
    ([("instance-storage-supported", ["true"]),
      ("vcpu-info.default-vcpus", ["2"])], ["c6id.large", "r6id.large"]),
    ([("instance-storage-info.total-size-in-gb", ["118", "8000"])],
     ["c6id.large", "p4d.24xlarge", "r6id.large"]),
    ([("burstable-performance-supported", ["true"])],
     ["t3.2xlarge", "t3.large", "t3.medium", "t3.micro", "t3.nano",
      "t3.small", "t3.xlarge"]),
    ([("burstable-performance-supported", ["true"]),
      ("vcpu-info.default-vcpus", ["4", "8"])], ["t3.2xlarge", "t3.xlarge"]),
    ([("instance-type", ["c6i.*"])],
     ["c6i.12xlarge", "c6i.16xlarge", "c6i.24xlarge", "c6i.2xlarge",
      "c6i.32xlarge", "c6i.4xlarge", "c6i.8xlarge", "c6i.large",
      "c6i.metal", "c6i.xlarge"]),
    ([("instance-type", ["*.metal"])],
     ["c6i.metal", "c6id.metal", "r6i.metal", "r6id.metal"]),
    # '?' is zero or one character (EC2 User Guide).
    ([("instance-type", ["t3.??????"])],
     ["t3.large", "t3.medium", "t3.micro", "t3.nano", "t3.small",
      "t3.xlarge"]),
    ([("instance-type", ["t3.?"])], []),
    ([("instance-type", ["c6i.*"]), ("memory-info.size-in-mib", ["4096"])],
     ["c6i.large"]),
    ([("instance-type", ["m5.*"])], []),
    ([("bare-metal", ["true"])],
     ["c6i.metal", "c6id.metal", "r6i.metal", "r6id.metal"]),
])
def test_filters(ec2, filters, want):
    got = names(ec2, Filters=[{"Name": n, "Values": v} for n, v in filters])
    assert got == sorted(want)


def test_unknown_filter(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(Filters=[{"Name": "vcpus",
                                              "Values": ["2"]}])
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400


def test_paginator(ec2):
    pages = list(ec2.get_paginator("describe_instance_types").paginate(
        PaginationConfig={"PageSize": 5}))
    sizes = [len(p["InstanceTypes"]) for p in pages]
    assert sizes == [5] * 9 + [3]
    seen = [t["InstanceType"] for p in pages for t in p["InstanceTypes"]]
    assert len(seen) == len(set(seen)) == N_TYPES
    assert set(seen) == set(FIGURES)
    assert "NextToken" not in pages[-1]


def test_pagination_with_filter(ec2):
    pages = list(ec2.get_paginator("describe_instance_types").paginate(
        Filters=[{"Name": "instance-type", "Values": ["r6i.*", "t3.*"]}],
        PaginationConfig={"PageSize": 5}))
    seen = [t["InstanceType"] for p in pages for t in p["InstanceTypes"]]
    assert len(seen) == len(set(seen)) == 17
    assert all(len(p["InstanceTypes"]) <= 5 for p in pages)


@pytest.mark.parametrize("n", [4, 101])
def test_max_results_range(server, n):
    nv = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as e:
        nv.describe_instance_types(MaxResults=n)
    assert error_code(e) == "InvalidParameterValue"


def test_bad_next_token(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(NextToken="not-a-token")
    assert error_code(e) == "InvalidPaginationToken"
    assert status_of(e) == 400


def test_cli_filters(aws):
    """aws-cli paginates by itself (pages of 5 here)."""
    _, data, _ = aws("describe-instance-types", "--page-size", "5",
                     "--filters",
                     "Name=burstable-performance-supported,Values=false",
                     "Name=instance-type,Values=c6i.*,r6i.*,t3.*",
                     "--query", "InstanceTypes[].InstanceType")
    assert len(data) == len(set(data)) == 20
    assert all(n.startswith(("c6i.", "r6i.")) for n in data)


# DescribeInstanceTypeOfferings.

def offerings(ec2, **kw):
    out = []
    pages = ec2.get_paginator("describe_instance_type_offerings")
    for page in pages.paginate(**kw):
        out += [(o["InstanceType"], o["LocationType"], o["Location"])
                for o in page["InstanceTypeOfferings"]]
    return out


def test_offerings_default_is_region(ec2):
    got = offerings(ec2)
    assert len(got) == len(set(got)) == N_TYPES
    assert {(lt, loc) for _, lt, loc in got} == {("region", "us-east-1")}
    assert {t for t, _, _ in got} == set(FIGURES)


def test_offerings_region_location_filter(ec2):
    got = offerings(ec2, LocationType="region", Filters=[
        {"Name": "location", "Values": ["us-east-1"]}])
    assert len(got) == N_TYPES
    assert offerings(ec2, LocationType="region", Filters=[
        {"Name": "location", "Values": ["eu-west-1"]}]) == []


def test_offerings_by_zone(ec2):
    got = offerings(ec2, LocationType="availability-zone")
    assert len(got) == len(set(got)) == N_TYPES * 3
    assert {loc for _, _, loc in got} == set(ZONES)
    assert {lt for _, lt, _ in got} == {"availability-zone"}
    one = offerings(ec2, LocationType="availability-zone", Filters=[
        {"Name": "location", "Values": ["us-east-1b"]}])
    assert sorted(t for t, _, _ in one) == sorted(FIGURES)
    assert {loc for _, _, loc in one} == {"us-east-1b"}


def test_offerings_by_zone_id(ec2):
    got = offerings(ec2, LocationType="availability-zone-id")
    assert {loc for _, _, loc in got} == set(ZONES.values())
    assert len(got) == N_TYPES * 3
    one = offerings(ec2, LocationType="availability-zone-id", Filters=[
        {"Name": "location", "Values": ["use1-az3"]},
        {"Name": "instance-type", "Values": ["t3.*", "p4d.24xlarge"]}])
    assert sorted(t for t, _, _ in one) == sorted(
        [n for n in FIGURES if n.startswith("t3.")] + ["p4d.24xlarge"])
    assert {(lt, loc) for _, lt, loc in one} == {
        ("availability-zone-id", "use1-az3")}
    # A zone name is not a zone id.
    assert offerings(ec2, LocationType="availability-zone-id", Filters=[
        {"Name": "location", "Values": ["us-east-1a"]}]) == []


def test_offerings_location_wildcard(ec2):
    got = offerings(ec2, LocationType="availability-zone", Filters=[
        {"Name": "location", "Values": ["us-east-1[ab]", "*c"]},
        {"Name": "instance-type", "Values": ["t3.micro"]}])
    assert got == [("t3.micro", "availability-zone", "us-east-1c")]


def test_offerings_pagination(ec2):
    pages = list(ec2.get_paginator("describe_instance_type_offerings")
                 .paginate(LocationType="availability-zone",
                           PaginationConfig={"PageSize": 7}))
    seen = [(o["InstanceType"], o["Location"]) for p in pages
            for o in p["InstanceTypeOfferings"]]
    assert all(len(p["InstanceTypeOfferings"]) <= 7 for p in pages)
    assert len(seen) == len(set(seen)) == N_TYPES * 3
    assert len(pages) == -(-N_TYPES * 3 // 7)


def test_offerings_bad_location_type(server):
    nv = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as e:
        nv.describe_instance_type_offerings(LocationType="continent")
    assert error_code(e) == "InvalidParameterValue"


def test_offerings_unknown_filter(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_type_offerings(Filters=[
            {"Name": "zone", "Values": ["us-east-1a"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_offerings_max_results(server):
    nv = server.client(parameter_validation=False)
    for n in (4, 1001):
        with pytest.raises(ClientError) as e:
            nv.describe_instance_type_offerings(MaxResults=n)
        assert error_code(e) == "InvalidParameterValue"

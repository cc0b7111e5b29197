"""ICS version ranges: what is interpreted, what stays "cannot interpret" (never "not affected")."""

from __future__ import annotations

import pytest

from provenance.vulnerabilities.csaf_versions import (
    RangeCheck,
    check_version,
    parse_range,
    parse_version,
)


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("V7.4", "V7.4 SP1"),
        ("V7.4 SP1", "V7.4 SP1 Update 2"),
        ("V7.4 SP1 Update 2", "V7.4.1"),
        ("V14 SP1 Upd 3", "V14 SP2"),
        ("V3.9", "V3.10"),
        ("4.00.02", "4.1"),
        ("V2.0 HF1", "V2.0 Update 1"),
    ],
)
def test_version_order(lower: str, higher: str) -> None:
    low, high = parse_version(lower), parse_version(higher)
    assert low is not None
    assert high is not None
    assert low.compare(high) == -1
    assert high.compare(low) == 1


def test_missing_numbers_are_zero() -> None:
    a, b, c = parse_version("V3"), parse_version("3.0"), parse_version("V3.00")
    assert a is not None
    assert b is not None
    assert c is not None
    assert a.compare(b) == 0
    assert b.compare(c) == 0


@pytest.mark.parametrize(
    "text", ["A17", "SP1 P01", "V3.X.17", "02.07.07(10)", "1.0-beta", "Update 2 SP1", ""]
)
def test_not_versions(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(
    ("written", "inside", "outside"),
    [
        ("vers:all/<V5.5.2", ["V5.5.1", "5.4", "V5.5.1 SP3"], ["V5.5.2", "5.6"]),
        ("< V4.1.3", ["V4.1.2"], ["V4.1.3"]),
        ("All versions < V7.4 SP1", ["V7.4", "V7.3 SP2"], ["V7.4 SP1", "V7.4 SP1 Update 1"]),
        ("All Versions < V6.4", ["V6.3"], ["V6.4"]),
        ("<= 4.00.02", ["4.0.2", "3.9"], ["4.0.3"]),
        (">= 1.0 | <= 1.32", ["1.0", "1.32"], ["0.9", "1.33"]),
        ("> V3.0 < V4.0", ["V3.5"], ["V3.0", "V4.0"]),
        (">= V2.3 and < V6.30.016", ["V2.3", "V6.30.015"], ["V2.2", "V6.30.016"]),
        ("vers:all/>=2.3<V3.0", ["2.3", "2.9"], ["3.0"]),
        ("2.3.6 and  below", ["2.3.6"], ["2.3.7"]),
        ("prior to V2.0", ["V1.9"], ["V2.0"]),
        ("V2.0 and later", ["V2.0", "V3"], ["V1.9"]),
        ("vers:all/*", ["V1", "anything"], []),
        ("All versions", ["V1"], []),
    ],
)
def test_ranges(written: str, inside: list[str], outside: list[str]) -> None:
    for version in inside:
        assert check_version(version, version=None, version_range=written).outcome == "in"
    for version in outside:
        assert check_version(version, version=None, version_range=written).outcome == "out"


@pytest.mark.parametrize(
    "written",
    [
        "< A17",
        "< SP1 P01",
        "<=the_first_5_digits_of_serial_number_22081",
        "NMC2 <= 6.9.6 | NMC3 <= 1.4.0",  # two firmware lines in one range
        "< V3.X.17",
        "vers:npm/<4.0.0",  # a real vers scheme with its own ordering: not ours to guess
        "x" * 300,
    ],
)
def test_uninterpretable_ranges_are_unknown_with_the_text(written: str) -> None:
    assert parse_range(written) is None
    check = check_version("V1.0", version=None, version_range=written)
    assert check == RangeCheck("unknown", f"cannot interpret version range {written!r}", written)


def test_component_version_that_cannot_be_compared() -> None:
    check = check_version("build 77", version=None, version_range="< V4")
    assert check == RangeCheck(
        "unknown", "cannot compare component version 'build 77' with '< V4'", "build 77"
    )
    assert check_version(None, version=None, version_range="< V4") == RangeCheck(
        "unknown", "component has no version to compare with '< V4'"
    )


def test_product_version_is_exact_or_a_range() -> None:
    assert check_version("4.1.0", version="V4.1", version_range=None).outcome == "in"
    assert check_version("4.2", version="V4.1", version_range=None) == RangeCheck(
        "out", "version 4.2 outside 'V4.1'"
    )
    # CSAF 6.1.31: ranges written into product_version are read as ranges.
    assert check_version("2.3.5", version="2.3.6 and below", version_range=None).outcome == "in"
    assert check_version("9", version="vers:all/*", version_range=None).outcome == "in"
    assert check_version(None, version=None, version_range=None).outcome == "in"
    assert check_version(None, version=None, version_range=None) == RangeCheck(
        "in", "every version (the product names none)"
    )

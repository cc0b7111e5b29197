"""Product-prefixed ICS versions (issue 19): a firmware line's name before its version, as
CISA's advisories write it (`< CPC80 V16.30`, `All versions < ROS V5.0.1`, `<= HiOS 07.0.02`,
`NMC2 <= 6.9.6`), compared when the prefixes match and "unknown" (possible) when they do not.

Real data: ICSA-22-195-14 (Siemens CPC80 firmware of SICAM A8000, CVE-2022-29884, CVSS 7.5,
products named with their Siemens order numbers) and ICSA-20-091-01 (Hirschmann HiOS, CVSS
9.8), from ../shared/vulndata."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.evidence.json_input import load_json
from provenance.vulnerabilities.csaf_matching import ComponentQuery, match_component
from provenance.vulnerabilities.csaf_products import CsafAdvisory, parse_csaf
from provenance.vulnerabilities.csaf_versions import check_version, parse_range, parse_version
from tests.conftest import vulndata


def _advisory(name: str) -> CsafAdvisory:
    path: Path = vulndata("csaf/cisa-ot") / name
    return parse_csaf(load_json(path.read_bytes()), path.name)


@pytest.mark.parametrize(
    ("written", "inside", "outside", "other_lines"),
    [
        ("All versions < CPCI85 V05.20", ["CPCI85 V05.10", "cpci85 v5.1"], ["CPCI85 V05.20"],
         ["V05.10", "CPC80 V05.10"]),
        ("< CPC80 V16.30", ["CPC80 V16.20", "CPC80 V16.20 SP1"], ["CPC80 V16.30"], ["16.20"]),
        ("All versions < ROS V5.0.1", ["ROS V5.0.0"], ["ROS V5.0.1"], ["V5.0.0"]),
        ("<= HiOS 07.0.02", ["HiOS 07.0.02", "HiOS 06.2"], ["HiOS 07.0.03"], ["07.0.01"]),
        ("NMC2 <= 6.9.6", ["NMC2 6.9.6", "NMC2 v6.8"], ["NMC2 6.10"], ["NMC3 1.0"]),
        (">= CPC80 V16.00 | < CPC80 V16.30", ["CPC80 V16.10"], ["CPC80 V15.99"], ["V16.10"]),
    ],
)  # fmt: skip
def test_prefixed_ranges(
    written: str, inside: list[str], outside: list[str], other_lines: list[str]
) -> None:
    for version in inside:
        assert check_version(version, version=None, version_range=written).outcome == "in"
    for version in outside:
        assert check_version(version, version=None, version_range=written).outcome == "out"
    for version in other_lines:
        check = check_version(version, version=None, version_range=written)
        assert check.outcome == "unknown", version
        assert check.reason.startswith(f"cannot compare component version {version!r} with ")
        assert check.unparsed == version


def test_the_reason_names_both_prefixes() -> None:
    check = check_version("CPC80 V05.10", version=None, version_range="< CPCI85 V05.20")
    assert check.reason == (
        "cannot compare component version 'CPC80 V05.10' with '< CPCI85 V05.20': version prefix "
        "'cpc80' against version prefix 'cpci85'"
    )
    unprefixed = check_version("CPC80 V3", version=None, version_range="< V4")
    assert unprefixed.reason.endswith("version prefix 'cpc80' against no version prefix")


@pytest.mark.parametrize(
    "text",
    [
        "< august 28",  # "manufactured prior to August 28": a date
        "<= January 2019",
        "NMC2 <= 6.9.6 | NMC3 <= 1.4.0",
        "< CPC80 V16.30 | < ROS V5",
    ],
)
def test_not_firmware_lines(text: str) -> None:
    assert parse_range(text) is None


def test_a_prefix_is_not_a_version_word() -> None:
    assert parse_version("SP 1") is None
    assert parse_version("Update 2") is None
    version = parse_version("WinCC 7.2 Upd 15")
    assert version is not None
    assert (version.prefix, version.release, version.qualifiers) == ("wincc", (7, 2), (0, 15, 0, 0))
    with pytest.raises(ValueError, match="different version prefixes"):
        version.compare(parse_version("7.2") or version)


def test_sicam_a8000_cpc80_by_order_number_is_affected_below_the_fix() -> None:
    advisory = _advisory("2022/icsa-22-195-14.json")
    module = ComponentQuery(
        name="CP-8021 MASTER MODULE", version="CPC80 V16.20", model_numbers=("6MF2802-1AA00",)
    )
    (finding,) = match_component(module, [advisory])
    assert (finding.advisory, finding.cve) == ("ICSA-22-195-14", "CVE-2022-29884")
    assert (finding.match, finding.verdict) == ("model-number", "affected")
    assert finding.reason.endswith("version CPC80 V16.20 within '< CPC80 V16.30'")
    fixed = ComponentQuery(name="m", version="CPC80 V16.30", model_numbers=("6MF2802-1AA00",))
    (after,) = match_component(fixed, [advisory])
    assert after.verdict == "not-affected"
    # The version without its firmware line cannot be told in or out: possible, with the text.
    bare = ComponentQuery(name="m", version="V16.20", model_numbers=("6MF2802-1AA00",))
    (unknown,) = match_component(bare, [advisory])
    assert unknown.verdict == "possible"
    assert "no version prefix against version prefix 'cpc80'" in unknown.reason


def test_hirschmann_hios_critical_advisory_reads_the_prefixed_range() -> None:
    advisory = _advisory("2020/icsa-20-091-01.json")
    name = "RSP RSPE RSPS RSPL MSP EES EES EESX GRS OS RED"
    switch = ComponentQuery(name=name, version="HiOS 07.0.01", supplier="Hirschmann")
    findings = match_component(switch, [advisory])
    assert findings
    # Matched by product name only: a possible finding, whose version check now holds.
    assert all(f.verdict == "possible" for f in findings)
    assert any("version HiOS 07.0.01 within '<= HiOS 07.0.02'" in f.reason for f in findings)
    newer = ComponentQuery(name=name, version="HiOS 08.0", supplier="Hirschmann")
    assert not [f for f in match_component(newer, [advisory]) if f.verdict == "possible"]

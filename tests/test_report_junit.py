"""--format junit: one testcase per artifact x requirement, failures with the reason."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from provenance.report.render import render
from tests.report_support import acme_mixed, hostile_delivery, northwind_mixed, refused_archive


def _parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    return ET.fromstring(text.encode())


def test_one_testcase_per_artifact_and_requirement() -> None:
    result = acme_mixed()
    root = _parse(render("junit", result, color=False))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    for artifact in result["artifacts"]:
        suite = suites[artifact["artifact"]["name"]]
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [f["rule"] for f in artifact["findings"]]
        failed = [c.get("name") for c in cases if c.find("failure") is not None]
        assert failed == [f["rule"] for f in artifact["findings"] if not f["passed"]]
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(len(failed))
    total = sum(len(a["findings"]) for a in result["artifacts"]) + 6  # + unrecognised files
    assert root.get("tests") == str(total)
    # 3.9.0 fails five requirements, the HMI installer three (it is judged as hmi-setup 2.0)
    assert root.get("failures") == str(5 + 3)


def test_failure_message_is_the_reason_and_names_the_file() -> None:
    root = _parse(render("junit", acme_mixed(), color=False))
    case = next(
        c
        for c in root.iter("testcase")
        if c.get("classname") == "level1-controllers.plc-firmware-3.9.0.bin"
        and c.get("name") == "version"
    )
    failure = case.find("failure")
    assert failure is not None
    assert (
        failure.get("message")
        == "expected a version matching >=4.0,<5, got 3.9.0 (signed-identity)"
    )
    assert failure.get("type") == "version"
    assert failure.text == (
        "plc-firmware-3.9.0.bin: version: expected a version matching >=4.0,<5, got 3.9.0 "
        "(signed-identity)"
    )


def test_suite_properties_carry_decision_digest_and_strength() -> None:
    root = _parse(render("junit", northwind_mixed(), color=False))
    suite = next(
        s for s in root.iter("testsuite") if s.get("name") == "io-module-firmware-2.4.0.bin"
    )
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["decision"] == "deny"
    assert properties["evidence_strength"] == "signed-checksum-list"
    assert (
        properties["sha256"] == "5cc4697a530bb3b78cb9800938a4ffba4b86f3947c18d9d7189d4792e036b322"
    )


def test_unrecognised_files_are_skipped_cases_and_a_refusal_is_a_failure() -> None:
    root = _parse(render("junit", acme_mixed(), color=False))
    delivery = next(s for s in root.iter("testsuite") if s.get("name") == "delivery acme-delivery")
    skipped = [(c.get("name"), c.find("skipped")) for c in delivery.findall("testcase")]
    assert [name for name, _ in skipped][-1] == "trusted_root.json"
    assert all(element is not None for _, element in skipped)
    refused = _parse(render("junit", refused_archive(), color=False))
    failure = refused.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("type") == "delivery-refused"
    assert failure.text == (
        "acme-delivery.zip: refused: entry '../../etc/cron.d/x' escapes the extraction folder"
    )


def test_hostile_names_still_make_valid_xml(tmp_path: Path) -> None:
    text = render("junit", hostile_delivery(tmp_path), color=False)
    assert "\x1b" not in text  # not allowed in XML 1.0, even escaped
    root = _parse(text)
    names = [s.get("name") for s in root.iter("testsuite")]
    assert '<img src=x onerror=alert(1)>"&\\x1b[31mplc-firmware-4.2.1.bin' in names

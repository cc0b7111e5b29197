"""The CycloneDX specification's own test files: every valid-* accepted, every invalid-*
refused (JSON and XML; textproto skipped), for the reason the corpus' expected.json gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import EvidenceError
from provenance.evidence.sbom import read_sbom
from tests.conftest import corpus


def _cases() -> dict[str, dict[str, Any]]:
    folder = corpus("cyclonedx-specification")
    cases: dict[str, dict[str, Any]] = json.loads((folder / "expected.json").read_text())
    return cases


def _verdict(path: Path) -> tuple[str, str]:
    try:
        read_sbom(path)
    except EvidenceError as exc:
        return "fail", str(exc)
    return "pass", ""


def test_every_decidable_case_as_expected() -> None:
    folder = corpus("cyclonedx-specification")
    cases = _cases()
    counted = {"pass": 0, "fail": 0, "unspecified": 0, "textproto skipped": 0}
    wrong = []
    for name, case in cases.items():
        if case["format"] == "textproto":
            counted["textproto skipped"] += 1
            continue
        got, message = _verdict(folder / name)
        counted[case["expect"]] += 1
        if case["expect"] == "unspecified":
            # skip_invalid-*: upstream does not run them; both name a required field missing.
            assert got == "fail", name
            assert "is a required property" in message
            continue
        if got != case["expect"]:
            wrong.append(f"{name}: expected {case['expect']}, got {got} {message}")
    assert wrong == []
    # 960 files: 765 JSON/XML decided here (2 skip_invalid-* refused), 195 textproto.
    assert counted == {"pass": 460, "fail": 303, "unspecified": 2, "textproto skipped": 195}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1.6/invalid-metadata-timestamp-1.6.json", "at /metadata/timestamp"),
        ("1.7/invalid-component-ref-1.7.xml", "not valid CycloneDX 1.7: line"),
        ("ext/invalid-depgraph-1.0.xml", "expected every dependency to name its ref"),
        ("1.5/invalid-empty-component-1.5.json", "not valid CycloneDX 1.5"),
    ],
)
def test_reasons_name_the_problem(name: str, reason: str) -> None:
    folder = corpus("cyclonedx-specification") / "tools/src/test/resources"
    got, message = _verdict(folder / name)
    assert got == "fail"
    assert reason in message


def test_format_checking_is_on() -> None:
    # The corpus README: without format checking invalid-metadata-timestamp-* would pass.
    cases = _cases()
    timestamps = [n for n in cases if "invalid-metadata-timestamp" in n and n.endswith(".json")]
    assert timestamps
    folder = corpus("cyclonedx-specification")
    for name in timestamps:
        got, message = _verdict(folder / name)
        assert got == "fail", name
        assert "date-time" in message

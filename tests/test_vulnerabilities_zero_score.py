"""CVSS 0.0 under `max_severity: none` (issue 19): the schema says the default denies every
known vulnerability, and a record scored 0.0 (band "none") is one. Through the rule and
through `provenance verify` on the fixture HMI installer (asyncua 0.9.95 in its signed SBOM)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from fixtures.generate import INSTALLER
from provenance.commands.vulndb import vulndb_import
from tests.adversarial_support import fixture_delivery
from tests.conftest import CliRunner
from tests.test_vulnerabilities_gate import decide, rule
from tests.test_vulnerabilities_rule import FINDING, judge

ZERO = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"  # base score 0.0


def test_a_zero_score_is_denied_by_the_default_and_tolerated_above_it() -> None:
    zero = replace(FINDING, severity="none", score=0.0)
    denied = judge({}, zero)
    assert not denied.passed
    assert denied.reason == (
        "expected no known vulnerability left unaddressed, got 1: GO-2024-0001 (CVE-2024-0001) "
        "[none 0.0] in pkg:golang/example.com/mod@v1.2.3 (scored 0.0, and max_severity none "
        "denies every known vulnerability)"
    )
    assert not judge({"max_severity": "none"}, zero).passed
    assert judge({"max_severity": "low"}, zero).passed
    # An ignore entry, a person's decision, still sets it aside.
    ignored = {"ignore": [{"id": "CVE-2024-0001", "reason": "CHG-1", "expires": "2027-01-01"}]}
    assert judge(ignored, zero).passed


def _zero_record() -> dict[str, object]:
    return {
        "id": "PYSEC-2099-1",
        "modified": "2026-01-01T00:00:00Z",
        "published": "2026-01-01T00:00:00Z",
        "aliases": ["CVE-2099-0001"],
        "severity": [{"type": "CVSS_V3", "score": ZERO}],
        "affected": [
            {
                "package": {"name": "asyncua", "ecosystem": "PyPI", "purl": "pkg:pypi/asyncua"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            }
        ],
    }


@pytest.mark.parametrize(("max_severity", "code"), [("none", 1), ("low", 0)])
def test_verify_denies_a_zero_score_under_max_severity_none(
    cli: CliRunner, tmp_path: Path, max_severity: str, code: int
) -> None:
    delivery = fixture_delivery(tmp_path)
    for vex in delivery.glob(f"{INSTALLER}*vex*"):
        vex.unlink()
    record = tmp_path / "PYSEC-2099-1.json"
    record.write_text(json.dumps(_zero_record()))
    state = tmp_path / "state"
    assert vulndb_import([record], state_dir=state).ok
    policy = delivery / "policy.yaml"
    document = yaml.safe_load(policy.read_text())
    segment = document["segments"]["engineering-workstations"]["require"]
    segment["vulnerabilities"] = {"max_severity": max_severity}
    policy.write_text(yaml.safe_dump(document))
    exit_code, report = decide(cli, delivery, state)
    assert exit_code == code, report["reason"]
    finding = rule(report)
    if code:
        assert (
            "PYSEC-2099-1 (CVE-2099-0001) [none 0.0] in pkg:pypi/asyncua@0.9.95"
            in (finding["reason"])
        )
        assert "max_severity none denies every known vulnerability" in finding["reason"]
    else:
        assert "1 within max_severity low" in finding["reason"]

"""The `vulnerabilities` rule over synthetic lookups, and its policy checks."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance.decision.context import DecisionContext, NoHistory
from provenance.decision.requirements.vulnerabilities import VulnerabilitiesRequirement
from provenance.evidence.sbom.model import DocumentMetadata, Sbom
from provenance.facts import SbomFacts, VulnerabilityFacts, VulnerabilityFinding
from provenance.policy import Product
from provenance.policy.requirements import read_requirements
from provenance.policy.requirements.vulnerabilities import VulnerabilitiesSpec
from tests.conftest import CliRunner

NOW = datetime(2026, 11, 29, tzinfo=UTC)
# The product's vendor signed this SBOM about the artifact (the only SBOM the rule reads).
SBOM = SbomFacts(
    Sbom("CycloneDX", "1.6", "json", None, DocumentMetadata(), ()),
    "signed-attestation",
    "s",
    signed_by="acme",
    describes_artifact=True,
)
PRODUCT = Product("mod", "pkg:generic/acme/mod", "acme")
FINDING = VulnerabilityFinding(
    vulnerability_id="GO-2024-0001",
    aliases=("CVE-2024-0001",),
    component="pkg:golang/example.com/mod@v1.2.3",
    purl="pkg:golang/example.com/mod@v1.2.3",
    bom_ref=None,
    source="osv",
    record="GO-2024-0001",
    match="range",
    certain=True,
    severity="medium",
    score=5.3,
    known_exploited=False,
    detail="introduced 0, fixed v1.3.0",
)


def judge(spec: dict[str, Any], *findings: VulnerabilityFinding, **facts: Any) -> Any:
    lookup = VulnerabilityFacts(
        database="db", newest_data=datetime(2026, 11, 1, tzinfo=UTC), findings=findings, checked=1
    )
    context = DecisionContext(
        artifact_sha256="00" * 32, artifact_name="a", segment="s", signatures=(), approvals=(),
        product=PRODUCT, version=None, identification_problem=None, now=NOW,
        history=NoHistory(), sbom_facts=facts.pop("sbom", SBOM),
        vulnerability_facts=replace(lookup, **facts),
    )  # fmt: skip
    parsed = read_requirements({"vulnerabilities": spec}).find(VulnerabilitiesSpec)
    assert parsed is not None
    return VulnerabilitiesRequirement(parsed).evaluate(context)


def test_severity_bar_and_unscored() -> None:
    assert judge({"max_severity": "medium"}, FINDING).passed
    denied = judge({"max_severity": "low"}, FINDING)
    assert not denied.passed
    assert denied.reason == (
        "expected no known vulnerability above low, got 1: GO-2024-0001 (CVE-2024-0001) "
        "[medium 5.3] in pkg:golang/example.com/mod@v1.2.3 (above max_severity low)"
    )
    unscored = replace(FINDING, severity=None, score=None)
    assert "(no CVSS score (unscored: deny))" in judge({"max_severity": "high"}, unscored).reason
    assert judge({"max_severity": "high", "unscored": "allow"}, unscored).passed


def test_possible_advisory_matches_warn_or_deny() -> None:
    possible = replace(FINDING, source="csaf", match="product-name", certain=False,
                       vulnerability_id="CVE-2024-0002", record="ICSA-24-001-01")  # fmt: skip
    warned = judge({}, possible)
    assert warned.passed
    assert "1 possible (warning): CVE-2024-0002" in warned.reason
    assert not judge({"possible": "deny"}, possible).passed


def test_nothing_checked_fails() -> None:
    assert judge({}, problem="vulnerability database x: does not exist").reason == (
        "vulnerability database x: does not exist"
    )
    empty = judge({"max_db_age_days": 30}, newest_data=None)
    assert empty.reason.startswith("expected vulnerability data at most 30 days old, got an empty")


def test_policy_lint_warns_and_refuses(cli: CliRunner, tmp_path: Path) -> None:
    policy = tmp_path / "site.yaml"
    policy.write_text(
        "version: 1\nvendors:\n  v:\n    signers: [{key: k.pub}]\nsegments:\n"
        "  base:\n    require:\n      vulnerabilities: {max_db_age_days: 30, max_severity: low}\n"
        "  child:\n    extends: base\n    require:\n      vulnerabilities:\n"
        "        max_severity: high\n"
        '        ignore: [{id: CVE-1, reason: r, expires: "2027-02-30"}]\n'
    )
    (tmp_path / "k.pub").write_text("")
    result = cli("policy", "lint", policy)
    assert result.code == 1
    out = result.stdout
    assert "segments.child.require.vulnerabilities.ignore[0].expires: expected a date " in out
    assert "no max_db_age_days: vulnerability data of any age passes" in out
    assert "segments.child.require.vulnerabilities.max_severity" in out
    assert "expected low or lower, got high" in out


@pytest.mark.parametrize(
    ("spec", "problem"),
    [({"max_severity": "severe"}, "max_severity"), ({"ignore": [{"id": "x"}]}, "ignore")],
)
def test_policy_schema_refuses_bad_entries(
    cli: CliRunner, tmp_path: Path, spec: dict[str, Any], problem: str
) -> None:
    policy = tmp_path / "site.yaml"
    policy.write_text(
        "version: 1\nvendors:\n  v:\n    signers: [{key: k.pub}]\nsegments:\n"
        f"  base:\n    require:\n      vulnerabilities: {json.dumps(spec)}\n"
    )
    (tmp_path / "k.pub").write_text("")
    result = cli("policy", "lint", policy)
    assert result.code == 1
    assert problem in result.stdout


def test_only_an_sbom_the_products_vendor_signed_for_this_file_is_looked_up() -> None:
    for sbom, detail in (
        (replace(SBOM, binding=None, signed_by=None), "none"),
        (replace(SBOM, signed_by="integrator"), "none (signed by integrator, not by the "
         "product's vendor acme)"),
        (replace(SBOM, describes_artifact=False), "none (signed by acme about several files; it "
         "describes another)"),
    ):  # fmt: skip
        finding = judge({"max_severity": "medium"}, sbom=sbom)
        assert not finding.passed
        assert finding.reason == (
            f"expected to look up an SBOM the product's vendor signed for this file, got binding "
            f"{detail}"
        )

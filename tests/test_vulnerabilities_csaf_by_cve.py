"""CSAF advisories tied to a component by CVE (`scan` step 4): a CVE an OSV record about the
component names, or one a VEX statement claiming exposure names for it."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provenance.evidence.sbom import parse_sbom
from provenance.evidence.sbom.vex import parse_vex
from provenance.facts import VulnerabilityFinding
from provenance.vulnerabilities.database import open_database
from provenance.vulnerabilities.importer import import_paths
from provenance.vulnerabilities.scan import scan
from provenance.vulnerabilities.vex_filter import apply_vex
from tests.conftest import vulndata
from tests.vulndb_helpers import csaf, write_csaf

NOW = datetime(2026, 11, 29, tzinfo=UTC)
OPENSSL_CVE = "CVE-2021-3449"  # RUSTSEC-2021-0055 (openssl-src < 111.15.0); CISA ICS advisories


def _bom(*components: dict[str, Any], vulnerabilities: list[Any] | None = None) -> bytes:
    document: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": list(components),
    }
    if vulnerabilities is not None:
        document["vulnerabilities"] = vulnerabilities
    return json.dumps(document).encode()


def _openssl_state(tmp_path: Path) -> Path:
    """The real RustSec record and one of the real CISA advisories naming its CVE."""
    record = vulndata("osv/rustsec") / "crates/RUSTSEC-2021-0055.json"
    advisory = vulndata("csaf/cisa-ot") / "2021/icsa-21-336-06.json"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for path in (record, advisory, advisory.with_name(advisory.name + ".sha512")):
        shutil.copy(path, inputs / path.name)
    state = tmp_path / "state"
    result = import_paths([inputs], state_dir=state, now=NOW)
    assert not result.refused, result.refused
    return state


def _findings(state: Path, bom: bytes, with_vex: bool = False) -> tuple[VulnerabilityFinding, ...]:
    sbom = parse_sbom(bom, "bom.json")
    statements = parse_vex(bom, "bom.json").statements if with_vex else ()
    with open_database(state, now=NOW) as db:
        return scan(db, sbom, statements, sbom_source="bom.json").findings


def test_the_cve_of_an_osv_match_finds_the_ics_advisories_about_it(tmp_path: Path) -> None:
    state = _openssl_state(tmp_path)
    component = {"type": "library", "name": "openssl-src", "version": "111.14.0+1.1.1j",
                 "purl": "pkg:cargo/openssl-src@111.14.0%2B1.1.1j"}  # fmt: skip
    osv, advisory = _findings(state, _bom(component))
    assert (osv.source, osv.vulnerability_id, osv.match) == ("osv", "RUSTSEC-2021-0055", "range")
    assert (advisory.source, advisory.vulnerability_id, advisory.record) == (
        "csaf",
        OPENSSL_CVE,
        "ICSA-21-336-06",
    )
    assert (advisory.match, advisory.certain, advisory.purl) == ("cve", True, component["purl"])
    assert "RUSTSEC-2021-0055" in advisory.aliases
    assert advisory.detail == (
        f"component names {OPENSSL_CVE} (as OSV RUSTSEC-2021-0055 about it does)"
    )
    assert advisory.severity is not None  # CISA scored it


def test_a_fixed_version_meets_neither(tmp_path: Path) -> None:
    state = _openssl_state(tmp_path)
    fixed = {"type": "library", "name": "openssl-src", "version": "111.15.0+1.1.1k",
             "purl": "pkg:cargo/openssl-src@111.15.0%2B1.1.1k"}  # fmt: skip
    assert _findings(state, _bom(fixed)) == ()


def test_a_vex_naming_the_osv_id_sets_both_findings_aside(tmp_path: Path) -> None:
    state = _openssl_state(tmp_path)
    purl = "pkg:cargo/openssl-src@111.14.0%2B1.1.1j"
    findings = _findings(state, _bom({"type": "library", "name": "openssl-src", "purl": purl}))
    assert len(findings) == 2
    vex = parse_vex(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "@id": "https://example.org/vex/1",
                "author": "vendor",
                "timestamp": "2026-11-01T00:00:00Z",
                "version": 1,
                "statements": [
                    {
                        "vulnerability": {"name": "RUSTSEC-2021-0055"},
                        "products": [{"@id": purl}],
                        "status": "not_affected",
                        "justification": "vulnerable_code_not_in_execute_path",
                    }
                ],
            }
        ).encode(),
        "vex.json",
    )
    outcome = apply_vex(findings, vex.statements, {}, min_binding=None, about_artifact=["vex.json"])
    assert outcome.kept == ()
    assert [s.finding.source for s in outcome.suppressed] == ["osv", "csaf"]


def test_a_claim_of_exposure_in_the_sbom_finds_the_advisory_about_its_cve(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    advisory = write_csaf(
        tmp_path / "in/icsa-26-001-01.json", csaf("ICSA-26-001-01", "CVE-2026-1111")
    )
    assert not import_paths([advisory], state_dir=state, now=NOW).refused
    component = {"type": "library", "name": "fieldbus", "version": "2.1", "bom-ref": "fb",
                 "purl": "pkg:pypi/fieldbus@2.1"}  # fmt: skip

    def claim(state_name: str) -> list[Any]:
        analysis: dict[str, Any] = {"state": state_name}
        if state_name == "not_affected":
            analysis["justification"] = "code_not_reachable"
        return [{"id": "CVE-2026-1111", "analysis": analysis, "affects": [{"ref": "fb"}]}]

    # No OSV record names the package: without the claim nothing ties it to the advisory.
    assert _findings(state, _bom(component), with_vex=True) == ()
    for exposed in ("exploitable", "in_triage"):
        (found,) = _findings(state, _bom(component, vulnerabilities=claim(exposed)), with_vex=True)
        assert (found.source, found.vulnerability_id, found.record, found.match) == (
            "csaf",
            "CVE-2026-1111",
            "ICSA-26-001-01",
            "cve",
        )
        assert found.detail == "component names CVE-2026-1111"
    assert _findings(state, _bom(component, vulnerabilities=claim("not_affected")), True) == ()

"""VEX: CycloneDX VEX and OpenVEX statements, refusals, and the suppression filter."""

from __future__ import annotations

import json
from typing import Any

import pytest

from provenance.errors import EvidenceError
from provenance.evidence.sbom.vex import parse_vex, suppressing_statement

OPENVEX: dict[str, Any] = {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://acme.example/vex/plc-4.2.1",
    "author": "ACME PSIRT",
    "timestamp": "2026-03-01T10:00:00Z",
    "version": 1,
    "statements": [
        {
            "vulnerability": {"name": "CVE-2026-0001", "aliases": ["GHSA-xxxx-yyyy-zzzz"]},
            "products": [
                {
                    "@id": "pkg:generic/acme/plc-firmware@4.2.1",
                    "subcomponents": [{"@id": "pkg:generic/zlib@1.3"}],
                }
            ],
            "subcomponents": [{"@id": "pkg:generic/zlib@1.3"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
        },
        {
            "vulnerability": {"name": "CVE-2026-0002"},
            "products": [{"@id": "pkg:npm/lib@1.0.0"}],
            "status": "not_affected",
            "impact_statement": "trust us",
        },
        {
            "vulnerability": {"name": "CVE-2026-0003"},
            "products": ["pkg:npm/lib"],
            "status": "fixed",
        },
        {
            "vulnerability": {"name": "CVE-2026-0003"},
            "products": ["pkg:npm/lib@2.0.0"],
            "status": "affected",
        },
    ],
}


def test_openvex_statements_and_refusals() -> None:
    document = parse_vex(json.dumps(OPENVEX).encode(), "plc.vex.json")
    assert [s.vulnerability for s in document.statements] == [
        "CVE-2026-0001", "CVE-2026-0003", "CVE-2026-0003",
    ]  # fmt: skip
    assert document.problems == (
        "statements[1]: CVE-2026-0002 not_affected without a justification: refused",
    )
    first = document.statements[0]
    assert first.where == "plc.vex.json statements[0]"
    assert first.justification == "vulnerable_code_not_in_execute_path"


def test_suppression_filter() -> None:
    statements = parse_vex(json.dumps(OPENVEX).encode(), "plc.vex.json").statements
    found = suppressing_statement(statements, "cve-2026-0001", "pkg:generic/zlib@1.3?arch=arm")
    assert found is statements[0]
    # by alias; another version of the subcomponent is not covered
    assert suppressing_statement(statements, "GHSA-xxxx-yyyy-zzzz", "pkg:generic/zlib@1.3")
    assert suppressing_statement(statements, "CVE-2026-0001", "pkg:generic/zlib@1.2") is None
    # the refused not_affected statement suppresses nothing
    assert suppressing_statement(statements, "CVE-2026-0002", "pkg:npm/lib@1.0.0") is None
    # a versionless product covers every version, but an "affected" statement wins (fail closed)
    assert suppressing_statement(statements, "CVE-2026-0003", "pkg:npm/lib@1.5.0") is statements[1]
    assert suppressing_statement(statements, "CVE-2026-0003", "pkg:npm/lib@2.0.0") is None


def cyclonedx_vex(state: str, justification: str | None) -> dict[str, Any]:
    analysis: dict[str, Any] = {"state": state}
    if justification:
        analysis["justification"] = justification
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {
                "type": "library",
                "bom-ref": "lib",
                "name": "lib",
                "version": "1.0.0",
                "purl": "pkg:npm/lib@1.0.0",
            }
        ],
        "vulnerabilities": [
            {"id": "CVE-2026-0009", "affects": [{"ref": "lib"}], "analysis": analysis}
        ],
    }


def test_cyclonedx_vex() -> None:
    document = parse_vex(
        json.dumps(cyclonedx_vex("not_affected", "code_not_reachable")).encode(), "v"
    )
    (statement,) = document.statements
    assert (statement.products, statement.status) == (("pkg:npm/lib@1.0.0",), "not_affected")
    assert suppressing_statement(document.statements, "CVE-2026-0009", "pkg:npm/lib@1.0.0")
    refused = parse_vex(json.dumps(cyclonedx_vex("not_affected", None)).encode(), "v")
    assert refused.statements == ()
    assert refused.problems == (
        "vulnerabilities[0]: CVE-2026-0009 not_affected without a justification: refused",
    )
    exploitable = parse_vex(json.dumps(cyclonedx_vex("exploitable", None)).encode(), "v")
    assert exploitable.statements[0].status == "affected"
    assert (
        suppressing_statement(exploitable.statements, "CVE-2026-0009", "pkg:npm/lib@1.0.0") is None
    )


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            b'{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [], "statements": []}',
            "duplicate key",
        ),
        (b'{"hello": 1}', "expected a CycloneDX VEX (bomFormat) or OpenVEX document"),
        (
            b'{"@context": "https://openvex.dev/ns/v0.2.0", "statements": {}}',
            "expected a list of statements",
        ),
        (json.dumps({**cyclonedx_vex("bogus", None)}).encode(), "not valid CycloneDX 1.6"),
    ],
)
def test_malformed_vex(document: bytes, problem: str) -> None:
    with pytest.raises(EvidenceError) as raised:
        parse_vex(document, "v.json")
    assert problem in str(raised.value)

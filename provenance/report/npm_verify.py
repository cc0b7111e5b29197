"""`provenance verify --npm-package`: the verdict line, the checks for people, and a versioned
JSON document (`provenance/report/schemas/npm-verify-result.v1.schema.json`)."""

from __future__ import annotations

import json
from typing import Any

from provenance import __version__
from provenance.report.lines import one_line, verdict
from provenance.report.verify_json import signature_to_dict
from provenance.verification.npm import NpmResult

__all__ = ["SCHEMA", "render_json", "render_text", "result_to_dict", "verdict_line"]

SCHEMA = "urn:ot-provenance:schema:npm-verify-result:v1"


def verdict_line(result: NpmResult) -> str:
    if result.verified:
        return verdict("OK", result.artifact.name)
    return verdict("FAIL", result.artifact.name, result.reason)


def render_text(result: NpmResult) -> str:
    lines = [
        f"artifact  {result.artifact.name}",
        f"sha512    {result.sha512}",
        f"package   {result.package} ({result.package.purl})",
        f"bundle    {result.source}",
    ]
    if result.problem is not None:
        lines.append(f"  FAIL {one_line(result.problem)}")
    for attestation in result.attestations:
        lines.append(f"attestation {attestation.predicate_type}:")
        fact = attestation.signature
        if fact is not None:
            who = f"{fact.identity} ({fact.issuer})" if fact.identity else fact.matched_rule
            lines.append(f"  signer  {who}")
            lines.append(f"  signed  {fact.time_text()}")
        for run in attestation.runs:
            if len(attestation.runs) > 1 and run.trust_root:
                lines.append(f"  trust root {run.trust_root}:")
            for check in run.checks:
                mark = "ok  " if check.passed else "FAIL"
                lines.append(f"    {mark} {check.name:<16} {one_line(check.detail)}")
    return "\n".join(lines) + "\n"


def result_to_dict(result: NpmResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "schema_version": 1,
        "tool": {"name": "provenance", "version": __version__},
        "decision": "verified" if result.verified else "failed",
        "reason": result.reason or None,
        "artifact": {
            "name": result.artifact.name,
            "sha256": result.artifact.sha256.hex(),
            "sha512": result.sha512,
        },
        "package": {
            "name": result.package.name,
            "version": result.package.version,
            "purl": result.package.purl,
        },
        "attestations_file": result.source,
        "attestations": [
            {
                "predicate_type": attestation.predicate_type,
                "passed": attestation.passed,
                "signature": (
                    signature_to_dict(attestation.signature) if attestation.signature else None
                ),
                "attempts": [
                    {
                        "trust_root": run.trust_root or None,
                        "passed": run.fact is not None,
                        "checks": [
                            {"name": c.name, "passed": c.passed, "detail": c.detail}
                            for c in run.checks
                        ],
                    }
                    for run in attestation.runs
                ],
            }
            for attestation in result.attestations
        ],
    }


def render_json(result: NpmResult) -> str:
    return json.dumps(result_to_dict(result), indent=2) + "\n"

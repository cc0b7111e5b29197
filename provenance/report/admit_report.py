"""`provenance admit` output: the verdict line, a text report, and versioned JSON.

The JSON schema is published at `provenance/report/schemas/admit-result.v1.schema.json`.
"""

from __future__ import annotations

import json
from typing import Any

from provenance import __version__
from provenance.commands.admit import AdmitResult
from provenance.decision.rules import Finding

__all__ = ["SCHEMA_VERSION", "admit_to_dict", "render_json", "render_text", "verdict_line"]

SCHEMA_VERSION = 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


def verdict_line(result: AdmitResult) -> str:
    if result.allowed:
        return f"OK: {result.artifact_name}: admitted to {result.segment}"
    return (
        f"FAIL: {result.artifact_name}: denied for {result.segment}: "
        f"{_one_line(result.decision.reason)}"
    )


def render_text(result: AdmitResult) -> str:
    examination = result.examination
    identification = examination.identification
    lines = [
        f"artifact  {result.artifact_name}",
        f"sha256    {result.sha256}",
        f"segment   {result.segment}",
        f"policy    {result.policy.path} (sha256 {result.policy.sha256[:16]}...)",
    ]
    if identification.product or identification.version:
        version = identification.version
        lines.append(
            f"product   {identification.product or '?'} "
            + (f"{version.value} ({version.source})" if version else "(no version)")
        )
    for fact in examination.assessment.signatures:
        who = fact.identity or fact.key_id
        what = "attestation" if fact.content == "dsse" else "signature"
        lines.append(f"{what:<9} {fact.vendor or 'no vendor'}: {who}, {fact.time_text()}")
    for approval in examination.assessment.approvals:
        lines.append(f"approval  {approval.member} ({approval.group}) for {approval.segment}")
    for problem in examination.assessment.problems:
        lines.append(f"ignored   {problem.source}: {_one_line(problem.reason)}")
    lines.append("requirements:")
    for child in result.decision.finding.children:
        mark = "ok  " if child.passed else "FAIL"
        lines.append(f"  {mark} {child.rule:<16} {_one_line(child.reason)}")
    lines.append(f"audit     record {result.audit.seq} ({result.audit.hash.hex()[:16]}...)")
    if result.admission is not None:
        lines.append(f"stored    {result.state_dir / result.admission.store_path}")
        if result.admission.vsa_path:
            lines.append(f"vsa       {result.state_dir / result.admission.vsa_path}")
    return "\n".join(lines) + "\n"


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "passed": finding.passed,
        "reason": finding.reason,
        "evidence": dict(finding.evidence),
    }


def admit_to_dict(result: AdmitResult) -> dict[str, Any]:
    examination = result.examination
    identification = examination.identification
    admission = result.admission
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "provenance", "version": __version__},
        "decision": "allow" if result.allowed else "deny",
        "reason": result.decision.reason or None,
        "artifact": {"name": result.artifact_name, "sha256": result.sha256},
        "segment": result.segment,
        "policy": {"path": result.policy.path, "sha256": result.policy.sha256},
        "product": identification.product,
        "version": (
            {"value": identification.version.value, "source": identification.version.source}
            if identification.version
            else None
        ),
        "findings": [_finding(child) for child in result.decision.finding.children],
        "evidence": {
            "inputs": [
                {"path": path, "sha256": digest} for path, digest in examination.assessment.inputs
            ],
            "problems": [
                {"source": p.source, "reason": p.reason} for p in examination.assessment.problems
            ],
        },
        "audit": {"seq": result.audit.seq, "hash": result.audit.hash.hex()},
        "admission": (
            {
                "store_path": str(result.state_dir / admission.store_path),
                "vsa_path": str(result.state_dir / admission.vsa_path)
                if admission.vsa_path
                else None,
            }
            if admission
            else None
        ),
    }


def render_json(result: AdmitResult) -> str:
    return json.dumps(admit_to_dict(result), indent=2) + "\n"

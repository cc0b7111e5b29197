"""`provenance admit` output: the verdict line, a text report, and versioned JSON.

The JSON schema is published at `provenance/report/schemas/admit-result.v1.schema.json`.
"""

from __future__ import annotations

import json
from typing import Any

from provenance.commands.admit import AdmitResult
from provenance.report.decision_report import (
    decision_to_dict,
    examination_lines,
    finding_lines,
    problems_note,
)
from provenance.report.lines import verdict

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "admit_to_dict",
    "render_json",
    "render_text",
    "verdict_line",
]

SCHEMA_VERSION = 1
SCHEMA = "urn:ot-provenance:schema:admit-result:v1"


def verdict_line(result: AdmitResult) -> str:
    if result.allowed:
        return verdict("OK", result.artifact_name, f"admitted to {result.segment}")
    return verdict(
        "FAIL",
        result.artifact_name,
        f"denied for {result.segment}: "
        f"{result.decision.reason}{problems_note(result.examination, result.decision)}",
    )


def render_text(result: AdmitResult) -> str:
    lines = [
        f"artifact  {result.artifact_name}",
        f"sha256    {result.sha256}",
        f"segment   {result.segment}",
        f"policy    {result.policy.path} (sha256 {result.policy.sha256[:16]}...)",
        *examination_lines(result.examination),
        *finding_lines(result.decision),
    ]
    lines.append(f"audit     record {result.audit.seq} ({result.audit.hash.hex()[:16]}...)")
    if result.admission is not None:
        lines.append(f"stored    {result.state_dir / result.admission.store_path}")
        if result.admission.vsa_path:
            lines.append(f"vsa       {result.state_dir / result.admission.vsa_path}")
    return "\n".join(lines) + "\n"


def admit_to_dict(result: AdmitResult) -> dict[str, Any]:
    admission = result.admission
    return decision_to_dict(
        artifact_name=result.artifact_name,
        sha256=result.sha256,
        segment=result.segment,
        policy=result.policy,
        examination=result.examination,
        decision=result.decision,
    ) | {
        "schema": SCHEMA,
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

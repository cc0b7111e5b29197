"""`provenance sbom check --policy --segment` reports: the verdict line, text and JSON
(schema: provenance/report/schemas/sbom-check.v1.schema.json)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from provenance.report.lines import verdict

if TYPE_CHECKING:
    from provenance.commands.sbom_check import SbomCheckResult

__all__ = ["SCHEMA", "SCHEMA_VERSION", "render_json", "render_text", "verdict_line"]

SCHEMA_VERSION = 1
SCHEMA = "urn:ot-provenance:schema:sbom-check:v1"


def verdict_line(result: SbomCheckResult) -> str:
    if result.passed:
        return verdict("OK", result.sbom_path, f"meets the SBOM requirements of {result.segment}")
    return verdict("FAIL", result.sbom_path, result.reason)


def render_text(result: SbomCheckResult) -> str:
    lines = []
    sbom = result.facts.sbom
    if sbom is not None:
        lines.append(f"sbom: {sbom.label}, {len(sbom.components)} components")
        lines.append(f"binding: {result.facts.binding or 'none'} ({result.facts.binding_detail})")
    lines.append("requirements:")
    width = max(len(f.rule) for f in result.findings)
    for finding in result.findings:
        mark = "ok  " if finding.passed else "FAIL"
        lines.append(f"  {mark} {finding.rule:<{width}} {finding.reason}")
        coverage = finding.evidence.get("coverage")
        if isinstance(coverage, dict):
            for field, percent in coverage.items():
                lines.append(f"         {field:<20} {percent:5.1f}%")
    for warning in sbom.warnings if sbom is not None else ():
        lines.append(f"warning: {warning}")
    return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def render_json(result: SbomCheckResult) -> str:
    """The result as JSON; schema: provenance/report/schemas/sbom-check.v1.schema.json."""
    sbom = result.facts.sbom
    document = None
    if sbom is not None:
        document = {
            "format": sbom.format,
            "spec_version": sbom.spec_version,
            "encoding": sbom.encoding,
            "serial_number": sbom.serial_number,
            "components": len(sbom.components),
            "warnings": list(sbom.warnings),
        }
    out = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "sbom": result.sbom_path,
        "segment": result.segment,
        "artifact": result.artifact.digest_text if result.artifact else None,
        "decision": "pass" if result.passed else "fail",
        "reason": result.reason,
        "document": document,
        "problem": result.facts.problem,
        "binding": result.facts.binding,
        "binding_detail": result.facts.binding_detail,
        "findings": [
            {
                "rule": f.rule,
                "passed": f.passed,
                "reason": f.reason,
                "evidence": _jsonable(dict(f.evidence)),
            }
            for f in result.findings
        ],
    }
    return json.dumps(out, indent=2) + "\n"

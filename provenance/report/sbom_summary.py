"""`provenance sbom check SBOM` (no policy) reports: text and JSON
(schema: provenance/report/schemas/sbom-summary.v1.schema.json)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from provenance import __version__
from provenance.report.lines import one_line, verdict

if TYPE_CHECKING:
    from provenance.commands.sbom_summary import SbomSummary
    from provenance.decision.sbom.coverage import Coverage
    from provenance.evidence.sbom import Sbom

__all__ = ["SCHEMA", "render_json", "render_text", "verdict_line"]

SCHEMA = "urn:ot-provenance:schema:sbom-summary:v1"


def verdict_line(result: SbomSummary) -> str:
    if result.sbom is None:
        return verdict("FAIL", result.sbom_path, result.problem or "not a valid SBOM")
    return verdict(
        "OK",
        result.sbom_path,
        f"valid {result.sbom.label}, {len(result.sbom.components)} components",
    )


def _describes(sbom: Sbom) -> str:
    described = sbom.metadata.component
    if described is None:
        return "nothing (no metadata.component)"
    name = described.name + (f" {described.version}" if described.version else "")
    ids = [i for i in (described.purl, described.sha256() and f"sha256:{described.sha256()}") if i]
    return name + (f" ({', '.join(ids)})" if ids else "")


def _coverage_lines(coverage: Coverage) -> list[str]:
    lines = [f"minimum elements ({coverage.profile}):"]
    for field in coverage.fields:
        if field.scope == "document":
            lines.append(f"  {field.field:<20} {'present' if field.present else 'MISSING'}")
        else:
            lines.append(
                f"  {field.field:<20} {field.percent:5.1f}%  ({field.present} of {field.total})"
            )
    return lines


def render_text(result: SbomSummary) -> str:
    sbom = result.sbom
    if sbom is None:
        return ""
    lines = [
        f"format     {sbom.label}",
        f"serial     {sbom.serial_number or '-'}",
        f"describes  {one_line(_describes(sbom))}",
        f"components {len(sbom.components)}",
        f"authors    {one_line(', '.join(sbom.metadata.authors)) or '-'}",
        f"tools      {one_line(', '.join(sbom.metadata.tools)) or '-'}",
        f"timestamp  {sbom.metadata.timestamp or '-'}",
    ]
    for coverage in result.coverage:
        lines += _coverage_lines(coverage)
    lines += [f"warning: {one_line(w)}" for w in sbom.warnings]
    return "\n".join(lines) + "\n"


def to_dict(result: SbomSummary) -> dict[str, Any]:
    sbom = result.sbom
    document = None
    if sbom is not None:
        described = sbom.metadata.component
        document = {
            "format": sbom.format,
            "spec_version": sbom.spec_version,
            "encoding": sbom.encoding,
            "serial_number": sbom.serial_number,
            "describes": None
            if described is None
            else {
                "name": described.name,
                "version": described.version,
                "purl": described.purl,
                "sha256": described.sha256(),
            },
            "components": len(sbom.components),
            "authors": list(sbom.metadata.authors),
            "tools": list(sbom.metadata.tools),
            "timestamp": sbom.metadata.timestamp,
            "warnings": list(sbom.warnings),
        }
    return {
        "schema": SCHEMA,
        "tool": {"name": "provenance", "version": __version__},
        "sbom": result.sbom_path,
        "valid": result.valid,
        "problem": result.problem,
        "document": document,
        "coverage": [
            {
                "profile": c.profile,
                "fields": [
                    {
                        "field": f.field,
                        "scope": f.scope,
                        "present": f.present,
                        "total": f.total,
                        "percent": round(f.percent, 1),
                    }
                    for f in c.fields
                ],
            }
            for c in result.coverage
        ],
    }


def render_json(result: SbomSummary) -> str:
    return json.dumps(to_dict(result), indent=2) + "\n"

"""`provenance sbom scan` reports: a table a person reads (text, Markdown), and JSON and
SARIF for tools. One row per finding: the component, the version installed, the
vulnerability, its severity, whether it is known exploited, and the versions that fix it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance import __version__
from provenance.report.lines import one_line, verdict
from provenance.report.markdown import md
from provenance.report.sarif_locations import artifact_location

if TYPE_CHECKING:
    from provenance.commands.sbom_scan import ScanResult
    from provenance.facts import VulnerabilityFinding

__all__ = ["SCHEMA", "render", "verdict_line"]

SCHEMA = "urn:ot-provenance:schema:sbom-scan:v1"
_COLUMNS = ("component", "installed", "vulnerability", "severity", "KEV", "fixed in")
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _row(finding: VulnerabilityFinding) -> tuple[str, ...]:
    name, _, installed = finding.component.rpartition("@")
    cves = [a for a in finding.aliases if a.startswith("CVE-")]
    shown = finding.vulnerability_id + (f" ({', '.join(cves)})" if cves else "")
    if finding.severity is None:
        rated = "unscored"
    else:
        rated = finding.severity + (f" {finding.score:.1f}" if finding.score is not None else "")
    uncertain = "" if finding.certain else " (possible)"
    return (
        name or finding.component,
        installed if name else "?",
        shown + uncertain,
        rated,
        "yes" if finding.known_exploited else "",
        ", ".join(finding.fixed) or "-",
    )


def verdict_line(result: ScanResult) -> str:
    if result.problem is not None:
        return verdict("FAIL", result.sbom_path, result.problem)
    failing = result.failing()
    if failing:
        return verdict(
            "FAIL",
            result.sbom_path,
            f"{len(failing)} finding(s) at or above {result.fail_on}, known exploited or unscored",
        )
    found = f"{len(result.findings)} finding(s)"
    aside = f", {len(result.set_aside)} set aside by VEX" if result.set_aside else ""
    return verdict("OK", result.sbom_path, found + aside)


def _text(result: ScanResult) -> str:
    if result.sbom is None:
        return ""
    facts = result.facts
    lines = [
        f"sbom      {result.sbom.label}, {len(result.sbom.components)} components",
        f"database  {facts.database if facts else '?'}",
    ]
    rows = [_COLUMNS, *(_row(f) for f in result.findings)]
    if result.findings:
        widths = [max(len(one_line(row[i])) for row in rows) for i in range(len(_COLUMNS))]
        lines.append("")
        for row in rows:
            cells = (one_line(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
            lines.append("  ".join(cells).rstrip())
    else:
        lines.append("no known vulnerability in the components looked up")
    for aside in result.set_aside:
        lines.append(
            f"set aside: {one_line(aside.finding.vulnerability_id)}: {one_line(aside.why)}"
        )
    for unchecked in facts.unchecked if facts else ():
        lines.append(f"not looked up: {one_line(unchecked)}")
    return "\n".join(lines) + "\n"


def _markdown(result: ScanResult) -> str:
    lines = [f"## provenance sbom scan: {md(result.sbom_path)}", ""]
    if result.sbom is None:
        return "\n".join([*lines, f"Not a valid SBOM: {md(result.problem or '')}", ""])
    if not result.findings:
        lines.append("No known vulnerability in the components looked up.")
    else:
        lines += ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
        lines += ["| " + " | ".join(md(cell) for cell in _row(f)) + " |" for f in result.findings]
    lines += [
        f"- set aside: {md(a.finding.vulnerability_id)}: {md(a.why)}" for a in result.set_aside
    ]
    return "\n".join([*lines, ""]) + "\n"


def _finding(finding: VulnerabilityFinding) -> dict[str, Any]:
    return {
        "id": finding.vulnerability_id,
        "aliases": list(finding.aliases),
        "component": finding.component,
        "purl": finding.purl,
        "severity": finding.severity,
        "score": finding.score,
        "known_exploited": finding.known_exploited,
        "certain": finding.certain,
        "fixed": list(finding.fixed),
        "source": finding.source,
        "record": finding.record,
        "match": finding.match,
        "detail": finding.detail,
    }


def to_dict(result: ScanResult) -> dict[str, Any]:
    facts = result.facts
    return {
        "schema": SCHEMA,
        "tool": {"name": "provenance", "version": __version__},
        "sbom": result.sbom_path,
        "problem": result.problem,
        "database": facts.database if facts else None,
        "data_as_of": facts.newest_data.isoformat() if facts and facts.newest_data else None,
        "vex": list(result.vex_sources),
        "fail_on": result.fail_on,
        "decision": "pass" if result.passed else "fail",
        "findings": [_finding(f) for f in result.findings],
        "set_aside": [_finding(a.finding) | {"by": a.why} for a in result.set_aside],
        "unchecked": list(facts.unchecked) if facts else [],
    }


def _sarif(result: ScanResult, root: Path) -> str:
    failing = set(map(id, result.failing()))
    rules: dict[str, dict[str, Any]] = {}
    results = []
    location = artifact_location(Path(result.sbom_path), root)
    for finding in result.findings:
        rules.setdefault(
            finding.vulnerability_id,
            {
                "id": finding.vulnerability_id,
                "shortDescription": {"text": f"{finding.vulnerability_id} in a component"},
                "help": {"text": finding.detail},
            },
        )
        row = _row(finding)
        fixed = f"; fixed in {row[5]}" if finding.fixed else ""
        results.append(
            {
                "ruleId": finding.vulnerability_id,
                "level": "error" if id(finding) in failing else "warning",
                "message": {
                    "text": f"{row[2]} in {finding.component}: {row[3]}"
                    f"{', known exploited' if finding.known_exploited else ''}{fixed}"
                },
                "locations": [location],
                "partialFingerprints": {
                    "provenance/v1": f"{finding.vulnerability_id}:{finding.component}"
                },
            }
        )
    log = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "provenance",
                        "version": __version__,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def render(result: ScanResult, output_format: str, *, root: Path) -> str:
    if output_format == "json":
        return json.dumps(to_dict(result), indent=2) + "\n"
    if output_format == "markdown":
        return _markdown(result)
    if output_format == "sarif":
        return _sarif(result, root)
    return _text(result)

"""`provenance sbom check SBOM --policy P --segment S [--artifact A]`: one SBOM against a
segment's `sbom`, `components` and `licenses` requirements, without the rest of the gate.

The binding this command can establish is at most "named" (the SBOM's metadata.component
hashes hold the artifact's digest): it verifies no signatures. A segment that requires
`bound: signed` therefore fails here; `provenance admit` establishes signed bindings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.decision.requirements import COMPILERS
from provenance.decision.rules import Finding
from provenance.decision.sbom.binding import names_artifact
from provenance.decision.sbom.facts import Binding, SbomFacts
from provenance.errors import EvidenceError, UsageError
from provenance.evidence.sbom import MAX_SBOM_BYTES, Sbom, read_sbom
from provenance.gc_pause import paused_gc
from provenance.inputs.artifact import Artifact, artifact_from_argument
from provenance.policy import load_policy
from provenance.report.lines import verdict

__all__ = [
    "SBOM_KINDS",
    "SCHEMA_VERSION",
    "SbomCheckResult",
    "check_sbom",
    "render_json",
    "render_text",
]

SCHEMA_VERSION = 1
SBOM_KINDS = ("sbom", "components", "licenses")


@dataclass(frozen=True)
class SbomCheckResult:
    sbom_path: str
    segment: str
    artifact: Artifact | None
    facts: SbomFacts
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return bool(self.findings) and all(f.passed for f in self.findings)

    @property
    def reason(self) -> str:
        return "; ".join(f"{f.rule}: {f.reason}" for f in self.findings if not f.passed)


def _bind(sbom: Sbom, artifact: Artifact | None) -> tuple[Binding, str]:
    if artifact is None:
        return None, "no artifact given"
    digest = artifact.sha256.hex()
    if names_artifact(sbom, digest):
        return "named", f"metadata.component hashes hold {artifact.digest_text}"
    described = sbom.metadata.component
    stated = described.sha256() if described is not None else None
    got = f"sha256:{stated}" if stated else "no SHA-256 of the described component"
    return None, f"the SBOM describes {got}, not the artifact {artifact.digest_text}"


def check_sbom(
    sbom: Path,
    *,
    policy: Path,
    segment: str,
    artifact: str | None = None,
    max_bytes: int = MAX_SBOM_BYTES,
) -> SbomCheckResult:
    """Check the SBOM at `sbom` against `segment`'s SBOM requirements in `policy`.

    Raises `UsageError` (exit 2) for an invalid policy, an unknown segment, a segment without
    SBOM requirements, or an unreadable SBOM or artifact. A malformed, oversized or unbound
    SBOM is a failed result (exit 1), not an error.
    """
    loaded = load_policy(policy)
    effective = loaded.effective_requirements(segment)
    kinds = [kind for kind in SBOM_KINDS if kind in effective]
    if not kinds:
        raise UsageError(
            f"segment {segment!r} has no {', '.join(SBOM_KINDS)} requirement: nothing to check"
        )
    rules = [COMPILERS[kind](effective[kind], effective) for kind in kinds]
    subject = artifact_from_argument(artifact) if artifact is not None else None
    checks: list[Callable[[SbomFacts], Finding]] = [rule.check for rule in rules]  # type: ignore[attr-defined]
    with paused_gc():
        try:
            parsed = read_sbom(sbom, max_bytes=max_bytes)
        except EvidenceError as malformed:
            facts = SbomFacts(None, None, str(sbom), problem=str(malformed))
        else:
            binding, detail = _bind(parsed, subject)
            facts = SbomFacts(parsed, binding, str(sbom), binding_detail=detail)
        findings = tuple(check(facts) for check in checks)
    return SbomCheckResult(
        sbom_path=str(sbom), segment=segment, artifact=subject, facts=facts, findings=findings
    )


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

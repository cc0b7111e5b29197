"""`provenance sbom check SBOM --policy P --segment S [--artifact A]`: one SBOM against a
segment's `sbom`, `components` and `licenses` requirements, without the rest of the gate.

The binding this command can establish is at most "named" (the SBOM's metadata.component
hashes hold the artifact's digest): it verifies no signatures. A segment that requires
`bound: signed` therefore fails here; `provenance admit` establishes signed bindings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provenance.decision.requirements import compile_requirement
from provenance.decision.rules import Finding
from provenance.decision.sbom.binding import names_artifact
from provenance.decision.sbom.facts import Binding, SbomFacts
from provenance.errors import EvidenceError, UsageError
from provenance.evidence.sbom import MAX_SBOM_BYTES, Sbom, read_sbom
from provenance.gc_pause import paused_gc
from provenance.inputs.artifact import Artifact, artifact_from_argument
from provenance.policy import load_policy

__all__ = ["SBOM_KINDS", "SbomCheckResult", "check_sbom"]

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
    rules = [compile_requirement(effective[kind], effective) for kind in kinds]
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

"""`provenance sbom scan SBOM [--vex FILE...]`: an SBOM's components looked up in the offline
vulnerability database, with no artifact and no policy (as `grype sbom:` or `osv-scanner`
would, but from the database `vulndb import` built here, offline).

1. Read the SBOM strictly (CycloneDX JSON/XML, SPDX 2.3 JSON); malformed: a failed result.
2. Read each `--vex` document (CycloneDX VEX, OpenVEX); the operator named them, so they are
   taken as about this SBOM's product: a document that does not parse is a usage error.
3. Look the components up (`vulnerabilities.scan`): OSV by purl and version, KEV, CSAF.
4. Apply the VEX statements: `not_affected` with a reason, or `fixed`, sets a finding aside;
   an `affected` statement anywhere keeps it.
5. `fail_on`: the result fails when a finding left is at or above that severity, is known
   exploited, or has no score (it cannot be shown to be below): fail closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.errors import EvidenceError, UsageError
from provenance.evidence.sbom import Sbom, read_sbom
from provenance.evidence.sbom.vex import VexStatement, read_vex
from provenance.facts import SbomFacts, VulnerabilityFacts, VulnerabilityFinding
from provenance.gc_pause import paused_gc
from provenance.record.state import resolve_state_dir
from provenance.scales import SeverityBand
from provenance.vulnerabilities.scan import lookup
from provenance.vulnerabilities.severity import at_least
from provenance.vulnerabilities.vex_filter import apply_vex

__all__ = ["ScanResult", "scan_sbom"]


@dataclass(frozen=True)
class SetAside:
    finding: VulnerabilityFinding
    why: str  # the VEX statement that did it


@dataclass(frozen=True)
class ScanResult:
    sbom_path: str
    sbom: Sbom | None
    problem: str | None  # the SBOM could not be read (malformed, oversized)
    vex_sources: tuple[str, ...]
    facts: VulnerabilityFacts | None
    findings: tuple[VulnerabilityFinding, ...]  # left after VEX
    set_aside: tuple[SetAside, ...]
    fail_on: SeverityBand | None

    def failing(self) -> tuple[VulnerabilityFinding, ...]:
        """The findings that fail the scan under `fail_on` (none without it)."""
        if self.fail_on is None:
            return ()
        threshold = self.fail_on
        return tuple(
            f
            for f in self.findings
            if f.known_exploited or f.severity is None or at_least(f.severity, threshold)
        )

    @property
    def passed(self) -> bool:
        return self.problem is None and not self.failing()


def _why(statement: VexStatement) -> str:
    # Not `Suppression.reason`: there is no artifact here, so no binding to report.
    because = statement.justification or statement.impact_statement or "fixed"
    return f"{statement.status} ({because}) per {statement.where}"


def scan_sbom(
    sbom: Path,
    *,
    vex: Sequence[Path] = (),
    state_dir: Path | None = None,
    clock: Clock = utc_now,
    fail_on: SeverityBand | None = None,
) -> ScanResult:
    """Steps 1-5 above. Raises `UsageError` (exit 2) for an unreadable VEX file or a missing,
    corrupted or newer-release database; a malformed SBOM is a failed result (exit 1)."""
    statements: list[VexStatement] = []
    for path in vex:  # 2.
        try:
            statements += read_vex(path).statements
        except EvidenceError as exc:
            raise UsageError(f"--vex {path}: {exc}") from exc
    with paused_gc():
        try:
            parsed = read_sbom(sbom)  # 1.
        except EvidenceError as malformed:
            return ScanResult(str(sbom), None, str(malformed), (), None, (), (), fail_on)
        facts = SbomFacts(parsed, None, str(sbom), vex=tuple(statements))
        looked_up = lookup(resolve_state_dir(state_dir), facts, now=clock())  # 3.
    assert looked_up is not None  # `lookup` answers for every parsed SBOM
    if looked_up.problem is not None:
        raise UsageError(looked_up.problem)
    described = parsed.metadata.component
    sources = tuple(dict.fromkeys(str(path) for path in vex))
    outcome = apply_vex(  # 4.
        looked_up.findings,
        statements,
        {},
        min_binding=None,
        artifact_ids=[i for i in (described.purl, described.bom_ref) if i] if described else [],
        sbom_source=str(sbom),
        about_artifact=sources,
    )
    set_aside = tuple(SetAside(s.finding, _why(s.statement)) for s in outcome.suppressed)
    return ScanResult(str(sbom), parsed, None, sources, looked_up, outcome.kept, set_aside, fail_on)

"""`provenance sbom check SBOM` without a policy: is it a valid SBOM, and what does it hold?

As `cyclonedx validate` would, plus what a reviewer wants next: the format and spec version,
what the document describes, how many components, and how many of them carry each of the
minimum elements (NTIA 2021 and CISA 2025, `decision.sbom.coverage`). Nothing here is a
decision about an artifact: no signature is verified, so no binding is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provenance.decision.sbom.coverage import PROFILES, Coverage, measure_coverage
from provenance.errors import EvidenceError
from provenance.evidence.sbom import MAX_SBOM_BYTES, Sbom, read_sbom
from provenance.gc_pause import paused_gc

__all__ = ["SbomSummary", "summarise_sbom"]


@dataclass(frozen=True)
class SbomSummary:
    sbom_path: str
    sbom: Sbom | None
    problem: str | None  # why it is not a valid SBOM (malformed, schema-invalid, oversized)
    coverage: tuple[Coverage, ...]

    @property
    def valid(self) -> bool:
        return self.problem is None


def summarise_sbom(sbom: Path, *, max_bytes: int = MAX_SBOM_BYTES) -> SbomSummary:
    """Read `sbom` strictly and measure its minimum-element coverage. An invalid SBOM is a
    result with `problem` set; an unreadable path raises `InputError` (exit 2)."""
    with paused_gc():
        try:
            parsed = read_sbom(sbom, max_bytes=max_bytes)
        except EvidenceError as invalid:
            return SbomSummary(str(sbom), None, str(invalid), ())
        coverage = tuple(measure_coverage(parsed, profile) for profile in PROFILES)
    return SbomSummary(str(sbom), parsed, None, coverage)

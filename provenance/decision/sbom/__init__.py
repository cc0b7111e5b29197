"""Pure evaluation of parsed SBOMs: binding, minimum-element coverage, component and licence
rules. Nothing here reads files or verifies signatures; callers supply the facts."""

from __future__ import annotations

from provenance.decision.sbom.binding import binding_satisfies, names_artifact
from provenance.decision.sbom.coverage import PROFILES, Coverage, FieldCoverage, measure_coverage
from provenance.decision.sbom.facts import Binding, SbomFacts

__all__ = [
    "PROFILES",
    "Binding",
    "Coverage",
    "FieldCoverage",
    "SbomFacts",
    "binding_satisfies",
    "measure_coverage",
    "names_artifact",
]

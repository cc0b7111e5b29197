"""What the SBOM rules look at: a parsed SBOM and how it is bound to the artifact.

The facts themselves are made by the verification stage (`provenance.facts.SbomFacts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance.facts import SbomBinding as Binding
from provenance.facts import SbomFacts

if TYPE_CHECKING:
    from provenance.decision.context import DecisionContext

__all__ = ["BINDING_STRENGTH", "Binding", "SbomFacts", "sbom_facts"]

BINDING_STRENGTH: dict[Binding, int] = {
    "signed-attestation": 3,
    "signed-file": 2,
    "named": 1,
    None: 0,
}


def sbom_facts(context: DecisionContext) -> SbomFacts | None:
    """The SBOM facts of `context`, or None if the gate gathered none."""
    return context.sbom_facts

"""What the SBOM rules look at: a parsed SBOM and how it is bound to the artifact.

The facts themselves are made by the verification stage (`provenance.facts.SbomFacts`).
"""

from __future__ import annotations

from provenance.facts import BINDING_STRENGTH, SbomFacts
from provenance.facts import SbomBinding as Binding

__all__ = ["BINDING_STRENGTH", "Binding", "SbomFacts"]

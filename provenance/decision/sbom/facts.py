"""What the SBOM rules look at: a parsed SBOM and how it is bound to the artifact.

The lead wires this into `DecisionContext` (a field `sbom_facts`); until then `sbom_facts`
reads that attribute if present, so the rules work as soon as the field exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    # Types only: the gate must not load schema validators or XML parsers to compile a policy.
    from provenance.decision.context import DecisionContext
    from provenance.evidence.sbom.model import Sbom
    from provenance.evidence.sbom.vex import VexStatement

__all__ = ["BINDING_STRENGTH", "Binding", "SbomFacts", "sbom_facts"]

# How the SBOM is known to describe this artifact, strongest first:
#   signed-attestation  an in-toto SBOM attestation, signed by a trusted signer, whose
#                       subject is the artifact's digest
#   signed-file         a signed SBOM file whose metadata.component hashes hold the digest
#   named               an unsigned SBOM whose metadata.component hashes hold the digest
#   None                nothing ties the SBOM to the artifact
Binding = Literal["signed-attestation", "signed-file", "named"] | None
BINDING_STRENGTH: dict[Binding, int] = {
    "signed-attestation": 3,
    "signed-file": 2,
    "named": 1,
    None: 0,
}


@dataclass(frozen=True)
class SbomFacts:
    sbom: Sbom | None  # None: no SBOM was delivered, or it did not parse (see problem)
    binding: Binding
    source: str | None = None  # the SBOM file or attestation it came from
    problem: str | None = None  # why a delivered SBOM is unusable (malformed, oversized)
    binding_detail: str | None = None  # what the binding check found, in words
    vex: tuple[VexStatement, ...] = ()


def sbom_facts(context: DecisionContext) -> SbomFacts | None:
    """The SBOM facts of `context`, or None if the gate gathered none."""
    found = getattr(context, "sbom_facts", None)
    return found if isinstance(found, SbomFacts) else None

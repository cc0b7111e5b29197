"""`evidence`: the weakest evidence a segment accepts, on the scale `provenance.scales.STRENGTHS`.

evidence: {minimum: signed-identity, from: [acme-automation]}
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import (
    RequirementHelp,
    RequirementKind,
    RequirementSpec,
    Weakening,
    Weaker,
)
from provenance.scales import STRENGTHS, Strength, rank

__all__ = ["KIND", "EvidenceSpec"]


@dataclass(frozen=True)
class EvidenceSpec(RequirementSpec):
    minimum: Strength
    vendors: tuple[str, ...] | None = None  # `from`


def _parse(entry: Entry) -> EvidenceSpec:
    return EvidenceSpec(entry.choice("minimum", STRENGTHS, "none"), entry.vendors("from"))


def _weakening(inherited: EvidenceSpec, own: EvidenceSpec) -> Weakening:
    if rank(own.minimum) >= rank(inherited.minimum):
        return []
    problem = f"expected {inherited.minimum} or stronger, got {own.minimum}"
    return [Weaker("minimum", ("minimum",), problem)]


KIND = RequirementKind(
    name="evidence",
    schema="#/$defs/evidence",
    spec=EvidenceSpec,
    parse=_parse,
    weakening=_weakening,
    help=RequirementHelp(
        "Evidence at least as strong as the segment's minimum",
        "Evidence strength, strongest first: attested-build, signed-identity, "
        "signed-checksum-list, published-hash, none. The segment sets a minimum.",
        "Ask the vendor for stronger evidence (a signature over the file itself rather than "
        "a signed checksum list), or admit the file to a segment that accepts this strength.",
    ),
)

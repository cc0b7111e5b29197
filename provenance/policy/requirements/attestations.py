"""`attestations`: predicate types that must be present, verified, about this artifact.

attestations: {types: ["https://cyclonedx.org/bom", "https://example.com/fat-report/v1"],
               from: [acme-automation]}
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import RequirementHelp, RequirementKind, RequirementSpec

__all__ = ["KIND", "AttestationsSpec"]


@dataclass(frozen=True)
class AttestationsSpec(RequirementSpec):
    types: tuple[str, ...]
    vendors: tuple[str, ...] | None = None  # `from`


def _parse(entry: Entry) -> AttestationsSpec:
    return AttestationsSpec(entry.texts("types"), entry.vendors("from"))


KIND = RequirementKind(
    name="attestations",
    schema="#/$defs/attestations",
    spec=AttestationsSpec,
    parse=_parse,
    help=RequirementHelp(
        "Required attestation types present and verified",
        "Every predicate type the segment lists must be attested about this digest by a "
        "signer the policy trusts.",
        "Ask the vendor for the missing attestations (for example a factory acceptance "
        "test report).",
    ),
)

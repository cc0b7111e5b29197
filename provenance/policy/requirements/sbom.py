"""`sbom`: an SBOM must come with the artifact, be bound to it, and carry minimum elements.

sbom: {required: true, bound: signed, minimum_elements: cisa-2025, min_coverage: 95}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import RequirementHelp, RequirementKind, RequirementSpec

__all__ = ["KIND", "BoundRequirement", "SbomProfile", "SbomSpec"]

# signed (an attestation or a signed file), named (at least an unsigned SBOM naming the
# digest), any (the SBOM need not be tied to the artifact at all).
BoundRequirement = Literal["signed", "named", "any"]
_BOUND: tuple[BoundRequirement, ...] = get_args(BoundRequirement)
# Minimum elements: NTIA 2021 or CISA 2025 (`provenance.decision.sbom.coverage`).
SbomProfile = Literal["ntia-2021", "cisa-2025"]
_PROFILES: tuple[SbomProfile, ...] = get_args(SbomProfile)


@dataclass(frozen=True)
class SbomSpec(RequirementSpec):
    required: bool = True  # false: the rule passes without an SBOM, checks one delivered
    bound: BoundRequirement = "signed"
    minimum_elements: SbomProfile | None = None
    min_coverage: float = 100.0  # percent of components carrying each component field


def _parse(entry: Entry) -> SbomSpec:
    if entry.has("min_coverage") and not entry.has("minimum_elements"):
        entry.error(
            ("min_coverage",),
            "expected minimum_elements beside min_coverage (the coverage of which fields?), "
            "got none",
        )
    required = entry.flag("required")
    coverage = entry.number("min_coverage")
    return SbomSpec(
        required=required if required is not None else True,
        bound=entry.choice("bound", _BOUND, "signed"),
        minimum_elements=entry.choice("minimum_elements", _PROFILES, None),
        min_coverage=coverage if coverage is not None else 100.0,
    )


KIND = RequirementKind(
    name="sbom",
    schema="#/$defs/sbom",
    spec=SbomSpec,
    parse=_parse,
    help=RequirementHelp(
        "An SBOM bound to this file with the minimum elements",
        "A CycloneDX or SPDX SBOM for this artifact, bound to its digest as the segment "
        "requires, that meets the minimum elements (NTIA 2021 or CISA 2025).",
        "Ask the vendor for a signed SBOM attestation of this release.",
    ),
)

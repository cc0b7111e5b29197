"""`signed_by`: which vendors must have signed; k of n distinct vendors.

    signed_by: [acme-automation, integrator]            # any one of them
    signed_by: {vendors: [acme-automation, integrator], count: 2}

Its vendors are also whose evidence the kinds with a `from` count when they name none
(`Requirements.vendors_counted`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import (
    RequirementHelp,
    RequirementKind,
    RequirementSpec,
    Weakening,
    Weaker,
)

__all__ = ["KIND", "SignedBySpec"]


@dataclass(frozen=True)
class SignedBySpec(RequirementSpec):
    vendors: tuple[str, ...]
    count: int = 1  # distinct vendors of the list
    # Written as a bare list, which has no `count` to point at.
    listed: bool = field(default=False, compare=False)


def _parse(entry: Entry) -> SignedBySpec:
    if isinstance(entry.value, list):
        return SignedBySpec(entry.vendors(None) or (), listed=True)
    vendors, count = entry.vendors("vendors"), entry.int("count")
    if vendors is not None and count is not None and count > len(vendors):
        entry.error(
            ("count",),
            f"expected at most {len(vendors)} (the vendors listed), got {count}, so no artifact "
            "could ever enter this segment",
        )
    return SignedBySpec(vendors or (), count or 1)


def _weakening(inherited: SignedBySpec, own: SignedBySpec) -> Weakening:
    if own.count >= inherited.count:
        return []
    problem = f"expected signatures by at least {inherited.count} distinct vendors, got {own.count}"
    return [Weaker("count", () if own.listed else ("count",), problem)]


KIND = RequirementKind(
    name="signed_by",
    schema="#/$defs/signedBy",
    spec=SignedBySpec,
    parse=_parse,
    weakening=_weakening,
    help=RequirementHelp(
        "Signed by the vendors this segment requires",
        "The segment's signed_by lists vendors whose verified signatures are all required.",
        "Obtain a signature from each required vendor, or correct the segment's signed_by.",
    ),
)

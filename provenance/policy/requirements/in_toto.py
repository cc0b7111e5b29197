"""`in_toto`: a verified in-toto supply-chain layout must name the artifact.

in_toto: {from: [acme-automation], inspections: required}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import RequirementHelp, RequirementKind, RequirementSpec

__all__ = ["KIND", "InTotoSpec", "Inspections"]

Inspections = Literal["optional", "required"]
_INSPECTIONS: tuple[Inspections, ...] = get_args(Inspections)


@dataclass(frozen=True)
class InTotoSpec(RequirementSpec):
    vendors: tuple[str, ...] | None = None  # `from`
    inspections: Inspections = "optional"


def _parse(entry: Entry) -> InTotoSpec:
    return InTotoSpec(entry.vendors("from"), entry.choice("inspections", _INSPECTIONS, "optional"))


KIND = RequirementKind(
    name="in_toto",
    schema="#/$defs/inTotoLayout",
    spec=InTotoSpec,
    parse=_parse,
    help=RequirementHelp(
        "A verified in-toto layout whose last step produced this file",
        "An in-toto layout signed by the vendor's layout key, with link metadata for every "
        "step, whose final product is this artifact.",
        "Ask the vendor for the layout and the links of this release.",
    ),
)

"""`version`: a PEP 440 specifier set the artifact's version must satisfy, one for every
product or one per product by name.

    version: ">=4.0,<5"
    version: {plc-firmware: ">=4.0,<5", hmi-setup: ">=2.0"}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from provenance.policy.requirements._entry import Entry, one_of
from provenance.policy.requirements._kind import RequirementHelp, RequirementKind, RequirementSpec
from provenance.policy.requirements._values import VersionRange, read_specifier

__all__ = ["KIND", "VersionSpec"]


@dataclass(frozen=True)
class VersionSpec(RequirementSpec):
    # Product name -> range; the key None: one range for every product.
    ranges: Mapping[str | None, VersionRange]


def _parse(entry: Entry) -> VersionSpec:
    if not isinstance(entry.value, dict):
        wanted = read_specifier(entry, (), entry.value)
        return VersionSpec(MappingProxyType({None: wanted} if wanted is not None else {}))
    known = entry.context.products
    ranges: dict[str | None, VersionRange] = {}
    for product, text in entry.value.items():
        if known is not None and product not in known:
            entry.error((product,), f"unknown product {product!r} ({one_of(known, 'products')})")
        wanted = read_specifier(entry, (product,), text)
        if wanted is not None:
            ranges[product] = wanted
    return VersionSpec(MappingProxyType(ranges))


KIND = RequirementKind(
    name="version",
    schema="#/$defs/versionSpecifier",
    spec=VersionSpec,
    parse=_parse,
    help=RequirementHelp(
        "A version within the segment's range",
        "The version, taken from the signed identity (or given by the operator), must match "
        "the segment's version specifier.",
        "Use a release in the allowed range, or change the segment's version range.",
    ),
)

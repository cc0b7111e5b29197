"""`freshness`: how old the newest signature of the product's vendor over this file may be,
and the earliest date accepted.

    freshness: {max_age_days: 365, not_before: "2025-01-01"}
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
    raised_limit,
)
from provenance.policy.requirements._values import Day, read_day

__all__ = ["KIND", "FreshnessSpec"]

_WHOLE = "(an entry of its own replaces the inherited one whole)"


@dataclass(frozen=True)
class FreshnessSpec(RequirementSpec):
    max_age_days: int | None = None
    not_before: Day | None = None


def _parse(entry: Entry) -> FreshnessSpec:
    return FreshnessSpec(entry.int("max_age_days"), read_day(entry, "not_before", ("not_before",)))


def _weakening(inherited: FreshnessSpec, own: FreshnessSpec) -> Weakening:
    out = raised_limit("max_age_days", inherited.max_age_days, own.max_age_days, f" {_WHOLE}")
    earliest, own_earliest = inherited.not_before, own.not_before
    if earliest is not None and own_earliest is None:
        problem = f"expected not_before {earliest.text!r} or later, got none {_WHOLE}"
        out.append(Weaker("not_before", (), problem))
    elif earliest is not None and own_earliest is not None and own_earliest < earliest:
        problem = f"expected {earliest.text!r} or later, got {own_earliest.text!r}"
        out.append(Weaker("not_before", ("not_before",), problem))
    return out


KIND = RequirementKind(
    name="freshness",
    schema="#/$defs/freshness",
    spec=FreshnessSpec,
    parse=_parse,
    weakening=_weakening,
    help=RequirementHelp(
        "Signed recently enough",
        "The newest verified signing time must be within the segment's age limit or after "
        "its not_before date.",
        "Ask the vendor for a current release or a fresh signature.",
    ),
)

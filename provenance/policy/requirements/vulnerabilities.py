"""`vulnerabilities`: no known vulnerability in the artifact's SBOM components, offline.

    vulnerabilities:
      max_db_age_days: 30        # stale data must not silently pass
      max_severity: medium       # highest CVSS severity allowed to remain (default none)
      unscored: deny             # no usable CVSS vector: deny (default) or allow
      known_exploited: deny      # in CISA KEV: deny whatever the score (default)
      possible: warn             # CSAF matched by product name only: warn (default) or deny
      unchecked: allow           # components with no OSV ecosystem: allow (default) or deny
      vex: signed                # VEX that may set a finding aside: signed (default) or any
      ignore: [{id: CVE-2023-26151, reason: "not reachable, ticket OT-1234",
                expires: 2027-01-31}]

How the rule judges findings: `provenance.decision.requirements.vulnerabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

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
from provenance.scales import SEVERITY_ORDER, SeverityBand

__all__ = ["KIND", "IgnoreEntry", "VulnerabilitiesSpec"]

AllowDeny = Literal["allow", "deny"]
_ALLOW_DENY: tuple[AllowDeny, ...] = get_args(AllowDeny)
WarnDeny = Literal["warn", "deny"]
_WARN_DENY: tuple[WarnDeny, ...] = get_args(WarnDeny)
VexAccepted = Literal["signed", "any"]
_VEX: tuple[VexAccepted, ...] = get_args(VexAccepted)


@dataclass(frozen=True)
class IgnoreEntry:
    """A vulnerability a person accepted: which (an id or any alias), why, until when."""

    id: str
    reason: str
    expires: Day  # from this day on the entry no longer applies


@dataclass(frozen=True)
class VulnerabilitiesSpec(RequirementSpec):
    max_db_age_days: int | None = None
    max_severity: SeverityBand = "none"
    unscored: AllowDeny = "deny"
    known_exploited: AllowDeny = "deny"
    possible: WarnDeny = "warn"
    unchecked: AllowDeny = "allow"
    vex: VexAccepted = "signed"
    ignore: tuple[IgnoreEntry, ...] = ()


def _parse(entry: Entry) -> VulnerabilitiesSpec:
    if isinstance(entry.value, dict) and not entry.has("max_db_age_days"):
        entry.warn(
            (),
            "no max_db_age_days: vulnerability data of any age passes (stale data would "
            "silently allow); consider max_db_age_days: 30",
        )
    return VulnerabilitiesSpec(
        max_db_age_days=entry.int("max_db_age_days"),
        max_severity=entry.choice("max_severity", SEVERITY_ORDER, "none"),
        unscored=entry.choice("unscored", _ALLOW_DENY, "deny"),
        known_exploited=entry.choice("known_exploited", _ALLOW_DENY, "deny"),
        possible=entry.choice("possible", _WARN_DENY, "warn"),
        unchecked=entry.choice("unchecked", _ALLOW_DENY, "allow"),
        vex=entry.choice("vex", _VEX, "signed"),
        ignore=_ignore(entry),
    )


def _ignore(entry: Entry) -> tuple[IgnoreEntry, ...]:
    listed = entry.get("ignore")
    out = []
    for index, item in enumerate(listed if isinstance(listed, list) else ()):
        ignored = Entry(entry.context, (*entry.at, "ignore", index), item)
        expires = read_day(ignored, "expires", ("expires",))
        if expires is not None:  # else the schema has reported it
            out.append(IgnoreEntry(ignored.text("id") or "", ignored.text("reason") or "", expires))
    return tuple(out)


# Settings whose strict value an inherited entry may have and a segment's own must keep.
_STRICT = (("known_exploited", "deny"), ("unscored", "deny"), ("possible", "deny"),
           ("unchecked", "deny"), ("vex", "signed"))  # fmt: skip


def _weakening(inherited: VulnerabilitiesSpec, own: VulnerabilitiesSpec) -> Weakening:
    out: Weakening = []
    before, after = inherited.max_severity, own.max_severity
    if SEVERITY_ORDER.index(after) > SEVERITY_ORDER.index(before):
        out.append(
            Weaker("max_severity", ("max_severity",), f"expected {before} or lower, got {after}")
        )
    out += raised_limit("max_db_age_days", inherited.max_db_age_days, own.max_db_age_days)
    for key, strict in _STRICT:
        if getattr(inherited, key) == strict and getattr(own, key) != strict:
            out.append(Weaker(key, (key,), f"expected {strict}, got {getattr(own, key)}"))
    return out


KIND = RequirementKind(
    name="vulnerabilities",
    schema="#/$defs/vulnerabilities",
    spec=VulnerabilitiesSpec,
    parse=_parse,
    weakening=_weakening,
    help=RequirementHelp(
        "No vulnerability above the segment's limit",
        "No known vulnerability in the SBOM's components above the segment's severity limit "
        "or known to be exploited, unless a VEX statement says the product is not affected.",
        "Ask the vendor for a fixed release or a signed VEX statement; if the data is stale "
        "or missing, carry in fresh data and run `provenance vulndb import`.",
    ),
)

"""`approvals`: the two-person rule. N distinct members of a site group signed an approval
of this exact digest for this segment (`provenance approve`).

    approvals: {count: 2, group: ot-security-team}
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.policy.requirements._entry import Entry, one_of
from provenance.policy.requirements._kind import (
    RequirementHelp,
    RequirementKind,
    RequirementSpec,
    Weakening,
    Weaker,
)

__all__ = ["KIND", "ApprovalsSpec"]


@dataclass(frozen=True)
class ApprovalsSpec(RequirementSpec):
    count: int
    group: str


def _parse(entry: Entry) -> ApprovalsSpec:
    group, count = entry.text("group"), entry.int("count")
    groups = entry.context.groups
    if group is None or groups is None:
        pass  # nothing to check against
    elif group not in groups:
        entry.error(("group",), f"unknown group {group!r} ({one_of(groups, 'groups')})")
    elif count is not None and count > groups[group]:
        entry.error(
            ("count",),
            f"expected at most {groups[group]} (the members of {group}), got {count}, so no "
            "artifact could ever enter this segment",
        )
    return ApprovalsSpec(count or 1, group or "")


def _weakening(inherited: ApprovalsSpec, own: ApprovalsSpec) -> Weakening:
    if own.count >= inherited.count:
        return []
    problem = f"expected at least {inherited.count} approvals, got {own.count}"
    return [Weaker("count", ("count",), problem)]


KIND = RequirementKind(
    name="approvals",
    schema="#/$defs/approvals",
    spec=ApprovalsSpec,
    parse=_parse,
    weakening=_weakening,
    help=RequirementHelp(
        "Approved by enough members of the required group",
        "Signed approvals from distinct members of the group, for this digest and segment "
        "(two-person rule).",
        "Have the required number of group members run `provenance approve` on this file.",
    ),
)

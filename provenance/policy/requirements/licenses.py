"""`licenses`: the licences an SBOM's components may carry.

    licenses: {allow: [MIT, Apache-2.0, BSD-3-Clause], deny: [AGPL-3.0-only], unknown: deny}

Each name is one SPDX licence (`licence_names`); `unknown` (default deny) says whether
licences that are not SPDX licences the policy lists fail the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import RequirementHelp, RequirementKind, RequirementSpec

if TYPE_CHECKING:
    from provenance.policy.requirements.licence_names import LicensePolicy

__all__ = ["KIND", "LicensesSpec", "UnknownLicences"]

UnknownLicences = Literal["allow", "deny"]
_UNKNOWN: tuple[UnknownLicences, ...] = get_args(UnknownLicences)


@dataclass(frozen=True)
class LicensesSpec(RequirementSpec):
    policy: LicensePolicy
    unknown: UnknownLicences = "deny"


def _parse(entry: Entry) -> LicensesSpec:
    # Imported here: the SPDX licence index costs ~0.1 s, for policies that name licences.
    from provenance.policy.requirements.licence_names import (  # noqa: PLC0415
        LicensePolicy,
        PolicyLicenseError,
        canonical_licence,
    )

    names: dict[str, frozenset[str]] = {}
    for key in ("allow", "deny"):
        listed = entry.get(key)
        if not isinstance(listed, list):
            continue
        canonical = set()
        for index, name in enumerate(listed):
            if not isinstance(name, str) or not name.strip():
                continue  # the schema's to report
            try:
                canonical.add(canonical_licence(name))
            except PolicyLicenseError as exc:
                entry.error((key, index), str(exc))
        names[key] = frozenset(canonical)
    return LicensesSpec(
        LicensePolicy(names.get("allow"), names.get("deny", frozenset())),
        entry.choice("unknown", _UNKNOWN, "deny"),
    )


KIND = RequirementKind(
    name="licenses",
    schema="#/$defs/licenses",
    spec=LicensesSpec,
    parse=_parse,
    help=RequirementHelp(
        "Component licences allowed",
        "Every component licence in the SBOM is allowed by the segment's licence rules.",
        "Review the listed licences with the legal team; update the policy or reject.",
    ),
)

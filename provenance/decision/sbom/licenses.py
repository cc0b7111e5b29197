"""Licence expressions judged against a policy's allow and deny lists, properly.

Algorithm for one component's licences (each CycloneDX `licenses` entry, or SPDX's concluded
else declared expression):
1. Parse each statement as an SPDX expression (license-expression, SPDX licence index); a
   syntax error is the outcome "invalid". Several statements all apply (AND).
2. Evaluate the expression in three-valued logic. A licence (a leaf; `X WITH E` is a leaf
   that is also acceptable where X is) is true if acceptable: listed in `allow` (when the
   policy has an allow list) and not listed in `deny`; false if denied or not allowed; and
   unknown if it is not an SPDX licence (a LicenseRef- included) and the policy does not
   list it.
   OR is a choice (true if any branch is), AND needs every branch.
3. true -> "allowed", false -> "denied", unknown -> "unknown"; no licence stated -> "unknown".
Free-text licence names (CycloneDX license.name) are unknown unless listed verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from license_expression import AND, OR, ExpressionError

from provenance.evidence.sbom.model import LicenseChoice
from provenance.policy.requirements.licence_names import LicensePolicy, LicenseValue, licensing

__all__ = ["LicenseJudgement", "LicenseOutcome", "judge_licenses"]

LicenseOutcome = Literal["allowed", "denied", "unknown", "invalid"]


def _evaluate(node: Any, policy: LicensePolicy, unknown: frozenset[str]) -> LicenseValue:
    if isinstance(node, OR):
        values = [_evaluate(arg, policy, unknown) for arg in node.args]
        return True if True in values else (None if None in values else False)
    if isinstance(node, AND):
        values = [_evaluate(arg, policy, unknown) for arg in node.args]
        return False if False in values else (None if None in values else True)
    return policy.leaf(node, unknown)


@dataclass(frozen=True)
class LicenseJudgement:
    outcome: LicenseOutcome
    expression: str  # the statements joined with AND, as written
    detail: str  # why, for unknown and invalid outcomes


def judge_licenses(
    choices: tuple[LicenseChoice, ...], policy: LicensePolicy, cache: dict[Any, LicenseJudgement]
) -> LicenseJudgement:
    """The outcome for one component's licence statements (`cache`: per evaluation run; SBOMs
    repeat the same few statements thousands of times)."""
    found = cache.get(choices)
    if found is None:
        found = cache[choices] = _judge(choices, policy)
    return found


def _judge(choices: tuple[LicenseChoice, ...], policy: LicensePolicy) -> LicenseJudgement:
    if not choices:
        return LicenseJudgement("unknown", "", "no licence stated")
    joined = " AND ".join(
        f"({c.text})" if c.kind == "expression" and len(choices) > 1 else c.text for c in choices
    )
    value: LicenseValue = True
    for choice in choices:
        if choice.kind == "name":
            listed = choice.text in policy.deny or (
                policy.allow is not None and choice.text in policy.allow
            )
            leaf: LicenseValue = (choice.text not in policy.deny) if listed else None
        else:
            try:
                parsed = licensing().parse(choice.text, validate=False, strict=True)
            except ExpressionError as exc:
                return LicenseJudgement(
                    "invalid",
                    joined,
                    f"expected an SPDX licence expression, got {choice.text!r} ({exc})",
                )
            if parsed is None:
                return LicenseJudgement(
                    "invalid", joined, "expected an SPDX licence expression, got an empty one"
                )
            unknown = frozenset(licensing().unknown_license_keys(parsed))
            leaf = _evaluate(parsed, policy, unknown)
        value = False if False in (value, leaf) else (None if None in (value, leaf) else True)
    if value is None:
        return LicenseJudgement("unknown", joined, "not an SPDX licence the policy lists")
    return LicenseJudgement("allowed" if value else "denied", joined, "")

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

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

from provenance.evidence.sbom.model import LicenseChoice

__all__ = ["LicenseOutcome", "LicensePolicy", "PolicyLicenseError", "judge_licenses", "licensing"]

LicenseOutcome = Literal["allowed", "denied", "unknown", "invalid"]
_Value = bool | None  # three-valued: None is unknown


class PolicyLicenseError(ValueError):
    """A licence named in a policy is not a single valid SPDX licence (a policy error)."""


@functools.cache
def licensing() -> Licensing:
    return get_spdx_licensing()


def _key(symbol: Any) -> str:
    if isinstance(symbol, LicenseWithExceptionSymbol):
        return f"{symbol.license_symbol.key} WITH {symbol.exception_symbol.key}"
    return str(symbol.key)


def canonical_licence(text: str) -> str:
    """One licence (optionally `X WITH exception`) from a policy, in canonical SPDX spelling."""
    try:
        parsed = licensing().parse(text, validate=False, strict=True)
    except ExpressionError as exc:
        raise PolicyLicenseError(
            f"expected an SPDX licence identifier, got {text!r} ({exc})"
        ) from exc
    if not isinstance(parsed, LicenseSymbol | LicenseWithExceptionSymbol):
        raise PolicyLicenseError(
            f"expected one licence identifier (list alternatives as separate entries), got "
            f"the expression {text!r}"
        )
    return _key(parsed)


@dataclass(frozen=True)
class LicensePolicy:
    allow: frozenset[str] | None  # canonical keys; None: no allow list
    deny: frozenset[str]

    @classmethod
    def of(cls, allow: Iterable[str] | None, deny: Iterable[str]) -> LicensePolicy:
        return cls(
            frozenset(map(canonical_licence, allow)) if allow is not None else None,
            frozenset(map(canonical_licence, deny)),
        )

    def leaf(self, symbol: Any, unknown_keys: frozenset[str]) -> _Value:
        key = _key(symbol)
        base = symbol.license_symbol.key if isinstance(symbol, LicenseWithExceptionSymbol) else key
        names = {key, base}
        if names & self.deny:
            return False
        if self.allow is not None and names & self.allow:
            return True
        if base in unknown_keys:  # not an SPDX licence (LicenseRef-* included), not listed
            return None
        return self.allow is None


def _evaluate(node: Any, policy: LicensePolicy, unknown: frozenset[str]) -> _Value:
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
    value: _Value = True
    for choice in choices:
        if choice.kind == "name":
            listed = choice.text in policy.deny or (
                policy.allow is not None and choice.text in policy.allow
            )
            leaf: _Value = (choice.text not in policy.deny) if listed else None
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

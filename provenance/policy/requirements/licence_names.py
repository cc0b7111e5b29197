"""Licence names in a policy: each one SPDX licence (optionally `X WITH exception`), in
canonical spelling, checked when the policy loads.

license-expression loads the SPDX licence index (~0.1 s): import this module only for a
policy that names licences. Judging an SBOM's licence expressions against them:
`provenance.decision.sbom.licenses`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from license_expression import (
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

__all__ = ["LicensePolicy", "LicenseValue", "PolicyLicenseError", "canonical_licence", "licensing"]

LicenseValue = bool | None  # three-valued: None is unknown


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

    def leaf(self, symbol: Any, unknown_keys: frozenset[str]) -> LicenseValue:
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

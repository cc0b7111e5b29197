"""`signed_by`: which vendors must have signed; k of n distinct vendors.

signed_by: [acme-automation, integrator]            # any one of them
signed_by: {vendors: [acme-automation, integrator], count: 2}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provenance.decision.context import DecisionContext
from provenance.decision.requirements.evidence import signature_evidence
from provenance.decision.rules import Finding

__all__ = ["SignedBy", "compile_rule"]


@dataclass(frozen=True)
class SignedBy:
    vendors: tuple[str, ...]
    count: int
    name: str = "signed_by"

    def evaluate(self, context: DecisionContext) -> Finding:
        facts = [fact for fact in context.signatures if fact.vendor in self.vendors]
        signed = sorted({fact.vendor for fact in facts if fact.vendor})
        evidence = {"signatures": [signature_evidence(fact) for fact in facts]}
        if len(signed) >= self.count:
            return Finding(self.name, True, f"signed by {', '.join(signed)}", evidence)
        return Finding(
            self.name,
            False,
            f"expected signatures by {self._wanted()}, got "
            + (f"only {', '.join(signed)}" if signed else "none of them"),
            evidence,
        )

    def _wanted(self) -> str:
        if len(self.vendors) == 1:
            return self.vendors[0]
        if self.count == 1:
            return "one of " + ", ".join(self.vendors)
        return f"{self.count} of " + ", ".join(self.vendors)

    def describe(self) -> str:
        return f"signed by {self._wanted()}"


def compile_rule(spec: Any, requirements: Mapping[str, Any]) -> SignedBy:
    if isinstance(spec, list):
        return SignedBy(vendors=tuple(spec), count=1)
    return SignedBy(vendors=tuple(spec["vendors"]), count=int(spec.get("count", 1)))

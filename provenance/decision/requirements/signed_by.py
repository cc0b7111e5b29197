"""`signed_by` (`provenance.policy.requirements.signed_by`): signatures by `count` distinct
vendors of the list."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.requirements.finding_evidence import signature_evidence
from provenance.decision.rules import Finding
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.signed_by import SignedBySpec

__all__ = ["RULE", "SignedBy"]


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


def _compile(spec: SignedBySpec, requirements: Requirements) -> SignedBy:
    return SignedBy(spec.vendors, spec.count)


RULE = RuleKind(SignedBySpec, _compile)

"""`attestations` (`provenance.policy.requirements.attestations`): predicate types that must
be present, verified, about this artifact.

For predicate types this tool does not interpret (a factory acceptance test report, a
vendor's own claims): the attestation must exist and verify, signed by a vendor in `from`
(default: those `signed_by` requires, else any vendor of the policy).
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.attestations import AttestationsSpec

__all__ = ["RULE", "RequiredAttestations"]


@dataclass(frozen=True)
class RequiredAttestations:
    types: tuple[str, ...]
    vendors: tuple[str, ...] | None
    name: str = "attestations"

    def evaluate(self, context: DecisionContext) -> Finding:
        present: dict[str, list[str]] = {}
        for fact in context.attestations:
            vendor = fact.signature.vendor
            if vendor is not None and (self.vendors is None or vendor in self.vendors):
                present.setdefault(fact.predicate_type, []).append(fact.signature.bundle)
        missing = [kind for kind in self.types if kind not in present]
        evidence = {"found": {kind: present[kind] for kind in self.types if kind in present}}
        if missing:
            by = f" signed by {', '.join(self.vendors)}" if self.vendors else ""
            return Finding(
                self.name,
                False,
                f"expected verified attestations{by} of type {', '.join(missing)}, got none",
                evidence,
            )
        return Finding(self.name, True, f"verified: {', '.join(self.types)}", evidence)

    def describe(self) -> str:
        by = f" signed by {', '.join(self.vendors)}" if self.vendors else ""
        return f"verified attestations{by} of type {', '.join(self.types)}"


def _compile(spec: AttestationsSpec, requirements: Requirements) -> RequiredAttestations:
    return RequiredAttestations(spec.types, requirements.vendors_counted(spec.vendors))


RULE = RuleKind(AttestationsSpec, _compile)

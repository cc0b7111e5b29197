"""`evidence` (`provenance.policy.requirements.evidence`): the weakest evidence a segment
accepts, as `provenance.decision.evidence_strength` measures it.

Only the evidence of the vendors in `from` (default: those `signed_by` requires, else any
vendor of the policy) counts: another vendor's stronger signature does not lift a required
vendor's checksum list. `published-hash` is the one minimum that widens the always-required
vendor signature: only then may an operator-copied hash stand in for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.evidence import EvidenceSpec
from provenance.scales import Strength, rank

__all__ = ["RULE", "MinimumEvidence"]


@dataclass(frozen=True)
class MinimumEvidence:
    minimum: Strength
    vendors: tuple[str, ...] | None = None
    name: str = "evidence"

    def evaluate(self, context: DecisionContext) -> Finding:
        got = context.evidence_strength_by(self.vendors)
        evidence = {"strength": got, "minimum": self.minimum, "vendors": self.vendors}
        if rank(got) < rank(self.minimum):
            return Finding(
                self.name, False, f"expected {self.minimum} or stronger, got {got}", evidence
            )
        return Finding(self.name, True, f"{got} (at least {self.minimum})", evidence)

    def describe(self) -> str:
        by = f" by {', '.join(self.vendors)}" if self.vendors else ""
        return f"evidence{by} of strength {self.minimum} or stronger"


def _compile(spec: EvidenceSpec, requirements: Requirements) -> MinimumEvidence:
    return MinimumEvidence(spec.minimum, requirements.vendors_counted(spec.vendors))


RULE = RuleKind(EvidenceSpec, _compile)

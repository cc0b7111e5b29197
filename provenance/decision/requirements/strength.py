"""`evidence`: the weakest evidence a segment accepts, on the scale `provenance.scales.STRENGTHS`
(as `provenance.decision.evidence_strength` measures it).

    evidence: {minimum: signed-identity, from: [acme-automation]}

Only the evidence of the vendors in `from` (default: those `signed_by` requires, else any
vendor of the policy) counts: another vendor's stronger signature does not lift a required
vendor's checksum list. `published-hash` is the one minimum that widens the always-required
vendor signature: only then may an operator-copied hash stand in for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import signed_by
from provenance.decision.rules import Finding
from provenance.scales import Strength, rank

__all__ = ["MinimumEvidence", "compile_rule"]


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


def compile_rule(spec: Any, requirements: Mapping[str, Any]) -> MinimumEvidence:
    vendors = spec.get("from")
    if vendors is None and "signed_by" in requirements:
        vendors = signed_by.compile_rule(requirements["signed_by"], requirements).vendors
    # The schema's enum is the scale's names, so the value is one of them.
    return MinimumEvidence(
        cast(Strength, spec["minimum"]), tuple(vendors) if vendors is not None else None
    )

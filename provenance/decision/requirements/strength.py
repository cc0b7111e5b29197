"""`evidence`: the weakest evidence a segment accepts, on the scale of
`provenance.decision.evidence_strength`.

    evidence: {minimum: signed-identity}

`published-hash` is the one minimum that widens the always-required vendor signature: only
then may an operator-copied hash stand in for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from provenance.decision.context import DecisionContext
from provenance.decision.evidence_strength import Strength, rank
from provenance.decision.rules import Finding

__all__ = ["MinimumEvidence", "compile_rule"]


@dataclass(frozen=True)
class MinimumEvidence:
    minimum: Strength
    name: str = "evidence"

    def evaluate(self, context: DecisionContext) -> Finding:
        got = context.evidence_strength
        evidence = {"strength": got, "minimum": self.minimum}
        if rank(got) < rank(self.minimum):
            return Finding(
                self.name, False, f"expected {self.minimum} or stronger, got {got}", evidence
            )
        return Finding(self.name, True, f"{got} (at least {self.minimum})", evidence)

    def describe(self) -> str:
        return f"evidence of strength {self.minimum} or stronger"


def compile_rule(spec: Any, requirements: Mapping[str, Any]) -> MinimumEvidence:
    # The schema's enum is the scale's names, so the value is one of them.
    return MinimumEvidence(cast(Strength, spec["minimum"]))

"""`approvals` (`provenance.policy.requirements.approvals`): the two-person rule. N distinct
members of a site group signed an approval of this exact digest for this segment
(`provenance approve`)."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.requirements.finding_evidence import approval_evidence
from provenance.decision.rules import Finding
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.approvals import ApprovalsSpec

__all__ = ["RULE", "Approvals"]


@dataclass(frozen=True)
class Approvals:
    count: int
    group: str
    name: str = "approvals"

    def evaluate(self, context: DecisionContext) -> Finding:
        facts = [
            fact
            for fact in context.approvals
            if fact.group == self.group and fact.segment == context.segment
        ]
        members = sorted({fact.member for fact in facts})
        evidence = {"approvals": [approval_evidence(fact) for fact in facts]}
        if len(members) >= self.count:
            return Finding(
                self.name, True, f"approved by {', '.join(members)} ({self.group})", evidence
            )
        got = f"{len(members)} ({', '.join(members)})" if members else "none"
        return Finding(
            self.name,
            False,
            f"expected {self.count} approvals from {self.group} for {context.segment}, got {got}",
            evidence,
        )

    def describe(self) -> str:
        return f"approved by {self.count} distinct members of {self.group}"


def _compile(spec: ApprovalsSpec, requirements: Requirements) -> Approvals:
    return Approvals(spec.count, spec.group)


RULE = RuleKind(ApprovalsSpec, _compile)

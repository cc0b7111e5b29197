"""Compile a segment's effective requirements into rules, and decide. Default deny: every
segment starts with the vendor-signature rule, and a failed or missing rule denies."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import VendorSignature, compile_requirements
from provenance.decision.rules import AllOf, Finding, Rule
from provenance.policy import Policy
from provenance.policy.requirements.evidence import EvidenceSpec

__all__ = ["Decision", "compile_segment", "decide"]


@dataclass(frozen=True)
class Decision:
    segment: str
    finding: Finding

    @property
    def allowed(self) -> bool:
        return self.finding.passed

    @property
    def failures(self) -> list[Finding]:
        return self.finding.failures()

    @property
    def reason(self) -> str:
        """One line: each failed requirement and why."""
        return "; ".join(f"{f.rule}: {f.reason}" for f in self.failures)


def compile_segment(policy: Policy, segment: str) -> AllOf:
    effective = policy.effective_requirements(segment)
    evidence = effective.find(EvidenceSpec)
    minimum = evidence.minimum if evidence is not None else None
    rules: list[Rule] = [VendorSignature(accept_published_hash=minimum == "published-hash")]
    rules += compile_requirements(effective)
    return AllOf(f"segment {segment}", rules)


def decide(policy: Policy, context: DecisionContext) -> Decision:
    return Decision(context.segment, compile_segment(policy, context.segment).evaluate(context))

"""Compile a segment's effective requirements into rules, and decide. Default deny: every
segment starts with the vendor-signature rule, and a failed or missing rule denies."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import COMPILERS, VendorSignature
from provenance.decision.rules import AllOf, Finding, Rule
from provenance.errors import PolicyError
from provenance.policy import Policy

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
    unsupported = sorted(set(effective) - set(COMPILERS))
    if unsupported:
        # The schema and COMPILERS are meant to list the same kinds; refuse rather than skip.
        raise PolicyError(
            policy.path, None, None, f"requirement kinds not supported: {', '.join(unsupported)}"
        )
    minimum = effective.get("evidence", {}).get("minimum")
    rules: list[Rule] = [VendorSignature(accept_published_hash=minimum == "published-hash")]
    rules += [
        compile_rule(effective[kind], effective)
        for kind, compile_rule in COMPILERS.items()
        if kind in effective
    ]
    return AllOf(f"segment {segment}", rules)


def decide(policy: Policy, context: DecisionContext) -> Decision:
    return Decision(context.segment, compile_segment(policy, context.segment).evaluate(context))

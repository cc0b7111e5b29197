"""`provenance policy explain POLICY --segment S`: the effective requirements, in words.

The sentences are those of the rules the gate compiles for the segment (`compile_segment`),
in the order it evaluates them: what is explained is what is enforced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provenance.decision.segment import compile_segment
from provenance.policy import load_policy

__all__ = ["ExplainedRequirement", "explain_segment"]


@dataclass(frozen=True)
class ExplainedRequirement:
    kind: str
    words: str
    origin: str  # the segment the entry comes from ("" for the built-in baseline)
    where: str  # file:line:column of the entry, when known


def explain_segment(policy_path: Path, segment: str) -> list[ExplainedRequirement]:
    """Every rule an artifact must pass to enter SEGMENT, in evaluation order."""
    policy = load_policy(policy_path)
    effective = policy.effective_requirements(segment)
    explained = []
    for rule in compile_segment(policy, segment).rules:
        origin = where = ""
        if rule.name in effective:  # else the built-in baseline every segment starts with
            origin = policy.requirement_origin(segment, rule.name)
            mark = policy.requirement_position(origin, rule.name)
            where = f"{policy.path}:{mark.line}:{mark.column}" if mark else policy.path
        explained.append(ExplainedRequirement(rule.name, rule.describe(), origin, where))
    return explained

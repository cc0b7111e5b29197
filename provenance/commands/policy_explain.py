"""`provenance policy explain POLICY --segment S`: the effective requirements, in words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provenance.decision.requirements import COMPILERS, VendorSignature
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
    explained = [ExplainedRequirement("vendor_signature", VendorSignature().describe(), "", "")]
    for kind, compile_rule in COMPILERS.items():
        if kind not in effective:
            continue
        origin = policy.requirement_origin(segment, kind)
        mark = policy.requirement_position(origin, kind)
        where = f"{policy.path}:{mark.line}:{mark.column}" if mark else policy.path
        explained.append(
            ExplainedRequirement(
                kind, compile_rule(effective[kind], effective).describe(), origin, where
            )
        )
    return explained

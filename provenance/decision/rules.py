"""Rules and findings: the one protocol every requirement kind implements.

A rule looks only at verified facts (the `DecisionContext`) and yields a `Finding`: passed or
not, a reason in the form "expected X, got Y" (or what held), and the evidence it used.
Composites evaluate every child, never short-circuit, so a report shows every reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from provenance.decision.context import DecisionContext

__all__ = ["AllOf", "AnyOf", "Finding", "Rule"]


@dataclass(frozen=True)
class Finding:
    rule: str
    passed: bool
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Finding, ...] = ()

    def failures(self) -> list[Finding]:
        """The failed leaves under this finding (itself, if it has no children)."""
        if self.passed:
            return []
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.failures()]


class Rule(Protocol):
    """A compiled requirement."""

    @property
    def name(self) -> str: ...

    def evaluate(self, context: DecisionContext) -> Finding: ...

    def describe(self) -> str:
        """The requirement in plain words, for `policy explain`."""
        ...


@dataclass(frozen=True)
class AllOf:
    """Passes when every child passes; all children are evaluated."""

    name: str
    rules: Sequence[Rule]

    def evaluate(self, context: DecisionContext) -> Finding:
        children = tuple(rule.evaluate(context) for rule in self.rules)
        failed = [child for child in children if not child.passed]
        if not children:
            return Finding(self.name, False, "expected at least one rule, got none: default deny")
        reason = (
            f"all {len(children)} requirements met"
            if not failed
            else "; ".join(f"{child.rule}: {child.reason}" for child in failed)
        )
        return Finding(self.name, not failed, reason, children=children)

    def describe(self) -> str:
        return "all of: " + "; ".join(rule.describe() for rule in self.rules)


@dataclass(frozen=True)
class AnyOf:
    """Passes when one child passes; every child's reason is kept."""

    name: str
    rules: Sequence[Rule]

    def evaluate(self, context: DecisionContext) -> Finding:
        children = tuple(rule.evaluate(context) for rule in self.rules)
        passed = [child for child in children if child.passed]
        if passed:
            reason = f"met by {passed[0].rule}: {passed[0].reason}"
        else:
            reason = "none met: " + "; ".join(f"{c.rule}: {c.reason}" for c in children)
        return Finding(self.name, bool(passed), reason, children=children)

    def describe(self) -> str:
        return "any of: " + "; ".join(rule.describe() for rule in self.rules)

"""`rollback: deny` (`provenance.policy.requirements.rollback`): never admit a version older
than the newest one of the same product already admitted to the segment."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.requirements.version import parse_version
from provenance.decision.rules import Finding
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.rollback import RollbackSpec

__all__ = ["RULE", "RollbackDenied"]


def _ordering_key(text: str) -> Version:
    # Versions in the ledger were valid when admitted; an unparsable one sorts lowest.
    return parse_version(text) or Version("0")


@dataclass(frozen=True)
class RollbackDenied:
    name: str = "rollback"

    def evaluate(self, context: DecisionContext) -> Finding:
        comparable = _comparable(context)
        if isinstance(comparable, str):
            return Finding(self.name, False, comparable)
        product, this = comparable
        # Per product: a file of another product, even of the same vendor, is no downgrade.
        newest = context.history.newest_version(product, context.segment, _ordering_key)
        evidence = {"product": product, "version": str(this), "newest_admitted": newest}
        if newest is None:
            return Finding(
                self.name, True, f"first admission of {product} to this segment", evidence
            )
        if this < _ordering_key(newest):
            return Finding(
                self.name,
                False,
                f"expected version {newest} or newer (newest {product} admitted to "
                f"{context.segment}), got {this}",
                evidence,
            )
        return Finding(self.name, True, f"{this} is not older than {newest}", evidence)

    def describe(self) -> str:
        return "no version older than the newest one admitted (rollback denied)"


def _comparable(context: DecisionContext) -> tuple[str, Version] | str:
    """The product and version to compare, or why there is nothing to compare."""
    if context.identification_problem:
        return context.identification_problem
    if context.product is None:
        return "expected an identified product to compare with earlier admissions, got none"
    if context.version is None:
        return (
            f"expected a version of {context.product.name} to compare with earlier admissions, "
            "got none stated by its vendor about this file, nor --version"
        )
    parsed = parse_version(context.version.value)
    if parsed is None:
        return f"expected a PEP 440 version, got {context.version.value!r}"
    return context.product.purl, parsed


def _compile(spec: RollbackSpec, requirements: Requirements) -> RollbackDenied:
    return RollbackDenied()


RULE = RuleKind(RollbackSpec, _compile)

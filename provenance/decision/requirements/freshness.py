"""`freshness` (`provenance.policy.requirements.freshness`): how old the newest signature of
the product's vendor over this file may be, and the earliest date accepted.

Age is measured from the verified signing time (log or TSA), never from a file date, and only
from the vendor vouching for the release itself (DESIGN.md, rule 1): signatures over this
digest alone by the vendor of the identified product, over the file itself or over build
provenance or a verification summary whose only subject it is. A checksum list signed today
that lists an old image, a statement about several files, another vendor's fresh
co-signature, or a later statement *about* the release (an SBOM, a VEX saying it is affected)
does not make an old release look current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.evidence.slsa import PROVENANCE_TYPES, VSA_TYPES
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.freshness import FreshnessSpec

__all__ = ["RULE", "Freshness"]


# Statements made when the release is built or verified, not later about it.
_RELEASE_STATEMENTS = frozenset((*PROVENANCE_TYPES, *VSA_TYPES))


@dataclass(frozen=True)
class Freshness:
    max_age: timedelta | None
    not_before: date | None
    name: str = "freshness"

    def evaluate(self, context: DecisionContext) -> Finding:
        product = context.product
        if product is None:
            return Finding(
                self.name,
                False,
                context.identification_problem or "expected an identified product, got none",
            )
        times = [
            fact.signed_at
            for fact in context.signatures
            if fact.vendor == product.vendor
            and fact.about_this_digest_only
            and (fact.content != "dsse" or fact.predicate_type in _RELEASE_STATEMENTS)
            and fact.signed_at is not None  # a key signature without a log has no time
        ]
        if not times:
            return Finding(
                self.name,
                False,
                f"expected a verified signing time of a signature by {product.vendor} over this "
                "file, got none",
            )
        newest = max(times)
        evidence = {"newest_signature": newest.isoformat(), "now": context.now.isoformat()}
        age = context.now - newest
        if self.max_age is not None and age > self.max_age:
            return Finding(
                self.name,
                False,
                f"expected a signature at most {self.max_age.days} days old, got one "
                f"{age.days} days old (signed {newest.date().isoformat()})",
                evidence,
            )
        if self.not_before is not None and newest < _midnight(self.not_before):
            return Finding(
                self.name,
                False,
                f"expected a signature on or after {self.not_before.isoformat()}, got "
                f"{newest.date().isoformat()}",
                evidence,
            )
        return Finding(
            self.name,
            True,
            f"newest signature {newest.date().isoformat()}, {age.days} days old",
            evidence,
        )

    def describe(self) -> str:
        parts = []
        if self.max_age is not None:
            parts.append(f"at most {self.max_age.days} days old")
        if self.not_before is not None:
            parts.append(f"made on or after {self.not_before.isoformat()}")
        return "the newest signature by the product's vendor over this file " + " and ".join(parts)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _compile(spec: FreshnessSpec, requirements: Requirements) -> Freshness:
    return Freshness(
        max_age=timedelta(days=spec.max_age_days) if spec.max_age_days is not None else None,
        not_before=spec.not_before.date if spec.not_before is not None else None,
    )


RULE = RuleKind(FreshnessSpec, _compile)

"""`freshness`: how old the newest vendor signature may be, and the earliest date accepted.

    freshness: {max_age_days: 365, not_before: "2025-01-01"}

Age is measured from the verified signing time (log or TSA), never from a file date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import signed_by
from provenance.decision.rules import Finding

__all__ = ["Freshness", "compile_rule"]


@dataclass(frozen=True)
class Freshness:
    max_age: timedelta | None
    not_before: date | None
    # The vendors whose signatures count: those `signed_by` requires, so that a fresh
    # signature by another vendor cannot make a stale release look current. None: any vendor.
    vendors: tuple[str, ...] | None = None
    name: str = "freshness"

    def evaluate(self, context: DecisionContext) -> Finding:
        times = [
            fact.signed_at
            for fact in context.signatures
            if fact.vendor is not None
            and (self.vendors is None or fact.vendor in self.vendors)
            and fact.signed_at is not None  # a key signature without a log has no time
        ]
        if not times:
            by = f" by {', '.join(self.vendors)}" if self.vendors else ""
            return Finding(self.name, False, f"expected a verified signing time{by}, got none")
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
        whose = f"signature by {', '.join(self.vendors)}" if self.vendors else "vendor signature"
        return f"the newest {whose} " + " and ".join(parts)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def compile_rule(spec: Any, requirements: Mapping[str, Any]) -> Freshness:
    max_age = spec.get("max_age_days")
    not_before = spec.get("not_before")
    required = requirements.get("signed_by")
    return Freshness(
        max_age=timedelta(days=int(max_age)) if max_age is not None else None,
        not_before=date.fromisoformat(not_before) if not_before is not None else None,
        vendors=signed_by.compile_rule(required, requirements).vendors if required else None,
    )

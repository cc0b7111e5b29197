"""Closed validity intervals, as Sigstore `TimeRange` and X.509 validity define them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Validity"]


@dataclass(frozen=True)
class Validity:
    """A closed time interval: both ends inclusive; `end` None means open-ended."""

    start: datetime
    end: datetime | None

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment <= self.end)

    def __str__(self) -> str:
        end = self.end.isoformat() if self.end else "open"
        return f"[{self.start.isoformat()}, {end}]"

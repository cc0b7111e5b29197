"""Timestamps as stored: UTC, fixed width, so text order is time order (SQL `>=` works)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_time", "parse_time"]

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(moment: datetime) -> str:
    """`2026-03-02T09:30:00.000000Z`. Naive datetimes are refused: their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_time(text: str) -> datetime:
    """The inverse of `format_time`; raises `ValueError` for any other shape."""
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)

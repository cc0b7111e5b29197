"""Strict readers for fields of advisory JSON (KEV, CSAF) that the importer stored.

The documents were checked for shape at import, but interpretation trusts nothing: every field
read here is type-checked, and a wrong one raises `EvidenceError` naming its JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from provenance.errors import EvidenceError

__all__ = [
    "Fields",
    "advisory_error",
    "show",
]

# How much of an unexpected value a message quotes.
_QUOTE_CHARS = 60
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def show(value: Any) -> str:
    """A short, one-line rendering of an unexpected value for a message."""
    text = repr(value)
    if len(text) > _QUOTE_CHARS:
        text = text[: _QUOTE_CHARS - 3] + "..."
    return text.replace("\n", " ")


def advisory_error(source: str, where: str, problem: str, *, check: str) -> EvidenceError:
    located = f"{source}: {where}" if where else source
    return EvidenceError(f"{located}: {problem}", check=check)


class Fields:
    """Typed access to one JSON object, with its path for messages."""

    def __init__(self, value: Any, where: str, source: str, check: str) -> None:
        self.where = where
        self.source = source
        self.check = check
        if not isinstance(value, Mapping):
            raise self.error(where, f"expected an object, got {type(value).__name__}")
        self.value: Mapping[str, Any] = value

    def error(self, where: str, problem: str) -> EvidenceError:
        return advisory_error(self.source, where, problem, check=self.check)

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return key in self.value

    def child(self, key: str) -> Fields:
        return Fields(self.required(key), self.path(key), self.source, self.check)

    def optional_child(self, key: str) -> Fields | None:
        if key not in self.value:
            return None
        return self.child(key)

    def required(self, key: str) -> Any:
        if key not in self.value:
            raise self.error(self.path(key), "expected a value, got none (field missing)")
        return self.value[key]

    def string(self, key: str) -> str:
        value = self.required(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(self.path(key), f"expected a non-empty string, got {show(value)}")
        return value

    def optional_string(self, key: str) -> str | None:
        if key not in self.value:
            return None
        return self.string(key)

    def number(self, key: str) -> float:
        value = self.required(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(self.path(key), f"expected a number, got {show(value)}")
        return float(value)

    def iso_date(self, key: str) -> date:
        text = self.string(key)
        problem = self.error(self.path(key), f"expected a date YYYY-MM-DD, got {show(text)}")
        if not _DATE.fullmatch(text):
            raise problem
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise problem from None

    def date_time(self, key: str) -> datetime:
        text = self.string(key)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.error(
                self.path(key), f"expected an RFC 3339 date-time, got {show(text)}"
            ) from None
        if moment.tzinfo is None:
            raise self.error(self.path(key), f"expected a time zone, got {show(text)}")
        return moment

    def array(self, key: str, *, limit: int, required: bool = True) -> list[Any]:
        if key not in self.value and not required:
            return []
        value = self.required(key)
        if not isinstance(value, list):
            raise self.error(self.path(key), f"expected a list, got {type(value).__name__}")
        if len(value) > limit:
            raise self.error(self.path(key), f"expected at most {limit} items, got {len(value)}")
        return value

    def objects(self, key: str, *, limit: int, required: bool = True) -> list[Fields]:
        """The list at `key`, each item an object read with its own path (`key[i]`)."""
        items = self.array(key, limit=limit, required=required)
        path = self.path(key)
        return [
            Fields(item, f"{path}[{index}]", self.source, self.check)
            for index, item in enumerate(items)
        ]

    def strings(self, key: str, *, limit: int) -> tuple[str, ...]:
        """An optional list of non-empty strings (absent: empty)."""
        items = self.array(key, limit=limit, required=False)
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.error(
                    f"{self.path(key)}[{index}]", f"expected a non-empty string, got {show(item)}"
                )
        return tuple(items)

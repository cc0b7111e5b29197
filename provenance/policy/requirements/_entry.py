"""One requirement entry as a policy file writes it, read once into typed values.

Entries are read even where they failed the schema (`provenance policy lint` reports every
problem, not only the first), so every reader takes a value of the wrong shape as absent: the
schema has reported it, a policy with it never loads, and lint compares no setting whose value
fails the schema.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol, TypeVar

from provenance.policy._yaml import JsonPath

__all__ = ["CheckContext", "Entry", "one_of"]

T = TypeVar("T")


class CheckContext(Protocol):
    """What a kind may know about the rest of the policy, and where it reports."""

    @property
    def vendors(self) -> Collection[str] | None:
        """The vendor names; None if `vendors` is not a mapping (nothing to check against)."""

    @property
    def groups(self) -> Mapping[str, int] | None:
        """Group name -> number of members; None if `groups` is not a mapping."""

    @property
    def products(self) -> Collection[str] | None:
        """The product names (either form of `products`); None if `vendors` is malformed."""

    def error(self, path: JsonPath, problem: str) -> None:
        """A problem that stops the policy from loading."""

    def warn(self, path: JsonPath, problem: str) -> None:
        """A problem `provenance policy lint` reports, which does not stop it loading."""


def one_of(known: Collection[str], what: str = "vendors") -> str:
    if not known:
        return f"the policy defines no {what}"
    return f"expected one of: {', '.join(sorted(known))}"


class Entry:
    """The entry at `at` (`segments.S.require.KIND`): its value, and the policy around it."""

    def __init__(self, context: CheckContext, at: JsonPath, value: Any) -> None:
        self.context = context
        self.at = at
        self.value = value

    def error(self, below: JsonPath, problem: str) -> None:
        self.context.error((*self.at, *below), problem)

    def warn(self, below: JsonPath, problem: str) -> None:
        self.context.warn((*self.at, *below), problem)

    def get(self, key: str) -> Any:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def below(self, key: str) -> Entry:
        """The mapping at `key`, as an entry of its own."""
        return Entry(self.context, (*self.at, key), self.get(key))

    def int(self, key: str) -> int | None:
        value = self.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def number(self, key: str) -> float | None:
        value = self.get(key)
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    def flag(self, key: str) -> bool | None:
        value = self.get(key)
        return value if isinstance(value, bool) else None

    def text(self, key: str) -> str | None:
        value = self.get(key)
        return value if isinstance(value, str) else None

    def texts(self, key: str | None) -> tuple[str, ...]:
        """The strings of the list at `key` (None: the entry itself is the list)."""
        value = self.value if key is None else self.get(key)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    def choice(self, key: str, choices: tuple[T, ...], default: T) -> T:
        """One of `choices` (a `Literal`'s values, so the result keeps its type)."""
        value = self.get(key)
        return next((c for c in choices if c == value), default)

    def vendors(self, key: str | None) -> tuple[str, ...] | None:
        """The vendor names listed at `key` (None: the entry itself is the list), each one the
        policy does not declare reported; None if the entry lists none there."""
        value = self.value if key is None else self.get(key)
        if not isinstance(value, list):
            return None
        at: JsonPath = () if key is None else (key,)
        known = self.context.vendors
        for index, name in enumerate(value):
            if known is not None and isinstance(name, str) and name not in known:
                self.error((*at, index), f"unknown vendor {name!r} ({one_of(known)})")
        return self.texts(key)

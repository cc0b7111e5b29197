"""Identity patterns: exact, glob or anchored regular expression, never a substring search.

A certificate identity decides who may put software on a controller, so a pattern that
matches more than its author meant is a vulnerability. Therefore:

- `exact`: string equality.
- `glob`: only `*` (any run of characters except `/`) and `**` (any run, `/` included) are
  special; everything else, `?` and `[` included, is literal.
- `regex`: Python `re.fullmatch`, anchored at both ends whatever the author wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Pattern", "PatternKind"]

PatternKind = Literal["exact", "glob", "regex"]


def _glob_to_regex(glob: str) -> str:
    parts: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            parts.append(".*")
            i += 2
        elif glob[i] == "*":
            parts.append("[^/]*")
            i += 1
        else:
            parts.append(re.escape(glob[i]))
            i += 1
    return "".join(parts)


@dataclass(frozen=True)
class Pattern:
    """A compiled identity or issuer pattern."""

    kind: PatternKind
    text: str
    _compiled: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def exact(cls, text: str) -> Pattern:
        return cls("exact", text)

    @classmethod
    def glob(cls, text: str) -> Pattern:
        """A glob; a text without `*` is an exact pattern."""
        if "*" not in text:
            return cls("exact", text)
        return cls("glob", text, re.compile(_glob_to_regex(text), re.DOTALL))

    @classmethod
    def regex(cls, text: str) -> Pattern:
        """A regular expression; raises `re.error` if it does not compile."""
        return cls("regex", text, re.compile(text))

    def matches(self, value: str) -> bool:
        if self._compiled is None:
            return value == self.text
        return self._compiled.fullmatch(value) is not None

    def __str__(self) -> str:
        if self.kind == "exact":
            return repr(self.text)
        return f"{self.kind} {self.text!r}"

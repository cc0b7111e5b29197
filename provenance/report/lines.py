"""One-line output: every verdict and error line a command prints goes through `one_line`.

Names come from vendors (archive members, file names) and reasons quote them, so a line could
otherwise carry a newline and forge a second verdict (`...\\nOK: evil.bin`), a carriage return
or ANSI escape that rewrites what the terminal shows, or bidirectional controls that display
a name backwards (CVE-2021-42574, "Trojan Source"). Each such character is written as a visible
escape instead: `\\n`, `\\r`, `\\t`, `\\x1b`, `\\u202e`, ...:

- every control character (Unicode category Cc: C0, DEL, C1);
- every format character (Cf: bidi embeddings, overrides and isolates, zero-width joiners
  and spaces, the BOM, ...);
- line and paragraph separators (Zl, Zp), which some terminals and editors break lines at.

Ordinary spaces are kept; nothing else is changed.
"""

from __future__ import annotations

import unicodedata

__all__ = ["one_line", "verdict"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _escaped(character: str) -> str:
    if character in _NAMED:
        return _NAMED[character]
    if unicodedata.category(character) not in _ESCAPED_CATEGORIES:
        return character
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` on one line, every control, format and line-breaking character escaped."""
    if text.isprintable():  # the common case: nothing to escape (printable excludes them all)
        return text
    return "".join(_escaped(character) for character in text)


def verdict(status: str, subject: str, reason: str | None = None) -> str:
    """`STATUS: subject` or `STATUS: subject: reason`, as one line (see the module docstring)."""
    line = f"{status}: {one_line(subject)}"
    return line if reason is None else f"{line}: {one_line(reason)}"

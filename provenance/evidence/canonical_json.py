"""OLPC canonical JSON, as securesystemslib's `encode_canonical` writes it.

Classic in-toto metablocks and securesystemslib key IDs are signed or hashed over this form:
object keys sorted by code point, no insignificant whitespace, strings with only `\\` and `"`
escaped (every other character, control characters included, is written as is, UTF-8),
integers only (no floats), and `true`, `false`, `null`.

It differs from RFC 8785 (which Rekor uses): RFC 8785 escapes control characters and allows
floats, so the two are not interchangeable.
"""

from __future__ import annotations

__all__ = ["NotCanonicalizable", "encode_canonical"]


class NotCanonicalizable(ValueError):
    """A value OLPC canonical JSON cannot express (a float, a non-string key, a lone surrogate)."""


def _string(text: str, out: list[str]) -> None:
    out.append('"')
    out.append(text.replace("\\", "\\\\").replace('"', '\\"'))
    out.append('"')


_LITERALS: dict[object, str] = {True: "true", False: "false", None: "null"}


def _encode(value: object, out: list[str]) -> None:
    # `is` before isinstance: True is an int in Python, but JSON spells it `true`.
    if value is True or value is False or value is None:
        out.append(_LITERALS[value])
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, str):
        _string(value, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict):
        _object(value, out)
    else:
        raise NotCanonicalizable(f"cannot encode {type(value).__name__} in canonical JSON")


def _object(value: dict[object, object], out: list[str]) -> None:
    if not all(isinstance(key, str) for key in value):
        raise NotCanonicalizable("expected string object keys")
    out.append("{")
    for index, key in enumerate(sorted(value)):  # type: ignore[type-var]
        if index:
            out.append(",")
        _string(key, out)  # type: ignore[arg-type]
        out.append(":")
        _encode(value[key], out)
    out.append("}")


def encode_canonical(value: object) -> bytes:
    """The canonical JSON bytes (UTF-8) of a value parsed from JSON.

    Raises `NotCanonicalizable` for floats and for strings that are not valid Unicode (a lone
    surrogate from a `\\ud800` escape) and for nesting deeper than the interpreter allows.
    """
    out: list[str] = []
    try:
        _encode(value, out)
    except RecursionError as exc:
        # The JSON parser accepts nesting close to the interpreter's limit; we recurse too.
        raise NotCanonicalizable("nested too deeply") from exc
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotCanonicalizable("string is not valid Unicode (lone surrogate)") from exc

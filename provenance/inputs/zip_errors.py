"""What `zipfile` raises on a hostile archive, in one place, in the project's words.

`zipfile` reports damage through many types: `BadZipFile` and `LargeZipFile`, `zlib.error`
and `EOFError` from a truncated stream, `NotImplementedError` for an unknown compression,
`RuntimeError` for an encrypted member, and `UnicodeDecodeError` when a member name flagged
UTF-8 is not (raised while the central directory is read, before any member is touched).
Callers catch `ZIP_ERRORS` around all of their reading and word it with `zip_problem`.
"""

from __future__ import annotations

import zipfile
import zlib

__all__ = ["ZIP_ERRORS", "zip_problem"]

ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
)


def zip_problem(exc: Exception) -> str:
    """One line: why the archive cannot be read."""
    if isinstance(exc, UnicodeDecodeError):
        return "a member name flagged as UTF-8 is not UTF-8"
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "an encrypted member"
    return " ".join(str(exc).split()) or type(exc).__name__

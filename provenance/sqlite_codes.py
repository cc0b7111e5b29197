"""SQLite's primary result codes (https://www.sqlite.org/rescode.html), shared by the ledger
and the vulnerability database, which each say what a failure means for their own file.
Extended codes keep the primary code in their low byte (`primary_code`)."""

from __future__ import annotations

import sqlite3

__all__ = [
    "SQLITE_BUSY",
    "SQLITE_CANTOPEN",
    "SQLITE_CORRUPT",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_LOCKED",
    "SQLITE_NOTADB",
    "SQLITE_PERM",
    "SQLITE_READONLY",
    "primary_code",
]

SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
_PRIMARY_CODE_MASK = 0xFF


def primary_code(exc: sqlite3.Error) -> int | None:
    """The primary result code of a SQLite failure; None if the driver gave none."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & _PRIMARY_CODE_MASK

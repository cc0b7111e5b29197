"""Opening SQLite files and turning SQLite's failures into `LedgerError`s that say what to do.

Only failures of the database itself are translated (busy, corrupt, not a database, read-only,
I/O); anything else, such as a misused API, is a bug and propagates unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from provenance.record.errors import LedgerError

__all__ = ["connect", "is_busy", "sqlite_errors"]

# Primary result codes (https://www.sqlite.org/rescode.html); extended codes keep these in
# their low byte.
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


def connect(path: Path, *, read_only: bool, busy_timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit); never creates the file.

    `mode=ro` opens read-only; `mode=rw` fails if the file is missing, so a mistyped path is
    never silently turned into a new, empty ledger.
    """
    mode = "ro" if read_only else "rw"
    uri = f"file:{quote(str(path.absolute()))}?mode={mode}"
    with sqlite_errors(path, "opening the ledger", busy_timeout):
        return sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)


def is_busy(exc: sqlite3.Error) -> bool:
    """True if `exc` says another connection holds a lock this one needs."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & _PRIMARY_CODE_MASK in (SQLITE_BUSY, SQLITE_LOCKED)


@contextmanager
def sqlite_errors(path: Path, doing: str, busy_timeout: float) -> Iterator[None]:
    """Translate SQLite failures raised inside the block into `LedgerError`."""
    try:
        yield
    except sqlite3.Error as exc:
        error = _translate(path, exc, doing, busy_timeout)
        if error is None:
            raise
        raise error from exc


def _translate(
    path: Path, exc: sqlite3.Error, doing: str, busy_timeout: float
) -> LedgerError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & _PRIMARY_CODE_MASK
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return LedgerError(
            f"ledger {path}: locked by another process while {doing} (waited {busy_timeout:g} "
            "s); expected it to be free: another provenance command is probably writing to it, "
            "retry when that has finished"
        )
    if primary in (SQLITE_NOTADB, SQLITE_CORRUPT):
        what = "is not a SQLite database" if primary == SQLITE_NOTADB else "is corrupted"
        return LedgerError(
            f"ledger {path}: {what} ({exc}); expected a provenance ledger. Nothing was changed: "
            "the file is left as it is for inspection; restore it from a backup or choose "
            "another state directory"
        )
    if primary in (SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN):
        return LedgerError(
            f"ledger {path}: access refused while {doing} ({exc}); expected a readable and, to "
            "admit, writable file in a writable directory"
        )
    if primary in (SQLITE_IOERR, SQLITE_FULL):
        return LedgerError(
            f"ledger {path}: input/output failure while {doing} ({exc}); nothing was "
            "committed; expected a working disk with free space"
        )
    return None

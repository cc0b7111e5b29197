"""The embedded ledger: a SQLite file, and SQLite's failures as `LedgerError`s that say what to do.

Only failures of the database itself are translated (busy, corrupt, not a database, read-only,
I/O); anything else, such as a misused API, is a bug and propagates unchanged.

Settings: WAL journal and `synchronous=FULL` (a COMMIT that returned is on disk; readers never
block the writer and never see half a transaction); writes in `BEGIN IMMEDIATE` transactions
(the write lock is taken up front); read-only connections are opened `mode=ro` with
`query_only`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from provenance.record._database import FETCH_BATCH, Cursor, Database, SchemaIdentity
from provenance.record.errors import LedgerError
from provenance.sqlite_codes import (
    SQLITE_BUSY,
    SQLITE_CANTOPEN,
    SQLITE_CORRUPT,
    SQLITE_FULL,
    SQLITE_IOERR,
    SQLITE_LOCKED,
    SQLITE_NOTADB,
    SQLITE_PERM,
    SQLITE_READONLY,
    primary_code,
)

__all__ = ["SqliteDatabase", "connect", "is_busy", "sqlite_errors"]

# Pause between attempts to switch a new ledger to WAL while another process holds it.
WAL_SWITCH_RETRY_SECONDS = 0.02


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
    return primary_code(exc) in (SQLITE_BUSY, SQLITE_LOCKED)


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
    primary = primary_code(exc)
    if primary is None:
        return None
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


class SqliteDatabase(Database):
    """A ledger file. `writable=False` opens it `mode=ro` and `query_only`."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, writable: bool, busy_timeout: float) -> None:
        self.path = path
        self.location = str(path)
        self.writable = writable
        self.busy_timeout = busy_timeout
        self._connection = connect(path, read_only=not writable, busy_timeout=busy_timeout)
        try:
            with self.errors("reading the ledger header"):
                self._connection.execute("PRAGMA trusted_schema = OFF")
                self._connection.execute("PRAGMA foreign_keys = ON")
                if not writable:
                    self._connection.execute("PRAGMA query_only = ON")
        except BaseException:
            self._connection.close()
            raise

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> Cursor:
        return self._connection.execute(query, tuple(parameters))

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        self._connection.executemany(query, rows)

    def stream(self, query: str, parameters: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        cursor = self._connection.execute(query, tuple(parameters))
        try:
            while batch := cursor.fetchmany(FETCH_BATCH):
                yield from batch
        finally:
            # A caller may abandon the iterator and close the ledger before it is collected;
            # closing the cursor of a closed connection is then moot.
            with suppress(sqlite3.ProgrammingError):
                cursor.close()

    def begin(self, *, write: bool) -> None:
        if write:
            self._connection.execute("BEGIN IMMEDIATE")
            return
        self._connection.execute("BEGIN DEFERRED")
        self._connection.execute("SELECT count(*) FROM sqlite_master")  # the snapshot, now

    def commit(self) -> None:
        try:
            self._connection.execute("COMMIT")
        except sqlite3.Error:
            self.rollback()
            raise

    def rollback(self) -> None:
        if self._connection.in_transaction:
            # The block's own exception is what matters; a failed ROLLBACK is undone by SQLite
            # when the connection closes, and must not mask it.
            with suppress(sqlite3.Error):
                self._connection.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    def errors(self, doing: str) -> AbstractContextManager[None]:
        return sqlite_errors(self.path, doing, self.busy_timeout)

    def identity(self) -> SchemaIdentity:
        return SchemaIdentity(
            version=int(self._scalar("PRAGMA user_version")),
            application_id=int(self._scalar("PRAGMA application_id")),
            objects=int(self._scalar("SELECT count(*) FROM sqlite_master")),
        )

    def set_schema_version(self, version: int) -> None:
        self._connection.execute(f"PRAGMA user_version = {int(version)}")

    def prepare_writes(self) -> None:
        with self.errors("switching the ledger to WAL mode"):
            mode = self._switch_to_wal()
            self._connection.execute("PRAGMA synchronous = FULL")
        if str(mode).lower() != "wal":
            raise LedgerError(f"ledger {self.path}: expected WAL journal mode, got {mode!r}")

    def _switch_to_wal(self) -> Any:
        """`PRAGMA journal_mode = WAL`, retried while another process holds the file.

        When two processes open a new ledger at once, one of them may still see the old
        rollback journal and ask to switch while the other already writes in WAL mode. SQLite
        then answers SQLITE_BUSY at once, without waiting through the busy timeout (waiting
        could deadlock), so this waits here, up to the same timeout.
        """
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return self._scalar("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(WAL_SWITCH_RETRY_SECONDS)

    def insert_returning_id(self, query: str, parameters: Sequence[Any]) -> int:
        row_id = self._connection.execute(query, tuple(parameters)).lastrowid
        if row_id is None:
            raise RuntimeError("SQLite returned no row id for an INSERT")
        return row_id

    def integrity_problems(self) -> list[str]:
        with self.errors("checking the ledger's integrity"):
            messages = [str(row[0]) for row in self.stream("PRAGMA integrity_check", ())]
        return [] if messages == ["ok"] else [f"ledger {self.path}: {m}" for m in messages]

    def close(self) -> None:
        self._connection.close()

    def _scalar(self, query: str) -> Any:
        row = self._connection.execute(query).fetchone()
        return None if row is None else row[0]

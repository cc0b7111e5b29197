"""The shared ledger: a PostgreSQL database several gate hosts write to (psycopg 3, no ORM).

Why these settings:
- Autocommit connection with explicit BEGIN/COMMIT, as the SQLite side, so one ledger code
  path runs on both.
- Writes take one transaction-scoped advisory lock first (`WRITE_LOCK_KEY`): every writer of
  this database (admit, kit import, migrate, clean-up) runs one after another, exactly as
  SQLite's `BEGIN IMMEDIATE` makes them, so the audit log has one head and the rollback rule
  reads the newest admission under the lock that records the next. The lock works before the
  tables exist (the first migration). The primary keys on the record number, tree position
  and checkpoint size stay the last line: a writer that skipped the lock could not fork the
  log, only fail.
- `lock_timeout` is the busy timeout: a lock held longer is "locked by another process".
- `connect_timeout` and TCP keepalives: an unreachable or vanished server is an error within
  seconds, not a hang; `idle_in_transaction_session_timeout` releases the lock of a gate host
  that stopped mid-transaction (its transaction rolls back).
- Reads that stream (the whole log for `audit verify`) use server-side cursors, a batch at a
  time, inside the snapshot transaction (`REPEATABLE READ READ ONLY`).

A lost connection is never a half-admission: PostgreSQL commits the transaction whole or not
at all. Lost during COMMIT, the outcome is unknown to the client, and the message says so.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from provenance.record._database import FETCH_BATCH, Cursor, Database, SchemaIdentity
from provenance.record.errors import LedgerError

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "SCHEMES",
    "PostgresDatabase",
    "PostgresLocation",
]

SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_SECONDS = 10
# Seconds a transaction may sit idle (a gate host stopped mid-admit) before the server ends it.
IDLE_IN_TRANSACTION_SECONDS = 300
# libpq keepalive settings, unless the URI sets them: a dead peer is noticed in about 25 s.
_KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
}
# One 63-bit key for the advisory lock every writer of a ledger database takes first.
WRITE_LOCK_KEY = int.from_bytes(hashlib.sha256(b"ot-provenance/ledger-write").digest()[:8]) >> 1
_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
_cursor_names = itertools.count(1)


@dataclass(frozen=True)
class PostgresLocation:
    """A `postgresql://` URI; `display` leaves its password out (messages, the record)."""

    uri: str

    @classmethod
    def parse(cls, text: str) -> PostgresLocation | None:
        """The location if `text` is a PostgreSQL URI, else None."""
        return cls(text) if text.startswith(SCHEMES) else None

    @property
    def display(self) -> str:
        try:
            parts = urlsplit(self.uri)
            netloc = parts.netloc.rpartition("@")
            user = netloc[0].partition(":")[0]
            host = f"{user}@{netloc[2]}" if netloc[1] else netloc[2]
            query = urlencode(
                [(k, v) for k, v in parse_qsl(parts.query) if k not in _SECRET_PARAMETERS]
            )
            return urlunsplit((parts.scheme, host, parts.path, query, ""))
        except ValueError:
            return "postgresql://(unparsable URI)"

    def __str__(self) -> str:
        return self.display


def _import_psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415 (only gate hosts on a shared ledger need it)
    except ImportError as exc:
        raise LedgerError(
            "a PostgreSQL ledger needs psycopg 3, which is not installed: install it with "
            "`pip install 'ot-provenance[postgresql]'` (the SQLite ledger in the state "
            "directory needs nothing)"
        ) from exc
    return psycopg


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, location: PostgresLocation, *, writable: bool, busy_timeout: float) -> None:
        self.location = location.display
        self.writable = writable
        self.busy_timeout = busy_timeout
        self._psycopg = _import_psycopg()
        self._connection: psycopg.Connection[tuple[Any, ...]] = self._connect(location)

    def _connect(self, location: PostgresLocation) -> psycopg.Connection[tuple[Any, ...]]:
        pg = self._psycopg
        try:
            given = pg.conninfo.conninfo_to_dict(location.uri)
        except pg.ProgrammingError as exc:
            raise LedgerError(
                f"ledger {self.location}: not a valid PostgreSQL URI ({_first_line(exc)}); "
                "expected postgresql://[user@]host[:port]/database[?options]"
            ) from exc
        settings: dict[str, Any] = {"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)}
        settings.update(_KEEPALIVES)
        settings["application_name"] = "ot-provenance"
        settings.update(given)
        options = [
            f"-c lock_timeout={int(self.busy_timeout * 1000)}",
            f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_SECONDS * 1000}",
        ]
        if not self.writable:
            options.append("-c default_transaction_read_only=on")
        settings["options"] = " ".join([settings.get("options", ""), *options]).strip()
        try:
            connection: psycopg.Connection[tuple[Any, ...]] = pg.connect(
                pg.conninfo.make_conninfo("", **settings), autocommit=True
            )
        except pg.Error as exc:
            raise LedgerError(
                f"ledger {self.location}: cannot connect ({_first_line(exc)}); expected a "
                f"reachable PostgreSQL server (waited up to {settings['connect_timeout']} s); "
                "nothing was changed"
            ) from exc
        return connection

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> Cursor:
        if not parameters:
            return self._connection.execute(query)
        return self._connection.execute(_placeholders(query), tuple(parameters))

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(_placeholders(query), [tuple(row) for row in rows])

    def stream(self, query: str, parameters: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        if not self.in_transaction:
            cursor = self.execute(query, parameters)
            while batch := cursor.fetchmany(FETCH_BATCH):
                yield from batch
            return
        # Server-side: the rows stay on the server until fetched (a cursor per stream, so
        # several can be walked side by side in one snapshot).
        server = self._connection.cursor(name=f"provenance_{next(_cursor_names)}")
        try:
            server.execute(_placeholders(query), tuple(parameters) or None)
            while batch := server.fetchmany(FETCH_BATCH):
                yield from batch
        finally:
            # Abandoned after its transaction ended: the server closed it already.
            with suppress(self._psycopg.Error):
                server.close()

    def begin(self, *, write: bool) -> None:
        if write:
            self._connection.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            try:
                self._connection.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            except BaseException:
                self.rollback()
                raise
            return
        self._connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self._connection.execute("SELECT 1")  # the snapshot, now

    def commit(self) -> None:
        try:
            self._connection.execute("COMMIT")
        except self._psycopg.Error:
            self.rollback()
            raise

    def rollback(self) -> None:
        if self.in_transaction:
            # The block's own exception is what matters; if the connection is gone the
            # server has rolled back already.
            with suppress(self._psycopg.Error):
                self._connection.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        status = self._connection.info.transaction_status
        return bool(status != self._psycopg.pq.TransactionStatus.IDLE) and not (
            self._connection.closed
        )

    def errors(self, doing: str) -> AbstractContextManager[None]:
        return _errors(self, doing)

    def identity(self) -> SchemaIdentity:
        objects = int(
            self._scalar(
                "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
            )
        )
        if not self._scalar("SELECT to_regclass('provenance_ledger') IS NOT NULL"):
            return SchemaIdentity(version=0, application_id=0, objects=objects)
        row = self.execute(
            "SELECT application_id, schema_version FROM provenance_ledger WHERE id = 1"
        ).fetchone()
        if row is None:
            return SchemaIdentity(version=0, application_id=0, objects=objects)
        return SchemaIdentity(version=int(row[1]), application_id=int(row[0]), objects=objects)

    def set_schema_version(self, version: int) -> None:
        self.execute("UPDATE provenance_ledger SET schema_version = ? WHERE id = 1", (version,))

    def prepare_writes(self) -> None:
        return None

    def insert_returning_id(self, query: str, parameters: Sequence[Any]) -> int:
        row = self.execute(f"{query} RETURNING id", parameters).fetchone()
        return int(row[0])

    def integrity_problems(self) -> list[str]:
        # The server keeps its own storage consistent (WAL, checksums if enabled).
        return []

    def close(self) -> None:
        self._connection.close()

    def _scalar(self, query: str) -> Any:
        row = self.execute(query).fetchone()
        return None if row is None else row[0]


def _placeholders(query: str) -> str:
    if "%" in query:
        raise ValueError(f"ledger SQL must not contain '%': {query!r}")
    return query.replace("?", "%s")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _errors(database: PostgresDatabase, doing: str) -> Iterator[None]:
    psycopg = database._psycopg
    errors = psycopg.errors
    where = f"ledger {database.location}"
    try:
        yield
    except errors.LockNotAvailable as exc:
        raise LedgerError(
            f"{where}: locked by another process while {doing} (waited "
            f"{database.busy_timeout:g} s); expected it to be free: another gate host is "
            "probably writing to it, retry when that has finished"
        ) from exc
    except errors.InsufficientPrivilege as exc:
        raise LedgerError(
            f"{where}: access refused while {doing} ({_first_line(exc)}); expected a role "
            "that may read and, to admit, write the ledger's tables"
        ) from exc
    except errors.RaiseException as exc:
        # The append-only triggers.
        raise LedgerError(f"{where}: refused while {doing}: {_first_line(exc)}") from exc
    except (errors.UndefinedTable, errors.UndefinedColumn, errors.UndefinedFunction) as exc:
        raise LedgerError(
            f"{where}: the ledger's schema is damaged ({_first_line(exc)}) while {doing}; "
            "expected the tables this release creates (was the database edited?)"
        ) from exc
    except errors.IntegrityError as exc:
        raise LedgerError(
            f"{where}: the database refused a write while {doing} ({_first_line(exc)}); "
            "nothing was committed (a write that bypassed the ledger's lock, or an edited "
            "database: run `provenance audit verify`)"
        ) from exc
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        if doing == "committing":
            raise LedgerError(
                f"{where}: the connection failed while committing ({_first_line(exc)}); the "
                "server recorded everything of this command or nothing of it, never a part: "
                "run `provenance check` or `provenance audit verify` to see which"
            ) from exc
        raise LedgerError(
            f"{where}: the database connection failed while {doing} ({_first_line(exc)}); "
            "nothing was committed; expected a reachable PostgreSQL server"
        ) from exc

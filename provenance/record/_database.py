"""The one interface the ledger needs from a database: SQLite (embedded) or PostgreSQL (shared).

The ledger's SQL is written once, with `?` placeholders and types both engines share (integers,
text, byte strings); each `Database` runs it in its own dialect and turns the engine's failures
into `LedgerError`s that say what to do. What differs is kept here, per engine:

- transactions: `begin(write=True)` takes the ledger's one write lock (SQLite `BEGIN
  IMMEDIATE`; PostgreSQL a transaction-scoped advisory lock), so appends to the audit log run
  one after another whatever the number of gate hosts; `begin(write=False)` takes a snapshot
  (SQLite `BEGIN DEFERRED` plus a read; PostgreSQL `REPEATABLE READ READ ONLY`);
- the schema's identity and version (SQLite `PRAGMA user_version` and `application_id`;
  PostgreSQL the `provenance_ledger` row);
- streaming reads: a batch at a time, on PostgreSQL through a server-side cursor, so `audit
  verify` holds no more of a large log in memory on either engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = ["FETCH_BATCH", "Cursor", "Database", "Dialect", "SchemaIdentity"]

Dialect = Literal["sqlite", "postgresql"]
FETCH_BATCH = 256


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchmany(self, size: int = ...) -> Any: ...


@dataclass(frozen=True)
class SchemaIdentity:
    """What the database says it is, read before anything is written."""

    version: int  # migrations applied; 0 for a database without the ledger's schema
    application_id: int  # `APPLICATION_ID` for a provenance ledger
    objects: int  # schema objects (tables, indexes, ...) already there


class Database(ABC):
    """An open connection; one transaction at a time, begun and ended explicitly."""

    dialect: Dialect
    location: str  # for messages: a file path, or a PostgreSQL URI without its password
    writable: bool
    busy_timeout: float

    @abstractmethod
    def execute(self, query: str, parameters: Sequence[Any] = ()) -> Cursor:
        """Run one statement (`?` placeholders); the cursor holds its rows."""

    @abstractmethod
    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def stream(self, query: str, parameters: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of `query`, fetched `FETCH_BATCH` at a time."""

    @abstractmethod
    def begin(self, *, write: bool) -> None: ...

    @abstractmethod
    def commit(self) -> None:
        """COMMIT; on failure the transaction is rolled back and the error raised."""

    @abstractmethod
    def rollback(self) -> None:
        """ROLLBACK if a transaction is open; never masks the error being handled."""

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def errors(self, doing: str) -> AbstractContextManager[None]:
        """Translate the engine's failures inside the block into `LedgerError`."""

    @abstractmethod
    def identity(self) -> SchemaIdentity:
        """Read inside a transaction: another process may be creating the schema."""

    @abstractmethod
    def set_schema_version(self, version: int) -> None:
        """Inside the migration's transaction."""

    @abstractmethod
    def prepare_writes(self) -> None:
        """Settings a writer needs before its first transaction (SQLite: WAL, synchronous)."""

    @abstractmethod
    def insert_returning_id(self, query: str, parameters: Sequence[Any]) -> int:
        """Run an INSERT and return the new row's id."""

    @abstractmethod
    def integrity_problems(self) -> list[str]:
        """The engine's own check of its storage; empty if sound (or not offered)."""

    @abstractmethod
    def close(self) -> None: ...

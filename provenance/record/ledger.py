"""The approval ledger and the audit log, in one database: a SQLite file in the state directory
(the embedded default) or a PostgreSQL database shared by several gate hosts.

One database, so that an admission and its audit record are written in ONE transaction: after a
crash (kill -9, power loss, a database that goes away) at any point there is either the
admission with its "admit" audit record, or neither. Both engines run the same SQL through
`_database.Database`; what differs is there (`_sqlite`, `_postgresql`):

- a COMMIT that returned is durable; readers (`check`) never block the writer and never see
  half a transaction;
- writes take the ledger's one write lock up front (SQLite `BEGIN IMMEDIATE`, PostgreSQL an
  advisory lock), so two `admit` processes, on one host or on several, run one after the
  other: the log has one head, a leaf index is never used twice, and the rollback rule reads
  the newest admitted version under the same lock that records the next one. A lock held
  longer than the busy timeout is a `LedgerError` ("locked by another process").
- The schema is versioned (`migrations.py`); a newer ledger is refused; a corrupted one is
  reported and left exactly as it is, never recreated.

Re-admission: every admission is kept (the table is append-only; history matters to an
auditor). Admitting a digest to a segment again (say, under a new policy) adds a row;
`find_admission` returns the newest one.

Opened with `create=False`, the ledger is read-only (SQLite `mode=ro`, `query_only`; PostgreSQL
read-only transactions): no migration, no write, nothing created.

The audit log is also a Merkle tree (`merkle_store`) with a site-signed checkpoint per record
(`checkpoints`): `append_audit` adds the leaf, the subtrees it completes and, with a signer,
the checkpoint, all in the record's own transaction. Before extending the log it checks that
the stored tree has a node for every record and that the newest checkpoint's root is the
stored tree's root at that size: the gate never signs a tree that contradicts what it signed
before (tlog-checkpoint: "a log MUST NOT sign any checkpoint which is inconsistent").
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from provenance.errors import VerificationFailure
from provenance.record._database import Database, SchemaIdentity
from provenance.record._fs import PRIVATE_FILE_MODE
from provenance.record._postgresql import PostgresDatabase, PostgresLocation
from provenance.record._sqlite import SqliteDatabase
from provenance.record._time import format_time, parse_time
from provenance.record.audit import (
    GENESIS_HASH,
    AuditRecord,
    AuditSigner,
    record_hash,
    signed_message,
)
from provenance.record.audit_event import AuditEvent, canonical_json, require_sha256_hex
from provenance.record.checkpoints import CheckpointStore, sign_checkpoint
from provenance.record.errors import LedgerError, LogDamaged
from provenance.record.merkle_store import StoredTree
from provenance.record.migrations import APPLICATION_ID, LATEST_VERSION, apply_migrations
from provenance.transparency.checkpoint import parse_checkpoint
from provenance.transparency.inclusion import LogInclusion

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "Admission",
    "AdmissionEntry",
    "Ledger",
    "LedgerTransaction",
]

# How long a command waits for another one's write transaction before giving up.
BUSY_TIMEOUT_SECONDS = 10.0

_ADMISSION_COLUMNS = (
    "id, audit_seq, artifact_sha256, artifact_name, segment, product, version, policy_path, "
    "policy_sha256, decided_at, store_path, vsa_path, vsa, evidence"
)
_AUDIT_COLUMNS = "seq, at, event, prev_hash, hash, signature, key_id"


@dataclass(frozen=True)
class Admission:
    """An artifact admitted to a segment. Paths are relative to the state directory."""

    artifact_sha256: str  # hex
    artifact_name: str
    segment: str
    product: str | None
    version: str | None
    policy_path: str
    policy_sha256: str
    decided_at: datetime
    store_path: str
    vsa_path: str | None
    vsa: str | None  # the DSSE envelope, JSON
    evidence: Mapping[str, Any] = field(default_factory=dict)  # JSON-able summary

    def __post_init__(self) -> None:
        require_sha256_hex(self.artifact_sha256, "admission artifact_sha256")
        require_sha256_hex(self.policy_sha256, "admission policy_sha256")
        format_time(self.decided_at)  # refuses naive datetimes


@dataclass(frozen=True)
class AdmissionEntry:
    """An admission as stored: its row id and the seq of its "admit" audit record."""

    id: int
    audit_seq: int
    admission: Admission


class Ledger:
    """An open ledger. Use `Ledger.open`; close it (or use it as a context manager)."""

    def __init__(self, database: Database, *, writable: bool) -> None:
        self._db = database
        self.location = database.location
        self.path: Path | None = database.path if isinstance(database, SqliteDatabase) else None
        self.writable = writable
        self.busy_timeout = database.busy_timeout
        self._in_transaction = False

    @property
    def dialect(self) -> str:
        return self._db.dialect

    @classmethod
    def open(
        cls,
        target: Path | PostgresLocation,
        *,
        create: bool,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> Ledger:
        """Open (and with `create=True`, create or upgrade) the ledger: a SQLite file at a path,
        or a PostgreSQL database (`PostgresLocation`).

        1. SQLite, `create=False`: the file must exist; open it read-only. `create=True`:
           create an empty file (mode 0600) if none is there, open it read-write. PostgreSQL:
           connect (with a timeout); read-only sessions refuse writes.
        2. Identify it (this is where a non-database file fails, before anything is written):
           schema version, application id, whether it holds tables. Refuse a newer schema,
           another application's database, an unversioned one that holds tables.
        3. Writable: the engine's write settings, then the missing migrations in one write
           transaction. Read-only: the schema must be current.
        """
        database: Database
        if isinstance(target, PostgresLocation):
            database = PostgresDatabase(target, writable=create, busy_timeout=busy_timeout)
        else:
            if create:
                _create_empty(target)
            elif not target.is_file():
                raise LedgerError(
                    f"ledger {target}: does not exist; expected the ledger of a state directory "
                    "where something was admitted (nothing has been admitted here)"
                )
            database = SqliteDatabase(target, writable=create, busy_timeout=busy_timeout)
        ledger = cls(database, writable=create)
        try:
            ledger._prepare()
        except BaseException:
            database.close()
            raise
        return ledger

    def _prepare(self) -> None:
        with self._errors("reading the ledger header"):
            # One read transaction: another process may be creating the schema right now.
            self._db.begin(write=False)
            try:
                identity = self._db.identity()
            finally:
                self._db.rollback()
        self._check_identity(identity)
        if not self.writable:
            self._check_readable_version(identity.version)
            return
        self._db.prepare_writes()
        if identity.version < LATEST_VERSION:
            self._migrate()

    def _check_identity(self, identity: SchemaIdentity) -> None:
        version = identity.version
        if version > LATEST_VERSION:
            raise LedgerError(
                f"ledger {self.location}: created by a newer provenance: schema {version}, this "
                f"release reads up to {LATEST_VERSION}; upgrade provenance to use it (the "
                "ledger was not changed)"
            )
        if version > 0 and identity.application_id != APPLICATION_ID:
            raise LedgerError(
                f"ledger {self.location}: not a provenance ledger: application id "
                f"{identity.application_id:#x}, expected {APPLICATION_ID:#x} (the file was not "
                "changed)"
            )
        if version == 0 and identity.objects > 0:
            raise LedgerError(
                f"ledger {self.location}: holds {identity.objects} schema object(s) but no "
                "provenance schema version; expected an empty file or a provenance ledger (the "
                "file was not changed)"
            )

    def _check_readable_version(self, version: int) -> None:
        if version == 0:
            raise LedgerError(
                f"ledger {self.location}: empty (no schema); expected a ledger where something "
                "was admitted (nothing has been admitted here)"
            )
        if version < LATEST_VERSION:
            raise LedgerError(
                f"ledger {self.location}: schema {version}, this release reads schema "
                f"{LATEST_VERSION}; run a command that writes to it (such as `provenance "
                "admit`) once to upgrade it"
            )

    def _migrate(self) -> None:
        with self._errors("upgrading the ledger schema"):
            self._db.begin(write=True)
            try:
                # Another process may have migrated while this one waited for the lock.
                current = self._db.identity()
                self._check_identity(replace(current, objects=0))
                apply_migrations(self._db, current.version)
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[LedgerTransaction]:
        """Begin a write transaction (holding the ledger's write lock) ... COMMIT; ROLLBACK if
        the block raises (anything)."""
        if not self.writable:
            raise LedgerError(
                f"ledger {self.location}: opened read-only; expected it opened with "
                "create=True to write"
            )
        if self._in_transaction:
            raise RuntimeError("ledger transactions do not nest")
        with self._errors("starting a write transaction"):
            self._db.begin(write=True)
        self._in_transaction = True
        transaction = LedgerTransaction(self)
        try:
            yield transaction
        except BaseException:
            transaction.closed = True
            self._in_transaction = False
            self._db.rollback()
            raise
        transaction.closed = True
        self._in_transaction = False
        with self._errors("committing"):
            self._db.commit()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside the block see one consistent state, even while others write."""
        if self._in_transaction:
            yield
            return
        with self._errors("starting a read transaction"):
            self._db.begin(write=False)
        self._in_transaction = True
        try:
            yield
        finally:
            self._in_transaction = False
            self._db.rollback()

    # -- reads -------------------------------------------------------------------------

    def find_admission(self, sha256_hex: str, segment: str) -> Admission | None:
        """The newest admission of this digest to this segment, if any."""
        return _find_admission(self, sha256_hex, segment)

    def admissions(
        self, *, sha256_hex: str | None = None, segment: str | None = None
    ) -> Iterator[Admission]:
        """Admissions in the order they were made, optionally of one digest or segment."""
        for entry in self.admission_entries(sha256_hex=sha256_hex, segment=segment):
            yield entry.admission

    def admission_entries(
        self, *, sha256_hex: str | None = None, segment: str | None = None
    ) -> Iterator[AdmissionEntry]:
        conditions, parameters = [], []
        if sha256_hex is not None:
            conditions.append("artifact_sha256 = ?")
            parameters.append(sha256_hex)
        if segment is not None:
            conditions.append("segment = ?")
            parameters.append(segment)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        query = f"SELECT {_ADMISSION_COLUMNS} FROM admissions{where} ORDER BY id"  # noqa: S608
        for row in self._rows(query, tuple(parameters), "reading admissions"):
            yield _admission_entry(self.location, row)

    def audit_records(self, since: datetime | None = None) -> Iterator[AuditRecord]:
        """Audit records in seq order; with `since`, those at or after that time."""
        if since is None:
            rows = self._rows(
                f"SELECT {_AUDIT_COLUMNS} FROM audit ORDER BY seq",  # noqa: S608
                (),
                "reading the audit log",
            )
        else:
            rows = self._rows(
                f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE at >= ? ORDER BY seq",  # noqa: S608
                (format_time(since),),
                "reading the audit log",
            )
        for row in rows:
            yield _audit_record(self.location, row)

    def audit_records_from(self, first_seq: int, last_seq: int) -> Iterator[AuditRecord]:
        """Audit records first_seq .. last_seq, in seq order."""
        rows = self._rows(
            f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE seq BETWEEN ? AND ? ORDER BY seq",  # noqa: S608
            (first_seq, last_seq),
            "reading the audit log",
        )
        for row in rows:
            yield _audit_record(self.location, row)

    def newest_admission_entry(self, sha256_hex: str, segment: str) -> AdmissionEntry | None:
        """The newest admission row of this digest to this segment, with its audit record's seq."""
        rows = list(
            self._rows(
                f"SELECT {_ADMISSION_COLUMNS} FROM admissions "  # noqa: S608
                "WHERE artifact_sha256 = ? AND segment = ? ORDER BY id DESC LIMIT 1",
                (sha256_hex, segment),
                "looking up an admission",
            )
        )
        return _admission_entry(self.location, rows[0]) if rows else None

    def audit_records_mentioning(self, text: str) -> Iterator[AuditRecord]:
        """Audit records whose stored event contains `text` (a digest, a canonical JSON pair),
        in seq order: a scan, for explaining a "no"; the caller checks their signatures."""
        rows = self._rows(
            f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE event LIKE ? ESCAPE '!' "  # noqa: S608
            "ORDER BY seq",
            ("%" + _like_literal(text) + "%",),
            "searching the audit log",
        )
        for row in rows:
            yield _audit_record(self.location, row)

    def audit_log_mentions(self, text: str) -> bool:
        """Whether any stored event contains `text` (a scan that stops at the first)."""
        rows = self._rows(
            "SELECT 1 FROM audit WHERE event LIKE ? ESCAPE '!' LIMIT 1",
            ("%" + _like_literal(text) + "%",),
            "searching the audit log",
        )
        return bool(list(rows))

    def segments_with_admissions(self) -> list[str]:
        """Every segment the admissions index names (unsigned: for suggestions only)."""
        query = "SELECT DISTINCT segment FROM admissions ORDER BY segment"
        return [str(row[0]) for row in self._rows(query, (), "reading admissions")]

    def admission_entries_by_audit_seq(self) -> Iterator[AdmissionEntry]:
        """Every admission, in the order of their audit records (to walk beside the log)."""
        query = f"SELECT {_ADMISSION_COLUMNS} FROM admissions ORDER BY audit_seq"  # noqa: S608
        for row in self._rows(query, (), "reading admissions"):
            yield _admission_entry(self.location, row)

    def names_file(self, column: str, relative_path: str) -> bool:
        """True if an admission names this store file or VSA file (orphan check, indexed)."""
        if column not in ("store_path", "vsa_path"):
            raise ValueError(f"names_file: expected store_path or vsa_path, got {column!r}")
        rows = self._rows(
            f"SELECT 1 FROM admissions WHERE {column} = ? LIMIT 1",  # noqa: S608
            (relative_path,),
            "looking up a stored file",
        )
        return any(True for _ in rows)

    def record_count(self) -> int:
        """The highest audit record number (records are numbered 1, 2, 3, ...)."""
        with self._errors("reading the audit log"):
            value = self._scalar("SELECT max(seq) FROM audit")
        return 0 if value is None else int(value)

    def tree(self) -> StoredTree:
        """The stored Merkle tree (reads; use inside `snapshot` with the records)."""
        return StoredTree(self._db)

    def stored_nodes(self) -> Iterator[tuple[int, bytes]]:
        """Every stored tree node as (position, hash), by position."""
        query = "SELECT position, hash FROM merkle_nodes ORDER BY position"
        for position, value in self._rows(query, (), "reading the audit log's tree"):
            yield int(position), bytes(value) if isinstance(value, bytes) else b""

    def stored_checkpoints(self) -> Iterator[tuple[int, str, str | None]]:
        """Every stored checkpoint as (size, signed note, the key id its row names), by size."""
        query = "SELECT size, note, key_id FROM checkpoints ORDER BY size"
        for size, note, key_id in self._rows(query, (), "reading the audit log's checkpoints"):
            yield (
                int(size),
                note if isinstance(note, str) else "",
                key_id if isinstance(key_id, str) else None,
            )

    def checkpoints_between(self, first_size: int, last_size: int) -> dict[int, str]:
        """The stored checkpoints for sizes first_size .. last_size (for an export)."""
        query = "SELECT size, note FROM checkpoints WHERE size BETWEEN ? AND ? ORDER BY size"
        rows = self._rows(query, (first_size, last_size), "reading the audit log's checkpoints")
        return {int(size): str(note) for size, note in rows}

    def log_origin(self) -> str:
        """The log's name in its checkpoints (`LogDamaged` if the row is gone)."""
        with self._errors("reading the audit log's origin"):
            return CheckpointStore(self._db).origin()

    def adopted_log(self) -> tuple[str, str] | None:
        """(origin, how) when this ledger keeps a log it took over: "migrated" from another
        ledger, or "mirrored" from a central gate's kits; None for the gate's own log."""
        with self._errors("reading the audit log's origin"):
            row = self._db.execute("SELECT origin, how FROM log_adopted WHERE id = 1").fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def moved_to(self) -> str | None:
        """Where this ledger's log continues, if `ledger migrate` moved it."""
        with self._errors("reading the ledger's state"):
            row = self._db.execute("SELECT moved_to FROM ledger_moved WHERE id = 1").fetchone()
        return None if row is None else str(row[0])

    def kit_import(self, manifest_sha256: str) -> str | None:
        """When the kit with this manifest was imported, if it was."""
        with self._errors("reading the kit imports"):
            row = self._db.execute(
                "SELECT imported_at FROM kit_imports WHERE manifest_sha256 = ?", (manifest_sha256,)
            ).fetchone()
        return None if row is None else str(row[0])

    def checkpoints_with_keys(
        self, first_size: int, last_size: int
    ) -> dict[int, tuple[str, str | None]]:
        """Stored checkpoints for sizes first_size .. last_size, with the key id each names."""
        query = (
            "SELECT size, note, key_id FROM checkpoints WHERE size BETWEEN ? AND ? ORDER BY size"
        )
        rows = self._rows(query, (first_size, last_size), "reading the audit log's checkpoints")
        return {
            int(size): (str(note), None if key is None else str(key)) for size, note, key in rows
        }

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the newest stored checkpoint; nothing in it verified."""
        with self._errors("reading the audit log's checkpoints"):
            return CheckpointStore(self._db).latest()

    def sign_checkpoint(self, signer: AuditSigner) -> bool:
        """Sign a checkpoint for the whole log if the newest one does not cover it yet.

        Needed once after the upgrade from schema 1, whose records had none; afterwards every
        append signs its own. Returns True if one was signed.
        """
        with self.transaction() as transaction:
            return transaction.checkpoint_if_missing(signer)

    def integrity_problems(self) -> list[str]:
        """The engine's own check of its storage (SQLite `PRAGMA integrity_check`); empty if
        sound."""
        return self._db.integrity_problems()

    # -- plumbing ----------------------------------------------------------------------

    def _errors(self, doing: str) -> AbstractContextManager[None]:
        return self._db.errors(doing)

    def _scalar(self, query: str, parameters: tuple[Any, ...] = ()) -> Any:
        row = self._db.execute(query, parameters).fetchone()
        return None if row is None else row[0]

    def _rows(
        self, query: str, parameters: tuple[Any, ...], doing: str
    ) -> Iterator[tuple[Any, ...]]:
        with self._errors(doing):
            yield from self._db.stream(query, parameters)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class LedgerTransaction:
    """Reads and writes inside one `BEGIN IMMEDIATE` transaction (see `Ledger.transaction`)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._appended: dict[int, AuditEvent] = {}
        self.closed = False

    def newest_version(self, product: str, segment: str, key: Callable[[str], Any]) -> str | None:
        """The newest version of `product` admitted to `segment` (ordered by `key`), if any.

        Read under the write lock, so no other process can admit a newer one before this
        transaction commits (the rollback rule relies on that).
        """
        self._require_open()
        rows = self._ledger._rows(
            "SELECT DISTINCT version FROM admissions "
            "WHERE product = ? AND segment = ? AND version IS NOT NULL",
            (product, segment),
            "reading admitted versions",
        )
        versions = [str(row[0]) for row in rows]
        return max(versions, key=key) if versions else None

    def find_admission(self, sha256_hex: str, segment: str) -> Admission | None:
        self._require_open()
        return _find_admission(self._ledger, sha256_hex, segment)

    def append_audit(self, event: AuditEvent, *, signer: AuditSigner | None = None) -> AuditRecord:
        """Append `event` to the audit log, chained to the last record and added to the tree;
        with `signer`, sign the record and the log's checkpoint at its new size.

        1. Read the last record; the stored tree must have exactly its nodes, and the newest
           checkpoint must be for a size the log has, with the stored tree's root at that size
           (`_require_extensible`). Otherwise the log was cut or edited: refuse (exit 2).
        2. Chain hash (`record_hash`) and signature; insert the record.
        3. Add its leaf (the chain hash) to the tree; with a signer, sign and store the
           checkpoint for the new size.
        """
        self._require_open()
        ledger = self._ledger
        with ledger._errors("appending to the audit log"):
            last = ledger._db.execute(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev_hash = (
                (1, GENESIS_HASH) if last is None else (int(last[0]) + 1, bytes(last[1]))
            )
            self._require_own_log()
            tree, checkpoints = StoredTree(ledger._db), CheckpointStore(ledger._db)
            self._require_extensible(tree, checkpoints, seq - 1)
        event_json = event.to_json()
        hash_ = record_hash(seq, prev_hash, event_json)
        signature = None if signer is None else signer.sign(signed_message(hash_))
        record = AuditRecord(
            seq=seq,
            at=format_time(event.at),
            event_json=event_json,
            prev_hash=prev_hash,
            hash=hash_,
            signature=signature,
            key_id=None if signer is None else signer.key_id,
        )
        with ledger._errors("appending to the audit log"):
            ledger._db.execute(
                f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    record.seq,
                    record.at,
                    record.event_json,
                    record.prev_hash,
                    record.hash,
                    record.signature,
                    record.key_id,
                ),
            )
            root = tree.append(seq - 1, hash_)
            if signer is not None:
                note = sign_checkpoint(checkpoints.origin(), seq, root, signer)
                checkpoints.add(seq, note, signer.key_id)
        self._appended[seq] = event
        return record

    def checkpoint_if_missing(self, signer: AuditSigner) -> bool:
        """Sign a checkpoint of the whole log unless the newest one covers it (see
        `Ledger.sign_checkpoint`)."""
        self._require_open()
        ledger = self._ledger
        with ledger._errors("signing a checkpoint"):
            size = int(ledger._scalar("SELECT coalesce(max(seq), 0) FROM audit"))
            self._require_own_log()
            tree, checkpoints = StoredTree(ledger._db), CheckpointStore(ledger._db)
            self._require_extensible(tree, checkpoints, size)
            latest = checkpoints.latest()
            if size == 0 or (latest is not None and latest[0] == size):
                return False
            note = sign_checkpoint(checkpoints.origin(), size, tree.root(size), signer)
            checkpoints.add(size, note, signer.key_id)
        return True

    def inclusion(self, record: AuditRecord) -> LogInclusion:
        """Where `record`, appended and checkpointed in this transaction, sits in the log: its
        leaf index, its checkpoint and the inclusion proof from the stored tree."""
        self._require_open()
        if record.seq not in self._appended:
            raise ValueError(f"audit record {record.seq}: not appended in this transaction")
        ledger = self._ledger
        with ledger._errors("reading the audit log's tree"):
            note = CheckpointStore(ledger._db).at(record.seq)
            proof = StoredTree(ledger._db).inclusion(record.seq - 1, record.seq)
        if note is None:
            raise ValueError(f"audit record {record.seq}: appended without a signer, no checkpoint")
        return LogInclusion(
            leaf_index=record.seq - 1, record_hash=record.hash, checkpoint=note, proof=tuple(proof)
        )

    def append_received(
        self, record: AuditRecord, checkpoint: tuple[str, str | None] | None
    ) -> None:
        """Append a record of another ledger's log as it was received (kit import, migrate):
        same number, link, content and signature; its leaf; its checkpoint, if any, with the
        key id it names. The caller has verified it (chain, signature, root against a signed
        checkpoint); this refuses only what would break the stored log's shape."""
        self._require_open()
        ledger = self._ledger
        with ledger._errors("appending a received audit record"):
            last = ledger._db.execute(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            head = (0, GENESIS_HASH) if last is None else (int(last[0]), bytes(last[1]))
            if (record.seq, record.prev_hash) != (head[0] + 1, head[1]):
                raise ValueError(
                    f"received record {record.seq}: expected record {head[0] + 1} linked to "
                    "the stored head"
                )
            ledger._db.execute(
                f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (record.seq, record.at, record.event_json, record.prev_hash, record.hash,
                 record.signature, record.key_id),
            )  # fmt: skip
            StoredTree(ledger._db).append(record.seq - 1, record.hash)
            if checkpoint is not None:
                CheckpointStore(ledger._db).add(record.seq, checkpoint[0], checkpoint[1])

    def record_received_admission(self, admission: Admission, audit_seq: int) -> int:
        """Record an admission whose "admit" record is already in the log (received with it)."""
        self._require_open()
        ledger = self._ledger
        with ledger._errors("recording a received admission"):
            row = ledger._db.execute(
                "SELECT event FROM audit WHERE seq = ?", (audit_seq,)
            ).fetchone()
        if row is None:
            raise ValueError(f"received admission: no audit record {audit_seq}")
        event = AuditEvent.from_json(str(row[0]))
        expected = ("admit", admission.artifact_sha256, admission.segment)
        got = (event.kind, event.artifact_sha256, event.segment)
        if got != expected:
            raise ValueError(f"received admission's audit record: expected {expected}, got {got}")
        with ledger._errors("recording a received admission"):
            return _insert_admission(ledger._db, admission, audit_seq)

    def admission_recorded_for(self, audit_seq: int) -> bool:
        self._require_open()
        with self._ledger._errors("looking up an admission"):
            row = self._ledger._db.execute(
                "SELECT 1 FROM admissions WHERE audit_seq = ?", (audit_seq,)
            ).fetchone()
        return row is not None

    def adopt_log(self, origin: str, how: str, at: datetime) -> None:
        """Take over the log named `origin` (kit import, migrate); only while this ledger's
        own log is empty, so no record is ever under two names."""
        self._require_open()
        ledger = self._ledger
        with ledger._errors("adopting a log"):
            count = int(ledger._scalar("SELECT count(*) FROM audit"))
            if count or ledger._scalar("SELECT count(*) FROM log_adopted"):
                raise ValueError("adopt_log: the ledger already holds a log")
            ledger._db.execute(
                "INSERT INTO log_adopted (id, origin, how, at) VALUES (1, ?, ?, ?)",
                (origin, how, format_time(at)),
            )

    def record_kit_import(
        self,
        *,
        manifest_sha256: str,
        segment: str,
        first_size: int,
        size: int,
        checkpoint: str,
        imported_at: datetime,
        manifest: str,
    ) -> None:
        self._require_open()
        with self._ledger._errors("recording the kit import"):
            self._ledger._db.execute(
                "INSERT INTO kit_imports (manifest_sha256, segment, first_size, size, checkpoint, "
                "imported_at, manifest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (manifest_sha256, segment, first_size, size, checkpoint,
                 format_time(imported_at), manifest),
            )  # fmt: skip

    def mark_moved(self, moved_to: str, at: datetime) -> None:
        """This ledger's log now continues at `moved_to`: no gate appends here again."""
        self._require_open()
        with self._ledger._errors("marking the ledger as moved"):
            self._ledger._db.execute(
                "INSERT INTO ledger_moved (id, moved_to, at) VALUES (1, ?, ?)",
                (moved_to, format_time(at)),
            )

    def _require_own_log(self) -> None:
        """Refuse to sign into a log this ledger only keeps: one received in transfer kits (the
        central gate's, signed by its keys), or one moved elsewhere (appending here would fork
        it: two logs of one name)."""
        ledger = self._ledger
        moved = ledger._db.execute("SELECT moved_to, at FROM ledger_moved WHERE id = 1").fetchone()
        if moved is not None:
            raise LedgerError(
                f"ledger {ledger.location}: its log was moved to {moved[0]} on {moved[1]} "
                "(`provenance ledger migrate`); expected the gate to write there: give "
                f"--ledger {moved[0]} (or set $PROVENANCE_LEDGER). This copy is kept for reading"
            )
        adopted = ledger._db.execute("SELECT how FROM log_adopted WHERE id = 1").fetchone()
        if adopted is not None and adopted[0] == "mirrored":
            raise LedgerError(
                f"ledger {ledger.location}: holds a central gate's log received in transfer "
                "kits (`provenance kit import`); expected a gate's own ledger to admit into: "
                "choose another --state-dir or --ledger"
            )

    def _require_extensible(
        self, tree: StoredTree, checkpoints: CheckpointStore, size: int
    ) -> None:
        """Refuse to extend a log whose tree or newest checkpoint contradicts its records."""
        try:
            tree.require_size(size)
            latest = checkpoints.latest()
            if latest is None:
                return
            checkpoint = parse_checkpoint(latest[1])
            if checkpoint.size != latest[0] or checkpoint.size > size:
                raise LogDamaged(
                    f"a checkpoint for {checkpoint.size} records was signed, but the log holds "
                    f"{size} (records removed?)"
                )
            if tree.root(checkpoint.size) != checkpoint.root_hash:
                raise LogDamaged(
                    f"the stored tree's root at size {checkpoint.size} is not the one its signed "
                    "checkpoint names (records or nodes edited?)"
                )
        except VerificationFailure as failure:
            raise LedgerError(
                f"ledger {self._ledger.location}: refusing to extend the audit log: {failure}. "
                "Nothing was changed; run `provenance audit verify` and restore the ledger "
                "from a backup"
            ) from failure

    def record_admission(self, admission: Admission, audit: AuditRecord) -> int:
        """Record `admission`, tied to its "admit" audit record appended in this transaction.

        Requiring the record makes an admission without its audit record impossible to write.
        Returns the admission's id.
        """
        self._require_open()
        event = self._appended.get(audit.seq)
        if event is None:
            raise ValueError(
                f"audit record {audit.seq}: expected a record appended in this transaction"
            )
        expected = ("admit", admission.artifact_sha256, admission.segment)
        got = (event.kind, event.artifact_sha256, event.segment)
        if got != expected:
            raise ValueError(f"admission's audit record: expected {expected}, got {got}")
        with self._ledger._errors("recording the admission"):
            return _insert_admission(self._ledger._db, admission, audit.seq)

    def _require_open(self) -> None:
        if self.closed:
            raise RuntimeError("ledger transaction used after it ended")


def _insert_admission(database: Database, admission: Admission, audit_seq: int) -> int:
    return database.insert_returning_id(
        "INSERT INTO admissions (artifact_sha256, artifact_name, segment, product, "
        "version, policy_path, policy_sha256, decided_at, store_path, vsa_path, vsa, "
        "evidence, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            admission.artifact_sha256,
            admission.artifact_name,
            admission.segment,
            admission.product,
            admission.version,
            admission.policy_path,
            admission.policy_sha256,
            format_time(admission.decided_at),
            admission.store_path,
            admission.vsa_path,
            admission.vsa,
            canonical_json(dict(admission.evidence)),
            audit_seq,
        ),
    )


def _create_empty(path: Path) -> None:
    """Create an empty ledger file, owner-only, unless one exists (SQLite would use 0644)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise LedgerError(
            f"ledger {path}: cannot create it: {exc.strerror or exc}; expected a writable "
            "state directory"
        ) from exc
    os.close(descriptor)


def _find_admission(ledger: Ledger, sha256_hex: str, segment: str) -> Admission | None:
    rows = ledger._rows(
        f"SELECT {_ADMISSION_COLUMNS} FROM admissions "  # noqa: S608
        "WHERE artifact_sha256 = ? AND segment = ? ORDER BY id DESC LIMIT 1",
        (sha256_hex, segment),
        "looking up an admission",
    )
    found = list(rows)
    return _admission_entry(ledger.location, found[0]).admission if found else None


def _admission_entry(path: str, row: tuple[Any, ...]) -> AdmissionEntry:
    (row_id, audit_seq, digest, name, segment, product, version, policy_path, policy_sha256,
     decided_at, store_path, vsa_path, vsa, evidence) = row  # fmt: skip
    try:
        parsed_evidence = _json_object(_text(evidence))
        admission = Admission(
            artifact_sha256=_text(digest),
            artifact_name=_text(name),
            segment=_text(segment),
            product=_optional_text(product),
            version=_optional_text(version),
            policy_path=_text(policy_path),
            policy_sha256=_text(policy_sha256),
            decided_at=parse_time(_text(decided_at)),
            store_path=_text(store_path),
            vsa_path=_optional_text(vsa_path),
            vsa=_optional_text(vsa),
            evidence=parsed_evidence,
        )
        return AdmissionEntry(id=int(row_id), audit_seq=int(audit_seq), admission=admission)
    except (ValueError, TypeError) as exc:
        raise LedgerError(
            f"ledger {path}: admission {row_id}: malformed row ({exc}); expected what this "
            "release writes (was the database edited?)"
        ) from exc


def _audit_record(path: str, row: tuple[Any, ...]) -> AuditRecord:
    seq, at, event, prev_hash, hash_, signature, key_id = row
    if not (
        isinstance(seq, int)
        and isinstance(at, str)
        and isinstance(event, str)
        and isinstance(prev_hash, bytes)
        and isinstance(hash_, bytes)
        and (signature is None or isinstance(signature, bytes))
        and (key_id is None or isinstance(key_id, str))
    ):
        raise LedgerError(
            f"ledger {path}: audit record {seq}: malformed row (column types "
            f"{[type(value).__name__ for value in row]}); expected integer, text, text, blob, "
            "blob, blob or null, text or null (was the database edited?)"
        )
    return AuditRecord(
        seq=seq,
        at=at,
        event_json=event,
        prev_hash=prev_hash,
        hash=hash_,
        signature=signature,
        key_id=key_id,
    )


def _json_object(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError(f"evidence: expected a JSON object, got {type(value).__name__}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _like_literal(text: str) -> str:
    """`text` matched literally by LIKE ... ESCAPE '!'."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")

"""The ledger's schema, as an ordered list of migrations.

`PRAGMA user_version` holds the number of migrations applied. Opening a ledger for writing applies
the missing ones, in order, in one `BEGIN IMMEDIATE` transaction (DDL is transactional in
SQLite): a crash leaves the old schema or the new one. A ledger whose version is higher than
`LATEST_VERSION` was written by a newer release and is refused, never downgraded.

To change the schema, append a `Migration`; never edit one that has shipped. A migration that
must compute something SQL cannot (the Merkle tree over existing records) names a `backfill`,
run in the same transaction after its statements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from provenance.record.merkle_store import build_tree

__all__ = ["APPLICATION_ID", "LATEST_VERSION", "MIGRATIONS", "Migration", "apply_migrations"]

# `PRAGMA application_id`: "PROV" in ASCII; marks the file as a provenance ledger.
APPLICATION_ID = 0x50524F56


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    backfill: Callable[[sqlite3.Connection], None] | None = None


_V1 = Migration(
    version=1,
    description="admissions and the hash-chained audit log",
    statements=(
        f"PRAGMA application_id = {APPLICATION_ID}",
        # The audit log. `event` is the canonical JSON that the hash covers; `at` is a copy of
        # the event's time for `--since` queries (the chain check compares the two).
        # No STRICT tables: they need SQLite 3.37, older than some long-term-support systems.
        """
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            prev_hash BLOB NOT NULL CHECK (typeof(prev_hash) = 'blob' AND length(prev_hash) = 32),
            hash BLOB NOT NULL UNIQUE CHECK (typeof(hash) = 'blob' AND length(hash) = 32),
            signature BLOB,
            key_id TEXT,
            CHECK ((signature IS NULL) = (key_id IS NULL))
        )
        """,
        "CREATE INDEX audit_at ON audit (at)",
        # Admissions: every admission is kept (history); the newest per digest and segment
        # is the current one. `audit_seq` is the "admit" audit record written with it.
        """
        CREATE TABLE admissions (
            id INTEGER PRIMARY KEY,
            artifact_sha256 TEXT NOT NULL CHECK (length(artifact_sha256) = 64),
            artifact_name TEXT NOT NULL,
            segment TEXT NOT NULL,
            product TEXT,
            version TEXT,
            policy_path TEXT NOT NULL,
            policy_sha256 TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            store_path TEXT NOT NULL,
            vsa_path TEXT,
            vsa TEXT,
            evidence TEXT NOT NULL,
            audit_seq INTEGER NOT NULL UNIQUE REFERENCES audit (seq)
        )
        """,
        "CREATE INDEX admissions_by_digest ON admissions (artifact_sha256, segment)",
        "CREATE INDEX admissions_by_product ON admissions (product, segment)",
        # Append-only, as a guard against mistakes. It is not the tamper evidence (anyone who
        # can write the file can drop a trigger); the hash chain and its signatures are.
        """
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
        """,
        """
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
        """,
        """
        CREATE TRIGGER admissions_no_update BEFORE UPDATE ON admissions
        BEGIN SELECT RAISE(ABORT, 'admissions are append-only'); END
        """,
        """
        CREATE TRIGGER admissions_no_delete BEFORE DELETE ON admissions
        BEGIN SELECT RAISE(ABORT, 'admissions are append-only'); END
        """,
    ),
)

_V2 = Migration(
    version=2,
    description="the audit log as a Merkle tree with signed checkpoints",
    statements=(
        # The log's name in its checkpoints (C2SP origin), drawn once per ledger: a witness
        # from another site's log, or from a ledger replaced by a new one, names another.
        "CREATE TABLE log_origin (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL)",
        "INSERT INTO log_origin (id, origin) "
        "VALUES (1, 'ot-provenance/audit/' || lower(hex(randomblob(16))))",
        # The tree's perfect subtrees, by post-order position (`merkle.node_position`): leaf
        # i is SHA-256(0x00 || hash of record i + 1). A cache for proofs, never trusted:
        # every proof made from it is checked against a signed checkpoint.
        """
        CREATE TABLE merkle_nodes (
            position INTEGER PRIMARY KEY,
            hash BLOB NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32)
        )
        """,
        # One site-signed checkpoint per tree size, written with the record that made it.
        "CREATE TABLE checkpoints (size INTEGER PRIMARY KEY CHECK (size > 0), note TEXT NOT NULL)",
        # `audit verify` finds the admission that names a stored file without loading them all.
        "CREATE INDEX admissions_by_store_path ON admissions (store_path)",
        "CREATE INDEX admissions_by_vsa_path ON admissions (vsa_path)",
        *(
            f"""
            CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table}
            BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END
            """
            for table in ("merkle_nodes", "checkpoints", "log_origin")
            for action in ("update", "delete")
        ),
    ),
    # Existing records become the first leaves; their checkpoint is signed by the next command
    # that holds the site key (`Ledger.sign_checkpoint`), as `admit` does on opening.
    backfill=build_tree,
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2)
LATEST_VERSION = MIGRATIONS[-1].version


def apply_migrations(connection: sqlite3.Connection, current: int) -> None:
    """Run the migrations after `current`; the caller holds a write transaction and commits.

    Each migration ends by setting `user_version`, inside the same transaction.
    """
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        for statement in migration.statements:
            connection.execute(statement)
        if migration.backfill is not None:
            migration.backfill(connection)
        connection.execute(f"PRAGMA user_version = {migration.version}")

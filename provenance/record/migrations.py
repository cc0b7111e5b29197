"""The ledger's schema, as one ordered list of migrations for both engines.

The schema version counts the migrations applied (SQLite: `PRAGMA user_version`; PostgreSQL:
the `provenance_ledger` row). Opening a ledger for writing applies the missing ones, in order,
in one write transaction (DDL is transactional in SQLite and in PostgreSQL): a crash leaves the
old schema or the new one. A ledger whose version is higher than `LATEST_VERSION` was written
by a newer release and is refused, never downgraded.

Each migration is written for SQLite (`statements`, as shipped) and for PostgreSQL
(`postgresql`): the same tables, columns, constraints and append-only guards, each in its
engine's words (BLOB is BYTEA, `typeof` checks are the column type, triggers call one
function). A test builds both and compares them. To change the schema, append a `Migration`
with both; never edit one that has shipped. A migration that must compute something SQL
cannot (the Merkle tree over existing records) names a `backfill`, run in the same
transaction after its statements, on either engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from provenance.record._database import Database, Dialect
from provenance.record.merkle_store import build_tree

__all__ = ["APPLICATION_ID", "LATEST_VERSION", "MIGRATIONS", "Migration", "apply_migrations"]

# `PRAGMA application_id`: "PROV" in ASCII; marks the file as a provenance ledger.
APPLICATION_ID = 0x50524F56


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]  # SQLite
    backfill: Callable[[Database], None] | None = None
    postgresql: tuple[str, ...] | None = None

    def statements_for(self, dialect: Dialect) -> tuple[str, ...]:
        if dialect == "sqlite":
            return self.statements
        if self.postgresql is None:
            raise RuntimeError(f"migration {self.version}: written for SQLite only")
        return self.postgresql


def _pg_append_only(*tables: str) -> tuple[str, ...]:
    """PostgreSQL triggers refusing UPDATE, DELETE and TRUNCATE on `tables`."""
    return tuple(
        statement
        for table in tables
        for statement in (
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION provenance_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION provenance_append_only()",
        )
    )


def _sqlite_append_only(*tables: str) -> tuple[str, ...]:
    return tuple(
        f"""
        CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table}
        BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END
        """
        for table in tables
        for action in ("update", "delete")
    )


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
    postgresql=(
        # The schema's identity and version (SQLite keeps them in its file header).
        """
        CREATE TABLE provenance_ledger (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            application_id BIGINT NOT NULL,
            schema_version INTEGER NOT NULL
        )
        """,
        f"INSERT INTO provenance_ledger (id, application_id, schema_version) "  # noqa: S608
        f"VALUES (1, {APPLICATION_ID}, 0)",
        """
        CREATE TABLE audit (
            seq BIGINT PRIMARY KEY,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            prev_hash BYTEA NOT NULL CHECK (length(prev_hash) = 32),
            hash BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
            signature BYTEA,
            key_id TEXT,
            CHECK ((signature IS NULL) = (key_id IS NULL))
        )
        """,
        "CREATE INDEX audit_at ON audit (at)",
        """
        CREATE TABLE admissions (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
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
            audit_seq BIGINT NOT NULL UNIQUE REFERENCES audit (seq)
        )
        """,
        "CREATE INDEX admissions_by_digest ON admissions (artifact_sha256, segment)",
        "CREATE INDEX admissions_by_product ON admissions (product, segment)",
        # As in SQLite: a guard against mistakes, not the tamper evidence.
        """
        CREATE FUNCTION provenance_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING MESSAGE = 'table ' || TG_TABLE_NAME || ' is append-only';
        END
        $$
        """,
        *_pg_append_only("audit", "admissions"),
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
        *_sqlite_append_only("merkle_nodes", "checkpoints", "log_origin"),
    ),
    # Existing records become the first leaves; their checkpoint is signed by the next command
    # that holds the site key (`Ledger.sign_checkpoint`), as `admit` does on opening.
    backfill=build_tree,
    postgresql=(
        "CREATE TABLE log_origin (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL)",
        # 32 lowercase hex digits, as SQLite's randomblob(16) gives (PostgreSQL 13+ has
        # gen_random_uuid without an extension).
        "INSERT INTO log_origin (id, origin) "
        "VALUES (1, 'ot-provenance/audit/' || replace(gen_random_uuid()::text, '-', ''))",
        """
        CREATE TABLE merkle_nodes (
            position BIGINT PRIMARY KEY,
            hash BYTEA NOT NULL CHECK (length(hash) = 32)
        )
        """,
        "CREATE TABLE checkpoints (size BIGINT PRIMARY KEY CHECK (size > 0), note TEXT NOT NULL)",
        "CREATE INDEX admissions_by_store_path ON admissions (store_path)",
        "CREATE INDEX admissions_by_vsa_path ON admissions (vsa_path)",
        *_pg_append_only("merkle_nodes", "checkpoints", "log_origin"),
    ),
)

# Several sites, one log. Each checkpoint names the key that signed it (several gate hosts
# with their own site keys append to one PostgreSQL log). A ledger may take over the log of
# another one: `ledger migrate` continues a SQLite log in PostgreSQL, and `kit import` keeps
# a central gate's log as received (`log_adopted`: its origin replaces the one drawn at
# creation; only while the ledger's own log is empty). `kit_imports` is the receiving site's
# history of kits (a replayed kit is named as such); `ledger_moved` marks a SQLite ledger
# whose log now continues elsewhere, so no gate appends to the old copy (a fork).
_V3_TABLES = (
    "log_adopted (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL, "
    "how TEXT NOT NULL CHECK (how IN ('migrated', 'mirrored')), at TEXT NOT NULL)",
    "ledger_moved (id INTEGER PRIMARY KEY CHECK (id = 1), moved_to TEXT NOT NULL, "
    "at TEXT NOT NULL)",
)
_V3_IMPORTS = """
    kit_imports (
        id {id},
        manifest_sha256 TEXT NOT NULL UNIQUE CHECK (length(manifest_sha256) = 64),
        segment TEXT NOT NULL,
        first_size BIGINT NOT NULL,
        size BIGINT NOT NULL,
        checkpoint TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        manifest TEXT NOT NULL
    )
"""
_PG_ROW_ID = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
_V3 = Migration(
    version=3,
    description="several gate hosts and kits: checkpoint keys, adopted logs, kit imports",
    statements=(
        "ALTER TABLE checkpoints ADD COLUMN key_id TEXT",
        *(f"CREATE TABLE {table}" for table in _V3_TABLES),
        "CREATE TABLE " + _V3_IMPORTS.format(id="INTEGER PRIMARY KEY"),
        *_sqlite_append_only("log_adopted", "ledger_moved", "kit_imports"),
    ),
    postgresql=(
        "ALTER TABLE checkpoints ADD COLUMN key_id TEXT",
        *(f"CREATE TABLE {table}" for table in _V3_TABLES),
        "CREATE TABLE " + _V3_IMPORTS.format(id=_PG_ROW_ID),
        *_pg_append_only("log_adopted", "ledger_moved", "kit_imports"),
    ),
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3)
LATEST_VERSION = MIGRATIONS[-1].version


def apply_migrations(database: Database, current: int) -> None:
    """Run the migrations after `current`; the caller holds a write transaction and commits.

    Each migration ends by setting the schema version, inside the same transaction.
    """
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        for statement in migration.statements_for(database.dialect):
            database.execute(statement)
        if migration.backfill is not None:
            migration.backfill(database)
        database.set_schema_version(migration.version)

"""One schema, one migration set, one ledger code path: the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from provenance.record import Ledger, LedgerError, StateDir, check_consistency
from provenance.record._postgresql import PostgresLocation
from provenance.record.location import LedgerTarget
from provenance.record.migrations import LATEST_VERSION, MIGRATIONS
from provenance.record.not_admitted import explain_not_admitted, unknown_segment
from provenance.record.signed_admission import MISMATCH, answer_from_signed_records
from tests.record_helpers.support import (
    admit_bytes,
    append_events,
    event,
    public_signer,
    signing_key,
    tamper,
)

ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Engine:
    name: str
    state: StateDir
    target: LedgerTarget
    uri: str | None  # PostgreSQL only

    def open(self, *, create: bool = True) -> Ledger:
        return Ledger.open(self.target, create=create)

    def sql(self, *statements: str) -> None:
        """Write to the database as an insider would: the append-only guards switched off."""
        if self.uri is None:
            tamper(self.state.ledger_path, *statements)
            return
        with psycopg.connect(self.uri, autocommit=True) as connection:
            connection.execute("SET session_replication_role = replica")  # no triggers
            for statement in statements:
                connection.execute(statement)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    state = StateDir.open(tmp_path / "state", create=True)
    if request.param == "sqlite":
        return Engine("sqlite", state, state.ledger_path, None)
    uri: str = request.getfixturevalue("postgresql_uri")
    return Engine("postgresql", state, PostgresLocation(uri), uri)


@pytest.fixture
def ledger(engine: Engine) -> Iterator[Ledger]:
    with engine.open() as opened:
        yield opened


def _columns_sqlite(path: Path) -> dict[str, set[tuple[str, bool]]]:
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            table: {
                (row[1], bool(row[3]) or bool(row[5]))
                for row in connection.execute(f"PRAGMA table_info({table})")
            }
            for table in tables
        }
    finally:
        connection.close()


def _columns_postgresql(uri: str) -> dict[str, set[tuple[str, bool]]]:
    with psycopg.connect(uri) as connection:
        rows = connection.execute(
            "SELECT c.table_name, c.column_name, c.is_nullable = 'NO' FROM "
            "information_schema.columns c JOIN information_schema.tables t USING "
            "(table_schema, table_name) WHERE c.table_schema = current_schema() AND "
            "t.table_type = 'BASE TABLE'"
        ).fetchall()
    columns: dict[str, set[tuple[str, bool]]] = {}
    for table, column, not_null in rows:
        columns.setdefault(table, set()).add((column, bool(not_null)))
    return columns


def test_every_migration_is_written_for_both_engines() -> None:
    assert all(migration.postgresql for migration in MIGRATIONS)
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


def test_both_engines_build_the_same_tables_and_columns(
    tmp_path: Path, postgresql_uri: str
) -> None:
    state = StateDir.open(tmp_path / "state", create=True)
    with (
        Ledger.open(state.ledger_path, create=True),
        Ledger.open(PostgresLocation(postgresql_uri), create=True),
    ):
        pass
    lite = _columns_sqlite(state.ledger_path)
    postgres = _columns_postgresql(postgresql_uri)
    # PostgreSQL keeps the schema version in a table; SQLite in its file header.
    assert postgres.pop("provenance_ledger") == {
        ("id", True), ("application_id", True), ("schema_version", True)
    }  # fmt: skip
    assert lite == postgres


def test_admissions_and_the_log_read_back_alike(engine: Engine, ledger: Ledger) -> None:
    key = signing_key()
    first = admit_bytes(engine.state, ledger, engine.state.root / "a.bin", b"firmware A")
    append_events(ledger, 2, signer=key)
    second = admit_bytes(engine.state, ledger, engine.state.root / "b.bin", b"firmware B", index=9)
    assert list(ledger.admissions()) == [first, second]
    assert [record.seq for record in ledger.audit_records()] == [1, 2, 3, 4]
    assert ledger.record_count() == 4
    assert ledger.latest_checkpoint() is not None
    assert ledger.latest_checkpoint()[0] == 4  # type: ignore[index]
    report = check_consistency(engine.state, ledger, site_keys=[public_signer(key)])
    assert report.ok, report.problems
    assert report.log.newest_checkpoint == 4
    answer = answer_from_signed_records(
        ledger, first.artifact_sha256, first.segment, [public_signer(key)]
    )
    assert answer.admitted, answer.reason
    assert "signed record 1, in the log's checkpoint at 4 records" in answer.reason


def test_the_checkpoints_name_the_key_that_signed_them(engine: Engine, ledger: Ledger) -> None:
    gate_a, gate_b = signing_key(seed=b"gate host A"), signing_key(seed=b"gate host B")
    with ledger.transaction() as transaction:
        transaction.append_audit(event(1), signer=gate_a)
    with ledger.transaction() as transaction:
        transaction.append_audit(event(2), signer=gate_b)
    rows = list(ledger._rows("SELECT size, key_id FROM checkpoints ORDER BY size", (), "test"))
    assert rows == [(1, gate_a.key_id), (2, gate_b.key_id)]
    both = [public_signer(gate_a), public_signer(gate_b)]
    assert check_consistency(engine.state, ledger, site_keys=both).ok
    only_a = check_consistency(engine.state, ledger, site_keys=both[:1])
    assert not only_a.ok
    assert "record 2: signature does not verify with any trusted key" in only_a.problems[0]
    # The row's key id is checked against the key whose signature verifies.
    engine.sql(f"UPDATE checkpoints SET key_id = '{gate_a.key_id}' WHERE size = 2")
    relabelled = check_consistency(engine.state, ledger, site_keys=both)
    assert relabelled.problems[0] == (
        f"checkpoint 2: signed by key {gate_b.key_id}, but the log names {gate_a.key_id}"
    )


def test_an_edited_admission_row_is_caught_on_both(engine: Engine) -> None:
    key = signing_key()
    with engine.open() as ledger:
        admission = admit_bytes(engine.state, ledger, engine.state.root / "a.bin", b"fw")
    engine.sql("UPDATE admissions SET version = '9.9.9'")
    with engine.open(create=False) as ledger:
        answer = answer_from_signed_records(
            ledger, admission.artifact_sha256, admission.segment, [public_signer(key)]
        )
    assert not answer.admitted
    assert f"{MISMATCH}: version: the row says '9.9.9', signed record 1 says '4.2.1'" in (
        answer.reason
    )


def test_tables_are_append_only_for_ordinary_writes(engine: Engine, ledger: Ledger) -> None:
    append_events(ledger, 1, signer=signing_key())
    for statement in ("UPDATE audit SET at = 'x'", "DELETE FROM checkpoints"):
        # SQLite's trigger raises its constraint error as it did; PostgreSQL's is translated.
        refused = (sqlite3.IntegrityError, LedgerError)
        with (
            pytest.raises(refused, match="append-only"),
            ledger.transaction(),
            ledger._errors("testing"),
        ):
            ledger._db.execute(statement)
    assert ledger.record_count() == 1


def test_a_newer_schema_is_refused_unchanged(engine: Engine) -> None:
    with engine.open():
        pass
    if engine.uri is None:
        connection = sqlite3.connect(engine.state.ledger_path)
        connection.execute("PRAGMA user_version = 99")
        connection.close()
    else:
        engine.sql("UPDATE provenance_ledger SET schema_version = 99")
    for create in (True, False):
        with pytest.raises(LedgerError, match="created by a newer provenance: schema 99"):
            engine.open(create=create)


def test_another_applications_database_is_refused(engine: Engine) -> None:
    if engine.uri is None:
        connection = sqlite3.connect(engine.state.ledger_path)
        connection.execute("CREATE TABLE photos (id INTEGER)")
        connection.close()
    else:
        engine.sql("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(LedgerError, match=r"holds 1 schema object\(s\) but no provenance schema"):
        engine.open()


def test_a_read_only_open_writes_nothing(engine: Engine) -> None:
    if engine.uri is None:
        engine.state.ledger_path.touch()
    with pytest.raises(LedgerError, match=r"empty \(no schema\)"):
        engine.open(create=False)
    with engine.open() as ledger:
        append_events(ledger, 1, signer=signing_key())
    with engine.open(create=False) as ledger, pytest.raises(LedgerError, match="read-only"):
        ledger.transaction().__enter__()


def test_streaming_reads_walk_several_cursors_side_by_side(engine: Engine, ledger: Ledger) -> None:
    """audit verify reads records, nodes, checkpoints and admissions at once, in batches."""
    key = signing_key()
    for index in range(1, 301):
        with ledger.transaction() as transaction:
            transaction.append_audit(event(index), signer=key)
    with ledger.snapshot():
        records, nodes = ledger.audit_records(), ledger.stored_nodes()
        pairs = list(zip(records, nodes, strict=False))
    assert [record.seq for record, _ in pairs] == list(range(1, 301))
    assert check_consistency(engine.state, ledger, site_keys=[public_signer(key)]).ok


def test_check_explains_a_no_alike_on_both(engine: Engine, ledger: Ledger) -> None:
    """The searches behind `check`'s explanations (LIKE with an escape, DISTINCT) read the
    same on both engines, including a segment name with LIKE's wildcards in it."""
    key = signing_key()
    keys = [public_signer(key)]
    admission = admit_bytes(engine.state, ledger, engine.state.root / "a.bin", b"fw")
    digest = admission.artifact_sha256
    denied = event(5, sha256_hex=digest, segment="level_3%")
    with ledger.transaction() as transaction:
        transaction.append_audit(denied, signer=key)
    assert unknown_segment(ledger, "level1-controllers") is None
    assert unknown_segment(ledger, "level_3%") is None  # known from its signed denial only
    typo = unknown_segment(ledger, "level1-controlers")
    assert typo is not None
    assert "(did you mean level1-controllers?)" in typo
    assert unknown_segment(ledger, "level_3") is not None  # `_` and `%` matched literally
    why = explain_not_admitted(ledger, digest, "level_3%", keys)
    assert why.startswith("not admitted to level_3%: the gate denied it on ")
    assert "it is admitted to level1-controllers only" in why
    stranger = explain_not_admitted(ledger, "ab" * 32, "level1-controllers", keys)
    assert "this gate has no signed record of sha256:" + "ab" * 32 in stranger

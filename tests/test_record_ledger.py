"""The ledger: schema migrations, refusing newer/corrupt/foreign files, locks, transactions."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.version import Version

from provenance.errors import UsageError
from provenance.record import Ledger, LedgerError, StateDir, migrations
from provenance.record import ledger as ledger_module
from provenance.record.migrations import APPLICATION_ID, LATEST_VERSION, MIGRATIONS, Migration
from tests.record_helpers.support import admit_bytes, append_events, event, tamper


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    return StateDir.open(tmp_path / "state", create=True)


@pytest.fixture
def ledger(state: StateDir) -> Iterator[Ledger]:
    with Ledger.open(state.ledger_path, create=True) as opened:
        yield opened


def pragma(path: Path, name: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        connection.close()


def files_in(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


# -- schema ------------------------------------------------------------------------------


def test_migrations_are_numbered_one_to_latest() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


def test_a_new_ledger_is_created_owner_only_with_the_latest_schema(state: StateDir) -> None:
    with Ledger.open(state.ledger_path, create=True):
        pass
    assert state.ledger_path.stat().st_mode & 0o777 == 0o600
    assert pragma(state.ledger_path, "user_version") == LATEST_VERSION
    assert pragma(state.ledger_path, "application_id") == APPLICATION_ID
    connection = sqlite3.connect(state.ledger_path)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    assert {"audit", "admissions"} <= tables
    assert mode == "wal"


def test_reopening_is_idempotent_and_keeps_the_data(state: StateDir, tmp_path: Path) -> None:
    with Ledger.open(state.ledger_path, create=True) as ledger:
        admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
        append_events(ledger, 2)
    for _ in range(2):
        with Ledger.open(state.ledger_path, create=True) as ledger:
            assert list(ledger.admissions()) == [admission]
            assert [r.seq for r in ledger.audit_records()] == [1, 2, 3]
    assert pragma(state.ledger_path, "user_version") == LATEST_VERSION


def test_a_later_migration_is_applied_to_an_existing_ledger(
    state: StateDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger.open(state.ledger_path, create=True) as ledger:
        append_events(ledger, 1)
    v2 = Migration(LATEST_VERSION + 1, "test", ("CREATE TABLE extra (x INTEGER)",))
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, v2))
    monkeypatch.setattr(ledger_module, "LATEST_VERSION", v2.version)
    with Ledger.open(state.ledger_path, create=True) as ledger:
        assert len(list(ledger.audit_records())) == 1
    assert pragma(state.ledger_path, "user_version") == v2.version


def test_a_failing_migration_leaves_the_old_schema(
    state: StateDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger.open(state.ledger_path, create=True):
        pass
    broken = Migration(
        LATEST_VERSION + 1, "broken", ("CREATE TABLE half (x INTEGER)", "NOT SQL AT ALL")
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(ledger_module, "LATEST_VERSION", broken.version)
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        Ledger.open(state.ledger_path, create=True)
    assert pragma(state.ledger_path, "user_version") == LATEST_VERSION
    connection = sqlite3.connect(state.ledger_path)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "half" not in tables, "the migration's transaction must roll back as a whole"


def test_a_ledger_from_a_newer_release_is_refused_unchanged(state: StateDir) -> None:
    with Ledger.open(state.ledger_path, create=True):
        pass
    connection = sqlite3.connect(state.ledger_path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = state.ledger_path.read_bytes()
    for create in (True, False):
        with pytest.raises(LedgerError) as raised:
            Ledger.open(state.ledger_path, create=create)
        assert str(raised.value) == (
            f"ledger {state.ledger_path}: created by a newer provenance: schema 99, this "
            f"release reads up to {LATEST_VERSION}; upgrade provenance to use it (the ledger "
            "was not changed)"
        )
    assert state.ledger_path.read_bytes() == before


def test_another_applications_database_is_refused(state: StateDir) -> None:
    connection = sqlite3.connect(state.ledger_path)
    connection.execute("CREATE TABLE photos (id INTEGER)")
    connection.commit()
    connection.close()
    before = state.ledger_path.read_bytes()
    with pytest.raises(LedgerError) as raised:
        Ledger.open(state.ledger_path, create=True)
    assert str(raised.value) == (
        f"ledger {state.ledger_path}: holds 1 schema object(s) but no provenance schema "
        "version; expected an empty file or a provenance ledger (the file was not changed)"
    )
    assert state.ledger_path.read_bytes() == before


# -- corruption --------------------------------------------------------------------------


@pytest.mark.parametrize("create", [True, False])
def test_a_file_that_is_not_a_database_is_reported_and_left_byte_identical(
    state: StateDir, create: bool
) -> None:
    junk = b"this is not a database, it is junk\n" * 200
    state.ledger_path.write_bytes(junk)
    before = files_in(state.root)
    with pytest.raises(LedgerError) as raised:
        Ledger.open(state.ledger_path, create=create)
    message = str(raised.value)
    assert message.startswith(f"ledger {state.ledger_path}: is not a SQLite database (")
    assert "Nothing was changed" in message
    assert "restore it from a backup" in message
    assert isinstance(raised.value, UsageError)
    assert files_in(state.root) == before, "no byte changed, no -wal or -shm file created"


def test_a_malformed_database_page_is_reported_and_left_byte_identical(
    state: StateDir,
) -> None:
    with Ledger.open(state.ledger_path, create=True) as ledger:
        schema_pages = pragma(state.ledger_path, "page_count")
        append_events(ledger, 60)  # several pages of audit records
    page_size = pragma(state.ledger_path, "page_size")
    data = bytearray(state.ledger_path.read_bytes())
    assert len(data) >= (schema_pages + 4) * page_size
    # Keep the pages of the empty ledger (header, schema, empty tables), overwrite every page
    # added for the records.
    kept = schema_pages * page_size
    data[kept:] = b"\xa5" * (len(data) - kept)
    state.ledger_path.write_bytes(bytes(data))
    with Ledger.open(state.ledger_path, create=True) as ledger:
        with pytest.raises(LedgerError) as raised:
            list(ledger.audit_records())
        message = str(raised.value)
        assert message.startswith(f"ledger {state.ledger_path}: is corrupted (")
        assert "malformed" in message
        assert "Nothing was changed" in message
        with pytest.raises(LedgerError) as raised_on_write:
            append_events(ledger, 1)
        assert "is corrupted" in str(raised_on_write.value)
    assert state.ledger_path.read_bytes() == bytes(data)


# -- read-only ---------------------------------------------------------------------------


def test_read_only_open_of_a_missing_ledger_says_nothing_was_admitted(state: StateDir) -> None:
    with pytest.raises(LedgerError) as raised:
        Ledger.open(state.ledger_path, create=False)
    assert str(raised.value) == (
        f"ledger {state.ledger_path}: does not exist; expected the ledger of a state directory "
        "where something was admitted (nothing has been admitted here)"
    )
    assert not state.ledger_path.exists()


def test_read_only_open_of_an_empty_file_does_not_migrate_it(state: StateDir) -> None:
    state.ledger_path.write_bytes(b"")
    with pytest.raises(LedgerError) as raised:
        Ledger.open(state.ledger_path, create=False)
    assert "empty (no schema)" in str(raised.value)
    assert state.ledger_path.read_bytes() == b""


def test_read_only_ledger_refuses_to_write(state: StateDir, tmp_path: Path) -> None:
    with Ledger.open(state.ledger_path, create=True) as ledger:
        admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    with Ledger.open(state.ledger_path, create=False) as ledger:
        assert ledger.find_admission(admission.artifact_sha256, admission.segment) == admission
        with pytest.raises(LedgerError) as raised, ledger.transaction():
            pass
    assert str(raised.value) == (
        f"ledger {state.ledger_path}: opened read-only; expected it opened with create=True "
        "to write"
    )


# -- locks -------------------------------------------------------------------------------

_HOLD_WRITE_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_ledger_locked_by_another_process_is_a_clear_error_after_the_timeout(
    state: StateDir, tmp_path: Path
) -> None:
    with Ledger.open(state.ledger_path, create=True) as ledger:
        admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_WRITE_LOCK, str(state.ledger_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        with Ledger.open(state.ledger_path, create=True, busy_timeout=0.3) as ledger:
            # WAL: readers (such as `check`) are not blocked by the writer.
            assert ledger.find_admission(admission.artifact_sha256, admission.segment)
            started = time.monotonic()
            with pytest.raises(LedgerError) as raised, ledger.transaction():
                pass
            waited = time.monotonic() - started
    finally:
        holder.communicate("")
    assert str(raised.value) == (
        f"ledger {state.ledger_path}: locked by another process while starting a write "
        "transaction (waited 0.3 s); expected it to be free: another provenance command is "
        "probably writing to it, retry when that has finished"
    )
    assert 0.25 <= waited < 5, waited
    with Ledger.open(state.ledger_path, create=True) as ledger:  # released: usable again
        append_events(ledger, 1)


# -- transactions ------------------------------------------------------------------------


def test_an_exception_in_a_transaction_rolls_back_everything(
    ledger: Ledger, state: StateDir, tmp_path: Path
) -> None:
    class Boom(RuntimeError):
        pass

    def fail_after_appending() -> None:
        with ledger.transaction() as transaction:
            transaction.append_audit(event(1))
            raise Boom

    with pytest.raises(Boom):
        fail_after_appending()
    assert list(ledger.audit_records()) == []
    admit_bytes(state, ledger, tmp_path / "a.bin", b"after the rollback")
    assert [r.seq for r in ledger.audit_records()] == [1]


def test_a_transaction_cannot_be_used_after_it_ended(ledger: Ledger) -> None:
    with ledger.transaction() as transaction:
        pass
    with pytest.raises(RuntimeError, match="ledger transaction used after it ended"):
        transaction.append_audit(event(1))


def test_an_admission_needs_its_admit_record_from_the_same_transaction(
    ledger: Ledger, state: StateDir, tmp_path: Path
) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    with ledger.transaction() as transaction:
        deny = transaction.append_audit(event(2, sha256_hex=admission.artifact_sha256))
        with pytest.raises(ValueError, match="admission's audit record: expected") as raised:
            transaction.record_admission(admission, deny)
    assert "('admit'," in str(raised.value)
    assert "got ('deny'," in str(raised.value)
    earlier = next(ledger.audit_records())
    with ledger.transaction() as transaction, pytest.raises(ValueError) as raised:
        transaction.record_admission(admission, earlier)
    assert str(raised.value) == ("audit record 1: expected a record appended in this transaction")


def test_re_admission_keeps_history_and_finds_the_newest(
    ledger: Ledger, state: StateDir, tmp_path: Path
) -> None:
    first = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware", index=1)
    second = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware", index=2)
    assert first.artifact_sha256 == second.artifact_sha256
    assert list(ledger.admissions()) == [first, second]
    assert ledger.find_admission(first.artifact_sha256, first.segment) == second
    assert ledger.find_admission(first.artifact_sha256, "another-segment") is None
    entries = list(ledger.admission_entries(sha256_hex=first.artifact_sha256))
    assert [e.audit_seq for e in entries] == [1, 2]


def test_newest_version_orders_with_the_callers_key(
    ledger: Ledger, state: StateDir, tmp_path: Path
) -> None:
    for index, version in enumerate(["1.9", "1.10", "1.2"]):
        admission = admit_bytes(state, ledger, tmp_path / "a.bin", version.encode(), index=index)
        assert admission.version == f"4.2.{index}"
    with ledger.transaction() as transaction:
        product = "pkg:generic/acme/plc-firmware"
        assert transaction.newest_version(product, "level1-controllers", Version) == "4.2.2"
        assert transaction.newest_version(product, "level3-operations", Version) is None
        assert transaction.newest_version("other", "level1-controllers", Version) is None


def test_tables_are_append_only_for_ordinary_writes(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 1)
    connection = sqlite3.connect(state.ledger_path)
    try:
        for statement in ("UPDATE audit SET at = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
                connection.execute(statement)
    finally:
        connection.close()


def test_a_malformed_admission_row_is_reported(
    ledger: Ledger, state: StateDir, tmp_path: Path
) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    tamper(state.ledger_path, "UPDATE admissions SET evidence = '[1, 2]'")
    with pytest.raises(LedgerError) as raised:
        ledger.find_admission(admission.artifact_sha256, admission.segment)
    assert str(raised.value) == (
        f"ledger {state.ledger_path}: admission 1: malformed row (evidence: expected a JSON "
        "object, got list); expected what this release writes (was the database edited?)"
    )


def test_admission_refuses_naive_times_and_bad_digests(
    ledger: Ledger, state: StateDir, tmp_path: Path
) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    with pytest.raises(ValueError, match="expected a timezone-aware datetime"):
        replace(admission, decided_at=admission.decided_at.replace(tzinfo=None))
    with pytest.raises(ValueError, match="admission artifact_sha256: expected 64 lowercase"):
        replace(admission, artifact_sha256="ABC")

"""The consistency check: admissions against the store, the VSAs and the audit log; orphans."""

from __future__ import annotations

import os
import sqlite3
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from provenance.clock import utc_now
from provenance.record import (
    AuditEvent,
    ContentStore,
    Ledger,
    LedgerError,
    StateDir,
    check_consistency,
    clean_orphans,
)
from tests.record_helpers.support import (
    admit_bytes,
    append_events,
    event,
    public_signer,
    signing_key,
    tamper,
)


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    return StateDir.open(tmp_path / "state", create=True)


@pytest.fixture
def ledger(state: StateDir) -> Iterator[Ledger]:
    with Ledger.open(state.ledger_path, create=True) as opened:
        yield opened


def test_a_healthy_state_has_no_problems_and_no_orphans(
    state: StateDir, ledger: Ledger, tmp_path: Path
) -> None:
    admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware a", index=1)
    admit_bytes(state, ledger, tmp_path / "b.bin", b"firmware b", index=2, vsa=False)
    admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware a", index=3)  # re-admission
    append_events(ledger, 2)  # denials
    report = check_consistency(state, ledger)
    assert report.problems == ()
    assert report.orphans == ()
    assert report.ok
    assert report.admission_count == 3
    assert report.audit.record_count == 5


def test_a_read_only_view_can_be_checked(state: StateDir, ledger: Ledger, tmp_path: Path) -> None:
    admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware a")
    with Ledger.open(state.ledger_path, create=False) as read_only:
        report = check_consistency(StateDir.open(state.root, create=False), read_only)
    assert report.ok, report.problems


def test_a_missing_store_file_is_a_problem(state: StateDir, ledger: Ledger, tmp_path: Path) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    stored = state.resolve(admission.store_path)
    stored.unlink()
    assert check_consistency(state, ledger).problems == (
        f"admission 1 ({admission.artifact_sha256} to level1-controllers): its store file "
        f"{stored} is missing",
    )


def test_a_store_file_changed_on_disk_is_a_problem(
    state: StateDir, ledger: Ledger, tmp_path: Path
) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    stored = state.resolve(admission.store_path)
    stored.chmod(0o600)
    stored.write_bytes(b"implant")
    (problem,) = check_consistency(state, ledger).problems
    assert problem.startswith(
        f"admission 1 ({admission.artifact_sha256} to level1-controllers): its store file "
        f"{stored} has SHA-256 "
    )
    assert problem.endswith(" (changed on disk?)")
    assert check_consistency(state, ledger, hash_store_files=False).ok


def test_a_changed_vsa_file_is_a_problem(state: StateDir, ledger: Ledger, tmp_path: Path) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    assert admission.vsa_path is not None
    vsa_file = state.resolve(admission.vsa_path)
    assert vsa_file.read_text() == admission.vsa
    vsa_file.chmod(0o600)
    vsa_file.write_text('{"forged": true}')
    assert check_consistency(state, ledger).problems == (
        f"admission 1 ({admission.artifact_sha256} to level1-controllers): its VSA file "
        f"{vsa_file} differs from the VSA in the ledger",
    )


def test_an_admit_record_without_an_admission_is_a_half_admission(
    state: StateDir, ledger: Ledger
) -> None:
    with ledger.transaction() as transaction:
        transaction.append_audit(event(1, kind="admit"))
    assert check_consistency(state, ledger).problems == (
        f"audit record 1: admits {event(1).artifact_sha256} to level1-controllers, but no "
        "admission refers to it (half-admission)",
    )


def test_an_admission_whose_audit_record_is_gone_is_a_problem(
    state: StateDir, ledger: Ledger, tmp_path: Path
) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    append_events(ledger, 1)
    tamper(state.ledger_path, "DELETE FROM audit WHERE seq = 1")
    assert check_consistency(state, ledger).problems == (
        "record 2: is the first record; record 1 is missing",
        # The tree and the checkpoint signed with record 1 no longer fit the records.
        "the stored Merkle tree differs from the records from node 0 on (records or tree "
        "edited after they were written): proofs read from it, as `check` does, will not verify",
        "checkpoint 1: its root is not the root of the log's first 1 record (a record among "
        "them removed, inserted or edited, or the checkpoint forged)",
        f"admission 1 ({admission.artifact_sha256} to level1-controllers): its audit record 1 "
        "is missing",
    )


def test_a_truncated_audit_log_is_caught_through_the_admissions(
    state: StateDir, ledger: Ledger, tmp_path: Path
) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    tamper(state.ledger_path, "DELETE FROM audit")
    assert check_consistency(state, ledger).problems == (
        "the stored Merkle tree holds node 0 and more, beyond the 0 records of the log (records "
        "removed?)",
        "a checkpoint for 1 record is stored, but the log holds 0: record 1 is gone",
        f"admission 1 ({admission.artifact_sha256} to level1-controllers): its audit record 1 "
        "is missing",
    )


def test_an_admission_pointing_outside_the_store_is_a_problem(
    state: StateDir, ledger: Ledger, tmp_path: Path
) -> None:
    admission = admit_bytes(state, ledger, tmp_path / "a.bin", b"firmware")
    tamper(state.ledger_path, "UPDATE admissions SET store_path = '../../etc/passwd'")
    expected = f"store/sha256/{admission.artifact_sha256[:2]}/{admission.artifact_sha256}"
    assert check_consistency(state, ledger).problems == (
        f"admission 1 ({admission.artifact_sha256} to level1-controllers): store path is "
        f"'../../etc/passwd', expected {expected!r}",
    )


def test_leftovers_of_an_interrupted_admit_are_orphans_not_problems(
    state: StateDir, ledger: Ledger, tmp_path: Path
) -> None:
    admit_bytes(state, ledger, tmp_path / "kept.bin", b"admitted")
    store = ContentStore(state)
    source = tmp_path / "interrupted.bin"
    source.write_bytes(b"staged, never recorded")
    staged = store.stage_copy(source)  # crash before the transaction: a file in tmp/
    source.write_bytes(b"stored, never recorded")
    stored = store.commit(store.stage_copy(source))  # crash before COMMIT: a store file
    report = check_consistency(state, ledger)
    assert report.problems == ()
    assert set(report.orphans) == {staged.path, stored}

    # A recent file in tmp/ may belong to an admit still verifying: kept by default.
    assert clean_orphans(state, ledger) == [stored]
    assert staged.path.exists()
    assert check_consistency(state, ledger).orphans == (staged.path,)

    old = (utc_now() - timedelta(hours=2)).timestamp()
    os.utime(staged.path, (old, old))
    assert clean_orphans(state, ledger) == [staged.path]
    report = check_consistency(state, ledger)
    assert (report.problems, report.orphans) == ((), ())
    assert report.admission_count == 1


def test_clean_orphans_with_no_minimum_age_removes_every_orphan(
    state: StateDir, ledger: Ledger, tmp_path: Path
) -> None:
    source = tmp_path / "x.bin"
    source.write_bytes(b"x")
    staged = ContentStore(state).stage_copy(source)
    assert clean_orphans(state, ledger, min_age=timedelta(0)) == [staged.path]


def test_a_corrupted_database_stops_the_check_with_a_clear_error(
    state: StateDir, ledger: Ledger
) -> None:
    append_events(ledger, 50)
    assert ledger.integrity_problems() == []
    ledger.close()
    connection = sqlite3.connect(state.ledger_path)
    (root_page,) = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'audit_at'"
    ).fetchone()
    (page_size,) = connection.execute("PRAGMA page_size").fetchone()
    connection.close()
    data = bytearray(state.ledger_path.read_bytes())
    end_of_index_page = root_page * page_size
    data[end_of_index_page - 40 : end_of_index_page - 20] = b"9" * 20
    state.ledger_path.write_bytes(bytes(data))
    with (
        Ledger.open(state.ledger_path, create=True) as reopened,
        pytest.raises(LedgerError) as raised,
    ):
        check_consistency(state, reopened)
    assert str(raised.value).startswith(
        f"ledger {state.ledger_path}: is corrupted (database disk image is malformed)"
    )
    assert state.ledger_path.read_bytes() == bytes(data)


# -- streaming: memory does not grow with the log, each event is parsed once --------------

STREAM_SIZES = (512, 2048)  # multiples of the ledger's fetch batch, so the batches line up


def _signed_log(root: Path, count: int) -> StateDir:
    state = StateDir.open(root, create=True)
    with Ledger.open(state.ledger_path, create=True) as writable, writable.transaction() as tx:
        for index in range(1, count + 1):
            tx.append_audit(event(index), signer=signing_key())
    return StateDir.open(root, create=False)


def test_the_check_streams_the_log_and_parses_each_event_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = Counter[str]()  # counts only: holding the texts would itself grow with the log
    original = AuditEvent.from_json.__func__  # type: ignore[attr-defined]

    def counting(cls: type[AuditEvent], text: str) -> AuditEvent:
        parsed["events"] += 1
        return original(cls, text)  # type: ignore[no-any-return]

    monkeypatch.setattr(AuditEvent, "from_json", classmethod(counting))
    peaks = []
    for count in STREAM_SIZES:
        state = _signed_log(tmp_path / f"log-{count}", count)
        parsed.clear()
        with Ledger.open(state.ledger_path, create=False) as ledger:
            tracemalloc.start()
            try:
                report = check_consistency(state, ledger, site_keys=[public_signer(signing_key())])
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        assert report.ok, report.problems
        assert report.log.tree_size == count
        assert parsed["events"] == count, "each record's event is parsed exactly once"
    # Four times the records, the same peak (the records held at once are one fetch batch).
    assert peaks[1] < 1.2 * peaks[0], peaks

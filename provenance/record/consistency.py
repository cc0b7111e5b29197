"""Is the state directory consistent? The check behind the crash test and `audit verify`.

Problems (the state is damaged or was tampered with):
- SQLite's own integrity check fails;
- the audit chain does not verify (`ChainVerifier`);
- the Merkle tree, the checkpoints or a witness do not match the records (`LogVerifier`);
- an admission's store file is missing, or its SHA-256 differs from the admitted digest;
- an admission has no matching "admit" audit record, or an "admit" audit record has no
  admission (a half-admission: the two are written in one transaction, so this means damage;
  except in a ledger that keeps a central gate's log received in kits, which installs the
  admissions of the segments it was sent only);
- an admission's VSA file is missing or differs from the VSA in the ledger.

Orphans (informational, not problems): files in `tmp/`, and store or VSA files no admission
names. An interrupted `admit` leaves them by design (files are written before the transaction
that records them commits). A running `admit` has them too, which is why `clean_orphans` takes
the ledger's write lock and leaves recent files in `tmp/` alone.

Memory does not grow with the log: records and admissions are read once each, in order, side
by side (admissions by their record's seq), and each event is parsed once; a stored file is
looked up by its path in the ledger's index instead of collecting every path.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.record.admit import vsa_path_for
from provenance.record.audit import (
    AuditRecord,
    AuditVerification,
    ChainVerifier,
    CheckedRecord,
)
from provenance.record.audit_keys import key_signature_check
from provenance.record.errors import StateError
from provenance.record.ledger import AdmissionEntry, Ledger
from provenance.record.log_verifier import LogVerification, LogVerifier
from provenance.record.state import StateDir
from provenance.record.store import ContentStore
from provenance.record.witnesses import Witness
from provenance.verification.signers import PublicKeySigner

__all__ = ["ORPHAN_MIN_AGE", "ConsistencyReport", "check_consistency", "clean_orphans"]

# A file in tmp/ younger than this may belong to an `admit` still verifying; leave it.
ORPHAN_MIN_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class ConsistencyReport:
    problems: tuple[str, ...]
    orphans: tuple[Path, ...]  # informational: left by interrupted (or running) commands
    audit: AuditVerification
    log: LogVerification
    admission_count: int

    @property
    def ok(self) -> bool:
        return not self.problems


def check_consistency(
    state: StateDir,
    ledger: Ledger,
    *,
    site_keys: Sequence[PublicKeySigner] = (),
    witnesses: Sequence[Witness] = (),
    hash_store_files: bool = True,
) -> ConsistencyReport:
    """Check the ledger against itself, the audit log, its tree and the files, and the log
    against `witnesses` (see the module docstring).

    With `site_keys`, every record and every checkpoint must carry a signature by one of them
    and the newest checkpoint must cover the log. `hash_store_files=False` skips re-reading
    every stored artifact (only presence is checked).
    """
    problems = ledger.integrity_problems()
    with ledger.snapshot():
        chain = ChainVerifier(
            verify_signature=key_signature_check(site_keys) if site_keys else None,
            require_signatures=bool(site_keys),
            highest_seq=ledger.record_count(),
        )
        log = LogVerifier(
            origin=ledger.log_origin(),
            site_keys=site_keys,
            nodes=ledger.stored_nodes(),
            checkpoints=ledger.stored_checkpoints(),
            witnesses=witnesses,
        )
        files: list[str] = []

        def check_files(entry: AdmissionEntry) -> None:
            files.extend(_files_of(state, entry, hash_store_files=hash_store_files))

        # A site that receives kits holds the central log whole but installs the admissions
        # of its own segments only: there an "admit" record without a row is expected.
        adopted = ledger.adopted_log()
        mirrored = adopted is not None and adopted[1] == "mirrored"
        links = _AuditLinks(
            ledger.admission_entries_by_audit_seq(), check_files, every_admission=not mirrored
        )
        for record in ledger.audit_records():
            checked = chain.add(record)
            log.add(record, checked)
            links.add(record, checked)
        links.finish()
        tree = log.finish(ledger.tree())
        orphans = tuple(_orphans(state, ledger))
    verification = chain.result()
    problems.extend(verification.problems)
    problems.extend(tree.problems)
    problems.extend(links.problems)
    problems.extend(files)
    return ConsistencyReport(
        problems=tuple(problems),
        orphans=orphans,
        audit=verification,
        log=tree,
        admission_count=links.count,
    )


def clean_orphans(
    state: StateDir,
    ledger: Ledger,
    *,
    min_age: timedelta = ORPHAN_MIN_AGE,
    now: Clock = utc_now,
) -> list[Path]:
    """Remove orphans; returns what was removed.

    Holds the ledger's write lock, so no `admit` can move a file into the store meanwhile
    (it does that inside its transaction). Files in `tmp/` are removed only when older than
    `min_age`: an `admit` stages its copy before it takes the lock.
    """
    removed: list[Path] = []
    cutoff = (now() - min_age).timestamp()
    with ledger.transaction():
        for orphan in list(_orphans(state, ledger)):
            try:
                if orphan.parent == state.tmp_dir and orphan.lstat().st_mtime > cutoff:
                    continue
                orphan.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StateError(
                    f"state directory {state.root}: cannot remove orphan {orphan}: "
                    f"{exc.strerror or exc}; expected a writable state directory"
                ) from exc
            removed.append(orphan)
    return removed


class _AuditLinks:
    """Admissions (by audit_seq) beside the records (by seq): each admission has its "admit"
    record, each "admit" record its admission. Each admission is read once and also handed
    to `on_entry` (the check of its files)."""

    def __init__(
        self,
        entries: Iterator[AdmissionEntry],
        on_entry: Callable[[AdmissionEntry], None],
        *,
        every_admission: bool = True,
    ) -> None:
        self._every_admission = every_admission
        self._entries = entries
        self._on_entry = on_entry
        self.count = 0
        self.problems: list[str] = []
        self._pending = self._next()

    def _next(self) -> AdmissionEntry | None:
        entry = next(self._entries, None)
        if entry is not None:
            self.count += 1
            self._on_entry(entry)
        return entry

    def add(self, record: AuditRecord, checked: CheckedRecord) -> None:
        # Admissions whose record number was passed without that record: missing.
        while self._pending is not None and self._pending.audit_seq < record.seq:
            self._missing(self._pending)
            self._pending = self._next()
        event = checked.event
        if self._pending is not None and self._pending.audit_seq == record.seq:
            entry, self._pending = self._pending, self._next()
            if event is None:
                return  # reported by the chain check
            admission = entry.admission
            expected = (
                "admit",
                admission.artifact_sha256,
                admission.segment,
                admission.decided_at,
            )
            got = (event.kind, event.artifact_sha256, event.segment, event.at)
            if got != expected:
                self.problems.append(
                    f"{_label(entry)}: audit record {record.seq} does not record it: expected "
                    f"kind, digest, segment, time {_show(expected)}, got {_show(got)}"
                )
        elif event is not None and event.kind == "admit" and self._every_admission:
            self.problems.append(
                f"audit record {record.seq}: admits {event.artifact_sha256} to {event.segment}, "
                "but no admission refers to it (half-admission)"
            )

    def finish(self) -> None:
        while self._pending is not None:
            self._missing(self._pending)
            self._pending = self._next()

    def _missing(self, entry: AdmissionEntry) -> None:
        self.problems.append(f"{_label(entry)}: its audit record {entry.audit_seq} is missing")


def _label(entry: AdmissionEntry) -> str:
    admission = entry.admission
    return f"admission {entry.id} ({admission.artifact_sha256} to {admission.segment})"


def _show(values: tuple[object, ...]) -> str:
    return "(" + ", ".join(str(value) for value in values) + ")"


def _files_of(state: StateDir, entry: AdmissionEntry, *, hash_store_files: bool) -> Iterator[str]:
    admission = entry.admission
    label = _label(entry)
    expected_store = state.relative(ContentStore(state).path_for(admission.artifact_sha256))
    if admission.store_path != expected_store:
        yield f"{label}: store path is {admission.store_path!r}, expected {expected_store!r}"
        return
    path = state.resolve(admission.store_path)
    if not path.is_file():
        yield f"{label}: its store file {path} is missing"
    elif hash_store_files:
        actual = _sha256_of(path)
        if actual is None:
            yield f"{label}: its store file {path} cannot be read"
        elif actual != admission.artifact_sha256:
            yield f"{label}: its store file {path} has SHA-256 {actual} (changed on disk?)"
    if (admission.vsa is None) != (admission.vsa_path is None):
        yield f"{label}: expected both a VSA and its path, or neither"
        return
    if admission.vsa is None or admission.vsa_path is None:
        return
    expected_vsa = vsa_path_for(state, admission.vsa)
    if admission.vsa_path != expected_vsa:
        yield f"{label}: VSA path is {admission.vsa_path!r}, expected {expected_vsa!r}"
        return
    vsa_file = state.resolve(admission.vsa_path)
    try:
        content = vsa_file.read_bytes()
    except OSError as exc:
        yield f"{label}: its VSA file {vsa_file} cannot be read: {exc.strerror or exc}"
        return
    if content != admission.vsa.encode("utf-8"):
        yield f"{label}: its VSA file {vsa_file} differs from the VSA in the ledger"


def _sha256_of(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _orphans(state: StateDir, ledger: Ledger) -> Iterator[Path]:
    """Files in tmp/, and store and VSA files no admission names (looked up one by one)."""
    yield from _files_under(state.tmp_dir)
    for directory, column in ((state.store_dir, "store_path"), (state.vsa_dir, "vsa_path")):
        for path in _files_under(directory):
            if not ledger.names_file(column, state.relative(path)):
                yield path


def _files_under(directory: Path) -> Iterator[Path]:
    """Files below `directory`, depth first, each directory's entries sorted (one directory's
    listing in memory at a time: the store fans out 256 ways)."""
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _files_under(Path(entry.path))
        else:
            yield Path(entry.path)

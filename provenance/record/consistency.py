"""Is the state directory consistent? The check behind the crash test and `audit verify`.

Problems (the state is damaged or was tampered with):
- SQLite's own integrity check fails;
- the audit chain does not verify (`verify_audit_chain`);
- an admission's store file is missing, or its SHA-256 differs from the admitted digest;
- an admission has no matching "admit" audit record, or an "admit" audit record has no
  admission (a half-admission: the two are written in one transaction, so this means damage);
- an admission's VSA file is missing or differs from the VSA in the ledger.

Orphans (informational, not problems): files in `tmp/`, and store or VSA files no admission
names. An interrupted `admit` leaves them by design (files are written before the transaction
that records them commits). A running `admit` has them too, which is why `clean_orphans` takes
the ledger's write lock and leaves recent files in `tmp/` alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.record.admit import vsa_path_for
from provenance.record.audit import (
    AuditRecord,
    AuditVerification,
    SignatureCheck,
    verify_audit_chain,
)
from provenance.record.errors import StateError
from provenance.record.ledger import AdmissionEntry, Ledger
from provenance.record.state import StateDir
from provenance.record.store import ContentStore

__all__ = ["ORPHAN_MIN_AGE", "ConsistencyReport", "check_consistency", "clean_orphans"]

# A file in tmp/ younger than this may belong to an `admit` still verifying; leave it.
ORPHAN_MIN_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class ConsistencyReport:
    problems: tuple[str, ...]
    orphans: tuple[Path, ...]  # informational: left by interrupted (or running) commands
    audit: AuditVerification
    admission_count: int

    @property
    def ok(self) -> bool:
        return not self.problems


def check_consistency(
    state: StateDir,
    ledger: Ledger,
    *,
    verify_signature: SignatureCheck | None = None,
    hash_store_files: bool = True,
) -> ConsistencyReport:
    """Check the ledger against itself, the audit log and the files (see the module docstring).

    `hash_store_files=False` skips re-reading every stored artifact (only presence is checked).
    """
    problems = ledger.integrity_problems()
    with ledger.snapshot():
        entries = list(ledger.admission_entries())
        records = list(ledger.audit_records())
    verification = verify_audit_chain(records, verify_signature=verify_signature)
    problems.extend(verification.problems)
    problems.extend(_audit_links(entries, records))
    hashed: dict[Path, str | None] = {}
    for entry in entries:
        problems.extend(_files_of(state, entry, hashed, hash_store_files=hash_store_files))
    orphans = tuple(_orphans(state, entries))
    return ConsistencyReport(
        problems=tuple(problems),
        orphans=orphans,
        audit=verification,
        admission_count=len(entries),
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
        entries = list(ledger.admission_entries())
        for orphan in _orphans(state, entries):
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


def _audit_links(entries: list[AdmissionEntry], records: list[AuditRecord]) -> Iterator[str]:
    by_seq = {record.seq: record for record in records}
    linked = set()
    for entry in entries:
        admission = entry.admission
        label = f"admission {entry.id} ({admission.artifact_sha256} to {admission.segment})"
        record = by_seq.get(entry.audit_seq)
        linked.add(entry.audit_seq)
        if record is None:
            yield f"{label}: its audit record {entry.audit_seq} is missing"
            continue
        try:
            event = record.event()
        except ValueError:
            continue  # reported by the chain check
        expected = ("admit", admission.artifact_sha256, admission.segment, admission.decided_at)
        got = (event.kind, event.artifact_sha256, event.segment, event.at)
        if got != expected:
            yield (
                f"{label}: audit record {record.seq} does not record it: expected kind, digest, "
                f"segment, time {_show(expected)}, got {_show(got)}"
            )
    for record in records:
        if record.seq in linked:
            continue
        try:
            event = record.event()
        except ValueError:
            continue
        if event.kind == "admit":
            yield (
                f"audit record {record.seq}: admits {event.artifact_sha256} to {event.segment}, "
                "but no admission refers to it (half-admission)"
            )


def _show(values: tuple[object, ...]) -> str:
    return "(" + ", ".join(str(value) for value in values) + ")"


def _files_of(
    state: StateDir,
    entry: AdmissionEntry,
    hashed: dict[Path, str | None],
    *,
    hash_store_files: bool,
) -> Iterator[str]:
    admission = entry.admission
    label = f"admission {entry.id} ({admission.artifact_sha256} to {admission.segment})"
    expected_store = state.relative(ContentStore(state).path_for(admission.artifact_sha256))
    if admission.store_path != expected_store:
        yield f"{label}: store path is {admission.store_path!r}, expected {expected_store!r}"
        return
    path = state.resolve(admission.store_path)
    if not path.is_file():
        yield f"{label}: its store file {path} is missing"
    elif hash_store_files:
        if path not in hashed:
            hashed[path] = _sha256_of(path)
        actual = hashed[path]
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


def _orphans(state: StateDir, entries: list[AdmissionEntry]) -> Iterator[Path]:
    named = {entry.admission.store_path for entry in entries}
    named.update(entry.admission.vsa_path for entry in entries if entry.admission.vsa_path)
    yield from _files_under(state.tmp_dir)
    for directory in (state.store_dir, state.vsa_dir):
        for path in _files_under(directory):
            if state.relative(path) not in named:
                yield path


def _files_under(directory: Path) -> Iterator[Path]:
    if not directory.is_dir():
        return
    for path in sorted(directory.rglob("*")):
        if not path.is_dir():
            yield path

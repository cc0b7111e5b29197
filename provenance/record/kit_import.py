"""Importing a transfer kit at an air-gapped site: verify everything offline, then install.

The site keeps the central gate's log as it was received (same records, signatures and
checkpoints, under the central log's name), plus the admissions of the segments it was sent,
their artifacts in its store and their VSAs; `check` then answers from them exactly as it
would at the central gate. Trust comes only from the site keys the operator gives (copies
kept apart from the kit): the key inside the kit is for comparison, never trusted.

1. The manifest's signature by a trusted key (`kit_manifest.verify_manifest`).
2. The kit holds exactly the files the manifest lists, each with its size and SHA-256: an
   altered byte anywhere is named with its file.
3. The kit's checkpoint: signed by a trusted key, of the manifest's log and size.
Then, in ONE ledger transaction (a failure anywhere leaves the site as it was):
4. The site's log: empty (this kit's log is adopted), or this log as imported before. Its
   newest checkpoint must verify. A kit whose checkpoint is older than it (a smaller log), a
   kit already imported (same manifest), or one starting after the records the site holds is
   refused.
5. The records, in order from the site's tree at `firstSize`: each links to the one before,
   hashes to its stored value, is signed by a trusted key, and parses; a record the site
   already holds must be the same record (else the kit is of a forked log); the root at the
   site's size must be its signed checkpoint's root (the kit extends what was imported),
   every checkpoint in the kit must verify and have the recomputed root at its size, and the
   root at the kit's size must be the kit's checkpoint's. New records are appended as
   received.
6. Each admission: its record is an "admit" of exactly that digest to the kit's segment and
   says what the row says; its artifact's digest is the admitted one; its VSA is signed by a
   trusted key, about that digest and segment, and its inclusion proof leads to a checkpoint
   whose root is this log's at that size. Then the artifact goes into the store (re-hashed as
   it is copied), the VSA beside it, and the row into the ledger.
7. The import itself is recorded (manifest, range, checkpoint), and COMMIT.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from provenance.errors import VerificationFailure
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.inputs.files import read_bounded
from provenance.record._fs import ensure_directory, write_durably
from provenance.record._time import format_time, parse_time
from provenance.record.admit import vsa_path_for
from provenance.record.audit import GENESIS_HASH, AuditRecord, record_hash, signed_message
from provenance.record.audit_event import AuditEvent
from provenance.record.audit_keys import key_signature_check
from provenance.record.kit_manifest import (
    ADMISSIONS_FILE,
    CHECKPOINT_FILE,
    LOG_FILE,
    MANIFEST_FILE,
    MAX_MANIFEST_BYTES,
    KitManifest,
    KitRefused,
    verify_manifest,
)
from provenance.record.ledger import Admission, Ledger, LedgerTransaction
from provenance.record.signed_admission import first_difference
from provenance.record.state import STATE_DIR_MODE, StateDir
from provenance.record.store import COPY_CHUNK_BYTES, ContentStore
from provenance.transparency.checkpoint import Checkpoint, parse_checkpoint
from provenance.transparency.merkle import CompactRange, leaf_hash
from provenance.transparency.note_keys import verify_note
from provenance.verification.signers import PublicKeySigner
from provenance.verification.site_statements import verify_vsa

__all__ = ["ImportedKit", "import_kit"]

MAX_VSA_BYTES = 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024
_LOG_FIELDS = {"seq", "at", "event", "prevHash", "hash", "signature", "keyId", "checkpoint",
               "checkpointKeyId"}  # fmt: skip
_ADMISSION_FIELDS = {
    "auditSeq", "artifactSha256", "artifactName", "segment", "product", "version", "policyPath",
    "policySha256", "decidedAt", "vsa", "evidence",
}  # fmt: skip


@dataclass(frozen=True)
class ImportedKit:
    origin: str
    segment: str
    records_added: int
    admissions_added: int
    size: int  # the site's log now


def import_kit(
    state: StateDir,
    ledger: Ledger,
    kit: Path,
    *,
    keys: Sequence[PublicKeySigner],
    now: datetime,
) -> ImportedKit:
    """See the module docstring. `KitRefused` (exit 1) names what did not verify."""
    # 1.
    data = read_bounded(kit / MANIFEST_FILE, MAX_MANIFEST_BYTES, "kit manifest")
    if data is None:
        raise KitRefused(f"{MANIFEST_FILE}: larger than {MAX_MANIFEST_BYTES} bytes")
    manifest, manifest_sha256, payload = verify_manifest(data, keys)
    # 2.
    _check_files(kit, manifest.files)
    # 3.
    checkpoint = _checkpoint(manifest.checkpoint, keys, f"the kit's checkpoint ({CHECKPOINT_FILE})")
    if (checkpoint.origin, checkpoint.size) != (manifest.origin, manifest.size):
        raise KitRefused(
            f"{CHECKPOINT_FILE}: a checkpoint of {checkpoint.origin} at {checkpoint.size} records, "
            f"the manifest names {manifest.origin} at {manifest.size}"
        )
    if (kit / CHECKPOINT_FILE).read_text(encoding="utf-8") != manifest.checkpoint:
        raise KitRefused(f"{CHECKPOINT_FILE}: differs from the manifest's checkpoint")
    with ledger.transaction() as transaction:
        # 4.
        imported_at = ledger.kit_import(manifest_sha256)
        if imported_at is not None:
            raise KitRefused(
                f"this kit was imported on {imported_at} already (a replayed kit); nothing changed"
            )
        held = _site_log(ledger, transaction, manifest, keys, now)
        # 5.
        replay = _Replay(ledger, transaction, manifest, held, keys)
        replay.run(kit / LOG_FILE, checkpoint)
        # 6.
        added = _install_admissions(
            state, transaction, kit, manifest=manifest, replay=replay, keys=keys
        )
        if replay.added == 0 and added == 0:
            raise KitRefused(
                f"nothing new: the site holds this log at {held[0]} records and every admission "
                "of the kit (an older or replayed kit)"
            )
        # 7.
        transaction.record_kit_import(
            manifest_sha256=manifest_sha256,
            segment=manifest.segment,
            first_size=manifest.first_size,
            size=manifest.size,
            checkpoint=manifest.checkpoint,
            imported_at=now,
            manifest=payload,
        )
    return ImportedKit(manifest.origin, manifest.segment, replay.added, added, manifest.size)


def _check_files(kit: Path, files: Mapping[str, tuple[int, str]]) -> None:
    found = set()
    for path in _files_under(kit, kit):
        relative = path.relative_to(kit).as_posix()
        if relative == MANIFEST_FILE:
            continue
        if relative not in files:
            raise KitRefused(f"{relative}: not listed in the signed manifest (added to the kit)")
        found.add(relative)
        size, digest = files[relative]
        actual_size, actual = _sha256(path)
        if (actual_size, actual) != (size, digest):
            raise KitRefused(
                f"{relative}: SHA-256 {actual} ({actual_size} bytes), the signed manifest says "
                f"{digest} ({size} bytes): altered after export"
            )
    missing = sorted(set(files) - found)
    if missing:
        raise KitRefused(f"{missing[0]}: listed in the signed manifest but missing from the kit")


def _files_under(root: Path, directory: Path) -> Iterator[Path]:
    with os.scandir(directory) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _files_under(root, path)
        elif entry.is_file(follow_symlinks=False):
            yield path
        else:
            raise KitRefused(
                f"{path.relative_to(root).as_posix()}: not a regular file (a link or special "
                "file in a kit is refused)"
            )


def _sha256(path: Path) -> tuple[int, str]:
    hasher, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            hasher.update(chunk)
            size += len(chunk)
    return size, hasher.hexdigest()


def _checkpoint(note: str, keys: Sequence[PublicKeySigner], what: str) -> Checkpoint:
    try:
        checkpoint = parse_checkpoint(note)
        verify_note(checkpoint, keys)
    except VerificationFailure as failure:
        raise KitRefused(f"{what}: {failure}") from failure
    return checkpoint


def _site_log(
    ledger: Ledger,
    transaction: LedgerTransaction,
    manifest: KitManifest,
    keys: Sequence[PublicKeySigner],
    now: datetime,
) -> tuple[int, bytes | None]:
    """(records the site holds, the root its newest checkpoint signs); adopts the kit's log
    into an empty ledger."""
    count = ledger.record_count()
    adopted = ledger.adopted_log()
    if manifest.first_size > count:
        raise KitRefused(
            f"the kit starts after record {manifest.first_size}, this site holds {count}: import "
            "the kits in between first, or export with --since a checkpoint this site holds"
        )
    if adopted is None:
        if count:
            raise KitRefused(
                f"this state directory's ledger holds its own audit log ({count} records): kits "
                "are imported into a state directory that only receives them (choose another "
                "--state-dir)"
            )
        transaction.adopt_log(manifest.origin, "mirrored", now)
        return 0, None
    if adopted != (manifest.origin, "mirrored"):
        raise KitRefused(
            f"this site keeps the log {adopted[0]}, the kit is of the log {manifest.origin} "
            "(another central gate, or its ledger was replaced)"
        )
    latest = ledger.latest_checkpoint()
    if latest is None:
        raise KitRefused("the site's imported log has no checkpoint (edited?)")
    held = _checkpoint(latest[1], keys, "the site's newest imported checkpoint")
    if (held.size, held.origin) != (count, manifest.origin):
        raise KitRefused(
            f"the site's newest checkpoint covers {held.size} records, its log holds {count} "
            "(edited?): run `provenance audit verify`"
        )
    if manifest.size < count:
        raise KitRefused(
            f"older kit: its checkpoint covers {manifest.size} records, this site has imported "
            f"{count} already (a kit exported before the last one imported)"
        )
    return count, held.root_hash


class _Replay:
    """Step 5: the kit's records replayed onto the site's log."""

    def __init__(
        self,
        ledger: Ledger,
        transaction: LedgerTransaction,
        manifest: KitManifest,
        held: tuple[int, bytes | None],
        keys: Sequence[PublicKeySigner],
    ) -> None:
        self._ledger, self._transaction, self._manifest = ledger, transaction, manifest
        self._held_size, self._held_root = held
        self._keys = keys
        self._signature = key_signature_check(keys)
        self.roots: dict[int, bytes] = {}
        self.admits: dict[int, tuple[AuditEvent, bytes]] = {}
        self.added = 0

    def run(self, log: Path, checkpoint: Checkpoint) -> None:
        first, held = self._manifest.first_size, self._held_size
        border = CompactRange.from_nodes(self._ledger.tree().node, first)
        if first and first == held and border.root() != self._held_root:
            # The site's stored tree is a cache: it must be what its signed checkpoint signs.
            raise KitRefused(
                f"the site's stored tree at {held} records is not its signed checkpoint's root "
                "(edited?): run `provenance audit verify`"
            )
        previous = GENESIS_HASH
        if first:
            previous = next(iter(self._ledger.audit_records_from(first, first))).hash
        local = iter(self._ledger.audit_records_from(first + 1, held))
        seq = first
        for line_number, line in enumerate(_lines(log), start=1):
            seq += 1
            record, note = _log_line(line, f"{LOG_FILE}:{line_number}", seq)
            self._check_record(record, previous)
            border.append(leaf_hash(record.hash))
            self.roots[seq] = border.root()
            if seq <= held:
                mine = next(local)
                if mine.hash != record.hash:
                    raise KitRefused(
                        f"record {seq} differs from the record {seq} this site imported before: "
                        "the kit is of a forked log"
                    )
                if seq == held and self.roots[seq] != self._held_root:
                    raise KitRefused(
                        f"the kit's first {held} records do not have the root this site's "
                        "checkpoint signed: the kit is of a forked log"
                    )
            if note is not None:
                self._check_note(note[0], seq)
            elif seq == self._manifest.size:
                raise KitRefused(f"record {seq}: carries no checkpoint (the kit's is required)")
            if seq > held:
                self._transaction.append_received(record, note)
                self.added += 1
            previous = record.hash
        if seq != self._manifest.size:
            raise KitRefused(
                f"{LOG_FILE}: ends at record {seq}, the manifest's checkpoint covers "
                f"{self._manifest.size}"
            )
        if self.roots[seq] != checkpoint.root_hash:
            raise KitRefused(
                f"{LOG_FILE}: the records do not lead to the root of the kit's checkpoint"
            )

    def _check_record(self, record: AuditRecord, previous: bytes) -> None:
        seq = record.seq
        if record.prev_hash != previous:
            raise KitRefused(f"record {seq}: does not link to record {seq - 1}")
        if record_hash(seq, record.prev_hash, record.event_json) != record.hash:
            raise KitRefused(f"record {seq}: its hash does not match its content (altered)")
        if record.signature is None or (
            self._signature(signed_message(record.hash), record.signature) != record.key_id
        ):
            raise KitRefused(f"record {seq}: not signed by a trusted site key")
        try:
            event = record.event()
        except ValueError as exc:
            raise KitRefused(f"record {seq}: not a valid audit event ({exc})") from exc
        if format_time(event.at) != record.at:
            raise KitRefused(f"record {seq}: its time column differs from its content")
        if event.kind == "admit" and event.segment == self._manifest.segment:
            self.admits[seq] = (event, record.hash)

    def _check_note(self, note: str, seq: int) -> None:
        checkpoint = _checkpoint(note, self._keys, f"record {seq}'s checkpoint")
        if (checkpoint.origin, checkpoint.size) != (self._manifest.origin, seq):
            raise KitRefused(
                f"record {seq}'s checkpoint names {checkpoint.origin} at {checkpoint.size}"
            )
        if checkpoint.root_hash != self.roots[seq]:
            raise KitRefused(f"record {seq}'s checkpoint does not sign the log's root at {seq}")
        if seq == self._manifest.size and note != self._manifest.checkpoint:
            raise KitRefused(f"record {seq}'s checkpoint is not the manifest's")


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while line := handle.readline(MAX_LINE_BYTES + 1):
            if len(line) > MAX_LINE_BYTES or not line.endswith(b"\n"):
                raise KitRefused(f"{path.name}: a line is too long or not terminated")
            yield line


def _json_line(line: bytes, where: str, fields: set[str]) -> dict[str, Any]:
    try:
        value = load_json(line)
    except MalformedJson as exc:
        raise KitRefused(f"{where}: not JSON ({exc})") from exc
    if not isinstance(value, dict) or set(value) != fields:
        raise KitRefused(f"{where}: expected exactly the fields {sorted(fields)}")
    return value


def _log_line(
    line: bytes, where: str, seq: int
) -> tuple[AuditRecord, tuple[str, str | None] | None]:
    value = _json_line(line, where, _LOG_FIELDS)
    if value["seq"] != seq:
        raise KitRefused(f"{where}: record {value['seq']!r}, expected record {seq}")
    try:
        signature = value["signature"]
        record = AuditRecord(
            seq=seq,
            at=_text(value["at"]),
            event_json=_text(value["event"]),
            prev_hash=bytes.fromhex(_text(value["prevHash"])),
            hash=bytes.fromhex(_text(value["hash"])),
            signature=None
            if signature is None
            else base64.b64decode(_text(signature), validate=True),
            key_id=None if value["keyId"] is None else _text(value["keyId"]),
        )
        note = value["checkpoint"]
        key = value["checkpointKeyId"]
        checkpoint = None if note is None else (_text(note), None if key is None else _text(key))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise KitRefused(f"{where}: malformed record ({exc})") from exc
    if len(record.prev_hash) != 32 or len(record.hash) != 32:
        raise KitRefused(f"{where}: hashes must be 32 bytes")
    return record, checkpoint


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _install_admissions(
    state: StateDir,
    transaction: LedgerTransaction,
    kit: Path,
    *,
    manifest: KitManifest,
    replay: _Replay,
    keys: Sequence[PublicKeySigner],
) -> int:
    added = 0
    store = ContentStore(state)
    for line_number, line in enumerate(_lines(kit / ADMISSIONS_FILE), start=1):
        where = f"{ADMISSIONS_FILE}:{line_number}"
        value = _json_line(line, where, _ADMISSION_FIELDS)
        seq = value["auditSeq"]
        admission, vsa_name = _admission(value, where)
        if admission.segment != manifest.segment:
            raise KitRefused(f"{where}: an admission to {admission.segment}, the kit is for "
                             f"{manifest.segment}")  # fmt: skip
        signed = replay.admits.get(seq) if isinstance(seq, int) else None
        if signed is None:
            raise KitRefused(
                f"{where}: names record {seq!r}, which is not an admission to "
                f"{manifest.segment} among the kit's records"
            )
        _matches(admission, signed[0], where)
        if transaction.admission_recorded_for(seq):
            continue  # installed from an earlier kit
        digest = admission.artifact_sha256
        artifact = kit / "artifacts" / digest
        if manifest.files.get(f"artifacts/{digest}", (0, ""))[1] != digest:
            raise KitRefused(f"{where}: the kit carries no artifact with SHA-256 {digest}")
        vsa = None
        if vsa_name is not None:
            vsa = _verified_vsa(
                kit, vsa_name, manifest=manifest, admission=admission, seq=seq,
                record_hash_=signed[1], replay=replay, keys=keys,
            )  # fmt: skip
        staged = store.stage_copy(artifact)
        try:
            if staged.sha256_hex != digest:
                raise KitRefused(f"artifacts/{digest}: changed while it was imported")
            stored = store.commit(staged)
        finally:
            store.discard(staged)
        vsa_path = None
        if vsa is not None:
            vsa_path = vsa_path_for(state, vsa)
            target = state.resolve(vsa_path)
            ensure_directory(target.parent, STATE_DIR_MODE)
            write_durably(vsa.encode("utf-8"), state.tmp_dir, target)
        transaction.record_received_admission(
            Admission(
                artifact_sha256=digest,
                artifact_name=admission.artifact_name,
                segment=admission.segment,
                product=admission.product,
                version=admission.version,
                policy_path=admission.policy_path,
                policy_sha256=admission.policy_sha256,
                decided_at=admission.decided_at,
                store_path=state.relative(stored),
                vsa_path=vsa_path,
                vsa=vsa,
                evidence=admission.evidence,
            ),
            seq,
        )
        added += 1
    return added


def _admission(value: dict[str, Any], where: str) -> tuple[Admission, str | None]:
    vsa = value["vsa"]
    evidence = value["evidence"]
    if not isinstance(evidence, dict) or not (vsa is None or isinstance(vsa, str)):
        raise KitRefused(f"{where}: evidence must be an object and vsa a file name or null")
    try:
        return (
            Admission(
                artifact_sha256=_text(value["artifactSha256"]),
                artifact_name=_text(value["artifactName"]),
                segment=_text(value["segment"]),
                product=None if value["product"] is None else _text(value["product"]),
                version=None if value["version"] is None else _text(value["version"]),
                policy_path=_text(value["policyPath"]),
                policy_sha256=_text(value["policySha256"]),
                decided_at=parse_time(_text(value["decidedAt"])),
                store_path="",
                vsa_path=None,
                vsa=None,
                evidence=evidence,
            ),
            vsa,
        )
    except (ValueError, TypeError) as exc:
        raise KitRefused(f"{where}: malformed admission ({exc})") from exc


def _matches(admission: Admission, event: AuditEvent, where: str) -> None:
    """The row says what its signed record says (as `check` requires)."""
    differs = first_difference(admission, event)
    if differs is not None:
        field, row_value, signed_value = differs
        raise KitRefused(
            f"{where}: {field}: the admission says {row_value!r}, its signed record says "
            f"{signed_value!r}"
        )


def _verified_vsa(
    kit: Path,
    name: str,
    *,
    manifest: KitManifest,
    admission: Admission,
    seq: int,
    record_hash_: bytes,
    replay: _Replay,
    keys: Sequence[PublicKeySigner],
) -> str:
    if name not in manifest.files or not name.startswith("vsa/"):
        raise KitRefused(f"{name}: not a VSA file of the kit")
    data = read_bounded(kit / name, MAX_VSA_BYTES, "VSA")
    if data is None:
        raise KitRefused(f"{name}: larger than {MAX_VSA_BYTES} bytes")
    try:
        verified = verify_vsa(
            data, name, artifact_sha256=admission.artifact_sha256, segment=admission.segment,
            site_keys=keys,
        )  # fmt: skip
        if verified.audit_log is None:
            raise KitRefused(f"{name}: carries no audit-log inclusion proof")
        checkpoint = verified.audit_log.verify(keys, name)
    except VerificationFailure as failure:
        raise KitRefused(f"{name}: {failure}") from failure
    inclusion = verified.audit_log
    if (inclusion.leaf_index, inclusion.record_hash) != (seq - 1, record_hash_):
        raise KitRefused(f"{name}: its inclusion proof is for another record than record {seq}")
    if (
        checkpoint.origin != manifest.origin
        or replay.roots.get(checkpoint.size) != checkpoint.root_hash
    ):
        raise KitRefused(
            f"{name}: its checkpoint (at {checkpoint.size} records) is not of this log's history "
            "(a forked log)"
        )
    return data.decode("utf-8")

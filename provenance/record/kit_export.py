"""Writing a transfer kit: a segment's admissions since a checkpoint, with the log that proves
them, signed by the exporting site key (layout in `kit_manifest`).

1. In one snapshot of the ledger: the newest checkpoint (size m) must name this log; the
   `--since` checkpoint, if given, must be of this log, no larger, and have the stored tree's
   root at its size (a checkpoint of another history is refused: the site would refuse the
   kit anyway).
2. The records after `since` up to m, each with its stored checkpoint; their chain is
   recomputed and must lead to the newest checkpoint's root (a damaged ledger is not shipped).
3. The segment's admissions among those records; each artifact is copied from the store and
   re-hashed as it is copied (a store file that changed on disk is refused), each VSA written
   beside it.
4. The manifest lists every file with its size and SHA-256 and is signed last.

The kit directory must not exist yet (nothing is overwritten); a kit that fails half-way is
removed. Files are written 0600 in directories 0700.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from provenance.errors import UsageError, VerificationFailure
from provenance.record._time import format_time
from provenance.record.audit import record_hash
from provenance.record.errors import LogDamaged
from provenance.record.kit_manifest import (
    ADMISSIONS_FILE,
    CHECKPOINT_FILE,
    LOG_FILE,
    MANIFEST_FILE,
    KitManifest,
    sign_manifest,
)
from provenance.record.ledger import AdmissionEntry, Ledger
from provenance.record.state import StateDir
from provenance.record.store import COPY_CHUNK_BYTES, ContentStore
from provenance.signing.keys import SigningKey
from provenance.transparency.checkpoint import Checkpoint, parse_checkpoint
from provenance.transparency.merkle import CompactRange, leaf_hash

__all__ = ["ExportedKit", "export_kit"]

_DIR_MODE = 0o700
_FILE_MODE = 0o600


@dataclass(frozen=True)
class ExportedKit:
    path: Path
    segment: str
    first_size: int
    size: int
    admissions: int
    artifacts: int


def export_kit(
    state: StateDir,
    ledger: Ledger,
    *,
    segment: str,
    key: SigningKey,
    out: Path,
    since: Checkpoint | None,
    now: datetime,
) -> ExportedKit:
    """Write the kit into the new directory `out` (see the module docstring)."""
    try:
        out.mkdir(mode=_DIR_MODE)
    except FileExistsError as exc:
        raise UsageError(f"{out}: already exists; a kit is written to a new path") from exc
    except OSError as exc:
        raise UsageError(f"{out}: cannot create the kit: {exc.strerror or exc}") from exc
    try:
        return _write(state, ledger, segment=segment, key=key, out=out, since=since, now=now)
    except BaseException:
        _remove_tree(out)
        raise


def _write(
    state: StateDir,
    ledger: Ledger,
    *,
    segment: str,
    key: SigningKey,
    out: Path,
    since: Checkpoint | None,
    now: datetime,
) -> ExportedKit:
    files: dict[str, tuple[int, str]] = {}
    with ledger.snapshot():
        # 1.
        latest = ledger.latest_checkpoint()
        if latest is None:
            raise UsageError(
                f"ledger {ledger.location}: no signed checkpoint yet; nothing to export"
            )
        checkpoint = parse_checkpoint(latest[1])
        origin = ledger.log_origin()
        size = ledger.record_count()
        if checkpoint.origin != origin or checkpoint.size != size:
            raise LogDamaged(
                f"the newest checkpoint names {checkpoint.origin} at {checkpoint.size} records, "
                f"the ledger's log is {origin} with {size}: run `provenance audit verify`"
            )
        first = 0 if since is None else _since_size(ledger, since, origin, size)
        if first == size:
            raise UsageError(
                f"nothing to export: the log holds {size} records, all covered by the --since "
                "checkpoint"
            )
        # 2.
        with _open(out / LOG_FILE) as log:
            _write_log(ledger, log, first, size, checkpoint)
        files[LOG_FILE] = _digest(out / LOG_FILE)
        # 3.
        entries = [
            entry
            for entry in ledger.admission_entries(segment=segment)
            if first < entry.audit_seq <= size
        ]
        artifacts: set[str] = set()
        with _open(out / ADMISSIONS_FILE) as admissions:
            for entry in entries:
                digest = entry.admission.artifact_sha256
                if digest not in artifacts:
                    relative, listed = _copy_artifact(state, digest, out)
                    files[relative] = listed
                    artifacts.add(digest)
                vsa_name = None
                if entry.admission.vsa is not None:
                    vsa_bytes = entry.admission.vsa.encode("utf-8")
                    vsa_name = f"vsa/{hashlib.sha256(vsa_bytes).hexdigest()}.dsse.json"
                    _write_file(out / vsa_name, vsa_bytes)
                    files[vsa_name] = (len(vsa_bytes), hashlib.sha256(vsa_bytes).hexdigest())
                admissions.write(_admission_line(entry, vsa_name))
        files[ADMISSIONS_FILE] = _digest(out / ADMISSIONS_FILE)
    # 4.
    _write_file(out / CHECKPOINT_FILE, checkpoint.note.encode())
    files[CHECKPOINT_FILE] = _digest(out / CHECKPOINT_FILE)
    _write_file(out / "keys/site.pub", _public_pem(key))
    files["keys/site.pub"] = _digest(out / "keys/site.pub")
    manifest = KitManifest(
        origin=origin,
        segment=segment,
        first_size=first,
        size=size,
        checkpoint=checkpoint.note,
        exported_at=format_time(now),
        exported_by=key.key_id,
        files=files,
    )
    envelope, _ = sign_manifest(manifest, key)
    _write_file(out / MANIFEST_FILE, envelope)
    return ExportedKit(out, segment, first, size, len(entries), len(artifacts))


def _since_size(ledger: Ledger, since: Checkpoint, origin: str, size: int) -> int:
    if since.origin != origin:
        raise UsageError(
            f"--since: a checkpoint of log {since.origin}, this ledger's log is {origin}"
        )
    if since.size > size:
        raise UsageError(
            f"--since: a checkpoint at {since.size} records, the log holds {size} (a checkpoint "
            "from a longer log: records were removed here?)"
        )
    if since.size and ledger.tree().root(since.size) != since.root_hash:
        raise UsageError(
            f"--since: the checkpoint at {since.size} records is not of this log's history (its "
            "root differs: a forked log)"
        )
    return since.size


def _write_log(ledger: Ledger, log: Any, first: int, size: int, checkpoint: Checkpoint) -> None:
    border = CompactRange.from_nodes(ledger.tree().node, first)
    notes = ledger.checkpoints_with_keys(first + 1, size)
    previous: bytes | None = None
    for record in ledger.audit_records_from(first + 1, size):
        recomputed = record_hash(record.seq, record.prev_hash, record.event_json)
        if recomputed != record.hash or previous not in (None, record.prev_hash):
            raise LogDamaged(
                f"audit record {record.seq} does not hash to its stored value or link to the "
                "one before: run `provenance audit verify`"
            )
        border.append(leaf_hash(recomputed))
        previous = record.hash
        note = notes.get(record.seq)
        log.write(
            json.dumps(
                {
                    "seq": record.seq,
                    "at": record.at,
                    "event": record.event_json,
                    "prevHash": record.prev_hash.hex(),
                    "hash": record.hash.hex(),
                    "signature": None
                    if record.signature is None
                    else base64.b64encode(record.signature).decode(),
                    "keyId": record.key_id,
                    "checkpoint": None if note is None else note[0],
                    "checkpointKeyId": None if note is None else note[1],
                },
                sort_keys=True,
                separators=(",", ":"),
            )
            + "\n"
        )
    if border.size != size or border.root() != checkpoint.root_hash:
        raise LogDamaged(
            f"the records up to {size} do not lead to the newest checkpoint's root: run "
            "`provenance audit verify`"
        )


def _admission_line(entry: AdmissionEntry, vsa_name: str | None) -> str:
    admission = entry.admission
    return (
        json.dumps(
            {
                "auditSeq": entry.audit_seq,
                "artifactSha256": admission.artifact_sha256,
                "artifactName": admission.artifact_name,
                "segment": admission.segment,
                "product": admission.product,
                "version": admission.version,
                "policyPath": admission.policy_path,
                "policySha256": admission.policy_sha256,
                "decidedAt": format_time(admission.decided_at),
                "vsa": vsa_name,
                "evidence": dict(admission.evidence),
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        + "\n"
    )


def _copy_artifact(state: StateDir, digest: str, out: Path) -> tuple[str, tuple[int, str]]:
    source = ContentStore(state).path_for(digest)
    relative = f"artifacts/{digest}"
    target = out / relative
    target.parent.mkdir(mode=_DIR_MODE, exist_ok=True)
    hasher, size = hashlib.sha256(), 0
    try:
        with source.open("rb") as reader, _open_binary(target) as writer:
            while chunk := reader.read(COPY_CHUNK_BYTES):
                hasher.update(chunk)
                writer.write(chunk)
                size += len(chunk)
    except OSError as exc:
        raise UsageError(
            f"{source}: cannot read the stored artifact: {exc.strerror or exc}"
        ) from exc
    if hasher.hexdigest() != digest:
        raise VerificationFailure(
            f"{source}: the stored artifact has SHA-256 {hasher.hexdigest()}, expected {digest} "
            "(changed on disk): run `provenance audit verify`",
            check="store",
        )
    return relative, (size, digest)


def _public_pem(key: SigningKey) -> bytes:
    return key.public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _open(path: Path) -> Any:
    return os.fdopen(_create(path), "w", encoding="utf-8")


def _open_binary(path: Path) -> Any:
    return os.fdopen(_create(path), "wb")


def _create(path: Path) -> int:
    path.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)


def _write_file(path: Path, data: bytes) -> None:
    with _open_binary(path) as handle:
        handle.write(data)


def _digest(path: Path) -> tuple[int, str]:
    data_hash, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            data_hash.update(chunk)
            size += len(chunk)
    return size, data_hash.hexdigest()


def _remove_tree(root: Path) -> None:
    """Remove a kit this command created and did not finish (only what it wrote)."""
    for path in sorted(root.rglob("*"), key=lambda item: len(item.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
    root.rmdir()

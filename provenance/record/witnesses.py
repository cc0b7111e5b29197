"""Witnesses: checkpoints and VSAs kept away from the state directory, read back to check it.

A witness is either
- a checkpoint (`provenance audit checkpoint --output FILE`): the log's size and root at that
  moment, signed by the site key; or
- a VSA the gate issued: besides the admission it states, it carries its audit record's leaf
  index, record hash, checkpoint and inclusion proof (`LogInclusion`).

Each is verified before it counts (site-key signatures, the VSA's inclusion proof); then
`log_verifier` requires the current log to extend every witnessed checkpoint and to hold every
witnessed record unchanged. Whoever can edit the state directory cannot edit a copy on a
second host, a USB stick or a workstation: that is what makes cutting records off detectable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import VerificationFailure
from provenance.inputs.files import read_bounded
from provenance.transparency.checkpoint import Checkpoint, parse_checkpoint
from provenance.transparency.note_keys import verify_note
from provenance.verification.signers import PublicKeySigner
from provenance.verification.site_statements import read_site_vsa

__all__ = ["MAX_WITNESS_BYTES", "Witness", "WitnessedRecord", "load_witnesses"]

# A checkpoint is a few hundred bytes; a VSA with many evidence inputs a few hundred KiB.
MAX_WITNESS_BYTES = 1024 * 1024


@dataclass(frozen=True)
class WitnessedRecord:
    """The audit record a VSA was issued for: it must still be in the log, unchanged."""

    seq: int
    hash: bytes
    artifact_sha256: tuple[str, ...]
    segments: tuple[str, ...]

    def describe(self) -> str:
        digests = ", ".join(self.artifact_sha256) or "no digest"
        return f"admission of {digests} to {', '.join(self.segments) or 'no segment'}"


@dataclass(frozen=True)
class Witness:
    source: str
    checkpoint: Checkpoint  # its signature verified with a site key
    record: WitnessedRecord | None  # for a VSA


def load_witnesses(
    paths: Sequence[Path], site_keys: Sequence[PublicKeySigner]
) -> tuple[list[Witness], list[str]]:
    """The witnesses that verify, and one problem per witness that does not.

    A file that cannot be read is the operator's problem (`InputError`, exit 2); a file that
    reads but does not verify is a failed check of the log (a problem, exit 1).
    """
    witnesses, problems = [], []
    for path in paths:
        data = read_bounded(path, MAX_WITNESS_BYTES, "witness (a checkpoint or a VSA)")
        if data is None:
            problems.append(f"witness {path}: larger than {MAX_WITNESS_BYTES} bytes")
            continue
        try:
            witnesses.append(_witness(data, str(path), site_keys))
        except VerificationFailure as failure:
            problems.append(f"witness {path}: does not verify: {failure}")
    return witnesses, problems


def _witness(data: bytes, source: str, site_keys: Sequence[PublicKeySigner]) -> Witness:
    """1. JSON is a VSA: its DSSE signature, then its inclusion proof to its checkpoint.
    2. Anything else must be a checkpoint: parsed, its signature verified."""
    if data.lstrip().startswith(b"{"):
        vsa = read_site_vsa(data, source, site_keys=site_keys)
        if vsa.audit_log is None:
            raise VerificationFailure(
                f"{source}: the VSA carries no audit-log entry (issued before VSAs carried "
                "inclusion proofs); expected one with auditLog",
                check="witness",
            )
        checkpoint = vsa.audit_log.verify(site_keys, source)
        record = WitnessedRecord(
            seq=vsa.audit_log.leaf_index + 1,
            hash=vsa.audit_log.record_hash,
            artifact_sha256=vsa.subject_sha256,
            segments=vsa.segments,
        )
        return Witness(source=source, checkpoint=checkpoint, record=record)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationFailure(
            f"{source}: neither a VSA (JSON) nor a checkpoint (UTF-8 text)", check="witness"
        ) from exc
    checkpoint = parse_checkpoint(text)
    verify_note(checkpoint, site_keys)
    return Witness(source=source, checkpoint=checkpoint, record=None)

"""Is this digest admitted to this segment? Answered from signed records only.

The admissions table is an index, and whoever holds the disk can edit it. So the answer
"admitted" needs, besides a row, the row's own audit record, signed by the site key, in the
log the newest site-signed checkpoint covers, and no later record withdrawing it:

1. The newest admission row for (digest, segment); none: not admitted.
2. The newest checkpoint: it parses, names this ledger's log, is signed by a site key, and
   covers every record the log holds (each record's checkpoint is written with it).
3. The records from the row's audit record to the checkpoint's size, in order, without gaps:
   each one's chain hash is recomputed (it is the leaf); an event is parsed only when its JSON
   holds the digest (canonical JSON spells it in full, so no other record can be about it).
4. The row's record: signed by a site key, an "admit" of exactly this digest to exactly this
   segment, and naming what the row names (time, policy and its SHA-256, product, version,
   artifact name). Any difference: "ledger row does not match its signed record".
5. A later record about the same digest and segment: a "deny" withdraws the admission (the
   gate's newest decision counts); an "admit" is a newer admission with no row of its own
   (rows and records disagree).
6. The stored tree's border before the row's record, plus the recomputed leaves from it on,
   gives the root of the whole log: it must be the checkpoint's root. That proves the row's
   record and every later one are exactly the signed log's; a wrong stored node only makes
   this fail.

Cost: one signature check each for the checkpoint and the record, a few stored nodes, and one
SHA-256 per record after the admission (an admission checked right after it was made has
few); memory is constant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from provenance.errors import VerificationFailure
from provenance.record._time import format_time
from provenance.record.audit import AuditRecord, record_hash, signed_message
from provenance.record.audit_event import AuditEvent
from provenance.record.audit_keys import key_signature_check
from provenance.record.errors import LogDamaged
from provenance.record.ledger import Admission, AdmissionEntry, Ledger
from provenance.transparency.checkpoint import Checkpoint, parse_checkpoint
from provenance.transparency.merkle import CompactRange, leaf_hash
from provenance.transparency.note_keys import verify_note
from provenance.verification.signers import PublicKeySigner

__all__ = ["MISMATCH", "AdmissionAnswer", "answer_from_signed_records", "first_difference"]

MISMATCH = "ledger row does not match its signed record"


@dataclass(frozen=True)
class AdmissionAnswer:
    admitted: bool
    reason: str  # why not, or what vouched for it
    # Why not: no row for (digest, segment); admitted, then denied by a later record; or the
    # signed records do not back the row (an edited or truncated ledger).
    why_not: Literal["no-row", "withdrawn", "damaged"] | None = None
    event: AuditEvent | None = None  # the signed "admit" event, when admitted
    record_seq: int | None = None
    checkpoint_size: int | None = None


def answer_from_signed_records(
    ledger: Ledger, sha256_hex: str, segment: str, site_keys: Sequence[PublicKeySigner]
) -> AdmissionAnswer:
    """See the module docstring; read in one snapshot of the ledger."""
    with ledger.snapshot():
        # 1.
        entry = ledger.newest_admission_entry(sha256_hex, segment)
        if entry is None:
            return AdmissionAnswer(
                False, f"not admitted to {segment} (sha256:{sha256_hex})", why_not="no-row"
            )
        try:
            # 2.
            checkpoint = _newest_checkpoint(ledger, site_keys)
            if entry.audit_seq > checkpoint.size:
                raise LogDamaged(
                    f"{MISMATCH}: the row names audit record {entry.audit_seq}, the signed log "
                    f"holds {checkpoint.size}"
                )
            # 3. to 6.
            return _walk(ledger, entry, checkpoint, site_keys)
        except VerificationFailure as failure:
            return AdmissionAnswer(
                False, f"not admitted to {segment}: {failure}", why_not="damaged"
            )


def _newest_checkpoint(ledger: Ledger, site_keys: Sequence[PublicKeySigner]) -> Checkpoint:
    latest = ledger.latest_checkpoint()
    if latest is None:
        raise LogDamaged(
            "the audit log has no signed checkpoint (a ledger from an earlier release: the next "
            "`provenance admit` signs one)"
        )
    checkpoint = parse_checkpoint(latest[1])
    verify_note(checkpoint, site_keys)
    origin = ledger.log_origin()
    if checkpoint.origin != origin or checkpoint.size != latest[0]:
        raise LogDamaged(
            f"the newest checkpoint is not this log's at its size (it names {checkpoint.origin} "
            f"at {checkpoint.size}; the ledger's log is {origin}, stored at {latest[0]})"
        )
    count = ledger.record_count()
    if count != checkpoint.size:
        raise LogDamaged(
            f"the audit log holds {count} records, its newest signed checkpoint {checkpoint.size} "
            "(records added without the site key, or checkpoints removed)"
        )
    return checkpoint


def _walk(
    ledger: Ledger,
    entry: AdmissionEntry,
    checkpoint: Checkpoint,
    site_keys: Sequence[PublicKeySigner],
) -> AdmissionAnswer:
    admission = entry.admission
    digest, segment = admission.artifact_sha256, admission.segment
    first = entry.audit_seq
    border = CompactRange.from_nodes(ledger.tree().node, first - 1)
    signed: AuditEvent | None = None
    withdrawn: tuple[int, AuditEvent] | None = None
    expected_seq = first
    for record in ledger.audit_records_from(first, checkpoint.size):
        if record.seq != expected_seq:
            raise LogDamaged(f"audit record {expected_seq} is missing (records removed?)")
        expected_seq += 1
        content_hash = record_hash(record.seq, record.prev_hash, record.event_json)
        border.append(leaf_hash(content_hash))
        if record.seq == first:
            # 4.
            signed = _admit_record(record, content_hash, entry, site_keys)
        elif digest in record.event_json:
            # 5.
            event = _event(record)
            if (event.artifact_sha256, event.segment) != (digest, segment):
                continue
            if event.kind == "deny":
                withdrawn = (record.seq, event)
            elif event.kind == "admit":
                raise LogDamaged(
                    f"{MISMATCH}: record {record.seq} admits it again, but the newest row names "
                    f"record {first}"
                )
    if expected_seq != checkpoint.size + 1 or signed is None:
        raise LogDamaged(f"audit records {expected_seq}-{checkpoint.size} are missing")
    # 6.
    if border.root() != checkpoint.root_hash:
        raise LogDamaged(
            f"the audit log from record {first} on is not the log the site signed at "
            f"{checkpoint.size} records (records or the stored tree edited)"
        )
    if withdrawn is not None:
        seq, event = withdrawn
        return AdmissionAnswer(
            False,
            f"not admitted to {segment}: admitted by record {first}, then denied by record {seq} "
            f"on {format_time(event.at)}: {event.reason or 'no reason recorded'}",
            why_not="withdrawn",
        )
    return AdmissionAnswer(
        True,
        f"admitted to {segment} on {format_time(signed.at)} under "
        f"{signed.policy.path if signed.policy else '?'} (sha256 "
        f"{signed.policy.sha256[:12] if signed.policy else '?'}...); signed record {first}, "
        f"in the log's checkpoint at {checkpoint.size} records",
        event=signed,
        record_seq=first,
        checkpoint_size=checkpoint.size,
    )


def _event(record: AuditRecord) -> AuditEvent:
    try:
        return record.event()
    except ValueError as exc:
        raise LogDamaged(f"audit record {record.seq}: not a valid audit event ({exc})") from exc


def _admit_record(
    record: AuditRecord,
    content_hash: bytes,
    entry: AdmissionEntry,
    site_keys: Sequence[PublicKeySigner],
) -> AuditEvent:
    """The row's own record: signed by the site key, and saying what the row says."""
    if record.signature is None or (
        key_signature_check(site_keys)(signed_message(content_hash), record.signature) is None
    ):
        raise LogDamaged(f"{MISMATCH}: record {record.seq} is not signed by the site key")
    event = _event(record)
    admission = entry.admission
    differs = first_difference(
        admission,
        event,
        ("kind", "admit", event.kind),
        ("segment", admission.segment, event.segment),
    )
    if differs is not None:
        field, row_value, signed_value = differs
        raise LogDamaged(
            f"{MISMATCH}: {field}: the row says {row_value!r}, signed record "
            f"{record.seq} says {signed_value!r}"
        )
    return event


def first_difference(
    admission: Admission, event: AuditEvent, *more: tuple[str, object, object]
) -> tuple[str, object, object] | None:
    """The first field an admission row and its signed "admit" record disagree on, as
    (field, row's value, record's value); `more` pairs are compared first."""
    pairs = (
        *more,
        ("digest", admission.artifact_sha256, event.artifact_sha256),
        ("time", format_time(admission.decided_at), format_time(event.at)),
        ("policy", admission.policy_path, event.policy.path if event.policy else None),
        ("policy sha256", admission.policy_sha256, event.policy.sha256 if event.policy else None),
        ("product", admission.product, event.product),
        ("version", admission.version, event.version),
        ("artifact name", admission.artifact_name, event.artifact_name),
    )
    return next((pair for pair in pairs if pair[1] != pair[2]), None)

"""Audit log export for an auditor (NERC CIP-010-4 R1.6 evidence), as JSON or CSV.

Per record: when; what (artifact name and SHA-256) and where to (segment); the decision; who
the source was (signer identity and issuer, or key id; vendor); how integrity and identity
were verified (the digest, each signature's method, transparency log and index, signing
time, trust root); which policy (path and SHA-256); approvals; who ran the gate; the record's
chain hash and signing key, so the export can be matched against the log; and the checkpoint
the site signed with the record (C2SP signed note: the log's origin, its size then, the Merkle
root), so an auditor can recompute each root from the exported hashes with any RFC 6962 tool
and check the signatures with the site's public key.

JSON keeps every field of the event as recorded. CSV flattens it: several signers or approvals
in one cell are separated by " | ". Cells that a spreadsheet would run as a formula (starting
with =, +, -, @, tab or carriage return; artifact names come from vendors) get a leading
apostrophe (OWASP "CSV injection"); the JSON export has the exact values.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from provenance.record._time import format_time
from provenance.record.audit import AuditRecord, AuditVerification
from provenance.record.audit_event import AuditEvent, SignerEvidence
from provenance.record.errors import LedgerError

__all__ = ["CSV_COLUMNS", "EXPORT_SCHEMA", "export_csv", "export_json"]

EXPORT_SCHEMA = "https://ot-provenance.dev/audit-export/v1"
CSV_COLUMNS = (
    "seq",
    "time",
    "event",
    "decision",
    "artifact_name",
    "artifact_sha256",
    "segment",
    "product",
    "version",
    "signer",
    "signer_vendor",
    "verification",
    "signature_log_index",
    "signature_log",
    "signing_time",
    "trust_root",
    "approvals",
    "policy_path",
    "policy_sha256",
    "reason",
    "operator",
    "record_hash",
    "record_signing_key",
    "checkpoint",
)
_SEPARATOR = " | "
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def export_json(
    records: Iterable[AuditRecord],
    verification: AuditVerification | None = None,
    *,
    checkpoints: Mapping[int, str] | None = None,
    latest_checkpoint: str | None = None,
    origin: str | None = None,
) -> str:
    """The records (with their chain fields and checkpoints) and, if given, the chain check's
    result and the log's newest checkpoint.

    Check the whole log and pass that result even when exporting part of it (`--since`): a
    gap before the exported part matters to the auditor too.
    """
    signed = checkpoints or {}
    document: dict[str, Any] = {
        "schema": EXPORT_SCHEMA,
        "hash": "SHA-256 over 'provenance/audit-record/v1\\n' || seq (8 bytes, big-endian) || "
        "prev_hash || length of event (8 bytes, big-endian) || event (canonical JSON)",
        "merkle_tree": "RFC 6962: leaf i is SHA-256(0x00 || hash of record i + 1), nodes "
        "SHA-256(0x01 || left || right); each checkpoint is a C2SP signed note "
        "(origin, tree size, base64 root) signed by the site key",
        "origin": origin,
        "latest_checkpoint": latest_checkpoint,
        "records": [
            {
                "seq": record.seq,
                "hash": record.hash.hex(),
                "prev_hash": record.prev_hash.hex(),
                "signature": None if record.signature is None else record.signature.hex(),
                "key_id": record.key_id,
                "checkpoint": signed.get(record.seq),
                "event": _event(record).to_dict(),
            }
            for record in records
        ],
    }
    if verification is not None:
        document["chain"] = {
            "intact": verification.ok,
            "problems": list(verification.problems),
            "records": verification.record_count,
            "signed": verification.signed_count,
            "signatures_checked": verification.signatures_checked,
            "head": None
            if verification.head is None
            else {"seq": verification.head[0], "hash": verification.head[1]},
        }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def export_csv(records: Iterable[AuditRecord], checkpoints: Mapping[int, str] | None = None) -> str:
    """One row per record, `CSV_COLUMNS`, with a header row; the checkpoint cell holds the
    signed note (several lines, quoted)."""
    signed = checkpoints or {}
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        row = [*_row(record, _event(record)), signed.get(record.seq, "")]
        writer.writerow([_cell(value) for value in row])
    return output.getvalue()


def _event(record: AuditRecord) -> AuditEvent:
    try:
        return record.event()
    except ValueError as exc:
        raise LedgerError(
            f"audit record {record.seq}: content is not a valid audit event ({exc}); expected "
            "an intact log (run the audit chain check)"
        ) from exc


def _row(record: AuditRecord, event: AuditEvent) -> list[str]:
    signers = event.signers
    return [
        str(record.seq),
        format_time(event.at),
        event.kind,
        event.decision,
        event.artifact_name,
        event.artifact_sha256,
        event.segment or "",
        event.product or "",
        event.version or "",
        _join(signer.describe() for signer in signers),
        _join(signer.vendor or "" for signer in signers),
        _verification(event),
        _join("" if s.log_index is None else str(s.log_index) for s in signers),
        _join(s.log_url or "" for s in signers),
        _join("" if s.signed_at is None else format_time(s.signed_at) for s in signers),
        _join(s.trust_root or "" for s in signers),
        _join(
            f"{a.member} ({a.group}, key {a.key_id}) at {format_time(a.approved_at)}"
            for a in event.approvals
        ),
        "" if event.policy is None else event.policy.path,
        "" if event.policy is None else event.policy.sha256,
        event.reason or "",
        event.operator or "",
        record.hash.hex(),
        record.key_id or "",
    ]


def _verification(event: AuditEvent) -> str:
    """How integrity and identity were verified, in words."""
    steps = [f"SHA-256 digest {event.artifact_sha256}"]
    steps.extend(_signature_words(signer) for signer in event.signers)
    if event.approvals:
        steps.append(f"{len(event.approvals)} site approval(s)")
    return "; ".join(steps)


def _signature_words(signer: SignerEvidence) -> str:
    words = f"{signer.method} signature by {signer.describe()}"
    if signer.log_index is not None:
        words += f", transparency log entry {signer.log_index}"
        if signer.log_url:
            words += f" at {signer.log_url}"
    if signer.signed_at is not None:
        words += f", signed {format_time(signer.signed_at)}"
    if signer.trust_root:
        words += f", trust root {signer.trust_root}"
    return words


def _join(values: Iterable[str]) -> str:
    items = list(values)
    return _SEPARATOR.join(items) if any(items) else ""


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value

"""The hash-chained audit log: record format, chain hash, signatures, and chain verification.

Each record holds `seq` (1, 2, 3, ... without gaps), the event as canonical JSON, `prev_hash`
(the previous record's hash; 32 zero bytes for record 1) and

    hash = SHA-256( RECORD_HASH_DOMAIN
                    || seq as 8 bytes big-endian
                    || prev_hash (32 bytes)
                    || length of the event JSON as 8 bytes big-endian
                    || the event JSON, UTF-8 )

The domain string keeps these hashes apart from any other SHA-256 the tool computes; the
lengths make the encoding unambiguous. Optionally the record is signed with a site key:
signature over `SIGNATURE_DOMAIN || hash`, stored with the key id.

What the chain proves, and what it does not:
- An edited, removed, inserted or reordered record breaks the chain at a place that
  `verify_audit_chain` names, unless whoever edited it also recomputed every later hash.
- Someone who can write the database can do exactly that, and can cut records off the end.
  Signatures defend against the first (the site key is not in the database): verify with the
  site's public key. Cutting off the end, with the checkpoints after the cut, leaves a log
  that is complete as far as the file can tell. Only something kept elsewhere reveals it: a
  checkpoint (`provenance audit checkpoint`) or a VSA, given to `audit verify --witness`,
  whose size and root the log must still extend (`log_verifier`, `merkle_store`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from provenance.record._time import format_time
from provenance.record.audit_event import AuditEvent

if TYPE_CHECKING:
    from provenance.verification.signers import VerifyingKey

__all__ = [
    "GENESIS_HASH",
    "AuditRecord",
    "AuditSigner",
    "AuditVerification",
    "ChainVerifier",
    "CheckedRecord",
    "SignatureCheck",
    "record_hash",
    "signed_message",
    "verify_audit_chain",
]

RECORD_HASH_DOMAIN = b"provenance/audit-record/v1\n"
SIGNATURE_DOMAIN = b"provenance/audit-signature/v1\n"
GENESIS_HASH = bytes(32)
# Diagnosing a moved record tries every position; only for the first few broken records.
MAX_RELOCATION_DIAGNOSES = 16


class AuditSigner(Protocol):
    """A site key that signs audit records and checkpoints (`SigningKey` is one)."""

    @property
    def key_id(self) -> str: ...

    @property
    def public(self) -> VerifyingKey: ...

    def sign(self, data: bytes) -> bytes: ...


# (signed message, signature) -> the id of the trusted key it verifies with, or None.
SignatureCheck = Callable[[bytes, bytes], str | None]


@dataclass(frozen=True)
class AuditRecord:
    """One stored audit record, as read from the ledger (nothing in it is trusted yet)."""

    seq: int
    at: str  # the stored time column, `format_time` text
    event_json: str
    prev_hash: bytes
    hash: bytes
    signature: bytes | None
    key_id: str | None

    def event(self) -> AuditEvent:
        """The parsed event; raises `ValueError` if the stored JSON is not a valid event."""
        return AuditEvent.from_json(self.event_json)


def record_hash(seq: int, prev_hash: bytes, event_json: str) -> bytes:
    """The chain hash of a record (see the module docstring for the encoding)."""
    if len(prev_hash) != len(GENESIS_HASH):
        raise ValueError(f"previous hash: expected 32 bytes, got {len(prev_hash)}")
    content = event_json.encode("utf-8")
    hasher = hashlib.sha256(RECORD_HASH_DOMAIN)
    hasher.update(seq.to_bytes(8, "big"))
    hasher.update(prev_hash)
    hasher.update(len(content).to_bytes(8, "big"))
    hasher.update(content)
    return hasher.digest()


def signed_message(hash_: bytes) -> bytes:
    """What a site key signs for a record with this hash."""
    return SIGNATURE_DOMAIN + hash_


@dataclass(frozen=True)
class AuditVerification:
    """The result of checking a whole audit log."""

    problems: tuple[str, ...]
    record_count: int
    signed_count: int
    signatures_checked: bool
    head: tuple[int, str] | None  # (seq, hash hex) of the last record; keep it elsewhere

    @property
    def ok(self) -> bool:
        return not self.problems

    def facts(self) -> str:
        """What was checked, whatever the outcome: counts, signatures, head."""
        if self.record_count == 0:
            return "0 records"
        signed = f"{self.signed_count} of {self.record_count} signed"
        signed += (
            " (signatures verified)" if self.signatures_checked else " (signatures not checked)"
        )
        head = "" if self.head is None else f"; head: record {self.head[0]}, hash {self.head[1]}"
        return f"{self.record_count} records, {signed}{head}"

    def summary(self) -> str:
        if self.record_count == 0:
            return "audit log is empty"
        if self.ok:
            return f"audit log intact: {self.facts()}"
        return f"audit log damaged: {len(self.problems)} problem(s) in {self.record_count} records"


def verify_audit_chain(
    records: Iterable[AuditRecord],
    *,
    verify_signature: SignatureCheck | None = None,
    require_signatures: bool = False,
) -> AuditVerification:
    """Check every record of a log held in memory (see `ChainVerifier` for what is checked).

    The ledger's own checks stream instead (`check_consistency`); this is for lists of records.
    """
    stored = list(records)
    verifier = ChainVerifier(
        verify_signature=verify_signature,
        require_signatures=require_signatures,
        highest_seq=max((record.seq for record in stored), default=0),
    )
    for record in stored:
        verifier.add(record)
    return verifier.result()


@dataclass(frozen=True)
class CheckedRecord:
    """What the chain check learnt about one record, for the checks that follow it."""

    hash: bytes  # recomputed from the record's seq, link and JSON (what a leaf commits to)
    event: AuditEvent | None  # parsed once; None if the JSON is not a valid event


class ChainVerifier:
    """Check a log's records one at a time, in stored order (ascending `seq`): constant memory
    but for the problems found; each event is parsed once and handed on (`CheckedRecord`).

    1. Sequence: record 1 comes first and each next record is the previous `seq` + 1; a gap
       names the missing numbers.
    2. Link: `prev_hash` equals the previous record's stored hash (32 zero bytes for record 1).
    3. Content: the stored hash equals `record_hash` of the record's own seq, link and JSON. If
       not, and the hash fits the same content at another position (up to `highest_seq` + 1),
       the record was moved.
    4. The event parses as an `AuditEvent`, and the stored time column equals its time.
    5. Signatures, with `verify_signature`: each signature verifies with a trusted key; once a
       record is signed, later ones must be too (a removed signature); with
       `require_signatures`, every record must be signed.

    A record that breaks the chain does not hide later ones: checking continues from the
    stored values, so one edit is reported once, where it happened.
    """

    def __init__(
        self,
        *,
        verify_signature: SignatureCheck | None,
        require_signatures: bool,
        highest_seq: int,
    ) -> None:
        self._verify_signature = verify_signature
        self._require_signatures = require_signatures
        self._highest_seq = highest_seq
        self.problems: list[str] = []
        self._diagnoses = 0
        self._previous_seq = 0
        self._previous_hash = GENESIS_HASH
        self._previous_moved = False
        self._first_signed: int | None = None
        self._signed = 0
        self._count = 0
        self._head: tuple[int, str] | None = None

    def add(self, record: AuditRecord) -> CheckedRecord:
        # At most one problem for the record's place in the chain, the most specific one,
        # then one for its content.
        place = _place_problem(
            record, self._previous_seq, self._previous_hash, self._previous_moved
        )
        moved = False
        content_hash = record_hash(record.seq, record.prev_hash, record.event_json)
        event, parse_problem = _parse(record)
        if content_hash == record.hash:
            content = parse_problem or _time_problem(record, event)
        else:
            origin = None
            if self._diagnoses < MAX_RELOCATION_DIAGNOSES:
                self._diagnoses += 1
                origin = _original_position(record, self._highest_seq + 1)
            if origin is None:
                content = f"record {record.seq}: hash does not match its content (edited?)"
            else:
                moved, content = True, None
                place = (
                    f"record {record.seq}: holds the record written as number {origin} "
                    "(records reordered?)"
                )
        self.problems.extend(problem for problem in (place, content) if problem is not None)
        if record.signature is not None:
            self._signed += 1
            self._first_signed = record.seq if self._first_signed is None else self._first_signed
        if self._verify_signature is not None:
            self.problems.extend(
                _signature_problems(
                    record, self._verify_signature, self._first_signed, self._require_signatures
                )
            )
        elif self._require_signatures and record.signature is None:
            self.problems.append(f"record {record.seq}: not signed; expected a site-key signature")
        self._previous_seq = max(self._previous_seq, record.seq)
        self._previous_hash = record.hash
        self._previous_moved = moved
        self._count += 1
        self._head = (record.seq, record.hash.hex())
        return CheckedRecord(hash=content_hash, event=event)

    def result(self) -> AuditVerification:
        return AuditVerification(
            problems=tuple(self.problems),
            record_count=self._count,
            signed_count=self._signed,
            signatures_checked=self._verify_signature is not None,
            head=self._head,
        )


def _place_problem(
    record: AuditRecord, previous_seq: int, previous_hash: bytes, previous_moved: bool
) -> str | None:
    if record.seq != previous_seq + 1:
        return _sequence_problem(record.seq, previous_seq)
    # After a moved record its successor's link is broken too; that is the same problem.
    if record.prev_hash != previous_hash and not previous_moved:
        return _link_problem(record.seq, previous_seq)
    return None


def _sequence_problem(seq: int, previous_seq: int) -> str:
    if seq <= previous_seq:
        return f"record {seq}: comes after record {previous_seq}; expected {previous_seq + 1}"
    first, last = previous_seq + 1, seq - 1
    missing = f"record {first} is" if first == last else f"records {first}-{last} are"
    if previous_seq == 0:
        return f"record {seq}: is the first record; {missing} missing"
    return f"record {seq}: follows record {previous_seq}; {missing} missing"


def _link_problem(seq: int, previous_seq: int) -> str:
    if previous_seq == 0:
        return (
            f"record {seq}: previous-hash is not the start-of-log value (a record inserted "
            "before it?)"
        )
    return (
        f"record {seq}: previous-hash does not match record {previous_seq} (record "
        f"{previous_seq} edited and re-hashed, or a record inserted or removed?)"
    )


def _original_position(record: AuditRecord, limit: int) -> int | None:
    """The seq at which this exact content and link hash to the stored hash, if any."""
    for seq in range(1, limit + 1):
        if (
            seq != record.seq
            and record_hash(seq, record.prev_hash, record.event_json) == record.hash
        ):
            return seq
    return None


def _parse(record: AuditRecord) -> tuple[AuditEvent | None, str | None]:
    """The record's event, or the problem with its JSON (the one place events are parsed)."""
    try:
        return record.event(), None
    except ValueError as exc:
        return None, f"record {record.seq}: content is not a valid audit event: {exc}"


def _time_problem(record: AuditRecord, event: AuditEvent | None) -> str | None:
    """For a record whose hash matches: does the time column say what its content says?"""
    if event is None or format_time(event.at) == record.at:
        return None
    return (
        f"record {record.seq}: time column says {record.at}, its content says "
        f"{format_time(event.at)} (edited?)"
    )


def _signature_problems(
    record: AuditRecord,
    check: SignatureCheck,
    first_signed: int | None,
    require_signatures: bool,
) -> list[str]:
    if record.signature is None:
        if require_signatures:
            return [f"record {record.seq}: not signed; expected a site-key signature"]
        if first_signed is not None:
            return [
                f"record {record.seq}: not signed, but record {first_signed} before it is "
                "(signature removed, or record inserted?)"
            ]
        return []
    key_id = check(signed_message(record.hash), record.signature)
    if key_id is None:
        return [
            f"record {record.seq}: signature does not verify with any trusted key (the record "
            f"names key {record.key_id})"
        ]
    if key_id != record.key_id:
        return [
            f"record {record.seq}: signed by key {key_id}, but the record names {record.key_id}"
        ]
    return []

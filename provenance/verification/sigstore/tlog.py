"""Transparency-log proofs: Merkle inclusion (RFC 9162), signed checkpoints, inclusion promises.

All three are checked against the log key named by the entry's log ID in the trust root; the
entry's body bytes are exactly what the log hashed, so once the proof holds, the body is the
log's record and can be compared with the bundle (see `entry_body`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import rfc8785

from provenance.errors import EvidenceError, VerificationFailure
from provenance.transparency.checkpoint import Checkpoint, parse_checkpoint
from provenance.transparency.merkle import leaf_hash, root_from_inclusion_proof

if TYPE_CHECKING:
    from sigstore_models.rekor.v1 import TransparencyLogEntry

    from provenance.verification.sigstore.keys import LogKey

__all__ = [
    "leaf_hash",
    "parse_checkpoint",
    "root_from_inclusion_proof",
    "verify_checkpoint",
    "verify_inclusion_promise",
    "verify_inclusion_proof",
]

_CHECK = "tlog"
# RFC 8785 canonical JSON carries integers only up to 2**53 (I-JSON); a real log index or
# Unix time is far below it, so a larger one cannot have been signed by a log.
MAX_CANONICAL_INTEGER = 2**53


@contextmanager
def _as_tlog_check() -> Iterator[None]:
    """The shared Merkle and checkpoint code names its own check; here it is the log's."""
    try:
        yield
    except VerificationFailure as failure:
        # Malformed stays malformed: the report tells evidence errors from failed checks.
        kind = EvidenceError if isinstance(failure, EvidenceError) else VerificationFailure
        raise kind(str(failure), check=_CHECK) from failure


def verify_inclusion_proof(entry: TransparencyLogEntry) -> None:
    """The entry's body hashes up to the proof's root hash."""
    proof = entry.inclusion_proof
    with _as_tlog_check():
        computed = root_from_inclusion_proof(
            proof.log_index, proof.tree_size, leaf_hash(entry.canonicalized_body), proof.hashes
        )
    if computed != proof.root_hash:
        raise VerificationFailure(
            f"inclusion proof does not lead to its root hash: expected {proof.root_hash.hex()}, "
            f"computed {computed.hex()}",
            check=_CHECK,
        )


def verify_checkpoint(entry: TransparencyLogEntry, log: LogKey) -> Checkpoint:
    """The checkpoint is signed by the log and commits to the proof's tree size and root."""
    proof = entry.inclusion_proof
    assert proof.checkpoint is not None  # parse_bundle guarantees it
    with _as_tlog_check():
        checkpoint = parse_checkpoint(proof.checkpoint.envelope)
    # Witness cosignatures may come first or be unknown: only the log's own signature counts.
    # The key hint is the first four bytes of the log ID (C2SP signed-note key ID).
    hint = log.log_id[:4]
    candidates = [sig for _name, key_hint, sig in checkpoint.signatures if key_hint == hint]
    if not candidates:
        raise VerificationFailure(
            f"checkpoint has no signature from the log: expected key hint {hint.hex()}, got "
            f"{', '.join(key_hint.hex() for _n, key_hint, _s in checkpoint.signatures)}",
            check=_CHECK,
        )
    if not any(log.verify(sig, checkpoint.body) for sig in candidates):
        raise VerificationFailure(
            f"checkpoint signature does not verify under the key of log {log.base_url}",
            check=_CHECK,
        )
    if checkpoint.size != proof.tree_size:
        raise VerificationFailure(
            f"checkpoint tree size: expected {proof.tree_size} (inclusion proof), "
            f"got {checkpoint.size}",
            check=_CHECK,
        )
    if checkpoint.root_hash != proof.root_hash:
        raise VerificationFailure(
            f"checkpoint root hash: expected {proof.root_hash.hex()} (inclusion proof), "
            f"got {checkpoint.root_hash.hex()}",
            check=_CHECK,
        )
    return checkpoint


def verify_inclusion_promise(entry: TransparencyLogEntry, log: LogKey) -> None:
    """The signed entry timestamp: the log's signature over the entry and its integrated time."""
    assert entry.inclusion_promise is not None
    if entry.integrated_time is None:
        raise EvidenceError("inclusion promise without an integrated time", check=_CHECK)
    for field, value in (("integratedTime", entry.integrated_time), ("logIndex", entry.log_index)):
        if value >= MAX_CANONICAL_INTEGER:
            raise EvidenceError(f"{field} {value} is beyond any log's range", check=_CHECK)
    # The log signs RFC 8785 canonical JSON with the log ID in hex (base64 in the bundle).
    signed = rfc8785.dumps(
        {
            "body": base64.b64encode(entry.canonicalized_body).decode(),
            "integratedTime": entry.integrated_time,
            "logID": entry.log_id.key_id.hex(),
            "logIndex": entry.log_index,
        }
    )
    if not log.verify(entry.inclusion_promise.signed_entry_timestamp, signed):
        raise VerificationFailure(
            f"inclusion promise (SET) does not verify under the key of log {log.base_url}",
            check=_CHECK,
        )

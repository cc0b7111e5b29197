"""Transparency-log proofs: Merkle inclusion (RFC 9162), signed checkpoints, inclusion promises.

All three are checked against the log key named by the entry's log ID in the trust root; the
entry's body bytes are exactly what the log hashed, so once the proof holds, the body is the
log's record and can be compared with the bundle (see `entry_body`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import rfc8785

from provenance.errors import EvidenceError, VerificationFailure

if TYPE_CHECKING:
    from sigstore_models.rekor.v1 import TransparencyLogEntry

    from provenance.verification.sigstore.keys import LogKey

__all__ = ["verify_checkpoint", "verify_inclusion_promise", "verify_inclusion_proof"]

_CHECK = "tlog"
# A checkpoint is three lines plus a few extension lines and signatures; cap the work.
MAX_CHECKPOINT_BYTES = 64 * 1024
_SIGNATURE_LINE = re.compile(r"\u2014 (\S+) (\S+)")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
# RFC 8785 canonical JSON carries integers only up to 2**53 (I-JSON); a real log index or
# Unix time is far below it, so a larger one cannot have been signed by a log.
MAX_CANONICAL_INTEGER = 2**53


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_hash(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, step by step; raises if the path has the wrong length."""
    # 1. The leaf must be inside the tree.
    if index >= size:
        raise EvidenceError(
            f"inclusion proof index {index} is outside tree size {size}", check=_CHECK
        )
    # 2./3. fn walks the leaf's position, sn the last leaf's position, r the running hash.
    fn, sn, r = index, size - 1, leaf
    for node in path:
        if len(node) != 32:
            raise EvidenceError("inclusion proof holds a hash that is not 32 bytes", check=_CHECK)
        # 4a. A path longer than the tree is high is forged.
        if sn == 0:
            raise VerificationFailure("inclusion proof is longer than the tree", check=_CHECK)
        # 4b. Right children (and the right border) hash in from the left.
        if fn & 1 or fn == sn:
            r = _node_hash(node, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node_hash(r, node)
        # 4c.
        fn >>= 1
        sn >>= 1
    # 5. A path shorter than the tree is high proves nothing.
    if sn != 0:
        raise VerificationFailure("inclusion proof is shorter than the tree", check=_CHECK)
    return r


def verify_inclusion_proof(entry: TransparencyLogEntry) -> None:
    """The entry's body hashes up to the proof's root hash."""
    proof = entry.inclusion_proof
    computed = root_from_inclusion_proof(
        proof.log_index, proof.tree_size, leaf_hash(entry.canonicalized_body), proof.hashes
    )
    if computed != proof.root_hash:
        raise VerificationFailure(
            f"inclusion proof does not lead to its root hash: expected {proof.root_hash.hex()}, "
            f"computed {computed.hex()}",
            check=_CHECK,
        )


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    body: bytes  # the signed text: everything up to and including the first blank line's "\n"
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (name, key hint, signature)


def parse_checkpoint(text: str) -> Checkpoint:
    """A C2SP signed note whose text is a tlog checkpoint: origin, size, root hash, extensions."""
    if len(text) > MAX_CHECKPOINT_BYTES:
        raise EvidenceError("checkpoint is implausibly large", check=_CHECK)
    if text.count("\n\n") != 1 or not text.endswith("\n"):
        raise EvidenceError(
            "checkpoint is not a signed note: expected text, one blank line, signature lines",
            check=_CHECK,
        )
    split = text.index("\n\n")
    body, signature_block = text[: split + 1], text[split + 2 :]
    lines = body.split("\n")[:-1]
    if len(lines) < 3 or not lines[0]:
        raise EvidenceError(
            "checkpoint text must start with origin, tree size and root hash lines", check=_CHECK
        )
    origin, size_text, hash_text = lines[0], lines[1], lines[2]
    # ASCII digits, no leading zero, at most a uint64 (str.isdigit() admits other scripts).
    if not _TREE_SIZE.fullmatch(size_text) or int(size_text) >= 2**64:
        raise EvidenceError(f"checkpoint tree size {size_text!r} is not a number", check=_CHECK)
    root_hash = _b64(hash_text, "checkpoint root hash")
    if len(root_hash) != 32:
        raise EvidenceError("checkpoint root hash is not 32 bytes", check=_CHECK)
    signatures = []
    for line in signature_block.split("\n")[:-1]:
        match = _SIGNATURE_LINE.fullmatch(line)
        if match is None:
            raise EvidenceError(f"checkpoint signature line is malformed: {line!r}", check=_CHECK)
        raw = _b64(match.group(2), "checkpoint signature")
        if len(raw) < 5:
            raise EvidenceError("checkpoint signature is too short", check=_CHECK)
        signatures.append((match.group(1), raw[:4], raw[4:]))
    if not signatures:
        raise EvidenceError("checkpoint carries no signature", check=_CHECK)
    return Checkpoint(
        origin=origin,
        size=int(size_text),
        root_hash=root_hash,
        body=body.encode(),
        signatures=tuple(signatures),
    )


def verify_checkpoint(entry: TransparencyLogEntry, log: LogKey) -> Checkpoint:
    """The checkpoint is signed by the log and commits to the proof's tree size and root."""
    proof = entry.inclusion_proof
    assert proof.checkpoint is not None  # parse_bundle guarantees it
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


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EvidenceError(f"{what} is not base64", check=_CHECK) from exc

"""A Rekor-v1-like transparency log: Merkle tree, signed checkpoint, inclusion promise.

Every entry is logged into its own small snapshot of the log: a few filler leaves derived
from the seed plus the entry at a chosen index, so the inclusion proof has a real audit path
with both inner and right-border hashes, and the result never depends on earlier calls.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric import ec

from provenance.testing.keys import key_id, sign

__all__ = ["EntryOptions", "TransparencyLog", "canonical_json", "inclusion_path", "merkle_root"]


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON (what Rekor stores as an entry body and signs in a SET)."""
    encoded: bytes = rfc8785.dumps(value)
    return encoded


def _leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    # RFC 9162 2.1.1: k is the largest power of two smaller than n.
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1 over raw leaf data."""
    if len(leaves) == 1:
        return _leaf_hash(leaves[0])
    k = _split(len(leaves))
    return _node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def inclusion_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1, ordered from the leaf up."""
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_path(index, leaves[:k]), merkle_root(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), merkle_root(leaves[:k])]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class EntryOptions:
    """Where the entry sits in the log and which proofs the bundle carries."""

    integrated_time: int
    log_index: int = 5
    tree_size: int = 7
    # Rekor v1 shards: the entry's global index may differ from its index in the proof's tree.
    entry_log_index: int | None = None
    inclusion_promise: bool = True
    inclusion_proof: bool = True
    checkpoint: bool = True


@dataclass(frozen=True)
class TransparencyLog:
    seed: str
    origin: str
    key: ec.EllipticCurvePrivateKey

    @property
    def log_id(self) -> bytes:
        return key_id(self.key.public_key())

    @property
    def note_name(self) -> str:
        # A signed note's key name has no spaces; Rekor origins look like "host - treeID".
        return self.origin.split(" ", 1)[0]

    def _filler(self, position: int) -> bytes:
        # Other tenants' entries: opaque but fixed by the seed, so roots differ per instance.
        digest = hashlib.sha256(f"{self.seed}\x00{self.origin}\x00{position}".encode())
        return b"provenance-test-filler:" + digest.hexdigest().encode()

    def checkpoint(self, tree_size: int, root: bytes) -> str:
        """A signed note over `origin\\nsize\\nbase64(root)\\n` (Rekor's checkpoint format)."""
        body = f"{self.origin}\n{tree_size}\n{_b64(root)}\n"
        signature = sign(self.key, body.encode())
        # The 4-byte key hint is the start of the log ID, which is how verifiers pick the key.
        return f"{body}\n\u2014 {self.note_name} {_b64(self.log_id[:4] + signature)}\n"

    def signed_entry_timestamp(self, body: bytes, integrated_time: int, log_index: int) -> bytes:
        """The SET: a signature over the canonical JSON of body, time, log ID (hex) and index."""
        payload = {
            "body": _b64(body),
            "integratedTime": integrated_time,
            "logID": self.log_id.hex(),
            "logIndex": log_index,
        }
        return sign(self.key, canonical_json(payload))

    def entry(
        self, body: bytes, *, kind: str, options: EntryOptions, version: str = "0.0.1"
    ) -> dict[str, Any]:
        """A bundle's `tlogEntries[0]`; 64-bit integers as JSON strings, as protobuf-JSON has it."""
        if not 0 <= options.log_index < options.tree_size:
            raise ValueError(
                f"log_index must be in [0, tree_size); got {options.log_index}, "
                f"tree size {options.tree_size}"
            )
        entry_index = (
            options.log_index if options.entry_log_index is None else options.entry_log_index
        )
        entry: dict[str, Any] = {
            "logIndex": str(entry_index),
            "logId": {"keyId": _b64(self.log_id)},
            "kindVersion": {"kind": kind, "version": version},
            "integratedTime": str(options.integrated_time),
        }
        if options.inclusion_promise:
            entry["inclusionPromise"] = {
                "signedEntryTimestamp": _b64(
                    self.signed_entry_timestamp(body, options.integrated_time, entry_index)
                )
            }
        if options.inclusion_proof:
            leaves = [self._filler(i) for i in range(options.tree_size)]
            leaves[options.log_index] = body
            root = merkle_root(leaves)
            proof: dict[str, Any] = {
                "logIndex": str(options.log_index),
                "rootHash": _b64(root),
                "treeSize": str(options.tree_size),
                "hashes": [_b64(h) for h in inclusion_path(options.log_index, leaves)],
            }
            if options.checkpoint:
                proof["checkpoint"] = {"envelope": self.checkpoint(options.tree_size, root)}
            entry["inclusionProof"] = proof
        entry["canonicalizedBody"] = _b64(body)
        return entry

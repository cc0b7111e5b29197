"""A record's place in a signed log: leaf index, leaf data, checkpoint, inclusion proof.

This is what every VSA the gate issues carries (in its signed predicate, as `auditLog`), so the
workstation that keeps the VSA holds a witness: proof that the site's log, at the checkpoint's
size, held this record at this index. JSON form::

    {"leafIndex": 41, "recordHash": "<hex>", "checkpoint": "<signed note>",
     "inclusionProof": ["<hex>", ...]}

The leaf data is the audit record's 32-byte chain hash (see `provenance.record.audit`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provenance.errors import EvidenceError, VerificationFailure
from provenance.transparency.checkpoint import Checkpoint, parse_checkpoint
from provenance.transparency.merkle import (
    HASH_BYTES,
    MAX_PROOF_HASHES,
    leaf_hash,
    root_from_inclusion_proof,
)
from provenance.transparency.note_keys import verify_note
from provenance.verification.signers import PublicKeySigner

__all__ = ["LogInclusion"]

_FIELDS = {"leafIndex", "recordHash", "checkpoint", "inclusionProof"}
_CHECK = "audit-log"
_HEX_HASH = re.compile(f"[0-9a-f]{{{2 * HASH_BYTES}}}")


@dataclass(frozen=True)
class LogInclusion:
    leaf_index: int
    record_hash: bytes
    checkpoint: str
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "leafIndex": self.leaf_index,
            "recordHash": self.record_hash.hex(),
            "checkpoint": self.checkpoint,
            "inclusionProof": [node.hex() for node in self.proof],
        }

    @classmethod
    def from_json(cls, value: object, source: str) -> LogInclusion:
        """Parse strictly: exactly the four fields, each of its type; `EvidenceError` if not."""
        if not isinstance(value, Mapping) or set(value) != _FIELDS:
            raise EvidenceError(
                f"{source}: auditLog must be an object with exactly {', '.join(sorted(_FIELDS))}",
                check=_CHECK,
            )
        index = value["leafIndex"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise EvidenceError(
                f"{source}: auditLog.leafIndex: expected an integer >= 0", check=_CHECK
            )
        checkpoint = value["checkpoint"]
        if not isinstance(checkpoint, str):
            raise EvidenceError(
                f"{source}: auditLog.checkpoint: expected a signed note", check=_CHECK
            )
        proof = value["inclusionProof"]
        if not isinstance(proof, list) or len(proof) > MAX_PROOF_HASHES:
            raise EvidenceError(
                f"{source}: auditLog.inclusionProof: expected a list of hashes", check=_CHECK
            )
        return cls(
            leaf_index=index,
            record_hash=_hash(value["recordHash"], f"{source}: auditLog.recordHash"),
            checkpoint=checkpoint,
            proof=tuple(_hash(node, f"{source}: auditLog.inclusionProof") for node in proof),
        )

    def verify(self, keys: Sequence[PublicKeySigner], source: str) -> Checkpoint:
        """The checkpoint is signed by a site key and the proof leads from the leaf to its root.

        1. Parse the checkpoint; verify its signature (`verify_note`).
        2. Recompute the root from the leaf hash of `record_hash` at `leaf_index` through the
           proof (RFC 9162 §2.1.3.2) and compare it with the checkpoint's root.
        """
        parsed = parse_checkpoint(self.checkpoint)
        verify_note(parsed, keys)
        root = root_from_inclusion_proof(
            self.leaf_index, parsed.size, leaf_hash(self.record_hash), self.proof
        )
        if root != parsed.root_hash:
            raise VerificationFailure(
                f"{source}: the inclusion proof of audit record {self.leaf_index + 1} does not "
                f"lead to the root of its checkpoint (size {parsed.size})",
                check=_CHECK,
            )
        return parsed


def _hash(value: object, what: str) -> bytes:
    if isinstance(value, str) and _HEX_HASH.fullmatch(value):
        return bytes.fromhex(value)
    raise EvidenceError(
        f"{what}: expected {2 * HASH_BYTES} lowercase hexadecimal digits, got {value!r}",
        check=_CHECK,
    )

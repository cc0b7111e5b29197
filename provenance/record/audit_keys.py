"""Verifying audit-record signatures with the site's public keys.

Kept apart from `audit` so that reading the ledger (`provenance check`) does not load
`cryptography`.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519

from provenance.record.audit import SignatureCheck
from provenance.verification.signatures import verify_signature
from provenance.verification.signers import PublicKeySigner

__all__ = ["key_signature_check"]


def key_signature_check(keys: Sequence[PublicKeySigner]) -> SignatureCheck:
    """A `SignatureCheck` over the site's public keys (Ed25519, or ECDSA with SHA-256, which
    is how `SigningKey.sign` signs). Every key is tried: the stored key id is only a hint."""

    def check(message: bytes, signature: bytes) -> str | None:
        for signer in keys:
            algorithm = (
                None if isinstance(signer.key, ed25519.Ed25519PublicKey) else hashes.SHA256()
            )
            if verify_signature(signer.key, signature, message, algorithm=algorithm):
                return signer.key_id
        return None

    return check

"""DSSE envelopes signed with plain keys (approvals by site staff, the site's VSAs)."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from provenance.evidence.dsse_envelope import Envelope
from provenance.verification.dsse import pae
from provenance.verification.signatures import verify_signature
from provenance.verification.signers import PublicKeySigner, VerifyingKey

__all__ = ["signers_of"]


def _hash_for(key: VerifyingKey) -> hashes.HashAlgorithm | None:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return None
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP384R1):
        return hashes.SHA384()
    return hashes.SHA256()


def signers_of(envelope: Envelope, keys: Sequence[PublicKeySigner]) -> list[PublicKeySigner]:
    """The keys (each at most once) with a valid signature on the envelope's PAE.

    Every signature is tried against every key: the keyid is an unauthenticated hint.
    """
    signed = pae(envelope.payload_type, envelope.payload)
    return [
        key
        for key in keys
        if any(
            verify_signature(key.key, sig.sig, signed, algorithm=_hash_for(key.key))
            for sig in envelope.signatures
        )
    ]

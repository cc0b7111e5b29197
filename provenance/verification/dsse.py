"""DSSE: the pre-authentication encoding that signatures cover, and the hash each key uses."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

__all__ = ["dsse_hash", "pae"]


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 PAE: "DSSEv1" SP len(type) SP type SP len(body) SP body."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def dsse_hash(key: object) -> hashes.HashAlgorithm | None:
    """DSSE signs the PAE itself: Ed25519 hashes internally (None); ECDSA pairs each curve
    with its matching hash; RSA uses SHA-256."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP384R1):
            return hashes.SHA384()
        if isinstance(key.curve, ec.SECP521R1):
            return hashes.SHA512()
    return hashes.SHA256()

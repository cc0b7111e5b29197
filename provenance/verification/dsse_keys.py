"""DSSE envelopes signed with plain keys (approvals by site staff, the site's VSAs)."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric import rsa

from provenance.evidence.dsse_envelope import Envelope
from provenance.verification.dsse import dsse_hash, pae
from provenance.verification.signatures import verify_signature
from provenance.verification.signers import PublicKeySigner

__all__ = ["signature_valid", "signers_of"]


def signers_of(envelope: Envelope, keys: Sequence[PublicKeySigner]) -> list[PublicKeySigner]:
    """The keys (each at most once) with a valid signature on the envelope's PAE.

    Every signature is tried against every key: the keyid is an unauthenticated hint. RSA
    keys verify PKCS#1 v1.5 or PSS (securesystemslib's `rsassa-pss-sha256`): a PEM key does
    not say which scheme its owner uses, and both are sound with SHA-256.
    """
    signed = pae(envelope.payload_type, envelope.payload)
    return [
        key
        for key in {key.key_id: key for key in keys}.values()
        if any(signature_valid(key, sig.sig, signed) for sig in envelope.signatures)
    ]


def signature_valid(key: PublicKeySigner, signature: bytes, signed: bytes) -> bool:
    """A signature by `key` over `signed`, with the hash its key type pairs with."""
    algorithm = dsse_hash(key.key)
    if verify_signature(key.key, signature, signed, algorithm=algorithm):
        return True
    return isinstance(key.key, rsa.RSAPublicKey) and verify_signature(
        key.key, signature, signed, algorithm=algorithm, rsa_padding="pss"
    )

"""DSSE envelopes signed with plain keys (vendor attestations, approvals by site staff, the
site's VSAs).

ECDSA signatures are read as DER or IEEE P1363 r||s, whichever their bytes are
(`ecdsa_encodings`); messages say which, so a vendor whose KMS writes r||s hears why.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from provenance.evidence.dsse_envelope import Envelope
from provenance.verification.dsse import dsse_hash, pae
from provenance.verification.ecdsa_encodings import curve_name, read_ecdsa, verify_ecdsa
from provenance.verification.signatures import verify_signature
from provenance.verification.signers import PublicKeySigner

__all__ = ["encoding_note", "signature_valid", "signers_of", "unverified_detail"]


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
    if isinstance(key.key, ec.EllipticCurvePublicKey):
        assert algorithm is not None  # ECDSA always pairs with a hash
        outcome = verify_ecdsa(key.key, signature, signed, algorithm)
        return outcome is not None and outcome.valid
    if verify_signature(key.key, signature, signed, algorithm=algorithm):
        return True
    return isinstance(key.key, rsa.RSAPublicKey) and verify_signature(
        key.key, signature, signed, algorithm=algorithm, rsa_padding="pss"
    )


def encoding_note(envelope: Envelope, key: PublicKeySigner) -> str | None:
    """For an ECDSA key that signed in IEEE P1363 r||s: "signature is 64 bytes: IEEE P1363
    r||s, verified as such" (DER, the usual, goes without saying)."""
    if not isinstance(key.key, ec.EllipticCurvePublicKey):
        return None
    algorithm = dsse_hash(key.key)
    assert algorithm is not None
    signed = pae(envelope.payload_type, envelope.payload)
    for sig in envelope.signatures:
        outcome = verify_ecdsa(key.key, sig.sig, signed, algorithm)
        if outcome is not None and outcome.valid:
            return outcome.note if outcome.encoding != "DER" else None
    return None


def unverified_detail(signatures: Sequence[bytes], keys: Sequence[PublicKeySigner]) -> str:
    """What each signature is, for a message saying none verified: its length, and how it
    reads for the ECDSA keys' curves ("" when no key is ECDSA: the encoding is not the
    question then)."""
    curves = {
        curve_name(key.key.curve): key.key.curve
        for key in keys
        if isinstance(key.key, ec.EllipticCurvePublicKey)
    }
    if not curves:
        return ""
    readings = [
        " / ".join(dict.fromkeys(read_ecdsa(sig, curve) for curve in curves.values()))
        for sig in signatures
    ]
    if len(readings) == 1:
        return readings[0]
    return "; ".join(f"{n}: {text}" for n, text in enumerate(readings, 1))

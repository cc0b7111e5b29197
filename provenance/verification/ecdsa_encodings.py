"""ECDSA signatures as ASN.1 DER or as IEEE P1363 raw r||s, each named as what it is.

DER (`SEQUENCE { r INTEGER, s INTEGER }`) is what OpenSSL, cosign, securesystemslib and
in-toto write. P1363 (r and s as fixed-width big-endian integers, 64 bytes for P-256) is what
WebCrypto, JOSE, several cloud KMS and HSM APIs and some Go tools emit. A vendor key that signs
DSSE envelopes is held to its signature, not to its signer's encoding, so both are read; which
one is decided by the bytes and said in every message, never a silent "none valid".

1. Bytes that are strict DER are verified as DER.
2. Bytes exactly twice the curve's field size are read as r||s: r and s must lie in [1, n-1]
   (else the signature is malformed, whatever it verifies as); they are re-encoded as DER and
   verified. A signature with a high s (n - s) verifies, as ECDSA defines and OpenSSL and Go
   accept: it is the same signer's signature over the same message, and thresholds count keys,
   never signature entries.
3. Anything else is neither, and says its length against the one P1363 would have.

Only DSSE with vendor, approval and site keys uses this (`dsse_keys`); Sigstore bundles, log
checkpoints and X.509 keep their specifications' DER.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from provenance.verification.signatures import verify_signature

__all__ = ["EcdsaOutcome", "curve_name", "read_ecdsa", "verify_ecdsa"]

# Group orders n (SEC 2): r and s of a valid signature lie in [1, n-1].
_ORDERS = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
        "581a0db248b0a77aecec196accc52973",
        16,
    ),
    "secp521r1": int(
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
        16,
    ),
}
_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def curve_name(curve: ec.EllipticCurve) -> str:
    return _NAMES.get(curve.name, curve.name)


def _is_der(signature: bytes) -> bool:
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        return False
    return encode_dss_signature(r, s) == signature  # strict: one encoding only


def _p1363(signature: bytes, curve: ec.EllipticCurve) -> tuple[int, int] | None:
    """(r, s) if the length is P1363's for `curve`; raises ValueError if they are out of range."""
    size = (curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        return None
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    order = _ORDERS.get(curve.name, 1 << (8 * size))
    if not (0 < r < order and 0 < s < order):
        raise ValueError("r or s is out of range")
    return r, s


def read_ecdsa(signature: bytes, curve: ec.EllipticCurve) -> str:
    """What the bytes are as an ECDSA signature on `curve`, for messages."""
    length = f"signature is {len(signature)} bytes"
    if _is_der(signature):
        return f"{length}: DER"
    try:
        if _p1363(signature, curve) is not None:
            return f"{length}: IEEE P1363 r||s for {curve_name(curve)}"
    except ValueError as exc:
        return f"{length}: IEEE P1363 r||s for {curve_name(curve)}, malformed ({exc})"
    size = (curve.key_size + 7) // 8
    return f"{length}: neither DER nor IEEE P1363 r||s for {curve_name(curve)} ({2 * size} bytes)"


@dataclass(frozen=True)
class EcdsaOutcome:
    valid: bool
    encoding: str  # "DER" or "IEEE P1363 r||s", as the bytes were read (valid or not)
    note: str  # e.g. "signature is 64 bytes: IEEE P1363 r||s, verified as such"


def verify_ecdsa(
    key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm
) -> EcdsaOutcome | None:
    """Verify `signature` over `data` in the encoding its bytes have (steps 1-2); None if they
    are neither DER nor r||s for this key's curve (step 3)."""
    length = f"signature is {len(signature)} bytes"
    if _is_der(signature):
        valid = verify_signature(key, signature, data, algorithm=algorithm)
        verdict = "verified as such" if valid else "does not verify"
        return EcdsaOutcome(valid, "DER", f"{length}: DER, {verdict}")
    try:
        pair = _p1363(signature, key.curve)
    except ValueError:
        return EcdsaOutcome(False, "IEEE P1363 r||s", read_ecdsa(signature, key.curve))
    if pair is None:
        return None
    valid = verify_signature(key, encode_dss_signature(*pair), data, algorithm=algorithm)
    verdict = "verified as such" if valid else "does not verify"
    return EcdsaOutcome(valid, "IEEE P1363 r||s", f"{length}: IEEE P1363 r||s, {verdict}")

"""Keys, serial numbers and signatures derived from a seed, so every run mints the same bytes.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

__all__ = [
    "derive_ec_key",
    "derive_serial",
    "key_id",
    "public_key_pem",
    "sign",
    "sign_digest",
    "spki_der",
]

# Order n of the P-256 group (SEC 2, 2.4.2); a private scalar must lie in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _derive(seed: str, *labels: str) -> bytes:
    # NUL-separated so ("ab", "c") and ("a", "bc") never derive the same bytes.
    material = "\x00".join(("provenance-test-instance", seed, *labels)).encode()
    return hashlib.sha256(material).digest()


def derive_ec_key(seed: str, *labels: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key that depends only on `seed` and `labels`."""
    scalar = int.from_bytes(_derive(seed, "key", *labels), "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def derive_serial(seed: str, *labels: str) -> int:
    """A positive 127-bit certificate serial (RFC 5280 allows up to 20 octets)."""
    return int.from_bytes(_derive(seed, "serial", *labels)[:16], "big") >> 1 | 1


def spki_der(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_pem(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    """RFC 6962 log ID: SHA-256 of the DER SubjectPublicKeyInfo (Rekor and CT logs alike)."""
    return hashlib.sha256(spki_der(key)).digest()


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA-SHA256 over `data`; RFC 6979 nonces keep the output byte-identical across runs."""
    return key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def sign_digest(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, digest: bytes) -> bytes:
    """A signature over a SHA-256 digest, as hashedrekord records it; deterministic either way."""
    prehashed = utils.Prehashed(hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(digest, ec.ECDSA(prehashed, deterministic_signing=True))
    return key.sign(digest, padding.PKCS1v15(), prehashed)

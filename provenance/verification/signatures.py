"""Signature checks over raw keys, shared by log keys, managed keys and site keys."""

from __future__ import annotations

from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

__all__ = ["Padding", "verify_signature"]

Padding = Literal["pkcs1v15", "pss"]


def verify_signature(
    key: PublicKeyTypes,
    signature: bytes,
    data: bytes,
    *,
    algorithm: hashes.HashAlgorithm | Prehashed | None,
    rsa_padding: Padding = "pkcs1v15",
) -> bool:
    """True if `signature` is valid for `data` (hashed with `algorithm`; Ed25519 takes None).

    `algorithm` may be `Prehashed(...)`, in which case `data` is the digest.
    """
    try:
        if isinstance(key, ed25519.Ed25519PublicKey) and algorithm is None:
            key.verify(signature, data)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            scheme: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if rsa_padding == "pkcs1v15"
                else padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            )
            key.verify(signature, data, scheme, algorithm)
        else:
            return False
    except InvalidSignature:
        return False
    return True

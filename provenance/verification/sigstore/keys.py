"""Keys of transparency logs and CT logs, and the signature schemes their key details name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from provenance.verification.signatures import Padding, verify_signature
from provenance.verification.validity import Validity

__all__ = ["LogKey", "key_from_details"]


_EC_DETAILS: dict[str, tuple[type[ec.EllipticCurve], type[hashes.HashAlgorithm]]] = {
    "PKIX_ECDSA_P256_SHA_256": (ec.SECP256R1, hashes.SHA256),
    "PKIX_ECDSA_P384_SHA_384": (ec.SECP384R1, hashes.SHA384),
    "PKIX_ECDSA_P521_SHA_512": (ec.SECP521R1, hashes.SHA512),
}
_RSA_DETAILS: dict[str, Padding] = {
    "PKCS1_RSA_PKCS1V5": "pkcs1v15",
    "PKIX_RSA_PKCS1V5": "pkcs1v15",
    "PKIX_RSA_PKCS1V15_2048_SHA256": "pkcs1v15",
    "PKIX_RSA_PKCS1V15_3072_SHA256": "pkcs1v15",
    "PKIX_RSA_PKCS1V15_4096_SHA256": "pkcs1v15",
    "PKIX_RSA_PSS_2048_SHA256": "pss",
    "PKIX_RSA_PSS_3072_SHA256": "pss",
    "PKIX_RSA_PSS_4096_SHA256": "pss",
}


@dataclass(frozen=True)
class LogKey:
    """A log's verification key, as its trusted root describes it."""

    log_id: bytes
    base_url: str
    key: PublicKeyTypes
    algorithm: hashes.HashAlgorithm | None
    rsa_padding: Padding
    validity: Validity

    def verify(self, signature: bytes, data: bytes) -> bool:
        return verify_signature(
            self.key, signature, data, algorithm=self.algorithm, rsa_padding=self.rsa_padding
        )


def key_from_details(
    *,
    key: PublicKeyTypes,
    details: str,
    log_id: bytes,
    base_url: str,
    validity: Validity,
    on_error: Callable[[str], Exception],
) -> LogKey:
    """Bind a key to the scheme its `keyDetails` names; a mismatch is an error, not a guess."""
    where = f"{base_url}: key details {details}"
    algorithm: hashes.HashAlgorithm | None
    rsa_padding: Padding = "pkcs1v15"
    if details in _EC_DETAILS:
        curve, hash_type = _EC_DETAILS[details]
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve):
            raise on_error(f"{where}: expected an {curve.name} key, got {_describe(key)}")
        algorithm = hash_type()
    elif details in _RSA_DETAILS:
        if not isinstance(key, rsa.RSAPublicKey):
            raise on_error(f"{where}: expected an RSA key, got {_describe(key)}")
        algorithm, rsa_padding = hashes.SHA256(), _RSA_DETAILS[details]
    elif details == "PKIX_ED25519":
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise on_error(f"{where}: expected an Ed25519 key, got {_describe(key)}")
        algorithm = None
    else:
        raise on_error(f"{where}: unsupported key type")
    return LogKey(
        log_id=log_id,
        base_url=base_url,
        key=key,
        algorithm=algorithm,
        rsa_padding=rsa_padding,
        validity=validity,
    )


def _describe(key: PublicKeyTypes) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"an {key.curve.name} key"
    return type(key).__name__.removeprefix("_")

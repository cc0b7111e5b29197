"""The instance's `trusted_root.json`: its CA chain, CT log key and transparency log key.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from provenance.testing.certificates import ORGANIZATION, CertificateAuthority
from provenance.testing.keys import key_id, spki_der

__all__ = ["TRUSTED_ROOT_MEDIA_TYPE", "build_trusted_root"]

TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _log_instance(base_url: str, key: ec.EllipticCurvePublicKey, start: datetime) -> dict[str, Any]:
    return {
        "baseUrl": base_url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": _b64(spki_der(key)),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": _timestamp(start)},
        },
        "logId": {"keyId": _b64(key_id(key))},
    }


def build_trusted_root(
    *,
    authority: CertificateAuthority,
    log_url: str,
    log_key: ec.EllipticCurvePublicKey,
    ct_url: str,
    ct_key: ec.EllipticCurvePublicKey,
    ca_url: str,
    valid_from: datetime,
) -> dict[str, Any]:
    """A trusted root whose only validity bound is a start; sigstore-python needs start <= now."""
    common_name = str(
        authority.intermediate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    )
    return {
        "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": [_log_instance(log_url, log_key, valid_from)],
        "certificateAuthorities": [
            {
                "subject": {"organization": ORGANIZATION, "commonName": common_name},
                "uri": ca_url,
                # Leaf-first order as in Sigstore's own roots. Every certificate here is a
                # trust anchor, which is how a v0.3 bundle (leaf only) reaches the intermediate.
                "certChain": {
                    "certificates": [
                        {"rawBytes": _b64(authority.intermediate.public_bytes(Encoding.DER))},
                        {"rawBytes": _b64(authority.root.public_bytes(Encoding.DER))},
                    ]
                },
                "validFor": {"start": _timestamp(valid_from)},
            }
        ],
        "ctlogs": [_log_instance(ct_url, ct_key, valid_from)],
        "timestampAuthorities": [],
    }

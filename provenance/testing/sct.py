"""An embedded Signed Certificate Timestamp (RFC 6962 3.2, 3.3) from the instance's CT log.

`cryptography` parses SCTs but cannot build one, so the TLS structures are packed by hand.
The SCT signs the precertificate TBS: the leaf's TBS without the SCT extension.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import struct
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID

from provenance.testing import der
from provenance.testing.keys import key_id, sign

__all__ = ["embedded_sct_extension"]

_SCT_VERSION_V1 = 0
_SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP = 0
_ENTRY_TYPE_PRECERT = 1
_HASH_SHA256 = 4
_SIGNATURE_ECDSA = 3


def _u24(n: int) -> bytes:
    return n.to_bytes(3, "big")


def _signed_data(
    *, timestamp_ms: int, issuer_key: ec.EllipticCurvePublicKey, tbs_precert: bytes
) -> bytes:
    # digitally-signed struct of RFC 6962 3.2 for a precert_entry; no CT extensions.
    return (
        struct.pack(
            "!BBQH",
            _SCT_VERSION_V1,
            _SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP,
            timestamp_ms,
            _ENTRY_TYPE_PRECERT,
        )
        + key_id(issuer_key)
        + _u24(len(tbs_precert))
        + tbs_precert
        + struct.pack("!H", 0)
    )


def embedded_sct_extension(
    *,
    ct_key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePublicKey,
    tbs_precert: bytes,
    timestamp: datetime,
) -> x509.UnrecognizedExtension:
    """The SCT list extension (OID 1.3.6.1.4.1.11129.2.4.2) holding exactly one SCT."""
    timestamp_ms = int(timestamp.timestamp() * 1000)
    signature = sign(
        ct_key,
        _signed_data(timestamp_ms=timestamp_ms, issuer_key=issuer_key, tbs_precert=tbs_precert),
    )
    sct = (
        struct.pack("!B", _SCT_VERSION_V1)
        + key_id(ct_key.public_key())
        + struct.pack("!QH", timestamp_ms, 0)
        + struct.pack("!BBH", _HASH_SHA256, _SIGNATURE_ECDSA, len(signature))
        + signature
    )
    sct_list = struct.pack("!H", len(sct) + 2) + struct.pack("!H", len(sct)) + sct
    return x509.UnrecognizedExtension(
        ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, der.octet_string(sct_list)
    )

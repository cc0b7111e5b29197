"""Fulcio claim extensions read strictly: a DER UTF8String, shortest length, nothing after it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from provenance.errors import VerificationFailure
from provenance.testing import derive_ec_key
from provenance.verification.sigstore.fulcio_claims import (
    BUILD_CONFIG_URI,
    ISSUER_V1,
    SOURCE_REPOSITORY_URI,
    fulcio_claim,
)


def certificate(*claims: tuple[x509.ObjectIdentifier, bytes]) -> x509.Certificate:
    key = derive_ec_key("fulcio claims test", "leaf")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "claims")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2026, 1, 2, tzinfo=UTC))
    )
    for oid, value in claims:
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
    return builder.sign(key, hashes.SHA256())


def test_claims_are_read_and_an_absent_one_is_none() -> None:
    short, long_text = "https://github.com/x", "https://github.com/" + "a" * 200
    leaf = certificate(
        (SOURCE_REPOSITORY_URI, bytes([0x0C, len(short)]) + short.encode()),
        (BUILD_CONFIG_URI, bytes([0x0C, 0x81, len(long_text)]) + long_text.encode()),
        (ISSUER_V1, b"https://accounts.google.com"),
    )
    assert fulcio_claim(leaf, SOURCE_REPOSITORY_URI) == "https://github.com/x"
    assert fulcio_claim(leaf, BUILD_CONFIG_URI) == long_text
    assert fulcio_claim(leaf, ISSUER_V1) == "https://accounts.google.com"
    assert fulcio_claim(certificate(), SOURCE_REPOSITORY_URI) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (b"\x04\x03abc", "is not a DER UTF8String"),  # an OCTET STRING
        (b"\x0c\x04abc", "(bad length)"),  # shorter than it says
        (b"\x0c\x02abc", "(bad length)"),  # bytes after it
        (b"\x0c\x81\x03abc", "(bad length)"),  # a long form for a short length
        (b"\x0c\x82\x00\x03abc", "(bad length)"),  # a leading zero length byte
        (b"\x0c\x02\xff\xfe", "(not UTF-8)"),
        (b"\x0c", "is not a DER UTF8String"),
    ],
)
def test_a_malformed_claim_fails_verification(value: bytes, fragment: str) -> None:
    with pytest.raises(VerificationFailure) as failed:
        fulcio_claim(certificate((SOURCE_REPOSITORY_URI, value)), SOURCE_REPOSITORY_URI)
    assert "Source Repository URI" in str(failed.value)
    assert fragment in str(failed.value)

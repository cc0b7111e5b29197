"""Fulcio's OIDC claim extensions (OIDs 1.3.6.1.4.1.57264.1.8 to .22), read strictly.

Each is a DER UTF8String (sigstore/fulcio docs/oid-info.md). A claim that is present but not
one fails; an absent claim is None, and whoever needs it says so.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from provenance.errors import VerificationFailure

__all__ = [
    "BUILD_CONFIG_URI",
    "BUILD_SIGNER_URI",
    "ISSUER_V1",
    "ISSUER_V2",
    "SOURCE_REPOSITORY_DIGEST",
    "SOURCE_REPOSITORY_REF",
    "SOURCE_REPOSITORY_URI",
    "claim_name",
    "fulcio_claim",
]

# v1 holds the issuer as raw bytes; v2 (and every later claim) as a DER UTF8String.
ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
BUILD_SIGNER_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.9")
SOURCE_REPOSITORY_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.12")
SOURCE_REPOSITORY_DIGEST = ObjectIdentifier("1.3.6.1.4.1.57264.1.13")
SOURCE_REPOSITORY_REF = ObjectIdentifier("1.3.6.1.4.1.57264.1.14")
BUILD_CONFIG_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.18")

_NAMES = {
    ISSUER_V1: "OIDC Issuer (v1)",
    ISSUER_V2: "OIDC Issuer (v2)",
    BUILD_SIGNER_URI: "Build Signer URI",
    SOURCE_REPOSITORY_URI: "Source Repository URI",
    SOURCE_REPOSITORY_DIGEST: "Source Repository Digest",
    SOURCE_REPOSITORY_REF: "Source Repository Ref",
    BUILD_CONFIG_URI: "Build Config URI",
}


def claim_name(oid: ObjectIdentifier) -> str:
    return _NAMES.get(oid, oid.dotted_string)


def fulcio_claim(leaf: x509.Certificate, oid: ObjectIdentifier) -> str | None:
    """The claim's text; None when the certificate does not carry it."""
    try:
        extension = leaf.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    if not isinstance(extension, x509.UnrecognizedExtension):
        raise VerificationFailure(
            f"signing certificate: {claim_name(oid)} is not a Fulcio claim", check="identity"
        )
    if oid == ISSUER_V1:
        try:
            return extension.value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationFailure(
                f"signing certificate: {claim_name(oid)} is not UTF-8", check="identity"
            ) from exc
    return _utf8_string(extension.value, claim_name(oid))


def _utf8_string(der: bytes, what: str) -> str:
    """A DER UTF8String (tag 12), its length in the shortest form, nothing after it.

    Read here rather than by asn1crypto: `verify` loads no ASN.1 library for X.509 PKIs
    (tests/test_import_budgets.py), and one tag with one length is all there is to read."""
    problem = f"signing certificate: {what} is not a DER UTF8String"
    if len(der) < 2 or der[0] != 0x0C:
        raise VerificationFailure(problem, check="identity")
    length, offset = der[1], 2
    if length & 0x80:
        width = length & 0x7F
        body = der[2 : 2 + width]
        if not 1 <= width <= 4 or len(body) != width or body[0] == 0:
            raise VerificationFailure(f"{problem} (bad length)", check="identity")
        length, offset = int.from_bytes(body, "big"), 2 + width
        if length < 0x80:  # DER: a length below 128 has the short form
            raise VerificationFailure(f"{problem} (bad length)", check="identity")
    if offset + length != len(der):
        raise VerificationFailure(f"{problem} (bad length)", check="identity")
    try:
        return der[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationFailure(f"{problem} (not UTF-8)", check="identity") from exc

"""The Fulcio signing certificate: path to a trusted CA, Fulcio profile, embedded SCT, identity."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
)
from cryptography.x509.verification import VerificationError as X509VerificationError

from provenance.errors import VerificationFailure
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot

__all__ = [
    "SignerIdentity",
    "check_fulcio_profile",
    "signer_identity",
    "verify_chain",
    "verify_embedded_sct",
]

# Fulcio's OIDC issuer extensions: v1 holds raw bytes, v2 a DER UTF8String.
OIDC_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
# A certificate whose issuer has this EKU was signed by a CT "pre-issuer"; Fulcio never does.
PRECERT_SIGNING_EKU = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.4")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SignerIdentity:
    """Who the certificate says signed: one SAN value and the OIDC issuer."""

    identity: str
    issuer: str


def verify_chain(
    leaf: x509.Certificate, trust_root: SigstoreTrustRoot, moment: datetime
) -> list[x509.Certificate]:
    """Build a path from the leaf to a Fulcio CA of the trust root, valid at `moment`.

    Returns the chain above the leaf (issuer first). Every certificate in a CA's chain is an
    anchor: v0.3 bundles carry only the leaf, and Fulcio's intermediates live in the root.
    """
    # Fulcio leaves carry code-signing, not the client-auth EKU that client verifiers want:
    # allow any EKU here and check code-signing in the profile step.
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    authorities = [ca for ca in trust_root.fulcio if ca.validity.contains(moment)]
    if not authorities:
        raise VerificationFailure(
            f"no certificate authority of trust root {trust_root.name} was valid at "
            f"{moment.isoformat()}",
            check="certificate",
        )
    problems = []
    for authority in authorities:
        verifier = (
            PolicyBuilder()
            .store(Store(list(authority.certificates)))
            .time(moment)
            .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
            .build_client_verifier()
        )
        try:
            return list(verifier.verify(leaf, []).chain[1:])
        except (X509VerificationError, x509.UnsupportedGeneralNameType) as exc:
            problems.append(f"{authority.name}: {exc}")
    raise VerificationFailure(
        f"signing certificate does not chain to a trusted CA at {moment.isoformat()}: "
        + "; ".join(problems),
        check="certificate",
    )


def check_fulcio_profile(leaf: x509.Certificate) -> None:
    """Key usage digitalSignature and extended key usage codeSigning, as Fulcio issues them."""
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise VerificationFailure(
            "signing certificate: expected a KeyUsage extension, got none", check="certificate"
        ) from exc
    if not usage.digital_signature:
        raise VerificationFailure(
            "signing certificate: expected key usage digitalSignature, got without",
            check="certificate",
        )
    try:
        extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise VerificationFailure(
            "signing certificate: expected extended key usage codeSigning, got none",
            check="certificate",
        ) from exc
    if ExtendedKeyUsageOID.CODE_SIGNING not in extended:
        raise VerificationFailure(
            "signing certificate: expected extended key usage codeSigning, got "
            + ", ".join(oid.dotted_string for oid in extended),
            check="certificate",
        )


def verify_embedded_sct(
    leaf: x509.Certificate, issuer: x509.Certificate, trust_root: SigstoreTrustRoot
) -> datetime:
    """RFC 6962 §3.2: the CT log promised to publish the precertificate. Returns the SCT time.

    Exactly one SCT, SHA-256, from a CT log of the trust root whose key was valid at the SCT's
    timestamp. The signed data binds the issuer's key hash and the TBS without the SCT list.
    """
    try:
        scts = leaf.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps
        ).value
    except x509.ExtensionNotFound as exc:
        raise VerificationFailure(
            "signing certificate: expected an embedded SCT, got none", check="sct"
        ) from exc
    sct_list = list(scts)
    if len(sct_list) != 1:
        raise VerificationFailure(
            f"signing certificate: expected exactly one SCT, got {len(sct_list)}", check="sct"
        )
    sct = sct_list[0]
    if not isinstance(sct.signature_hash_algorithm, hashes.SHA256):
        raise VerificationFailure(
            f"SCT: expected SHA-256, got {sct.signature_hash_algorithm.name}", check="sct"
        )
    if sct.entry_type != x509.certificate_transparency.LogEntryType.PRE_CERTIFICATE:
        raise VerificationFailure("SCT: expected a precertificate entry", check="sct")
    try:
        issuer_eku = issuer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if PRECERT_SIGNING_EKU in issuer_eku:
            raise VerificationFailure("SCT: pre-issuer certificates are not supported", check="sct")
    except x509.ExtensionNotFound:
        pass
    log = trust_root.ctlogs.get(sct.log_id)
    if log is None:
        raise VerificationFailure(
            f"SCT: log {sct.log_id.hex()} is not a CT log of trust root {trust_root.name}",
            check="sct",
        )
    # cryptography gives a naive UTC datetime; the signed field is milliseconds since 1970.
    timestamp: datetime = sct.timestamp.replace(tzinfo=UTC)
    milliseconds = (timestamp - _EPOCH) // timedelta(milliseconds=1)
    if not log.validity.contains(timestamp):
        raise VerificationFailure(
            f"SCT: CT log key valid {log.validity}, SCT time {timestamp.isoformat()}", check="sct"
        )
    issuer_key_hash = hashlib.sha256(
        issuer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).digest()
    tbs = leaf.tbs_precertificate_bytes
    extensions = sct.extension_bytes
    signed = (
        # version v1, signature_type certificate_timestamp, timestamp, entry_type precert
        struct.pack(">BBQH", 0, 0, milliseconds, 1)
        + issuer_key_hash
        + len(tbs).to_bytes(3, "big")
        + tbs
        + len(extensions).to_bytes(2, "big")
        + extensions
    )
    if not log.verify(sct.signature, signed):
        raise VerificationFailure(
            f"SCT: signature does not verify under CT log {log.base_url}", check="sct"
        )
    return timestamp


def signer_identity(leaf: x509.Certificate) -> SignerIdentity:
    """The one SAN (URI or email) and the OIDC issuer; anything ambiguous fails."""
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise VerificationFailure(
            "signing certificate: expected a subject alternative name, got none",
            check="identity",
        ) from exc
    values = san.get_values_for_type(x509.UniformResourceIdentifier) + san.get_values_for_type(
        x509.RFC822Name
    )
    if len(values) != 1:
        raise VerificationFailure(
            f"signing certificate: expected exactly one URI or email identity, got {len(values)}",
            check="identity",
        )
    return SignerIdentity(identity=values[0], issuer=_oidc_issuer(leaf))


def _oidc_issuer(leaf: x509.Certificate) -> str:
    issuers = []
    for oid in (OIDC_ISSUER_V2, OIDC_ISSUER_V1):
        try:
            raw = leaf.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        if not isinstance(raw, x509.UnrecognizedExtension):
            raise VerificationFailure(
                f"signing certificate: OIDC issuer extension {oid.dotted_string} is not raw bytes",
                check="identity",
            )
        issuers.append(
            _decode_utf8_string(raw.value) if oid == OIDC_ISSUER_V2 else _text(raw.value)
        )
    if not issuers:
        raise VerificationFailure(
            "signing certificate: expected a Fulcio OIDC issuer extension, got none",
            check="identity",
        )
    if len(set(issuers)) != 1:
        raise VerificationFailure(
            f"signing certificate: OIDC issuer extensions disagree: {issuers[0]!r} vs "
            f"{issuers[1]!r}",
            check="identity",
        )
    return issuers[0]


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationFailure(
            "signing certificate: OIDC issuer is not UTF-8", check="identity"
        ) from exc


def _decode_utf8_string(der: bytes) -> str:
    """A DER UTF8String (tag 12) with a short or long definite length."""
    if len(der) < 2 or der[0] != 0x0C:
        raise VerificationFailure(
            "signing certificate: OIDC issuer (v2) is not a DER UTF8String", check="identity"
        )
    length, offset = der[1], 2
    if length & 0x80:
        width = length & 0x7F
        if width == 0 or width > 4 or len(der) < 2 + width:
            raise VerificationFailure(
                "signing certificate: OIDC issuer (v2) has a bad length", check="identity"
            )
        length, offset = int.from_bytes(der[2 : 2 + width], "big"), 2 + width
    if offset + length != len(der):
        raise VerificationFailure(
            "signing certificate: OIDC issuer (v2) has a bad length", check="identity"
        )
    return _text(der[offset:])

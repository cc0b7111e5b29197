"""A Fulcio-like CA: a root, an intermediate, and short-lived leaves with Fulcio's extensions.

Leaves follow the profile sigstore-python 4.5 checks: empty subject with a critical SAN, an
Authority Key Identifier (cryptography's path builder needs it), KeyUsage digitalSignature,
EKU codeSigning, the OIDC issuer extension(s), and one embedded SCT added last, so that the
precertificate TBS (the TBS minus the SCT) is exactly what the CT log signed.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from provenance.testing import der
from provenance.testing.keys import derive_ec_key, derive_serial, key_id
from provenance.testing.sct import embedded_sct_extension

__all__ = [
    "OIDC_ISSUER_V1_OID",
    "OIDC_ISSUER_V2_OID",
    "CertificateAuthority",
    "IssuerExtension",
    "LeafProfile",
    "SanKind",
    "create_authority",
    "issue_leaf",
]

# Fulcio's OIDC issuer: v1 holds the raw URL bytes, v2 a DER UTF8String.
OIDC_ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
ORGANIZATION = "provenance test instance"

SanKind = Literal["uri", "email"]
IssuerExtension = Literal["v1", "v2", "both"]


@dataclass(frozen=True)
class CertificateAuthority:
    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    intermediate: x509.Certificate


@dataclass(frozen=True)
class LeafProfile:
    """What a leaf says about its holder, and the deliberate defects negative tests ask for."""

    identity: str
    issuer: str
    san: SanKind
    not_before: datetime
    not_after: datetime
    issuer_extension: IssuerExtension = "both"
    code_signing_eku: bool = True
    with_eku: bool = True
    # Further Fulcio claims (dotted OID -> text, each a DER UTF8String), such as a CI run's
    # Source Repository URI and Build Config URI.
    claims: tuple[tuple[str, str], ...] = ()


def _sign(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    # Deterministic ECDSA: the same seed and times give the same certificate bytes.
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


def _ca_name(role: str, fingerprint: str) -> x509.Name:
    # The fingerprint tells two instances' CAs apart in error messages.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{role} {fingerprint}"),
        ]
    )


def _ca_builder(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    serial: int,
    valid_from: datetime,
    valid_until: datetime,
    path_length: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )


def create_authority(
    seed: str, *, valid_from: datetime, valid_until: datetime
) -> CertificateAuthority:
    """Root and intermediate, both valid over [valid_from, valid_until]."""
    root_key = derive_ec_key(seed, "fulcio-root")
    intermediate_key = derive_ec_key(seed, "fulcio-intermediate")
    fingerprint = key_id(root_key.public_key()).hex()[:8]
    root_name = _ca_name("provenance-test-root", fingerprint)
    root = _sign(
        _ca_builder(
            subject=root_name,
            issuer=root_name,
            key=root_key,
            issuer_key=root_key,
            serial=derive_serial(seed, "fulcio-root"),
            valid_from=valid_from,
            valid_until=valid_until,
            path_length=1,
        ),
        root_key,
    )
    intermediate = _sign(
        _ca_builder(
            subject=_ca_name("provenance-test-intermediate", fingerprint),
            issuer=root_name,
            key=intermediate_key,
            issuer_key=root_key,
            serial=derive_serial(seed, "fulcio-intermediate"),
            valid_from=valid_from,
            valid_until=valid_until,
            path_length=0,
        ),
        root_key,
    )
    return CertificateAuthority(root_key, root, intermediate_key, intermediate)


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf_builder(
    authority: CertificateAuthority,
    public_key: ec.EllipticCurvePublicKey,
    profile: LeafProfile,
    serial: int,
) -> x509.CertificateBuilder:
    san: x509.GeneralName = (
        x509.RFC822Name(profile.identity)
        if profile.san == "email"
        else x509.UniformResourceIdentifier(profile.identity)
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(authority.intermediate.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(profile.not_before)
        .not_valid_after(profile.not_after)
        .add_extension(_leaf_key_usage(), critical=True)
    )
    if profile.with_eku:
        usage = ExtendedKeyUsageOID.CODE_SIGNING
        if not profile.code_signing_eku:
            usage = ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    builder = (
        builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.intermediate_key.public_key()
            ),
            critical=False,
        )
        # RFC 5280 4.2.1.6: with an empty subject the SAN must be critical.
        .add_extension(x509.SubjectAlternativeName([san]), critical=True)
    )
    if profile.issuer_extension in ("v1", "both"):
        builder = builder.add_extension(
            x509.UnrecognizedExtension(OIDC_ISSUER_V1_OID, profile.issuer.encode()),
            critical=False,
        )
    if profile.issuer_extension in ("v2", "both"):
        builder = builder.add_extension(
            x509.UnrecognizedExtension(OIDC_ISSUER_V2_OID, der.utf8_string(profile.issuer)),
            critical=False,
        )
    for oid, text in profile.claims:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ObjectIdentifier(oid), der.utf8_string(text)),
            critical=False,
        )
    return builder


def issue_leaf(
    authority: CertificateAuthority,
    public_key: ec.EllipticCurvePublicKey,
    profile: LeafProfile,
    *,
    serial: int,
    ct_key: ec.EllipticCurvePrivateKey | None,
) -> x509.Certificate:
    """A leaf signed by the intermediate; with an embedded SCT unless `ct_key` is None."""
    builder = _leaf_builder(authority, public_key, profile, serial)
    if ct_key is None:
        return _sign(builder, authority.intermediate_key)
    # 1. Sign once without the SCT: only its TBS is kept, as the precertificate the log signs.
    tbs_precert = _sign(builder, authority.intermediate_key).tbs_certificate_bytes
    # 2. Add the SCT last and sign for real.
    sct = embedded_sct_extension(
        ct_key=ct_key,
        issuer_key=authority.intermediate_key.public_key(),
        tbs_precert=tbs_precert,
        timestamp=profile.not_before,
    )
    leaf = _sign(builder.add_extension(sct, critical=False), authority.intermediate_key)
    # 3. The verifier rebuilds the precertificate by dropping the SCT; it must match step 1.
    if leaf.tbs_precertificate_bytes != tbs_precert:
        raise RuntimeError("precertificate TBS changed when the SCT was added")
    return leaf

"""A test vendor's X.509 PKI, and CMS and Authenticode signatures made with it. TEST-ONLY.

`VendorPki.create(seed=...)` derives every key from the seed and fixes every date and serial,
so certificates, CRLs, signatures and signed PE files are byte-identical across runs (ECDSA
with RFC 6979 nonces). It holds a root, an intermediate, a code-signing leaf, a revoked leaf
(with the intermediate's CRL), an expired leaf, a leaf without the code-signing EKU, and a
timestamp authority under its own root, plus the deliberately defective pieces negative tests
need (a CRL forged under the intermediate's name, an unrelated CA).

Nothing under `provenance.testing` may be imported by the verification pipeline.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provenance.evidence.cms import (
    SPC_INDIRECT_DATA,
    SPC_NESTED_SIGNATURE,
    SPC_PE_IMAGE_DATA,
    DigestInfo,
    SpcAttributeTypeAndOptionalValue,
    SpcIndirectDataContent,
)
from provenance.evidence.pe_file import authenticode_digest, parse_pe
from provenance.testing.keys import derive_ec_key, derive_serial

__all__ = [
    "CRL_NEXT_UPDATE",
    "CRL_THIS_UPDATE",
    "EXPIRED_AT",
    "NOW",
    "REVOKED_AT",
    "SIGNED_AT",
    "Issued",
    "NestedSignature",
    "Timestamp",
    "VendorPki",
    "authenticode_sign",
    "authenticode_signed_data",
    "legacy_countersignature",
    "minimal_pe",
    "sign_cms_detached",
    "timestamp_token",
]

DigestName = Literal["md5", "sha1", "sha256", "sha384", "sha512"]

# The fixed timeline every test uses: the PKI exists from 2024; the expired leaf expired at
# the start of 2025; the revoked leaf was revoked on 2026-02-01; signatures are made (and
# timestamped) on 2026-03-02; tests verify "now" on 2026-03-15, inside the CRL's window.
VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)
EXPIRED_AT = datetime(2025, 1, 1, tzinfo=UTC)
REVOKED_AT = datetime(2026, 2, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
CRL_THIS_UPDATE = datetime(2026, 3, 1, tzinfo=UTC)
CRL_NEXT_UPDATE = datetime(2026, 4, 1, tzinfo=UTC)

_HASHES: dict[str, hashes.HashAlgorithm] = {
    # sha1 signs for real: the primary of a dual-signed file, which Windows and osslsigncode
    # verify; the gate refuses it by its digest algorithm.
    "sha1": hashes.SHA1(),  # noqa: S303
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Timestamp:
    """Ask for an RFC 3161 countersignature by this TSA at this time."""

    tsa: Issued
    chain: tuple[x509.Certificate, ...]  # embedded in the token after the TSA certificate
    at: datetime
    # As Microsoft's TSAs issue them: an attribute certificate in the token's certificate
    # set, beside the X.509 ones (rfc3161-client cannot parse such a set).
    attribute_certificate: bool = False


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    seed: str,
    label: str,
    subject: x509.Name,
    *,
    issuer: Issued | None,
    not_before: datetime,
    not_after: datetime,
    ca_path_length: int | None = None,
    ekus: Sequence[x509.ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    extensions: Sequence[x509.ExtensionType] = (),
    subject_key: rsa.RSAPrivateKey | None = None,
) -> Issued:
    """A certificate from a seed: key and serial derive from (seed, label); dates are given."""
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = subject_key or derive_ec_key(
        seed, "vendor-pki", label
    )
    issuer_key = issuer.key if issuer is not None else key
    # Every CA here is ECDSA; only leaves may hold an RSA key (`issue_leaf(key=...)`).
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    issuer_name = issuer.certificate.subject if issuer is not None else subject
    ca = ca_path_length is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(derive_serial(seed, "vendor-pki", label))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=ca_path_length), critical=True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ekus is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=eku_critical)
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    certificate = builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)
    return Issued(key=key, certificate=certificate)


def _crl(
    issuer: Issued,
    revoked: Sequence[tuple[x509.Certificate, datetime, x509.ReasonFlags | None]],
    *,
    signing_key: ec.EllipticCurvePrivateKey | None = None,
    this_update: datetime = CRL_THIS_UPDATE,
    next_update: datetime = CRL_NEXT_UPDATE,
    hash_algorithm: hashes.SHA224 | hashes.SHA256 | None = None,
    number: int = 1,
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for certificate, when, reason in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.serial_number)
            .revocation_date(when)
        )
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    key = signing_key or issuer.key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return builder.sign(key, hash_algorithm or hashes.SHA256(), ecdsa_deterministic=True)


@dataclass(frozen=True)
class VendorPki:
    """A vendor's code-signing PKI and a timestamp authority, all derived from `seed`."""

    seed: str
    organization: str
    root: Issued
    intermediate: Issued
    leaf: Issued
    revoked_leaf: Issued
    expired_leaf: Issued
    no_eku_leaf: Issued
    tsa_root: Issued
    tsa: Issued

    @classmethod
    def create(
        cls, seed: str = "provenance tests: vendor pki", organization: str = "ACME"
    ) -> VendorPki:
        code_signing = [ExtendedKeyUsageOID.CODE_SIGNING]
        far = datetime(2036, 1, 1, tzinfo=UTC)
        root = _issue(
            seed, "root", _name(f"{organization} Root CA", organization),
            issuer=None, not_before=VALID_FROM, not_after=far, ca_path_length=1,
        )  # fmt: skip
        intermediate = _issue(
            seed, "intermediate", _name(f"{organization} Code Signing CA", organization),
            issuer=root, not_before=VALID_FROM, not_after=far, ca_path_length=0,
        )  # fmt: skip

        def leaf(label: str, cn: str, **kw: object) -> Issued:
            options: dict[str, object] = {
                "not_before": VALID_FROM,
                "not_after": datetime(2029, 1, 1, tzinfo=UTC),
                "ekus": code_signing,
            }
            options.update(kw)
            return _issue(seed, label, _name(cn, organization), issuer=intermediate, **options)  # type: ignore[arg-type]

        tsa_root = _issue(
            seed, "tsa-root", _name(f"{organization} Timestamp Root", organization),
            issuer=None, not_before=VALID_FROM, not_after=far, ca_path_length=0,
        )  # fmt: skip
        tsa = _issue(
            seed, "tsa", _name(f"{organization} Timestamp Authority", organization),
            issuer=tsa_root, not_before=VALID_FROM, not_after=far,
            ekus=[ExtendedKeyUsageOID.TIME_STAMPING], eku_critical=True,
        )  # fmt: skip
        return cls(
            seed=seed,
            organization=organization,
            root=root,
            intermediate=intermediate,
            leaf=leaf("leaf", f"{organization} Code Signing"),
            revoked_leaf=leaf("revoked-leaf", f"{organization} Code Signing (revoked)"),
            expired_leaf=leaf(
                "expired-leaf", f"{organization} Code Signing (expired)", not_after=EXPIRED_AT
            ),
            no_eku_leaf=leaf(
                "no-eku-leaf",
                f"{organization} Code Signing (no EKU)",
                ekus=[ExtendedKeyUsageOID.CLIENT_AUTH],
            ),
            tsa_root=tsa_root,
            tsa=tsa,
        )

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """What a signer ships beside its leaf: the intermediate (the root is pinned)."""
        return (self.intermediate.certificate,)

    def crl(
        self,
        *,
        reason: x509.ReasonFlags | None = x509.ReasonFlags.key_compromise,
        revoked_at: datetime = REVOKED_AT,
        this_update: datetime = CRL_THIS_UPDATE,
        next_update: datetime = CRL_NEXT_UPDATE,
        hash_algorithm: hashes.SHA224 | hashes.SHA256 | None = None,
        number: int = 1,
        listing_revoked_leaf: bool = True,
        revoked_leaf: Issued | None = None,
    ) -> x509.CertificateRevocationList:
        """The intermediate's CRL: the revoked leaf (or `revoked_leaf`) is on it, unless
        `listing_revoked_leaf` is False (an earlier CRL, issued before the revocation)."""
        listed = revoked_leaf or self.revoked_leaf
        revoked = [(listed.certificate, revoked_at, reason)]
        return _crl(
            self.intermediate,
            revoked if listing_revoked_leaf else [],
            this_update=this_update,
            next_update=next_update,
            hash_algorithm=hash_algorithm,
            number=number,
        )

    def root_crl(
        self,
        *,
        revoke_intermediate: bool = False,
        this_update: datetime = CRL_THIS_UPDATE,
        next_update: datetime = CRL_NEXT_UPDATE,
    ) -> x509.CertificateRevocationList:
        """The root's CRL, optionally listing the intermediate (for the chain's revocation)."""
        revoked = [(self.intermediate.certificate, REVOKED_AT, x509.ReasonFlags.ca_compromise)]
        return _crl(
            self.root,
            revoked if revoke_intermediate else [],
            this_update=this_update,
            next_update=next_update,
        )

    def issue_leaf(
        self,
        label: str,
        *,
        ocsp_url: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        not_after: datetime = datetime(2029, 1, 1, tzinfo=UTC),
    ) -> Issued:
        """Another code-signing leaf under the intermediate (the organisation's own subject):
        naming an OCSP responder, holding an RSA key (RSA key generation takes no seed: such a
        leaf is not reproducible), or expiring at `not_after`."""
        extra = []
        if ocsp_url is not None:
            extra.append(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.oid.AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(ocsp_url),
                        )
                    ]
                )
            )
        return _issue(
            self.seed,
            label,
            _name(f"{self.organization} Code Signing", self.organization),
            issuer=self.intermediate,
            not_before=VALID_FROM,
            not_after=not_after,
            ekus=[ExtendedKeyUsageOID.CODE_SIGNING],
            extensions=extra,
            subject_key=key,
        )

    def forged_crl(self) -> x509.CertificateRevocationList:
        """A CRL naming the intermediate as issuer but signed by another key."""
        forger = derive_ec_key(self.seed, "vendor-pki", "crl-forger")
        return _crl(self.intermediate, [], signing_key=forger)

    def timestamp(self, at: datetime = SIGNED_AT) -> Timestamp:
        return Timestamp(tsa=self.tsa, chain=(self.tsa_root.certificate,), at=at)


# -- CMS -------------------------------------------------------------------------------------


def _asn1_cert(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _digest(name: DigestName, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _sign_attributes(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, data: bytes, name: DigestName, pss: bool
) -> tuple[bytes, dict[str, object]]:
    """The signature and its SignedDigestAlgorithm: ECDSA (RFC 6979), RSA PKCS#1 v1.5 or PSS.
    md5 only appears in negative tests, where the signature is never checked."""
    hash_name = name if name in _HASHES else "sha256"
    algorithm = _HASHES[hash_name]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
        return signature, {"algorithm": f"{hash_name}_ecdsa"}
    if not pss:
        return key.sign(data, padding.PKCS1v15(), algorithm), {"algorithm": f"{hash_name}_rsa"}
    salt = algorithm.digest_size
    signature = key.sign(data, padding.PSS(padding.MGF1(algorithm), salt), algorithm)
    parameters = {
        "hash_algorithm": {"algorithm": hash_name},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_name}},
        "salt_length": salt,
        "trailer_field": "trailer_field_bc",
    }
    return signature, {"algorithm": "rsassa_pss", "parameters": parameters}


def _signer_info(
    signer: Issued,
    *,
    digest_name: DigestName,
    content_type: str,
    message_digest: bytes,
    signing_time: datetime | None,
    extra_attrs: Sequence[cms.CMSAttribute] = (),
    timestamp: Timestamp | None,
    timestamp_attribute: str = "signature_time_stamp_token",
    rsa_pss: bool = False,
    countersignature: Timestamp | None = None,
    nested: Sequence[bytes] = (),
) -> cms.SignerInfo:
    cert = _asn1_cert(signer.certificate)
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
        cms.CMSAttribute({"type": "message_digest", "values": [message_digest]}),
    ]
    if signing_time is not None:
        attrs.append(
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
            )
        )
    attrs.extend(extra_attrs)
    signed_attrs = cms.CMSAttributes(attrs)
    signature, algorithm = _sign_attributes(signer.key, signed_attrs.dump(), digest_name, rsa_pss)
    info: dict[str, object] = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": cert.issuer,
                    "serial_number": cert.serial_number,
                }
            }
        ),
        "digest_algorithm": {"algorithm": digest_name},
        "signed_attrs": signed_attrs,
        "signature_algorithm": algorithm,
        "signature": signature,
    }
    unsigned: list[dict[str, object]] = []
    if timestamp is not None:
        token = cms.ContentInfo.load(timestamp_token(signature, timestamp))
        unsigned.append({"type": timestamp_attribute, "values": [token]})
    if countersignature is not None:
        unsigned.append(
            {
                "type": "counter_signature",
                "values": [legacy_countersignature(signature, countersignature)],
            }
        )
    if nested:
        unsigned.append(
            {
                "type": SPC_NESTED_SIGNATURE,
                "values": [cms.ContentInfo.load(each) for each in nested],
            }
        )
    if unsigned:
        info["unsigned_attrs"] = unsigned
    return cms.SignerInfo(info)


def legacy_countersignature(signature: bytes, stamp: Timestamp) -> cms.SignerInfo:
    """A PKCS#9 countersignature by `stamp.tsa` over `signature` at `stamp.at`, as `signtool
    /t` timestamps were: contentType data, signingTime and messageDigest, SHA-256 here."""
    return _signer_info(
        stamp.tsa,
        digest_name="sha256",
        content_type="data",
        message_digest=hashlib.sha256(signature).digest(),
        signing_time=stamp.at,
        timestamp=None,
    )


def _signed_data(
    *,
    signer_infos: Sequence[cms.SignerInfo],
    digest_names: Sequence[str],
    encap: cms.EncapsulatedContentInfo | cms.ContentInfo,
    certificates: Sequence[x509.Certificate],
    version: str,
    attribute_certificates: Sequence[cms.AttributeCertificateV2] = (),
) -> bytes:
    choices = [cms.CertificateChoices({"certificate": _asn1_cert(c)}) for c in certificates]
    choices += [cms.CertificateChoices({"v2_attr_cert": a}) for a in attribute_certificates]
    signed = cms.SignedData(
        {
            "version": version,
            "digest_algorithms": [{"algorithm": name} for name in digest_names],
            "encap_content_info": encap,
            "certificates": choices,
            "signer_infos": list(signer_infos),
        }
    )
    dumped: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    return dumped


def sign_cms_detached(
    content: bytes,
    signer: Issued,
    chain: Sequence[x509.Certificate] = (),
    *,
    digest: DigestName = "sha256",
    signing_time: datetime | None = SIGNED_AT,
    timestamp: Timestamp | None = None,
    pem: bool = False,
    no_signer_info: bool = False,
    co_signers: Sequence[Issued] = (),
    rsa_pss: bool = False,
) -> bytes:
    """A detached CMS SignedData over `content`, with the leaf and `chain` embedded;
    `co_signers` add SignerInfos (certificates embedded, chains not) after the signer's."""
    signing = [] if no_signer_info else [signer, *co_signers]
    infos = [
        _signer_info(
            each,
            digest_name=digest,
            content_type="data",
            message_digest=_digest(digest, content),
            signing_time=signing_time,
            timestamp=timestamp,
            rsa_pss=rsa_pss,
        )
        for each in signing
    ]
    der = _signed_data(
        signer_infos=infos,
        digest_names=[digest],
        encap=cms.ContentInfo({"content_type": "data"}),
        certificates=[signer.certificate, *chain, *(c.certificate for c in co_signers)],
        version="v1",
    )
    if not pem:
        return der
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN PKCS7-----\n" + b"\n".join(lines) + b"\n-----END PKCS7-----\n"


def timestamp_token(signature: bytes, stamp: Timestamp) -> bytes:
    """An RFC 3161 TimeStampToken (ContentInfo) over SHA-256(signature), by `stamp.tsa`."""
    tst_info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.3.6.1.4.1.99999.1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(signature).digest(),
            },
            "serial_number": int.from_bytes(hashlib.sha256(signature).digest()[:8], "big"),
            "gen_time": stamp.at,
        }
    )
    tst_der = tst_info.dump()
    ess = tsp.SigningCertificateV2(
        {"certs": [{"cert_hash": hashlib.sha256(stamp.tsa.der).digest()}]}
    )
    info = _signer_info(
        stamp.tsa,
        digest_name="sha256",
        content_type="tst_info",
        message_digest=hashlib.sha256(tst_der).digest(),
        signing_time=None,
        extra_attrs=[cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]})],
        timestamp=None,
    )
    return _signed_data(
        signer_infos=[info],
        digest_names=["sha256"],
        encap=cms.EncapsulatedContentInfo(
            {"content_type": "tst_info", "content": core.ParsableOctetString(tst_der)}
        ),
        certificates=[stamp.tsa.certificate, *stamp.chain],
        version="v3",
        attribute_certificates=[_attribute_certificate(stamp)]
        if stamp.attribute_certificate
        else [],
    )


def _attribute_certificate(stamp: Timestamp) -> cms.AttributeCertificateV2:
    """An attribute certificate about the TSA, as Microsoft's tokens carry one in their
    certificate set (its signature is never checked: nothing relies on it)."""
    tsa = _asn1_cert(stamp.tsa.certificate)
    names = asn1_x509.GeneralNames([asn1_x509.GeneralName({"directory_name": tsa.issuer})])
    validity = {
        "not_before_time": core.GeneralizedTime(stamp.tsa.certificate.not_valid_before_utc),
        "not_after_time": core.GeneralizedTime(stamp.tsa.certificate.not_valid_after_utc),
    }
    info = cms.AttributeCertificateInfoV2(
        {
            "version": "v2",
            "holder": {"base_certificate_id": {"issuer": names, "serial": tsa.serial_number}},
            "issuer": cms.AttCertIssuer({"v2_form": {"issuer_name": names}}),
            "signature": {"algorithm": "sha256_ecdsa"},
            "serial_number": 1,
            "att_cert_validity_period": validity,
            "attributes": [],
        }
    )
    return cms.AttributeCertificateV2(
        {"ac_info": info, "signature_algorithm": {"algorithm": "sha256_ecdsa"}, "signature": b"\0"}
    )


# -- PE and Authenticode ---------------------------------------------------------------------

_SECTION_ALIGNMENT = 0x1000
_FILE_ALIGNMENT = 0x200


def minimal_pe(*, pe32_plus: bool = True, code: bytes = b"\x31\xc0\xc3") -> bytes:
    """A tiny valid PE image (one .text section returning 0), PE32+ (x64) or PE32 (x86)."""
    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, len(dos))
    optional_size = 240 if pe32_plus else 224
    coff = struct.pack(
        "<HHIIIHH",
        0x8664 if pe32_plus else 0x14C,  # Machine
        1,  # NumberOfSections
        0x65F2F000,  # TimeDateStamp (fixed)
        0,
        0,
        optional_size,
        0x0022 if pe32_plus else 0x0102,  # EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE / 32BIT
    )
    headers_size = _FILE_ALIGNMENT
    text_raw = code.ljust(_FILE_ALIGNMENT, b"\xcc")
    image_size = _SECTION_ALIGNMENT * 2
    if pe32_plus:
        optional = struct.pack(
            "<HBBIIIIIQIIHHHHHHIIIIHHQQQQII",
            0x20B, 14, 0, len(text_raw), 0, 0, _SECTION_ALIGNMENT, _SECTION_ALIGNMENT,
            0x140000000, _SECTION_ALIGNMENT, _FILE_ALIGNMENT, 6, 0, 0, 0, 6, 0, 0,
            image_size, headers_size, 0, 3, 0x8160,
            0x100000, 0x1000, 0x100000, 0x1000, 0, 16,
        )  # fmt: skip
    else:
        optional = struct.pack(
            "<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII",
            0x10B, 14, 0, len(text_raw), 0, 0, _SECTION_ALIGNMENT, _SECTION_ALIGNMENT,
            _SECTION_ALIGNMENT, 0x400000, _SECTION_ALIGNMENT, _FILE_ALIGNMENT, 6, 0, 0, 0, 6, 0,
            0, image_size, headers_size, 0, 3, 0x8140,
            0x100000, 0x1000, 0x100000, 0x1000, 0, 16,
        )  # fmt: skip
    optional += bytes(16 * 8)  # data directories, all empty
    section = struct.pack(
        "<8sIIIIIIHHI",
        b".text",
        len(code),
        _SECTION_ALIGNMENT,
        len(text_raw),
        headers_size,
        0,
        0,
        0,
        0,
        0x60000020,  # CODE | EXECUTE | READ
    )
    headers = bytes(dos) + b"PE\0\0" + coff + optional + section
    image = headers.ljust(headers_size, b"\0") + text_raw
    return _with_checksum(image)


def _with_checksum(image: bytes) -> bytes:
    """Set the optional header's CheckSum the way imagehlp's CheckSumMappedFile computes it."""
    layout = parse_pe(image)
    data = bytearray(image)
    struct.pack_into("<I", data, layout.checksum_offset, 0)
    total = 0
    padded = bytes(data) + b"\0" * (len(data) % 2)
    for (word,) in struct.iter_unpack("<H", padded):
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    struct.pack_into("<I", data, layout.checksum_offset, (total + len(image)) & 0xFFFFFFFF)
    return bytes(data)


class _SpcContentInfo(core.Sequence):
    # asn1crypto's ContentInfo drops the [0] EXPLICIT tag around content of a type it does
    # not know, so Authenticode's encapsulated content is built with its own schema.
    _fields = [  # noqa: RUF012 - asn1crypto's declarative schema
        ("content_type", core.ObjectIdentifier),
        ("content", SpcIndirectDataContent, {"explicit": 0}),
    ]


def _pe_image_data() -> bytes:
    """SpcPeImageData as signtool writes it: no flags, a file link "<<<Obsolete>>>"."""

    def tlv(tag: int, body: bytes) -> bytes:
        return bytes([tag, len(body)]) + body

    obsolete = "<<<Obsolete>>>".encode("utf-16-be")
    return tlv(0x30, b"\x03\x01\x00" + tlv(0xA0, tlv(0xA2, tlv(0x80, obsolete))))


@dataclass(frozen=True)
class NestedSignature:
    """A signature to nest in the primary one (dual signing), by `signer` with `digest`."""

    signer: Issued
    chain: tuple[x509.Certificate, ...] = ()
    digest: DigestName = "sha256"
    timestamp: Timestamp | None = None
    countersignature: Timestamp | None = None


def authenticode_signed_data(
    padded: bytes,
    signer: Issued,
    chain: Sequence[x509.Certificate],
    *,
    digest: DigestName,
    timestamp: Timestamp | None,
    signing_time: datetime | None,
    countersignature: Timestamp | None = None,
    nested: Sequence[bytes] = (),
) -> bytes:
    """The PKCS#7 SignedData (ContentInfo DER) of an Authenticode signature over `padded`."""
    image_digest = authenticode_digest(padded, parse_pe(padded), digest)
    spc = SpcIndirectDataContent(
        {
            "data": SpcAttributeTypeAndOptionalValue(
                # SpcPeImageData with flags and a <<<Obsolete>>> file link, as signtool writes.
                {"type": SPC_PE_IMAGE_DATA, "value": core.Any.load(_pe_image_data())}
            ),
            "message_digest": DigestInfo(
                {"digest_algorithm": {"algorithm": digest}, "digest": image_digest}
            ),
        }
    )
    info = _signer_info(
        signer,
        digest_name=digest,
        content_type=SPC_INDIRECT_DATA,
        message_digest=_digest(digest, spc.contents),
        signing_time=signing_time,
        extra_attrs=[
            # SpcSpOpusInfo (empty), as signtool adds; Windows expects it present.
            cms.CMSAttribute(
                {"type": "1.3.6.1.4.1.311.2.1.12", "values": [core.Any.load(b"\x30\x00")]}
            ),
        ],
        timestamp=timestamp,
        # Windows and osslsigncode look for RFC 3161 tokens under Microsoft's attribute.
        timestamp_attribute="microsoft_time_stamp_token",
        countersignature=countersignature,
        nested=nested,
    )
    # A legacy countersigner's certificates travel in the signature's own certificate set.
    counter_chain = (
        [countersignature.tsa.certificate, *countersignature.chain] if countersignature else []
    )
    return _signed_data(
        signer_infos=[info],
        digest_names=[digest],
        encap=cms.ContentInfo.load(
            _SpcContentInfo({"content_type": SPC_INDIRECT_DATA, "content": spc}).dump()
        ),
        certificates=[signer.certificate, *chain, *counter_chain],
        version="v1",
    )


def authenticode_sign(
    image: bytes,
    signer: Issued,
    chain: Sequence[x509.Certificate] = (),
    *,
    digest: DigestName = "sha256",
    timestamp: Timestamp | None = None,
    signing_time: datetime | None = None,
    countersignature: Timestamp | None = None,
    nested: Sequence[NestedSignature] = (),
    padding_in_length: bool = True,
) -> bytes:
    """`image` (unsigned) with an Authenticode signature appended in its certificate table.

    `countersignature`: a legacy PKCS#9 timestamp (`signtool /t`) instead of, or beside, an
    RFC 3161 `timestamp`. `nested`: further signatures nested in the primary (dual signing).
    `padding_in_length`: count the WIN_CERTIFICATE's zero padding to 8 bytes in its dwLength,
    as signtool and osslsigncode do (False: only in the directory's size).
    """
    layout = parse_pe(image)
    if layout.certificate_table is not None:
        raise ValueError("image is already signed")
    padded = image + b"\0" * (-len(image) % 8)
    # The directory entry points at where the table will be; the hash skips the entry, so
    # the signatures are made before it is set.
    inner = [
        authenticode_signed_data(
            padded, each.signer, each.chain, digest=each.digest, timestamp=each.timestamp,
            signing_time=signing_time, countersignature=each.countersignature,
        )
        for each in nested
    ]  # fmt: skip
    signature = authenticode_signed_data(
        padded, signer, chain, digest=digest, timestamp=timestamp, signing_time=signing_time,
        countersignature=countersignature, nested=inner,
    )  # fmt: skip
    padding = b"\0" * (-(8 + len(signature)) % 8)
    declared = 8 + len(signature) + (len(padding) if padding_in_length else 0)
    # WIN_CERTIFICATE: dwLength, wRevision 0x0200, wCertificateType PKCS_SIGNED_DATA (2).
    entry = struct.pack("<IHH", declared, 0x0200, 0x0002) + signature + padding
    data = bytearray(padded)
    struct.pack_into("<II", data, layout.certificate_directory_offset, len(padded), len(entry))
    return _with_checksum(bytes(data) + entry)

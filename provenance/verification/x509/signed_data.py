"""SignerInfo verification shared by detached CMS and Authenticode (RFC 5652 5.4, 5.6).

Decision on several SignerInfos: the signature verifies if at least one SignerInfo verifies
completely against at least one rule. A co-signer nobody pinned cannot weaken a signature
by a pinned vendor, and adding one cannot forge one. If none verifies, every reason is given.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from asn1crypto import cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.evidence.cms import ParsedSignedData
from provenance.verification.x509.path import format_time, validate_path
from provenance.verification.x509.result import CertificateInfo, X509SignatureResult
from provenance.verification.x509.revocation import CrlFile, check_revocation
from provenance.verification.x509.signer import X509Signer
from provenance.verification.x509.timestamp import (
    TrustedTime,
    UntrustedTimestamp,
    verify_countersignature,
)

__all__ = ["ALLOWED_DIGESTS", "SignedContent", "check_digest_algorithm", "verify_signed_data"]

ALLOWED_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
_TIMESTAMP_ATTRIBUTES = ("signature_time_stamp_token", "microsoft_time_stamp_token")


@dataclass(frozen=True)
class SignedContent:
    """What a SignerInfo must be about: its content type, and the content's digest."""

    content_type: str  # dotted OID the contentType attribute must carry
    digest: Callable[[str], bytes]  # algorithm name -> digest of the signed content
    artifact_sha256: str | None


@dataclass(frozen=True)
class _SignerCheck:
    """A SignerInfo whose own signature held; what remains is per rule."""

    index: int
    leaf: x509.Certificate
    digest_algorithm: str
    signature: bytes
    signing_time: datetime | None
    timestamp_token: bytes | None
    notes: tuple[str, ...]


def check_digest_algorithm(name: str, what: str) -> hashes.HashAlgorithm:
    """The hash for `name`; md5, sha1 and anything else outside SHA-2 256/384/512 are refused."""
    algorithm = ALLOWED_DIGESTS.get(name)
    if algorithm is None:
        raise VerificationFailure(
            f"{what} digest algorithm {name} refused: expected sha256, sha384 or sha512",
            check="digest-algorithm",
        )
    return algorithm


def _fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _info(certificate: x509.Certificate) -> CertificateInfo:
    return CertificateInfo(certificate.subject.rfc4514_string(), _fingerprint(certificate))


def _envelope_certificates(parsed: ParsedSignedData) -> list[x509.Certificate]:
    found = []
    for choice in parsed.signed_data["certificates"] or []:
        if choice.name != "certificate":
            raise EvidenceError(
                f"CMS: expected X.509 certificates, got a {choice.name} entry", check="cms"
            )
        try:
            certificate = load_der_certificate(choice.chosen.dump())
            # The key is decoded lazily too; an unknown curve would surface mid-check.
            _ = certificate.public_key()
        except (MalformedCertificate, ValueError, UnsupportedAlgorithm) as exc:
            raise EvidenceError(f"CMS: malformed certificate ({exc})", check="cms") from exc
        found.append(certificate)
    return found


def _find_signer(sid: cms.SignerIdentifier, pool: Sequence[x509.Certificate]) -> x509.Certificate:
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        for certificate in pool:
            if certificate.serial_number == serial and certificate.issuer.public_bytes() == issuer:
                return certificate
        wanted = f"serial {serial:x}"
    else:
        key_id = sid.chosen.native
        for certificate in pool:
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == key_id:
                return certificate
        wanted = f"key identifier {key_id.hex()}"
    raise EvidenceError(
        f"CMS: the signer certificate ({wanted}) is not in the signature", check="cms"
    )


def _attributes(attributes: cms.CMSAttributes, what: str) -> dict[str, cms.CMSAttribute]:
    found: dict[str, cms.CMSAttribute] = {}
    for attribute in attributes:
        name = attribute["type"].native
        if name in found:
            raise EvidenceError(f"CMS: {what} attribute {name} appears twice", check="cms")
        found[name] = attribute
    return found


def _single(attribute: cms.CMSAttribute, name: str) -> object:
    values = attribute["values"]
    if len(values) != 1:
        raise EvidenceError(
            f"CMS: expected one value in signed attribute {name}, got {len(values)}", check="cms"
        )
    return values[0]


def _verify_signer_signature(
    info: cms.SignerInfo, leaf: x509.Certificate, digest_name: str, signed: bytes
) -> None:
    """The SignerInfo's signature over its DER signed attributes, with the leaf's key."""
    algorithm = info["signature_algorithm"]
    named = algorithm["algorithm"].native
    try:
        scheme = algorithm.signature_algo
        # A combined identifier (sha256_rsa, sha384_ecdsa) must name the digest algorithm.
        combined = scheme != "rsassa_pss" and named not in ("rsassa_pkcs1v15", "ecdsa")
        mismatch = combined and algorithm.hash_algo != digest_name
    except ValueError as exc:
        raise VerificationFailure(
            f"signature algorithm {named} is not supported", check="signature"
        ) from exc
    if mismatch:
        raise VerificationFailure(
            f"signature algorithm {named} does not match digest algorithm {digest_name}",
            check="signature",
        )
    hash_algorithm = ALLOWED_DIGESTS[digest_name]
    key = leaf.public_key()
    signature = info["signature"].native
    try:
        if scheme == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(hash_algorithm))
        elif scheme == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hash_algorithm)
        elif scheme == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            if params["hash_algorithm"]["algorithm"].native != digest_name or (
                params["mask_gen_algorithm"]["parameters"]["algorithm"].native != digest_name
            ):
                raise VerificationFailure(
                    f"RSASSA-PSS parameters do not use digest algorithm {digest_name}",
                    check="signature",
                )
            pss = padding.PSS(
                mgf=padding.MGF1(hash_algorithm), salt_length=params["salt_length"].native
            )
            key.verify(signature, signed, pss, hash_algorithm)
        else:
            raise VerificationFailure(
                f"signature algorithm {named} does not fit the signer's "
                f"{type(key).__name__.removeprefix('_')} key",
                check="signature",
            )
    except InvalidSignature as exc:
        raise VerificationFailure(
            "the signature over the signed attributes does not verify with the signer "
            f"certificate '{leaf.subject.rfc4514_string()}'",
            check="signature",
        ) from exc


def _check_signer_info(
    index: int,
    info: cms.SignerInfo,
    parsed: ParsedSignedData,
    pool: Sequence[x509.Certificate],
    content: SignedContent,
) -> _SignerCheck:
    # 1. Digest algorithm: SHA-2 only.
    digest_name = info["digest_algorithm"]["algorithm"].native
    check_digest_algorithm(digest_name, "SignerInfo")
    # 2. The signer's certificate, by issuer and serial or by key identifier.
    leaf = _find_signer(info["sid"], pool)
    # 3. Signed attributes must be present: contentType and messageDigest bind the content.
    if isinstance(info["signed_attrs"], core.Void):
        raise EvidenceError("CMS: SignerInfo has no signed attributes", check="cms")
    attributes = _attributes(info["signed_attrs"], "signed")
    for required in ("content_type", "message_digest"):
        if required not in attributes:
            raise EvidenceError(f"CMS: signed attribute {required} is missing", check="cms")
    content_type = _single(attributes["content_type"], "contentType")
    assert isinstance(content_type, cms.ContentType)  # the schema guarantees it
    if not content_type.dotted == parsed.content_type == content.content_type:
        raise VerificationFailure(
            f"contentType: expected {content.content_type}, got signed {content_type.dotted} "
            f"and encapsulated {parsed.content_type}",
            check="content-type",
        )
    message_digest = _single(attributes["message_digest"], "messageDigest")
    expected = content.digest(digest_name)
    if not hmac.compare_digest(bytes(message_digest.native), expected):  # type: ignore[attr-defined]
        raise VerificationFailure(
            f"messageDigest does not match the artifact ({digest_name})", check="digest"
        )
    # 4. The signature covers the signed attributes as a DER SET OF (RFC 5652 5.4): the
    #    [0] IMPLICIT tag of the SignerInfo field is replaced by the SET tag.
    signed = b"\x31" + info["signed_attrs"].dump()[1:]
    _verify_signer_signature(info, leaf, digest_name, signed)
    # 5. Recorded, not trusted: the claimed signing time and any timestamp, checked per rule.
    signing_time = None
    if "signing_time" in attributes:
        signing_time = _single(attributes["signing_time"], "signingTime").native  # type: ignore[attr-defined]
    notes: list[str] = []
    token = None
    unsigned_attrs = info["unsigned_attrs"]
    unsigned = (
        {} if isinstance(unsigned_attrs, core.Void) else _attributes(unsigned_attrs, "unsigned")
    )
    stamps = [unsigned[name] for name in _TIMESTAMP_ATTRIBUTES if name in unsigned]
    if len(stamps) > 1 or (stamps and len(stamps[0]["values"]) != 1):
        raise EvidenceError("CMS: expected at most one RFC 3161 timestamp token", check="cms")
    if stamps:
        token = stamps[0]["values"][0].dump()
    if "counter_signature" in unsigned:
        notes.append("legacy PKCS#9 countersignature not supported; not used as signing time")
    return _SignerCheck(
        index=index,
        leaf=leaf,
        digest_algorithm=digest_name,
        signature=info["signature"].native,
        signing_time=signing_time,
        timestamp_token=token,
        notes=tuple(notes),
    )


def _validation_time(
    check: _SignerCheck, tsa_roots: Sequence[x509.Certificate], now: datetime
) -> tuple[TrustedTime | None, list[str]]:
    if check.timestamp_token is None:
        return None, []
    try:
        trusted = verify_countersignature(check.timestamp_token, check.signature, tsa_roots)
    except UntrustedTimestamp as exc:
        return None, [f"{exc}; validated at now"]
    if trusted.time > now:
        # A time after `now` cannot be the signing time; never validate in the future.
        return None, [
            f"RFC 3161 timestamp {format_time(trusted.time)} is after now; validated at now"
        ]
    return trusted, []


def _against_rule(
    check: _SignerCheck,
    rule: X509Signer,
    pool: Sequence[x509.Certificate],
    *,
    kind: Literal["cms-detached", "authenticode"],
    content: SignedContent,
    now: datetime,
    crls: Sequence[CrlFile],
    tsa_roots: Sequence[x509.Certificate],
    online: bool,
) -> X509SignatureResult:
    # 6. Validation time: a timestamp by a TSA this rule or the caller trusts, else now.
    trusted, notes = _validation_time(check, (*rule.tsa_roots, *tsa_roots), now)
    at, source = (trusted.time, trusted.source) if trusted else (now, "now")
    # 7. The path to a pinned root at that time, with the rule's EKUs; then the subject.
    chain = validate_path(
        check.leaf,
        untrusted=[*pool, *rule.intermediates],
        roots=rule.roots,
        at=at,
        at_source=source,
        ekus=rule.ekus,
    )
    mismatch = rule.subject_mismatch(check.leaf)
    if mismatch is not None:
        raise VerificationFailure(f"signer certificate {mismatch}", check="subject")
    # 8. Revocation of every certificate below the root.
    status = check_revocation(
        chain, crls, at=at, trusted_time=trusted is not None, now=now, online=online
    )
    return X509SignatureResult(
        kind=kind,
        matched_rule=rule.source,
        leaf=_info(check.leaf),
        issuers=tuple(_info(c) for c in chain[1:]),
        root_sha256=_fingerprint(chain[-1]),
        signing_time=check.signing_time,
        validation_time=at,
        validation_time_source=source,
        revocation=status.leaf,
        revocation_checked=status.checked,
        chain_revocation=status.chain,
        digest_algorithm=check.digest_algorithm,
        artifact_sha256=content.artifact_sha256,
        signer_index=check.index,
        notes=(*check.notes, *notes),
    )


def verify_signed_data(
    parsed: ParsedSignedData,
    content: SignedContent,
    signers: Sequence[X509Signer],
    *,
    kind: Literal["cms-detached", "authenticode"],
    now: datetime,
    crls: Sequence[CrlFile] = (),
    tsa_roots: Sequence[x509.Certificate] = (),
    online: bool = False,
) -> X509SignatureResult:
    """The first SignerInfo that verifies against a rule; `VerificationFailure` if none does."""
    if not signers:
        raise VerificationFailure("no X.509 signer rule to verify against", check="signer")
    pool = _envelope_certificates(parsed)
    problems: list[str] = []
    infos = list(parsed.signed_data["signer_infos"])
    for index, info in enumerate(infos):
        label = f"SignerInfo #{index + 1}: " if len(infos) > 1 else ""
        try:
            check = _check_signer_info(index, info, parsed, pool, content)
        except VerificationFailure as exc:
            if len(infos) == 1:
                raise
            problems.append(f"{label}{exc}")
            continue
        for rule in signers:
            where = f"{label}rule {rule.source}: " if len(signers) > 1 else label
            try:
                return _against_rule(
                    check, rule, pool, kind=kind, content=content, now=now,
                    crls=crls, tsa_roots=tsa_roots, online=online,
                )  # fmt: skip
            except VerificationFailure as exc:
                if len(infos) == 1 and len(signers) == 1:
                    raise
                problems.append(f"{where}{exc}")
    raise VerificationFailure("no signature verified: " + "; ".join(problems), check="signer")

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
from functools import partial
from typing import Literal

from asn1crypto import cms, core
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.evidence.cms import ParsedSignedData
from provenance.verification.x509.countersignature import verify_legacy_countersignature
from provenance.verification.x509.path import format_time, validate_path
from provenance.verification.x509.result import CertificateInfo, X509SignatureResult
from provenance.verification.x509.revocation import CrlFile, check_revocation
from provenance.verification.x509.signer import X509Signer
from provenance.verification.x509.signer_info import (
    ALLOWED_DIGESTS,
    attributes,
    check_digest_algorithm,
    find_signer,
    signed_attributes_der,
    single,
    verify_signer_signature,
)
from provenance.verification.x509.timestamp import (
    TrustedTime,
    UntrustedTimestamp,
    verify_countersignature,
)

__all__ = ["ALLOWED_DIGESTS", "SignedContent", "check_digest_algorithm", "verify_signed_data"]

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
    countersignatures: tuple[cms.SignerInfo, ...]  # legacy PKCS#9, unverified
    notes: tuple[str, ...]


def _fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _info(certificate: x509.Certificate) -> CertificateInfo:
    return CertificateInfo(certificate.subject.rfc4514_string(), _fingerprint(certificate))


def _envelope_certificates(parsed: ParsedSignedData) -> list[x509.Certificate]:
    found = []
    for choice in parsed.signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue  # attribute certificates and the like: nothing here reads them
        try:
            certificate = load_der_certificate(choice.chosen.dump())
            # The key is decoded lazily too; an unknown curve would surface mid-check.
            _ = certificate.public_key()
        except (MalformedCertificate, ValueError, UnsupportedAlgorithm) as exc:
            raise EvidenceError(
                "CMS: expected well-formed X.509 certificates, got one that is not (or holds "
                "a key of an unsupported type)",
                check="cms",
            ) from exc
        found.append(certificate)
    return found


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
    leaf = find_signer(info["sid"], pool)
    # 3. Signed attributes must be present: contentType and messageDigest bind the content.
    if isinstance(info["signed_attrs"], core.Void):
        raise EvidenceError("CMS: SignerInfo has no signed attributes", check="cms")
    signed_attrs = attributes(info["signed_attrs"], "signed")
    for required in ("content_type", "message_digest"):
        if required not in signed_attrs:
            raise EvidenceError(f"CMS: signed attribute {required} is missing", check="cms")
    content_type = single(signed_attrs["content_type"], "contentType")
    assert isinstance(content_type, cms.ContentType)  # the schema guarantees it
    if not content_type.dotted == parsed.content_type == content.content_type:
        raise VerificationFailure(
            f"contentType: expected {content.content_type}, got signed {content_type.dotted} "
            f"and encapsulated {parsed.content_type}",
            check="content-type",
        )
    message_digest = single(signed_attrs["message_digest"], "messageDigest")
    expected = content.digest(digest_name)
    if not hmac.compare_digest(bytes(message_digest.native), expected):  # type: ignore[attr-defined]
        raise VerificationFailure(
            f"messageDigest does not match the artifact ({digest_name})", check="digest"
        )
    # 4. The signature covers the signed attributes as a DER SET OF (RFC 5652 5.4): the
    #    [0] IMPLICIT tag of the SignerInfo field is replaced by the SET tag.
    signed = signed_attributes_der(info)
    verify_signer_signature(info, leaf, digest_name, signed)
    # 5. Recorded, not trusted: the claimed signing time and any timestamp, checked per rule.
    signing_time = None
    if "signing_time" in signed_attrs:
        signing_time = single(signed_attrs["signing_time"], "signingTime").native  # type: ignore[attr-defined]
    notes: list[str] = []
    token = None
    unsigned_attrs = info["unsigned_attrs"]
    unsigned = (
        {} if isinstance(unsigned_attrs, core.Void) else attributes(unsigned_attrs, "unsigned")
    )
    stamps = [unsigned[name] for name in _TIMESTAMP_ATTRIBUTES if name in unsigned]
    if len(stamps) > 1 or (stamps and len(stamps[0]["values"]) != 1):
        raise EvidenceError("CMS: expected at most one RFC 3161 timestamp token", check="cms")
    if stamps:
        token = stamps[0]["values"][0].dump()
    countersignatures = (
        tuple(unsigned["counter_signature"]["values"]) if ("counter_signature" in unsigned) else ()
    )
    return _SignerCheck(
        index=index,
        leaf=leaf,
        digest_algorithm=digest_name,
        signature=info["signature"].native,
        signing_time=signing_time,
        timestamp_token=token,
        countersignatures=countersignatures,
        notes=tuple(notes),
    )


def _validation_time(
    check: _SignerCheck,
    pool: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate],
    now: datetime,
) -> tuple[TrustedTime | None, list[str]]:
    """The signing time a trusted TSA vouches for: the RFC 3161 token first, else a legacy
    PKCS#9 countersignature; None (validate at now) with the reasons they were set aside."""
    notes: list[str] = []
    candidates: list[Callable[[], TrustedTime]] = []
    if check.timestamp_token is not None:
        candidates.append(
            partial(verify_countersignature, check.timestamp_token, check.signature, tsa_roots)
        )
    candidates += [
        partial(verify_legacy_countersignature, counter, check.signature, pool, tsa_roots)
        for counter in check.countersignatures
    ]
    for candidate in candidates:
        try:
            trusted = candidate()
        except UntrustedTimestamp as exc:
            notes.append(str(exc))
            continue
        if trusted.time > now:
            # A time after `now` cannot be the signing time; never validate in the future.
            kind = (
                "RFC 3161 timestamp"
                if trusted.source.startswith("rfc3161:")
                else ("PKCS#9 countersignature")
            )
            notes.append(f"{kind} {format_time(trusted.time)} is after now")
            continue
        return trusted, []
    return None, [f"{note}; validated at now" for note in notes]


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
    trusted, notes = _validation_time(check, pool, (*rule.tsa_roots, *tsa_roots), now)
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
        chain, [*rule.crls, *crls], at=at, trusted_time=trusted is not None, now=now,
        online=online, required=rule.revocation_required,
    )  # fmt: skip
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
        notes=(*check.notes, *notes, *status.notes),
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

"""Vendor-native signatures: detached signatures over the artifact (OpenPGP `.asc`/`.sig`,
X.509 CMS `.p7s`/`.sig`) and signed checksum lists (`SHA256SUMS` with its signature).

What a detached signature signs is told by its name: `F.asc`, `F.sig` and `F.p7s` sign `F`.
If `F` is the artifact, the signature is over the artifact; otherwise `F` must be a checksum
list beside it, and the artifact must be listed in it. The signature's format is told by its
content (armor header, or the first byte of binary data), never by its suffix alone.

Each verified piece becomes a `SignatureFact` attributed to the vendor whose rule verified it;
OpenPGP and CMS signatures without a trusted timestamp carry no trusted time (the signer's
own clock is not evidence).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from provenance.errors import EvidenceError, InputError, VerificationFailure
from provenance.evidence.checksum_list import MAX_CHECKSUM_LIST_BYTES
from provenance.evidence.sigstore_bundle import BUNDLE_SUFFIXES
from provenance.facts import SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.inputs.files import read_bounded
from provenance.verification.checksum_list import SignatureCheck, SignedBy, verify_checksum_list
from provenance.verification.dsse_keys import signature_valid, unverified_detail
from provenance.verification.openpgp import (
    OpenPgpSigner,
    verify_openpgp_signature,
)
from provenance.verification.signers import PublicKeySigner
from provenance.verification.sigstore.verifier import NamedSigner
from provenance.verification.x509 import (
    ContentDigest,
    CrlFile,
    UnsignedPeFile,
    X509SignatureResult,
    X509Signer,
    load_crl,
    verify_authenticode_file,
    verify_cms_detached,
)

__all__ = [
    "CHECKSUM_LIST_NAMES",
    "DETACHED_SUFFIXES",
    "SignatureFormat",
    "SignedFile",
    "signature_format",
    "signed_target",
    "verify_authenticode_in",
    "verify_detached",
    "verify_list_bundle",
    "verify_signed_file",
    "x509_rules",
]

DETACHED_SUFFIXES = (".asc", ".sig", ".p7s")
CHECKSUM_LIST_NAMES = ("SHA256SUMS", "SHA384SUMS", "SHA512SUMS")

SignatureFormat = Literal["openpgp", "cms"]
MAX_CRLS = 64  # CRL files read from one delivery folder

_OPENPGP_ARMOR = b"-----BEGIN PGP SIGNATURE-----"
_CMS_ARMOR = (b"-----BEGIN PKCS7-----", b"-----BEGIN CMS-----", b"-----BEGIN PKCS #7 SIGNED DATA")


def signature_format(data: bytes) -> SignatureFormat | None:
    """OpenPGP or CMS, from the content: armor headers, else the first byte (DER SEQUENCE
    0x30 for CMS; an OpenPGP packet tag has its high bit set)."""
    head = data.lstrip()[:64]
    if head.startswith(_OPENPGP_ARMOR):
        return "openpgp"
    if head.startswith(_CMS_ARMOR):
        return "cms"
    if head[:1] == b"\x30":
        return "cms"
    # A binary OpenPGP signature packet: new format tag 2 (0xC2), or old format tag 2 with
    # any length type (0x88-0x8B).
    if head[:1] == b"\xc2" or head[:1] in (b"\x88", b"\x89", b"\x8a", b"\x8b"):
        return "openpgp"
    return None


def signed_target(signature: Path) -> Path | None:
    """The file a signature signs, by name: `F.asc`, `F.sig`, `F.p7s`, `F.sigstore.json`,
    `F.sigstore` -> `F`; None for any other name."""
    for suffix in (*BUNDLE_SUFFIXES, *DETACHED_SUFFIXES):
        if signature.name.endswith(suffix):
            return signature.with_name(signature.name[: -len(suffix)])
    return None


def _fact(
    signed_by: SignedBy,
    artifact: Artifact,
    *,
    source: str,
    content: Literal["cms", "authenticode", "openpgp", "checksum-list"],
    signed_at: datetime | None,
    checksum_list: str | None = None,
    listed_name: str | None = None,
) -> SignatureFact:
    return SignatureFact.without_log(
        artifact_sha256=artifact.sha256.hex(),
        signer_kind=signed_by.kind,
        key_id=signed_by.key_id,
        matched_rule=signed_by.signer,
        vendor=signed_by.vendor,
        source=source,
        content=content,
        signed_at=signed_at,
        checksum_list=checksum_list,
        subject_names=(listed_name,) if listed_name else (),
    )


def _delivered_name(artifact: Artifact) -> str | None:
    """The name a checksum list must list: the delivered file's, not that of a staged copy."""
    delivered = artifact.delivered_path
    return delivered.name if delivered is not None else None


def verify_detached(
    data: bytes,
    source: Path,
    artifact: Artifact,
    *,
    signers: Sequence[NamedSigner],
    now: datetime,
    online: bool = False,
    crls: Sequence[CrlFile] = (),
) -> SignatureFact:
    """Verify a detached signature over the artifact or over a checksum list listing it.
    `crls`: CRLs from beyond the delivery (the state directory), beside those in it."""
    fmt = signature_format(data)
    target = signed_target(source) or source  # verify_detached takes detached names only
    has_keys = any(isinstance(named.rule, PublicKeySigner) for named in signers)
    # Raw signature bytes can look like anything (DER ECDSA starts like CMS); with no signer
    # for the format they seem to be, a plain vendor key is the other reading.
    plain = fmt is None or has_keys
    if target.name in CHECKSUM_LIST_NAMES and not _rules_for(fmt, signers) and plain:
        return _key_signed_list(data, source, target, artifact, signers)
    if fmt is None:
        raise EvidenceError(
            f"{source}: not an OpenPGP or CMS signature (by its content)", check="signature"
        )
    delivered = artifact.delivered_path
    over_artifact = delivered is not None and target.name == delivered.name
    check = _check_for(fmt, data, source, target, signers, now=now, online=online, crls=crls)
    if over_artifact:
        assert artifact.path is not None
        if fmt == "cms":
            signed_by = _cms(
                data, source, artifact.path, signers, now=now, online=online, crls=crls
            )
        else:
            signed_by = _openpgp(
                data, source, artifact.path, data_name=artifact.name, signers=signers, now=now
            )
        return _fact(
            signed_by, artifact, source=str(source),
            content=fmt, signed_at=signed_by.signed_at if fmt == "cms" else None,
        )  # fmt: skip
    if target.name not in CHECKSUM_LIST_NAMES and target.suffix not in (".sha256", ".sha512"):
        raise VerificationFailure(
            f"{source}: signs {target.name}, which is neither the artifact nor a checksum list "
            f"({', '.join(CHECKSUM_LIST_NAMES)})",
            check="signature",
        )
    return _listed_in(target, artifact, check, signers, source, timestamped=fmt == "cms")


def _listed_in(
    target: Path,
    artifact: Artifact,
    check: SignatureCheck,
    signers: Sequence[NamedSigner],
    source: Path,
    *,
    timestamped: bool,
) -> SignatureFact:
    """The fact for an artifact listed in the checksum list `target`, whose signature `check`
    verifies (before the list is parsed). `timestamped`: the check's time is a trusted one."""
    listed = read_bounded(target, MAX_CHECKSUM_LIST_BYTES, "checksum list")
    if listed is None:
        raise EvidenceError(f"{target}: larger than {MAX_CHECKSUM_LIST_BYTES} bytes", check="list")
    result = verify_checksum_list(
        listed, str(target), artifact, check, artifact_name=_delivered_name(artifact)
    )
    signed = result.signed_by
    return _fact(
        signed, artifact, source=str(source),
        content="checksum-list", signed_at=signed.signed_at if timestamped else None,
        checksum_list=str(target), listed_name=result.listed_name,
    )  # fmt: skip


def _key_signed_list(
    data: bytes,
    source: Path,
    target: Path,
    artifact: Artifact,
    signers: Sequence[NamedSigner],
) -> SignatureFact:
    """A checksum list signed with a plain vendor key (`cosign sign-blob --key`, `openssl
    dgst -sign`): the signature as raw bytes or base64 text, over the list's exact bytes."""
    keys = [n for n in signers if isinstance(n.rule, PublicKeySigner)]
    if not keys:
        raise EvidenceError(
            f"{source}: not an OpenPGP or CMS signature, and the policy names no vendor keys "
            "to try it as a plain key signature",
            check="signature",
        )
    signature = _raw_signature(data)

    def check(listed: bytes) -> SignedBy:
        for named in keys:
            rule = named.rule
            assert isinstance(rule, PublicKeySigner)
            if signature_valid(rule, signature, listed):
                return SignedBy(
                    "key", rule.describe(), rule.key_id, None, str(source), vendor=named.vendor
                )
        tried = [n.rule for n in keys if isinstance(n.rule, PublicKeySigner)]
        encodings = unverified_detail([signature], tried)
        raise VerificationFailure(
            f"{source}: signature over {target.name} verifies under none of the policy's "
            f"vendor keys ({len(keys)} tried" + (f"; {encodings})" if encodings else ")"),
            check="signature",
        )

    return _listed_in(target, artifact, check, signers, source, timestamped=False)


def _rules_for(fmt: SignatureFormat | None, signers: Sequence[NamedSigner]) -> bool:
    """Does the policy have signer rules for signatures of this format?"""
    kind = {"openpgp": OpenPgpSigner, "cms": X509Signer}.get(fmt) if fmt else None
    return kind is not None and any(isinstance(named.rule, kind) for named in signers)


def _raw_signature(data: bytes) -> bytes:
    """Base64 text (as cosign writes it) or the raw signature bytes."""
    text = data.strip()
    try:
        return base64.b64decode(text, validate=True) if text else data
    except (binascii.Error, ValueError):
        return data


def _check_for(
    fmt: SignatureFormat,
    data: bytes,
    source: Path,
    target: Path,
    signers: Sequence[NamedSigner],
    *,
    now: datetime,
    online: bool = False,
    crls: Sequence[CrlFile] = (),
) -> SignatureCheck:
    """How to check the signature over a checksum list's bytes."""
    if fmt == "cms":
        return lambda listed: _cms(
            data,
            source,
            ContentDigest("sha256", hashlib.sha256(listed).digest()),
            signers,
            now=now,
            online=online,
            crls=crls,
        )
    return lambda listed: _openpgp(
        data, source, listed, data_name=target.name, signers=signers, now=now
    )


def _openpgp_rules(signers: Sequence[NamedSigner], source: Path) -> list[OpenPgpSigner]:
    rules = [n.rule for n in signers if isinstance(n.rule, OpenPgpSigner)]
    if not rules:
        raise VerificationFailure(
            f"{source}: an OpenPGP signature, but the policy pins no OpenPGP keys",
            check="signature",
        )
    return rules


def x509_rules(signers: Sequence[NamedSigner]) -> dict[str | None, list[X509Signer]]:
    """The policy's X.509 rules, by vendor (each vendor's verified on its own)."""
    by_vendor: dict[str | None, list[X509Signer]] = {}
    for named in signers:
        if isinstance(named.rule, X509Signer):
            by_vendor.setdefault(named.vendor, []).append(named.rule)
    return by_vendor


def x509_signed_by(
    verify: Callable[[Sequence[X509Signer]], X509SignatureResult],
    signers: Sequence[NamedSigner],
    source: str,
) -> SignedBy:
    """Try each vendor's X.509 rules; the first that verifies signed it. Raises with every
    vendor's reason otherwise."""
    by_vendor = x509_rules(signers)
    if not by_vendor:
        raise VerificationFailure(
            f"{source}: an X.509 (CMS) signature, but the policy names no x509 signers",
            check="signature",
        )
    reasons = []
    for vendor, rules in by_vendor.items():
        try:
            result = verify(rules)
        except UnsignedPeFile as unsigned:
            # Not a failed signature: there is none, whichever vendor's rules are tried.
            raise UnsignedPeFile(f"{source}: {unsigned}", check="authenticode") from unsigned
        except VerificationFailure as failure:
            reasons.append(str(failure) if len(by_vendor) == 1 else f"{vendor}: {failure}")
            continue
        rule = next(r for r in rules if r.source == result.matched_rule)
        timestamped = result.validation_time_source != "now"
        return SignedBy(
            vendor=vendor,
            kind="x509",
            signer=rule.describe(),
            key_id=f"x509:sha256:{result.leaf.sha256} ({result.leaf_subject}; "
            f"revocation {result.revocation})",
            signed_at=result.validation_time if timestamped else None,
            evidence=source,
        )
    raise VerificationFailure(f"{source}: {'; '.join(reasons)}", check="signature")


def _cms(
    data: bytes,
    source: Path,
    content: Path | ContentDigest,
    signers: Sequence[NamedSigner],
    *,
    now: datetime,
    online: bool = False,
    crls: Sequence[CrlFile] = (),
) -> SignedBy:
    every = [*crls, *delivery_crls(source.parent)]
    return x509_signed_by(
        lambda rules: verify_cms_detached(data, content, rules, now=now, crls=every, online=online),
        signers,
        str(source),
    )


def delivery_crls(folder: Path) -> list[CrlFile]:
    """CRLs delivered beside the evidence (`*.crl`): each is checked against its CA's
    signature before it counts, so reading them from the delivery is safe."""
    crls = []
    for path in sorted(folder.glob("*.crl"))[:MAX_CRLS]:
        try:
            crls.append(load_crl(path))
        except InputError as exc:
            raise VerificationFailure(f"{path}: {exc}", check="revocation") from exc
    return crls


def _openpgp(
    signature: bytes,
    source: Path,
    data: bytes | Path,
    *,
    data_name: str,
    signers: Sequence[NamedSigner],
    now: datetime,
) -> SignedBy:
    """An OpenPGP signature over `data` (bytes, or a file streamed through the verifier),
    credited to the vendor whose pinned certificate verified it."""
    rules = _openpgp_rules(signers, source)
    verified = verify_openpgp_signature(
        signature, data, rules, now=now, data_name=data_name, signature_name=str(source)
    )
    return SignedBy(
        kind="openpgp",
        signer=verified.signer.describe(),
        key_id=verified.signing_key,
        signed_at=verified.signed_at,
        evidence=str(source),
        vendor=next(n.vendor for n in signers if n.rule is verified.signer),
    )


def verify_list_bundle(
    data: bytes,
    source: Path,
    artifact: Artifact,
    *,
    bundle_check: Callable[[Artifact], SignatureFact],
) -> SignatureFact:
    """A Sigstore bundle over a checksum list (`SHA256SUMS.sigstore.json`): the bundle must
    verify for the list's exact bytes (`bundle_check`), then the list must name the artifact."""
    target = signed_target(source) or source  # takes `LIST.sigstore[.json]` names only
    listed = read_bounded(target, MAX_CHECKSUM_LIST_BYTES, "checksum list")
    if listed is None:
        raise EvidenceError(f"{target}: larger than {MAX_CHECKSUM_LIST_BYTES} bytes", check="list")
    facts: list[SignatureFact] = []

    def check(list_bytes: bytes) -> SignedBy:
        subject = Artifact(name=str(target), sha256=hashlib.sha256(list_bytes).digest())
        fact = bundle_check(subject)
        facts.append(fact)
        return SignedBy(
            vendor=fact.vendor,
            kind=fact.signer_kind,
            signer=fact.matched_rule,
            key_id=fact.key_id or fact.identity or "",
            signed_at=fact.signed_at,
            evidence=str(source),
        )

    result = verify_checksum_list(
        listed,
        str(target),
        artifact,
        check,
        artifact_name=_delivered_name(artifact),
    )
    signed = facts[0]
    # The list's Sigstore signature, re-aimed at the artifact it lists: its identity and time
    # stay the list's (`about_this_digest_only` is False, so neither is read as this file's).
    return replace(
        signed,
        artifact_sha256=artifact.sha256.hex(),
        content="checksum-list",
        checksum_list=str(target),
        subject_names=(result.listed_name,),
    )


def verify_authenticode_in(
    artifact: Artifact,
    signers: Sequence[NamedSigner],
    *,
    now: datetime,
    online: bool = False,
    crls: Sequence[CrlFile] = (),
) -> SignatureFact | None:
    """The artifact's own Authenticode signature, if it is a PE file and the policy has X.509
    signers (None otherwise). Raises `UnsignedPeFile` for a PE file without a signature."""
    path, delivered = artifact.path, artifact.delivered_path
    if path is None or delivered is None or not x509_rules(signers) or not _is_pe(path):
        return None
    every = [*crls, *delivery_crls(delivered.parent)]
    # An unsigned PE raises `UnsignedPeFile`: the report says the file carries no signature.
    signed_by = x509_signed_by(
        lambda rules: verify_authenticode_file(path, rules, now=now, crls=every, online=online),
        signers,
        f"{delivered} (Authenticode)",
    )
    return _fact(
        signed_by, artifact,
        source=f"{delivered} (Authenticode)", content="authenticode", signed_at=signed_by.signed_at,
    )  # fmt: skip


def _is_pe(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) == b"MZ"
    except OSError:
        return False


@dataclass(frozen=True)
class SignedFile:
    """A file beside the artifact (an SBOM) whose exact bytes a vendor signer signed."""

    path: str
    sha256: str  # hex of the bytes the signature covers
    vendor: str | None
    signer: str  # the rule, in words


def verify_signed_file(
    data: bytes,
    source: Path,
    target: Path,
    *,
    signers: Sequence[NamedSigner],
    now: datetime,
    max_bytes: int,
    online: bool = False,
    crls: Sequence[CrlFile] = (),
) -> SignedFile:
    """A detached OpenPGP or CMS signature (`source`) over `target`'s bytes."""
    fmt = signature_format(data)
    if fmt is None:
        raise EvidenceError(
            f"{source}: not an OpenPGP or CMS signature (by its content)", check="signature"
        )
    content = read_bounded(target, max_bytes, "signed file")
    if content is None:
        raise EvidenceError(f"{target}: larger than {max_bytes} bytes", check="signature")
    signed_by = _check_for(fmt, data, source, target, signers, now=now, online=online, crls=crls)(
        content
    )
    return SignedFile(
        str(target),
        hashlib.sha256(content).hexdigest(),
        signed_by.vendor,
        signed_by.signer,
    )

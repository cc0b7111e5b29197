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

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.checksum_list import MAX_CHECKSUM_LIST_BYTES
from provenance.facts import SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.inputs.files import read_bounded
from provenance.verification.checksum_list import SignatureCheck, SignedBy, verify_checksum_list
from provenance.verification.openpgp import (
    OpenPgpSigner,
    openpgp_signature_check,
    verify_openpgp_signature,
)
from provenance.verification.sigstore.verifier import NamedSigner

__all__ = [
    "CHECKSUM_LIST_NAMES",
    "DETACHED_SUFFIXES",
    "SignatureFormat",
    "signature_format",
    "signed_file",
    "verify_detached",
    "verify_list_bundle",
]

DETACHED_SUFFIXES = (".asc", ".sig", ".p7s")
CHECKSUM_LIST_NAMES = ("SHA256SUMS", "SHA384SUMS", "SHA512SUMS")

SignatureFormat = Literal["openpgp", "cms"]

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
    if head[:1] and head[0] & 0x80:
        return "openpgp"
    return None


def signed_file(signature: Path) -> Path:
    """`F.asc` -> `F`: the file a detached signature signs, by name."""
    return signature.with_name(signature.name[: -len(signature.suffix)])


def _fact(
    signed_by: SignedBy,
    named: NamedSigner,
    artifact: Artifact,
    *,
    source: str,
    content: Literal["cms", "authenticode", "openpgp", "checksum-list"],
    signed_at: datetime | None,
    checksum_list: str | None = None,
) -> SignatureFact:
    return SignatureFact(
        artifact_sha256=artifact.sha256.hex(),
        signer_kind="openpgp" if signed_by.kind == "openpgp" else "x509",
        identity=None,
        issuer=None,
        key_id=signed_by.key_id,
        matched_rule=signed_by.signer,
        vendor=named.vendor,
        signed_at=signed_at,
        integrated_time=None,
        rfc3161_times=(),
        log_index=None,
        log_id=None,
        log_url=None,
        trust_root=None,
        bundle=source,
        bundle_media_type=None,
        log_entry_kind=None,
        content=content,
        predicate_type=None,
        checksum_list=checksum_list,
    )


def _owner(signers: Sequence[NamedSigner], rule_text: str) -> NamedSigner:
    """The named rule whose description the check reported (rules are unique per policy)."""
    for named in signers:
        if named.rule.describe() == rule_text:
            return named
    raise VerificationFailure(f"no policy rule {rule_text!r}", check="signer")  # unreachable


def verify_detached(
    data: bytes,
    source: Path,
    artifact: Artifact,
    *,
    signers: Sequence[NamedSigner],
    now: datetime,
) -> SignatureFact:
    """Verify a detached signature over the artifact or over a checksum list listing it."""
    fmt = signature_format(data)
    if fmt is None:
        raise EvidenceError(
            f"{source}: not an OpenPGP or CMS signature (by its content)", check="signature"
        )
    target = signed_file(source)
    over_artifact = artifact.path is not None and target.name == artifact.path.name
    check, rules = _check_for(fmt, data, source, target, signers, now=now)
    if over_artifact:
        assert artifact.path is not None
        signed_by = (
            check(artifact.path.read_bytes())
            if fmt == "cms"
            else _openpgp_file(data, source, artifact.path, rules, now)
        )
        return _fact(
            signed_by, _owner(signers, signed_by.signer), artifact, source=str(source),
            content=fmt, signed_at=None,
        )  # fmt: skip
    if target.name not in CHECKSUM_LIST_NAMES and target.suffix not in (".sha256", ".sha512"):
        raise VerificationFailure(
            f"{source}: signs {target.name}, which is neither the artifact nor a checksum list "
            f"({', '.join(CHECKSUM_LIST_NAMES)})",
            check="signature",
        )
    listed = read_bounded(target, MAX_CHECKSUM_LIST_BYTES, "checksum list")
    if listed is None:
        raise EvidenceError(f"{target}: larger than {MAX_CHECKSUM_LIST_BYTES} bytes", check="list")
    result = verify_checksum_list(
        listed,
        str(target),
        artifact,
        check,
        artifact_name=artifact.path.name if artifact.path is not None else None,
    )
    return _fact(
        result.signed_by, _owner(signers, result.signed_by.signer), artifact,
        source=str(source), content="checksum-list", signed_at=None, checksum_list=str(target),
    )  # fmt: skip


def _check_for(
    fmt: SignatureFormat,
    data: bytes,
    source: Path,
    target: Path,
    signers: Sequence[NamedSigner],
    *,
    now: datetime,
) -> tuple[SignatureCheck, list[OpenPgpSigner]]:
    if fmt == "openpgp":
        rules = [n.rule for n in signers if isinstance(n.rule, OpenPgpSigner)]
        if not rules:
            raise VerificationFailure(
                f"{source}: an OpenPGP signature, but the policy pins no OpenPGP keys",
                check="signature",
            )
        check = openpgp_signature_check(
            data, rules, now=now, signature_name=str(source), data_name=target.name
        )
        return check, rules
    raise VerificationFailure(
        f"{source}: a CMS signature, but the policy names no X.509 signers", check="signature"
    )


def _openpgp_file(
    data: bytes, source: Path, artifact: Path, rules: list[OpenPgpSigner], now: datetime
) -> SignedBy:
    """Stream the artifact through the verifier instead of reading it into memory."""
    verified = verify_openpgp_signature(
        data, artifact, rules, now=now, data_name=artifact.name, signature_name=str(source)
    )
    return SignedBy(
        kind="openpgp",
        signer=verified.signer.describe(),
        key_id=verified.signing_key,
        signed_at=verified.signed_at,
        evidence=str(source),
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
    target = source.with_name(source.name.split(".sigstore")[0])
    listed = read_bounded(target, MAX_CHECKSUM_LIST_BYTES, "checksum list")
    if listed is None:
        raise EvidenceError(f"{target}: larger than {MAX_CHECKSUM_LIST_BYTES} bytes", check="list")
    facts: list[SignatureFact] = []

    def check(list_bytes: bytes) -> SignedBy:
        subject = Artifact(name=str(target), sha256=hashlib.sha256(list_bytes).digest())
        fact = bundle_check(subject)
        facts.append(fact)
        return SignedBy(
            kind=fact.signer_kind,
            signer=fact.matched_rule,
            key_id=fact.key_id or fact.identity or "",
            signed_at=fact.signed_at,
            evidence=str(source),
        )

    verify_checksum_list(
        listed,
        str(target),
        artifact,
        check,
        artifact_name=artifact.path.name if artifact.path is not None else None,
    )
    signed = facts[0]
    # The list's Sigstore signature, re-aimed at the artifact it lists.
    return replace(
        signed,
        artifact_sha256=artifact.sha256.hex(),
        content="checksum-list",
        checksum_list=str(target),
    )

"""Detached CMS / PKCS#7 signatures (`.p7s`, `.sig`, DER or PEM) over a vendor's artifact."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509

from provenance.errors import InputError, VerificationFailure
from provenance.evidence.cms import parse_signed_data
from provenance.verification.x509.result import X509SignatureResult
from provenance.verification.x509.revocation import CrlFile
from provenance.verification.x509.signed_data import (
    ALLOWED_DIGESTS,
    SignedContent,
    check_digest_algorithm,
    verify_signed_data,
)
from provenance.verification.x509.signer import X509Signer

__all__ = ["ContentDigest", "verify_cms_detached"]

_ID_DATA = "1.2.840.113549.1.7.1"


@dataclass(frozen=True)
class ContentDigest:
    """The artifact's digest when the artifact is not at hand (digest mode)."""

    algorithm: str  # "sha256", "sha384" or "sha512"
    digest: bytes


def _file_digests(path: Path, names: set[str]) -> dict[str, bytes]:
    # One pass computes every digest the SignerInfos ask for, in constant memory.
    digests = {name: hashlib.new(name) for name in names}
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                for digest in digests.values():
                    digest.update(chunk)
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, expected a file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read artifact: {exc.strerror or exc}") from exc
    return {name: digest.digest() for name, digest in digests.items()}


def verify_cms_detached(
    signature: bytes,
    content: Path | ContentDigest,
    signers: Sequence[X509Signer],
    *,
    now: datetime,
    crls: Sequence[CrlFile] = (),
    tsa_roots: Sequence[x509.Certificate] = (),
    online: bool = False,
) -> X509SignatureResult:
    """Verify a detached CMS SignedData over `content` against the signer rules.

    1. Parse DER or PEM strictly (`EvidenceError` if malformed, "CMS has no SignerInfo").
    2. Per SignerInfo: SHA-2 digest, signed attributes with contentType id-data and a
       messageDigest equal to the artifact's digest, the signature over the DER SET OF
       signed attributes with the embedded signer certificate's key.
    3. Validation time: a trusted RFC 3161 countersignature, else `now` (signingTime is the
       signer's claim and never used).
    4. Per rule: path to a pinned root at that time, EKUs, subject; revocation from `crls`
       (OCSP only if `online`).
    Raises `VerificationFailure` with the reason when no SignerInfo verifies against a rule.
    """
    parsed = parse_signed_data(signature)
    if parsed.content is not None:
        raise VerificationFailure(
            "CMS signature: expected a detached signature, got one with embedded content",
            check="cms",
        )
    if isinstance(content, Path):
        wanted = {
            info["digest_algorithm"]["algorithm"].native
            for info in parsed.signed_data["signer_infos"]
        }
        digests = _file_digests(content, {"sha256"} | (wanted & set(ALLOWED_DIGESTS)))
        artifact_sha256: str | None = digests["sha256"].hex()

        def digest(name: str) -> bytes:
            return digests[name]

    else:
        check_digest_algorithm(content.algorithm, "artifact")
        artifact_sha256 = content.digest.hex() if content.algorithm == "sha256" else None

        def digest(name: str) -> bytes:
            if name != content.algorithm:
                raise VerificationFailure(
                    f"the signature uses {name}, but only the artifact's {content.algorithm} "
                    "digest was given",
                    check="digest",
                )
            return content.digest

    return verify_signed_data(
        parsed,
        SignedContent(content_type=_ID_DATA, digest=digest, artifact_sha256=artifact_sha256),
        signers,
        kind="cms-detached",
        now=now,
        crls=crls,
        tsa_roots=tsa_roots,
        online=online,
    )

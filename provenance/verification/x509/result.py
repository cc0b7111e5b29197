"""What a verified vendor X.509 signature established, kept as evidence for auditors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["CertificateInfo", "X509SignatureResult"]


@dataclass(frozen=True)
class CertificateInfo:
    subject: str  # RFC 4514
    sha256: str  # hex fingerprint of the DER certificate


@dataclass(frozen=True)
class X509SignatureResult:
    """A signature over the artifact verified against a rule. Every field is verified except
    `signing_time`, which is the signer's own claim and recorded only."""

    kind: Literal["cms-detached", "authenticode"]
    matched_rule: str  # the rule's source
    leaf: CertificateInfo
    issuers: tuple[CertificateInfo, ...]  # above the leaf, the pinned root last
    root_sha256: str
    signing_time: datetime | None  # claimed (signingTime attribute); never trusted
    validation_time: datetime
    validation_time_source: str  # "rfc3161:<tsa subject>" or "now"
    revocation: str  # the leaf: "crl:<file> not revoked", "ocsp:<url> good", "not checked"
    revocation_checked: bool
    chain_revocation: tuple[str, ...]  # the CAs below the root, same vocabulary
    digest_algorithm: str  # of the SignerInfo (and, for Authenticode, of the image hash)
    artifact_sha256: str | None  # hex, when the artifact itself was at hand
    signer_index: int  # which SignerInfo verified (0-based)
    notes: tuple[str, ...] = ()  # what was seen but not relied on (untrusted timestamps ...)

    @property
    def leaf_subject(self) -> str:
        return self.leaf.subject

"""Vendor X.509 signatures: detached CMS / PKCS#7 and Authenticode, against pinned vendor roots.

A rule (`X509Signer`) pins roots and names the subject and EKUs a signer must have; the
verifiers return an `X509SignatureResult` (the evidence) or raise `VerificationFailure`
(`EvidenceError` for malformed input) with a one-line reason.
"""

from __future__ import annotations

from provenance.verification.x509.authenticode import (
    UnsignedPeFile,
    verify_authenticode,
    verify_authenticode_file,
)
from provenance.verification.x509.cms import ContentDigest, verify_cms_detached
from provenance.verification.x509.result import CertificateInfo, X509SignatureResult
from provenance.verification.x509.revocation import CrlFile, RevocationStatus, load_crl
from provenance.verification.x509.signer import X509Signer, load_certificates, load_x509_signer

__all__ = [
    "CertificateInfo",
    "ContentDigest",
    "CrlFile",
    "RevocationStatus",
    "UnsignedPeFile",
    "X509SignatureResult",
    "X509Signer",
    "load_certificates",
    "load_crl",
    "load_x509_signer",
    "verify_authenticode",
    "verify_authenticode_file",
    "verify_cms_detached",
]

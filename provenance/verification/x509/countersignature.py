"""Legacy PKCS#9 countersignatures (RFC 2985 5.3.6, `signtool /t`): a SignerInfo in the
unsigned attribute countersignature whose messageDigest is the digest of the signature it
countersigns, and whose signed signingTime is the time its signer vouches for.

Authenticode timestamps made this way until RFC 3161 replaced them; files signed from 2000
to the late 2010s carry them. The time counts only as a TSA's would: the countersigner's
certificate (from the signature's certificate set) must chain, at that time, to a TSA root
the rule or the caller trusts, with the timeStamping EKU. md5 and sha1 countersignatures are
refused like any other digest outside SHA-2.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from asn1crypto import cms, core
from cryptography import x509

from provenance.errors import EvidenceError, VerificationFailure
from provenance.verification.x509.path import validate_path
from provenance.verification.x509.signer_info import (
    attributes,
    check_digest_algorithm,
    find_signer,
    signed_attributes_der,
    single,
    verify_signer_signature,
)
from provenance.verification.x509.timestamp import TrustedTime, UntrustedTimestamp

__all__ = ["verify_legacy_countersignature"]

_TIME_STAMPING = x509.oid.ExtendedKeyUsageOID.TIME_STAMPING
_ID_DATA = "data"


def _untrusted(reason: str) -> UntrustedTimestamp:
    return UntrustedTimestamp(f"PKCS#9 countersignature: {reason}", check="timestamp")


def verify_legacy_countersignature(
    counter: cms.SignerInfo,
    signature: bytes,
    pool: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate],
) -> TrustedTime:
    """The signing time `counter` vouches for over `signature` (the countersigned
    SignerInfo's signature value), if a trusted TSA made it.

    1. A TSA root must be trusted (else the countersignature is not read further).
    2. SHA-2 digest; the countersigner's certificate from `pool` (the SignedData's set).
    3. Signed attributes: messageDigest = digest(signature), signingTime present, a
       contentType (optional in Authenticode's) only id-data.
    4. The countersigner's signature over its DER signed attributes.
    5. Its chain to a TSA root at the signing time, with the timeStamping EKU.
    Raises `UntrustedTimestamp` (set aside, validated at now) if any step fails.
    """
    # 1.
    if not tsa_roots:
        raise _untrusted("no TSA root is trusted")
    try:
        # 2.
        digest_name = counter["digest_algorithm"]["algorithm"].native
        check_digest_algorithm(digest_name, "countersignature")
        countersigner = find_signer(counter["sid"], pool)
        # 3.
        if isinstance(counter["signed_attrs"], core.Void):
            raise _untrusted("expected signed attributes, got none")
        signed = attributes(counter["signed_attrs"], "countersignature signed")
        if "message_digest" not in signed or "signing_time" not in signed:
            raise _untrusted("expected signed attributes messageDigest and signingTime")
        if "content_type" in signed:
            content_type = single(signed["content_type"], "contentType")
            if content_type.native != _ID_DATA:  # type: ignore[attr-defined]
                raise _untrusted(
                    f"expected contentType data, got {content_type.native}"  # type: ignore[attr-defined]
                )
        message_digest = bytes(single(signed["message_digest"], "messageDigest").native)  # type: ignore[attr-defined]
        if not hmac.compare_digest(message_digest, hashlib.new(digest_name, signature).digest()):
            raise _untrusted("its messageDigest is not the digest of the signature it is on")
        signing_time = single(signed["signing_time"], "signingTime").native  # type: ignore[attr-defined]
        if not isinstance(signing_time, datetime):
            raise _untrusted("expected a signingTime, got another value")
        # 4.
        verify_signer_signature(counter, countersigner, digest_name, signed_attributes_der(counter))
        # 5.
        validate_path(
            countersigner,
            untrusted=[c for c in pool if c != countersigner],
            roots=tsa_roots,
            at=signing_time,
            at_source="countersignature:self",
            ekus=[_TIME_STAMPING],
            role="countersigner",
        )
    except UntrustedTimestamp:
        raise
    except (VerificationFailure, EvidenceError) as exc:
        raise _untrusted(str(exc)) from exc
    return TrustedTime(
        time=signing_time, source=f"countersignature:{countersigner.subject.rfc4514_string()}"
    )

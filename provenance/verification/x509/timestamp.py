"""RFC 3161 countersignatures on a SignerInfo: a trusted time for validating the signer's chain.

A timestamp counts only if its token verifies (rfc3161-client: the TSA's signature, its
critical timeStamping EKU, the message imprint over our SignerInfo's signature value) and the
TSA certificate chains, at the stamped time, to a TSA root the rule or the caller trusts.
Otherwise it is set aside and the chain is validated at `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from rfc3161_client import VerificationError as Rfc3161Error
from rfc3161_client import VerifierBuilder, decode_timestamp_response

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.verification.x509.path import validate_path

__all__ = ["TrustedTime", "UntrustedTimestamp", "verify_countersignature"]

_TIME_STAMPING = x509.oid.ExtendedKeyUsageOID.TIME_STAMPING


class UntrustedTimestamp(VerificationFailure):
    """A well-formed timestamp that no trusted TSA root vouches for."""


@dataclass(frozen=True)
class TrustedTime:
    time: datetime
    source: str  # "rfc3161:<tsa subject>"


def _as_response(token: bytes) -> bytes:
    """TimeStampResp { status granted, token }: rfc3161-client reads responses, and a
    SignerInfo carries only the token. Assembled as bytes; the token stays as sent."""
    body = b"\x30\x03\x02\x01\x00" + token
    size = len(body)
    if size < 0x80:
        length = bytes([size])
    else:
        digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(digits)]) + digits
    return b"\x30" + length + body


def verify_countersignature(
    token: bytes, signature: bytes, tsa_roots: Sequence[x509.Certificate]
) -> TrustedTime:
    """The time the token vouches for, if a trusted TSA made it over `signature`."""
    try:
        response = decode_timestamp_response(_as_response(token))
        gen_time = response.tst_info.gen_time
        embedded = [load_der_certificate(c) for c in response.signed_data.certificates]
    except (ValueError, MalformedCertificate) as exc:
        raise EvidenceError(
            f"RFC 3161 timestamp is not a well-formed TimeStampToken ({exc})", check="timestamp"
        ) from exc
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=UTC)
    if not tsa_roots:
        raise UntrustedTimestamp("RFC 3161 timestamp: no TSA root is trusted", check="timestamp")
    if not embedded:
        raise UntrustedTimestamp(
            "RFC 3161 timestamp: the token embeds no TSA certificate", check="timestamp"
        )
    # 1. The token's signature, EKU and imprint, with rfc3161-client (OpenSSL underneath).
    builder = VerifierBuilder()
    for root in tsa_roots:
        builder = builder.add_root_certificate(root)
    for certificate in embedded:
        builder = builder.add_intermediate_certificate(certificate)
    try:
        builder.build().verify_message(response, signature)
    except Rfc3161Error as exc:
        # OpenSSL's error stack adds nothing a reader can act on.
        reason = str(exc).split(": ErrorStack(")[0]
        raise UntrustedTimestamp(f"RFC 3161 timestamp: {reason}", check="timestamp") from exc
    except ValueError as exc:
        raise EvidenceError(f"RFC 3161 timestamp is malformed: {exc}", check="timestamp") from exc
    # 2. The TSA's own chain at the stamped time, with the same path rules as signers.
    signer_info = next(iter(response.signed_data.signer_infos))
    tsa = next(
        c
        for c in embedded
        if c.issuer == signer_info.issuer and c.serial_number == signer_info.serial_number
    )  # rfc3161-client found this very certificate in step 1
    try:
        validate_path(
            tsa,
            untrusted=[c for c in embedded if c != tsa],
            roots=tsa_roots,
            at=gen_time,
            at_source="rfc3161:self",
            ekus=[_TIME_STAMPING],
            role="TSA",
        )
    except VerificationFailure as exc:
        raise UntrustedTimestamp(f"RFC 3161 timestamp: {exc}", check="timestamp") from exc
    return TrustedTime(time=gen_time, source=f"rfc3161:{tsa.subject.rfc4514_string()}")

"""RFC 3161 countersignatures on a SignerInfo: a trusted time for validating the signer's chain.

A timestamp counts only if its token verifies (rfc3161-client: the TSA's signature, its
critical timeStamping EKU, the message imprint over our SignerInfo's signature value) and the
TSA certificate chains, at the stamped time, to a TSA root the rule or the caller trusts.
Otherwise it is set aside and the chain is validated at `now`.

Microsoft's tokens (Windows signtool, Azure Trusted Signing) carry non-X.509 entries in the
token's certificate set (an attribute certificate), which rfc3161-client 1.0.9 cannot parse.
The certificate set is not covered by the TSA's signature (RFC 5652 5.1), so the token is
handed to the library with only its X.509 certificates; the signed parts keep their bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import cms
from cryptography import x509
from rfc3161_client import VerificationError as Rfc3161Error
from rfc3161_client import VerifierBuilder, decode_timestamp_response

from provenance.errors import VerificationFailure
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.verification.x509.path import validate_path

__all__ = ["TrustedTime", "UntrustedTimestamp", "verify_countersignature", "x509_only"]

_TIME_STAMPING = x509.oid.ExtendedKeyUsageOID.TIME_STAMPING


class UntrustedTimestamp(VerificationFailure):
    """A timestamp that no trusted TSA root vouches for, or that cannot be read: it is set
    aside (the chain is validated at now), never a reason to refuse the signature."""


@dataclass(frozen=True)
class TrustedTime:
    time: datetime
    # "rfc3161:<tsa subject>" or "countersignature:<countersigner subject>"
    source: str


def _der_header(tag: int, size: int) -> bytes:
    if size < 0x80:
        return bytes([tag, size])
    digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(digits)]) + digits


def _as_response(token: bytes) -> bytes:
    """TimeStampResp { status granted, token }: rfc3161-client reads responses, and a
    SignerInfo carries only the token. Assembled as bytes; the token stays as sent."""
    body = b"\x30\x03\x02\x01\x00" + token
    return _der_header(0x30, len(body)) + body


def x509_only(token: bytes) -> bytes:
    """The token with every non-X.509 entry of its certificate set left out (the rest of
    the token unchanged), or the token itself if it has none. Raises `UntrustedTimestamp` if
    the token is not a SignedData ContentInfo."""
    try:
        info = cms.ContentInfo.load(token, strict=True)
        signed = info["content"]
        certificates = signed["certificates"]
        choices = list(certificates) if certificates.contents is not None else []
        if all(choice.name == "certificate" for choice in choices):
            return token
        kept = [choice for choice in choices if choice.name == "certificate"]
        # Only the certificate set is rebuilt; the other fields are dumped from the bytes read.
        fields = [
            signed["version"].dump(),
            signed["digest_algorithms"].dump(),
            signed["encap_content_info"].dump(),
        ]
        body = b"".join(choice.dump() for choice in kept)
        fields.append(_der_header(0xA0, len(body)) + body)
        if signed["crls"].contents is not None:
            fields.append(signed["crls"].dump())
        fields.append(signed["signer_infos"].dump())
    except (ValueError, TypeError, KeyError) as exc:
        raise UntrustedTimestamp(
            "RFC 3161 timestamp: expected a TimeStampToken (SignedData), got malformed data",
            check="timestamp",
        ) from exc
    inner = b"".join(fields)
    signed_data = _der_header(0x30, len(inner)) + inner
    explicit = _der_header(0xA0, len(signed_data)) + signed_data
    content_type: bytes = info["content_type"].dump()
    outer = content_type + explicit
    return _der_header(0x30, len(outer)) + outer


def verify_countersignature(
    token: bytes, signature: bytes, tsa_roots: Sequence[x509.Certificate]
) -> TrustedTime:
    """The time the token vouches for, if a trusted TSA made it over `signature`.

    1. No TSA root trusted: the token is not even read (it cannot count, so it cannot stop
       a signature either).
    2. Read it, without its non-X.509 certificate entries (see the module docstring).
    3. The token's signature, EKU and imprint, with rfc3161-client (OpenSSL underneath).
    4. The TSA's own chain at the stamped time, with the same path rules as signers.
    Raises `UntrustedTimestamp` (with a reason in our words) if any step fails.
    """
    # 1.
    if not tsa_roots:
        raise UntrustedTimestamp("RFC 3161 timestamp: no TSA root is trusted", check="timestamp")
    # 2.
    try:
        response = decode_timestamp_response(_as_response(x509_only(token)))
        gen_time = response.tst_info.gen_time
        embedded = [load_der_certificate(c) for c in response.signed_data.certificates]
        signer_info = next(iter(response.signed_data.signer_infos))
    except (ValueError, MalformedCertificate, StopIteration) as exc:
        # The library's parse errors name its Rust types; the operator gets ours.
        raise UntrustedTimestamp(
            "RFC 3161 timestamp: expected a well-formed TimeStampToken with a SignerInfo, got "
            "one that cannot be read",
            check="timestamp",
        ) from exc
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=UTC)
    if not embedded:
        raise UntrustedTimestamp(
            "RFC 3161 timestamp: the token embeds no TSA certificate", check="timestamp"
        )
    # 3.
    builder = VerifierBuilder()
    for root in tsa_roots:
        builder = builder.add_root_certificate(root)
    for certificate in embedded:
        builder = builder.add_intermediate_certificate(certificate)
    try:
        builder.build().verify_message(response, signature)
    except Rfc3161Error as exc:
        # OpenSSL's error stack adds nothing a reader can act on.
        reason = str(exc).split(": ErrorStack(")[0].split("<Certificate(")[0].rstrip(" :(")
        raise UntrustedTimestamp(f"RFC 3161 timestamp: {reason}", check="timestamp") from exc
    except ValueError as exc:
        raise UntrustedTimestamp(
            "RFC 3161 timestamp: the token does not verify (malformed signature or imprint)",
            check="timestamp",
        ) from exc
    # 4.
    tsa = next(
        (
            c
            for c in embedded
            if c.issuer == signer_info.issuer and c.serial_number == signer_info.serial_number
        ),
        None,
    )
    if tsa is None:
        raise UntrustedTimestamp(
            "RFC 3161 timestamp: the TSA certificate is not in the token", check="timestamp"
        )
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

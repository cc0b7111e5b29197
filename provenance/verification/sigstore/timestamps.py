"""Verified time for a signature: RFC 3161 timestamps and the log's integrated time.

A Fulcio certificate lives ten minutes, so "when was this signed" must come from a party the
trust root names: a timestamp authority's signed token over the signature, or a log's signed
promise of when it integrated the entry. The signer's own clock never counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from provenance.errors import EvidenceError, VerificationFailure
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot

__all__ = ["UntrustedTimestamp", "VerifiedTime", "verify_rfc3161_timestamp"]


class UntrustedTimestamp(VerificationFailure):
    """A well-formed token that no trusted TSA vouches for (within its validity)."""


@dataclass(frozen=True)
class VerifiedTime:
    source: Literal["rfc3161", "tlog"]
    time: datetime
    authority: str  # which TSA or log vouched for it


def verify_rfc3161_timestamp(
    token: bytes, signature: bytes, trust_root: SigstoreTrustRoot, index: int
) -> VerifiedTime:
    """The token is signed by a TSA of the trust root over `signature`, inside its validity."""
    # Imported here: most bundles carry no RFC 3161 token, and `verify`'s start-up is mostly
    # imports (tests/test_import_budgets.py).
    from rfc3161_client import VerificationError as Rfc3161Error  # noqa: PLC0415
    from rfc3161_client import VerifierBuilder, decode_timestamp_response  # noqa: PLC0415

    label = f"RFC 3161 timestamp #{index + 1}"
    try:
        # rfc3161-client parses the token lazily; touch what verification reads, here, so a
        # malformed token is rejected as such and not as an exception deep in a check.
        response = decode_timestamp_response(token)
        gen_time = response.tst_info.gen_time
        _ = response.signed_data.certificates, response.tst_info.message_imprint.message
    except ValueError as exc:
        raise EvidenceError(f"{label} is not a DER TimeStampResponse", check="timestamp") from exc
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=UTC)
    problems = []
    for authority in trust_root.tsas:
        certificates = authority.certificates
        if len(certificates) < 2:
            problems.append(f"{authority.name}: chain needs a signing and a root certificate")
            continue
        builder = VerifierBuilder().tsa_certificate(certificates[0])
        for intermediate in certificates[1:-1]:
            builder = builder.add_intermediate_certificate(intermediate)
        verifier = builder.add_root_certificate(certificates[-1]).build()
        try:
            verifier.verify_message(response, signature)
        except ValueError as exc:
            raise EvidenceError(f"{label} is malformed: {exc}", check="timestamp") from exc
        except Rfc3161Error as exc:
            # OpenSSL's error stack adds nothing a reader can act on.
            problems.append(f"{authority.name}: {str(exc).split(': ErrorStack(')[0]}")
            continue
        # The trust root's window is closed at both ends (protobuf-specs TimeRange).
        if not authority.validity.contains(gen_time):
            problems.append(
                f"{authority.name}: trusted during {authority.validity}, "
                f"timestamp says {gen_time.isoformat()}"
            )
            continue
        return VerifiedTime(source="rfc3161", time=gen_time, authority=authority.name)
    if not trust_root.tsas:
        problems.append(f"trust root {trust_root.name} names no timestamp authority")
    raise UntrustedTimestamp(
        f"{label} is not from a trusted timestamp authority: " + "; ".join(problems),
        check="timestamp",
    )

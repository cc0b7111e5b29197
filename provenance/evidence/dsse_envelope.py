"""Standalone DSSE envelopes (approvals, VSAs): `{payloadType, payload, signatures}`, strictly.

Parsed with the standard library only: `provenance check --vsa` must not load pydantic.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from provenance.errors import EvidenceError
from provenance.evidence.json_input import MalformedJson, load_json

__all__ = ["Envelope", "EnvelopeSignature", "parse_envelope"]

# An envelope is a few KB; a VSA or approval never needs more than this many signatures.
MAX_SIGNATURES = 16


@dataclass(frozen=True)
class EnvelopeSignature:
    keyid: str  # an unauthenticated hint
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[EnvelopeSignature, ...]


def _b64(text: object, what: str, source: str) -> bytes:
    if not isinstance(text, str):
        raise EvidenceError(f"{source}: DSSE {what} is not a string", check="envelope")
    # DSSE allows the standard and the URL-safe alphabet; both strictly (no stray bytes).
    for alphabet in (None, b"-_"):
        try:
            return base64.b64decode(text, altchars=alphabet, validate=True)
        except (binascii.Error, ValueError):
            continue
    raise EvidenceError(f"{source}: DSSE {what} is not base64", check="envelope")


def parse_envelope(data: bytes, source: str) -> Envelope:
    try:
        document = load_json(data)
    except MalformedJson as exc:
        raise EvidenceError(f"{source}: not JSON ({exc})", check="envelope") from exc
    if not isinstance(document, dict) or set(document) - {"payloadType", "payload", "signatures"}:
        raise EvidenceError(
            f"{source}: expected a DSSE envelope with payloadType, payload and signatures",
            check="envelope",
        )
    payload_type = document.get("payloadType")
    if not isinstance(payload_type, str) or not payload_type:
        raise EvidenceError(f"{source}: DSSE payloadType missing", check="envelope")
    raw_signatures = document.get("signatures")
    if not isinstance(raw_signatures, list) or not raw_signatures:
        raise EvidenceError(f"{source}: DSSE envelope has no signatures", check="envelope")
    if len(raw_signatures) > MAX_SIGNATURES:
        raise EvidenceError(
            f"{source}: expected at most {MAX_SIGNATURES} signatures, got {len(raw_signatures)}",
            check="envelope",
        )
    signatures = []
    for raw in raw_signatures:
        if isinstance(raw, dict) and "cert" in raw:
            # slsa-github-generator before v2 and early cosign: the certificate is inside, but
            # nothing proves it was logged or valid when used.
            raise EvidenceError(
                f"{source}: a DSSE signature with an embedded certificate and no transparency "
                "log entry cannot be verified offline; ask the vendor for the Sigstore bundle "
                "(.sigstore.json)",
                check="envelope",
            )
        if not isinstance(raw, dict) or set(raw) - {"keyid", "sig"}:
            raise EvidenceError(f"{source}: malformed DSSE signature entry", check="envelope")
        keyid = raw.get("keyid", "")
        if not isinstance(keyid, str):
            raise EvidenceError(f"{source}: DSSE keyid is not a string", check="envelope")
        signatures.append(EnvelopeSignature(keyid, _b64(raw.get("sig"), "signature", source)))
    return Envelope(
        payload_type=payload_type,
        payload=_b64(document.get("payload"), "payload", source),
        signatures=tuple(signatures),
    )

"""The SHA-256 digests a Sigstore bundle or DSSE envelope says it is about, read without
verifying anything: only to hand evidence found by its content to the artifact it names
(whose verification then decides). Nothing here is a claim about an artifact."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from provenance.evidence.json_input import MalformedJson, load_json

__all__ = ["claimed_subjects"]


def claimed_subjects(document: dict[str, Any]) -> tuple[str, ...]:
    """Lowercase hex digests a bundle's message or a statement's subjects name; () if none."""
    message = document.get("messageSignature")
    if isinstance(message, dict):
        digest = message.get("messageDigest")
        if isinstance(digest, dict) and digest.get("algorithm") == "SHA2_256":
            return tuple(_hex(digest.get("digest")))
    envelope = document.get("dsseEnvelope", document)
    if not isinstance(envelope, dict):
        return ()
    statement = _decoded_json(envelope.get("payload"))
    subjects = statement.get("subject") if isinstance(statement, dict) else None
    if not isinstance(subjects, list):
        return ()
    found = [
        subject["digest"]["sha256"]
        for subject in subjects
        if isinstance(subject, dict)
        and isinstance(subject.get("digest"), dict)
        and isinstance(subject["digest"].get("sha256"), str)
    ]
    return tuple(digest.lower() for digest in found)


def _hex(encoded: Any) -> list[str]:
    if not isinstance(encoded, str):
        return []
    try:
        return [base64.b64decode(encoded, validate=True).hex()]
    except binascii.Error:
        return []


def _decoded_json(encoded: Any) -> Any:
    if not isinstance(encoded, str):
        return None
    try:
        return load_json(base64.b64decode(encoded, validate=True))
    except (binascii.Error, MalformedJson):
        return None

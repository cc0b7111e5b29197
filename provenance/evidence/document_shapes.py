"""What a parsed JSON document is, by the fields that define each format: the recognition
half of an evidence kind (`verification.evidence_kinds`). Shapes only: each kind's parser
is still strict about everything else."""

from __future__ import annotations

from typing import Any

__all__ = [
    "is_dsse_envelope",
    "is_key_file",
    "is_openvex",
    "is_sbom",
    "is_sigstore_bundle",
    "is_trusted_root",
]


def is_sigstore_bundle(document: dict[str, Any]) -> bool:
    return str(document.get("mediaType", "")).startswith("application/vnd.dev.sigstore.bundle")


def is_dsse_envelope(document: dict[str, Any]) -> bool:
    return "payloadType" in document


def is_trusted_root(document: dict[str, Any]) -> bool:
    return str(document.get("mediaType", "")).startswith("application/vnd.dev.sigstore.trustedroot")


def is_sbom(document: dict[str, Any]) -> bool:
    return document.get("bomFormat") == "CycloneDX" or "spdxVersion" in document


def is_openvex(document: dict[str, Any]) -> bool:
    return str(document.get("@context", "")).startswith("https://openvex.dev/")


def is_key_file(document: dict[str, Any]) -> bool:
    """A securesystemslib public key file (a private key is never evidence)."""
    keyval = document.get("keyval")
    return "keytype" in document and isinstance(keyval, dict) and "private" not in keyval

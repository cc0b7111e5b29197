"""Rekor entry bodies and Sigstore bundle JSON, shaped the way protobuf-JSON writes them.

Bytes are standard base64, 64-bit integers are strings, and key order is fixed, so that
`json.dumps` of a bundle is byte-identical across runs.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Literal, get_args

from provenance.testing.log import canonical_json

__all__ = [
    "BUNDLE_MEDIA_TYPES",
    "IN_TOTO_PAYLOAD_TYPE",
    "BundleMediaType",
    "assemble_bundle",
    "bundle_json",
    "dsse_body",
    "hashedrekord_body",
    "intoto_body",
    "pae",
]

BundleMediaType = Literal[
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
]
BUNDLE_MEDIA_TYPES: tuple[BundleMediaType, ...] = get_args(BundleMediaType)
# v0.1 and v0.2 carry an x509CertificateChain (leaf first); v0.3 carries the leaf alone.
_CHAIN_MEDIA_TYPES = BUNDLE_MEDIA_TYPES[:2]
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what the envelope signature covers."""
    type_bytes = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def hashedrekord_body(*, digest: bytes, signature: bytes, public_pem: bytes) -> bytes:
    """hashedrekord 0.0.1; `publicKey.content` is base64 of PEM (a certificate or a key)."""
    return canonical_json(
        {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                "signature": {
                    "content": _b64(signature),
                    "publicKey": {"content": _b64(public_pem)},
                },
            },
        }
    )


def dsse_body(
    *, envelope: dict[str, Any], payload: bytes, signature: bytes, cert_pem: bytes
) -> bytes:
    """dsse 0.0.1, as Rekor stores it: hashes of envelope and payload, signatures with PEM."""
    return canonical_json(
        {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(canonical_json(envelope)).hexdigest(),
                },
                "payloadHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(payload).hexdigest(),
                },
                "signatures": [{"signature": _b64(signature), "verifier": _b64(cert_pem)}],
            },
        }
    )


def intoto_body(
    *, envelope: dict[str, Any], payload: bytes, signature: bytes, verifier_pem: bytes
) -> bytes:
    """intoto 0.0.2, as Rekor stores it (npm's attestations use it): the envelope's signatures
    with their base64 strings base64-encoded once more, the verifier's PEM, and hashes."""
    signatures = []
    for entry in envelope["signatures"]:
        logged = {"publicKey": _b64(verifier_pem), "sig": _b64(_b64(signature).encode())}
        if entry.get("keyid"):
            logged["keyid"] = entry["keyid"]
        signatures.append(logged)
    return canonical_json(
        {
            "apiVersion": "0.0.2",
            "kind": "intoto",
            "spec": {
                "content": {
                    "envelope": {
                        "payloadType": envelope["payloadType"],
                        "signatures": signatures,
                    },
                    "hash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(canonical_json(envelope)).hexdigest(),
                    },
                    "payloadHash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(payload).hexdigest(),
                    },
                }
            },
        }
    )


def assemble_bundle(
    *,
    media_type: BundleMediaType,
    tlog_entry: dict[str, Any],
    content: tuple[Literal["messageSignature", "dsseEnvelope"], dict[str, Any]],
    leaf_der: bytes | None = None,
    key_hint: str | None = None,
) -> dict[str, Any]:
    """A bundle with either a leaf certificate or (managed key) a public key hint."""
    material: dict[str, Any]
    if leaf_der is None:
        material = {"publicKey": {"hint": key_hint}}
    elif media_type in _CHAIN_MEDIA_TYPES:
        material = {"x509CertificateChain": {"certificates": [{"rawBytes": _b64(leaf_der)}]}}
    else:
        material = {"certificate": {"rawBytes": _b64(leaf_der)}}
    material["tlogEntries"] = [tlog_entry]
    field, value = content
    return {"mediaType": media_type, "verificationMaterial": material, field: value}


def bundle_json(bundle: dict[str, Any]) -> str:
    """The serialisation tests write to disk: stable key order, 2-space indent, final newline."""
    return json.dumps(bundle, indent=2) + "\n"
